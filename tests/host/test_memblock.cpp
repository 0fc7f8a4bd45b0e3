// memblock on adversarial region lists, against a brute-force model; and filled from real DTBs.
#include <gtest/gtest.h>
#include <libfdt.h>

#include <random>
#include <set>
#include <string>

#include "asm/page_def.h"
#include "dtb_files.h"
#include "fixmap_fixture.h"
#include "kernel/setup.h"
#include "mm/memblock.h"

namespace kernel::test {
namespace {

// "[0x%016lx-0x%016lx]" as memblock prints a range [base, end).
std::string range_text(uint64_t base, uint64_t end) {
  char b[64];
  snprintf(b, sizeof b, "[0x%016lx-0x%016lx]", base, end - 1);
  return b;
}

class MemblockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memblock_reset();
    log_buffer_reset();
  }
  void TearDown() override { memblock_reset(); }
  std::vector<std::pair<uint64_t, uint64_t>> regions(const MemblockType& t) {
    std::vector<std::pair<uint64_t, uint64_t>> v;
    for (unsigned i = 0; i < t.count(); ++i) v.push_back({t[i].base.value(), t[i].size});
    return v;
  }
  std::vector<std::pair<uint64_t, uint64_t>> free_ranges() {
    std::vector<std::pair<uint64_t, uint64_t>> v;
    PhysAddr c, s, e;
    while (memblock_next_free_range(&c, &s, &e)) v.push_back({s.value(), e.value()});
    return v;
  }
};

TEST_F(MemblockTest, OverlappingAndAdjacentRegionsMerge) {
  EXPECT_TRUE(memblock_add(PhysAddr(0x40000000), 0x10000000, "a"));
  EXPECT_TRUE(memblock_add(PhysAddr(0x48000000), 0x10000000, "b"));  // overlaps a
  EXPECT_TRUE(memblock_add(PhysAddr(0x58000000), PAGE_SIZE, "c"));   // adjacent to b
  EXPECT_TRUE(memblock_add(PhysAddr(0x80000000), PAGE_SIZE, "d"));
  EXPECT_EQ(regions(memblock.memory), (std::vector<std::pair<uint64_t, uint64_t>>{{0x40000000, 0x18000000 + PAGE_SIZE},
                                                                                  {0x80000000, PAGE_SIZE}}));
  EXPECT_NE(kernel_log().find("b [0x0000000048000000-0x0000000057ffffff] overlaps memory already added; merged"),
            std::string::npos);
}

TEST_F(MemblockTest, BadRegionsAreTrimmedOrRejectedWithAMessage) {
  EXPECT_FALSE(memblock_add(PhysAddr(0x40000000), 0, "empty"));
  EXPECT_FALSE(memblock_add(PhysAddr(0xfffffffffffff000ull), 0x2000, "wrap"));
  EXPECT_FALSE(memblock_add(PhysAddr(0x1000000000000ull), 0x1000, "high"));
  EXPECT_TRUE(memblock_add(PhysAddr(0xfffffff00000ull), 0x200000, "straddles 48 bits"));
  // Two pages from 0x123 into a page: the whole page between the partial ones is kept.
  EXPECT_TRUE(memblock_add(PhysAddr(0x40000123), 2 * PAGE_SIZE, "unaligned"));
  EXPECT_FALSE(memblock_add(PhysAddr(0x50000010), 0x100, "tiny"));
  EXPECT_EQ(regions(memblock.memory), (std::vector<std::pair<uint64_t, uint64_t>>{{0x40000000 + PAGE_SIZE, PAGE_SIZE},
                                                                                  {0xfffffff00000ull, 0x100000}}));
  std::string log = kernel_log();
  // At 4K: "unaligned [0x0000000040000123-0x0000000040002122] is not page aligned; using
  // [0x0000000040001000-0x0000000040001fff]".
  const std::string unaligned = "unaligned " + range_text(0x40000123, 0x40000123 + 2 * PAGE_SIZE) +
                                " is not page aligned; using " +
                                range_text(0x40000000 + PAGE_SIZE, 0x40000000 + 2 * PAGE_SIZE);
  for (const std::string& m :
       {std::string("ignoring empty of size 0"),
        std::string("ignoring wrap [0xfffffffffffff000 + 0x2000]: wraps around"),
        std::string("ignoring high at 0x0001000000000000: beyond the 48-bit physical address space"),
        std::string("straddles 48 bits [0x0000fffffff00000-0x00010000000fffff] truncated at the 48-bit limit"),
        unaligned, std::string("tiny at 0x0000000050000010 is smaller than a page after alignment; ignored")})
    EXPECT_NE(log.find(m), std::string::npos) << m << "\n" << log;
}

