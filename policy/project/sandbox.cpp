// The project-sandbox builder: launch options + host facts -> ProjectSandbox.
// Every optional share is looked up here (host.exists) and dropped when
// absent, so the backends never guess about the host.
#include "policy/project/sandbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "policy/network/egress_rules.hpp"
#include "runtime/fd.hpp"

extern char** environ;

namespace burrow::project {

const char* backend_name(Backend b) {
    switch (b) {
    case Backend::ns:
        return "namespace";
    case Backend::container:
        return "container";
    case Backend::vm:
        return "vm";
    }
    return "namespace";
}

const char* network_name(Network n) {
    switch (n) {
    case Network::none:
        return "none";
    case Network::private_stack:
        return "private";
    case Network::host:
        return "host";
    case Network::allowlist:
        return "allowlist";
    }
    return "none";
}

namespace {

// --network / --no-network for the backend. Default: private (namespace:
// pasta or slirp4netns; vm: passt; container: nspawn's lo-only network
// steered by burrow's egress proxy in open mode).
Network network_for(const LaunchOptions& o) {
    if (!o.allow_net.empty()) {
        // The rule first: a typo is the more useful message.
        for (const auto& r : o.allow_net) {
            try {
                (void)policy::parse_egress_rule(r);
            } catch (const policy::EgressRuleError& e) {
                throw LaunchError("--allow-net " + r + ": " + e.what());
            }
        }
        if (o.no_network) throw LaunchError("--allow-net and --no-network contradict each other");
        if (!o.network.empty())
            throw LaunchError("--allow-net and --network " + o.network +
                              " contradict each other (--allow-net is its own network)");
        return Network::allowlist;
    }
    if (o.no_network && !o.network.empty() && o.network != "none")
        throw LaunchError("--no-network and --network " + o.network + " contradict each other");
    std::string want = o.no_network ? "none" : o.network;
    if (want.empty()) return Network::private_stack;
    if (want == "none") return Network::none;
    if (want == "host") {
        if (o.backend == Backend::vm)
            throw LaunchError("--network host: a vm's network is passt's, never the host's "
                              "namespace (use private or none)");
        return Network::host;
    }
    if (want == "private") return Network::private_stack;
    throw LaunchError("--network " + want + ": expected private, host or none");
}

std::string env_or(const HostInfo& h, const std::string& name, const std::string& def = "") {
    auto it = h.env.find(name);
    return it != h.env.end() && !it->second.empty() ? it->second : def;
}

// Followed: a dangling symlink (say ~/.gitconfig into an unmounted disk)
// counts as absent rather than failing the bind later.
bool real_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string canonical(const std::string& path, const std::string& what) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf))
        throw LaunchError(what + " " + path + ": " + std::strerror(errno));
    return buf;
}

std::string basename_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    std::string b = slash == std::string::npos ? path : path.substr(slash + 1);
    return b.empty() ? "root" : b;
}

// mkdir -p for a directory burrow owns: each created component gets `mode`;
// an existing one must be a directory (not a symlink planted there).
void make_dirs(const std::string& path, mode_t mode) {
    struct stat existing {};
    if (::lstat(path.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode)) return; // usual case
    std::string cur;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), mode) == 0) continue;
        if (errno != EEXIST) throw LaunchError("mkdir " + cur + ": " + std::strerror(errno));
        struct stat st {};
        if (::lstat(cur.c_str(), &st) != 0)
            throw LaunchError("stat " + cur + ": " + std::strerror(errno));
        // Symlinks are fine above the burrow directories (e.g. /run -> ...),
        // resolved by stat; the last component must be a real directory.
        if (pos == std::string::npos && !S_ISDIR(st.st_mode))
            throw LaunchError(cur + ": exists and is not a directory");
    }
}

