// The monitor's line editor and number parser: pure code (no UART), so the host tests drive them
// with the same byte sequences a terminal sends.
#pragma once

#include "kernel/error.h"
#include "kernel/types.h"

namespace kernel {

// Edits one line from terminal input, one byte at a time, echoing through `echo`:
//   printable characters insert at the cursor; Backspace/DEL delete before it;
//   Left/Right (ESC [ D / ESC [ C) move it, Home/End (ESC [ H / ESC [ F, ESC [ 1~ / ESC [ 4~) jump;
//   Up/Down (ESC [ A / ESC [ B) walk the history of the last kHistory lines;
//   Ctrl-C cancels the line ("^C"), Ctrl-U erases it; Enter ends it.
// A line longer than kMaxLen is never cut silently: the bell rings at each refused character and
// Enter reports the line as too long instead of running a shortened one.
class LineEditor {
 public:
  static constexpr unsigned kMaxLen = 127, kHistory = 8;
  enum class Action { More, Done, Cancelled, TooLong };
  using EchoFn = void (*)(const char* s, unsigned n, void* ctx);

  LineEditor(EchoFn echo, void* ctx) : echo_(echo), ctx_(ctx) {}

  // Starts a new line (prints nothing: the caller prints the prompt first).
  void begin(const char* prompt);
  // One byte of input; Done/Cancelled/TooLong end the line (line() holds it when Done).
  Action feed(char c);
  const char* line() const { return buf_; }
  unsigned cursor() const { return pos_; }

 private:
  void out(const char* s) const;
  void out(char c) const { echo_(&c, 1, ctx_); }
  void insert(char c);
  void erase_before();
  void move_to(unsigned pos);
  void replace(const char* text);  // the whole line, redrawn
  void escape(char c);

  EchoFn echo_;
  void* ctx_;
  const char* prompt_ = "";
  char buf_[kMaxLen + 1] = {};
  unsigned len_ = 0, pos_ = 0;
  bool overflow_ = false;
  enum { kNone, kEsc, kCsi, kCsiNum } esc_ = kNone;
  char csi_num_ = 0;
  char history_[kHistory][kMaxLen + 1] = {};
  unsigned hist_count_ = 0, hist_ = 0;
};

// A number as the monitor and the command line take it: decimal, or hex with 0x. Refuses what is
// not wholly a number, "0x" with no digits, and values over 64 bits, each with its own message
// (Errc::Invalid) naming the text.
Result<uint64_t> parse_u64_strict(const char* s);

}  // namespace kernel
