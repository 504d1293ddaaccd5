# Small Ruby commands the interop tests run: push, read the retry set, list processes and
# their running jobs, quiet or stop a process, render the Web UI's Busy page.
require "sidekiq"
require "sidekiq/api"
require "json"

def process_named(identity)
  Sidekiq::ProcessSet.new.find { |p| p.identity == identity } or abort("no process #{identity}")
end

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
      "queues" => p["queues"], "concurrency" => p["concurrency"], "busy" => p["busy"],
      "quiet" => p.stopping?, "labels" => p.labels, "tag" => p.tag }
  end
  puts JSON.generate(out)
when "workers"
  # Sidekiq::Workers (WorkSet) is what the Web UI's Busy page lists.
  out = Sidekiq::Workers.new.map do |process, thread, work|
    job = Sidekiq::JobRecord.new(work["payload"])
    { "process" => process, "thread" => thread, "queue" => work["queue"],
      "run_at" => work["run_at"], "class" => job.klass, "display_class" => job.display_class,
      "args" => job.args, "jid" => job.jid }
  end
  puts JSON.generate(out)
when "quiet"
  process_named(ARGV[1]).quiet!
when "stop"
  process_named(ARGV[1]).stop!
when "busy_page"
  require "sidekiq/web"
  require "rack/mock"
  require "rack/session/cookie"
  app = Rack::Builder.new do
    use Rack::Session::Cookie, secret: "interop-test-only-" * 4
    run Sidekiq::Web
  end
  res = Rack::MockRequest.new(app).get("/busy")
  abort("GET /busy answered #{res.status}") unless res.status == 200
  puts res.body
when "stats"
  s = Sidekiq::Stats.new
  puts JSON.generate("processed" => s.processed, "failed" => s.failed, "retry_size" => s.retry_size)
end
