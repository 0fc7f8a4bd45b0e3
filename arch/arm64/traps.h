#pragma once

#include <stdint.h>

namespace kernel {

// Must match arch/arm64/entry.S.
struct PtRegs {
  uint64_t x[31];
  uint64_t sp;
  uint64_t elr;
  uint64_t spsr;
  uint64_t esr;
  uint64_t far;
  uint64_t stackframe[2];
};
static_assert(sizeof(PtRegs) == 304, "PtRegs layout is shared with entry.S");
static_assert(__builtin_offsetof(PtRegs, elr) == 256 && __builtin_offsetof(PtRegs, esr) == 272);

// Name of an exception class (ESR_ELx.EC), e.g. "Data Abort (current EL)".
const char* esr_class_name(uint32_t ec);
// Human-readable fault status of an abort: "translation fault, level 3".
const char* abort_fault_status(uint32_t fsc, char* buf, unsigned len);

}  // namespace kernel
