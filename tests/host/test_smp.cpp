// SMP on the host: the device tree's /cpus (real DTBs: QEMU virt, Raspberry Pi, Juno, X-Gene, Layerscape;
// and synthetic trees for what no real one has), the MPIDR -> logical CPU map with its command-line
// limits, the layout head.S and entry.S read, and printk's CPU prefix and log lock.
#include <gtest/gtest.h>
#include <libfdt.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "asm/memory.h"
#include "asm/smp.h"
#include "drivers/of.h"
#include "drivers/of_cpus.h"
#include "dtb_files.h"
#include "fixmap_fixture.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "log_matchers.h"

namespace kernel::test {
namespace {

struct Cpus {
  std::vector<of::DtCpu> cpus;
  int total = 0;
  Errc code = Errc::Ok;
};

Cpus read_all(const std::vector<char>& dtb) {
  Cpus r;
  r.cpus.resize(64);
  Result<int> n = of::read_cpus(dtb.data(), r.cpus.data(), 64, &r.total);
  r.code = n.code();
  r.cpus.resize(n ? static_cast<size_t>(n.value()) : 0);
  return r;
}

// ---- real device trees ---------------------------------------------------------------------------

struct PiCase {
  const char* dtb;
};
class OfCpusRaspberryPi : public ::testing::TestWithParam<PiCase> {};

TEST_P(OfCpusRaspberryPi, SpinTableCpusWithReleaseAddrs) {
  LOAD_DTB_OR_FAIL(dtb, GetParam().dtb);
  const Cpus c = read_all(dtb);
  ASSERT_EQ(c.code, Errc::Ok);
  ASSERT_EQ(c.cpus.size(), 4u);  // l2-cache0 under /cpus is not a CPU
  EXPECT_EQ(c.total, 4);
  const uint64_t release[] = {0xd8, 0xe0, 0xe8, 0xf0};
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_EQ(c.cpus[i].hwid, i) << c.cpus[i].name;  // #address-cells = 1
    EXPECT_EQ(c.cpus[i].method, of::CpuEnableMethod::SpinTable);
    EXPECT_TRUE(c.cpus[i].has_release_addr);
    EXPECT_EQ(c.cpus[i].release_addr, release[i]);
    EXPECT_STREQ(of::cpu_enable_method_name(c.cpus[i]), "spin-table");
  }
}

INSTANTIATE_TEST_SUITE_P(Debian, OfCpusRaspberryPi,
                         ::testing::Values(PiCase{"broadcom/bcm2837-rpi-3-b.dtb"},
                                           PiCase{"broadcom/bcm2711-rpi-4-b.dtb"}),
                         ::kernel::test::DtbParamName());

TEST(OfCpusQemuVirt, PsciCpusOneCellRegCpuMapIgnored) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt-smp4.dtb");
  const Cpus c = read_all(dtb);
  ASSERT_EQ(c.code, Errc::Ok);
  ASSERT_EQ(c.cpus.size(), 4u);  // cpu-map is not a CPU
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_EQ(c.cpus[i].hwid, i);
    EXPECT_EQ(c.cpus[i].method, of::CpuEnableMethod::Psci);
    EXPECT_FALSE(c.cpus[i].has_release_addr);
  }
}

TEST(OfCpusQemuVirt, EightCpusWithEl2) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt-el2-smp8.dtb");
  const Cpus c = read_all(dtb);
  ASSERT_EQ(c.cpus.size(), 8u);
  for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(c.cpus[i].hwid, i);
  EXPECT_EQ(of::psci_conduit(dtb.data()), of::PsciConduit::Smc);
}

TEST(OfCpusJuno, TwoCellRegCarriesAff1) {
  LOAD_DTB_OR_FAIL(dtb, "arm/juno.dtb");
  const Cpus c = read_all(dtb);
  ASSERT_EQ(c.code, Errc::Ok);
  const uint64_t want[] = {0x0, 0x1, 0x100, 0x101, 0x102, 0x103};  // two A57s, four A53s
  ASSERT_EQ(c.cpus.size(), 6u);
  for (unsigned i = 0; i < 6; ++i) {
    EXPECT_EQ(c.cpus[i].hwid, want[i]) << c.cpus[i].name;
    EXPECT_EQ(c.cpus[i].method, of::CpuEnableMethod::Psci);
  }
}

