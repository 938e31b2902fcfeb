// The Nix store view end to end, with the real Nix: tests/integration/
// nix-fixture.sh builds app -> lib -> data plus an unrelated path and
// registers them in the host's store; `burrow bwrap --nix-closure` must show
// exactly app's closure at /nix/store, readable, runnable and read-only,
// through every reader; bad roots and bad databases give one clear line.
// Runs as root and (the .user variant) as the unprivileged user burrowtest.
#define BOOST_TEST_MODULE nix_closure
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/fd.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/skip.hpp"

using namespace btest;
using burrow::Fd;
using namespace std::string_literals;

namespace {

struct Fixture {
    std::map<std::string, std::string> v; // APP LIB DATA UNRELATED GRAPH UNREGISTERED
    std::string dir = NIX_FIXTURE_DIR;
    bool ok = false;
    Fixture() {
        std::ifstream in(dir + "/env");
        std::string line;
        while (std::getline(in, line)) {
            const size_t eq = line.find('=');
            if (eq != std::string::npos) v[line.substr(0, eq)] = line.substr(eq + 1);
        }
        ok = v.count("APP") && v.count("UNRELATED");
    }
    const std::string& operator[](const char* k) const { return v.at(k); }
    std::string base(const char* k) const { return v.at(k).substr(v.at(k).rfind('/') + 1); }
};

const Fixture& fx() {
    static Fixture f;
    return f;
}

// The fixture needs root to build; as a plain user without it there is
// nothing to test (CTest's fixture marks the run).
#define REQUIRE_FIXTURE()                                                                          \
    do {                                                                                           \
        if (!fx().ok) {                                                                            \
            btest::skip("no Nix fixture in " + fx().dir);                                          \
            return;                                                                                \
        }                                                                                          \
    } while (0)

std::vector<std::string> test_env() {
    return {"PATH=/usr/bin:/bin", "NIX_REMOTE=daemon",
            "NIX_DAEMON_SOCKET_PATH=" + fx().dir + "/daemon/socket"};
}

// What the payload reports about /nix/store.
constexpr const char* kProbe = R"SH(
echo "ls: $(ls -A /nix/store | tr '\n' ' ')"
echo "run: $("$APP/bin/app" 2>&1)"
cat "$UNRELATED/secret" >/dev/null 2>&1 && echo "unrelated: readable"
ls -d "$UNRELATED" >/dev/null 2>&1 && echo "unrelated: visible"
for d in /nix/store "$APP" "$LIB" "$DATA" "$APP/bin"; do
  if touch "$d/written" 2>/dev/null; then echo "writable: $d"; fi
  mkdir "$d/newdir" 2>/dev/null && echo "mkdir: $d"
done
echo end
)SH";

Result run_bwrap(const std::vector<std::string>& nix_args, const std::string& script = kProbe) {
    Command c;
    c.argv = {burrow_bin(), "bwrap",  "--ro-bind",  "/usr",     "/usr",      "--symlink",
              "usr/bin",    "/bin",   "--symlink",  "usr/lib",  "/lib",      "--symlink",
              "usr/lib64",  "/lib64", "--proc",     "/proc",    "--dev",     "/dev",
              "--setenv",   "APP",    fx()["APP"],  "--setenv", "LIB",       fx()["LIB"],
              "--setenv",   "DATA",   fx()["DATA"], "--setenv", "UNRELATED", fx()["UNRELATED"]};
    c.argv.insert(c.argv.end(), nix_args.begin(), nix_args.end());
    c.argv.insert(c.argv.end(), {"/bin/sh", "-c", script});
    c.env = test_env();
    return run(c);
}

void check_view(const Result& r) {
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 0);
    std::vector<std::string> names = {fx().base("APP"), fx().base("LIB"), fx().base("DATA")};
    std::sort(names.begin(), names.end());
    std::string want_ls = "ls: ";
    for (const auto& n : names) want_ls += n + " ";
    BOOST_TEST(lines_with(r.out, "ls: ") == std::vector<std::string>{want_ls});
    BOOST_TEST(lines_with(r.out, "run: ") == std::vector<std::string>{"run: burrow test data"});
    BOOST_TEST(lines_with(r.out, "unrelated: ").empty());
    BOOST_TEST(lines_with(r.out, "writable: ").empty());
    BOOST_TEST(lines_with(r.out, "mkdir: ").empty());
    BOOST_TEST(lines_with(r.out, "end").size() == 1u);
}

