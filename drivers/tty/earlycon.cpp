#include "drivers/earlycon.h"

#include "drivers/of.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"

#include <libfdt.h>

namespace kernel {
namespace {

bool is_pl011(const void* fdt, int node) {
  return of::node_is_compatible(fdt, node, "arm,pl011") || of::node_is_compatible(fdt, node, "arm,sbsa-uart");
}

// Parses "0x1234" (or decimal) spanning exactly [s, s+len).
bool parse_u64(const char* s, size_t len, uint64_t* out) {
  if (!len || len > 40) return false;
  char buf[48];
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (buf[0] < '0' || buf[0] > '9') return false;
  char* end = nullptr;
  uint64_t v = strtoul(buf, &end, 0);
  if (end != buf + len) return false;
  *out = v;
  return true;
}

bool from_node(const void* fdt, int node, const char* why, EarlyconChoice* c) {
  char path[96], err[160];
  if (fdt_get_path(fdt, node, path, sizeof path) != 0) snprintf(path, sizeof path, "<node %d>", node);
  Result<of::Region> r = of::node_cpu_address(fdt, node, 0);
  if (!r) {
    r.error().format(err, sizeof err);
    snprintf(c->error, sizeof c->error, "%s %s: %s", why, path, err);
    return false;
  }
  c->found = true;
  c->base = PhysAddr(r.value().base);
  snprintf(c->source, sizeof c->source, "%s %s", why, path);
  return true;
}

void from_fdt(const void* fdt, EarlyconChoice* c) {
  if (!fdt) {
    snprintf(c->error, sizeof c->error, "no device tree and no earlycon=pl011,<address> on the command line");
    return;
  }
  of::StdoutPath sp = of::stdout_path(fdt);
  if (sp.present && sp.node >= 0 && is_pl011(fdt, sp.node)) {
    snprintf(c->options, sizeof c->options, "%s", sp.options);
    c->baud = parse_baud(sp.options);
    if (from_node(fdt, sp.node, "stdout-path", c)) return;
    // Its address does not translate: say why, and look for another PL011.
    snprintf(c->warning, sizeof c->warning, "%s", c->error);
    c->error[0] = '\0';
  } else if (!sp.present) {
    // stdout-path is missing, dangling, or names another UART (the Pi's mini UART): say so and use
    // the first enabled PL011 instead.
    snprintf(c->warning, sizeof c->warning, "/chosen has no stdout-path");
  } else if (sp.node < 0) {
    snprintf(c->warning, sizeof c->warning, "stdout-path \"%s\" does not resolve to a node", sp.path);
  } else {
    const char* compat = static_cast<const char*>(fdt_getprop(fdt, sp.node, "compatible", nullptr));
    snprintf(c->warning, sizeof c->warning, "stdout-path \"%s\" is a %s, not a PL011", sp.path,
             compat ? compat : "node without compatible");
  }
  for (int node = fdt_next_node(fdt, -1, nullptr); node >= 0; node = fdt_next_node(fdt, node, nullptr)) {
    if (node == sp.node || !is_pl011(fdt, node) || !of::node_is_enabled(fdt, node)) continue;
    EarlyconChoice t;
    if (!from_node(fdt, node, "first PL011", &t)) continue;
    c->found = true;
    c->base = t.base;
    snprintf(c->source, sizeof c->source, "%s", t.source);
    // The speed the tree asked for on its console is still the user's intent.
    snprintf(c->options, sizeof c->options, "%s", sp.options);
    c->baud = parse_baud(sp.options);
    return;
  }
  snprintf(c->error, sizeof c->error, "%s, and the device tree has no other usable \"arm,pl011\" node", c->warning);
  c->warning[0] = '\0';
}

}  // namespace

uint32_t parse_baud(const char* options) {
  uint32_t v = 0;
  const char* p = options;
  while (*p >= '0' && *p <= '9' && v < 100000000u) v = v * 10 + static_cast<uint32_t>(*p++ - '0');
  return v;
}

EarlyconChoice earlycon_select(const void* fdt, const char* cmdline) {
  EarlyconChoice c;
  CmdlineParam p;
  if (!cmdline_find(cmdline ? cmdline : "", "earlycon", &p) || !p.value) {
    from_fdt(fdt, &c);
    return c;
  }
  // earlycon=<driver>,[mmio32,]<address>[,<options>]
  const char* v = p.value;
  size_t len = p.value_len;
  const char* fields[4] = {};
  size_t flen[4] = {};
  int n = 0;
  size_t start = 0;
  for (size_t i = 0; i <= len && n < 4; ++i) {
    if (i == len || v[i] == ',') {
      fields[n] = v + start;
      flen[n++] = i - start;
      start = i + 1;
    }
  }
  auto bad = [&](const char* what) {
    snprintf(c.warning, sizeof c.warning, "earlycon=%.*s: %s; using the device tree instead", static_cast<int>(len), v,
             what);
    char warning[sizeof c.warning];
    memcpy(warning, c.warning, sizeof warning);
    from_fdt(fdt, &c);
    if (c.warning[0]) {
      char both[sizeof c.warning];
      snprintf(both, sizeof both, "%s (%s)", warning, c.warning);
      memcpy(c.warning, both, sizeof both);
    } else {
      memcpy(c.warning, warning, sizeof warning);
    }
    return c;
  };
  if (!(flen[0] == 5 && memcmp(fields[0], "pl011", 5) == 0) && !(flen[0] == 4 && memcmp(fields[0], "pl11", 4) == 0))
    return bad("unsupported console type (this kernel supports pl011)");
  int ai = 1;
  if (n > 1 &&
      ((flen[1] == 6 && memcmp(fields[1], "mmio32", 6) == 0) || (flen[1] == 4 && memcmp(fields[1], "mmio", 4) == 0)))
    ai = 2;
  uint64_t addr;
  if (n <= ai || !parse_u64(fields[ai], flen[ai], &addr))
    return bad("expected pl011,<address> or pl011,mmio32,<address>");
  if (addr == 0 || (addr & 3)) return bad("the address must be non-zero and 4-byte aligned");
  if (addr >> 48) return bad("the address is beyond the 48-bit physical address space");
  if (fdt) {
    // Only a PL011 the device tree describes, at its register base, is trusted: anything else
    // (flash, the GIC, an RTC, an offset into the UART) would hang putc on a FIFO flag that never
    // clears, or write characters into another device.
    char path[96], why[160];
    of::Region reg{};
    int dev = of::find_device_at(fdt, addr, path, sizeof path, &reg);
    if (dev < 0) return bad("no device in the device tree is at this address");
    if (!is_pl011(fdt, dev)) {
      const char* compat = static_cast<const char*>(fdt_getprop(fdt, dev, "compatible", nullptr));
      snprintf(why, sizeof why, "%s is a %s, not a PL011 (\"arm,pl011\")", path,
               compat ? compat : "device without compatible");
      return bad(why);
    }
    if (reg.base != addr) {
      snprintf(why, sizeof why, "0x%lx is inside %s, whose registers start at 0x%lx", addr, path, reg.base);
      return bad(why);
    }
  }
  c.found = true;
  c.base = PhysAddr(addr);
  snprintf(c.source, sizeof c.source, "earlycon=%.*s", static_cast<int>(len), v);
  if (n > ai + 1) {
    size_t olen = static_cast<size_t>((v + len) - fields[ai + 1]);
    snprintf(c.options, sizeof c.options, "%.*s", static_cast<int>(olen), fields[ai + 1]);
    c.baud = parse_baud(c.options);
  }
  return c;
}

}  // namespace kernel