TEST(OfCpusXGene, EightSpinTableCpusShareOneReleaseAddress) {
  // APM X-Gene: #address-cells = 2, and every CPU polls the same cpu-release-addr; the kernel's
  // holding pen lets them out one at a time (head.S secondary_holding_pen).
  LOAD_DTB_OR_FAIL(dtb, "apm/apm-mustang.dtb");
  const Cpus c = read_all(dtb);
  ASSERT_EQ(c.cpus.size(), 8u);
  const uint64_t want[] = {0x0, 0x1, 0x100, 0x101, 0x200, 0x201, 0x300, 0x301};
  for (unsigned i = 0; i < 8; ++i) {
    EXPECT_EQ(c.cpus[i].hwid, want[i]);
    EXPECT_EQ(c.cpus[i].method, of::CpuEnableMethod::SpinTable);
    EXPECT_EQ(c.cpus[i].release_addr, 0x10000fff8u);
  }
}

TEST(OfCpusLayerscape, CpusWithoutEnableMethod) {
  // U-Boot adds the enable-method at boot; the tree as shipped has none.
  LOAD_DTB_OR_FAIL(dtb, "freescale/fsl-ls1046a-rdb.dtb");
  const Cpus c = read_all(dtb);
  ASSERT_EQ(c.cpus.size(), 4u);
  for (const of::DtCpu& cpu : c.cpus) {
    EXPECT_EQ(cpu.method, of::CpuEnableMethod::Missing);
    EXPECT_STREQ(of::cpu_enable_method_name(cpu), "none");
  }
}

// ---- synthetic trees -----------------------------------------------------------------------------

struct SynthCpu {
  const char* name;
  std::vector<uint32_t> reg;
  const char* method;             // nullptr: none
  std::vector<uint32_t> release;  // cells of cpu-release-addr, empty: none
  const char* device_type = "cpu";
};

std::vector<char> make_cpus_tree(int address_cells, int size_cells, const std::vector<SynthCpu>& cpus,
                                 bool with_psci = true) {
  std::vector<char> b(16384);
  void* f = b.data();
  fdt_create(f, static_cast<int>(b.size()));
  fdt_finish_reservemap(f);
  fdt_begin_node(f, "");
  fdt_property_u32(f, "#address-cells", 2);
  fdt_property_u32(f, "#size-cells", 2);
  if (with_psci) {
    fdt_begin_node(f, "psci");
    fdt_property_string(f, "compatible", "arm,psci-1.0");
    fdt_property_string(f, "method", "hvc");
    fdt_end_node(f);
  }
  fdt_begin_node(f, "cpus");
  fdt_property_u32(f, "#address-cells", static_cast<uint32_t>(address_cells));
  fdt_property_u32(f, "#size-cells", static_cast<uint32_t>(size_cells));
  for (const SynthCpu& c : cpus) {
    fdt_begin_node(f, c.name);
    fdt_property_string(f, "device_type", c.device_type);
    std::vector<fdt32_t> reg;
    for (uint32_t v : c.reg) reg.push_back(cpu_to_fdt32(v));
    if (!reg.empty()) fdt_property(f, "reg", reg.data(), static_cast<int>(reg.size() * 4));
    if (c.method) fdt_property_string(f, "enable-method", c.method);
    std::vector<fdt32_t> rel;
    for (uint32_t v : c.release) rel.push_back(cpu_to_fdt32(v));
    if (!rel.empty()) fdt_property(f, "cpu-release-addr", rel.data(), static_cast<int>(rel.size() * 4));
    fdt_end_node(f);
  }
  fdt_end_node(f);
  fdt_end_node(f);
  fdt_finish(f);
  return b;
}

