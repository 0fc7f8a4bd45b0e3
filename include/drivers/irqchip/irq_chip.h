// Between the generic IRQ layer (drivers/irqchip/irq.cpp) and the controller drivers
// (irq_gic.cpp, irq_gic_v3.cpp): what a controller does, and what it calls back. Not for the
// rest of the kernel, which uses drivers/irqchip.h; the in-kernel tests use set_priority_mask.
#pragma once

#include <stdint.h>

#include "drivers/irqchip.h"
#include "drivers/irqchip/gic_of.h"
#include "kernel/error.h"

namespace kernel::irqchip {

class IrqChip {
 public:
  virtual const char* name() const = 0;
  virtual unsigned nr_irqs() const = 0;  // INTIDs 0..nr_irqs()-1 exist
  // This CPU (slot `cpu`): its part of the controller, its SGIs/PPIs (the ones in
  // irq_percpu_enabled_mask(cpu) enabled, the others disabled) and its CPU interface.
  virtual Status cpu_init(unsigned cpu) = 0;
  // Acknowledge / generic_handle_irq / end of interrupt, until nothing is pending.
  virtual void handle_irq() = 0;
  // An SGI/PPI on this CPU, an SPI in the distributor. The enable is read back: an interrupt
  // whose enable bit reads 0 is not implemented, or (Non-secure view) in a group this kernel
  // cannot take, and enable() says so.
  virtual Status enable(unsigned intid) = 0;
  virtual void disable(unsigned intid) = 0;
  virtual void route_spi(unsigned intid, unsigned cpu) = 0;
  virtual Status send_sgi(unsigned cpu, unsigned sgi) = 0;
  virtual Status send_sgi_self(unsigned sgi) = 0;
  // The CPU interface's priority mask (PMR); returns the previous one. 0 masks every interrupt.
  virtual uint8_t set_priority_mask(uint8_t pmr) = 0;

 protected:
  ~IrqChip() = default;
};

// The drivers: map the frames the device tree gives, initialise the distributor (interrupts
// masked), print the controller's line. Errors are reported before they are returned.
Result<IrqChip*> gicv2_probe(const GicOfInfo& info);
Result<IrqChip*> gicv3_probe(const GicOfInfo& info);

// What the drivers call back, in the IRQ exception.
void generic_handle_irq(unsigned intid);
void irq_note_spurious();
// The SGIs/PPIs (bit n = INTID n) the kernel enabled on CPU slot `cpu`.
uint32_t irq_percpu_enabled_mask(unsigned cpu);

// The controller in use (nullptr without one).
IrqChip* irqchip();

}  // namespace kernel::irqchip
