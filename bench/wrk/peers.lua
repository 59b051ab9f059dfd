-- wrk script for bench/peers.py: one of four operations on the same customer table,
-- spoken in the REST dialect of metacrm, Directus or NocoDB.
--   wrk -s bench/wrk/peers.lua http://127.0.0.1:PORT -- STYLE OP BASE N HEADER TOKEN
-- STYLE: metacrm | directus | nocodb; OP: get | list | create | patch;
-- BASE: the collection's path (/api/customer, /items/customer,
-- /api/v2/tables/<id>/records); N: ids 1..N exist; HEADER and TOKEN: the header that
-- carries the token (Authorization with "Bearer ..." or xc-token). Prints one
-- "RESULT {json}" line at the end (the same shape as ops.lua).

local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
setup, done = common.setup, common.done

-- the cities seeded by bench/peers.py (ASCII: the same query string for every system)
local cities = {"Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Hangzhou", "Nanjing",
                "Chengdu", "Wuhan"}
local grades = {"A", "B", "C", "D"}
local headers = {}
local json_headers = {["Content-Type"] = "application/json"}

function init(args)
  style = args[1]
  op = args[2]
  base = args[3]
  n = tonumber(args[4])
  headers[args[5]] = args[6]
  json_headers[args[5]] = args[6]
  common.start_thread()
end

local pick = common.pick

local function list_query(city)
  if style == "directus" then
    return "?filter[city][_eq]=" .. city .. "&sort=name&limit=50"
  elseif style == "nocodb" then
    return "?where=(city,eq," .. city .. ")&sort=name&limit=50"
  end
  return "?city=" .. city .. "&sort=name&limit=50"
end

function request()
  if op == "get" then
    return wrk.format("GET", base .. "/" .. math.random(1, n), headers)
  elseif op == "list" then
    return wrk.format("GET", base .. list_query(pick(cities)), headers)
  elseif op == "create" then
    made = made + 1
    local body = string.format(
      '{"name":"wrk customer %d-%d-%d","code":"W-%d-%d","city":"%s","grade":"%s",' ..
      '"annual_revenue":"%d.%02d","signed_on":"2026-%02d-%02d","owner":%d,' ..
      '"notes":"created by wrk"}',
      tid or 0, made, math.random(1, 1000000000), tid or 0, made, pick(cities), pick(grades),
      math.random(0, 99999999), math.random(0, 99), math.random(1, 12), math.random(1, 28),
      math.random(1, 50))
    return wrk.format("POST", base, json_headers, body)
  elseif op == "patch" then
    local id = math.random(1, n)
    local revenue = string.format('"annual_revenue":"%d.%02d"', math.random(0, 99999999),
                                  math.random(0, 99))
    if style == "nocodb" then  -- NocoDB v2 patches the collection, the id in the body
      return wrk.format("PATCH", base, json_headers,
                        string.format('{"Id":%d,%s}', id, revenue))
    end
    return wrk.format("PATCH", base .. "/" .. id, json_headers, "{" .. revenue .. "}")
  end
  error("unknown op " .. tostring(op))
end
