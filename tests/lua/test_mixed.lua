-- Callbacks and coroutines in one program, on one loop: a coroutine client
-- of a callback server, a callback client of a coroutine server, and a
-- coroutine sleeping meanwhile; mnet.run ends when all of them are done.
local T = require "helper"
local mnet = T.mnet

local done = {}
local cb_server, cb_port = T.listener(function(a) a:setCallback(T.echo) end)
mnet.spawn(function()
    local s = mnet.tcp()
    assert(s:connect("127.0.0.1", cb_port))
    assert(s:send("from a coroutine\n"))
    done.co_client = s:receive()
    s:close()
    cb_server:close()
end)

local co_server = assert(mnet.listen("127.0.0.1", 0))
local _, co_port = co_server:getsockname()
mnet.spawn(function()
    local s = assert(co_server:accept())
    local line = s:receive()
    s:send(line:upper() .. "\n")
    s:close()
    co_server:close()
end)
local cb_client = assert(mnet.openChann("tcp"))
local reply = ""
cb_client:setCallback(function(self, event)
    if event == "event_connected" then self:send("from a callback\n") end
    if event == "event_recv" then reply = reply .. self:recv() end
    if event == "event_disconnect" then
        done.cb_client = reply
        self:close()
    end
end)
assert(cb_client:connect("127.0.0.1", co_port))

mnet.spawn(function()
    mnet.sleep(20)
    done.slept = true
end)
mnet.run()
T.check(done.co_client == "from a coroutine", "coroutine client: %s", tostring(done.co_client))
T.check(done.cb_client == "FROM A CALLBACK\n", "callback client: %s", tostring(done.cb_client))
T.check(done.slept, "the sleeping coroutine finished")
T.pass("mixed: callbacks and coroutines on one loop, mnet.run ends when all are done")
