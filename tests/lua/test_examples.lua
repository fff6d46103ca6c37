-- The examples in examples/lua work as their headers say: each runs as its
-- own process under the interpreter of the test (servers on a free port,
-- stopped by their PID afterwards): chann_web answers pipelined and split
-- requests, both echo servers answer echo_client, co_http_client reads
-- chann_web's answer, udp_echo gets its five replies, and tls_client
-- fetches a page from a TLS server here, verified against the test CA.
local T = require "helper"
local mnet = T.mnet

local function start_server(script, args)
    local p = T.spawn_script("examples/lua/" .. script, args)
    local first = p.out:read("*l") or ""
    local port = tonumber(first:match("listening on .*:(%d+)"))
    if not port then T.fail("%s did not start: %s %s", script, first, p.kill()) end
    return p, port
end

local function run(script, args)
    local p = T.spawn_script("examples/lua/" .. script, args)
    local out = p.out:read("*a")
    local ok, _, code = p.out:close()
    return out, (ok and 0 or code)
end

-- chann_web: two pipelined requests, the second split mid-header.
local web, web_port = start_server("chann_web.lua", "127.0.0.1:0 README.md")
local answers
mnet.spawn(function()
    local s = mnet.tcp()
    s:settimeout(5000)
    assert(s:connect("127.0.0.1", web_port))
    s:send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHo")
    mnet.sleep(20) -- let the first half go out on its own
    s:send("st: x\r\n\r\n")
    answers = 0
    for _ = 1, 2 do
        local status = s:receive("*l")
        local length
        repeat
            local line = s:receive("*l")
            length = length or tonumber(line:match("^Content%-Length: (%d+)"))
        until line == ""
        s:receive(length)
        if status == "HTTP/1.1 200 OK" then answers = answers + 1 end
    end
    s:close()
end)
mnet.run()
T.check(answers == 2, "chann_web answered %s of 2 requests", tostring(answers))

local out, code = run("co_http_client.lua", "http://localhost:" .. web_port .. "/")
T.check(code == 0 and out:find("HTTP/1.1 200 OK", 1, true) and out:find("-- body: %d+ bytes"),
    "co_http_client (exit %s): %s", tostring(code), out)
web.kill()

for _, server in ipairs({ "echo_server.lua", "co_echo_server.lua" }) do
    local args = server == "echo_server.lua" and "127.0.0.1:0" or "127.0.0.1 0"
    local p, port = start_server(server, args)
    out, code = run("echo_client.lua", "127.0.0.1:" .. port .. " 5")
    p.kill()
    T.check(code == 0 and out:find("sent 5 lines, 5 came back", 1, true), "echo_client vs %s (exit %s): %s",
        server, tostring(code), out)
end

out, code = run("udp_echo.lua", "::1 0")
T.check(code == 0 and select(2, out:gsub("echo: datagram", "")) == 5, "udp_echo (exit %s): %s", tostring(code), out)

-- tls_client against a TLS server of this process.
local pki = os.getenv("MNET_LUA_TLS_PKI")
local ca_file = pki and io.open(pki .. "/ca.crt")
if ca_file then
    ca_file:close()
    local l = assert(mnet.openChann("tls"))
    assert(l:setTls({ cert = pki .. "/server.crt", key = pki .. "/server.key" }))
    assert(l:listen("127.0.0.1", 0))
    l:setCallback(function(_, event, a)
        a:setCallback(function(c, e)
            if e == "event_recv" and c:recv():find("\r\n\r\n", 1, true) then
                c:send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
                c:shutdownWrite()
            elseif e == "event_disconnect" then
                c:close()
                l:close()
            end
        end)
    end)
    local p = T.spawn_script("examples/lua/tls_client.lua",
        ("https://localhost:%d/ %s/ca.crt"):format(l:addr().port, pki))
    T.poll_until(function() return l:state() == "state_closed" end, "tls_client's request")
    out = p.out:read("*a")
    T.check(out:find("certificate verified", 1, true) and out:find("hello", 1, true), "tls_client: %s", out)
end
T.pass("examples: chann_web, co_http_client, echo_server and co_echo_server with echo_client, udp_echo%s",
    ca_file and ", tls_client" or "")
