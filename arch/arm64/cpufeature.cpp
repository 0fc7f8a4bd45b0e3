// CPU features from the ID registers, applied by patching the kernel text at boot.
#include "asm/mmu_ops.h"
#include "asm/atomic.h"
#include "asm/sysreg_fields.h"
#include "kernel/jump_label.h"
#include "kernel/printk.h"

namespace kernel {

DEFINE_STATIC_KEY_FALSE(arm64_lse_atomics);

void setup_cpu_features() {
  const auto isar0 = IdAa64Isar0El1::read();
  const auto midr = MidrEl1::read();
  const bool lse = isar0.has_lse();
  pr_info("CPU features: MIDR 0x%08lx, ID_AA64ISAR0_EL1 0x%016lx: LSE atomics %s\n", midr.raw, isar0.raw,
          lse ? "present" : "absent");
  // TTL = {TG, level}: a level-3 page of this granule (asm/tlbflush.h).
  constexpr const char* kTtlHint = PAGE_SHIFT == 12   ? "carries the level hint (TTL 0b0111 for a 4K page)"
                                   : PAGE_SHIFT == 14 ? "carries the level hint (TTL 0b1011 for a 16K page)"
                                                      : "carries the level hint (TTL 0b1111 for a 64K page)";
  static_assert(((kTlbiTtlGranule << 2) | 3) == (PAGE_SHIFT == 12 ? 0b0111u : PAGE_SHIFT == 14 ? 0b1011u : 0b1111u));
  pr_info("CPU features: FEAT_TTL %s: TLBI by VA %s\n", kernel_mmu_ops.has_ttl() ? "present" : "absent",
          kernel_mmu_ops.has_ttl() ? kTtlHint : "carries no level hint");
  if (lse) {
    const unsigned n = static_key_enable(&arm64_lse_atomics);
    const unsigned tests = static_key_sites_in_tests(&arm64_lse_atomics);
    pr_info("CPU features: using LSE atomics (SWPA): %u site%s patched (%u in the kernel, %u in the KTAP suites)\n", n,
            n == 1 ? "" : "s", n - tests, tests);
  } else {
    pr_info("CPU features: keeping LL/SC atomics (LDAXR/STXR): %u site%s left as they are\n",
            static_key_sites(&arm64_lse_atomics), static_key_sites(&arm64_lse_atomics) == 1 ? "" : "s");
  }
}

}  // namespace kernel
