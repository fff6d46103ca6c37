-- UDP: a bound channel receives datagrams with their sender's address
-- (IPv4 and IPv6) and answers each sender with dgramSend; a "connected"
-- UDP channel sends with send() and reads with recv().
local T = require "helper"
local mnet = T.mnet

mnet.init()
local function udp_round_trip(host)
    local server = assert(mnet.openChann("udp"))
    assert(server:listen(host, 0))
    local port = server:addr().port
    local from_ip, from_port
    server:setCallback(function(s, event)
        if event ~= "event_recv" then return end
        local data, ip, port_ = s:dgramRecv()
        while data and data ~= "" do
            from_ip, from_port = ip, port_
            assert(s:dgramSend("re:" .. data, ip, port_))
            data, ip, port_ = s:dgramRecv()
        end
    end)

    local client = assert(mnet.openChann("udp"))
    local replies = {}
    client:setCallback(function(c, event)
        if event ~= "event_recv" then return end
        local data, ip, port_ = c:dgramRecv()
        while data and data ~= "" do
            T.check(ip == host and port_ == port, "a reply from %s:%s", tostring(ip), tostring(port_))
            replies[#replies + 1] = data
            data, ip, port_ = c:dgramRecv()
        end
    end)
    for i = 1, 10 do assert(client:dgramSend("datagram " .. i, host, port)) end
    T.poll_until(function() return #replies == 10 end, "10 replies over " .. host)
    table.sort(replies)
    T.check(replies[1] == "re:datagram 1", "first reply: %s", replies[1])
    local mine = client:addr()
    T.check(from_ip == host and from_port == mine.port, "the server saw %s:%s, the client is %s:%s",
        tostring(from_ip), tostring(from_port), mine.ip, mine.port)
    client:close()

    -- connect() fixes the destination: send() and recv() then work.
    local connected = assert(mnet.openChann("udp"))
    assert(connected:connect(host, port))
    T.check(connected:state() == "state_connected", "a connected UDP channel is %s", connected:state())
    local reply
    connected:setCallback(function(c, event)
        if event == "event_recv" then reply = c:recv() end
    end)
    assert(connected:send("hello"))
    T.poll_until(function() return reply end, "the reply to a connected UDP channel")
    T.check(reply == "re:hello", "reply: %s", tostring(reply))
    connected:close()
    server:close()
end

udp_round_trip("127.0.0.1")
udp_round_trip("::1")
T.pass("udp: datagrams and senders over IPv4 and IPv6, bound and connected channels")
