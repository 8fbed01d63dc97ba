-- One request shape, read from the environment (set by `python -m bench`):
--   BENCH_METHOD, BENCH_PATH, BENCH_BODY, BENCH_HEADERS ("Name: value" lines), BENCH_NONCE.
-- Where the path, a header or the body holds "{fresh}", every request gets its own token there
-- (an Idempotency-Key, a new customer's id): the nonce, the thread's number and a counter.
-- Every answer is counted by status in the thread that got it; done() adds the threads' tables
-- up and prints one JSON line.
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY") or ""
local nonce = os.getenv("BENCH_NONCE") or "0000000000000000"
local headers = {}
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.-)%s*$")
  if name then
    headers[name] = value
  end
end
if body == "" then
  body = nil
end

local FRESH = "{fresh}"
local function holds_fresh(text)
  return text ~= nil and text:find(FRESH, 1, true) ~= nil
end
local fresh = holds_fresh(path) or holds_fresh(body)
for _, value in pairs(headers) do
  fresh = fresh or holds_fresh(value)
end

-- Runs in the main Lua state, once per thread, before the threads start.
local threads = {}
local next_thread = 0
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

-- Each thread's own globals from here on.
statuses = {}

function response(status, _headers, _body)
  statuses[status] = (statuses[status] or 0) + 1
end

if fresh then
  local counter = 0
  -- Shaped like a UUID (as stripe-python's Idempotency-Key is), unique across runs and threads.
  local prefix = nonce:sub(1, 8) .. "-" .. nonce:sub(9, 12) .. "-" .. nonce:sub(13, 16) .. "-"
  function request()
    counter = counter + 1
    local token = prefix .. string.format("%04x-%012x", thread_number or 0, counter)
    local these = {}
    for name, value in pairs(headers) do
      these[name] = (value:gsub(FRESH, token))
    end
    local this_body = body and (body:gsub(FRESH, token)) or nil
    return wrk.format(method, (path:gsub(FRESH, token)), these, this_body)
  end
else
  wrk.method = method
  wrk.path = path
  wrk.body = body
  for name, value in pairs(headers) do
    wrk.headers[name] = value
  end
end

function done(summary, latency, _requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", ")
  ))
end
