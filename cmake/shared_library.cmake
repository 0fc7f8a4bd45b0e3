# The kernel's shared sources (SHARED_SOURCES: lib/, mm/, drivers/of, ... written once) compiled
# for one build: the kernel itself, the host tests, the benchmarks, the fuzzers. The include
# directories, the defines and the warnings of that code are set here and nowhere else.
#
#   add_shared_kernel_library(<name> FOR kernel|host
#                             [SOURCES <more sources>...]   # compiled with the same settings
#                             [OPTIONS <compile options>...] [DEFINITIONS <defines>...]
#                             [PAGE_SHIFT 12|14|16])         # default: this tree's GRANULE
#
# FOR kernel: an OBJECT library for the freestanding AArch64 link (cmake/kernel.cmake); the
#   libfdt headers come from Debian's arm64 package (LIBFDT_ARM64_ROOT).
# FOR host: a STATIC library for x86-64 with KERNEL_HOST_BUILD defined and the host's libfdt
#   linked; both are PUBLIC, so a test that links it sees the kernel's headers as the code does.
# OPTIONS and DEFINITIONS apply to the library's own sources (the benchmarks' -O2);
# directory-wide options (add_compile_options: SANITIZE, the fuzz build) apply as usual.
# CONFIG_ARM64_PAGE_SHIFT is PUBLIC: whatever links the library sees the granule its code has.

set(SHARED_SOURCES
  lib/vsprintf.cpp lib/error.cpp lib/printk.cpp lib/cmdline.cpp lib/line_editor.cpp
  mm/pgtable.cpp mm/fixmap.cpp mm/fixmap_dump.cpp mm/early_ioremap.cpp mm/memblock.cpp mm/page_alloc.cpp
  mm/pgtable_builder.cpp mm/ioremap.cpp mm/mem_init.cpp mm/paging.cpp
  kernel/patching.cpp kernel/smp_call.cpp kernel/smp.cpp
  drivers/of/fdt.cpp drivers/of/cpus.cpp drivers/tty/earlycon.cpp drivers/gpio/bcm2835_gpio.cpp
  drivers/of/irq.cpp drivers/irqchip/gic_of.cpp drivers/clocksource/arm_arch_timer_of.cpp
  init/memory.cpp
)
list(TRANSFORM SHARED_SOURCES PREPEND ${CMAKE_SOURCE_DIR}/)

set(SHARED_KERNEL_WARNINGS -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers)

function(add_shared_kernel_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "FOR;PAGE_SHIFT" "SOURCES;OPTIONS;DEFINITIONS")
  if(NOT arg_PAGE_SHIFT)
    set(arg_PAGE_SHIFT ${KERNEL_PAGE_SHIFT})
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "add_shared_kernel_library(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(arg_FOR STREQUAL "kernel")
    add_library(${name} OBJECT ${arg_SOURCES} ${SHARED_SOURCES})
    # libfdt.h and fdt.h from Debian's arm64 package; its libfdt_env.h is shadowed by include/.
    target_include_directories(${name} SYSTEM PRIVATE ${LIBFDT_ARM64_ROOT}/usr/include)
  elseif(arg_FOR STREQUAL "host")
    add_library(${name} STATIC ${arg_SOURCES} ${SHARED_SOURCES})
    target_compile_definitions(${name} PUBLIC KERNEL_HOST_BUILD)
    target_link_libraries(${name} PUBLIC ${LIBFDT_HOST})
    # The kernel has no exceptions; the host copy must not depend on them either.
    target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions>)
  else()
    message(FATAL_ERROR "add_shared_kernel_library(${name}): FOR kernel or FOR host, not '${arg_FOR}'")
  endif()
  set(warnings ${SHARED_KERNEL_WARNINGS})
  if(SANITIZE)
    # Under the sanitizers' instrumentation at -O2 (the benchmarks' copy in host-asan), GCC's
    # -Wmaybe-uninitialized flags copies of storage left unset on purpose (an Error's unused
    # argument slots) that the uninstrumented -O2 kernel build does not; the kernel build and the
    # plain host build keep the warning.
    list(APPEND warnings -Wno-maybe-uninitialized)
  endif()
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR})
  target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${warnings}> ${arg_OPTIONS})
  target_compile_definitions(${name} PRIVATE ${arg_DEFINITIONS})
  target_compile_definitions(${name} PUBLIC CONFIG_ARM64_PAGE_SHIFT=${arg_PAGE_SHIFT})
endfunction()
