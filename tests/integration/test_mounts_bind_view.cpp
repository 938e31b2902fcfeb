// FsOpKind::bind_view (runtime/bind_view.cpp): a read-only directory holding
// exactly the listed host entries, each bound read-only, nosuid, nodev;
// symlinks copied; missing or clashing entries fail with one message and
// leave nothing on the host. Also run as burrowtest and through the
// pre-5.2 mount(2) fallbacks (the _as_user and _legacy registrations).
#define BOOST_TEST_MODULE mounts_bind_view
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include "tests/integration/mounts_test_support.hpp"

using namespace mtest;

namespace {

std::string mount_line(const std::string& mountinfo, const std::string& mp) {
    std::istringstream in(mountinfo);
    std::string line, found;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string id, parent, dev, root, point;
        f >> id >> parent >> dev >> root >> point;
        if (point == mp) found = line; // the last one is the visible one
    }
    return found;
}

bool has_opt(const std::string& line, const std::string& opt) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, opts;
    f >> id >> parent >> dev >> root >> point >> opts;
    return ("," + opts + ",").find("," + opt + ",") != std::string::npos;
}

json view_op(const std::string& dest, const std::vector<std::string>& sources) {
    return json{{"kind", "bind_view"}, {"dest", dest}, {"view", sources}};
}

// A host "store": a directory entry with content, a file, a symlink, and
// an entry that is not listed; a second parent holds one more entry.
struct Store {
    TempDir t, u;
    Store() {
        ::mkdir((t / "a").c_str(), 0755);
        ::mkdir((t / "a/sub").c_str(), 0755);
        write_file(t / "a/f", "in a\n");
        write_file(t / "b", "file b\n");
        BOOST_REQUIRE(::symlink("a", (t / "c").c_str()) == 0);
        ::mkdir((t / "hidden").c_str(), 0755);
        write_file(t / "hidden/secret", "secret\n");
        ::mkdir((u / "e").c_str(), 0755);
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(view_shows_exactly_the_entries_read_only) {
    Store s;
    const std::string before = host_mountinfo();
    auto r = run(spec(with_base({view_op("/store", {s.t / "a", s.t / "b", s.t / "c", s.u / "e"}),
                                 op("proc", "/proc")}),
                      true),
                 "echo \"ls: $(ls -A /store | tr '\\n' ' ')\"; cat /store/a/f /store/b; "
                 "echo \"link: $(readlink /store/c)\"; stat -c 'mode: %a' /store; "
                 "for p in /store /store/a /store/a/sub /store/e; do "
                 "  touch $p/x 2>/dev/null && echo \"writable: $p\"; done; "
                 "echo more >> /store/b 2>/dev/null && echo 'writable: b'; "
                 "ls /store/hidden 2>/dev/null && echo leak; cat /proc/self/mountinfo");
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.find("ls: a b c e \n") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("in a\nfile b\n") != std::string::npos);
    BOOST_TEST(r.out.find("link: a\n") != std::string::npos);
    BOOST_TEST(r.out.find("mode: 755\n") != std::string::npos);
    BOOST_TEST(r.out.find("writable") == std::string::npos, r.out);
    BOOST_TEST(r.out.find("leak") == std::string::npos);
    for (const char* mp : {"/store", "/store/a", "/store/b", "/store/e"}) {
        const std::string l = mount_line(r.out, mp);
        BOOST_TEST(has_opt(l, "ro"), mp << ": " << l);
        BOOST_TEST(has_opt(l, "nosuid"), l);
        BOOST_TEST(has_opt(l, "nodev"), l);
    }
    // The staging mounts are gone with the staging tmpfs.
    BOOST_TEST(r.out.find("/view-") == std::string::npos);
    BOOST_TEST(host_mountinfo() == before);
    BOOST_TEST(!exists(s.t / "a/x"));
}

BOOST_AUTO_TEST_CASE(empty_view_is_an_empty_read_only_directory) {
    auto r = run(spec(with_base({view_op("/nix/store", {})})),
                 "ls -A /nix/store | wc -l; touch /nix/store/x 2>&1 || echo ro");
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out.rfind("0\n", 0) == 0u, r.out);
    BOOST_TEST(r.out.find("ro\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_entries_fail_with_one_message) {
    Store s;
    const std::string before = host_mountinfo();
    auto r = run(spec(with_base({view_op("/store", {s.t / "a", s.t / "missing"})})), "echo ran");
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(r.err == "bwrap: Can't make view on /newroot/store: " + s.t.path +
                            "/missing: No such "
                            "file or directory\n");
    // Two entries of the same name (from different parents) would shadow each other.
    ::mkdir((s.u / "a").c_str(), 0755);
    r = run(spec(with_base({view_op("/store", {s.t / "a", s.u / "a"})})), "echo ran");
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: Can't make view on /newroot/store: " + s.u.path +
                            "/a: mkdir: File "
                            "exists\n");
    r = run(spec(with_base({view_op("/store", {"relative/x"})})), "echo ran");
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err.find("not an absolute path to an entry: relative/x") != std::string::npos,
               r.err);
    BOOST_TEST(host_mountinfo() == before);
}
