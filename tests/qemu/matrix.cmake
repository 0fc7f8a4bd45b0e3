# The boot matrix: CPU model x entry EL (PSCI hvc at EL1, smc at EL2) x RAM x CPUs online (1, 2, 4,
# 8 = NR_CPUS) x GIC version x DTB placement (where QEMU puts it, or near the top of RAM through a
# minimal loader), as a pairwise covering array (tests/qemu/matrix_configs.py: every pair of values
# of every two factors in at least one boot; 25 boots instead of the 576 of the full product).
# Every boot runs every in-kernel KTAP suite and must bring every CPU online.
# `tools/run-tests --quick` leaves it out.
execute_process(COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/matrix_configs.py
                OUTPUT_VARIABLE matrix_rows COMMAND_ERROR_IS_FATAL ANY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/matrix_configs.py)
string(REPLACE "\n" ";" matrix_rows "${matrix_rows}")
foreach(row IN LISTS matrix_rows)
  if(row STREQUAL "")
    continue()
  endif()
  string(REPLACE " " ";" f "${row}")
  list(GET f 0 cpu)
  list(GET f 1 el)
  list(GET f 2 mem)
  list(GET f 3 smp)
  list(GET f 4 gic)
  list(GET f 5 where)
  set(extra --virt-opt gic-version=${gic})
  if(el EQUAL 2)
    list(APPEND extra --el2)
  endif()
  if(where STREQUAL "high")
    string(REGEX REPLACE "[MG]$" "" n ${mem})
    if(mem MATCHES "G$")
      math(EXPR top "0x40000000 + ${n} * 1073741824 - 0x100000" OUTPUT_FORMAT HEXADECIMAL)
    else()
      math(EXPR top "0x40000000 + ${n} * 1048576 - 0x100000" OUTPUT_FORMAT HEXADECIMAL)
    endif()
    list(APPEND extra --dtb-at ${top})
  endif()
  if(smp EQUAL 1)
    set(brought "] smp: Brought up 1 node, 1 CPU")
  else()
    set(brought "][    C0] smp: Brought up 1 node, ${smp} CPUs")
  endif()
  set(name qemu.matrix.${cpu}.el${el}.${mem}.smp${smp}.gicv${gic}.dtb_${where})
  add_test(NAME ${name} COMMAND ${BOOT_TEST} --cpu ${cpu} --mem ${mem} --smp ${smp} --ktest ${extra}
                                --expect-line "${brought}")
  set_tests_properties(${name} PROPERTIES LABELS "qemu;matrix;smp" TIMEOUT 180)
endforeach()
add_test(NAME qemu.matrix.covers_every_pair COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/matrix_configs.py
                                                    --check)
set_tests_properties(qemu.matrix.covers_every_pair PROPERTIES LABELS "qemu;matrix")
