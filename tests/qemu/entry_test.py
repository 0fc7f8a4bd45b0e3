#!/usr/bin/env python3
"""Unusual but legal entry states: boot loaders ("shims", assembled here) that enter the kernel in
states the boot protocol allows or that real firmware leaves behind, which QEMU's own loader never
produces. Each case must boot to the end (with the KTAP suites where they apply), print its lines
and stop with status 0.

  entry_test.py --image kernel8.img --case NAME      run one case
  entry_test.py --list                                 the case names (CMake makes one test each)
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot_test import check_ktap  # noqa: E402
from qemu_run import case_main, finish, problems, run_boot  # noqa: E402

VIRT_KERNEL, VIRT_SHIM, VIRT_DTB = 0x40200000, 0x40100000, 0x48000000
# raspi3b from EL3 through QEMU's generic loader: RAM from 0; the other three cores start at 0,
# so the shim and everything else stay clear of the low pages.
PI_KERNEL, PI_SHIM, PI_DTB = 0x80000, 0x70000, 0x2000000

PSCI_CPU_ON_64, PSCI_CPU_OFF = 0xC4000003, 0x84000002

# What EL3 firmware does for a Non-secure kernel on a GIC with two security states (a Raspberry Pi
# 4's armstub does it for its GIC-400): every interrupt into (Non-secure) Group 1, since Non-secure
# software cannot change groups, and the groups enabled in the distributor. GICv2: GICD_IGROUPR0..31
# (register 0 is this CPU's banked SGIs and PPIs), GICD_CTLR = EnableGrp0 | EnableGrp1 (Secure view),
# and GICC_PMR in its upper half (0xff), without which Non-secure writes to it are ignored.
GICV2_GROUP1_SHIM = (
    "ldr x1, =0x08000080\n mvn w2, wzr\n mov x3, #32\n"
    "1: str w2, [x1], #4\n subs x3, x3, #1\n b.ne 1b\n"
    "ldr x1, =0x08000000\n mov w2, #3\n str w2, [x1]\n"
    "ldr x1, =0x08010004\n mov w2, #0xff\n str w2, [x1]\n")
# GICv3: affinity routing for both states (GICD_CTLR.ARE_S | ARE_NS), the SPIs' GICD_IGROUPRn and
# CPU 0's GICR_IGROUPR0 (SGI_base + 0x80) = Group 1 with GICD_IGRPMODR/GICR_IGRPMODR0 = 0 (Non-secure),
# and CPU 0's redistributor woken (GICR_WAKER.ProcessorSleep is Secure-only with two states).
GICV3_GROUP1_SHIM = (
    "ldr x1, =0x08000000\n mov w2, #0x30\n str w2, [x1]\n"
    "ldr x1, =0x08000084\n mvn w2, wzr\n mov x3, #31\n"
    "1: str w2, [x1], #4\n subs x3, x3, #1\n b.ne 1b\n"
    "ldr x1, =0x080b0080\n str w2, [x1]\n"
    "ldr x1, =0x080a0014\n str wzr, [x1]\n"
    "2: ldr w2, [x1]\n tbnz w2, #2, 2b\n")

CASES = {
    # booting.rst asks for interrupts masked, and says nothing of SPSel: a loader that leaves EL1t
    # selected (SP_EL0) and DAIF clear must still give a kernel whose exceptions land on its stack.
    "el1t_interrupts_unmasked": dict(
        machine="virt", cpu="cortex-a72", ktest=True,
        shim="msr spsel, #0\n msr daifclr, #0xf\n ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["CPU: entered at EL1, running at EL1", "Boot complete"]),
    # EL2 registers are UNKNOWN at reset on silicon: a firmware that leaves VPIDR/VMPIDR_EL2 with
    # other values makes EL1 read them as MIDR/MPIDR. The kernel must program them from the real ones.
    "el2_unknown_vpidr_vmpidr": dict(
        machine="virt,virtualization=on", cpu="cortex-a72", ktest=True,
        shim="ldr x1, =0x12345678\n msr vpidr_el2, x1\n ldr x1, =0x80000077\n msr vmpidr_el2, x1\n"
             " ldr x1, =0xffff\n msr mdcr_el2, x1\n"
             " ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["Booting fixmap-kernel on physical CPU 0x0000000000 [0x410fd083]",
               "CPU: entered at EL2, running at EL1", "Boot complete"]),
    # The boot protocol lets the loader boot any CPU: here CPU 0 starts CPU 1 in the kernel through
    # PSCI CPU_ON (x0 = the DTB via the context ID) and switches itself off.
    "boot_cpu_is_cpu1": dict(
        machine="virt", cpu="cortex-a53", smp=2, ktest=True,
        shim="ldr x0, =PSCI_CPU_ON_64\n mov x1, #1\n ldr x2, =KERNEL\n ldr x3, =DTB\n hvc #0\n"
             " cbnz x0, .\n ldr x0, =PSCI_CPU_OFF\n hvc #0\n b .\n .ltorg",
        lines=["Booting fixmap-kernel on physical CPU 0x0000000001",
               # logical CPU 1 is MPIDR 0, which CPU_ON starts again after the shim turned it off
               "][    C1] CPU1: Booted secondary processor 0x0000000000 [0x410fd034]",
               "][    C0] smp: Brought up 1 node, 2 CPUs", "Boot complete"]),
    # A Raspberry Pi with kernel_old=1 and no armstub enters at EL3 on all four cores at once (here:
    # QEMU's loader starts every core at the shim): the core with MPIDR 0 boots, the others wait in
    # the kernel's holding pen until smp_init lets them out by MPIDR (there is no firmware to
    # implement the DT's spin-table), each setting its own CNTFRQ_EL0 through the EL3 service.
    # Nothing above the kernel set CNTFRQ_EL0 (QEMU's reset value is 62.5 MHz; the DT here says 54 MHz, the BCM2711 value) and
    # the kernel must do the firmware's work itself. The firmware's memory-node fix-up (RAM below
    # the VideoCore's 64 MiB, which QEMU's VideoCore model uses) is done here with fdtput.
    "el3_entry_sets_cntfrq_from_dt": dict(
        machine="raspi3b", dtb="broadcom/bcm2837-rpi-3-b.dtb", ktest=True, all_cpus=4,
        fdtput=[["-t", "x", "/memory@0", "reg", "0", "0x3c000000"],
                ["-t", "u", "/timer", "clock-frequency", "54000000"]],
        shim="ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["CPU: entered at EL3, running at EL1",
               "arch_timer: entered at EL3: CNTFRQ_EL0 set to 54000000 Hz from the device tree's timer "
               "clock-frequency (was 62500000 Hz)", "(timer 54000000 Hz)",
               "smp: entered at EL3 with no firmware: the other CPUs wait in the kernel's holding pen",
               "][    C3] CPU3: Booted secondary processor 0x0000000003 [0x410fd034]",
               "][    C0] smp: Brought up 1 node, 4 CPUs", "Boot complete"]),
    # A GIC with two security states seen from Non-secure EL1 (QEMU's virt with secure=on; the shim
    # plays the EL3 firmware): GICD_IGROUPRn are Secure-only (RAZ/WI to the kernel). The kernel must
    # notice the Non-secure view, leave the groups to the firmware, and take its Group 1 interrupts.
    "gicv2_nonsecure_groups_from_firmware": dict(
        machine="virt,secure=on,virtualization=on,gic-version=2", cpu="cortex-a72", ktest=True,
        shim=GICV2_GROUP1_SHIM + " ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["CPU: entered at EL3, running at EL1",
               "GICv2: Cortex-A15 GIC at 0x08000000 (dist), 0x08010000 (cpu), 256 SPIs, Non-secure (Group 1; "
               "the groups are the firmware's)",
               "arch_timer: 100 Hz tick on the EL1 virtual timer, INTID 27 (PPI 11)", "Boot complete"]),
    # Firmware that left every interrupt in Group 0 (Secure): nothing the kernel could take. It must
    # say so in its own words and carry on without interrupts, not hang in an interrupt storm.
    "gicv2_nonsecure_groups_left_secure": dict(
        machine="virt,secure=on,virtualization=on,gic-version=2", cpu="cortex-a72", ktest=True,
        shim="ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["GICv2: no SGI of CPU interface 0x0 can be enabled (GICD_ISENABLER0 = 0x00000000): the firmware "
               "left them in Group 0, and this Non-secure kernel takes Group 1 only",
               "irq: the boot CPU's GICv2 interface could not be set up: interrupts and SMP stay off",
               "arch_timer: no tick: no interrupt controller", "Boot complete"]),
    # Groups set, but the priority mask left at its reset value 0: Non-secure writes to GICC_PMR are
    # then ignored and every interrupt stays masked.
    "gicv2_nonsecure_priority_mask_left_low": dict(
        machine="virt,secure=on,virtualization=on,gic-version=2", cpu="cortex-a72", ktest=True,
        shim=GICV2_GROUP1_SHIM.split("ldr x1, =0x08010004")[0] + " ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["GICv2: GICC_PMR stays 0 after writing 0xf0: every interrupt masked (the firmware must leave the "
               "priority mask at 0x80 or above for Non-secure software)",
               "irq: the boot CPU's GICv2 interface could not be set up: interrupts and SMP stay off", "Boot complete"]),
    "gicv3_nonsecure_groups_from_firmware": dict(
        machine="virt,secure=on,virtualization=on,gic-version=3", cpu="cortex-a72", ktest=True,
        shim=GICV3_GROUP1_SHIM + " ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["CPU: entered at EL3, running at EL1",
               "GICv3: 224 SPIs, distributor at 0x08000000, redistributors at 0x080a0000 (1 CPU), Non-secure",
               "arch_timer: 100 Hz tick on the EL1 virtual timer, INTID 27 (PPI 11)", "Boot complete"]),
    "gicv3_nonsecure_groups_left_secure": dict(
        machine="virt,secure=on,virtualization=on,gic-version=3", cpu="cortex-a72", ktest=True,
        shim="ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["irq: the boot CPU's GICv3 interface could not be set up: interrupts and SMP stay off",
               "arch_timer: no tick: no interrupt controller", "Boot complete"]),
    "el3_entry_without_dt_frequency": dict(
        machine="raspi3b", dtb="broadcom/bcm2837-rpi-3-b.dtb", ktest=True, all_cpus=4,
        fdtput=[["-t", "x", "/memory@0", "reg", "0", "0x3c000000"]],
        shim="ldr x0, =DTB\n ldr x4, =KERNEL\n br x4\n .ltorg",
        lines=["CPU: entered at EL3, running at EL1",
               "arch_timer: entered at EL3: the device tree's timer has no clock-frequency; keeping CNTFRQ_EL0 "
               "= 62500000 Hz", "Boot complete"]),
}


def assemble(src, defines, tmp):
    """Assembles a shim with the cross assembler into a raw binary."""
    for k, v in defines.items():
        src = re.sub(r"\b%s\b" % k, "0x%x" % v, src)
    s, o, b = (os.path.join(tmp, "shim" + e) for e in (".S", ".o", ".bin"))
    open(s, "w").write(".text\n" + src.replace("\n ", "\n") + "\n")
    subprocess.run(["aarch64-linux-gnu-as", "-o", o, s], check=True)
    subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", "-j", ".text", o, b], check=True)
    return b


def main():
    dtb_dir = os.path.join(os.environ.get("FIXMAP_DEPS", os.path.expanduser("~/.cache/fixmap-kernel")), "dtbs")
    a, case = case_main(__doc__, CASES, 60, lambda p: p.add_argument("--dtb-dir", default=dtb_dir))
    tmp = tempfile.mkdtemp()
    machine = case["machine"]
    pi = machine.startswith("raspi")
    kernel_at, shim_at, dtb_at = (PI_KERNEL, PI_SHIM, PI_DTB) if pi else (VIRT_KERNEL, VIRT_SHIM, VIRT_DTB)
    base = ["qemu-system-aarch64", "-M", machine, "-nographic", "-no-reboot",
            "-semihosting-config", "enable=on,target=native"]
    if not pi:
        base += ["-cpu", case["cpu"], "-m", "1G", "-smp", str(case.get("smp", 1)), "-nic", "none"]
    dtb = os.path.join(tmp, "case.dtb")
    if pi:
        src = os.path.join(a.dtb_dir, case["dtb"])
        if not os.path.exists(src):
            print("FAIL: %s not found: run tools/install-deps" % src)
            sys.exit(1)
        open(dtb, "wb").write(open(src, "rb").read())
    else:
        m = base.index(machine)
        subprocess.run(base[:m] + [machine + ",dumpdtb=" + dtb] + base[m + 1:], check=True, capture_output=True)
    if case.get("ktest"):
        subprocess.run(["fdtput", "-t", "s", dtb, "/chosen", "bootargs", "ktest"], check=True)
    for e in case.get("fdtput", []):
        subprocess.run(["fdtput", dtb] + e, check=True)
    shim = assemble(case["shim"], dict(DTB=dtb_at, KERNEL=kernel_at, PSCI_CPU_ON_64=PSCI_CPU_ON_64,
                                       PSCI_CPU_OFF=PSCI_CPU_OFF), tmp)
    cmd = base + ["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (a.image, kernel_at),
                  "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (shim, shim_at),
                  "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (dtb, dtb_at),
                  "-device", "loader,addr=0x%x,cpu-num=0" % shim_at]
    for cpu in range(1, case.get("all_cpus", 1)):
        cmd += ["-device", "loader,addr=0x%x,cpu-num=%d" % (shim_at, cpu)]
    status, out = run_boot(cmd, a.timeout, "QEMU did not finish: the kernel hung or parked")
    finish(problems(status, out, 0, case["lines"], ["Unexpected exception", "Kernel panic"]))
    if case.get("ktest"):
        check_ktap(out)
    print("\nPASS")


if __name__ == "__main__":
    main()
