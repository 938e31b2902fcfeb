// The SQLite reader (policy/nix/db) and compute_closure() against generated
// databases with Nix's schema and a real temporary store directory.
#define BOOST_TEST_MODULE nix_db
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/bwrap/args.hpp"
#include "policy/nix/closure.hpp"
#include "policy/nix/db.hpp"
#include "tests/support/nix_synth.hpp"

using namespace burrow::nix;

namespace {

struct Store {
    std::string root, store, db;
    std::vector<std::string> paths;
    explicit Store(size_t n = 10) {
        char tmpl[] = "/tmp/burrow-nixdb-XXXXXX";
        root = ::mkdtemp(tmpl);
        store = root + "/store";
        db = root + "/db.sqlite";
        ::mkdir(store.c_str(), 0755);
        paths = nixsynth::make_store(store, db, n, true);
    }
    ~Store() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
    ClosureRequest req(std::vector<std::string> roots) const {
        ClosureRequest r;
        r.roots = std::move(roots);
        r.store_dir = store;
        r.db_path = db;
        r.reader = Reader::sqlite;
        return r;
    }
};

std::vector<std::string> names(const std::vector<StorePath>& c) {
    std::vector<std::string> out;
    for (const auto& p : c) out.push_back(p.path);
    return out;
}

template <class F> std::string error_of(F f) {
    try {
        f();
    } catch (const NixError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

BOOST_AUTO_TEST_CASE(closure_follows_references_transitively) {
    Store s;
    NixDb db(s.db);
    std::map<std::string, uint64_t> out;
    db.add_closure(s.paths[9], out);
    BOOST_TEST(out.size() == 10u);
    BOOST_TEST(out.at(s.paths[4]) == 401u);
    out.clear();
    db.add_closure(s.paths[0], out); // only itself (a self-reference)
    BOOST_TEST(out.size() == 1u);
    out.clear();
    db.add_closure(s.paths[3], out);
    BOOST_TEST(out.size() == 4u);
    BOOST_TEST(!out.count(s.paths[4]));
}

BOOST_AUTO_TEST_CASE(compute_closure_sorts_merges_and_resolves_links) {
    Store s;
    const std::string link = s.root + "/result";
    BOOST_REQUIRE(::symlink(s.paths[2].c_str(), link.c_str()) == 0);
    auto c = compute_closure(s.req({link, s.paths[1] + "/f", s.paths[2]}));
    std::vector<std::string> want = {s.paths[0], s.paths[1], s.paths[2]};
    std::sort(want.begin(), want.end());
    BOOST_TEST(names(c) == want);
    for (const auto& p : c) BOOST_TEST(p.nar_size % 100 == 1u);
}

BOOST_AUTO_TEST_CASE(roots_and_closure_files_together) {
    Store s;
    std::ofstream(s.root + "/store-paths") << s.paths[7] << "\n";
    auto r = s.req({s.paths[1]});
    r.closure_files = {s.root + "/store-paths"};
    auto c = compute_closure(r);
    BOOST_TEST(c.size() == 3u); // 0, 1 and 7 (a closure file is taken as it is)
    std::ofstream(s.root + "/gone") << s.store << "/zzzz-gone\n";
    r.closure_files = {s.root + "/gone"};
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               s.store + "/zzzz-gone: No such file or directory (listed in " + s.root + "/gone)");
}

BOOST_AUTO_TEST_CASE(bad_roots) {
    Store s;
    ::mkdir((s.store + "/0000-unregistered").c_str(), 0755);
    BOOST_TEST(error_of([&] { compute_closure(s.req({s.store + "/0000-unregistered"})); }) ==
               s.store + "/0000-unregistered: not a valid store path (not registered in " + s.db +
                   ")");
    BOOST_TEST(error_of([&] { compute_closure(s.req({s.store + "/nope"})); }) ==
               s.store + "/nope: No such file or directory");
    BOOST_TEST(error_of([&] { compute_closure(s.req({s.root})); }) ==
               s.root + ": not in the Nix store " + s.store);
    BOOST_TEST(error_of([&] { compute_closure(s.req({s.store})); }) ==
               s.store + ": is the Nix store directory itself, not a store path");
    const std::string out_link = s.root + "/out-link";
    BOOST_REQUIRE(::symlink("/etc", out_link.c_str()) == 0);
    BOOST_TEST(error_of([&] { compute_closure(s.req({out_link})); }) ==
               out_link + ": not in the Nix store " + s.store + " (resolves to /etc)");
    auto r = s.req({s.paths[0]});
    r.store_dir = s.root + "/missing-store";
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               s.root + "/missing-store: No such file or directory (the Nix store directory)");
}

BOOST_AUTO_TEST_CASE(bad_databases) {
    Store s;
    auto r = s.req({s.paths[1]});
    r.db_path = s.root + "/none.sqlite";
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               r.db_path + ": cannot open the Nix database: No such file or directory");
    // Explicit database, automatic reader: nix-store cannot stand in for it.
    r.reader = Reader::automatic;
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               r.db_path + ": cannot open the Nix database: No such file or directory");
    // Not a database at all.
    std::ofstream(s.root + "/text.sqlite") << std::string(4096, 'x');
    r.db_path = s.root + "/text.sqlite";
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               r.db_path + ": cannot read the Nix database: file is not a database");
    // Another schema.
    {
        sqlite3* db = nullptr;
        sqlite3_open((s.root + "/other.sqlite").c_str(), &db);
        nixsynth::exec(db, "create table t(x)");
        sqlite3_close(db);
    }
    r.db_path = s.root + "/other.sqlite";
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               r.db_path + ": cannot read the Nix database: no such table: ValidPaths");
}

