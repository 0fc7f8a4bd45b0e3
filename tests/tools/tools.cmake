# tools/: the SD card image for the Raspberry Pi 4.
add_test(NAME tools.mksdcard COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_mksdcard.py
         ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.mksdcard PROPERTIES LABELS tools TIMEOUT 120)
# dtb-probe (tools/dtb_probe) over every Debian DTB.
add_test(NAME tools.dtb_probe COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_dtb_probe.py
         $<TARGET_FILE:dtb-probe> ${FIXMAP_DTB_DIR})
set_tests_properties(tools.dtb_probe PROPERTIES LABELS "tools;host" TIMEOUT 600)

# Cache maintenance of the MMU-off table writes, read from the kernel's own instructions (TCG has
# no caches, so no boot can show it).
add_test(NAME tools.head_cache_maintenance COMMAND ${Python3_EXECUTABLE}
         ${CMAKE_CURRENT_LIST_DIR}/test_head_cache_maintenance.py ${KERNEL_BUILD_DIR}/kernel.elf)
set_tests_properties(tools.head_cache_maintenance PROPERTIES LABELS tools TIMEOUT 60)

# tools/lib.sh: a failed build is reported as failed.
add_test(NAME tools.build_failures_are_reported COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_lib_sh.sh
         ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.build_failures_are_reported PROPERTIES LABELS tools TIMEOUT 120)

# .clang-format is enforced: every tracked .cpp/.h must be formatted.
add_test(NAME tools.clang_format COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_format.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.clang_format PROPERTIES LABELS "tools;host" TIMEOUT 120)

# Each tool's --help (its own text, instant, exit 0) and run-qemu's missing option values.
add_test(NAME tools.help COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_tool_help.py ${CMAKE_SOURCE_DIR}
         $<TARGET_FILE:dtb-probe>)
set_tests_properties(tools.help PROPERTIES LABELS "tools;host" TIMEOUT 120)
set_tests_properties(tools.mksdcard PROPERTIES RESOURCE_LOCK sdcard_image)  # see qemu/raspi4b.cmake

# CTest pads every progress line to the longest test name: names stay within 75 characters so a
# line fits in about 120 columns.
add_test(NAME tools.ctest_names_fit COMMAND ${Python3_EXECUTABLE} -c
  "import json,subprocess,sys; n=[t['name'] for t in json.loads(subprocess.run(['${CMAKE_CTEST_COMMAND}','--show-only=json-v1'],capture_output=True,text=True,cwd='${CMAKE_BINARY_DIR}').stdout)['tests']]; bad=[x for x in n if len(x)>75]; print('%d tests, longest name %d characters' % (len(n), max(map(len,n)))); [print('too long (%d): %s' % (len(x),x)) for x in bad]; sys.exit(1 if bad else 0)")
set_tests_properties(tools.ctest_names_fit PROPERTIES LABELS "tools;host" TIMEOUT 60)
