#include "drivers/bcm2835_gpio.h"

namespace kernel::bcm2835 {

void route_uart0_to_gpio14_15(volatile uint32_t* g, bool is2711, DelayUs delay_us) {
  uint32_t sel = g[GPFSEL1 / 4];
  sel &= ~((7u << 12) | (7u << 15));
  sel |= (kAlt0 << 12) | (kAlt0 << 15);
  g[GPFSEL1 / 4] = sel;
  if (is2711) {
    // 2 bits per pin: 0 none, 1 pull-up, 2 pull-down (BCM2711 peripherals 5.2).
    uint32_t pulls = g[GPIO_PUP_PDN_CNTRL_REG0 / 4];
    pulls &= ~((3u << 28) | (3u << 30));
    pulls |= 1u << 30;
    g[GPIO_PUP_PDN_CNTRL_REG0 / 4] = pulls;
    return;
  }
  // BCM2835 peripherals 6.1: control value, set-up time, clock the pin, hold time, release.
  g[GPPUD / 4] = 2;  // pull-up
  delay_us(kPullSetupUs);
  g[GPPUDCLK0 / 4] = 1u << 15;
  delay_us(kPullSetupUs);
  g[GPPUD / 4] = 0;
  g[GPPUDCLK0 / 4] = 0;
}

}  // namespace kernel::bcm2835
