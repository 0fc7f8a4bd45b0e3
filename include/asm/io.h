// MMIO accessors: Linux's readl_relaxed()/writel_relaxed() and friends, for device registers
// mapped with ioremap() (Device-nGnRE).
//
// Each access is a single LDR/STR of the register's width with a plain base register, never
// a form with writeback or a register offset the compiler might choose for a volatile
// access: a stage-2 data abort on such an instruction reports ESR_EL2.ISV = 0 (Arm ARM, "ISS
// encoding for an exception from a Data Abort", ISV), and a hypervisor that emulates the
// device (a GIC distributor under KVM) then cannot decode the access.
//
// "_relaxed": no barrier. Accesses to one Device-nGnRE peripheral arrive in program order (the
// nR of nGnRE); ordering against Normal memory, or completion, needs an explicit dsb/dmb where
// the driver says why.
#pragma once

#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

#if !defined(KERNEL_HOST_BUILD)
inline uint32_t readl_relaxed(VirtAddr a) {
  uint32_t v;
  asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a.value()) : "memory");
  return v;
}
inline uint64_t readq_relaxed(VirtAddr a) {
  uint64_t v;
  asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(a.value()) : "memory");
  return v;
}
inline uint8_t readb_relaxed(VirtAddr a) {
  uint32_t v;
  asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a.value()) : "memory");
  return static_cast<uint8_t>(v);
}
inline void writel_relaxed(uint32_t v, VirtAddr a) {
  asm volatile("str %w0, [%1]" ::"rZ"(v), "r"(a.value()) : "memory");
}
inline void writeq_relaxed(uint64_t v, VirtAddr a) {
  asm volatile("str %x0, [%1]" ::"rZ"(v), "r"(a.value()) : "memory");
}
inline void writeb_relaxed(uint8_t v, VirtAddr a) {
  asm volatile("strb %w0, [%1]" ::"rZ"(static_cast<uint32_t>(v)), "r"(a.value()) : "memory");
}
#else
// Host tests run drivers on register files in ordinary memory.
inline uint32_t readl_relaxed(VirtAddr a) { return *a.as_ptr<volatile uint32_t>(); }
inline uint64_t readq_relaxed(VirtAddr a) { return *a.as_ptr<volatile uint64_t>(); }
inline uint8_t readb_relaxed(VirtAddr a) { return *a.as_ptr<volatile uint8_t>(); }
inline void writel_relaxed(uint32_t v, VirtAddr a) { *a.as_ptr<volatile uint32_t>() = v; }
inline void writeq_relaxed(uint64_t v, VirtAddr a) { *a.as_ptr<volatile uint64_t>() = v; }
inline void writeb_relaxed(uint8_t v, VirtAddr a) { *a.as_ptr<volatile uint8_t>() = v; }
#endif

}  // namespace kernel
