#include "tests/nsfuzz/nsfuzz_case.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <cstdio>
#include <functional>
#include <set>
#include <sstream>

#include "tests/support/seccomp_bpf.hpp"

namespace nsfuzz {

std::string fnv_hash(const std::string& s) {
    // The probe's hash (FNV-1a 64).
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

namespace {

using Kind = Item::Kind;
constexpr const char* kScratch = "@S/";

std::string parent_of(const std::string& p) {
    auto slash = p.rfind('/');
    return slash == 0 ? "/" : p.substr(0, slash);
}

bool is_under(const std::string& p, const std::string& dir) {
    if (dir == "/") return true;
    return p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/';
}

std::string octal(unsigned mode) {
    char b[8];
    std::snprintf(b, sizeof b, "%04o", mode);
    return b;
}

// The host subtree at scratch/rel, as nodes relative to it ("" = the root).
std::vector<std::pair<std::string, Node>> host_tree(const Host& h, const std::string& rel) {
    std::vector<std::pair<std::string, Node>> out;
    std::function<void(const std::string&, const std::string&)> walk = [&](const std::string& abs,
                                                                           const std::string& sub) {
        struct stat st;
        if (::lstat(abs.c_str(), &st) != 0) return;
        Node n;
        n.priv = false;
        n.mode = st.st_mode & 07777;
        if (S_ISDIR(st.st_mode)) {
            n.type = Node::Type::dir;
        } else if (S_ISLNK(st.st_mode)) {
            n.type = Node::Type::symlink;
            char buf[4096];
            ssize_t len = ::readlink(abs.c_str(), buf, sizeof buf);
            n.target = len > 0 ? std::string(buf, static_cast<size_t>(len)) : "";
        } else {
            n.type = Node::Type::file;
            FILE* f = std::fopen(abs.c_str(), "rb");
            if (f) {
                char buf[4096];
                size_t got;
                while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) n.data.append(buf, got);
                std::fclose(f);
            }
        }
        out.emplace_back(sub, n);
        if (S_ISDIR(st.st_mode)) {
            DIR* d = ::opendir(abs.c_str());
            if (!d) return;
            std::vector<std::string> names;
            while (dirent* e = ::readdir(d)) {
                std::string nm = e->d_name;
                if (nm != "." && nm != "..") names.push_back(nm);
            }
            ::closedir(d);
            std::sort(names.begin(), names.end());
            for (const auto& nm : names) walk(abs + "/" + nm, sub + "/" + nm);
        }
    };
    walk(h.scratch + "/" + rel, "");
    return out;
}

// The host sources binds may use, and what they are.
const std::vector<std::string> kRoDirs = {"src/d0", "src/d1", "src/d0/sub", "rw/r0"};
const std::vector<std::string> kRoFiles = {"src/fa", "src/fb", "src/fx", "src/d0/f0"};
const std::vector<std::string> kRwDirs = {"rw/r0", "rw/r1"};
const std::vector<std::string> kRwFiles = {"rw/rf"};

class Replay {
  public:
    Replay(const Host& h, Model& m) : h_(h), m_(m) {
        m_ = Model{};
        m_.mounts.push_back(Mount{"/", "tmpfs", false, false, false});
        Node root;
        root.creator = -2;
        m_.nodes["/"] = root;
        Node probe;
        probe.type = Node::Type::opaque;
        probe.priv = false;
        probe.creator = -2;
        m_.nodes["/probe"] = probe;
    }

    // Destinations may go through symbolic links the sandbox made (a link to
    // a directory, absolute or relative): burrow resolves them inside the new
    // root, so the model applies the item at the resolved path. The last
    // component is taken as it is.
    bool apply(const Item& it, int index) {
        if (it.kind < Kind::dir || it.path.empty()) return apply_at(it, index);
        std::string real;
        if (!resolve_parent(it.path, real)) return false;
        if (real == it.path) return apply_at(it, index);
        Item at = it;
        at.path = real;
        return apply_at(at, index);
    }

    // Resolves every component but the last; false for a loop or a link
    // that does not lead to a directory.
    bool resolve_parent(const std::string& path, std::string& out) {
        std::vector<std::string> todo;
        auto push_parts = [&todo](const std::string& p) {
            std::vector<std::string> parts;
            size_t i = 0;
            while (i < p.size()) {
                size_t j = p.find('/', i);
                if (j == std::string::npos) j = p.size();
                if (j > i) parts.push_back(p.substr(i, j - i));
                i = j + 1;
            }
            for (auto r = parts.rbegin(); r != parts.rend(); ++r) todo.push_back(*r);
        };
        push_parts(path);
        std::string cur = "/";
        int links = 0;
        while (!todo.empty()) {
            const std::string part = todo.back();
            todo.pop_back();
            if (part == ".") continue;
            if (part == "..") {
                cur = parent_of(cur);
                continue;
            }
            const std::string next = cur == "/" ? "/" + part : cur + "/" + part;
            if (todo.empty()) {
                out = next;
                return true;
            }
            auto n = m_.nodes.find(next);
            if (n != m_.nodes.end() && n->second.type == Node::Type::symlink && find(next)) {
                if (++links > 40) return false;
                const std::string target = n->second.target;
                if (!target.empty() && target[0] == '/') cur = "/";
                push_parts(target);
                continue;
            }
            if (n != m_.nodes.end() && n->second.type != Node::Type::dir) return false;
            cur = next;
        }
        out = cur;
        return true;
    }

    bool apply_at(const Item& it, int index) {
        parent_mode_ = parent_mode(it);
        switch (it.kind) {
        case Kind::ns:
            if (it.name == "all") {
                m_.all = m_.ipc = m_.pid = m_.net = m_.uts = m_.cgroup = m_.user = true;
            } else if (it.name == "user") {
                m_.user = true;
            } else if (it.name == "pid") {
                m_.pid = true;
            } else if (it.name == "net") {
                m_.net = true;
            } else if (it.name == "ipc") {
                m_.ipc = true;
            } else if (it.name == "uts") {
                m_.uts = true;
            } else if (it.name == "cgroup") {
                m_.cgroup = true;
            }
            return true;
        case Kind::process:
            if (it.name == "as-pid-1") {
                if (!m_.pid) return false;
                m_.as_pid_1 = true;
            }
            if (it.name == "die-with-parent") m_.die_with_parent = true;
            if (it.name == "new-session") m_.new_session = true;
            if (it.name == "hostname") {
                if (!m_.uts) return false;
                m_.hostname = it.value;
            }
            return true;
        case Kind::uid:
            if (!explicit_user_) return false;
            m_.uid = it.mode;
            return true;
        case Kind::gid:
            if (!explicit_user_) return false;
            m_.gid = it.mode;
            return true;
        case Kind::setenv:
            m_.env_ops.push_back("set " + it.name + " " + it.value);
            return true;
        case Kind::unsetenv:
            m_.env_ops.push_back("unset " + it.name);
            return true;
        case Kind::clearenv:
            m_.env_ops.push_back("clear");
            return true;
        case Kind::chdir: {
            auto n = find(it.path);
            if (!n || n->type != Node::Type::dir) return false;
            // burrow changes directory after dropping capabilities: without
            // them, only where the payload could go itself.
            const bool caps = h_.root && m_.uid.value_or(h_.uid) == 0;
            for (std::string a = it.path; !caps && a != "/"; a = parent_of(a)) {
                const Node& d = m_.nodes[a];
                if (!d.mode_known || !(d.mode & 0100)) return false;
            }
            m_.chdir = it.path;
            return true;
        }
        case Kind::seccomp_fd:
        case Kind::seccomp_profile_file:
            ++m_.seccomp_programs;
            m_.personality = it.value;
            return true;
        case Kind::seccomp_builtin:
            ++m_.seccomp_programs;
            // default, ci and strict all answer the personality query.
            m_.personality = "OK";
            return true;
        case Kind::dir:
            if (!creatable(it.path)) return false;
            make_parents(it.path, index);
            add_private(it.path, Node::Type::dir, it.perms.value_or(0755), "", index);
            return true;
        case Kind::file:
        case Kind::bind_data:
        case Kind::ro_bind_data: {
            if (!creatable(it.path)) return false;
            make_parents(it.path, index);
            const unsigned def = it.kind == Kind::file ? 0666 : 0600;
            add_private(it.path, Node::Type::file, it.perms.value_or(def), it.fds.at(0).data,
                        index);
            if (it.kind != Kind::file) {
                new_mount(it.path, "tmpfs", it.kind == Kind::ro_bind_data, index);
                m_.nodes[it.path].unlinked = true;
            }
            return true;
        }
        case Kind::symlink:
            if (!creatable(it.path)) return false;
            make_parents(it.path, index);
            add_private(it.path, Node::Type::symlink, 0777, "", index);
            m_.nodes[it.path].target = it.value;
            return true;
        case Kind::tmpfs:
        case Kind::proc:
        case Kind::dev:
        case Kind::mqueue: {
            if (!dir_target(it.path)) return false;
            if (it.kind == Kind::proc && !m_.pid) return false;
            if (it.kind == Kind::mqueue && !m_.ipc) return false;
            make_parents(it.path, index);
            const bool opaque = it.kind != Kind::tmpfs;
            const char* fs = it.kind == Kind::proc     ? "proc"
                             : it.kind == Kind::mqueue ? "mqueue"
                                                       : "tmpfs";
            replace_subtree(it.path);
            Node n;
            n.type = opaque ? Node::Type::opaque : Node::Type::dir;
            n.mode = it.perms.value_or(0755);
            n.creator = index;
            m_.nodes[it.path] = n;
            new_mount(it.path, fs, false, index);
            m_.mounts.back().opaque = opaque;
            return true;
        }
        case Kind::bind:
        case Kind::ro_bind:
        case Kind::bind_try:
        case Kind::ro_bind_try:
        case Kind::bind_fd:
        case Kind::ro_bind_fd: {
            std::vector<std::pair<std::string, Node>> tree = host_tree(h_, it.src);
            // A -try bind of a missing source does nothing, not even parents.
            if (tree.empty()) return it.kind == Kind::bind_try || it.kind == Kind::ro_bind_try;
            const bool dir = tree[0].second.type == Node::Type::dir;
            if (dir ? !dir_target(it.path) : !file_target(it.path)) return false;
            make_parents(it.path, index);
            replace_subtree(it.path);
            int mount = static_cast<int>(m_.mounts.size());
            for (auto& [sub, n] : tree) {
                n.creator = index;
                n.mount = mount;
                m_.nodes[it.path + sub] = n;
            }
            new_mount(it.path, h_.host_fs,
                      it.kind == Kind::ro_bind || it.kind == Kind::ro_bind_try ||
                          it.kind == Kind::ro_bind_fd,
                      index);
            return true;
        }
        case Kind::tmp_overlay:
        case Kind::ro_overlay: {
            if (!dir_target(it.path)) return false;
            make_parents(it.path, index);
            replace_subtree(it.path);
            int mount = static_cast<int>(m_.mounts.size());
            // Later layers are searched first.
            for (const auto& src : it.srcs) {
                for (auto& [sub, n] : host_tree(h_, src)) {
                    n.creator = index;
                    n.mount = mount;
                    n.priv = it.kind == Kind::tmp_overlay;
                    m_.nodes[it.path + sub] = n;
                }
            }
            Node& root = m_.nodes[it.path];
            root.mode_known = false;
            new_mount(it.path, "overlay", it.kind == Kind::ro_overlay, index);
            m_.mounts.back().flag_ro = false;
            return true;
        }
        case Kind::chmod: {
            auto n = find(it.path);
            if (!n || !n->priv || n->type == Node::Type::symlink || n->type == Node::Type::opaque ||
                m_.mounts[static_cast<size_t>(n->mount)].ro)
                return false;
            n->mode = it.mode;
            n->mode_known = true;
            return true;
        }
        case Kind::remount_ro: {
            auto n = find(it.path);
            if (!n || n->type == Node::Type::symlink) return false;
            Mount& mt = m_.mounts[static_cast<size_t>(n->mount)];
            if (mt.target != it.path) return false;
            // Only the mount at the path: mounts below keep their flags.
            mt.ro = mt.flag_ro = true;
            return true;
        }
        }
        return false;
    }

  private:
    Node* find(const std::string& p) {
        auto i = m_.nodes.find(p);
        if (i == m_.nodes.end()) return nullptr;
        // Nothing below an opaque mount or a symlink is modelled.
        for (std::string a = p; a != "/";) {
            a = parent_of(a);
            auto pa = m_.nodes.find(a);
            if (pa == m_.nodes.end() || pa->second.type != Node::Type::dir) return nullptr;
        }
        return &i->second;
    }

    // A new name: its deepest existing ancestor must be a private, writable
    // directory (burrow creates the missing ones).
    bool creatable(const std::string& p) {
        if (find(p) || m_.nodes.count(p)) return false;
        std::string a = p;
        for (;;) {
            a = parent_of(a);
            if (m_.nodes.count(a)) break;
        }
        Node* n = find(a);
        return n && n->type == Node::Type::dir && n->priv &&
               !m_.mounts[static_cast<size_t>(n->mount)].ro;
    }
    bool dir_target(const std::string& p) {
        if (p == "/" || p == "/probe") return false;
        Node* n = find(p);
        if (n) return n->type == Node::Type::dir;
        return creatable(p);
    }
    bool file_target(const std::string& p) {
        if (p == "/probe") return false;
        Node* n = find(p);
        if (n) return n->type == Node::Type::file && !n->unlinked;
        return creatable(p);
    }
    // bwrap's mkdir_with_parents() mode: 0755 without the group or other
    // bits the item's own permissions lack (binds, symlinks and the special
    // file systems count as 0: their parents are 0700).
    static unsigned parent_mode(const Item& it) {
        unsigned perms = 0;
        switch (it.kind) {
        case Kind::dir:
        case Kind::tmpfs:
            perms = 0755;
            break;
        case Kind::file:
            perms = 0666;
            break;
        case Kind::bind_data:
        case Kind::ro_bind_data:
            perms = 0600;
            break;
        default:
            break;
        }
        if (it.perms) perms = *it.perms;
        unsigned mode = 0755;
        if (!(perms & 0070)) mode &= ~0050U;
        if (!(perms & 0007)) mode &= ~0005U;
        return mode;
    }

    void make_parents(const std::string& p, int index) {
        std::vector<std::string> missing;
        for (std::string a = parent_of(p); !m_.nodes.count(a); a = parent_of(a))
            missing.push_back(a);
        std::reverse(missing.begin(), missing.end());
        for (const auto& a : missing) add_private(a, Node::Type::dir, parent_mode_, "", index);
    }
    void add_private(const std::string& p, Node::Type t, unsigned mode, const std::string& data,
                     int index) {
        Node n;
        n.type = t;
        n.mode = mode;
        n.data = data;
        n.creator = index;
        n.mount = m_.nodes[parent_of(p)].mount;
        // Created in a writable overlay: private too (the upper is a tmpfs).
        m_.nodes[p] = n;
    }
    void replace_subtree(const std::string& p) {
        for (auto i = m_.nodes.begin(); i != m_.nodes.end();)
            i = is_under(i->first, p) ? m_.nodes.erase(i) : std::next(i);
    }
    void new_mount(const std::string& p, const std::string& fs, bool ro, int index) {
        Mount mt;
        mt.target = p;
        mt.fs = fs;
        mt.ro = mt.flag_ro = ro;
        m_.mounts.push_back(mt);
        m_.nodes[p].mount = static_cast<int>(m_.mounts.size() - 1);
        m_.nodes[p].creator = index;
    }

    const Host& h_;
    Model& m_;
    unsigned parent_mode_ = 0755;

  public:
    bool explicit_user_ = false;
};

// The generator: picks items that are valid for the model built so far.
class Gen {
  public:
    Gen(const Host& h, uint64_t seed, unsigned number)
        : h_(h), rng_(seed * 1000003ULL + number), replay_(h, m_) {}

    unsigned pick(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng_); }
    bool chance(unsigned percent) { return pick(100) < percent; }
    template <class T> const T& one(const std::vector<T>& v) { return v[pick(unsigned(v.size()))]; }

    Case run(uint64_t seed, unsigned number) {
        c_.seed = seed;
        c_.number = number;
        namespaces();
        process_options();
        ids_env_seccomp();
        // A procfs at /proc lets the probe check namespaces, capabilities,
        // seccomp and the mount table from inside.
        if (m_.pid && chance(50)) {
            Item it{Kind::proc, {"--proc", "/proc"}};
            it.path = "/proc";
            push(it);
        }
        const unsigned ops = 1 + pick(chance(30) ? 40 : 12);
        for (unsigned i = 0, tries = 0; i < ops && tries < ops * 20; ++tries)
            if (fs_op()) ++i;
        if (chance(20)) {
            std::vector<std::string> dirs =
                paths([](const Node& n) { return n.type == Node::Type::dir; });
            Item it{Kind::chdir, {}};
            it.path = one(dirs);
            it.args = {"--chdir", it.path};
            push(it);
        }
        if (chance(15))
            c_.exit_signal = one(std::vector<int>{1, 2, 9, 10, 12, 15});
        else
            c_.exit_code = static_cast<int>(pick(3) == 0 ? 0 : pick(126));
        c_.orphan = m_.pid && m_.die_with_parent && chance(60);
        return c_;
    }

  private:
    bool push(Item it) {
        replay_.explicit_user_ = explicit_user_;
        if (!replay_.apply(it, static_cast<int>(c_.items.size()))) return false;
        c_.items.push_back(std::move(it));
        return true;
    }

    void ns(const std::string& name, const std::string& flag) {
        Item it{Kind::ns, {flag}};
        it.name = name;
        push(it);
    }

    void namespaces() {
        if (chance(25)) {
            ns("all", "--unshare-all");
            if (chance(30)) {
                ns("user", "--unshare-user");
                explicit_user_ = true;
            }
            return;
        }
        if (chance(50)) {
            ns("user", "--unshare-user");
            explicit_user_ = true;
        }
        if (chance(50)) ns("pid", "--unshare-pid");
        if (chance(30)) ns("net", "--unshare-net");
        if (chance(30)) ns("ipc", "--unshare-ipc");
        if (chance(30)) ns("uts", "--unshare-uts");
        if (chance(20)) ns("cgroup", "--unshare-cgroup");
    }

    void process_options() {
        if (m_.uts && chance(50)) {
            Item it{Kind::process, {}};
            it.name = "hostname";
            it.value = one(std::vector<std::string>{"sandbox", "a", "x-y.z", std::string(64, 'h')});
            it.args = {"--hostname", it.value};
            push(it);
        }
        for (const char* opt : {"die-with-parent", "as-pid-1", "new-session"}) {
            if (!chance(std::string(opt) == "as-pid-1" ? 15 : 40)) continue;
            Item it{Kind::process, {std::string("--") + opt}};
            it.name = opt;
            push(it);
        }
    }

    void ids_env_seccomp() {
        if (explicit_user_) {
            const std::vector<unsigned> ids = {0, 1000, 12345, h_.uid, 65533};
            if (chance(50)) {
                Item it{Kind::uid, {}};
                it.mode = one(ids);
                it.args = {"--uid", std::to_string(it.mode)};
                push(it);
            }
            if (chance(50)) {
                Item it{Kind::gid, {}};
                it.mode = one(ids);
                it.args = {"--gid", std::to_string(it.mode)};
                push(it);
            }
        }
        const std::vector<std::string> names = {"NSFUZZ_A", "NSFUZZ_B", "NSFUZZ_NEW", "HOME",
                                                "PATH",     "PWD",      "LANG"};
        const std::vector<std::string> values = {"",
                                                 "x",
                                                 "a b",
                                                 "=eq=",
                                                 "/w",
                                                 "long-" + std::string(200, 'v'),
                                                 "\xc3\xa9t\xc3\xa9",
                                                 "tab\tin"};
        const unsigned env_ops = chance(50) ? pick(6) : 0;
        for (unsigned i = 0; i < env_ops; ++i) {
            const unsigned k = pick(10);
            if (k < 6) {
                Item it{Kind::setenv, {}};
                it.name = one(names);
                it.value = one(values);
                it.args = {"--setenv", it.name, it.value};
                push(it);
            } else if (k < 9) {
                Item it{Kind::unsetenv, {}};
                it.name = one(names);
                it.args = {"--unsetenv", it.name};
                push(it);
            } else {
                push(Item{Kind::clearenv, {"--clearenv"}});
            }
        }
        if (chance(25)) {
            const std::vector<std::pair<int, std::string>> errs = {
                {1, "EPERM"}, {13, "EACCES"}, {38, "ENOSYS"}, {22, "EINVAL"}};
            const unsigned k = pick(4);
            // --seccomp FD stands alone; --add-seccomp-fd stacks.
            const bool stack = chance(30);
            if (k == 0) {
                Item it{Kind::seccomp_builtin, {}};
                it.name = one(std::vector<std::string>{"default", "ci", "strict", "none"});
                it.args = {"--seccomp-profile", it.name};
                if (it.name == "none") {
                    // Installs nothing: no effect on the model.
                    c_.items.push_back(it);
                    return;
                }
                push(it);
            } else if (k == 1) {
                auto [err, name] = one(errs);
                Item it{Kind::seccomp_fd, {}};
                it.fds.push_back({next_fd(), btest::bpf_denying({"personality"}, err)});
                it.args = {!stack && chance(50) ? "--seccomp" : "--add-seccomp-fd",
                           std::to_string(it.fds[0].fd)};
                it.value = name;
                push(it);
            } else {
                auto [err, name] = one(errs);
                Item it{Kind::seccomp_profile_file, {}};
                it.name = "seccomp-" + std::to_string(c_.number) + "-" +
                          std::to_string(c_.items.size()) + ".toml";
                it.profile = "default_action = \"allow\"\n[[rule]]\nsyscalls = [\"personality\"]\n"
                             "action = \"errno:" +
                             name + "\"\n";
                it.args = {"--seccomp-profile", std::string(kScratch) + "cases/" + it.name};
                it.value = name;
                push(it);
            }
            // Another one stacked after it sometimes: the last one's errno wins.
            if (stack) {
                auto [err, name] = one(errs);
                Item it{Kind::seccomp_fd, {}};
                it.fds.push_back({next_fd(), btest::bpf_denying({"personality"}, err)});
                it.args = {"--add-seccomp-fd", std::to_string(it.fds[0].fd)};
                it.value = name;
                push(it);
            }
        }
    }

    int next_fd() { return next_fd_++; }

    std::vector<std::string> paths(const std::function<bool(const Node&)>& keep) {
        Model probe_model;
        std::vector<std::string> out;
        for (const auto& [p, n] : m_.nodes) {
            if (p == "/probe" || !keep(n)) continue;
            bool hidden = false;
            for (std::string a = p; a != "/" && !hidden;) {
                a = parent_of(a);
                auto i = m_.nodes.find(a);
                hidden = i == m_.nodes.end() || i->second.type != Node::Type::dir;
            }
            if (!hidden) out.push_back(p);
        }
        return out;
    }

    // A fresh path: below a private writable directory, sometimes with a
    // missing parent or two, or below /w.
    std::string new_path() {
        std::vector<std::string> dirs = paths([&](const Node& n) {
            return n.type == Node::Type::dir && n.priv &&
                   !m_.mounts[static_cast<size_t>(n.mount)].ro;
        });
        std::string base = chance(30) || dirs.empty() ? "/w" : one(dirs);
        if (base == "/") base = "/w";
        std::string p = base + "/n" + std::to_string(names_++);
        if (chance(15)) p += "/n" + std::to_string(names_++);
        return alias(p);
    }
    std::string existing(Node::Type t) {
        std::vector<std::string> v = paths([&](const Node& n) { return n.type == t; });
        v.erase(std::remove(v.begin(), v.end(), "/"), v.end());
        return v.empty() ? new_path() : one(v);
    }
    std::string dir_dest() { return alias(chance(35) ? existing(Node::Type::dir) : new_path()); }
    std::string file_dest() { return alias(chance(35) ? existing(Node::Type::file) : new_path()); }

    // "to" as seen from directory "from" ("../../a/b"); both absolute.
    static std::string relative(const std::string& from, const std::string& to) {
        auto split = [](const std::string& p) {
            std::vector<std::string> v;
            std::stringstream ss(p);
            std::string x;
            while (std::getline(ss, x, '/'))
                if (!x.empty()) v.push_back(x);
            return v;
        };
        auto f = split(from), t = split(to);
        size_t i = 0;
        while (i < f.size() && i < t.size() && f[i] == t[i]) ++i;
        std::string r;
        for (size_t k = i; k < f.size(); ++k) r += r.empty() ? ".." : "/..";
        for (size_t k = i; k < t.size(); ++k) r += (r.empty() ? "" : "/") + t[k];
        return r.empty() ? "." : r;
    }

    // Sometimes the same path spelt through a symbolic link to one of its
    // ancestors.
    std::string alias(const std::string& p) {
        if (!chance(35)) return p;
        std::vector<std::pair<std::string, std::string>> links; // link, directory it names
        for (const auto& l : paths([](const Node& n) { return n.type == Node::Type::symlink; })) {
            std::string real;
            if (!replay_.resolve_parent(l + "/x", real)) continue;
            const std::string dir = parent_of(real);
            auto n = m_.nodes.find(dir);
            if (n == m_.nodes.end() || n->second.type != Node::Type::dir) continue;
            if (dir == "/" ? p != "/" : p.compare(0, dir.size() + 1, dir + "/") == 0)
                links.emplace_back(l, dir);
        }
        if (links.empty()) return p;
        const auto& [l, dir] = one(links);
        return l + (dir == "/" ? p : p.substr(dir.size()));
    }

    void maybe_perms(Item& it) {
        if (!chance(25)) return;
        it.perms = one(std::vector<unsigned>{0700, 0755, 0555, 0711, 0750, 0777, 01777, 0500});
        it.args.insert(it.args.begin(), {"--perms", octal(*it.perms)});
    }

    std::string file_data() {
        const unsigned k = pick(4);
        if (k == 0) return "";
        if (k == 1) return "data " + std::to_string(pick(1000)) + "\n";
        std::string s(pick(k == 2 ? 300 : 70000) + 1, 'a');
        for (auto& ch : s) ch = static_cast<char>(pick(256));
        return s;
    }

    bool fs_op() {
        const unsigned k = pick(100);
        Item it{Kind::dir, {}};
        if (k < 14) {
            it.kind = Kind::dir;
            it.path = new_path();
            it.args = {"--dir", it.path};
            maybe_perms(it);
        } else if (k < 26) {
            it.kind = Kind::tmpfs;
            it.path = dir_dest();
            it.args = {"--tmpfs", it.path};
            if (chance(20)) it.args.insert(it.args.begin(), {"--size", "1048576"});
            maybe_perms(it);
        } else if (k < 34) {
            it.kind = one(std::vector<Kind>{Kind::file, Kind::bind_data, Kind::ro_bind_data});
            it.path = it.kind == Kind::file ? new_path() : file_dest();
            if (it.kind == Kind::file && !m_.nodes.count(it.path)) {
                // --file only creates.
            }
            it.fds.push_back({next_fd(), file_data()});
            const char* opt = it.kind == Kind::file        ? "--file"
                              : it.kind == Kind::bind_data ? "--bind-data"
                                                           : "--ro-bind-data";
            it.args = {opt, std::to_string(it.fds[0].fd), it.path};
            maybe_perms(it);
        } else if (k < 40) {
            it.kind = Kind::symlink;
            it.path = new_path();
            it.value = one(std::vector<std::string>{"/nonexistent", "../x", "n0", "/probe", ".",
                                                    "a/b/c", "/w"});
            // Mostly a link to a directory, which later items may go through.
            std::vector<std::string> dirs =
                paths([](const Node& n) { return n.type == Node::Type::dir; });
            if (chance(60) && !dirs.empty()) {
                const std::string d = one(dirs);
                it.value = chance(50) ? d : relative(parent_of(it.path), d);
            }
            it.args = {"--symlink", it.value, it.path};
        } else if (k < 58) {
            it.kind = chance(60) ? Kind::ro_bind : Kind::bind;
            const bool dir = chance(60);
            if (it.kind == Kind::ro_bind)
                it.src = dir ? one(kRoDirs) : one(kRoFiles);
            else
                it.src = dir ? one(kRwDirs) : one(kRwFiles);
            it.path = dir ? dir_dest() : file_dest();
            it.args = {it.kind == Kind::bind ? "--bind" : "--ro-bind", kScratch + it.src, it.path};
            const unsigned variant = pick(6);
            const bool ro = it.kind == Kind::ro_bind;
            if (variant == 0) {
                // -try, with a source that exists or not.
                it.kind = ro ? Kind::ro_bind_try : Kind::bind_try;
                if (chance(50)) it.src = "src/missing";
                it.args = {ro ? "--ro-bind-try" : "--bind-try", kScratch + it.src, it.path};
            } else if (variant == 1 && dir) {
                // The source as an fd the caller opened.
                it.kind = ro ? Kind::ro_bind_fd : Kind::bind_fd;
                it.fds.push_back({next_fd(), "", it.src});
                it.args = {ro ? "--ro-bind-fd" : "--bind-fd", std::to_string(it.fds[0].fd),
                           it.path};
            }
        } else if (k < 68) {
            it.kind = Kind::chmod;
            std::vector<std::string> v = paths([&](const Node& n) {
                return n.priv && (n.type == Node::Type::dir || n.type == Node::Type::file) &&
                       !m_.mounts[static_cast<size_t>(n.mount)].ro;
            });
            v.erase(std::remove(v.begin(), v.end(), "/"), v.end());
            if (v.empty()) return false;
            it.path = alias(one(v));
            it.mode =
                one(std::vector<unsigned>{0700, 0755, 0555, 0000, 0644, 0600, 0711, 0444, 01777});
            it.args = {"--chmod", octal(it.mode), it.path};
        } else if (k < 76) {
            it.kind = Kind::remount_ro;
            std::vector<std::string> v;
            for (const auto& mt : m_.mounts)
                if (mt.target != "/" && m_.nodes.count(mt.target) &&
                    m_.mounts[static_cast<size_t>(m_.nodes[mt.target].mount)].target == mt.target)
                    v.push_back(mt.target);
            if (v.empty()) return false;
            it.path = alias(one(v));
            it.args = {"--remount-ro", it.path};
        } else if (k < 81) {
            it.kind = Kind::proc;
            if (!m_.pid) return false;
            it.path = new_path();
            it.args = {"--proc", it.path};
        } else if (k < 86) {
            it.kind = Kind::dev;
            it.path = new_path();
            it.args = {"--dev", it.path};
        } else if (k < 88) {
            it.kind = Kind::mqueue;
            if (!m_.ipc) return false;
            it.path = new_path();
            it.args = {"--mqueue", it.path};
        } else if (k < 96) {
            it.kind = chance(50) ? Kind::tmp_overlay : Kind::ro_overlay;
            it.srcs = {"src/d0"};
            if (it.kind == Kind::ro_overlay || chance(50)) it.srcs.push_back("src/d1");
            if (chance(50)) std::reverse(it.srcs.begin(), it.srcs.end());
            it.path = dir_dest();
            for (const auto& s : it.srcs) {
                it.args.push_back("--overlay-src");
                it.args.push_back(kScratch + s);
            }
            it.args.push_back(it.kind == Kind::tmp_overlay ? "--tmp-overlay" : "--ro-overlay");
            it.args.push_back(it.path);
        } else {
            if (pick(8) != 0) return false;
            // Rarely: the whole root read-only (nothing can be created after).
            it.kind = Kind::remount_ro;
            it.path = "/";
            it.args = {"--remount-ro", "/"};
        }
        return push(it);
    }

    const Host& h_;
    std::mt19937_64 rng_;
    Model m_;
    Replay replay_;
    Case c_;
    bool explicit_user_ = false;
    int next_fd_ = 10;
    unsigned names_ = 0;
};

} // namespace

