# Host GoogleTest suites: the kernel's shared sources compiled for x86-64 (kernel_shared_host, also
# linked by tools/dtb_probe) on a simulated arena; and the compile-time checks.
add_shared_kernel_library(kernel_shared_host FOR host)

add_executable(host_tests
  ${CMAKE_CURRENT_LIST_DIR}/test_fixmap.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_fdt_window.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_walk.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sim_walk.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_sim_mmu.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_of.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_lib.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_early_ioremap.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_memblock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_buddy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_buddy_lazy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_buddy_pcp.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_paging.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_patching.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_tlbflush.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_walker_edges.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_bcm2835_gpio.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_sysreg.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_irq.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_smp_call.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_smp.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_line_editor.cpp
)
# GMock for the matchers (log_matchers.h: HasLogLine); gtest_main for main().
target_link_libraries(host_tests PRIVATE kernel_shared_host GTest::gmock GTest::gtest_main)
target_compile_options(host_tests PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
target_compile_definitions(host_tests PRIVATE FIXMAP_DTB_DIR="${FIXMAP_DTB_DIR}")
# NO_PRETTY_VALUES: a parameterised test is named by its name generator alone
# (Debian/OfRaspberryPi.Pl011BehindTheMiniUartStdoutPath/bcm2711_rpi_4_b), not followed by
# "# GetParam() = <bytes of the parameter>", which holds pointers and changes from build to build.
gtest_discover_tests(host_tests DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES NO_PRETTY_TYPES PROPERTIES LABELS host TIMEOUT 60)

# The memory-management suites again at the two other granules (CONFIG_ARM64_PAGE_SHIFT 14 and 16
# when this tree is 4k): the page tables, the walker and its oracle, the fixmap, early_ioremap,
# the FDT window, memblock, the buddy allocator, text patching, the TLBI operands and the stack
# layout (the overflow test's bit), each binary
# with its own copy of the shared sources compiled for that granule. CTest names them
# 16k.<Suite>.<Test> and 64k.<Suite>.<Test> (label host and granule).
set(HOST_MM_TEST_SOURCES
  test_fixmap.cpp test_fdt_window.cpp test_walk.cpp sim_walk.cpp test_early_ioremap.cpp test_memblock.cpp
  test_buddy.cpp test_buddy_lazy.cpp test_buddy_pcp.cpp test_paging.cpp test_patching.cpp test_tlbflush.cpp
  test_walker_edges.cpp test_sysreg.cpp test_smp.cpp
)
list(TRANSFORM HOST_MM_TEST_SOURCES PREPEND ${CMAKE_CURRENT_LIST_DIR}/)
# Not in the sanitizer tree (host-asan), which runs host_tests alone (sanitizers.cmake).
set(HOST_OTHER_GRANULES 4k 16k 64k)
if(SANITIZE)
  set(HOST_OTHER_GRANULES)
endif()
foreach(granule ${HOST_OTHER_GRANULES})
  if(granule STREQUAL GRANULE)
    continue()  # host_tests above
  endif()
  add_shared_kernel_library(kernel_shared_host_${granule} FOR host PAGE_SHIFT ${GRANULE_SHIFT_${granule}})
  add_executable(host_tests_${granule} ${HOST_MM_TEST_SOURCES})
  target_link_libraries(host_tests_${granule} PRIVATE kernel_shared_host_${granule} GTest::gmock GTest::gtest_main)
  target_compile_options(host_tests_${granule} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  target_compile_definitions(host_tests_${granule} PRIVATE FIXMAP_DTB_DIR="${FIXMAP_DTB_DIR}")
  gtest_discover_tests(host_tests_${granule} DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES NO_PRETTY_TYPES TEST_PREFIX ${granule}.
                       PROPERTIES LABELS "host;granule" TIMEOUT 60)
endforeach()

# fix_to_virt() on FIX_HOLE or past the end must not compile, with a message that says why.
function(add_fix_to_virt_check name index)
  add_test(NAME compile_time.${name}
    COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -I${CMAKE_SOURCE_DIR}/include
            -DBAD_INDEX=${index} -DCONFIG_ARM64_PAGE_SHIFT=${KERNEL_PAGE_SHIFT}
            ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/compile_fail_fix_to_virt.cpp)
  set_tests_properties(compile_time.${name} PROPERTIES LABELS host ${ARGN})
endfunction()
foreach(bad FIX_HOLE __end_of_fixed_addresses)
  add_fix_to_virt_check(fix_to_virt_rejects_${bad} ${bad}
    PASS_REGULAR_EXPRESSION "fix_to_virt_error_index_is_FIX_HOLE_or_beyond_end_of_fixed_addresses")
endforeach()
add_fix_to_virt_check(fix_to_virt_accepts_valid_index FIX_EARLYCON_MEM_BASE)

# The MMU-off console (drivers/tty/nommu_console.cpp; not a shared source: its kernel copy has
# flags of its own, cmake/kernel.cmake) and its tests.
target_sources(host_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/test_nommu_console.cpp
                                  ${CMAKE_SOURCE_DIR}/drivers/tty/nommu_console.cpp)
# Its kernel object must run at the physical address of an image linked at KIMAGE_VADDR: only
# PC-relative relocations, no calls out of the object (tools/check-nommu-pic.py). The checker is
# shown to catch what it exists for on an object with link-time addresses in data (the monitor's
# command table): it must fail there, naming an R_AARCH64_ABS64.
if(NOT SANITIZE)
  find_program(NOMMU_READELF NAMES aarch64-linux-gnu-readelf readelf REQUIRED)
  set(NOMMU_PIC_CHECK ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/check-nommu-pic.py --readelf ${NOMMU_READELF})
  add_test(NAME tools.check_nommu_pic.nommu_console
    COMMAND ${NOMMU_PIC_CHECK} ${KERNEL_BUILD_DIR}/CMakeFiles/kernel_objs.dir/drivers/tty/nommu_console.cpp.obj)
  add_test(NAME tools.check_nommu_pic.rejects_abs64
    COMMAND ${NOMMU_PIC_CHECK} ${KERNEL_BUILD_DIR}/CMakeFiles/kernel_objs.dir/kernel/monitor.cpp.obj)
  set_tests_properties(tools.check_nommu_pic.nommu_console tools.check_nommu_pic.rejects_abs64 PROPERTIES LABELS host)
  # A failure for the right reason, not any failure (WILL_FAIL would pass on a missing object too).
  set_tests_properties(tools.check_nommu_pic.rejects_abs64 PROPERTIES
    PASS_REGULAR_EXPRESSION "is not position independent:.*R_AARCH64_ABS64.*not PC-relative")
endif()
