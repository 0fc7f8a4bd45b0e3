# docs/granules.md's generated tables (tools/granule-table) against the three builds:
# fixmap_layout_<g> prints one granule's layout as JSON, compiled against the shared library of
# that granule (kernel_shared_host for this tree's GRANULE, kernel_shared_host_<g> for the two
# others, tests/host/host.cmake); the kernel ELFs come from KERNEL_BUILD_DIR, _16K and _64K.
if(SANITIZE)
  return()  # the host-asan tree has no per-granule libraries (tests/host/host.cmake); checked in the host tree
endif()
set(GRANULE_TABLE_ARGS)
foreach(granule 4k 16k 64k)
  if(granule STREQUAL GRANULE)
    set(lib kernel_shared_host)
  else()
    set(lib kernel_shared_host_${granule})
  endif()
  add_executable(fixmap_layout_${granule} ${CMAKE_SOURCE_DIR}/tools/fixmap_layout/fixmap_layout.cpp)
  target_link_libraries(fixmap_layout_${granule} PRIVATE ${lib})
  target_compile_options(fixmap_layout_${granule} PRIVATE -Wall -Wextra -Werror)
  list(APPEND GRANULE_TABLE_ARGS --layout-${granule} $<TARGET_FILE:fixmap_layout_${granule}>)
endforeach()
add_test(NAME docs.granule_table
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/granule-table --check --no-build ${GRANULE_TABLE_ARGS}
          --kernel-4k ${KERNEL_BUILD_DIR} --kernel-16k ${KERNEL_BUILD_DIR_16K} --kernel-64k ${KERNEL_BUILD_DIR_64K})
set_tests_properties(docs.granule_table PROPERTIES LABELS docs TIMEOUT 120)
