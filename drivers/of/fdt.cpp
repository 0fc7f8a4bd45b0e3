#include "drivers/of.h"

#include "drivers/of/fdt_view.h"
#include "kernel/printk.h"
#include "kernel/string.h"

#include <libfdt.h>

namespace kernel::of {
namespace {

void path_detail(const void* blob, int node, char* buf, size_t len) {
  if (get_path(blob, node, buf, static_cast<int>(len)) != 0) snprintf(buf, len, "<node %d>", node);
}

// An error about a node names it by its full path; finding the path walks the tree, so it is done
// only if the message is ever printed (Error::with_detail).
template <typename... Args>
Error node_error(const void* blob, int node, const char* fmt, Args... args) {
  return Error(Errc::Invalid, fmt, Error::detail(), args...).with_detail(path_detail, blob, node);
}

// The format strings below are checked by KERR-style checks at each node_error call site through
// error_format_check, so a wrong argument type does not build.
#define NODE_ERROR(blob, node, fmt, ...) \
  ((void)sizeof(::kernel::error_format_check(fmt, "", ##__VA_ARGS__)), node_error(blob, node, fmt, ##__VA_ARGS__))

}  // namespace

// ---- the reader (drivers/of/fdt_view.h) --------------------------------------------------------

namespace fdt {

bool Prop::str_is(const char* s, size_t n) const {
  // s has no NUL: equal first n bytes, then the value's end or its NUL.
  if (!data || len < 0 || static_cast<size_t>(len) < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (data[i] != static_cast<uint8_t>(s[i])) return false;
  return static_cast<size_t>(len) == n || data[n] == 0;
}

bool Prop::list_contains(const char* s, size_t n) const {
  if (!data || len < 0) return false;
  const uint8_t* p = data;
  size_t left = static_cast<size_t>(len);
  while (left >= n) {
    // An entry is the bytes up to its NUL; a last entry without one ends with the value (the byte
    // after a value is 0 in a checked tree, which is what fdt_stringlist_contains then reads).
    const size_t elen = find_nul(p, left);
    if (elen == n && memcmp(p, s, n) == 0) return true;
    if (elen == left) return false;
    left -= elen + 1;
    p += elen + 1;
  }
  return false;
}

bool View::init(const void* blob) {
  if (!blob || fdt_check_header(blob) != 0) return false;
  base_ = static_cast<const uint8_t*>(blob);
  version_ = fdt_version(blob);
  old_ = version_ < 16;
  for (uint64_t& w : cache_valid_) w = 0;
  const uint32_t total = fdt_totalsize(blob), so = fdt_off_dt_struct(blob), str = fdt_off_dt_strings(blob);
  // fdt_offset_ptr's bounds: the blob, and from version 17 the structure block's own size
  // (fdt_check_header made sure both blocks lie inside the blob); fdt_get_string's likewise.
  struct_ = base_ + so;
  struct_size_ = version_ >= 17 ? fdt_size_dt_struct(blob) : (so <= total ? total - so : 0);
  strings_ = reinterpret_cast<const char*>(base_) + str;
  strings_size_ = version_ >= 17 ? fdt_size_dt_strings(blob) : (str <= total ? total - str : 0);
  return true;
}

const char* View::node_name(int off, int* len) const {
  const char* name = reinterpret_cast<const char*>(struct_) + off + 4;
  if (version_ < 16) {  // a full path: the name is what follows its last '/'
    const char* slash = strrchr(name, '/');
    if (!slash) return nullptr;
    name = slash + 1;
  }
  *len = static_cast<int>(strlen(name));
  return name;
}

bool View::name_is(uint32_t nameoff, const char* s, size_t n) const {
  // The string at nameoff must end (NUL) inside the strings block, as fdt_get_string requires.
  return nameoff < strings_size_ && n < strings_size_ - nameoff && memcmp(strings_ + nameoff, s, n) == 0 &&
         strings_[nameoff + n] == '\0';
}

PropId View::classify_name(uint32_t nameoff) const {
  if (nameoff >= strings_size_) return kBadName;
  const char* s = strings_ + nameoff;
  const uint32_t room = strings_size_ - nameoff;  // the name and its NUL must fit in this
  if (find_nul(reinterpret_cast<const uint8_t*>(s), room) == room) return kBadName;
#define NAME_IS(lit) (sizeof(lit) <= room && same_string(s, lit))
  switch (s[0]) {
    case 'c':
      if (NAME_IS("compatible")) return kCompatible;
      if (NAME_IS("clock-frequency")) return kClockFrequency;
      if (NAME_IS("cpu-release-addr")) return kCpuReleaseAddr;
      break;
    case 's':
      if (NAME_IS("status")) return kStatus;
      if (NAME_IS("stdout-path")) return kStdoutPath;
      break;
    case 'r':
      if (NAME_IS("reg")) return kReg;
      if (NAME_IS("ranges")) return kRanges;
      break;
    case 'd':
      if (NAME_IS("device_type")) return kDeviceType;
      break;
    case '#':
      if (NAME_IS("#address-cells")) return kAddressCells;
      if (NAME_IS("#size-cells")) return kSizeCells;
      if (NAME_IS("#interrupt-cells")) return kInterruptCells;
      break;
    case 'n':
      if (NAME_IS("no-map")) return kNoMap;
      break;
    case 'b':
      if (NAME_IS("bootargs")) return kBootargs;
      break;
    case 'l':
      if (NAME_IS("linux,stdout-path")) return kLinuxStdoutPath;
      if (NAME_IS("linux,phandle")) return kLinuxPhandle;
      break;
    case 'm':
      if (NAME_IS("method")) return kMethod;
      if (NAME_IS("model")) return kModel;
      break;
    case 'e':
      if (NAME_IS("enable-method")) return kEnableMethod;
      break;
    case 'i':
      if (NAME_IS("interrupts")) return kInterrupts;
      if (NAME_IS("interrupt-parent")) return kInterruptParent;
      break;
    case 'p':
      if (NAME_IS("phandle")) return kPhandle;
      break;
    default: break;
  }
#undef NAME_IS
  return kOtherProp;
}

bool Node::enabled() const {
  const Prop s = get(kStatus);
  return !s || s.len <= 0 || s.str_is("okay", 4) || s.str_is("ok", 2);
}

uint32_t read_props(const View& v, int off, Node* n, int* tag_off, int* tag_next) {
  n->have = 0;
  for (int next = 0;; off = next) {
    const uint32_t t = v.tag(off, &next);
    if (t == kProp) {
      uint32_t nameoff = 0;
      const Prop p = v.prop_at(off, &nameoff);
      const PropId id = v.classify(nameoff);
      if (id < kNumPropIds && !((n->have >> id) & 1)) {
        n->props[id] = p;
        n->have |= 1u << id;
      }
    } else if (t != kNop) {
      *tag_off = n->after_props = off;
      *tag_next = next;
      return t;
    }
  }
}

bool read_node(const View& v, int off, Node* n) {
  int next = 0, tag_off = 0, tag_next = 0;
  if (v.tag(off, &next) != kBeginNode) return false;
  n->off = off;
  return read_props(v, next, n, &tag_off, &tag_next) != kBad;
}

bool structure_ok(const View& v) {
  const uint8_t* blob = static_cast<const uint8_t*>(v.fdt());
  const uint64_t total = fdt_totalsize(blob);
  // The reservation map: 16-byte entries, the last with size 0, all inside the blob.
  for (uint64_t at = fdt_off_mem_rsvmap(blob);; at += 16) {
    if (at + 16 > total) return false;
    uint64_t size;
    __builtin_memcpy(&size, blob + at + 8, 8);
    if (size == 0) break;
  }
  uint64_t depth = 0;
  bool root_closed = false;  // then only FDT_END may follow: one root
  for (int off = 0, next = 0;; off = next) {
    const uint32_t t = v.tag(off, &next);
    if (root_closed && t != kEnd) return false;
    switch (t) {
      case kBeginNode:
        if (++depth == 1) {  // the root: its name is empty
          int len = 0;
          if (!v.node_name(off, &len) || len) return false;
        }
        break;
      case kEndNode:
        if (depth == 0) return false;
        root_closed = --depth == 0;
        break;
      case kProp: {
        uint32_t nameoff = 0;
        (void)v.prop_at(off, &nameoff);
        if (!v.name_ok(nameoff)) return false;
        break;
      }
      case kNop: break;
      case kEnd: return depth == 0;
      default: return false;
    }
  }
}

Status Walker::malformed(int off) const {
  return KERR(Errc::Invalid, "malformed device tree structure block at offset %d", off);
}

namespace {

// An address on the bus stack[levels - 1] translated up through each bus's "ranges" to the root's
// (the CPU's) address space. A missing "ranges" means the bus is not memory-mapped (Linux's
// of_translate_address); an empty one is an identity mapping.
Result<uint64_t> translate(const void* blob, const Bus* stack, int levels, uint64_t addr) {
  for (int i = levels - 1; i > 0; --i) {
    const Bus& bus = stack[i];
    const Bus& parent = stack[i - 1];
    if (!bus.ranges)
      return NODE_ERROR(blob, bus.node, "%s has no \"ranges\": address 0x%lx is not memory-mapped", addr);
    if (bus.ranges.len <= 0) continue;  // empty ranges: identity
    const uint32_t cac = bus.ac, csc = bus.sc, pac = parent.ac;
    if (cac < 1 || cac > 2 || pac < 1 || pac > 2 || csc < 1 || csc > 2)
      return NODE_ERROR(blob, bus.node, "%s: unsupported cell sizes for \"ranges\" (child %u/%u, parent %u)", cac, csc,
                        pac);
    const uint32_t entry = (cac + pac + csc) * 4;
    const uint32_t cnt = static_cast<uint32_t>(bus.ranges.len) / entry;
    bool hit = false;
    for (uint32_t k = 0; k < cnt && !hit; ++k) {
      const uint8_t* e = bus.ranges.data + k * entry;
      const uint64_t child = read_cells(e, cac), par = read_cells(e + 4 * cac, pac),
                     size = read_cells(e + 4 * (cac + pac), csc);
      if (addr >= child && addr - child < size) {
        addr = par + (addr - child);
        hit = true;
      }
    }
    if (!hit)
      return Error(Errc::Invalid, "address 0x%lx is outside every \"ranges\" window of %s", addr, Error::detail())
          .with_detail(path_detail, blob, bus.node);
  }
  return addr;
}

Status chain_problem(const Node& n) {
  if (!n.in_tree) return KERR(Errc::NotFound, "node %d is not in the tree", n.off);
  if (n.depth > kMaxDepth)
    return KERR(Errc::Invalid, "address translation deeper than %d levels (corrupt tree?)", kMaxDepth);
  return {};
}

}  // namespace

Result<Region> reg_in(const void* blob, const Node& n, const Bus& parent, int index) {
  const uint32_t ac = parent.ac, sc = parent.sc;
  if (ac < 1 || ac > 2 || sc > 2)
    return NODE_ERROR(blob, n.off, "%s: unsupported #address-cells=%u/#size-cells=%u in its parent", ac, sc);
  const Prop reg = n.get(kReg);
  if (!reg) return NODE_ERROR(blob, n.off, "%s has no \"reg\" property");
  const uint32_t stride = (ac + sc) * 4;
  if (reg.len < 0 || static_cast<uint32_t>(reg.len) < stride * static_cast<uint32_t>(index + 1))
    return NODE_ERROR(blob, n.off, "%s: \"reg\" is %d bytes, too short for entry %d of %u cells", reg.len, index,
                      ac + sc);
  const uint8_t* e = reg.data + static_cast<uint32_t>(index) * stride;
  return Region{read_cells(e, ac), read_cells(e + 4 * ac, sc)};
}

Result<Region> cpu_address(const void* blob, const Node& n, const Bus* stack, int index) {
  TRY(chain_problem(n));
  if (n.depth == 0) return KERR(Errc::Invalid, "the root node has no \"reg\" to translate");
  const Region r = TRY(reg_in(blob, n, stack[n.depth - 1], index));
  const uint64_t cpu = TRY(translate(blob, stack, n.depth, r.base));
  return Region{cpu, r.size};
}

Prop getprop(const View& v, int node, const char* name, size_t n) {
  int next = 0;
  if (v.tag(node, &next) != kBeginNode) return {};
  for (int off = next;; off = next) {
    const uint32_t t = v.tag(off, &next);
    if (t == kProp) {
      uint32_t nameoff = 0;
      const Prop p = v.prop_at(off, &nameoff);
      if (v.name_is(nameoff, name, n)) return p;
    } else if (t != kNop) {
      return {};
    }
  }
}

namespace {

// fdt_subnode_offset_namelen: the first child of `parent` named `name` (or `name@unit`).
int subnode(const View& v, int parent, const char* name, int n) {
  int next = 0;
  if (v.tag(parent, &next) != kBeginNode) return parent < 0 ? parent : -FDT_ERR_BADOFFSET;
  int depth = 1;
  for (int off = next;; off = next) {
    switch (v.tag(off, &next)) {
      case kBeginNode:
        if (depth == 1 && v.node_name_is(off, name, n)) return off;
        ++depth;
        break;
      case kEndNode:
        if (--depth == 0) return -FDT_ERR_NOTFOUND;
        break;
      case kProp:
      case kNop: break;
      case kEnd: return -FDT_ERR_NOTFOUND;
      default: return -FDT_ERR_BADSTRUCTURE;
    }
  }
}

// An alias may name another alias (libfdt resolves them recursively); a loop of them ends here.
constexpr int kMaxAliasChain = 8;

// The first child of `parent` named `name`: from the scan's index of the two levels below the
// root when it has them (the same first match: the index is in document order), else by a walk.
int child(const View& v, const Scan* known, int parent, const char* name, int n) {
  if (known && known->index_complete && parent >= 0) {
    const int* e = known->index;
    const int count = known->index_count;
    int i = 0, depth = 1;
    if (parent > 0) {  // a child of a depth-1 node: the depth-2 entries right after it
      while (i < count && e[i] != (parent | 1)) ++i;
      if (i == count) return subnode(v, parent, name, n);  // deeper: walk
      ++i;
      depth = 2;
    }
    for (; i < count && (e[i] & 3) >= depth; ++i)
      if ((e[i] & 3) == depth && v.node_name_is(e[i] & ~3, name, n)) return e[i] & ~3;
    return -FDT_ERR_NOTFOUND;
  }
  return subnode(v, parent, name, n);
}

int path_offset_in(const View& v, int aliases, const char* path, int n, int chain, const Scan* known = nullptr) {
  if (n <= 0) return -FDT_ERR_BADPATH;
  const char* end = path + n;
  const char* p = path;
  int off = 0;
  if (*path != '/') {
    const char* q = static_cast<const char*>(memchr(path, '/', static_cast<size_t>(n)));
    if (!q) q = end;
    if (chain >= kMaxAliasChain) return -FDT_ERR_BADPATH;
    if (aliases == -2) aliases = subnode(v, 0, "aliases", 7);
    if (aliases < 0) return -FDT_ERR_BADPATH;
    const Prop a = getprop(v, aliases, p, static_cast<size_t>(q - p));
    if (!a) return -FDT_ERR_BADPATH;
    off = path_offset_in(v, aliases, a.str(), static_cast<int>(strnlen(a.str(), static_cast<size_t>(a.len))), chain + 1,
                         known);
    p = q;
  }
  while (p < end) {
    while (*p == '/') {
      if (++p == end) return off;
    }
    const char* q = static_cast<const char*>(memchr(p, '/', static_cast<size_t>(end - p)));
    if (!q) q = end;
    off = child(v, known, off, p, static_cast<int>(q - p));
    if (off < 0) return off;
    p = q;
  }
  return off;
}

}  // namespace

int path_offset(const View& v, const char* path, int n) { return path_offset_in(v, -2, path, n, 0); }

}  // namespace fdt

using fdt::Bus;
using fdt::Node;
using fdt::Prop;
using fdt::View;
using fdt::Walker;

const char* machine_model(const void* blob) {
  View v;
  Node root;
  if (!v.init(blob) || !fdt::read_node(v, 0, &root)) return "unknown";
  const Prop m = root.has(fdt::kModel) ? root.get(fdt::kModel) : root.get(fdt::kCompatible);
  return m ? m.str() : "unknown";
}

namespace {

const char* bootargs_of(const Node& chosen) {
  const Prop a = chosen.get(fdt::kBootargs);
  if (!a || a.len <= 0 || a.data[a.len - 1] != '\0') return "";
  return a.str();
}

// stdout-path, or linux,stdout-path when there is none.
Prop stdout_of(const Node& chosen) {
  return chosen.has(fdt::kStdoutPath) ? chosen.get(fdt::kStdoutPath) : chosen.get(fdt::kLinuxStdoutPath);
}

}  // namespace

const char* bootargs(const void* blob) {
  View v;
  Node chosen;
  if (!v.init(blob)) return "";
  const int off = fdt::path_offset(v, "/chosen", 7);
  if (off < 0 || !fdt::read_node(v, off, &chosen)) return "";
  return bootargs_of(chosen);
}

namespace {
Error not_in_tree(int node) { return KERR(Errc::NotFound, "node %d is not in the tree", node); }
}  // namespace

Result<Region> read_reg(const void* blob, int node, int index) {
  Result<Region> out = NODE_ERROR(blob, node, "%s has no parent");
  (void)fdt::at_node(blob, node, [&](const Node& n, const Bus* stack) {
    if (!n.in_tree || n.depth == 0) return;
    if (n.depth <= fdt::kMaxDepth + 1) {
      out = fdt::reg_in(blob, n, stack[n.depth - 1], index);
      return;
    }
    // Deeper than the walk keeps bus information for: libfdt finds the parent.
    View v;
    Node parent;
    if (v.init(blob) && fdt::read_node(v, fdt_parent_offset(blob, node), &parent))
      out = fdt::reg_in(blob, n, fdt::bus_of(parent), index);
  });
  return out;
}

Result<uint64_t> translate_address(const void* blob, int bus, uint64_t addr) {
  Result<uint64_t> out = not_in_tree(bus);
  (void)fdt::at_node(blob, bus, [&](const Node& n, const Bus* stack) {
    if (Status st = fdt::chain_problem(n); !st) {
      out = st.error();
      return;
    }
    out = fdt::translate(blob, stack, n.depth + 1, addr);
  });
  return out;
}

Result<Region> node_cpu_address(const void* blob, int node, int index) {
  Result<Region> out = not_in_tree(node);
  (void)fdt::at_node(blob, node,
                     [&](const Node& n, const Bus* stack) { out = fdt::cpu_address(blob, n, stack, index); });
  return out;
}

int resolve_path(const void* blob, const char* s, int len) {
  View v;
  if (!v.init(blob)) return -FDT_ERR_BADMAGIC;
  return fdt::path_offset(v, s, len);  // handles both "/path" and "alias[/rest]"
}

int resolve_path(const Scan& s, const char* path, int len) {
  View v;
  if (!v.init(s.fdt)) return -FDT_ERR_BADMAGIC;
  return fdt::path_offset_in(v, s.aliases >= 0 ? s.aliases : -1, path, len, 0, &s);
}

StdoutPath stdout_path(const void* blob) {
  StdoutPath sp;
  View v;
  Node chosen;
  if (!v.init(blob)) return sp;
  const int off = fdt::path_offset(v, "/chosen", 7);
  if (off < 0 || !fdt::read_node(v, off, &chosen)) return sp;
  const Prop p = stdout_of(chosen);
  if (!p || p.len <= 0) return sp;
  sp.present = true;
  const int plen = static_cast<int>(strnlen(p.str(), static_cast<size_t>(p.len)));
  const char* colon = static_cast<const char*>(memchr(p.str(), ':', static_cast<size_t>(plen)));
  const int path_len = colon ? static_cast<int>(colon - p.str()) : plen;
  snprintf(sp.path, sizeof sp.path, "%.*s", path_len, p.str());
  if (colon) snprintf(sp.options, sizeof sp.options, "%.*s", plen - path_len - 1, colon + 1);
  sp.node = fdt::path_offset(v, p.str(), path_len);
  return sp;
}

const void* getprop(const void* blob, int node, const char* name, int* len) {
  View v;
  if (!v.init(blob)) return nullptr;
  const Prop p = fdt::getprop(v, node, name, strlen(name));
  if (len) *len = p ? p.len : -FDT_ERR_NOTFOUND;
  return p.data;
}

int get_path(const void* blob, int node, char* buf, int buflen) {
  // fdt_get_path's answer, built as the walk goes: buf holds "/" and the names of the current
  // node's ancestors, each followed by '/'; ends[d] is where depth d's part ends, or kNoRoom once a
  // name did not fit (libfdt then fails with NOSPACE rather than cut the path). Not libfdt's own
  // code: on a tree with more than one root (possible before fdt_check_full has run) its
  // backtracking reads before the start of buf.
  constexpr int kMaxPathDepth = 512, kNoRoom = -1;
  if (buflen < 2) return -FDT_ERR_NOSPACE;
  View v;
  if (!v.init(blob)) return -FDT_ERR_BADMAGIC;
  int ends[kMaxPathDepth];
  int err = -FDT_ERR_BADOFFSET;
  (void)Walker(v).run([&](const Node& n, const Bus*) {
    if (!n.in_tree || n.off > node) return false;
    int end = kNoRoom;
    if (n.depth == 0) {
      buf[0] = '/';
      end = 1;
    } else if (n.depth < kMaxPathDepth && ends[n.depth - 1] != kNoRoom) {
      int len = 0;
      const char* name = v.node_name(n.off, &len);
      if (!name) {
        err = -FDT_ERR_BADSTRUCTURE;
        return false;
      }
      const int p = ends[n.depth - 1];
      if (p + len + 1 <= buflen) {
        memcpy(buf + p, name, static_cast<size_t>(len));
        buf[p + len] = '/';
        end = p + len + 1;
      }
    }
    if (n.depth < kMaxPathDepth) ends[n.depth] = end;
    if (n.off != node) return true;
    if (end == kNoRoom) {
      err = -FDT_ERR_NOSPACE;
    } else {
      buf[end > 1 ? end - 1 : end] = '\0';  // the last '/' goes, but the root's is its path
      err = 0;
    }
    return false;
  });
  return err;
}

bool node_is_compatible(const void* blob, int node, const char* compat) {
  int len = 0;
  const void* c = getprop(blob, node, "compatible", &len);
  return Prop{static_cast<const uint8_t*>(c), len}.list_contains(compat, strlen(compat));
}

bool node_is_enabled(const void* blob, int node) {
  int len = 0;
  const void* s = getprop(blob, node, "status", &len);
  const Prop p{static_cast<const uint8_t*>(s), len};
  return !p || p.len <= 0 || p.str_is("okay", 4) || p.str_is("ok", 2);
}

int parent_offset(const void* blob, int node) {
  int found = -FDT_ERR_NOTFOUND;
  bool deep = false;
  (void)fdt::at_node(blob, node, [&](const Node& n, const Bus* stack) {
    if (n.in_tree && n.depth > 0 && n.depth <= fdt::kMaxDepth + 1) found = stack[n.depth - 1].node;
    deep = n.in_tree && n.depth > fdt::kMaxDepth + 1;
  });
  return deep ? fdt_parent_offset(blob, node) : found;
}

int node_by_phandle(const void* blob, uint32_t phandle) {
  View v;
  if (phandle == 0 || phandle == ~0u) return -FDT_ERR_BADPHANDLE;
  if (!v.init(blob)) return -FDT_ERR_BADMAGIC;
  int found = -FDT_ERR_NOTFOUND;
  (void)Walker(v).run([&](const Node& n, const Bus*) {
    // fdt_get_phandle: "phandle", else "linux,phandle", each only as one cell.
    Prop p = n.get(fdt::kPhandle);
    if (!p || p.len != 4) p = n.get(fdt::kLinuxPhandle);
    if (p && p.len == 4 && fdt::be32(p.data) == phandle) found = n.off;
    return found < 0;
  });
  return found;
}

int next_compatible(const void* blob, int start, const char* compat) {
  View v;
  if (!v.init(blob)) return -FDT_ERR_BADMAGIC;
  const size_t clen = strlen(compat);
  int found = -FDT_ERR_NOTFOUND;
  (void)Walker(v).run([&](const Node& n, const Bus*) {
    if (n.off > start && n.get(fdt::kCompatible).list_contains(compat, clen)) found = n.off;
    return found < 0;
  });
  return found;
}

int memory_regions(const void* blob, Region* out, int max, int* total) {
  Scan s;
  s.memory = out;
  s.memory_max = max;
  (void)scan(blob, &s);
  if (total) *total = s.memory_total;
  return s.memory_count;
}

int reservations(const void* blob, Reservation* out, int max, int* total, BadRegFn bad) {
  Scan s;
  s.reserved = out;
  s.reserved_max = max;
  s.bad_reserved = bad;
  (void)scan(blob, &s);
  if (total) *total = s.reserved_total;
  return s.reserved_count;
}

Status check_header(const void* blob, PhysAddr where) {
  int err = fdt_check_header(blob);
  if (err) return KERR(Errc::Invalid, "corrupt device tree at 0x%lx: %s", where.value(), fdt_strerror(err));
  return {};
}

Status check_structure(const void* blob, uint32_t size, PhysAddr where) {
  // The reader's own pass decides (about 40 times cheaper than fdt_check_full: tests/host/test_of.cpp
  // checks that both take and refuse the same blobs); libfdt says what is wrong with a refused one,
  // and would overrule a refusal it disagrees with.
  View v;
  if (v.init(blob) && size >= fdt_totalsize(blob) && fdt::structure_ok(v)) return {};
  int err = fdt_check_full(blob, size);
  if (err)
    return KERR(Errc::Invalid, "corrupt device tree at 0x%lx (%u bytes): %s", where.value(), size, fdt_strerror(err));
  return {};
}

Status check_blob(const void* blob, uint32_t size, PhysAddr where) {
  TRY(check_header(blob, where));
  return check_structure(blob, size, where);
}

int find_device_at(const void* blob, uint64_t addr, char* path, int pathlen, Region* reg) {
  View v;
  if (!v.init(blob)) return -1;
  int found = -1;
  (void)Walker(v).run([&](const Node& n, const Bus* stack) {
    if (!n.has(fdt::kReg) || !n.enabled() || n.get(fdt::kDeviceType).str_is("memory", 6)) return true;
    for (int i = 0; i < 8; ++i) {
      Result<Region> got = fdt::cpu_address(blob, n, stack, i);
      if (!got) break;
      const Region r = got.value();
      if (addr >= r.base && addr - r.base < (r.size ? r.size : 1)) {
        if (reg) *reg = r;
        found = n.off;
        return false;
      }
    }
    return true;
  });
  if (found >= 0 && path && get_path(blob, found, path, pathlen) != 0)
    snprintf(path, static_cast<size_t>(pathlen), "?");
  return found;
}

int spin_table_cpus(const void* blob, SpinTableCpu* out, int max) {
  View v;
  if (!v.init(blob)) return 0;
  int n = 0, cpus = -1;
  (void)Walker(v).run([&](const Node& node, const Bus* stack) {
    if (!node.in_tree) return true;
    if (node.depth == 1 && cpus < 0 && v.node_name_is(node.off, "cpus", 4)) cpus = node.off;
    if (node.depth != 2 || stack[1].node != cpus) return true;
    if (n >= max) return false;
    const Prop method = node.get(fdt::kEnableMethod), rel = node.get(fdt::kCpuReleaseAddr);
    // strcmp(method, "spin-table"): a method property without a NUL ends at its value's end.
    if (!method || !method.str_is("spin-table", 10) || !rel || (rel.len != 8 && rel.len != 4)) return true;
    int len = 0;
    out[n++] = SpinTableCpu{v.node_name(node.off, &len), fdt::read_cells(rel.data, static_cast<uint32_t>(rel.len) / 4)};
    return true;
  });
  return n;
}

namespace {
const Scan* g_remembered;
}

void remember_scan(const Scan* s) { g_remembered = s; }

uint32_t timer_clock_frequency(const void* blob) {
  if (g_remembered && g_remembered->fdt == blob) return g_remembered->timer_hz;
  Scan s;
  (void)scan(blob, &s);
  return s.timer_hz;
}

PsciConduit psci_conduit(const void* blob) {
  if (g_remembered && g_remembered->fdt == blob) return g_remembered->psci;
  Scan s;
  (void)scan(blob, &s);
  return s.psci;
}

const char* psci_conduit_name(PsciConduit c) {
  switch (c) {
    case PsciConduit::Hvc: return "hvc";
    case PsciConduit::Smc: return "smc";
    case PsciConduit::None: break;
  }
  return "none";
}

// ---- the one pass -------------------------------------------------------------------------------

namespace {

// The "compatible" strings the scan looks for, as bits of one mask per node.
constexpr uint32_t kPl011 = 1u << 0, kSbsaUart = 1u << 1, kPsci10 = 1u << 2, kPsci02 = 1u << 3, kPsci = 1u << 4,
                   kArmv8Timer = 1u << 5, kArmv7Timer = 1u << 6, kBcm2711Gpio = 1u << 7, kBcm2835Gpio = 1u << 8;

// Which of the strings above the node's compatible list holds, in one pass over the list (as
// fdt_stringlist_contains compares: whole entries; see Prop::list_contains for a last entry
// without its NUL).
uint32_t compat_mask(const Prop& c) {
  if (!c || c.len <= 0) return 0;
  uint32_t mask = 0;
  const uint8_t* p = c.data;
  size_t left = static_cast<size_t>(c.len);
  for (;;) {
    const size_t n = fdt::find_nul(p, left);  // this entry's length
    const char* e = reinterpret_cast<const char*>(p);
    if (n >= 8) {
      if (fdt::same_chars(e, "arm,")) {
        switch (n) {
          case 8: mask |= fdt::same_chars(e, "arm,psci") ? kPsci : 0; break;
          case 9: mask |= fdt::same_chars(e, "arm,pl011") ? kPl011 : 0; break;
          case 12:
            mask |= fdt::same_chars(e, "arm,psci-1.0") ? kPsci10 : fdt::same_chars(e, "arm,psci-0.2") ? kPsci02 : 0;
            break;
          case 13: mask |= fdt::same_chars(e, "arm,sbsa-uart") ? kSbsaUart : 0; break;
          case 15:
            mask |= fdt::same_chars(e, "arm,armv8-timer")   ? kArmv8Timer
                    : fdt::same_chars(e, "arm,armv7-timer") ? kArmv7Timer
                                                            : 0;
            break;
          default: break;
        }
      } else if (n == 17) {
        mask |= fdt::same_chars(e, "brcm,bcm2711-gpio")   ? kBcm2711Gpio
                : fdt::same_chars(e, "brcm,bcm2835-gpio") ? kBcm2835Gpio
                                                          : 0;
      }
    }
    if (n + 1 >= left) break;  // the last entry (with or without its NUL)
    p += n + 1;
    left -= n + 1;
  }
  return mask;
}

Scan::Uart translated(const void* blob, const Node& n, const Bus* stack) {
  Result<Region> r = fdt::cpu_address(blob, n, stack, 0);
  return Scan::Uart{n.off, n.enabled(), r.ok(), r.ok() ? r.value().base : 0};
}

}  // namespace

Status scan(const void* blob, Scan* s) {
  Scan& out = *s;
  {  // what was found by an earlier scan goes; what is asked for stays
    Scan fresh;
    fresh.memory = out.memory, fresh.memory_max = out.memory_max, fresh.bad_memory = out.bad_memory;
    fresh.reserved = out.reserved, fresh.reserved_max = out.reserved_max, fresh.bad_reserved = out.bad_reserved;
    fresh.index = out.index, fresh.index_max = out.index_max;
    out = fresh;
  }
  out.fdt = blob;
  View v;
  if (!v.init(blob)) return out.malformed = KERR(Errc::Invalid, "not a device tree (fdt_check_header failed)");

  if (out.reserved) {  // /memreserve/ entries come first
    const int count = fdt_num_mem_rsv(blob);
    for (int i = 0; i < count; ++i) {
      uint64_t a, sz;
      if (fdt_get_mem_rsv(blob, i, &a, &sz) != 0) break;
      if (out.reserved_count < out.reserved_max)
        out.reserved[out.reserved_count++] = {Region{a, sz}, "/memreserve/", false};
      ++out.reserved_total;
    }
  }

  int reserved_memory = -1;
  // The first node enabled and compatible with each timer string; the first node of each PSCI string.
  bool timer_found[2] = {false, false};
  uint32_t timer_hz[2] = {0, 0};
  int psci_node[3] = {-1, -1, -1};
  bool psci_enabled[3] = {false, false, false};
  Prop psci_method[3] = {};
  Scan::Uart gpio[2] = {{-1, false, false, 0}, {-1, false, false, 0}};

  out.index_complete = out.index != nullptr;
  out.malformed = Walker(v).run([&](const Node& n, const Bus* stack) {
    if (out.index && n.in_tree && (n.depth == 1 || n.depth == 2)) {  // offsets are multiples of 4
      if (out.index_count < out.index_max)
        out.index[out.index_count++] = n.off | n.depth;
      else
        out.index_complete = false;
    }
    if (n.in_tree && n.depth == 0) {
      const Prop m = n.has(fdt::kModel) ? n.get(fdt::kModel) : n.get(fdt::kCompatible);
      if (m) out.model = m.str();
    } else if (n.in_tree && n.depth == 1) {
      if (out.chosen < 0 && v.node_name_is(n.off, "chosen", 6)) {
        out.chosen = n.off;
        out.bootargs = bootargs_of(n);
        const Prop p = stdout_of(n);
        if (p && p.len > 0) out.stdout_path = p.str(), out.stdout_len = p.len;
      } else if (out.aliases < 0 && v.node_name_is(n.off, "aliases", 7)) {
        out.aliases = n.off;
      } else if (reserved_memory < 0 && v.node_name_is(n.off, "reserved-memory", 15)) {
        reserved_memory = n.off;
      }
      if ((out.memory || out.bad_memory) && n.get(fdt::kDeviceType).str_is("memory", 6)) {
        int len = 0;
        if (out.bad_memory)
          if (Result<Region> first = fdt::reg_in(blob, n, stack[0], 0); !first)
            out.bad_memory(v.node_name(n.off, &len), first.error());
        for (int i = 0; out.memory && n.enabled(); ++i) {
          Result<Region> r = fdt::reg_in(blob, n, stack[0], i);
          if (!r) break;
          if (out.memory_count < out.memory_max) out.memory[out.memory_count++] = r.value();
          ++out.memory_total;
        }
      }
    } else if (n.in_tree && n.depth == 2 && out.reserved && stack[1].node == reserved_memory && n.enabled()) {
      const bool nomap = n.has(fdt::kNoMap);
      int len = 0;
      const char* name = v.node_name(n.off, &len);
      for (int i = 0;; ++i) {
        Result<Region> r = fdt::reg_in(blob, n, stack[1], i);
        if (!r) {
          if (i == 0 && out.bad_reserved && n.has(fdt::kReg)) out.bad_reserved(name, r.error());
          break;
        }
        if (!r.value().size) continue;
        if (out.reserved_count < out.reserved_max) out.reserved[out.reserved_count++] = {r.value(), name, nomap};
        ++out.reserved_total;
      }
    }

    const uint32_t compat = compat_mask(n.get(fdt::kCompatible));
    if (!compat) return true;
    if (compat & (kPl011 | kSbsaUart)) {
      const Scan::Uart u = translated(blob, n, stack);
      if (out.nuarts < Scan::kMaxUarts) out.uarts[out.nuarts++] = u;
      if (u.enabled && u.ok && out.nusable < 2) out.usable[out.nusable++] = u;
    }
    static constexpr uint32_t kPsciBits[3] = {kPsci10, kPsci02, kPsci};
    for (int i = 0; i < 3; ++i) {
      if (!(compat & kPsciBits[i]) || psci_node[i] >= 0) continue;
      psci_node[i] = n.off;
      psci_enabled[i] = n.enabled();
      psci_method[i] = n.get(fdt::kMethod);
    }
    static constexpr uint32_t kTimerBits[2] = {kArmv8Timer, kArmv7Timer};
    for (int i = 0; i < 2; ++i) {
      if (!(compat & kTimerBits[i]) || timer_found[i] || !n.enabled()) continue;
      timer_found[i] = true;
      timer_hz[i] = n.get(fdt::kClockFrequency).u32_or(0);
    }
    if ((compat & kBcm2711Gpio) && gpio[0].node < 0) gpio[0] = translated(blob, n, stack);
    if ((compat & kBcm2835Gpio) && gpio[1].node < 0) gpio[1] = translated(blob, n, stack);
    return true;
  });

  // The Pi 3's tree calls its generic timer "arm,armv7-timer"; Linux's arch_timer takes both.
  for (int i = 0; i < 2; ++i) {
    if (!timer_found[i]) continue;
    out.timer_hz = timer_hz[i];
    break;
  }
  for (int i = 0; i < 3; ++i) {
    if (psci_node[i] < 0 || !psci_enabled[i]) continue;
    const Prop m = psci_method[i];
    out.psci = m.str_is("hvc", 3) ? PsciConduit::Hvc : m.str_is("smc", 3) ? PsciConduit::Smc : PsciConduit::None;
    break;
  }
  out.gpio_is_2711 = gpio[0].node >= 0;
  out.gpio = out.gpio_is_2711 ? gpio[0] : gpio[1];
  return out.malformed;
}

}  // namespace kernel::of
