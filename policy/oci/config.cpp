// config.json (runtime-spec 1.0-1.2) into the Sandbox. One translation unit:
// nlohmann/json is most of its compile time (CI budget).
//
// Strict like a front end should be: an unknown member, a wrong type or a
// value burrow cannot honour is a ConfigError naming its JSON pointer;
// what is accepted but not enforced is one line in Bundle::notes.
#include "policy/oci/bundle.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <seccomp.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <set>

#include <nlohmann/json.hpp>

#include "policy/bwrap/caps_names.hpp"
#include "policy/seccomp/precompiled.hpp"
#include "runtime/io.hpp"
#include "policy/nix/closure.hpp"
#include "policy/oci/seccomp_cache.hpp"
#include "runtime/landlock.hpp"

namespace burrow::oci {

namespace {

using json = nlohmann::json;

std::string escape_key(std::string_view k) {
    std::string out;
    for (char c : k) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string at(const std::string& where, std::string_view key) {
    return where + "/" + escape_key(key);
}

std::string at(const std::string& where, size_t i) {
    return where + "/" + std::to_string(i);
}

const char* kind_of(const json& j) {
    switch (j.type()) {
    case json::value_t::object:
        return "an object";
    case json::value_t::array:
        return "an array";
    case json::value_t::string:
        return "a string";
    case json::value_t::boolean:
        return "a boolean";
    case json::value_t::null:
        return "null";
    case json::value_t::number_float:
        return "a fractional number";
    default:
        return "a number";
    }
}

struct Parser {
    std::string file;
    std::string bundle_dir;
    LoadOptions opt;
    Bundle* b = nullptr;
    std::string process_ptr = "/process"; // "" for exec --process FILE

    [[noreturn]] void fail(const std::string& where, const std::string& why) const {
        throw ConfigError(file, where, why);
    }

    [[noreturn]] void wrong_type(const json& j, const std::string& where, const char* want) const {
        fail(where, std::string("expected ") + want + ", got " + kind_of(j));
    }

    const json& object(const json& j, const std::string& where,
                       std::initializer_list<std::string_view> allowed) const {
        if (!j.is_object()) wrong_type(j, where, "an object");
        for (const auto& [k, v] : j.items()) {
            (void)v;
            if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
                fail(at(where, k), "unknown field");
        }
        return j;
    }

    const json& array(const json& j, const std::string& where) const {
        if (!j.is_array()) wrong_type(j, where, "an array");
        return j;
    }

    std::string str(const json& j, const std::string& where) const {
        if (!j.is_string()) wrong_type(j, where, "a string");
        return j.get<std::string>();
    }

    bool boolean(const json& j, const std::string& where) const {
        if (!j.is_boolean()) wrong_type(j, where, "a boolean");
        return j.get<bool>();
    }

    int64_t i64(const json& j, const std::string& where) const {
        if (j.is_number_unsigned()) {
            if (j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail(where, "out of range");
            return static_cast<int64_t>(j.get<uint64_t>());
        }
        if (!j.is_number_integer()) wrong_type(j, where, "an integer");
        return j.get<int64_t>();
    }

    uint64_t u64(const json& j, const std::string& where) const {
        if (j.is_number_integer() && !j.is_number_unsigned()) fail(where, "must not be negative");
        if (!j.is_number_unsigned()) wrong_type(j, where, "an integer");
        return j.get<uint64_t>();
    }

    uint32_t u32(const json& j, const std::string& where) const {
        uint64_t v = u64(j, where);
        if (v > UINT32_MAX) fail(where, "out of range");
        return static_cast<uint32_t>(v);
    }

    std::vector<std::string> strings(const json& j, const std::string& where) const {
        std::vector<std::string> out;
        size_t i = 0;
        for (const auto& e : array(j, where)) out.push_back(str(e, at(where, i++)));
        return out;
    }

    std::string absolute(const json& j, const std::string& where) const {
        std::string p = str(j, where);
        if (p.empty() || p[0] != '/') fail(where, "must be an absolute path: \"" + p + "\"");
        return p;
    }

    void note(std::string s) { b->notes.push_back(std::move(s)); }

    // Document sections.
    void top(const json& doc);
    void root(const json& j);
    void mounts(const json& j, bool& dev_tmpfs);
    void process(const json& j, Sandbox& sb, bool& terminal);
    void linux_section(const json& j, bool dev_tmpfs);
    void namespaces(const json& j);
    std::vector<IdMapEntry> id_map(const json& j, const std::string& where);
    void devices(const json& j, bool dev_tmpfs);
    void sysctl(const json& j);
    void resources(const json& j);
    void seccomp(const json& j);
    void hooks(const json& j);
    void landlock(const std::string& value, const std::string& where);
    void nix_closure(const std::string& value, const std::string& where);
};

const json* member(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

json parse_document(std::string_view text, const std::string& file) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        // nlohmann says "[json.exception.parse_error.101] parse error at line
        // L, column C: ..."; keep from "line".
        std::string what = e.what();
        const size_t p = what.find("at line ");
        throw ConfigError(
            file, "", "malformed JSON: " + (p == std::string::npos ? what : what.substr(p + 3)));
    } catch (const json::exception& e) {
        // The parser's other refusal: a number it cannot represent
        // ("[json.exception.out_of_range.406] number overflow parsing
        // '1E666'", found by fuzz_oci_config), which has no position.
        std::string what = e.what();
        const size_t p = what.find("] ");
        throw ConfigError(
            file, "", "malformed JSON: " + (p == std::string::npos ? what : what.substr(p + 2)));
    }
}

// --- mounts -----------------------------------------------------------------

bool is_dev(const std::string& p) {
    return p == "/dev" || p == "/dev/";
}

struct MountFlag {
    const char* name;
    bool clear;
    unsigned long flag;
};

constexpr MountFlag kMountFlags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

struct Propagation {
    const char* name;
    unsigned long flags;
};

constexpr Propagation kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// Filesystems a config may mount (anything else could name a host block
// device: refused rather than passed to the kernel).
constexpr const char* kFsTypes[] = {"tmpfs",  "proc",   "sysfs",  "mqueue",
                                    "devpts", "cgroup", "cgroup2"};

void Parser::mounts(const json& j, bool& dev_tmpfs) {
    const std::string where = "/mounts";
    size_t i = 0;
    for (const auto& m : array(j, where)) {
        const std::string w = at(where, i++);
        object(m, w, {"destination", "type", "source", "options", "uidMappings", "gidMappings"});
        const json* d = member(m, "destination");
        if (!d) fail(w, "missing field \"destination\"");
        if (member(m, "uidMappings") || member(m, "gidMappings"))
            fail(w, "idmapped mounts are not supported");
        FsOp op;
        op.dest = absolute(*d, at(w, "destination"));
        std::string type = member(m, "type") ? str(m["type"], at(w, "type")) : "";
        std::string source = member(m, "source") ? str(m["source"], at(w, "source")) : "";
        bool bind = type == "bind", recursive = false;
        unsigned long flags = 0;
        std::string data;
        if (const json* o = member(m, "options")) {
            size_t k = 0;
            for (const auto& e : array(*o, at(w, "options"))) {
                const std::string ow = at(at(w, "options"), k++);
                const std::string s = str(e, ow);
                if (s == "bind" || s == "rbind") {
                    bind = true;
                    recursive = s == "rbind";
                    continue;
                }
                if (s == "idmap" || s == "ridmap") fail(ow, "idmapped mounts are not supported");
                if (s == "tmpcopyup" || s == "copy-symlink" || s == "remount") {
                    note("mount " + op.dest + ": option \"" + s + "\" ignored");
                    continue;
                }
                auto f = std::find_if(std::begin(kMountFlags), std::end(kMountFlags),
                                      [&](const MountFlag& x) { return s == x.name; });
                if (f != std::end(kMountFlags)) {
                    flags = f->clear ? flags & ~f->flag : flags | f->flag;
                    continue;
                }
                auto p = std::find_if(std::begin(kPropagation), std::end(kPropagation),
                                      [&](const Propagation& x) { return s == x.name; });
                if (p != std::end(kPropagation)) {
                    op.propagation = p->flags;
                    continue;
                }
                if (bind) {
                    // "bind" may come after other options; anything left is
                    // a filesystem option, meaningless on a bind.
                    fail(ow, "unknown bind mount option \"" + s + "\"");
                }
                if (!data.empty()) data += ',';
                data += s;
            }
        }
        if (bind && !data.empty())
            fail(at(w, "options"), "filesystem options on a bind mount: " + data);
        op.mount_flags = flags;
        if (bind) {
            if (source.empty()) fail(at(w, "source"), "a bind mount needs a source");
            op.kind = FsOpKind::bind;
            op.source = source[0] == '/' ? source : bundle_dir + "/" + source;
            op.exact_flags = true;
            op.recursive = recursive;
        } else {
            if (type.empty()) fail(w, "missing field \"type\"");
            if (std::find_if(std::begin(kFsTypes), std::end(kFsTypes),
                             [&](const char* t) { return type == t; }) == std::end(kFsTypes))
                fail(at(w, "type"), "mount type \"" + type + "\" is not supported");
            op.kind = FsOpKind::mount;
            op.fstype = type;
            op.source = source.empty() ? type : source;
            op.data = data;
            if (type == "cgroup") {
                // burrow mounts the unified hierarchy (what runc does on a
                // cgroup v2 host); where the kernel refuses it, the host's
                // tree, read-only when asked.
                op.fstype = "cgroup2";
                op.source = "cgroup2";
                op.data.clear();
                op.fallback_source = "/sys/fs/cgroup";
                note("mount " + op.dest +
                     ": cgroup means the unified (cgroup2) hierarchy; the host's tree is bound "
                     "where the kernel refuses a new one");
            } else if (type == "cgroup2") {
                op.fallback_source = "/sys/fs/cgroup";
            } else if (type == "sysfs") {
                op.fallback_source = "/sys";
            }
            if (type == "tmpfs" && is_dev(op.dest)) dev_tmpfs = true;
        }
        b->sandbox.fs.push_back(std::move(op));
    }
}

void Parser::root(const json& j) {
    object(j, "/root", {"path", "readonly"});
    const json* p = member(j, "path");
    if (!p) fail("/root", "missing field \"path\"");
    std::string path = str(*p, "/root/path");
    if (path.empty()) fail("/root/path", "empty path");
    if (path[0] != '/') path = bundle_dir + "/" + path;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
        fail("/root/path", "root file system " + path + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) fail("/root/path", "root file system " + path + ": not a directory");
    b->root_path = path;
    FsOp op;
    op.kind = FsOpKind::bind;
    op.source = path;
    op.dest = "/";
    op.exact_flags = true; // rw, devices usable (runc: MS_BIND|MS_REC)
    op.recursive = true;
    b->sandbox.fs.push_back(std::move(op));
}

// --- process ----------------------------------------------------------------

struct RlimitName {
    const char* name;
    int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

void Parser::process(const json& j, Sandbox& sb, bool& terminal) {
    const std::string w = process_ptr;
    object(j, w,
           {"terminal", "consoleSize", "user", "args", "commandLine", "env", "cwd", "capabilities",
            "rlimits", "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel",
            "ioPriority", "scheduler", "execCPUAffinity"});
    if (member(j, "commandLine")) fail(at(w, "commandLine"), "not supported on Linux");
    if (const json* t = member(j, "terminal")) terminal = boolean(*t, at(w, "terminal"));
    if (const json* c = member(j, "consoleSize")) {
        object(*c, at(w, "consoleSize"), {"height", "width"});
        for (const char* k : {"height", "width"})
            if (const json* v = member(*c, k)) u32(*v, at(at(w, "consoleSize"), k));
    }
    const json* args = member(j, "args");
    if (!args) fail(w, "missing field \"args\"");
    sb.proc.argv = strings(*args, at(w, "args"));
    if (sb.proc.argv.empty()) fail(at(w, "args"), "must not be empty");
    sb.proc.argv0.reset();
    sb.proc.env.clear();
    sb.proc.exact_env = true;
    if (const json* e = member(j, "env")) {
        sb.proc.env = strings(*e, at(w, "env"));
        for (size_t i = 0; i < sb.proc.env.size(); ++i)
            if (sb.proc.env[i].find('=') == std::string::npos)
                fail(at(at(w, "env"), i), "not NAME=VALUE: \"" + sb.proc.env[i] + "\"");
    }
    const json* cwd = member(j, "cwd");
    if (!cwd) fail(w, "missing field \"cwd\"");
    sb.proc.chdir = absolute(*cwd, at(w, "cwd"));

    // user
    sb.ids.uid = sb.ids.gid = 0;
    sb.proc.umask = 022; // runc's default
    std::vector<uint32_t> groups;
    if (const json* u = member(j, "user")) {
        const std::string uw = at(w, "user");
        object(*u, uw, {"uid", "gid", "umask", "additionalGids", "username"});
        if (member(*u, "username")) fail(at(uw, "username"), "not supported on Linux");
        if (const json* v = member(*u, "uid")) sb.ids.uid = u32(*v, at(uw, "uid"));
        if (const json* v = member(*u, "gid")) sb.ids.gid = u32(*v, at(uw, "gid"));
        if (const json* v = member(*u, "umask")) {
            const uint32_t m = u32(*v, at(uw, "umask"));
            if (m > 0777) fail(at(uw, "umask"), "not a file mode mask");
            sb.proc.umask = m;
        }
        if (const json* g = member(*u, "additionalGids")) {
            size_t i = 0;
            for (const auto& e : array(*g, at(uw, "additionalGids")))
                groups.push_back(u32(e, at(at(uw, "additionalGids"), i++)));
        }
    }
    sb.proc.supplementary_gids = groups;

    // capabilities: exact sets, empty when absent (runc).
    Process::CapSets caps;
    if (const json* c = member(j, "capabilities")) {
        const std::string cw = at(w, "capabilities");
        object(*c, cw, {"bounding", "effective", "permitted", "inheritable", "ambient"});
        std::pair<const char*, uint64_t*> sets[] = {{"bounding", &caps.bounding},
                                                    {"effective", &caps.effective},
                                                    {"permitted", &caps.permitted},
                                                    {"inheritable", &caps.inheritable},
                                                    {"ambient", &caps.ambient}};
        for (auto& [name, bits] : sets) {
            const json* s = member(*c, name);
            if (!s) continue;
            size_t i = 0;
            for (const auto& e : array(*s, at(cw, name))) {
                const std::string cap = str(e, at(at(cw, name), i++));
                std::string lower = cap;
                for (char& ch : lower)
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                auto n = capability_from_name(lower);
                if (!n || *n > CAP_LAST_CAP) {
                    // runc and crun skip what this kernel does not know.
                    note("capability " + cap + " unknown to this kernel: skipped");
                    continue;
                }
                *bits |= uint64_t{1} << *n;
            }
        }
    }
    // The kernel raises an ambient capability only when it is permitted
    // and inheritable (capabilities(7)). runc's own `runc spec` lists
    // ambient capabilities without inheritable ones; runc warns and goes
    // on, so a config that runs under runc runs here, with a note.
    if (const uint64_t lost = caps.ambient & ~(caps.permitted & caps.inheritable)) {
        note("ambient capabilities not both permitted and inheritable are not raised (mask 0x" +
             [&] {
                 char b[20];
                 std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(lost));
                 return std::string(b);
             }() +
             ")");
        caps.ambient &= ~lost;
    }
    sb.proc.cap_sets = caps;
    sb.proc.capabilities = caps.effective;
    sb.proc.keep_capabilities = false;

    sb.limits.rlimits.clear();
    if (const json* r = member(j, "rlimits")) {
        size_t i = 0;
        for (const auto& e : array(*r, at(w, "rlimits"))) {
            const std::string rw = at(at(w, "rlimits"), i++);
            object(e, rw, {"type", "soft", "hard"});
            for (const char* k : {"type", "soft", "hard"})
                if (!member(e, k)) fail(rw, std::string("missing field \"") + k + "\"");
            const std::string type = str(e["type"], at(rw, "type"));
            auto it = std::find_if(std::begin(kRlimits), std::end(kRlimits),
                                   [&](const RlimitName& x) { return type == x.name; });
            if (it == std::end(kRlimits)) fail(at(rw, "type"), "unknown rlimit \"" + type + "\"");
            Rlimit l;
            l.resource = it->resource;
            l.soft = u64(e["soft"], at(rw, "soft"));
            l.hard = u64(e["hard"], at(rw, "hard"));
            if (l.soft > l.hard) fail(rw, "soft limit above hard limit");
            for (const auto& prev : sb.limits.rlimits)
                if (prev.resource == l.resource) fail(at(rw, "type"), "duplicate rlimit " + type);
            sb.limits.rlimits.push_back(l);
        }
    }
    if (const json* n = member(j, "noNewPrivileges"))
        if (!boolean(*n, at(w, "noNewPrivileges")))
            note("process.noNewPrivileges false: burrow always sets no_new_privs");
    if (const json* o = member(j, "oomScoreAdj")) {
        const int64_t v = i64(*o, at(w, "oomScoreAdj"));
        if (v < -1000 || v > 1000) fail(at(w, "oomScoreAdj"), "must be between -1000 and 1000");
        sb.proc.oom_score_adj = static_cast<int>(v);
    }
    if (const json* a = member(j, "apparmorProfile"))
        if (!str(*a, at(w, "apparmorProfile")).empty())
            note("process.apparmorProfile not applied: burrow does not load AppArmor profiles");
    if (const json* s = member(j, "selinuxLabel")) {
        std::string label = str(*s, at(w, "selinuxLabel"));
        if (!label.empty()) sb.proc.exec_label = label; // ignored without SELinux
    }
    if (member(j, "ioPriority")) note("process.ioPriority not applied");
    if (member(j, "scheduler")) note("process.scheduler not applied");
    if (member(j, "execCPUAffinity")) note("process.execCPUAffinity not applied");
}

// --- linux ------------------------------------------------------------------

std::vector<IdMapEntry> Parser::id_map(const json& j, const std::string& where) {
    std::vector<IdMapEntry> out;
    size_t i = 0;
    for (const auto& e : array(j, where)) {
        const std::string w = at(where, i++);
        object(e, w, {"containerID", "hostID", "size"});
        for (const char* k : {"containerID", "hostID", "size"})
            if (!member(e, k)) fail(w, std::string("missing field \"") + k + "\"");
        IdMapEntry m;
        m.inside = u32(e["containerID"], at(w, "containerID"));
        m.outside = u32(e["hostID"], at(w, "hostID"));
        m.count = u32(e["size"], at(w, "size"));
        if (m.count == 0) fail(at(w, "size"), "must be at least 1");
        if (uint64_t{m.inside} + m.count > (uint64_t{1} << 32) ||
            uint64_t{m.outside} + m.count > (uint64_t{1} << 32))
            fail(at(w, "size"), "range beyond 2^32");
        for (size_t k = 0; k < out.size(); ++k) {
            const auto& p = out[k];
            auto overlap = [](uint64_t a, uint64_t an, uint64_t b2, uint64_t bn) {
                return a < b2 + bn && b2 < a + an;
            };
            if (overlap(m.inside, m.count, p.inside, p.count))
                fail(w, "container ids overlap entry " + std::to_string(k));
            if (overlap(m.outside, m.count, p.outside, p.count))
                fail(w, "host ids overlap entry " + std::to_string(k));
        }
        out.push_back(m);
    }
    if (out.size() > 340) fail(where, "more than 340 entries (the kernel's limit)");
    return out;
}

void Parser::namespaces(const json& j) {
    Namespaces& ns = b->sandbox.ns;
    std::set<std::string> seen;
    size_t i = 0;
    for (const auto& e : array(j, "/linux/namespaces")) {
        const std::string w = at("/linux/namespaces", i++);
        object(e, w, {"type", "path"});
        if (!member(e, "type")) fail(w, "missing field \"type\"");
        const std::string type = str(e["type"], at(w, "type"));
        if (!seen.insert(type).second)
            fail(at(w, "type"), "duplicate namespace type \"" + type + "\"");
        std::string path;
        if (const json* p = member(e, "path")) path = str(*p, at(w, "path"));
        struct Kind {
            const char* name;
            int clone;
            bool* create;
            int* join;
        };
        const Kind kinds[] = {
            {"pid", CLONE_NEWPID, &ns.pid, &ns.join_pid_fd},
            {"network", CLONE_NEWNET, &ns.net, &ns.join_net_fd},
            {"ipc", CLONE_NEWIPC, &ns.ipc, &ns.join_ipc_fd},
            {"uts", CLONE_NEWUTS, &ns.uts, &ns.join_uts_fd},
            {"user", CLONE_NEWUSER, &ns.user, &ns.join_user_fd},
            {"cgroup", CLONE_NEWCGROUP, &ns.cgroup, &ns.join_cgroup_fd},
            {"mount", CLONE_NEWNS, nullptr, nullptr},
        };
        const Kind* k = nullptr;
        for (const auto& x : kinds)
            if (type == x.name) k = &x;
        if (type == "time") fail(at(w, "type"), "time namespaces are not supported");
        if (!k) fail(at(w, "type"), "unknown namespace type \"" + type + "\"");
        if (!k->create) {
            if (!path.empty()) fail(at(w, "path"), "joining a mount namespace is not supported");
            continue; // burrow always creates one
        }
        if (path.empty()) {
            *k->create = true;
            continue;
        }
        if (path[0] != '/') fail(at(w, "path"), "must be an absolute path: \"" + path + "\"");
        // O_PATH first, and only a file of nsfs opened for real: the path
        // is the config's, and an open for reading as root has effects of
        // its own (a FIFO blocks, /dev/watchdog arms the watchdog).
        Fd where_fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
        if (!where_fd) fail(at(w, "path"), "cannot open " + path + ": " + std::strerror(errno));
        struct statfs fs {};
        if (::fstatfs(where_fd.get(), &fs) != 0)
            fail(at(w, "path"), "cannot stat " + path + ": " + std::strerror(errno));
        if (fs.f_type != NSFS_MAGIC) fail(at(w, "path"), path + " is not a namespace");
        Fd fd(::open(("/proc/self/fd/" + std::to_string(where_fd.get())).c_str(),
                     O_RDONLY | O_CLOEXEC));
        if (!fd) fail(at(w, "path"), "cannot open " + path + ": " + std::strerror(errno));
        const int actual = ::ioctl(fd.get(), NS_GET_NSTYPE);
        if (actual >= 0 && actual != k->clone)
            fail(at(w, "path"), path + " is not a " + type + " namespace");
        if (actual < 0 && errno == ENOTTY) fail(at(w, "path"), path + " is not a namespace");
        *k->join = fd.get();
        b->owned_fds.push_back(std::move(fd));
    }
    if (!seen.count("mount")) note("a new mount namespace is always created");
    ns.net_loopback = true;
    // runc: the payload is pid 1 of a new pid namespace.
    b->sandbox.proc.as_pid_1 = ns.pid;
}

void Parser::devices(const json& j, bool dev_tmpfs) {
    std::vector<FsOp> ops;
    auto add = [&](const std::string& path, mode_t type, uint32_t major, uint32_t minor,
                   uint32_t mode, std::optional<uint32_t> uid, std::optional<uint32_t> gid) {
        for (auto& o : ops)
            if (o.dest == path) {
                o.perms = type | mode;
                o.rdev = makedev(major, minor);
                o.owner_uid = uid;
                o.owner_gid = gid;
                return;
            }
        FsOp op;
        op.kind = FsOpKind::device;
        op.dest = path;
        op.source = path; // the host's node, bound when mknod is refused
        op.perms = type | mode;
        op.rdev = makedev(major, minor);
        op.owner_uid = uid;
        op.owner_gid = gid;
        ops.push_back(std::move(op));
    };
    if (dev_tmpfs) {
        // The spec's default devices (config-linux.md "Default Devices").
        add("/dev/null", S_IFCHR, 1, 3, 0666, 0, 0);
        add("/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0);
        add("/dev/full", S_IFCHR, 1, 7, 0666, 0, 0);
        add("/dev/random", S_IFCHR, 1, 8, 0666, 0, 0);
        add("/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0);
        add("/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0);
    }
    if (j.is_null() == false) {
        size_t i = 0;
        for (const auto& e : array(j, "/linux/devices")) {
            const std::string w = at("/linux/devices", i++);
            object(e, w, {"type", "path", "major", "minor", "fileMode", "uid", "gid"});
            for (const char* k : {"type", "path"})
                if (!member(e, k)) fail(w, std::string("missing field \"") + k + "\"");
            const std::string path = absolute(e["path"], at(w, "path"));
            const std::string t = str(e["type"], at(w, "type"));
            mode_t type = 0;
            if (t == "c" || t == "u")
                type = S_IFCHR;
            else if (t == "b")
                type = S_IFBLK;
            else if (t == "p")
                type = S_IFIFO;
            else
                fail(at(w, "type"), "unknown device type \"" + t + "\"");
            uint32_t major = 0, minor = 0;
            if (type != S_IFIFO) {
                for (const char* k : {"major", "minor"})
                    if (!member(e, k)) fail(w, std::string("missing field \"") + k + "\"");
                major = u32(e["major"], at(w, "major"));
                minor = u32(e["minor"], at(w, "minor"));
            }
            uint32_t mode = 0666;
            if (const json* m = member(e, "fileMode")) {
                mode = u32(*m, at(w, "fileMode"));
                if (mode > 07777) fail(at(w, "fileMode"), "not a file mode");
            }
            std::optional<uint32_t> uid, gid;
            if (const json* v = member(e, "uid")) uid = u32(*v, at(w, "uid"));
            if (const json* v = member(e, "gid")) gid = u32(*v, at(w, "gid"));
            add(path, type, major, minor, mode, uid, gid);
        }
    }
    for (auto& o : ops) b->sandbox.fs.push_back(std::move(o));
    if (dev_tmpfs) {
        auto link = [&](const char* target, const char* dest) {
            FsOp op;
            op.kind = FsOpKind::symlink;
            op.source = target;
            op.dest = dest;
            b->sandbox.fs.push_back(std::move(op));
        };
        link("/proc/self/fd", "/dev/fd");
        link("/proc/self/fd/0", "/dev/stdin");
        link("/proc/self/fd/1", "/dev/stdout");
        link("/proc/self/fd/2", "/dev/stderr");
        bool ptmx_listed = false;
        for (const auto& o : b->sandbox.fs)
            if (o.kind == FsOpKind::device && o.dest == "/dev/ptmx") ptmx_listed = true;
        if (!ptmx_listed) link("pts/ptmx", "/dev/ptmx");
    }
}

bool starts_with(const std::string& s, std::string_view p) {
    return s.compare(0, p.size(), p) == 0;
}

void Parser::sysctl(const json& j) {
    Sandbox& sb = b->sandbox;
    if (!j.is_object()) wrong_type(j, "/linux/sysctl", "an object");
    const bool net = sb.ns.net || sb.ns.join_net_fd >= 0;
    const bool ipc = sb.ns.ipc || sb.ns.join_ipc_fd >= 0;
    for (const auto& [key, value] : j.items()) {
        const std::string w = at("/linux/sysctl", key);
        const std::string v = str(value, w);
        bool ok_chars = !key.empty() && key.front() != '.' && key.back() != '.' &&
                        key.find("..") == std::string::npos;
        for (char c : key)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
                ok_chars = false;
        if (!ok_chars) fail(w, "invalid sysctl name");
        // Only what belongs to a namespace of the container (runc's list).
        if (starts_with(key, "net.")) {
            if (!net) fail(w, "sysctl " + key + " needs a network namespace of the container");
        } else if (starts_with(key, "fs.mqueue.") || starts_with(key, "kernel.shm") ||
                   starts_with(key, "kernel.msg") || key == "kernel.sem") {
            if (!ipc) fail(w, "sysctl " + key + " needs an ipc namespace of the container");
        } else {
            fail(w, "sysctl " + key + " is not namespaced: refused");
        }
        sb.proc.sysctl.emplace_back(key, v);
    }
}

void Parser::resources(const json& j) {
    const std::string w = "/linux/resources";
    object(j, w,
           {"devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma",
            "unified"});
    Resources& r = b->resources;
    if (const json* d = member(j, "devices")) {
        size_t i = 0;
        for (const auto& e : array(*d, at(w, "devices"))) {
            const std::string dw = at(at(w, "devices"), i++);
            object(e, dw, {"allow", "type", "major", "minor", "access"});
            if (!member(e, "allow")) fail(dw, "missing field \"allow\"");
            boolean(e["allow"], at(dw, "allow"));
            if (const json* t = member(e, "type")) str(*t, at(dw, "type"));
            if (const json* a = member(e, "access")) str(*a, at(dw, "access"));
            for (const char* k : {"major", "minor"})
                if (const json* v = member(e, k)) i64(*v, at(dw, k));
        }
        if (i > 0)
            note("linux.resources.devices not enforced: burrow creates only the listed device "
                 "nodes");
    }
    if (const json* m = member(j, "memory")) {
        const std::string mw = at(w, "memory");
        object(*m, mw,
               {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
                "disableOOMKiller", "useHierarchy", "checkBeforeUpdate"});
        if (const json* v = member(*m, "limit")) r.memory_limit = i64(*v, at(mw, "limit"));
        if (const json* v = member(*m, "swap")) r.memory_swap = i64(*v, at(mw, "swap"));
        for (const char* k : {"reservation", "kernel", "kernelTCP", "swappiness"})
            if (const json* v = member(*m, k)) {
                i64(*v, at(mw, k));
                note(std::string("linux.resources.memory.") + k + " not applied");
            }
        for (const char* k : {"disableOOMKiller", "useHierarchy", "checkBeforeUpdate"})
            if (const json* v = member(*m, k)) boolean(*v, at(mw, k));
    }
    if (const json* c = member(j, "cpu")) {
        const std::string cw = at(w, "cpu");
        object(*c, cw,
               {"shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "cpus",
                "mems", "idle"});
        if (const json* v = member(*c, "shares")) r.cpu_shares = u64(*v, at(cw, "shares"));
        if (const json* v = member(*c, "quota")) {
            const int64_t q = i64(*v, at(cw, "quota"));
            if (q > 0) r.cpu_quota = static_cast<uint64_t>(q);
        }
        if (const json* v = member(*c, "period")) r.cpu_period = u64(*v, at(cw, "period"));
        for (const char* k : {"burst", "realtimeRuntime", "realtimePeriod", "idle"})
            if (const json* v = member(*c, k)) {
                i64(*v, at(cw, k));
                note(std::string("linux.resources.cpu.") + k + " not applied");
            }
        for (const char* k : {"cpus", "mems"})
            if (const json* v = member(*c, k))
                if (!str(*v, at(cw, k)).empty())
                    note(std::string("linux.resources.cpu.") + k + " not applied");
    }
    if (const json* p = member(j, "pids")) {
        object(*p, at(w, "pids"), {"limit"});
        if (const json* v = member(*p, "limit")) r.pids_limit = i64(*v, at(at(w, "pids"), "limit"));
    }
    for (const char* k : {"blockIO", "hugepageLimits", "network", "rdma", "unified"})
        if (member(j, k)) note(std::string("linux.resources.") + k + " not applied");
}

// --- seccomp ----------------------------------------------------------------

struct SeccompCtx {
    scmp_filter_ctx ctx = nullptr;
    ~SeccompCtx() {
        if (ctx) seccomp_release(ctx);
    }
};

void Parser::seccomp(const json& j) {
    const std::string w = "/linux/seccomp";
    object(j, w,
           {"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath",
            "listenerMetadata", "syscalls"});
    if (const json* l = member(j, "listenerPath"))
        if (!str(*l, at(w, "listenerPath")).empty())
            fail(at(w, "listenerPath"), "seccomp notify listeners are not supported yet");
    if (const json* l = member(j, "listenerMetadata")) str(*l, at(w, "listenerMetadata"));
    const auto check_flags = [&] {
        const json* f = member(j, "flags");
        if (!f) return;
        size_t i = 0;
        for (const auto& e : array(*f, at(w, "flags"))) {
            const std::string fw = at(at(w, "flags"), i++);
            const std::string flag = str(e, fw);
            if (flag == "SECCOMP_FILTER_FLAG_TSYNC") continue; // burrow's payload is one thread
            if (flag == "SECCOMP_FILTER_FLAG_LOG" || flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW" ||
                flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
                note("seccomp flag " + flag + " not applied");
                continue;
            }
            fail(fw, "unknown seccomp flag \"" + flag + "\"");
        }
    };
    // The same object compiled before (by this burrow, libseccomp and
    // kernel API level): its program, and nothing below can fail for it.
    std::string cache_key;
    if (!opt.seccomp_cache_dir.empty()) {
        cache_key = seccomp_cache::key_for(j.dump());
        if (auto prog = seccomp_cache::load(opt.seccomp_cache_dir, cache_key)) {
            check_flags(); // its notes
            b->sandbox.seccomp_programs.push_back(std::move(*prog));
            return;
        }
    }
    auto action = [&](const json& a, const json* errno_ret, const std::string& aw,
                      const std::string& ew) -> uint32_t {
        const std::string name = str(a, aw);
        std::optional<uint32_t> ret;
        if (errno_ret) ret = u32(*errno_ret, ew);
        if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
        if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret.value_or(EPERM) & 0xffff);
        if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret.value_or(EPERM) & 0xffff);
        if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
        if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
        if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
        if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
        if (name == "SCMP_ACT_NOTIFY") fail(aw, "SCMP_ACT_NOTIFY is not supported yet");
        fail(aw, "unknown seccomp action \"" + name + "\"");
    };
    const json* da = member(j, "defaultAction");
    if (!da) fail(w, "missing field \"defaultAction\"");
    const uint32_t def =
        action(*da, member(j, "defaultErrnoRet"), at(w, "defaultAction"), at(w, "defaultErrnoRet"));
    SeccompCtx c;
    c.ctx = seccomp_init(def);
    if (!c.ctx) fail(w, "libseccomp cannot create a filter");
    if (const json* a = member(j, "architectures")) {
        size_t i = 0;
        for (const auto& e : array(*a, at(w, "architectures"))) {
            const std::string aw = at(at(w, "architectures"), i++);
            std::string name = str(e, aw);
            if (!starts_with(name, "SCMP_ARCH_")) fail(aw, "unknown architecture \"" + name + "\"");
            std::string lower = name.substr(10);
            for (char& ch : lower)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            const uint32_t arch = seccomp_arch_resolve_name(lower.c_str());
            if (arch == 0) fail(aw, "unknown architecture \"" + name + "\"");
            const int rc = seccomp_arch_add(c.ctx, arch);
            if (rc < 0 && rc != -EEXIST)
                fail(aw, "libseccomp: cannot add " + name + ": " + std::strerror(-rc));
        }
    }
    check_flags();
    if (const json* s = member(j, "syscalls")) {
        size_t i = 0;
        for (const auto& e : array(*s, at(w, "syscalls"))) {
            const std::string sw = at(at(w, "syscalls"), i++);
            object(e, sw, {"names", "action", "errnoRet", "args", "comment"});
            if (!member(e, "names")) fail(sw, "missing field \"names\"");
            if (!member(e, "action")) fail(sw, "missing field \"action\"");
            const std::vector<std::string> names = strings(e["names"], at(sw, "names"));
            if (names.empty()) fail(at(sw, "names"), "must not be empty");
            const uint32_t act =
                action(e["action"], member(e, "errnoRet"), at(sw, "action"), at(sw, "errnoRet"));
            if (const json* cm = member(e, "comment")) str(*cm, at(sw, "comment"));
            std::vector<scmp_arg_cmp> conds;
            if (const json* a = member(e, "args")) {
                size_t k = 0;
                for (const auto& x : array(*a, at(sw, "args"))) {
                    const std::string xw = at(at(sw, "args"), k++);
                    object(x, xw, {"index", "value", "valueTwo", "op"});
                    for (const char* key : {"index", "value", "op"})
                        if (!member(x, key)) fail(xw, std::string("missing field \"") + key + "\"");
                    const uint32_t index = u32(x["index"], at(xw, "index"));
                    if (index > 5) fail(at(xw, "index"), "a system call has 6 arguments");
                    const std::string op = str(x["op"], at(xw, "op"));
                    static const std::pair<const char*, scmp_compare> ops[] = {
                        {"SCMP_CMP_NE", SCMP_CMP_NE},
                        {"SCMP_CMP_LT", SCMP_CMP_LT},
                        {"SCMP_CMP_LE", SCMP_CMP_LE},
                        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                        {"SCMP_CMP_GE", SCMP_CMP_GE},
                        {"SCMP_CMP_GT", SCMP_CMP_GT},
                        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
                    auto it = std::find_if(std::begin(ops), std::end(ops),
                                           [&](const auto& p) { return op == p.first; });
                    if (it == std::end(ops)) fail(at(xw, "op"), "unknown operator \"" + op + "\"");
                    scmp_arg_cmp cmp{};
                    cmp.arg = index;
                    cmp.op = it->second;
                    cmp.datum_a = u64(x["value"], at(xw, "value"));
                    if (const json* v2 = member(x, "valueTwo"))
                        cmp.datum_b = u64(*v2, at(xw, "valueTwo"));
                    conds.push_back(cmp);
                }
            }
            if (act == def) continue; // libseccomp refuses it; it changes nothing
            // Conditions on one argument twice cannot be one libseccomp rule:
            // runc makes one rule per condition then (either matches).
            bool repeated = false;
            for (size_t a = 0; a < conds.size(); ++a)
                for (size_t bb = a + 1; bb < conds.size(); ++bb)
                    if (conds[a].arg == conds[bb].arg) repeated = true;
            for (const auto& name : names) {
                const int nr = seccomp_syscall_resolve_name(name.c_str());
                if (nr == __NR_SCMP_ERROR) continue; // unknown here: skipped like runc
                auto add = [&](unsigned n, const scmp_arg_cmp* cs) {
                    const int rc = seccomp_rule_add_array(c.ctx, act, nr, n, cs);
                    if (rc < 0)
                        fail(sw, "libseccomp: cannot add a rule for " + name + ": " +
                                     std::strerror(-rc));
                };
                if (!repeated)
                    add(static_cast<unsigned>(conds.size()), conds.data());
                else
                    for (const auto& cnd : conds) add(1, &cnd);
            }
        }
    }
    Fd mem(::memfd_create("burrow-oci-seccomp", MFD_CLOEXEC));
    if (!mem) fail(w, std::string("memfd_create: ") + std::strerror(errno));
    if (const int rc = seccomp_export_bpf(c.ctx, mem.get()); rc < 0)
        fail(w, std::string("libseccomp: export: ") + std::strerror(-rc));
    const off_t size = ::lseek(mem.get(), 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
        fail(w, "libseccomp: exported program has a bad size");
    std::vector<sock_filter> prog(static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(mem.get(), prog.data(), static_cast<size_t>(size), 0) != size)
        fail(w, "reading the compiled seccomp program failed");
    if (prog.size() > BPF_MAXINSNS)
        fail(w, "the compiled program has " + std::to_string(prog.size()) +
                    " instructions, more than the kernel's " + std::to_string(BPF_MAXINSNS));
    if (!cache_key.empty()) seccomp_cache::store(opt.seccomp_cache_dir, cache_key, prog);
    b->sandbox.seccomp_programs.push_back(std::move(prog));
}

// --- hooks ------------------------------------------------------------------

void Parser::hooks(const json& j) {
    const std::string w = "/hooks";
    object(j, w,
           {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
            "poststop"});
    std::pair<const char*, std::vector<Hook>*> lists[] = {
        {"prestart", &b->hooks.prestart},
        {"createRuntime", &b->hooks.create_runtime},
        {"createContainer", &b->hooks.create_container},
        {"startContainer", &b->hooks.start_container},
        {"poststart", &b->hooks.poststart},
        {"poststop", &b->hooks.poststop},
    };
    for (auto& [name, list] : lists) {
        const json* l = member(j, name);
        if (!l) continue;
        size_t i = 0;
        for (const auto& e : array(*l, at(w, name))) {
            const std::string hw = at(at(w, name), i++);
            object(e, hw, {"path", "args", "env", "timeout"});
            if (!member(e, "path")) fail(hw, "missing field \"path\"");
            Hook h;
            h.path = absolute(e["path"], at(hw, "path"));
            if (const json* a = member(e, "args")) h.args = strings(*a, at(hw, "args"));
            if (const json* v = member(e, "env")) h.env = strings(*v, at(hw, "env"));
            if (const json* t = member(e, "timeout")) {
                const int64_t s = i64(*t, at(hw, "timeout"));
                if (s <= 0 || s > INT32_MAX) fail(at(hw, "timeout"), "must be greater than zero");
                h.timeout_s = static_cast<int>(s);
            }
            list->push_back(std::move(h));
        }
    }
}

// --- linux and the document -------------------------------------------------

void Parser::linux_section(const json& j, bool dev_tmpfs) {
    const std::string w = "/linux";
    object(j, w,
           {"namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices", "cgroupsPath",
            "rootfsPropagation", "resources", "intelRdt", "sysctl", "seccomp", "maskedPaths",
            "readonlyPaths", "mountLabel", "personality"});
    Sandbox& sb = b->sandbox;
    if (const json* n = member(j, "namespaces")) namespaces(*n);
    const bool own_userns = sb.ns.user;
    for (const char* k : {"uidMappings", "gidMappings"}) {
        const json* m = member(j, k);
        if (!m) continue;
        auto map = id_map(*m, at(w, k));
        if (!own_userns && !map.empty())
            fail(at(w, k), "id mappings need a new user namespace (linux.namespaces)");
        (k[0] == 'u' ? sb.ids.uid_map : sb.ids.gid_map) = std::move(map);
    }
    if (own_userns && (sb.ids.uid_map.empty() || sb.ids.gid_map.empty()))
        fail(w, "a new user namespace needs uidMappings and gidMappings");
    if (own_userns) {
        // Without privilege over the parent namespace the kernel takes a
        // gid map only with setgroups denied; the groups then cannot change.
        sb.ids.deny_setgroups = ::geteuid() != 0;
        if (sb.ids.deny_setgroups && sb.proc.supplementary_gids) {
            if (!sb.proc.supplementary_gids->empty())
                note("process.user.additionalGids not applied: setgroups is denied in a user "
                     "namespace mapped without privilege");
            sb.proc.supplementary_gids.reset();
        }
    }
    if (member(j, "timeOffsets")) fail(at(w, "timeOffsets"), "time namespaces are not supported");
    if (member(j, "intelRdt")) fail(at(w, "intelRdt"), "Intel RDT is not supported");
    if (const json* p = member(j, "personality")) {
        object(*p, at(w, "personality"), {"domain", "flags"});
        if (const json* d = member(*p, "domain"))
            if (str(*d, at(at(w, "personality"), "domain")) != "LINUX")
                fail(at(at(w, "personality"), "domain"), "only LINUX is supported");
        if (const json* f = member(*p, "flags"))
            if (!strings(*f, at(at(w, "personality"), "flags")).empty())
                fail(at(at(w, "personality"), "flags"), "personality flags are not supported");
    }
    devices(member(j, "devices") ? j["devices"] : json(nullptr), dev_tmpfs);
    if (const json* c = member(j, "cgroupsPath")) b->cgroups_path = str(*c, at(w, "cgroupsPath"));
    if (const json* r = member(j, "rootfsPropagation")) {
        const std::string p = str(*r, at(w, "rootfsPropagation"));
        auto it = std::find_if(std::begin(kPropagation), std::end(kPropagation),
                               [&](const Propagation& x) { return p == x.name; });
        if (it == std::end(kPropagation))
            fail(at(w, "rootfsPropagation"), "unknown propagation \"" + p + "\"");
        sb.fs.front().propagation = it->flags; // the root bind, always first
    }
    if (const json* r = member(j, "resources")) resources(*r);
    if (const json* s = member(j, "sysctl")) sysctl(*s);
    if (const json* s = member(j, "seccomp")) seccomp(*s);
    // runc: readonly paths, then masked paths.
    if (const json* r = member(j, "readonlyPaths")) {
        size_t i = 0;
        for (const auto& e : array(*r, at(w, "readonlyPaths"))) {
            FsOp op;
            op.kind = FsOpKind::readonly_path;
            op.dest = absolute(e, at(at(w, "readonlyPaths"), i++));
            sb.fs.push_back(std::move(op));
        }
    }
    if (const json* m = member(j, "maskedPaths")) {
        size_t i = 0;
        for (const auto& e : array(*m, at(w, "maskedPaths"))) {
            FsOp op;
            op.kind = FsOpKind::mask;
            op.dest = absolute(e, at(at(w, "maskedPaths"), i++));
            sb.fs.push_back(std::move(op));
        }
    }
    if (const json* l = member(j, "mountLabel"))
        if (!str(*l, at(w, "mountLabel")).empty())
            note("linux.mountLabel not applied (no SELinux labelling of mounts)");
}

void Parser::top(const json& doc) {
    object(doc, "",
           {"ociVersion", "root", "mounts", "process", "hostname", "domainname", "hooks",
            "annotations", "linux", "windows", "solaris", "vm", "zos"});
    for (const char* k : {"windows", "solaris", "vm", "zos"})
        if (member(doc, k)) fail(at("", k), "not supported on Linux");
    const json* v = member(doc, "ociVersion");
    if (!v) fail("", "missing field \"ociVersion\"");
    b->oci_version = str(*v, "/ociVersion");
    {
        const std::string& s = b->oci_version;
        bool ok = s.size() >= 5 && s.compare(0, 2, "1.") == 0 && s[2] >= '0' && s[2] <= '2' &&
                  s[3] == '.' && std::isdigit(static_cast<unsigned char>(s[4]));
        if (ok) {
            size_t k = 4;
            while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
            ok = k == s.size() || s[k] == '-' || s[k] == '+';
        }
        if (!ok)
            fail("/ociVersion",
                 "unsupported ociVersion \"" + s + "\" (burrow reads 1.0.x to 1.2.x)");
    }
    Sandbox& sb = b->sandbox;
    sb.diag.prog = "burrow";
    sb.exit_codes = ExitCodes::burrow();
    sb.proc.die_with_parent = false;
    const json* r = member(doc, "root");
    if (!r) fail("", "missing field \"root\"");
    root(*r);
    bool dev_tmpfs = false;
    if (const json* m = member(doc, "mounts")) mounts(*m, dev_tmpfs);
    const json* p = member(doc, "process");
    if (!p) fail("", "missing field \"process\"");
    process(*p, sb, b->terminal);
    // Optional in the spec: no namespaces but the mount namespace burrow
    // always creates.
    const json* lx = member(doc, "linux");
    linux_section(lx ? *lx : json::object(), dev_tmpfs);
    const bool new_uts = sb.ns.uts;
    if (const json* h = member(doc, "hostname")) {
        std::string name = str(*h, "/hostname");
        if (!name.empty()) {
            if (!new_uts) fail("/hostname", "setting the hostname needs a new uts namespace");
            sb.proc.hostname = name;
        }
    }
    if (const json* d = member(doc, "domainname")) {
        std::string name = str(*d, "/domainname");
        if (!name.empty()) {
            if (!new_uts) fail("/domainname", "setting the domainname needs a new uts namespace");
            sb.proc.domainname = name;
        }
    }
    if (const json* h = member(doc, "hooks")) hooks(*h);
    if (const json* a = member(doc, "annotations")) {
        if (!a->is_object()) wrong_type(*a, "/annotations", "an object");
        for (const auto& [k, val] : a->items()) b->annotations[k] = str(val, at("/annotations", k));
    }
    // burrow's own profile on top of the config's filter.
    if (auto it = b->annotations.find("run.oci.burrow.seccomp-profile");
        it != b->annotations.end()) {
        try {
            sb.seccomp_programs.push_back(seccomp::compile_named_profile(it->second));
        } catch (const std::exception& e) {
            fail(at("/annotations", it->first), e.what());
        }
    }
    if (auto it = b->annotations.find("run.oci.burrow.landlock"); it != b->annotations.end())
        landlock(it->second, at("/annotations", it->first));
    if (auto it = b->annotations.find("run.oci.burrow.nix-closure"); it != b->annotations.end())
        nix_closure(it->second, at("/annotations", it->first));
    // The root made read-only last: every mount point exists by then.
    if (const json* ro = member(*r, "readonly"); ro && boolean(*ro, "/root/readonly")) {
        FsOp op;
        op.kind = FsOpKind::remount_ro;
        op.dest = "/";
        sb.fs.push_back(std::move(op));
    }
}

// run.oci.burrow.nix-closure = "ROOT[,ROOT...]": store paths, or links
// into the store (a profile, a result link). The container's store
// directory becomes a read-only directory holding exactly their closure,
// each path bound read-only (the same view as bwrap --nix-closure), over
// whatever the image has there.
void Parser::nix_closure(const std::string& value, const std::string& where) {
    nix::ClosureRequest req;
    size_t start = 0;
    while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        std::string root = value.substr(start, end - start);
        while (!root.empty() && root.front() == ' ') root.erase(root.begin());
        while (!root.empty() && root.back() == ' ') root.pop_back();
        if (!root.empty()) {
            if (root[0] != '/') fail(where, "not an absolute path: \"" + root + "\"");
            req.roots.push_back(root);
        }
        start = end + 1;
    }
    if (req.roots.empty()) fail(where, "no store path given");
    try {
        nix::append_store_view(req, nix::compute_closure(req), b->sandbox);
    } catch (const nix::NixError& e) {
        fail(where, e.what());
    }
}

// run.oci.burrow.landlock = "ro:/,rw:/tmp": every filesystem right is
// denied below the container's root unless an entry grants it; ro: read and
// execute, rw: every right. Enforced or the container does not start
// (min_abi 1): a requested confinement is never silently dropped.
void Parser::landlock(const std::string& value, const std::string& where) {
    Landlock& ll = b->sandbox.landlock;
    ll.enabled = true;
    ll.min_abi = 1;
    ll.handled_fs = burrow::landlock::fs_rights_for_abi(burrow::landlock::known_abi);
    size_t start = 0;
    while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        const std::string item = value.substr(start, end - start);
        start = end + 1;
        LandlockPathRule r;
        if (starts_with(item, "ro:"))
            r.access = burrow::landlock::fs::read_file | burrow::landlock::fs::read_dir |
                       burrow::landlock::fs::execute;
        else if (starts_with(item, "rw:"))
            r.access = ll.handled_fs;
        else
            fail(where,
                 "expected ro:PATH or rw:PATH entries separated by commas, got \"" + item + "\"");
        r.path = item.substr(3);
        if (r.path.empty() || r.path[0] != '/')
            fail(where, "must be an absolute path: \"" + r.path + "\"");
        ll.paths.push_back(std::move(r));
    }
}

std::string absolute_dir(const std::string& dir) {
    if (!dir.empty() && dir[0] == '/') return dir;
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) return dir;
    return std::string(cwd) + "/" + dir;
}

} // namespace

Bundle parse_config(std::string_view text, const std::string& bundle_dir, const LoadOptions& opt) {
    Bundle b;
    b.dir = absolute_dir(bundle_dir);
    Parser p;
    p.file = "config.json";
    p.bundle_dir = b.dir;
    p.opt = opt;
    p.b = &b;
    json doc = parse_document(text, p.file);
    p.top(doc);
    return b;
}

namespace {

std::string read_config_text(const std::string& bundle_dir) {
    const std::string path = bundle_dir + "/config.json";
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!fd)
        throw ConfigError("config.json", "", "cannot open " + path + ": " + std::strerror(errno));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0)
        throw ConfigError("config.json", "", "cannot stat " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw ConfigError("config.json", "", path + " is not a regular file");
    if (st.st_size > 4 * 1024 * 1024)
        throw ConfigError("config.json", "", path + " is larger than 4 MiB");
    std::string text;
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw ConfigError("config.json", "",
                              "cannot read " + path + ": " + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    text.resize(got);
    return text;
}

} // namespace

Bundle load_bundle(const std::string& bundle_dir, const LoadOptions& opt) {
    return parse_config(read_config_text(bundle_dir), bundle_dir, opt);
}

Hooks load_hooks(const std::string& bundle_dir) {
    Bundle b;
    Parser p;
    p.file = "config.json";
    p.bundle_dir = bundle_dir;
    p.b = &b;
    const json doc = parse_document(read_config_text(bundle_dir), p.file);
    if (!doc.is_object()) p.fail("", "expected an object");
    if (const json* h = member(doc, "hooks")) p.hooks(*h);
    return b.hooks;
}

void apply_process(std::string_view text, const std::string& file, Sandbox& sb, bool& terminal) {
    Bundle scratch;
    Parser p;
    p.file = file;
    p.bundle_dir = "/";
    p.b = &scratch;
    p.process_ptr = "";
    json doc = parse_document(text, file);
    // Parse into a copy: a bad document leaves the caller's description as it was.
    Sandbox copy = sb;
    bool term = false;
    p.process(doc, copy, term);
    // As in config.json: without a user namespace mapped without privilege
    // the groups can be set.
    if (copy.ns.user && copy.ids.deny_setgroups) copy.proc.supplementary_gids.reset();
    copy.proc.as_pid_1 = false; // exec joins a running container
    // What the process leaves out is the container's (runc's exec: the
    // init's capabilities and rlimits), not nothing.
    if (doc.is_object() && !doc.contains("capabilities")) {
        copy.proc.cap_sets = sb.proc.cap_sets;
        copy.proc.capabilities = sb.proc.capabilities;
    }
    if (doc.is_object() && !doc.contains("rlimits")) copy.limits.rlimits = sb.limits.rlimits;
    sb = std::move(copy);
    terminal = term;
}

} // namespace burrow::oci
