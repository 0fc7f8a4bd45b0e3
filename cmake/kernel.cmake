# The freestanding AArch64 kernel: build/kernel/kernel.elf and build/kernel/kernel8.img.

set(LIBFDT_ARM64_ROOT "${FIXMAP_DEPS}/libfdt-arm64" CACHE PATH "Debian's arm64 libfdt-dev, unpacked")
set(LIBFDT_ARM64 "${LIBFDT_ARM64_ROOT}/usr/lib/aarch64-linux-gnu/libfdt.a")
if(NOT EXISTS "${LIBFDT_ARM64}")
  message(FATAL_ERROR "Debian's arm64 libfdt.a not found at ${LIBFDT_ARM64}: run tools/install-deps first")
endif()

set(KERNEL_FLAGS
  -ffreestanding -nostdlib -fno-exceptions -fno-rtti -mgeneral-regs-only
  -fno-pie -fno-pic -fno-stack-protector -fno-threadsafe-statics -fno-use-cxa-atexit
  -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables
  -mcmodel=small -mno-outline-atomics -O2 -g
)

# The kernel's own sources, compiled with SHARED_SOURCES (cmake/shared_library.cmake).
add_shared_kernel_library(kernel_objs FOR kernel
  SOURCES  # in link order
    arch/arm64/head.S arch/arm64/entry.S arch/arm64/traps.cpp arch/arm64/setup.cpp arch/arm64/mmu_ops.cpp
    arch/arm64/early_fixmap.cpp arch/arm64/paging_init.cpp arch/arm64/smp.cpp arch/arm64/ipi.cpp
    drivers/firmware/fw_probe.cpp drivers/tty/pl011.cpp drivers/tty/bcm2835_uart.cpp mm/mem_info.cpp
    drivers/irqchip/irq.cpp drivers/irqchip/irq_gic.cpp drivers/irqchip/irq_gic_v3.cpp drivers/clocksource/arm_arch_timer.cpp
    init/main.cpp
    kernel/ktest.cpp kernel/crashtest.cpp kernel/monitor.cpp kernel/kallsyms.cpp kernel/jump_label.cpp
    arch/arm64/cpufeature.cpp
    kernel/runtime.cpp
    lib/string.cpp
    tests/kernel/ktest_fixmap.cpp tests/kernel/ktest_boot.cpp tests/kernel/ktest_console.cpp tests/kernel/ktest_mm.cpp
    tests/kernel/ktest_patching.cpp tests/kernel/ktest_smp.cpp
    tests/kernel/ktest_irq.cpp tests/kernel/ktest_smp_calls.cpp tests/kernel/ktest_fixmap_example.cpp
  OPTIONS
    $<$<COMPILE_LANGUAGE:CXX>:${KERNEL_FLAGS}>
    $<$<COMPILE_LANGUAGE:ASM>:-D__ASSEMBLER__ -g>
)
# lib/string.cpp implements memcpy & co.: keep GCC from turning their loops into calls to themselves.
set_source_files_properties(${CMAKE_SOURCE_DIR}/lib/string.cpp PROPERTIES
  COMPILE_OPTIONS "-fno-builtin;-fno-tree-loop-distribute-patterns")

set(KERNEL_LDS ${CMAKE_SOURCE_DIR}/linker/kernel.ld)
# linker/kernel.ld is not preprocessed; it INCLUDEs kernel_geometry.ld (found through -L), the
# granule's page size, PMD size, levels and stack layout written by the C preprocessor from the
# very #defines head.S and entry.S use (asm/page_def.h, asm/smp.h): no second copy of a constant.
set(KERNEL_LD_GEOMETRY ${CMAKE_BINARY_DIR}/kernel_geometry.ld)
file(CONFIGURE OUTPUT ${KERNEL_LD_GEOMETRY}.S @ONLY CONTENT [[
#include "asm/page_def.h"
#include "asm/smp.h"
PAGE_SIZE = PAGE_SIZE_ASM;
PMD_SIZE = (1 << PMD_SHIFT_ASM);
PTRS_PER_TABLE = (1 << PT_LEVEL_BITS);
PGTABLE_LEVELS = PT_LEVELS;
STACK_ALIGN = (1 << STACK_ALIGN_SHIFT);
STACK_SIZE = STACK_SIZE_ASM;
OVERFLOW_STACK_SIZE = OVERFLOW_STACK_SIZE_ASM;
]])
add_custom_command(OUTPUT ${KERNEL_LD_GEOMETRY}
  COMMAND ${CMAKE_C_COMPILER} -E -P -x assembler-with-cpp -D__ASSEMBLER__
          -DCONFIG_ARM64_PAGE_SHIFT=${KERNEL_PAGE_SHIFT} -I${CMAKE_SOURCE_DIR}/include
          -MD -MF ${KERNEL_LD_GEOMETRY}.d -MT ${KERNEL_LD_GEOMETRY} -o ${KERNEL_LD_GEOMETRY} ${KERNEL_LD_GEOMETRY}.S
  DEPENDS ${KERNEL_LD_GEOMETRY}.S
  DEPFILE ${KERNEL_LD_GEOMETRY}.d
  COMMENT "kernel_geometry.ld: the granule's geometry for linker/kernel.ld")
