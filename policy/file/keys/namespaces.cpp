// [namespaces]: which namespaces besides the mount namespace are new. A
// launch layer may only add namespaces (key::stricter).
#include <array>

#include "policy/file/keys.hpp"

namespace burrow::policy {

namespace {

using K = KeyType;

constexpr char kUser[] = "--unshare-user";
constexpr char kIpc[] = "--unshare-ipc";
constexpr char kPid[] = "--unshare-pid";
constexpr char kUts[] = "--unshare-uts";
// -try: a kernel without cgroup namespaces still runs the policy.
constexpr char kCgroup[] = "--unshare-cgroup-try";

template <auto M, const char* Option>
constexpr KeyOps kNamespace{.decode = key::boolean<M>,
                            .show = key::show<M>,
                            .layer = key::stricter<M>,
                            .bwrap = key::option_if<M, Option>};

constexpr std::array kKeys{
    KeyDoc{"namespaces",
           K::table,
           "",
           "Namespaces to create besides the mount namespace.",
           {.layer = key::section}},
    KeyDoc{"namespaces.user", K::boolean, "true", "New user namespace.",
           kNamespace<&Policy::ns_user, kUser>},
    KeyDoc{"namespaces.ipc", K::boolean, "true", "New IPC namespace.",
           kNamespace<&Policy::ns_ipc, kIpc>},
    KeyDoc{"namespaces.pid", K::boolean, "true", "New pid namespace.",
           kNamespace<&Policy::ns_pid, kPid>},
    KeyDoc{"namespaces.uts", K::boolean, "true", "New UTS namespace (host name).",
           kNamespace<&Policy::ns_uts, kUts>},
    KeyDoc{"namespaces.cgroup", K::boolean, "true", "New cgroup namespace.",
           kNamespace<&Policy::ns_cgroup, kCgroup>},
};

} // namespace

std::span<const KeyDoc> namespaces_keys() {
    return kKeys;
}

} // namespace burrow::policy
