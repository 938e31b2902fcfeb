// The namespace backend's translation of a project sandbox into a policy
// (launcher/launch_namespace.cpp); exposed for the benchmark and tests.
#pragma once

#include "policy/policy.hpp"
#include "policy/project_sandbox.hpp"

namespace burrow::launch {

// Shares in order (with /proc and /dev after the system ones), the final
// environment, seccomp profile "default", die-with-parent, no new session,
// then the --policy layers. Throws policy::PolicyError (a seed unreadable).
policy::Policy project_policy(const project::ProjectSandbox& ps);

} // namespace burrow::launch
