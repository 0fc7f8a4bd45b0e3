// Symbol lookup for backtraces, from the table tools/gen-kallsyms.py builds at link time.
#include "asm/sections.h"
#include "kernel/kallsyms.h"

#include "kernel/printk.h"

extern "C" {
extern const uint64_t kallsyms_num;
extern const uint64_t kallsyms_addresses[];
extern const uint32_t kallsyms_name_offsets[];
extern const char kallsyms_names[];
}

namespace kernel {

bool kallsyms_lookup(uint64_t addr, const char** name, uint64_t* offset, uint64_t* size) {
  uint64_t n = kallsyms_num;
  if (!n || addr < kallsyms_addresses[0] || addr >= reinterpret_cast<uint64_t>(_etext)) return false;
  uint64_t lo = 0, hi = n;  // largest i with addresses[i] <= addr
  while (hi - lo > 1) {
    uint64_t mid = (lo + hi) / 2;
    if (kallsyms_addresses[mid] <= addr)
      lo = mid;
    else
      hi = mid;
  }
  uint64_t end = lo + 1 < n ? kallsyms_addresses[lo + 1] : reinterpret_cast<uint64_t>(_etext);
  *name = kallsyms_names + kallsyms_name_offsets[lo];
  *offset = addr - kallsyms_addresses[lo];
  *size = end - kallsyms_addresses[lo];
  return true;
}

const char* kallsyms_format(uint64_t addr, char* buf, unsigned len) {
  const char* name;
  uint64_t off, size;
  if (kallsyms_lookup(addr, &name, &off, &size))
    snprintf(buf, len, "%s+0x%lx/0x%lx", name, off, size);
  else
    snprintf(buf, len, "?");
  return buf;
}

}  // namespace kernel
