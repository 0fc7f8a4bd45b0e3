// vsnprintf, the command line parser and printk's log buffer and console replay.
#include <gtest/gtest.h>

#include <string>

#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "log_matchers.h"

namespace kernel::test {
namespace {

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  kernel::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

TEST(Vsnprintf, MatchesTheCLibraryOnCommonConversions) {
  EXPECT_EQ(fmt("%d %i %u", -42, 7, 3000000000u), "-42 7 3000000000");
  EXPECT_EQ(fmt("%016lx", 0x9000000ul), "0000000009000000");
  EXPECT_EQ(fmt("%#x %#X %o", 255, 255, 8), "0xff 0XFF 10");
  EXPECT_EQ(fmt("[%5s|%-5s|%.2s]", "ab", "ab", "abcdef"), "[   ab|ab   |ab]");
  EXPECT_EQ(fmt("[%*d|%-*d]", 4, 7, 3, 7), "[   7|7  ]");
  EXPECT_EQ(fmt("%p", reinterpret_cast<void*>(0xffff'8000'8000'1234ull)), "0xffff800080001234");
  EXPECT_EQ(fmt("%lld %llu", -9223372036854775807ll - 1, 18446744073709551615ull),
            "-9223372036854775808 18446744073709551615");
  EXPECT_EQ(fmt("%zu %c %%", sizeof(int), 'x'), "4 x %");
  const char* volatile null_string = nullptr;  // hidden from the format checker on purpose
  EXPECT_EQ(fmt("%s", null_string), "(null)");
  EXPECT_EQ(fmt("%5.3d|%+d|% d", 7, 5, 5), "  007|+5| 5");
  EXPECT_EQ(fmt("%hhu %hu", 300, 70000), "44 4464");
}

TEST(Vsnprintf, TruncatesAndReturnsTheFullLength) {
  char buf[8];
  EXPECT_EQ(kernel::snprintf(buf, sizeof buf, "%s", "0123456789"), 10);
  EXPECT_STREQ(buf, "0123456");
  EXPECT_EQ(kernel::snprintf(nullptr, 0, "%d", 12345), 5);
}

TEST(Cmdline, SplitsWordsValuesAndQuotes) {
  const char* s = "  earlycon=pl011,0x9000000 halt=idle  ktest  msg=\"a b\" ";
  size_t pos = 0;
  CmdlineParam p;
  std::vector<std::string> got;
  while (cmdline_next(s, &pos, &p))
    got.push_back(std::string(p.name, p.name_len) + (p.value ? "=" + std::string(p.value, p.value_len) : ""));
  EXPECT_EQ(got, (std::vector<std::string>{"earlycon=pl011,0x9000000", "halt=idle", "ktest", "msg=a b"}));
  ASSERT_TRUE(cmdline_find(s, "halt", &p));
  EXPECT_TRUE(value_is(p, "idle"));
  EXPECT_FALSE(cmdline_find(s, "earlycon2", &p));
  ASSERT_TRUE(cmdline_find("earlycon=x earlycon", "earlycon", &p));  // the last one wins
  EXPECT_EQ(p.value, nullptr);
}

std::string console_out;
void test_console(const char* s, size_t n) { console_out.append(s, n); }

TEST(Printk, TimestampsLinesAndReplaysToALateConsole) {
  log_buffer_reset();
  console_unregister();
  console_out.clear();
  printk_set_clock([]() -> uint64_t { return 1234567890; });
  pr_info("first %d\n", 1);
  pr_err("second ");
  printk("continues\n");
  console_register("test", test_console);
  EXPECT_EQ(console_out, "[    1.234567] first 1\n[    1.234567] second continues\n");
  pr_warn("third\n");
  EXPECT_EQ(console_out.substr(console_out.size() - 21), "[    1.234567] third\n");
  printk_raw("ok 1 raw\n");
  EXPECT_EQ(console_out.substr(console_out.size() - 9), "ok 1 raw\n");
  console_unregister();
  printk_set_clock(nullptr);
}

TEST(Printk, ALineLongerThanTheBufferIsMarkedAndStillEnds) {
  // tools/run-qemu -- <5000 characters>: the command line is printed in one message.
  log_buffer_reset();
  printk_set_clock([]() -> uint64_t { return 1234567890; });
  const std::string x(5000, 'x');
  pr_info("Kernel command line: %s\n", x.c_str());
  pr_info("next\n");
  printk_raw("raw %s\n", x.c_str());
  printk_raw("after raw\n");
  static char buf[70000];
  std::string s(buf, log_buffer_copy(buf, sizeof buf));
  const size_t cut = s.find(" [... ");
  ASSERT_NE(cut, std::string::npos) << s.substr(0, 200);
  EXPECT_EQ(s.substr(cut, s.find('\n') - cut), " [... 5022-byte message cut]") << "the cut says how long it was";
  EXPECT_THAT(s, HasLogLine("x [... 5022-byte message cut]\n[    1.234567] next\n"));
  EXPECT_THAT(s, HasLogLine("x [... 5005-byte message cut]\nafter raw\n"));
  printk_set_clock(nullptr);
  log_buffer_reset();
}

TEST(Printk, RingBufferKeepsTheNewestText) {
  log_buffer_reset();
  for (int i = 0; i < 5000; ++i) pr_info("line %05d\n", i);
  static char buf[70000];
  size_t n = log_buffer_copy(buf, sizeof buf);
  EXPECT_EQ(n, log_buffer_size());
  std::string s(buf, n);
  EXPECT_THAT(s, HasLogLine("line 04999\n"));
  EXPECT_THAT(s, Not(HasLogLine("line 00000\n")));
  // Reading in pieces from the oldest byte gives the same text, across the wrap point.
  std::string pieces;
  char chunk[333];
  for (size_t pos = 0, got; (got = log_buffer_read(pos, chunk, sizeof chunk)) > 0; pos += got)
    pieces.append(chunk, got);
  EXPECT_EQ(pieces, s);
  log_buffer_reset();
}

}  // namespace
}  // namespace kernel::test
