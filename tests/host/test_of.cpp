// Device-tree discovery on QEMU's virt DTB, the real Raspberry Pi DTBs from Debian's arm64 kernel
// package, and small synthetic trees for the corner cases of "ranges" translation.
#include <gtest/gtest.h>
#include <libfdt.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "drivers/earlycon.h"
#include "drivers/of.h"
#include "drivers/of/fdt_view.h"
#include "dtb_files.h"

namespace kernel::test {
namespace {

// An EarlyconChoice's texts as the kernel prints them.
std::string text(const EarlyconChoice& c, int (EarlyconChoice::*format)(char*, size_t) const) {
  char buf[512];
  (c.*format)(buf, sizeof buf);
  return buf;
}
std::string source(const EarlyconChoice& c) { return text(c, &EarlyconChoice::format_source); }
std::string warning(const EarlyconChoice& c) { return text(c, &EarlyconChoice::format_warning); }
std::string error(const EarlyconChoice& c) { return text(c, &EarlyconChoice::format_error); }
std::string options(const EarlyconChoice& c) { return {c.options.s, static_cast<size_t>(c.options.len)}; }

TEST(OfQemuVirt, ModelStdoutPathMemoryPsci) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  const void* fdt = dtb.data();
  EXPECT_STREQ(of::machine_model(fdt), "linux,dummy-virt");
  of::StdoutPath sp = of::stdout_path(fdt);
  EXPECT_TRUE(sp.present);
  EXPECT_STREQ(sp.path, "/pl011@9000000");
  EXPECT_GE(sp.node, 0);
  of::Region mem[4];
  int total = 0;
  ASSERT_EQ(of::memory_regions(fdt, mem, 4, &total), 1);
  EXPECT_EQ(mem[0].base, 0x40000000u);
  EXPECT_EQ(mem[0].size, 1ull << 30);  // dumped with -m 1G
  EXPECT_EQ(of::psci_conduit(fdt), of::PsciConduit::Hvc);
}

TEST(OfQemuVirt, EarlyconFollowsStdoutPath) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  for (const char* cmdline : {"", "earlycon", "halt=idle earlycon ktest"}) {
    EarlyconChoice c = earlycon_select(dtb.data(), cmdline);
    ASSERT_TRUE(c.found) << cmdline << ": " << error(c);
    EXPECT_EQ(c.base.value(), 0x09000000u);
    EXPECT_EQ(source(c), "stdout-path /pl011@9000000");
    EXPECT_EQ(warning(c), "");
  }
}

struct PiCase {
  const char* dtb;
  const char* model;
  uint64_t pl011;
};
// gtest shows a case by its DTB and model (in failures and --gtest_list_tests), not as raw bytes.
void PrintTo(const PiCase& c, std::ostream* os) { *os << c.dtb << " (" << c.model << ")"; }

class OfRaspberryPi : public ::testing::TestWithParam<PiCase> {};

TEST_P(OfRaspberryPi, Pl011BehindTheMiniUartStdoutPath) {
  LOAD_DTB_OR_FAIL(dtb, GetParam().dtb);
  const void* fdt = dtb.data();
  EXPECT_STREQ(of::machine_model(fdt), GetParam().model);
  EarlyconChoice c = earlycon_select(fdt, "");
  ASSERT_TRUE(c.found) << error(c);
  EXPECT_EQ(c.base.value(), GetParam().pl011);  // bus 0x7e201000 translated through /soc ranges
  EXPECT_EQ(source(c), "first PL011 /soc/serial@7e201000");
  // The upstream stdout-path names the mini UART: the kernel says so.
  EXPECT_NE(warning(c).find("stdout-path \"serial1\" is a brcm,bcm2835-aux-uart, not a PL011"), std::string::npos)
      << warning(c);
  EXPECT_EQ(of::psci_conduit(fdt), of::PsciConduit::None);  // spin tables on the Pi
  EXPECT_EQ(c.baud, 115200u);                               // the speed stdout-path asked for ("serial1:115200n8")
}

INSTANTIATE_TEST_SUITE_P(
    Debian, OfRaspberryPi,
    ::testing::Values(PiCase{"broadcom/bcm2711-rpi-4-b.dtb", "Raspberry Pi 4 Model B", 0xfe201000},
                      PiCase{"broadcom/bcm2711-rpi-400.dtb", "Raspberry Pi 400", 0xfe201000},
                      PiCase{"broadcom/bcm2711-rpi-cm4-io.dtb", "Raspberry Pi Compute Module 4 IO Board", 0xfe201000},
                      PiCase{"broadcom/bcm2837-rpi-3-b.dtb", "Raspberry Pi 3 Model B", 0x3f201000}),
    ::kernel::test::DtbParamName());

TEST(OfEarlyconCmdline, ExplicitAddressForms) {
  LOAD_DTB_OR_FAIL(dtb, "broadcom/bcm2711-rpi-4-b.dtb");
  EarlyconChoice c = earlycon_select(dtb.data(), "earlycon=pl011,0xfe201000");
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.base.value(), 0xfe201000u);
  EXPECT_EQ(source(c), "earlycon=pl011,0xfe201000");
  EXPECT_EQ(c.baud, 0u);
  c = earlycon_select(dtb.data(), "earlycon=pl011,mmio32,0xfe201000,115200n8");
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.base.value(), 0xfe201000u);
  EXPECT_EQ(c.baud, 115200u);
  EXPECT_EQ(options(c), "115200n8");
  c = earlycon_select(nullptr, "earlycon=pl011,0x9000000");  // no device tree needed
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.base.value(), 0x9000000u);
}

