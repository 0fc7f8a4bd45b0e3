// Architecture glue: image symbols, the generic timer, MMU queries, semihosting, PSCI, stopping.
#include "asm/sections.h"
#include "asm/arch.h"
#include "asm/boot.h"
#include "asm/memory.h"
#include "asm/semihosting.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "drivers/of.h"
#include "drivers/psci.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

extern "C" {
uint64_t semihosting_call(uint64_t op, uint64_t arg);
uint64_t psci_call_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
uint64_t psci_call_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
bool probe_read64_asm(uint64_t va, uint64_t* out);
bool probe_write64_asm(uint64_t va, uint64_t value);
[[noreturn]] void arch_halt_asm();
}

namespace kernel {

constinit BootInfo boot_info;

PhysAddr kimg_to_phys(const volatile void* p) {
  return PhysAddr(reinterpret_cast<uint64_t>(p) - KIMAGE_VADDR + boot_info.phys_base.value());
}

bool phys_in_kernel_image(PhysAddr pa, uint64_t len) {
  uint64_t base = boot_info.phys_base.value();
  uint64_t size = reinterpret_cast<uintptr_t>(_end) - reinterpret_cast<uintptr_t>(_text);
  return pa.value() >= base && pa.value() + len <= base + size && pa.value() + len >= pa.value();
}

VirtAddr kimg_phys_to_virt(PhysAddr pa) { return VirtAddr(pa.value() - boot_info.phys_base.value() + KIMAGE_VADDR); }

bool arch_translate(VirtAddr va, bool write, PhysAddr* pa) {
  ParEl1 par;
  if (write)
    asm volatile("at s1e1w, %1\n isb\n mrs %0, par_el1" : "=r"(par.raw) : "r"(va.value()) : "memory");
  else
    asm volatile("at s1e1r, %1\n isb\n mrs %0, par_el1" : "=r"(par.raw) : "r"(va.value()) : "memory");
  if (par.f()) return false;  // the walk faulted
  *pa = PhysAddr(par.page_address() | va.page_offset());
  return true;
}

uint64_t arch_counter() {
  isb();
  return read_sysreg(cntvct_el0);
}
uint64_t arch_counter_freq() { return read_sysreg(cntfrq_el0); }

uint64_t arch_us_to_counter(uint64_t us) {
  uint64_t f = read_sysreg(cntfrq_el0) & 0xffffffff;  // CNTFRQ_EL0[63:32] are RES0
  if (!f) f = 1'000'000'000;
  return (us * f + 999'999) / 1'000'000;
}

void udelay(uint64_t us) {
  const uint64_t start = arch_counter(), ticks = arch_us_to_counter(us);
  while (arch_counter() - start < ticks) asm volatile("yield");
}

uint64_t arch_uptime_ns() {
  const uint64_t freq = arch_counter_freq() & 0xffffffff;  // may be set late (EL3 entry)
  if (!freq) return 0;
  uint64_t t = arch_counter();
  return (t / freq) * 1000000000ULL + (t % freq) * 1000000000ULL / freq;
}

void arch_timer_init(const void* fdt) {
  const uint32_t dt_hz = of::timer_clock_frequency(fdt);
  const uint64_t hz = arch_counter_freq() & 0xffffffff;
  if (boot_info.entry_el == 3 && dt_hz) {
    // Nothing above the kernel set CNTFRQ_EL0 (the armstub's job on a Pi): do it through the
    // kernel's own EL3 service (head.S), as only EL3 may write it.
    uint64_t r = psci_call_smc(SMCCC_SIP_SET_CNTFRQ, dt_hz, 0, 0);
    if (r != 0 || (arch_counter_freq() & 0xffffffff) != dt_hz)
      pr_err("arch_timer: entered at EL3, but setting CNTFRQ_EL0 to %u Hz failed (SMC returned 0x%lx)\n", dt_hz, r);
    else
      pr_info(
          "arch_timer: entered at EL3: CNTFRQ_EL0 set to %u Hz from the device tree's timer clock-frequency "
          "(was %lu Hz)\n",
          dt_hz, hz);
  } else if (boot_info.entry_el == 3 && hz) {
    pr_info(
        "arch_timer: entered at EL3: the device tree's timer has no clock-frequency; keeping CNTFRQ_EL0 = %lu "
        "Hz\n",
        hz);
  }
  if (!(arch_counter_freq() & 0xffffffff))
    pr_err(
        "arch_timer: CNTFRQ_EL0 is 0 (the firmware did not set it) and the device tree's arm,armv8-timer node has "
        "no clock-frequency: timestamps stay at 0 and delays assume a 1 GHz counter; add clock-frequency = <Hz> "
        "to the timer node, or boot through firmware that sets CNTFRQ_EL0\n");
}

bool arch_set_cntfrq_el3(uint32_t hz) {
  return psci_call_smc(SMCCC_SIP_SET_CNTFRQ, hz, 0, 0) == 0 && (arch_counter_freq() & 0xffffffff) == hz;
}

bool probe_read64(VirtAddr va, uint64_t* out) { return probe_read64_asm(va.value(), out); }
bool probe_write64(VirtAddr va, uint64_t value) { return probe_write64_asm(va.value(), value); }

void arch_halt() { arch_halt_asm(); }

// ---- semihosting -------------------------------------------------------------------------------
namespace {
bool g_semihosting = false;
constexpr uint64_t SYS_ERRNO = 0x13;
constexpr uint64_t SYS_EXIT = 0x18;
constexpr uint64_t ADP_Stopped_ApplicationExit = 0x20026;
}  // namespace

void semihosting_probe() { g_semihosting = semihosting_call(SYS_ERRNO, 0) != static_cast<uint64_t>(-2); }
bool semihosting_available() { return g_semihosting; }

void semihosting_exit(int status) {
  uint64_t block[2] = {ADP_Stopped_ApplicationExit, static_cast<uint64_t>(status)};
  semihosting_call(SYS_EXIT, reinterpret_cast<uint64_t>(block));
  arch_halt();
}

// ---- PSCI (Arm DEN 0022) -------------------------------------------------------------------------
namespace {
of::PsciConduit g_conduit = of::PsciConduit::None;

uint64_t psci_call(uint64_t fn, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  switch (g_conduit) {
    case of::PsciConduit::Hvc: return psci_call_hvc(fn, a1, a2, a3);
    case of::PsciConduit::Smc: return psci_call_smc(fn, a1, a2, a3);
    case of::PsciConduit::None: break;
  }
  return static_cast<uint64_t>(-1);  // NOT_SUPPORTED
}
}  // namespace

const char* psci_ret_name(int32_t ret) {
  switch (static_cast<PsciRet>(ret)) {
    case PsciRet::Success: return "SUCCESS";
    case PsciRet::NotSupported: return "NOT_SUPPORTED";
    case PsciRet::InvalidParameters: return "INVALID_PARAMETERS";
    case PsciRet::Denied: return "DENIED";
    case PsciRet::AlreadyOn: return "ALREADY_ON";
    case PsciRet::OnPending: return "ON_PENDING";
    case PsciRet::InternalFailure: return "INTERNAL_FAILURE";
    case PsciRet::NotPresent: return "NOT_PRESENT";
    case PsciRet::Disabled: return "DISABLED";
    case PsciRet::InvalidAddress: return "INVALID_ADDRESS";
  }
  return "an unknown PSCI return code";
}

void psci_init(of::PsciConduit conduit) { g_conduit = conduit; }
of::PsciConduit psci_conduit() { return g_conduit; }

uint32_t psci_version() {
  if (g_conduit == of::PsciConduit::None) return 0;
  uint64_t v = psci_call(PSCI_0_2_FN_PSCI_VERSION);
  return static_cast<int64_t>(v) < 0 ? 0 : static_cast<uint32_t>(v);
}

void psci_system_off() {
  if (g_conduit != of::PsciConduit::None) psci_call(PSCI_0_2_FN_SYSTEM_OFF);
}
void psci_system_reset() {
  if (g_conduit != of::PsciConduit::None) psci_call(PSCI_0_2_FN_SYSTEM_RESET);
}

Status psci_cpu_on(uint64_t target_mpidr, PhysAddr entry, uint64_t context_id) {
  if (g_conduit == of::PsciConduit::None) return KERR(Errc::NotFound, "no PSCI conduit (the DT has no /psci method)");
  // The result is an int32 in W0 (SMC Calling Convention): the upper half of X0 is not part of it.
  const auto ret = static_cast<int32_t>(psci_call(PSCI_0_2_FN64_CPU_ON, target_mpidr, entry.value(), context_id));
  if (ret == static_cast<int32_t>(PsciRet::Success)) return {};
  return KERR(Errc::Invalid, "PSCI CPU_ON(0x%010lx, entry 0x%lx) returned %s (%d)", target_mpidr, entry.value(),
              psci_ret_name(ret), ret);
}

// ---- stopping ----------------------------------------------------------------------------------

namespace {
// Without a console the log buffer is the only record of what went wrong: hand it to the
// semihosting debug channel (QEMU prints it on its stdout/stderr).
void semihosting_dump_log() {
  static char buf[16384];
  static const char hdr[] = "\n[no console: log buffer follows, via semihosting]\n";
  semihosting_call(0x04 /* SYS_WRITE0 */, reinterpret_cast<uint64_t>(hdr));
  size_t total = log_buffer_size();
  size_t n = log_buffer_copy(buf, sizeof buf);
  (void)total;
  if (n) semihosting_call(0x04, reinterpret_cast<uint64_t>(buf));
}
}  // namespace

void machine_exit(int status) {
  if (semihosting_available()) {
    if (!console_active()) semihosting_dump_log();
    semihosting_exit(status);
  }
  if (status == 0) {
    psci_system_off();
    pr_emerg("reboot: PSCI SYSTEM_OFF unavailable (conduit %s); halting the CPU\n", of::psci_conduit_name(g_conduit));
  } else {
    pr_emerg("reboot: stopped with status %d; halting the CPU (attach a debugger, or reset the board)\n", status);
  }
  arch_halt();
}

void panic_stop(int status) { machine_exit(status); }

void panic_on(const Error& e, const char* what) {
  char msg[224];
  e.format(msg, sizeof msg);
  panic("%s: %s", what, msg);
}

void panic(const char* fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  pr_emerg("Kernel panic - not syncing: %s\n", msg);
  pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", msg);
  machine_exit(3);
}

}  // namespace kernel