TEST(OfCpusSynthetic, Aff3IsTheFirstCellWithTwoAddressCells) {
  auto t = make_cpus_tree(2, 0, {{"cpu@0", {0, 0}, "psci", {}}, {"cpu@100000000", {1, 0}, "psci", {}}});
  const Cpus c = read_all(t);
  ASSERT_EQ(c.cpus.size(), 2u);
  EXPECT_EQ(c.cpus[1].hwid, 0x100000000u);  // Aff3 = 1 at MPIDR_EL1[39:32]
}

TEST(OfCpusSynthetic, BadRegIsReportedAndTheCpuLeftOut) {
  auto t = make_cpus_tree(2, 0,
                          {{"cpu@0", {0, 0}, "psci", {}},
                           {"cpu@1", {0x100, 0x1}, "psci", {}},  // bits above Aff3
                           {"cpu@2", {0x2}, "psci", {}},         // one cell where two are asked for
                           {"cpu@3", {}, "psci", {}},            // no reg at all
                           {"cpu@4", {0, 4}, "psci", {}}});
  std::vector<of::DtCpu> out(8);
  int total = 0;
  std::vector<std::string> bad;
  Result<int> n = of::read_cpus(
      t.data(), out.data(), 8, &total,
      [](void* ctx, const char* name, const Error& why) {
        static_cast<std::vector<std::string>*>(ctx)->push_back(std::string(name) + ": " + error_text(why));
      },
      &bad);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value(), 2);
  EXPECT_EQ(total, 2);
  ASSERT_EQ(bad.size(), 3u);
  EXPECT_EQ(bad[0], "cpu@1: \"reg\" 0x10000000001 has bits outside the MPIDR affinity fields (mask 0xff00ffffff)");
  EXPECT_EQ(bad[1], "cpu@2: \"reg\" is 4 bytes; /cpus #address-cells = 2 asks for 8");
  EXPECT_EQ(bad[2], "cpu@3: no \"reg\" (its MPIDR affinity value)");
}

TEST(OfCpusSynthetic, CellSizesOutsideTheBindingAreAnError) {
  auto three = make_cpus_tree(3, 0, {{"cpu@0", {0, 0, 0}, "psci", {}}});
  std::vector<of::DtCpu> out(4);
  int total = 0;
  Result<int> r = of::read_cpus(three.data(), out.data(), 4, &total);
  EXPECT_EQ(r, Errc::Invalid);
  EXPECT_EQ(error_text(r.error()), "/cpus has #address-cells = 3, #size-cells = 0; the binding asks for 1 or 2, and 0");
  auto sized = make_cpus_tree(1, 1, {{"cpu@0", {0, 0}, "psci", {}}});
  EXPECT_EQ(of::read_cpus(sized.data(), out.data(), 4, &total), Errc::Invalid);
}

TEST(OfCpusSynthetic, ReleaseAddressInOneOrTwoCellsAndNodesThatAreNotCpus) {
  auto t = make_cpus_tree(1, 0,
                          {{"cpu@0", {0}, "spin-table", {0x1, 0x0}},
                           {"cpu@1", {1}, "spin-table", {0xe0}},
                           {"cpu@2", {2}, "spin-table", {}},
                           {"l2-cache", {}, nullptr, {}, "cache"}});
  const Cpus c = read_all(t);
  ASSERT_EQ(c.cpus.size(), 3u);
  EXPECT_EQ(c.cpus[0].release_addr, 0x100000000u);
  EXPECT_EQ(c.cpus[1].release_addr, 0xe0u);
  EXPECT_FALSE(c.cpus[2].has_release_addr);
}

TEST(OfCpusSynthetic, NoCpusNode) {
  std::vector<char> b(4096);
  fdt_create(b.data(), 4096);
  fdt_finish_reservemap(b.data());
  fdt_begin_node(b.data(), "");
  fdt_end_node(b.data());
  fdt_finish(b.data());
  EXPECT_EQ(read_all(b).code, Errc::NotFound);
}

