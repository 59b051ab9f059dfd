-- What every wrk script of bench/ shares: setup() numbers the threads (the global
-- `tid` in each, for distinct random seeds and names), start_thread() (from init)
-- seeds the thread's random numbers, pick() one of a list, done() prints the one
-- "RESULT {json}" line that _common.run_wrk reads (requests, duration, errors, latency
-- mean/p50/p99). A script next to this one loads it with
--   local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
--   setup, done = common.setup, common.done
local common = {}
local counter = 0

function common.setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

-- per thread: a seed of its own, and a fresh count of the records it made
function common.start_thread()
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  made = 0
end

function common.pick(list)
  return list[math.random(1, #list)]
end

function common.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99)))
end

return common
