-- Nothing a program passes crashes the interpreter: every Core function and
-- every channel and socket method is called with every kind of junk (nil,
-- NaN, infinities, huge and negative numbers, strings with NULs, tables,
-- functions, coroutines), on open and closed channels and on a wrong self;
-- each call returns or raises a Lua error, and afterwards the loop still
-- carries an echo. The strings are loopback addresses or text no resolver
-- would send out (no DNS query leaves the machine), and listen gets only
-- 127.0.0.1 (never every interface).
local T = require "helper"
local mnet = T.mnet

local junk = { nil, true, false, 0, -1, 1.5, 0 / 0, math.huge, -math.huge, 2 ^ 53, -2 ^ 63, "::1", "\255\254",
    "127.0.0.1\0:80", ("\0"):rep(5000), {}, { 1, 2 }, print, coroutine.create(print) }
local NJUNK = 19 -- junk has holes (nil): iterate by index

local calls, raised = 0, 0
local function try(fn, ...)
    calls = calls + 1
    local ok = pcall(fn, ...)
    if not ok then raised = raised + 1 end
end

local function each_arg_combination(fn, self)
    for i = 1, NJUNK do
        try(fn, self, junk[i])
        for j = 1, NJUNK, 3 do try(fn, self, junk[i], junk[j]) end
        try(fn, self, junk[i], 1, junk[i])
    end
end

-- Core functions (not those that end or run the loop).
local skip = { fini = true, run = true, spawn = true, setErrorHandler = true, poll = true, listen = true }
for name, fn in pairs(mnet) do
    if type(fn) == "function" and not skip[name] and not name:find("^_") then
        for i = 1, NJUNK do
            try(fn, junk[i])
            for j = 1, NJUNK, 2 do try(fn, junk[i], junk[j]) end
        end
    end
end
for i = 1, NJUNK do
    try(mnet.poll, junk[i])
    try(mnet.listen, "127.0.0.1", junk[i], junk[i])
end

-- Channel methods on open channels of each type, on a closed one, on junk.
local Chann = mnet.Chann
local channs = {}
for _, t in ipairs({ "tcp", "udp", "broadcast", "tls" }) do channs[#channs + 1] = assert(mnet.openChann(t)) end
local closed = assert(mnet.openChann("tcp"))
closed:close()
channs[#channs + 1] = closed
for name, fn in pairs(Chann) do
    if type(fn) == "function" and name ~= "close" and name ~= "listen" and not name:find("^_") then
        for _, ch in ipairs(channs) do each_arg_combination(fn, ch) end
        for i = 1, NJUNK do try(fn, junk[i]) end
    end
end
for _, ch in ipairs(channs) do
    for i = 1, NJUNK do
        try(ch.listen, ch, "127.0.0.1", junk[i], junk[i])
        if ch:state() == "state_listening" then ch:disconnect() end
    end
end
for _, ch in ipairs(channs) do ch:close() end

-- Socket methods, outside any coroutine (so every wait raises).
local sock = mnet.tcp()
for name, fn in pairs(getmetatable(sock).__index) do
    if type(fn) == "function" and name ~= "close" and not name:find("^_") then each_arg_combination(fn, sock) end
end
sock:close()
mnet.setErrorHandler(nil)

-- The loop still works.
local listener, port = T.listener(function(a) a:setCallback(T.echo) end)
local c = T.echo_round_trip("127.0.0.1", port, "still here")
c:close()
listener:close()
T.check(calls > 5000, "only %d calls made", calls)
T.pass("misuse: %d calls with junk (%d raised Lua errors), no crash, the loop still works", calls, raised)
