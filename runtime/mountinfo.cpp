#include "runtime/mountinfo.hpp"

#include <dlfcn.h>
#include <libmount/libmount.h>
#include <sys/mount.h>

#include <cerrno>
#include <map>
#include <memory>

namespace burrow::mountinfo {

namespace {

// libmount is only needed on kernels without mount_setattr (< 5.12), and
// linking it costs every burrow start ~2 ms (it drags in libblkid,
// libselinux and pcre2, whose constructors run at load). So it is loaded
// on first use instead.
struct LibMount {
    decltype(&mnt_new_table_from_file) new_table_from_file = nullptr;
    decltype(&mnt_unref_table) unref_table = nullptr;
    decltype(&mnt_new_iter) new_iter = nullptr;
    decltype(&mnt_free_iter) free_iter = nullptr;
    decltype(&mnt_table_next_fs) table_next_fs = nullptr;
    decltype(&mnt_fs_get_target) fs_get_target = nullptr;
    decltype(&mnt_fs_get_vfs_options) fs_get_vfs_options = nullptr;
    decltype(&mnt_optstr_get_flags) optstr_get_flags = nullptr;
    decltype(&mnt_get_builtin_optmap) get_builtin_optmap = nullptr;
    bool ok = false;
};

template <typename F> bool sym(void* h, const char* name, F& out) {
    out = reinterpret_cast<F>(::dlsym(h, name));
    return out != nullptr;
}

const LibMount& libmount() {
    static LibMount lib = [] {
        LibMount l;
        void* h = ::dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h) return l;
        l.ok = sym(h, "mnt_new_table_from_file", l.new_table_from_file) &&
               sym(h, "mnt_unref_table", l.unref_table) && sym(h, "mnt_new_iter", l.new_iter) &&
               sym(h, "mnt_free_iter", l.free_iter) &&
               sym(h, "mnt_table_next_fs", l.table_next_fs) &&
               sym(h, "mnt_fs_get_target", l.fs_get_target) &&
               sym(h, "mnt_fs_get_vfs_options", l.fs_get_vfs_options) &&
               sym(h, "mnt_optstr_get_flags", l.optstr_get_flags) &&
               sym(h, "mnt_get_builtin_optmap", l.get_builtin_optmap);
        return l;
    }();
    return lib;
}

} // namespace

bool preload() {
    return libmount().ok;
}

namespace {

bool under(const std::string& path, const std::string& prefix) {
    if (prefix == "/") return true;
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
           path[prefix.size()] == '/';
}
} // namespace

int add_flags(const std::string& mountinfo_path, const std::string& target, unsigned long add,
              bool recursive, std::string* failing) {
    const LibMount& mnt = libmount();
    if (!mnt.ok) {
        if (failing) *failing = "libmount.so.1";
        errno = ENOSYS;
        return -1;
    }
    std::unique_ptr<libmnt_table, void (*)(libmnt_table*)> tab(
        mnt.new_table_from_file(mountinfo_path.c_str()), mnt.unref_table);
    if (!tab) {
        if (errno == 0) errno = EINVAL;
        if (failing) *failing = mountinfo_path;
        return -1;
    }
    std::unique_ptr<libmnt_iter, void (*)(libmnt_iter*)> it(mnt.new_iter(MNT_ITER_FORWARD),
                                                            mnt.free_iter);
    // Later lines are mounted later, so the last entry for a path is the one
    // a path lookup reaches; remounting by path touches exactly that one.
    std::map<std::string, unsigned long> visible;
    libmnt_fs* fs = nullptr;
    while (mnt.table_next_fs(tab.get(), it.get(), &fs) == 0) {
        const char* t = mnt.fs_get_target(fs);
        if (!t) continue;
        std::string path(t);
        if (path != target && !(recursive && under(path, target))) continue;
        unsigned long flags = 0;
        const char* opts = mnt.fs_get_vfs_options(fs);
        if (opts) mnt.optstr_get_flags(opts, &flags, mnt.get_builtin_optmap(MNT_LINUX_MAP));
        visible[path] = flags;
    }
    if (visible.find(target) == visible.end()) {
        errno = EINVAL;
        if (failing) *failing = target;
        return -1;
    }
    // std::map orders parents before children.
    for (const auto& [path, flags] : visible) {
        unsigned long keep = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                      MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
        unsigned long want = keep | add;
        if (want == keep) continue;
        if (::mount("none", path.c_str(), nullptr, MS_SILENT | MS_BIND | MS_REMOUNT | want,
                    nullptr) != 0) {
            // An unreadable submount cannot be reached by the payload either.
            if (path != target && errno == EACCES) continue;
            if (failing) *failing = path;
            return -1;
        }
    }
    return 0;
}

} // namespace burrow::mountinfo