// Only a PL011 the device tree describes, at its register base: the RTC, the GIC, flash or an
// offset into the UART would hang putc or scribble on another device (each seen as a silent or
// hung boot before this was checked).
TEST(OfEarlyconCmdline, AnAddressThatIsNotADtPl011BaseIsRefused) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  struct {
    const char* cmdline;
    const char* why;
  } cases[] = {
      {"earlycon=pl011,0x9010000", "/pl031@9010000 is a arm,pl031, not a PL011 (\"arm,pl011\")"},
      {"earlycon=pl011,0x8000000", "/intc@8000000 is a arm,cortex-a15-gic, not a PL011"},
      {"earlycon=pl011,0x1234", "/flash@0 is a cfi-flash, not a PL011"},
      {"earlycon=pl011,0x9000004", "0x9000004 is inside /pl011@9000000, whose registers start at 0x9000000"},
      {"earlycon=pl011,mmio32,0x9000ffc,115200", "0x9000ffc is inside /pl011@9000000"},
  };
  for (auto& k : cases) {
    EarlyconChoice c = earlycon_select(dtb.data(), k.cmdline);
    ASSERT_TRUE(c.found) << k.cmdline;
    EXPECT_EQ(c.base.value(), 0x0900'0000u) << "the device tree's console is used instead";
    EXPECT_EQ(source(c), "stdout-path /pl011@9000000");
    EXPECT_NE(warning(c).find(std::string(k.cmdline) + ": " + k.why), std::string::npos)
        << k.cmdline << ": " << warning(c);
    EXPECT_NE(warning(c).find("using the device tree instead"), std::string::npos) << warning(c);
  }
}

TEST(OfEarlyconCmdline, RaspberryPiGpioBlockIsNotAConsole) {
  LOAD_DTB_OR_FAIL(dtb, "broadcom/bcm2711-rpi-4-b.dtb");
  EarlyconChoice c = earlycon_select(dtb.data(), "earlycon=pl011,0xfe200000");
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.base.value(), 0xfe20'1000u);
  EXPECT_NE(warning(c).find("/soc/gpio@7e200000 is a brcm,bcm2711-gpio, not a PL011"), std::string::npos) << warning(c);
}

TEST(OfEarlyconCmdline, BadValuesAreExplainedAndTheDeviceTreeIsUsed) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt.dtb");
  struct {
    const char* cmdline;
    const char* warning;
  } cases[] = {
      {"earlycon=uart8250,mmio32,0x9000000", "unsupported console type (this kernel supports pl011)"},
      {"earlycon=pl011", "expected pl011,<address> or pl011,mmio32,<address>"},
      {"earlycon=pl011,0xzz", "expected pl011,<address>"},
      {"earlycon=pl011,0x9000002", "must be non-zero and 4-byte aligned"},
      {"earlycon=pl011,0", "must be non-zero"},
      {"earlycon=pl011,0x1000000000000", "beyond the 48-bit physical address space"},
      {"earlycon=pl011,0x12340000", "no device in the device tree is at this address"},
  };
  for (auto& k : cases) {
    EarlyconChoice c = earlycon_select(dtb.data(), k.cmdline);
    EXPECT_TRUE(c.found) << k.cmdline;
    EXPECT_EQ(c.base.value(), 0x09000000u);
    EXPECT_NE(warning(c).find(k.warning), std::string::npos) << k.cmdline << ": " << warning(c);
    EXPECT_NE(warning(c).find("using the device tree instead"), std::string::npos);
  }
  EarlyconChoice none = earlycon_select(nullptr, "earlycon=bogus");
  EXPECT_FALSE(none.found);
  EXPECT_NE(error(none).find("no device tree"), std::string::npos);
}

// ---- synthetic trees -----------------------------------------------------------------------------

// Builds: / (#a=2,#s=2) { soc (#a=1,#s=1, ranges) { bus (#a=1,#s=1, ranges) { uart } } }
std::vector<char> make_tree(bool soc_ranges, bool empty_bus_ranges, uint32_t uart_reg, const char* stdout_path,
                            const char* uart_compat = "arm,pl011") {
  std::vector<char> b(8192);
  void* f = b.data();
  auto u32 = [](uint32_t v) { return cpu_to_fdt32(v); };
  fdt_create(f, static_cast<int>(b.size()));
  fdt_finish_reservemap(f);
  fdt_begin_node(f, "");
  fdt_property_u32(f, "#address-cells", 2);
  fdt_property_u32(f, "#size-cells", 2);
  fdt_property_string(f, "model", "synthetic");
  fdt_begin_node(f, "chosen");
  if (stdout_path) fdt_property_string(f, "stdout-path", stdout_path);
  fdt_end_node(f);
  fdt_begin_node(f, "aliases");
  fdt_property_string(f, "serial0", "/soc/bus@1000000/uart@2000");
  fdt_end_node(f);
  fdt_begin_node(f, "soc");
  fdt_property_u32(f, "#address-cells", 1);
  fdt_property_u32(f, "#size-cells", 1);
  if (soc_ranges) {
    // child 0x7e000000 -> parent 0x0_fe000000, size 0x1800000
    fdt32_t r[] = {u32(0x7e000000), u32(0), u32(0xfe000000), u32(0x1800000)};
    fdt_property(f, "ranges", r, sizeof r);
  }
  fdt_begin_node(f, "bus@1000000");
  fdt_property_u32(f, "#address-cells", 1);
  fdt_property_u32(f, "#size-cells", 1);
  if (empty_bus_ranges) {
    fdt_property(f, "ranges", nullptr, 0);
  } else {
    fdt32_t r[] = {u32(0x0), u32(0x7e100000), u32(0x10000)};  // child 0 -> soc 0x7e100000
    fdt_property(f, "ranges", r, sizeof r);
  }
  fdt_begin_node(f, "uart@2000");
  fdt_property_string(f, "compatible", uart_compat);
  fdt32_t reg[] = {u32(uart_reg), u32(0x1000)};
  fdt_property(f, "reg", reg, sizeof reg);
  fdt_end_node(f);
  fdt_end_node(f);
  fdt_end_node(f);
  fdt_end_node(f);
  fdt_finish(f);
  return b;
}

