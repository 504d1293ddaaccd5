# Ruby Sidekiq side of bench_peers.py: the same jobs under the same names as peer_jobs.py.
require "sidekiq"

# Per-job start/done lines off, as workhorse's are by default: both sides measure the jobs.
# BENCH_RUBY_JOB_LOGS=1 keeps Sidekiq's default (a start and a done line per job, INFO).
Sidekiq.logger.level = Logger::WARN unless ENV["BENCH_RUBY_JOB_LOGS"] == "1"
# redis-rb 4.8 warns on stderr at every SADD Sidekiq 6.4's client sends (once per push);
# writing 10,000 warnings would be measured as Sidekiq's enqueue cost.
Redis.silence_deprecations = true

class PeerEmpty
  include Sidekiq::Worker
  sidekiq_options queue: "bench"
  def perform; end
end

class PeerIncr
  include Sidekiq::Worker
  sidekiq_options queue: "bench"
  def perform
    Sidekiq.redis { |r| r.incr("bench:count") }
  end
end

class PeerIo10
  include Sidekiq::Worker
  sidekiq_options queue: "bench"
  def perform
    sleep 0.01
    Sidekiq.redis { |r| r.incr("bench:count") }
  end
end

class PeerLatency
  include Sidekiq::Worker
  sidekiq_options queue: "bench"
  def perform(enqueued)
    Sidekiq.redis { |r| r.rpush("bench:latency", Time.now.to_f - enqueued) }
  end
end
