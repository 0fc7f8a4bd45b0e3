// A console for the one message a boot that cannot enable the MMU has to give (the build's granule
// is not implemented by this CPU: include/drivers/nommu_console.h). head.S calls it with the MMU and
// caches off, at the image's physical address, although the image is linked at KIMAGE_VADDR. What
// that forbids, and how this file avoids it (checked on the object by tools/check-nommu-pic.py):
//
//  - Any absolute address. Code is reached only through PC-relative bl/b and literals through
//    adrp + add (the small code model, -fno-pic): both land on the physical copy. Nothing may load
//    a link-time address from data: no tables of pointers (strings are picked with ?: or if, never
//    indexed from an array), no virtual functions, no function pointers, no switch jump tables or
//    switch-conversion tables (-fno-jump-tables -fno-tree-switch-conversion, cmake/kernel.cmake).
//  - Calls out of this file: libfdt (its GOT and its callers' pointers hold link-time addresses),
//    the kernel's memcpy/memset/strlen (GCC synthesises calls to them for loops and struct copies:
//    -fno-builtin -fno-tree-loop-distribute-patterns, and no struct is copied or zero-initialised
//    here; every struct is filled field by field through a pointer).
//  - Unaligned accesses and DC ZVA: with stage 1 disabled every data access is Device-nGnRnE (Arm
//    ARM D8.2.11, "The effects of disabling an address translation stage"), where an unaligned
//    access takes an Alignment fault whatever SCTLR_EL1.A says (B2.5.2, "Alignment of data
//    accesses") and DC ZVA faults too. -mstrict-align; the device tree is read with aligned 32-bit
//    loads when it is 8-byte aligned as booting.rst requires, byte by byte when it is not.
//  - Global state: .data and .bss are reachable (adrp is PC-relative) but BSS is not cleared yet,
//    so nothing here has static storage; the message is built on the stack head.S provides.
//  - Timers: CNTFRQ_EL0 is whatever the firmware left, possibly 0, so polling the UART is bounded
//    by a fixed number of reads, not by time.
//
// The device tree is read by this file's own walker, not by drivers/of (which is libfdt-based and
// runs on the fixmap): the header is checked first (devicetree-spec v0.4, 5.2 "Header"), then every
// read is checked against the structure or strings block, and every walk advances at least one
// 4-byte tag per step, so a corrupt tree ends it (5.4 "Structure Block").
#include "drivers/nommu_console.h"

#include "asm/page_def.h"

