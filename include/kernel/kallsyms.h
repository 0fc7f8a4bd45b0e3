#pragma once
#include <stdint.h>

namespace kernel {
// The function containing `addr`: its name, the offset into it and its size.
bool kallsyms_lookup(uint64_t addr, const char** name, uint64_t* offset, uint64_t* size);
// "name+0x1c/0x40", or "?" outside the kernel text.
const char* kallsyms_format(uint64_t addr, char* buf, unsigned len);
}  // namespace kernel
