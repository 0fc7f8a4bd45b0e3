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
// parsing). Errc::Invalid with the libfdt reason. check_blob() is both; the boot runs the header
// check, brings its console up (everything the drivers/of code reads is bounds-checked, see
// drivers/of/fdt_view.h), then checks the structure, so a corrupt tree is reported on the console.
Status check_blob(const void* blob, uint32_t size, PhysAddr where);
Status check_header(const void* blob, PhysAddr where);
Status check_structure(const void* blob, uint32_t size, PhysAddr where);

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

// ---- One pass over the tree --------------------------------------------------------------------
//
// What the early boot needs from the tree, found in one walk over every node (the answers are
// those of the functions above of the same name): the machine, the command line, /chosen's
// stdout-path, every PL011 with its translated address, the timer, PSCI and a Raspberry Pi's GPIO
// block and, when the caller points them at its arrays, memory_regions() and reservations().
// The aliases, the ancestors (cells and "ranges" for address translation) and an index of the
// top two levels are gathered on the way, so nothing after it searches the tree again: earlycon
// resolves the stdout-path ("serial1" -> "/soc/serial@7e215040") from the index.
struct Scan {
  // ---- asked for (set before scan(); null: not wanted) ----
  Region* memory = nullptr;  // memory_regions()
  int memory_max = 0;
  BadRegFn bad_memory = nullptr;    // a memory node (any status) whose reg[0] cannot be read
  Reservation* reserved = nullptr;  // reservations()
  int reserved_max = 0;
  BadRegFn bad_reserved = nullptr;
  // Room for an index of the nodes one and two levels below the root (each offset | depth, in
  // document order), so that resolve_path(scan, ...) finds "/soc/serial@..." without walking the
  // tree again (kIndexRoom covers every Debian DTB, the largest with 329 such nodes).
  static constexpr int kIndexRoom = 512;
  int* index = nullptr;
  int index_max = 0;

  // ---- found ----
  const void* fdt = nullptr;
  Status malformed;                   // the structure block is malformed at some point: nothing after it was seen
  const char* model = "unknown";      // machine_model()
  const char* bootargs = "";          // bootargs()
  int chosen = -1, aliases = -1;      // /chosen, /aliases (-1: none)
  const char* stdout_path = nullptr;  // /chosen stdout-path (or linux,stdout-path); null: none
  int stdout_len = 0;                 // its bytes
  int memory_count = 0, memory_total = 0, reserved_count = 0, reserved_total = 0;
  int index_count = 0;
  bool index_complete = false;  // every such node is in the index

  // Nodes compatible with "arm,pl011" or "arm,sbsa-uart", any status, in document order (the first
  // kMaxUarts), with reg[0] translated to a CPU address (ok false: node_cpu_address() says why).
  struct Uart {
    int node;
    bool enabled, ok;
    uint64_t base;
  };
  static constexpr int kMaxUarts = 8;
  Uart uarts[kMaxUarts] = {};
  int nuarts = 0;
  // The first two of every such node that is enabled and translates (earlycon's fallback).
  Uart usable[2] = {};
  int nusable = 0;

  uint32_t timer_hz = 0;                 // timer_clock_frequency()
  PsciConduit psci = PsciConduit::None;  // psci_conduit()
  // A Raspberry Pi's GPIO block: the first "brcm,bcm2711-gpio" node, else the first
  // "brcm,bcm2835-gpio" (-1: neither), reg[0] translated.
  Uart gpio = {-1, false, false, 0};
  bool gpio_is_2711 = false;
};
// A Scan with its own room for kMemory memory regions, kReserved reservations (0: not asked for)
// and the node index, wired up: `of::ScanWithRoom<8, 8> s; of::scan(fdt, &s);`.
template <int kMemory, int kReserved>
struct ScanWithRoom : Scan {
  constexpr ScanWithRoom() {
    memory = kMemory ? memory_room : nullptr;
    memory_max = kMemory;
    reserved = kReserved ? reserved_room : nullptr;
    reserved_max = kReserved;
    index = index_room;
    index_max = kIndexRoom;
  }
  ScanWithRoom(const ScanWithRoom&) = delete;
  ScanWithRoom& operator=(const ScanWithRoom&) = delete;
  Region memory_room[kMemory ? kMemory : 1] = {};
  Reservation reserved_room[kReserved ? kReserved : 1] = {};
  int index_room[kIndexRoom] = {};
};
// Fills `s` from the tree at `fdt` (its header must be valid; a malformed structure block ends the
// pass early: s->malformed). What an earlier scan found is replaced; the requests stay. Returns
// s->malformed.
Status scan(const void* fdt, Scan* s);
// resolve_path() with the /aliases node and the index the scan made (the same answers).
int resolve_path(const Scan& s, const char* path, int len);
// The kernel scans its tree once (init/main.cpp) and registers the scan here: timer_clock_frequency()
// and psci_conduit() asked about that same blob then answer from it instead of walking the tree
// again. The kernel never writes its device tree (FIX_FDT stays at one address, read-only after
// early boot), so the answers cannot go stale. Null unregisters.
void remember_scan(const Scan* s);

// ---- Reads without libfdt's rescans ------------------------------------------------------------
// The same answers as fdt_getprop, fdt_get_path, fdt_parent_offset, fdt_node_offset_by_phandle
// and fdt_node_offset_by_compatible, each from one walk at most (drivers/of/fdt_view.h).
const void* getprop(const void* fdt, int node, const char* name, int* len = nullptr);
// fdt_get_path: the node's full path into buf (0), or a libfdt error (buf too small: NOSPACE).
int get_path(const void* fdt, int node, char* buf, int buflen);
int parent_offset(const void* fdt, int node);
int node_by_phandle(const void* fdt, uint32_t phandle);
int next_compatible(const void* fdt, int start, const char* compat);

}  // namespace kernel::of
