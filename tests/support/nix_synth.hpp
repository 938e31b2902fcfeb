// A synthetic Nix store for tests and benchmarks: a database with Nix's own
// schema (ValidPaths, Refs, WAL mode as Nix keeps it) and, optionally, real
// directories under a temporary store directory. Header-only, SQLite only.
#pragma once

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace nixsynth {

// Nix 2.x's schema.sql, tables and indexes the reader relies on.
inline constexpr const char* kSchema = R"SQL(
create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    registrationTime integer not null,
    deriver          text,
    narSize          integer,
    ultimate         integer,
    sigs             text,
    ca               text
);
create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
);
create index if not exists IndexReferrer on Refs(referrer);
create index if not exists IndexReference on Refs(reference);
)SQL";

inline void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "?";
        sqlite3_free(err);
        throw std::runtime_error(sql.substr(0, 40) + ": " + msg);
    }
}

// The i-th path's name: a 32-character hash-like prefix, as Nix's.
inline std::string name(size_t i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%032zu-synth-%zu", i, i);
    std::string s = buf;
    for (size_t k = 0; k < 32; ++k)
        s[k] = "0123456789abcdfghijklmnpqrsvwxyz"[(s[k] - '0' + i) % 32];
    return s;
}

// Registers n paths store_dir/name(i) with narSize 100*i+1; path i refers
// to itself, to i-1 and to i/2, so the closure of path k is paths 0..k.
// With make_dirs, creates each as a directory holding a file "f".
inline std::vector<std::string> make_store(const std::string& store_dir, const std::string& db_path,
                                           size_t n, bool make_dirs) {
    sqlite3* db = nullptr;
    if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        throw std::runtime_error("cannot create " + db_path);
    }
    std::vector<std::string> paths;
    try {
        exec(db, "PRAGMA journal_mode=WAL");
        exec(db, kSchema);
        exec(db, "BEGIN");
        sqlite3_stmt* ins = nullptr;
        sqlite3_prepare_v2(db,
                           "INSERT INTO ValidPaths (path, hash, registrationTime, narSize) "
                           "VALUES (?1, 'sha256:0', 0, ?2)",
                           -1, &ins, nullptr);
        sqlite3_stmt* ref = nullptr;
        sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO Refs VALUES (?1, ?2)", -1, &ref, nullptr);
        for (size_t i = 0; i < n; ++i) {
            paths.push_back(store_dir + "/" + name(i));
            sqlite3_bind_text(ins, 1, paths.back().c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 2, static_cast<sqlite3_int64>(100 * i + 1));
            if (sqlite3_step(ins) != SQLITE_DONE) throw std::runtime_error("insert failed");
            sqlite3_reset(ins);
            const sqlite3_int64 id = static_cast<sqlite3_int64>(i + 1);
            for (sqlite3_int64 to :
                 {id, i > 0 ? id - 1 : id, static_cast<sqlite3_int64>(i / 2 + 1)}) {
                sqlite3_bind_int64(ref, 1, id);
                sqlite3_bind_int64(ref, 2, to);
                sqlite3_step(ref);
                sqlite3_reset(ref);
            }
            if (make_dirs) {
                ::mkdir(paths.back().c_str(), 0755);
                if (FILE* f = std::fopen((paths.back() + "/f").c_str(), "w")) {
                    std::fputs("x\n", f);
                    std::fclose(f);
                }
            }
        }
        sqlite3_finalize(ins);
        sqlite3_finalize(ref);
        exec(db, "COMMIT");
    } catch (...) {
        sqlite3_close(db);
        throw;
    }
    sqlite3_close(db);
    return paths;
}

} // namespace nixsynth
