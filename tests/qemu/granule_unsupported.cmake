# The 16 KiB kernel (preset kernel-16k, ${KERNEL_BUILD_DIR_16K}) on CPUs without the 16 KiB granule:
# Cortex-A53 and Cortex-A72 have ID_AA64MMFR0_EL1.TGran16 = 0. head.S cannot turn the MMU on, so
# it calls nommu_granule_unsupported (drivers/tty/nommu_console.cpp), which must print its message
# on the UART of /chosen/stdout-path with the MMU off, then park for ever (no PSCI call, no
# semihosting: nothing is set up to make them). So QEMU never exits: each run is cut after a few
# seconds by timeout(1) with SIGTERM (QEMU exits on it; a test killed by SIGKILL would count as
# failed whatever it printed), and the test passes on the message alone (PASS_REGULAR_EXPRESSION,
# which ignores the exit status). A kernel that hangs before the message, or boots on (the check missed),
# or takes an exception, fails.
#
# Registered always, like the other QEMU tests: a missing image fails the test (QEMU says it cannot
# load it), it is never skipped. QEMU's serial output is unbuffered, so what was printed before the
# kill is all there.
set(GRANULE_16K_IMAGE ${KERNEL_BUILD_DIR_16K}/kernel8.img)
set(GRANULE_UNSUPPORTED_RUN_SECONDS 8)
# Both lines, "\r\n" as the console writes them. The register value differs between QEMU's CPU
# models (0x1122 on the Cortex-A53, 0x1124 on the Cortex-A72: PARange).
set(GRANULE_16K_MESSAGE
  "Boot CPU: the kernel was built for the 16K granule, but this CPU does not implement it \\(ID_AA64MMFR0_EL1 0x[0-9a-f]+: TGran16 = 0\\)\\.\r?\nRebuild with a granule the CPU supports: 4K \\(TGran4 = 0\\), 64K \\(TGran64 = 0\\)\\.")
# The normal boot's first line, or any exception report: the MMU-off path was not taken or failed.
set(GRANULE_UNSUPPORTED_FORBIDDEN "Booting fixmap-kernel|Unexpected exception|Kernel panic")

# QEMU -M virt (the system's QEMU): the PL011 at 0x09000000, stdout-path "/pl011@9000000", a full
# path at the root. EL1 and EL2 entries.
add_test(NAME qemu.granule_unsupported.virt_cortex_a53
  COMMAND timeout -k 2 ${GRANULE_UNSUPPORTED_RUN_SECONDS} qemu-system-aarch64 -M virt -cpu cortex-a53 -m 1G
          -display none -monitor none -serial stdio -nic none -no-reboot -kernel ${GRANULE_16K_IMAGE})
add_test(NAME qemu.granule_unsupported.virt_cortex_a72_el2
  COMMAND timeout -k 2 ${GRANULE_UNSUPPORTED_RUN_SECONDS} qemu-system-aarch64 -M virt,virtualization=on
          -cpu cortex-a72 -m 1G -display none -monitor none -serial stdio -nic none -no-reboot -kernel ${GRANULE_16K_IMAGE})

# QEMU 10's -M raspi4b (tests/qemu/raspi4b.cmake) with the real Pi 4 DTB: stdout-path is the alias
# "serial1", the mini UART ("brcm,bcm2835-aux-uart" at bus address 0x7e215040 behind /soc's ranges,
# CPU 0xfe215040), which QEMU connects to its second -serial; the first, the PL011, must stay silent.
set(GRANULE_QEMU10 ${FIXMAP_DEPS}/qemu10)
add_test(NAME qemu.granule_unsupported.raspi4b_mini_uart
  COMMAND timeout -k 2 ${GRANULE_UNSUPPORTED_RUN_SECONDS} ${GRANULE_QEMU10}/usr/bin/qemu-system-aarch64
          -L ${GRANULE_QEMU10}/usr/share/qemu -M raspi4b -display none -monitor none -serial null -serial stdio
          -no-reboot -kernel ${GRANULE_16K_IMAGE} -dtb ${FIXMAP_DTB_DIR}/broadcom/bcm2711-rpi-4-b.dtb)

set_tests_properties(qemu.granule_unsupported.virt_cortex_a53 qemu.granule_unsupported.virt_cortex_a72_el2
  qemu.granule_unsupported.raspi4b_mini_uart PROPERTIES
  LABELS qemu TIMEOUT 60
  PASS_REGULAR_EXPRESSION "${GRANULE_16K_MESSAGE}"
  FAIL_REGULAR_EXPRESSION "${GRANULE_UNSUPPORTED_FORBIDDEN}")
