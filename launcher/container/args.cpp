#include "launcher/container/args.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "launcher/container/exec.hpp"
#include "policy/network/egress_rules.hpp"

namespace burrow::container {

namespace {

using project::Share;

bool is_under(const std::string& path, const std::string& dir) {
    if (dir == "/") return path != "/";
    return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
           path[dir.size()] == '/';
}

std::string octal(uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
    return buf;
}

bool is_mount(Share::Kind k) {
    return k == Share::Kind::bind || k == Share::Kind::ro_bind || k == Share::Kind::dev_bind ||
           k == Share::Kind::tmpfs;
}

void check_path(const std::string& p, const Share& s) {
    if (p.empty() || p[0] != '/' || p.find("/../") != std::string::npos || p.ends_with("/.."))
        throw std::runtime_error("share " + s.why + " (" + s.dest +
                                 "): paths must be absolute, without \"..\"");
    if (p.find('\0') != std::string::npos) throw std::runtime_error("share path with a NUL byte");
}

// The policy layers' filesystem entries that nspawn can express, as shares;
// the rest of each layer is named once as not applied by this backend.
std::vector<Share> layer_shares(const project::ProjectSandbox& ps,
                                std::vector<std::string>& env_extra) {
    std::vector<Share> out;
    std::vector<std::string> ignored;
    auto note = [&](const std::string& what) {
        for (const auto& i : ignored)
            if (i == what) return;
        ignored.push_back(what);
    };
    for (const auto& layer : ps.layers) {
        for (const auto& fs : layer.fs) {
            Share s;
            s.source = fs.src;
            s.dest = fs.dest;
            s.mode = fs.mode;
            s.why = "policy";
            bool optional = fs.type.ends_with("-try");
            std::string t = optional ? fs.type.substr(0, fs.type.size() - 4) : fs.type;
            if (t == "bind")
                s.kind = Share::Kind::bind;
            else if (t == "ro-bind")
                s.kind = Share::Kind::ro_bind;
            else if (t == "dev-bind")
                s.kind = Share::Kind::dev_bind;
            else if (t == "tmpfs")
                s.kind = Share::Kind::tmpfs, s.source.clear();
            else if (t == "dir")
                s.kind = Share::Kind::dir, s.source.clear();
            else {
                note("fs " + fs.type);
                continue;
            }
            if (!s.source.empty() && ::access(s.source.c_str(), F_OK) < 0) {
                if (optional) continue;
                throw std::runtime_error("policy " + fs.pos.file + ":" +
                                         std::to_string(fs.pos.line) + ": " + fs.src +
                                         ": no such file or directory");
            }
            out.push_back(s);
        }
        for (const auto& [k, v] : layer.env_set) env_extra.push_back(k + "=" + v);
        if (layer.seccomp_profile || !layer.seccomp_rules.empty()) note("seccomp");
        if (layer.landlock) note("landlock");
        if (!layer.rlimits.empty()) note("limits");
        if (layer.timeout_ms) note("timeout");
        if (layer.memory_max || layer.pids_max || layer.cpu_max) note("cgroup limits");
        if (!layer.caps_add.empty() || !layer.caps_drop.empty()) note("capabilities");
        if (layer.has_nix) note("nix");
    }
    if (!ignored.empty()) {
        std::string list;
        for (const auto& i : ignored) list += (list.empty() ? "" : ", ") + i;
        std::fprintf(stderr,
                     "burrow: launch: --backend container does not apply these policy "
                     "settings: %s\n",
                     list.c_str());
    }
    return out;
}

} // namespace

Egress container_egress(const project::ProjectSandbox& ps, std::vector<std::string>* env) {
    Egress eg;
    if (ps.network != project::Network::private_stack && ps.network != project::Network::allowlist)
        return eg;
    eg.enabled = true;
    eg.open = ps.network == project::Network::private_stack;
    for (const auto& r : ps.allow_net) eg.allow.push_back(policy::parse_egress_rule(r));
    if (!eg.open) {
        std::vector<std::string> ignored;
        policy::offer_connect_proxy(eg, env ? *env : ignored);
    }
    return eg;
}

std::string escape_path(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == '\\' || c == ':') out += '\\';
        out += c;
    }
    return out;
}

