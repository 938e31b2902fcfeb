// libFuzzer target: the Nix database reader (NixDb over SQLite). The input
// is written to db.sqlite in a private temporary directory and opened the
// way burrow opens /nix/var/nix/db/db.sqlite (read-only URI); the closure of
// every registered path (at most 8, found with a plain query) and of one
// unregistered path is computed.
//
// Nothing is written outside that directory; SQLite may create -wal and
// -shm files beside the database (WAL-mode inputs), removed after each run.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "policy/nix/db.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/burrow-fuzz-db.XXXXXX";
        if (!::mkdtemp(tmpl.data())) fuzz::fail(std::string("mkdtemp: ") + std::strerror(errno));
        path = tmpl;
    }
    ~TempDir() {
        for (const char* f :
             {"/db.sqlite", "/db.sqlite-wal", "/db.sqlite-shm", "/db.sqlite-journal"})
            ::unlink((path + f).c_str());
        ::rmdir(path.c_str());
    }
};

const std::string& dir() {
    static TempDir d; // removed at exit (libFuzzer returns from main on -max_total_time)
    return d.path;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
    FILE* f = std::fopen(path.c_str(), "we");
    if (!f) fuzz::fail("cannot create " + path + ": " + std::strerror(errno));
    if (size && std::fwrite(data, 1, size, f) != size) fuzz::fail("cannot write " + path);
    std::fclose(f);
}

// Registered paths, read with SQLite directly (not through the code under
// test), so the closure queries start from names the database really holds.
// `consistent` says whether PRAGMA integrity_check passes: only then do
// index lookups and table scans agree, so only then must the closure of a
// registered path hold that path (a corrupt index can make SQLite answer
// the lookup with another row, without an error).
std::vector<std::string> some_paths(const std::string& db_path, bool& consistent) {
    std::vector<std::string> out;
    consistent = false;
    sqlite3* db = nullptr;
    const std::string uri = "file:" + db_path + "?mode=ro";
    if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) ==
        SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT path FROM ValidPaths LIMIT 8", -1, &st, nullptr) ==
            SQLITE_OK) {
            while (sqlite3_step(st) == SQLITE_ROW)
                if (const auto* p = sqlite3_column_text(st, 0))
                    out.emplace_back(reinterpret_cast<const char*>(p));
        }
        sqlite3_finalize(st);
        st = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            const auto* r = sqlite3_column_text(st, 0);
            consistent = r && std::strcmp(reinterpret_cast<const char*>(r), "ok") == 0 &&
                         sqlite3_step(st) == SQLITE_DONE;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::FdLeakCheck leaks;
    const std::string db_path = dir() + "/db.sqlite";
    write_file(db_path, data, size);
    bool consistent = false;
    std::vector<std::string> roots = some_paths(db_path, consistent);
    roots.push_back("/nix/store/00000000000000000000000000000000-not-registered");
    try {
        burrow::nix::NixDb db(db_path);
        for (const auto& r : roots) {
            std::map<std::string, uint64_t> closure;
            try {
                db.add_closure(r, closure);
                // The closure of a registered path holds the path itself.
                if (consistent)
                    fuzz::check(closure.count(r) == 1, "closure of " + r + " does not hold it");
            } catch (const burrow::nix::DbUnavailable&) {
                throw;
            } catch (const burrow::nix::NixError&) {
            }
        }
    } catch (const burrow::nix::NixError&) {
    }
    for (const char* f : {"-wal", "-shm", "-journal"}) ::unlink((db_path + f).c_str());
    return 0;
}
