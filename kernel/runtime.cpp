// The few runtime symbols a freestanding C++ kernel and Debian's userland-built libfdt.a need.
#include <stdint.h>

#include "kernel/panic.h"

extern "C" {
// libfdt.a was compiled with -fstack-protector-strong.
uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ULL;
[[noreturn]] void __stack_chk_fail() {
  kernel::panic("stack protector: stack corrupted (caller %p)", __builtin_return_address(0));
}
[[noreturn]] void __cxa_pure_virtual() { kernel::panic("pure virtual function called"); }
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }  // kernel objects are never destroyed
[[noreturn]] void abort() { kernel::panic("abort() called from %p", __builtin_return_address(0)); }
}
