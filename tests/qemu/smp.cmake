# SMP bring-up (included from tests/qemu/qemu.cmake; the bigger matrix is in qemu/matrix.cmake).
# Every CPU the device tree lists comes online and the KTAP suites (smp among them) pass; a CPU
# that never arrives is reported after the bounded wait and the boot goes on; maxcpus= and nosmp
# are honoured. The Raspberry Pi spin-table boots are in qemu.cmake and raspi4b.cmake, the EL3
# holding pen and a boot CPU other than CPU 0 in entry_test.py.

# virt at EL1: PSCI through hvc. Logical CPU n is MPIDR n; MIDR 0x410fd034 is QEMU's cortex-a53.
add_test(NAME qemu.smp.virt_el1_psci_hvc_4cpus COMMAND ${BOOT_TEST} --cpu cortex-a53 --smp 4 --ktest
  --expect-line "psci: PSCIv1.1 detected in firmware (conduit hvc)"
  --expect-line "smp: Bringing up secondary CPUs ..."
  --expect-line "][    C1] CPU1: Booted secondary processor 0x0000000001 [0x410fd034]"
  --expect-line "][    C2] CPU2: Booted secondary processor 0x0000000002 [0x410fd034]"
  --expect-line "][    C3] CPU3: Booted secondary processor 0x0000000003 [0x410fd034]"
  --expect-line "][    C0] smp: Brought up 1 node, 4 CPUs")
# virt with EL2 (virtualization=on): PSCI through smc, eight CPUs (NR_CPUS).
add_test(NAME qemu.smp.virt_el2_psci_smc_8cpus COMMAND ${BOOT_TEST} --cpu max --el2 --smp 8 --ktest
  --expect-line "psci: PSCIv1.1 detected in firmware (conduit smc)"
  --expect-line "][    C7] CPU7: Booted secondary processor 0x0000000007 [0x000f0510]"
  --expect-line "][    C0] smp: Brought up 1 node, 8 CPUs")
# One CPU: the same lines, no CPU prefix (a single CPU never shows one).
add_test(NAME qemu.smp.virt_one_cpu COMMAND ${BOOT_TEST} --cpu cortex-a72 --smp 1 --ktest
  --expect-line "] smp: Brought up 1 node, 1 CPU")
# The bounded wait: CPU2 is started at a parking loop (smp_test_stuck=2), never arrives, is
# reported after 1 s and marked failed; CPU3 still comes up after it.
add_test(NAME qemu.smp.stuck_cpu_psci_times_out COMMAND ${BOOT_TEST} --cpu cortex-a72 --smp 4
  --append smp_test_stuck=2
  --expect-line "][    C0] CPU2: failed to come online (no response in 1000 ms; enable-method psci, MPIDR 0x0000000002)"
  --expect-line "][    C3] CPU3: Booted secondary processor 0x0000000003 [0x410fd083]"
  --expect-line "][    C0] smp: Brought up 1 node, 3 CPUs")
# The same through a spin-table whose cpu-release-addr nothing polls: the Pi 3's CPU2 waits on
# 0xe8 in QEMU's firmware stub, the kernel writes 0x1000.
add_test(NAME qemu.smp.stuck_cpu_spin_table_times_out COMMAND ${BOOT_TEST} --machine raspi3b --dtb-file ${RPI3_DTB}
  --fdtput "-t x /cpus/cpu@2 cpu-release-addr 0 0x1000"
  --expect-line "][    C0] CPU2: failed to come online (no response in 1000 ms; enable-method spin-table, release address 0x1000)"
  --expect-line "][    C3] CPU3: Booted secondary processor 0x0000000003 [0x410fd034]"
  --expect-line "][    C0] smp: Brought up 1 node, 3 CPUs")
add_test(NAME qemu.smp.maxcpus_2 COMMAND ${BOOT_TEST} --cpu cortex-a72 --smp 4 --append "maxcpus=2" --ktest
  --expect-line "smp: maxcpus=2: CPU2..CPU3 stay offline"
  --expect-line "][    C1] CPU1: Booted secondary processor 0x0000000001"
  --expect-line "][    C0] smp: Brought up 1 node, 2 CPUs")
