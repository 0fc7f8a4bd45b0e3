// Device-tree discovery on top of libfdt: what the kernel needs to know from the DTB. Pure
// functions of the blob, compiled for the kernel and for the host tests and tools.
#pragma once

#include <stdint.h>

#include "kernel/error.h"
#include "kernel/types.h"

namespace kernel::of {

struct Region {
  uint64_t base;
  uint64_t size;
};

// Whether the `size` bytes at `blob` (the DTB found at physical address `where`) are a well-formed
// device tree: libfdt's header check, then the whole structure block (a truncated blob, or one
// that runs past the end of RAM where reads return garbage, is caught here, not half-way through
// parsing). Errc::Invalid with the libfdt reason.
Status check_blob(const void* blob, uint32_t size, PhysAddr where);

// "model" of the root node, or its first "compatible", or "unknown".
const char* machine_model(const void* fdt);
// /chosen bootargs ("" when absent).
const char* bootargs(const void* fdt);

// Reads the index-th (address, size) pair of `node`'s "reg", in the parent's address space. The
// errors (Errc::Invalid) name the node by its path and say what is wrong.
Result<Region> read_reg(const void* fdt, int node, int index);

// Translates a bus address of a child of `parent` up through every parent's "ranges" to a CPU
// physical address. An empty "ranges" is an identity mapping; a missing one means the bus is not
// memory-mapped (an error, as in Linux's of_translate_address).
Result<uint64_t> translate_address(const void* fdt, int parent, uint64_t addr);

// reg[index] of `node` as a CPU physical address (read_reg + translate_address).
Result<Region> node_cpu_address(const void* fdt, int node, int index);

// Resolves a path ("/soc/serial@7e201000") or an /aliases name ("serial0"), `len` bytes long.
int resolve_path(const void* fdt, const char* s, int len);

// /chosen stdout-path split into node and options ("serial0:115200n8" -> node of serial0, "115200n8").
struct StdoutPath {
  bool present = false;
  int node = -1;  // < 0: the path did not resolve
  char path[128] = {};
  char options[32] = {};
};
StdoutPath stdout_path(const void* fdt);

bool node_is_compatible(const void* fdt, int node, const char* compat);
bool node_is_enabled(const void* fdt, int node);  // "status" absent, "okay" or "ok"

// Every /memory node's reg cells, in order. Returns the number found (up to max); *total counts all.
int memory_regions(const void* fdt, Region* out, int max, int* total);
// What the tree reserves: /memreserve/ entries, then the reg entries of every enabled
// /reserved-memory child (empty ones skipped). Returns how many (<= max); *total counts all. A
// child whose reg cannot be read is skipped and, when `bad` is given, reported through it.
struct Reservation {
  Region region;
  const char* name;  // "/memreserve/" or the /reserved-memory child's node name
  bool nomap;        // "no-map": not in the linear map either
};
using BadRegFn = void (*)(const char* node, const Error& why);
int reservations(const void* fdt, Reservation* out, int max, int* total, BadRegFn bad = nullptr);

// The enabled node whose reg (translated to a CPU address) contains `addr`; -1 if none. Its path
// goes to `path` and the matching reg entry to `*reg` (when not null) when found.
int find_device_at(const void* fdt, uint64_t addr, char* path, int pathlen, Region* reg = nullptr);

// CPUs with enable-method "spin-table": node name and cpu-release-addr. Returns how many (<= max).
struct SpinTableCpu {
  const char* name;
  uint64_t release_addr;
};
int spin_table_cpus(const void* fdt, SpinTableCpu* out, int max);

// clock-frequency of the first enabled "arm,armv8-timer" (or "arm,armv7-timer") node (what CNTFRQ_EL0 should hold), or
// 0 when there is no such node or property (the normal case: firmware programs CNTFRQ_EL0).
uint32_t timer_clock_frequency(const void* fdt);

enum class PsciConduit { None, Hvc, Smc };
PsciConduit psci_conduit(const void* fdt);
const char* psci_conduit_name(PsciConduit c);

}  // namespace kernel::of
