-- mnet.core: m_net's pull-style Lua API on mnet, the same under LuaJIT
-- (the FFI backend, mnet/ffi.lua) and PUC Lua 5.1-5.4 (the C backend,
-- mnet_lua.c). `require "mnet"` returns this table with the coroutine
-- sockets of mnet.coro added; m_net's module names `ffi-mnet` and
-- `mnet-chann` return it too. The manual is the "Lua and LuaJIT" section of
-- README.md; the rules it states live here:
--
-- * Core.poll(ms) runs one round: waits (at most ms, less when a timer is
--   due) and calls each channel's callback for each of its messages,
--   callback(chann, eventName, accept, msg). It returns a true value while
--   something is alive (the number of open channels, or true while only
--   coroutines wait), false when nothing is.
-- * An ACCEPT's new channel is registered before the listener's callback
--   runs; one the callback neither gave a callback (adopted) nor closed is
--   closed when the callback returns. Events of a channel without a callback
--   are dropped (its reading paused until it gets one, so unread data cannot
--   spin the loop).
-- * An error in a callback (or a coroutine) does not break the round: the
--   round's other messages are still dispatched, then the error, with its
--   traceback, is raised out of Core.poll (or mnet.run); with a handler set
--   (Core.setErrorHandler), the handler gets it instead and nothing is raised.
-- * Wrong argument types and counts raise Lua errors naming the argument; a
--   closed channel's methods return nil, "closed channel" (close() itself is
--   harmless twice).
local B
do
    local want = os.getenv("MNET_LUA_BACKEND")
    if want == "c" or (want ~= "ffi" and not rawget(_G, "jit")) then
        B = require "mnet.c"
    else
        B = require "mnet.ffi"
    end
end

local type, tostring, tonumber, error, select = type, tostring, tonumber, error, select
local setmetatable, getmetatable, xpcall = setmetatable, getmetatable, xpcall
local floor, huge = math.floor, math.huge
local traceback = debug.traceback
local B_next, B_recv, B_send = B.next, B.recv, B.send

-- The constants of m_net's mnet-chann.lua ride along for its programs.
local Core = {
    backend = B.name, core = B.lib,
    CHANN_TYPE_STREAM = 1, CHANN_TYPE_DGRAM = 2, CHANN_TYPE_BROADCAST = 3, CHANN_TYPE_TLS = 4,
    CHANN_EVENT_RECV = 1, CHANN_EVENT_SEND = 2, CHANN_EVENT_ACCEPT = 3, CHANN_EVENT_CONNECTED = 4,
    CHANN_EVENT_DISCONNECT = 5, CHANN_EVENT_TIMER = 6,
}

local EV_RECV, EV_SEND, EV_ACCEPT, EV_TIMER = 1, 2, 3, 6
local EVENT_NAMES = { "event_recv", "event_send", "event_accept", "event_connected",
                      "event_disconnect", "event_timer", "event_eof", "event_resolved" }
local STATE_NAMES = { [0] = "state_closed", "state_disconnect", "state_connecting",
                      "state_connected", "state_listening" }
local TYPES = { tcp = 1, udp = 2, broadcast = 3, tls = 4 }
local TYPE_NAMES = { "tcp", "udp", "broadcast", "tls" }
local CLOSED = "closed channel"

-- ---- arguments --------------------------------------------------------------

local function typename(v)
    local mt = getmetatable(v)
    if type(mt) == "table" and type(mt.__name) == "string" then return mt.__name end
    return type(v)
end

-- Raises "bad argument #i to 'fname' (msg)" at the caller of the API
-- function that called the check function that called this (level 3: at
-- the caller of the API function that called this).
local function argerror(i, fname, msg, level)
    error(("bad argument #%d to '%s' (%s)"):format(i, fname, msg), level or 4)
end

local function check_type(v, want, i, fname)
    if type(v) ~= want then argerror(i, fname, want .. " expected, got " .. typename(v)) end
    return v
