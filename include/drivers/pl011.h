// ARM PrimeCell UART (PL011), polled transmit (PL011 TRM, DDI 0183).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

class Pl011 {
 public:
  // Register offsets and bits (PL011 TRM 3.2).
  static constexpr uint32_t DR = 0x00, FR = 0x18, IBRD = 0x24, FBRD = 0x28, LCRH = 0x2c, CR = 0x30, IMSC = 0x38,
                            ICR = 0x44;
  static constexpr uint32_t FR_TXFF = 1u << 5, FR_BUSY = 1u << 3, FR_RXFE = 1u << 4;
  static constexpr uint32_t CR_UARTEN = 1u << 0, CR_TXE = 1u << 8, CR_RXE = 1u << 9;
  static constexpr uint32_t LCRH_FEN = 1u << 4, LCRH_WLEN8 = 3u << 5;

  // The longest any wait for the UART may take: a 32-entry FIFO drains in 33 ms even at 9600 baud.
  // A UART that is still full or busy after that is declared stuck, and from then on its output is
  // dropped at once: no MMIO surprise can hang the CPU (the log buffer keeps every line).
  static constexpr uint64_t kWaitLimitUs = 50'000;

  void attach(VirtAddr regs) {
    regs_ = regs;
    stuck_ = false;
  }
  VirtAddr regs() const { return regs_; }
  // Programs baud rate and 8N1 from the UART clock, in the PL011 TRM's order (3.3.8, "UARTCR"):
  // disable, wait for the current character, flush the FIFO (LCRH.FEN = 0), program, enable.
  // Leaves a firmware-configured UART alone when baud is 0.
  void configure(uint32_t uart_clock_hz, uint32_t baud);
  void putc(char c);
  void write(const char* s, size_t n);  // '\n' becomes "\r\n"; waits until the UART is idle
  bool getc(char* c);                   // polled receive
  // True once a wait for TXFF or BUSY to clear ran out (see kWaitLimitUs).
  bool stuck() const { return stuck_; }
  uint32_t stuck_flags() const { return stuck_flags_; }

 private:
  uint32_t read(uint32_t off) const { return *reinterpret_cast<volatile uint32_t*>(regs_.value() + off); }
  void write_reg(uint32_t off, uint32_t v) { *reinterpret_cast<volatile uint32_t*>(regs_.value() + off) = v; }
  // Waits until FR & mask is 0, at most kWaitLimitUs; false if it never is, and then the UART is
  // declared stuck when `latch` (not while reprogramming: a wait that times out there is not fatal).
  bool wait_fr_clear(uint32_t mask, bool latch = true);
  VirtAddr regs_;
  bool stuck_ = false;
  uint32_t stuck_flags_ = 0;  // FR as last read when it got stuck
};

extern Pl011 earlycon_uart;

}  // namespace kernel
