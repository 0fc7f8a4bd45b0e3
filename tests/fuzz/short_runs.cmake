# A short run of each libFuzzer target of the fuzz preset's build (tests/fuzz/CMakeLists.txt),
# from its seed corpus; tools/fuzz runs them for longer.
set(FUZZ_BUILD_DIR "${CMAKE_SOURCE_DIR}/build/fuzz" CACHE PATH "Build directory of the fuzz preset")
add_test(NAME fuzz.fdt.short COMMAND ${FUZZ_BUILD_DIR}/fuzz_fdt -runs=20000 -max_len=65536 ${FUZZ_BUILD_DIR}/seeds/fdt)
add_test(NAME fuzz.fixmap_api.short COMMAND ${FUZZ_BUILD_DIR}/fuzz_fixmap_api -runs=5000
         ${FUZZ_BUILD_DIR}/seeds/fixmap_api)
set_tests_properties(fuzz.fdt.short fuzz.fixmap_api.short PROPERTIES LABELS fuzz TIMEOUT 600)
