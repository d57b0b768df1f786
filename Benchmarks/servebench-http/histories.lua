-- wrk script: POST /v1/recommend with a random history drawn from HISTORIES (one history a
-- line, ids comma-separated). Environment:
--   HISTORIES  file of histories (make_inputs.py writes histories.txt)
--   K          items per request (default 20)
--   RATE       when set, requests per second over all connections: each connection waits
--              CONNECTIONS / RATE seconds between requests (wrk 1 has no constant-rate mode:
--              this is closed-loop pacing, so the achieved rate is a little under RATE)
--   CONNECTIONS the -c value, for the pacing
local bodies = {}
local k = tonumber(os.getenv("K") or "20")
for line in io.lines(os.getenv("HISTORIES")) do
  local ids = {}
  for id in string.gmatch(line, "[^,]+") do ids[#ids + 1] = '"' .. id .. '"' end
  bodies[#bodies + 1] = '{"history":[' .. table.concat(ids, ",") .. '],"k":' .. k .. '}'
end
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")
local pause = rate > 0 and connections * 1000 / rate or 0
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(seed or 1)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  return wrk.format(nil, "/v1/recommend", nil, bodies[math.random(#bodies)])
end

function delay()
  return pause
end

-- One JSON line for run.sh: throughput, latency percentiles (ms), errors.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
