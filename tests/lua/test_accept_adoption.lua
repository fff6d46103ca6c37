-- event_accept hands the listener's callback a registered, connected
-- channel. Giving it a callback adopts it (its events follow); one the
-- callback neither adopts nor closes is closed when the callback returns,
-- as is every connection to a listener without a callback.
local T = require "helper"
local mnet = T.mnet

mnet.init()
local seen = {}
local listener = assert(mnet.openChann("tcp"))
assert(listener:listen("127.0.0.1", 0))
local port = listener:addr().port
local adopt = true
listener:setCallback(function(self, event, accept, msg)
    T.check(event == "event_accept" and msg.event == 3, "listener event %s", event)
    T.check(getmetatable(accept) == getmetatable(self), "accept is a channel")
    T.check(accept:state() == "state_connected", "accept is %s", accept:state())
    T.check(accept:channType() == "tcp", "accept type %s", tostring(accept:channType()))
    local peer = accept:peerAddr()
    T.check(peer.ip == "127.0.0.1" and peer.port > 0, "accept's peer %s:%s", peer.ip, peer.port)
    seen[#seen + 1] = { count = mnet.channCount(), peer = peer.port }
    if adopt then accept:setCallback(T.echo) end
end)

local function client()
    local c = assert(mnet.openChann("tcp"))
    local st = { c = c }
    c:setCallback(function(self, event)
        if event == "event_connected" then
            st.connected = true
            self:send("ping")
        elseif event == "event_recv" then
            st.reply = (st.reply or "") .. self:recv()
        elseif event == "event_disconnect" then
            st.closed = true
        end
    end)
    assert(c:connect("127.0.0.1", port))
    return st
end

-- Adopted: the echo answers.
local a = client()
T.poll_until(function() return a.reply == "ping" end, "the adopted channel's echo")
T.check(#seen == 1 and seen[1].count == 3, "channels counted during the callback: %s", tostring(seen[1].count))
T.check(seen[1].peer == a.c:addr().port, "the accepted channel's peer is the client")

-- Not adopted: closed after the callback.
adopt = false
local b = client()
T.poll_until(function() return b.closed end, "the unadopted channel to be closed")
T.check(b.reply == nil, "the unadopted channel answered")
T.check(mnet.channCount() == 4, "open channels: %d (listener, adopted, two clients)", mnet.channCount())

-- No callback on the listener: each connection is closed.
listener:setCallback(nil)
local c = client()
T.poll_until(function() return c.closed end, "a connection to a listener without callback to be closed")

a.c:close()
b.c:close()
c.c:close()
listener:close()
T.poll_until(function() return mnet.channCount() == 0 end, "the adopted channel to see its peer go")
T.pass("accept: registered before the callback, adopted by setCallback, closed when left alone")
