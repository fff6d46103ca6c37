-- mnet.coro: coroutine sockets on mnet's loop, in the style of OpenResty's
-- cosockets, added to the table mnet.core returns:
--
--   mnet.spawn(fn, ...)    runs fn in a new coroutine until it first waits
--   mnet.run()             runs the loop while coroutines wait or channels are open
--   mnet.sleep(ms)         (in a coroutine) waits ms milliseconds
--   mnet.tcp(), mnet.tls(settings)   a client socket
--   mnet.listen(host, port[, backlog | opts])   a server; server:accept()
--   sock:connect(host, port)  sock:receive(n | "*l" | "*a")  sock:send(data)
--   sock:settimeout(ms)  sock:settimeouts(connect, send, read)  sock:close()
--   sock:shutdown("send")  sock:getpeername()  sock:getsockname()
--   sock:setoption(name, value)
--
-- A call that waits does so by yielding its coroutine (so it must run
-- inside mnet.spawn); the loop resumes it. Failures are nil and a message
-- ("timeout", "closed", "connection refused", the TLS reason...). Sockets
-- are ordinary channels underneath: callbacks and coroutines share one loop,
-- and a coroutine's error goes where a callback's goes (Core.poll, mnet.run
-- or the error handler), with the coroutine's traceback.
local Core = require "mnet.core"

local type, error, setmetatable, getmetatable, tostring = type, error, setmetatable, getmetatable, tostring
local co_create, co_resume, co_yield, co_running = coroutine.create, coroutine.resume, coroutine.yield,
    coroutine.running
local concat = table.concat
local floor = math.floor

local RECV_HIGH = 256 * 1024 -- buffered input past which reading pauses
local SEND_HIGH = 256 * 1024 -- queued output past which send() waits for it to drain
local TIMER_POOL_MAX = 64
local LINE, ALL = -1, -2     -- receive patterns besides a byte count

local argerror, check_none = Core._argerror, Core._check_none

local function check_ms(v, i, fname)
    if v ~= nil and (type(v) ~= "number" or v < 0 or v ~= floor(v)) then
        argerror(i, fname, "milliseconds (an integer >= 0) or nil expected, got " .. tostring(v))
    end
end

-- Resumes a coroutine; its error goes to Core's error path.
local function resume(co, ...)
    local ok, e = co_resume(co, ...)
    if not ok then Core._fail(Core._traced(co, e)) end
end

local function current(what, level)
    local co, main = co_running()
    if co == nil or main then
        error(("mnet: %s waits, so it must run in a coroutine (mnet.spawn)"):format(what), level + 1)
    end
    return co
end

function Core.spawn(fn, ...)
    if type(fn) ~= "function" then
        error("bad argument #1 to 'spawn' (function expected, got " .. type(fn) .. ")", 2)
    end
    local co = co_create(fn)
    resume(co, ...)
    return co
end

-- Runs rounds while anything is alive; raises what a callback or coroutine
-- raised (after its round), unless an error handler takes it.
function Core.run(x)
    check_none(x, 1, "run")
    while Core.poll(1000) do end
    return true
end

-- ---- sleep: a timer on a pooled hidden channel -------------------------------

local timer_pool = {}

local Sleep = {}
Sleep.__index = Sleep

