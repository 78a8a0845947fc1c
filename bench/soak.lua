-- wrk script for bench/soak.py: cycle through the requests listed in $SOAK_DIR/manifest (one per line:
-- METHOD PATH CONTENT-TYPE BODY-FILE, "-" for none), each thread from its own starting point, and count
-- the answers by class. done() prints the totals of all threads as one JSON line.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function init(args)
  local dir = os.getenv("SOAK_DIR")
  requests_ = {}
  for line in io.lines(dir .. "/manifest") do
    local method, path, ctype, file = line:match("^(%S+) (%S+) (%S+) (%S+)$")
    local headers, body = {}, nil
    if ctype ~= "-" then headers["Content-Type"] = ctype end
    if file ~= "-" then body = read(dir .. "/" .. file) end
    table.insert(requests_, wrk.format(method, path, headers, body))
  end
  index_ = (id * 7) % #requests_
  ok, client_errors, server_errors, other = 0, 0, 0, 0
end

function request()
  index_ = index_ % #requests_ + 1
  return requests_[index_]
end

function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1
  elseif status >= 400 then client_errors = client_errors + 1
  elseif status >= 200 and status < 300 then ok = ok + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t = {ok = 0, client_errors = 0, server_errors = 0, other = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do t[key] = t[key] + thread:get(key) end
  end
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "seconds": %.3f, "ok": %d, "client_errors": %d, "server_errors": %d, "other": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_ms": %.1f, "p99_ms": %.1f}\n',
    summary.requests, summary.duration / 1e6, t.ok, t.client_errors, t.server_errors, t.other,
    e.connect, e.read, e.write, e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
