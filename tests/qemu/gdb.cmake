# The gdb helpers (tools/gdb/fixmap_kernel.py) driving a kernel under QEMU (included from
# tests/CMakeLists.txt): QEMU's gdbstub and HMP monitor on Unix sockets, gdb-multiarch fed one
# command at a time, every wait bounded by an event (a breakpoint, a prompt), never a sleep.
# `ctest -R gdb` runs them with the page-table unit test of the helpers.
set(GDB_HELPERS_TEST ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/gdb_helpers_test.py
    --elf ${KERNEL_BUILD_DIR}/kernel.elf --image ${KERNEL_BUILD_DIR}/kernel8.img)
foreach(scenario early no-console mmu-off after-boot smp-bt)
  add_test(NAME qemu.gdb.helpers.${scenario} COMMAND ${GDB_HELPERS_TEST} ${scenario})
  set_tests_properties(qemu.gdb.helpers.${scenario} PROPERTIES LABELS qemu TIMEOUT 300)
endforeach()
