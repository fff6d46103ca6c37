-- 64 MiB pumped through event_send (more data each time the send queue has
-- drained), checked byte for byte on the receiving side; the queue never
-- holds more than one chunk, and event_send stops once turned off.
local T = require "helper"
local mnet = T.mnet

local TOTAL = tonumber(os.getenv("MNET_RWDATA_BYTES")) or 64 * 1024 * 1024
local CHUNK = 256 * 1024
mnet.init()

local received, bad_at = 0, nil
local listener, port = T.listener(function(a)
    a:setCallback(function(c, event)
        if event == "event_recv" then
            local data = c:recv()
            if not bad_at and data ~= T.pattern(received, #data) then bad_at = received end
            received = received + #data
        elseif event == "event_disconnect" then
            c:close()
        end
    end)
end)

local sent, sends_after_off, max_cached = 0, 0, 0
local client = assert(mnet.openChann("tcp"))
client:setCallback(function(c, event)
    if event == "event_connected" then
        assert(c:activeEvent("event_send", true))
    elseif event == "event_send" then
        if sent >= TOTAL then
            sends_after_off = sends_after_off + 1
            return
        end
        local cached = c:cachedSize()
        if cached > max_cached then max_cached = cached end
        local n = math.min(CHUNK, TOTAL - sent)
        assert(c:send(T.pattern(sent, n)))
        sent = sent + n
        if sent >= TOTAL then c:activeEvent("event_send", false) end
    elseif event == "event_disconnect" then
        T.fail("the sender was disconnected")
    end
end)
assert(client:connect("127.0.0.1", port))
T.poll_until(function() return received >= TOTAL end, "the whole transfer", 120000)
T.check(not bad_at, "the bytes at offset %s differ", tostring(bad_at))
T.check(received == TOTAL, "received %d of %d bytes", received, TOTAL)
T.check(max_cached == 0, "event_send came with %d bytes still queued", max_cached)
for _ = 1, 5 do mnet.poll(1) end
T.check(sends_after_off == 0, "event_send came %d times after it was turned off", sends_after_off)
client:close()
listener:close()
T.pass("rwdata: %d MiB through event_send, checked byte for byte", math.floor(TOTAL / 1048576))