TEST(OfTranslate, NestedRangesAreAppliedAtEveryLevel) {
  auto b = make_tree(true, false, 0x2000, "serial0:9600n8");
  EarlyconChoice c = earlycon_select(b.data(), "");
  ASSERT_TRUE(c.found) << error(c);
  EXPECT_EQ(c.base.value(), 0xfe102000u);  // 0x2000 -> 0x7e102000 -> 0xfe102000
  EXPECT_EQ(c.baud, 9600u);
  EXPECT_EQ(options(c), "9600n8");
  EXPECT_EQ(source(c), "stdout-path /soc/bus@1000000/uart@2000");
}

TEST(OfTranslate, EmptyRangesIsIdentity) {
  auto b = make_tree(true, true, 0x7e201000, "/soc/bus@1000000/uart@2000");
  EarlyconChoice c = earlycon_select(b.data(), "");
  ASSERT_TRUE(c.found) << error(c);
  EXPECT_EQ(c.base.value(), 0xfe201000u);
}

TEST(OfTranslate, MissingRangesAndOutOfWindowAreErrors) {
  auto b = make_tree(false, false, 0x2000, "serial0");
  EarlyconChoice c = earlycon_select(b.data(), "");
  EXPECT_FALSE(c.found);
  EXPECT_NE(
      error(c).find(
          "stdout-path /soc/bus@1000000/uart@2000: /soc has no \"ranges\": address 0x7e102000 is not memory-mapped"),
      std::string::npos)
      << error(c);
  auto o = make_tree(true, false, 0x20000, "serial0");  // beyond the bus window of 0x10000
  c = earlycon_select(o.data(), "");
  EXPECT_FALSE(c.found);
  EXPECT_NE(error(c).find("address 0x20000 is outside every \"ranges\" window of /soc/bus@1000000"), std::string::npos)
      << error(c);
}

TEST(OfStdoutPath, DanglingOrMissingFallsBackToTheFirstPl011) {
  auto b = make_tree(true, false, 0x2000, "serial7:115200");
  EarlyconChoice c = earlycon_select(b.data(), "");
  ASSERT_TRUE(c.found);
  EXPECT_NE(warning(c).find("stdout-path \"serial7\" does not resolve to a node"), std::string::npos);
  auto n = make_tree(true, false, 0x2000, nullptr);
  c = earlycon_select(n.data(), "");
  ASSERT_TRUE(c.found);
  EXPECT_EQ(warning(c), "/chosen has no stdout-path");
  auto none = make_tree(true, false, 0x2000, "serial0", "ns16550a");
  c = earlycon_select(none.data(), "");
  EXPECT_FALSE(c.found);
  EXPECT_NE(error(c).find("is a ns16550a, not a PL011, and the device tree has no other usable \"arm,pl011\""),
            std::string::npos)
      << error(c);
}

// The problems are Errors a caller can branch on; their words (the lines the QEMU tests match)
// are composed only when formatted.
TEST(OfEarlycon, ProblemsAreErrorsWithMeaningfulCodes) {
  LOAD_DTB_OR_FAIL(virt, "qemu-virt.dtb");
  EarlyconChoice c = earlycon_select(virt.data(), "earlycon=pl011,0x1234");
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.refused.code(), Errc::Invalid);
  EXPECT_TRUE(c.stdout_problem.ok());
  EXPECT_TRUE(c.none.ok());
  EXPECT_EQ(
      warning(c),
      "earlycon=pl011,0x1234: /flash@0 is a cfi-flash, not a PL011 (\"arm,pl011\"); using the device tree instead");
  EXPECT_EQ(error(c), "");
  c = earlycon_select(virt.data(), "earlycon=pl011");
  EXPECT_EQ(c.refused.code(), Errc::Invalid);

  // A refused value, then the device tree's own warning in parentheses.
  LOAD_DTB_OR_FAIL(pi, "broadcom/bcm2711-rpi-4-b.dtb");
  c = earlycon_select(pi.data(), "earlycon=pl011,0xfe200000");
  ASSERT_TRUE(c.found);
  EXPECT_EQ(c.stdout_problem.code(), Errc::Invalid);
  EXPECT_EQ(warning(c),
            "earlycon=pl011,0xfe200000: /soc/gpio@7e200000 is a brcm,bcm2711-gpio, not a PL011 (\"arm,pl011\"); using "
            "the device tree instead (stdout-path \"serial1\" is a brcm,bcm2835-aux-uart, not a PL011)");

  EarlyconChoice none = earlycon_select(nullptr, "");
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.none.code(), Errc::NotFound);
  EXPECT_EQ(error(none), "no device tree and no earlycon=pl011,<address> on the command line");
  EXPECT_EQ(warning(none), "");
  EXPECT_EQ(source(none), "");

  auto dangling = make_tree(true, false, 0x2000, "serial7", "ns16550a");
  c = earlycon_select(dangling.data(), "");
  EXPECT_EQ(c.stdout_problem.code(), Errc::NotFound);
  EXPECT_EQ(c.none.code(), Errc::NotFound);
  // The untranslatable stdout-path keeps node_cpu_address's Error; its node's path comes first.
  auto b = make_tree(false, false, 0x2000, "serial0");
  c = earlycon_select(b.data(), "");
  EXPECT_FALSE(c.found);
  EXPECT_EQ(c.none.code(), Errc::NotFound);
  EXPECT_EQ(c.stdout_problem.code(), Errc::Invalid);
  EXPECT_EQ(error(c),
            "stdout-path /soc/bus@1000000/uart@2000: /soc has no \"ranges\": address 0x7e102000 is not memory-mapped, "
            "and the device tree has no other usable \"arm,pl011\" node");
  EXPECT_EQ(warning(c), "");
}

TEST(OfReg, ShortRegIsReported) {
  auto b = make_tree(true, false, 0x2000, "serial0");
  int uart = fdt_path_offset(b.data(), "/soc/bus@1000000/uart@2000");
  ASSERT_GE(uart, 0);
  Result<of::Region> r = of::read_reg(b.data(), uart, 1);
  ASSERT_EQ(r, Errc::Invalid);
  char err[200];
  r.error().format(err, sizeof err);
  EXPECT_STREQ(err, "/soc/bus@1000000/uart@2000: \"reg\" is 8 bytes, too short for entry 1 of 2 cells");
}

