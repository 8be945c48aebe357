# Cross toolchain for the device: a Cortex-M4F (single-precision FPU, hard-float ABI) with
# Debian's arm-none-eabi GCC and newlib. Used by firmware_under_test/target, never by the host
# build:
#   cmake -S firmware_under_test/target -B build/target-m4f \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(AMPRIG_CROSS_PREFIX arm-none-eabi- CACHE STRING "Prefix of the cross tools")
find_program(AMPRIG_CROSS_GXX ${AMPRIG_CROSS_PREFIX}g++)
if(NOT AMPRIG_CROSS_GXX)
  message(FATAL_ERROR "${AMPRIG_CROSS_PREFIX}g++ not found: install Debian's gcc-arm-none-eabi, "
                      "libnewlib-arm-none-eabi and libstdc++-arm-none-eabi-newlib (harness/dev does)")
endif()
get_filename_component(_amprig_cross_bin ${AMPRIG_CROSS_GXX} DIRECTORY)
set(CMAKE_C_COMPILER ${_amprig_cross_bin}/${AMPRIG_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${AMPRIG_CROSS_GXX})
set(CMAKE_ASM_COMPILER ${_amprig_cross_bin}/${AMPRIG_CROSS_PREFIX}gcc)

# Nothing can run on the host: the compiler checks build a library instead of a program.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The core and its FPU (FPv4-SP: single precision only, doubles are software), Thumb-2, no
# exceptions, no RTTI; every function and object in a section of its own, so that the linker
# keeps only what the image reaches.
set(_amprig_cpu "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
set(CMAKE_C_FLAGS_INIT "${_amprig_cpu} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT
    "${_amprig_cpu} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti")
set(CMAKE_ASM_FLAGS_INIT "${_amprig_cpu}")
# newlib-nano's libc and libm; no crt0 (the image brings its own start-up) and no nosys stubs:
# anything that would need an operating system (sbrk for malloc, write for printf) fails to link.
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nano.specs -nostartfiles -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
