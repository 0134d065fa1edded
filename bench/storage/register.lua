-- wrk script: PUT /v1/services/<prefix>NNNNNN/instances/iK (no lease) over keep-alive
-- connections, every request a new instance (services of PER_SERVICE instances each).
-- Usage: wrk -t1 -c64 -d5s -s register.lua http://127.0.0.1:PORT -- COUNT PREFIX PER_SERVICE
-- COUNT requests are built in init(); a run that sends more than COUNT wraps around and
-- re-registers the first ones (an update, not a new instance): the caller compares
-- "requests" with COUNT. Use -t1 (each thread builds the same list).
-- done() prints one JSON line (prefixed "JSON ") with the counts and latency percentiles.

-- The request strings are built once, in init(); request() only picks the next one, so
-- the client's cost per request is wrk's own (socket calls, parsing), not Lua's.
local requests = {}
local count = 0
local next_index = 1

function init(args)
  count = tonumber(args[1] or "100000")
  local prefix = args[2] or "r"
  local per_service = tonumber(args[3] or "10")
  local headers = {["Host"] = "127.0.0.1", ["Content-Type"] = "application/json"}
  for x = 0, count - 1 do
    local n, k = math.floor(x / per_service), x % per_service
    local path = string.format("/v1/services/%s%06d/instances/i%d", prefix, n, k)
    local a = x + 1
    local body = string.format('{"address":"10.%d.%d.%d","port":%d}',
                               math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256, 8080 + k)
    requests[x + 1] = wrk.format("PUT", path, headers, body)
  end
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
    '"socket_errors": %d, "latency_p50_us": %d, "latency_p90_us": %d, ' ..
    '"latency_p99_us": %d, "latency_max_us": %d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