// The private directories (state, run) must be ours and closed to others,
// whatever an earlier burrow or the user left there.
void make_private_dir(const std::string& path) {
    make_dirs(path, 0700);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw LaunchError(path + ": not a directory");
    if (st.st_uid != ::geteuid())
        throw LaunchError(path + ": owned by uid " + std::to_string(st.st_uid) + ", not by us");
    if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), 0700) != 0)
        throw LaunchError("chmod " + path + ": " + std::strerror(errno));
}

// The real path of `path` even when its tail does not exist yet (state and
// run dirs before the first launch): the longest existing prefix resolved,
// the rest appended as written.
std::string resolved(const std::string& path) {
    std::string head = path, tail;
    while (!head.empty() && head != "/") {
        char buf[PATH_MAX];
        if (::realpath(head.c_str(), buf)) return std::string(buf) + tail;
        const auto slash = head.find_last_of('/');
        if (slash == std::string::npos) break;
        tail = head.substr(slash) + tail;
        head = head.substr(0, slash);
    }
    return tail.empty() ? "/" : tail;
}

// a == b or a lies below b.
bool within(const std::string& a, const std::string& b) {
    return a == b || b == "/" || a.rfind(b + "/", 0) == 0;
}

// A directory of the per-project state that a sandbox writes into (tmp,
// local/bin ...): created 0700 if missing, else it must be a real directory
// owned by us. Relative to the trusted dir fd, never following a symlink:
// one planted there (say tmp -> ~/.ssh) is refused, so the host never binds
// what it names.
Fd private_subdir(int dirfd, const std::string& name, const std::string& shown) {
    if (::mkdirat(dirfd, name.c_str(), 0700) != 0 && errno != EEXIST)
        throw LaunchError("mkdir " + shown + ": " + std::strerror(errno));
    Fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        throw LaunchError(shown + ": " +
                          (errno == ELOOP || errno == ENOTDIR
                               ? std::string("not a directory (a symlink planted there?); "
                                             "remove it")
                               : std::string(std::strerror(errno))));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw LaunchError("stat " + shown + ": " + std::strerror(errno));
    if (st.st_uid != ::geteuid())
        throw LaunchError(shown + ": owned by uid " + std::to_string(st.st_uid) + ", not by us");
    return fd;
}

