# Benchmarks (Google Benchmark): tools/bench runs them properly; here only that they run.
find_package(benchmark REQUIRED)
# The shared sources again, optimised as in the kernel (-O2), whatever the host build type; once
# per granule: bench_mm is this tree's GRANULE, bench_mm_<g> the two others (the same benchmark
# source, each linked with its own copy of the shared sources compiled for that PAGE_SHIFT).
# tools/bench reports all three side by side, tools/perf-check guards the key figures of each.
# Zeroing a table page: GCC expands memset(p, 0, 4096) inline as `rep stosq`, which callgrind
# counts once per 8-byte store (512), but calls glibc for 16 and 64 KiB, whose `rep stosb` it
# counts once per byte (16384, 65536): an 8x artefact between granules. Every memset of the
# benchmarks is expanded as `rep stosq` instead, at every size: one count per 8-byte store at every
# granule, and the 4K figures as they were (the kernel's own memset, lib/string.cpp, is a loop of
# 8-byte stores, a few instructions per store).
set(BENCH_MEMSET -mmemset-strategy=rep_8byte:-1:noalign)
# The sanitizer tree (host-asan) only builds what sanitizers.cmake runs: its own granule.
set(BENCH_GRANULES 4k 16k 64k)
if(SANITIZE)
  set(BENCH_GRANULES ${GRANULE})
endif()
foreach(granule ${BENCH_GRANULES})
  if(granule STREQUAL GRANULE)
    set(target bench_mm)
  else()
    set(target bench_mm_${granule})
  endif()
  add_shared_kernel_library(kernel_shared_bench_${granule} FOR host PAGE_SHIFT ${GRANULE_SHIFT_${granule}}
                            OPTIONS -O2 -g ${BENCH_MEMSET})
  add_executable(${target} ${CMAKE_CURRENT_LIST_DIR}/bench_mm.cpp ${CMAKE_CURRENT_SOURCE_DIR}/host/sim_walk.cpp)
  target_link_libraries(${target} PRIVATE kernel_shared_bench_${granule} benchmark::benchmark)
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/host)
  target_compile_definitions(${target} PRIVATE FIXMAP_DTB_DIR="${FIXMAP_DTB_DIR}")
  target_compile_options(${target} PRIVATE -O2 ${BENCH_MEMSET})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
endforeach()
add_test(NAME bench.mm.runs COMMAND bench_mm --benchmark_min_time=0.001)
add_test(NAME bench.mm_16k.runs COMMAND bench_mm_16k --benchmark_min_time=0.001)
add_test(NAME bench.mm_64k.runs COMMAND bench_mm_64k --benchmark_min_time=0.001)
# tools/bench and tools/perf-check ask each binary its granule (bench_mm --granule), so the
# columns are right whatever GRANULE this tree has.
add_test(NAME bench.tool_quick COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/bench --quick --no-build
         --out ${CMAKE_BINARY_DIR}/bench-quick --host-build ${CMAKE_BINARY_DIR} --kernel-build ${KERNEL_BUILD_DIR}
         --kernel-build-16k ${KERNEL_BUILD_DIR_16K} --kernel-build-64k ${KERNEL_BUILD_DIR_64K})
set_tests_properties(bench.mm.runs bench.mm_16k.runs bench.mm_64k.runs bench.tool_quick PROPERTIES LABELS bench
                     TIMEOUT 600)
# The regression guard: instruction counts (callgrind, QEMU -icount) against the committed
# baseline tests/bench/baseline.json; `tools/perf-check --update` rewrites it.
# The per-granule figures use bench_mm_16k/_64k of this build and the kernel-16k/64k builds.
add_test(NAME perf.regression COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/perf-check --host-build
                                      ${CMAKE_BINARY_DIR} --kernel-build ${KERNEL_BUILD_DIR}
                                      --kernel-build-16k ${KERNEL_BUILD_DIR_16K} --kernel-build-64k ${KERNEL_BUILD_DIR_64K})
set_tests_properties(perf.regression PROPERTIES LABELS "bench;perf" TIMEOUT 900)
# ... and the guard itself fails on a regression (a baseline of 10 instructions for set+clear).
add_test(NAME perf.regression_is_caught COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/perf-check --host-build
                                                ${CMAKE_BINARY_DIR} --kernel-build ${KERNEL_BUILD_DIR} --baseline
                                                ${CMAKE_CURRENT_LIST_DIR}/baseline_regressed.json)
set_tests_properties(perf.regression_is_caught PROPERTIES LABELS "bench;perf" TIMEOUT 300 PASS_REGULAR_EXPRESSION
                     "set_clear_fixmap .*REGRESSION.*perf-check: FAIL: 1 regression\\(s\\): set_clear_fixmap")
