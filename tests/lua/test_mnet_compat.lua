-- m_net's Lua programs run unchanged: its module names resolve to mnet,
-- Core.poll's answer works both as m_net loops use it (a count compared
-- with 0) and as a condition (false once nothing is open), recv() returns
-- "" when nothing waits, sendByes (sic) exists, Core.setBufSize sizes the
-- receive buffer. Beyond m_net's bindings: an event before setCallback is
-- dropped, not an error, and unread data waits for the callback without
-- spinning the loop.
local T = require "helper"
local Core = require(rawget(_G, "jit") and "ffi-mnet" or "mnet-chann")

T.check(Core == require "mnet" and Core == require "ffi-mnet" and Core == require "mnet-chann",
    "ffi-mnet, mnet-chann and mnet are one module")
T.check(Core.init() and type(Core.version()) == "number" and Core.current() > 0, "init, version, current")

local listener, port = T.listener(function(a) a:setCallback(T.echo) end)
local c = Core.openChann()
T.check(c:channType() == "tcp", "openChann() opens tcp")
assert(c:connect("127.0.0.1", port))
T.check(c:recv() == nil, "recv before connect is nil and a message")

-- No callback yet: the connect and the echo wait, nothing raises, and the
-- loop does not spin on the unread reply.
local rounds = 0
local t0 = T.now_ms()
while T.now_ms() - t0 < 100 do
    local n = Core.poll(50)
    T.check(type(n) == "number" and n > 0, "Core.poll's count: %s", tostring(n))
    rounds = rounds + 1
    if rounds == 2 then c:send("waiting") end
end
T.check(rounds < 40, "%d rounds in 100 ms: the loop spun on unread data", rounds)

local got = ""
c:setCallback(function(self, eventName, accept, msg)
    T.check(accept == nil and type(msg) == "table" and msg.event == 1 and msg.err == 0, "callback arguments")
    if eventName == "event_recv" then
        local buf = self:recv()
        got = got .. buf
        T.check(self:recv() == "", "recv is \"\" once drained")
    end
end)
T.poll_until(function() return got == "waiting" end, "the data that waited for the callback")
T.check(c:sendByes() == 7 and c:sendBytes() == 7 and c:recvBytes() == 7, "byte counters")
T.check(c:state() == "state_connected" and listener:state() == "state_listening", "state names")
T.check(c:setSocketBufSize(65536) and Core.CHANN_TYPE_TLS == 4 and Core.CHANN_EVENT_TIMER == 6,
    "mnet-chann.lua's setSocketBufSize and constants")

Core.setBufSize(64, 3)
c:send("0123456789")
local pieces = {}
c:setCallback(function(self, e) if e == "event_recv" then pieces[#pieces + 1] = self:recv() end end)
T.poll_until(function() return #table.concat(pieces) == 10 end, "the reply read 64 bytes at a time")
Core.setBufSize(64, 65536)

c:close()
listener:close()
T.poll_until(function() return Core.channCount() == 0 end, "every channel closed")
T.check(Core.poll(0) == false, "Core.poll is false once nothing is open")
Core.fini()
T.pass("m_net compatibility: module names, poll's count, recv \"\", events before setCallback wait")
