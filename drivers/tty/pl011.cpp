#include "drivers/pl011.h"

namespace kernel {

Pl011 earlycon_uart;

void Pl011::configure(uint32_t clock, uint32_t baud) {
  if (!baud || !clock) return;
  // Divisor = clock / (16 * baud) as 16.6 fixed point (TRM 3.3.6), rounded.
  uint32_t div64 = static_cast<uint32_t>((uint64_t{clock} * 4 + baud / 2) / baud);
  while (read(FR) & FR_BUSY) {
  }
  write_reg(CR, 0);
  write_reg(ICR, 0x7ff);
  write_reg(IMSC, 0);
  write_reg(IBRD, div64 >> 6);
  write_reg(FBRD, div64 & 0x3f);
  write_reg(LCRH, LCRH_WLEN8 | LCRH_FEN);  // LCRH write latches IBRD/FBRD
  write_reg(CR, CR_UARTEN | CR_TXE | CR_RXE);
}

void Pl011::putc(char c) {
  while (read(FR) & FR_TXFF) {
  }
  write_reg(DR, static_cast<unsigned char>(c));
}

void Pl011::write(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '\n') putc('\r');
    putc(s[i]);
  }
  while (read(FR) & FR_BUSY) {
  }
}

bool Pl011::getc(char* c) {
  if (read(FR) & FR_RXFE) return false;
  *c = static_cast<char>(read(DR) & 0xff);
  return true;
}

}  // namespace kernel
