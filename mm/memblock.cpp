#include "mm/memblock.h"

#include "kernel/printk.h"

namespace kernel {

Memblock memblock;

uint64_t MemblockType::total() const {
  uint64_t t = 0;
  for (unsigned i = 0; i < cnt_; ++i) t += r_[i].size;
  return t;
}

bool MemblockType::insert(unsigned at, MemRegion r) {
  if (cnt_ == kMax) return false;
  for (unsigned i = cnt_; i > at; --i) r_[i] = r_[i - 1];
  r_[at] = r;
  ++cnt_;
  return true;
}

void MemblockType::erase(unsigned at) {
  for (unsigned i = at; i + 1 < cnt_; ++i) r_[i] = r_[i + 1];
  --cnt_;
}

void MemblockType::merge() {
  for (unsigned i = 0; i + 1 < cnt_;) {
    if (r_[i].end() == r_[i + 1].base && r_[i].flags == r_[i + 1].flags) {
      r_[i].size += r_[i + 1].size;
      erase(i + 1);
    } else {
      ++i;
    }
  }
}

bool MemblockType::add(uint64_t base, uint64_t size, uint32_t flags) {
  if (!size) return true;
  uint64_t end = base + size;
  // Cut out what is already present, then insert the remaining pieces in order.
  uint64_t cur = base;
  for (unsigned i = 0; i < cnt_ && cur < end; ++i) {
    const MemRegion& r = r_[i];
    if (r.end() <= cur) continue;
    if (r.base >= end) break;
    if (r.base > cur) {
      if (!insert(i, MemRegion{cur, r.base - cur, flags})) return false;
      ++i;
    }
    cur = r_[i].end();
  }
  if (cur < end) {
    unsigned at = 0;
    while (at < cnt_ && r_[at].base < cur) ++at;
    if (!insert(at, MemRegion{cur, end - cur, flags})) return false;
  }
  merge();
  return true;
}

bool MemblockType::remove(uint64_t base, uint64_t size) {
  uint64_t end = base + size;
  for (unsigned i = 0; i < cnt_;) {
    MemRegion r = r_[i];
    if (r.end() <= base || r.base >= end) {
      ++i;
      continue;
    }
    erase(i);
    if (r.base < base) {
      if (!insert(i, MemRegion{r.base, base - r.base, r.flags})) return false;
      ++i;
    }
    if (r.end() > end) {
      if (!insert(i, MemRegion{end, r.end() - end, r.flags})) return false;
      ++i;
    }
  }
  return true;
}

bool MemblockType::overlaps(uint64_t base, uint64_t size) const {
  for (unsigned i = 0; i < cnt_; ++i)
    if (r_[i].base < base + size && base < r_[i].end()) return true;
  return false;
}

void MemblockType::set_flags(uint64_t base, uint64_t size, uint32_t flags) {
  // Split at the boundaries, then flag the regions inside.
  uint64_t end = base + size;
  for (unsigned i = 0; i < cnt_; ++i) {
    MemRegion r = r_[i];
    if (r.end() <= base || r.base >= end) continue;
    uint64_t lo = r.base > base ? r.base : base, hi = r.end() < end ? r.end() : end;
    erase(i);
    unsigned at = i;
    if (r.base < lo) insert(at++, MemRegion{r.base, lo - r.base, r.flags});
    insert(at++, MemRegion{lo, hi - lo, r.flags | flags});
    if (hi < r.end()) insert(at++, MemRegion{hi, r.end() - hi, r.flags});
    i = at - 1;
  }
  merge();
}

namespace {

// Common validation: an Error (reported, with its source) for input that cannot be used at all;
// a range reaching past 48 bits is trimmed with a warning.
Status valid_range(uint64_t base, uint64_t* size, const char* op, const char* what) {
  Status st;
  if (*size == 0) {
    st = KERR(Errc::ZeroSize, "memblock: %s: ignoring %s of size 0 at 0x%016lx", op, what, base);
    st.error().report(true);
  } else if (base + *size < base) {
    st = KERR(Errc::WrapAround, "memblock: %s: ignoring %s [0x%016lx + 0x%lx]: wraps around the address space", op,
              what, base, *size);
    st.error().report();
  } else if (base >= kMaxPhysAddr) {
    st = KERR(Errc::Invalid, "memblock: %s: ignoring %s at 0x%016lx: beyond the 48-bit physical address space", op,
              what, base);
    st.error().report();
  } else if (base + *size > kMaxPhysAddr) {
    pr_warn("memblock: %s: %s [0x%016lx-0x%016lx] truncated at the 48-bit limit\n", op, what, base, base + *size - 1);
    *size = kMaxPhysAddr - base;
  }
  return st;
}

Status too_many(const char* kind, const char* what, uint64_t b, uint64_t e) {
  Status st = KERR(Errc::OutOfRange, "memblock: too many %s regions (max %u); %s [0x%016lx-0x%016lx] dropped", kind,
                   MemblockType::kMax, what, b, e - 1);
  st.error().report();
  return st;
}

}  // namespace

Status memblock_add(PhysAddr at, uint64_t size, const char* what) {
  const uint64_t base = at.value();
  TRY(valid_range(base, &size, "add", what));
  // RAM is managed in whole pages: trim partial pages at both ends.
  uint64_t b = align_up(base, PAGE_SIZE), e = align_down(base + size, PAGE_SIZE);
  if (b != base || e != base + size)
    pr_warn("memblock: %s [0x%016lx-0x%016lx] is not page aligned; using [0x%016lx-0x%016lx]\n", what, base,
            base + size - 1, b, e - 1);
  if (e <= b) {
    Status st =
        KERR(Errc::Invalid, "memblock: %s at 0x%016lx is smaller than a page after alignment; ignored", what, base);
    st.error().report(true);
    return st;
  }
  if (memblock.memory.overlaps(b, e - b))
    pr_warn("memblock: %s [0x%016lx-0x%016lx] overlaps memory already added; merged\n", what, b, e - 1);
  if (!memblock.memory.add(b, e - b)) return too_many("memory", what, b, e);
  return {};
}

Status memblock_reserve(PhysAddr at, uint64_t size, const char* what) {
  const uint64_t base = at.value();
  TRY(valid_range(base, &size, "reserve", what));
  uint64_t b = align_down(base, PAGE_SIZE), e = align_up(base + size, PAGE_SIZE);  // cover whole pages
  if (!memblock.reserved.add(b, e - b)) return too_many("reserved", what, b, e);
  return {};
}

void memblock_remove(PhysAddr base, uint64_t size) { (void)memblock.memory.remove(base.value(), size); }

void memblock_mark_nomap(PhysAddr at, uint64_t size) {
  const uint64_t base = at.value();
  memblock.memory.set_flags(align_down(base, PAGE_SIZE), align_up(base + size, PAGE_SIZE) - align_down(base, PAGE_SIZE),
                            MEMBLOCK_NOMAP);
}

void memblock_free(PhysAddr base, uint64_t size) { (void)memblock.reserved.remove(base.value(), size); }

bool memblock_next_free_range(uint64_t* cursor, uint64_t* start, uint64_t* end) {
  // The cursor is a physical address: find the first free byte at or above it.
  uint64_t pos = *cursor;
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& m = memblock.memory[i];
    if (m.flags & MEMBLOCK_NOMAP) continue;
    if (m.end() <= pos) continue;
    uint64_t s = m.base > pos ? m.base : pos;
    while (s < m.end()) {
      // Skip reserved regions covering s.
      bool moved = false;
      for (unsigned j = 0; j < memblock.reserved.count(); ++j) {
        const MemRegion& r = memblock.reserved[j];
        if (r.base <= s && s < r.end()) {
          s = r.end();
          moved = true;
        }
      }
      if (moved) continue;
      if (s >= m.end()) break;
      uint64_t e = m.end();
      for (unsigned j = 0; j < memblock.reserved.count(); ++j) {
        const MemRegion& r = memblock.reserved[j];
        if (r.base > s && r.base < e) e = r.base;
      }
      *start = s;
      *end = e;
      *cursor = e;
      return true;
    }
  }
  return false;
}

