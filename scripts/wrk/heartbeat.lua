-- wrk script: Telegraf 1.39 heartbeats (outputs.heartbeat, schema 1) from
-- many distinct agents, with the headers and body a real agent sends
-- (compact JSON, & escaped as \u0026). Used by scripts/bench-heartbeat-wrk.
--
--   TC_WRK_AGENTS=100000 TC_WRK_TOKEN=tc-apiv1_... \
--     wrk -t2 -c64 -d20s -s scripts/wrk/heartbeat.lua http://127.0.0.1:8000/agents/heartbeat
--
-- Agent ids and bodies match cmd/tc-load's, so a tc-load -warmup over the
-- same number of agents creates the fleet this script then beats for. One
-- beat in a hundred carries an ERROR log entry and status WARN.

local agents = tonumber(os.getenv("TC_WRK_AGENTS") or "100000")
local token = os.getenv("TC_WRK_TOKEN") or ""
-- TC_WRK_THREADS must equal wrk's -t: thread k sends agents k, k+t, ...
local step = tonumber(os.getenv("TC_WRK_THREADS") or "2")
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local n, path, headers
function init(args)
  n = tid
  path = wrk.path
  headers = {
    ["User-Agent"] = "Telegraf/1.39.3 Go/1.26.8",
    ["Content-Type"] = "application/json",
    ["Accept-Encoding"] = "gzip",
  }
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
end

local function agent_id(i)
  return string.format("5a1e0c3d-0000-4000-8000-%012x", i)
end

local log_entry = '{"time":"2026-11-27T07:20:43.266545801Z","level":"ERROR","source":"inputs.http::api",' ..
  '"attributes":{"alias":"api","category":"inputs","plugin":"http"},' ..
  '"message":"E! [inputs.http::api] received status 503 from http://10.0.0.5/health"}'

function request()
  local i = n % agents
  local round = math.floor(n / agents) + 2 -- the warm-up was round 1
  n = n + step
  local id = agent_id(i)
  local logged = ((i * 7919 + round) % 10000) < 100
  local body = '{"id":"' .. id .. '","version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"hostname":"host-' .. i ..
    '","configurations":["http://127.0.0.1:8888/api/configs/0c0f1a00-0000-4000-8000-0000000000' .. (10 + i % 20) ..
    '/toml?agent_id=' .. id .. '\\u0026region=eu"],"statistics":{"errors":' .. (logged and 1 or 0) ..
    ',"warnings":0,"metrics":' .. round .. '},"logs":[' .. (logged and log_entry or '') ..
    '],"status":"' .. (logged and 'WARN' or 'OK') .. '"}'
  return wrk.format("POST", path, headers, body)
end
