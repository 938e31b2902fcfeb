# Host-side attacks on burrow launch (issue 13 items 2, 6, 7, 8): symlinks
# planted in state dirs and project parents, project dirs on burrow's own
# dirs, forged registry entries of every backend, tmux detach-client -E,
# default shares, container status files swapped for /dev/zero or a FIFO.
# One shell driver (hostside.sh CASE); root and burrowtest variants.
foreach(case state-symlinks project-own-dirs forged-entries tmux-detach tmux-status default-shares)
  burrow_test(adversarial.hostside.${case} USER LABELS adversarial launch PROPERTIES TIMEOUT 180
              COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hostside.sh ${case})
endforeach()
# The container backend is root only: the .user variants exit 77.
foreach(case container-status-zero container-status-fifo)
  burrow_test(adversarial.hostside.${case} USER LABELS adversarial container
              PROPERTIES TIMEOUT 300 RESOURCE_LOCK burrow_container
              COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hostside.sh ${case})
endforeach()