// A private copy of the fixture's database, in a directory the test owns.
struct DbCopy {
    TempDir dir;
    std::string path = dir / "db.sqlite";
    DbCopy() {
        std::ifstream in(fx().dir + "/db/db.sqlite", std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        write_file(path, ss.str(), 0600);
    }
};

struct Sqlite {
    sqlite3* db = nullptr;
    explicit Sqlite(const std::string& path) {
        BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    }
    ~Sqlite() { sqlite3_close(db); }
    void exec(const std::string& sql) {
        char* err = nullptr;
        int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
        BOOST_TEST_INFO(sql << ": " << (err ? err : ""));
        BOOST_REQUIRE(rc == SQLITE_OK);
        sqlite3_free(err);
    }
};

// bwrap mode's failure: exit 1, exactly one line, naming `path` and `reason`.
void check_one_line_error(const Result& r, const std::string& path, const std::string& reason) {
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 1);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(r.err.rfind("bwrap: ", 0) == 0u);
    BOOST_TEST(contains(r.err, path));
    BOOST_TEST(contains(r.err, reason));
}

} // namespace

// The same view in an OCI container (issue 18): `burrow-oci run` on a
// busybox image with no store of its own and a read-only root, the closure
// asked for by the annotation run.oci.burrow.nix-closure.
BOOST_AUTO_TEST_CASE(oci_annotation_shows_exactly_the_closure) {
    REQUIRE_FIXTURE();
    namespace fs = std::filesystem;
    TempDir t;
    const std::string bundle = t / "bundle", rootfs = bundle + "/rootfs";
    fs::create_directories(rootfs + "/bin");
    for (const char* d : {"proc", "dev", "tmp"}) fs::create_directories(rootfs + "/" + d);
    fs::copy_file("/bin/busybox", rootfs + "/bin/busybox");
    for (const char* a : {"sh", "ls", "tr", "cat", "touch", "mkdir"})
        fs::create_symlink("busybox", rootfs + "/bin/" + a);
    nlohmann::json c;
    c["ociVersion"] = "1.0.2";
    c["root"] = {{"path", "rootfs"}, {"readonly", true}};
    c["process"] = {{"args", {"/bin/sh", "-c", kProbe}},
                    {"cwd", "/"},
                    {"user", {{"uid", 0}, {"gid", 0}}},
                    {"env",
                     {"PATH=/bin", "APP=" + fx()["APP"], "LIB=" + fx()["LIB"],
                      "DATA=" + fx()["DATA"], "UNRELATED=" + fx()["UNRELATED"]}}};
    c["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}};
    c["annotations"] = {{"run.oci.burrow.nix-closure", fx()["APP"]}};
    nlohmann::json ns = {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "ipc"}}};
    if (!is_root()) {
        ns.push_back({{"type", "user"}});
        c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", ::getuid()}, {"size", 1}}};
        c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getgid()}, {"size", 1}}};
    }
    c["linux"]["namespaces"] = ns;
    write_file(bundle + "/config.json", c.dump());
    const std::string b = burrow_bin();
    Command cmd;
    cmd.argv = {b.substr(0, b.rfind('/')) + "/burrow-oci",
                "--root",
                t / "state",
                "run",
                "--bundle",
                bundle,
                "nix1"};
    cmd.env = test_env();
    check_view(run(cmd));
}

BOOST_AUTO_TEST_CASE(default_reader_shows_exactly_the_closure) {
    REQUIRE_FIXTURE();
    // Root reads the database; burrowtest may not (a WAL database in a
    // root-owned directory), so it goes through nix-store and the daemon.
    check_view(run_bwrap({"--nix-closure", fx()["APP"]}));
}

BOOST_AUTO_TEST_CASE(sqlite_reader_shows_exactly_the_closure) {
    REQUIRE_FIXTURE();
    DbCopy db;
    check_view(
        run_bwrap({"--nix-reader", "sqlite", "--nix-db", db.path, "--nix-closure", fx()["APP"]}));
}

BOOST_AUTO_TEST_CASE(nix_store_reader_shows_exactly_the_closure) {
    REQUIRE_FIXTURE();
    check_view(run_bwrap({"--nix-reader", "nix-store", "--nix-closure", fx()["APP"]}));
}

BOOST_AUTO_TEST_CASE(closure_files_show_exactly_the_closure) {
    REQUIRE_FIXTURE();
    check_view(run_bwrap({"--nix-closure-file", fx().dir + "/store-paths"}));
    check_view(run_bwrap({"--nix-closure-file", fx().dir + "/graph"}));
}

