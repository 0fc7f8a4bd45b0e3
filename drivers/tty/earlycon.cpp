#include "drivers/earlycon.h"

#include "drivers/of.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"

namespace kernel {
namespace {

using From = EarlyconChoice::From;
using Text = EarlyconChoice::Text;

bool is_pl011(const void* fdt, int node) {
  return of::node_is_compatible(fdt, node, "arm,pl011") || of::node_is_compatible(fdt, node, "arm,sbsa-uart");
}

const char* compatible(const void* fdt, int node, const char* none) {
  const char* s = static_cast<const char*>(of::getprop(fdt, node, "compatible"));
  return s ? s : none;
}

// A node's full path, produced only when a message or the source is printed (Error::with_detail).
void node_path(const void* fdt, int node, char* buf, size_t len) {
  if (of::get_path(fdt, node, buf, static_cast<int>(len)) != 0) snprintf(buf, len, "<node %d>", node);
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

// /chosen/stdout-path where it lies in the blob: "serial0:115200n8" -> the node of "serial0" and
// the texts "serial0" and "115200n8" (of::stdout_path's split, pointing into the tree).
struct StdoutPath {
  bool present = false;
  int node = -1;
  Text path, options;
};
StdoutPath stdout_path(const of::Scan& s) {
  StdoutPath sp;
  if (!s.stdout_path) return sp;
  const char* p = s.stdout_path;
  sp.present = true;
  int n = static_cast<int>(strnlen(p, static_cast<size_t>(s.stdout_len)));
  const char* colon = static_cast<const char*>(memchr(p, ':', static_cast<size_t>(n)));
  sp.path = {p, colon ? static_cast<int>(colon - p) : n};
  if (colon) sp.options = {colon + 1, n - sp.path.len - 1};
  sp.node = of::resolve_path(s, p, sp.path.len);
  return sp;
}

void use(EarlyconChoice* c, From from, int node, uint64_t base) {
  c->found = true;
  c->from = from;
  c->node = node;
  c->base = PhysAddr(base);
}

// The scan translated the first PL011s as it passed them; a later one is translated now.
const of::Scan::Uart* scanned_uart(const of::Scan& s, int node) {
  for (int i = 0; i < s.nuarts; ++i)
    if (s.uarts[i].node == node) return &s.uarts[i];
  return nullptr;
}

void from_fdt(const of::Scan& s, EarlyconChoice* c) {
  const void* fdt = s.fdt;
  if (!fdt) {
    c->none = KERR(Errc::NotFound, "no device tree and no earlycon=pl011,<address> on the command line");
    return;
  }
  c->fdt = fdt;
  StdoutPath sp = stdout_path(s);
  // The speed the tree asked for on its console is the user's intent for any PL011 it falls back to.
  c->options = sp.options;
  c->baud = parse_baud(sp.options.s, static_cast<size_t>(sp.options.len));
  const of::Scan::Uart* u = sp.present && sp.node >= 0 ? scanned_uart(s, sp.node) : nullptr;
  if (sp.present && sp.node >= 0 && (u || is_pl011(fdt, sp.node))) {
    if (u && u->ok) return use(c, From::StdoutPath, sp.node, u->base);
    Result<of::Region> r = of::node_cpu_address(fdt, sp.node, 0);
    if (r) return use(c, From::StdoutPath, sp.node, r.value().base);
    // Its address does not translate: say why, and look for another PL011.
    c->stdout_problem = r.error();
    c->stdout_node = sp.node;
  } else if (!sp.present) {
    // stdout-path is missing, dangling, or names another UART (the Pi's mini UART): say so and use
    // the first enabled PL011 instead.
    c->stdout_problem = KERR(Errc::NotFound, "/chosen has no stdout-path");
  } else if (sp.node < 0) {
    c->stdout_problem = KERR(Errc::NotFound, "stdout-path \"%.*s\" does not resolve to a node", sp.path.len, sp.path.s);
  } else {
    c->stdout_problem = KERR(Errc::Invalid, "stdout-path \"%.*s\" is a %s, not a PL011", sp.path.len, sp.path.s,
                             compatible(fdt, sp.node, "node without compatible"));
  }
  // The first enabled PL011 whose address translates, other than the stdout-path's node.
  for (int i = 0; i < s.nusable; ++i)
    if (s.usable[i].node != sp.node) return use(c, From::FirstPl011, s.usable[i].node, s.usable[i].base);
  c->none = KERR(Errc::NotFound, "the device tree has no other usable \"arm,pl011\" node");
}

// earlycon=<driver>,[mmio32,]<address>[,<options>] (c->value), or why it cannot be used.
Status from_cmdline(const void* fdt, EarlyconChoice* c) {
  const char* v = c->value.s;
  size_t len = static_cast<size_t>(c->value.len);
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
  if (!(flen[0] == 5 && memcmp(fields[0], "pl011", 5) == 0) && !(flen[0] == 4 && memcmp(fields[0], "pl11", 4) == 0))
    return KERR(Errc::Invalid, "unsupported console type (this kernel supports pl011)");
  int ai = 1;
  if (n > 1 &&
      ((flen[1] == 6 && memcmp(fields[1], "mmio32", 6) == 0) || (flen[1] == 4 && memcmp(fields[1], "mmio", 4) == 0)))
    ai = 2;
  uint64_t addr;
  if (n <= ai || !parse_u64(fields[ai], flen[ai], &addr))
    return KERR(Errc::Invalid, "expected pl011,<address> or pl011,mmio32,<address>");
  if (addr == 0 || (addr & 3)) return KERR(Errc::Invalid, "the address must be non-zero and 4-byte aligned");
  if (addr >> 48) return KERR(Errc::Invalid, "the address is beyond the 48-bit physical address space");
  if (fdt) {
    // Only a PL011 the device tree describes, at its register base, is trusted: anything else
    // (flash, the GIC, an RTC, an offset into the UART) would hang putc on a FIFO flag that never
    // clears, or write characters into another device.
    of::Region reg{};
    int dev = of::find_device_at(fdt, addr, nullptr, 0, &reg);
    if (dev < 0) return KERR(Errc::Invalid, "no device in the device tree is at this address");
    if (!is_pl011(fdt, dev))
      return KERR(Errc::Invalid, "%s is a %s, not a PL011 (\"arm,pl011\")", Error::detail(),
                  compatible(fdt, dev, "device without compatible"))
          .with_detail(node_path, fdt, dev);
    if (reg.base != addr)
      return KERR(Errc::Invalid, "0x%lx is inside %s, whose registers start at 0x%lx", addr, Error::detail(), reg.base)
          .with_detail(node_path, fdt, dev);
  }
  use(c, From::Cmdline, -1, addr);
  if (n > ai + 1) {
    c->options = {fields[ai + 1], static_cast<int>((v + len) - fields[ai + 1])};
    c->baud = parse_baud(c->options.s, static_cast<size_t>(c->options.len));
  }
  return {};
}

// stdout_problem in words ("" when there is none).
int format_stdout_problem(const EarlyconChoice& c, char* buf, size_t len) {
  if (c.stdout_node < 0) return c.stdout_problem.format(buf, len);
  char path[160], why[256];
  node_path(c.fdt, c.stdout_node, path, sizeof path);
  c.stdout_problem.format(why, sizeof why);
  return snprintf(buf, len, "stdout-path %s: %s", path, why);
}

}  // namespace

uint32_t parse_baud(const char* options, size_t len) {
  uint32_t v = 0;
  for (size_t i = 0; i < len && options[i] >= '0' && options[i] <= '9' && v < 100000000u; ++i)
    v = v * 10 + static_cast<uint32_t>(options[i] - '0');
  return v;
}

EarlyconChoice earlycon_select(const of::Scan& s, const char* cmdline) {
  EarlyconChoice c;
  CmdlineParam p;
  if (cmdline_find(cmdline ? cmdline : "", "earlycon", &p) && p.value) {
    c.value = {p.value, static_cast<int>(p.value_len)};
    c.refused = from_cmdline(s.fdt, &c).error();
    if (c.refused.ok()) return c;
  }
  from_fdt(s, &c);
  return c;
}

EarlyconChoice earlycon_select(const void* fdt, const char* cmdline) {
  of::ScanWithRoom<0, 0> s;
  if (fdt) (void)of::scan(fdt, &s);
  return earlycon_select(s, cmdline);
}

int EarlyconChoice::format_source(char* buf, size_t len) const {
  if (from == From::Cmdline) return snprintf(buf, len, "earlycon=%.*s", value.len, value.s);
  if (from == From::Nothing) return snprintf(buf, len, "%s", "");
  char path[160];
  node_path(fdt, node, path, sizeof path);
  return snprintf(buf, len, "%s %s", from == From::StdoutPath ? "stdout-path" : "first PL011", path);
}

int EarlyconChoice::format_warning(char* buf, size_t len) const {
  // The device tree's problem is a warning only when it still gave a console (else it is the error).
  char dt[256];
  dt[0] = '\0';
  if (found) format_stdout_problem(*this, dt, sizeof dt);
  if (refused.ok()) return snprintf(buf, len, "%s", dt);
  char why[160];
  refused.format(why, sizeof why);
  return snprintf(buf, len, "earlycon=%.*s: %s; using the device tree instead%s%s%s", value.len, value.s, why,
                  dt[0] ? " (" : "", dt, dt[0] ? ")" : "");
}

int EarlyconChoice::format_error(char* buf, size_t len) const {
  if (found) return snprintf(buf, len, "%s", "");
  char dt[256], why[160];
  format_stdout_problem(*this, dt, sizeof dt);
  none.format(why, sizeof why);
  return snprintf(buf, len, "%s%s%s", dt, dt[0] ? ", and " : "", why);
}

}  // namespace kernel
