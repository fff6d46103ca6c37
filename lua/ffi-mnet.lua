-- m_net's LuaJIT module name: `require "ffi-mnet"` is mnet (see mnet.lua).
return require "mnet"
