// Atomic exchange with acquire ordering. In the kernel the CPU decides at boot: LSE atomics
// (SWPA, ARMv8.1) when ID_AA64ISAR0_EL1 says so, else an LDAXR/STXR loop. The choice is a static
// key, so the instruction stream itself is patched at boot (see arch/arm64/cpufeature.cpp).
#pragma once

#include <stdint.h>

#include "kernel/jump_label.h"

namespace kernel {

extern StaticKey arm64_lse_atomics;

#if defined(KERNEL_HOST_BUILD)
inline uint32_t arch_xchg_acquire(uint32_t* p, uint32_t v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQUIRE); }
#else
inline uint32_t arch_xchg_acquire(uint32_t* p, uint32_t v) {
  uint32_t old;
  if (static_branch_unlikely(&arm64_lse_atomics)) {
    asm volatile(".arch_extension lse\n swpa %w2, %w0, %1" : "=&r"(old), "+Q"(*p) : "r"(v) : "memory");
    return old;
  }
  uint32_t fail;
  asm volatile(
      "1: ldaxr %w0, %2\n"
      "   stxr %w1, %w3, %2\n"
      "   cbnz %w1, 1b\n"
      : "=&r"(old), "=&r"(fail), "+Q"(*p)
      : "r"(v)
      : "memory");
  return old;
}
#endif

}  // namespace kernel
