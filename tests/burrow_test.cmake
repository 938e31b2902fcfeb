# The one way to register a CTest test (issue 14, "one test harness"):
#
#   burrow_test(<area>.<name> LABELS <label>... [USER | ROOT_ONLY]
#               [ENV <VAR=value>...] [PROPERTIES <property> <value>...]
#               COMMAND <command> [<arg>...])
#
# registers "<area>.<name>" running <command> as whoever runs ctest, and
# with USER also "<area>.<name>.user", the same command run as the plain
# user through tests/as-user.sh (as root: as user burrowtest; as anyone
# else: directly). ROOT_ONLY: the test needs root and is skipped otherwise.
# Exit status 77 means "skipped" for every test (SKIP_RETURN_CODE 77): a
# test that cannot run says so with 77, never with a pass. <command> may be
# an executable target's name. Labels: one of unit, integration, vm,
# adversarial, fuzz (`ctest -LE vm` is the everyday loop), plus extras
# (container, launch, nix, ...; plain: not in the ASan run). USER_ONLY:
# only the ".user" variant. BURROW_BIN and BURROW_PROBE point at this
# build's binaries (when it builds them); ENV adds variables. PROPERTIES
# (TIMEOUT, COST, RESOURCE_LOCK, FIXTURES_*, WILL_FAIL ...) go on every
# registered variant.
include_guard(GLOBAL)

function(burrow_test name)
  cmake_parse_arguments(PARSE_ARGV 1 T "USER;ROOT_ONLY;USER_ONLY" "" "LABELS;ENV;PROPERTIES;COMMAND")
  if(T_UNPARSED_ARGUMENTS OR NOT T_COMMAND OR NOT T_LABELS)
    message(FATAL_ERROR "burrow_test(${name}): LABELS and COMMAND are required "
                        "(unexpected: ${T_UNPARSED_ARGUMENTS})")
  endif()
  if(NOT name MATCHES "^[a-z0-9_]+\\.[A-Za-z0-9_.-]+$" OR name MATCHES "\\.user$")
    message(FATAL_ERROR "burrow_test(${name}): the name must be <area>.<name> (.user is added)")
  endif()
  if(T_USER AND T_ROOT_ONLY)
    message(FATAL_ERROR "burrow_test(${name}): USER and ROOT_ONLY exclude each other")
  endif()
  # Through the wrapper a target name must become its path.
  list(POP_FRONT T_COMMAND exe)
  if(TARGET ${exe})
    set(exe $<TARGET_FILE:${exe}>)
  endif()
  set(as_user ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/as-user.sh)
  set(names ${name})
  if(T_USER_ONLY)
    # Only "<name>.user" (the root run of the same suite is registered
    # separately, e.g. with ROOT_ONLY and a subset of its cases).
    set(names ${name}.user)
    add_test(NAME ${name}.user COMMAND ${as_user} ${exe} ${T_COMMAND})
  elseif(T_ROOT_ONLY)
    add_test(NAME ${name} COMMAND ${as_user} --root-only ${exe} ${T_COMMAND})
  else()
    add_test(NAME ${name} COMMAND ${exe} ${T_COMMAND})
  endif()
  if(T_USER)
    add_test(NAME ${name}.user COMMAND ${as_user} ${exe} ${T_COMMAND})
    list(APPEND names ${name}.user)
  endif()
  set(env ${T_ENV})
  if(TARGET burrow)
    list(PREPEND env "BURROW_BIN=$<TARGET_FILE:burrow>" "BURROW_PROBE=$<TARGET_FILE:burrow-probe>")
  endif()
  set_tests_properties(${names} PROPERTIES LABELS "${T_LABELS}" SKIP_RETURN_CODE 77 ${T_PROPERTIES})
  if(env)
    set_tests_properties(${names} PROPERTIES ENVIRONMENT "${env}")
  endif()
endfunction()

# The registration of before issue 14, kept so that branches written against
# it still configure: burrow_add_ns_test(name binary labels args...) is
# burrow_test(name USER LABELS labels COMMAND binary args...). Use
# burrow_test in new code.
function(burrow_add_ns_test name binary labels)
  burrow_test(${name} USER LABELS ${labels} COMMAND ${binary} ${ARGN})
endfunction()

# burrow_plain_under_asan(<test>...): under the asan preset these tests run
# in the plain suite only (label plain added), where they exist. For the
# twin of a suite whose other twin still runs instrumented: its time under
# ASan went to CI's 30 minutes. Call it where the tests are registered.
function(burrow_plain_under_asan)
  if(NOT BURROW_SANITIZE)
    return()
  endif()
  foreach(t ${ARGN})
    if(TEST ${t})
      get_test_property(${t} LABELS labels)
      set_tests_properties(${t} PROPERTIES LABELS "${labels};plain")
    endif()
  endforeach()
endfunction()