// The per-project state dir, opened component by component below the state
// root without following symlinks.
Fd open_state_dir(const std::string& state_root, const std::string& id) {
    Fd root(::open(state_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw LaunchError(state_root + ": " + std::strerror(errno));
    Fd projects = private_subdir(root.get(), "projects", state_root + "/projects");
    return private_subdir(projects.get(), id, state_root + "/projects/" + id);
}

bool valid_env_name(const std::string& n) {
    if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
    for (char c : n)
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9')))
            return false;
    return true;
}

// "SRC[:DEST]": an existing path taken whole wins (paths may contain ':'),
// else split at the last ':'.
std::pair<std::string, std::string> split_bind(const std::string& spec, const char* opt) {
    std::string src = spec, dest;
    if (!real_exists(spec)) {
        const auto colon = spec.rfind(':');
        if (colon != std::string::npos) {
            src = spec.substr(0, colon);
            dest = spec.substr(colon + 1);
        }
    }
    if (src.empty()) throw LaunchError(std::string(opt) + " " + spec + ": empty source");
    src = canonical(src, opt);
    if (dest.empty()) dest = src;
    if (dest[0] != '/' || dest.find("/../") != std::string::npos || dest.ends_with("/.."))
        throw LaunchError(std::string(opt) + " " + spec +
                          ": destination must be absolute, without \"..\"");
    return {src, dest};
}

struct Builder {
    const LaunchOptions& o;
    const HostInfo& h;
    ProjectSandbox& ps;
    int state_fd; // the per-project state dir, opened without following symlinks
    std::vector<std::pair<std::string, std::string>> env;
    std::set<std::string> env_seen;

    bool exists(const std::string& p) const { return h.exists ? h.exists(p) : real_exists(p); }

    void share(Share::Kind k, const std::string& src, const std::string& dest, const char* why,
               std::optional<uint32_t> mode = std::nullopt, bool socket = false) {
        Share s;
        s.kind = k;
        s.source = src;
        s.dest = dest;
        s.mode = mode;
        s.why = why;
        s.socket = socket;
        ps.shares.push_back(std::move(s));
    }
    // A host path at the same path inside, only when it exists.
    bool share_if(Share::Kind k, const std::string& path, const char* why, bool socket = false) {
        if (path.empty() || !exists(path)) return false;
        share(k, path, path, why, std::nullopt, socket);
        return true;
    }
    void setenv(const std::string& name, const std::string& value) {
        if (env_seen.insert(name).second) {
            env.emplace_back(name, value);
            return;
        }
        for (auto& [n, v] : env)
            if (n == name) v = value;
    }
    void pass(const std::string& name) {
        auto it = h.env.find(name);
        if (it != h.env.end()) setenv(name, it->second);
    }

    void system() {
        // The host's system read-only; how (bind, nspawn --bind-ro, 9p) is
        // the backend's business. /bin, /lib* are often symlinks into /usr.
        for (const char* p :
             {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"})
            share_if(Share::Kind::ro_bind, p, "system");
    }

    void home() {
        share(Share::Kind::tmpfs, "", ps.home, "home", 0700);
        share_if(Share::Kind::ro_bind, ps.home + "/.gitconfig", "git");
        share_if(Share::Kind::ro_bind, ps.home + "/.config/git", "git");
        ssh();
        // The GitHub CLI's config holds its token (hosts.yml): only with
        // --gh-token, which forwards the token anyway.
        if (o.gh_token) share_if(Share::Kind::ro_bind, ps.home + "/.config/gh", "gh");
        if (!o.no_agent_dir) {
            const std::string dir = o.agent_dir ? *o.agent_dir : ps.home + "/.claude";
            if (dir.empty() || dir[0] != '/')
                throw LaunchError("--agent-dir " + dir + ": must be an absolute path");
            if (is_dir(dir)) {
                const std::string c = canonical(dir, "--agent-dir");
                share(Share::Kind::bind, c, dir, "agent-config");
            } else {
                // Not on the host: a per-project one, so nothing is written
                // into the real home (documented in burrow-launch(1)).
                std::string leaf = basename_of(dir);
                if (leaf == "." || leaf == "..") leaf = "agent";
                const std::string st = ps.state_dir + "/agent/" + leaf;
                Fd agent = private_subdir(state_fd, "agent", ps.state_dir + "/agent");
                private_subdir(agent.get(), leaf, st);
                share(Share::Kind::bind, st, dir, "agent-config");
            }
        }
        if (!o.no_seed) {
            std::vector<std::string> seeds = o.seeds;
            if (seeds.empty()) seeds.push_back(ps.home + "/.claude.json");
            for (const auto& f : seeds) {
                if (f.empty() || f[0] != '/')
                    throw LaunchError("--seed " + f + ": must be an absolute path");
                // An explicit --seed must exist; the default is optional.
                if (!exists(f)) {
                    if (!o.seeds.empty()) throw LaunchError("--seed " + f + ": No such file");
                    continue;
                }
                share(Share::Kind::copy, f, f, "agent-seed", 0600);
            }
        }
    }

    // ~/.ssh: by default what ssh needs to verify hosts and pick keys the
    // agent holds (known_hosts, config, *.pub), never the private keys: the
    // agent socket signs without handing them out, and a read-only share
    // still lets a payload read (and send out) a key. --ssh-keys: all of it,
    // read-only.
    void ssh() {
        const std::string dir = ps.home + "/.ssh";
        if (!exists(dir)) return;
        if (o.ssh_keys) {
            share(Share::Kind::ro_bind, dir, dir, "ssh");
            return;
        }
        std::vector<std::string> names;
        if (DIR* d = ::opendir(dir.c_str())) {
            while (dirent* de = ::readdir(d)) {
                const std::string n = de->d_name;
                if (n == "known_hosts" || n == "known_hosts2" || n == "config" ||
                    (n.size() > 4 && n.ends_with(".pub") && n[0] != '.'))
                    names.push_back(n);
            }
            ::closedir(d);
        }
        std::sort(names.begin(), names.end());
        bool dir_made = false;
        for (const auto& n : names) {
            const std::string p = dir + "/" + n;
            struct stat st {};
            if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            // A *.pub that is a symlink must lead to a *.pub: never a
            // private key under a public name.
            if (n.ends_with(".pub") && !resolved(p).ends_with(".pub")) continue;
            if (!dir_made) share(Share::Kind::dir, "", dir, "ssh", 0700);
            dir_made = true;
            share(Share::Kind::ro_bind, p, p, "ssh");
        }
    }

    // /tmp before the home: a home under /tmp stays visible.
    void state_tmp() { share(Share::Kind::bind, ps.state_dir + "/tmp", "/tmp", "state-tmp"); }

    void state_local() {
        for (const char* d : {"bin", "lib", "share"})
            share(Share::Kind::bind, ps.state_dir + "/local/" + d, ps.home + "/.local/" + d,
                  "state-local");
        // No tmux share: the tmux server runs on the host side and its
        // socket must stay out of the sandbox's reach (burrow-launch(1)).
    }

    void forwarding() {
        const std::string rt = env_or(h, "XDG_RUNTIME_DIR");
        bool runtime_used = false;
        // X11
        if (!env_or(h, "DISPLAY").empty() &&
            share_if(Share::Kind::ro_bind, "/tmp/.X11-unix", "x11", true)) {
            pass("DISPLAY");
            const std::string xa = env_or(h, "XAUTHORITY");
            if (share_if(Share::Kind::ro_bind, xa, "x11")) pass("XAUTHORITY");
        }
        // Wayland
        if (const std::string wd = env_or(h, "WAYLAND_DISPLAY"); !wd.empty()) {
            const std::string sock = wd[0] == '/' ? wd : (rt.empty() ? "" : rt + "/" + wd);
            if (share_if(Share::Kind::bind, sock, "wayland", true)) {
                pass("WAYLAND_DISPLAY");
                runtime_used = wd[0] != '/';
            }
        }
        // D-Bus
        if (share_if(Share::Kind::bind, "/run/dbus/system_bus_socket", "dbus-system", true))
            pass("DBUS_SYSTEM_BUS_ADDRESS");
        if (const std::string a = env_or(h, "DBUS_SESSION_BUS_ADDRESS");
            a.rfind("unix:path=", 0) == 0) {
            std::string path = a.substr(10);
            path = path.substr(0, path.find(','));
            if (share_if(Share::Kind::bind, path, "dbus-session", true))
                pass("DBUS_SESSION_BUS_ADDRESS");
        }
        // Audio, keyring: sockets in the runtime dir.
        if (!rt.empty()) {
            runtime_used |= share_if(Share::Kind::bind, rt + "/pipewire-0", "pipewire", true);
            if (share_if(Share::Kind::bind, rt + "/pulse/native", "pulse", true)) {
                runtime_used = true;
                setenv("PULSE_SERVER", "unix:" + rt + "/pulse/native");
            }
            runtime_used |= share_if(Share::Kind::bind, rt + "/keyring", "keyring", true);
            if (runtime_used ||
                (!env_or(h, "DBUS_SESSION_BUS_ADDRESS").empty() &&
                 env_or(h, "DBUS_SESSION_BUS_ADDRESS").find(rt) != std::string::npos))
                setenv("XDG_RUNTIME_DIR", rt);
        }
        // GPU
        share_if(Share::Kind::dev_bind, "/dev/dri", "dri");
        share_if(Share::Kind::ro_bind, "/run/opengl-driver", "opengl");
        // SSH agent
        if (share_if(Share::Kind::bind, env_or(h, "SSH_AUTH_SOCK"), "ssh-agent", true))
            pass("SSH_AUTH_SOCK");
        // Nix daemon: the store read-only, builds through the daemon.
        if (exists("/nix/var/nix/daemon-socket/socket") && exists("/nix/store")) {
            share(Share::Kind::ro_bind, "/nix/store", "/nix/store", "nix-store");
            share(Share::Kind::bind, "/nix/var/nix/daemon-socket", "/nix/var/nix/daemon-socket",
                  "nix-daemon", std::nullopt, true);
            setenv("NIX_REMOTE", "daemon");
        }
    }

    void user_binds() {
        for (const auto& b : o.binds) {
            auto [src, dest] = split_bind(b, "--bind");
            share(Share::Kind::bind, src, dest, "user-bind");
        }
        for (const auto& b : o.ro_binds) {
            auto [src, dest] = split_bind(b, "--ro-bind");
            share(Share::Kind::ro_bind, src, dest, "user-bind");
        }
    }

    void environment() {
        pass("TERM");
        pass("COLORTERM");
        pass("LANG");
        pass("LANGUAGE");
        pass("TZ");
        for (const auto& [k, v] : h.env)
            if (k.rfind("LC_", 0) == 0) setenv(k, v);
        forwarding();
        for (const auto& n : o.env_names) {
            if (!valid_env_name(n)) throw LaunchError("--env " + n + ": not a variable name");
            pass(n);
        }
        if (o.gh_token) {
            std::string tok = env_or(h, "GH_TOKEN", env_or(h, "GITHUB_TOKEN"));
            if (tok.empty())
                throw LaunchError("--gh-token: neither GH_TOKEN nor GITHUB_TOKEN is set");
            setenv("GH_TOKEN", tok);
            setenv("GITHUB_TOKEN", tok);
        }
        setenv("HOME", ps.home);
        setenv("USER", ps.user);
        setenv("LOGNAME", ps.user);
        setenv("SHELL", ps.shell);
        setenv("PATH",
               ps.home +
                   "/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        setenv("BURROW_SANDBOX", "1");
        setenv("BURROW_BACKEND", backend_name(ps.backend));
    }
};

std::string sanitize(const std::string& s, const char* extra, char replacement = '_') {
    std::string out;
    for (char c : s) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || std::strchr(extra, c) != nullptr;
        out += ok && c != '\0' ? c : replacement;
    }
    return out;
}

} // namespace

std::string project_id_for(const std::string& canonical_dir) {
    uint64_t h = 14695981039346656037ULL; // FNV-1a 64
    for (unsigned char c : canonical_dir) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    std::string base = sanitize(basename_of(canonical_dir), "._-");
    if (base.size() > 64) base.resize(64);
    if (base[0] == '.') base[0] = '_'; // never "." or ".."
    return base + "-" + hex;
}

std::string state_root(const HostInfo& h) {
    std::string s = env_or(h, "XDG_STATE_HOME");
    if (s.empty() || s[0] != '/') s = h.home + "/.local/state";
    return s + "/burrow";
}

std::string run_root(const HostInfo& h) {
    const std::string rt = env_or(h, "XDG_RUNTIME_DIR");
    if (!rt.empty() && rt[0] == '/' && is_dir(rt)) return rt + "/burrow";
    const std::string user_run = "/run/user/" + std::to_string(h.uid);
    if (is_dir(user_run) && ::access(user_run.c_str(), W_OK) == 0) return user_run + "/burrow";
    return state_root(h) + "/run";
}

HostInfo host_from_process() {
    HostInfo h;
    for (char** e = environ; e && *e; ++e) {
        const char* eq = std::strchr(*e, '=');
        if (eq)
            h.env.emplace(std::string(*e, static_cast<std::size_t>(eq - *e)), std::string(eq + 1));
    }
    h.uid = ::getuid();
    h.gid = ::getgid();
    const std::string home = env_or(h, "HOME");
    const std::string user = env_or(h, "USER", env_or(h, "LOGNAME"));
    // The password database only when the environment lacks something: in
    // a static burrow, getpwuid() costs milliseconds (NSS set-up).
    const passwd* pw = nullptr;
    if (home.empty() || home[0] != '/' || user.empty() || env_or(h, "SHELL").empty())
        pw = ::getpwuid(h.uid);
    h.user = !user.empty() ? user : pw ? pw->pw_name : std::to_string(h.uid);
    h.passwd_shell = pw && pw->pw_shell ? pw->pw_shell : "";
    h.home = !home.empty() && home[0] == '/' ? home : (pw ? pw->pw_dir : "/");
    h.stdin_tty = ::isatty(0) == 1;
    h.exists = real_exists;
    return h;
}

std::string checked_project_dir(const std::string& dir, const HostInfo& h) {
    if (dir.empty()) throw LaunchError("project directory: empty path");
    const std::string canon = canonical(dir, "project directory");
    if (!is_dir(canon)) throw LaunchError("project directory " + dir + ": Not a directory");
    if (h.home.empty() || h.home[0] != '/') throw LaunchError("HOME: not an absolute path");
    std::string home = h.home;
    while (home.size() > 1 && home.back() == '/') home.pop_back();
    // The project is bound after the fresh home: a project that is the home
    // or holds it would bring all of the real home back, read-write, over
    // the read-only ~/.ssh. The home itself must not be / either.
    if (home == "/") throw LaunchError("HOME is /: no home to replace");
    // Compared by real path (a symlink to any of these, planted in a parent
    // an earlier sandbox could write, resolves to the same): the project may
    // lie below the home, but not be it or hold it; and it may not be, hold
    // or lie inside burrow's state, run or registry dirs, which a sandbox
    // must never write (it could plant symlinks in per-project state or
    // forge the registry entries enter and stop trust).
    for (const std::string& hm : {home, resolved(home)})
        if (within(hm, canon))
            throw LaunchError("project directory " + canon + ": it holds your home (" + home +
                              "), which would be shared whole; use a directory below it");
    for (const std::string& own : {state_root(h), run_root(h)})
        for (const std::string& o2 : {own, resolved(own)})
            if (within(o2, canon) || within(canon, o2))
                throw LaunchError("project directory " + canon +
                                  ": it is, holds or lies "
                                  "in burrow's own " +
                                  own +
                                  " (state, run or registry dir), which a sandbox must not write");
    return canon;
}

ProjectSandbox build_project_sandbox(const LaunchOptions& o, const HostInfo& h) {
    ProjectSandbox ps;
    ps.backend = o.backend;
    ps.project_dir = checked_project_dir(o.project, h);
    ps.project_id = project_id_for(ps.project_dir);
    ps.uid = h.uid;
    ps.gid = h.gid;
    ps.user = h.user;
    ps.home = h.home;
    while (ps.home.size() > 1 && ps.home.back() == '/') ps.home.pop_back();
    ps.shell = env_or(h, "SHELL", h.passwd_shell.empty() ? "/bin/sh" : h.passwd_shell);
    ps.state_dir = state_root(h) + "/projects/" + ps.project_id;
    ps.run_dir = run_root(h) + "/" + ps.project_id;
    // --new may run next to the project's session: its own run dir, so its
    // tmux socket never is the other sandbox's.
    if (o.new_session) ps.run_dir += "-" + std::to_string(::getpid());
    ps.tmux = o.tmux;
    ps.network = network_for(o);
    if (ps.network == Network::allowlist) ps.allow_net = o.allow_net;
    ps.layers = o.layers;
    // The namespace backend layers the whole policy (launcher/namespace);
    // the container and the vm take the layers' network here, before
    // anything is created.
    if (o.backend == Backend::container || o.backend == Backend::vm) layer_network(ps);
    ps.new_session = o.new_session;
    ps.interactive = o.shell || h.stdin_tty;
    ps.cwd = ps.project_dir;
    std::string host = "burrow-" + sanitize(basename_of(ps.project_dir), "-", '-');
    if (host.size() > 63) host.resize(63);
    ps.hostname = host;
    if (o.shell || o.command.empty())
        ps.command = {ps.shell};
    else
        ps.command = o.command;
    if (o.shell && !o.command.empty())
        throw LaunchError("--shell: a command was given too (after \"--\")");

    // Option errors before anything is created on the host.
    for (const auto& b : o.binds) split_bind(b, "--bind");
    for (const auto& b : o.ro_binds) split_bind(b, "--ro-bind");
    for (const auto& n : o.env_names)
        if (!valid_env_name(n)) throw LaunchError("--env " + n + ": not a variable name");
    if (o.gh_token && env_or(h, "GH_TOKEN", env_or(h, "GITHUB_TOKEN")).empty())
        throw LaunchError("--gh-token: neither GH_TOKEN nor GITHUB_TOKEN is set");
    if (o.agent_dir && (o.agent_dir->empty() || (*o.agent_dir)[0] != '/'))
        throw LaunchError("--agent-dir " + *o.agent_dir + ": must be an absolute path");
    for (const auto& f : o.no_seed ? std::vector<std::string>{} : o.seeds)
        if (f.empty() || f[0] != '/' || !(h.exists ? h.exists(f) : real_exists(f)))
            throw LaunchError("--seed " + f + ": must be an existing file, by absolute path");

    make_private_dir(state_root(h));
    Fd state = open_state_dir(state_root(h), ps.project_id);
    if (::fchmod(state.get(), 0700) != 0)
        throw LaunchError("chmod " + ps.state_dir + ": " + std::strerror(errno));
    private_subdir(state.get(), "tmp", ps.state_dir + "/tmp");
    {
        Fd local = private_subdir(state.get(), "local", ps.state_dir + "/local");
        for (const char* d : {"bin", "lib", "share"})
            private_subdir(local.get(), d, ps.state_dir + "/local/" + d);
    }
    make_private_dir(run_root(h));
    make_private_dir(ps.run_dir);
    if (ps.tmux) make_private_dir(ps.run_dir + "/tmux");

    Builder b{o, h, ps, state.get(), {}, {}};
    b.system();
    b.state_tmp();
    b.home();
    b.state_local();
    b.environment(); // also adds the forwarded sockets, in order after state
    // The project last but user binds, so nothing above (home tmpfs, /tmp)
    // covers it when it lives under home or /tmp.
    b.share(Share::Kind::bind, ps.project_dir, ps.project_dir, "project");
    b.user_binds();
    ps.env = std::move(b.env);
    return ps;
}

void layer_network(ProjectSandbox& ps) {
    policy::Policy base;
    base.network = network_name(ps.network);
    base.network_allow = ps.allow_net;
    for (const policy::Policy& l : ps.layers) {
        if (!l.wrote("network")) continue;
        policy::Policy top; // the layer's network alone: its other keys are not ours here
        top.network = l.network;
        top.network_allow = l.network_allow;
        top.network_allow_pos = l.network_allow_pos;
        top.network_forward = l.network_forward;
        top.network_forward_pos = l.network_forward_pos;
        top.written = {"network"};
        try {
            policy::layer(base, top);
        } catch (const policy::PolicyError& e) {
            throw LaunchError(std::string("--policy ") + e.what());
        }
    }
    // Layering never adds a forward (a layer may only forward what the base
    // does, and launch forwards nothing): nothing else to carry over.
    const std::string& n = base.network;
    ps.network = n == "host"        ? Network::host
                 : n == "private"   ? Network::private_stack
                 : n == "allowlist" ? Network::allowlist
                                    : Network::none; // loopback: nspawn's lo-only network
    ps.allow_net =
        ps.network == Network::allowlist ? base.network_allow : std::vector<std::string>{};
}

} // namespace burrow::project
