// The remount plan of the mount(2) fallback (runtime/mountinfo: kernels
// without mount_setattr): which mounts of a mountinfo table get new flags,
// and in which order. Driven by hand-written mountinfo files whose mount
// points lie below a directory that does not exist: a mount the plan skips
// is never attempted, and one it attempts fails (ENOENT as root, EPERM
// otherwise) and is named in *failing, so the first remount the plan
// chooses is observable without mounting anything.
#define BOOST_TEST_MODULE runtime_remount_plan
#include <sys/mount.h>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include "runtime/mountinfo.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/skip.hpp"

namespace mi = burrow::mountinfo;

namespace {

const std::string kBase = "/nonexistent-burrow-unit-test";

// One mountinfo line: id, parent, dev, root, mount point, per-mount options,
// separator, fs type, source, super options.
std::string line(int id, const std::string& point, const std::string& opts) {
    return std::to_string(id) + " 1 0:" + std::to_string(40 + id) + " / " + kBase + point + " " +
           opts + " - tmpfs tmpfs rw\n";
}

struct Table {
    btest::TempDir dir;
    std::string path = dir / "mountinfo";
    explicit Table(const std::vector<std::string>& lines) {
        std::string text = "1 0 0:1 / / rw - rootfs rootfs rw\n";
        for (const auto& l : lines) text += l;
        btest::write_file(path, text);
    }
};

struct Outcome {
    int rc;
    int err;
    std::string failing;
};

Outcome plan(const Table& t, const std::string& target, unsigned long flags, bool recursive) {
    std::string failing;
    errno = 0;
    const int rc = mi::add_flags(t.path, kBase + target, flags, recursive, &failing);
    return {rc, errno, failing};
}

bool have_libmount() {
    if (mi::preload()) return true;
    btest::skip("libmount.so.1 cannot be loaded");
    return false;
}

} // namespace

BOOST_AUTO_TEST_CASE(target_missing_from_the_table) {
    if (!have_libmount()) return;
    Table t({line(2, "/a", "rw")});
    const Outcome o = plan(t, "/b", MS_RDONLY, false);
    BOOST_TEST(o.rc == -1);
    BOOST_TEST(o.err == EINVAL);
    BOOST_TEST(o.failing == kBase + "/b");
}

BOOST_AUTO_TEST_CASE(unreadable_table) {
    if (!have_libmount()) return;
    std::string failing;
    BOOST_TEST(mi::add_flags("/nonexistent-burrow-unit-test/mountinfo", "/", MS_RDONLY, false,
                             &failing) == -1);
    BOOST_TEST(failing == "/nonexistent-burrow-unit-test/mountinfo");
}

BOOST_AUTO_TEST_CASE(flags_already_there_mean_no_remount) {
    if (!have_libmount()) return;
    Table t({line(2, "/a", "ro,nosuid,nodev"), line(3, "/a/b", "ro,nosuid,nodev,noexec")});
    const Outcome o = plan(t, "/a", MS_RDONLY | MS_NOSUID | MS_NODEV, true);
    BOOST_TEST(o.rc == 0, o.failing);
}

BOOST_AUTO_TEST_CASE(the_target_itself_is_remounted_when_a_flag_is_missing) {
    if (!have_libmount()) return;
    Table t({line(2, "/a", "rw,nosuid")});
    const Outcome o = plan(t, "/a", MS_RDONLY, false);
    BOOST_TEST(o.rc == -1);
    BOOST_TEST(o.failing == kBase + "/a");
}

BOOST_AUTO_TEST_CASE(submounts_only_when_recursive) {
    if (!have_libmount()) return;
    Table t({line(2, "/a", "ro"), line(3, "/a/sub", "rw")});
    BOOST_TEST(plan(t, "/a", MS_RDONLY, false).rc == 0);
    const Outcome o = plan(t, "/a", MS_RDONLY, true);
    BOOST_TEST(o.rc == -1);
    BOOST_TEST(o.failing == kBase + "/a/sub");
}

BOOST_AUTO_TEST_CASE(a_sibling_sharing_the_prefix_is_not_below) {
    if (!have_libmount()) return;
    // "/ab" is not below "/a"; "/a/b" is.
    Table t({line(2, "/a", "ro"), line(3, "/ab", "rw"), line(4, "/a/b", "ro")});
    const Outcome o = plan(t, "/a", MS_RDONLY, true);
    BOOST_TEST(o.rc == 0, o.failing);
}

BOOST_AUTO_TEST_CASE(parents_are_remounted_before_children) {
    if (!have_libmount()) return;
    // Listed child first: the plan still starts with the shallower mount.
    Table t({line(2, "/a", "ro"), line(3, "/a/b/c", "rw"), line(4, "/a/b", "rw")});
    const Outcome o = plan(t, "/a", MS_RDONLY, true);
    BOOST_TEST(o.rc == -1);
    BOOST_TEST(o.failing == kBase + "/a/b");
}

BOOST_AUTO_TEST_CASE(the_last_mount_on_a_path_is_the_visible_one) {
    if (!have_libmount()) return;
    // A mount stacked on another: only the top one (listed last) counts.
    Table over_rw({line(2, "/a", "rw"), line(3, "/a", "ro")});
    BOOST_TEST(plan(over_rw, "/a", MS_RDONLY, false).rc == 0);
    Table over_ro({line(2, "/a", "ro"), line(3, "/a", "rw")});
    const Outcome o = plan(over_ro, "/a", MS_RDONLY, false);
    BOOST_TEST(o.rc == -1);
    BOOST_TEST(o.failing == kBase + "/a");
}