// ---- MPIDR -> logical CPU ------------------------------------------------------------------------

class SmpMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_buffer_reset();
    smp_reset_cpu_map();
  }
  void TearDown() override { smp_reset_cpu_map(); }
  static SmpOptions psci() {
    SmpOptions o;
    o.psci = true;
    return o;
  }
};

TEST_F(SmpMapTest, TheBootCpuIsCpu0AndTheOthersFollowInTreeOrder) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt-smp4.dtb");
  ASSERT_EQ(smp_setup_cpu_map(dtb.data(), 2, psci()), 4u);  // booted on MPIDR 2 (the loader's choice)
  EXPECT_EQ(cpu_logical_map(0), 2u);
  EXPECT_EQ(cpu_logical_map(1), 0u);
  EXPECT_EQ(cpu_logical_map(2), 1u);
  EXPECT_EQ(cpu_logical_map(3), 3u);
  EXPECT_EQ(num_possible_cpus(), 4u);
  EXPECT_EQ(num_online_cpus(), 1u);  // the boot CPU; the rest is bring-up's business
  EXPECT_TRUE(cpu_online(0));
  EXPECT_FALSE(cpu_online(1));
  EXPECT_EQ(cpu_state(0), CpuState::Online);
  EXPECT_EQ(cpu_state(1), CpuState::Offline);
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_EQ(per_cpu(i).cpu, i);
    EXPECT_EQ(per_cpu(i).method, EnableMethod::Psci);
  }
  EXPECT_STREQ(per_cpu(0).dt_name, "cpu@2");
  EXPECT_STREQ(per_cpu(1).dt_name, "cpu@0");
  EXPECT_EQ(smp_processor_id(), 0u);  // the host stub: CPU 0
}

TEST_F(SmpMapTest, SpinTableCpusKeepTheirReleaseAddresses) {
  LOAD_DTB_OR_FAIL(dtb, "broadcom/bcm2711-rpi-4-b.dtb");
  ASSERT_EQ(smp_setup_cpu_map(dtb.data(), 0, SmpOptions{}), 4u);  // no PSCI on a Pi
  EXPECT_EQ(per_cpu(3).method, EnableMethod::SpinTable);
  EXPECT_EQ(per_cpu(3).release_addr, 0xf0u);
  EXPECT_EQ(per_cpu(1).release_addr, 0xe0u);
}

TEST_F(SmpMapTest, MoreCpusThanNrCpusAreIgnoredWithOneLine) {
  LOAD_DTB_OR_FAIL(dtb, "freescale/fsl-lx2160a-rdb.dtb");  // 16 Cortex-A72
  ASSERT_EQ(smp_setup_cpu_map(dtb.data(), 0, psci()), static_cast<unsigned>(NR_CPUS));
  EXPECT_EQ(cpu_logical_map(7), 0x301u);
  EXPECT_THAT(kernel_log(),
              HasLogLine("smp: the device tree lists 16 CPUs; NR_CPUS is 8: cpu@400 and the 7 after it are ignored\n"));
}

TEST_F(SmpMapTest, CpusWithoutAnEnableMethodAreSkippedOneLineEach) {
  LOAD_DTB_OR_FAIL(dtb, "freescale/fsl-ls1046a-rdb.dtb");
  EXPECT_EQ(smp_setup_cpu_map(dtb.data(), 0, psci()), 1u);  // the boot CPU needs none
  const std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine("smp: cpu@1 (MPIDR 0x0000000001): no enable-method in the device tree; skipped\n"));
  EXPECT_THAT(log, HasLogLine("smp: cpu@3 (MPIDR 0x0000000003): no enable-method in the device tree; skipped\n"));
  EXPECT_THAT(log, Not(HasLogLine("cpu@0 (")));
}