Plan plan_container(const project::ProjectSandbox& ps, const PlanInput& in) {
    Plan plan;
    auto& a = plan.argv;
    const SystemInput* sys = in.system ? &*in.system : nullptr;
    a = {in.nspawn, "--quiet", "--directory=" + in.root, "--machine=" + in.machine};
    // Without --system the helper runs as pid 2 under nspawn's stub init;
    // with it, the system's init is pid 1 (nspawn's default mode, the way
    // NixOS's own containers start: ${toplevel}/init as the command).
    if (!sys) a.push_back("--as-pid2");
    if (!in.uuid.empty()) a.push_back("--uuid=" + in.uuid);
    if (in.register_machine)
        a.push_back("--register=yes");
    else
        a.insert(a.end(), {"--register=no", "--keep-unit"});
    // The host's /etc is shared: same machine-id, so no journal linking; its
    // resolv.conf and localtime are already there and must not be replaced.
    a.insert(a.end(), {"--link-journal=no", "--resolv-conf=off", "--timezone=off",
                       "--kill-signal=SIGRTMIN+3"});
    // A booted system keeps its setuid programs and services working (its
    // own sudo, dbus' activation helper); the command gets no_new_privs from
    // the helper either way (launcher/container/exec.cpp).
    if (!sys) a.push_back("--no-new-privileges=yes");
    a.push_back(in.interactive ? "--console=interactive" : "--console=pipe");
    if (!ps.hostname.empty()) a.push_back("--hostname=" + ps.hostname);
    // nspawn's private network (lo only); but for none, burrow's egress
    // proxy then steers it from outside (launcher/container/launch.cpp).
    if (ps.network != project::Network::host) a.push_back("--private-network");

    // The system: the host's /usr and /etc read-only, and /bin, /lib... as
    // the host has them (usr-merge symlinks, or read-only binds).
    plan.root_dirs.push_back("usr");
    a.push_back("--bind-ro=/usr:/usr");
    // /etc: a NixOS system's activation builds it from DIR/etc on an empty
    // writable tmpfs; a plain system's DIR/etc is used as it is (read-only);
    // else the host's, read-only.
    plan.root_dirs.push_back("etc");
    if (sys && sys->nixos)
        a.push_back("--tmpfs=/etc:mode=0755");
    else if (sys && sys->has_etc)
        a.push_back("--bind-ro=" + escape_path(sys->dir + "/etc") + ":/etc");
    else
        a.push_back("--bind-ro=/etc:/etc");
    for (const char* d : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
        std::string host = std::string("/") + d;
        struct stat st {};
        if (::lstat(host.c_str(), &st) < 0) continue;
        if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            ssize_t n = ::readlink(host.c_str(), buf, sizeof buf - 1);
            if (n <= 0) continue;
            plan.root_symlinks.emplace_back(d, std::string(buf, static_cast<size_t>(n)));
        } else if (S_ISDIR(st.st_mode)) {
            plan.root_dirs.push_back(d);
            a.push_back("--bind-ro=" + host + ":" + host);
        }
    }

    std::vector<std::string> env_extra;
    // The builder's "system" shares of what the root above already has
    // (binding /bin over the usr-merge symlink would only add mounts).
    std::vector<Share> shares;
    for (const Share& s : ps.shares) {
        bool covered = false;
        for (const char* d :
             {"/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"})
            covered |= s.dest == d && s.source == d && s.kind == Share::Kind::ro_bind;
        if (!covered) shares.push_back(s);
    }
    for (auto& s : layer_shares(ps, env_extra)) shares.push_back(std::move(s));

    ExecSpec& spec = plan.spec;
    spec.uid = ps.uid;
    spec.gid = ps.gid;
    spec.cwd = ps.cwd;
    spec.interactive = in.interactive;
    spec.argv = ps.command;
    if (spec.argv.empty()) throw std::runtime_error("no command");
    spec.status_path = std::string(kStatusInside) + "/status";
    for (const auto& [k, v] : ps.env) spec.env.push_back(k + "=" + v);
    for (auto& e : env_extra) spec.env.push_back(std::move(e));
    if (container_egress(ps, &spec.env).enabled)
        spec.net_ready_path = std::string(kStatusInside) + "/net";

    std::vector<const Share*> mounts; // in the order given
    int copies = 0;
    for (const Share& s : shares) {
        check_path(s.dest, s);
        if (!s.source.empty()) check_path(s.source, s);
        if (s.dest == "/" || s.dest == kMetaInside || is_under(s.dest, kMetaInside) ||
            s.dest == kStatusInside || is_under(s.dest, kStatusInside) ||
            (sys && (s.dest == kSystemInside || is_under(s.dest, kSystemInside))))
            throw std::runtime_error("share " + s.why + ": " + s.dest +
                                     " cannot be a destination in the container backend");
        const std::string src = escape_path(s.source), dest = escape_path(s.dest);
        switch (s.kind) {
        case Share::Kind::bind:
            a.push_back("--bind=" + src + ":" + dest);
            break;
        case Share::Kind::ro_bind:
            a.push_back("--bind-ro=" + src + ":" + dest);
            break;
        case Share::Kind::dev_bind:
            // Without registration nspawn installs no device cgroup policy
            // (the devices are as usable as on the host); with a scope from
            // machined the device nodes are allowed explicitly.
            a.push_back("--bind=" + src + ":" + dest);
            if (in.register_machine) a.push_back("--property=DeviceAllow=" + s.source + " rw");
            break;
        case Share::Kind::tmpfs:
            a.push_back("--tmpfs=" + dest + ":mode=" + octal(s.mode.value_or(0755)) +
                        ",uid=" + std::to_string(ps.uid) + ",gid=" + std::to_string(ps.gid));
            break;
        case Share::Kind::dir: {
            bool in_mount = false;
            for (const Share& m : shares)
                if (is_mount(m.kind) && is_under(s.dest, m.dest)) in_mount = true;
            if (in_mount)
                spec.dirs.push_back({s.dest, s.mode.value_or(0755)});
            else
                plan.root_dirs.push_back(s.dest.substr(1));
            break;
        }
        case Share::Kind::copy: {
            std::string n = std::to_string(copies++);
            plan.meta_files.push_back("copy/" + n);
            std::string inside = std::string(kMetaInside) + "/copy/" + n;
            a.push_back("--bind-ro=" + src + ":" + inside);
            spec.copies.push_back({inside, s.dest, s.mode.value_or(0600)});
            break;
        }
        }
        if (is_mount(s.kind)) mounts.push_back(&s);
    }
    if (copies) plan.meta_dirs.push_back("copy");

    // nspawn makes the mount points of shares nested in a tmpfs as root:
    // the helper gives those directories to the user (only while they are
    // still on that tmpfs). Copies and dirs inside one are made as the user.
    auto chown_between = [&](const std::string& top, const std::string& dest) {
        for (size_t pos = top.size() + 1; (pos = dest.find('/', pos)) != std::string::npos; ++pos)
            spec.chowns.push_back({top, dest.substr(0, pos)});
    };
    for (const Share* t : mounts) {
        if (t->kind != Share::Kind::tmpfs) continue;
        for (const Share& s : shares)
            if (&s != t && is_under(s.dest, t->dest)) chown_between(t->dest, s.dest);
    }

    // The helper: burrow itself, read-only, with its spec and status dir.
    plan.meta_files.push_back("burrow");
    a.push_back("--bind-ro=" + escape_path(in.meta) + ":" + kMetaInside);
    a.push_back("--bind-ro=" + escape_path(in.exe) + ":" + kMetaInside + "/burrow");
    a.push_back("--bind=" + escape_path(in.status) + ":" + kStatusInside);
    a.push_back("--");
    if (!sys) {
        a.push_back(std::string(kMetaInside) + "/burrow");
        a.push_back("__container-exec");
        a.push_back(std::string(kMetaInside) + "/spec");
        return plan;
    }

    // --system: the system's init as pid 1; the helper starts as a unit,
    // with stdio from burrow (launch.cpp) unless the console is the
    // caller's terminal. nspawn copies the unit's file into the container
    // through a bind, before init runs.
    spec.booted = true;
    if (!in.interactive) spec.stdio_socket = std::string(kStatusInside) + "/stdio";
    plan.meta_texts.emplace_back(kCommandUnit, command_unit(in.interactive));
    a.insert(a.end() - 1, "--bind-ro=" + escape_path(in.meta + "/" + kCommandUnit) +
                              ":/run/systemd/system/" + kCommandUnit);
    for (const auto& p : sys->store_paths) {
        if (!is_under(p, sys->store_dir) || p.find("/..") != std::string::npos)
            throw std::runtime_error("--system: closure entry " + p + " is not in the store");
        a.insert(a.end() - 1, "--bind-ro=" + escape_path(p) + ":" + escape_path(p));
    }
    std::string init;
    if (sys->nixos && is_under(sys->dir, sys->store_dir)) {
        init = sys->dir + "/init"; // its closure (or the whole store) is there
    } else {
        a.insert(a.end() - 1, "--bind-ro=" + escape_path(sys->dir) + ":" + kSystemInside);
        init = std::string(kSystemInside) + "/init";
    }
    // systemd as pid 1 of a container reads these from its argv as from a
    // kernel command line: start burrow's unit, keep gettys off the
    // console burrow uses, and no boot status.
    a.insert(a.end(), {init, std::string("systemd.wants=") + kCommandUnit,
                       "systemd.mask=console-getty.service",
                       "systemd.mask=container-getty@.service", "systemd.show_status=false"});
    // On a terminal the console is the caller's: init's own messages (which
    // fall back to the console until journald runs) stay off it.
    if (in.interactive) a.push_back("systemd.log_target=null");
    return plan;
}

std::string command_unit(bool interactive) {
    std::string u = "[Unit]\n"
                    "Description=burrow command (the sandbox's command, as the caller)\n"
                    "DefaultDependencies=no\n"
                    "After=basic.target\n"
                    "Before=getty-pre.target shutdown.target\n"
                    "Wants=getty-pre.target\n"
                    "Conflicts=shutdown.target\n"
                    // The container ends with the command: an orderly
                    // shutdown, then init exits with the helper's status.
                    "SuccessAction=exit\n"
                    "FailureAction=exit\n"
                    "[Service]\n"
                    "Type=exec\n"
                    "ExecStart=";
    u += std::string(kMetaInside) + "/burrow " + kExecVerb + " " + kMetaInside + "/spec\n";
    // A stop (the container halted) signals the helper, which passes it on
    // to the command and reports its status; what is left then is killed.
    u += "KillMode=mixed\n";
    if (interactive)
        u += "StandardInput=tty-force\nStandardOutput=inherit\nStandardError=inherit\n"
             "TTYPath=/dev/console\n";
    else
        u += "StandardInput=null\nStandardOutput=journal\nStandardError=journal\n";
    return u;
}

} // namespace burrow::container
