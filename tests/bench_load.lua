-- wrk script for tests/bench_load.py: each request goes to the next of BENCH_PATHS (space-separated;
-- each thread takes every BENCH_THREADS-th, so no two threads ask for the same one), and with
-- BENCH_CHECKIN=1 it is a POST of a new check-in (a fresh client_uuid each time). Answers other than
-- 2xx are counted (wrk itself counts 3xx as fine), and done() prints one JSON line of results.

local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

local paths, step, index, checkin
bad = 0 -- global: done() reads it from each thread with thread:get

function init(args)
    paths = {}
    for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do
        table.insert(paths, p)
    end
    step = tonumber(os.getenv("BENCH_THREADS") or "1")
    index = id
    checkin = os.getenv("BENCH_CHECKIN") == "1"
    bad = 0
    math.randomseed(os.time() * 1000 + id * 7919)
end

local function hex(digits)
    local out = {}
    for i = 1, digits do
        out[i] = string.format("%x", math.random(0, 15))
    end
    return table.concat(out)
end

function request()
    local path = paths[(index % #paths) + 1]
    index = index + step
    if not checkin then
        return wrk.format("GET", path)
    end
    local uuid = hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-a" .. hex(3) .. "-" .. hex(12)
    local body = string.format(
        '{"client_uuid": "%s", "recorded_at": "%s", "pain": %d, "fatigue": %d}',
        uuid, os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 60), math.random(0, 10), math.random(0, 10)
    )
    return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
    if status < 200 or status > 299 then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local not_2xx = 0
    for _, thread in ipairs(threads) do
        not_2xx = not_2xx + thread:get("bad")
    end
    local e = summary.errors
    io.write(string.format(
        'BENCH {"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "not_2xx": %d, "socket_errors": %d}\n',
        summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), not_2xx,
        e.connect + e.read + e.write + e.timeout
    ))
end