TEST_F(SmpMapTest, AfterAnEl3EntryEveryCpuUsesTheKernelsPen) {
  LOAD_DTB_OR_FAIL(dtb, "freescale/fsl-ls1046a-rdb.dtb");
  SmpOptions o;
  o.el3_pen = true;
  EXPECT_EQ(smp_setup_cpu_map(dtb.data(), 0, o), 4u);
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(per_cpu(i).method, EnableMethod::El3Pen);
  EXPECT_STREQ(enable_method_name(EnableMethod::El3Pen), "el3-pen");
}

TEST_F(SmpMapTest, PsciCpusNeedAPsciNode) {
  LOAD_DTB_OR_FAIL(dtb, "arm/juno.dtb");
  EXPECT_EQ(smp_setup_cpu_map(dtb.data(), 0x100, SmpOptions{}), 1u);
  EXPECT_THAT(kernel_log(), HasLogLine("smp: cpu@0 (MPIDR 0x0000000000): enable-method psci, but no /psci node with a "
                                       "method (hvc, smc); skipped\n"));
}

TEST_F(SmpMapTest, ABootCpuMissingFromTheTreeStartsNothing) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt-smp4.dtb");
  EXPECT_EQ(smp_setup_cpu_map(dtb.data(), 0x100, psci()), 1u);
  EXPECT_EQ(cpu_logical_map(0), 0x100u);
  EXPECT_THAT(kernel_log(),
              HasLogLine("smp: the boot CPU (MPIDR 0x0000000100) is not in /cpus: no other CPU is started\n"));
}

TEST_F(SmpMapTest, UnsupportedDuplicateAndIncompleteCpusAreReported) {
  auto t = make_cpus_tree(1, 0,
                          {{"cpu@0", {0}, "psci", {}},
                           {"cpu@1", {1}, "brcm,bcm2836-smp", {}},
                           {"cpu@2", {2}, "spin-table", {}},
                           {"cpu@3", {3}, "spin-table", {0, 0xe4}},
                           {"cpu@4", {0}, "psci", {}},
                           {"cpu@5", {5}, "psci", {}}});
  EXPECT_EQ(smp_setup_cpu_map(t.data(), 0, psci()), 2u);
  EXPECT_EQ(cpu_logical_map(1), 5u);
  const std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine("smp: cpu@1 (MPIDR 0x0000000001): enable-method \"brcm,bcm2836-smp\" is not supported "
                              "(psci, spin-table); skipped\n"));
  EXPECT_THAT(log, HasLogLine("smp: cpu@2 (MPIDR 0x0000000002): enable-method spin-table without a 64-bit "
                              "cpu-release-addr; skipped\n"));
  EXPECT_THAT(log,
              HasLogLine("smp: cpu@3 (MPIDR 0x0000000003): cpu-release-addr 0xe4 is not 8-byte aligned; skipped\n"));
  EXPECT_THAT(log, HasLogLine("smp: cpu@4: MPIDR 0x0000000000 is listed twice in /cpus; skipped\n"));
}

TEST_F(SmpMapTest, NoUsableCpusNode) {
  auto t = make_cpus_tree(3, 0, {{"cpu@0", {0, 0, 0}, "psci", {}}});
  EXPECT_EQ(smp_setup_cpu_map(t.data(), 0, psci()), 1u);
  EXPECT_THAT(kernel_log(), HasLogLine("smp: /cpus has #address-cells = 3, #size-cells = 0; the binding asks for 1 or "
                                       "2, and 0: only the boot CPU runs\n"));
}

