-- Half-close with callbacks: a server channel with setHalfClose(true) gets
-- the client's data, then event_eof (not event_disconnect) when the client
-- calls shutdownWrite(), and can still answer; the client reads the answer,
-- then sees the server's close as event_disconnect (err 0). (The server's
-- own event_disconnect, if any, comes after both halves are closed.)
local T = require "helper"
local mnet = T.mnet

local server_events, received = {}, {}
local listener, port = T.listener(function(a)
    assert(a:setHalfClose(true))
    a:setCallback(function(self, event)
        server_events[#server_events + 1] = event
        if event == "event_recv" then
            received[#received + 1] = self:recv()
        elseif event == "event_eof" then
            assert(self:send("you sent " .. #table.concat(received) .. " bytes"))
            assert(self:shutdownWrite())
        elseif event == "event_disconnect" then
            self:close()
        end
    end)
end)

local answer, client_end = "", nil
local c = assert(mnet.openChann("tcp"))
c:setCallback(function(self, event, _, msg)
    if event == "event_connected" then
        assert(self:send(("x"):rep(3000)))
        assert(self:shutdownWrite())
        T.check_nil_msg("", "send after shutdownWrite", self:send("late"))
    elseif event == "event_recv" then
        answer = answer .. self:recv()
    elseif event == "event_disconnect" then
        client_end = msg.err
    end
end)
assert(c:connect("127.0.0.1", port))
T.poll_until(function() return client_end end, "the end of the exchange")
T.check(answer == "you sent 3000 bytes", "answer after half-close: %s", answer)
T.check(client_end == 0, "the client saw err %s", tostring(client_end))
local seen = table.concat(server_events, " ")
local eof_at, end_at = seen:find("event_eof", 1, true), seen:find("event_disconnect", 1, true)
T.check(eof_at and (not end_at or end_at > eof_at), "server events: %s", seen)
c:close()
listener:close()
T.pass("half-close: data, event_eof, an answer after the peer's FIN, then a clean end")
