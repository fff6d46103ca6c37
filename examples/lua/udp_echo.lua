-- udp_echo.lua: UDP with callbacks: a server channel bound to ip:port
-- answers every datagram to its sender (dgramRecv / dgramSend), and a
-- client channel sends it a few datagrams and prints the answers.
--
--   luajit examples/lua/udp_echo.lua [ip] [port]    (default 127.0.0.1 8091; IPv6: ::1; port 0: any)
--
-- Expect five "reply from ...: echo: datagram N" lines, then exit status 0.
local mnet = require "mnet"

local ip, port = ...
ip, port = ip or "127.0.0.1", tonumber(port) or 8091

local server = mnet.openChann("udp")
assert(server:listen(ip, port))
port = server:addr().port
server:setCallback(function(s, event)
    if event ~= "event_recv" then return end
    while true do
        local data, from_ip, from_port = s:dgramRecv()
        if not data or data == "" then break end
        s:dgramSend("echo: " .. data, from_ip, from_port)
    end
end)

local client = mnet.openChann("udp")
local replies = 0
client:setCallback(function(c, event)
    if event == "event_recv" then
        local data, from_ip, from_port = c:dgramRecv()
        replies = replies + 1
        print(("reply from %s:%d: %s"):format(from_ip, from_port, data))
        if replies == 5 then
            c:close()
            server:close()
        end
    elseif event == "event_timer" then
        io.stderr:write("udp_echo: no answer within 2 s\n")
        os.exit(1)
    end
end)
client:activeEvent("event_timer", 2000) -- UDP may drop: give up after 2 s
for i = 1, 5 do assert(client:dgramSend("datagram " .. i, ip, port)) end
while mnet.poll(1000) do end
