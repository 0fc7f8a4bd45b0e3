#include "kernel/printk.h"

#include "kernel/string.h"

namespace kernel {
namespace {

constexpr size_t kLogSize = 64 * 1024;
char g_log[kLogSize];
size_t g_log_head = 0;  // next write position
bool g_log_wrapped = false;
bool g_at_line_start = true;
ConsoleWrite g_console = nullptr;
ClockFn g_clock = nullptr;

void log_put(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    g_log[g_log_head++] = s[i];
    if (g_log_head == kLogSize) g_log_head = 0, g_log_wrapped = true;
  }
}

void emit(const char* s, size_t n) {
  log_put(s, n);
  if (g_console) g_console(s, n);
}

}  // namespace

void printk_set_clock(ClockFn fn) { g_clock = fn; }

int vprintk(const char* fmt, va_list ap) {
  char msg[1024];
  if (fmt[0] == KERN_SOH[0] && fmt[1] >= '0' && fmt[1] <= '7') fmt += 2;
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  size_t len = n < 0 ? 0 : (static_cast<size_t>(n) < sizeof msg ? static_cast<size_t>(n) : sizeof msg - 1);
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    if (g_at_line_start) {
      uint64_t ns = g_clock ? g_clock() : 0;
      char ts[32];
      int tl = snprintf(ts, sizeof ts, "[%5lu.%06lu] ", static_cast<unsigned long>(ns / 1000000000u),
                        static_cast<unsigned long>((ns / 1000u) % 1000000u));
      emit(ts, static_cast<size_t>(tl));
      g_at_line_start = false;
    }
    if (msg[i] == '\n') {
      emit(msg + start, i + 1 - start);
      start = i + 1;
      g_at_line_start = true;
    }
  }
  if (start < len) emit(msg + start, len - start);
  return static_cast<int>(len);
}

int printk_raw(const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t len = n < 0 ? 0 : (static_cast<size_t>(n) < sizeof msg ? static_cast<size_t>(n) : sizeof msg - 1);
  emit(msg, len);
  if (len) g_at_line_start = msg[len - 1] == '\n';
  return static_cast<int>(len);
}

int printk(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintk(fmt, ap);
  va_end(ap);
  return n;
}

void console_register(const char* name, ConsoleWrite write) {
  (void)name;
  // Replay what was logged before this console existed, oldest first.
  if (g_log_wrapped) write(g_log + g_log_head, kLogSize - g_log_head);
  write(g_log, g_log_head);
  g_console = write;
}

void console_unregister() { g_console = nullptr; }
bool console_active() { return g_console != nullptr; }

size_t log_buffer_size() { return g_log_wrapped ? kLogSize : g_log_head; }

size_t log_buffer_copy(char* out, size_t cap) {
  if (!cap) return 0;
  size_t n = 0;
  auto take = [&](const char* s, size_t len) {
    for (size_t i = 0; i < len && n + 1 < cap; ++i) out[n++] = s[i];
  };
  if (g_log_wrapped) take(g_log + g_log_head, kLogSize - g_log_head);
  take(g_log, g_log_head);
  out[n] = '\0';
  return n;
}

size_t log_buffer_read(size_t pos, char* out, size_t n) {
  size_t size = log_buffer_size(), got = 0;
  size_t oldest = g_log_wrapped ? g_log_head : 0;
  for (; got < n && pos + got < size; ++got) out[got] = g_log[(oldest + pos + got) % kLogSize];
  return got;
}

void log_buffer_reset() {
  g_log_head = 0;
  g_log_wrapped = false;
  g_at_line_start = true;
}

}  // namespace kernel
