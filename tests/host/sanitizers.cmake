# The host suite and dtb-probe over every Debian DTB again, from the host-asan preset's build
# (ASan + UBSan, no recovery); tools/run-tests builds it first.
set(HOST_ASAN_BUILD_DIR "${CMAKE_SOURCE_DIR}/build/host-asan" CACHE PATH "Build directory of the host-asan preset")
add_test(NAME sanitizers.host_tests COMMAND ${HOST_ASAN_BUILD_DIR}/tests/host_tests --gtest_brief=1)
add_test(NAME sanitizers.dtb_probe_all_debian_dtbs COMMAND ${Python3_EXECUTABLE}
         ${CMAKE_CURRENT_SOURCE_DIR}/tools/test_dtb_probe.py ${HOST_ASAN_BUILD_DIR}/dtb-probe ${FIXMAP_DTB_DIR})
set_tests_properties(sanitizers.host_tests sanitizers.dtb_probe_all_debian_dtbs PROPERTIES
  LABELS sanitizers TIMEOUT 900 ENVIRONMENT "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
