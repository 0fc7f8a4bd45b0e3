// Host microbenchmarks of the kernel's own mm code (the same sources as the kernel, on the
// simulated arena), each next to its limit: the cheapest code that does the same memory work.
//
//   bench_mm [google-benchmark flags]          wall time (noisy on a shared machine)
//   bench_mm --count NAME N                    run one operation N times between callgrind
//                                              toggles: tools/bench reads instructions per op
//   bench_mm --granule                         the granule it was built for (4K, 16K, 64K)
//
// Built once per granule (bench_mm, bench_mm_16k, bench_mm_64k: tests/bench/bench.cmake). The
// operations keep their names at every granule where the work means the same: map_1g_4k_pages is
// "map 1 GiB with base pages, no blocks" (262144, 65536 or 16384 of them), map_1g_2m_blocks "the
// same with blocks allowed" (one 1 GiB, 32 x 32 MiB or 2 x 512 MiB blocks); the report names the
// granule. Limits whose work scales with the page size say what they count in granule-neutral
// words (limit_write_1g_descriptors, limit_256k_stores_and_clears).
#include <benchmark/benchmark.h>
#include <valgrind/callgrind.h>

#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <libfdt.h>

#include "drivers/earlycon.h"
#include "drivers/of.h"
#include "kernel/printk.h"
#include "mm/early_ioremap.h"
#include "mm/fixmap.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "mm/paging.h"
#include "sim_mmu.h"

using namespace kernel;
using namespace kernel::test;

namespace {

// Recording every operation would measure the recorder: the benchmark's ops are not observed.
// Since issue 14 the stores, barriers and TLBIs are HostPageTableOps' own inline code, not
// overrides here (before, they were virtual calls the kernel never makes): the fixmap and the
// mapping code run as in the kernel, where ArchPageTableOps is final and inline, with the same
// TLBI choice (tlbi_kernel_range) and operands for a FEAT_TTL core. Only reaching a table page or
// a fixmap VA is this arena's business.
class FastOps final : public HostPageTableOps, public HostTextPatchOps {
 public:
  explicit FastOps(SimArena& a) : arena_(a) {}
  Pte* table_ptr(PhysAddr t) override { return reinterpret_cast<Pte*>(arena_.ptr(t)); }
  void* access(VirtAddr va, uint64_t) override {
    // Fixmap slots only: translate through the fixmap's own PTE (what the MMU would do).
    unsigned idx = __virt_to_fix(va.value());
    Pte p = fixmap_get()->read(idx);
    return arena_.ptr(p.output_address().offset(va.page_offset()));
  }
  void write_insn(void* a, uint32_t i) override { std::memcpy(a, &i, 4); }
  void sync_icache(VirtAddr, uint64_t) override {}

