// Constants shared by head.S and C++ about the boot environment.
#pragma once

// The kernel's own EL3 service (head.S el3_vectors), present only when the kernel entered at EL3:
// SMC with x0 = this SiP fast-call function ID (SMCCC: bit 31 fast, bits 29:24 = 2 SiP) and
// x1 = the generic timer frequency in Hz writes CNTFRQ_EL0, which only the highest EL can write.
#define SMCCC_SIP_SET_CNTFRQ 0xc2000001
