#include "kernel/ktest.h"

#include "kernel/printk.h"
#include "kernel/string.h"

extern "C" {
extern const kernel::KTestCase __ktest_start[], __ktest_end[];
}

namespace kernel {

void KTest::check(bool ok, const char* file, int line, const char* expr) {
  ++checks;
  if (ok) return;
  failed = true;
  printk_raw("        # %s: EXPECTATION FAILED at %s:%d: %s\n", name, file, line, expr);
}

void KTest::check_eq(uint64_t a, uint64_t b, const char* file, int line, const char* ea, const char* eb) {
  ++checks;
  if (a == b) return;
  failed = true;
  printk_raw("        # %s: EXPECTATION FAILED at %s:%d: %s == %s (0x%lx vs 0x%lx)\n", name, file, line, ea, eb, a, b);
}

void KTest::skip(const char* reason) { skip_reason = reason; }

namespace {

bool same(const char* a, const char* b) { return strcmp(a, b) == 0; }

bool selected(const char* suite, const char* filter, unsigned len) {
  if (!filter || !len) return true;
  return strlen(suite) == len && memcmp(suite, filter, len) == 0;
}

}  // namespace

// KTAP lines go straight to the console without timestamps, so that `prove` (TAP) and kunit
// tooling can read them; they are logged like everything else.
unsigned ktest_run_all(const char* filter, unsigned filter_len) {
  // GCC emits a translation unit's registrations in reverse order: reverse the section so tests
  // run in the order they are written.
  static KTestCase ordered[256];
  unsigned total = 0;
  for (const KTestCase* c = __ktest_end; c-- > __ktest_start && total < 256;) ordered[total++] = *c;
  const KTestCase* begin = ordered;
  const KTestCase* end = ordered + total;
  // Suites in registration order, each once.
  unsigned nsuites = 0;
  for (const KTestCase* c = begin; c < end; ++c) {
    bool first = true;
    for (const KTestCase* d = begin; d < c; ++d)
      if (same(d->suite, c->suite)) first = false;
    if (first && selected(c->suite, filter, filter_len)) ++nsuites;
  }
  if (nsuites == 0) {
    // A misspelt suite must not pass as "0 suites, 0 failures": say so, list the suites, fail.
    char names[512];
    unsigned len = 0;
    names[0] = '\0';
    for (const KTestCase* c = begin; c < end; ++c) {
      bool first = true;
      for (const KTestCase* d = begin; d < c; ++d)
        if (same(d->suite, c->suite)) first = false;
      if (first && len < sizeof names) len += snprintf(names + len, sizeof names - len, " %s", c->suite);
    }
    printk_raw("KTAP version 1\n1..0\n");
    pr_err("ktest: no suite named '%.*s'; the suites are:%s (ktest=<suite> or ktest for all)\n",
           static_cast<int>(filter_len), filter, names);
    return 1;
  }
  printk_raw("KTAP version 1\n1..%u\n", nsuites);
  unsigned suite_no = 0, failures = 0;
  for (const KTestCase* c = begin; c < end; ++c) {
    bool first = true;
    for (const KTestCase* d = begin; d < c; ++d)
      if (same(d->suite, c->suite)) first = false;
    if (!first || !selected(c->suite, filter, filter_len)) continue;
    unsigned ntests = 0;
    for (const KTestCase* d = c; d < end; ++d)
      if (same(d->suite, c->suite)) ++ntests;
    printk_raw("    KTAP version 1\n    # Subtest: %s\n    1..%u\n", c->suite, ntests);
    unsigned n = 0, suite_failed = 0;
    for (const KTestCase* d = c; d < end; ++d) {
      if (!same(d->suite, c->suite)) continue;
      KTest t{d->suite, d->name};
      d->fn(t);
      ++n;
      if (t.skip_reason)
        printk_raw("    ok %u %s # SKIP %s\n", n, d->name, t.skip_reason);
      else if (t.failed)
        printk_raw("    not ok %u %s\n", n, d->name), ++suite_failed;
      else if (t.checks == 0)
        printk_raw("    not ok %u %s # checked nothing\n", n, d->name), ++suite_failed;
      else
        printk_raw("    ok %u %s\n", n, d->name);
    }
    ++suite_no;
    printk_raw("%s %u %s\n", suite_failed ? "not ok" : "ok", suite_no, c->suite);
    failures += suite_failed;
  }
  printk_raw("# ktest: %u suite%s, %u failure%s\n", nsuites, nsuites == 1 ? "" : "s", failures,
             failures == 1 ? "" : "s");
  return failures;
}

}  // namespace kernel
