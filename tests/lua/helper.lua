-- Shared helpers of the Lua tests (tests/lua/test_*.lua). Each test is one
-- behaviour, run by CTest under LuaJIT (FFI backend) and Lua 5.4 (C module):
--
--   local T = require "helper"
--   local mnet = T.mnet
--   ... T.poll_until(function() return done end, "the echo") ...
--   T.check(got == want, "echoed %d bytes", #want)
--   T.pass("echo: 16 messages came back byte for byte")
--
-- Everything runs on loopback and is bounded: T.poll_until fails the test
-- past its deadline, and CTest kills a test that runs past its timeout.
local T = {}

T.mnet = require "mnet"
local mnet = T.mnet

T.flavour = (rawget(_G, "jit") and "LuaJIT" or _VERSION) .. " (" .. mnet.backend .. " backend)"

-- Fails the test with a formatted message.
function T.fail(fmt, ...)
    io.stderr:write("FAIL [", T.flavour, "] ", fmt:format(...), "\n")
    os.exit(1)
end

function T.check(cond, fmt, ...)
    if not cond then T.fail(fmt, ...) end
end

-- Checks that a call returns nil and a message that contains `part`.
function T.check_nil_msg(part, what, v, msg)
    T.check(v == nil, "%s: expected nil, got %s", what, tostring(v))
    T.check(type(msg) == "string" and msg:find(part, 1, true), "%s: expected a message with '%s', got %s",
        what, part, tostring(msg))
end

-- Checks that fn(...) raises an error whose text contains `part`.
function T.check_raises(part, what, fn, ...)
    local ok, e = pcall(fn, ...)
    T.check(not ok, "%s: expected an error, it returned", what)
    T.check(tostring(e):find(part, 1, true), "%s: expected an error with '%s', got '%s'", what, part, tostring(e))
end

function T.pass(fmt, ...)
    print(("ok [%s] " .. fmt):format(T.flavour, ...))
    os.exit(0)
end

-- Milliseconds since an arbitrary start (mnet's monotonic clock).
function T.now_ms() return mnet.current() / 1000 end

-- Runs rounds until cond() is true; fails after `limit_ms` (default 10 s).
function T.poll_until(cond, what, limit_ms)
    local deadline = T.now_ms() + (limit_ms or 10000)
    while not cond() do
        if T.now_ms() > deadline then T.fail("timed out waiting for %s", what) end
        mnet.poll(20)
    end
end

-- A TCP listener on 127.0.0.1 (or `host`) at a free port whose accepted
-- channels get `on_accept(accept)`; returns the listener and its port.
function T.listener(on_accept, host)
    local l = assert(mnet.openChann("tcp"))
    local ok, e = l:listen(host or "127.0.0.1", 0, 1024)
    T.check(ok, "listen: %s", tostring(e))
    l:setCallback(function(_, event, accept)
        if event == "event_accept" then on_accept(accept) end
    end)
    return l, l:addr().port
end

-- An echo callback for accepted channels: sends back what arrives, closes
-- on disconnect.
function T.echo(c, event)
    if event == "event_recv" then
        local data = c:recv()
        if data ~= "" then c:send(data) end
    elseif event == "event_disconnect" then
        c:close()
    end
end

-- Connects a callback client to host:port, sends `text` and runs rounds
-- until the echo is back; returns the client channel, still open.
function T.echo_round_trip(host, port, text)
    local c = assert(mnet.openChann("tcp"))
    local reply = ""
    c:setCallback(function(self, event)
        if event == "event_connected" then
            self:send(text)
        elseif event == "event_recv" then
            reply = reply .. self:recv()
        elseif event == "event_disconnect" then
            T.fail("echo via %s:%d: connection lost (%s)", host, port, self:lastError())
        end
    end)
    assert(c:connect(host, port))
    T.poll_until(function() return reply == text end, "the echo via " .. host)
    return c
end

-- A deterministic byte stream (period 251, a prime, so a lost, repeated or
-- reordered chunk shows): pattern(offset, n) is bytes offset .. offset+n-1.
local period = 251
local unit
do
    local bytes = {}
    for i = 0, period - 1 do bytes[#bytes + 1] = string.char((i * 7 + 13) % 256) end
    unit = table.concat(bytes)
end
local long = unit:rep(math.ceil((period + 262144) / period))
function T.pattern(offset, n)
    local s = offset % period + 1
    if n <= #long - s + 1 then return long:sub(s, s + n - 1) end
    local parts, left = {}, n
    while left > 0 do
        local take = math.min(left, 262144)
        parts[#parts + 1] = T.pattern(offset + (n - left), take)
        left = left - take
    end
    return table.concat(parts)
end

-- Runs a Lua script (an example) in a process of its own, under the
-- interpreter running the test. Returns {pid, out (its stdout and stderr),
-- kill()}; kill() stops it by its PID and returns what it printed since.
function T.spawn_script(script, args)
    local interp = arg[-1]
    local cmd = ("exec %s %s %s"):format(interp, script, args or "")
    local p = io.popen("sh -c 'echo $$; " .. cmd:gsub("'", "'\\''") .. "' 2>&1", "r")
    local pid = tonumber(p:read("*l"))
    return {
        pid = pid,
        out = p,
        kill = function()
            os.execute("kill " .. pid .. " 2>/dev/null")
            local rest = p:read("*a")
            p:close()
            return rest
        end,
    }
end

return T
