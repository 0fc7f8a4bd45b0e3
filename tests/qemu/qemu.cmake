# QEMU boots of build/kernel/kernel8.img (BOOT_TEST, tests/CMakeLists.txt): the virt machine on
# several CPUs and ELs, faults, RAM layouts, the Raspberry Pi models, entry states, bad input, the
# monitor, gdb, the KTAP output read by prove, the boot statistics. The matrix: qemu/matrix.cmake.
foreach(cpu cortex-a53 cortex-a72 max)
  foreach(el 1 2)
    set(name qemu.boot.${cpu}.el${el})
    set(elflag "")
    if(el EQUAL 2)
      set(elflag --el2)
    endif()
    add_test(NAME ${name} COMMAND ${BOOT_TEST} --cpu ${cpu} ${elflag} --ktest)
    set_tests_properties(${name} PROPERTIES LABELS qemu TIMEOUT 120)
  endforeach()
endforeach()
add_test(NAME qemu.boot.explicit_earlycon COMMAND ${BOOT_TEST} --cpu cortex-a53 --mem 512M
         --append "earlycon=pl011,mmio32,0x09000000" --expect-source "earlycon=pl011,mmio32,0x09000000")
add_test(NAME qemu.boot.halt_idle_keeps_running COMMAND ${BOOT_TEST} --cpu cortex-a53 --append "halt=idle"
         --expect-timeout 5 --expect-line "halt=idle: idling in wfi")
# QEMU's generic loader copies the Image and jumps to it with x0 = 0: the kernel must say so and
# stop with a status, wherever it was loaded (position-independent head.S, not 2 MiB aligned).
add_test(NAME qemu.boot.no_dtb_panics_clearly COMMAND ${BOOT_TEST} --cpu cortex-a53 --loader-addr 0x40200000
         --expect-status 3 --expect-line "no device tree: the boot loader passed x0 = 0"
         --expect-line "Kernel panic - not syncing: no usable device tree (x0 = 0x0)")
add_test(NAME qemu.boot.loaded_at_unaligned_address COMMAND ${BOOT_TEST} --cpu cortex-a72 --loader-addr 0x40180000
         --expect-status 3 --expect-line "Kernel image: pa 0x0000000040180000-"
         --expect-line "no device tree: the boot loader passed x0 = 0")
add_test(NAME qemu.boot.loaded_high_in_ram COMMAND ${BOOT_TEST} --cpu max --el2 --loader-addr 0x7fc00000
         --expect-status 3 --expect-line "Kernel image: pa 0x000000007fc00000-"
         --expect-line "CPU: entered at EL2, running at EL1")
# Unexpected exceptions are decoded and the run ends with status 3, never a hang or a loop.
add_test(NAME qemu.fault.write_text COMMAND ${BOOT_TEST} --append crashtest=write-text --expect-status 3
  --expect-line "Unexpected exception: Synchronous (EL1h): Data Abort (current EL)"
  --expect-line "data abort: permission fault, level 3, caused by a write (WnR=1)"
  --expect-line "FAR_EL1 0xffff800080001000" --expect-line "Call trace:"
  --expect-line "pc : kernel::crash_write_text+0x" --expect-line "] kernel::crashtest+0x"
  --expect-line "] start_kernel+0x"
  --expect-line "Kernel panic - not syncing: unexpected Data Abort (current EL)")
add_test(NAME qemu.fault.exec_data COMMAND ${BOOT_TEST} --append crashtest=exec-data --expect-status 3
  --expect-line "Instruction Abort (current EL)" --expect-line "instruction abort: permission fault, level 3")
add_test(NAME qemu.fault.null COMMAND ${BOOT_TEST} --cpu max --el2 --append crashtest=null --expect-status 3
  --expect-line "data abort: translation fault, level 0, caused by a read (WnR=0)"
  --expect-line "FAR_EL1 0x0000000000000008")
add_test(NAME qemu.fault.undef COMMAND ${BOOT_TEST} --append crashtest=undef --expect-status 3
  --expect-line "Unknown reason (undefined instruction)" --expect-line "ESR_EL1 0x02000000: EC 0x00")
add_test(NAME qemu.fault.stack_overflow COMMAND ${BOOT_TEST} --cpu max --append crashtest=stack-overflow
  --expect-status 3 --expect-line "Kernel stack overflow: SP 0x"
  --expect-line "the access hit the guard page" --expect-line "kernel::recurse+0x"
  --expect-line "Kernel panic - not syncing: kernel stack overflow")
