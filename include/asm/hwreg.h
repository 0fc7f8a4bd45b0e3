// A tiny hwreg (Fuchsia Zircon's lib/hwreg) for 64-bit system registers: a register value is a
// `struct Foo : SysRegBase<Foo> { DEF_BIT(7, epd0); DEF_FIELD(34, 32, ips); }`, a plain uint64_t
// with constexpr accessors at explicit bit positions, never a C bitfield (whose layout the compiler
// chooses). Each field is named once, at its position: `tcr.epd0()`, `tcr.set_ips(5)`, and
// `TcrEl1::epd0_bits.lo` for static_asserts against the assembly constants (asm/sysreg_defs.h).
//
// Compiles for the host as well: `read()`/`write()` (SYSREG_READ/SYSREG_WRITE) exist only in the
// kernel build, where they are the mrs/msr of asm/sysreg.h; host tests construct values instead.
#pragma once

#include <stdint.h>

#ifndef KERNEL_HOST_BUILD
#include "asm/sysreg.h"
#endif

namespace kernel::hwreg {

// Bits [hi:lo] of a 64-bit register.
struct BitRange {
  unsigned hi, lo;
  constexpr unsigned width() const { return hi - lo + 1; }
  constexpr uint64_t low_mask() const { return width() == 64 ? ~uint64_t{0} : (uint64_t{1} << width()) - 1; }
  constexpr uint64_t mask() const { return low_mask() << lo; }
  constexpr uint64_t get(uint64_t raw) const { return (raw >> lo) & low_mask(); }
  constexpr uint64_t put(uint64_t raw, uint64_t v) const { return (raw & ~mask()) | ((v << lo) & mask()); }
  // A field whose values are two's complement (Arm ARM, "Principles of the ID scheme": signed
  // ID fields, where 0b1111 means "not implemented").
  constexpr int64_t get_signed(uint64_t raw) const {
    const uint64_t v = get(raw), sign = uint64_t{1} << (width() - 1);
    return static_cast<int64_t>((v ^ sign) - sign);
  }
};

template <typename Derived>
struct SysRegBase {
  uint64_t raw = 0;
  constexpr SysRegBase() = default;
  constexpr explicit SysRegBase(uint64_t value) : raw(value) {}
  friend constexpr bool operator==(const Derived& a, const Derived& b) { return a.raw == b.raw; }
};

}  // namespace kernel::hwreg

// Inside `struct Name : SysRegBase<Name>`: one macro per field, hi and lo as in the Arm ARM.
#define HWREG_RANGE_(hi, lo, name)                                             \
  static_assert((hi) >= (lo) && (hi) < 64, #name ": bit range outside 63..0"); \
  static constexpr ::kernel::hwreg::BitRange name##_bits{(hi), (lo)};

#define DEF_FIELD(hi, lo, name)                                          \
  HWREG_RANGE_(hi, lo, name)                                             \
  constexpr uint64_t name() const { return name##_bits.get(this->raw); } \
  constexpr auto& set_##name(uint64_t v) {                               \
    this->raw = name##_bits.put(this->raw, v);                           \
    return *this;                                                        \
  }

#define DEF_BIT(bit, name)                                                      \
  HWREG_RANGE_(bit, bit, name)                                                  \
  constexpr bool name() const { return (this->raw & name##_bits.mask()) != 0; } \
  constexpr auto& set_##name(bool v) {                                          \
    this->raw = name##_bits.put(this->raw, v ? 1 : 0);                          \
    return *this;                                                               \
  }

#define DEF_SIGNED_FIELD(hi, lo, name) \
  HWREG_RANGE_(hi, lo, name)           \
  constexpr int64_t name() const { return name##_bits.get_signed(this->raw); }

#define DEF_ENUM_FIELD(Type, hi, lo, name)                                              \
  HWREG_RANGE_(hi, lo, name)                                                            \
  constexpr Type name() const { return static_cast<Type>(name##_bits.get(this->raw)); } \
  constexpr auto& set_##name(Type v) {                                                  \
    this->raw = name##_bits.put(this->raw, static_cast<uint64_t>(v));                   \
    return *this;                                                                       \
  }

// Accessors of the live register, kernel build only (mrs/msr by the register's assembler name).
#ifndef KERNEL_HOST_BUILD
#define SYSREG_READ(Type, reg) \
  static Type read() { return Type(read_sysreg(reg)); }
#define SYSREG_WRITE(reg) \
  void write() const { write_sysreg(this->raw, reg); }
#else
#define SYSREG_READ(Type, reg)
#define SYSREG_WRITE(reg)
#endif
