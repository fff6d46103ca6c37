-- The dispatch path allocates nothing: 100,000 rounds of poll + one
-- event_send message + its callback (which reads msg.event and msg.err)
-- leave the Lua heap where it was, with the collector stopped (LuaJIT:
-- message fields read through mnet_result_next's pointer, one reused msg
-- table; Lua 5.4: the C module pushes plain numbers).
local T = require "helper"
local mnet = T.mnet

local listener, port = T.listener(function(a) a:setCallback(function() end) end)
local c = assert(mnet.openChann("tcp"))
local sends, errs = 0, 0
c:setCallback(function(self, event, _, msg)
    if event == "event_send" then
        sends = sends + 1
        errs = errs + msg.err + (msg.event - 2)
    elseif event == "event_connected" then
        self:activeEvent("event_send", true)
    end
end)
assert(c:connect("127.0.0.1", port))
T.poll_until(function() return sends >= 1000 end, "1000 send events (warming up)")
collectgarbage()
collectgarbage("stop")
local before, from = collectgarbage("count"), sends
while sends < from + 100000 do mnet.poll(10) end
local per_round = (collectgarbage("count") - before) * 1024 / (sends - from)
collectgarbage("restart")
T.check(errs == 0, "msg fields were wrong")
T.check(per_round < 1, "%.2f bytes allocated per round", per_round)
c:close()
listener:close()
T.pass("hot path: %.3f bytes allocated per round over 100,000 rounds", per_round)
