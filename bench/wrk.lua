-- wrk script for bench/run.py. Arguments after `--` are paths to take in turn (none: the URL
-- given to wrk). Every response's status, and its X-Cache header ("hit", "miss", or "none"
-- when the page cache stood aside), is counted, and `done` prints one line,
-- "BENCH_JSON {...}", with the figures run.py reads.

local threads = {}
local paths = {}
local position = 0
statuses = {} -- globals, so `done` can read each thread's counts with thread:get
caches = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, path in ipairs(args) do
    table.insert(paths, path)
  end
end

function request()
  if #paths == 0 then
    return wrk.format()
  end
  position = position % #paths + 1
  return wrk.format(nil, paths[position])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local cache = headers["X-Cache"] or headers["x-cache"] or "none"
  caches[cache] = (caches[cache] or 0) + 1
end

-- The counts of every thread's global `name`, as JSON object members: '"200": 12, ...'.
local function merged(name)
  local totals = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get(name) or {}) do
      totals[key] = (totals[key] or 0) + count
    end
  end
  local members = {}
  for key, count in pairs(totals) do
    table.insert(members, string.format('"%s": %d', key, count))
  end
  return table.concat(members, ", ")
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, ' ..
    '"p99": %d}, "statuses": {%s}, "x_cache": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), merged("statuses"), merged("caches")))
end
