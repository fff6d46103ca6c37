-- activeEvent("event_timer", ms) arms a repeating timer (m_net's binding
-- armed event_send instead): it ticks every ms on a channel that has no
-- socket yet, without drifting; re-arming restarts it, 0 stops it.
local T = require "helper"
local mnet = T.mnet

mnet.init()
local ticks, at = 0, {}
local c = assert(mnet.openChann("tcp"))
c:setCallback(function(_, event)
    T.check(event == "event_timer", "a %s event on a channel with only a timer", event)
    ticks = ticks + 1
    at[ticks] = T.now_ms()
end)
local start = T.now_ms()
assert(c:activeEvent("event_timer", 20))
T.poll_until(function() return ticks >= 10 end, "10 ticks of 20 ms", 5000)
local elapsed = at[10] - start
T.check(elapsed >= 199, "10 ticks of 20 ms took only %.1f ms", elapsed)
T.check(elapsed < 600, "10 ticks of 20 ms took %.1f ms (drifting?)", elapsed)

-- Stopped: no tick in the next 100 ms.
assert(c:activeEvent("event_timer", 0))
local stopped_at = ticks
local t0 = T.now_ms()
while T.now_ms() - t0 < 100 do mnet.poll(10) end
T.check(ticks == stopped_at, "the stopped timer ticked %d more times", ticks - stopped_at)

-- Two channels, two periods.
local fast, slow = 0, 0
local f = assert(mnet.openChann("udp"))
f:setCallback(function() fast = fast + 1 end)
f:activeEvent("event_timer", 5)
c:setCallback(function() slow = slow + 1 end)
c:activeEvent("event_timer", 50)
T.poll_until(function() return slow >= 2 end, "two ticks of 50 ms", 5000)
T.check(fast >= 10, "the 5 ms timer ticked %d times during two 50 ms ticks", fast)
f:close()
c:close()
T.check(mnet.poll(0) == false, "nothing left after closing the timers' channels")
T.pass("timers: 10 ticks of 20 ms in %.1f ms, stop, and two periods side by side", elapsed)
