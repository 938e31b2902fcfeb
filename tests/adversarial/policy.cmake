# Policy files and the built-in policies (issue 13, items 9 and 10):
# policy_attacks.sh says what each case attacks and what must hold.
# Root and burrowtest (.user) variants through burrow_add_ns_test.
foreach(case fifo env write)
  burrow_add_ns_test(adversarial.policy_${case} ${CMAKE_CURRENT_SOURCE_DIR}/policy_attacks.sh
                     "adversarial" ${case})
  set_tests_properties(adversarial.policy_${case} adversarial.policy_${case}.user
                       PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)
endforeach()
