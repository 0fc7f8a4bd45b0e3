// memblock: the boot-time physical memory map (RAM and what is reserved in it) and the allocator
// that page tables use before the buddy allocator exists. Regions are kept sorted, merged and
// non-overlapping; bad input (zero size, wrap-around, beyond 48 bits, unaligned RAM) is trimmed
// or rejected with a message, never trusted blindly.
#pragma once

#include <stdint.h>

#include "kernel/error.h"
#include "kernel/optional.h"
#include "kernel/types.h"

namespace kernel {

// [base, base + size), below 2^48: end() does not wrap.
struct MemRegion {
  PhysAddr base;
  uint64_t size;
  uint32_t flags;  // MEMBLOCK_NOMAP for memory that must not enter the linear map
  PhysAddr end() const { return base.offset(size); }
  PhysAddr last() const { return base.offset(size - 1); }
};

inline constexpr uint32_t MEMBLOCK_NOMAP = 1;
inline constexpr uint64_t kMaxPhysAddr = uint64_t{1} << 48;

class MemblockType {
 public:
  static constexpr unsigned kMax = 128;
  unsigned count() const { return cnt_; }
  const MemRegion& operator[](unsigned i) const { return r_[i]; }
  uint64_t total() const;
  // Adds [base, base+size) with flags, merging with neighbours of the same flags.
  bool add(PhysAddr base, uint64_t size, uint32_t flags = 0);
  // Removes [base, base+size), splitting regions as needed.
  bool remove(PhysAddr base, uint64_t size);
  bool overlaps(PhysAddr base, uint64_t size) const;
  void set_flags(PhysAddr base, uint64_t size, uint32_t flags);
  void clear() { cnt_ = 0; }

 private:
  bool insert(unsigned at, MemRegion r);
  void erase(unsigned at);
  void merge();
  MemRegion r_[kMax];
  unsigned cnt_ = 0;
};

struct Memblock {
  MemblockType memory;
  MemblockType reserved;
  PhysAddr alloc_limit{kMaxPhysAddr};  // top-down allocations stay below this
  bool bottom_up = false;
};
extern Memblock memblock;

// Validated entry points, on typed addresses. Each reports what it drops or trims, with `what`
// naming the source (e.g. "DT memory"), and returns the Status of that (marked reported):
// Errc::ZeroSize, WrapAround, Invalid (beyond 48 bits, smaller than a page), OutOfRange (too
// many regions). Trimming (page alignment, the 48-bit limit) is a warning, not a failure.
Status memblock_add(PhysAddr base, uint64_t size, const char* what);
Status memblock_reserve(PhysAddr base, uint64_t size, const char* what);
void memblock_remove(PhysAddr base, uint64_t size);
void memblock_mark_nomap(PhysAddr base, uint64_t size);
void memblock_free(PhysAddr base, uint64_t size);
// Allocates `size` bytes (rounded up to whole pages) aligned to `align` (at least a page) from
// free RAM (not reserved, not NOMAP), top-down below alloc_limit, and reserves it. Empty when
// nothing fits (PA 0 is a valid result).
Optional<PhysAddr> memblock_phys_alloc(uint64_t size, uint64_t align);
bool memblock_is_memory(PhysAddr pa);
// Whether any byte of [base, base+size) is RAM that the linear map covers (memory, not NOMAP):
// such RAM must not get a Device alias.
bool memblock_overlaps_mapped_memory(PhysAddr base, uint64_t size);
// Whether every byte of [base, base+size) is RAM that the linear map covers.
bool memblock_is_mapped_memory(PhysAddr base, uint64_t size);
bool memblock_is_reserved(PhysAddr pa);
// The first byte of RAM and the end of the last RAM region (exclusive); 0 without RAM.
PhysAddr memblock_start_of_DRAM();
PhysAddr memblock_end_of_DRAM();
uint64_t memblock_free_bytes();

// Iterates the free ranges [start, end) (memory minus reserved minus NOMAP), lowest first.
// `cursor` starts at PhysAddr(0). Returns false when done.
bool memblock_next_free_range(PhysAddr* cursor, PhysAddr* start, PhysAddr* end);

// Linux-like dump: "memblock: memory[0x0] [0x...-0x...], 0x... bytes flags: 0x0".
void memblock_dump();
void memblock_reset();  // host tests

}  // namespace kernel