BOOST_AUTO_TEST_CASE(result_links_and_paths_inside_store_paths_are_roots) {
    REQUIRE_FIXTURE();
    DbCopy db;
    check_view(run_bwrap({"--nix-db", db.path, "--nix-closure", fx().dir + "/result"}));
    check_view(run_bwrap({"--nix-db", db.path, "--nix-closure", fx()["APP"] + "/bin/app"}));
    // Roots given twice or overlapping closures give each entry once.
    check_view(run_bwrap(
        {"--nix-db", db.path, "--nix-closure", fx()["APP"], "--nix-closure", fx()["DATA"]}));
}

BOOST_AUTO_TEST_CASE(the_view_covers_a_bound_host_store) {
    REQUIRE_FIXTURE();
    // Even with the whole host (and its store) bound first, /nix/store shows
    // the closure only: the view is applied after the front end's binds.
    Command c;
    c.argv = {burrow_bin(),
              "bwrap",
              "--ro-bind",
              "/",
              "/",
              "--nix-closure",
              fx()["APP"],
              "/bin/sh",
              "-c",
              "ls -A /nix/store; test -e " + fx()["UNRELATED"] + " && echo LEAK || echo hidden"};
    c.env = test_env();
    Result r = run(c);
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(!contains(r.out, "LEAK"));
    BOOST_TEST(!contains(r.out, fx().base("UNRELATED")));
    BOOST_TEST(!contains(r.out, ".links"));
    BOOST_TEST(contains(r.out, fx().base("DATA")));
}

BOOST_AUTO_TEST_CASE(daemon_option_lets_nix_work_inside) {
    REQUIRE_FIXTURE();
    const std::string sock_dir = fx().dir + "/daemon";
    Command c;
    c.argv = {burrow_bin(),
              "bwrap",
              "--ro-bind",
              "/usr",
              "/usr",
              "--symlink",
              "usr/bin",
              "/bin",
              "--symlink",
              "usr/lib",
              "/lib",
              "--symlink",
              "usr/lib64",
              "/lib64",
              "--proc",
              "/proc",
              "--dev",
              "/dev",
              "--tmpfs",
              "/tmp",
              "--setenv",
              "HOME",
              "/tmp",
              "--nix-daemon",
              "--nix-closure",
              fx()["APP"],
              "/bin/sh",
              "-c",
              "echo \"remote=$NIX_REMOTE\"; nix-store --query --references " + fx()["APP"]};
    c.env = test_env(); // NIX_DAEMON_SOCKET_PATH names the fixture's daemon
    Result r = run(c);
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(contains(r.out, "remote=daemon\n"));
    BOOST_TEST(contains(r.out, fx()["LIB"] + "\n"));
    (void)sock_dir;
}

BOOST_AUTO_TEST_CASE(bad_roots_give_one_clear_line) {
    REQUIRE_FIXTURE();
    DbCopy db;
    const std::string missing = "/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-missing";
    check_one_line_error(run_bwrap({"--nix-closure", missing}), missing,
                         "No such file or directory");
    check_one_line_error(run_bwrap({"--nix-closure", "/etc"}), "/etc", "not in the Nix store");
    check_one_line_error(run_bwrap({"--nix-closure", "/nix/store"}), "/nix/store",
                         "not a store path");
    check_one_line_error(run_bwrap({"--nix-db", db.path, "--nix-closure", fx()["UNREGISTERED"]}),
                         fx()["UNREGISTERED"], "not a valid store path");
    check_one_line_error(
        run_bwrap({"--nix-reader", "nix-store", "--nix-closure", fx()["UNREGISTERED"]}),
        fx()["UNREGISTERED"], "is not valid");
    check_one_line_error(run_bwrap({"--nix-closure-file", fx().dir + "/nope"}), fx().dir + "/nope",
                         "No such file or directory");
    TempDir t;
    write_file(t / "bad", fx()["APP"] + "\n/etc/passwd\n");
    check_one_line_error(run_bwrap({"--nix-closure-file", t / "bad"}), t / "bad:2",
                         "not a store path");
}

