// In-kernel tests of the PL011 driver's waits and programming sequence, on a "UART" made of a
// page of RAM: its flag register never clears, as with a wrong address or a UART whose clock is
// off. Every wait must end within Pl011::kWaitLimitUs, measured on the generic timer.
#include "asm/arch.h"
#include "drivers/pl011.h"
#include "kernel/ktest.h"

namespace kernel {
namespace {

alignas(PAGE_SIZE) volatile uint32_t fake_uart[PAGE_SIZE / 4];

void fake_reset(uint32_t fr) {
  for (auto& r : fake_uart) r = 0;
  fake_uart[Pl011::FR / 4] = fr;
}

}  // namespace

KTEST(console, a_transmit_fifo_that_never_drains_ends_the_wait) {
  fake_reset(Pl011::FR_TXFF);
  Pl011 u;
  u.attach(virt_of(fake_uart));
  const uint64_t t0 = arch_counter();
  u.write("hello\n", 6);
  const uint64_t waited = arch_counter() - t0;
  KEXPECT(u.stuck());
  KEXPECT(u.stuck_flags() & Pl011::FR_TXFF);
  KEXPECT_EQ(fake_uart[Pl011::DR / 4], 0u);  // nothing was written into a full FIFO
  // One bounded wait, not one per character: after the first the output is dropped at once.
  KEXPECT(waited >= arch_us_to_counter(Pl011::kWaitLimitUs));
  // (Bounds in units of the wait limit: a vCPU of a loaded host may lose the CPU for a while, but
  // a wait per character would take 6 limits here and a second wait one more.)
  KEXPECT(waited < 3 * arch_us_to_counter(Pl011::kWaitLimitUs));
  const uint64_t t1 = arch_counter();
  u.write("more\n", 5);
  KEXPECT(arch_counter() - t1 < arch_us_to_counter(Pl011::kWaitLimitUs));
}

KTEST(console, a_uart_that_stays_busy_ends_the_wait) {
  fake_reset(Pl011::FR_BUSY);
  Pl011 u;
  u.attach(virt_of(fake_uart));
  u.write("x", 1);  // the character goes in, the drain wait gives up
  KEXPECT_EQ(fake_uart[Pl011::DR / 4], static_cast<uint32_t>('x'));
  KEXPECT(u.stuck());
  KEXPECT(u.stuck_flags() & Pl011::FR_BUSY);
  u.attach(virt_of(fake_uart));  // re-attaching starts afresh
  KEXPECT(!u.stuck());
}

KTEST(console, configure_programs_the_divisors_and_enables_last) {
  fake_reset(0);
  fake_uart[Pl011::CR / 4] = Pl011::CR_UARTEN | Pl011::CR_TXE;
  fake_uart[Pl011::LCRH / 4] = Pl011::LCRH_FEN;
  Pl011 u;
  u.attach(virt_of(fake_uart));
  u.configure(48'000'000, 115'200);  // the Pi's UART clock: IBRD 26, FBRD 3 (TRM 3.3.6)
  KEXPECT_EQ(fake_uart[Pl011::IBRD / 4], 26u);
  KEXPECT_EQ(fake_uart[Pl011::FBRD / 4], 3u);
  KEXPECT_EQ(fake_uart[Pl011::LCRH / 4], Pl011::LCRH_WLEN8 | Pl011::LCRH_FEN);
  KEXPECT_EQ(fake_uart[Pl011::CR / 4], Pl011::CR_UARTEN | Pl011::CR_TXE | Pl011::CR_RXE);
  KEXPECT_EQ(fake_uart[Pl011::IMSC / 4], 0u);
  KEXPECT(!u.stuck());
}

KTEST(console, udelay_waits_on_the_generic_timer) {
  const uint64_t t0 = arch_counter();
  udelay(200);
  const uint64_t ticks = arch_counter() - t0;
  KEXPECT(ticks >= arch_us_to_counter(200));
  KEXPECT_EQ(arch_us_to_counter(1'000'000), arch_counter_freq());
}

}  // namespace kernel
