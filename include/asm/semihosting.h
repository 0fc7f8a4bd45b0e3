#pragma once
#include <stdint.h>

namespace kernel {
// True when QEMU was started with semihosting (probed once at boot through an HLT fixup).
bool semihosting_available();
void semihosting_probe();
[[noreturn]] void semihosting_exit(int status);
}  // namespace kernel