add_test(NAME qemu.smp.maxcpus_1 COMMAND ${BOOT_TEST} --cpu cortex-a53 --smp 2 --append "maxcpus=1" --ktest
  --expect-line "smp: maxcpus=1: CPU1 stays offline" --expect-line "] smp: Brought up 1 node, 1 CPU")
add_test(NAME qemu.smp.nosmp COMMAND ${BOOT_TEST} --cpu cortex-a72 --smp 4 --append "nosmp" --ktest
  --expect-line "smp: nosmp: the 3 other CPUs stay offline" --expect-line "] smp: Brought up 1 node, 1 CPU")
add_test(NAME qemu.smp.bad_cmdline_values COMMAND ${BOOT_TEST} --cpu cortex-a72 --smp 2
  --append "maxcpus=all smp_test_stuck=0"
  --expect-line "smp: maxcpus=all: not a number (expected maxcpus=N, N >= 0); ignored"
  --expect-line "smp: smp_test_stuck=0: expected a secondary CPU's logical number, 1..7; ignored"
  --expect-line "][    C0] smp: Brought up 1 node, 2 CPUs")
# A stack overflow on a secondary: entry.S finds CPU1's own overflow stack through its TPIDR_EL1
# (the boot CPU's would be the wrong one, and TPIDR_EL1 is no longer its scratch register).
add_test(NAME qemu.smp.stack_overflow_on_cpu1 COMMAND ${BOOT_TEST} --cpu cortex-a72 --smp 2
  --append crashtest=stack-overflow-cpu1 --expect-status 3
  --expect-line "][    C1] crashtest: CPU1 about to recurse until its kernel stack overflows"
  --expect-line "][    C1] Kernel stack overflow: SP 0xffff88010002f"
  --expect-line "kernel::recurse+0x"
  --expect-line "][    C1] Kernel panic - not syncing: kernel stack overflow")
# Cross-calls, stop_machine and the shared fixmap slot on GICv3 (SGIs through ICC_SGI1R_EL1) at EL1
# and EL2, and on GICv2 (GICD_SGIR) with eight CPUs: ktest=smp runs every case of the suite.
add_test(NAME qemu.smp.gicv3_el1_4cpus COMMAND ${BOOT_TEST} --cpu cortex-a72 --smp 4 --virt-opt gic-version=3
  --ktest-suite smp --expect-line "GICv3: 224 SPIs" --expect-line "][    C0] smp: Brought up 1 node, 4 CPUs")
add_test(NAME qemu.smp.gicv3_el2_8cpus COMMAND ${BOOT_TEST} --cpu max --el2 --smp 8 --virt-opt gic-version=3
  --ktest-suite smp --expect-line "GICv3: 224 SPIs" --expect-line "][    C0] smp: Brought up 1 node, 8 CPUs")
add_test(NAME qemu.smp.gicv2_el1_8cpus COMMAND ${BOOT_TEST} --cpu max --smp 8 --virt-opt gic-version=2
  --ktest-suite smp --expect-line "GICv2: Cortex-A15 GIC" --expect-line "][    C0] smp: Brought up 1 node, 8 CPUs")
set_tests_properties(qemu.smp.gicv3_el1_4cpus qemu.smp.gicv3_el2_8cpus qemu.smp.gicv2_el1_8cpus
  PROPERTIES LABELS "qemu;smp" TIMEOUT 120)

set_tests_properties(qemu.smp.stack_overflow_on_cpu1 qemu.smp.virt_el1_psci_hvc_4cpus qemu.smp.virt_el2_psci_smc_8cpus qemu.smp.virt_one_cpu
  qemu.smp.stuck_cpu_psci_times_out qemu.smp.stuck_cpu_spin_table_times_out qemu.smp.maxcpus_2 qemu.smp.maxcpus_1
  qemu.smp.nosmp
  qemu.smp.bad_cmdline_values PROPERTIES LABELS "qemu;smp" TIMEOUT 120)
