// Path resolution inside a root (runtime/path_resolve): every destination of
// the mount plan goes through inroot::open / inroot::make_parents, so ".."
// and symlinks (absolute, relative, looping, dangling) must stay below the
// root. Each case runs twice: openat2(RESOLVE_IN_ROOT) and the userspace
// walk of kernels before 5.6. A real temporary directory, no namespaces: a
// "root" beside an "outside" directory the resolver must never reach.
#define BOOST_TEST_MODULE runtime_paths
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <string>

#include "runtime/fd.hpp"
#include "runtime/path_resolve.hpp"
#include "tests/support/run_command.hpp"

namespace inroot = burrow::inroot;
using burrow::Fd;

namespace {

ino_t inode_of(int fd) {
    struct stat st {};
    BOOST_REQUIRE(::fstat(fd, &st) == 0);
    return st.st_ino;
}

ino_t inode_at(const std::string& path) {
    struct stat st {};
    BOOST_REQUIRE_MESSAGE(::lstat(path.c_str(), &st) == 0, path);
    return st.st_ino;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// base/root (the sandbox root) and base/outside (the host beyond it).
struct Tree {
    btest::TempDir base;
    std::string root = base / "root";
    std::string outside = base / "outside";
    Fd root_fd;
    Tree() {
        BOOST_REQUIRE(::mkdir(root.c_str(), 0755) == 0);
        BOOST_REQUIRE(::mkdir(outside.c_str(), 0755) == 0);
        btest::write_file(root + "/f", "inside\n");
        btest::write_file(outside + "/f", "outside\n");
        btest::write_file(outside + "/secret", "secret\n");
        root_fd = Fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        BOOST_REQUIRE(root_fd.valid());
    }
    void mkdir(const std::string& rel) {
        BOOST_REQUIRE(::mkdir((root + "/" + rel).c_str(), 0755) == 0);
    }
    void symlink(const std::string& target, const std::string& rel) {
        BOOST_REQUIRE(::symlink(target.c_str(), (root + "/" + rel).c_str()) == 0);
    }
    // Resolves rel with O_PATH; -1 and errno on failure. (openat2 refuses a
    // mode without O_CREAT, as the runtime's callers know.)
    Fd open(const std::string& rel, int flags = O_PATH) {
        return Fd(inroot::open(root_fd.get(), rel, flags, (flags & O_CREAT) ? 0644 : 0));
    }
};

// Runs body once per resolver.
template <class F> void both_resolvers(F body) {
    for (bool walk : {false, true}) {
        BOOST_TEST_CONTEXT((walk ? "userspace walk" : "openat2")) {
            inroot::force_userspace_walk(walk);
            body();
        }
    }
    inroot::force_userspace_walk(false);
}

} // namespace

BOOST_AUTO_TEST_CASE(normalize_drops_empty_and_dot_components_only) {
    BOOST_TEST(inroot::normalize("/a//b/./c/") == "a/b/c");
    BOOST_TEST(inroot::normalize("") == ".");
    BOOST_TEST(inroot::normalize("/") == ".");
    BOOST_TEST(inroot::normalize("././/.") == ".");
    // ".." is left to the resolver: only it knows what the root is.
    BOOST_TEST(inroot::normalize("a/../b") == "a/../b");
    BOOST_TEST(inroot::normalize("../..") == "../..");
}

BOOST_AUTO_TEST_CASE(the_root_itself) {
    both_resolvers([] {
        Tree t;
        for (const char* p : {"", "/", ".", "..", "/../..", "./../."}) {
            Fd fd = t.open(p, O_PATH | O_DIRECTORY);
            BOOST_TEST_REQUIRE(fd.valid(), p);
            BOOST_TEST(inode_of(fd.get()) == inode_at(t.root), p);
        }
    });
}

BOOST_AUTO_TEST_CASE(dot_dot_cannot_climb_above_the_root) {
    both_resolvers([] {
        Tree t;
        t.mkdir("d");
        // "../outside/secret" from the root's top would be base/outside/secret.
        Fd escape = t.open("../outside/secret");
        BOOST_TEST(!escape.valid());
        BOOST_TEST(errno == ENOENT);
        // Any number of ".." ends at the root: "f" is the root's, not outside's.
        Fd f = t.open("d/../../../../f");
        BOOST_TEST_REQUIRE(f.valid());
        BOOST_TEST(inode_of(f.get()) == inode_at(t.root + "/f"));
    });
}

BOOST_AUTO_TEST_CASE(absolute_symlinks_mean_the_root) {
    both_resolvers([] {
        Tree t;
        t.mkdir("etc");
        btest::write_file(t.root + "/etc/x", "x");
        t.symlink("/etc", "abs");
        Fd x = t.open("abs/x");
        BOOST_TEST_REQUIRE(x.valid());
        BOOST_TEST(inode_of(x.get()) == inode_at(t.root + "/etc/x"));
        // The host's absolute path of the outside directory names nothing
        // inside the root.
        t.symlink(t.outside + "/secret", "host");
        Fd host = t.open("host");
        BOOST_TEST(!host.valid());
        BOOST_TEST(errno == ENOENT);
        // A symlink to "/" is the root.
        t.symlink("/", "slash");
        Fd f = t.open("slash/slash/f");
        BOOST_TEST_REQUIRE(f.valid());
        BOOST_TEST(inode_of(f.get()) == inode_at(t.root + "/f"));
    });
}

BOOST_AUTO_TEST_CASE(relative_symlinks_work_inside_and_stop_at_the_root) {
    both_resolvers([] {
        Tree t;
        // /var/run -> ../run, as on every Debian system.
        t.mkdir("var");
        t.mkdir("run");
        btest::write_file(t.root + "/run/pid", "1");
        t.symlink("../run", "var/run");
        Fd pid = t.open("/var/run/pid");
        BOOST_TEST_REQUIRE(pid.valid());
        BOOST_TEST(inode_of(pid.get()) == inode_at(t.root + "/run/pid"));
        // A link that climbs out: its ".." stop at the root.
        t.symlink("../../../outside", "up");
        Fd up = t.open("up/secret");
        BOOST_TEST(!up.valid());
        BOOST_TEST(errno == ENOENT);
        t.symlink("../../..", "top");
        Fd f = t.open("top/f");
        BOOST_TEST_REQUIRE(f.valid());
        BOOST_TEST(inode_of(f.get()) == inode_at(t.root + "/f"));
    });
}

BOOST_AUTO_TEST_CASE(symlink_loops_and_file_components_fail) {
    both_resolvers([] {
        Tree t;
        t.symlink("b", "a");
        t.symlink("a", "b");
        Fd loop = t.open("a/x");
        BOOST_TEST(!loop.valid());
        BOOST_TEST(errno == ELOOP);
        Fd through_file = t.open("f/x");
        BOOST_TEST(!through_file.valid());
        BOOST_TEST(errno == ENOTDIR);
        Fd file_as_dir = t.open("f", O_PATH | O_DIRECTORY);
        BOOST_TEST(!file_as_dir.valid());
        BOOST_TEST(errno == ENOTDIR);
        Fd missing = t.open("nothing/here");
        BOOST_TEST(!missing.valid());
        BOOST_TEST(errno == ENOENT);
    });
}

BOOST_AUTO_TEST_CASE(creating_through_a_dangling_absolute_symlink_stays_inside) {
    both_resolvers([] {
        Tree t;
        const std::string name = "created-by-test";
        t.symlink("/" + name, "dangling");
        Fd fd = t.open("dangling", O_CREAT | O_WRONLY);
        BOOST_TEST_REQUIRE(fd.valid());
        BOOST_TEST(inode_of(fd.get()) == inode_at(t.root + "/" + name));
        BOOST_TEST(!exists(t.base / name));
        BOOST_TEST(!exists("/" + name));
    });
}

BOOST_AUTO_TEST_CASE(make_parents_creates_each_missing_directory_in_root) {
    both_resolvers([] {
        Tree t;
        const mode_t old = ::umask(0);
        inroot::Parent p;
        BOOST_TEST_REQUIRE(inroot::make_parents(t.root_fd.get(), "/a/b/c/leaf", 0710, p));
        ::umask(old);
        BOOST_TEST(p.name == "leaf");
        BOOST_TEST(inode_of(p.dir.get()) == inode_at(t.root + "/a/b/c"));
        for (const char* d : {"/a", "/a/b", "/a/b/c"}) {
            struct stat st {};
            BOOST_TEST_REQUIRE(::stat((t.root + d).c_str(), &st) == 0);
            BOOST_TEST((st.st_mode & 07777) == 0710u, d);
        }
        BOOST_TEST(!exists(t.root + "/a/b/c/leaf")); // the last component is the caller's

        // Through an absolute symlink and "..": created in the root, never
        // beside it.
        t.mkdir("made");
        t.symlink("/made", "abs");
        inroot::Parent q;
        BOOST_TEST_REQUIRE(inroot::make_parents(t.root_fd.get(), "abs/../../x/y/z", 0755, q));
        BOOST_TEST(q.name == "z");
        BOOST_TEST(inode_of(q.dir.get()) == inode_at(t.root + "/x/y"));
        BOOST_TEST(!exists(t.base / "x"));

        // The root itself: "." in the root.
        inroot::Parent r;
        BOOST_TEST_REQUIRE(inroot::make_parents(t.root_fd.get(), "/", 0755, r));
        BOOST_TEST(r.name == ".");
        BOOST_TEST(inode_of(r.dir.get()) == inode_at(t.root));

        // A regular file in the way.
        inroot::Parent s;
        BOOST_TEST(!inroot::make_parents(t.root_fd.get(), "f/sub/leaf", 0755, s));
        BOOST_TEST(errno == ENOTDIR);
    });
}