// The overflow check is PhysRange's: a range whose last byte is the top of the address space
// does not wrap; it is beyond (or trimmed at) the 48-bit limit like any other.
TEST_F(MemblockTest, ARangeEndingAtTheTopByteIsNotAWrap) {
  EXPECT_EQ(memblock_add(PhysAddr(0xfffffffffffff000ull), 0x1000, "top"), Errc::Invalid);
  EXPECT_EQ(memblock_add(PhysAddr(0xfffffffffffff000ull), 0x1001, "past"), Errc::WrapAround);
  EXPECT_EQ(memblock_add(PhysAddr(0x40000000), 0 - 0x40000000ull, "to the top"), Errc::Ok);
  EXPECT_EQ(regions(memblock.memory),
            (std::vector<std::pair<uint64_t, uint64_t>>{{0x40000000, 0x1000000000000ull - 0x40000000}}));
  EXPECT_FALSE(memblock_is_mapped_memory(PhysAddr(0x40000000), 0 - 0x40000000ull));
  EXPECT_TRUE(memblock_is_mapped_memory(PhysAddr(0x40000000), 0x1000000000000ull - 0x40000000));
  EXPECT_TRUE(memblock_overlaps_mapped_memory(PhysAddr(0xfffffff000ull), 0 - 0x1000ull));  // wraps: clamped
  EXPECT_FALSE(memblock_overlaps_mapped_memory(PhysAddr(0x50000000), 0));                  // empty
  std::string log = kernel_log();
  for (const char* m : {"ignoring top at 0xfffffffffffff000: beyond the 48-bit physical address space",
                        "ignoring past [0xfffffffffffff000 + 0x1001]: wraps around",
                        "to the top [0x0000000040000000-0xffffffffffffffff] truncated at the 48-bit limit"})
    EXPECT_NE(log.find(m), std::string::npos) << m << "\n" << log;
}

TEST_F(MemblockTest, TooManyRegionsIsReported) {
  for (unsigned i = 0; i < MemblockType::kMax; ++i)  // one page, one page's hole: none merge
    ASSERT_TRUE(memblock_add(PhysAddr(0x40000000 + i * 2 * PAGE_SIZE), PAGE_SIZE, "r"));
  EXPECT_FALSE(memblock_add(PhysAddr(0x80000000), PAGE_SIZE, "one too many"));
  EXPECT_NE(kernel_log().find("too many memory regions (max 128); one too many"), std::string::npos);
}

TEST_F(MemblockTest, AllocIsTopDownAlignedAndAvoidsReservedAndNomap) {
  (void)memblock_add(PhysAddr(0x40000000), 0x01000000, "ram");  // 16 MiB
  (void)memblock_reserve(PhysAddr(0x40f00000), 0x100000, "top reserved");
  memblock_mark_nomap(PhysAddr(0x40e00000), 0x100000);
  uint64_t a = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE).value_or(PhysAddr(1)).value();
  EXPECT_EQ(a, 0x40e00000u - PAGE_SIZE);  // the page below the no-map region
  uint64_t b = memblock_phys_alloc(0x200000, 0x200000).value_or(PhysAddr(1)).value();
  EXPECT_EQ(b, 0x40a00000u);  // 2 MiB aligned, below a
  EXPECT_TRUE(memblock_is_reserved(PhysAddr(a)));
  memblock.alloc_limit = PhysAddr(0x40100000);
  EXPECT_EQ(memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE).value_or(PhysAddr(1)).value(), 0x40100000u - PAGE_SIZE);
  EXPECT_FALSE(memblock_phys_alloc(0x2000000, PAGE_SIZE).has_value());  // larger than any free range
  EXPECT_FALSE(memblock_phys_alloc(0x1000, 3).has_value());             // bad alignment
}

