# Ruby side of the interoperability tests: a Sidekiq job that Python enqueues.
require "sidekiq"

class RubyEcho
  include Sidekiq::Worker
  sidekiq_options retry: 0

  def perform(text, number)
    Sidekiq.redis { |r| r.rpush("test:ruby_ran", "#{text}:#{number}") }
  end
end

# Runs until the test pushes to test:ruby_release (or 30 s pass): a job to see running.
class RubyHold
  include Sidekiq::Worker
  sidekiq_options retry: 0

  def perform(marker, number)
    Sidekiq.redis do |r|
      r.rpush("test:ruby_started", marker)
      r.blpop("test:ruby_release", timeout: 30)
    end
  end
end
