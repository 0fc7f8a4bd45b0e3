// Choosing the early console: from "earlycon=..." on the command line or from /chosen/stdout-path.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/error.h"
#include "kernel/types.h"

namespace kernel {

namespace of {
struct Scan;
}

// The choice copies no text: it points into the command line and the device tree (which outlive
// it), and its problems are Errors, put into words only by the format_* functions.
struct EarlyconChoice {
  struct Text {  // not NUL-terminated: print with "%.*s", len, s
    const char* s = "";
    int len = 0;
  };
  enum class From : uint8_t { Nothing, Cmdline, StdoutPath, FirstPl011 };

  bool found = false;
  PhysAddr base;      // CPU physical address of the UART registers
  uint32_t baud = 0;  // from the options ("115200n8"), 0 when not given
  Text options;       // the options text as given, in the command line or the device tree
  From from = From::Nothing;
  Text value;                 // the earlycon= value ("pl011,0x9000000"), used (From::Cmdline) or refused
  const void* fdt = nullptr;  // the device tree, for node paths
  int node = -1;              // From::StdoutPath, From::FirstPl011: the UART's node

  Error refused;  // Errc::Invalid: why the earlycon= value was not used (the device tree was instead)
  // What is wrong with /chosen/stdout-path (Errc::NotFound: missing or dangling; Errc::Invalid: not
  // a PL011). When stdout_node >= 0 it is node_cpu_address's reason that node's address does not
  // translate, printed after "stdout-path <node path>: ". A warning when another PL011 was found.
  Error stdout_problem;
  int stdout_node = -1;
  Error none;  // Errc::NotFound when nothing was found: no device tree, or no usable PL011 in it

  // Where it came from: "earlycon=pl011,0x9000000", "stdout-path /pl011@9000000", "first PL011 ...".
  int format_source(char* buf, size_t len) const;
  // The problems on the way (a refused earlycon=, a stdout-path that is not a PL011, ...), or "".
  int format_warning(char* buf, size_t len) const;
  // Why no console was chosen, or "" when one was. Each returns what snprintf returns.
  int format_error(char* buf, size_t len) const;
};

// Supported forms: "earlycon=pl011,<addr>", "earlycon=pl011,mmio32,<addr>[,<options>]", bare
// "earlycon" and no earlycon at all (both follow /chosen/stdout-path to an "arm,pl011" or
// "arm,sbsa-uart" node; if that is not a PL011, the first enabled PL011 in the tree is used and the
// choice is explained by the warning). `fdt` may be null (command line only).
EarlyconChoice earlycon_select(const void* fdt, const char* cmdline);
// The same from a scan of the tree (of::scan): what the boot and the benchmarks use, so the tree
// is walked once for the console, the memory and the reservations.
EarlyconChoice earlycon_select(const of::Scan& s, const char* cmdline);

// "115200n8" -> 115200; 0 if the `len` bytes do not start with a number.
uint32_t parse_baud(const char* options, size_t len);

}  // namespace kernel
