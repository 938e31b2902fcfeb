// Id map planning (runtime/namespaces): the text written to uid_map and
// gid_map, which maps the first user namespace gets (bwrap maps the caller to
// root first when a devpts must be mounted, and moves to the asked ids in a
// nested namespace afterwards), and the clone flags a Sandbox asks for.
// Plain data in, plain data out: nothing here creates a namespace.
#define BOOST_TEST_MODULE runtime_maps
#include <sched.h>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "runtime/namespaces.hpp"
#include "runtime/sandbox.hpp"

using burrow::FsOp;
using burrow::FsOpKind;
using burrow::IdMapEntry;
using burrow::Sandbox;
namespace ns = burrow::ns;

namespace {

// A user namespace mapping the caller (outside uid/gid 1000) to `uid`/`gid`.
Sandbox user_sandbox(uint32_t uid, uint32_t gid) {
    Sandbox sb;
    sb.ns.user = true;
    sb.ids.uid = uid;
    sb.ids.gid = gid;
    sb.ids.uid_map = {IdMapEntry{uid, 1000, 1}};
    sb.ids.gid_map = {IdMapEntry{gid, 1000, 1}};
    return sb;
}

void add_op(Sandbox& sb, FsOpKind kind, const std::string& dest) {
    FsOp op;
    op.kind = kind;
    op.dest = dest;
    sb.fs.push_back(op);
}

bool same(const std::vector<IdMapEntry>& a, const std::vector<IdMapEntry>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].inside != b[i].inside || a[i].outside != b[i].outside || a[i].count != b[i].count)
            return false;
    return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(map_text_is_one_line_per_entry) {
    BOOST_TEST(ns::map_text({}) == "");
    BOOST_TEST(ns::map_text({IdMapEntry{0, 1000, 1}}) == "0 1000 1\n");
    BOOST_TEST(ns::map_text({IdMapEntry{0, 100000, 65536}, IdMapEntry{65536, 1000, 1}}) ==
               "0 100000 65536\n65536 1000 1\n");
    // The whole 32-bit range: no sign, no truncation.
    BOOST_TEST(ns::map_text({IdMapEntry{4294967294u, 4294967295u, 1}}) ==
               "4294967294 4294967295 1\n");
}

BOOST_AUTO_TEST_CASE(no_user_namespace_no_maps) {
    Sandbox sb;
    add_op(sb, FsOpKind::dev, "/dev");
    const auto plan = ns::plan_maps(sb);
    BOOST_TEST(plan.uid_map.empty());
    BOOST_TEST(plan.gid_map.empty());
    BOOST_TEST(!plan.nested);
}

BOOST_AUTO_TEST_CASE(maps_as_asked_without_devpts) {
    Sandbox sb = user_sandbox(1000, 1000);
    add_op(sb, FsOpKind::tmpfs, "/tmp");
    add_op(sb, FsOpKind::proc, "/proc");
    const auto plan = ns::plan_maps(sb);
    BOOST_TEST(same(plan.uid_map, sb.ids.uid_map));
    BOOST_TEST(same(plan.gid_map, sb.ids.gid_map));
    BOOST_TEST(!plan.nested);
}

BOOST_AUTO_TEST_CASE(devpts_maps_the_caller_to_root_then_nests) {
    // --dev: devpts refuses a namespace without root, so the first
    // namespace maps the caller to 0 and a nested one gives the asked ids.
    Sandbox sb = user_sandbox(1000, 1001);
    add_op(sb, FsOpKind::dev, "/dev");
    const auto plan = ns::plan_maps(sb);
    BOOST_TEST(ns::map_text(plan.uid_map) == "0 1000 1\n");
    BOOST_TEST(ns::map_text(plan.gid_map) == "0 1000 1\n");
    BOOST_TEST(plan.nested);
    // The Sandbox itself is not changed.
    BOOST_TEST(ns::map_text(sb.ids.uid_map) == "1000 1000 1\n");
}

BOOST_AUTO_TEST_CASE(devpts_as_root_inside_needs_no_nesting) {
    Sandbox sb = user_sandbox(0, 0);
    add_op(sb, FsOpKind::dev, "/dev");
    const auto plan = ns::plan_maps(sb);
    BOOST_TEST(ns::map_text(plan.uid_map) == "0 1000 1\n");
    BOOST_TEST(!plan.nested);
    // Root uid but another gid still nests (the gid must change).
    Sandbox g = user_sandbox(0, 5);
    add_op(g, FsOpKind::dev, "/dev");
    BOOST_TEST(ns::plan_maps(g).nested);
}

BOOST_AUTO_TEST_CASE(ranges_are_kept_even_with_devpts) {
    // Only a single one-id map can be moved to root: a range stays as asked.
    Sandbox sb = user_sandbox(1000, 1000);
    sb.ids.uid_map = {IdMapEntry{0, 100000, 65536}};
    add_op(sb, FsOpKind::dev, "/dev");
    const auto plan = ns::plan_maps(sb);
    BOOST_TEST(ns::map_text(plan.uid_map) == "0 100000 65536\n");
    BOOST_TEST(ns::map_text(plan.gid_map) == "1000 1000 1\n");
    BOOST_TEST(!plan.nested);
}

BOOST_AUTO_TEST_CASE(disable_userns_always_nests) {
    Sandbox sb = user_sandbox(1000, 1000);
    sb.ns.disable_userns = true;
    const auto plan = ns::plan_maps(sb);
    BOOST_TEST(plan.nested);
    BOOST_TEST(same(plan.uid_map, sb.ids.uid_map));
}

BOOST_AUTO_TEST_CASE(userns_block_fd_leaves_the_maps_to_the_caller) {
    // --userns-block-fd: the caller writes the maps itself.
    Sandbox sb = user_sandbox(1000, 1000);
    sb.status.userns_block_fd = 9;
    add_op(sb, FsOpKind::dev, "/dev");
    const auto plan = ns::plan_maps(sb);
    BOOST_TEST(plan.uid_map.empty());
    BOOST_TEST(plan.gid_map.empty());
    BOOST_TEST(!plan.nested);
}

BOOST_AUTO_TEST_CASE(clone_flags_follow_the_namespaces_asked) {
    burrow::Namespaces n;
    BOOST_TEST(ns::clone_flags(n) == static_cast<unsigned long long>(CLONE_NEWNS));
    n.user = n.pid = n.net = n.ipc = n.uts = n.cgroup = true;
    BOOST_TEST(ns::clone_flags(n) == static_cast<unsigned long long>(
                                         CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                         CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP));
    burrow::Namespaces joined;
    joined.join_user_fd = 3; // joining is setns, not a new namespace
    joined.join_pid_fd = 4;
    BOOST_TEST(ns::clone_flags(joined) == static_cast<unsigned long long>(CLONE_NEWNS));
}
