#pragma once

#include <stdint.h>

#include "kernel/error.h"

namespace kernel {

// Prints "Kernel panic - not syncing: <msg>" and stops: with semihosting (QEMU tests) the run
// ends with exit status 3, otherwise the CPU halts with interrupts masked (a debugger can attach).
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// panic("<what>: <the error's message>").
[[noreturn]] void panic_on(const Error& e, const char* what);
// Ends the run with `status` (semihosting when present, else PSCI off for 0, else halt).
[[noreturn]] void panic_stop(int status);
[[noreturn]] void machine_exit(int status);
void dump_backtrace(uint64_t fp, uint64_t pc);

}  // namespace kernel
