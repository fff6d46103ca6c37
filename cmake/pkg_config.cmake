# mnet.pc, the C library's pkg-config file (installed in <libdir>/pkgconfig):
#   cc prog.c $(pkg-config --cflags --libs mnet)             libmnet.so
#   cc prog.c $(pkg-config --cflags --libs --static mnet)    + what libmnet.a needs
# Libs.private lists what a static link of libmnet.a adds: rustc's
# native-static-libs for the target and the C++ runtime of the cxx glue.
# The prefix is found from the file's own place (${pcfiledir}), so an
# installed tree can be moved, or installed with cmake --install --prefix.
set(_mnet_pc_private "")
foreach(_mnet_lib IN LISTS MNET_RUST_NATIVE_LIBS MNET_CXX_RUNTIME_LIBS)
  if(NOT _mnet_lib MATCHES "^-")
    set(_mnet_lib "-l${_mnet_lib}")
  endif()
  if(NOT _mnet_lib IN_LIST _mnet_pc_private)
    list(APPEND _mnet_pc_private "${_mnet_lib}")
  endif()
endforeach()
list(JOIN _mnet_pc_private " " MNET_PC_LIBS_PRIVATE)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MNET_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(MNET_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(MNET_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  # From <prefix>/<libdir>/pkgconfig back up to <prefix>.
  file(RELATIVE_PATH _mnet_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _mnet_up "${_mnet_up}")
  set(MNET_PC_PREFIX "\${pcfiledir}/${_mnet_up}")
  set(MNET_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(MNET_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/mnet.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/mnet.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/mnet.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
