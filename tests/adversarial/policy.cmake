# Policy files and the built-in policies (issue 13, items 9 and 10):
# policy_attacks.sh says what each case attacks and what must hold.
# Root and burrowtest (.user) variants.
foreach(case fifo env write)
  burrow_test(adversarial.policy_${case} USER LABELS adversarial PROPERTIES TIMEOUT 240
              COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/policy_attacks.sh ${case})
endforeach()