local function sleep_done(ch, event)
    if event ~= "event_timer" then return end
    local s = ch._mnet_sock
    ch:activeEvent("event_timer", 0)
    ch._mnet_sock, ch._mnet_cb = nil, nil
    if #timer_pool < TIMER_POOL_MAX then
        timer_pool[#timer_pool + 1] = ch
    else
        ch:close()
    end
    Core._waiting(-1)
    resume(s.co, true)
end

-- The channel under a sleep was closed (Core.fini).
function Sleep:_closed()
    Core._waiting(-1)
    resume(self.co, nil, "closed")
end

function Core.sleep(ms, x)
    if type(ms) ~= "number" or ms < 0 then
        error("bad argument #1 to 'sleep' (milliseconds >= 0 expected, got " .. tostring(ms) .. ")", 2)
    end
    check_none(x, 2, "sleep")
    local co = current("mnet.sleep", 2)
    local ch = timer_pool[#timer_pool]
    if ch then
        timer_pool[#timer_pool] = nil
    else
        ch = Core._openHidden()
    end
    ch._mnet_sock = setmetatable({ co = co }, Sleep)
    ch._mnet_cb = sleep_done
    ch:activeEvent("event_timer", ms < 1 and 1 or floor(ms))
    Core._waiting(1)
    return co_yield()
end

-- ---- sockets ------------------------------------------------------------------

local Socket = { __name = "mnet socket" }
Socket.__index = Socket
Socket.__tostring = function(s) return "<mnet socket " .. tostring(s._ch) .. ">" end

local on_event

local function new_socket(ch)
    local s = setmetatable({
        _ch = ch, _r = {}, _w = {}, _timeouts = {}, _timer_on = false,
        _rb = "", _rq = {}, _rn = 0, _need = nil, _line = false, _paused = false,
        _eof = false, _err = nil, _connected = false, _pending = nil,
    }, Socket)
    ch._mnet_sock = s
    ch._mnet_cb = on_event
    return s
end

-- A socket has two waiters, so one coroutine may read while another
-- writes: _r (receive, accept) and _w (connect, send), each {co, want,
-- deadline}. The channel's one timer is armed for the nearest deadline.
local SLOT = { receive = "_r", accept = "_r", connect = "_w", send = "_w" }

local function arm(s)
    local r, w = s._r, s._w
    local d = r.co and r.deadline
    local dw = w.co and w.deadline
    if dw and (not d or dw < d) then d = dw end
    if d then
        local ms = math.ceil(d - Core.current() / 1000)
        s._timer_on = true
        s._ch:activeEvent("event_timer", ms < 1 and 1 or ms)
    elseif s._timer_on then
        s._timer_on = false
        s._ch:activeEvent("event_timer", 0)
    end
end

local function wait(s, what, level)
    local co = current("sock:" .. what, level + 1)
    local slot = s[SLOT[what]]
    if slot.co then error(("mnet: the socket is busy (a coroutine waits in %s)"):format(slot.want), level + 1) end
    slot.co, slot.want = co, what
    local t = s._timeouts[what]
    if t and t > 0 then
        slot.deadline = Core.current() / 1000 + t
        arm(s)
    end
    Core._waiting(1)
    return co_yield()
end

local function wake(s, slot, ...)
    local co = slot.co
    if not co then return end
    local timed = slot.deadline
    slot.co, slot.want, slot.deadline = nil, nil, nil
    if timed and s._ch._mnet_c then arm(s) end
    Core._waiting(-1)
    resume(co, ...)
end

-- The channel's timer fired: wake the waiters whose deadline has passed.
local function timed_out(s)
    local now = Core.current() / 1000 + 0.5
    for _, slot in ipairs({ s._r, s._w }) do
        if slot.co and slot.deadline and slot.deadline <= now then
            if slot.want == "connect" then s._ch:disconnect() end
            wake(s, slot, nil, "timeout")
        end
    end
    if s._ch._mnet_c then arm(s) end
end

-- ---- the receive buffer ----

local function merged(s)
    local q = s._rq
    local n = #q
    if n > 0 then
        if s._rb == "" and n == 1 then
            s._rb = q[1]
        else
            s._rb = s._rb .. concat(q)
        end
        for i = n, 1, -1 do q[i] = nil end
    end
    return s._rb
end

local function resume_reading(s)
    if s._paused then
        s._paused = false
        s._ch:activeEvent("event_recv", true)
    end
end

local function take(s, n)
    local all = merged(s)
    local out
    if n == #all then
        out, s._rb = all, ""
    else
        out, s._rb = all:sub(1, n), all:sub(n + 1)
    end
    s._rn = s._rn - n
    resume_reading(s)
    return out
end

local function take_line(s)
    local all = merged(s)
    local e = all:find("\n", 1, true)
    if not e then
        s._line = false
        return nil
    end
    local last = e - 1
    if last > 0 and all:byte(last) == 13 then last = last - 1 end
    local line = all:sub(1, last)
    s._rb = all:sub(e + 1)
    s._rn = #s._rb
    resume_reading(s)
    return line
end

local function satisfied(s)
    local need = s._need
    if need == LINE then return s._line end
    return need ~= nil and need >= 0 and s._rn >= need
end

local function fill(s)
    local ch = s._ch
    local data = ch:recv()
    if data and data ~= "" then
        local q = s._rq
        q[#q + 1] = data
        s._rn = s._rn + #data
        if not s._line and data:find("\n", 1, true) then s._line = true end
    end
    local need = s._need
    local high = (need and need > RECV_HIGH) and need or RECV_HIGH
    if s._rn >= high and not s._paused then
        s._paused = true
        ch:activeEvent("event_recv", false)
    end
    if s._r.want == "receive" and satisfied(s) then wake(s, s._r, true) end
end

-- ---- events ----

on_event = function(ch, name, accept, msg)
    local s = ch._mnet_sock
    if name == "event_recv" then
        fill(s)
    elseif name == "event_send" then
        ch:activeEvent("event_send", false)
        if s._w.want == "send" then wake(s, s._w, true) end
    elseif name == "event_connected" then
        s._connected = true
        if s._w.want == "connect" then wake(s, s._w, true) end
    elseif name == "event_eof" then
        s._eof = true
        if s._r.want == "receive" then wake(s, s._r, true) end
    elseif name == "event_disconnect" then
        s._eof, s._connected = true, false
        if msg.err ~= 0 or s._w.want == "connect" then s._err = Core._reason(ch, msg.err) end
        -- receive looks at what is buffered; the other waits fail.
        if s._r.want == "receive" then
            wake(s, s._r, true)
        else
            wake(s, s._r, nil, s._err or "closed")
        end
        wake(s, s._w, nil, s._err or "closed")
    elseif name == "event_timer" then
        timed_out(s)
    elseif name == "event_accept" then
        -- Half-close from the start: a request followed by the client's FIN
        -- still leaves the socket able to answer.
        accept:setHalfClose(true)
        local a = new_socket(accept)
        a._connected = true
        if s._r.want == "accept" then
            wake(s, s._r, a)
        else
            s._pending[#s._pending + 1] = a
        end
    end
end

-- The channel was closed (sock:close(), Core.fini): waiters get "closed".
function Socket:_closed()
    self._timer_on = false
    self._connected = false
    wake(self, self._r, nil, "closed")
    wake(self, self._w, nil, "closed")
    local pending = self._pending
    if pending then
        for i = #pending, 1, -1 do
            pending[i]:close()
            pending[i] = nil
        end
    end
end

local function check_self(s, fname)
    if getmetatable(s) ~= Socket then
        error(("bad self to '%s' (socket expected, got %s): call it as sock:%s(...)"):format(fname, type(s), fname), 3)
    end
end

local function stream_socket(tname, settings)
    local ch, e = Core.openChann(tname)
    if not ch then return nil, e end
    if settings ~= nil then
        local ok
        ok, e = ch:setTls(settings)
        if not ok then
            ch:close()
            return nil, e
        end
    end
    ch:setHalfClose(true)
    return new_socket(ch)
end

-- A TCP socket, to connect.
function Core.tcp(x)
    check_none(x, 1, "tcp")
    return stream_socket("tcp")
end

-- A TLS socket, to connect: settings are Core.tlsConfig{...} or its options
-- (nil: the system's trust store, or Core.extConfig's settings). The
-- certificate is checked against the host given to connect (or the
-- "server_name" option).
function Core.tls(settings, x)
    check_none(x, 2, "tls")
    if settings == nil then return stream_socket("tls") end
    local cfg, e = Core._tls_of(settings, 1, "tls")
    if not cfg then return nil, e end
    return stream_socket("tls", cfg)
end

-- Connects to host:port (IPv4, IPv6, or a name resolved on the loop).
-- Returns 1, or nil and a message ("timeout", "connection refused", a TLS
-- or DNS reason...).
function Socket:connect(host, port, x)
    check_self(self, "connect")
    if type(host) ~= "string" then argerror(1, "connect", "string expected, got " .. type(host)) end
    if type(port) ~= "number" then argerror(2, "connect", "number expected, got " .. type(port)) end
    check_none(x, 3, "connect")
    local ch = self._ch
    if self._pending then return nil, "a listening socket cannot connect" end
    if self._connected then return nil, "already connected" end
    self._eof, self._err, self._rb, self._rn, self._line = false, nil, "", 0, false
    local ok, e = ch:connect(host, port)
    if not ok then return nil, e end
    ok, e = wait(self, "connect", 2)
    if not ok then return nil, e end
    return 1
end

-- Receives n bytes, a line ("*l", the default: without its CR LF), or
-- everything until the peer finishes ("*a"). Returns the data, or nil, a
-- message and what had arrived (the data stays buffered after a timeout).
function Socket:receive(pattern, x)
    check_self(self, "receive")
    if pattern == nil then pattern = "*l" end
    local need
    if type(pattern) == "number" then
        if pattern < 0 or pattern ~= floor(pattern) then argerror(1, "receive", "byte count must be an integer >= 0") end
        need = pattern
    elseif pattern == "*l" or pattern == "l" then
        need = LINE
    elseif pattern == "*a" or pattern == "a" then
        need = ALL
    else
        argerror(1, "receive", "a byte count, '*l' or '*a' expected, got " .. tostring(pattern))
    end
    check_none(x, 2, "receive")
    if not self._ch._mnet_c then return nil, "closed" end
    if not self._connected and not self._eof then return nil, "not connected" end
    while true do
        if need >= 0 and self._rn >= need then return take(self, need) end
        if need == LINE then
            local line = take_line(self)
            if line then return line end
        end
        if self._eof then
            local rest = take(self, self._rn)
            if need == ALL and not self._err then return rest end
            return nil, self._err or "closed", rest
        end
        self._need = need
        resume_reading(self)
        local ok, e = wait(self, "receive", 2)
        self._need = nil
        if not ok then return nil, e, "" end
    end
end

-- Sends data (a string, or a list of strings sent as one). Returns its
-- length once it is queued (waiting while more than 256 KiB is queued),
-- or nil and a message.
function Socket:send(data, x)
    check_self(self, "send")
    if type(data) == "table" then data = concat(data) end
    if type(data) ~= "string" then argerror(1, "send", "string or table expected, got " .. type(data)) end
    check_none(x, 2, "send")
    local ch = self._ch
    if not ch._mnet_c then return nil, "closed" end
    if self._err then return nil, self._err end
    if not self._connected then return nil, self._eof and "closed" or "not connected" end
    local ok, e = ch:send(data)
    if not ok then return nil, e end
    if ch:cachedSize() > SEND_HIGH then
        ch:activeEvent("event_send", true)
        ok, e = wait(self, "send", 2)
        if not ok then return nil, e end
    end
    return #data
end

-- The timeout, in milliseconds, of every later wait (nil or 0: none).
function Socket:settimeout(ms, x)
    check_self(self, "settimeout")
    check_ms(ms, 1, "settimeout")
    check_none(x, 2, "settimeout")
    local t = self._timeouts
    t.connect, t.send, t.receive, t.accept = ms, ms, ms, ms
    return 1
end

-- Separate timeouts for connect, send and receive (ms; nil or 0: none).
function Socket:settimeouts(connect, send, read, x)
    check_self(self, "settimeouts")
    check_ms(connect, 1, "settimeouts")
    check_ms(send, 2, "settimeouts")
    check_ms(read, 3, "settimeouts")
    check_none(x, 4, "settimeouts")
    local t = self._timeouts
    t.connect, t.send, t.receive = connect, send, read
    return 1
end

function Socket:close(x)
    check_self(self, "close")
    check_none(x, 1, "close")
    self._ch:close()
    return 1
end

-- shutdown("send"): sends the FIN once the queue is out; receiving goes on.
function Socket:shutdown(how, x)
    check_self(self, "shutdown")
    if how ~= "send" then argerror(1, "shutdown", "only 'send' is supported") end
    check_none(x, 2, "shutdown")
    return self._ch:shutdownWrite()
end

local function name_of(self, fname, peer)
    local a, e
    if peer then a, e = self._ch:peerAddr() else a, e = self._ch:addr() end
    if not a then return nil, e end
    return a.ip, a.port
end

-- The peer's ip and port, or nil and a message.
function Socket:getpeername()
    check_self(self, "getpeername")
    return name_of(self, "getpeername", true)
end

-- This end's ip and port.
function Socket:getsockname()
    check_self(self, "getsockname")
    return name_of(self, "getsockname", false)
end

local OPTIONS = {
    server_name = "setServerName",           -- TLS: the name sent and checked
    idle_timeout = "setIdleTimeout",         -- ms without traffic before the connection ends
    send_limit = "setSendLimit",             -- bytes the send queue may hold (0: no limit)
    handshake_timeout = "setHandshakeTimeout", -- TLS handshake deadline, ms
    half_close = "setHalfClose",             -- on by default for sockets
}

-- Channel settings: server_name, idle_timeout, send_limit,
-- handshake_timeout, half_close. Returns true, or nil and a message.
function Socket:setoption(name, value, x)
    check_self(self, "setoption")
    local method = OPTIONS[name]
    if not method then argerror(1, "setoption", "unknown option '" .. tostring(name) .. "'") end
    check_none(x, 3, "setoption")
    return self._ch[method](self._ch, value)
end

-- The channel under the socket (for what only channels offer).
function Socket:channel() return self._ch end

-- ---- servers ------------------------------------------------------------------

-- Listens on host:port; the third argument is the backlog or a table of
-- options {backlog = n, tls = settings, reuseport = bool}. Returns the
-- server socket, or nil and a message.
function Core.listen(host, port, opts, x)
    if host ~= nil and type(host) ~= "string" then
        error("bad argument #1 to 'listen' (string expected, got " .. type(host) .. ")", 2)
    end
    check_none(x, 4, "listen")
    local backlog, tls, reuseport = nil, nil, nil
    if type(opts) == "number" then
        backlog = opts
    elseif type(opts) == "table" then
        backlog, tls, reuseport = opts.backlog, opts.tls, opts.reuseport
    elseif opts ~= nil then
        error("bad argument #3 to 'listen' (backlog or options expected, got " .. type(opts) .. ")", 2)
    end
    local ch, e = Core.openChann(tls and "tls" or "tcp")
    if not ch then return nil, e end
    local ok = true
    if tls then ok, e = ch:setTls(tls) end
    if ok and reuseport then ok, e = ch:setReusePort(true) end
    if ok then ok, e = ch:listen(host, port, backlog or 128) end
    if not ok then
        ch:close()
        return nil, e
    end
    local s = new_socket(ch)
    s._pending = {}
    return s
end

-- The next connection, as a socket, or nil and a message.
function Socket:accept(x)
    check_self(self, "accept")
    check_none(x, 1, "accept")
    local pending = self._pending
    if not pending then return nil, "not a listening socket" end
    if not self._ch._mnet_c then return nil, "closed" end
    local a = pending[1]
    if a then
        table.remove(pending, 1)
    else
        local e
        a, e = wait(self, "accept", 2)
        if not a then return nil, e end
    end
    return a
end

return Core
