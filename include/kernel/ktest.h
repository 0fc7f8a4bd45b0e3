// In-kernel tests. A test is registered in the .ktest linker section by KTEST(suite, name); the
// runner prints KTAP v1 (one nested subtest per suite) on the console.
#pragma once

#include <stdint.h>

namespace kernel {

struct KTest {
  const char* suite;
  const char* name;
  bool failed = false;
  unsigned checks = 0;
  void check(bool ok, const char* file, int line, const char* expr);
  void check_eq(uint64_t a, uint64_t b, const char* file, int line, const char* ea, const char* eb);
  void skip(const char* reason);
  const char* skip_reason = nullptr;
};

struct KTestCase {
  const char* suite;
  const char* name;
  void (*fn)(KTest&);
};

// Runs the suites named by `filter` ("" or nullptr: all; else a suite name). Returns failures; an
// unknown suite name is one (reported with the list of suites).
unsigned ktest_run_all(const char* filter, unsigned filter_len);

}  // namespace kernel

#define KTEST(suite, name)                                                                               \
  static void ktest_##suite##_##name(::kernel::KTest& t);                                                \
  [[gnu::used, gnu::section(".ktest")]] static const ::kernel::KTestCase ktest_case_##suite##_##name = { \
      #suite, #name, ktest_##suite##_##name};                                                            \
  static void ktest_##suite##_##name([[maybe_unused]] ::kernel::KTest& t)

#define KEXPECT(cond) t.check(static_cast<bool>(cond), __FILE__, __LINE__, #cond)
#define KEXPECT_EQ(a, b) t.check_eq(static_cast<uint64_t>(a), static_cast<uint64_t>(b), __FILE__, __LINE__, #a, #b)
#define KASSERT(cond)                                            \
  do {                                                           \
    t.check(static_cast<bool>(cond), __FILE__, __LINE__, #cond); \
    if (t.failed) return;                                        \
  } while (0)
