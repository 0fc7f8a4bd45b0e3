// The device tree code's own reader of the flattened tree (drivers/of only): one bounds-checked
// step per tag, and each node read once with the properties the kernel looks at sorted out as they
// go by. libfdt answers the same questions, but every one of its calls re-checks the header and
// every tag (fdt_offset_ptr per byte of a node name), and its searches rescan the tree from the
// root (fdt_parent_offset, fdt_node_offset_by_*): on a Raspberry Pi 4 tree the early scan cost
// 4.5 times one libfdt walk over every node (2.2 M instructions); of::scan() now costs 0.3 times.
//
// Safe on a blob whose header alone was checked (fdt_check_header): every read is checked against
// the structure or strings block before it is made, offsets only grow, and a malformed tag ends
// the walk with an error. The boot brings its console up from such a blob and runs
// fdt_check_full() right after (init/main.cpp).
//
// Each answer is libfdt's for a well-formed tree: node offsets are libfdt's (from the start of the
// structure block), a property is the first of its name in the run of properties that directly
// follows its node's name (what fdt_getprop sees), names compare as fdt_get_string and
// fdt_nodename_eq_ would, and trees older than version 16 keep their quirks (full-path node names,
// 8-byte aligned values of 8 bytes or more).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "asm/sysreg_defs.h"
#include "drivers/of.h"
#include "kernel/error.h"

namespace kernel::of::fdt {

inline uint32_t be32(const void* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

// Up to two cells, big-endian (what #address-cells / #size-cells 1 or 2 describe).
inline uint64_t read_cells(const uint8_t* p, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v = (v << 32) | be32(p + 4 * i);
  return v;
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "find_nul reads words little-endian");
// The unaligned loads below rely on SCTLR_EL1.A (bit 1, alignment fault checking) staying clear.
static_assert((SCTLR_EL1_MMU_ON & (1ull << 1)) == 0, "SCTLR_EL1.A set: the DT reader's unaligned loads would fault");

// The index of the first NUL among the n bytes at p (n when there is none), eight bytes at a time:
// names and string lists are short, and the kernel's memchr goes byte by byte. Reads stay inside
// [p, p + n). The loads may be unaligned: the tree is read through its cacheable FIX_FDT mapping
// (Normal memory) with SCTLR_EL1.A clear, where an unaligned access does not fault (Arm ARM,
// "Alignment of data accesses"; it would on Device memory, which the tree never is once the MMU is
// on), and on the host.
inline size_t find_nul(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    __builtin_memcpy(&w, p + i, 8);
    // A byte is flagged when it is zero; flags above the first zero byte may be false, so the
    // lowest one (the first byte in memory, little-endian) is exact.
    const uint64_t z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
    if (z) return i + (static_cast<size_t>(__builtin_ctzll(z)) >> 3);
  }
  for (; i < n; ++i)
    if (!p[i]) return i;
  return n;
}

// The M bytes at p and q are equal (M a constant: a few word compares). The caller has checked that
// M bytes may be read at p.
template <size_t M>
inline bool equal_bytes(const char* p, const char* q) {
  if constexpr (M >= 8) {
    for (size_t i = 0; i + 8 <= M; i += 8) {
      uint64_t a, b;
      __builtin_memcpy(&a, p + i, 8);
      __builtin_memcpy(&b, q + i, 8);
      if (a != b) return false;
    }
    uint64_t a, b;  // the last 8 bytes (overlapping the loop's when M is not a multiple of 8)
    __builtin_memcpy(&a, p + M - 8, 8);
    __builtin_memcpy(&b, q + M - 8, 8);
    return a == b;
  } else if constexpr (M >= 4) {
    uint32_t a, b, c, d;
    __builtin_memcpy(&a, p, 4);
    __builtin_memcpy(&b, q, 4);
    __builtin_memcpy(&c, p + M - 4, 4);
    __builtin_memcpy(&d, q + M - 4, 4);
    return a == b && c == d;
  } else {
    for (size_t i = 0; i < M; ++i)
      if (p[i] != q[i]) return false;
    return true;
  }
}
// A whole string: the literal's characters and its NUL.
template <size_t N>
inline bool same_string(const char* p, const char (&lit)[N]) {
  return equal_bytes<N>(p, lit);
}
// The literal's characters only (for a string whose length is known to be N - 1).
template <size_t N>
inline bool same_chars(const char* p, const char (&lit)[N]) {
  return equal_bytes<N - 1>(p, lit);
}

constexpr uint32_t kBeginNode = 1, kEndNode = 2, kProp = 3, kNop = 4, kEnd = 9;
constexpr uint32_t kBad = 0;   // a tag that does not fit the structure block, or no tag at all
constexpr int kMaxDepth = 32;  // translation through deeper nesting is refused (a corrupt tree?)

// A property's value; data == nullptr when the property is absent. Trivial (no initializers: a
// walk's arrays of them are not cleared for each node); Prop{} is an absent property.
struct Prop {
  const uint8_t* data;
  int len;
  explicit operator bool() const { return data != nullptr; }
  const char* str() const { return reinterpret_cast<const char*>(data); }
  // A one-cell property (len == 4), as #address-cells and friends are read; `dflt` otherwise.
  uint32_t u32_or(uint32_t dflt) const { return data && len == 4 ? be32(data) : dflt; }
  // The value as a string: the bytes up to the first NUL or the end of the value (what strcmp on a
  // checked tree sees: the byte after a value is always 0, padding or a tag's high byte).
  bool str_is(const char* s, size_t n) const;
  // fdt_stringlist_contains: one of the NUL-separated strings is exactly `s` (n = strlen(s)).
  bool list_contains(const char* s, size_t n) const;
};

// The properties sorted out while a node is read. Each is the first of its name.
enum PropId : uint8_t {
  kCompatible,
  kStatus,
  kReg,
  kDeviceType,
  kAddressCells,
  kSizeCells,
  kRanges,
  kNoMap,
  kBootargs,
  kStdoutPath,
  kLinuxStdoutPath,
  kMethod,
  kClockFrequency,
  kModel,
  kEnableMethod,
  kCpuReleaseAddr,
  kInterruptParent,
  kInterrupts,
  kInterruptCells,
  kPhandle,
  kLinuxPhandle,
  kNumPropIds,
  kOtherProp = 0xfe,  // a name the kernel does not look at
  kBadName = 0xff,    // not a name: the offset or the string runs out of the strings block
};

class View {
 public:
  // False unless fdt_check_header() accepts the blob.
  bool init(const void* fdt);
  const void* fdt() const { return base_; }

