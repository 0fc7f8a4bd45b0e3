// PSCI (Arm DEN0022, Power State Coordination Interface) through the conduit the device tree's
// /psci node names (hvc or smc).
#pragma once
#include <stdint.h>

#include "drivers/of.h"
#include "kernel/error.h"

namespace kernel {

// Function IDs (DEN0022, "Function prototypes" / SMC64 where the arguments are 64-bit).
inline constexpr uint32_t PSCI_0_2_FN_PSCI_VERSION = 0x84000000;
inline constexpr uint32_t PSCI_0_2_FN_CPU_OFF = 0x84000002;
inline constexpr uint32_t PSCI_0_2_FN64_CPU_ON = 0xC4000003;
inline constexpr uint32_t PSCI_0_2_FN_SYSTEM_OFF = 0x84000008;
inline constexpr uint32_t PSCI_0_2_FN_SYSTEM_RESET = 0x84000009;

// PSCI return codes (DEN0022, "Return error codes"): a signed 32-bit value in W0.
enum class PsciRet : int32_t {
  Success = 0,
  NotSupported = -1,
  InvalidParameters = -2,
  Denied = -3,
  AlreadyOn = -4,
  OnPending = -5,
  InternalFailure = -6,
  NotPresent = -7,
  Disabled = -8,
  InvalidAddress = -9,
};
// "SUCCESS", "ALREADY_ON", "INVALID_PARAMETERS", ... as the specification names them.
const char* psci_ret_name(int32_t ret);

void psci_init(of::PsciConduit conduit);
of::PsciConduit psci_conduit();
uint32_t psci_version();  // 0 when PSCI is not there
// Only return if the firmware refused.
void psci_system_off();
void psci_system_reset();
// CPU_ON (SMC64): starts the CPU whose MPIDR affinity value is target_mpidr at the physical
// address `entry` (MMU off) with x0 = context_id. Errc::NotFound without a conduit, Errc::Invalid
// with the return code's name when the firmware refuses ("returned ALREADY_ON (-4)").
Status psci_cpu_on(uint64_t target_mpidr, PhysAddr entry, uint64_t context_id);
}  // namespace kernel
