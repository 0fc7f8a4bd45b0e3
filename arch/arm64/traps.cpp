// Exception handling: expected faults are fixed up through __ex_table; anything else is reported
// in full (class, decoded ESR, FAR, ELR, registers, backtrace) and the kernel stops.
#include "asm/sections.h"
#include "arch/arm64/traps.h"

#include "asm/arch.h"
#include "asm/sysreg.h"
#include "asm/sysreg_fields.h"
#include "drivers/irqchip.h"
#include "kernel/kallsyms.h"
#include "kernel/panic.h"
#include "kernel/printk.h"

extern "C" {
struct ExEntry {
  uint64_t insn;
  uint64_t fixup;
};
extern const ExEntry __start___ex_table[], __stop___ex_table[];
extern char probe_exec_asm[], probe_exec_fixup[];
void do_exception(kernel::PtRegs* regs, uint64_t kind);
[[noreturn]] void handle_bad_stack(uint64_t sp);
}

namespace kernel {

const char* esr_class_name(uint32_t ec) {
  switch (static_cast<EsrEc>(ec)) {
    case EsrEc::Unknown: return "Unknown reason (undefined instruction)";
    case EsrEc::Wfx: return "Trapped WFI/WFE";
    case EsrEc::FpAsimd: return "Trapped SVE/SIMD/FP access";
    case EsrEc::IllegalState: return "Illegal Execution state";
    case EsrEc::Svc64: return "SVC (AArch64)";
    case EsrEc::Hvc64: return "HVC (AArch64)";
    case EsrEc::Smc64: return "SMC (AArch64)";
    case EsrEc::SysReg: return "Trapped MSR/MRS/system instruction";
    case EsrEc::InstrAbortLowerEl: return "Instruction Abort (lower EL)";
    case EsrEc::InstrAbortCurrentEl: return "Instruction Abort (current EL)";
    case EsrEc::PcAlignment: return "PC alignment fault";
    case EsrEc::DataAbortLowerEl: return "Data Abort (lower EL)";
    case EsrEc::DataAbortCurrentEl: return "Data Abort (current EL)";
    case EsrEc::SpAlignment: return "SP alignment fault";
    case EsrEc::SError: return "SError interrupt";
    case EsrEc::BreakpointLowerEl: return "Breakpoint (lower EL)";
    case EsrEc::BreakpointCurrentEl: return "Breakpoint (current EL)";
    case EsrEc::SoftwareStepLowerEl: return "Software Step (lower EL)";
    case EsrEc::SoftwareStepCurrentEl: return "Software Step (current EL)";
    case EsrEc::WatchpointLowerEl: return "Watchpoint (lower EL)";
    case EsrEc::WatchpointCurrentEl: return "Watchpoint (current EL)";
    case EsrEc::Brk64: return "BRK instruction";
  }
  return "Unrecognised exception class";
}

// DFSC/IFSC (Arm ARM, "ISS encoding for an exception from a Data Abort"): 0b0000LL..0b0011LL are
// the faults of a translation level LL; the rest are single codes.
const char* abort_fault_status(uint32_t fsc, char* buf, unsigned len) {
  unsigned level = fsc & 3;
  switch (fsc & 0x3c) {
    case 0x00: snprintf(buf, len, "address size fault, level %u", level); return buf;
    case 0x04: snprintf(buf, len, "translation fault, level %u", level); return buf;
    case 0x08: snprintf(buf, len, "access flag fault, level %u", level); return buf;
    case 0x0c: snprintf(buf, len, "permission fault, level %u", level); return buf;
    default: break;
  }
  if (fsc == 0x21)
    snprintf(buf, len, "alignment fault");
  else if (fsc == 0x10)
    snprintf(buf, len, "synchronous external abort");
  else if (fsc == 0x30)
    snprintf(buf, len, "TLB conflict abort");
  else
    snprintf(buf, len, "fault status 0x%02x", fsc);
  return buf;
}

namespace {

const char* const kKindName[16] = {
    "Synchronous (EL1t)",         "IRQ (EL1t)",         "FIQ (EL1t)",         "SError (EL1t)",
    "Synchronous (EL1h)",         "IRQ (EL1h)",         "FIQ (EL1h)",         "SError (EL1h)",
    "Synchronous (EL0, AArch64)", "IRQ (EL0, AArch64)", "FIQ (EL0, AArch64)", "SError (EL0, AArch64)",
    "Synchronous (EL0, AArch32)", "IRQ (EL0, AArch32)", "FIQ (EL0, AArch32)", "SError (EL0, AArch32)",
};

bool fixup(PtRegs* regs, EsrEc ec) {
  for (const ExEntry* e = __start___ex_table; e < __stop___ex_table; ++e) {
    if (e->insn == regs->elr) {
      regs->elr = e->fixup;
      return true;
    }
  }
  // probe_exec(): an instruction abort at the probed address, called from probe_exec_asm.
  uint64_t call_ret = reinterpret_cast<uint64_t>(probe_exec_asm) + 12;  // after stp, mov, blr
  if (ec == EsrEc::InstrAbortCurrentEl && regs->x[30] == call_ret) {
    regs->elr = reinterpret_cast<uint64_t>(probe_exec_fixup);
    return true;
  }
  return false;
}

bool on_stack(uint64_t p) {
  return p >= reinterpret_cast<uint64_t>(init_stack) && p + 16 <= reinterpret_cast<uint64_t>(init_stack_top) &&
         (p & 15) == 0;
}

int g_depth = 0;

}  // namespace

void dump_backtrace(uint64_t fp, uint64_t pc) {
  char sym[96];
  pr_emerg("Call trace:\n");
  pr_emerg("  [<%016lx>] %s\n", pc, kallsyms_format(pc, sym, sizeof sym));
  for (int i = 0; i < 32 && fp && on_stack(fp); ++i) {
    auto* frame = reinterpret_cast<const uint64_t*>(fp);
    uint64_t lr = frame[1];
    if (!lr) break;
    // Report the call instruction, not the return address after it.
    pr_emerg("  [<%016lx>] %s\n", lr - 4, kallsyms_format(lr - 4, sym, sizeof sym));
    if (frame[0] <= fp) break;  // frames must move up the stack
    fp = frame[0];
  }
}

}  // namespace kernel

