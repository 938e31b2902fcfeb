// The helper that runs as the payload of systemd-nspawn (pid 2 of the
// container, next to nspawn's stub pid 1): burrow's own binary bound
// read-only into the container and started as
//   /run/burrow/burrow __container-exec /run/burrow/meta/spec
// It reads the spec (launcher/container/spec.hpp), fixes ownership of the
// mount points nspawn made on the caller's tmpfs, and forks the command:
// the child drops to the caller's uid/gid (no supplementary groups, no
// capabilities even as uid 0, empty bounding set), creates
// dirs, copy-seeds files, changes directory and execs with exactly the
// spec's environment. The helper itself stays root, forwards signals to the
// command and writes its exit status (128+N for signal N) into the status
// file before exiting with it, so the host tells a payload status apart from
// a failure of nspawn itself.
#pragma once

namespace burrow::container {

inline constexpr const char* kExecVerb = "__container-exec";

// argv: [prog, "__container-exec", SPEC_PATH]. Returns the exit code.
int container_exec_main(int argc, char** argv);

} // namespace burrow::container