TEST(OfAllDebianDtbs, ScanningNeverCrashes) {
  // Every DTB of Debian's arm64 kernel package through the same discovery code.
  FILE* list = popen(("find " + std::string(FIXMAP_DTB_DIR) + " -name '*.dtb'").c_str(), "r");
  ASSERT_NE(list, nullptr);
  char path[512];
  int n = 0;
  while (fgets(path, sizeof path, list)) {
    std::string p(path);
    p.pop_back();
    FILE* f = fopen(p.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::vector<char> b(4 << 20);
    size_t len = fread(b.data(), 1, b.size(), f);
    fclose(f);
    b.resize(len);
    if (fdt_check_header(b.data()) != 0) continue;
    EarlyconChoice c = earlycon_select(b.data(), "");
    (void)c;
    of::Region r[8];
    int total;
    of::memory_regions(b.data(), r, 8, &total);
    of::Reservation res[8];
    of::reservations(b.data(), res, 8, &total);
    of::psci_conduit(b.data());
    ++n;
  }
  pclose(list);
  EXPECT_GT(n, 500);
}

// ---- the one-pass reader (drivers/of/fdt_view.h) against libfdt --------------------------------
//
// The oracle is the libfdt code drivers/of used before the reader: fdt_parent_offset chains,
// fdt_getprop, fdt_path_offset and fdt_node_offset_by_* searches. Every answer of the reader, and
// of the scan the boot makes, must be the same on real trees, down to the words of an error.

namespace ref {

uint32_t cells(const void* fdt, int node, const char* name, uint32_t dflt) {
  int len = 0;
  auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
  return p && len == 4 ? fdt32_to_cpu(*p) : dflt;
}

uint64_t read_cells(const fdt32_t* p, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) v = (v << 32) | fdt32_to_cpu(p[i]);
  return v;
}

std::string path(const void* fdt, int node) {
  char buf[256];
  if (fdt_get_path(fdt, node, buf, sizeof buf) != 0) snprintf(buf, sizeof buf, "<node %d>", node);
  return buf;
}

// The result as text: the value, or the error's code and words.
struct Answer {
  bool ok = false;
  uint64_t a = 0, b = 0;
  std::string why;
  bool operator==(const Answer& o) const { return ok == o.ok && a == o.a && b == o.b && why == o.why; }
};
void PrintTo(const Answer& x, std::ostream* os) {
  if (x.ok)
    *os << "ok 0x" << std::hex << x.a << " 0x" << x.b;
  else
    *os << "error: " << x.why;
}
Answer fail(const std::string& why) { return Answer{false, 0, 0, why}; }
template <typename T>
Answer answer(const Result<T>& r) {
  char buf[320];
  if (!r) {
    r.error().format(buf, sizeof buf);
    return fail(std::string(errc_name(r.code())) + ": " + buf);
  }
  if constexpr (std::is_same_v<T, of::Region>)
    return Answer{true, r.value().base, r.value().size, ""};
  else
    return Answer{true, r.value(), 0, ""};
}

Answer reg_in(const void* fdt, int node, int parent, int index, uint64_t* base, uint64_t* size) {
  const uint32_t ac = cells(fdt, parent, "#address-cells", 2), sc = cells(fdt, parent, "#size-cells", 1);
  char buf[320];
  if (ac < 1 || ac > 2 || sc > 2) {
    snprintf(buf, sizeof buf, "Invalid: %s: unsupported #address-cells=%u/#size-cells=%u in its parent",
             path(fdt, node).c_str(), ac, sc);
    return fail(buf);
  }
  int len = 0;
  auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
  if (!reg) return fail("Invalid: " + path(fdt, node) + " has no \"reg\" property");
  const uint32_t stride = (ac + sc) * 4;
  if (len < 0 || static_cast<uint32_t>(len) < stride * static_cast<uint32_t>(index + 1)) {
    snprintf(buf, sizeof buf, "Invalid: %s: \"reg\" is %d bytes, too short for entry %d of %u cells",
             path(fdt, node).c_str(), len, index, ac + sc);
    return fail(buf);
  }
  const fdt32_t* e = reg + static_cast<uint32_t>(index) * (ac + sc);
  *base = read_cells(e, ac);
  *size = read_cells(e + ac, sc);
  return Answer{true, *base, *size, ""};
}

// chain[0] is the bus the address lives on, chain[n - 1] the root.
Answer translate(const void* fdt, const int* chain, int n, uint64_t addr) {
  char buf[320];
  for (int i = 0; i + 1 < n; ++i) {
    const int bus = chain[i], parent = chain[i + 1];
    int len = 0;
    auto* ranges = static_cast<const fdt32_t*>(fdt_getprop(fdt, bus, "ranges", &len));
    if (!ranges) {
      snprintf(buf, sizeof buf, "Invalid: %s has no \"ranges\": address 0x%lx is not memory-mapped",
               path(fdt, bus).c_str(), static_cast<unsigned long>(addr));
      return fail(buf);
    }
    if (len <= 0) continue;
    const uint32_t cac = cells(fdt, bus, "#address-cells", 2), csc = cells(fdt, bus, "#size-cells", 1),
                   pac = cells(fdt, parent, "#address-cells", 2);
    if (cac < 1 || cac > 2 || pac < 1 || pac > 2 || csc < 1 || csc > 2) {
      snprintf(buf, sizeof buf, "Invalid: %s: unsupported cell sizes for \"ranges\" (child %u/%u, parent %u)",
               path(fdt, bus).c_str(), cac, csc, pac);
      return fail(buf);
    }
    const uint32_t entry = cac + pac + csc, cnt = static_cast<uint32_t>(len) / (entry * 4);
    bool hit = false;
    for (uint32_t k = 0; k < cnt && !hit; ++k) {
      const fdt32_t* e = ranges + k * entry;
      const uint64_t child = read_cells(e, cac), par = read_cells(e + cac, pac), size = read_cells(e + cac + pac, csc);
      if (addr >= child && addr - child < size) addr = par + (addr - child), hit = true;
    }
    if (!hit) {
      snprintf(buf, sizeof buf, "Invalid: address 0x%lx is outside every \"ranges\" window of %s",
               static_cast<unsigned long>(addr), path(fdt, bus).c_str());
      return fail(buf);
    }
  }
  return Answer{true, addr, 0, ""};
}

// Each node's parent, from one libfdt walk with depths (fdt_parent_offset per node per level would
// make the oracle cubic); the root's is -1. Nodes after the root's end are not in it.
struct Parents {
  const void* fdt = nullptr;
  std::vector<std::pair<int, int>> of;  // (node, parent), in document order
  int get(int node) const {
    auto it = std::lower_bound(of.begin(), of.end(), std::make_pair(node, -2));
    return it != of.end() && it->first == node ? it->second : -2;
  }
};
Parents g_parents;
const Parents& parents(const void* fdt) {
  if (g_parents.fdt == fdt) return g_parents;
  g_parents = Parents{fdt, {}};
  int stack[64], depth = 0;
  for (int off = 0; off >= 0 && depth >= 0; off = fdt_next_node(fdt, off, &depth)) {
    if (depth >= 64) continue;
    stack[depth] = off;
    g_parents.of.push_back({off, depth ? stack[depth - 1] : -1});
  }
  return g_parents;
}

// The ancestors of `node`, nearest first; -1: deeper than 32; -2: not in the tree.
int ancestors(const void* fdt, int node, int* out) {
  const Parents& p = parents(fdt);
  int depth = 0;
  for (int n = p.get(node); n >= 0; n = p.get(n)) {
    if (depth < 40) out[depth] = n;
    ++depth;
  }
  if (p.get(node) == -2) return -2;
  return depth > 32 ? -1 : depth;
}

Answer cpu_address(const void* fdt, int node, int index) {
  int chain[40];
  const int n = ancestors(fdt, node, chain);
  if (n == -1) return fail("Invalid: address translation deeper than 32 levels (corrupt tree?)");
  if (n < 0) return fail("NotFound: node " + std::to_string(node) + " is not in the tree");
  if (n == 0) return fail("Invalid: the root node has no \"reg\" to translate");
  uint64_t base = 0, size = 0;
  Answer r = reg_in(fdt, node, chain[0], index, &base, &size);
  if (!r.ok) return r;
  Answer t = translate(fdt, chain, n, base);
  if (!t.ok) return t;
  return Answer{true, t.a, size, ""};
}

bool enabled(const void* fdt, int node) {
  int len = 0;
  const char* s = static_cast<const char*>(fdt_getprop(fdt, node, "status", &len));
  return !s || len <= 0 || strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0;
}

int find_device_at(const void* fdt, uint64_t addr) {
  for (int node = fdt_next_node(fdt, -1, nullptr); node >= 0; node = fdt_next_node(fdt, node, nullptr)) {
    if (!fdt_getprop(fdt, node, "reg", nullptr) || !enabled(fdt, node)) continue;
    const char* type = static_cast<const char*>(fdt_getprop(fdt, node, "device_type", nullptr));
    if (type && strcmp(type, "memory") == 0) continue;
    for (int i = 0; i < 8; ++i) {
      Answer r = cpu_address(fdt, node, i);
      if (!r.ok) break;
      if (addr >= r.a && addr - r.a < (r.b ? r.b : 1)) return node;
    }
  }
  return -1;
}

uint32_t timer_hz(const void* fdt) {
  for (const char* c : {"arm,armv8-timer", "arm,armv7-timer"})
    for (int n = fdt_node_offset_by_compatible(fdt, -1, c); n >= 0; n = fdt_node_offset_by_compatible(fdt, n, c))
      if (enabled(fdt, n)) return cells(fdt, n, "clock-frequency", 0);
  return 0;
}

of::PsciConduit psci(const void* fdt) {
  for (const char* c : {"arm,psci-1.0", "arm,psci-0.2", "arm,psci"}) {
    const int n = fdt_node_offset_by_compatible(fdt, -1, c);
    if (n < 0 || !enabled(fdt, n)) continue;
    const char* m = static_cast<const char*>(fdt_getprop(fdt, n, "method", nullptr));
    if (m && strcmp(m, "hvc") == 0) return of::PsciConduit::Hvc;
    if (m && strcmp(m, "smc") == 0) return of::PsciConduit::Smc;
    return of::PsciConduit::None;
  }
  return of::PsciConduit::None;
}

}  // namespace ref

