// The namespace backend of `burrow launch` (burrow's own runtime). Like the
// container and VM backends (launcher/container/launch.hpp,
// launcher/vm/launch.hpp) it takes the backend-neutral project sandbox
// (policy/project/sandbox.hpp), runs its command to the end and returns the
// exit status burrow exits with (the command's, 128+N for a signal, 125 for
// burrow's own failure with one line already on stderr), and records the
// running sandbox in the session registry (launcher/session/registry.hpp) so
// that enter/stop/ps work the same on all three.
#pragma once

#include "policy/file/policy.hpp"
#include "policy/project/sandbox.hpp"

namespace burrow::launch {

int launch_namespace(const project::ProjectSandbox& ps);

// The translation of a project sandbox into a policy; exposed for the
// benchmark and tests. Shares in order (with /proc and /dev after the system
// ones), the final environment, seccomp profile "default", die-with-parent,
// no new session, then the --policy layers. Throws policy::PolicyError (a
// seed unreadable).
policy::Policy project_policy(const project::ProjectSandbox& ps);

} // namespace burrow::launch
