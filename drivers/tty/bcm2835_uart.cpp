// Raspberry Pi (BCM2835/2836/2837/2711): route the PL011 (UART0) to GPIO14/15 and program it.
// The firmware gives GPIO14/15 to the mini UART by default; a bare-metal kernel that wants the
// PL011 on pins 8/10 of the header must select ALT0 itself. Which SoC it is comes from the
// device tree (the gpio node's compatible), never from a build switch.
#include "asm/arch.h"
#include "drivers/bcm2835_gpio.h"
#include "drivers/of.h"
#include "drivers/pl011.h"
#include "kernel/printk.h"
#include "mm/early_ioremap.h"

namespace kernel {

// Returns true when this is a BCM283x/2711 board and the pins and UART were set up.
bool bcm2835_uart_setup(const of::Scan& dt, uint32_t uart_clock_hz, uint32_t baud) {
  const bool is2711 = dt.gpio_is_2711;
  const int gpio = dt.gpio.node;  // the scan's first "brcm,bcm2711-gpio", else "brcm,bcm2835-gpio"
  if (gpio < 0) return false;     // not a Raspberry Pi: the firmware's UART setup stays
  Result<of::Region> found =
      dt.gpio.ok ? Result<of::Region>(of::Region{dt.gpio.base, 0}) : of::node_cpu_address(dt.fdt, gpio, 0);
  if (!found) {
    char why[200];
    found.error().format(why, sizeof why);
    pr_warn("earlycon: gpio: %s\n", why);
    return false;
  }
  const of::Region r = found.value();
  auto* g = static_cast<volatile uint32_t*>(early_ioremap(PhysAddr(r.base), 0x100));
  if (!g) return false;
  bcm2835::route_uart0_to_gpio14_15(g, is2711, udelay);
  early_iounmap(const_cast<uint32_t*>(g), 0x100);
  earlycon_uart.configure(uart_clock_hz, baud);
  pr_info(
      "earlycon: %s GPIO at 0x%lx: GPIO14/15 set to ALT0 (PL011 TXD0/RXD0), PL011 programmed for %u 8N1 "
      "from a %u Hz clock\n",
      is2711 ? "BCM2711" : "BCM2835", r.base, baud, uart_clock_hz);
  return true;
}

}  // namespace kernel