bool build_model(const Host& host, const Case& c, Model& m, size_t* bad) {
    Replay r(host, m);
    for (const auto& it : c.items)
        if (it.kind == Kind::ns && it.name == "user") r.explicit_user_ = true;
    for (size_t i = 0; i < c.items.size(); ++i) {
        const Item& it = c.items[i];
        if (it.kind == Kind::seccomp_builtin && it.name == "none") continue;
        if (!r.apply(it, static_cast<int>(i))) {
            if (bad) *bad = i;
            return false;
        }
    }
    // Without a pid namespace a process left behind lives on, as it should.
    if (c.orphan && !(m.pid && m.die_with_parent)) {
        if (bad) *bad = c.items.size();
        return false;
    }
    return true;
}

Case generate(const Host& host, uint64_t seed, unsigned number) {
    Gen g(host, seed, number);
    return g.run(seed, number);
}

bool has_proc(const Model& m) {
    auto i = m.nodes.find("/proc");
    return i != m.nodes.end() && i->second.type == Node::Type::opaque;
}

std::vector<std::string> expected_mounts(const Model& m) {
    // Every mount made below /w, hidden ones included (mountinfo lists
    // them), except what lies below a proc/dev/mqueue mount (their own
    // submounts are not modelled).
    std::vector<std::string> opaque;
    for (const auto& mt : m.mounts)
        if (mt.fs == "proc" || mt.fs == "mqueue" || mt.opaque) opaque.push_back(mt.target);
    std::vector<std::string> out;
    for (const auto& mt : m.mounts) {
        if (mt.target != "/w" && !is_under(mt.target, "/w")) continue;
        bool below = false;
        for (const auto& o : opaque)
            if (is_under(mt.target, o)) below = true;
        if (!below) out.push_back(mt.target + (mt.flag_ro ? " ro" : " rw"));
    }
    return out;
}

