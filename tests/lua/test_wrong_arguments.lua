-- Wrong argument types and counts raise Lua errors that name the argument
-- and the function; a wrong `self` says how to call the method; a closed
-- channel's methods return nil, "closed channel"; failures the program
-- cannot rule out (a bad address, a busy port) are nil and a message.
local T = require "helper"
local mnet = T.mnet

mnet.init()
local c = assert(mnet.openChann("tcp"))
local raises = {
    { "bad argument #1 to 'openChann' (unknown channel type 'sctp'", mnet.openChann, "sctp" },
    { "bad argument #1 to 'openChann' (string expected, got number)", mnet.openChann, 1 },
    { "bad argument #1 to 'poll' (integer expected, got nil)", mnet.poll },
    { "bad argument #1 to 'poll' (-1 out of range", mnet.poll, -1 },
    { "bad argument #2 to 'poll' (no value expected", mnet.poll, 1, 2 },
    { "bad argument #1 to 'parseIpPort' (string expected, got table)", mnet.parseIpPort, {} },
    { "bad argument #2 to 'listen' (integer expected, got string)", c.listen, c, "127.0.0.1", "80" },
    { "bad argument #2 to 'listen' (70000 out of range", c.listen, c, "127.0.0.1", 70000 },
    { "bad argument #1 to 'listen' (string expected, got number)", c.listen, c, 127, 80 },
    { "bad argument #1 to 'connect' (string expected, got nil)", c.connect, c },
    { "bad argument #2 to 'connect' (integer expected, got 1.5)", c.connect, c, "127.0.0.1", 1.5 },
    { "bad argument #3 to 'connect' (no value expected", c.connect, c, "127.0.0.1", 80, "extra" },
    { "bad argument #1 to 'setCallback' (function expected, got string)", c.setCallback, c, "f" },
    { "bad argument #1 to 'activeEvent' ('event_bogus'", c.activeEvent, c, "event_bogus", 1 },
    { "bad argument #2 to 'activeEvent' (integer expected, got nil)", c.activeEvent, c, "event_timer" },
    { "bad argument #1 to 'send' (string expected, got nil)", c.send, c },
    { "bad argument #1 to 'send' (string expected, got table)", c.send, c, {} },
    { "bad argument #1 to 'recv' (no value expected", c.recv, c, 10 },
    { "bad argument #3 to 'dgramSend' (integer expected, got nil)", c.dgramSend, c, "x", "127.0.0.1" },
    { "bad argument #1 to 'setIdleTimeout' (integer expected, got boolean)", c.setIdleTimeout, c, true },
    { "bad argument #1 to 'setHalfClose' (boolean expected, got number)", c.setHalfClose, c, 1 },
    { "bad argument #1 to 'tlsConfig' (unknown option 'certfile')", mnet.tlsConfig, { certfile = "x" } },
    { "bad argument #1 to 'tlsConfig' (a certificate needs its key", mnet.tlsConfig, { cert = "x.crt" } },
    { "bad argument #2 to 'extConfig' (TLS settings expected", mnet.extConfig, "tls", 12345 },
    { "bad argument #1 to 'setTls' (TLS settings expected", c.setTls, c, "ctx" },
    { "bad argument #1 to 'setErrorHandler' (function expected", mnet.setErrorHandler, 3 },
    { "bad self to 'recv' (channel expected, got string): call it as chann:recv(...)", c.recv, "not a channel" },
    { "bad self to 'send' (channel expected, got table)", c.send, {}, "x" },
    { "bad self to 'close' (channel expected, got table)", c.close, {} },
    { "bad argument #1 to 'spawn' (function expected, got nil)", mnet.spawn },
    { "bad argument #1 to 'sleep' (milliseconds >= 0 expected", mnet.sleep, "soon" },
    { "mnet.sleep waits, so it must run in a coroutine", mnet.sleep, 1 },
    { "bad argument #1 to 'receive' (a byte count, '*l' or '*a' expected, got *x)", function()
        local s = mnet.tcp()
        s:receive("*x")
    end },
    { "sock:accept waits, so it must run in a coroutine", function()
        local server = assert(mnet.listen("127.0.0.1", 0))
        local ok, e = pcall(server.accept, server)
        server:close()
        error(e, 0)
    end },
    { "bad argument #1 to 'settimeout' (milliseconds", function() mnet.tcp():settimeout("1s") end },
    { "bad self to 'connect' (socket expected, got table)", function()
        local s = mnet.tcp()
        s.connect({}, "127.0.0.1", 1)
    end },
    { "bad argument #3 to 'listen' (backlog or options expected", mnet.listen, "127.0.0.1", 0, "x" },
}
local unpack = table.unpack or unpack
for i, case in ipairs(raises) do
    T.check_raises(case[1], "case " .. i, select(2, unpack(case)))
end

-- The position of an argument error is the caller's line, not mnet's.
local ok, e = pcall(function() c:listen("127.0.0.1", "x") end)
T.check(not ok and e:find("test_wrong_arguments.lua:", 1, true), "the error points into mnet: %s", e)

-- Failures the program cannot rule out: nil and a message.
T.check_nil_msg("", "connect to a malformed address", c:connect("[::1", 80))
local busy = assert(mnet.openChann("tcp"))
assert(busy:listen("127.0.0.1", 0))
local other = assert(mnet.openChann("tcp"))
T.check_nil_msg("", "listen on a busy port", other:listen("127.0.0.1", busy:addr().port))
T.check_nil_msg("is not 'ip:port'", "parseIpPort without a port", mnet.parseIpPort("127.0.0.1"))
T.check_nil_msg("", "tlsConfig with a missing file", mnet.tlsConfig({ ca = "/nonexistent/ca.crt" }))

-- A closed channel: nil, "closed channel" from every method but close/state.
c:close()
for _, m in ipairs({ "recv", "channFd", "channType", "disconnect", "cachedSize", "recvBytes", "sendBytes",
                     "addr", "peerAddr", "dgramRecv", "lastError", "shutdownWrite" }) do
    T.check_nil_msg("closed channel", m .. " on a closed channel", c[m](c))
end
T.check_nil_msg("closed channel", "send", c:send("x"))
T.check_nil_msg("closed channel", "listen", c:listen("127.0.0.1", 0))
T.check_nil_msg("closed channel", "connect", c:connect("127.0.0.1", 1))
T.check_nil_msg("closed channel", "setCallback", c:setCallback(function() end))
T.check_nil_msg("closed channel", "activeEvent", c:activeEvent("event_timer", 10))
T.check_nil_msg("closed channel", "setIdleTimeout", c:setIdleTimeout(10))
T.check(c:close() == true and c:state() == "state_closed", "close and state on a closed channel")
T.pass("wrong arguments: %d misuses raise errors naming the argument; closed channels answer nil + message",
    #raises)
