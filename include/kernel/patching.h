// Runtime text patching through FIX_TEXT_POKE0 (Linux: arch/arm64/kernel/patching.c). Kernel text
// is never writable: each write goes through a short-lived writable, non-executable alias of the
// target page at FIX_TEXT_POKE0, which is cleared (TLB invalidate) before the cache maintenance
// that makes the new instruction visible to instruction fetch.
#pragma once

#include <stdint.h>

#include "kernel/error.h"
#include "kernel/types.h"
#include "mm/pgtable_ops.h"

namespace kernel {

inline constexpr uint32_t AARCH64_INSN_NOP = 0xd503201f;

// Patching returns a Status (kernel/error.h): Errc::Unaligned, NotText (outside the kernel text),
// MapFailed (FIX_TEXT_POKE0 could not be mapped), Unreachable (the alias is not reachable). A
// rejected address is reported on the console with the caller.

// Where kernel text is and how to find the physical page behind a text address.
struct TextRegion {
  uint64_t start;
  uint64_t end;
  PhysAddr (*to_phys)(uint64_t va);
};
// `ops` writes the instruction through the alias and does the cache maintenance.
void patching_init(const TextRegion& text, TextPatchOps& ops);

// One instruction that no other CPU can be executing (the single-CPU boot path, or code only
// this CPU runs): under the patch lock, interrupts masked.
Status aarch64_insn_patch_text_nosync(void* addr, uint32_t insn);
// Several instructions that other CPUs may be executing: under stop_machine (every other online
// CPU spins with interrupts masked while they are written, then executes an ISB).
Status aarch64_insn_patch_text(void* const addrs[], const uint32_t insns[], unsigned count);
uint32_t aarch64_insn_read(const void* addr);  // through the normal (read-only) mapping

// Encoders.
bool aarch64_insn_gen_branch_imm(uint64_t pc, uint64_t target, uint32_t* insn);  // B target (+-128 MiB)
uint64_t patching_count();                                                       // instructions patched since boot

}  // namespace kernel
