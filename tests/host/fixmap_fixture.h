#pragma once

#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "kernel/printk.h"
#include "log_matchers.h"
#include "mm/fixmap.h"
#include "sim_mmu.h"

namespace kernel {
// gtest prints a Result as its code and message.
inline std::string error_text(const Error& e) {
  char b[320];
  e.format(b, sizeof b);
  return b;
}
template <typename T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  *os << errc_name(r.code()) << (r.ok() ? "" : ": " + error_text(r.error()));
}
inline void PrintTo(Errc c, std::ostream* os) { *os << errc_name(c); }
}  // namespace kernel

namespace kernel::test {

// printf into a std::string: expected log lines whose numbers depend on the granule.
[[gnu::format(printf, 1, 2)]] inline std::string strfmt(const char* fmt, ...) {
  char b[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  return b;
}

inline std::string kernel_log() {
  static char buf[70000];
  log_buffer_copy(buf, sizeof buf);
  return buf;
}

class FixmapTest : public ::testing::Test {
 public:
  static constexpr uint64_t kRamBase = 0x40000000;
  static constexpr uint64_t kRamSize = 64ull << 20;

  FixmapTest() : arena(kRamBase, kRamSize), mmu(arena), fm(mmu) {}

  void SetUp() override {
    log_buffer_reset();
    pgd = arena.alloc_page();
    mmu.ttbr1 = pgd;
    tables.pud = arena.alloc_page();
    tables.pmd = arena.alloc_page();
    for (auto& p : tables.pte) p = arena.alloc_page();
    ASSERT_EQ(fm.init(pgd, tables), Errc::Ok);
    fixmap_install(&fm);
  }
  void TearDown() override { fixmap_install(nullptr); }

  WalkResult walk(uint64_t va) { return walk_ttbr1(mmu, pgd, VirtAddr(va)); }

  SimArena arena;
  RecordingMmuOps mmu;
  Fixmap fm;
  PhysAddr pgd;
  FixmapTables tables;
};

}  // namespace kernel::test
