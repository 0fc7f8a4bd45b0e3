#include "mm/memblock.h"

#include "kernel/printk.h"
#include "kernel/range.h"

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

bool MemblockType::add(PhysAddr base, uint64_t size, uint32_t flags) {
  if (!size) return true;
  const PhysAddr end = base.offset(size);
  // Cut out what is already present, then insert the remaining pieces in order.
  PhysAddr cur = base;
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

bool MemblockType::remove(PhysAddr base, uint64_t size) {
  const PhysAddr end = base.offset(size);
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

bool MemblockType::overlaps(PhysAddr base, uint64_t size) const {
  for (unsigned i = 0; i < cnt_; ++i)
    if (r_[i].base < base.offset(size) && base < r_[i].end()) return true;
  return false;
}

void MemblockType::set_flags(PhysAddr base, uint64_t size, uint32_t flags) {
  // Split at the boundaries, then flag the regions inside.
  const PhysAddr end = base.offset(size);
  for (unsigned i = 0; i < cnt_; ++i) {
    MemRegion r = r_[i];
    if (r.end() <= base || r.base >= end) continue;
    const PhysAddr lo = r.base > base ? r.base : base, hi = r.end() < end ? r.end() : end;
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

// The one overflow check is PhysRange's: [base, base + size) is not empty and does not wrap. Its
// Error is never printed; memblock's callers say what the failure means in their own words.
Result<PhysRange> checked(PhysAddr base, uint64_t size) { return PhysRange::make(base, size, "memblock", nullptr); }

Error reported(Error e, bool warning = false) {
  e.report(warning);
  return e;
}

PhysAddr page_up(PhysAddr pa) { return PhysAddr(align_up(pa.value(), PAGE_SIZE)); }

// Common validation: the checked range, or an Error (reported, with its source) for input that
// cannot be used at all; a range reaching past 48 bits is trimmed with a warning.
Result<PhysRange> valid_range(PhysAddr base, uint64_t size, const char* op, const char* what) {
  const Result<PhysRange> range = checked(base, size);
  if (range == Errc::ZeroSize)
    return reported(KERR(Errc::ZeroSize, "memblock: %s: ignoring %s of size 0 at 0x%016lx", op, what, base.value()),
                    true);
  if (!range)
    return reported(KERR(Errc::WrapAround,
                         "memblock: %s: ignoring %s [0x%016lx + 0x%lx]: wraps around the address space", op, what,
                         base.value(), size));
  if (base.value() >= kMaxPhysAddr)
    return reported(KERR(Errc::Invalid,
                         "memblock: %s: ignoring %s at 0x%016lx: beyond the 48-bit physical address space", op, what,
                         base.value()));
  if (range.value().last().value() < kMaxPhysAddr) return range;
  pr_warn("memblock: %s: %s [0x%016lx-0x%016lx] truncated at the 48-bit limit\n", op, what, base.value(),
          range.value().last().value());
  return checked(base, kMaxPhysAddr - base.value());
}

Status too_many(const char* kind, const char* what, PhysAddr b, PhysAddr e) {
  return reported(KERR(Errc::OutOfRange, "memblock: too many %s regions (max %u); %s [0x%016lx-0x%016lx] dropped", kind,
                       MemblockType::kMax, what, b.value(), e.value() - 1));
}

}  // namespace

Status memblock_add(PhysAddr base, uint64_t size, const char* what) {
  const PhysRange range = TRY(valid_range(base, size, "add", what));
  // RAM is managed in whole pages: trim partial pages at both ends.
  const PhysAddr end = range.last().offset(1);  // at most 2^48: no wrap
  const PhysAddr b = page_up(base), e = end.page_base();
  if (b != base || e != end)
    pr_warn("memblock: %s [0x%016lx-0x%016lx] is not page aligned; using [0x%016lx-0x%016lx]\n", what, base.value(),
            range.last().value(), b.value(), e.value() - 1);
  if (e <= b)
    return reported(KERR(Errc::Invalid, "memblock: %s at 0x%016lx is smaller than a page after alignment; ignored",
                         what, base.value()),
                    true);
  if (memblock.memory.overlaps(b, e - b))
    pr_warn("memblock: %s [0x%016lx-0x%016lx] overlaps memory already added; merged\n", what, b.value(), e.value() - 1);
  if (!memblock.memory.add(b, e - b)) return too_many("memory", what, b, e);
  return {};
}

Status memblock_reserve(PhysAddr base, uint64_t size, const char* what) {
  const PhysRange range = TRY(valid_range(base, size, "reserve", what));
  const PhysAddr b = base.page_base(), e = page_up(range.last().offset(1));  // cover whole pages
  if (!memblock.reserved.add(b, e - b)) return too_many("reserved", what, b, e);
  return {};
}

void memblock_remove(PhysAddr base, uint64_t size) { (void)memblock.memory.remove(base, size); }

void memblock_mark_nomap(PhysAddr base, uint64_t size) {
  const PhysAddr b = base.page_base();
  memblock.memory.set_flags(b, page_up(base.offset(size)) - b, MEMBLOCK_NOMAP);
}

void memblock_free(PhysAddr base, uint64_t size) { (void)memblock.reserved.remove(base, size); }

bool memblock_next_free_range(PhysAddr* cursor, PhysAddr* start, PhysAddr* end) {
  // The cursor is a physical address: find the first free byte at or above it.
  const PhysAddr pos = *cursor;
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& m = memblock.memory[i];
    if (m.flags & MEMBLOCK_NOMAP) continue;
    if (m.end() <= pos) continue;
    PhysAddr s = m.base > pos ? m.base : pos;
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
      PhysAddr e = m.end();
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
  // Whole pages, page aligned, as memblock_reserve covers them: a smaller alignment (a caller's
  // 4 KiB at 16K or 64K) would let a block start inside a page when a free range's end is not
  // page aligned (alloc_limit, a partial memblock_free).
  size = align_up(size, PAGE_SIZE);
  if (align < PAGE_SIZE) align = PAGE_SIZE;
  Optional<PhysAddr> best;
  PhysAddr cursor, s, e;
  while (memblock_next_free_range(&cursor, &s, &e)) {
    if (e > memblock.alloc_limit) e = memblock.alloc_limit;
    if (e <= s || e - s < size) continue;
    const PhysAddr cand(memblock.bottom_up ? align_up(s.value(), align) : align_down(e.value() - size, align));
    if (cand < s || cand.offset(size) > e) continue;
    if (memblock.bottom_up) {
      best = cand;
      break;
    }
    if (!best || cand > *best) best = cand;  // top-down: the highest fit
  }
  if (!best) return nullopt;
  const PhysAddr pa = *best;
  if (!memblock.reserved.add(pa, size)) {
    pr_err("memblock: too many reserved regions (max %u): cannot reserve [0x%016lx-0x%016lx]\n", MemblockType::kMax,
           pa.value(), pa.value() + size - 1);
    return nullopt;
  }
  return pa;
}

bool memblock_is_memory(PhysAddr pa) { return memblock.memory.overlaps(pa, 1); }

bool memblock_overlaps_mapped_memory(PhysAddr base, uint64_t size) {
  const Result<PhysRange> range = checked(base, size);
  if (range == Errc::ZeroSize) return false;
  // A wrapping range is clamped to the end of the address space.
  const PhysAddr last = range ? range.value().last() : PhysAddr(~uint64_t{0});
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& m = memblock.memory[i];
    if (!(m.flags & MEMBLOCK_NOMAP) && base < m.end() && m.base <= last) return true;
  }
  return false;
}

bool memblock_is_mapped_memory(PhysAddr base, uint64_t size) {
  const Result<PhysRange> range = checked(base, size);
  if (!range) return false;
  // Regions are sorted and merged: walk them, every byte must be covered by a mapped one.
  const PhysAddr last = range.value().last();
  PhysAddr cur = base;  // the first byte not yet known to be mapped
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& m = memblock.memory[i];
    if (m.end() <= cur) continue;
    if (m.base > cur || (m.flags & MEMBLOCK_NOMAP)) return false;
    if (m.last() >= last) return true;
    cur = m.end();
  }
  return false;
}
bool memblock_is_reserved(PhysAddr pa) { return memblock.reserved.overlaps(pa, 1); }
PhysAddr memblock_start_of_DRAM() { return memblock.memory.count() ? memblock.memory[0].base : PhysAddr(0); }
PhysAddr memblock_end_of_DRAM() {
  unsigned n = memblock.memory.count();
  return n ? memblock.memory[n - 1].end() : PhysAddr(0);
}

uint64_t memblock_free_bytes() {
  uint64_t t = 0;
  PhysAddr cursor, s, e;
  while (memblock_next_free_range(&cursor, &s, &e)) t += e - s;
  return t;
}

void memblock_dump() {
  pr_info("memblock: memory size = 0x%lx (%lu MiB), reserved size = 0x%lx (%lu KiB)\n", memblock.memory.total(),
          memblock.memory.total() >> 20, memblock.reserved.total(), memblock.reserved.total() >> 10);
  for (unsigned i = 0; i < memblock.memory.count(); ++i) {
    const MemRegion& r = memblock.memory[i];
    pr_info("memblock:  memory[0x%x]   [0x%016lx-0x%016lx], 0x%012lx bytes%s\n", i, r.base.value(), r.last().value(),
            r.size, r.flags & MEMBLOCK_NOMAP ? " (nomap)" : "");
  }
  for (unsigned i = 0; i < memblock.reserved.count(); ++i) {
    const MemRegion& r = memblock.reserved[i];
    pr_info("memblock:  reserved[0x%x] [0x%016lx-0x%016lx], 0x%012lx bytes\n", i, r.base.value(), r.last().value(),
            r.size);
  }
}

void memblock_reset() { memblock = Memblock{}; }

}  // namespace kernel
