-- wrk script: PUT /v1/services/<prefix>NNNNNN/instances/iK/heartbeat over keep-alive
-- connections, cycling over SERVICES x INSTANCES instances registered beforehand.
-- Usage: wrk -t2 -c32 -d10s -s heartbeat.lua http://127.0.0.1:PORT -- SERVICES INSTANCES PREFIX
-- done() prints one JSON line (prefixed "JSON ") with the counts and latency percentiles.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- The request strings are built once, in init(); request() only picks the next one, so
-- the client's cost per request is wrk's own (socket calls, parsing), not Lua's.
local requests = {}
local count = 0
local next_index = 1

function init(args)
  local services = tonumber(args[1] or "1000")
  local instances = tonumber(args[2] or "3")
  local prefix = args[3] or "hb"
  for n = 0, services - 1 do
    for k = 0, instances - 1 do
      local path = string.format("/v1/services/%s%06d/instances/i%d/heartbeat", prefix, n, k)
      requests[#requests + 1] = wrk.format("PUT", path, {["Host"] = "127.0.0.1"}, "")
    end
  end
  count = #requests
  -- Threads start at different places, so that they do not renew the same instance.
  next_index = (id * 7919) % count + 1
end

function request()
  local r = requests[next_index]
  if next_index == count then next_index = 1 else next_index = next_index + 1 end
  return r
end

function done(summary, latency, requests_stats)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "per_second": %.1f, "non_2xx": %d, ' ..
    '"socket_errors": %d, "latency_p50_us": %d, "latency_p99_us": %d, "latency_max_us": %d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
