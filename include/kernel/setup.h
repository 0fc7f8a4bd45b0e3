// The boot phases and the policy start_kernel applies between them (init/), declared once so a
// changed signature fails the build everywhere it is used.
#pragma once

#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

// init/memory.cpp: memblock from the device tree: every memory node, minus the kernel image, the
// DTB, the tree's reservations (no-map ones out of the linear map) and the spin-table release
// addresses. False when the tree describes no usable memory.
bool memblock_init_from_fdt(const void* fdt, PhysAddr kernel_phys, uint64_t kernel_size, PhysAddr dtb_phys,
                            uint64_t dtb_size);

}  // namespace kernel
