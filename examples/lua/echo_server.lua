-- echo_server.lua: an echo server with callbacks (m_net's style).
--
--   luajit examples/lua/echo_server.lua [ip:port]     (default 127.0.0.1:8090; IPv6: [::1]:8090)
--   luajit examples/lua/echo_client.lua 127.0.0.1:8090 in another terminal
--
-- Prints each connection as it comes and goes; sends back whatever each
-- client sends. Runs until interrupted.
local mnet = require "mnet"

local addr = assert(mnet.parseIpPort((...) or "127.0.0.1:8090"))
local server = mnet.openChann("tcp")
local ok, err = server:listen(addr.ip, addr.port, 128)
if not ok then
    io.stderr:write("echo_server: ", err, "\n")
    os.exit(1)
end

local function on_client(c, event, _, msg)
    if event == "event_recv" then
        c:send(c:recv())
    elseif event == "event_disconnect" then
        local peer = c.peer
        print(("%s:%d left (%s)"):format(peer.ip, peer.port, msg.err == 0 and "closed" or "err " .. msg.err))
        c:close()
    end
end

server:setCallback(function(_, event, accept)
    if event == "event_accept" then
        accept.peer = accept:peerAddr() -- a channel is a table: keep what you like in it
        print(("%s:%d connected"):format(accept.peer.ip, accept.peer.port))
        accept:setCallback(on_client)
    end
end)
local here = server:addr()
print(("echo_server listening on %s:%d"):format(here.ip, here.port))
io.stdout:flush()
while mnet.poll(1000) do io.stdout:flush() end