add_test(NAME qemu.fault.brk COMMAND ${BOOT_TEST} --append crashtest=brk --expect-status 3
  --expect-line "Unexpected exception: Synchronous (EL1h): BRK instruction" --expect-line "pc : kernel::crash_brk+0x")
add_test(NAME qemu.fault.unknown_crashtest_warns COMMAND ${BOOT_TEST} --append crashtest=nonsense
  --expect-line "crashtest=nonsense: unknown; choose one of write-text exec-data null undef brk stack-overflow")
set_tests_properties(qemu.fault.write_text qemu.fault.exec_data qemu.fault.null qemu.fault.undef
  qemu.fault.stack_overflow qemu.fault.brk qemu.fault.unknown_crashtest_warns PROPERTIES LABELS qemu TIMEOUT 120)
# RAM sizes, and a tree with two memory nodes around a hole: every range must be managed.
add_test(NAME qemu.mem.128M COMMAND ${BOOT_TEST} --cpu cortex-a53 --mem 128M --ktest --expect-memory-ranges 1
  --expect-line "63 x 2 MiB, 512 x 4 KiB" --expect-line "K/131072K available ("
  --expect-line "512K struct page = 0.39% of RAM")
add_test(NAME qemu.mem.4G COMMAND ${BOOT_TEST} --cpu cortex-a72 --mem 4G --ktest --expect-memory-ranges 1
  --expect-line "3 x 1 GiB, 511 x 2 MiB, 512 x 4 KiB" --expect-line "K/4194304K available ("
  --expect-line "16384K struct page = 0.39% of RAM")
# Two NUMA nodes (two DT memory nodes) and a no-map hole added to QEMU's own DTB: the hole stays
# out of the linear map and the buddy allocator, every other range is managed.
add_test(NAME qemu.mem.numa_nodes_and_nomap_hole COMMAND ${BOOT_TEST} --cpu max --mem 2G --smp 2 --ktest
  --qemu-arg=-numa --qemu-arg=node,memdev=m0,cpus=0 --qemu-arg=-numa --qemu-arg=node,memdev=m1,cpus=1
  --qemu-arg=-object --qemu-arg=memory-backend-ram,id=m0,size=1G
  --qemu-arg=-object --qemu-arg=memory-backend-ram,id=m1,size=1G
  --fdtput "-c /reserved-memory" --fdtput "-t u /reserved-memory #address-cells 2"
  --fdtput "-t u /reserved-memory #size-cells 2" --fdtput "-t x /reserved-memory ranges"
  --fdtput "-c /reserved-memory/hole@50000000"
  --fdtput "-t x /reserved-memory/hole@50000000 reg 0 0x50000000 0 0x10000000"
  --fdtput "-t s /reserved-memory/hole@50000000 no-map ''"
  --expect-memory-ranges 3
  --expect-line "Memory: DT memory range 0: [mem 0x0000000080000000-0x00000000bfffffff] 1024 MiB"
  --expect-line "Memory: DT memory range 1: [mem 0x0000000040000000-0x000000007fffffff] 1024 MiB"
  --expect-line "memblock:  memory[0x1]   [0x0000000050000000-0x000000005fffffff], 0x000010000000 bytes (nomap)")
set_tests_properties(qemu.mem.128M qemu.mem.4G qemu.mem.numa_nodes_and_nomap_hole PROPERTIES LABELS qemu TIMEOUT 120)
# The nearest emulated Raspberry Pi: the same kernel8.img on QEMU's raspi3b with Debian's DTB.
set(RPI3_DTB ${FIXMAP_DTB_DIR}/broadcom/bcm2837-rpi-3-b.dtb)
add_test(NAME qemu.raspi3b.boot COMMAND ${BOOT_TEST} --machine raspi3b --dtb-file ${RPI3_DTB} --ktest
  --expect-line "Machine model: Raspberry Pi 3 Model B"
  --expect-line "earlycon: pl011 at MMIO 0x000000003f201000 (fixmap 0xfffffffffddfe000)"
  --expect-line "earlycon: stdout-path \"serial1\" is a brcm,bcm2835-aux-uart, not a PL011"
  --expect-line "earlycon: BCM2835 GPIO at 0x3f200000: GPIO14/15 set to ALT0"
  --expect-line "CPU: entered at EL2, running at EL1"
  --expect-line "Memory: DT memory range 0: [mem 0x0000000000000000-0x000000003bffffff] 960 MiB"
  --expect-line "smp: cpu@3: spin-table release address 0xf0 holds 0x0"
  --expect-line "psci: no PSCI node in the device tree"
  --expect-line "][    C3] CPU3: Booted secondary processor 0x0000000003 [0x410fd034]"
  --expect-line "][    C0] smp: Brought up 1 node, 4 CPUs"
  --expect-line "smp: no interrupt controller: the other CPUs idle with interrupts masked and take no IPIs")
