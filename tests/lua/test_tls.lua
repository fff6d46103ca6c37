-- TLS from Lua: a callback server with its certificate (openChann("tls") +
-- setTls) and coroutine clients (mnet.tls) that verify it against the CA:
-- by host name, by IP with the server_name option, and 1 MiB echoed byte
-- for byte; a client that does not trust the CA fails with the reason; and
-- extConfig("tls", ...) gives new "tls" channels their settings.
-- The PKI (ca.crt, server.crt, server.key for localhost, 127.0.0.1, ::1)
-- is made by the gen_certs example in MNET_LUA_TLS_PKI.
local T = require "helper"
local mnet = T.mnet

local pki = os.getenv("MNET_LUA_TLS_PKI")
T.check(pki, "MNET_LUA_TLS_PKI (the test PKI's directory) is not set")
local ca, crt, key = pki .. "/ca.crt", pki .. "/server.crt", pki .. "/server.key"

local server_cfg = assert(mnet.tlsConfig({ cert = crt, key = key }))
local listener = assert(mnet.openChann("tls"))
assert(listener:setTls(server_cfg))
assert(listener:listen("127.0.0.1", 0))
local port = listener:addr().port
local accepted = 0
listener:setCallback(function(_, event, accept)
    if event ~= "event_accept" then return end
    accepted = accepted + 1
    T.check(accept:channType() == "tls", "accepted type %s", tostring(accept:channType()))
    accept:setCallback(T.echo)
end)

local results = {}
local pending = 4 -- the clients below; the last to finish closes the listener
local function finished()
    pending = pending - 1
    if pending == 0 then listener:close() end
end

local function echo_client(name, settings, host, opts)
    local sock = assert(mnet.tls(settings))
    for k, v in pairs(opts or {}) do assert(sock:setoption(k, v)) end
    sock:settimeout(5000)
    local ok, err = sock:connect(host, port)
    if not ok then
        results[name] = err
        sock:close()
        return finished()
    end
    local block = T.pattern(7, 1024 * 1024)
    mnet.spawn(function() assert(sock:send(block)) end)
    local back = sock:receive(#block)
    results[name] = back == block and "echoed" or "corrupt"
    sock:close()
    finished()
end

mnet.spawn(echo_client, "by name", { ca = ca }, "localhost")
mnet.spawn(echo_client, "by ip", { ca = ca }, "127.0.0.1", { server_name = "localhost" })
mnet.spawn(echo_client, "untrusted", {}, "localhost") -- the system's roots do not know this CA
-- extConfig: "tls" channels opened afterwards get these settings.
assert(mnet.extConfig("tls", { ca = ca }))
local c = assert(mnet.openChann("tls"))
c:setCallback(function(self, event)
    results.extConfig = event
    self:close()
    finished()
end)
assert(c:connect("localhost", port))
mnet.run()

T.check(results["by name"] == "echoed", "verified by name: %s", tostring(results["by name"]))
T.check(results["by ip"] == "echoed", "verified by IP with server_name: %s", tostring(results["by ip"]))
T.check(results.untrusted and results.untrusted:find("TLS", 1, true), "untrusted: %s", tostring(results.untrusted))
T.check(results.extConfig == "event_connected", "extConfig: %s", tostring(results.extConfig))
T.check(accepted == 3, "%d handshakes accepted", accepted)
T.pass("tls: verified by name and by IP (1 MiB echoed each), untrusted CA refused (%s), extConfig",
    results.untrusted)
