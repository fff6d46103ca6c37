-- echo_client.lua: an echo client with callbacks: sends a few lines to an
-- echo server (echo_server.lua or co_echo_server.lua), checks each comes
-- back, prints them, and exits when done.
--
--   luajit examples/lua/echo_client.lua [ip:port] [count]   (default 127.0.0.1:8090, 5)
--
-- Expect: "sent 5 lines, 5 came back" and exit status 0.
local mnet = require "mnet"

local ipport, count = ...
local addr = assert(mnet.parseIpPort(ipport or "127.0.0.1:8090"))
count = tonumber(count) or 5

local client = mnet.openChann("tcp")
local sent, received, pending = 0, 0, ""
client:setCallback(function(c, event, _, msg)
    if event == "event_connected" then
        for i = 1, count do
            c:send(("line %d from %s\n"):format(i, mnet.backend))
            sent = sent + 1
        end
    elseif event == "event_recv" then
        pending = pending .. c:recv()
        for line in pending:gmatch("([^\n]*)\n") do
            received = received + 1
            print("echo: " .. line)
        end
        pending = pending:match("[^\n]*$")
        if received == count then c:close() end
    elseif event == "event_disconnect" then
        io.stderr:write("echo_client: connection lost: ", c:lastError() ~= "" and c:lastError() or
            ("err " .. msg.err), "\n")
        c:close()
    end
end)
local ok, err = client:connect(addr.ip, addr.port)
if not ok then
    io.stderr:write("echo_client: ", err, "\n")
    os.exit(1)
end
while mnet.poll(1000) do end
print(("sent %d lines, %d came back"):format(sent, received))
os.exit(received == count and 0 or 1)
