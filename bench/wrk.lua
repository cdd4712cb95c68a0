-- wrk script of the benchmark: GETs (or PATCHes of a phone number) of paths picked at random from
-- BENCH_PATHS (one a line), or
-- POST /workers registrations with valid NIKs unique per run (BENCH_SALT, BENCH_DISTRICTS), with
-- a bearer token (BENCH_TOKEN); done() prints the figures as one JSON line.

local counter = 0
local threads = {}
local paths = {}
local mode = os.getenv("BENCH_MODE") or "get"
local token = os.getenv("BENCH_TOKEN") or ""
local salt = tonumber(os.getenv("BENCH_SALT") or "1")
local stride = tonumber(os.getenv("BENCH_DISTRICT_STRIDE") or "64")
local districts = {}  -- real East Java district codes: registration checks a NIK's region
for code in string.gmatch(os.getenv("BENCH_DISTRICTS") or "350501", "[^,]+") do
  table.insert(districts, code)
end
ok2xx = 0   -- globals: done() reads them from each thread
not2xx = 0

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  if mode ~= "post" then
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
  -- a district of this thread's own (as load.py's district()), then birth date and sequence
  local district = districts[(salt * stride + thread_id) % #districts + 1]
  local nik = string.format("%s%02d%02d90%04d", district, day + 40, month, sequence)
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
  if mode == "patch" then  -- a desk changes a worker's phone number
    counter = counter + 1
    return wrk.format("PATCH", paths[math.random(#paths)], nil,
                      string.format('{"phone":"+62812%07d"}', (thread_id * 1000003 + counter) % 10000000))
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
