# Small Ruby commands the interop tests run: push, read the retry set, list processes.
require "sidekiq"
require "sidekiq/api"
require "json"

case ARGV[0]
when "push"
  jid = Sidekiq::Client.push("class" => "HardJob", "args" => ["from-ruby", 42], "queue" => "default")
  puts jid
when "retries"
  out = Sidekiq::RetrySet.new.map do |job|
    { "jid" => job.jid, "klass" => job.klass, "args" => job.args,
      "error_class" => job["error_class"], "error_message" => job["error_message"],
      "retry_count" => job["retry_count"], "failed_at" => job["failed_at"],
      "at" => job.at.to_f, "queue" => job.queue,
      "backtrace_lines" => job.error_backtrace ? job.error_backtrace.length : nil }
  end
  puts JSON.generate(out)
when "processes"
  out = Sidekiq::ProcessSet.new.map do |p|
    { "identity" => p["identity"], "hostname" => p["hostname"], "pid" => p["pid"],
      "queues" => p["queues"], "concurrency" => p["concurrency"], "busy" => p["busy"] }
  end
  puts JSON.generate(out)
when "stats"
  s = Sidekiq::Stats.new
  puts JSON.generate("processed" => s.processed, "failed" => s.failed, "retry_size" => s.retry_size)
end
