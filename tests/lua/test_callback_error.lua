-- An error in a callback or a coroutine comes out of mnet.poll (mnet.run)
-- with its traceback, after the round's other messages were dispatched; the
-- loop goes on working. With an error handler set, the handler gets it and
-- nothing is raised.
local T = require "helper"
local mnet = T.mnet

mnet.init()
local function explode_in_callback() error("boom in a callback") end

-- Two timers due in the same round: the first raises, the second still runs.
local a, b = assert(mnet.openChann("tcp")), assert(mnet.openChann("tcp"))
local b_ticks = 0
a:setCallback(function() explode_in_callback() end)
b:setCallback(function() b_ticks = b_ticks + 1 end)
a:activeEvent("event_timer", 10)
b:activeEvent("event_timer", 10)
local raised
local deadline = T.now_ms() + 5000
while not raised and T.now_ms() < deadline do
    local ok, e = pcall(mnet.poll, 50)
    if not ok then raised = e end
end
T.check(raised, "the callback's error was not raised")
T.check(raised:find("boom in a callback", 1, true), "the error text: %s", raised)
T.check(raised:find("stack traceback", 1, true) and raised:find("explode_in_callback", 1, true),
    "no traceback naming the function in: %s", raised)
T.check(b_ticks >= 1, "the other timer of the round was not dispatched")
a:close()

-- The loop still works: an echo round trip.
local listener, port = T.listener(function(acc) acc:setCallback(T.echo) end)
local c = T.echo_round_trip("127.0.0.1", port, "still alive")

-- A handler takes the errors instead: nothing raised, every error seen.
local handled = {}
mnet.setErrorHandler(function(e) handled[#handled + 1] = e end)
b:setCallback(function() error({ code = 42 }) end)
T.poll_until(function() return #handled >= 2 end, "two errors handed to the handler")
T.check(type(handled[1]) == "table" and handled[1].code == 42, "an error object is handed on as it is")
b:close()

-- A coroutine's error goes to the handler too, with the coroutine's stack.
local function fails_in_coroutine()
    mnet.sleep(5)
    error("boom in a coroutine")
end
mnet.spawn(fails_in_coroutine)
T.poll_until(function() return #handled >= 3 end, "the coroutine's error")
local where = ":" .. debug.getinfo(fails_in_coroutine, "S").linedefined .. ">"
T.check(tostring(handled[3]):find("boom in a coroutine", 1, true) and
    tostring(handled[3]):find("stack traceback", 1, true) and tostring(handled[3]):find(where, 1, true),
    "coroutine error without the coroutine's traceback: %s", tostring(handled[3]))

-- Without a handler, mnet.run raises it.
mnet.setErrorHandler(nil)
c:close()
listener:close()
mnet.spawn(fails_in_coroutine)
local ok, e = pcall(mnet.run)
T.check(not ok and tostring(e):find("boom in a coroutine", 1, true), "mnet.run: %s", tostring(e))
T.check(mnet.run() == true, "mnet.run ends once nothing is left")
T.pass("errors: raised out of poll/run with tracebacks, the round finished, the loop still usable, or handled")