Optional<PhysAddr> memblock_phys_alloc(uint64_t size, uint64_t align) {
  if (!size || !align || (align & (align - 1))) return nullopt;
  size = align_up(size, PAGE_SIZE);
  uint64_t best = 0;
  bool found = false;
  uint64_t cursor = 0, s, e;
  while (memblock_next_free_range(&cursor, &s, &e)) {
    if (e > memblock.alloc_limit) e = memblock.alloc_limit;
    if (e <= s || e - s < size) continue;
    uint64_t cand = memblock.bottom_up ? align_up(s, align) : align_down(e - size, align);
    if (cand < s || cand + size > e) continue;
    if (memblock.bottom_up) {
      best = cand;
      found = true;
      break;
    }
    if (!found || cand > best) best = cand, found = true;  // top-down: the highest fit
  }
  if (!found) return nullopt;
  if (!memblock.reserved.add(best, size)) {
    pr_err("memblock: too many reserved regions (max %u): cannot reserve [0x%016lx-0x%016lx]\n", MemblockType::kMax,
           best, best + size - 1);
    return nullopt;
  }
  return PhysAddr(best);
}

bool memblock_is_memory(PhysAddr pa) { return memblock.memory.overlaps(pa.value(), 1); }

bool memblock_overlaps_mapped_memory(PhysAddr at, uint64_t size) {
  const uint64_t base = at.value();
  if (base + size < base) size = ~base;  // clamp a wrapping range to the end of the address space
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& m = memblock.memory[i];
    if (!(m.flags & MEMBLOCK_NOMAP) && base < m.end() && m.base < base + size) return true;
  }
  return false;
}