std::vector<std::string> probe_commands(const Host& h, const Case& c, const Model& m) {
    std::vector<std::string> cmds = {"ids", "env", "cwd", "hostname"};
    if (has_proc(m)) {
        for (const auto& [name, inode] : h.ns) cmds.push_back("ns=" + name + ":" + inode);
        cmds.insert(cmds.end(), {"caps", "nnp", "seccomp", "mounts=/w"});
    }
    if (m.seccomp_programs > 0) cmds.push_back("personality");
    for (const auto& [p, n] : m.nodes) {
        if (p == "/probe") continue;
        bool hidden = false;
        for (std::string a = p; a != "/" && !hidden;) {
            a = parent_of(a);
            auto i = m.nodes.find(a);
            hidden = i == m.nodes.end() || i->second.type != Node::Type::dir;
        }
        if (hidden) continue;
        if (n.type != Node::Type::opaque) cmds.push_back("stat=" + p);
        if (n.type == Node::Type::dir || n.type == Node::Type::opaque || n.type == Node::Type::file)
            cmds.push_back("mnt=" + p);
        if (n.type == Node::Type::dir) cmds.push_back("writable=" + p);
    }
    if (c.orphan) cmds.push_back("orphan=nsfuzz-orphan");
    if (c.exit_signal)
        cmds.push_back("signal=" + std::to_string(c.exit_signal));
    else
        cmds.push_back("exit=" + std::to_string(c.exit_code));
    return cmds;
}

