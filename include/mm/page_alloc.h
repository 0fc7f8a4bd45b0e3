// The buddy page allocator: free lists per order up to 1024-page blocks (order 10: 4 MiB at 4K,
// 16 MiB at 16K, 64 MiB at 64K), blocks split and
// coalesced by buddy index (pfn ^ (1 << order)), a struct Page for every page of the pfn span.
//
// Boot cost independent of RAM size: the struct page array is NOT initialised at boot. Each
// max-order block (1024 pages) has one byte of state (BlockState): a block handed over
// whole is one entry on the order-10 free list (only its first Page is written); its other 1023
// Pages are initialised when the block is first handed out (allocated whole, or split). Only a
// block that memory is handed over in part (a range edge, a reserved region inside it) is
// initialised at free_range time, and there are as many of those as range edges, not pages.
//
// Order-0 pages go through per-CPU lists (Linux's pcp): a CPU allocates and frees them on its own
// list with interrupts masked on that CPU (nothing else touches the list: no lock), and takes the
// zone lock only to refill or drain a batch. Another CPU's list is drained by that CPU, asked with
// a cross-call (drain_all_pages), as Linux did before its per-CPU list lock. The buddy free lists
// are under the zone lock, interrupts masked while it is held.
#pragma once

#include "kernel/error.h"

#include <stdint.h>

#include "asm/irqflags.h"
#include "asm/smp.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

namespace kernel {

// The largest block is 1024 pages at every granule. Linux raises the order at 16K and 64K (11 and
// 13: 32 MiB, 512 MiB) so that its largest block is a PMD for huge pages; this kernel has none,
// and a 512 MiB block would leave a small board's memory entirely in partial blocks.
inline constexpr unsigned MAX_ORDER = 10;
inline constexpr uint64_t MAX_ORDER_BLOCK_SIZE = PAGE_SIZE << MAX_ORDER;  // 4, 16 or 64 MiB
inline constexpr unsigned NR_ORDERS = MAX_ORDER + 1;
inline constexpr uint64_t MAX_ORDER_NR_PAGES = uint64_t{1} << MAX_ORDER;

struct Page {
  static constexpr uint32_t kNone = 0xffffffffu;
  uint32_t flags;
  uint32_t order;  // head of a free or allocated block: its order
  uint32_t next;   // free-list links (indices into the memmap); a per-CPU list uses next only
  uint32_t prev;

  static constexpr uint32_t Reserved = 1u << 0;  // never handed to the allocator (or taken back)
  static constexpr uint32_t Buddy = 1u << 1;     // head of a free block, on a free list
  static constexpr uint32_t Head = 1u << 2;      // head of an allocated block
  static constexpr uint32_t Pcp = 1u << 3;       // free order-0 page on a CPU's per-CPU list
  // Pages inside a block (not its head) have no flags: only heads carry state. A Page of a block
  // whose state is not Init may hold anything: ask the allocator (page_reserved), not the flags.
};
static_assert(sizeof(Page) == 16);

// What the struct pages of one max-order block hold.
enum class BlockState : uint8_t {
  Untouched = 0,  // no page of it was ever handed over: every page is reserved, no Page written
  LazyFree = 1,   // handed over whole and still free whole: on the order-10 list, only its first
                  // Page written (Buddy, order 10); the other 1023 are not initialised
  Init = 2,       // every Page of the block is initialised
};

// One CPU's list of free order-0 pages (Linux: struct per_cpu_pages). Only its CPU touches it,
// with interrupts masked; other CPUs read count (statistics).
struct alignas(64) PerCpuPages {
  uint32_t head = Page::kNone;  // singly linked through Page::next, the most recently freed first
  uint64_t count = 0;           // not next to head: two plain stores, not one merged vector store
};

// Page::flags and Page::order in one load (free_pages compares both at once).
inline uint64_t flags_and_order(const Page* p) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && __builtin_offsetof(Page, order) == 4);
  uint64_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

