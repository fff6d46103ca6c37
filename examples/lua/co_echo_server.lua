-- co_echo_server.lua: an echo server with coroutine sockets: one coroutine
-- accepts, one coroutine per connection reads lines and sends them back.
--
--   luajit examples/lua/co_echo_server.lua [host] [port]   (default 127.0.0.1 8090)
--   luajit examples/lua/echo_client.lua 127.0.0.1:8090
--
-- A connection quiet for 30 s is closed (receive times out). Runs until
-- interrupted.
local mnet = require "mnet"

local host, port = ...
host, port = host or "127.0.0.1", tonumber(port) or 8090

local function serve(sock)
    sock:settimeout(30000)
    local ip, p = sock:getpeername()
    print(("%s:%d connected"):format(ip, p))
    while true do
        local line, err = sock:receive("*l")
        if not line then
            print(("%s:%d: %s"):format(ip, p, err))
            break
        end
        sock:send(line .. "\n")
    end
    sock:close()
end

local server, err = mnet.listen(host, port)
if not server then
    io.stderr:write("co_echo_server: ", err, "\n")
    os.exit(1)
end
print(("co_echo_server listening on %s:%d"):format(server:getsockname()))
io.stdout:flush()
mnet.spawn(function()
    while true do
        local sock = assert(server:accept())
        mnet.spawn(serve, sock)
        io.stdout:flush()
    end
end)
mnet.run()
