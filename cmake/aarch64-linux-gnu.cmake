# Cross-compiling for 64-bit ARM Linux (DGX Spark, Ampere, Graviton, Apple hardware under Linux)
# with Debian's cross toolchain (crossbuild-essential-arm64) and arm64 libraries installed through
# multiarch (dpkg --add-architecture arm64). Tests run under qemu-user (qemu-user-static), which
# finds the loader and libraries the multiarch packages put in /lib and /usr/lib/aarch64-linux-gnu.
# Usage: cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
# Test executables (gtest_discover_tests lists them) run through the emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static)
