// Symlink attacks on the mount plan: a symlink planted earlier in the
// sandbox tree, by --symlink or by the contents of a bound host directory,
// must never lead a created file, directory or mount onto the host. And the
// legitimate in-root symlinks that upstream's hardening broke (bubblewrap
// issue 801: /var/run -> ../run) must keep working.
#define BOOST_TEST_MODULE test_mounts_escape
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include "tests/integration/mounts_test_support.hpp"

using namespace mtest;

namespace {

int data_fd(const std::string& data) {
    char name[] = "/tmp/mtest-dataXXXXXX";
    int fd = ::mkstemp(name);
    ::unlink(name);
    BOOST_REQUIRE(fd >= 0);
    BOOST_REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::lseek(fd, 0, SEEK_SET);
    return fd;
}

size_t entries(const std::string& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
    return n;
}

size_t host_mounts_mentioning(const std::string& path) {
    std::string info = host_mountinfo();
    size_t n = 0;
    for (size_t pos = 0; (pos = info.find(path, pos)) != std::string::npos; pos += path.size()) ++n;
    return n;
}

// Every kind of operation that creates something, aimed below `base`.
json attacks(const std::string& base, int file_fd, int data_fd_) {
    json t = op("tmpfs", base + "/tmpfs");
    return json::array({op("dir", base + "/dir"),
                        {{"kind", "file"}, {"fd", file_fd}, {"dest", base + "/file"}},
                        {{"kind", "bind_data"}, {"fd", data_fd_}, {"dest", base + "/data"}},
                        t,
                        bind_op("/usr/share", base + "/bind"),
                        symlink_op("x", base + "/link"),
                        op("dir", base + "/deep/er/dir")});
}

} // namespace

BOOST_AUTO_TEST_CASE(absolute_symlink_from_option_stays_in_root) {
    TempDir victim;
    write_file(victim / "keep", "keep\n");
    const size_t mounts_before = host_mounts_mentioning(victim.path);
    int f = data_fd("f\n"), d = data_fd("d\n");
    // The same path exists inside the sandbox: that is where /evil leads.
    json ops = with_base({symlink_op(victim.path, "/evil"), op("dir", victim.path)});
    for (auto& a : attacks("/evil", f, d)) ops.push_back(a);
    auto r = run(spec(ops), "ls -A " + victim.path + " | tr '\\n' ' '; cat /evil/file");
    ::close(f);
    ::close(d);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "bind data deep dir file link tmpfs f\n", r.out);
    BOOST_TEST(entries(victim.path) == 1u); // only "keep"
    BOOST_TEST(host_mounts_mentioning(victim.path) == mounts_before);
}

BOOST_AUTO_TEST_CASE(relative_and_dotdot_escapes_are_clamped_at_the_root) {
    TempDir victim;
    int f = data_fd("f\n"), d = data_fd("d\n");
    json ops = with_base({symlink_op("../../../../../../../../.." + victim.path, "/a/b/rel"),
                          op("dir", victim.path)});
    for (auto& a : attacks("/a/b/rel", f, d)) ops.push_back(a);
    ops.push_back(op("dir", "/../../../.." + victim.path + "/dotdot"));
    auto r = run(spec(ops), "ls -A " + victim.path + " | tr '\\n' ' '");
    ::close(f);
    ::close(d);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "bind data deep dir dotdot file link tmpfs ", r.out);
    BOOST_TEST(entries(victim.path) == 0u);
}

BOOST_AUTO_TEST_CASE(the_staging_area_is_out_of_reach) {
    // During setup the host tree sits at /oldroot of the staging tmpfs, one
    // ".." above the new root: the classic way out for a path walk that is
    // not confined to the new root.
    TempDir victim;
    int f = data_fd("f\n"), d = data_fd("d\n");
    json ops = with_base({symlink_op("../../../oldroot" + victim.path, "/a/b/up"),
                          op("dir", "/oldroot" + victim.path)});
    for (auto& a : attacks("/a/b/up", f, d)) ops.push_back(a);
    ops.push_back(op("dir", "/../oldroot" + victim.path + "/dotdot"));
    auto r = run(spec(ops), "ls -A /oldroot" + victim.path + " | tr '\\n' ' '");
    ::close(f);
    ::close(d);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "bind data deep dir dotdot file link tmpfs ", r.out);
    BOOST_TEST(entries(victim.path) == 0u);
}

