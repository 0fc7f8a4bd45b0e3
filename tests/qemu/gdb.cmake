# The gdb helpers (tools/gdb/fixmap_kernel.py) driving a kernel under QEMU (included from
# tests/CMakeLists.txt): QEMU's gdbstub and HMP monitor on Unix sockets, gdb-multiarch fed one
# command at a time, every wait bounded and ended by an event (a breakpoint, a prompt), never a
# fixed sleep. `ctest -R gdb` runs them with the helpers' page-table unit test.
set(GDB_HELPERS_TEST ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/gdb_helpers_test.py
    --elf ${KERNEL_BUILD_DIR}/kernel.elf --image ${KERNEL_BUILD_DIR}/kernel8.img --dtbs ${FIXMAP_DTB_DIR})
# raspi4b uses QEMU 10 (tools/install-deps); like qemu.raspi4b.*, it fails saying so when missing.
foreach(scenario early no-console mmu-off after-boot smp-bt batch raspi4b)
  add_test(NAME qemu.gdb.helpers.${scenario} COMMAND ${GDB_HELPERS_TEST} ${scenario})
  set_tests_properties(qemu.gdb.helpers.${scenario} PROPERTIES LABELS qemu TIMEOUT 300)
endforeach()
# The same after-boot checks on the 16K and 64K kernels: the helpers read the granule from
# TCR_EL1.TG1 (translate against the monitor and gva2gpa, ptdump, fixmap, memblock, buddy).
add_test(NAME qemu.gdb.helpers.after-boot-16k COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/gdb_helpers_test.py
         --elf ${KERNEL_BUILD_DIR_16K}/kernel.elf --image ${KERNEL_BUILD_DIR_16K}/kernel8.img --dtbs ${FIXMAP_DTB_DIR}
         --cpu cortex-a76 after-boot)
add_test(NAME qemu.gdb.helpers.after-boot-64k COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/gdb_helpers_test.py
         --elf ${KERNEL_BUILD_DIR_64K}/kernel.elf --image ${KERNEL_BUILD_DIR_64K}/kernel8.img --dtbs ${FIXMAP_DTB_DIR}
         after-boot)
set_tests_properties(qemu.gdb.helpers.after-boot-16k qemu.gdb.helpers.after-boot-64k PROPERTIES
                     LABELS "qemu;granule" TIMEOUT 300)
# The walker, TCR decoding, ptdump merging and OpenOCD parsing on hand-built tables (no gdb, no QEMU).
add_test(NAME tools.gdb_helpers_pgtable COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/gdb_pgtable_test.py)
set_tests_properties(tools.gdb_helpers_pgtable PROPERTIES LABELS tools TIMEOUT 60)