class BuddyAllocator {
 public:
  // Bytes of block state init() needs for [base_pfn, base_pfn + nr_pages): one per max-order block
  // the span touches.
  static uint64_t nr_blocks(uint64_t base_pfn, uint64_t nr_pages);
  // memmap: room for one Page per pfn in [base_pfn, base_pfn + nr_pages), left as it is (not
  // read before it is initialised); block_state: nr_blocks() bytes, zeroed here. Every page starts
  // reserved. O(nr_blocks), not O(nr_pages). base_pfn should be a multiple of MAX_ORDER_NR_PAGES:
  // pages below the first such boundary are left out of the span (and reported).
  void init(Page* memmap, uint64_t base_pfn, uint64_t nr_pages, uint8_t* block_state);
  // Hands [start_pfn, end_pfn) to the allocator in the largest naturally aligned blocks. A whole
  // untouched max-order block costs one free-list entry. Pages handed over before (overlapping
  // ranges) are left as they are, and reported.
  void free_range(uint64_t start_pfn, uint64_t end_pfn);

  // Order 0 comes from this CPU's per-CPU list; higher orders from the buddy lists. When nothing
  // fits, every CPU's list is drained back to the buddy lists (merging) and the allocation
  // retried once before it fails (Linux: drain_all_pages in the slow path).
  inline Page* alloc_pages(unsigned order);
  // Returns the error that was reported (None on success). Order 0 goes to this CPU's list (a
  // batch back to the buddy lists above the high watermark).
  // Misuse (Errc::OutOfRange, Reserved, DoubleFree, NeverAllocated, WrongOrder) is reported with the
  // caller and changes nothing. Both are inline: "caller" is the return address of the function
  // they are inlined into (for the kernel's ::alloc_pages/::free_pages, their caller).
  inline Status free_pages(Page* page, unsigned order);

  // Every CPU's per-CPU list back to the buddy lists: this CPU's and those of CPUs that are not
  // online directly, an online CPU's by a cross-call to it (only with interrupts enabled here, as
  // Linux's drain_all_pages may sleep; with them masked those lists stay). Called with no
  // allocator lock held.
  void drain_all_pages();
  // One list back to the buddy lists, from its own CPU (or any CPU while `cpu` is not online).
  void drain_pages(unsigned cpu);
  // Per-CPU list sizing (Linux: pcp->high, pcp->batch): a CPU's list holds at most `high` pages,
  // moves `batch` at a time (0: one page, i.e. the lists pass every page through). Set from the
  // managed size by free_range; tests set it.
  void set_pcp_high_batch(uint32_t high, uint32_t batch);
  uint32_t pcp_high() const { return pcp_high_; }
  uint32_t pcp_batch() const { return pcp_batch_; }
  uint64_t pcp_count(unsigned cpu) const { return __atomic_load_n(&pcp_[cpu].count, __ATOMIC_RELAXED); }
  uint64_t nr_pcp_pages() const;  // on every CPU's list

  uint64_t page_to_pfn(const Page* p) const { return base_pfn_ + static_cast<uint64_t>(p - memmap_); }
  // Arithmetic only: valid for any pfn of the span, whether its block is initialised or not.
  Page* pfn_to_page(uint64_t pfn) const {
    return pfn >= base_pfn_ && pfn - base_pfn_ < nr_pages_ ? memmap_ + (pfn - base_pfn_) : nullptr;
  }
  // PageReserved for any page of the span, its block initialised or not (true outside the span).
  bool page_reserved(const Page* p) const;
  BlockState block_state(uint64_t pfn) const;  // the state of pfn's max-order block (pfn in the span)
  uint64_t nr_blocks_initialised() const { return nr_initialised_; }  // blocks with real struct pages
  // Free blocks on the buddy lists (per-CPU pages not included: nr_pcp_pages).
  uint64_t nr_free(unsigned order) const { return nr_free_[order]; }
  // Every free page: the buddy lists and the per-CPU lists (read without locks: exact when no
  // other CPU allocates meanwhile).
  uint64_t free_pages_total() const;
  uint64_t managed_pages() const { return managed_; }
  uint64_t base_pfn() const { return base_pfn_; }
  uint64_t nr_pages() const { return nr_pages_; }
  // Consistency check for tests: free lists, per-CPU lists, block states, flags and counters
  // agree. Returns false on mismatch.
  bool check() const;

  // A consistent copy of the counters for printing (taken under the zone lock).
  struct Stats {
    uint64_t managed, free, pcp;
    uint64_t nr_free[NR_ORDERS];
  };
  Stats stats() const;