// Virt, the Raspberry Pis, and every 40th Debian DTB (each reader answer for each node: the
// oracle is quadratic, so not all 580).
std::vector<std::string> reader_trees() {
  std::vector<std::string> all;
  FILE* list = popen(("cd " + std::string(FIXMAP_DTB_DIR) + " && find . -name '*.dtb' | sort").c_str(), "r");
  char line[512];
  while (list && fgets(line, sizeof line, list)) {
    std::string p(line + 2);  // "./"
    p.pop_back();
    all.push_back(p);
  }
  if (list) pclose(list);
  std::vector<std::string> picked = {"qemu-virt.dtb", "broadcom/bcm2711-rpi-4-b.dtb", "broadcom/bcm2837-rpi-3-b.dtb"};
  for (size_t i = 0; i < all.size(); i += 40) picked.push_back(all[i]);
  return picked;
}

TEST(OfReader, EveryAnswerIsLibfdts) {
  int trees = 0, nodes = 0;
  for (const std::string& name : reader_trees()) {
    SCOPED_TRACE(name);
    LOAD_DTB_OR_FAIL(dtb, name);
    const void* fdt = dtb.data();
    if (fdt_check_full(fdt, dtb.size()) != 0) continue;
    ++trees;
    ref::g_parents = {};  // another tree may sit where the last one did
    const char* model = static_cast<const char*>(fdt_getprop(fdt, 0, "model", nullptr));
    if (!model) model = static_cast<const char*>(fdt_getprop(fdt, 0, "compatible", nullptr));
    EXPECT_STREQ(of::machine_model(fdt), model ? model : "unknown");
    EXPECT_EQ(of::timer_clock_frequency(fdt), ref::timer_hz(fdt));
    EXPECT_EQ(of::psci_conduit(fdt), ref::psci(fdt));
    std::vector<uint32_t> phandles;
    int root_children = 0;
    for (int n = fdt_next_node(fdt, -1, nullptr); n >= 0; n = fdt_next_node(fdt, n, nullptr)) {
      ++nodes;
      for (const char* prop : {"compatible", "reg", "status", "#address-cells", "ranges", "interrupts", "phandle",
                               "clocks", "no-such-property"}) {
        int len = 0, rlen = 0;
        const void* got = of::getprop(fdt, n, prop, &len);
        const void* want = fdt_getprop(fdt, n, prop, &rlen);
        EXPECT_EQ(got, want) << ref::path(fdt, n) << " " << prop;
        if (want) {
          EXPECT_EQ(len, rlen) << ref::path(fdt, n) << " " << prop;
        }
      }
      const int parent = ref::parents(fdt).get(n);
      EXPECT_EQ(of::parent_offset(fdt, n), parent >= 0 ? parent : -FDT_ERR_NOTFOUND) << ref::path(fdt, n);
      if (nodes % 16 == 0) {
        EXPECT_EQ(of::parent_offset(fdt, n), fdt_parent_offset(fdt, n)) << ref::path(fdt, n);
      }
      EXPECT_EQ(of::node_is_enabled(fdt, n), ref::enabled(fdt, n)) << ref::path(fdt, n);
      for (const char* c : {"arm,pl011", "simple-bus", "arm,gic-400"})
        EXPECT_EQ(of::node_is_compatible(fdt, n, c), fdt_node_check_compatible(fdt, n, c) == 0) << ref::path(fdt, n);
      for (int i = 0; i < 2; ++i)
        EXPECT_EQ(ref::answer(of::node_cpu_address(fdt, n, i)), ref::cpu_address(fdt, n, i)) << ref::path(fdt, n);
      for (int room : {256, 2, 1, 7, 20}) {  // the path, and fdt_get_path's NOSPACE when it does not fit
        char got[256], want[256];
        const int g = of::get_path(fdt, n, got, room), w = fdt_get_path(fdt, n, want, room);
        EXPECT_EQ(g, w) << ref::path(fdt, n) << " in " << room;
        if (g == 0 && w == 0) {
          EXPECT_STREQ(got, want);
        }
      }
      const std::string p = ref::path(fdt, n);  // two nodes may share one (tegra132's two /timer)
      EXPECT_EQ(of::resolve_path(fdt, p.c_str(), static_cast<int>(p.size())), fdt_path_offset(fdt, p.c_str())) << p;
      if (uint32_t ph = fdt_get_phandle(fdt, n)) phandles.push_back(ph);
      if (fdt_node_depth(fdt, n) == 1 && ++root_children <= 3) {  // a device at a root child's address, and past it
        uint64_t base = 0, size = 0;
        if (ref::reg_in(fdt, n, 0, 0, &base, &size).ok) {
          for (uint64_t a : {base, base + size})
            EXPECT_EQ(of::find_device_at(fdt, a, nullptr, 0), ref::find_device_at(fdt, a)) << p << " 0x" << a;
        }
      }
    }
    for (uint32_t ph : phandles) EXPECT_EQ(of::node_by_phandle(fdt, ph), fdt_node_offset_by_phandle(fdt, ph));
    for (const char* c : {"arm,pl011", "arm,gic-400", "simple-bus", "brcm,bcm2711-gpio", "fixed-clock"}) {
      int want = -1, got = -1;
      do {
        want = fdt_node_offset_by_compatible(fdt, want, c);
        got = of::next_compatible(fdt, got, c);
        EXPECT_EQ(got < 0, want < 0) << c;
        if (want >= 0) {
          EXPECT_EQ(got, want) << c;
        }
      } while (want >= 0 && got >= 0);
    }
    const int aliases = fdt_path_offset(fdt, "/aliases");
    for (int prop = aliases >= 0 ? fdt_first_property_offset(fdt, aliases) : -1; prop >= 0;
         prop = fdt_next_property_offset(fdt, prop)) {
      const char* alias = nullptr;
      fdt_getprop_by_offset(fdt, prop, &alias, nullptr);
      EXPECT_EQ(of::resolve_path(fdt, alias, static_cast<int>(strlen(alias))), fdt_path_offset(fdt, alias)) << alias;
      const std::string sub = std::string(alias) + "/no-such-node";
      EXPECT_LT(of::resolve_path(fdt, sub.c_str(), static_cast<int>(sub.size())), 0);
    }
  }
  EXPECT_GT(trees, 12);
  EXPECT_GT(nodes, 2000);
}

