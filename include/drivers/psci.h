#pragma once
#include <stdint.h>

#include "drivers/of.h"

namespace kernel {
void psci_init(of::PsciConduit conduit);
of::PsciConduit psci_conduit();
uint32_t psci_version();  // 0 when PSCI is not there
// Only return if the firmware refused.
void psci_system_off();
void psci_system_reset();
}  // namespace kernel
