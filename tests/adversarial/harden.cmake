# Hardening of every way into a project sandbox (issue 13 items 1, 4, 5):
# the joiner hijack, secrets in pid 1's memory, inherited fds, TIOCSTI.
# Root and .user on the namespace backend.
add_executable(harden_hostile ${CMAKE_CURRENT_LIST_DIR}/harden_hostile.c)
set_target_properties(harden_hostile PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
if(BURROW_SANITIZE)
  target_compile_options(harden_hostile PRIVATE -fno-sanitize=all)
  target_link_options(harden_hostile PRIVATE -fno-sanitize=all)
endif()
burrow_bwrap_test(test_adversarial_harden adversarial.harden "adversarial"
                  ${CMAKE_CURRENT_LIST_DIR}/test_harden.cpp)
target_link_libraries(test_adversarial_harden PRIVATE util) # openpty
add_dependencies(test_adversarial_harden harden_hostile)
target_compile_definitions(test_adversarial_harden
                           PRIVATE HARDEN_HOSTILE="$<TARGET_FILE:harden_hostile>")
# The same attacks on the container backend (systemd-nspawn; the in-container
# helper and the joining enter): root only, as anyone else the backend
# refuses (skipped, 77). One container test at a time (RESOURCE_LOCK, as the
# container suites).
burrow_test(adversarial.harden.container ROOT_ONLY LABELS adversarial container
            ENV BURROW_LAUNCH_BACKEND=container
            PROPERTIES TIMEOUT 300 RESOURCE_LOCK burrow_container COMMAND test_adversarial_harden)
