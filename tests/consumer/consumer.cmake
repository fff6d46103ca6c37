# What both consumer projects share. Included before mnet is added, so that
# mnet itself is configured inside a C++11 (and C99) project too.
#
# The consumers are C++11 without extensions (-std=c++11, not gnu++11): the
# public header promises C++11, as m_net programs build with --std=c++0x;
# their C is C99 without extensions, as the C headers promise.
set(CMAKE_CXX_STANDARD 11)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_C_STANDARD 99)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
# run.sh reads the compile commands to see -std=c++11 on the consumer's files.
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# consumer_echo: an executable; echo_plugin: a shared library linking
# mnet::mnet, run by plugin_loader through dlopen; both_faces: the C API and
# the C++ face on one loop (mnet::mnet); consumer_c and consumer_c_shared: a
# C program linking mnet::mnet_c (libmnet.a, by the C compiler) and
# mnet::mnet_c_shared (libmnet.so).
function(mnet_consumer_programs)
  set(dir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  add_executable(consumer_echo "${dir}/consumer_echo.cpp")
  target_link_libraries(consumer_echo PRIVATE mnet::mnet)
  add_library(echo_plugin SHARED "${dir}/echo_plugin.cpp")
  target_link_libraries(echo_plugin PRIVATE mnet::mnet)
  add_executable(plugin_loader "${dir}/plugin_loader.cpp")
  target_link_libraries(plugin_loader PRIVATE ${CMAKE_DL_LIBS})
  add_executable(both_faces "${dir}/both_faces.cpp")
  target_link_libraries(both_faces PRIVATE mnet::mnet)
  mnet_consumer_c_programs()
  get_target_property(type mnet::mnet TYPE)
  message(STATUS "consumer: mnet::mnet is a ${type}")
endfunction()

# The C programs alone (a C-only project can build them).
function(mnet_consumer_c_programs)
  set(dir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  add_executable(consumer_c "${dir}/consumer_c.c")
  target_link_libraries(consumer_c PRIVATE mnet::mnet_c)
  add_executable(consumer_c_shared "${dir}/consumer_c.c")
  target_link_libraries(consumer_c_shared PRIVATE mnet::mnet_c_shared)
endfunction()
