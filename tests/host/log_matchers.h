#pragma once
// A gmock matcher for the kernel log (or any text printk wrote, lines ending in '\n'):
//
//   EXPECT_THAT(kernel_log(), HasLogLine("fixmap: clear_fixmap of FIX_TEXT_POKE0 (index 515): slot is not mapped"));
//   EXPECT_THAT(log, Not(HasLogLine("FIX_FDT ")));
//
// It matches when the log contains the text: part of a line (a prefix, a message without its
// address), or a whole line given with its '\n'. A failure prints the log line by line, numbered,
// and a match the line it was found in (what Not() reports).
#include <gmock/gmock.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace kernel::test {

using ::testing::HasSubstr;
using ::testing::Not;

class LogLineMatcher {
 public:
  using is_gtest_matcher = void;

  explicit LogLineMatcher(std::string text) : text_(std::move(text)) {}

  bool MatchAndExplain(const std::string& log, std::ostream* os) const {
    const size_t at = log.find(text_);
    if (os == nullptr) return at != std::string::npos;
    if (at != std::string::npos) {
      const size_t begin = log.rfind('\n', at) == std::string::npos ? 0 : log.rfind('\n', at) + 1;
      *os << "found in log line " << line_number(log, at) << ": "
          << std::string_view(log).substr(begin, log.find('\n', at) - begin);
      return true;
    }
    if (log.empty()) {
      *os << "the log is empty";
      return false;
    }
    *os << "the log is:";
    size_t n = 0;
    for (size_t pos = 0; pos < log.size();) {
      const size_t end = std::min(log.find('\n', pos), log.size());
      *os << "\n    " << ++n << " | " << std::string_view(log).substr(pos, end - pos);
      pos = end + 1;
    }
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << "has a log line containing " << ::testing::PrintToString(text_); }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "has no log line containing " << ::testing::PrintToString(text_);
  }

 private:
  static size_t line_number(const std::string& log, size_t at) {
    size_t n = 1;
    for (size_t i = 0; i < at; ++i) n += log[i] == '\n';
    return n;
  }

  std::string text_;
};

// EXPECT_THAT(kernel_log(), HasLogLine("...")): the log contains the text (see above).
inline LogLineMatcher HasLogLine(std::string text) { return LogLineMatcher(std::move(text)); }

}  // namespace kernel::test
