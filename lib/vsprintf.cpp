// A small vsnprintf for the kernel (and the host tests, which compile this same file).
// Supports: flags '-', '0', '+', ' ', '#'; width and precision (also '*'); length hh h l ll z t j;
// conversions d i u x X o c s p %. %p prints 0x and 16 hex digits.
#include "kernel/printk.h"

namespace kernel {
namespace {

struct Out {
  char* buf;
  size_t size;
  size_t pos = 0;
  void put(char c) {
    if (pos + 1 < size) buf[pos] = c;
    ++pos;
  }
};

struct Spec {
  bool left = false, zero = false, plus = false, space = false, alt = false;
  int width = 0;
  int precision = -1;
};

void emit_padded(Out& o, const char* s, size_t len, const Spec& sp, char pad) {
  size_t w = sp.width > 0 ? static_cast<size_t>(sp.width) : 0;
  if (!sp.left)
    for (size_t i = len; i < w; ++i) o.put(pad);
  for (size_t i = 0; i < len; ++i) o.put(s[i]);
  if (sp.left)
    for (size_t i = len; i < w; ++i) o.put(' ');
}

void emit_number(Out& o, uint64_t v, bool negative, unsigned base, bool upper, Spec sp, const char* prefix) {
  char digits[24];
  int n = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (v == 0 && sp.precision != 0) digits[n++] = '0';
  while (v) {
    digits[n++] = set[v % base];
    v /= base;
  }
  int zeros = sp.precision > n ? sp.precision - n : 0;
  char sign = negative ? '-' : sp.plus ? '+' : sp.space ? ' ' : 0;
  size_t plen = 0;
  while (prefix && prefix[plen]) ++plen;
  int body = n + zeros + (sign ? 1 : 0) + static_cast<int>(plen);
  bool zero_pad = sp.zero && !sp.left && sp.precision < 0;
  if (zero_pad && sp.width > body) zeros += sp.width - body, body = sp.width;
  if (!sp.left)
    for (int i = body; i < sp.width; ++i) o.put(' ');
  if (sign) o.put(sign);
  for (size_t i = 0; i < plen; ++i) o.put(prefix[i]);
  for (int i = 0; i < zeros; ++i) o.put('0');
  while (n) o.put(digits[--n]);
  if (sp.left)
    for (int i = body; i < sp.width; ++i) o.put(' ');
}

}  // namespace

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
  Out o{buf, size};
  for (const char* p = fmt; *p; ++p) {
    if (*p != '%') {
      o.put(*p);
      continue;
    }
    ++p;
    Spec sp;
    for (;; ++p) {
      if (*p == '-')
        sp.left = true;
      else if (*p == '0')
        sp.zero = true;
      else if (*p == '+')
        sp.plus = true;
      else if (*p == ' ')
        sp.space = true;
      else if (*p == '#')
        sp.alt = true;
      else
        break;
    }
    if (*p == '*') {
      sp.width = va_arg(ap, int);
      if (sp.width < 0) sp.left = true, sp.width = -sp.width;
      ++p;
    } else {
      while (*p >= '0' && *p <= '9') sp.width = sp.width * 10 + (*p++ - '0');
    }
    if (*p == '.') {
      ++p;
      sp.precision = 0;
      if (*p == '*') {
        sp.precision = va_arg(ap, int);
        ++p;
      } else {
        while (*p >= '0' && *p <= '9') sp.precision = sp.precision * 10 + (*p++ - '0');
      }
    }
    int len = 0;  // 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t/ptrdiff/intmax
    for (;; ++p) {
      if (*p == 'l')
        ++len;
      else if (*p == 'h')
        --len;
      else if (*p == 'z' || *p == 't' || *p == 'j')
        len = 3;
      else
        break;
    }
    char c = *p;
    if (!c) break;
    auto get_unsigned = [&]() -> uint64_t {
      if (len >= 1) return len == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long);
      unsigned v = va_arg(ap, unsigned);
      if (len == -1) return static_cast<unsigned short>(v);
      if (len <= -2) return static_cast<unsigned char>(v);
      return v;
    };
    switch (c) {
      case 'd':
      case 'i': {
        int64_t v;
        if (len >= 1)
          v = len == 1 ? va_arg(ap, long) : va_arg(ap, long long);
        else {
          v = va_arg(ap, int);
          if (len == -1) v = static_cast<short>(v);
          if (len <= -2) v = static_cast<signed char>(v);
        }
        uint64_t mag = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        emit_number(o, mag, v < 0, 10, false, sp, nullptr);
        break;
      }
      case 'u': emit_number(o, get_unsigned(), false, 10, false, sp, nullptr); break;
      case 'x':
      case 'X': {
        uint64_t v = get_unsigned();
        emit_number(o, v, false, 16, c == 'X', sp, sp.alt && v ? (c == 'X' ? "0X" : "0x") : nullptr);
        break;
      }
      case 'o': emit_number(o, get_unsigned(), false, 8, false, sp, sp.alt ? "0" : nullptr); break;
      case 'p': {
        uint64_t v = reinterpret_cast<uintptr_t>(va_arg(ap, void*));
        Spec ps;
        ps.precision = 16;
        emit_number(o, v, false, 16, false, ps, "0x");
        break;
      }
      case 'c': {
        char ch = static_cast<char>(va_arg(ap, int));
        emit_padded(o, &ch, 1, sp, ' ');
        break;
      }
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (!s) s = "(null)";
        size_t n = 0;
        while (s[n] && (sp.precision < 0 || n < static_cast<size_t>(sp.precision))) ++n;
        emit_padded(o, s, n, sp, ' ');
        break;
      }
      case '%': o.put('%'); break;
      default:  // unknown conversion: print it verbatim so the mistake is visible
        o.put('%');
        o.put(c);
        break;
    }
  }
  if (size) buf[o.pos < size ? o.pos : size - 1] = '\0';
  return static_cast<int>(o.pos);
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace kernel