 private:
  SimArena& arena_;
};

struct World {
  static constexpr uint64_t kBase = 0x40000000, kSize = 64ull << 20;
  SimArena arena{kBase, kSize};
  FastOps ops{arena};
  Fixmap fm{ops};
  PhysAddr pgd;
  World() {
    pgd = arena.alloc_page();
    FixmapTables t;
    t.pud = arena.alloc_page();
    t.pmd = arena.alloc_page();
    for (auto& p : t.pte) p = arena.alloc_page();
    if (fm.init(pgd, t) != Errc::Ok) std::abort();
    fixmap_install(&fm);
  }
};

World& world() {
  static World w;
  fixmap_install(&w.fm);
  return w;
}

// ---- fixmap ----------------------------------------------------------------------------------

void op_set_clear_fixmap() {
  (void)set_fixmap(FIX_TEXT_POKE0, PhysAddr(0x40000000 + PAGE_SIZE));
  (void)clear_fixmap(FIX_TEXT_POKE0);
}

uint64_t g_sink;
void op_two_stores() {  // limit: store a descriptor, store zero
  static volatile uint64_t slot;
  slot = (0x40000000 + PAGE_SIZE) | PAGE_KERNEL.bits;
  slot = 0;
}

[[gnu::noinline]] uint64_t fix_to_virt_fdt() { return fix_to_virt(FIX_FDT).value(); }
static_assert(fix_to_virt(FIX_FDT).value() == FIXADDR_TOP - (uint64_t{FIX_FDT} << PAGE_SHIFT),
              "fix_to_virt is a compile-time constant");
static_assert(PAGE_SHIFT != 12 || fix_to_virt(FIX_FDT).value() == 0xfffffffffddff000ull, "4K: the address of old");

void op_early_ioremap_page() { early_iounmap(early_ioremap(PhysAddr(0x09000000), PAGE_SIZE), PAGE_SIZE); }
void op_early_ioremap_slot() { early_memunmap(early_memremap(PhysAddr(0x40000000), 256 << 10), 256 << 10); }
void op_256k_stores_and_clears() {  // limit for a full slot: its 64, 16 or 4 descriptors written and cleared
  static volatile uint64_t slots[NR_FIX_BTMAPS];
  for (auto& s : slots) s = 0x40000000 | PAGE_KERNEL.bits;
  for (auto& s : slots) s = 0;
}

// ---- mapping ---------------------------------------------------------------------------------

uint64_t g_next_table;
Optional<PhysAddr> bench_alloc() { return PhysAddr(g_next_table += PAGE_SIZE); }

void map_region(uint64_t bytes, bool blocks) {
  World& w = world();
  static PhysAddr pgd = w.arena.alloc_page();
  std::memset(w.arena.ptr(pgd), 0, PAGE_SIZE);  // a fresh, empty PGD each time
  g_next_table = World::kBase + (8ull << 20);
  LinearTableEnv env(w.ops, bench_alloc);
  Status st = map_range(env, pgd, VirtAddr(0xffff000040000000ull), PhysAddr(0x40000000), bytes, PAGE_KERNEL, blocks);
  if (!st.ok()) std::abort();
}

void write_descriptors(uint64_t n) {  // limit: the same number of descriptors in a flat array
  static std::vector<uint64_t> v;
  v.resize(n);
  for (uint64_t i = 0; i < n; ++i) v[i] = (0x40000000 + (i << PAGE_SHIFT)) | PAGE_KERNEL.bits;
  benchmark::DoNotOptimize(v.data());
}

// ---- paging_init ------------------------------------------------------------------------------

void paging_init_gib(uint64_t gib) {
  World& w = world();
  memblock_reset();
  (void)memblock_add(PhysAddr(World::kBase + (16ull << 20)), 16ull << 20, "tables");  // allocations come from here
  (void)memblock_add(PhysAddr(0x80000000), gib << 30, "RAM");
  memblock.alloc_limit = PhysAddr(World::kBase + (32ull << 20));
  FixmapTableEnv env(w.ops, [] { return memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE); });
  KernelSegment segs[] = {{"text", VirtAddr(KIMAGE_VADDR), PhysAddr(0x40200000), 0x20000, PAGE_KERNEL_ROX},
                          {"data", VirtAddr(KIMAGE_VADDR + 0x20000), PhysAddr(0x40220000), 0x40000, PAGE_KERNEL}};
  if (!build_swapper(env, w.pgd, segs, 2, nullptr).ok()) std::abort();
}

// ---- buddy ------------------------------------------------------------------------------------

// 1 GiB of RAM at 1 GiB: 262144, 65536 or 16384 pages; an order-10 block is 4, 16 or 64 MiB.
inline constexpr uint64_t kBuddyBasePfn = 0x40000000 >> PAGE_SHIFT;

