-- Callbacks: a client sends 16 messages of growing size to an echo server
-- and gets each back, byte for byte, in order.
local T = require "helper"
local mnet = T.mnet

mnet.init()
local listener, port = T.listener(function(a) a:setCallback(T.echo) end)

local want, got, sent = {}, {}, 0
for i = 1, 16 do want[i] = T.pattern(i * 1000, i * 997) end
local expect = table.concat(want)
local client = assert(mnet.openChann("tcp"))
client:setCallback(function(c, event)
    if event == "event_connected" then
        for i = 1, #want do
            assert(c:send(want[i]))
            sent = sent + #want[i]
        end
    elseif event == "event_recv" then
        got[#got + 1] = c:recv()
    elseif event == "event_disconnect" then
        T.fail("the client was disconnected")
    end
end)
assert(client:connect("127.0.0.1", port))
local total = function() return #table.concat(got) end
T.poll_until(function() return total() >= #expect end, "the echo")
T.check(table.concat(got) == expect, "the echoed bytes differ")
T.check(client:recvBytes() == #expect and client:sendBytes() == sent, "byte counters: %s received, %s sent",
    tostring(client:recvBytes()), tostring(client:sendBytes()))
client:close()
listener:close()
T.poll_until(function() return mnet.channCount() == 0 end, "the server's side to close")
T.check(mnet.poll(0) == false, "poll returns false once every channel is closed")
mnet.fini()
T.pass("echo: 16 messages (%d bytes) came back byte for byte", #expect)