BOOST_AUTO_TEST_CASE(reading_never_writes_the_database) {
    Store s;
    struct stat before, after;
    BOOST_REQUIRE(::stat(s.db.c_str(), &before) == 0);
    compute_closure(s.req({s.paths[5]}));
    BOOST_REQUIRE(::stat(s.db.c_str(), &after) == 0);
    BOOST_TEST(before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    BOOST_TEST(before.st_size == after.st_size);
}

BOOST_AUTO_TEST_CASE(nix_store_reader_errors) {
    Store s;
    auto r = s.req({s.paths[1]});
    r.reader = Reader::nix_store;
    r.nix_store_program = s.root + "/no-such-nix-store";
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               r.nix_store_program + ": cannot run: No such file or directory");
    // A program that fails: its first stderr line is the reason.
    const std::string fake = s.root + "/fake-nix-store";
    std::ofstream(fake) << "#!/bin/sh\necho 'error: path is not valid' >&2\nexit 1\n";
    ::chmod(fake.c_str(), 0755);
    r.nix_store_program = fake;
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               fake + " --query --requisites failed: error: path is not valid");
    // One that prints a path outside the store is not believed.
    std::ofstream(fake) << "#!/bin/sh\necho /etc\n";
    BOOST_TEST(error_of([&] { compute_closure(r); }) ==
               fake + " printed a path outside " + s.store + ": /etc");
}

BOOST_AUTO_TEST_CASE(store_view_operations) {
    Store s;
    auto r = s.req({s.paths[2]});
    burrow::Sandbox sb;
    sb.proc.env = {"NIX_REMOTE=local", "A=b"};
    append_store_view(r, compute_closure(r), sb);
    BOOST_REQUIRE(sb.fs.size() == 1u);
    BOOST_TEST((sb.fs[0].kind == burrow::FsOpKind::bind_view));
    BOOST_TEST(sb.fs[0].dest == s.store);
    BOOST_TEST(sb.fs[0].view_sources.size() == 3u);
    BOOST_TEST(sb.proc.env.size() == 2u); // no daemon: environment untouched

    r.daemon = true;
    r.daemon_socket_dir = s.root + "/daemon-socket";
    BOOST_TEST(error_of([&] { append_store_view(r, {}, sb); }) ==
               r.daemon_socket_dir + ": cannot expose the Nix daemon socket: No such file or "
                                     "directory");
    ::mkdir(r.daemon_socket_dir.c_str(), 0755);
    sb.fs.clear();
    append_store_view(r, {}, sb);
    BOOST_REQUIRE(sb.fs.size() == 3u);
    BOOST_TEST((sb.fs[1].kind == burrow::FsOpKind::dir));
    BOOST_TEST(sb.fs[1].dest == s.root);
    BOOST_TEST((sb.fs[2].kind == burrow::FsOpKind::bind));
    BOOST_TEST(sb.fs[2].source == r.daemon_socket_dir);
    BOOST_TEST(sb.proc.env == (std::vector<std::string>{"A=b", "NIX_REMOTE=daemon"}));
}

BOOST_AUTO_TEST_CASE(bwrap_options_append_the_view_last) {
    Store s;
    ::setenv("NIX_STORE_DIR", s.store.c_str(), 1);
    burrow::HostFacts host;
    auto inv = burrow::parse_bwrap_args({"--nix-db", s.db, "--nix-closure", s.paths[1], "--ro-bind",
                                         "/", "/", "--nix-reader", "sqlite", "true"},
                                        host);
    ::unsetenv("NIX_STORE_DIR");
    const auto& fs = inv.sandbox.fs;
    BOOST_REQUIRE(fs.size() == 2u);
    BOOST_TEST((fs[0].kind == burrow::FsOpKind::bind));
    BOOST_TEST((fs[1].kind == burrow::FsOpKind::bind_view));
    BOOST_TEST(fs[1].dest == s.store);
    std::vector<std::string> want = {s.paths[0], s.paths[1]};
    std::sort(want.begin(), want.end());
    BOOST_TEST(fs[1].view_sources == want);
}

BOOST_AUTO_TEST_CASE(bwrap_option_errors) {
    burrow::HostFacts host;
    auto err = [&](std::vector<std::string> args) {
        try {
            burrow::parse_bwrap_args(args, host);
        } catch (const burrow::BwrapUsageError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    BOOST_TEST(err({"--nix-reader", "fast", "--nix-closure", "/x", "true"}) ==
               "--nix-reader: unknown reader \"fast\" (auto, sqlite or nix-store)");
    BOOST_TEST(err({"--nix-daemon", "true"}) ==
               "--nix-daemon, --nix-db and --nix-reader need --nix-closure or --nix-closure-file");
    BOOST_TEST(err({"--nix-closure"}) == "--nix-closure takes an argument");
    Store s;
    ::setenv("NIX_STORE_DIR", s.store.c_str(), 1);
    BOOST_TEST(err({"--nix-closure", "/etc", "true"}) == "/etc: not in the Nix store " + s.store);
    ::unsetenv("NIX_STORE_DIR");
}