using namespace kernel;

// Vector "IRQ, current EL with SP_ELx": the kernel's interrupts (PSTATE.I is set on entry, so
// handlers do not nest). Every other kind below is unexpected.
constexpr uint64_t kIrqCurrentElSpx = 5;

extern "C" void do_exception(PtRegs* regs, uint64_t kind) {
  if (kind == kIrqCurrentElSpx) {
    handle_arch_irq(regs);
    return;
  }
  const uint32_t esr32 = static_cast<uint32_t>(regs->esr);  // the syndrome reported: ISS2 [63:32] unused
  const EsrEl1 esr(esr32);
  const uint32_t ec = static_cast<uint32_t>(esr.ec());
  if ((kind == 4 || kind == 0) && g_depth == 0 && fixup(regs, esr.ec())) return;
  if (++g_depth > 1) {
    // A fault while reporting a fault: say so once and stop, never loop.
    pr_emerg("Recursive exception (%s, ESR 0x%08x, ELR 0x%016lx) while reporting an earlier one\n", esr_class_name(ec),
             esr32, regs->elr);
    panic_stop(3);
  }
  pr_emerg("Unexpected exception: %s: %s\n", kind < 16 ? kKindName[kind] : "?", esr_class_name(ec));
  pr_emerg("  ESR_EL1 0x%08x: EC 0x%02x IL %u ISS 0x%07x\n", esr32, ec, esr.il() ? 1u : 0u,
           static_cast<uint32_t>(esr.iss()));
  if (esr.is_abort()) {
    char fs[48];
    const bool data = esr.is_data_abort();
    pr_emerg("  %s abort: %s%s%s\n", data ? "data" : "instruction",
             abort_fault_status(static_cast<uint32_t>(esr.fsc()), fs, sizeof fs),
             data ? (esr.wnr() ? ", caused by a write (WnR=1)" : ", caused by a read (WnR=0)") : "",
             esr.fnv() ? ", FAR not valid" : "");
  }
  char sym[96];
  pr_emerg("  FAR_EL1 0x%016lx  ELR_EL1 0x%016lx  SPSR_EL1 0x%08lx\n", regs->far, regs->elr, regs->spsr);
  pr_emerg("  pc : %s\n", kallsyms_format(regs->elr, sym, sizeof sym));
  pr_emerg("  lr : %s\n", kallsyms_format(regs->x[30], sym, sizeof sym));
  for (int i = 0; i < 30; i += 2) pr_emerg("  x%-2d %016lx  x%-2d %016lx\n", i, regs->x[i], i + 1, regs->x[i + 1]);
  pr_emerg("  x30 %016lx  sp  %016lx\n", regs->x[30], regs->sp);
  dump_backtrace(regs->x[29], regs->elr);
  panic("unexpected %s at 0x%016lx", esr_class_name(ec), regs->elr);
}

// Reached on the overflow stack when an exception was taken with SP outside the kernel stack.
extern "C" void handle_bad_stack(uint64_t sp) {
  uint64_t esr = read_sysreg(esr_el1), far = read_sysreg(far_el1), elr = read_sysreg(elr_el1);
  uint64_t fp;
  asm volatile("mov %0, x29" : "=r"(fp));
  char sym[96];
  uint64_t guard = reinterpret_cast<uint64_t>(__stack_guard);
  pr_emerg("Kernel stack overflow: SP 0x%016lx is below the stack [0x%016lx-0x%016lx)%s\n", sp + 304,
           reinterpret_cast<uint64_t>(init_stack), reinterpret_cast<uint64_t>(init_stack_top),
           far >= guard && far < guard + PAGE_SIZE ? ", the access hit the guard page" : "");
  pr_emerg("  %s, ESR_EL1 0x%08lx, FAR_EL1 0x%016lx\n", esr_class_name(static_cast<uint32_t>(EsrEl1(esr).ec())), esr,
           far);
  pr_emerg("  ELR_EL1 0x%016lx %s\n", elr, kallsyms_format(elr, sym, sizeof sym));
  dump_backtrace(fp, elr);
  panic("kernel stack overflow");
}
