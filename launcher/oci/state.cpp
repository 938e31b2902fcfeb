// The JSON side of `burrow oci` (the one TU of burrow_oci_cmd that includes
// nlohmann/json, for compile time): state.json, the spec's state document,
// features, the default spec, exec's process object, JSON log lines.
#include "launcher/oci/state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "launcher/session/registry.hpp"
#include "runtime/io.hpp"

namespace burrow::oci {

using nlohmann::json;

namespace {

bool frozen(const std::string& file) {
    if (file.empty()) return false;
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return false;
    char buf[32] = {};
    const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n <= 0) return false;
    const std::string s(buf, static_cast<size_t>(n));
    return s.rfind("FROZEN", 0) == 0 || s.rfind("FREEZING", 0) == 0 || s.rfind("1", 0) == 0;
}

} // namespace

std::string status_of(const State& st, int state_dir_fd) {
    if (st.pid <= 0 || st.start_time == 0) return "stopped";
    // A recycled pid has another start time; a zombie reads as 0.
    if (session::process_start_time(st.pid) != st.start_time) return "stopped";
    struct stat s {};
    if (::fstatat(state_dir_fd, kExecFifo, &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(s.st_mode))
        return "created";
    if (frozen(st.freezer)) return "paused";
    return "running";
}

namespace {

json state_object(const State& st, const std::string& status) {
    json j;
    j["ociVersion"] = st.oci_version.empty() ? "1.0.2" : st.oci_version;
    j["id"] = st.id;
    j["status"] = status;
    j["bundle"] = st.bundle;
    j["rootfs"] = st.bundle.empty() ? "" : st.bundle + "/rootfs";
    j["created"] = st.created;
    j["annotations"] = st.annotations;
    j["owner"] = "";
    return j;
}

} // namespace

std::string state_json(const State& st, const std::string& status) {
    json j = state_object(st, status);
    // The spec: pid is REQUIRED when created or running (runc prints 0 after).
    j["pid"] = status == "stopped" ? 0 : st.pid;
    return j.dump(2);
}

std::pair<std::string, std::string> state_json_around_pid(const State& st,
                                                          const std::string& status) {
    std::string text = state_object(st, status).dump(2);
    // dump(2) of an object ends with "\n}".
    text.resize(text.size() - 2);
    return {text + ",\n  \"pid\": ", "\n}"};
}

std::string state_file_json(const State& st) {
    json j;
    j["ociVersion"] = st.oci_version;
    j["id"] = st.id;
    j["pid"] = st.pid;
    j["startTime"] = st.start_time;
    j["bundle"] = st.bundle;
    j["annotations"] = st.annotations;
    j["created"] = st.created;
    j["cgroupDirs"] = st.cgroup_dirs;
    j["freezer"] = st.freezer;
    j["rootless"] = st.rootless;
    return j.dump();
}

State parse_state_file(const std::string& text) {
    State st;
    try {
        const json j = json::parse(text);
        st.oci_version = j.at("ociVersion").get<std::string>();
        st.id = j.at("id").get<std::string>();
        st.pid = j.at("pid").get<pid_t>();
        st.start_time = j.at("startTime").get<uint64_t>();
        st.bundle = j.at("bundle").get<std::string>();
        st.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
        st.created = j.at("created").get<std::string>();
        st.cgroup_dirs = j.at("cgroupDirs").get<std::vector<std::string>>();
        st.freezer = j.at("freezer").get<std::string>();
        st.rootless = j.at("rootless").get<bool>();
    } catch (const json::exception& e) {
        throw std::runtime_error(std::string("corrupt state file: ") + e.what());
    }
    return st;
}

std::string features_json() {
    json j;
    j["ociVersionMin"] = "1.0.0";
    j["ociVersionMax"] = "1.2.0";
    j["hooks"] = {"prestart",       "createRuntime", "createContainer",
                  "startContainer", "poststart",     "poststop"};
    j["mountOptions"] = {
        "ro",    "rw",     "nosuid",      "suid",       "nodev",    "dev",         "noexec",
        "exec",  "bind",   "rbind",       "private",    "rprivate", "shared",      "rshared",
        "slave", "rslave", "relatime",    "norelatime", "noatime",  "strictatime", "nodiratime",
        "mode",  "size",   "newinstance", "ptmxmode",   "gid",      "uid"};
    json linux_;
    linux_["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"};
    linux_["capabilities"] = json::array();
    json cg;
    cg["v1"] = true;
    cg["v2"] = true;
    cg["systemd"] = false; // --systemd-cgroup is accepted, the path is used as is
    cg["systemdUser"] = false;
    cg["rdma"] = false;
    linux_["cgroup"] = cg;
    json sec;
    sec["enabled"] = true;
    sec["actions"] = {"SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
                      "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                      "SCMP_ACT_TRACE",        "SCMP_ACT_LOG"};
    sec["operators"] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
    sec["archs"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"};
    linux_["seccomp"] = sec;
    json aa;
    aa["enabled"] = false;
    linux_["apparmor"] = aa;
    json se;
    se["enabled"] = false;
    linux_["selinux"] = se;
    j["linux"] = linux_;
    j["annotations"] = {{"io.github.burrow.oci.notes",
                         "cgroup v1 and v2 paths as written (no systemd slices); pause/resume "
                         "through the freezer; createContainer/startContainer hooks run on the "
                         "host before start"}};
    return j.dump(2);
}

std::string default_spec_json(bool rootless) {
    json j = json::parse(R"({
  "ociVersion": "1.0.2",
  "process": {
    "terminal": true,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "burrow",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                      "/proc/sysrq-trigger"]
  }
})");
    if (rootless) {
        // runc spec --rootless: a user namespace mapping the caller to root,
        // no network namespace of its own... runc keeps it; sysfs becomes a bind.
        j["linux"]["namespaces"].push_back({{"type", "user"}});
        j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", ::getuid()}, {"size", 1}}};
        j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getgid()}, {"size", 1}}};
        j["linux"].erase("resources");
        for (auto& m : j["mounts"])
            if (m["destination"] == "/sys")
                m = {{"destination", "/sys"},
                     {"type", "none"},
                     {"source", "/sys"},
                     {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
        for (auto& m : j["mounts"])
            if (m["destination"] == "/dev/pts") {
                auto& o = m["options"];
                o.erase(std::remove(o.begin(), o.end(), json("gid=5")), o.end());
            }
    }
    return j.dump(2) + "\n";
}

std::string process_json(const std::vector<std::string>& args, const std::string& cwd,
                         const std::vector<std::string>& env, const std::string& user, bool tty) {
    json j;
    j["args"] = args;
    j["cwd"] = cwd.empty() ? "/" : cwd;
    j["env"] = env;
    j["terminal"] = tty;
    uint32_t uid = 0, gid = 0;
    if (!user.empty()) {
        const auto colon = user.find(':');
        try {
            uid = static_cast<uint32_t>(std::stoul(user.substr(0, colon)));
            gid = colon == std::string::npos
                      ? 0
                      : static_cast<uint32_t>(std::stoul(user.substr(colon + 1)));
        } catch (const std::exception&) {
            throw std::runtime_error("--user " + user + ": expected UID[:GID]");
        }
    }
    j["user"] = {{"uid", uid}, {"gid", gid}};
    return j.dump();
}

std::string json_log_line(const std::string& level, const std::string& msg,
                          const std::string& time) {
    json j;
    j["level"] = level;
    j["msg"] = msg;
    j["time"] = time;
    return j.dump();
}

} // namespace burrow::oci
