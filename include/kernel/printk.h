// printk: formatted kernel messages with Linux-style levels and "[ seconds.micros]" timestamps.
// Every message goes to the log buffer from the first line of C++ on; a console registered later
// first receives a replay of the buffer, so no early line is lost.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"

namespace kernel {

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
int snprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

int vprintk(const char* fmt, va_list ap);
int printk(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Like printk, but without level or timestamp: for machine-read output (KTAP).
int printk_raw(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

using ConsoleWrite = void (*)(const char* s, size_t n);
// Registers the console, replays the log buffer to it, and prints later messages to it.
void console_register(const char* name, ConsoleWrite write);
void console_unregister();
bool console_active();

// Time source for timestamps (nanoseconds since boot); the kernel installs the generic timer.
using ClockFn = uint64_t (*)();
void printk_set_clock(ClockFn fn);

// SMP: which CPU is printing (smp_init installs smp_processor_id; until then every line is CPU
// 0's), and whether each line names it after the timestamp, "[    0.012345][    C1] ..." as
// Linux's CONFIG_PRINTK_CALLER does (turned on once a second CPU may print). Messages are
// serialised by a log lock taken with interrupts masked: two CPUs never interleave inside a line
// (lib/printk.cpp says what happens when a CPU stops while holding it).
using CpuIdFn = unsigned (*)();
void printk_set_cpu_id(CpuIdFn fn);
void printk_show_cpu(bool on);

// The log buffer (a ring): for replay, tests and the monitor.
size_t log_buffer_copy(char* out, size_t cap);  // oldest to newest, NUL-terminated
// Up to n bytes starting `pos` bytes after the oldest one (not NUL-terminated); 0 at the end.
size_t log_buffer_read(size_t pos, char* out, size_t n);
size_t log_buffer_size();      // bytes held now
size_t log_buffer_capacity();  // the ring's size
void log_buffer_reset();       // host tests only: start from an empty buffer

}  // namespace kernel

#define pr_emerg(fmt, ...) ::kernel::printk(KERN_EMERG fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) ::kernel::printk(KERN_ERR fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) ::kernel::printk(KERN_WARNING fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) ::kernel::printk(KERN_NOTICE fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) ::kernel::printk(KERN_INFO fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) ::kernel::printk(KERN_DEBUG fmt, ##__VA_ARGS__)
