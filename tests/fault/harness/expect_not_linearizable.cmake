# Runs fault_run with kvd's stale reads switched on under the nemesis ${NEMESIS} (on the network
# ${NETWORK}), and passes only when the run reports the history NOT linearizable (exit code 1)
# and names a key whose history is not linearizable. Invoked by ctest with -DFAULT_RUN=<path>
# -DOUT=<dir> -DNEMESIS=<kinds> -DNETWORK=<auto|namespaces|loopback>.
execute_process(
  COMMAND ${FAULT_RUN} --duration 15s --nemesis ${NEMESIS} --network ${NETWORK} --seed 1
          --kvd-flag=--unsafe-stale-reads-for-tests --out ${OUT}
  RESULT_VARIABLE code
  OUTPUT_VARIABLE report)
message("${report}")
if(NOT code EQUAL 1)
  message(FATAL_ERROR "expected exit code 1 (not linearizable), got ${code}")
endif()
if(NOT report MATCHES "\n  k[0-9]+: not linearizable")
  message(FATAL_ERROR "the report names no non-linearizable key")
endif()
