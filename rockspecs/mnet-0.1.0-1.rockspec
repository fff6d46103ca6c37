-- mnet's Lua modules for the Lua that luarocks runs for:
--   luarocks make                              (at the repository's top)
--   luarocks --lua-version=5.4 make
--   luarocks --lua-version=5.1 make LUA=/usr/bin/luajit LUA_INCDIR=/usr/include/luajit-2.1
-- It builds in place with cmake and cargo (lua/CMakeLists.txt on its own:
-- cargo fetches the crates from crates.io; nothing else is downloaded) and
-- installs mnet.lua, mnet/*.lua, ffi-mnet.lua, mnet-chann.lua, and the C
-- module mnet/c.so (PUC Lua) and/or libmnet.so (LuaJIT's FFI).
rockspec_format = "3.0"
package = "mnet"
version = "0.1.0-1"
source = {
   url = "git+file://.", -- `luarocks make` builds the checkout it runs in
}
description = {
   summary = "Event-driven TCP/UDP/TLS channels: m_net's Lua API and coroutine sockets on a Rust reactor",
   detailed = [[
mnet's Lua face: m_net's pull-style Core API (Core.poll, channels with
callbacks and event names) and OpenResty-style coroutine sockets
(mnet.spawn, mnet.tcp, mnet.listen, sock:receive), with IPv6, host names
resolved without blocking, TLS (rustls), half-close and idle timeouts.
LuaJIT binds the C library through the FFI; Lua 5.1-5.4 loads a C module.
m_net's module names ffi-mnet and mnet-chann load it too.
]],
   license = "MIT",
}
dependencies = {
   "lua >= 5.1, < 5.5",
}
build = {
   type = "command",
   build_command = [[cmake -S lua -B build-luarocks -DCMAKE_BUILD_TYPE=Release -DMNET_LUA_INSTALL=ON ]] ..
      [["-DMNET_LUA_INTERPRETER=$(LUA)" "-DMNET_LUA_INCLUDE_DIR=$(LUA_INCDIR)" ]] ..
      [["-DMNET_LUA_LMOD_DIR=$(LUADIR)" "-DMNET_LUA_CMOD_DIR=$(LIBDIR)" ]] ..
      [["-DMNET_LUAJIT_LMOD_DIR=$(LUADIR)" "-DMNET_LUAJIT_CMOD_DIR=$(LIBDIR)" && ]] ..
      [[cmake --build build-luarocks -j 2]],
   install_command = [[cmake --install build-luarocks --strip]],
}
