#include "kernel/printk.h"

#include "kernel/spinlock.h"
#include "kernel/string.h"

namespace kernel {
namespace {

constexpr size_t kLogSize = 64 * 1024;
char g_log[kLogSize];
size_t g_log_head = 0;  // next write position
bool g_log_wrapped = false;
bool g_at_line_start = true;
unsigned g_line_cpu = 0;  // the CPU whose line is open when !g_at_line_start
ConsoleWrite g_console = nullptr;
ClockFn g_clock = nullptr;
CpuIdFn g_cpu_id = nullptr;
bool g_show_cpu = false;

unsigned current_cpu() { return g_cpu_id ? g_cpu_id() : 0; }

// The log lock: the log buffer, the line state and the console belong to one CPU at a time, so
// two CPUs never interleave inside a line. Taken with interrupts masked (BasicIrqSaveGuard, as IrqSaveGuard), so an
// interrupt handler's printk cannot deadlock against the code it interrupted on the same CPU.
//
// Deadlock if a CPU stops while holding it: a fault inside printk (the UART, a bad %s) on CPU n
// reports itself through printk on CPU n, which finds itself the owner and goes on without
// waiting (the report may land in the middle of the line that was being printed; it starts on a
// line of its own). Any other CPU waits at most kStealAfterNs: a holder that never lets go (it
// panicked, or stopped in the middle) loses the lock, and the waiter says so once and prints.
class LogLock {
 public:
  static constexpr uint64_t kStealAfterNs = 1'000'000'000;
  void lock() {
    const unsigned me = current_cpu();
    if (__atomic_load_n(&owner_, __ATOMIC_RELAXED) == me) {  // re-entered on this CPU
      ++depth_;
      return;
    }
    const uint64_t start = g_clock ? g_clock() : 0;
    uint64_t spins = 0;
    while (!lock_.try_lock()) {
      // Without a clock (host, early boot), about a second's worth of polls on a slow core.
      const bool expired = g_clock ? g_clock() - start > kStealAfterNs : ++spins > 100'000'000;
      if (expired) {
        stolen_from_ = __atomic_load_n(&owner_, __ATOMIC_RELAXED) + 1;
        break;
      }
      arch_cpu_relax();
    }
    __atomic_store_n(&owner_, me, __ATOMIC_RELAXED);
    depth_ = 1;
  }
  void unlock() {
    if (__atomic_load_n(&owner_, __ATOMIC_RELAXED) != current_cpu()) return;  // taken over meanwhile
    if (--depth_) return;
    __atomic_store_n(&owner_, kNoOwner, __ATOMIC_RELAXED);
    lock_.unlock();
  }
  // 1 + the CPU the lock was taken from by the last holder, once (0: none); cleared by the call.
  unsigned take_stolen_from() {
    const unsigned s = stolen_from_;
    stolen_from_ = 0;
    return s;
  }

 private:
  static constexpr unsigned kNoOwner = ~0u;
  SpinLock lock_;
  unsigned owner_ = kNoOwner;
  unsigned depth_ = 0;
  unsigned stolen_from_ = 0;
};
LogLock g_log_lock;

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

// Under the log lock: a line another CPU left open is closed first, so this CPU's text starts on a
// line of its own; a lock taken over from a stuck CPU is said once.
void begin_output(unsigned me) {
  if (!g_at_line_start && g_line_cpu != me) {
    emit("\n", 1);
    g_at_line_start = true;
  }
  if (const unsigned from = g_log_lock.take_stolen_from()) {
    char note[112];
    const int nl = snprintf(note, sizeof note,
                            "printk: the log lock was held for over 1 s by CPU%u (stopped inside printk?); "
                            "printing without it\n",
                            from - 1);
    if (!g_at_line_start) emit("\n", 1);
    emit(note, static_cast<size_t>(nl));
    g_at_line_start = true;
  }
}

void end_output(unsigned me, const char* msg, size_t len) {
  if (len) g_at_line_start = msg[len - 1] == '\n';
  g_line_cpu = me;
}

// A message longer than the buffer keeps its start, is marked as cut and still ends its line
// (otherwise the next message would run into it without a timestamp). Returns the length to emit.
size_t fit_message(char* msg, size_t cap, int n) {
  if (n < 0) return 0;
  if (static_cast<size_t>(n) < cap) return static_cast<size_t>(n);
  char mark[48];
  const int ml = snprintf(mark, sizeof mark, " [... %d-byte message cut]\n", n);
  memcpy(msg + cap - 1 - static_cast<size_t>(ml), mark, static_cast<size_t>(ml) + 1);
  return cap - 1;
}

}  // namespace

void printk_set_clock(ClockFn fn) { g_clock = fn; }
void printk_set_cpu_id(CpuIdFn fn) { g_cpu_id = fn; }
void printk_show_cpu(bool on) { g_show_cpu = on; }

int vprintk(const char* fmt, va_list ap) {
  char msg[1024];
  if (fmt[0] == KERN_SOH[0] && fmt[1] >= '0' && fmt[1] <= '7') fmt += 2;
  const size_t len = fit_message(msg, sizeof msg, vsnprintf(msg, sizeof msg, fmt, ap));
  BasicIrqSaveGuard<LogLock> guard(g_log_lock);
  const unsigned me = current_cpu();
  begin_output(me);
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    if (g_at_line_start) {
      uint64_t ns = g_clock ? g_clock() : 0;
      char ts[48];
      int tl = snprintf(ts, sizeof ts, "[%5lu.%06lu] ", static_cast<unsigned long>(ns / 1000000000u),
                        static_cast<unsigned long>((ns / 1000u) % 1000000u));
      if (g_show_cpu) {  // Linux's CONFIG_PRINTK_CALLER: "[    0.012345][    C1] "
        char caller[12];
        snprintf(caller, sizeof caller, "C%u", me);
        tl = snprintf(ts, sizeof ts, "[%5lu.%06lu][%6s] ", static_cast<unsigned long>(ns / 1000000000u),
                      static_cast<unsigned long>((ns / 1000u) % 1000000u), caller);
      }
      emit(ts, static_cast<size_t>(tl));
      g_at_line_start = false;
      g_line_cpu = me;
    }
    if (msg[i] == '\n') {
      emit(msg + start, i + 1 - start);
      start = i + 1;
      g_at_line_start = true;
    }
  }
  if (start < len) emit(msg + start, len - start);
  end_output(me, msg, len);
  return static_cast<int>(len);
}

int printk_raw(const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  const size_t len = fit_message(msg, sizeof msg, vsnprintf(msg, sizeof msg, fmt, ap));
  va_end(ap);
  BasicIrqSaveGuard<LogLock> guard(g_log_lock);
  const unsigned me = current_cpu();
  begin_output(me);
  emit(msg, len);
  end_output(me, msg, len);
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
  BasicIrqSaveGuard<LogLock> guard(g_log_lock);
  // Replay what was logged before this console existed, oldest first.
  if (g_log_wrapped) write(g_log + g_log_head, kLogSize - g_log_head);
  write(g_log, g_log_head);
  g_console = write;
}

void console_unregister() { g_console = nullptr; }
bool console_active() { return g_console != nullptr; }

size_t log_buffer_capacity() { return kLogSize; }
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