TEST_F(SmpMapTest, OnlineMaskAndIteration) {
  LOAD_DTB_OR_FAIL(dtb, "qemu-virt-el2-smp8.dtb");
  ASSERT_EQ(smp_setup_cpu_map(dtb.data(), 0, psci()), 8u);
  set_cpu_online(3, true);
  set_cpu_online(6, true);
  std::vector<unsigned> seen;
  unsigned cpu;
  for_each_online_cpu(cpu) seen.push_back(cpu);
  EXPECT_EQ(seen, (std::vector<unsigned>{0, 3, 6}));
  EXPECT_EQ(num_online_cpus(), 3u);
  EXPECT_TRUE(cpu_state_transition(5, CpuState::Offline, CpuState::Booting));
  EXPECT_FALSE(cpu_state_transition(5, CpuState::Offline, CpuState::Online));  // it is Booting now
  EXPECT_STREQ(cpu_state_name(cpu_state(5)), "booting");
  EXPECT_FALSE(cpu_online(NR_CPUS));
  EXPECT_EQ(cpu_logical_map(NR_CPUS), ~uint64_t{0});
}

// ---- command line --------------------------------------------------------------------------------

class SmpCmdlineTest : public ::testing::Test {
 protected:
  void SetUp() override { log_buffer_reset(); }
  SmpOptions parse(const char* cmdline) {
    SmpOptions o;
    smp_parse_cmdline(cmdline, &o);
    return o;
  }
};

TEST_F(SmpCmdlineTest, MaxcpusNosmpAndTheStuckCpuKnob) {
  EXPECT_EQ(parse("").maxcpus, static_cast<unsigned>(NR_CPUS));
  EXPECT_EQ(parse("maxcpus=2").maxcpus, 2u);
  EXPECT_FALSE(parse("maxcpus=2").nosmp);
  EXPECT_TRUE(parse("maxcpus=0").nosmp);
  EXPECT_STREQ(parse("maxcpus=0").nosmp_by, "maxcpus=0");
  EXPECT_TRUE(parse("nosmp").nosmp);
  EXPECT_STREQ(parse("nosmp maxcpus=0").nosmp_by, "nosmp");
  EXPECT_EQ(parse("maxcpus=3 maxcpus=5").maxcpus, 5u);  // the last one wins, as in Linux
  EXPECT_EQ(parse("smp_test_stuck=3").stuck_cpu, 3);
  EXPECT_EQ(parse("").stuck_cpu, -1);
  EXPECT_EQ(kernel_log(), "");
}

TEST_F(SmpCmdlineTest, BadValuesAreExplainedAndIgnored) {
  EXPECT_EQ(parse("maxcpus=two").maxcpus, static_cast<unsigned>(NR_CPUS));
  EXPECT_EQ(parse("maxcpus").maxcpus, static_cast<unsigned>(NR_CPUS));
  EXPECT_EQ(parse("smp_test_stuck=0").stuck_cpu, -1);
  EXPECT_EQ(parse("smp_test_stuck=8").stuck_cpu, -1);
  EXPECT_TRUE(parse("nosmp=1").nosmp);
  const std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine("smp: maxcpus=two: not a number (expected maxcpus=N, N >= 0); ignored\n"));
  EXPECT_THAT(log, HasLogLine("smp: maxcpus=: not a number (expected maxcpus=N, N >= 0); ignored\n"));
  EXPECT_THAT(log, HasLogLine("smp: smp_test_stuck=0: expected a secondary CPU's logical number, 1..7; ignored\n"));
  EXPECT_THAT(log, HasLogLine("smp: smp_test_stuck=8: expected a secondary CPU's logical number, 1..7; ignored\n"));
  EXPECT_THAT(log, HasLogLine("smp: nosmp takes no value (\"nosmp=1\"); taken as nosmp\n"));
}

// ---- what the assembly reads ---------------------------------------------------------------------