namespace {

std::string subst(const Host& h, const std::string& a) {
    if (a.compare(0, 3, kScratch) == 0) return h.scratch + "/" + a.substr(3);
    return a;
}

std::string escape(const std::string& s) {
    // The probe's escaping of values.
    std::string out;
    for (unsigned char ch : s) {
        if (ch == '\\')
            out += "\\\\";
        else if (ch == '\n')
            out += "\\n";
        else if (ch < 0x20 || ch >= 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", ch);
            out += b;
        } else
            out += static_cast<char>(ch);
    }
    return out;
}

} // namespace

std::vector<std::string> command_line(const Host& host, const Case& c, const Model& m,
                                      const std::string& probe, int status_fd) {
    std::vector<std::string> argv;
    for (const auto& it : c.items)
        if (it.kind < Kind::dir)
            for (const auto& a : it.args) argv.push_back(subst(host, a));
    if (status_fd >= 0) {
        argv.push_back("--json-status-fd");
        argv.push_back(std::to_string(status_fd));
    }
    argv.insert(argv.end(), {"--ro-bind", probe, "/probe"});
    for (const auto& it : c.items)
        if (it.kind >= Kind::dir)
            for (const auto& a : it.args) argv.push_back(subst(host, a));
    argv.push_back("/probe");
    for (const auto& p : probe_commands(host, c, m)) argv.push_back(p);
    return argv;
}

