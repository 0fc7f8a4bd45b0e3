#include "drivers/of.h"

#include "kernel/printk.h"
#include "kernel/string.h"

#include <libfdt.h>

namespace kernel::of {
namespace {

constexpr int kMaxDepth = 32;  // deeper than any real tree; stops loops in corrupt blobs

uint32_t cell_property(const void* fdt, int node, const char* name, uint32_t dflt, bool* present = nullptr) {
  int len = 0;
  auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
  if (present) *present = p && len == 4;
  if (!p || len != 4) return dflt;
  return fdt32_to_cpu(*p);
}

// #address-cells / #size-cells of `bus` (the DT spec defaults: 2 and 1).
void bus_cells(const void* fdt, int bus, uint32_t* ac, uint32_t* sc) {
  *ac = cell_property(fdt, bus, "#address-cells", 2);
  *sc = cell_property(fdt, bus, "#size-cells", 1);
}

uint64_t read_cells(const fdt32_t* p, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v = (v << 32) | fdt32_to_cpu(p[i]);
  return v;
}

const char* node_path(const void* fdt, int node, char* buf, int len) {
  if (fdt_get_path(fdt, node, buf, len) != 0) snprintf(buf, static_cast<size_t>(len), "<node %d>", node);
  return buf;
}

// An error about a node names it by its full path; finding the path walks the tree, so it is done
// only if the message is ever printed (Error::with_detail).
void path_detail(const void* fdt, int node, char* buf, size_t len) { node_path(fdt, node, buf, static_cast<int>(len)); }
template <typename... Args>
Error node_error(const void* fdt, int node, const char* fmt, Args... args) {
  return Error(Errc::Invalid, fmt, Error::detail(), args...).with_detail(path_detail, fdt, node);
}

// The chain of ancestors of `node`, nearest first, in one pass over the tree (libfdt's
// fdt_parent_offset() rescans from the root on every call, which made address translation
// quadratic in the size of the tree). Returns the count, -1 when the tree is deeper than
// kMaxDepth, -2 when the node is not found.
int ancestors(const void* fdt, int node, int* out) {
  int stack[kMaxDepth + 2];
  int depth = 0;
  for (int off = 0; off >= 0; off = fdt_next_node(fdt, off, &depth)) {
    if (depth < 0) break;
    if (depth > kMaxDepth) {
      if (off == node) return -1;  // too deep to translate
      continue;                    // some other deep subtree: not on our path
    }
    stack[depth] = off;
    if (off == node) {
      for (int i = 0; i < depth; ++i) out[i] = stack[depth - 1 - i];
      return depth;
    }
  }
  return -2;
}

Result<Region> read_reg_in(const void* fdt, int node, int parent, int index);

}  // namespace

const char* machine_model(const void* fdt) {
  const char* m = static_cast<const char*>(fdt_getprop(fdt, 0, "model", nullptr));
  if (!m) m = static_cast<const char*>(fdt_getprop(fdt, 0, "compatible", nullptr));
  return m ? m : "unknown";
}

const char* bootargs(const void* fdt) {
  int chosen = fdt_path_offset(fdt, "/chosen");
  if (chosen < 0) return "";
  int len = 0;
  const char* a = static_cast<const char*>(fdt_getprop(fdt, chosen, "bootargs", &len));
  if (!a || len <= 0 || a[len - 1] != '\0') return "";
  return a;
}

Result<Region> read_reg(const void* fdt, int node, int index) {
  int parent = fdt_parent_offset(fdt, node);
  if (parent < 0) return node_error(fdt, node, "%s has no parent");
  return read_reg_in(fdt, node, parent, index);
}

namespace {

// The format strings below are checked by KERR-style checks at each node_error call site through
// error_format_check, so a wrong argument type does not build.
#define NODE_ERROR(fdt, node, fmt, ...) \
  ((void)sizeof(::kernel::error_format_check(fmt, "", ##__VA_ARGS__)), node_error(fdt, node, fmt, ##__VA_ARGS__))

Result<Region> read_reg_in(const void* fdt, int node, int parent, int index) {
  uint32_t ac, sc;
  bus_cells(fdt, parent, &ac, &sc);
  if (ac < 1 || ac > 2 || sc > 2)
    return NODE_ERROR(fdt, node, "%s: unsupported #address-cells=%u/#size-cells=%u in its parent", ac, sc);
  int len = 0;
  auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
  if (!reg) return NODE_ERROR(fdt, node, "%s has no \"reg\" property");
  uint32_t stride = (ac + sc) * 4;
  if (len < 0 || static_cast<uint32_t>(len) < stride * static_cast<uint32_t>(index + 1))
    return NODE_ERROR(fdt, node, "%s: \"reg\" is %d bytes, too short for entry %d of %u cells", len, index, ac + sc);
  const fdt32_t* e = reg + static_cast<uint32_t>(index) * (ac + sc);
  return Region{read_cells(e, ac), read_cells(e + ac, sc)};
}

// Translation up a known chain: chain[0] is the bus the address lives on, chain[n-1] the root
// (the CPU's address space).
Result<uint64_t> translate_chain(const void* fdt, const int* chain, int n, uint64_t addr) {
  for (int i = 0; i + 1 < n; ++i) {
    int bus = chain[i], parent = chain[i + 1];
    int len = 0;
    auto* ranges = static_cast<const fdt32_t*>(fdt_getprop(fdt, bus, "ranges", &len));
    if (!ranges) return NODE_ERROR(fdt, bus, "%s has no \"ranges\": address 0x%lx is not memory-mapped", addr);
    if (len <= 0) continue;  // empty ranges: identity
    uint32_t cac, csc, pac, psc;
    bus_cells(fdt, bus, &cac, &csc);
    bus_cells(fdt, parent, &pac, &psc);
    if (cac < 1 || cac > 2 || pac < 1 || pac > 2 || csc < 1 || csc > 2)
      return NODE_ERROR(fdt, bus, "%s: unsupported cell sizes for \"ranges\" (child %u/%u, parent %u)", cac, csc, pac);
    uint32_t entry = cac + pac + csc;
    uint32_t cnt = static_cast<uint32_t>(len) / (entry * 4);
    bool hit = false;
    for (uint32_t k = 0; k < cnt && !hit; ++k) {
      const fdt32_t* e = ranges + k * entry;
      uint64_t child = read_cells(e, cac), par = read_cells(e + cac, pac), size = read_cells(e + cac + pac, csc);
      if (addr >= child && addr - child < size) {
        addr = par + (addr - child);
        hit = true;
      }
    }
    if (!hit)
      return Error(Errc::Invalid, "address 0x%lx is outside every \"ranges\" window of %s", addr, Error::detail())
          .with_detail(path_detail, fdt, bus);
  }
  return addr;
}

Result<int> chain_of(const void* fdt, int node, int* chain) {
  int n = ancestors(fdt, node, chain);
  if (n == -1) return KERR(Errc::Invalid, "address translation deeper than %d levels (corrupt tree?)", kMaxDepth);
  if (n < 0) return KERR(Errc::NotFound, "node %d is not in the tree", node);
  return n;
}

}  // namespace

Result<uint64_t> translate_address(const void* fdt, int bus, uint64_t addr) {
  int chain[kMaxDepth + 2];
  chain[0] = bus;
  const int n = TRY(chain_of(fdt, bus, chain + 1));
  return translate_chain(fdt, chain, n + 1, addr);
}

Result<Region> node_cpu_address(const void* fdt, int node, int index) {
  int chain[kMaxDepth + 2];
  const int n = TRY(chain_of(fdt, node, chain));
  if (n == 0) return KERR(Errc::Invalid, "the root node has no \"reg\" to translate");
  const Region r = TRY(read_reg_in(fdt, node, chain[0], index));
  const uint64_t cpu = TRY(translate_chain(fdt, chain, n, r.base));
  return Region{cpu, r.size};
}

int resolve_path(const void* fdt, const char* s, int len) {
  if (len <= 0) return -FDT_ERR_BADPATH;
  return fdt_path_offset_namelen(fdt, s, len);  // handles both "/path" and "alias[/rest]"
}

StdoutPath stdout_path(const void* fdt) {
  StdoutPath sp;
  int chosen = fdt_path_offset(fdt, "/chosen");
  if (chosen < 0) return sp;
  int len = 0;
  const char* p = static_cast<const char*>(fdt_getprop(fdt, chosen, "stdout-path", &len));
  if (!p) p = static_cast<const char*>(fdt_getprop(fdt, chosen, "linux,stdout-path", &len));
  if (!p || len <= 0) return sp;
  sp.present = true;
  int plen = static_cast<int>(strnlen(p, static_cast<size_t>(len)));
  const char* colon = static_cast<const char*>(memchr(p, ':', static_cast<size_t>(plen)));
  int path_len = colon ? static_cast<int>(colon - p) : plen;
  snprintf(sp.path, sizeof sp.path, "%.*s", path_len, p);
  if (colon) snprintf(sp.options, sizeof sp.options, "%.*s", plen - path_len - 1, colon + 1);
  sp.node = resolve_path(fdt, p, path_len);
  return sp;
}

bool node_is_compatible(const void* fdt, int node, const char* compat) {
  return fdt_node_check_compatible(fdt, node, compat) == 0;
}

bool node_is_enabled(const void* fdt, int node) {
  int len = 0;
  const char* s = static_cast<const char*>(fdt_getprop(fdt, node, "status", &len));
  if (!s || len <= 0) return true;
  return strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0;
}

int memory_regions(const void* fdt, Region* out, int max, int* total) {
  int n = 0, all = 0;
  for (int node = fdt_first_subnode(fdt, 0); node >= 0; node = fdt_next_subnode(fdt, node)) {
    const char* type = static_cast<const char*>(fdt_getprop(fdt, node, "device_type", nullptr));
    if (!type || strcmp(type, "memory") != 0 || !node_is_enabled(fdt, node)) continue;
    for (int i = 0;; ++i) {
      Result<Region> r = read_reg_in(fdt, node, 0, i);
      if (!r) break;
      if (n < max) out[n++] = r.value();
      ++all;
    }
  }
  if (total) *total = all;
  return n;
}

int reservations(const void* fdt, Reservation* out, int max, int* total, BadRegFn bad) {
  int n = 0, all = 0;
  int count = fdt_num_mem_rsv(fdt);
  for (int i = 0; i < count; ++i) {
    uint64_t a, s;
    if (fdt_get_mem_rsv(fdt, i, &a, &s) != 0) break;
    if (n < max) out[n++] = Reservation{Region{a, s}, "/memreserve/", false};
    ++all;
  }
  int rm = fdt_path_offset(fdt, "/reserved-memory");
  if (rm >= 0) {
    for (int node = fdt_first_subnode(fdt, rm); node >= 0; node = fdt_next_subnode(fdt, node)) {
      if (!node_is_enabled(fdt, node)) continue;
      const bool nomap = fdt_getprop(fdt, node, "no-map", nullptr) != nullptr;
      const char* name = fdt_get_name(fdt, node, nullptr);
      for (int i = 0;; ++i) {
        Result<Region> r = read_reg_in(fdt, node, rm, i);
        if (!r) {
          if (i == 0 && bad && fdt_getprop(fdt, node, "reg", nullptr)) bad(name, r.error());
          break;
        }
        if (!r.value().size) continue;
        if (n < max) out[n++] = Reservation{r.value(), name, nomap};
        ++all;
      }
    }
  }
  if (total) *total = all;
  return n;
}

Status check_blob(const void* blob, uint32_t size, PhysAddr where) {
  int err = fdt_check_header(blob);
  if (err) return KERR(Errc::Invalid, "corrupt device tree at 0x%lx: %s", where.value(), fdt_strerror(err));
  err = fdt_check_full(blob, size);
  if (err)
    return KERR(Errc::Invalid, "corrupt device tree at 0x%lx (%u bytes): %s", where.value(), size, fdt_strerror(err));
  return {};
}

int find_device_at(const void* fdt, uint64_t addr, char* path, int pathlen, Region* reg) {
  for (int node = fdt_next_node(fdt, -1, nullptr); node >= 0; node = fdt_next_node(fdt, node, nullptr)) {
    if (!fdt_getprop(fdt, node, "reg", nullptr) || !node_is_enabled(fdt, node)) continue;
    const char* type = static_cast<const char*>(fdt_getprop(fdt, node, "device_type", nullptr));
    if (type && strcmp(type, "memory") == 0) continue;
    for (int i = 0; i < 8; ++i) {
      Result<Region> got = node_cpu_address(fdt, node, i);
      if (!got) break;
      const Region r = got.value();
      if (addr >= r.base && addr - r.base < (r.size ? r.size : 1)) {
        if (reg) *reg = r;
        if (path && fdt_get_path(fdt, node, path, pathlen) != 0) snprintf(path, static_cast<size_t>(pathlen), "?");
        return node;
      }
    }
  }
  return -1;
}

int spin_table_cpus(const void* fdt, SpinTableCpu* out, int max) {
  int cpus = fdt_path_offset(fdt, "/cpus");
  int n = 0;
  for (int cpu = cpus >= 0 ? fdt_first_subnode(fdt, cpus) : -1; cpu >= 0 && n < max; cpu = fdt_next_subnode(fdt, cpu)) {
    const char* method = static_cast<const char*>(fdt_getprop(fdt, cpu, "enable-method", nullptr));
    int len = 0;
    auto* rel = static_cast<const fdt32_t*>(fdt_getprop(fdt, cpu, "cpu-release-addr", &len));
    if (!method || strcmp(method, "spin-table") != 0 || !rel || (len != 8 && len != 4)) continue;
    uint64_t addr = len == 8 ? (uint64_t{fdt32_to_cpu(rel[0])} << 32) | fdt32_to_cpu(rel[1]) : fdt32_to_cpu(rel[0]);
    out[n++] = SpinTableCpu{fdt_get_name(fdt, cpu, nullptr), addr};
  }
  return n;
}

uint32_t timer_clock_frequency(const void* fdt) {
  // The Pi 3's tree calls its generic timer "arm,armv7-timer"; Linux's arch_timer takes both.
  static const char* const kCompat[] = {"arm,armv8-timer", "arm,armv7-timer"};
  for (const char* compat : kCompat) {
    for (int node = fdt_node_offset_by_compatible(fdt, -1, compat); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, compat)) {
      if (!node_is_enabled(fdt, node)) continue;
      int len = 0;
      auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "clock-frequency", &len));
      return p && len == 4 ? fdt32_to_cpu(*p) : 0;
    }
  }
  return 0;
}

PsciConduit psci_conduit(const void* fdt) {
  static const char* const kCompat[] = {"arm,psci-1.0", "arm,psci-0.2", "arm,psci"};
  for (const char* c : kCompat) {
    int node = fdt_node_offset_by_compatible(fdt, -1, c);
    if (node < 0 || !node_is_enabled(fdt, node)) continue;
    const char* m = static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
    if (!m) return PsciConduit::None;
    if (strcmp(m, "hvc") == 0) return PsciConduit::Hvc;
    if (strcmp(m, "smc") == 0) return PsciConduit::Smc;
    return PsciConduit::None;
  }
  return PsciConduit::None;
}

const char* psci_conduit_name(PsciConduit c) {
  switch (c) {
    case PsciConduit::Hvc: return "hvc";
    case PsciConduit::Smc: return "smc";
    case PsciConduit::None: break;
  }
  return "none";
}

}  // namespace kernel::of
