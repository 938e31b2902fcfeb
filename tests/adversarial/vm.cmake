# The VM backend's adversarial tests (labels adversarial;vm): a hostile
# static program run as root in a TCG guest attacks the host side of burrow
# (setuid through the 9p share, control-port and console floods, an
# oversized enter frame, an enter server that stopped answering). One CTest
# test per case, each one boot. Root only: as a plain user the command is
# not root in the guest and none of these attacks can start, so there is no
# .user twin (the binary exits 77 when not run as root).
add_executable(vm_guest_hostile vm_guest_hostile.c)
target_link_options(vm_guest_hostile PRIVATE -static)
if(BURROW_SANITIZE)
  target_compile_options(vm_guest_hostile PRIVATE -fno-sanitize=all)
  target_link_options(vm_guest_hostile PRIVATE -fno-sanitize=all)
endif()
add_executable(test_adversarial_vm test_vm_hostile.cpp)
target_link_libraries(test_adversarial_vm PRIVATE burrow_test_support Boost::unit_test_framework)
target_compile_definitions(test_adversarial_vm PRIVATE BOOST_TEST_DYN_LINK
  VM_DRIVER="$<TARGET_FILE:vm_driver>" VM_HOSTILE="$<TARGET_FILE:vm_guest_hostile>")
add_dependencies(test_adversarial_vm vm_driver vm_guest_hostile)
foreach(case setuid_through_the_share control_port_flood_without_newline
        control_port_flood_of_lines_keeps_the_status console_flood_is_capped
        oversized_enter_frame enter_into_a_guest_that_stopped_answering)
  burrow_test(adversarial.vm.${case} LABELS adversarial vm PROPERTIES TIMEOUT 120
              COMMAND test_adversarial_vm --run_test=${case})
endforeach()
# Label vm: not in the ASan suite, so not built by default under the asan preset.
if(BURROW_SANITIZE)
  set_target_properties(test_adversarial_vm vm_guest_hostile PROPERTIES EXCLUDE_FROM_ALL TRUE)
endif()
