// Choosing the early console: from "earlycon=..." on the command line or from /chosen/stdout-path.
#pragma once

#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

struct EarlyconChoice {
  bool found = false;
  PhysAddr base;           // CPU physical address of the UART registers
  uint32_t baud = 0;       // from the options ("115200n8"), 0 when not given
  char source[96] = {};    // where it came from: "earlycon=pl011,0x9000000" or "stdout-path /pl011@9000000"
  char options[32] = {};   // the options text as given
  char warning[256] = {};  // a problem found on the way (bad value, stdout-path not a PL011, ...)
  char error[256] = {};    // why no console was chosen
};

// Supported forms: "earlycon=pl011,<addr>", "earlycon=pl011,mmio32,<addr>[,<options>]", bare
// "earlycon" and no earlycon at all (both follow /chosen/stdout-path to an "arm,pl011" or
// "arm,sbsa-uart" node; if that is not a PL011, the first enabled PL011 in the tree is used and the
// choice is explained in `warning`). `fdt` may be null (command line only).
EarlyconChoice earlycon_select(const void* fdt, const char* cmdline);

// "115200n8" -> 115200; 0 if the text does not start with a number.
uint32_t parse_baud(const char* options);

}  // namespace kernel
