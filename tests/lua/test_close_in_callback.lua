-- Closing channels inside callbacks: a channel closing itself, a callback
-- closing another channel whose messages wait in the same round (none
-- reaches it), a listener closing itself in event_accept. The closed
-- channels' methods then return nil, "closed channel"; close() again is
-- harmless.
local T = require "helper"
local mnet = T.mnet

mnet.init()
local after_close = {}
local function note(ch, event) after_close[#after_close + 1] = tostring(ch) .. " " .. event end

-- Two server-side channels; whichever gets data first closes itself and
-- the other, although the other has a RECV waiting in the same round.
local served = {}
local listener, port = T.listener(function(a)
    served[#served + 1] = a
    a:setCallback(function(self, event)
        if self.closed_by_callback then return note(self, event) end
        if event == "event_recv" and #served == 2 then
            for _, s in ipairs(served) do
                s:close()
                s.closed_by_callback = true
            end
        end
    end)
end)

local clients = {}
for i = 1, 2 do
    local c = assert(mnet.openChann("tcp"))
    clients[i] = { c = c }
    c:setCallback(function(self, event)
        if event == "event_disconnect" then clients[i].gone = true end
    end)
    assert(c:connect("127.0.0.1", port))
end
T.poll_until(function() return #served == 2 end, "two accepts")
for i = 1, 2 do assert(clients[i].c:send("both at once")) end
T.poll_until(function() return clients[1].gone and clients[2].gone end, "both clients to see the close")
T.check(#after_close == 0, "events after close: %s", table.concat(after_close, ", "))
for _, s in ipairs(served) do
    T.check_nil_msg("closed channel", "recv on a closed channel", s:recv())
    T.check_nil_msg("closed channel", "send on a closed channel", s:send("x"))
    T.check(s:close() == true, "close twice")
    T.check(s:state() == "state_closed", "a closed channel's state is %s", s:state())
end

-- A channel closing itself in its own callback (here on connect).
local self_closed = assert(mnet.openChann("tcp"))
local events = 0
self_closed:setCallback(function(self, event)
    events = events + 1
    self:close()
end)
assert(self_closed:connect("127.0.0.1", port))
T.poll_until(function() return events > 0 end, "the self-closing channel's first event")
for _ = 1, 5 do mnet.poll(1) end
T.check(events == 1, "%d events reached a channel that closed itself", events)

-- A listener closing itself in event_accept: later connects are refused.
local accepts = 0
listener:setCallback(function(self, event, accept)
    accepts = accepts + 1
    accept:setCallback(T.echo)
    self:close()
end)
local late = { }
for i = 1, 2 do
    local c = assert(mnet.openChann("tcp"))
    c:setCallback(function(_, event) late[i] = event end)
    assert(c:connect("127.0.0.1", port))
    T.poll_until(function() return late[i] end, "connect " .. i)
end
T.check(accepts == 1, "%d accepts after the listener closed itself", accepts)
T.check(late[1] == "event_connected" and late[2] == "event_disconnect", "connects: %s, %s", late[1], late[2])
T.pass("close in callbacks: self, another with queued messages, a listener; nothing after close")
