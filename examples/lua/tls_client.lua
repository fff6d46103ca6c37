-- tls_client.lua: a TLS client with callbacks (m_net's tls_web_cnt.lua on
-- mnet's own TLS): connects to an https URL, checks the server's
-- certificate and name, sends a GET and prints the answer.
--
--   luajit examples/lua/tls_client.lua https://host[:port]/path [ca.crt]
--
-- Without ca.crt the system's trust store is used; with it, only that CA
-- (e.g. the one `cargo run --example gen_certs -- certs` writes, for a
-- local server such as build/tls_svr). m_net configured TLS with an OpenSSL
-- SSL_CTX; mnet takes its own settings: Core.tlsConfig{ca = ...} given to
-- Core.extConfig("tls", ...) or chann:setTls(...).
local Core = require "mnet"

local url, ca = ...
local host, port, path = (url or ""):match("^https://([^/:]+):?(%d*)(.*)$")
if not host then
    io.stderr:write("usage: tls_client.lua https://host[:port]/path [ca.crt]\n")
    os.exit(2)
end
port = tonumber(port) or 443
path = path ~= "" and path or "/"

if ca then assert(Core.extConfig("tls", Core.tlsConfig({ ca = ca }))) end

local status = 1
local cnt = Core.openChann("tls")
cnt:setCallback(function(self, eventName, _, msg)
    if eventName == "event_connected" then
        print("connected to " .. host .. ", certificate verified")
        self:send("GET " .. path .. " HTTP/1.1\r\nHost: " .. host ..
            "\r\nUser-Agent: mnet TLS client example\r\nConnection: close\r\n\r\n")
    elseif eventName == "event_recv" then
        io.write(self:recv())
        status = 0
    elseif eventName == "event_disconnect" then
        if msg.err ~= 0 or self:lastError() ~= "" then
            io.stderr:write("tls_client: ", self:lastError() ~= "" and self:lastError() or ("err " .. msg.err), "\n")
            status = 1
        end
        self:close()
    end
end)
local ok, err = cnt:connect(host, port)
if not ok then
    io.stderr:write("tls_client: ", err, "\n")
    os.exit(1)
end
while Core.poll(1000) do end
os.exit(status)
