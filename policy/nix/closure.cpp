// compute_closure() and append_store_view(): roots resolved to store paths,
// their references read from the database (or nix-store, or closure files),
// and the result handed to the runtime as one generic bind_view operation.
#include "policy/nix/closure.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "policy/nix/closure_file.hpp"
#include "policy/nix/db.hpp"
#include "policy/nix/store_query.hpp"

namespace burrow::nix {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

std::string strip_trailing_slashes(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

std::string real_path(const std::string& path) {
    char* r = ::realpath(path.c_str(), nullptr);
    if (!r) throw NixError(path + ": " + std::strerror(errno));
    std::string out = r;
    std::free(r);
    return out;
}

struct Store {
    std::string dir;  // as configured: what paths are called, in and out of the sandbox
    std::string real; // with symlinks resolved, to recognise resolved roots
};

Store open_store(const ClosureRequest& req) {
    Store s;
    s.dir = effective_store_dir(req);
    if (s.dir.empty() || s.dir[0] != '/')
        throw NixError(s.dir + ": the Nix store directory must be an absolute path");
    try {
        s.real = real_path(s.dir);
    } catch (const NixError& e) {
        throw NixError(std::string(e.what()) + " (the Nix store directory)");
    }
    return s;
}

// A root (store path, path below one, or symlink chain into the store) to
// its store path.
std::string to_store_path(const Store& store, const std::string& root) {
    const std::string real = real_path(root);
    if (real == store.real)
        throw NixError(root + ": is the Nix store directory itself, not a store path");
    if (real.compare(0, store.real.size() + 1, store.real + "/") != 0)
        throw NixError(root + ": not in the Nix store " + store.dir +
                       (real != root ? " (resolves to " + real + ")" : ""));
    const size_t start = store.real.size() + 1;
    const size_t end = real.find('/', start);
    return store.dir + "/" + real.substr(start, end == std::string::npos ? end : end - start);
}

void query_nix_store(const ClosureRequest& req, const Store& store,
                     const std::vector<std::string>& paths, std::map<std::string, uint64_t>& out,
                     const std::string& why_fallback) {
    std::vector<std::string> req_paths;
    try {
        req_paths = nix_store_requisites(req.nix_store_program, paths,
                                         req.store_dir.empty() ? std::string() : store.dir);
    } catch (const NixError& e) {
        if (why_fallback.empty()) throw;
        throw NixError(std::string(e.what()) + " (after " + why_fallback + ")");
    }
    for (auto& p : req_paths) {
        if (!is_store_entry(p, store.dir))
            throw NixError(req.nix_store_program + " printed a path outside " + store.dir + ": " +
                           p);
        out.emplace(std::move(p), 0);
    }
}

} // namespace

std::string effective_store_dir(const ClosureRequest& req) {
    return strip_trailing_slashes(req.store_dir.empty() ? env_or("NIX_STORE_DIR", "/nix/store")
                                                        : req.store_dir);
}

std::string effective_db_path(const ClosureRequest& req) {
    if (!req.db_path.empty()) return req.db_path;
    return env_or("NIX_STATE_DIR", "/nix/var/nix") + "/db/db.sqlite";
}

std::string effective_daemon_socket_dir(const ClosureRequest& req) {
    if (!req.daemon_socket_dir.empty()) return strip_trailing_slashes(req.daemon_socket_dir);
    if (const char* sock = std::getenv("NIX_DAEMON_SOCKET_PATH"); sock && *sock) {
        std::string s = sock;
        const size_t slash = s.rfind('/');
        if (slash != std::string::npos && slash > 0) return s.substr(0, slash);
    }
    return env_or("NIX_STATE_DIR", "/nix/var/nix") + "/daemon-socket";
}

std::vector<StorePath> compute_closure(const ClosureRequest& req) {
    const Store store = open_store(req);
    std::vector<std::string> roots;
    for (const auto& r : req.roots) roots.push_back(to_store_path(store, r));

    std::map<std::string, uint64_t> found;
    if (!roots.empty()) {
        std::string why_fallback;
        if (req.reader != Reader::nix_store) {
            try {
                NixDb db(effective_db_path(req));
                for (const auto& r : roots) db.add_closure(r, found);
            } catch (const DbUnavailable& e) {
                // nix-store reads the default database (or asks the daemon);
                // it cannot stand in for a database named explicitly.
                if (req.reader == Reader::sqlite || !req.db_path.empty()) throw;
                why_fallback = e.what();
                found.clear();
            }
        }
        if (req.reader == Reader::nix_store || !why_fallback.empty())
            query_nix_store(req, store, roots, found, why_fallback);
    }
    for (const auto& file : req.closure_files) {
        for (auto& p : read_closure_file(file, store.dir)) {
            if (found.count(p)) continue;
            // The runtime would fail on it too, but later and less clearly.
            struct stat st;
            if (::lstat(p.c_str(), &st) != 0)
                throw NixError(p + ": " + std::strerror(errno) + " (listed in " + file + ")");
            found.emplace(std::move(p), 0);
        }
    }
    std::vector<StorePath> out;
    out.reserve(found.size());
    for (auto& [path, size] : found) out.push_back(StorePath{path, size});
    return out;
}

void append_store_view(const ClosureRequest& req, const std::vector<StorePath>& closure,
                       Sandbox& sb) {
    const std::string store_dir = effective_store_dir(req);
    FsOp view;
    view.kind = FsOpKind::bind_view;
    view.dest = store_dir;
    view.readonly = true;
    for (const auto& p : closure) {
        if (!is_store_entry(p.path, store_dir))
            throw NixError(p.path + ": not a store path in " + store_dir);
        view.view_sources.push_back(p.path);
    }
    sb.fs.push_back(std::move(view));
    if (!req.daemon) return;

    const std::string sock = effective_daemon_socket_dir(req);
    struct stat st;
    if (::stat(sock.c_str(), &st) != 0)
        throw NixError(sock + ": cannot expose the Nix daemon socket: " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode))
        throw NixError(sock + ": cannot expose the Nix daemon socket: not a directory");
    // Its parents are made world-readable (implicit parents would be 0700).
    const size_t slash = sock.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        FsOp dir;
        dir.kind = FsOpKind::dir;
        dir.dest = sock.substr(0, slash);
        dir.perms = 0755;
        sb.fs.push_back(std::move(dir));
    }
    // Writable: connecting to a socket needs write access to it.
    FsOp bind;
    bind.kind = FsOpKind::bind;
    bind.source = sock;
    bind.dest = sock;
    sb.fs.push_back(std::move(bind));
    std::erase_if(sb.proc.env, [](const std::string& e) { return e.rfind("NIX_REMOTE=", 0) == 0; });
    sb.proc.env.push_back("NIX_REMOTE=daemon");
}

} // namespace burrow::nix