end

local function check_int(v, i, fname, min, max)
    if type(v) ~= "number" or v ~= floor(v) then
        argerror(i, fname, "integer expected, got " .. (type(v) == "number" and tostring(v) or typename(v)))
    end
    if v < min or v > max then argerror(i, fname, ("%s out of range (%s-%s)"):format(tostring(v), min, max)) end
    return v
end

local function check_none(v, i, fname)
    if v ~= nil then argerror(i, fname, "no value expected, got " .. typename(v)) end
end
Core._argerror, Core._check_none = argerror, check_none -- for mnet.coro

local MAX_MS = 2 ^ 53

-- "host:port" text for the C API: "" or nil is every IPv4 address, an IPv6
-- address is bracketed, anything else (IPv4, a name) is taken as it is.
local function hostport(host, port)
    if host == nil or host == "" then host = "0.0.0.0" end
    if host:find(":", 1, true) and host:sub(1, 1) ~= "[" then
        return "[" .. host .. "]:" .. port
    end
    return host .. ":" .. port
end

-- Splits "ip:port" or "[v6]:port" text; nil when it is neither.
local function split_addr(text)
    local ip, port = text:match("^%[(.*)%]:(%d+)$")
    if not ip then ip, port = text:match("^(.*):(%d+)$") end
    port = tonumber(port)
    if not ip or port > 65535 then return nil end
    return ip, port
end
Core._split_addr = split_addr

-- ---- errors raised by callbacks and coroutines -------------------------------

local error_handler -- Core.setErrorHandler's function, or nil
local pending = {}  -- errors to raise at the end of the round

