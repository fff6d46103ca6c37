-- Coroutine timeouts: receive, accept and connect give nil, "timeout" after
-- the socket's timeout (data kept for the next receive); sleep waits at
-- least its time; a socket without timeout waits as long as it takes.
local T = require "helper"
local mnet = T.mnet

local function elapsed_since(t0) return T.now_ms() - t0 end
local results = {}

local server = assert(mnet.listen("127.0.0.1", 0))
local _, port = server:getsockname()
local pending = 3 -- the parts below; the last to finish closes the server
local function finished()
    pending = pending - 1
    if pending == 0 then server:close() end
end

local function client(quiet_side)
    local sock = mnet.tcp()
    sock:settimeouts(1000, 1000, 50)
    assert(sock:connect("127.0.0.1", port))
    local t0 = T.now_ms()
    local data, err, partial = sock:receive(10)
    results.receive = { data, err, partial, elapsed_since(t0) }
    local quiet = quiet_side() -- accepted long before the timeout
    -- What arrives after the timeout is still there for the next receive.
    quiet:send("0123456789")
    results.later = sock:receive(10)
    sock:close()
    quiet:close()
    finished()
end

mnet.spawn(function()
    -- accept: nothing connects within 30 ms; then the client connects.
    server:settimeout(30)
    local t0 = T.now_ms()
    local s, err = server:accept()
    results.accept = { s, err, elapsed_since(t0) }
    server:settimeout(nil)
    local quiet
    mnet.spawn(client, function() return quiet end)
    quiet = assert(server:accept())
end)

mnet.spawn(function()
    -- connect: a TLS handshake with a listener that never answers.
    local silent = assert(mnet.openChann("tcp"))
    assert(silent:listen("127.0.0.1", 0))
    local held = {}
    silent:setCallback(function(_, event, accept)
        if not accept then return end
        accept:setCallback(function() end) -- adopted, and silent
        held[#held + 1] = accept
    end)
    local tls = mnet.tls({ insecure = true })
    tls:settimeout(50)
    local t0 = T.now_ms()
    local ok, err = tls:connect("127.0.0.1", silent:addr().port)
    results.connect = { ok, err, elapsed_since(t0), tls:channel():state() }
    tls:close()
    for _, ch in ipairs(held) do ch:close() end
    silent:close()
    finished()
end)

mnet.spawn(function()
    local t0 = T.now_ms()
    mnet.sleep(30)
    results.sleep = elapsed_since(t0)
    finished()
end)
mnet.run()

local a = results.accept
T.check(a[1] == nil and a[2] == "timeout" and a[3] >= 29 and a[3] < 2000, "accept: %s %s after %.1f ms",
    tostring(a[1]), tostring(a[2]), a[3])
local r = results.receive
T.check(r[1] == nil and r[2] == "timeout" and r[3] == "" and r[4] >= 49 and r[4] < 2000,
    "receive: %s %s after %.1f ms", tostring(r[1]), tostring(r[2]), r[4])
T.check(results.later == "0123456789", "the data after a timeout: %s", tostring(results.later))
local c = results.connect
T.check(c[1] == nil and c[2] == "timeout" and c[3] >= 49 and c[3] < 2000, "connect: %s %s after %.1f ms",
    tostring(c[1]), tostring(c[2]), c[3])
T.check(c[4] == "state_disconnect", "a timed-out connect leaves the channel %s", c[4])
T.check(results.sleep >= 29, "sleep(30) took %.1f ms", results.sleep)
T.pass("coroutine timeouts: accept %.0f ms, receive %.0f ms, connect %.0f ms, sleep %.0f ms", a[3], r[4], c[3],
    results.sleep)