BOOST_AUTO_TEST_CASE(symlinks_inside_a_bound_host_directory_cannot_redirect) {
    TempDir shared, victim, victim2;
    std::filesystem::create_symlink(victim.path, shared / "abs");
    std::filesystem::create_symlink("../../../../../../../../.." + victim2.path, shared / "rel");
    int f1 = data_fd("1\n"), d1 = data_fd("2\n"), f2 = data_fd("3\n"), d2 = data_fd("4\n");
    json ops = with_base(
        {bind_op(shared.path, "/shared"), op("dir", victim.path), op("dir", victim2.path)});
    for (auto& a : attacks("/shared/abs", f1, d1)) ops.push_back(a);
    for (auto& a : attacks("/shared/rel", f2, d2)) ops.push_back(a);
    auto r = run(spec(ops), "cat /shared/abs/file /shared/rel/file");
    for (int fd : {f1, d1, f2, d2}) ::close(fd);
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "1\n3\n");
    BOOST_TEST(entries(victim.path) == 0u);
    BOOST_TEST(entries(victim2.path) == 0u);
    BOOST_TEST(entries(shared.path) == 2u); // just the two planted links
}

BOOST_AUTO_TEST_CASE(a_link_to_a_path_missing_inside_fails_without_touching_the_host) {
    // bwrap does not create the target of a dangling symlink either; what
    // matters is that the host path of the same name stays untouched.
    TempDir victim;
    for (const auto& kind : {"dir", "tmpfs"}) {
        auto r =
            run(spec(with_base({symlink_op(victim.path, "/evil"), op(kind, "/evil/x")})), "true");
        BOOST_TEST(r.status == 1);
        BOOST_TEST(r.err.find("No such file or directory") != std::string::npos, r.err);
    }
    int f = data_fd("f\n");
    auto r = run(spec(with_base({symlink_op(victim.path, "/evil"),
                                 {{"kind", "file"}, {"fd", f}, {"dest", "/evil/file"}}})),
                 "true");
    ::close(f);
    BOOST_TEST(r.status == 1);
    BOOST_TEST(entries(victim.path) == 0u);
}

BOOST_AUTO_TEST_CASE(chmod_and_remount_through_a_planted_link_miss_the_host) {
    TempDir victim;
    write_file(victim / "file", "x\n");
    ::chmod((victim / "file").c_str(), 0644);
    json c = op("chmod", "/evil/file");
    c["perms"] = 0777;
    auto r = run(spec(with_base({symlink_op(victim.path, "/evil"), c})), "true");
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "bwrap: Can't chmod 0777 /evil/file: No such file or directory\n");
    struct stat st;
    BOOST_REQUIRE(::stat((victim / "file").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0644u);
}

BOOST_AUTO_TEST_CASE(issue_801_var_run_symlink_into_run_keeps_working) {
    TempDir x;
    write_file(x / "sock", "cups\n");
    // Relative (the usual /var/run -> ../run) and absolute spellings.
    for (const std::string target : {"../run", "/run"}) {
        auto r = run(spec(with_base({op("tmpfs", "/run"), symlink_op(target, "/var/run"),
                                     bind_op(x.path, "/var/run/x"), op("proc", "/proc")}),
                          true),
                     "cat /run/x/sock /var/run/x/sock; grep -c ' /run/x ' /proc/self/mountinfo");
        BOOST_TEST(r.status == 0, target << ": " << r.err);
        BOOST_TEST(r.out == "cups\ncups\n1\n", target << ": " << r.out);
    }
    // And parents created through the link land below /run too.
    auto deep = run(spec(with_base({op("dir", "/run"), symlink_op("../run", "/var/run"),
                                    bind_op(x.path, "/var/run/a/b/x")})),
                    "cat /run/a/b/x/sock");
    BOOST_TEST(deep.status == 0, deep.err);
    BOOST_TEST(deep.out == "cups\n");
}