  // The tag at `off` and, in *next, where the one after it starts; kBad when it does not fit.
  // (Inline: a walk is mostly this.)
  uint32_t tag(int off, int* next) const {
    const uint64_t o = static_cast<uint32_t>(off);  // a negative offset becomes too large
    if (o + 4 > struct_size_ || (o & 3)) return kBad;
    const uint8_t* p = struct_ + o;
    const uint32_t t = be32(p);
    uint64_t end;  // one past the tag's last byte, before the 4-byte alignment
    if (t == kProp) {
      if (o + 12 > struct_size_) return kBad;
      const uint32_t len = be32(p + 4);
      end = o + 12 + len;
      if (__builtin_expect(old_, 0) && len >= 8 && (o + 12) % 8) end += 4;  // old trees align such values to 8
    } else if (t == kBeginNode) {
      const size_t room = struct_size_ - o - 4;
      const size_t nul = find_nul(p + 4, room);
      if (nul == room) return kBad;
      end = o + 4 + nul + 1;
    } else if (t == kEndNode || t == kNop || t == kEnd) {
      end = o + 4;
    } else {
      return kBad;
    }
    if (end > struct_size_) return kBad;
    *next = static_cast<int>((end + 3) & ~uint64_t{3});
    return t;
  }
  // The node name after the BEGIN_NODE tag at `off` (known to fit: tag() checked it), as
  // fdt_get_name gives it (before version 16: the part after the last '/'; nullptr without one).
  const char* node_name(int off, int* len) const;
  // fdt_nodename_eq_: the node's name is `s` (n bytes), or `s` followed by "@unit" when `s` has no '@'.
  bool node_name_is(int off, const char* s, int n) const {
    const char* p = reinterpret_cast<const char*>(struct_) + off + 4;  // NUL-terminated: tag() saw to it
    if (old_) {
      int len = 0;
      if (!(p = node_name(off, &len))) return false;
    }
    for (int i = 0; i < n; ++i)
      if (p[i] != s[i] || !p[i]) return false;  // a shorter name ends in a NUL that s does not have
    return p[n] == '\0' || (p[n] == '@' && !__builtin_memchr(s, '@', static_cast<size_t>(n)));
  }
  // The property at `off` (a kProp tag that tag() accepted): its value and its name's offset.
  Prop prop_at(int off, uint32_t* nameoff) const {
    const uint8_t* p = struct_ + off;
    const uint32_t len = be32(p + 4);
    *nameoff = be32(p + 8);
    const uint8_t* data = p + 12;
    if (__builtin_expect(old_, 0) && len >= 8 && (static_cast<uint32_t>(off) + 12) % 8) data += 4;
    return Prop{data, static_cast<int>(len)};
  }
  // Which of the properties above the name at `nameoff` is: kOtherProp when none, kBadName when
  // the offset is not a string fdt_get_string would accept (such a name matches nothing). A tree
  // has few distinct names used over and over: the answers are kept in a small direct-mapped cache.
  PropId classify(uint32_t nameoff) const {
    const unsigned i = (nameoff * 0x9e3779b1u) >> (32 - kCacheBits);  // names sit a few bytes apart
    if (((cache_valid_[i / 64] >> (i % 64)) & 1) && cache_key_[i] == nameoff) return static_cast<PropId>(cache_id_[i]);
    const PropId id = classify_name(nameoff);
    cache_key_[i] = nameoff;
    cache_id_[i] = id;
    cache_valid_[i / 64] |= uint64_t{1} << (i % 64);
    return id;
  }
  // The name at `nameoff` is exactly `s` (n bytes plus its NUL, inside the strings block).
  bool name_is(uint32_t nameoff, const char* s, size_t n) const;
  // fdt_get_string would accept the name at `nameoff`: it ends (NUL) inside the strings block.
  bool name_ok(uint32_t nameoff) const { return classify(nameoff) != kBadName; }