BOOST_AUTO_TEST_CASE(bad_databases_give_one_clear_line) {
    REQUIRE_FIXTURE();
    const std::vector<std::string> sqlite = {"--nix-reader", "sqlite", "--nix-closure", fx()["APP"],
                                             "--nix-db"};
    auto with_db = [&](const std::string& db) {
        auto a = sqlite;
        a.push_back(db);
        return run_bwrap(a);
    };
    TempDir t;
    check_one_line_error(with_db(t / "none.sqlite"), t / "none.sqlite",
                         "No such file or directory");
    check_one_line_error(with_db(t.path()), t.path(), "cannot open the Nix database");
    {
        DbCopy corrupt; // header destroyed
        Fd fd(::open(corrupt.path.c_str(), O_WRONLY | O_CLOEXEC));
        BOOST_REQUIRE(fd);
        BOOST_REQUIRE(::pwrite(fd.get(), "this is not sqlite at all", 25, 0) == 25);
        check_one_line_error(with_db(corrupt.path), corrupt.path, "not a database");
    }
    {
        DbCopy truncated; // pages missing
        BOOST_REQUIRE(::truncate(truncated.path.c_str(), 8192) == 0);
        check_one_line_error(with_db(truncated.path), truncated.path, "malformed");
    }
    if (!is_root()) {
        DbCopy unreadable; // as root, permissions would not stop us
        BOOST_REQUIRE(::chmod(unreadable.path.c_str(), 0) == 0);
        check_one_line_error(with_db(unreadable.path), unreadable.path,
                             "cannot open the Nix database");
    }
}

BOOST_AUTO_TEST_CASE(locked_databases) {
    REQUIRE_FIXTURE();
    // Nix's own case: WAL mode, a writer in the middle of a transaction.
    // Readers are not blocked and see the last committed state.
    {
        DbCopy db;
        Sqlite writer(db.path);
        writer.exec("BEGIN IMMEDIATE");
        writer.exec("DELETE FROM Refs");
        check_view(run_bwrap(
            {"--nix-reader", "sqlite", "--nix-db", db.path, "--nix-closure", fx()["APP"]}));
        writer.exec("ROLLBACK");
    }
    // A rollback-journal database held exclusively: wait (busy timeout),
    // then one line.
    {
        DbCopy db;
        Sqlite writer(db.path);
        writer.exec("PRAGMA journal_mode=DELETE");
        writer.exec("BEGIN EXCLUSIVE");
        writer.exec("DELETE FROM Refs");
        const auto t0 = std::chrono::steady_clock::now();
        check_one_line_error(run_bwrap({"--nix-reader", "sqlite", "--nix-db", db.path,
                                        "--nix-closure", fx()["APP"]}),
                             db.path, "locked");
        BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)));
        writer.exec("ROLLBACK");
    }
}

BOOST_AUTO_TEST_CASE(nix_closure_subcommand) {
    REQUIRE_FIXTURE();
    DbCopy db;
    Command c;
    c.env = test_env();
    c.argv = {burrow_bin(), "nix", "closure", "--db", db.path, fx().dir + "/result"};
    Result r = run(c);
    std::vector<std::string> want = {fx()["APP"], fx()["LIB"], fx()["DATA"]};
    std::sort(want.begin(), want.end());
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(r.out == want[0] + "\n" + want[1] + "\n" + want[2] + "\n");

    c.argv = {burrow_bin(), "nix", "closure", "--json", "--db", db.path, fx()["APP"]};
    r = run(c);
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 0);
    BOOST_TEST(contains(r.out, "{\"path\": \"" + fx()["DATA"] + "\", \"narSize\": "));
    BOOST_TEST(!contains(r.out, "\"narSize\": 0}"));

    c.argv = {burrow_bin(), "nix", "closure", "--db", db.path, "/etc"};
    r = run(c);
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 125);
    BOOST_TEST(r.err == "burrow: nix closure: /etc: not in the Nix store /nix/store\n");
}

// The same view from a policy file's [nix] table, through burrow run.
BOOST_AUTO_TEST_CASE(policy_nix_table_shows_exactly_the_closure) {
    REQUIRE_FIXTURE();
    TempDir d;
    const std::string pol = d / "p.toml";
    write_file(pol, "extends = \"minimal\"\n\n[nix]\npackages = [\"" + fx()["APP"] + "\"]\n", 0644);
    const std::string vars = "APP='" + fx()["APP"] + "' LIB='" + fx()["LIB"] + "' DATA='" +
                             fx()["DATA"] + "' UNRELATED='" + fx()["UNRELATED"] + "'\n";
    Command c;
    c.argv = {burrow_bin(), "run", "--policy", pol, "--", "/bin/sh", "-c", vars + kProbe};
    c.env = test_env();
    check_view(run(c));

    // An unregistered path: exit 125, one line at the [nix] table's position.
    write_file(pol,
               "extends = \"minimal\"\n\n[nix]\npackages = [\"" + fx()["UNREGISTERED"] + "\"]\n",
               0644);
    c.argv = {burrow_bin(), "run", "--policy", pol, "--", "/bin/true"};
    const Result r = run(c);
    BOOST_TEST_INFO(r.describe());
    BOOST_TEST(r.code() == 125);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    BOOST_TEST(contains(r.err, pol + ":3:"));
    BOOST_TEST(contains(r.err, fx()["UNREGISTERED"]));
}
