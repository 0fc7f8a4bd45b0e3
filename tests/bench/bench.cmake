# Benchmarks (Google Benchmark): tools/bench runs them properly; here only that they run.
find_package(benchmark REQUIRED)
# The shared sources again, optimised as in the kernel (-O2), whatever the host build type.
add_shared_kernel_library(kernel_shared_bench FOR host OPTIONS -O2 -g)
add_executable(bench_mm ${CMAKE_CURRENT_LIST_DIR}/bench_mm.cpp ${CMAKE_CURRENT_SOURCE_DIR}/host/sim_walk.cpp)
target_link_libraries(bench_mm PRIVATE kernel_shared_bench benchmark::benchmark)
target_include_directories(bench_mm PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/host)
target_compile_definitions(bench_mm PRIVATE FIXMAP_DTB_DIR="${FIXMAP_DTB_DIR}")
target_compile_options(bench_mm PRIVATE -O2)
set_target_properties(bench_mm PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
add_test(NAME bench.mm.runs COMMAND bench_mm --benchmark_min_time=0.001)
add_test(NAME bench.tool_quick COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench --quick --no-build
         --out ${CMAKE_BINARY_DIR}/bench-quick)
set_tests_properties(bench.mm.runs bench.tool_quick PROPERTIES LABELS bench TIMEOUT 600)
# The regression guard: instruction counts (callgrind, QEMU -icount) against the committed
# baseline tests/bench/baseline.json; `tools/perf-check --update` rewrites it.
add_test(NAME perf.regression COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/perf-check --host-build
                                      ${CMAKE_BINARY_DIR} --kernel-build ${KERNEL_BUILD_DIR})
set_tests_properties(perf.regression PROPERTIES LABELS "bench;perf" TIMEOUT 900)
# ... and the guard itself fails on a regression (a baseline of 10 instructions for set+clear).
add_test(NAME perf.regression_is_caught COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/perf-check --host-build
                                                ${CMAKE_BINARY_DIR} --kernel-build ${KERNEL_BUILD_DIR} --baseline
                                                ${CMAKE_CURRENT_LIST_DIR}/baseline_regressed.json)
set_tests_properties(perf.regression_is_caught PROPERTIES LABELS "bench;perf" TIMEOUT 300 PASS_REGULAR_EXPRESSION
                     "set_clear_fixmap .*REGRESSION.*perf-check: FAIL: 1 regression\\(s\\): set_clear_fixmap")