// A board whose RAM starts at physical address 0 with nothing reserved there (the Pi 4 has a
// /memreserve/ at 0, other boards do not): the page at 0 is a valid allocation, not a failure.
TEST_F(MemblockTest, PhysicalAddressZeroIsAValidAllocation) {
  (void)memblock_add(PhysAddr(0x0), 2 * PAGE_SIZE, "ram at 0");
  (void)memblock_reserve(PhysAddr(PAGE_SIZE), PAGE_SIZE, "top page");
  Optional<PhysAddr> p = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE);
  ASSERT_TRUE(p.has_value()) << "PA 0 was treated as out of memory";
  EXPECT_EQ(p.value().value(), 0u);
  EXPECT_TRUE(memblock_is_reserved(PhysAddr(0)));
  EXPECT_FALSE(memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE).has_value());  // now really full
  memblock.bottom_up = true;
  memblock_free(PhysAddr(0x0), PAGE_SIZE);
  p = memblock_phys_alloc(PAGE_SIZE, PAGE_SIZE);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p.value().value(), 0u);
  memblock.bottom_up = false;
}

// memblock manages whole pages of the build's granule, whatever the firmware's ranges or the
// caller's request say: at 16K and 64K, edges that are only 4 KiB aligned fall inside a page.
TEST_F(MemblockTest, EverythingIsWholePagesOfTheGranule) {
  constexpr bool k4K = PAGE_SIZE == 0x1000;
  const uint64_t base = 0x40000000;
  // RAM from 4 KiB above page 0 to 4 KiB below page 8: pages 1-6 at every granule (at 4K exactly
  // what was asked, at 16K/64K trimmed at both ends, with a warning).
  EXPECT_TRUE(memblock_add(PhysAddr(base + 0x1000), 8 * PAGE_SIZE - 0x2000, "ram"));
  EXPECT_EQ(regions(memblock.memory), (std::vector<std::pair<uint64_t, uint64_t>>{{base + PAGE_SIZE, 6 * PAGE_SIZE}}));
  EXPECT_EQ(kernel_log().find("ram " + range_text(base + 0x1000, base + 8 * PAGE_SIZE - 0x1000) +
                              " is not page aligned; using " + range_text(base + PAGE_SIZE, base + 7 * PAGE_SIZE)) !=
                std::string::npos,
            !k4K)
      << kernel_log();
  // A 4 KiB reservation, and a 32-byte no-map region, cover the whole page that holds them: the
  // reservation at 4 KiB past page 3 is page 4 at 4K, page 3 at 16K/64K; the no-map is page 5.
  EXPECT_TRUE(memblock_reserve(PhysAddr(base + 3 * PAGE_SIZE + 0x1000), 0x1000, "small"));
  memblock_mark_nomap(PhysAddr(base + 5 * PAGE_SIZE + 0x10), 0x20);
  const uint64_t small_page = base + (k4K ? 4 : 3) * PAGE_SIZE;
  EXPECT_EQ(regions(memblock.reserved), (std::vector<std::pair<uint64_t, uint64_t>>{{small_page, PAGE_SIZE}}));
  // Free: pages 1-3 and 6 at 4K; 1-2, 4 and 6 at 16K/64K.
  std::vector<std::pair<uint64_t, uint64_t>> want_free = {{base + PAGE_SIZE, small_page}};
  if (!k4K) want_free.push_back({small_page + PAGE_SIZE, base + 5 * PAGE_SIZE});
  want_free.push_back({base + 6 * PAGE_SIZE, base + 7 * PAGE_SIZE});
  EXPECT_EQ(free_ranges(), want_free);
  // A 4 KiB request is a whole page, page aligned: top-down, page 6.
  const Optional<PhysAddr> a = memblock_phys_alloc(0x1000, 0x1000);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a.value().value(), base + 6 * PAGE_SIZE);
  EXPECT_EQ(memblock.reserved.total(), 2 * PAGE_SIZE);
  // Below a limit that is 4 KiB aligned but, at 16K/64K, inside page 2: a 4 KiB-aligned request
  // still gets a whole page below the limit (page 1), not one straddling pages 1 and 2. At 4K the
  // limit is the end of page 2, the highest free page below it.
  memblock.alloc_limit = PhysAddr(base + 2 * PAGE_SIZE + 0x1000);
  const Optional<PhysAddr> b = memblock_phys_alloc(0x1000, 0x1000);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b.value().value(), base + (k4K ? 2 : 1) * PAGE_SIZE);
  for (unsigned i = 0; i < memblock.reserved.count(); ++i) {
    EXPECT_EQ(memblock.reserved[i].base.value() % PAGE_SIZE, 0u) << i;
    EXPECT_EQ(memblock.reserved[i].size % PAGE_SIZE, 0u) << i;
  }
}

