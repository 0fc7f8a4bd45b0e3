# The 16 KiB and 64 KiB kernels (presets kernel-16k and kernel-64k, built by tools/run-tests):
# every in-kernel KTAP suite at EL1 and at EL2 on the virt CPUs that implement the granule, four
# CPUs through PSCI on GICv3, and the 64 KiB kernel on the Raspberry Pi 4 (QEMU 10's raspi4b).
#
# Which of QEMU's CPU models implement which granule (ID_AA64MMFR0_EL1, read under QEMU 7.2 and
# 10.0; docs/granules.md): cortex-a53, cortex-a57 and cortex-a72 report 0x...1122 / 0x...1124:
# TGran4 = 0 and TGran64 = 0 (implemented), TGran16 = 0 (NOT implemented); cortex-a76 and max
# implement all three. So the 16 KiB kernel boots on cortex-a76 and max; on the others it must stop
# with its MMU-off message (qemu/granule_unsupported.cmake).
#
# Each boot checks the lines that show the granule: the fixmap table, paging_init's block sizes
# and the TLBI level hint.
set(GRANULE_CPUS_16k cortex-a76 max)
set(GRANULE_CPUS_64k cortex-a53 cortex-a72 max)
set(GRANULE_LINES_16k
  --expect-line "fixmap: 0xfffffffffdc20000-0xfffffffffe000000: 248 x 16K pages, 132 permanent"
  --expect-line " x 32 MiB, " --expect-line " x 16 KiB")
set(GRANULE_LINES_64k
  --expect-line "fixmap: 0xfffffffffdbc0000-0xfffffffffe000000: 68 x 64K pages, 36 permanent"
  --expect-line " x 512 MiB, " --expect-line " x 64 KiB")
set(GRANULE_TTL_16k "(TTL 0b1011 for a 16K page)")
set(GRANULE_TTL_64k "(TTL 0b1111 for a 64K page)")

foreach(g 16k 64k)
  string(TOUPPER ${g} G)
  set(boot ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/boot_test.py --image ${KERNEL_BUILD_DIR_${G}}/kernel8.img)
  foreach(cpu ${GRANULE_CPUS_${g}})
    foreach(el 1 2)
      set(elflag "")
      if(el EQUAL 2)
        set(elflag --el2)
      endif()
      set(name qemu.granule${g}.${cpu}.el${el})
      add_test(NAME ${name} COMMAND ${boot} --cpu ${cpu} ${elflag} --ktest ${GRANULE_LINES_${g}})
      set_tests_properties(${name} PROPERTIES LABELS "qemu;granule" TIMEOUT 180)
    endforeach()
  endforeach()
  # QEMU's max CPU has FEAT_TTL: the level hint names this granule.
  add_test(NAME qemu.granule${g}.max.ttl_hint COMMAND ${boot} --cpu max --expect-line "${GRANULE_TTL_${g}}")
  # SMP, GICv3, 2 GiB of RAM (more than one largest block at 64K: 512 MiB linear-map blocks).
  add_test(NAME qemu.granule${g}.smp4_gicv3_2G COMMAND ${boot} --cpu max --smp 4 --mem 2G --virt-opt gic-version=3
           --ktest ${GRANULE_LINES_${g}} --expect-line "smp: Brought up 1 node, 4 CPUs")
  set_tests_properties(qemu.granule${g}.max.ttl_hint qemu.granule${g}.smp4_gicv3_2G PROPERTIES
                       LABELS "qemu;granule" TIMEOUT 180)
endforeach()

# The Pi 4's Cortex-A72 implements 4K and 64K (ID_AA64MMFR0_EL1 0x...1124): the 64 KiB kernel8.img
# boots there with every suite; the 16 KiB one stops with its message (granule_unsupported.cmake).
add_test(NAME qemu.granule64k.raspi4b COMMAND ${RPI4_BOOT_TEST} --image ${KERNEL_BUILD_DIR_64K}/kernel8.img --ktest
  --expect-line "Machine model: Raspberry Pi 4 Model B" --expect-line "x 64K pages, 36 permanent"
  --expect-line "CPU: entered at EL2, running at EL1")
set_tests_properties(qemu.granule64k.raspi4b PROPERTIES LABELS "qemu;granule" TIMEOUT 180)
