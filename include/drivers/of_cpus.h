// The device tree's /cpus node: every CPU's MPIDR affinity value and how it is started. The
// binding (Linux Documentation/devicetree/bindings/arm/cpus.yaml) and booting.rst:
//  - /cpus has #size-cells = 0 and #address-cells = 1 or 2; a CPU's reg is its MPIDR_EL1 affinity
//    fields: with one cell Aff2..Aff0 (bits [23:0]), with two cells Aff3 in the first cell
//    (bits [7:0]) and Aff2..Aff0 in the second, so the value read as a 64-bit number has every
//    field at its MPIDR_EL1 position;
//  - enable-method is "psci" (the /psci node's CPU_ON) or "spin-table" (cpu-release-addr: a 64-bit
//    big-endian value, two cells, the physical address the CPU polls).
// Pure functions of the blob, compiled for the kernel and for the host tests.
#pragma once

#include <stdint.h>

#include "kernel/error.h"

namespace kernel::of {

enum class CpuEnableMethod : uint8_t { Missing, Psci, SpinTable, Other };

struct DtCpu {
  int node;
  const char* name;  // the node's name, "cpu@1" (inside the blob)
  uint64_t hwid;     // reg: MPIDR Aff3..Aff0 at their MPIDR_EL1 positions
  CpuEnableMethod method;
  const char* method_name;  // enable-method as written; nullptr when there is none
  bool has_release_addr;    // spin-table: cpu-release-addr present and well-formed
  uint64_t release_addr;
};

// A CPU node (device_type "cpu") whose reg cannot be used: told to `bad` with the reason.
using BadCpuFn = void (*)(void* ctx, const char* name, const Error& why);

// The CPUs of /cpus in tree order, at most `max` in `out`; *total counts every usable one (so a
// caller can say how many it ignored). Children that are not CPUs (cpu-map, l2-cache, idle-states)
// are not counted. Errors: Errc::NotFound without /cpus, Errc::Invalid for cell sizes the binding
// does not allow.
Result<int> read_cpus(const void* fdt, DtCpu* out, int max, int* total, BadCpuFn bad = nullptr, void* ctx = nullptr);

const char* cpu_enable_method_name(const DtCpu& c);  // "psci", "spin-table", the DT's string, "none"

}  // namespace kernel::of
