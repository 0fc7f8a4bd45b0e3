// VMSAv8-64 translation table descriptors for this build's granule (Arm ARM D8.3 "Translation table
// descriptor formats"; 48-bit output addresses, no FEAT_LPA/LPA2). A descriptor is a plain 64-bit value with accessors
// at explicit bit positions: no C bitfields, whose layout the compiler chooses.
#pragma once

#include "asm/sysreg_defs.h"

// Used by head.S as well.
#define PTE_VALID_BIT (1 << 0)
#define PTE_TABLE_BIT (1 << 1) /* table (L0-L2) or page (L3); 0 = block at L1/L2 */
#define PTE_ATTRINDX_SHIFT 2
#define PTE_AP_RO_BIT (1 << 7)  /* AP[2]: read-only */
#define PTE_AP_EL0_BIT (1 << 6) /* AP[1]: EL0 access */
#define PTE_SH_INNER (3 << 8)
#define PTE_AF_BIT (1 << 10)
#define PTE_NG_BIT (1 << 11)
#define PTE_PXN_BIT_SHIFT 53
#define PTE_UXN_BIT_SHIFT 54

#define MT_DEVICE_nGnRnE 0
#define MT_DEVICE_nGnRE 1
#define MT_NORMAL_NC 2
#define MT_NORMAL 3
/* MAIR_EL1: the attribute each AttrIndx above selects (encodings in asm/sysreg_defs.h). */
#define MAIR_EL1_VALUE                                                                                         \
  (MAIR_ATTR(MT_DEVICE_nGnRnE, MAIR_ATTR_DEVICE_nGnRnE) | MAIR_ATTR(MT_DEVICE_nGnRE, MAIR_ATTR_DEVICE_nGnRE) | \
   MAIR_ATTR(MT_NORMAL_NC, MAIR_ATTR_NORMAL_NC) | MAIR_ATTR(MT_NORMAL, MAIR_ATTR_NORMAL_WB))

#ifndef __ASSEMBLER__
#include <stdint.h>
#include "kernel/types.h"

namespace kernel {

enum class MemType : uint8_t {
  DeviceNGnRnE = MT_DEVICE_nGnRnE,
  DeviceNGnRE = MT_DEVICE_nGnRE,
  NormalNC = MT_NORMAL_NC,
  Normal = MT_NORMAL,
};

// OA[47:PAGE_SHIFT] of a page or table descriptor. At 64 KiB, bits [15:12] would be OA[51:48]
// with FEAT_LPA: this kernel keeps them zero (48-bit PA, TCR_EL1.IPS <= 48 bits).
inline constexpr uint64_t kOutputAddrMask = 0x0000ffffffffffffULL & PAGE_MASK;

struct Pte {
  uint64_t raw = 0;

  static constexpr uint64_t kValid = PTE_VALID_BIT;
  static constexpr uint64_t kTable = PTE_TABLE_BIT;  // also "page" at level 3
  static constexpr uint64_t kApRo = PTE_AP_RO_BIT;
  static constexpr uint64_t kApEl0 = PTE_AP_EL0_BIT;
  static constexpr uint64_t kShInner = PTE_SH_INNER;
  static constexpr uint64_t kAf = PTE_AF_BIT;
  static constexpr uint64_t kNg = PTE_NG_BIT;
  static constexpr uint64_t kContig = uint64_t{1} << 52;
  static constexpr uint64_t kPxn = uint64_t{1} << PTE_PXN_BIT_SHIFT;
  static constexpr uint64_t kUxn = uint64_t{1} << PTE_UXN_BIT_SHIFT;
  // Table descriptor attributes (D8.3.1): hierarchical controls for the next levels.
  static constexpr uint64_t kPxnTable = uint64_t{1} << 59;
  static constexpr uint64_t kUxnTable = uint64_t{1} << 60;
  static constexpr uint64_t kApTableShift = 61;

  constexpr bool valid() const { return raw & kValid; }
  constexpr bool none() const { return raw == 0; }
  // Level 0-2: table descriptor. At level 3 the same bit pattern (0b11) is a page descriptor.
  constexpr bool is_table_or_page() const { return (raw & 3) == 3; }
  constexpr bool is_block() const { return (raw & 3) == 1; }
  constexpr PhysAddr output_address() const { return PhysAddr(raw & kOutputAddrMask); }
  constexpr MemType mem_type() const { return static_cast<MemType>((raw >> PTE_ATTRINDX_SHIFT) & 7); }
  constexpr bool read_only() const { return raw & kApRo; }
  constexpr bool el0_access() const { return raw & kApEl0; }
  constexpr bool pxn() const { return raw & kPxn; }
  constexpr bool uxn() const { return raw & kUxn; }
  constexpr bool af() const { return raw & kAf; }

  static constexpr Pte make_table(PhysAddr next) { return Pte{(next.value() & kOutputAddrMask) | kTable | kValid}; }
};
static_assert(sizeof(Pte) == 8, "a VMSAv8-64 descriptor is 64 bits");

// Protection bits of a leaf descriptor (attributes without the output address).
struct PgProt {
  uint64_t bits = 0;
  constexpr bool is_clear() const { return bits == 0; }
  constexpr friend bool operator==(PgProt a, PgProt b) { return a.bits == b.bits; }
};

constexpr uint64_t attr_index(MemType t) { return uint64_t(t) << PTE_ATTRINDX_SHIFT; }

inline constexpr uint64_t kProtPageBase = Pte::kValid | Pte::kTable | Pte::kAf;
inline constexpr uint64_t kProtNormal = kProtPageBase | Pte::kShInner | attr_index(MemType::Normal);

inline constexpr PgProt PAGE_KERNEL{kProtNormal | Pte::kPxn | Pte::kUxn};                  // RW, XN
inline constexpr PgProt PAGE_KERNEL_RO{kProtNormal | Pte::kApRo | Pte::kPxn | Pte::kUxn};  // R, XN
inline constexpr PgProt PAGE_KERNEL_ROX{kProtNormal | Pte::kApRo | Pte::kUxn};             // R, X
inline constexpr PgProt PAGE_KERNEL_EXEC{kProtNormal | Pte::kUxn};                         // RWX: never used
inline constexpr PgProt PROT_DEVICE_nGnRE{kProtPageBase | attr_index(MemType::DeviceNGnRE) | Pte::kPxn | Pte::kUxn};

// Fixmap protections, as Linux names them.
inline constexpr PgProt FIXMAP_PAGE_NORMAL = PAGE_KERNEL;
inline constexpr PgProt FIXMAP_PAGE_RO = PAGE_KERNEL_RO;
inline constexpr PgProt FIXMAP_PAGE_IO = PROT_DEVICE_nGnRE;
inline constexpr PgProt FIXMAP_PAGE_CLEAR{0};

constexpr Pte pfn_pte(PhysAddr pa, PgProt prot) { return Pte{(pa.value() & kOutputAddrMask) | prot.bits}; }

constexpr bool prot_writable(PgProt p) { return !(p.bits & Pte::kApRo); }
constexpr bool prot_kernel_exec(PgProt p) { return !(p.bits & Pte::kPxn); }

// "RW NX Normal" style description of a leaf's attributes, for logs. Writes into buf (>= 24).
const char* describe_prot(PgProt prot, char* buf, unsigned len);

}  // namespace kernel
#endif