bool memblock_is_mapped_memory(PhysAddr at, uint64_t size) {
  const uint64_t base = at.value();
  // Regions are sorted and merged: walk them, every byte must be covered by a mapped one.
  if (!size || base + size < base) return false;
  uint64_t cur = base;
  const uint64_t end = base + size;
  for (unsigned i = 0; i < memblock.memory.count() && cur < end; ++i) {
    const MemRegion& m = memblock.memory[i];
    if (m.end() <= cur) continue;
    if (m.base > cur || (m.flags & MEMBLOCK_NOMAP)) return false;
    cur = m.end();
  }
  return cur >= end;
}
bool memblock_is_reserved(PhysAddr pa) { return memblock.reserved.overlaps(pa.value(), 1); }
uint64_t memblock_start_of_DRAM() { return memblock.memory.count() ? memblock.memory[0].base : 0; }
uint64_t memblock_end_of_DRAM() {
  unsigned n = memblock.memory.count();
  return n ? memblock.memory[n - 1].end() : 0;
}

uint64_t memblock_free_bytes() {
  uint64_t t = 0, cursor = 0, s, e;
  while (memblock_next_free_range(&cursor, &s, &e)) t += e - s;
  return t;
}

void memblock_dump() {
  pr_info("memblock: memory size = 0x%lx (%lu MiB), reserved size = 0x%lx (%lu KiB)\n", memblock.memory.total(),
          memblock.memory.total() >> 20, memblock.reserved.total(), memblock.reserved.total() >> 10);
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& r = memblock.memory[i];
    pr_info("memblock:  memory[0x%x]   [0x%016lx-0x%016lx], 0x%012lx bytes%s\n", i, r.base, r.end() - 1, r.size,
            r.flags & MEMBLOCK_NOMAP ? " (nomap)" : "");
  }
  for (unsigned i = 0; i < memblock.reserved.count(); ++i) {
    const MemRegion& r = memblock.reserved[i];
    pr_info("memblock:  reserved[0x%x] [0x%016lx-0x%016lx], 0x%012lx bytes\n", i, r.base, r.end() - 1, r.size);
  }
}

void memblock_reset() { memblock = Memblock{}; }

}  // namespace kernel
