// The Raspberry Pi's GPIO14/15 routing for the PL011, on a GPIO block made of host memory. The
// delay callback sees the registers as they are at each wait, so the test checks the order of
// the BCM2835 pull sequence and that each wait is a real delay (>= 1 us), not a count of nops.
#include <gtest/gtest.h>

#include <vector>

#include "drivers/bcm2835_gpio.h"

namespace kernel::test {
namespace {

using namespace kernel::bcm2835;

volatile uint32_t g_gpio[0x100 / 4];
struct Wait {
  uint64_t us;
  uint32_t gppud, gppudclk0;
};
std::vector<Wait> g_waits;
void record_delay(uint64_t us) { g_waits.push_back({us, g_gpio[GPPUD / 4], g_gpio[GPPUDCLK0 / 4]}); }

void reset(uint32_t fsel1) {
  for (auto& r : g_gpio) r = 0;
  g_gpio[GPFSEL1 / 4] = fsel1;
  g_waits.clear();
}

TEST(Bcm2835Gpio, Bcm2835PullSequenceWaitsOnATimerBetweenEachStep) {
  reset(0x3f'ffff);  // other pins' functions must survive
  route_uart0_to_gpio14_15(g_gpio, false, record_delay);
  ASSERT_EQ(g_waits.size(), 2u);
  // 1: the control value is set, the clock not yet; 2: the clock is on pin 15 only.
  EXPECT_EQ(g_waits[0].gppud, 2u);
  EXPECT_EQ(g_waits[0].gppudclk0, 0u);
  EXPECT_EQ(g_waits[1].gppud, 2u);
  EXPECT_EQ(g_waits[1].gppudclk0, 1u << 15);
  for (const Wait& w : g_waits) EXPECT_GE(w.us, 1u) << "150 VPU cycles are 0.6 us at a 250 MHz core clock";
  // Released afterwards, and ALT0 on 14 and 15 with the other pins untouched.
  EXPECT_EQ(g_gpio[GPPUD / 4], 0u);
  EXPECT_EQ(g_gpio[GPPUDCLK0 / 4], 0u);
  EXPECT_EQ(g_gpio[GPFSEL1 / 4], (0x3f'ffffu & ~((7u << 12) | (7u << 15))) | (4u << 12) | (4u << 15));
}

TEST(Bcm2835Gpio, Bcm2711UsesItsPullRegisterAndNeedsNoDelay) {
  reset(0);
  g_gpio[GPIO_PUP_PDN_CNTRL_REG0 / 4] = 0xffff'ffff;
  route_uart0_to_gpio14_15(g_gpio, true, record_delay);
  EXPECT_TRUE(g_waits.empty());
  EXPECT_EQ(g_gpio[GPIO_PUP_PDN_CNTRL_REG0 / 4], 0x4fff'ffffu);  // GPIO14 none (00), GPIO15 up (01)
  EXPECT_EQ(g_gpio[GPPUD / 4], 0u);                              // the old registers are not touched
  EXPECT_EQ(g_gpio[GPFSEL1 / 4], (4u << 12) | (4u << 15));
}

}  // namespace
}  // namespace kernel::test
