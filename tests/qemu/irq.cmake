# Interrupts and time (included from tests/qemu/qemu.cmake): the in-kernel irq suite (tick, SGIs,
# spurious acknowledges, delays) on every interrupt controller QEMU models, with the log lines that
# say what the kernel found. The Non-secure views of both GICs (firmware that sets the groups, or
# does not) are boots through EL3 shims in entry_test.py.
set(IRQ_VIRT_TIMER
  --expect-line "arch_timer: cp15 timer running at 62.50MHz (virt)."
  --expect-line "arch_timer: 100 Hz tick on the EL1 virtual timer, INTID 27 (PPI 11), 625000 counts per tick")
set(IRQ_VIRT_GICV2
  --expect-line "GICv2: Cortex-A15 GIC at 0x08000000 (dist), 0x08010000 (cpu), 256 SPIs, no Security Extensions (Group 0 as IRQ)")
# QEMU 7.2's virt has a GICv2 unless asked (gic-version=2 is its default).
add_test(NAME qemu.irq.virt_gicv2.el1 COMMAND ${BOOT_TEST} --cpu cortex-a53 --virt-opt gic-version=2 --ktest-suite irq
  ${IRQ_VIRT_GICV2} ${IRQ_VIRT_TIMER})
add_test(NAME qemu.irq.virt_gicv2.el2 COMMAND ${BOOT_TEST} --cpu max --el2 --smp 2 --virt-opt gic-version=2
  --ktest-suite irq ${IRQ_VIRT_GICV2} ${IRQ_VIRT_TIMER})
# GICv3: a redistributor per CPU, found by its GICR_TYPER affinity; the system register CPU interface
# (ICC_SRE_EL2.Enable from head.S lets EL1 set ICC_SRE_EL1.SRE after an EL2 entry).
add_test(NAME qemu.irq.virt_gicv3.el1 COMMAND ${BOOT_TEST} --cpu cortex-a72 --virt-opt gic-version=3 --ktest-suite irq
  --expect-line "GICv3: 224 SPIs, distributor at 0x08000000, redistributors at 0x080a0000 (1 CPU), single security state"
  ${IRQ_VIRT_TIMER})
add_test(NAME qemu.irq.virt_gicv3.el2 COMMAND ${BOOT_TEST} --cpu max --el2 --smp 4 --virt-opt gic-version=3
  --ktest-suite irq
  --expect-line "GICv3: 224 SPIs, distributor at 0x08000000, redistributors at 0x080a0000 (4 CPUs), single security state"
  ${IRQ_VIRT_TIMER})
add_test(NAME qemu.irq.virt_gicv3.cortex_a53 COMMAND ${BOOT_TEST} --cpu cortex-a53 --virt-opt gic-version=3
  --ktest-suite irq --expect-line "GICv3: 224 SPIs" ${IRQ_VIRT_TIMER})
set_tests_properties(qemu.irq.virt_gicv2.el1 qemu.irq.virt_gicv2.el2 qemu.irq.virt_gicv3.el1 qemu.irq.virt_gicv3.el2
  qemu.irq.virt_gicv3.cortex_a53 PROPERTIES LABELS qemu TIMEOUT 120)

# Raspberry Pi 4 (QEMU 10): the GIC-400 behind /soc ranges. The board's armstub programs CNTFRQ_EL0
# to 54 MHz; QEMU's Cortex-A72 counts at 62.5 MHz unless its cntfrq property says otherwise, so the
# test gives it the board's frequency and expects the kernel to report and use it.
add_test(NAME qemu.irq.raspi4b COMMAND ${RPI4_BOOT_TEST} --qemu-arg=-global --qemu-arg=cortex-a72-arm-cpu.cntfrq=54000000
  --ktest-suite irq
  --expect-line "GICv2: GIC-400 at 0xff841000 (dist), 0xff842000 (cpu), 192 SPIs"
  --expect-line "arch_timer: cp15 timer running at 54.00MHz (virt)."
  --expect-line "arch_timer: 100 Hz tick on the EL1 virtual timer, INTID 27 (PPI 11), 540000 counts per tick")
set_tests_properties(qemu.irq.raspi4b PROPERTIES LABELS qemu TIMEOUT 120 ENVIRONMENT "FIXMAP_DEPS=${FIXMAP_DEPS}")
# Raspberry Pi 3 (QEMU 7.2): its per-CPU interrupts go to a bcm2836-l1-intc, which the kernel does not
# drive: one line says so, no tick, and the irq suite checks that interrupts stay masked.
add_test(NAME qemu.irq.raspi3b_no_supported_controller COMMAND ${BOOT_TEST} --machine raspi3b --dtb-file ${RPI3_DTB}
  --ktest-suite irq
  --expect-line "irq: no supported interrupt controller in the device tree (found brcm,bcm2836-l1-intc): interrupts and SMP stay off"
  --expect-line "arch_timer: cp15 timer running at 62.50MHz (virt)."
  --expect-line "arch_timer: no tick: no interrupt controller"
  --expect-line "ok 2 without_a_controller_interrupts_stay_masked"
  --expect-line "ok 3 the_timer_ticks_on_this_cpu # SKIP")
set_tests_properties(qemu.irq.raspi3b_no_supported_controller PROPERTIES LABELS qemu TIMEOUT 120)
