// Strong address types. A physical and a virtual address are different things; converting one
// into the other is always a named operation (kimg_to_phys, fix_to_virt, ...), never a cast.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "asm/page_def.h"  // PAGE_SHIFT, PAGE_SIZE, PAGE_MASK: the build's granule

namespace kernel {

constexpr uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_aligned(uint64_t v, uint64_t a) { return (v & (a - 1)) == 0; }

template <typename Tag>
class Address {
 public:
  constexpr Address() = default;
  constexpr explicit Address(uint64_t v) : v_(v) {}

  [[nodiscard]] constexpr uint64_t value() const { return v_; }
  [[nodiscard]] constexpr Address page_base() const { return Address(v_ & PAGE_MASK); }
  [[nodiscard]] constexpr uint64_t page_offset() const { return v_ & ~PAGE_MASK; }
  [[nodiscard]] constexpr Address offset(uint64_t by) const { return Address(v_ + by); }
  [[nodiscard]] constexpr bool is_null() const { return v_ == 0; }
  [[nodiscard]] constexpr bool is_aligned_to(uint64_t a) const { return is_aligned(v_, a); }

  constexpr friend bool operator==(Address a, Address b) { return a.v_ == b.v_; }
  constexpr friend bool operator<(Address a, Address b) { return a.v_ < b.v_; }
  constexpr friend bool operator<=(Address a, Address b) { return a.v_ <= b.v_; }
  constexpr friend bool operator>(Address a, Address b) { return a.v_ > b.v_; }
  constexpr friend bool operator>=(Address a, Address b) { return a.v_ >= b.v_; }
  constexpr friend uint64_t operator-(Address a, Address b) { return a.v_ - b.v_; }

  template <typename T>
  [[nodiscard]] T* as_ptr() const {
    return reinterpret_cast<T*>(static_cast<uintptr_t>(v_));
  }

 private:
  uint64_t v_ = 0;
};

struct PhysTag;
struct VirtTag;
using PhysAddr = Address<PhysTag>;
using VirtAddr = Address<VirtTag>;

inline VirtAddr virt_of(const volatile void* p) {
  return VirtAddr(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)));
}

}  // namespace kernel