add_custom_target(kernel_ld_geometry DEPENDS ${KERNEL_LD_GEOMETRY})
set(KERNEL_LINK_OPTIONS -nostdlib -static -no-pie -T ${KERNEL_LDS} -L${CMAKE_BINARY_DIR} -Wl,--build-id=none
    -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)

# Two links (as Linux's kallsyms): the first with an empty symbol table, whose text symbols feed
# the table of the second. The table sits in .rodata, after .text, so no function moves.
add_executable(kernel.stage1.elf $<TARGET_OBJECTS:kernel_objs> ${CMAKE_SOURCE_DIR}/kernel/kallsyms_empty.S)
target_link_options(kernel.stage1.elf PRIVATE ${KERNEL_LINK_OPTIONS})
target_link_libraries(kernel.stage1.elf PRIVATE ${LIBFDT_ARM64} gcc)
set_target_properties(kernel.stage1.elf PROPERTIES LINK_DEPENDS "${KERNEL_LDS};${KERNEL_LD_GEOMETRY}")
add_dependencies(kernel.stage1.elf kernel_ld_geometry)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(GEN_KALLSYMS ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/gen-kallsyms.py --nm ${CMAKE_NM})
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/kallsyms.S
  COMMAND ${GEN_KALLSYMS} --elf $<TARGET_FILE:kernel.stage1.elf> --out ${CMAKE_BINARY_DIR}/kallsyms.S
  DEPENDS kernel.stage1.elf ${CMAKE_SOURCE_DIR}/tools/gen-kallsyms.py
  COMMENT "kallsyms: symbol table from the first link")

add_executable(kernel.elf $<TARGET_OBJECTS:kernel_objs> ${CMAKE_BINARY_DIR}/kallsyms.S)
target_link_options(kernel.elf PRIVATE ${KERNEL_LINK_OPTIONS} -Wl,-Map=${CMAKE_BINARY_DIR}/kernel.map)
target_link_libraries(kernel.elf PRIVATE ${LIBFDT_ARM64} gcc)
set_target_properties(kernel.elf PROPERTIES LINK_DEPENDS "${KERNEL_LDS};${KERNEL_LD_GEOMETRY}")
add_dependencies(kernel.elf kernel_ld_geometry)

add_custom_command(TARGET kernel.elf POST_BUILD
  COMMAND ${GEN_KALLSYMS} --verify $<TARGET_FILE:kernel.stage1.elf> $<TARGET_FILE:kernel.elf>
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/image-size.py ${CROSS_PREFIX}nm $<TARGET_FILE:kernel.elf>
  COMMENT "kallsyms: checking that no function moved")
add_custom_command(TARGET kernel.elf POST_BUILD
  COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:kernel.elf> ${CMAKE_BINARY_DIR}/kernel8.img
  COMMENT "kernel8.img (arm64 Image)")

# The floor image for tools/bench (tests/bench/floor.S): the cheapest possible "boot".
add_executable(floor.elf ${CMAKE_SOURCE_DIR}/tests/bench/floor.S)
target_compile_options(floor.elf PRIVATE -D__ASSEMBLER__)
target_link_options(floor.elf PRIVATE -nostdlib -static -no-pie -Wl,-Ttext=0x40200000 -Wl,--build-id=none)
add_custom_command(TARGET floor.elf POST_BUILD
  COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:floor.elf> ${CMAKE_BINARY_DIR}/floor.img)

# drivers/tty/nommu_console.cpp runs with the MMU off at the image's physical address (head.S, when
# the CPU lacks the build's granule): every access Device-nGnRnE, so no unaligned access; no
# absolute address, so no jump or switch-conversion tables; no calls out of the file, so no
# memcpy/memset synthesised for loops. tools/check-nommu-pic.py checks the object (tests/host).
target_sources(kernel_objs PRIVATE ${CMAKE_SOURCE_DIR}/drivers/tty/nommu_console.cpp)
set_source_files_properties(${CMAKE_SOURCE_DIR}/drivers/tty/nommu_console.cpp PROPERTIES COMPILE_OPTIONS
  "-mstrict-align;-fno-jump-tables;-fno-tree-switch-conversion;-fno-builtin;-fno-tree-loop-distribute-patterns")
