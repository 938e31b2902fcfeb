// Shared by the tests that drive burrow-oci through real OCI clients
// (podman, containerd): where the tools are, and the offline image's root.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <initializer_list>
#include <string>

#include "tests/support/run_command.hpp"

namespace ocitest {

// The tool's absolute path in the system directories, or "".
inline std::string which(const std::string& name) {
    for (const char* d : {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"})
        if (::access((std::string(d) + name).c_str(), X_OK) == 0) return d + name;
    return "";
}

// burrow's runtime: the burrow-oci link beside the burrow under test.
inline std::string burrow_oci() {
    const std::string b = btest::burrow_bin();
    return b.substr(0, b.rfind('/') + 1) + "burrow-oci";
}

// A root file system of busybox-static with these applets, as ROOTFS, and
// its tar at TAR (what `podman import` takes).
inline void make_busybox_image(const std::string& rootfs, const std::string& tar,
                               std::initializer_list<const char*> applets) {
    for (const char* d : {"", "/bin", "/etc", "/proc", "/sys", "/dev", "/tmp", "/mnt"})
        ::mkdir((rootfs + d).c_str(), 0755);
    std::filesystem::copy_file("/usr/bin/busybox", rootfs + "/bin/busybox");
    for (const char* a : applets) ::symlink("busybox", (rootfs + "/bin/" + a).c_str());
    btest::write_file(rootfs + "/etc/passwd", "root:x:0:0:root:/:/bin/sh\n");
    btest::write_file(rootfs + "/etc/group", "root:x:0:\n");
    btest::Command c;
    c.argv = {"/bin/tar", "-C", rootfs, "-cf", tar, "."};
    const auto r = btest::run(c);
    if (r.code() != 0) throw std::runtime_error("tar: " + r.describe());
}

} // namespace ocitest