struct Buddy {
  static constexpr uint64_t kPages = (1ull << 30) >> PAGE_SHIFT;
  std::vector<Page> memmap{kPages};
  std::vector<uint8_t> state = std::vector<uint8_t>(BuddyAllocator::nr_blocks(kBuddyBasePfn, kPages));
  BuddyAllocator b;
  std::vector<Page*> held;
  Buddy() {
    b.init(memmap.data(), kBuddyBasePfn, kPages, state.data());
    b.free_range(kBuddyBasePfn, kBuddyBasePfn + kPages);
  }
  void fill(double fraction) {  // hold order-0 pages until `fraction` of memory is in use
    while (static_cast<double>(kPages - b.free_pages_total()) < fraction * kPages) held.push_back(b.alloc_pages(0));
  }
};

Buddy& buddy_world(double fill) {
  static std::map<int, Buddy*> worlds;
  Buddy*& w = worlds[static_cast<int>(fill * 100)];
  if (!w) {
    w = new Buddy;
    w->fill(fill);
  }
  return *w;
}

// The world is looked up once per registry entry, in a static: a std::map lookup per call was
// counted with the allocator before issue 14 (39 of the 902 instructions of buddy_order0).
void op_buddy(Buddy& w, unsigned order) {
  Page* p = w.b.alloc_pages(order);
  (void)w.b.free_pages(p, order);
}

struct FreeList {  // limit: a bare singly linked free list, pop + push
  struct Node {
    Node* next;
  };
  std::vector<Node> nodes{1024};
  Node* head = nullptr;
  FreeList() {
    for (auto& n : nodes) n.next = head, head = &n;
  }
};
void op_freelist() {
  static FreeList f;
  FreeList::Node* n = f.head;
  f.head = n->next;
  benchmark::DoNotOptimize(n);
  n->next = f.head;
  f.head = n;
}

std::mt19937_64 g_rng(7);
void op_buddy_mix() {
  static Buddy w;
  static std::vector<std::pair<Page*, unsigned>> live;
  if (live.size() < 512 && (live.empty() || g_rng() % 2)) {
    unsigned order = static_cast<unsigned>(g_rng() % 4 == 0 ? g_rng() % 11 : g_rng() % 3);
    if (Page* p = w.b.alloc_pages(order)) live.push_back({p, order});
  } else {
    size_t i = g_rng() % live.size();
    (void)w.b.free_pages(live[i].first, live[i].second);
    live[i] = live.back();
    live.pop_back();
  }
}

// The buddy allocator coming online (mem_init's part): init, then the whole span handed over. The
// struct page array is never touched by the benchmark itself (new[] of a trivial type), as
// memblock memory in the kernel.
void op_buddy_online(uint64_t gib) {
  struct Span {
    uint64_t pages;
    Page* memmap;  // kept for the process's life
    std::vector<uint8_t> state;
    BuddyAllocator b;
  };
  static std::map<uint64_t, Span*> spans;
  Span*& s = spans[gib];
  if (!s) {
    const uint64_t pages = gib << (30 - PAGE_SHIFT);
    s = new Span{pages, new Page[pages], std::vector<uint8_t>(BuddyAllocator::nr_blocks(kBuddyBasePfn, pages)), {}};
  }
  s->b.init(s->memmap, kBuddyBasePfn, s->pages, s->state.data());
  s->b.free_range(kBuddyBasePfn, kBuddyBasePfn + s->pages);
  benchmark::DoNotOptimize(s->b.free_pages_total());
}

// ---- fdt ----------------------------------------------------------------------------------------

std::vector<char>& pi4_dtb() {
  static std::vector<char> v = [] {
    std::vector<char> b(1 << 20);
    FILE* f = std::fopen(FIXMAP_DTB_DIR "/broadcom/bcm2711-rpi-4-b.dtb", "rb");
    if (!f) std::abort();
    b.resize(std::fread(b.data(), 1, b.size(), f));
    std::fclose(f);
    return b;
  }();
  return v;
}

void op_fdt_walk() {  // limit: visit every node once (what any discovery must at least do)
  const void* fdt = pi4_dtb().data();
  int depth = 0, n = 0;
  for (int off = 0; off >= 0; off = fdt_next_node(fdt, off, &depth)) ++n;
  benchmark::DoNotOptimize(n);
}

