-- wrk script for bench/api_vs_flask.py: one of four operations on customers.
--   wrk -s bench/wrk/ops.lua http://127.0.0.1:PORT -- OP PREFIX N TOKEN [FIELDS]
-- OP: get | list | create | patch; PREFIX: /api/customer or /customer;
-- N: ids 1..N exist; TOKEN: an API token both apps check; FIELDS: a fields= list
-- that get and list ask for (both apps then answer the same columns). Prints one
-- "RESULT {json}" line at the end.

local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
setup, done = common.setup, common.done

local stages = {"initial_contact", "needs_confirmed", "proposal", "negotiation", "signed"}
local grades = {"A", "B", "C", "D"}
local lifecycles = {"potential", "lead", "opportunity", "public_pool"}
local cities = {"上海", "北京", "深圳", "杭州"}
local json_headers = {["Content-Type"] = "application/json"}
local auth_headers = {}

function init(args)
  op = args[1]
  prefix = args[2]
  n = tonumber(args[3])
  auth_headers["Authorization"] = "Bearer " .. args[4]
  json_headers["Authorization"] = "Bearer " .. args[4]
  fields = args[5] and args[5] ~= "" and ("fields=" .. args[5]) or nil
  common.start_thread()
end

local pick = common.pick

function request()
  if op == "get" then
    local path = prefix .. "/" .. math.random(1, n)
    return wrk.format("GET", fields and (path .. "?" .. fields) or path, auth_headers)
  elseif op == "list" then
    return wrk.format("GET", prefix .. "?stage=" .. pick(stages) .. "&grade=" .. pick(grades)
                      .. "&sort=-annual_revenue&limit=50" .. (fields and ("&" .. fields) or ""),
                      auth_headers)
  elseif op == "create" then
    made = made + 1
    local body = string.format(
      '{"name":"wrk 客户 %d-%d-%d","stage":"%s","grade":"%s","lifecycle":"%s",' ..
      '"annual_revenue":"%d.%02d","phone":"+86 21 5555 %04d","city":"%s"}',
      tid or 0, made, math.random(1, 1000000000), pick(stages), pick(grades),
      pick(lifecycles), math.random(0, 99999999), math.random(0, 99), math.random(0, 9999),
      pick(cities))
    return wrk.format("POST", prefix, json_headers, body)
  elseif op == "patch" then
    local body = string.format('{"annual_revenue":"%d.%02d"}', math.random(0, 99999999),
                               math.random(0, 99))
    return wrk.format("PATCH", prefix .. "/" .. math.random(1, n), json_headers, body)
  end
  error("unknown op " .. tostring(op))
end
