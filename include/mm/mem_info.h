// The kernel's own memory use at boot, as Linux's "Memory: ...K/...K available (...)" line.
#pragma once

namespace kernel {

// After mem_init: RAM, what the buddy allocator has free, and where the rest went (the image by
// section, the struct page array, the log buffer, everything else reserved).
void mem_print_info();

}  // namespace kernel
