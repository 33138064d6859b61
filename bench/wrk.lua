-- One request shape per wrk run, configured by bench/run.py through environment variables:
--   BENCH_METHOD, BENCH_PATH        the request line
--   BENCH_HEADERS_FILE              "Name: value" lines (cookie, bearer, content type)
--   BENCH_BODY_FILE[, _2]           the body; with two bodies, requests alternate between them
--   BENCH_OUT                       where done() writes the summary as JSON
-- Requests are formatted once per thread; no response() callback (it would slow wrk down).

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    return nil
  end
  return value
end

local function slurp(name)
  local path = env(name)
  if path == nil then
    return nil
  end
  local handle = assert(io.open(path, "rb"))
  local data = handle:read("*a")
  handle:close()
  return data
end

local method = env("BENCH_METHOD") or "GET"
local path = env("BENCH_PATH") or "/"
local out = env("BENCH_OUT")
local headers = {}
local raw_headers = slurp("BENCH_HEADERS_FILE")
if raw_headers ~= nil then
  for line in raw_headers:gmatch("[^\r\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name ~= nil then
      headers[name] = value
    end
  end
end
local bodies = { slurp("BENCH_BODY_FILE"), slurp("BENCH_BODY_FILE_2") }

local prepared = {}
local counter = 0

init = function(args)
  prepared[1] = wrk.format(method, path, headers, bodies[1])
  if bodies[2] ~= nil then
    prepared[2] = wrk.format(method, path, headers, bodies[2])
  end
end

request = function()
  if prepared[2] == nil then
    return prepared[1]
  end
  counter = counter + 1
  return prepared[(counter % 2) + 1]
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local handle = assert(io.open(out, "w"))
  handle:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %.0f, "p50": %.0f, "p90": %.0f, "p99": %.0f, "max": %.0f, ' ..
    '"mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  handle:close()
end
