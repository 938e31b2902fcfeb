#include "policy/bwrap/lint.hpp"

#include <sys/stat.h>

#include <string>

namespace burrow {

namespace {

// "/a//b/" and "a/b" both become "/a/b"; "/" stays "/".
std::string normalize(const std::string& p) {
    std::string out = "/";
    std::size_t i = 0;
    while (i < p.size()) {
        while (i < p.size() && p[i] == '/') ++i;
        const std::size_t j = p.find('/', i);
        const std::string comp = p.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (!comp.empty() && comp != ".") {
            if (out.size() > 1) out += '/';
            out += comp;
        }
        if (j == std::string::npos) break;
        i = j;
    }
    return out;
}

bool covers(const std::string& ancestor, const std::string& path) {
    if (ancestor == path || ancestor == "/") return true;
    return path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
           path[ancestor.size()] == '/';
}

// Operations that put a new filesystem (or a new file) at their destination
// and so hide whatever was there before.
bool is_covering(const FsOp& op) {
    switch (op.kind) {
    case FsOpKind::bind:
    case FsOpKind::bind_fd:
    case FsOpKind::proc:
    case FsOpKind::dev:
    case FsOpKind::mqueue:
    case FsOpKind::tmpfs:
    case FsOpKind::bind_data:
    case FsOpKind::overlay:
    case FsOpKind::tmp_overlay:
    case FsOpKind::ro_overlay:
    case FsOpKind::mount:
    case FsOpKind::device:
        return true;
    default:
        return false;
    }
}

} // namespace

std::string describe_fs_op(const FsOp& op) {
    switch (op.kind) {
    case FsOpKind::bind: {
        std::string o = op.allow_dev ? "--dev-bind" : op.readonly ? "--ro-bind" : "--bind";
        if (op.optional) o += "-try";
        return o + " " + op.source + " " + op.dest;
    }
    case FsOpKind::bind_fd:
        return std::string(op.readonly ? "--ro-bind-fd " : "--bind-fd ") + op.dest;
    case FsOpKind::remount_ro:
        return "--remount-ro " + op.dest;
    case FsOpKind::proc:
        return "--proc " + op.dest;
    case FsOpKind::dev:
        return "--dev " + op.dest;
    case FsOpKind::mqueue:
        return "--mqueue " + op.dest;
    case FsOpKind::tmpfs:
        return "--tmpfs " + op.dest;
    case FsOpKind::dir:
        return "--dir " + op.dest;
    case FsOpKind::file:
        return "--file " + op.dest;
    case FsOpKind::bind_data:
        return std::string(op.readonly ? "--ro-bind-data " : "--bind-data ") + op.dest;
    case FsOpKind::symlink:
        return "--symlink " + op.source + " " + op.dest;
    case FsOpKind::chmod:
        return "--chmod " + op.dest;
    case FsOpKind::overlay:
        return "--overlay " + op.dest;
    case FsOpKind::tmp_overlay:
        return "--tmp-overlay " + op.dest;
    case FsOpKind::ro_overlay:
        return "--ro-overlay " + op.dest;
    case FsOpKind::lock_file:
        return "--lock-file " + op.dest;
    case FsOpKind::bind_view:
        return "--nix-closure view at " + op.dest + " (" + std::to_string(op.view_sources.size()) +
               " entries)";
    case FsOpKind::mount:
        return "OCI mount " + op.fstype + " " + op.dest;
    case FsOpKind::device:
        return "OCI device " + op.dest;
    case FsOpKind::mask:
        return "OCI maskedPaths " + op.dest;
    case FsOpKind::readonly_path:
        return "OCI readonlyPaths " + op.dest;
    }
    return op.dest;
}

std::vector<LintFinding> lint_fs(const std::vector<FsOp>& ops) {
    std::vector<LintFinding> out;
    std::vector<std::string> dests;
    dests.reserve(ops.size());
    for (const auto& op : ops) dests.push_back(normalize(op.dest));
    for (std::size_t i = 0; i < ops.size(); ++i) {
        if (ops[i].kind == FsOpKind::lock_file) continue; // applied after setup
        for (std::size_t j = i + 1; j < ops.size(); ++j) {
            if (!is_covering(ops[j]) || !covers(dests[j], dests[i])) continue;
            std::string what = describe_fs_op(ops[i]);
            struct stat st {};
            if (ops[i].kind == FsOpKind::bind && ::stat(ops[i].source.c_str(), &st) == 0 &&
                S_ISSOCK(st.st_mode))
                what = "socket " + what;
            out.push_back({i, j,
                           what + " is hidden by the later " + describe_fs_op(ops[j]) +
                               " (move it after that operation)"});
            break;
        }
    }
    return out;
}

} // namespace burrow
