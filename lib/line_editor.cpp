// The monitor's line editor and number parser (include/kernel/line_editor.h), for the kernel and
// the host tests.
#include "kernel/line_editor.h"

#include "kernel/string.h"

namespace kernel {

void LineEditor::out(const char* s) const { echo_(s, static_cast<unsigned>(strlen(s)), ctx_); }

void LineEditor::begin(const char* prompt) {
  prompt_ = prompt;
  len_ = pos_ = 0;
  buf_[0] = '\0';
  overflow_ = false;
  esc_ = kNone;
  hist_ = hist_count_;
}

void LineEditor::insert(char c) {
  if (len_ >= kMaxLen) {
    overflow_ = true;
    out('\a');  // refused, audibly; Enter then says the line is too long
    return;
  }
  memmove(buf_ + pos_ + 1, buf_ + pos_, len_ - pos_ + 1);
  buf_[pos_++] = c;
  ++len_;
  // The new character and the rest of the line after it, then back to the cursor.
  out(buf_ + pos_ - 1);
  for (unsigned i = pos_; i < len_; ++i) out('\b');
}

void LineEditor::erase_before() {
  if (!pos_) return;
  memmove(buf_ + pos_ - 1, buf_ + pos_, len_ - pos_ + 1);
  --pos_;
  --len_;
  out('\b');
  out(buf_ + pos_);
  out(' ');
  for (unsigned i = pos_; i <= len_; ++i) out('\b');
}

void LineEditor::move_to(unsigned pos) {
  while (pos_ > pos) out('\b'), --pos_;
  while (pos_ < pos) out(buf_[pos_++]);
}

void LineEditor::replace(const char* text) {
  const unsigned old = len_;
  len_ = static_cast<unsigned>(strlen(text));
  if (len_ > kMaxLen) len_ = kMaxLen;
  memcpy(buf_, text, len_);
  buf_[len_] = '\0';
  pos_ = len_;
  out('\r');
  out(prompt_);
  out(buf_);
  for (unsigned i = len_; i < old; ++i) out(' ');
  for (unsigned i = len_; i < old; ++i) out('\b');
}

void LineEditor::escape(char c) {
  if (esc_ == kEsc) {
    esc_ = c == '[' ? kCsi : kNone;
    return;
  }
  if (esc_ == kCsi && c >= '0' && c <= '9') {  // ESC [ 1 ~ (Home), ESC [ 4 ~ (End), ...
    csi_num_ = c;
    esc_ = kCsiNum;
    return;
  }
  if (esc_ == kCsiNum) {
    esc_ = kNone;
    if (c != '~') return;
    if (csi_num_ == '1' || csi_num_ == '7') move_to(0);
    if (csi_num_ == '4' || csi_num_ == '8') move_to(len_);
    if (csi_num_ == '3' && pos_ < len_) {  // Delete: the character under the cursor
      move_to(pos_ + 1);
      erase_before();
    }
    return;
  }
  esc_ = kNone;
  switch (c) {
    case 'D':
      if (pos_) move_to(pos_ - 1);
      break;
    case 'C':
      if (pos_ < len_) move_to(pos_ + 1);
      break;
    case 'H': move_to(0); break;
    case 'F': move_to(len_); break;
    case 'A':
      if (hist_ > 0 && hist_count_ - hist_ < kHistory) replace(history_[--hist_ % kHistory]);
      break;
    case 'B':
      if (hist_ < hist_count_) {
        ++hist_;
        replace(hist_ < hist_count_ ? history_[hist_ % kHistory] : "");
      }
      break;
    default: break;
  }
}

LineEditor::Action LineEditor::feed(char c) {
  if (esc_ != kNone) {
    escape(c);
    return Action::More;
  }
  switch (c) {
    case '\r':
    case '\n':
      out("\n");
      if (overflow_) return Action::TooLong;
      if (len_) {
        memcpy(history_[hist_count_ % kHistory], buf_, len_ + 1);
        ++hist_count_;
      }
      return Action::Done;
    case 0x03:  // Ctrl-C
      out("^C\n");
      len_ = pos_ = 0;
      buf_[0] = '\0';
      return Action::Cancelled;
    case 0x15:  // Ctrl-U
      overflow_ = false;
      replace("");
      return Action::More;
    case 0x7f:
    case '\b': erase_before(); return Action::More;
    case 0x1b: esc_ = kEsc; return Action::More;
    default:
      if (c >= 0x20 && c < 0x7f) insert(c);
      return Action::More;
  }
}

Result<uint64_t> parse_u64_strict(const char* s) {
  if (!s || !*s) return KERR(Errc::Invalid, "a number is missing");
  const char* p = s;
  unsigned base = 10;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    base = 16;
    p += 2;
    if (!*p) return KERR(Errc::Invalid, "'%s': no digits after 0x", s);
  }
  uint64_t v = 0;
  for (; *p; ++p) {
    unsigned d;
    if (*p >= '0' && *p <= '9')
      d = static_cast<unsigned>(*p - '0');
    else if (base == 16 && *p >= 'a' && *p <= 'f')
      d = static_cast<unsigned>(*p - 'a' + 10);
    else if (base == 16 && *p >= 'A' && *p <= 'F')
      d = static_cast<unsigned>(*p - 'A' + 10);
    else
      return KERR(Errc::Invalid, "'%s' is not a %s number", s, base == 16 ? "hexadecimal" : "decimal (or 0x...)");
    if (v > (~0ull - d) / base) return KERR(Errc::Invalid, "'%s' does not fit in 64 bits", s);
    v = v * base + d;
  }
  return v;
}

}  // namespace kernel
