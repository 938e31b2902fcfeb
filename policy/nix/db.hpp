// Read-only access to the Nix database (db.sqlite: ValidPaths and Refs).
//
// Nix (and a running nix-daemon) keeps the database in WAL mode and writes
// it while we read. The connection here is opened with mode=ro and
// SQLITE_OPEN_READONLY, so it never writes the database, never checkpoints
// the WAL and never creates a journal; immutable stays off, because the
// daemon may commit while we read and immutable=1 would read torn pages.
// A writer's lock is waited for (busy timeout), then reported.
//
// WAL side files: while some process has the database open, its -shm file
// exists and we only map it read-only. When none does, SQLite creates an
// empty -wal and the -shm index beside the database if the directory is
// writable for us (root on a single-user install), and leaves them, as
// Nix's own connections do; if it is not writable, the database cannot be
// read (DbUnavailable) and the automatic reader asks nix-store instead.
// The database file itself is never written.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>

#include "policy/nix/closure.hpp"

namespace burrow::nix {

// The database cannot be opened or read at all (missing, permission
// denied, a WAL database whose -shm we may not create): the automatic reader
// falls back to nix-store. Locked or corrupt databases are plain NixErrors.
struct DbUnavailable : NixError {
    using NixError::NixError;
};

class NixDb {
  public:
    // How long a writer's lock is waited for before giving up.
    static constexpr int kBusyTimeoutMs = 1000;

    explicit NixDb(std::string path); // throws DbUnavailable / NixError
    ~NixDb();
    NixDb(const NixDb&) = delete;
    NixDb& operator=(const NixDb&) = delete;

    // Adds store_path and everything it references, transitively, with
    // their narSize. Throws NixError naming store_path when it is not
    // registered (not a valid path).
    void add_closure(const std::string& store_path, std::map<std::string, uint64_t>& out);

    const std::string& path() const { return path_; }

  private:
    [[noreturn]] void fail(const std::string& what, int rc) const;
    sqlite3_stmt* prepare(const char* sql);

    std::string path_;
    sqlite3* db_ = nullptr;
    sqlite3_stmt* valid_ = nullptr;   // id of a path, if registered
    sqlite3_stmt* closure_ = nullptr; // recursive CTE from one id
};

} // namespace burrow::nix
