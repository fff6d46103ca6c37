-- m_net's Lua module name: `require "mnet-chann"` is mnet (see mnet.lua).
return require "mnet"
