#include "runtime/mountinfo.hpp"

#include <libmount/libmount.h>
#include <sys/mount.h>

#include <cerrno>
#include <map>
#include <memory>

namespace burrow::mountinfo {

namespace {
bool under(const std::string& path, const std::string& prefix) {
    if (prefix == "/") return true;
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
           path[prefix.size()] == '/';
}
} // namespace

int add_flags(const std::string& mountinfo_path, const std::string& target, unsigned long add,
              bool recursive, std::string* failing) {
    std::unique_ptr<libmnt_table, void (*)(libmnt_table*)> tab(
        mnt_new_table_from_file(mountinfo_path.c_str()), mnt_unref_table);
    if (!tab) {
        if (errno == 0) errno = EINVAL;
        if (failing) *failing = mountinfo_path;
        return -1;
    }
    std::unique_ptr<libmnt_iter, void (*)(libmnt_iter*)> it(mnt_new_iter(MNT_ITER_FORWARD),
                                                            mnt_free_iter);
    // Later lines are mounted later, so the last entry for a path is the one
    // a path lookup reaches; remounting by path touches exactly that one.
    std::map<std::string, unsigned long> visible;
    libmnt_fs* fs = nullptr;
    while (mnt_table_next_fs(tab.get(), it.get(), &fs) == 0) {
        const char* t = mnt_fs_get_target(fs);
        if (!t) continue;
        std::string path(t);
        if (path != target && !(recursive && under(path, target))) continue;
        unsigned long flags = 0;
        const char* opts = mnt_fs_get_vfs_options(fs);
        if (opts) mnt_optstr_get_flags(opts, &flags, mnt_get_builtin_optmap(MNT_LINUX_MAP));
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