void op_fdt_scan() {  // what the boot reads from the tree: one pass (of::scan), then the console
  const void* fdt = pi4_dtb().data();
  of::ScanWithRoom<8, 8> s;
  (void)of::scan(fdt, &s);
  EarlyconChoice c = earlycon_select(s, "");
  benchmark::DoNotOptimize(c.base);
  benchmark::DoNotOptimize(s.memory_count + s.reserved_count);
}

// ---- registry: the same operations for Google Benchmark and for instruction counts -------------

std::map<std::string, std::function<void()>>& ops() {
  static std::map<std::string, std::function<void()>> m = {
      {"set_clear_fixmap", op_set_clear_fixmap},
      {"limit_two_stores", op_two_stores},
      {"fix_to_virt", [] { g_sink += fix_to_virt_fdt(); }},
      {"early_ioremap_1page", op_early_ioremap_page},
      {"early_ioremap_256k", op_early_ioremap_slot},
      {"limit_256k_stores_and_clears", op_256k_stores_and_clears},
      {"map_1g_4k_pages", [] { map_region(1ull << 30, false); }},
      {"map_1g_2m_blocks", [] { map_region(1ull << 30, true); }},
      {"map_64m_4k_pages", [] { map_region(64ull << 20, false); }},
      {"map_256m_4k_pages", [] { map_region(256ull << 20, false); }},
      {"limit_write_1g_descriptors", [] { write_descriptors((1ull << 30) >> PAGE_SHIFT); }},
      {"paging_init_1g", [] { paging_init_gib(1); }},
      {"paging_init_4g", [] { paging_init_gib(4); }},
      {"paging_init_16g", [] { paging_init_gib(16); }},
      {"buddy_order0",
       [] {
         static Buddy& w = buddy_world(0);
         op_buddy(w, 0);
       }},
      {"buddy_order3",
       [] {
         static Buddy& w = buddy_world(0);
         op_buddy(w, 3);
       }},
      {"buddy_order10",
       [] {
         static Buddy& w = buddy_world(0);
         op_buddy(w, 10);
       }},
      {"buddy_order0_fill50",
       [] {
         static Buddy& w = buddy_world(0.5);
         op_buddy(w, 0);
       }},
      {"buddy_order0_fill90",
       [] {
         static Buddy& w = buddy_world(0.9);
         op_buddy(w, 0);
       }},
      {"buddy_random_mix", op_buddy_mix},
      {"buddy_online_1g", [] { op_buddy_online(1); }},
      {"buddy_online_16g", [] { op_buddy_online(16); }},
      {"limit_freelist_pop_push", op_freelist},
      {"fdt_scan_pi4", op_fdt_scan},
      {"limit_fdt_walk_pi4", op_fdt_walk},
      {"limit_write_512_descriptors", [] { write_descriptors(512); }},
  };
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  log_buffer_reset();
  world();
  early_ioremap_forget_all();
  if (argc == 4 && std::string(argv[1]) == "--count") {
    auto it = ops().find(argv[2]);
    if (it == ops().end()) {
      std::fprintf(stderr, "bench_mm: unknown operation %s\n", argv[2]);
      return 2;
    }
    long n = std::atol(argv[3]);
    it->second();  // warm up: first-touch page faults and lazy setup are not the operation
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    for (long i = 0; i < n; ++i) it->second();
    CALLGRIND_TOGGLE_COLLECT;
    return 0;
  }
  if (argc == 2 && std::string(argv[1]) == "--granule") {
    std::printf("%s\n", kGranuleName);
    return 0;
  }
  if (argc == 2 && std::string(argv[1]) == "--list") {
    for (auto& [name, fn] : ops()) std::printf("%s\n", name.c_str());
    return 0;
  }
  for (auto& [name, fn] : ops()) {
    auto f = fn;
    benchmark::RegisterBenchmark(name.c_str(), [f](benchmark::State& s) {
      for (auto _ : s) f();
    });
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
