// BCM2835/2837/2711 GPIO: the pin-function and pull settings that put the PL011 (UART0) on
// GPIO14/15, as register sequences on a mapped GPIO block. Compiled for the kernel and the host.
#pragma once

#include <stdint.h>

namespace kernel::bcm2835 {

inline constexpr uint32_t GPFSEL1 = 0x04;                  // function select, GPIO10-19
inline constexpr uint32_t GPPUD = 0x94, GPPUDCLK0 = 0x98;  // BCM2835/2837 pull sequence
inline constexpr uint32_t GPIO_PUP_PDN_CNTRL_REG0 = 0xe4;  // BCM2711 pulls, GPIO0-15
inline constexpr uint32_t kAlt0 = 4;

// The BCM2835 datasheet (6.1, GPPUDCLKn) asks for 150 cycles of set-up and hold around the pull
// clock. Those are VPU (core clock) cycles, not ARM ones, so a nop loop is wrong on a fast ARM:
// at the slowest core clock the firmware uses (250 MHz) 150 cycles take 0.6 us. Wait 1 us on the
// generic timer, as Linux's pinctrl-bcm2835 does.
inline constexpr uint64_t kPullSetupUs = 1;

using DelayUs = void (*)(uint64_t us);

// GPIO14 = TXD0, GPIO15 = RXD0 (ALT0); TX floats, RX is pulled up. `gpio` is the GPIO block
// (at least 0x100 bytes), `delay_us` a delay of at least that many microseconds.
void route_uart0_to_gpio14_15(volatile uint32_t* gpio, bool is_bcm2711, DelayUs delay_us);

}  // namespace kernel::bcm2835