// The scan of each Debian DTB (what the boot reads before its console) against the functions that
// answer one question each, and against libfdt.
TEST(OfReader, TheScanAgreesWithTheFunctions) {
  FILE* list = popen(("find " + std::string(FIXMAP_DTB_DIR) + " -name '*.dtb'").c_str(), "r");
  ASSERT_NE(list, nullptr);
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, list)) {
    std::string p(line);
    p.pop_back();
    SCOPED_TRACE(p);
    std::vector<char> b(4 << 20);
    FILE* f = fopen(p.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    b.resize(fread(b.data(), 1, b.size(), f));
    fclose(f);
    const void* fdt = b.data();
    const bool valid = fdt_check_full(fdt, b.size()) == 0;
    EXPECT_EQ(of::check_structure(fdt, static_cast<uint32_t>(b.size()), PhysAddr(0)).ok(), valid);
    if (!valid) continue;
    ++n;
    ref::g_parents = {};
    of::Region mem2[64];
    of::Reservation res2[64];
    of::ScanWithRoom<64, 64> s;
    const of::Region* mem = s.memory_room;
    const of::Reservation* res = s.reserved_room;
    EXPECT_TRUE(of::scan(fdt, &s).ok());
    EXPECT_TRUE(s.index_complete);
    int total = 0;
    ASSERT_EQ(of::memory_regions(fdt, mem2, 64, &total), s.memory_count);
    EXPECT_EQ(total, s.memory_total);
    for (int i = 0; i < s.memory_count; ++i) {
      EXPECT_EQ(mem[i].base, mem2[i].base);
      EXPECT_EQ(mem[i].size, mem2[i].size);
    }
    ASSERT_EQ(of::reservations(fdt, res2, 64, &total), s.reserved_count);
    EXPECT_EQ(total, s.reserved_total);
    for (int i = 0; i < s.reserved_count; ++i) {
      EXPECT_EQ(res[i].region.base, res2[i].region.base);
      EXPECT_EQ(res[i].name, res2[i].name);
      EXPECT_EQ(res[i].nomap, res2[i].nomap);
    }
    EXPECT_STREQ(s.model, of::machine_model(fdt));
    EXPECT_STREQ(s.bootargs, of::bootargs(fdt));
    EXPECT_EQ(s.timer_hz, ref::timer_hz(fdt));
    EXPECT_EQ(s.psci, ref::psci(fdt));
    EXPECT_EQ(s.chosen, fdt_path_offset(fdt, "/chosen") >= 0 ? fdt_path_offset(fdt, "/chosen") : -1);
    // Every PL011 in document order, its address as node_cpu_address translates it.
    int k = 0, usable = 0;
    for (int u = fdt_next_node(fdt, -1, nullptr); u >= 0; u = fdt_next_node(fdt, u, nullptr)) {
      if (fdt_node_check_compatible(fdt, u, "arm,pl011") != 0 &&
          fdt_node_check_compatible(fdt, u, "arm,sbsa-uart") != 0)
        continue;
      const ref::Answer a = ref::cpu_address(fdt, u, 0);
      if (k < s.nuarts) {
        EXPECT_EQ(s.uarts[k].node, u);
        EXPECT_EQ(s.uarts[k].ok, a.ok);
        if (a.ok) {
          EXPECT_EQ(s.uarts[k].base, a.a);
        }
        EXPECT_EQ(s.uarts[k].enabled, ref::enabled(fdt, u));
      }
      ++k;
      if (a.ok && ref::enabled(fdt, u) && usable < 2) {
        EXPECT_EQ(s.usable[usable++].node, u);
      }
    }
    EXPECT_EQ(s.nuarts, std::min(k, of::Scan::kMaxUarts));
    EXPECT_EQ(s.nusable, usable);
    int gpio = fdt_node_offset_by_compatible(fdt, -1, "brcm,bcm2711-gpio");
    if (gpio < 0) gpio = fdt_node_offset_by_compatible(fdt, -1, "brcm,bcm2835-gpio");
    EXPECT_EQ(s.gpio.node, gpio < 0 ? -1 : gpio);
    // stdout-path through the scan's index and aliases, and through a walk, and libfdt.
    const of::StdoutPath sp = of::stdout_path(fdt);
    if (sp.present) {
      const int len = static_cast<int>(strlen(sp.path));
      const int want = fdt_path_offset_namelen(fdt, sp.path, len);
      EXPECT_EQ(of::resolve_path(s, sp.path, len) < 0 ? -1 : of::resolve_path(s, sp.path, len), want < 0 ? -1 : want);
      EXPECT_EQ(sp.node < 0 ? -1 : sp.node, want < 0 ? -1 : want);
    }
  }
  pclose(list);
  EXPECT_GT(n, 500);
}

