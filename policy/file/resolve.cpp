#include "policy/file/resolve.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "policy/bwrap/lint.hpp"
#include "policy/file/schema.hpp"
#include "policy/file/to_bwrap.hpp"
#include "runtime/exit_status.hpp"
#include "runtime/io.hpp"

namespace burrow::policy {

Resolved resolve_policy(const Policy& p, const std::vector<std::string>& command,
                        const HostFacts& host) {
    Resolved out;
    BwrapPlan plan = policy_to_bwrap(p, host.env, [&](const std::string& content) {
        Fd fd(::memfd_create("burrow-policy-data", MFD_CLOEXEC));
        if (!fd) throw PolicyError(std::string("memfd_create: ") + std::strerror(errno));
        if (const int err = write_all(fd.get(), content))
            throw PolicyError(std::string("writing inline content: ") + std::strerror(err));
        ::lseek(fd.get(), 0, SEEK_SET);
        const int num = fd.get();
        out.data_fds.push_back(std::move(fd));
        return num;
    });
    std::vector<std::string> args = plan.args;
    args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
    try {
        BwrapInvocation inv = parse_bwrap_args(args, host);
        out.sandbox = std::move(inv.sandbox);
    } catch (const BwrapUsageError& e) {
        throw PolicyError(std::string("policy cannot be applied: ") + e.what());
    }
    Sandbox& sb = out.sandbox;
    sb.diag.prog = "burrow";
    // What bwrap has no options for, key by key in the schema's order
    // ([nix] last: its store view follows every other operation).
    for (const KeyDoc& k : policy_schema())
        if (k.ops.resolve) k.ops.resolve(p, sb);
    sb.exit_codes.setup_failed = kExitFailure;
    sb.exit_codes.cannot_execute = kExitCannotExecute;
    sb.exit_codes.not_found = kExitNotFound;
    sb.exit_codes.timeout = kExitTimeout;
    for (const auto& f : lint_fs(sb.fs)) {
        const std::size_t entry =
            f.hidden < plan.fs_entry_of_op.size() ? plan.fs_entry_of_op[f.hidden] : 0;
        const std::size_t by = f.by < plan.fs_entry_of_op.size() ? plan.fs_entry_of_op[f.by] : 0;
        std::string where = entry < p.fs.size() ? p.fs[entry].pos.str() + ": " : "";
        std::string by_where = by < p.fs.size() ? " (" + p.fs[by].pos.str() + ")" : "";
        out.warnings.push_back(where + f.message + by_where);
    }
    return out;
}

} // namespace burrow::policy
