-- chann_web.lua: m_net's tiny web server on mnet, for LuaJIT and Lua 5.4
-- (the same work as examples/chann_web.cpp, the benchmark server).
--
--   luajit examples/lua/chann_web.lua [ip:port] [body_file]   (defaults: 127.0.0.1:8080 README.md)
--   lua5.4 examples/lua/chann_web.lua ...
--   curl http://127.0.0.1:8080/            -> the body file, as text/plain
--
-- Every request (anything ending in an empty line) gets the same response,
-- built once at start. Connections stay open (keep-alive); pipelined
-- requests are answered in order. The end-of-request scan carries up to 3
-- bytes of a split "\r\n\r\n" from one read to the next, so requests split
-- anywhere cost no buffering. A client that pipelines without reading the
-- answers is not read from while more than 256 KiB of answers wait for it.
-- Needs mnet's Lua modules on the Lua paths (README.md, "Lua and LuaJIT").
local Core = require(rawget(_G, "jit") and "ffi-mnet" or "mnet-chann")

local ipport, path = ...
local addr = assert(Core.parseIpPort(ipport or "127.0.0.1:8080"))
path = path or "README.md"

local fp = io.open(path, "rb")
if not fp then
    io.stderr:write("chann_web: cannot read body file '", path, "'\n")
    os.exit(1)
end
local body = fp:read("*a")
fp:close()
local response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body

local MAX_QUEUED = 256 * 1024
local find = string.find

-- The longest end of `data` (after position `from`) that begins "\r\n\r\n".
local function partial_end(data, from)
    local n = #data
    if n - from >= 2 and find(data, "^\r\n\r", n - 2) then return "\r\n\r" end
    if n - from >= 1 and find(data, "^\r\n", n - 1) then return "\r\n" end
    if n - from >= 0 and find(data, "^\r", n) then return "\r" end
    return ""
end

local pending = {} -- channel -> the partial "\r\n\r\n" its last read ended with

local function on_client(self, eventName)
    if eventName == "event_recv" then
        local data = self:recv()
        local carried = pending[self]
        if carried then data = carried .. data end
        local pos, last = 1, 0
        while true do
            local _, e = find(data, "\r\n\r\n", pos, true)
            if not e then break end
            self:send(response)
            pos, last = e + 1, e
        end
        local tail = partial_end(data, last + 1)
        pending[self] = tail ~= "" and tail or nil
        if self:cachedSize() > MAX_QUEUED then
            self:activeEvent("event_recv", false) -- backpressure: read again once the answers are out
            self:activeEvent("event_send", true)
        end
    elseif eventName == "event_send" then
        self:activeEvent("event_send", false)
        self:activeEvent("event_recv", true)
    elseif eventName == "event_disconnect" then
        pending[self] = nil
        self:close()
    end
end

Core.init()
local svr = Core.openChann("tcp")
local ok, err = svr:listen(addr.ip, addr.port, 1024)
if not ok then
    io.stderr:write("chann_web: listen on ", ipport or "127.0.0.1:8080", " failed: ", err, "\n")
    os.exit(1)
end
svr:setCallback(function(_, eventName, accept)
    if eventName == "event_accept" then accept:setCallback(on_client) end
end)
local here = svr:addr()
print(("chann_web (%s, mnet %d) listening on %s:%d, body %s (%d bytes)"):format(
    rawget(_G, "jit") and jit.version or _VERSION, Core.version(), here.ip, here.port, path, #body))
io.stdout:flush()
while Core.poll(1000) do end
Core.fini()
