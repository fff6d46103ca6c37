# What both consumer projects share. Included before mnet is added, so that
# mnet itself is configured inside a C++11 project too.
#
# The consumers are C++11 without extensions (-std=c++11, not gnu++11): the
# public header promises C++11, as m_net programs build with --std=c++0x.
set(CMAKE_CXX_STANDARD 11)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
# run.sh reads the compile commands to see -std=c++11 on the consumer's files.
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# consumer_echo: an executable; echo_plugin: a shared library linking
# mnet::mnet, run by plugin_loader through dlopen.
function(mnet_consumer_programs)
  set(dir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  add_executable(consumer_echo "${dir}/consumer_echo.cpp")
  target_link_libraries(consumer_echo PRIVATE mnet::mnet)
  add_library(echo_plugin SHARED "${dir}/echo_plugin.cpp")
  target_link_libraries(echo_plugin PRIVATE mnet::mnet)
  add_executable(plugin_loader "${dir}/plugin_loader.cpp")
  target_link_libraries(plugin_loader PRIVATE ${CMAKE_DL_LIBS})
  get_target_property(type mnet::mnet TYPE)
  message(STATUS "consumer: mnet::mnet is a ${type}")
endfunction()
