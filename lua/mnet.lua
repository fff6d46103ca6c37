-- mnet: event-driven TCP/UDP/TLS channels for LuaJIT and Lua 5.1-5.4.
--
--   local mnet = require "mnet"
--
-- One table: m_net's Core API (Core.poll, Core.openChann, channels with
-- callbacks; mnet/core.lua) and coroutine sockets (mnet.spawn, mnet.run,
-- mnet.tcp, mnet.listen...; mnet/coro.lua). Under LuaJIT it binds
-- libmnet.so through the FFI, under PUC Lua through the mnet.c module;
-- MNET_LUA_BACKEND=c or ffi in the environment picks one explicitly.
return require "mnet.coro"
