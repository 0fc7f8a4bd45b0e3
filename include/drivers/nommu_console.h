// The last-resort console of a boot that cannot turn the MMU on: the kernel was built for a
// translation granule (include/asm/page_def.h) that this CPU does not implement
// (ID_AA64MMFR0_EL1.TGran4/16/64), so neither the fixmap nor the normal console can ever run.
// head.S calls nommu_granule_unsupported() instead of enabling the MMU; it finds the UART the
// device tree names in /chosen/stdout-path, says what is wrong on it, and parks the CPU.
//
// Everything here runs with the MMU off, at the image's physical address while linked at
// KIMAGE_VADDR (drivers/tty/nommu_console.cpp says what that forbids). find_console() and
// format_granule_message() are pure and compiled for the host tests too.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kernel::nommu {

enum class UartKind : uint8_t {
  None,
  Pl011,       // "arm,pl011" or "arm,sbsa-uart": UARTDR 0x00, UARTFR 0x18 (TXFF bit 5, BUSY bit 3)
  Bcm2835Aux,  // "brcm,bcm2835-aux-uart": AUX_MU_IO_REG 0x40, AUX_MU_LSR_REG 0x54 (TX empty bit 5)
};

// Why find_console() found nothing (kept for the tests and for gdb: it is in x2 at the park).
enum class NoConsole : uint8_t {
  Found,          // not a failure: the console was found
  BadHeader,      // no blob, bad magic or version, totalsize or a block outside the blob
  BadStructure,   // a malformed tag or a name or property running past its block
  NoStdoutPath,   // no /chosen, or no stdout-path / linux,stdout-path in it
  BadAlias,       // stdout-path is an alias that /aliases does not define as a full path
  NoNode,         // the path names no node (or is deeper than the resolver follows)
  UnknownUart,    // the node is not a UART this code can write to
  BadReg,         // no reg, too short, or #address-cells / #size-cells this code does not read
  NoTranslation,  // a parent bus without ranges, or ranges that do not cover the address
};

struct Console {
  UartKind kind;
  NoConsole why;
  uint64_t base;  // CPU physical address of the UART's registers (reg[0] translated to the root)
};

// The UART /chosen/stdout-path (or linux,stdout-path) names, at most `max_len` bytes of blob read.
// Never reads outside [fdt, fdt + min(totalsize, max_len)); every walk ends after at most one
// step per 4 bytes of the structure block. `fdt` may be null (kind None, why BadHeader).
Console find_console(const void* fdt, size_t max_len);

// The message, one line per '\n': which granule the kernel was built for, the ID_AA64MMFR0_EL1
// value and field that say the CPU lacks it, and the granules the CPU does implement. Written as
// snprintf would (NUL-terminated, truncated to `len`); returns the length of the whole message.
// The first form is for this build's granule; the second for any (12, 14 or 16), for the tests.
size_t format_granule_message(char* buf, size_t len, uint64_t mmfr0);
size_t format_granule_message(char* buf, size_t len, uint64_t mmfr0, unsigned page_shift);

// The largest device tree the boot accepts (init/main.cpp's 2 MiB limit): how far the resolver may
// read from the boot loader's x0.
inline constexpr size_t kMaxFdtSize = size_t{2} << 20;

}  // namespace kernel::nommu

// head.S, boot CPU, MMU and caches off, at the physical address, with a physical stack, interrupts
// masked, when ID_AA64MMFR0_EL1 (`mmfr0`) says the build's granule is not implemented. `dtb_pa` is
// the boot loader's x0. Prints the message on the stdout-path UART, then parks at
// granule_unsupported_park; with no usable UART it parks at granule_unsupported_no_console
// (x0 = dtb_pa, x1 = mmfr0, x2 = the NoConsole reason).
extern "C" [[noreturn]] void nommu_granule_unsupported(uint64_t dtb_pa, uint64_t mmfr0);
