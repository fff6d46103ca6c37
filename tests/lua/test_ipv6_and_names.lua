-- Addresses beyond m_net's IPv4: a listener on ::1 and a client connecting
-- to it, both seeing IPv6 addresses (addr, peerAddr); a host
-- name ("localhost") resolved on the loop by connect, with callbacks and
-- with a coroutine socket; parseIpPort on "[v6]:port".
local T = require "helper"
local mnet = T.mnet

-- IPv6 with callbacks.
local peer_seen
local l6, port6 = T.listener(function(a)
    peer_seen = a:peerAddr()
    a:setCallback(T.echo)
end, "::1")
T.check(l6:addr().ip == "::1", "the IPv6 listener is on %s", l6:addr().ip)
local c6 = T.echo_round_trip("::1", port6, "over v6")
T.check(c6:peerAddr().ip == "::1" and c6:peerAddr().port == port6, "client's peer %s", c6:peerAddr().ip)
T.check(peer_seen.ip == "::1" and peer_seen.port == c6:addr().port, "server's peer %s:%s", peer_seen.ip,
    peer_seen.port)
c6:close()

-- A name resolved on the loop ("localhost": /etc/hosts, 127.0.0.1 first,
-- so no DNS traffic leaves the machine).
local l4, port4 = T.listener(function(a) a:setCallback(T.echo) end, "127.0.0.1")
local by_name
local cn = assert(mnet.openChann("tcp"))
cn:setCallback(function(self, event)
    if event == "event_connected" then self:send("by name") end
    if event == "event_recv" then by_name = self:recv() end
    if event == "event_disconnect" then by_name = "refused: " .. self:lastError() end
end)
assert(cn:connect("localhost", port4))
T.check(cn:state() == "state_connecting", "connect to a name returns at once (%s)", cn:state())
T.poll_until(function() return by_name end, "the connect by name")
T.check(by_name == "by name", "connect by name: %s", by_name)
cn:close()

-- The same with a coroutine socket.
local co_result
mnet.spawn(function()
    local s = mnet.tcp()
    assert(s:connect("localhost", port4))
    local ip = s:getpeername()
    assert(s:send("co\n"))
    co_result = s:receive() .. " via " .. ip
    s:close()
    l4:close()
    l6:close()
end)
mnet.run()
T.check(co_result == "co via 127.0.0.1", "coroutine by name: %s", tostring(co_result))

local a = mnet.parseIpPort("[::1]:8080")
T.check(a and a.ip == "::1" and a.port == 8080, "parseIpPort [::1]:8080")
a = mnet.parseIpPort(":80")
T.check(a and a.ip == "0.0.0.0" and a.port == 80, "parseIpPort :80")
T.pass("ipv6 and names: ::1 at both ends, 'localhost' resolved on the loop by callbacks and coroutines")
