// Device-tree discovery on QEMU's virt DTB, the real Raspberry Pi DTBs from Debian's arm64 kernel
// package, and small synthetic trees for the corner cases of "ranges" translation.
#include <gtest/gtest.h>
#include <libfdt.h>

#include <ostream>
#include <string>
#include <vector>

#include "drivers/earlycon.h"
#include "drivers/of.h"
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

TEST_P(OfRaspberryPi, FindsThePl011BehindTheMiniUartStdoutPath) {
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

}  // namespace
}  // namespace kernel::test
