-- Coroutine sockets: a server spawns a coroutine per connection; 20 clients
-- run at once, each with lines ("*l"), byte counts (n), a list of strings
-- sent as one, then shutdown("send") and receive("*a") (half-close: the
-- server reads to the end and still answers).
local T = require "helper"
local mnet = T.mnet

local CLIENTS = 20
local server = assert(mnet.listen("127.0.0.1", 0))
local _, port = server:getsockname()

local function serve(sock)
    while true do
        local line, err = sock:receive("*l")
        if not line then
            T.check(err == "closed", "server receive: %s", tostring(err))
            break
        end
        if line == "rest" then
            local size = tonumber(assert(sock:receive("*l")))
            local block = assert(sock:receive(size))
            assert(sock:send({ "got ", tostring(#block), " bytes\n" }))
            local all = assert(sock:receive("*a")) -- to the client's FIN
            assert(sock:send("tail " .. #all))
            break
        end
        assert(sock:send(line:upper() .. "\r\n"))
    end
    sock:close()
end

mnet.spawn(function()
    for _ = 1, CLIENTS do
        local sock = assert(server:accept())
        mnet.spawn(serve, sock)
    end
    server:close()
end)

local done = 0
for i = 1, CLIENTS do
    mnet.spawn(function()
        local sock = mnet.tcp()
        assert(sock:connect("127.0.0.1", port))
        for j = 1, 5 do
            assert(sock:send(("line %d of client %d\n"):format(j, i)))
            local reply = assert(sock:receive())
            T.check(reply == ("LINE %d OF CLIENT %d"):format(j, i), "reply %s", reply)
        end
        local block = T.pattern(i, 100000 + i)
        assert(sock:send("rest\n" .. #block .. "\n" .. block))
        T.check(sock:receive("*l") == "got " .. #block .. " bytes", "the server's count")
        assert(sock:send(T.pattern(0, 5000)))
        assert(sock:shutdown("send"))
        local tail = assert(sock:receive("*a"))
        T.check(tail == "tail 5000", "after half-close: %s", tail)
        local again, err = sock:receive(1)
        T.check(again == nil and err == "closed", "receive after the end: %s %s", tostring(again), tostring(err))
        sock:close()
        done = done + 1
    end)
end
mnet.run()
T.check(done == CLIENTS, "%d of %d clients finished", done, CLIENTS)
T.check(mnet.channCount() == 0, "%d channels left", mnet.channCount())
T.pass("coroutine echo: %d clients at once: lines, byte counts, lists, half-close and *a", CLIENTS)
