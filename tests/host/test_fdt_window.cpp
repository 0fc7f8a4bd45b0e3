// fixmap_remap_fdt(): the device tree window, with good and bad blobs placed in the arena.
#include <libfdt.h>

#include <cstring>

#include "dtb_files.h"
#include "drivers/of.h"
#include "fixmap_fixture.h"

namespace kernel::test {
namespace {

class FdtWindowTest : public FixmapTest {
 protected:
  PhysAddr place(const std::vector<char>& blob, uint64_t offset) {
    PhysAddr pa(kRamBase + (8ull << 20) + offset);
    std::memcpy(arena.ptr(pa), blob.data(), blob.size());
    return pa;
  }
  std::vector<char> virt_dtb() { return load_dtb("qemu-virt.dtb"); }
  // What start_kernel does: map the window, then let the DT code check the blob.
  Result<FdtWindow> map_and_check(PhysAddr pa) {
    Result<FdtWindow> m = fixmap_remap_fdt(pa, PAGE_KERNEL);
    if (!m) return m;
    const void* blob = mmu.access(m.value().va, m.value().size);
    if (Status st = of::check_blob(blob, m.value().size, pa); !st) {
      fixmap_unmap_fdt();
      return st.error();
    }
    return m;
  }
};

TEST_F(FdtWindowTest, MapsARealDtbAtAnUnalignedOffset) {
  LOAD_DTB_OR_FAIL(blob, "qemu-virt.dtb");
  PhysAddr pa = place(blob, 0x1238);
  const uint64_t in_page = 0x1238 & (PAGE_SIZE - 1);  // 0x238 at 4K, 0x1238 at 16K and 64K
  Result<FdtWindow> r = fixmap_remap_fdt(pa, PAGE_KERNEL);
  ASSERT_TRUE(r.ok()) << error_text(r.error());
  const FdtWindow m = r.value();
  EXPECT_EQ(m.size, fdt_totalsize(blob.data()));
  EXPECT_EQ(m.va.value(), __fix_to_virt(FIX_FDT) + in_page);
  // Every byte of the blob is reachable through the window (the walker checks each page).
  const void* through_mmu = mmu.access(m.va, m.size);
  ASSERT_NE(through_mmu, nullptr);
  EXPECT_EQ(std::memcmp(through_mmu, blob.data(), blob.size()), 0);
  EXPECT_EQ(fdt_check_header(through_mmu), 0);
  unsigned live = 0;
  for (unsigned idx = FIX_FDT_END; idx <= FIX_FDT; ++idx) live += fm.is_live(idx);
  EXPECT_EQ(live, (in_page + m.size + PAGE_SIZE - 1) / PAGE_SIZE);
}

TEST_F(FdtWindowTest, RemapReadOnlyBreaksBeforeMaking) {
  LOAD_DTB_OR_FAIL(blob, "qemu-virt.dtb");
  PhysAddr pa = place(blob, 0);
  ASSERT_TRUE(fixmap_remap_fdt(pa, PAGE_KERNEL).ok());
  EXPECT_TRUE(walk(__fix_to_virt(FIX_FDT)).writable);
  Result<FdtWindow> ro = fixmap_remap_fdt(pa, PAGE_KERNEL_RO);
  ASSERT_TRUE(ro.ok()) << error_text(ro.error());
  WalkResult w = walk(ro.value().va.value());
  ASSERT_TRUE(w.ok);
  EXPECT_FALSE(w.writable);
  EXPECT_FALSE(w.el1_exec);
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(FdtWindowTest, LargestBlobFitsWithTheExtraPage) {
  // A 2 MiB blob starting 8 bytes before a page end needs all 2 MiB / PAGE_SIZE + 1 pages of the
  // window (513 at 4K, 129 at 16K, 33 at 64K).
  std::vector<char> blob(MAX_FDT_SIZE);
  ASSERT_EQ(fdt_create_empty_tree(blob.data(), static_cast<int>(blob.size())), 0);
  PhysAddr pa = place(blob, PAGE_SIZE - 8);
  Result<FdtWindow> m = fixmap_remap_fdt(pa, PAGE_KERNEL_RO);
  ASSERT_TRUE(m.ok()) << error_text(m.error());
  unsigned live = 0;
  for (unsigned idx = FIX_FDT_END; idx <= FIX_FDT; ++idx) live += fm.is_live(idx);
  EXPECT_EQ(live, FIX_FDT - FIX_FDT_END + 1);
  EXPECT_EQ(live, MAX_FDT_SIZE / PAGE_SIZE + 1);
}

// The window is 2 MiB + 1 page at every granule: 513 pages at 4K, 129 at 16K, 33 at 64K. A blob
// that ends exactly at a page end fits in one page less; one that starts 4 KiB into a page (page
// aligned at 4K, not at 16K/64K) keeps its offset in the window.
TEST_F(FdtWindowTest, TheWindowIsTwoMiBPlusOnePageOfTheGranule) {
  const unsigned pages = FIX_FDT - FIX_FDT_END + 1;
  EXPECT_EQ(pages, PAGE_SHIFT == 12 ? 513u : PAGE_SHIFT == 14 ? 129u : 33u);
  EXPECT_EQ(uint64_t{pages} * PAGE_SIZE, FIX_FDT_SIZE);
  EXPECT_EQ(FIX_FDT_SIZE, (2u << 20) + PAGE_SIZE);
  // The lowest VA of the window is FIX_FDT's; its top is FIX_FDT_END's page end.
  EXPECT_EQ(__fix_to_virt(FIX_FDT_END) + PAGE_SIZE - __fix_to_virt(FIX_FDT), FIX_FDT_SIZE);

  std::vector<char> blob(MAX_FDT_SIZE);
  ASSERT_EQ(fdt_create_empty_tree(blob.data(), static_cast<int>(blob.size())), 0);
  fdt_set_totalsize(blob.data(), MAX_FDT_SIZE);
  // Page aligned: 2 MiB is 2 MiB / PAGE_SIZE pages, the extra page left unmapped.
  Result<FdtWindow> m = fixmap_remap_fdt(place(blob, 0), PAGE_KERNEL_RO);
  ASSERT_TRUE(m.ok()) << error_text(m.error());
  unsigned live = 0;
  for (unsigned idx = FIX_FDT_END; idx <= FIX_FDT; ++idx) live += fm.is_live(idx);
  EXPECT_EQ(live, pages - 1);
  EXPECT_FALSE(fm.is_live(FIX_FDT_END));
  ASSERT_NE(mmu.access(m.value().va, MAX_FDT_SIZE), nullptr);
  fixmap_unmap_fdt();
  // 4 KiB into a page at 16K/64K: the offset is kept, and the blob needs the extra page.
  m = fixmap_remap_fdt(place(blob, 0x1000), PAGE_KERNEL_RO);
  ASSERT_TRUE(m.ok()) << error_text(m.error());
  EXPECT_EQ(m.value().va.value(), __fix_to_virt(FIX_FDT) + (0x1000 & (PAGE_SIZE - 1)));
  live = 0;
  for (unsigned idx = FIX_FDT_END; idx <= FIX_FDT; ++idx) live += fm.is_live(idx);
  EXPECT_EQ(live, PAGE_SIZE == 0x1000 ? pages - 1 : pages);
  const void* through = mmu.access(m.value().va, MAX_FDT_SIZE);
  ASSERT_NE(through, nullptr);
  EXPECT_EQ(fdt_check_header(through), 0);
  fixmap_unmap_fdt();
  for (unsigned idx = FIX_FDT_END; idx <= FIX_FDT; ++idx) ASSERT_FALSE(fm.is_live(idx));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

struct BadCase {
  const char* what;
  uint64_t offset;
  void (*corrupt)(std::vector<char>&);
  const char* message;
};

TEST_F(FdtWindowTest, RejectsBadBlobsWithAClearMessage) {
  LOAD_DTB_OR_FAIL(good, "qemu-virt.dtb");
  const BadCase cases[] = {
      {"misaligned", 4, [](std::vector<char>&) {}, "is not 8-byte aligned"},
      {"bad magic", 0, [](std::vector<char>& b) { b[0] = 0x12; }, "bad magic 0x12"},
      {"too large", 0, [](std::vector<char>& b) { fdt_set_totalsize(b.data(), 3u << 20); },
       "the limit is 2097152 bytes (2 MiB)"},
      {"tiny totalsize", 0, [](std::vector<char>& b) { fdt_set_totalsize(b.data(), 8); },
       "smaller than its own header"},
      {"bad version", 0, [](std::vector<char>& b) { fdt_set_version(b.data(), 1); }, "corrupt device tree at 0x"},
      {"struct block outside", 0, [](std::vector<char>& b) { fdt_set_off_dt_struct(b.data(), 0x7fffff00); },
       "corrupt device tree at 0x"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<char> blob = good;
    c.corrupt(blob);
    Result<FdtWindow> m = map_and_check(place(blob, c.offset));
    EXPECT_FALSE(m.ok());
    EXPECT_THAT(error_text(m.error()), HasSubstr(c.message));
    for (unsigned idx = FIX_FDT_END; idx <= FIX_FDT; ++idx) ASSERT_FALSE(fm.is_live(idx)) << "left mapped";
  }
  Result<FdtWindow> none = fixmap_remap_fdt(PhysAddr(0), PAGE_KERNEL);
  EXPECT_FALSE(none.ok());
  EXPECT_THAT(error_text(none.error()), HasSubstr("x0 = 0"));
  EXPECT_TRUE(bbm_violations(mmu).empty());
}

TEST_F(FdtWindowTest, HeaderStraddlingTwoPagesIsRead) {
  LOAD_DTB_OR_FAIL(blob, "qemu-virt.dtb");
  Result<FdtWindow> m = map_and_check(place(blob, 3 * PAGE_SIZE - 16));
  ASSERT_TRUE(m.ok()) << error_text(m.error());
  EXPECT_EQ(fdt_check_header(mmu.access(m.value().va, m.value().size)), 0);
}

}  // namespace
}  // namespace kernel::test
