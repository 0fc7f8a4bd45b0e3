# Raspberry Pi 4 under QEMU 10's -M raspi4b (included from tests/qemu/qemu.cmake).
#
# QEMU 7.2 (the system's) has no raspi4b: these tests use the QEMU 10 that tools/install-deps
# unpacks from Debian's bookworm-backports into ${FIXMAP_DEPS}/qemu10 (boot_test.py --qemu10, which
# prints the QEMU and its version first). If it is not there the tests FAIL and say so; they never
# skip. The raspi4b machine enters at EL2 with the DTB at 0x08000000, the Image at 0x200000, four
# Cortex-A72 cores in QEMU's spin-table stub, the PL011 at 0xfe201000 on the first -serial, and
# writes the memory node itself (960 MiB below the VideoCore carve-out). No PSCI.
set(RPI4_DTB ${FIXMAP_DTB_DIR}/broadcom/bcm2711-rpi-4-b.dtb)
set(RPI4_BOOT_TEST ${BOOT_TEST} --qemu10 --machine raspi4b --dtb-file ${RPI4_DTB})
# What the Pi 4 firmware puts in front of cmdline.txt in /chosen/bootargs (Linux's parameters for
# its own drivers: the mini UART as ttyS0, the frame buffer, the VideoCore memory, the MAC address).
set(RPI4_FIRMWARE_ARGS "coherent_pool=1M 8250.nr_uarts=1 snd_bcm2835.enable_headphones=0 bcm2708_fb.fbwidth=0 bcm2708_fb.fbheight=0 bcm2708_fb.fbswap=1 smsc95xx.macaddr=DC:A6:32:00:00:01 vc_mem.mem_base=0x3ec00000 vc_mem.mem_size=0x40000000  console=ttyS0,115200 console=tty1")
# cmdline.txt as tools/mksdcard writes it by default.
file(STRINGS ${CMAKE_SOURCE_DIR}/tools/mksdcard RPI4_CMDLINE_TXT REGEX "^cmdline=\"[^\"]*\"$" LIMIT_COUNT 1)
string(REGEX REPLACE "^cmdline=\"([^\"]*)\"$" "\\1" RPI4_CMDLINE_TXT "${RPI4_CMDLINE_TXT}")
if(NOT RPI4_CMDLINE_TXT MATCHES "^earlycon=")
  message(FATAL_ERROR "tests/qemu/raspi4b.cmake: could not read the default cmdline.txt from tools/mksdcard")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/mksdcard)

# The real DTB, no command line, the in-kernel suites: the PL011 is found through /soc ranges
# although stdout-path names the mini UART, the GPIO pins are routed to it, all suites pass.
set(RPI4_BOOT_CHECKS
  --expect-line "Machine model: Raspberry Pi 4 Model B"
  --expect-line "earlycon: pl011 at MMIO 0x00000000fe201000 (fixmap 0xfffffffffddfe000)"
  --expect-line "earlycon: stdout-path \"serial1\" is a brcm,bcm2835-aux-uart, not a PL011"
  --expect-line "earlycon: BCM2711 GPIO at 0xfe200000: GPIO14/15 set to ALT0"
  --expect-line "CPU: entered at EL2, running at EL1"
  --expect-line "Kernel image: pa 0x0000000000200000-"
  --expect-line "Memory: DT memory range 0: [mem 0x0000000000000000-0x000000003bffffff] 960 MiB"
  --expect-line "smp: cpu@3: spin-table release address 0xf0 holds 0x0"
  --expect-line "psci: no PSCI node in the device tree")
add_test(NAME qemu.raspi4b.boot COMMAND ${RPI4_BOOT_TEST} --ktest ${RPI4_BOOT_CHECKS}
  --expect-line "semihosting: available" --expect-line "reboot: Power down"
  --expect-line "][    C1] CPU1: Booted secondary processor 0x0000000001 [0x410fd083]"
  --expect-line "][    C3] CPU3: Booted secondary processor 0x0000000003 [0x410fd083]"
  --expect-line "][    C0] smp: Brought up 1 node, 4 CPUs")
# The same without semihosting, as on the board: nothing can power off, so the kernel ends in its
# monitor; the KTAP suites must have run and passed before the prompt.
add_test(NAME qemu.raspi4b.boot_no_semihosting COMMAND ${RPI4_BOOT_TEST} --ktest ${RPI4_BOOT_CHECKS}
  --no-semihosting --stop-at-prompt --expect-line "semihosting: not available"
  --expect-line "fixmap-kernel monitor: type 'help' for commands")

# halt=off without semihosting: no PSCI, so the kernel says it cannot power off and halts the CPU.
add_test(NAME qemu.raspi4b.halt_off_no_semihosting COMMAND ${RPI4_BOOT_TEST} --append halt=off --no-semihosting
  --expect-line "reboot: Power down"
  --expect-line "reboot: PSCI SYSTEM_OFF unavailable (conduit none); halting the CPU")

# The command line as the firmware builds it: its arguments, then cmdline.txt's. Linux's own
# parameters are listed once as not used (not warned about one by one), the earlycon= of
# cmdline.txt picks the PL011, boot completes.
string(REGEX REPLACE " +" " " RPI4_FIRMWARE_ARGS_1SP "${RPI4_FIRMWARE_ARGS}")
set(RPI4_FIRMWARE_UNKNOWN
  --expect-line "Kernel command line: Linux parameters, not used by this kernel: ${RPI4_FIRMWARE_ARGS_1SP} (the console is the PL011 chosen by earlycon= or /chosen/stdout-path)")
add_test(NAME qemu.raspi4b.firmware_cmdline COMMAND ${RPI4_BOOT_TEST}
  --append "${RPI4_FIRMWARE_ARGS} ${RPI4_CMDLINE_TXT}"
  --expect-line "Kernel command line: ${RPI4_FIRMWARE_ARGS} ${RPI4_CMDLINE_TXT}"
  --expect-source "${RPI4_CMDLINE_TXT}"
  --expect-line "earlycon: pl011 at MMIO 0x00000000fe201000 (fixmap 0xfffffffffddfe000) (options '115200n8')"
  ${RPI4_FIRMWARE_UNKNOWN}
  --expect-line "Boot complete in" --expect-line "reboot: Power down")

# The SD card image of tools/mksdcard: config.txt, cmdline.txt, kernel8.img and the DTB read back
# from its FAT partition with mtools, booted as the firmware would (no semihosting: the monitor).
add_test(NAME qemu.raspi4b.sdcard COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/qemu/raspi4b_sdcard_test.py
  --top ${CMAKE_SOURCE_DIR} --firmware-args "${RPI4_FIRMWARE_ARGS}" --expect-line "Machine model: Raspberry Pi 4 Model B")

set_tests_properties(qemu.raspi4b.boot qemu.raspi4b.boot_no_semihosting qemu.raspi4b.halt_off_no_semihosting
  qemu.raspi4b.firmware_cmdline qemu.raspi4b.sdcard PROPERTIES LABELS qemu TIMEOUT 120 ENVIRONMENT "FIXMAP_DEPS=${FIXMAP_DEPS}")
# tools.mksdcard and this both run mkfs.vfat and mtools on a 64 MiB image: one at a time (under
# -j2 on a loaded machine one of them once failed while the other ran).
set_tests_properties(qemu.raspi4b.sdcard PROPERTIES RESOURCE_LOCK sdcard_image)
