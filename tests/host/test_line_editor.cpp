// The monitor's line editor and number parser, driven with the bytes a terminal sends.
#include <gtest/gtest.h>

#include <string>

#include "fixmap_fixture.h"
#include "kernel/line_editor.h"

using namespace kernel;

namespace {

struct Term {
  std::string echoed;
  LineEditor ed{[](const char* s, unsigned n, void* t) { static_cast<Term*>(t)->echoed.append(s, n); }, this};
  Term() { ed.begin("> "); }
  // Feeds every byte; returns the action of the last.
  LineEditor::Action type(const std::string& bytes) {
    LineEditor::Action a = LineEditor::Action::More;
    for (char c : bytes) a = ed.feed(c);
    return a;
  }
};

const std::string kLeft = "\x1b[D", kRight = "\x1b[C", kUp = "\x1b[A", kDown = "\x1b[B", kHome = "\x1b[H",
                  kEnd = "\x1b[F";

TEST(LineEditor, TypesAndEndsALine) {
  Term t;
  EXPECT_EQ(t.type("fixmap\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "fixmap");
}

TEST(LineEditor, LeftAndRightMoveTheCursorAndInsertInTheMiddle) {
  Term t;
  t.type("tanslate");
  t.type(kLeft + kLeft + kLeft + kLeft + kLeft + kLeft + kLeft);  // after the 't'
  EXPECT_EQ(t.ed.cursor(), 1u);
  t.type("r");
  t.type(kRight + kRight);
  EXPECT_EQ(t.ed.cursor(), 4u);
  EXPECT_EQ(t.type("\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "translate");
}

TEST(LineEditor, BackspaceDeletesBeforeTheCursorHomeEndAndDelete) {
  Term t;
  t.type("ptdumpp" + std::string("\x7f"));
  t.type(kHome + "x" + kEnd + " 0x1");
  t.type(kHome + "\x1b[3~");  // Delete under the cursor: the 'x'
  t.type(kEnd + "\b2");
  EXPECT_EQ(t.type("\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "ptdump 0x2");
}

TEST(LineEditor, CtrlCCancelsAndCtrlUErases) {
  Term t;
  EXPECT_EQ(t.type("poweroff\x03"), LineEditor::Action::Cancelled);
  EXPECT_NE(t.echoed.find("^C"), std::string::npos);
  t.ed.begin("> ");
  t.type(
      "reboot\x15"
      "help");
  EXPECT_EQ(t.type("\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "help");
}

TEST(LineEditor, AnOverlongLineIsRefusedNotCut) {
  Term t;
  t.type(std::string(LineEditor::kMaxLen, 'a'));
  EXPECT_EQ(t.echoed.find('\a'), std::string::npos);
  t.type("bc");
  EXPECT_NE(t.echoed.find('\a'), std::string::npos) << "the bell rings at each refused character";
  EXPECT_EQ(t.type("\r"), LineEditor::Action::TooLong);
  // Erasing the line clears the condition.
  t.ed.begin("> ");
  t.type(std::string(LineEditor::kMaxLen + 5, 'a') + "\x15" + "log");
  EXPECT_EQ(t.type("\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "log");
}

TEST(LineEditor, UpAndDownWalkTheHistory) {
  Term t;
  t.type("one\r");
  t.ed.begin("> ");
  t.type("two\r");
  t.ed.begin("> ");
  t.type(kUp + kUp);
  EXPECT_EQ(t.type("\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "one");
  t.ed.begin("> ");
  t.type(kUp + kUp + kDown + "!");
  EXPECT_EQ(t.type("\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "one!");
  t.ed.begin("> ");
  t.type(kUp + kDown + kDown + "x");  // below the newest: an empty line
  EXPECT_EQ(t.type("\r"), LineEditor::Action::Done);
  EXPECT_STREQ(t.ed.line(), "x");
}

std::string why(const Result<uint64_t>& r) { return r ? std::string() : error_text(r.error()); }

TEST(ParseU64Strict, DecimalAndHex) {
  EXPECT_EQ(parse_u64_strict("0").value(), 0u);
  EXPECT_EQ(parse_u64_strict("4096").value(), 4096u);
  EXPECT_EQ(parse_u64_strict("0xffff800080000000").value(), 0xffff800080000000ull);
  EXPECT_EQ(parse_u64_strict("0XFFFFFFFFFFFFFFFF").value(), ~0ull);
  EXPECT_EQ(parse_u64_strict("18446744073709551615").value(), ~0ull);
}

TEST(ParseU64Strict, RefusesWithAMessage) {
  EXPECT_EQ(why(parse_u64_strict("0x1ffff800080000000")), "'0x1ffff800080000000' does not fit in 64 bits");
  EXPECT_EQ(why(parse_u64_strict("18446744073709551616")), "'18446744073709551616' does not fit in 64 bits");
  EXPECT_EQ(why(parse_u64_strict("0x")), "'0x': no digits after 0x");
  EXPECT_EQ(why(parse_u64_strict("")), "a number is missing");
  EXPECT_EQ(why(parse_u64_strict("0x12g")), "'0x12g' is not a hexadecimal number");
  EXPECT_EQ(why(parse_u64_strict("ffff")), "'ffff' is not a decimal (or 0x...) number");
  EXPECT_EQ(why(parse_u64_strict("-1")), "'-1' is not a decimal (or 0x...) number");
}

}  // namespace
