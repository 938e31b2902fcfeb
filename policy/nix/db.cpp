#include "policy/nix/db.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace burrow::nix {

namespace {

// %-escapes what a URI filename may not hold verbatim ('?', '#', '%').
std::string uri_path(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == '?' || c == '#' || c == '%') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

// One statement for the whole closure: Refs is indexed on referrer, and
// UNION (not UNION ALL) stops at paths already seen, so shared references
// and cycles (self-references are common) are visited once.
constexpr const char* kClosureSql =
    "WITH RECURSIVE closure(id) AS ("
    "  SELECT ?1"
    "  UNION"
    "  SELECT r.reference FROM Refs r JOIN closure c ON r.referrer = c.id"
    ") SELECT v.path, v.narSize FROM ValidPaths v JOIN closure c ON v.id = c.id";

} // namespace

NixDb::NixDb(std::string path) : path_(std::move(path)) {
    // sqlite3_open_v2 reports a missing or unreadable file only as
    // "unable to open database file"; stat first for the real reason.
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0)
        throw DbUnavailable(path_ + ": cannot open the Nix database: " + std::strerror(errno));
    const std::string uri = "file:" + uri_path(path_) + "?mode=ro";
    int rc = sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
    if (rc != SQLITE_OK) {
        const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw DbUnavailable(path_ + ": cannot open the Nix database: " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
        valid_ = prepare("SELECT id FROM ValidPaths WHERE path = ?1");
        closure_ = prepare(kClosureSql);
    } catch (...) {
        sqlite3_finalize(valid_);
        sqlite3_close(db_);
        throw;
    }
}

NixDb::~NixDb() {
    sqlite3_finalize(valid_);
    sqlite3_finalize(closure_);
    sqlite3_close(db_);
}

void NixDb::fail(const std::string& what, int rc) const {
    // A WAL database whose -shm file we cannot create (read-only directory,
    // no daemon running) fails only when first read: still "unavailable".
    const int primary = rc & 0xff;
    std::string why = sqlite3_errmsg(db_);
    // SQLite's own words ("attempt to write a readonly database") would
    // suggest we tried to write; we did not.
    if (rc == SQLITE_READONLY_CANTINIT || rc == SQLITE_READONLY_CANTLOCK ||
        rc == SQLITE_READONLY_DIRECTORY || rc == SQLITE_READONLY_RECOVERY)
        why = "it is in WAL mode and this user may not create or lock its -shm file "
              "(" +
              why + ")";
    const std::string msg = path_ + ": " + what + ": " + why;
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_PERM || primary == SQLITE_AUTH ||
        (primary == SQLITE_READONLY && rc != SQLITE_READONLY))
        throw DbUnavailable(msg);
    throw NixError(msg);
}

sqlite3_stmt* NixDb::prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) fail("cannot read the Nix database", rc);
    return st;
}

void NixDb::add_closure(const std::string& store_path, std::map<std::string, uint64_t>& out) {
    struct Reset {
        sqlite3_stmt* s;
        ~Reset() {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        }
    };
    sqlite3_int64 id = 0;
    {
        Reset r{valid_};
        sqlite3_bind_text(valid_, 1, store_path.data(), static_cast<int>(store_path.size()),
                          SQLITE_TRANSIENT);
        int rc = sqlite3_step(valid_);
        if (rc == SQLITE_DONE)
            throw NixError(store_path + ": not a valid store path (not registered in " + path_ +
                           ")");
        if (rc != SQLITE_ROW) fail("cannot read the Nix database", rc);
        id = sqlite3_column_int64(valid_, 0);
    }
    Reset r{closure_};
    sqlite3_bind_int64(closure_, 1, id);
    for (;;) {
        int rc = sqlite3_step(closure_);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) fail("cannot read the Nix database", rc);
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(closure_, 0));
        if (!p) continue;
        const sqlite3_int64 size = sqlite3_column_int64(closure_, 1);
        out[p] = size > 0 ? static_cast<uint64_t>(size) : 0;
    }
}

} // namespace burrow::nix
