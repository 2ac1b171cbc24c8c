-- A valid consult request, posted again and again: the CSRF cookie and token and the
-- signed "shown at" value come from one GET of /consult/ (bench/run.py passes them in
-- the environment); each request gets a fresh submission_key, so each is stored.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local counter = 0
local run_id = tonumber(os.getenv("BENCH_RUN_ID"))
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

local function urlencode(value)
  return (value:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local fields = {
  csrfmiddlewaretoken = os.getenv("BENCH_CSRF_TOKEN"),
  shown_at = os.getenv("BENCH_SHOWN_AT"),
  name = "Bench visitor",
  email = "visitor@example.test",
  phone = "",
  contact_method = "email",
  slot = "none",
  availability = "Weekday mornings",
  message = "",
  consent = "on",
  website = "",
}
local fixed = {}
for key, value in pairs(fields) do
  table.insert(fixed, key .. "=" .. urlencode(value))
end
fixed = table.concat(fixed, "&")

local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = "csrftoken=" .. os.getenv("BENCH_CSRF_COOKIE"),
}

function request()
  counter = counter + 1
  -- A UUID no other request uses: this wrk run, this thread (set by setup), a counter.
  local key = string.format("%08x-%04x-4000-8000-%012x", run_id, thread_number, counter)
  return wrk.format("POST", "/consult/", headers, fixed .. "&submission_key=" .. key)
end
