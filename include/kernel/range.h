// A checked physical range: [base, base + size) that is not empty and does not wrap around the
// end of the address space. Built once where a (base, size) pair comes in, with the one overflow
// check, instead of each caller writing its own.
#pragma once

#include "kernel/error.h"
#include "kernel/types.h"

namespace kernel {

class PhysRange {
 public:
  // Errc::ZeroSize or Errc::WrapAround; the message names the call (`what`, e.g.
  // "early_ioremap: early_ioremap") and its caller.
  static Result<PhysRange> make(PhysAddr base, uint64_t size, const char* what, void* caller) {
    if (size == 0) return KERR(Errc::ZeroSize, "%s(0x%lx, 0): size 0 (caller %p)", what, base.value(), caller);
    if (base.value() + size - 1 < base.value())
      return KERR(Errc::WrapAround,
                  "%s(0x%lx, 0x%lx): the range wraps around the end of the physical address space (caller %p)", what,
                  base.value(), size, caller);
    return PhysRange(base, size);
  }

  constexpr PhysAddr base() const { return base_; }
  constexpr uint64_t size() const { return size_; }
  constexpr PhysAddr last() const { return base_.offset(size_ - 1); }  // inclusive: may be the top byte
  // Pages spanned, counting the partial pages at both ends.
  constexpr uint64_t pages() const { return (base_.page_offset() + size_ + PAGE_SIZE - 1) / PAGE_SIZE; }
  constexpr bool contains(PhysAddr pa) const { return pa >= base_ && pa <= last(); }

 private:
  constexpr PhysRange(PhysAddr base, uint64_t size) : base_(base), size_(size) {}
  PhysAddr base_;
  uint64_t size_;
};

}  // namespace kernel