// Random adds, reserves, removes and frees against a page-granular model.
TEST_F(MemblockTest, RandomOperationsMatchAPageModel) {
  std::mt19937_64 rng(12345);
  std::set<uint64_t> mem, res;  // page numbers
  const uint64_t base = 0x40000000 >> PAGE_SHIFT;
  for (int step = 0; step < 3000; ++step) {
    uint64_t p = base + rng() % 512, n = 1 + rng() % 24;
    int op = static_cast<int>(rng() % 4);
    if (op == 0) {
      (void)memblock_add(PhysAddr(p << PAGE_SHIFT), n << PAGE_SHIFT, "r");
      for (uint64_t i = 0; i < n; ++i) mem.insert(p + i);
    } else if (op == 1) {
      (void)memblock_reserve(PhysAddr(p << PAGE_SHIFT), n << PAGE_SHIFT, "r");
      for (uint64_t i = 0; i < n; ++i) res.insert(p + i);
    } else if (op == 2) {
      memblock_remove(PhysAddr(p << PAGE_SHIFT), n << PAGE_SHIFT);
      for (uint64_t i = 0; i < n; ++i) mem.erase(p + i);
    } else {
      memblock_free(PhysAddr(p << PAGE_SHIFT), n << PAGE_SHIFT);
      for (uint64_t i = 0; i < n; ++i) res.erase(p + i);
    }
    if (step % 50) continue;
    ASSERT_LE(memblock.memory.count(), MemblockType::kMax);
    // Sorted, non-overlapping, merged.
    for (unsigned i = 1; i < memblock.memory.count(); ++i)
      ASSERT_LE(memblock.memory[i - 1].end().value(), memblock.memory[i].base.value());
    std::set<uint64_t> got_free, want_free;
    for (auto [s, e] : free_ranges())
      for (uint64_t q = s >> PAGE_SHIFT; q < e >> PAGE_SHIFT; ++q) got_free.insert(q);
    for (uint64_t q : mem)
      if (!res.count(q)) want_free.insert(q);
    ASSERT_EQ(got_free, want_free) << "step " << step;
    ASSERT_EQ(memblock.memory.total(), mem.size() << PAGE_SHIFT);
  }
}

TEST_F(MemblockTest, FromQemuVirtDtb) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  ASSERT_TRUE(memblock_init_from_fdt(dtb.data(), PhysAddr(0x40200000), 0x50000, PhysAddr(0x48000000), 0x100000));
  EXPECT_EQ(regions(memblock.memory), (std::vector<std::pair<uint64_t, uint64_t>>{{0x40000000, 0x40000000}}));
  EXPECT_EQ(regions(memblock.reserved),
            (std::vector<std::pair<uint64_t, uint64_t>>{{0x40200000, 0x50000}, {0x48000000, 0x100000}}));
}

// Starts a tree with 2-cell addresses and sizes at the root (after an optional /memreserve/).
void begin_tree(void* f, size_t size, uint64_t memreserve = 0) {
  fdt_create(f, static_cast<int>(size));
  if (memreserve) fdt_add_reservemap_entry(f, memreserve, 0x1000);
  fdt_finish_reservemap(f);
  fdt_begin_node(f, "");
  fdt_property_u32(f, "#address-cells", 2);
  fdt_property_u32(f, "#size-cells", 2);
}

// A memory node with (base, size) pairs.
template <size_t N>
void memory_node(void* f, const char* name, const uint64_t (&pairs)[N]) {
  fdt64_t reg[N];
  for (size_t i = 0; i < N; ++i) reg[i] = cpu_to_fdt64(pairs[i]);
  fdt_begin_node(f, name);
  fdt_property_string(f, "device_type", "memory");
  fdt_property(f, "reg", reg, sizeof reg);
  fdt_end_node(f);
}

