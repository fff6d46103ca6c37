-- co_http_client.lua: an HTTP/1.1 GET with a coroutine socket: connect
-- (names resolved on the loop), send the request, read the status line and
-- headers line by line ("*l"), then the body by Content-Length (n bytes) or
-- to the end ("*a"). https:// URLs go over TLS (the system's trust store).
--
--   luajit examples/lua/co_http_client.lua http://127.0.0.1:8080/
--   (e.g. against examples/lua/chann_web.lua)
--
-- Prints the status line, the headers and the body's size; exit status 0
-- on a 2xx answer.
local mnet = require "mnet"

local url = (...) or "http://127.0.0.1:8080/"
local scheme, host, port, path = url:match("^(https?)://([^/:]+):?(%d*)(.*)$")
if not scheme then
    io.stderr:write("usage: co_http_client.lua http[s]://host[:port]/path\n")
    os.exit(2)
end
port = tonumber(port) or (scheme == "https" and 443 or 80)
path = path ~= "" and path or "/"

local status = 1
mnet.spawn(function()
    local sock = scheme == "https" and mnet.tls() or mnet.tcp()
    sock:settimeout(10000)
    local ok, err = sock:connect(host, port)
    if not ok then
        io.stderr:write("connect: ", err, "\n")
        return
    end
    sock:send({ "GET ", path, " HTTP/1.1\r\nHost: ", host, "\r\nUser-Agent: mnet-lua\r\nConnection: close\r\n\r\n" })
    local line = assert(sock:receive("*l"))
    print(line)
    local code = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)")) or 0
    local length
    while true do
        line = assert(sock:receive("*l"))
        if line == "" then break end
        print(line)
        local n = line:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")
        if n then length = tonumber(n) end
    end
    local body
    if length then body = assert(sock:receive(length)) else body = assert(sock:receive("*a")) end
    print(("-- body: %d bytes"):format(#body))
    sock:close()
    if code >= 200 and code < 300 then status = 0 end
end)
mnet.run()
os.exit(status)
