-- Idle timeouts: a channel with setIdleTimeout(ms) that sees no traffic is
-- ended with event_disconnect, err ETIMEDOUT, after about ms (traffic
-- restarts the count); a coroutine socket with the idle_timeout option gets
-- the same end as nil and a message from receive.
local T = require "helper"
local mnet = T.mnet

local ETIMEDOUT = 110 -- Linux
local ended, ended_at, pings = nil, nil, 0
local listener, port = T.listener(function(a)
    assert(a:setIdleTimeout(80))
    a:setCallback(function(self, event, _, msg)
        if event == "event_recv" then
            self:recv()
            pings = pings + 1
        elseif event == "event_disconnect" then
            ended, ended_at = msg.err, T.now_ms()
            self:close()
        end
    end)
end)

-- The client pings every 40 ms three times (each resets the count), then
-- goes quiet.
local c = assert(mnet.openChann("tcp"))
local sent, last_sent = 0, nil
c:setCallback(function(self, event)
    if event == "event_connected" then
        self:activeEvent("event_timer", 40)
    elseif event == "event_timer" then
        if sent < 3 then
            sent = sent + 1
            last_sent = T.now_ms()
            self:send("ping")
        else
            self:activeEvent("event_timer", 0)
        end
    end
end)
assert(c:connect("127.0.0.1", port))
T.poll_until(function() return ended end, "the idle timeout", 5000)
T.check(pings == 3, "%d pings arrived before the timeout", pings)
T.check(ended == ETIMEDOUT, "event_disconnect err %s, expected ETIMEDOUT", tostring(ended))
local quiet = ended_at - last_sent
T.check(quiet >= 79 and quiet < 2000, "ended %.1f ms after the last ping", quiet)
c:close()

local co_err
mnet.spawn(function()
    local s = mnet.tcp()
    assert(s:connect("127.0.0.1", port))
    assert(s:setoption("idle_timeout", 50))
    local data, err = s:receive()
    co_err = err
    s:close()
    listener:close()
end)
mnet.run()
T.check(co_err and co_err ~= "closed" and co_err ~= "timeout", "coroutine idle end: %s", tostring(co_err))
T.pass("idle timeout: ETIMEDOUT %.0f ms after the last traffic; coroutine receive: %s", quiet, co_err)