// The boot scans the tree before fdt_check_full() has seen it: on a tree whose header is fine and
// whose structure block is anything at all, every reader function must stay inside the blob and
// come back. (Under the host-asan preset a read past the blob fails the test.)
TEST(OfReader, CorruptStructureBlocksAreReadSafely) {
  for (const char* name : {"qemu-virt.dtb", "broadcom/bcm2711-rpi-4-b.dtb"}) {
    LOAD_DTB_OR_FAIL(dtb, name);
    const uint32_t off = fdt_off_dt_struct(dtb.data()), size = fdt_size_dt_struct(dtb.data());
    const uint32_t total = fdt_totalsize(dtb.data());
    uint32_t rng = 12345;
    auto next = [&] { return rng = rng * 1103515245u + 12345u; };
    int structurally_bad = 0;
    for (int round = 0; round < 400; ++round) {
      // An exact-size copy, so that a read past totalsize is a read past the allocation.
      std::vector<char> b(dtb.begin(), dtb.begin() + total);
      for (int flips = 1 + round % 4; flips > 0; --flips) {
        const uint32_t at = off + (next() >> 8) % size;
        const uint32_t what = next() >> 8;
        switch (what % 5) {
          case 0: b[at] = static_cast<char>(what >> 8); break;                               // any byte
          case 1: b[at & ~3u] = 0, b[(at & ~3u) + 3] = static_cast<char>(what % 10); break;  // a tag
          case 2: b[at] = 0; break;                                                          // an early NUL
          case 3: b[at] = static_cast<char>(0xff); break;  // a huge length or name offset
          default:                                         // the reservation map: a non-zero size where it ended
            b[fdt_off_mem_rsvmap(dtb.data()) + 8 + (what >> 8) % 24] = static_cast<char>((what >> 16) | 1);
            break;
        }
      }
      const void* fdt = b.data();
      ASSERT_EQ(fdt_check_header(fdt), 0);
      const bool bad = fdt_check_full(fdt, b.size()) != 0;
      structurally_bad += bad;
      // The boot's check takes and refuses exactly what libfdt's does.
      of::fdt::View v;
      ASSERT_TRUE(v.init(fdt));
      EXPECT_EQ(of::fdt::structure_ok(v), !bad) << name << " round " << round;
      EXPECT_EQ(of::check_structure(fdt, total, PhysAddr(0)).ok(), !bad);
      of::ScanWithRoom<8, 8> s;
      (void)of::scan(fdt, &s);
      char text[320];
      for (const char* cmdline : {"", "earlycon=pl011,0x9000000", "earlycon=pl011,0xfe201000"}) {
        EarlyconChoice c = earlycon_select(s, cmdline);
        c.format_source(text, sizeof text);
        c.format_warning(text, sizeof text);
        c.format_error(text, sizeof text);
      }
      int total_out = 0;
      of::memory_regions(fdt, s.memory_room, 8, &total_out);
      of::SpinTableCpu st[8];
      of::spin_table_cpus(fdt, st, 8);
      for (int node = 0; node < static_cast<int>(size); node += 4 * (1 + next() % 64)) {
        (void)of::node_cpu_address(fdt, node, 0);
        (void)of::read_reg(fdt, node, 0);
        (void)of::parent_offset(fdt, node);
        (void)of::getprop(fdt, node, "reg");
      }
      char path[64];
      (void)of::get_path(fdt, static_cast<int>(next() % size) & ~3, path, sizeof path);
      (void)of::node_by_phandle(fdt, 1);
      (void)of::next_compatible(fdt, -1, "arm,pl011");
      (void)of::resolve_path(fdt, "serial0/x", 9);
    }
    EXPECT_GT(structurally_bad, 100) << name;
  }
}

