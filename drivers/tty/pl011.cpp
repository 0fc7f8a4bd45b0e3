#include "drivers/pl011.h"

#include "asm/arch.h"

namespace kernel {

Pl011 earlycon_uart;

bool Pl011::wait_fr_clear(uint32_t mask, bool latch) {
  if (stuck_) return false;
  uint32_t fr = read(FR);
  if (!(fr & mask)) return true;
  const uint64_t deadline = arch_counter() + arch_us_to_counter(kWaitLimitUs);
  while ((fr = read(FR)) & mask) {
    if (arch_counter() > deadline) {
      if (latch) {
        stuck_ = true;
        stuck_flags_ = fr;
      }
      return false;
    }
    asm volatile("yield");
  }
  return true;
}

void Pl011::configure(uint32_t clock, uint32_t baud) {
  if (!baud || !clock) return;
  // Divisor = clock / (16 * baud) as 16.6 fixed point (TRM 3.3.6), rounded.
  uint32_t div64 = static_cast<uint32_t>((uint64_t{clock} * 4 + baud / 2) / baud);
  // BUSY stays set while the FIFO holds data, and a disabled UART does not drain (TRM 3.3.3,
  // UARTFR): let what the firmware queued go out with the UART still enabled, then:
  (void)wait_fr_clear(FR_BUSY, false);
  write_reg(CR, read(CR) & ~CR_UARTEN);     // 1. disable
  (void)wait_fr_clear(FR_BUSY, false);      // 2. the character in flight completes
  write_reg(LCRH, read(LCRH) & ~LCRH_FEN);  // 3. flush the transmit FIFO
  write_reg(ICR, 0x7ff);                    // 4. program: no stale or enabled interrupts,
  write_reg(IMSC, 0);
  write_reg(IBRD, div64 >> 6);  //    baud rate,
  write_reg(FBRD, div64 & 0x3f);
  write_reg(LCRH, LCRH_WLEN8 | LCRH_FEN);      //    8N1 with FIFOs (this write latches IBRD/FBRD)
  write_reg(CR, CR_UARTEN | CR_TXE | CR_RXE);  // 5. enable
}

void Pl011::putc(char c) {
  if (!wait_fr_clear(FR_TXFF)) return;
  write_reg(DR, static_cast<unsigned char>(c));
}

void Pl011::write(const char* s, size_t n) {
  for (size_t i = 0; i < n && !stuck_; ++i) {
    if (s[i] == '\n') putc('\r');
    putc(s[i]);
  }
  (void)wait_fr_clear(FR_BUSY);
}

bool Pl011::getc(char* c) {
  if (read(FR) & FR_RXFE) return false;
  *c = static_cast<char>(read(DR) & 0xff);
  return true;
}

}  // namespace kernel