std::vector<std::string> expected_namespaces(const Model& m) {
    std::vector<std::string> v;
    if (m.cgroup) v.push_back("cgroup");
    if (m.ipc) v.push_back("ipc");
    v.push_back("mnt");
    if (m.net) v.push_back("net");
    if (m.pid) v.push_back("pid");
    if (m.uts) v.push_back("uts");
    return v;
}

std::map<std::string, std::string> expected_view(const Host& h, const Case& c, const Model& m,
                                                 bool /*unused*/) {
    std::map<std::string, std::string> v;
    const unsigned uid = m.uid.value_or(h.uid);
    const unsigned gid = m.gid.value_or(h.gid);
    // bwrap keeps every capability only for root staying root.
    const bool caps = h.root && uid == 0;
    v["uid"] = std::to_string(uid) + " " + std::to_string(uid) + " " + std::to_string(uid);
    v["gid"] = std::to_string(gid) + " " + std::to_string(gid) + " " + std::to_string(gid);
    if (m.seccomp_programs > 0 && m.personality) v["personality"] = *m.personality;
    if (has_proc(m)) {
        v["NoNewPrivs"] = "1";
        v["Seccomp"] = m.seccomp_programs > 0 ? "2" : "0";
        v["CapEff"] = caps ? "*" : "0000000000000000";
        v["CapAmb"] = "0000000000000000";
        // A caller that is not root always gets a user namespace.
        const bool user = m.user || !h.root;
        const std::pair<const char*, bool> ns[] = {
            {"user", user}, {"pid", m.pid},       {"net", m.net}, {"ipc", m.ipc},
            {"uts", m.uts}, {"cgroup", m.cgroup}, {"mnt", true}};
        for (auto [name, fresh] : ns)
            if (h.ns.count(name)) v[std::string("ns ") + name] = fresh ? "new" : "host";
    }
    const std::string cwd = m.chdir.value_or("/");
    v["cwd"] = cwd;
    v["hostname"] = m.hostname.value_or(h.hostname);

    // Environment: the items in order, then PWD.
    std::map<std::string, std::string> env;
    for (const auto& e : h.env) {
        auto eq = e.find('=');
        env[e.substr(0, eq)] = e.substr(eq + 1);
    }
    for (const auto& it : c.items) {
        if (it.kind == Kind::setenv) env[it.name] = it.value;
        if (it.kind == Kind::unsetenv) env.erase(it.name);
        if (it.kind == Kind::clearenv) env.clear();
    }
    env["PWD"] = cwd;
    std::string envs;
    for (const auto& [k, val] : env) envs += escape(k + "=" + val) + "\n";
    v["env"] = envs;

    const std::string ids = " " + std::to_string(uid) + " " + std::to_string(gid);
    for (const auto& [p, n] : m.nodes) {
        if (p == "/probe") continue;
        // Reachable at all? Search permission on every ancestor.
        bool hidden = false, denied = false;
        for (std::string a = p; a != "/" && !hidden;) {
            a = parent_of(a);
            auto i = m.nodes.find(a);
            hidden = i == m.nodes.end() || i->second.type != Node::Type::dir;
            if (!hidden && !caps && !(i->second.mode & 0100)) denied = true;
        }
        if (hidden) continue;
        const Mount& mt = m.mounts[static_cast<size_t>(n.mount)];
        if (denied) {
            if (n.type != Node::Type::opaque) v["stat " + p] = "missing EACCES";
            if (n.type != Node::Type::symlink) v["mnt " + p] = "error EACCES";
            if (n.type == Node::Type::dir) v["writable " + p] = "missing EACCES";
            continue;
        }
        const std::string mode = n.mode_known ? octal(n.mode) : "*";
        switch (n.type) {
        case Node::Type::dir:
            v["stat " + p] = "dir " + mode + ids;
            // Looking up the new name needs search permission first; then
            // a read-only mount refuses before write permission is asked.
            if (!n.mode_known && !caps)
                v["writable " + p] = "*";
            else if (!caps && !(n.mode & 0100))
                v["writable " + p] = "no EACCES";
            else if (mt.ro)
                v["writable " + p] = "no EROFS";
            else if (caps || (n.mode & 0200))
                v["writable " + p] = "yes";
            else
                v["writable " + p] = "no EACCES";
            break;
        case Node::Type::file:
            if (caps || (n.mode & 0400))
                v["stat " + p] = "file " + mode + ids + " size=" + std::to_string(n.data.size()) +
                                 " hash=" + fnv_hash(n.data);
            else
                v["stat " + p] = "file " + mode + ids + " unreadable EACCES";
            break;
        case Node::Type::symlink:
            v["stat " + p] = "symlink 0777" + ids + " -> " + escape(n.target);
            break;
        case Node::Type::opaque:
            break;
        }
        if (n.type != Node::Type::symlink)
            v["mnt " + p] = std::string("root=") + (mt.target == p ? "yes" : "no") +
                            " fs=" + mt.fs + (mt.ro ? " ro" : " rw");
    }
    return v;
}

std::string reproducer(const Host& host, const Case& c, const Model& m,
                       const std::vector<std::string>& bwrap, const std::string& probe,
                       const std::string& fd_dir) {
    auto quote = [](const std::string& s) {
        bool plain = !s.empty();
        for (unsigned char ch : s)
            if (!(std::isalnum(ch) || std::strchr("/._-=:,+@", ch))) plain = false;
        if (plain) return s;
        std::string q = "'";
        for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
        return q + "'";
    };
    std::string line = "cd / && env -i";
    for (const auto& e : host.env) line += " " + quote(e);
    for (const auto& w : bwrap) line += " " + quote(w);
    for (const auto& a : command_line(host, c, m, probe, -1)) line += " " + quote(a);
    for (const auto& it : c.items)
        for (const auto& f : it.fds)
            line += " " + std::to_string(f.fd) + "<" +
                    quote(f.host_path.empty() ? fd_dir + "/fd" + std::to_string(f.fd)
                                              : host.scratch + "/" + f.host_path);
    return line;
}

} // namespace nsfuzz