// Hand-made structure blocks at the edges of fdt_check_full's rules (libfdt 1.6.1): the boot's own
// check (of::check_structure) must take and refuse each as libfdt does.
TEST(OfReader, StructureCheckFollowsLibfdtAtItsEdges) {
  auto be = [](std::vector<uint8_t>& o, uint32_t v) {
    for (int i = 3; i >= 0; --i) o.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto begin = [&](std::vector<uint8_t>& o, const std::string& name) {
    be(o, FDT_BEGIN_NODE);
    for (char c : name) o.push_back(static_cast<uint8_t>(c));
    do o.push_back(0);
    while (o.size() % 4);
  };
  auto prop = [&](std::vector<uint8_t>& o, uint32_t nameoff) { be(o, FDT_PROP), be(o, 4), be(o, nameoff), be(o, 1); };
  auto blob = [&](const std::vector<uint8_t>& st, uint32_t version) {
    const std::string strings("a\0", 2);
    std::vector<uint8_t> b;
    const uint32_t off_rsv = 40, off_st = off_rsv + 16, off_str = off_st + static_cast<uint32_t>(st.size());
    for (uint32_t v :
         {0xd00dfeedu, off_str + 2, off_st, off_str, off_rsv, version, 16u, 0u, 2u, static_cast<uint32_t>(st.size())})
      be(b, v);
    b.resize(b.size() + 16);  // the reservation map: one terminating entry
    b.insert(b.end(), st.begin(), st.end());
    b.insert(b.end(), strings.begin(), strings.end());
    return b;
  };
  const uint32_t E = FDT_END_NODE, N = FDT_NOP, END = FDT_END;
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> make;
  };
  const Case cases[] = {
      {"one root", [&](auto& o) { begin(o, ""), prop(o, 0), be(o, E), be(o, END); }},
      {"a NOP after the root", [&](auto& o) { begin(o, ""), be(o, E), be(o, N), be(o, END); }},
      {"a property after the root", [&](auto& o) { begin(o, ""), be(o, E), prop(o, 0), be(o, END); }},
      {"two roots", [&](auto& o) { begin(o, ""), be(o, E), begin(o, ""), be(o, E), be(o, END); }},
      {"a named root", [&](auto& o) { begin(o, "x"), be(o, E), be(o, END); }},
      {"a root named /", [&](auto& o) { begin(o, "/"), be(o, E), be(o, END); }},
      {"a NOP before the root", [&](auto& o) { be(o, N), begin(o, ""), be(o, E), be(o, END); }},
      {"a property before the root", [&](auto& o) { prop(o, 0), begin(o, ""), be(o, E), be(o, END); }},
      {"a property after a child",
       [&](auto& o) { begin(o, ""), begin(o, "c"), be(o, E), prop(o, 0), be(o, E), be(o, END); }},
      {"anything after FDT_END", [&](auto& o) { begin(o, ""), be(o, E), be(o, END), be(o, 7); }},
      {"no node at all", [&](auto& o) { be(o, END); }},
      {"an unclosed root", [&](auto& o) { begin(o, ""), be(o, END); }},
      {"one END_NODE too many", [&](auto& o) { begin(o, ""), be(o, E), be(o, E), be(o, END); }},
      {"an unknown tag", [&](auto& o) { begin(o, ""), be(o, 5), be(o, E), be(o, END); }},
      {"a name past the strings", [&](auto& o) { begin(o, ""), prop(o, 2), be(o, E), be(o, END); }},
      {"a name not ending in them", [&](auto& o) { begin(o, ""), prop(o, 1), be(o, E), be(o, END); }},
      {"no FDT_END", [&](auto& o) { begin(o, ""), be(o, E); }},
  };
  for (const Case& c : cases) {
    for (uint32_t version : {16u, 17u}) {
      std::vector<uint8_t> st;
      c.make(st);
      std::vector<uint8_t> b = blob(st, version);
      ASSERT_EQ(fdt_check_header(b.data()), 0) << c.what;
      EXPECT_EQ(of::check_structure(b.data(), static_cast<uint32_t>(b.size()), PhysAddr(0)).ok(),
                fdt_check_full(b.data(), b.size()) == 0)
          << c.what << ", version " << version << ": libfdt says " << fdt_strerror(fdt_check_full(b.data(), b.size()));
      of::Scan s;  // and the scan comes back from each
      (void)of::scan(b.data(), &s);
    }
  }
}
}  // namespace
}  // namespace kernel::test
