// System register accessors and barriers (kernel build only).
#pragma once

#include <stdint.h>

#define read_sysreg(r)                                 \
  ({                                                   \
    uint64_t __v;                                      \
    asm volatile("mrs %0, " #r : "=r"(__v)::"memory"); \
    __v;                                               \
  })
#define write_sysreg(v, r) asm volatile("msr " #r ", %0" ::"r"(static_cast<uint64_t>(v)) : "memory")

#define isb() asm volatile("isb" ::: "memory")
#define dsb(opt) asm volatile("dsb " #opt ::: "memory")
#define dmb(opt) asm volatile("dmb " #opt ::: "memory")
