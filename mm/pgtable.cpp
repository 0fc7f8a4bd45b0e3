#include "asm/pgtable.h"

#include "kernel/printk.h"

namespace kernel {

const char* describe_prot(PgProt prot, char* buf, unsigned len) {
  if (prot.is_clear()) {
    snprintf(buf, len, "none");
    return buf;
  }
  const char* type = "?";
  switch (static_cast<MemType>((prot.bits >> PTE_ATTRINDX_SHIFT) & 7)) {
    case MemType::DeviceNGnRnE: type = "Device-nGnRnE"; break;
    case MemType::DeviceNGnRE: type = "Device-nGnRE"; break;
    case MemType::NormalNC: type = "Normal-NC"; break;
    case MemType::Normal: type = "Normal"; break;
  }
  bool ro = prot.bits & Pte::kApRo;
  bool x = !(prot.bits & Pte::kPxn);
  snprintf(buf, len, "%s %s %s", ro ? "RO" : "RW", x ? "X " : "NX", type);
  return buf;
}

}  // namespace kernel