TEST(SmpLayout, BootDataAndPerCpuOffsetsAreWhatHeadSAndEntrySRead) {
  EXPECT_EQ(offsetof(SecondaryBootData, ttbr1), 0u);
  EXPECT_EQ(offsetof(SecondaryBootData, tcr), 8u);
  EXPECT_EQ(offsetof(SecondaryBootData, mair), 16u);
  EXPECT_EQ(offsetof(SecondaryBootData, nr_cpus), 24u);
  EXPECT_EQ(offsetof(SecondaryBootData, mpidr), 32u);
  EXPECT_EQ(offsetof(SecondaryBootData, stack_top), 32u + 8 * NR_CPUS);
  EXPECT_EQ(offsetof(SecondaryBootData, percpu), 32u + 16 * NR_CPUS);
  EXPECT_EQ(sizeof(SecondaryBootData), static_cast<size_t>(BOOT_DATA_SIZE));
  EXPECT_EQ(offsetof(PerCpu, overflow_stack_top), static_cast<size_t>(PERCPU_OVERFLOW_STACK_TOP));
  EXPECT_EQ(alignof(PerCpu), 64u);  // no two CPUs' areas share a cache line
  EXPECT_EQ(sizeof(PerCpu) % 64, 0u);
  EXPECT_EQ(kPenReleaseNone & MPIDR_HWID_MASK, static_cast<uint64_t>(MPIDR_HWID_MASK));
  EXPECT_NE(kPenReleaseNone & ~uint64_t{MPIDR_HWID_MASK}, 0u);  // never a CPU's affinity value
}

TEST(SmpLayout, EveryStackSlotKeepsTheBit15OverflowTest) {
  // entry.S: an exception taken with bit kStackAlignShift - 1 of SP set (bit 15; bit 16 at 64K,
  // where the guard page alone is 64 KiB) is a stack overflow. For every CPU's slot: clear
  // anywhere inside the stack and the overflow stack, set anywhere in the guard page.
  EXPECT_EQ(kStackAlignShift, PAGE_SHIFT == 16 ? 17u : 16u);
  const uint64_t bit = uint64_t{1} << (kStackAlignShift - 1);
  for (unsigned cpu = 1; cpu < NR_CPUS; ++cpu) {
    const uint64_t slot = KSTACKS_START + cpu * kStackSlotSize;
    const uint64_t base = slot + kStackOffset, top = base + kStackSize;
    ASSERT_LE(slot + kStackSlotSize, KSTACKS_END);
    for (uint64_t sp = base; sp < top; sp += 16) ASSERT_EQ(sp & bit, 0u) << std::hex << sp;
    for (uint64_t sp = base - PAGE_SIZE; sp < base; sp += 16) ASSERT_NE(sp & bit, 0u) << std::hex << sp;
    for (uint64_t sp = slot + kOverflowStackOffset; sp < slot + kOverflowStackSize; sp += 16) ASSERT_EQ(sp & bit, 0u);
    EXPECT_LE(slot + kOverflowStackOffset + kOverflowStackSize, base - PAGE_SIZE);  // the guard stays unmapped
  }
  EXPECT_GE(KSTACKS_START, VMALLOC_END);  // clear of ioremap
  EXPECT_LE(KSTACKS_END, FIXADDR_TOP);
}

// ---- printk on several CPUs ----------------------------------------------------------------------

thread_local unsigned t_cpu = 0;
unsigned fake_cpu() { return t_cpu; }

class PrintkSmpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_buffer_reset();
    printk_set_cpu_id(fake_cpu);
  }
  void TearDown() override {
    printk_show_cpu(false);
    printk_set_cpu_id(nullptr);
    printk_set_clock(nullptr);
    console_unregister();
    t_cpu = 0;
  }
};

TEST_F(PrintkSmpTest, LinesNameTheirCpuOnlyOnceAskedTo) {
  t_cpu = 2;
  pr_info("before\n");
  printk_show_cpu(true);
  pr_info("CPU2: Booted secondary processor 0x%010lx [0x%08x]\n", 2ul, 0x410fd083u);
  EXPECT_EQ(kernel_log(),
            "[    0.000000] before\n"
            "[    0.000000][    C2] CPU2: Booted secondary processor 0x0000000002 [0x410fd083]\n");
}

TEST_F(PrintkSmpTest, ALineLeftOpenByAnotherCpuIsClosedFirst) {
  printk_show_cpu(true);
  t_cpu = 1;
  pr_info("half a line from CPU1 ... ");
  t_cpu = 3;
  pr_info("CPU3 speaks\n");
  t_cpu = 1;
  printk("the rest\n");
  EXPECT_EQ(kernel_log(),
            "[    0.000000][    C1] half a line from CPU1 ... \n"
            "[    0.000000][    C3] CPU3 speaks\n"
            "[    0.000000][    C1] the rest\n");
}

