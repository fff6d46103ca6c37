# A stand-in cross toolchain for the configure-only cross check: CMake is told
# it builds for aarch64 Linux, with the host's compiler standing in (only
# configuring and the cargo step's first words are checked, nothing links).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
