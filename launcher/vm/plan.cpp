#include "launcher/vm/plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cerrno>
#include <climits>
#include <cstring>

#include "launcher/vm/kernel.hpp"
#include "launcher/vm/protocol.hpp"
#include "runtime/fd.hpp"
#include "runtime/io.hpp"

namespace burrow::vm {
namespace {

// Top-level directories that merged-/usr hosts have as symlinks into /usr.
constexpr const char* kRootLinks[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};

class Manifest {
  public:
    void rec(std::initializer_list<std::string> fields) {
        for (const auto& f : fields) {
            s_ += f;
            s_.push_back('\0');
        }
    }
    const std::string& str() const { return s_; }

  private:
    std::string s_;
};

std::string octal(uint32_t mode) {
    char b[16];
    std::snprintf(b, sizeof b, "%o", mode);
    return b;
}

void write_file(const std::string& path, const std::string& data) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw VmError(path + ": " + std::strerror(errno));
    if (const int err = write_all(fd.get(), data)) throw VmError(path + ": " + std::strerror(err));
}

void copy_in(const std::string& from, const std::string& to) {
    Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!in) throw VmError(from + ": " + std::strerror(errno));
    std::string data;
    if (const int err = read_fd_to_end(in.get(), data, SIZE_MAX))
        throw VmError(from + ": " + std::strerror(err));
    write_file(to, data);
}

} // namespace

GuestPlan plan_guest(const project::ProjectSandbox& ps, const std::string& meta_dir,
                     bool interactive, bool enter, const GuestSystem* system) {
    using Kind = project::Share::Kind;
    GuestPlan plan;
    Manifest m;
    std::string files = meta_dir + "/files";
    if (::mkdir(files.c_str(), 0700) < 0) throw VmError(files + ": " + std::strerror(errno));
    int nfile = 0;
    auto meta_copy = [&](const std::string& src) {
        std::string rel = "files/" + std::to_string(nfile++);
        copy_in(src, meta_dir + "/" + rel);
        return rel;
    };
    auto add_export = [&](const std::string& src, const std::string& dest, bool ro) {
        std::string tag = "s" + std::to_string(plan.exports.size());
        plan.exports.push_back({tag, src, ro});
        m.rec({"mount9p", tag, dest, ro ? "ro" : "rw"});
    };
    auto has_dest = [&](const std::string& d) {
        for (const auto& s : ps.shares)
            if (s.dest == d) return true;
        return false;
    };

    // The guest root: the host's /usr and /etc read-only, the merged-/usr
    // symlinks as on the host (or the directories, where they are real).
    // A NixOS system brings its own /etc and /usr (its activation writes
    // them, from the store); a plain system may bring its /etc.
    if (system && system->nixos) {
        for (const char* d : {"/usr", "/etc"})
            if (!has_dest(d)) m.rec({"roottmpfs", d, "755"});
    } else {
        if (!has_dest("/usr")) add_export("/usr", "/usr", true);
        if (!has_dest("/etc"))
            add_export(system && !system->etc.empty() ? system->etc : "/etc", "/etc", true);
    }
    for (const char* d : kRootLinks) {
        if (has_dest(d) || (system && system->nixos)) continue;
        struct stat st;
        if (::lstat(d, &st) < 0) continue;
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = ::readlink(d, target, sizeof target - 1);
            if (n > 0) m.rec({"symlink", std::string(target, size_t(n)), d});
        } else if (S_ISDIR(st.st_mode)) {
            add_export(d, d, true);
        }
    }
    if (ps.network != project::Network::none) {
        // The host's resolv.conf often names 127.0.0.53 (a resolver the
        // guest does not have); slirp's DNS forwarder is 10.0.2.3.
        write_file(meta_dir + "/resolv.conf", "nameserver 10.0.2.3\n");
        m.rec({"bindfile", "resolv.conf", "/etc/resolv.conf"});
    }

    for (const auto& s : ps.shares) {
        switch (s.kind) {
        case Kind::tmpfs:
            m.rec({"tmpfs", s.dest, octal(s.mode.value_or(0755))});
            continue;
        case Kind::dir:
            m.rec({"dir", s.dest, octal(s.mode.value_or(0755))});
            continue;
        case Kind::dev_bind:
            plan.skipped_devices.push_back(s.source);
            continue;
        case Kind::copy: {
            std::string rel = meta_copy(s.source);
            plan.secret_files.push_back(meta_dir + "/" + rel);
            m.rec({"copy", rel, s.dest, octal(s.mode.value_or(0600))});
            continue;
        }
        case Kind::bind:
        case Kind::ro_bind:
            break;
        }
        if (s.socket) {
            plan.skipped_sockets.push_back(s.source);
            continue;
        }
        struct stat st;
        if (::lstat(s.source.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
            bool root_link = false;
            for (const char* d : kRootLinks) root_link |= s.dest == d;
            char target[PATH_MAX];
            ssize_t n = ::readlink(s.source.c_str(), target, sizeof target - 1);
            if (root_link && n > 0) {
                m.rec({"symlink", std::string(target, size_t(n)), s.dest});
                continue;
            }
        }
        if (::stat(s.source.c_str(), &st) < 0)
            throw VmError("share " + s.source + ": " + std::strerror(errno));
        bool ro = s.kind == Kind::ro_bind;
        if (S_ISDIR(st.st_mode)) {
            add_export(s.source, s.dest, ro);
        } else if (S_ISSOCK(st.st_mode)) {
            plan.skipped_sockets.push_back(s.source);
        } else if (S_ISREG(st.st_mode)) {
            // 9p exports directories only; a file goes in as a copy (read-only
            // bound, or writable but not written back for a read-write bind).
            std::string rel = meta_copy(s.source);
            if (ro) {
                m.rec({"bindfile", rel, s.dest});
            } else {
                plan.not_written_back.push_back(s.source);
                plan.secret_files.push_back(meta_dir + "/" + rel);
                m.rec({"copy", rel, s.dest, octal(st.st_mode & 07777)});
            }
        } else {
            plan.skipped_devices.push_back(s.source);
        }
    }

    // The project directory, read-write at its own path, in case the
    // builder did not list it (after the others: it may sit in the home).
    if (!has_dest(ps.project_dir)) add_export(ps.project_dir, ps.project_dir, false);

    for (const auto& [k, v] : ps.env) m.rec({"env", k + "=" + v});
    for (const auto& a : ps.command) m.rec({"arg", a});
    m.rec({"cwd", ps.cwd.empty() ? ps.project_dir : ps.cwd});
    m.rec({"uid", std::to_string(ps.uid)});
    m.rec({"gid", std::to_string(ps.gid)});
    if (!ps.user.empty()) m.rec({"user", ps.user});
    if (!ps.hostname.empty()) m.rec({"hostname", ps.hostname});
    if (!ps.shell.empty()) m.rec({"shell", ps.shell});
    m.rec({"network", ps.network != project::Network::none ? "1" : "0"});
    m.rec({"interactive", interactive ? "1" : "0"});
    m.rec({"enter", enter ? "1" : "0"});
    if (system) m.rec({"init", system->init});
    write_file(meta_dir + "/" + kManifestName, m.str());
    plan.secret_files.push_back(meta_dir + "/" + kManifestName);
    return plan;
}

} // namespace burrow::vm