// Several memory nodes, several reg entries, /memreserve/, /reserved-memory with and without no-map.
std::vector<char> multi_memory_tree() {
  std::vector<char> b(4096);
  void* f = b.data();
  begin_tree(f, b.size(), 0x40001000);
  memory_node(f, "memory@40000000", {0x40000000, 0x8000000, 0x100000000ull, 0x40000000});
  memory_node(f, "memory@c0000000", {0xc0000000, 0x10000000, 0x200000000ull, 0});  // the second entry is empty
  fdt_begin_node(f, "reserved-memory");
  fdt_property_u32(f, "#address-cells", 2);
  fdt_property_u32(f, "#size-cells", 2);
  fdt_property(f, "ranges", nullptr, 0);
  fdt_begin_node(f, "secure@40100000");
  fdt64_t r1[] = {cpu_to_fdt64(0x40100000), cpu_to_fdt64(0x100000)};
  fdt_property(f, "reg", r1, sizeof r1);
  fdt_property(f, "no-map", nullptr, 0);
  fdt_end_node(f);
  fdt_begin_node(f, "cma@c8000000");
  fdt64_t r2[] = {cpu_to_fdt64(0xc8000000), cpu_to_fdt64(0x400000)};
  fdt_property(f, "reg", r2, sizeof r2);
  fdt_end_node(f);
  fdt_end_node(f);
  fdt_end_node(f);
  fdt_finish(f);
  return b;
}

TEST_F(MemblockTest, FromATreeWithSeveralRangesAndReservations) {
  auto dtb = multi_memory_tree();
  ASSERT_TRUE(memblock_init_from_fdt(dtb.data(), PhysAddr(0x40200000), 0x40000, PhysAddr(0x47000000), 0x1000));
  ASSERT_EQ(memblock.memory.count(), 5u);  // split around the no-map region
  EXPECT_EQ(memblock.memory[0].base.value(), 0x40000000u);
  EXPECT_EQ(memblock.memory[1].base.value(), 0x40100000u);
  EXPECT_EQ(memblock.memory[1].flags, MEMBLOCK_NOMAP);
  EXPECT_EQ(memblock.memory[3].base.value(), 0xc0000000u);
  EXPECT_EQ(memblock.memory[4].base.value(), 0x100000000u);
  EXPECT_EQ(memblock.memory.total(), 0x8000000ull + 0x40000000 + 0x10000000);
  EXPECT_TRUE(memblock_is_reserved(PhysAddr(0x40001000)));  // /memreserve/
  EXPECT_TRUE(memblock_is_reserved(PhysAddr(0xc8000000)));  // cma
  EXPECT_TRUE(memblock_is_reserved(PhysAddr(0x40200000)));  // kernel
  EXPECT_NE(kernel_log().find("ignoring DT memory of size 0 at 0x0000000200000000"), std::string::npos);
  // No free range includes the no-map region.
  for (auto [s, e] : free_ranges()) EXPECT_FALSE(s < 0x40200000 && e > 0x40100000);
}

TEST_F(MemblockTest, NoMemoryIsAnError) {
  std::vector<char> b(1024);
  ASSERT_EQ(fdt_create_empty_tree(b.data(), 1024), 0);
  EXPECT_FALSE(memblock_init_from_fdt(b.data(), PhysAddr(0x40200000), 0x1000, PhysAddr(0x48000000), 0x100));
  EXPECT_NE(kernel_log().find("the device tree describes no usable memory"), std::string::npos);
}

}  // namespace
}  // namespace kernel::test

namespace kernel::test {
namespace {

// RAM the linear map cannot hold (above 128 TiB) is not memory to this kernel: it would be
// mapped over the kernel image, vmalloc and the fixmap.
TEST(MemblockLinearLimit, RamAbove128TiBIsIgnoredWithAMessage) {
  memblock_reset();
  log_buffer_reset();
  std::vector<char> b(2048);
  void* f = b.data();
  begin_tree(f, b.size());
  memory_node(f, "memory@7fff00000000", {0x7fff'0000'0000ull, 0x2'0000'0000ull});  // 8 GiB across 2^47
  fdt_end_node(f);
  fdt_finish(f);
  ASSERT_TRUE(
      memblock_init_from_fdt(b.data(), PhysAddr(0x7fff'0020'0000ull), 0x1000, PhysAddr(0x7fff'0100'0000ull), 0x100));
  EXPECT_EQ(memblock_end_of_DRAM().value(), 0x8000'0000'0000ull);
  EXPECT_EQ(memblock.memory.total(), 0x1'0000'0000ull);
  EXPECT_THAT(kernel_log(), HasLogLine("memblock: RAM above 0x0000800000000000 (the 128 TiB the linear map covers) "
                                       "ignored: [0x0000800000000000-0x00008000ffffffff]"));
  memblock_reset();
}

}  // namespace
}  // namespace kernel::test