 private:
  const uint8_t* base_ = nullptr;
  const uint8_t* struct_ = nullptr;
  uint32_t struct_size_ = 0;  // bytes of the structure block a tag may occupy
  const char* strings_ = nullptr;
  uint32_t strings_size_ = 0;  // a name (with its NUL) must end within this many bytes
  uint32_t version_ = 0;
  bool old_ = false;  // version < 16

  PropId classify_name(uint32_t nameoff) const;
  static constexpr unsigned kCacheBits = 7, kCacheSize = 1u << kCacheBits;
  mutable uint64_t cache_valid_[kCacheSize / 64] = {};
  mutable uint32_t cache_key_[kCacheSize];
  mutable uint8_t cache_id_[kCacheSize];
};

// A node as a walk reads it: its name and the properties of interest, found in one pass over the
// properties that follow its BEGIN_NODE tag.
struct Node {
  int off = -1;          // libfdt's node offset
  int depth = 0;         // 0 for the root
  bool in_tree = false;  // inside the tree rooted at offset 0 (a second root, or anything after
                         // the root's end, is outside: no parent, no address translation)
  uint32_t have = 0;     // bit i: props[i] was found (the others are not set)
  Prop props[kNumPropIds];
  int after_props = 0;  // the first tag after the properties (a child, or the END_NODE)