namespace kernel::nommu {
namespace {

// devicetree-spec v0.4, 5.2 "Header" and 5.4.1 "Lexical structure".
constexpr uint32_t kFdtMagic = 0xd00dfeed;
constexpr uint32_t kHeaderSize = 40;      // ten big-endian words (version 17)
constexpr uint32_t kFirstVersion = 16;    // version 16 and later name nodes by their unit name alone
constexpr uint32_t kLastCompatible = 17;  // the newest version this walker reads (libfdt's too)
constexpr uint32_t FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_NOP = 4, FDT_END = 9;

// The nodes from the root to the console the walker follows (each records its parent's cells and
// ranges), and the longest path it resolves after an alias is expanded.
constexpr int kMaxDepth = 16;
constexpr uint32_t kMaxPath = 256;

using be32_word = uint32_t __attribute__((may_alias));

// A big-endian word: one aligned 32-bit load when p is 4-byte aligned (the structure block is
// 4-byte aligned within a blob that booting.rst wants 8-byte aligned), else four byte loads.
inline uint32_t be32(const uint8_t* p) {
  if ((reinterpret_cast<uintptr_t>(p) & 3) == 0) return __builtin_bswap32(*reinterpret_cast<const be32_word*>(p));
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// The blob, its header checked: offsets of the two blocks the walker reads, each inside totalsize.
struct Blob {
  const uint8_t* base;
  uint32_t struct_begin, struct_end;
  uint32_t strings_begin, strings_end;
};

bool open_blob(const void* fdt, size_t max_len, Blob* b) {
  if (!fdt || max_len < kHeaderSize) return false;
  const uint8_t* p = static_cast<const uint8_t*>(fdt);
  if (be32(p) != kFdtMagic) return false;
  const uint32_t totalsize = be32(p + 4), off_struct = be32(p + 8), off_strings = be32(p + 12);
  const uint32_t version = be32(p + 20), last_comp = be32(p + 24);
  const uint32_t size_strings = be32(p + 32);
  if (totalsize < kHeaderSize || totalsize > max_len) return false;
  if (version < kFirstVersion || last_comp > kLastCompatible) return false;
  // size_dt_struct exists from version 17; before, the structure block ends with the blob.
  const uint32_t size_struct = version >= 17 ? be32(p + 36) : totalsize - (off_struct < totalsize ? off_struct : 0);
  if ((off_struct & 3) || off_struct < kHeaderSize) return false;
  if (uint64_t{off_struct} + size_struct > totalsize || uint64_t{off_strings} + size_strings > totalsize) return false;
  b->base = p;
  b->struct_begin = off_struct;
  b->struct_end = off_struct + size_struct;
  b->strings_begin = off_strings;
  b->strings_end = off_strings + size_strings;
  return true;
}

// One tag of the structure block. BEGIN_NODE: `data`/`len` are the node's name (no NUL); PROP:
// the value, and `nameoff` its name in the strings block. `next` is the following tag's offset.
struct Tag {
  uint32_t kind, next, data, len, nameoff;
};

constexpr uint32_t align4(uint64_t v) { return static_cast<uint32_t>((v + 3) & ~uint64_t{3}); }

bool read_tag(const Blob& b, uint32_t off, Tag* t) {
  if ((off & 3) || off < b.struct_begin || uint64_t{off} + 4 > b.struct_end) return false;
  t->kind = be32(b.base + off);
  if (t->kind == FDT_BEGIN_NODE) {
    uint32_t i = off + 4;
    while (i < b.struct_end && b.base[i]) ++i;
    if (i >= b.struct_end) return false;  // the name runs past the block
    t->data = off + 4;
    t->len = i - (off + 4);
    t->next = align4(uint64_t{i} + 1);
  } else if (t->kind == FDT_PROP) {
    if (uint64_t{off} + 12 > b.struct_end) return false;
    t->len = be32(b.base + off + 4);
    t->nameoff = be32(b.base + off + 8);
    t->data = off + 12;
    if (uint64_t{t->data} + t->len > b.struct_end) return false;
    t->next = align4(uint64_t{t->data} + t->len);
  } else if (t->kind == FDT_END_NODE || t->kind == FDT_NOP || t->kind == FDT_END) {
    t->next = off + 4;
  } else {
    return false;
  }
  return true;
}

// Whether the property name at `nameoff` in the strings block is the `n` bytes at s.
bool prop_name_is(const Blob& b, uint32_t nameoff, const char* s, uint32_t n) {
  if (nameoff >= b.strings_end - b.strings_begin) return false;
  const uint32_t at = b.strings_begin + nameoff;
  if (uint64_t{at} + n >= b.strings_end) return false;  // the name and its NUL must fit
  for (uint32_t i = 0; i < n; ++i)
    if (b.base[at + i] != static_cast<uint8_t>(s[i])) return false;
  return b.base[at + n] == 0;
}

template <uint32_t N>
bool prop_name_is(const Blob& b, uint32_t nameoff, const char (&s)[N]) {
  return prop_name_is(b, nameoff, s, N - 1);
}

// A path component matches a node name as in devicetree-spec 2.2.3 "Path Names": exactly, or, when
// the component has no unit address, the name up to its '@' ("serial" matches "serial@7e215040").
bool node_name_is(const Blob& b, const Tag& t, const char* c, uint32_t n) {
  if (t.len < n) return false;
  bool has_at = false;
  for (uint32_t i = 0; i < n; ++i) {
    if (b.base[t.data + i] != static_cast<uint8_t>(c[i])) return false;
    if (c[i] == '@') has_at = true;
  }
  return t.len == n || (!has_at && b.base[t.data + n] == '@');
}

// What the walker keeps of each node on the path: the cells its children's addresses use
// (devicetree-spec 2.3.5: #address-cells defaults to 2, #size-cells to 1) and its ranges.
struct Level {
  uint32_t address_cells, size_cells;
  uint32_t ranges, ranges_len;  // the value's offset and length
  bool has_ranges;
};

uint32_t skip_slashes(const char* path, uint32_t len, uint32_t pos) {
  while (pos < len && path[pos] == '/') ++pos;
  return pos;
}

// The node at the full path (`len` bytes, starting with '/'): returns the offset of the first tag
// after its BEGIN_NODE (where its properties are), or 0 (no node starts there: the structure block
// is after the header). levels[0..*depth-1] are the root ... the node, each with its properties
// (devicetree-spec 5.4.2: a node's properties come before its children, so a parent's are known
// when its child begins). One pass; a subtree off the path is skipped by counting its depth.
uint32_t find_node(const Blob& b, const char* path, uint32_t len, Level* levels, int* depth_out, NoConsole* why) {
  *why = NoConsole::NoNode;
  if (!len || path[0] != '/') return 0;
  uint32_t pos = skip_slashes(path, len, 0);  // the next component to match
  uint32_t off = b.struct_begin;
  int depth = 0;    // nodes open
  int on_path = 0;  // of which the outermost `on_path` are on the path
  const uint32_t max_steps = (b.struct_end - b.struct_begin) / 4 + 1;
  for (uint32_t step = 0; step < max_steps; ++step) {
    Tag t;
    if (!read_tag(b, off, &t)) break;
    if (t.kind == FDT_BEGIN_NODE) {
      if (depth == on_path) {
        uint32_t end = pos;
        while (end < len && path[end] != '/') ++end;
        // The first node is the root (its name is empty); below it, the next component.
        if (depth == 0 || node_name_is(b, t, path + pos, end - pos)) {
          if (on_path == kMaxDepth) return 0;
          Level* l = &levels[on_path];
          l->address_cells = 2;
          l->size_cells = 1;
          l->has_ranges = false;
          l->ranges = l->ranges_len = 0;
          if (depth > 0) pos = skip_slashes(path, len, end);
          on_path = depth + 1;
          if (pos >= len) {
            *depth_out = on_path;
            *why = NoConsole::Found;
            return t.next;
          }
        }
      }
      ++depth;
    } else if (t.kind == FDT_PROP) {
      if (depth == on_path && depth > 0) {
        Level* l = &levels[depth - 1];
        if (prop_name_is(b, t.nameoff, "#address-cells") && t.len == 4) l->address_cells = be32(b.base + t.data);
        if (prop_name_is(b, t.nameoff, "#size-cells") && t.len == 4) l->size_cells = be32(b.base + t.data);
        if (prop_name_is(b, t.nameoff, "ranges")) {
          l->has_ranges = true;
          l->ranges = t.data;
          l->ranges_len = t.len;
        }
      }
    } else if (t.kind == FDT_END_NODE) {
      if (depth == 0) break;
      if (depth == on_path) return 0;  // the deepest node on the path has no such child
      --depth;
    } else if (t.kind == FDT_END) {
      if (depth != 0) break;
      return 0;
    }
    off = t.next;
  }
  *why = NoConsole::BadStructure;
  return 0;
}

// The property `name` (`n` bytes) of the node whose properties start at `props`: its value's offset
// and length, or false.
bool find_prop(const Blob& b, uint32_t props, const char* name, uint32_t n, uint32_t* value, uint32_t* len) {
  uint32_t off = props;
  const uint32_t max_steps = (b.struct_end - b.struct_begin) / 4 + 1;
  for (uint32_t step = 0; step < max_steps; ++step) {
    Tag t;
    if (!read_tag(b, off, &t)) return false;
    if (t.kind == FDT_PROP && prop_name_is(b, t.nameoff, name, n)) {
      *value = t.data;
      *len = t.len;
      return true;
    }
    if (t.kind != FDT_PROP && t.kind != FDT_NOP) return false;  // the node's properties ended
    off = t.next;
  }
  return false;
}

template <uint32_t N>
bool find_prop(const Blob& b, uint32_t props, const char (&name)[N], uint32_t* value, uint32_t* len) {
  return find_prop(b, props, name, N - 1, value, len);
}

// Whether the string list at [off, off + len) (a "compatible") holds the string s.
template <uint32_t N>
bool list_has(const Blob& b, uint32_t off, uint32_t len, const char (&s)[N]) {
  uint32_t i = 0;
  while (i < len) {
    uint32_t j = 0;
    while (j < N - 1 && i + j < len && b.base[off + i + j] == static_cast<uint8_t>(s[j])) ++j;
    if (j == N - 1 && i + j < len && b.base[off + i + j] == 0) return true;
    while (i < len && b.base[off + i]) ++i;  // to the next string
    ++i;
  }
  return false;
}

// n (1 or 2) big-endian cells at off.
uint64_t read_cells(const Blob& b, uint32_t off, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v = (v << 32) | be32(b.base + off + 4 * i);
  return v;
}

Console none(NoConsole why) {
  Console c;
  c.kind = UartKind::None;
  c.why = why;
  c.base = 0;
  return c;
}

// Translates `addr`, a child address of levels[bus], up through each bus's ranges to the root's
// (CPU physical) address space (devicetree-spec 2.3.8 "ranges": an empty value is the identity, a
// missing one means the bus is not memory-mapped and nothing below it is translatable).
bool translate(const Blob& b, const Level* levels, int bus, uint64_t* addr) {
  for (int i = bus; i > 0; --i) {
    const Level& l = levels[i];
    if (!l.has_ranges) return false;
    if (l.ranges_len == 0) continue;
    const uint32_t child_cells = l.address_cells, parent_cells = levels[i - 1].address_cells, size_cells = l.size_cells;
    if (child_cells < 1 || child_cells > 2 || parent_cells < 1 || parent_cells > 2 || size_cells < 1 || size_cells > 2)
      return false;
    const uint32_t entry = 4 * (child_cells + parent_cells + size_cells);
    bool found = false;
    for (uint32_t off = 0; off + entry <= l.ranges_len; off += entry) {
      const uint64_t child = read_cells(b, l.ranges + off, child_cells);
      const uint64_t parent = read_cells(b, l.ranges + off + 4 * child_cells, parent_cells);
      const uint64_t size = read_cells(b, l.ranges + off + 4 * (child_cells + parent_cells), size_cells);
      if (*addr >= child && *addr - child < size) {
        *addr = parent + (*addr - child);
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// ---- the message ------------------------------------------------------------------------------

struct Out {
  char* buf;
  size_t len;
  size_t n;  // the message's length so far (what snprintf would return)
};

void put(Out* o, char c) {
  if (o->n + 1 < o->len) o->buf[o->n] = c;
  ++o->n;
}

void put(Out* o, const char* s) {
  for (; *s; ++s) put(o, *s);
}

void put_hex(Out* o, uint64_t v, int digits) {
  put(o, "0x");
  for (int i = digits - 1; i >= 0; --i) {
    const unsigned d = (v >> (4 * i)) & 0xf;
    put(o, static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10));
  }
}

// ID_AA64MMFR0_EL1's field for each granule (Arm ARM D19.2, "ID_AA64MMFR0_EL1"), and the values
// that mean "implemented for stage 1", as include/asm/page_def.h reads them: TGran4 [31:28] and
// TGran64 [27:24] signed (0 implemented, 0b1111 not; TGran4 1: also 52-bit), TGran16 [23:20]
// unsigned (0 NOT implemented, 1 implemented, 2: also 52-bit).
constexpr unsigned field_shift(unsigned page_shift) {
  return page_shift == 12   ? ID_AA64MMFR0_EL1_TGRAN4_SHIFT
         : page_shift == 14 ? ID_AA64MMFR0_EL1_TGRAN16_SHIFT
                            : ID_AA64MMFR0_EL1_TGRAN64_SHIFT;
}
constexpr unsigned field(uint64_t mmfr0, unsigned page_shift) { return (mmfr0 >> field_shift(page_shift)) & 0xf; }
constexpr bool implemented(uint64_t mmfr0, unsigned page_shift) {
  const unsigned f = field(mmfr0, page_shift);
  return page_shift == 12 ? f <= 1 : page_shift == 14 ? (f == 1 || f == 2) : f == 0;
}
constexpr const char* granule_name(unsigned page_shift) {
  return page_shift == 12 ? "4K" : page_shift == 14 ? "16K" : "64K";
}
constexpr const char* field_name(unsigned page_shift) {
  return page_shift == 12 ? "TGran4" : page_shift == 14 ? "TGran16" : "TGran64";
}

// The same answers as the build's own (page_def.h), for every value of its field.
constexpr bool agrees_with_page_def() {
  for (uint64_t v = 0; v < 16; ++v) {
    const uint64_t mmfr0 = v << ID_AA64MMFR0_EL1_TGRAN_SHIFT;
    if (implemented(mmfr0, PAGE_SHIFT) != granule_supported(mmfr0)) return false;
  }
  const char* a = granule_name(PAGE_SHIFT);
  const char* b = kGranuleName;
  for (; *a && *a == *b; ++a, ++b) {
  }
  return *a == *b;
}
static_assert(agrees_with_page_def(), "nommu_console's granule decoding disagrees with asm/page_def.h");

// "TGran16 = 0", "TGran4 = 0xf": the field's raw value, one hex digit.
void put_field(Out* o, uint64_t mmfr0, unsigned page_shift) {
  put(o, field_name(page_shift));
  put(o, " = ");
  const unsigned f = field(mmfr0, page_shift);
  if (f < 10)
    put(o, static_cast<char>('0' + f));
  else
    put_hex(o, f, 1);
}

}  // namespace

Console find_console(const void* fdt, size_t max_len) {
  Blob b;
  if (!open_blob(fdt, max_len, &b)) return none(NoConsole::BadHeader);
  Level levels[kMaxDepth];
  int depth = 0;
  NoConsole why;

  // /chosen stdout-path (devicetree-spec 3.6 "/chosen Node"; linux,stdout-path is its older name).
  const uint32_t chosen = find_node(b, "/chosen", 7, levels, &depth, &why);
  if (!chosen) return none(why == NoConsole::BadStructure ? why : NoConsole::NoStdoutPath);
  uint32_t value, len;
  if (!find_prop(b, chosen, "stdout-path", &value, &len) && !find_prop(b, chosen, "linux,stdout-path", &value, &len))
    return none(NoConsole::NoStdoutPath);
  // The path ends at its NUL or at the ':' before the options ("serial0:115200n8").
  const char* text = reinterpret_cast<const char*>(b.base + value);
  uint32_t plen = 0;
  while (plen < len && text[plen] && text[plen] != ':') ++plen;
  if (!plen) return none(NoConsole::NoStdoutPath);

  // An alias (devicetree-spec 3.3 "/aliases Node"): its first component is a property of /aliases
  // whose value is a full path; the rest of the path, if any, goes on from there.
  char path[kMaxPath];
  const char* p = text;
  if (text[0] != '/') {
    uint32_t alen = 0;
    while (alen < plen && text[alen] != '/') ++alen;
    const uint32_t aliases = find_node(b, "/aliases", 8, levels, &depth, &why);
    if (!aliases) return none(why == NoConsole::BadStructure ? why : NoConsole::BadAlias);
    uint32_t avalue, alen_bytes;
    if (!find_prop(b, aliases, text, alen, &avalue, &alen_bytes)) return none(NoConsole::BadAlias);
    const char* target = reinterpret_cast<const char*>(b.base + avalue);
    uint32_t tlen = 0;
    while (tlen < alen_bytes && target[tlen]) ++tlen;
    // Only a full path: an alias naming another alias is not allowed, and would be a way to loop.
    if (!tlen || target[0] != '/' || uint64_t{tlen} + (plen - alen) > kMaxPath) return none(NoConsole::BadAlias);
    uint32_t n = 0;
    for (uint32_t i = 0; i < tlen; ++i) path[n++] = target[i];
    for (uint32_t i = alen; i < plen; ++i) path[n++] = text[i];
    p = path;
    plen = n;
  }

  const uint32_t node = find_node(b, p, plen, levels, &depth, &why);
  if (!node) return none(why);

  Console c;
  uint32_t compat, compat_len;
  if (!find_prop(b, node, "compatible", &compat, &compat_len)) return none(NoConsole::UnknownUart);
  if (list_has(b, compat, compat_len, "arm,pl011") || list_has(b, compat, compat_len, "arm,sbsa-uart"))
    c.kind = UartKind::Pl011;
  else if (list_has(b, compat, compat_len, "brcm,bcm2835-aux-uart"))
    c.kind = UartKind::Bcm2835Aux;
  else
    return none(NoConsole::UnknownUart);

  // reg[0] in the parent's address space (devicetree-spec 2.3.6 "reg"), then up to the root.
  if (depth < 2) return none(NoConsole::BadReg);  // the root is no UART
  const Level& parent = levels[depth - 2];
  const uint32_t ac = parent.address_cells, sc = parent.size_cells;
  uint32_t reg, reg_len;
  if (!find_prop(b, node, "reg", &reg, &reg_len)) return none(NoConsole::BadReg);
  if (ac < 1 || ac > 2 || sc > 2 || reg_len < 4 * (ac + sc)) return none(NoConsole::BadReg);
  uint64_t addr = read_cells(b, reg, ac);
  if (!translate(b, levels, depth - 2, &addr)) return none(NoConsole::NoTranslation);
  c.why = NoConsole::Found;
  c.base = addr;
  return c;
}

size_t format_granule_message(char* buf, size_t len, uint64_t mmfr0, unsigned page_shift) {
  Out o;
  o.buf = buf;
  o.len = len;
  o.n = 0;
  put(&o, "Boot CPU: the kernel was built for the ");
  put(&o, granule_name(page_shift));
  if (implemented(mmfr0, page_shift)) {
    // Not what head.S calls this for: say so rather than blame the CPU.
    put(&o, " granule, which this CPU implements (ID_AA64MMFR0_EL1 ");
    put_hex(&o, mmfr0, 16);
    put(&o, ": ");
    put_field(&o, mmfr0, page_shift);
    put(&o, "), yet the MMU was not turned on: a bug in the boot code.\n");
  } else {
    put(&o, " granule, but this CPU does not implement it (ID_AA64MMFR0_EL1 ");
    put_hex(&o, mmfr0, 16);
    put(&o, ": ");
    put_field(&o, mmfr0, page_shift);
    put(&o, ").\n");
    int supported = 0;
    for (unsigned s = 12; s <= 16; s += 2)
      if (implemented(mmfr0, s)) ++supported;
    if (supported) {
      put(&o, "Rebuild with a granule the CPU supports:");
      int listed = 0;
      for (unsigned s = 12; s <= 16; s += 2) {
        if (!implemented(mmfr0, s)) continue;
        put(&o, listed++ ? ", " : " ");
        put(&o, granule_name(s));
        put(&o, " (");
        put_field(&o, mmfr0, s);
        put(&o, ")");
      }
      put(&o, ".\n");
    } else {
      put(&o, "The CPU reports no translation granule at all (");
      put_field(&o, mmfr0, 12);
      put(&o, ", ");
      put_field(&o, mmfr0, 14);
      put(&o, ", ");
      put_field(&o, mmfr0, 16);
      put(&o, "): its ID registers cannot be trusted.\n");
    }
  }
  if (len) buf[o.n < len ? o.n : len - 1] = '\0';
  return o.n;
}

size_t format_granule_message(char* buf, size_t len, uint64_t mmfr0) {
  return format_granule_message(buf, len, mmfr0, PAGE_SHIFT);
}

}  // namespace kernel::nommu

#ifndef KERNEL_HOST_BUILD

// Where the CPU waits for ever, as global symbols so that gdb's backtrace, `info symbol $pc` and
// the kallsyms table name the reason: after the message, or when there is no UART to print it on
// (x0 = dtb_pa, x1 = mmfr0, x2 = the NoConsole reason, as the caller passed them). wfe, not wfi:
// nothing will send an event or an interrupt (masked), so either waits; wfe wakes on the event
// stream too, harmless here. In .text like the caller; branched to with bl, PC-relative.
asm(R"(
	.pushsection .text.nommu_console_park, "ax", %progbits
	.balign	4
	.globl	granule_unsupported_park
	.type	granule_unsupported_park, %function
granule_unsupported_park:
	wfe
	b	granule_unsupported_park
	.size	granule_unsupported_park, . - granule_unsupported_park
	.globl	granule_unsupported_no_console
	.type	granule_unsupported_no_console, %function
granule_unsupported_no_console:
	wfe
	b	granule_unsupported_no_console
	.size	granule_unsupported_no_console, . - granule_unsupported_no_console
	.popsection
)");

extern "C" [[noreturn]] void granule_unsupported_park(uint64_t mmfr0, uint64_t uart);
extern "C" [[noreturn]] void granule_unsupported_no_console(uint64_t dtb_pa, uint64_t mmfr0, uint64_t why);

namespace kernel::nommu {
namespace {

// Reads of a status register before one character is given up on, and with it the UART: the
// generic timer cannot be trusted this early (CNTFRQ_EL0 is whatever the firmware left), so the
// bound is a count. One Device-nGnRnE read of a peripheral takes well over 10 ns, so 2^20 polls
// outlast the 87 us a character takes at 115200 baud many times; a dead UART costs about a second.
constexpr uint32_t kPollBound = 1u << 20;

// Single 32-bit accesses, as the UARTs' registers want them (volatile asm: never merged, split or
// reordered against each other).
inline uint32_t read32(uint64_t addr) {
  uint32_t v;
  asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
inline void write32(uint64_t addr, uint32_t v) { asm volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory"); }

// PL011 (Arm PrimeCell UART TRM, "Register descriptions"): UARTDR 0x00, UARTFR 0x18 with TXFF
// (bit 5, transmit FIFO full) and BUSY (bit 3, still sending).
constexpr uint64_t kPl011Dr = 0x00, kPl011Fr = 0x18;
constexpr uint32_t kPl011FrTxff = 1u << 5, kPl011FrBusy = 1u << 3;
// BCM2835/BCM2711 mini UART (BCM2835 ARM Peripherals, 2.1 "Mini UART"): in the AUX block,
// AUX_MU_IO_REG at 0x40 and AUX_MU_LSR_REG at 0x54, LSR bit 5 "transmitter empty" (room for at
// least one byte). The DT node's reg starts at AUX_MU_IO_REG (serial@7e215040), so relative to it
// they are at 0x00 and 0x14.
constexpr uint64_t kAuxIo = 0x00, kAuxLsr = 0x14;
constexpr uint32_t kAuxLsrTxEmpty = 1u << 5;

bool uart_putc(UartKind kind, uint64_t base, char ch) {
  const bool pl011 = kind == UartKind::Pl011;
  const uint64_t status = base + (pl011 ? kPl011Fr : kAuxLsr);
  for (uint32_t i = 0; i < kPollBound; ++i) {
    const uint32_t s = read32(status);
    if (pl011 ? !(s & kPl011FrTxff) : (s & kAuxLsrTxEmpty) != 0) {
      write32(base + (pl011 ? kPl011Dr : kAuxIo), static_cast<uint8_t>(ch));
      return true;
    }
  }
  return false;
}

}  // namespace
}  // namespace kernel::nommu

namespace {
// booting.rst promises only that the loaded image is clean to the PoC, not the DTB: a loader that
// wrote it through the cache may have left dirty lines, and with the MMU off every load bypasses
// the cache (Device-nGnRnE; Arm ARM, "The effects of disabling an address translation stage").
// Clean and invalidate [pa, pa + len) to the PoC (DC CIVAC is harmless on clean lines), then wait.
void clean_inval_poc(uint64_t pa, uint64_t len) {
  uint64_t ctr;
  asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
  const uint64_t line = uint64_t{4} << ((ctr >> 16) & 0xf);  // CTR_EL0.DminLine: log2 of words
  for (uint64_t a = pa & ~(line - 1); a < pa + len; a += line) asm volatile("dc civac, %0" ::"r"(a) : "memory");
  asm volatile("dsb sy" ::: "memory");
}
}  // namespace

extern "C" [[noreturn]] void nommu_granule_unsupported(uint64_t dtb_pa, uint64_t mmfr0) {
  using namespace kernel::nommu;
  // With the MMU off the DTB's physical address is its address. Its header first (for totalsize,
  // big-endian at offset 4), then the whole blob up to the largest size booting.rst allows.
  if (dtb_pa && !(dtb_pa & 3)) {
    clean_inval_poc(dtb_pa, 40);
    const uint32_t raw = *reinterpret_cast<const volatile uint32_t*>(dtb_pa + 4);
    const uint32_t total = __builtin_bswap32(raw);
    clean_inval_poc(dtb_pa, total < kMaxFdtSize ? total : kMaxFdtSize);
  }
  const Console c = find_console(reinterpret_cast<const void*>(dtb_pa), kMaxFdtSize);
  if (c.kind == UartKind::None) granule_unsupported_no_console(dtb_pa, mmfr0, static_cast<uint64_t>(c.why));
  char msg[512];
  const size_t n = format_granule_message(msg, sizeof msg, mmfr0);
  // The UART is used as the firmware left it, like earlycon: no baud rate or line setting written.
  // "\r\n" for a terminal. A character that cannot be sent ends the message.
  const size_t end = n < sizeof msg ? n : sizeof msg - 1;
  bool ok = uart_putc(c.kind, c.base, '\r') && uart_putc(c.kind, c.base, '\n');
  for (size_t i = 0; ok && i < end; ++i) {
    if (msg[i] == '\n') ok = uart_putc(c.kind, c.base, '\r');
    if (ok) ok = uart_putc(c.kind, c.base, msg[i]);
  }
  if (ok && c.kind == UartKind::Pl011)
    for (uint32_t i = 0; i < kPollBound && (read32(c.base + kPl011Fr) & kPl011FrBusy); ++i) {
    }
  granule_unsupported_park(mmfr0, c.base);
}

#endif  // KERNEL_HOST_BUILD
