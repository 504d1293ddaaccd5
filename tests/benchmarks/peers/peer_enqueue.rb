# Enqueue rates of Ruby Sidekiq's client: `ruby peer_enqueue.rb single|bulk N`; prints jobs/s.
require "sidekiq"
require_relative "peer_jobs"

mode, count = ARGV[0], Integer(ARGV[1])
# One push before the clock starts, as the Python side does.
PeerIncr.perform_async
Sidekiq.redis { |r| r.del("queue:bench") }
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
if mode == "single"
  count.times { PeerIncr.perform_async }
else
  Sidekiq::Client.push_bulk("class" => PeerIncr, "args" => Array.new(count) { |i| [i, "x"] })
end
puts count / (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started)