TEST_F(PrintkSmpTest, ConcurrentCpusNeverInterleaveInsideALine) {
  printk_show_cpu(true);
  constexpr int kLines = 200;
  std::vector<std::thread> cpus;
  for (unsigned c = 0; c < 4; ++c)
    cpus.emplace_back([c] {
      t_cpu = c;
      for (int i = 0; i < kLines; ++i) pr_info("cpu %u line %03d: %s\n", c, i, "0123456789abcdefghijklmnopqrstuvwxyz");
    });
  for (auto& t : cpus) t.join();
  const std::string log = kernel_log();
  size_t lines = 0;
  for (size_t pos = 0; pos < log.size();) {
    const size_t end = log.find('\n', pos);
    ASSERT_NE(end, std::string::npos);
    const std::string line = log.substr(pos, end - pos);
    const unsigned c = static_cast<unsigned>(line[20] - '0');
    ASSERT_EQ(line.substr(0, 16), "[    0.000000][ ") << line;
    ASSERT_EQ(line.substr(14, 9), "[    C" + std::to_string(c) + "] ") << line;
    ASSERT_EQ(line.substr(23, 6), "cpu " + std::to_string(c) + " ") << line;
    ASSERT_EQ(line.size(), 23u + strlen("cpu 0 line 000: ") + 36) << line;
    pos = end + 1;
    ++lines;
  }
  EXPECT_EQ(lines, 4u * kLines);
}

// A fault inside printk on one CPU reports itself through printk on that CPU: the log lock is the
// CPU's own already, so the report goes out instead of deadlocking.
std::atomic<int> g_nested{0};
void console_that_faults_once(const char* s, size_t n) {
  (void)s;
  (void)n;
  if (g_nested.fetch_add(1) == 0) pr_emerg("Unexpected exception inside the console\n");
}

TEST_F(PrintkSmpTest, APrintkFromInsidePrintkOnTheSameCpuDoesNotDeadlock) {
  g_nested = 0;
  console_register("faulty", console_that_faults_once);
  pr_info("a line\n");
  console_unregister();
  const std::string log = kernel_log();
  EXPECT_THAT(log, HasLogLine("Unexpected exception inside the console\n"));
  EXPECT_THAT(log, HasLogLine("a line\n"));
}

// A CPU that stops while holding the lock (here: stuck inside its console write) loses it after a
// second; the waiter says so once and prints.
std::atomic<bool> g_release{false}, g_holding{false};
std::atomic<uint64_t> g_fake_ns{0};
uint64_t fast_clock() { return g_fake_ns.fetch_add(50'000'000); }  // every reading 50 ms later
void console_that_hangs_on_cpu1(const char*, size_t) {
  if (t_cpu != 1) return;
  g_holding = true;
  while (!g_release) std::this_thread::yield();
}

TEST_F(PrintkSmpTest, ALockHeldByAStuckCpuIsTakenOverAfterASecond) {
  g_release = false;
  g_holding = false;
  printk_set_clock(fast_clock);
  console_register("hangs", console_that_hangs_on_cpu1);
  std::thread stuck([] {
    t_cpu = 1;
    pr_info("CPU1 stops here\n");
  });
  while (!g_holding) std::this_thread::yield();
  t_cpu = 2;
  pr_info("CPU2 goes on\n");
  const std::string log = kernel_log();
  g_release = true;
  stuck.join();
  console_unregister();
  EXPECT_THAT(log, HasLogLine("printk: the log lock was held for over 1 s by CPU1 (stopped inside printk?); printing "
                              "without it\n"));
  EXPECT_THAT(log, HasLogLine("CPU2 goes on\n"));
}

}  // namespace
}  // namespace kernel::test
