// The MMU-off console (drivers/tty/nommu_console.cpp): its device-tree walk against the kernel's
// own resolution (drivers/of) on the real trees, its refusals of broken trees without a read out of
// bounds (each blob is copied into an allocation of exactly its size, so the ASan build catches
// one), and the exact granule messages.
#include "drivers/nommu_console.h"

#include <gtest/gtest.h>
#include <libfdt.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "asm/page_def.h"
#include "drivers/earlycon.h"
#include "drivers/of.h"
#include "dtb_files.h"

namespace kernel {
namespace {

using nommu::Console;
using nommu::find_console;
using nommu::NoConsole;
using nommu::UartKind;

// The blob in a heap block of exactly its size (at `misalign` bytes past an aligned start), so
// that any read past its end is a heap overflow for ASan.
struct ExactBlob {
  explicit ExactBlob(const std::vector<char>& b, size_t misalign = 0)
      : block(new char[b.size() + misalign]), data(block.get() + misalign), size(b.size()) {
    memcpy(data, b.data(), b.size());
  }
  std::unique_ptr<char[]> block;
  char* data;
  size_t size;
};

Console find(const std::vector<char>& b, size_t misalign = 0) {
  ExactBlob e(b, misalign);
  return find_console(e.data, e.size);
}

const char* kind_name(UartKind k) {
  return k == UartKind::Pl011 ? "pl011" : k == UartKind::Bcm2835Aux ? "bcm2835-aux" : "none";
}

// ---- the real trees ---------------------------------------------------------------------------

// What the kernel's own DT code (libfdt-based, drivers/of) makes of /chosen/stdout-path: its node,
// kind and reg[0] translated to a CPU address; kind None when that is not a UART this console
// writes to or does not translate.
struct OfAnswer {
  UartKind kind = UartKind::None;
  uint64_t base = 0;
};
OfAnswer of_answer(const void* fdt) {
  OfAnswer a;
  of::StdoutPath sp = of::stdout_path(fdt);
  if (!sp.present || sp.node < 0) return a;
  UartKind k = UartKind::None;
  if (of::node_is_compatible(fdt, sp.node, "arm,pl011") || of::node_is_compatible(fdt, sp.node, "arm,sbsa-uart"))
    k = UartKind::Pl011;
  else if (of::node_is_compatible(fdt, sp.node, "brcm,bcm2835-aux-uart"))
    k = UartKind::Bcm2835Aux;
  if (k == UartKind::None) return a;
  Result<of::Region> r = of::node_cpu_address(fdt, sp.node, 0);
  if (!r) return a;
  a.kind = k;
  a.base = r.value().base;
  return a;
}

TEST(NommuConsole, QemuVirtIsItsPl011AsEarlyconFindsIt) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  Console c = find(dtb);
  EXPECT_EQ(c.kind, UartKind::Pl011);
  EXPECT_EQ(c.why, NoConsole::Found);
  EXPECT_EQ(c.base, 0x0900'0000u);
  EarlyconChoice e = earlycon_select(dtb.data(), "");
  ASSERT_TRUE(e.found);
  EXPECT_EQ(c.base, e.base.value());
}

struct PiCase {
  const char* dtb;
  uint64_t mini_uart;
};
class NommuConsolePi : public ::testing::TestWithParam<PiCase> {};

// The Pi's stdout-path is serial1, the mini UART, behind /soc's ranges (0x7e000000 -> 0xfe000000
// on the BCM2711, -> 0x3f000000 on the BCM2837). Earlycon takes the PL011 instead (it drives
// only PL011s); this console writes where the tree says the console is.
TEST_P(NommuConsolePi, StdoutIsTheMiniUartBehindSocRanges) {
  LOAD_DTB_OR_FAIL(dtb, GetParam().dtb);
  Console c = find(dtb);
  EXPECT_EQ(c.kind, UartKind::Bcm2835Aux) << kind_name(c.kind);
  EXPECT_EQ(c.base, GetParam().mini_uart);
  OfAnswer a = of_answer(dtb.data());
  EXPECT_EQ(c.kind, a.kind);
  EXPECT_EQ(c.base, a.base);
}
INSTANTIATE_TEST_SUITE_P(Debian, NommuConsolePi,
                         ::testing::Values(PiCase{"broadcom/bcm2711-rpi-4-b.dtb", 0xfe215040},
                                           PiCase{"broadcom/bcm2837-rpi-3-b.dtb", 0x3f215040}),
                         test::DtbParamName());

// Read byte by byte when the blob is not 4-byte aligned (booting.rst wants 8; a loader may not).
TEST(NommuConsole, MisalignedBlobReadsTheSame) {
  LOAD_DTB_OR_FAIL(dtb, "broadcom/bcm2711-rpi-4-b.dtb");
  for (size_t misalign : {1, 2, 3, 4}) {
    Console c = find(dtb, misalign);
    EXPECT_EQ(c.kind, UartKind::Bcm2835Aux) << misalign;
    EXPECT_EQ(c.base, 0xfe215040u) << misalign;
  }
}

// Every Debian arm64 DTB: wherever drivers/of finds a PL011 or mini UART at stdout-path, this finds
// the same one at the same address, and it finds nothing that drivers/of does not.
TEST(NommuConsoleAllDebianDtbs, AgreesWithDriversOf) {
  FILE* list = popen(("find " + std::string(FIXMAP_DTB_DIR) + " -name '*.dtb' | sort").c_str(), "r");
  ASSERT_NE(list, nullptr);
  char path[512];
  int n = 0, found = 0;
  while (fgets(path, sizeof path, list)) {
    std::string p(path);
    p.pop_back();
    FILE* f = fopen(p.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::vector<char> b(4 << 20);
    b.resize(fread(b.data(), 1, b.size(), f));
    fclose(f);
    if (fdt_check_full(b.data(), b.size()) != 0) continue;
    Console c = find(b);
    OfAnswer a = of_answer(b.data());
    EXPECT_EQ(c.kind, a.kind) << p << ": " << kind_name(c.kind) << " vs drivers/of " << kind_name(a.kind);
    EXPECT_EQ(c.base, a.base) << p;
    if (c.kind != UartKind::None) ++found;
    ++n;
  }
  pclose(list);
  EXPECT_GT(n, 500);
  EXPECT_GT(found, 30);  // 36 in Debian 12's linux-image-arm64 (the rest: other UARTs, no stdout-path)
}

// ---- built trees ------------------------------------------------------------------------------

// A tree written with libfdt's sequential-write API: a root with 2/2 cells, /chosen, /aliases, a
// /soc bus (1/1 cells, ranges 0x7e000000 -> 0xfe000000 for 0x01800000 bytes) holding a mini UART
// and a PL011, and a PL011 at the root. Each field can be changed or removed (null) by a test.
struct TreeSpec {
  const char* stdout_path = "serial1:115200n8";
  const char* stdout_prop = "stdout-path";
  std::vector<std::pair<const char*, const char*>> aliases = {{"serial0", "/soc/serial@7e201000"},
                                                              {"serial1", "/soc/serial@7e215040"}};
  std::vector<uint32_t> soc_ranges = {0x7e000000, 0x0, 0xfe000000, 0x01800000};
  bool soc_has_ranges = true;
  std::vector<uint32_t> aux_reg = {0x7e215040, 0x40};
  const char* aux_compatible = "brcm,bcm2835-aux-uart";
  uint32_t soc_address_cells = 1;
};

std::vector<char> build(const TreeSpec& t) {
  std::vector<char> buf(1 << 16);
  void* fdt = buf.data();
  auto cells = [&](const char* name, const std::vector<uint32_t>& v) {
    std::vector<fdt32_t> be;
    for (uint32_t x : v) be.push_back(cpu_to_fdt32(x));
    EXPECT_EQ(fdt_property(fdt, name, be.data(), static_cast<int>(be.size() * 4)), 0);
  };
  auto compat = [&](const char* a, const char* b) {
    std::string s = std::string(a) + '\0' + b;
    EXPECT_EQ(fdt_property(fdt, "compatible", s.data(), static_cast<int>(s.size() + 1)), 0);
  };
  EXPECT_EQ(fdt_create(fdt, static_cast<int>(buf.size())), 0);
  EXPECT_EQ(fdt_finish_reservemap(fdt), 0);
  EXPECT_EQ(fdt_begin_node(fdt, ""), 0);
  fdt_property_string(fdt, "model", "nommu test tree");
  fdt_property_u32(fdt, "#address-cells", 2);
  fdt_property_u32(fdt, "#size-cells", 2);
  fdt_begin_node(fdt, "chosen");
  if (t.stdout_path) fdt_property_string(fdt, t.stdout_prop, t.stdout_path);
  fdt_end_node(fdt);
  fdt_begin_node(fdt, "aliases");
  for (auto& a : t.aliases) fdt_property_string(fdt, a.first, a.second);
  fdt_end_node(fdt);
  fdt_begin_node(fdt, "soc");
  fdt_property_string(fdt, "compatible", "simple-bus");
  fdt_property_u32(fdt, "#address-cells", t.soc_address_cells);
  fdt_property_u32(fdt, "#size-cells", 1);
  if (t.soc_has_ranges) cells("ranges", t.soc_ranges);
  fdt_begin_node(fdt, "serial@7e201000");
  compat("arm,pl011", "arm,primecell");
  cells("reg", {0x7e201000, 0x200});
  fdt_end_node(fdt);
  fdt_begin_node(fdt, "serial@7e215040");
  if (t.aux_compatible) fdt_property_string(fdt, "compatible", t.aux_compatible);
  cells("reg", t.aux_reg);
  fdt_end_node(fdt);
  fdt_end_node(fdt);  // soc
  fdt_begin_node(fdt, "pl011@9000000");
  compat("arm,pl011", "arm,primecell");
  cells("reg", {0, 0x09000000, 0, 0x1000});
  fdt_end_node(fdt);
  EXPECT_EQ(fdt_end_node(fdt), 0);  // root
  EXPECT_EQ(fdt_finish(fdt), 0);
  EXPECT_EQ(fdt_check_full(fdt, buf.size()), 0);
  buf.resize(fdt_totalsize(fdt));
  return buf;
}

void expect_console(const TreeSpec& t, UartKind kind, uint64_t base) {
  std::vector<char> b = build(t);
  Console c = find(b);
  EXPECT_EQ(c.why, NoConsole::Found);
  EXPECT_EQ(c.kind, kind) << kind_name(c.kind);
  EXPECT_EQ(c.base, base);
  OfAnswer a = of_answer(b.data());  // the kernel's own code agrees
  EXPECT_EQ(a.kind, kind);
  EXPECT_EQ(a.base, base);
}

void expect_none(const TreeSpec& t, NoConsole why) {
  std::vector<char> b = build(t);
  Console c = find(b);
  EXPECT_EQ(c.kind, UartKind::None) << kind_name(c.kind) << " at 0x" << std::hex << c.base;
  EXPECT_EQ(c.why, why) << static_cast<int>(c.why);
  EXPECT_EQ(c.base, 0u);
}

TEST(NommuConsoleTree, AliasFullPathAndUnitlessPath) {
  TreeSpec t;
  expect_console(t, UartKind::Bcm2835Aux, 0xfe215040);
  t.stdout_path = "serial0";
  expect_console(t, UartKind::Pl011, 0xfe201000);
  t.stdout_path = "/pl011@9000000:115200n8";
  expect_console(t, UartKind::Pl011, 0x09000000);
  t.stdout_path = "/pl011";  // a component without unit address matches "pl011@9000000"
  expect_console(t, UartKind::Pl011, 0x09000000);
  t.stdout_path = "/soc/serial@7e215040";
  t.stdout_prop = "linux,stdout-path";  // the older name
  expect_console(t, UartKind::Bcm2835Aux, 0xfe215040);
}

TEST(NommuConsoleTree, EmptyRangesAreTheIdentity) {
  TreeSpec t;
  t.soc_ranges = {};
  expect_console(t, UartKind::Bcm2835Aux, 0x7e215040);
}

TEST(NommuConsoleTree, BrokenTreesFindNothing) {
  {
    TreeSpec t;
    t.stdout_path = nullptr;
    expect_none(t, NoConsole::NoStdoutPath);
  }
  {
    TreeSpec t;
    t.stdout_path = ":115200n8";
    expect_none(t, NoConsole::NoStdoutPath);
  }
  {
    TreeSpec t;
    t.stdout_path = "/soc/nothing@0";
    expect_none(t, NoConsole::NoNode);
  }
  {
    TreeSpec t;
    t.stdout_path = "/soc/serial";  // two nodes would match: the first (the PL011) is taken
    std::vector<char> b = build(t);
    EXPECT_EQ(find(b).kind, UartKind::Pl011);
  }
  {
    TreeSpec t;
    t.stdout_path = "serial9";  // an unknown alias
    expect_none(t, NoConsole::BadAlias);
  }
  {
    TreeSpec t;
    t.aliases = {{"serial0", "serial1"}, {"serial1", "serial0"}};  // a loop: aliases must be full paths
    expect_none(t, NoConsole::BadAlias);
  }
  {
    TreeSpec t;
    t.aliases = {{"serial1", ""}};
    expect_none(t, NoConsole::BadAlias);
  }
  {
    TreeSpec t;
    t.aux_compatible = "brcm,bcm2835-spi";
    expect_none(t, NoConsole::UnknownUart);
  }
  {
    TreeSpec t;
    t.aux_compatible = nullptr;
    expect_none(t, NoConsole::UnknownUart);
  }
  {
    TreeSpec t;
    t.aux_reg = {0x7e215040};  // no size cell
    expect_none(t, NoConsole::BadReg);
  }
  {
    TreeSpec t;
    t.soc_address_cells = 3;  // PCI-style addresses: not read here
    t.aux_reg = {0, 0x7e215040, 0x40, 0};
    expect_none(t, NoConsole::BadReg);
  }
  {
    TreeSpec t;
    t.soc_ranges = {0x7f000000, 0x0, 0xff000000, 0x00800000};  // does not cover 0x7e215040
    expect_none(t, NoConsole::NoTranslation);
  }
  {
    TreeSpec t;
    t.soc_ranges = {0x7e000000, 0x0, 0xfe000000, 0x00215040};  // ends just before it
    expect_none(t, NoConsole::NoTranslation);
  }
  {
    TreeSpec t;
    t.soc_ranges = {0x7e000000, 0x0, 0xfe000000};  // a partial entry
    expect_none(t, NoConsole::NoTranslation);
  }
  {
    TreeSpec t;
    t.soc_has_ranges = false;  // not a memory-mapped bus
    expect_none(t, NoConsole::NoTranslation);
  }
}

TEST(NommuConsoleTree, BadHeadersAreRefused) {
  const std::vector<char> good = build(TreeSpec{});
  auto set32 = [](std::vector<char>& b, size_t off, uint32_t v) {
    fdt32_t be = cpu_to_fdt32(v);
    memcpy(b.data() + off, &be, 4);
  };
  EXPECT_EQ(find_console(nullptr, 1 << 20).why, NoConsole::BadHeader);
  {
    std::vector<char> b = good;
    b[0] = 0x12;  // magic
    EXPECT_EQ(find(b).why, NoConsole::BadHeader);
  }
  {
    std::vector<char> b = good;
    set32(b, 4, static_cast<uint32_t>(b.size() + 4));  // totalsize past the end of what may be read
    EXPECT_EQ(find(b).why, NoConsole::BadHeader);
  }
  {
    std::vector<char> b = good;
    set32(b, 4, 39);  // smaller than the header
    EXPECT_EQ(find(b).why, NoConsole::BadHeader);
  }
  {
    std::vector<char> b = good;
    set32(b, 36, fdt_size_dt_struct(good.data()) + 0x1000);  // the structure block past totalsize
    EXPECT_EQ(find(b).why, NoConsole::BadHeader);
  }
  {
    std::vector<char> b = good;
    set32(b, 12, 0xfffffff0);  // the strings block wraps around
    EXPECT_EQ(find(b).why, NoConsole::BadHeader);
  }
  {
    std::vector<char> b = good;
    set32(b, 8, fdt_off_dt_struct(good.data()) + 2);  // a misaligned structure block
    EXPECT_EQ(find(b).why, NoConsole::BadHeader);
  }
  {
    std::vector<char> b = good;
    set32(b, 20, 15);  // version 15: full-path node names, not read here
    EXPECT_EQ(find(b).why, NoConsole::BadHeader);
  }
  // Shorter than the header, and max_len shorter than totalsize.
  EXPECT_EQ(find(std::vector<char>(good.begin(), good.begin() + 39)).why, NoConsole::BadHeader);
  ExactBlob e(good);
  EXPECT_EQ(find_console(e.data, e.size - 1).why, NoConsole::BadHeader);
  EXPECT_EQ(find_console(e.data, e.size).why, NoConsole::Found);
}

// The structure block cut at every 4 bytes, and placed last in an exact-size allocation: the walk
// stops at the cut (a read past it would be past the allocation) and finds nothing, unless the cut
// is after everything it needs.
TEST(NommuConsoleTree, StructureBlockCutAnywhere) {
  const std::vector<char> good = build(TreeSpec{});
  const void* g = good.data();
  const uint32_t st = fdt_off_dt_struct(g), st_size = fdt_size_dt_struct(g);
  const uint32_t strs = fdt_off_dt_strings(g), strs_size = fdt_size_dt_strings(g);
  int found = 0;
  for (uint32_t cut = 0; cut <= st_size; cut += 4) {
    // header, strings, then the cut structure block
    std::vector<char> b(good.begin(), good.begin() + st);  // header and memory reservation block
    const uint32_t new_strings = static_cast<uint32_t>(b.size());
    b.insert(b.end(), good.begin() + strs, good.begin() + strs + strs_size);
    const uint32_t new_struct = static_cast<uint32_t>((b.size() + 3) & ~size_t{3});
    b.resize(new_struct);
    b.insert(b.end(), good.begin() + st, good.begin() + st + cut);
    fdt_set_totalsize(b.data(), static_cast<uint32_t>(b.size()));
    fdt_set_off_dt_strings(b.data(), new_strings);
    fdt_set_off_dt_struct(b.data(), new_struct);
    fdt_set_size_dt_struct(b.data(), cut);
    Console c = find(b);
    if (c.kind != UartKind::None) {
      ++found;
      EXPECT_EQ(c.base, 0xfe215040u);
    } else {
      // What is missing depends on where the cut is: a malformed last tag, /chosen's property
      // that is not there, a node that is not.
      EXPECT_NE(c.why, NoConsole::Found) << "cut at " << cut;
    }
  }
  // Once the mini UART's reg has been read, the rest of the block is not needed.
  EXPECT_GT(found, 0);
}

// Single words of the structure block overwritten with tags and sizes that point anywhere: never a
// read out of bounds (ASan), never a loop that does not end.
TEST(NommuConsoleTree, CorruptWordsNeverReadOutOfBounds) {
  LOAD_DTB_OR_FAIL(pi, "broadcom/bcm2711-rpi-4-b.dtb");
  const std::vector<char> good = build(TreeSpec{});
  const uint32_t values[] = {0, 1, 2, 3, 4, 9, 0x0a, 0xffffffff, 0x7fffffff, 0xfffffffc, 0x40, 0x1000};
  for (const std::vector<char>* base : {&good, static_cast<const std::vector<char>*>(&pi)}) {
    const void* g = base->data();
    const uint32_t st = fdt_off_dt_struct(g), st_size = fdt_size_dt_struct(g);
    const uint32_t step = st_size > 4096 ? 4 * 97 : 4;
    for (uint32_t off = st; off < st + st_size; off += step) {
      for (uint32_t v : values) {
        std::vector<char> b = *base;
        fdt32_t be = cpu_to_fdt32(v);
        memcpy(b.data() + off, &be, 4);
        Console c = find(b);
        if (c.kind != UartKind::None) {
          EXPECT_NE(c.base, 0u);
        }
      }
    }
  }
}

// ---- the message ------------------------------------------------------------------------------

std::string message(uint64_t mmfr0, unsigned page_shift) {
  char buf[512];
  size_t n = nommu::format_granule_message(buf, sizeof buf, mmfr0, page_shift);
  EXPECT_EQ(n, strlen(buf));
  return buf;
}

// Cortex-A53 and Cortex-A72: ID_AA64MMFR0_EL1 0x1122 (TGran4 0, TGran64 0, TGran16 0: no 16K).
TEST(NommuConsoleMessage, CortexA53Has4KAnd64KNot16K) {
  EXPECT_EQ(message(0x1122, 14),
            "Boot CPU: the kernel was built for the 16K granule, but this CPU does not implement it "
            "(ID_AA64MMFR0_EL1 0x0000000000001122: TGran16 = 0).\n"
            "Rebuild with a granule the CPU supports: 4K (TGran4 = 0), 64K (TGran64 = 0).\n");
}

TEST(NommuConsoleMessage, Only64K) {
  // TGran4 0b1111 (not implemented), TGran64 0, TGran16 0.
  EXPECT_EQ(message(0xf0001122, 12),
            "Boot CPU: the kernel was built for the 4K granule, but this CPU does not implement it "
            "(ID_AA64MMFR0_EL1 0x00000000f0001122: TGran4 = 0xf).\n"
            "Rebuild with a granule the CPU supports: 64K (TGran64 = 0).\n");
  EXPECT_EQ(message(0xf0001122, 14),
            "Boot CPU: the kernel was built for the 16K granule, but this CPU does not implement it "
            "(ID_AA64MMFR0_EL1 0x00000000f0001122: TGran16 = 0).\n"
            "Rebuild with a granule the CPU supports: 64K (TGran64 = 0).\n");
}

TEST(NommuConsoleMessage, Only16KAsAppleM1) {
  // TGran4 0b1111, TGran64 0b1111, TGran16 0b0001 (with the 52-bit variant: 2).
  EXPECT_EQ(message(0xff100000, 16),
            "Boot CPU: the kernel was built for the 64K granule, but this CPU does not implement it "
            "(ID_AA64MMFR0_EL1 0x00000000ff100000: TGran64 = 0xf).\n"
            "Rebuild with a granule the CPU supports: 16K (TGran16 = 1).\n");
  EXPECT_EQ(message(0xff200000, 12),
            "Boot CPU: the kernel was built for the 4K granule, but this CPU does not implement it "
            "(ID_AA64MMFR0_EL1 0x00000000ff200000: TGran4 = 0xf).\n"
            "Rebuild with a granule the CPU supports: 16K (TGran16 = 2).\n");
}

TEST(NommuConsoleMessage, AllSupportedSaysTheBootCodeIsAtFault) {
  // -cpu max: TGran4 1 (52-bit), TGran64 0, TGran16 2.
  EXPECT_EQ(message(0x10201125, 14),
            "Boot CPU: the kernel was built for the 16K granule, which this CPU implements "
            "(ID_AA64MMFR0_EL1 0x0000000010201125: TGran16 = 2), yet the MMU was not turned on: a bug in the "
            "boot code.\n");
  EXPECT_NE(message(0x10201125, 12).find("4K granule, which this CPU implements"), std::string::npos);
  EXPECT_NE(message(0x10201125, 16).find("64K granule, which this CPU implements"), std::string::npos);
}

TEST(NommuConsoleMessage, NoGranuleAtAll) {
  EXPECT_EQ(message(0xff001122, 12),
            "Boot CPU: the kernel was built for the 4K granule, but this CPU does not implement it "
            "(ID_AA64MMFR0_EL1 0x00000000ff001122: TGran4 = 0xf).\n"
            "The CPU reports no translation granule at all (TGran4 = 0xf, TGran16 = 0, TGran64 = 0xf): its ID "
            "registers cannot be trusted.\n");
}

TEST(NommuConsoleMessage, TheBuildsGranuleAndTruncation) {
  char a[512], b[512];
  nommu::format_granule_message(a, sizeof a, 0x1122);
  nommu::format_granule_message(b, sizeof b, 0x1122, PAGE_SHIFT);
  EXPECT_STREQ(a, b);
  EXPECT_NE(std::string(a).find(std::string("built for the ") + kGranuleName + " granule"), std::string::npos);

  const std::string full = message(0x1122, 14);
  char small[11];
  memset(small, 'x', sizeof small);
  EXPECT_EQ(nommu::format_granule_message(small, 10, 0x1122, 14), full.size());
  EXPECT_STREQ(small, full.substr(0, 9).c_str());
  EXPECT_EQ(small[10], 'x');  // nothing written past len
  EXPECT_EQ(nommu::format_granule_message(small, 0, 0x1122, 14), full.size());
  EXPECT_EQ(small[0], full[0]);  // len 0: nothing written at all
}

}  // namespace
}  // namespace kernel
