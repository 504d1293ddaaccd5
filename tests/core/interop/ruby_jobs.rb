# Ruby side of the interoperability tests: a Sidekiq job that Python enqueues.
require "sidekiq"

class RubyEcho
  include Sidekiq::Worker
  sidekiq_options retry: 0

  def perform(text, number)
    Sidekiq.redis { |r| r.rpush("test:ruby_ran", "#{text}:#{number}") }
  end
end