add_test(NAME qemu.raspi3b.explicit_earlycon COMMAND ${BOOT_TEST} --machine raspi3b --dtb-file ${RPI3_DTB}
  --append "earlycon=pl011,0x3f201000,115200n8" --expect-source "earlycon=pl011,0x3f201000,115200n8"
  --expect-line "PL011 programmed for 115200 8N1")
add_test(NAME qemu.raspi3b.loaded_at_0x80000_from_el3 COMMAND ${BOOT_TEST} --machine raspi3b
  --loader-addr 0x80000 --expect-status 3 --expect-line "CPU: entered at EL3, running at EL1"
  --expect-line "Kernel image: pa 0x0000000000080000-"
  --expect-line "no device tree: the boot loader passed x0 = 0")
set_tests_properties(qemu.raspi3b.boot qemu.raspi3b.explicit_earlycon qemu.raspi3b.loaded_at_0x80000_from_el3
  PROPERTIES LABELS qemu TIMEOUT 120)
include(${CMAKE_CURRENT_LIST_DIR}/raspi4b.cmake)  # Raspberry Pi 4: QEMU 10's -M raspi4b
add_test(NAME qemu.gdb.attach_with_symbols COMMAND ${CMAKE_CURRENT_LIST_DIR}/gdb_test.sh
         ${KERNEL_BUILD_DIR}/kernel.elf ${KERNEL_BUILD_DIR}/kernel8.img)
set_tests_properties(qemu.gdb.attach_with_symbols PROPERTIES LABELS qemu TIMEOUT 120)
include(${CMAKE_CURRENT_LIST_DIR}/smp.cmake)  # every CPU brought up: PSCI, spin-table, the timeout
include(${CMAKE_CURRENT_LIST_DIR}/irq.cmake)  # interrupts and time: each GIC, the tick, no controller
add_test(NAME qemu.ktap.prove COMMAND ${CMAKE_CURRENT_LIST_DIR}/prove-ktap.sh
         ${KERNEL_BUILD_DIR}/kernel8.img)
set_tests_properties(qemu.boot.explicit_earlycon qemu.boot.halt_idle_keeps_running
  qemu.boot.no_dtb_panics_clearly qemu.boot.loaded_at_unaligned_address qemu.boot.loaded_high_in_ram
  qemu.ktap.prove PROPERTIES LABELS qemu TIMEOUT 120)

# One test per case a script lists (`script --list`), each run as `script <args> --case <case>`;
# CMake reconfigures when the script (its list of cases) changes.
function(add_listed_cases prefix script labels timeout)
  execute_process(COMMAND ${Python3_EXECUTABLE} ${script} --list
                  OUTPUT_VARIABLE cases OUTPUT_STRIP_TRAILING_WHITESPACE)
  foreach(case ${cases})
    add_test(NAME ${prefix}.${case} COMMAND ${Python3_EXECUTABLE} ${script} ${ARGN} --case ${case})
    set_tests_properties(${prefix}.${case} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout})
  endforeach()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${script})
endfunction()

# Bad boot input: malformed device trees and command lines, booted through a minimal loader.
add_listed_cases(qemu.bad_input ${CMAKE_CURRENT_LIST_DIR}/bad_input_test.py "qemu;bad_input" 60
                 --image ${KERNEL_BUILD_DIR}/kernel8.img)

# Unusual entry states through assembled boot shims: EL1t with interrupts unmasked, UNKNOWN EL2
# registers, a boot CPU other than CPU 0, EL3 entry without firmware (CNTFRQ_EL0 from the DT).
add_listed_cases(qemu.entry ${CMAKE_CURRENT_LIST_DIR}/entry_test.py qemu 120
                 --image ${KERNEL_BUILD_DIR}/kernel8.img --dtb-dir ${FIXMAP_DTB_DIR})

# The monitor, driven through the serial port; the icount boot statistics line.
add_test(NAME qemu.monitor COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/monitor_test.py
         ${KERNEL_BUILD_DIR}/kernel8.img)
add_test(NAME qemu.bootstat_icount COMMAND ${BOOT_TEST} --cpu max --qemu-arg=-icount --qemu-arg=shift=0
         --expect-line "bootstat: first console output at")
set_tests_properties(qemu.monitor qemu.bootstat_icount PROPERTIES LABELS qemu TIMEOUT 600)