-- An error that carries its traceback already (a coroutine's).
local Traced = { __tostring = function(e) return e.text end }

local function with_traceback(e)
    if getmetatable(e) == Traced then return e end
    if type(e) ~= "string" then return e end -- an error object is handed on as it is
    return traceback(e, 2)
end

-- Hands an error to the handler, or keeps it to be raised after the round.
local function fail(e)
    if getmetatable(e) == Traced then e = e.text end
    if error_handler then
        error_handler(e)
    else
        pending[#pending + 1] = e
    end
end
Core._fail = fail

-- The error object for a coroutine that died, with the coroutine's stack.
function Core._traced(co, e)
    if type(e) ~= "string" then return e end
    return setmetatable({ text = traceback(co, e) }, Traced)
end

local function raise_pending()
    local n = #pending
    if n == 0 then return end
    local e = pending[1]
    for i = n, 1, -1 do pending[i] = nil end
    if n > 1 and type(e) == "string" then
        e = e .. ("\n(and %d more errors in this round: set Core.setErrorHandler to see each)"):format(n - 1)
    end
    error(e, 0)
end

-- Sets the function that gets every error raised by a callback or a
-- coroutine (a string with its traceback, or the error object); nil: they
-- are raised out of Core.poll and mnet.run.
function Core.setErrorHandler(fn, x)
    if fn ~= nil then check_type(fn, "function", 1, "setErrorHandler") end
    check_none(x, 2, "setErrorHandler")
    error_handler = fn
    return true
end

-- ---- the channel table ------------------------------------------------------

local Chann = { __name = "mnet channel" }
Chann.__index = Chann
Chann.__tostring = function(ch)
    return ("<Chann %s #%s%s>"):format(ch._mnet_type, tostring(ch._mnet_index), ch._mnet_c and "" or " closed")
end
Core.Chann = Chann

local chans = {}    -- index (the C opaque word) -> Chann
local free_idx = {} -- indices free for reuse
local high = 0      -- the highest index used
local counted = 0   -- open channels of the program (not mnet.coro's timers)
local waiting = 0   -- coroutines waiting in mnet.coro

local function register(c, tname, hidden)
    local ch = setmetatable({ _mnet_c = c, _mnet_type = tname, _mnet_hidden = hidden or nil }, Chann)
    local i = free_idx[#free_idx]
    if i then
        free_idx[#free_idx] = nil
    else
        high = high + 1
        i = high
    end
    chans[i] = ch
    ch._mnet_index = i
    if not hidden then counted = counted + 1 end
    B.set_index(c, i)
    return ch
end

local function unregister(ch)
    local i = ch._mnet_index
    chans[i] = nil
    free_idx[#free_idx + 1] = i
    if not ch._mnet_hidden then counted = counted - 1 end
    ch._mnet_c = nil
end

-- Counts the coroutines waiting for an event (mnet.coro), which keep
-- Core.poll's answer true.
function Core._waiting(delta) waiting = waiting + delta end

-- A channel that has no callback stops reading until it gets one.
local function hold(ch)
    if not ch._mnet_held then
        ch._mnet_held = true
        B.active(ch._mnet_c, EV_RECV, 0)
    end
end

-- ---- the round ----------------------------------------------------------------

local default_tls -- Core.extConfig("tls", ...): TLS settings for new "tls" channels
local msg = { event = 0, err = 0 } -- the message handed to callbacks (reused)

local function dispatch()
    while true do
        local ev, err, index, r = B_next()
        if not ev then return end
        local ch = chans[index]
        if ch then
            local accept
            if r then accept = register(r, ch._mnet_type) end
            local cb = ch._mnet_cb
            if cb then
                msg.event, msg.err = ev, err
                cb(ch, EVENT_NAMES[ev], accept, msg)
            elseif ev == EV_RECV then
                hold(ch)
            end
            if accept and accept._mnet_c and not accept._mnet_cb then
                unregister(accept)
                B.close(r)
            end
        elseif r then
            B.close(r)
        end
    end
end

-- Runs one round: waits up to `ms` milliseconds (less when a timer is due)
-- and dispatches its messages. Returns the number of open channels, true
-- while only coroutines wait, false when nothing is left; nil and a message
-- when the wait itself failed.
function Core.poll(ms, x)
    check_int(ms, 1, "poll", 0, 4294967295)
    check_none(x, 2, "poll")
    if B.poll(ms) < 0 then return nil, B.last_error() end
    local ok, e = xpcall(dispatch, with_traceback)
    while not ok do
        fail(e)
        ok, e = xpcall(dispatch, with_traceback)
    end
    raise_pending()
    if counted > 0 then return counted end
    return waiting > 0
end

-- ---- Core ----------------------------------------------------------------------

function Core.init()
    B.init()
    return true
end

-- Closes every channel (no events) and ends the thread's loop.
function Core.fini()
    for i = 1, high do
        local ch = chans[i]
        if ch then ch:close() end
    end
    B.fini()
end

function Core.version() return B.version() end

-- Microseconds on the monotonic clock.
function Core.current() return B.current() end

function Core.setLogLevel(level)
    check_int(level, 1, "setLogLevel", 0, 3)
    B.setlog(level)
end

function Core.report(level)
    if level == nil then level = 0 end
    check_int(level, 1, "report", 0, 3)
    return B.report(level)
end

-- The first IPv4 address of `host` as {ip = ..., port = port}, or nil and
-- a message. Blocks (getaddrinfo): a loop that must not block connects to
-- the name instead (resolved on the loop).
function Core.resolve(host, port, ctype)
    check_type(host, "string", 1, "resolve")
    if port == nil then port = 0 end
    check_int(port, 2, "resolve", 0, 65535)
    local ip, p = B.resolve(host, port)
    if not ip then return nil, B.last_error() end
    return { ip = ip, port = p }
end

-- "ip:port", "[v6]:port", "host:port" or ":port" as {ip = ..., port = ...},
-- or nil and a message.
function Core.parseIpPort(text, x)
    check_type(text, "string", 1, "parseIpPort")
    check_none(x, 2, "parseIpPort")
    local ip, port = split_addr(text)
    if not ip then return nil, ("'%s' is not 'ip:port'"):format(text) end
    if ip == "" then ip = "0.0.0.0" end
    return { ip = ip, port = port }
end

-- The size of the buffer recv() and dgramRecv() read into (64 bytes to
-- 64 MiB; default 64 KiB). The send size is accepted for m_net's sake:
-- sends are never cut.
function Core.setBufSize(sendsize, recvsize)
    check_int(sendsize, 1, "setBufSize", 0, 2 ^ 31 - 1)
    check_int(recvsize, 2, "setBufSize", 0, 64 * 1024 * 1024)
    B.recv_size(recvsize < 64 and 64 or recvsize)
end

function Core.channCount() return counted end

function Core.allChanns()
    local all = {}
    for i = 1, high do
        local ch = chans[i]
        if ch and not ch._mnet_hidden then all[#all + 1] = ch end
    end
    return all
end

-- Opens a channel: "tcp" (the default), "udp", "broadcast" or "tls".
function Core.openChann(tname, x)
    if tname == nil then tname = "tcp" end
    check_type(tname, "string", 1, "openChann")
    check_none(x, 2, "openChann")
    local t = TYPES[tname]
    if not t then argerror(1, "openChann", "unknown channel type '" .. tname .. "': tcp, udp, broadcast or tls", 3) end
    local c = B.open(t)
    if not c then return nil, B.last_error() end
    if t == 4 and default_tls then B.set_tls(c, default_tls) end
    return register(c, tname)
end

-- A channel for mnet.coro's timers, not counted among the program's.
function Core._openHidden()
    local c = B.open(1)
    if not c then error("mnet: cannot open a timer channel: " .. B.last_error(), 2) end
    return register(c, "tcp", true)
end

-- ---- TLS settings ------------------------------------------------------------

local TlsConfig = { __name = "mnet TLS settings" }
TlsConfig.__index = TlsConfig
local TLS_OPTIONS = { cert = true, key = true, cert_pem = true, key_pem = true, ca = true, ca_pem = true,
                      alpn = true, insecure = true }

local function tls_apply(cfg, what, a, b)
    if B.tls_set(cfg, what, a, b) == 0 then return nil, B.last_error() end
    return true
end

-- TLS settings (mnet has no OpenSSL: these replace m_net's SSL_CTX):
--   cert, key          PEM files of a server's certificate chain and key
--   cert_pem, key_pem  the same as PEM text
--   ca / ca_pem        trust these CAs (a PEM file / text) instead of the system's
--   alpn               a protocol name or a list of them, by preference
--   insecure = true    accept any server certificate (tests only)
-- Returns the settings, or nil and a message (a file that does not load).
function Core.tlsConfig(opts, x)
    if opts == nil then opts = {} end
    check_type(opts, "table", 1, "tlsConfig")
    check_none(x, 2, "tlsConfig")
    for k, v in pairs(opts) do
        if not TLS_OPTIONS[k] then argerror(1, "tlsConfig", "unknown option '" .. tostring(k) .. "'", 3) end
        if k ~= "insecure" and k ~= "alpn" and type(v) ~= "string" then
            argerror(1, "tlsConfig", ("option '%s': string expected, got %s"):format(k, typename(v)), 3)
        end
    end
    if (opts.cert == nil) ~= (opts.key == nil) or (opts.cert_pem == nil) ~= (opts.key_pem == nil) then
        argerror(1, "tlsConfig", "a certificate needs its key (cert with key, cert_pem with key_pem)", 3)
    end
    local cfg = B.tls_new()
    local ok, e = true, nil
    if opts.cert then ok, e = tls_apply(cfg, "cert_file", opts.cert, opts.key) end
    if ok and opts.cert_pem then ok, e = tls_apply(cfg, "cert_pem", opts.cert_pem, opts.key_pem) end
    if ok and opts.ca then ok, e = tls_apply(cfg, "ca_file", opts.ca) end
    if ok and opts.ca_pem then ok, e = tls_apply(cfg, "ca_pem", opts.ca_pem) end
    local alpn = opts.alpn
    if type(alpn) == "string" then alpn = { alpn } end
    if alpn ~= nil then
        check_type(alpn, "table", 1, "tlsConfig")
        for _, proto in ipairs(alpn) do
            if ok then ok, e = tls_apply(cfg, "alpn", tostring(proto)) end
        end
    end
    if ok and opts.insecure then ok, e = tls_apply(cfg, "skip_verify") end
    if not ok then return nil, e end
    return setmetatable({ _mnet_tls = cfg }, TlsConfig)
end

-- Settings from a value given by the program: settings, or options for
-- them; nil and a message when options do not make settings.
local function tls_of(v, i, fname)
    if getmetatable(v) == TlsConfig then return v end
    if type(v) == "table" then return Core.tlsConfig(v) end
    argerror(i, fname, "TLS settings expected (Core.tlsConfig{...} or its options; mnet has no OpenSSL), got " ..
        typename(v))
end
Core._tls_of = tls_of

-- m_net's extension settings: ("tls", settings) gives every "tls" channel
-- opened afterwards those settings (an accepted channel takes its
-- listener's). m_net took an OpenSSL SSL_CTX here; mnet takes its own TLS
-- settings, Core.tlsConfig{...} or the options table itself.
function Core.extConfig(name, ctx, x)
    check_type(name, "string", 1, "extConfig")
    check_none(x, 3, "extConfig")
    if name ~= "tls" then argerror(1, "extConfig", "unknown extension '" .. name .. "': only tls", 3) end
    local cfg, e = tls_of(ctx, 2, "extConfig")
    if not cfg then return nil, e end
    default_tls = cfg._mnet_tls
    return true
end

-- ---- channel methods ------------------------------------------------------------

-- A method called on a channel without a handle: closed, or not a channel.
local function dead(self, fname)
    if getmetatable(self) ~= Chann then
        error(("bad self to '%s' (channel expected, got %s): call it as chann:%s(...)")
            :format(fname, typename(self), fname), 2)
    end
    return nil, CLOSED
end

local function result(ok)
    if ok == 0 then return nil, B.last_error() end
    return true
end

function Chann:close()
    local c = self._mnet_c
    if not c then
        if getmetatable(self) ~= Chann then return dead(self, "close") end
        return true
    end
    unregister(self)
    B.close(c)
    local sock = self._mnet_sock
    if sock then sock:_closed() end
    return true
end

-- Methods that read one thing of an open channel: read(handle, chann).
local function reader(fname, read)
    Chann[fname] = function(self, x)
        check_none(x, 1, fname)
        local c = self._mnet_c
        if not c then return dead(self, fname) end
        return read(c, self)
    end
end
reader("channFd", B.fd)
reader("channType", function(_, self) return self._mnet_type end)
reader("recvBytes", function(c) return B.bytes(c, 0) end)
reader("sendBytes", function(c) return B.bytes(c, 1) end)
Chann.sendByes = Chann.sendBytes -- m_net's spelling
-- Why the last connection failed when event_disconnect's err does not say
-- (TLS: the handshake or certificate; a name that did not resolve); "" if
-- it did not.
reader("lastError", B.chann_error)
-- Ends sending: the FIN goes once the queue is out; receiving goes on.
reader("shutdownWrite", function(c) return result(B.shutdown_write(c)) end)

-- Listens (TCP, TLS) or binds (UDP) on host:port: an IPv4 or IPv6 address,
-- a name from /etc/hosts, or ""/nil for every IPv4 address; port 0 picks
-- one (see addr()). Returns true, or nil and a message.
function Chann:listen(host, port, backlog, x)
    if host ~= nil then check_type(host, "string", 1, "listen") end
    check_int(port, 2, "listen", 0, 65535)
    if backlog == nil then backlog = 16 end
    check_int(backlog, 3, "listen", 0, 65535)
    check_none(x, 4, "listen")
    local c = self._mnet_c
    if not c then return dead(self, "listen") end
    return result(B.listen(c, hostport(host, port), backlog))
end

-- Connects to host:port (IPv4, IPv6 or a name, resolved on the loop);
-- event_connected or event_disconnect follows. UDP: sets the destination.
-- Returns true, or nil and a message.
function Chann:connect(host, port, x)
    check_type(host, "string", 1, "connect")
    check_int(port, 2, "connect", 0, 65535)
    check_none(x, 3, "connect")
    local c = self._mnet_c
    if not c then return dead(self, "connect") end
    return result(B.connect(c, hostport(host, port)))
end

function Chann:disconnect(x)
    check_none(x, 1, "disconnect")
    local c = self._mnet_c
    if not c then return dead(self, "disconnect") end
    B.disconnect(c)
    return true
end

-- The callback, function(chann, eventName, accept, msg), or nil for none.
-- `msg` (event and err fields) is reused: read it inside the callback.
function Chann:setCallback(fn, x)
    if fn ~= nil then check_type(fn, "function", 1, "setCallback") end
    check_none(x, 2, "setCallback")
    local c = self._mnet_c
    if not c then return dead(self, "setCallback") end
    self._mnet_cb = fn
    if fn and self._mnet_held then
        self._mnet_held = nil
        B.active(c, EV_RECV, 1)
    end
    return true
end

local ACTIVE = { event_send = EV_SEND, event_timer = EV_TIMER, event_recv = EV_RECV }

-- ("event_send", on): event_send whenever the send queue is empty and the
-- socket writable; ("event_timer", ms): a repeating timer (0 stops it);
-- ("event_recv", on) (mnet): resume or pause reading. `on` is a boolean
-- (0 counts as off).
function Chann:activeEvent(name, value, x)
    check_type(name, "string", 1, "activeEvent")
    local ev = ACTIVE[name]
    if not ev then argerror(1, "activeEvent", "'" .. name .. "': event_send, event_timer or event_recv", 3) end
    if ev == EV_TIMER then
        check_int(value, 2, "activeEvent", 0, MAX_MS)
    else
        value = (value and value ~= 0) and 1 or 0
    end
    check_none(x, 3, "activeEvent")
    local c = self._mnet_c
    if not c then return dead(self, "activeEvent") end
    B.active(c, ev, value)
    return true
end

-- What is waiting, as a string ("" when nothing is), or nil and a message.
function Chann:recv(x)
    local c = self._mnet_c
    if x ~= nil then check_none(x, 1, "recv") end
    if not c then return dead(self, "recv") end
    local data = B_recv(c)
    if data then return data end
    return nil, B.last_error()
end

-- Sends `data` (what the kernel does not take now is queued, in order).
-- Returns true, or nil and a message.
function Chann:send(data, x)
    local c = self._mnet_c
    if type(data) ~= "string" then check_type(data, "string", 1, "send") end
    if x ~= nil then check_none(x, 2, "send") end
    if not c then return dead(self, "send") end
    if B_send(c, data) < 0 then return nil, B.last_error() end
    return true
end

-- One datagram: data, sender ip, sender port; "" when none is waiting; nil
-- and a message on error.
function Chann:dgramRecv(x)
    check_none(x, 1, "dgramRecv")
    local c = self._mnet_c
    if not c then return dead(self, "dgramRecv") end
    local data, from = B.dgram_recv(c)
    if not data then return nil, B.last_error() end
    if not from then return data end
    local ip, port = split_addr(from)
    return data, ip, port
end

-- Sends one datagram to ip:port (IPv4 or IPv6). Returns true, or nil and a
-- message.
function Chann:dgramSend(data, ip, port, x)
    check_type(data, "string", 1, "dgramSend")
    check_type(ip, "string", 2, "dgramSend")
    check_int(port, 3, "dgramSend", 0, 65535)
    check_none(x, 4, "dgramSend")
    local c = self._mnet_c
    if not c then return dead(self, "dgramSend") end
    if B.dgram_send(c, data, hostport(ip, port)) < 0 then return nil, B.last_error() end
    return true
end

-- Bytes queued and not yet handed to the kernel (written out rather than
-- by reader(): servers ask it on every read).
function Chann:cachedSize()
    local c = self._mnet_c
    if not c then return dead(self, "cachedSize") end
    return B.cached(c)
end

-- "state_closed", "state_disconnect", "state_connecting", "state_connected"
-- or "state_listening" (a closed channel is "state_closed").
function Chann:state()
    local c = self._mnet_c
    if not c then
        if getmetatable(self) ~= Chann then return dead(self, "state") end
        return STATE_NAMES[0]
    end
    return STATE_NAMES[B.state(c)]
end


local function address(self, fname, peer)
    local c = self._mnet_c
    if not c then return dead(self, fname) end
    local text = B.addr(c, peer)
    if not text then return nil, B.last_error() end
    local ip, port = split_addr(text)
    return { ip = ip, port = port }
end

-- This end's address, {ip = ..., port = ...} (IPv6 too), or nil and a
-- message (no socket).
function Chann:addr() return address(self, "addr", false) end

-- The peer's address while connected.
function Chann:peerAddr() return address(self, "peerAddr", true) end

-- Fixes SO_SNDBUF and SO_RCVBUF (turns the kernel's auto-tuning off).
function Chann:setBufSize(size, x)
    check_int(size, 1, "setBufSize", 0, 2 ^ 31 - 1)
    check_none(x, 2, "setBufSize")
    local c = self._mnet_c
    if not c then return dead(self, "setBufSize") end
    return result(B.bufsize(c, size))
end
Chann.setSocketBufSize = Chann.setBufSize -- mnet-chann.lua's name


-- Settings beyond m_net; each returns true, or nil and a message.
local function setter(fname, what, check)
    Chann[fname] = function(self, v, x)
        check(v, 1, fname)
        check_none(x, 2, fname)
        local c = self._mnet_c
        if not c then return dead(self, fname) end
        return result(B.set(c, what, v))
    end
end
local function check_bool(v, i, fname) check_type(v, "boolean", i, fname) end
local function check_count(v, i, fname) check_int(v, i, fname, 0, MAX_MS) end
local function check_string(v, i, fname) check_type(v, "string", i, fname) end
-- Half-close on: the peer's FIN comes as event_eof and the channel can
-- still send, instead of event_disconnect.
setter("setHalfClose", "half_close", check_bool)
-- event_disconnect (err ETIMEDOUT) after ms without a byte moving (0: off).
setter("setIdleTimeout", "idle_timeout", check_count)
-- A send that would queue more than `bytes` fails instead (0: no limit).
setter("setSendLimit", "send_limit", check_count)
-- SO_REUSEPORT for the next listen.
setter("setReusePort", "reuse_port", check_bool)
-- TLS: how long a handshake may take (ms), the most a listener runs at
-- once, the name a client sends and checks (default: the host connected to).
setter("setHandshakeTimeout", "handshake_timeout", check_count)
setter("setMaxHandshakes", "max_handshakes", check_count)
setter("setServerName", "server_name", check_string)


-- The TLS settings of a "tls" channel for its next listen or connect.
function Chann:setTls(settings, x)
    local cfg, e = tls_of(settings, 1, "setTls")
    check_none(x, 2, "setTls")
    if not cfg then return nil, e end
    local c = self._mnet_c
    if not c then return dead(self, "setTls") end
    return result(B.set_tls(c, cfg._mnet_tls))
end

-- The text for an event_disconnect err: the channel's own reason (TLS, DNS)
-- when it has one, else the errno's.
function Core._reason(ch, err)
    local c = ch._mnet_c
    local why = c and B.chann_error(c) or ""
    if why ~= "" then return why end
    if err == 0 then return "closed" end
    return B.strerror(err)
end

Core._huge = huge
return Core