 private:
  static uint64_t block_of(uint64_t idx) { return idx >> MAX_ORDER; }  // the span starts on a boundary
  [[gnu::always_inline]] inline Page* rmqueue(unsigned order);         // zone lock held
  void init_block(uint64_t block, uint32_t flags);
  uint32_t pcp_refill(PerCpuPages& pcp);             // this CPU's list, interrupts masked
  void pcp_free_bulk(PerCpuPages& pcp, uint64_t n);  // interrupts masked
  [[gnu::noinline]] Page* alloc_pages_slow(unsigned order, void* caller);
  [[gnu::noinline]] Status pcp_drain_high(PerCpuPages& pcp, unsigned long flags);
  [[gnu::noinline]] Status free_pages_buddy(uint64_t idx, unsigned order);
  Status check_free(const Page* page, unsigned order, void* caller) const;
  [[gnu::noinline, gnu::cold]] Status free_failure(Page* page, unsigned order, void* caller);
  [[gnu::always_inline]] inline void list_add(unsigned order, uint32_t idx);
  [[gnu::always_inline]] inline void list_del(unsigned order, uint32_t idx);
  [[gnu::always_inline]] inline void free_block(uint64_t pfn, unsigned order);
  bool check_locked() const;

  Page* memmap_ = nullptr;
  uint8_t* block_state_ = nullptr;
  uint64_t base_pfn_ = 0, nr_pages_ = 0, managed_ = 0;
  uint64_t nr_blocks_ = 0, nr_initialised_ = 0;
  uint32_t pcp_high_ = 0, pcp_batch_ = 0;
  uint32_t head_[NR_ORDERS] = {Page::kNone, Page::kNone, Page::kNone, Page::kNone, Page::kNone, Page::kNone,
                               Page::kNone, Page::kNone, Page::kNone, Page::kNone, Page::kNone};
  uint64_t nr_free_[NR_ORDERS] = {};
  mutable SpinLock lock_;  // the zone lock: head_, nr_free_, the buddy flags; interrupts masked
  mutable PerCpuPages pcp_[NR_CPUS];
};

// The fast paths, inline: order 0 on this CPU's list, everything else (a refill, a drain above the
// high mark, higher orders under the zone lock, misuse) out of line.
Page* BuddyAllocator::alloc_pages(unsigned order) {
  if (order == 0) [[likely]] {
    const unsigned long flags = arch_local_irq_save();
    PerCpuPages& pcp = pcp_[smp_processor_id()];
    const uint32_t idx = pcp.head;
    if (idx != Page::kNone) [[likely]] {
      Page& p = memmap_[idx];
      pcp.head = p.next;
      --pcp.count;
      p.flags = Page::Head;  // order is 0 already
      arch_local_irq_restore(flags);
      return &p;
    }
    arch_local_irq_restore(flags);
  }
  return alloc_pages_slow(order, __builtin_return_address(0));
}

Status BuddyAllocator::free_pages(Page* page, unsigned order) {
  // The usual case decided inline: the head of an allocated block of this order, in an
  // initialised max-order block (the Page of any other may hold anything). The byte offset
  // rotated right by 4 is the index, and huge unless the pointer is at a Page boundary.
  const uint64_t off = reinterpret_cast<uintptr_t>(page) - reinterpret_cast<uintptr_t>(memmap_);
  const uint64_t idx = off >> 4 | off << 60;
  static_assert(sizeof(Page) == 16);
  if (idx < nr_pages_ && block_state_[block_of(idx)] == static_cast<uint8_t>(BlockState::Init) &&
      flags_and_order(page) == (Page::Head | uint64_t{order} << 32)) [[likely]] {
    if (order) return free_pages_buddy(idx, order);
    const unsigned long flags = arch_local_irq_save();
    PerCpuPages& pcp = pcp_[smp_processor_id()];
    page->flags = Page::Pcp;
    page->next = pcp.head;
    pcp.head = static_cast<uint32_t>(idx);
    if (++pcp.count > pcp_high_) [[unlikely]]
      return pcp_drain_high(pcp, flags);
    arch_local_irq_restore(flags);
    return {};
  }
  return free_failure(page, order, __builtin_return_address(0));
}

// The kernel's allocator (after mem_init) and Linux-named helpers on it.
extern BuddyAllocator buddy;
Page* alloc_pages(unsigned order);
void free_pages(Page* page, unsigned order);
void drain_all_pages();
PhysAddr page_to_phys(const Page* p);
VirtAddr page_address(const Page* p);  // linear-map address
Page* virt_to_page(VirtAddr va);
bool PageReserved(const Page* p);
void buddy_print_stats();

}  // namespace kernel
