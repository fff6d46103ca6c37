-- 256 clients each connect, exchange a message and disconnect, 5 times over
-- on the same channel (m_net's reconnect test): 1280 connections, each
-- accepted, answered and ended exactly once.
local T = require "helper"
local mnet = T.mnet

local CLIENTS, ROUNDS = 256, 5
mnet.init()
local accepted, server_closed = 0, 0
local listener, port = T.listener(function(a)
    accepted = accepted + 1
    a:setCallback(function(c, event)
        if event == "event_recv" then
            local data = c:recv()
            if data ~= "" then c:send(data) end
        elseif event == "event_disconnect" then
            server_closed = server_closed + 1
            c:close()
        end
    end)
end)

local finished, connects, failures = 0, 0, 0
for i = 1, CLIENTS do
    local left = ROUNDS
    local c = assert(mnet.openChann("tcp"))
    local msg = "client " .. i
    c:setCallback(function(self, event, _, m)
        if event == "event_connected" then
            connects = connects + 1
            assert(self:state() == "state_connected")
            self:send(msg)
        elseif event == "event_recv" then
            T.check(self:recv() == msg, "client %d got another message", i)
            self:disconnect()
            T.check(self:state() == "state_disconnect", "client %d: state after disconnect: %s", i, self:state())
            left = left - 1
            if left == 0 then
                finished = finished + 1
                self:close()
            else
                assert(self:connect("127.0.0.1", port))
            end
        elseif event == "event_disconnect" then
            failures = failures + 1
            T.fail("client %d lost its connection (err %d)", i, m.err)
        end
    end)
    assert(c:connect("127.0.0.1", port))
end
T.poll_until(function() return finished == CLIENTS and server_closed == CLIENTS * ROUNDS end,
    "every reconnect", 60000)
T.check(accepted == CLIENTS * ROUNDS and connects == CLIENTS * ROUNDS, "%d accepted, %d connected", accepted, connects)
listener:close()
T.check(mnet.channCount() == 0, "channels left open: %d", mnet.channCount())
T.pass("reconnect: %d clients x %d connections, each accepted, answered and ended once", CLIENTS, ROUNDS)