  Prop get(PropId id) const { return (have >> id) & 1 ? props[id] : Prop{}; }
  bool has(PropId id) const { return (have >> id) & 1; }
  // node_is_enabled(): "status" absent, empty, "okay" or "ok".
  bool enabled() const;
};

// Reads the BEGIN_NODE at `off` and the properties after it. False when a tag does not fit.
bool read_node(const View& v, int off, Node* n);
// Reads the properties from `off` (just after a BEGIN_NODE and its name) into n->props, up to the
// first other tag: returns that tag, its offset in *tag_off (and n->after_props), where the one
// after it starts in *tag_next.
uint32_t read_props(const View& v, int off, Node* n, int* tag_off, int* tag_next);

// What address translation needs from a node that is some node's ancestor: its own cells (the
// DT spec's defaults 2 and 1 when absent) and its "ranges"; and its "interrupt-parent".
struct Bus {
  int node;
  uint32_t ac, sc;
  Prop ranges;
  Prop interrupt_parent;  // (for of::irq_find_parent, which looks up the same chain)
};
inline Bus bus_of(const Node& n) {
  return Bus{n.off, n.get(kAddressCells).u32_or(2), n.get(kSizeCells).u32_or(1), n.get(kRanges),
             n.get(kInterruptParent)};
}

// The index-th "reg" entry of `n` as a CPU physical address, through every ancestor's "ranges":
// stack[0..n.depth-1] are the root .. the parent. The errors are node_cpu_address()'s.
Result<Region> cpu_address(const void* fdt, const Node& n, const Bus* stack, int index);
// The index-th "reg" entry in the parent's address space (read_reg()'s errors).
Result<Region> reg_in(const void* fdt, const Node& n, const Bus& parent, int index);

// Every node in document order, each after its properties were read, with the bus information of
// its ancestors. visit(const Node&, const Bus* stack) returns false to stop. Returns an error when
// the structure block is malformed (everything before the bad tag was visited).
class Walker {
 public:
  explicit Walker(const View& v) : v_(v) {}
  template <typename Visit>
  Status run(Visit&& visit);

 private:
  Status malformed(int off) const;
  const View& v_;
  Bus stack_[kMaxDepth + 1];
};

template <typename Visit>
Status Walker::run(Visit&& visit) {
  Node n;
  int off = 0, next = 0, depth = 0;  // depth: BEGIN_NODEs not yet closed
  bool root_open = false, root_done = false;
  uint32_t t = v_.tag(off, &next);  // each tag is decoded once: t at off, the next at next
  for (;;) {
    if (t == kBeginNode) {
      n.off = off;
      t = read_props(v_, next, &n, &off, &next);  // t at off: the tag after the properties
      if (t == kBad) return malformed(off);
      if (depth == 0 && !root_done && n.off == 0) root_open = true;
      n.depth = depth;
      n.in_tree = root_open;
      if (n.in_tree && depth <= kMaxDepth) stack_[depth] = bus_of(n);
      if (!visit(static_cast<const Node&>(n), static_cast<const Bus*>(stack_))) return {};
      ++depth;
      continue;
    }
    if (t == kEndNode) {
      if (depth == 0) return malformed(off);
      if (--depth == 0 && root_open) root_open = false, root_done = true;
    } else if (t == kEnd) {
      return depth == 0 ? Status{} : malformed(off);
    } else if (t != kProp && t != kNop) {
      return malformed(off);
    }
    off = next;
    t = v_.tag(off, &next);
  }
}

// Walks to `node` and calls fn(const Node&, const Bus* stack) on it. False when the walk does not
// meet it (not a node offset, a bad header, or behind a malformed tag).
template <typename Fn>
bool at_node(const void* blob, int node, Fn&& fn) {
  View v;
  if (node < 0 || !v.init(blob)) return false;
  bool seen = false;
  (void)Walker(v).run([&](const Node& n, const Bus* stack) {
    if (n.off != node) return n.off < node;  // offsets only grow: past it, it is not a node
    seen = true;
    fn(n, stack);
    return false;
  });
  return seen;
}

// fdt_check_full's verdict (libfdt 1.6.1's rules) on the structure block and the memory
// reservation map of a blob whose header is valid and whose buffer holds totalsize bytes: every tag
// fits, no END_NODE closes more than was opened, one root with an empty name and nothing but
// FDT_END after it, every property's name a valid string, and a reservation map that ends (a
// zero size) inside the blob. One pass, no libfdt calls.
bool structure_ok(const View& v);

// fdt_path_offset_namelen on this reader: "/a/b@1" or "alias[/rest]", n bytes. libfdt's error
// codes (negative) when it does not resolve.
int path_offset(const View& v, const char* path, int n);
// fdt_getprop on this reader (the first property of that name; nullptr when absent).
Prop getprop(const View& v, int node, const char* name, size_t n);

}  // namespace kernel::of::fdt
