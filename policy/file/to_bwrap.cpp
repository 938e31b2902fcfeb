#include "policy/file/to_bwrap.hpp"

#include <algorithm>
#include <string>

#include "policy/file/keys.hpp"

namespace burrow::policy {

void BwrapOut::cannot(const std::string& what) {
    auto& u = plan.unexpressed;
    if (std::find(u.begin(), u.end(), what) == u.end()) u.push_back(what);
}

// Each key's options in the schema's order. Order matters to bwrap only
// within a key's own options (fs operations, --perms before its operation,
// env, capabilities), which each entry emits together.
BwrapPlan policy_to_bwrap(const Policy& p, const std::vector<std::string>& host_env,
                          const std::function<int(const std::string&)>& data_fd) {
    BwrapPlan plan;
    BwrapOut out{plan, host_env, data_fd};
    for (const KeyDoc& k : policy_schema())
        if (k.ops.bwrap) k.ops.bwrap(p, out);
    return plan;
}

std::string shell_quote(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-+=/.,:@%") == std::string::npos)
        return s;
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string bwrap_command_shell(const Policy& p, const std::vector<std::string>& host_env,
                                std::vector<std::string>& warnings) {
    int next_fd = 10; // above what shells use for their own redirections
    std::string redirects;
    BwrapPlan plan = policy_to_bwrap(p, host_env, [&](const std::string& content) {
        const int fd = next_fd++;
        redirects += " " + std::to_string(fd) + "< <(printf %s " + shell_quote(content) + ")";
        return fd;
    });
    warnings = plan.unexpressed;
    std::string out = "bwrap";
    for (const auto& arg : plan.args) out += " " + shell_quote(arg);
    return out + redirects + " \"$@\"\n";
}

std::string bwrap_command_nul(const Policy& p, const std::vector<std::string>& host_env,
                              std::vector<std::string>& warnings) {
    int next_fd = 10;
    BwrapPlan plan = policy_to_bwrap(p, host_env, [&](const std::string& content) {
        warnings.push_back("inline content needs fd " + std::to_string(next_fd) +
                           " to hold: " + content.substr(0, 40));
        return next_fd++;
    });
    warnings.insert(warnings.end(), plan.unexpressed.begin(), plan.unexpressed.end());
    std::string out;
    for (const auto& arg : plan.args) {
        out += arg;
        out += '\0';
    }
    return out;
}

} // namespace burrow::policy
