-- wrk script of the benchmark: GETs of paths picked at random from BENCH_PATHS (one a line), or
-- POST /workers registrations with NIKs unique per run (BENCH_SALT), with a bearer token
-- (BENCH_TOKEN); done() prints the figures as one JSON line.

local counter = 0
local threads = {}
local paths = {}
local mode = os.getenv("BENCH_MODE") or "get"
local token = os.getenv("BENCH_TOKEN") or ""
local salt = tonumber(os.getenv("BENCH_SALT") or "1")
ok2xx = 0   -- globals: done() reads them from each thread
not2xx = 0

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  if mode == "get" then
    for line in io.lines(os.getenv("BENCH_PATHS")) do
      table.insert(paths, line)
    end
  end
  math.randomseed(os.time() + thread_id * 7919)
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
end

local function registration()
  counter = counter + 1
  local c = counter
  local sequence = c % 9999 + 1
  local day = math.floor(c / 9999) % 28 + 1
  local month = math.floor(c / (9999 * 28)) % 12 + 1
  local nik = string.format("35%02d%02d%02d%02d90%04d", 60 + thread_id, salt % 99 + 1, day + 40,
                            month, sequence)
  return string.format(
    '{"nik":"%s","full_name":"Siti Nur\'aini binti Ahmad","birth_date":"1990-%02d-%02d",' ..
    '"sex":"F","phone":"+6281234567890","address":{"village":"Kademangan",' ..
    '"district":"Kademangan","regency":"Blitar","province":"Jawa Timur"},' ..
    '"destination_country":"HK","occupation":"caregiver","placement_agency":"PT Sinar Jaya"}',
    nik, month, day)
end

function request()
  if mode == "post" then
    return wrk.format("POST", "/api/v1/workers", nil, registration())
  end
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
  else
    not2xx = not2xx + 1
  end
end

function done(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + (thread:get("not2xx") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"not_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000, not_ok,
    errors.connect + errors.read + errors.write + errors.timeout))
end
