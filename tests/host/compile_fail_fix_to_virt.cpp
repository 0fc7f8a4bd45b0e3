// Compiled by CTest with -DBAD_INDEX=...: fix_to_virt() of FIX_HOLE or past the end must not build.
#include "asm/fixmap.h"

constexpr kernel::VirtAddr va = kernel::fix_to_virt(kernel::BAD_INDEX);
int main() { return va.value() != 0 ? 0 : 1; }
