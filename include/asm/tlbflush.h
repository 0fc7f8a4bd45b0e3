// The operand of a TLB invalidate by virtual address. Built in one place and compiled for the
// host too, so its encoding is tested there: QEMU's TCG ignores the TTL field and the RES0 bits,
// real Armv8.4+ cores (FEAT_TTL) do not.
//
// Arm ARM (DDI 0487), C5.5 "TLBI VAALE1IS" and D8.10 "TLB maintenance": Xt[43:0] = VA[55:12],
// Xt[47:44] = TTL (the level of the leaf being invalidated, when FEAT_TTL is implemented; RES0
// otherwise), Xt[63:48] = RES0 for the "all ASIDs" forms. A TTL that does not match the level of
// the cached entry lets the CPU keep that entry: for a TTBR1 address, whose bits [63:48] are all
// ones, a plain `va >> 12` puts 0b1111 in TTL and ones in RES0 bits.
#pragma once

#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

// The translation table level of the leaf entry that is being invalidated, or "unknown" (the CPU
// then looks at every level). Level 0 holds no leaf with the 4 KiB granule.
enum class TlbLevel : uint8_t { Unknown = 0, L1 = 1, L2 = 2, L3 = 3 };

inline constexpr uint64_t kTlbiVaMask = (uint64_t{1} << 44) - 1;  // Xt[43:0]
inline constexpr unsigned kTlbiTtlShift = 44;                     // Xt[47:44]
inline constexpr uint64_t kTlbiTtlGranule4K = 0b01;               // TTL[3:2] for the 4 KiB granule

// Xt for TLBI VA*E1*: VA[55:12] in bits [43:0], TTL = 0 (no hint) unless the CPU implements
// FEAT_TTL and the level is known, then TTL = {granule 0b01, level}.
constexpr uint64_t tlbi_va_operand(VirtAddr va, TlbLevel level, bool cpu_has_ttl) {
  uint64_t op = (va.value() >> PAGE_SHIFT) & kTlbiVaMask;
  if (cpu_has_ttl && level != TlbLevel::Unknown)
    op |= ((kTlbiTtlGranule4K << 2) | static_cast<uint64_t>(level)) << kTlbiTtlShift;
  return op;
}

// The inverse, for tests and logs: the VA (sign-extended from bit 55 like a TTBR1 address) and
// the TTL field of an operand.
constexpr VirtAddr tlbi_operand_va(uint64_t op) {
  uint64_t va = (op & kTlbiVaMask) << PAGE_SHIFT;
  if (va & (uint64_t{1} << 55)) va |= ~((uint64_t{1} << 56) - 1);
  return VirtAddr(va);
}
constexpr unsigned tlbi_operand_ttl(uint64_t op) { return static_cast<unsigned>((op >> kTlbiTtlShift) & 0xf); }

}  // namespace kernel
