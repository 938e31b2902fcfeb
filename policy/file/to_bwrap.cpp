#include "policy/file/to_bwrap.hpp"

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

namespace burrow::policy {

namespace {

std::string octal(uint32_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", mode);
    return buf;
}

const std::map<std::string, std::string>& simple_binds() {
    static const std::map<std::string, std::string> m{
        {"bind", "--bind"},         {"bind-try", "--bind-try"},
        {"ro-bind", "--ro-bind"},   {"ro-bind-try", "--ro-bind-try"},
        {"dev-bind", "--dev-bind"}, {"dev-bind-try", "--dev-bind-try"}};
    return m;
}

} // namespace

BwrapPlan policy_to_bwrap(const Policy& p, const std::vector<std::string>& host_env,
                          const std::function<int(const std::string&)>& data_fd) {
    BwrapPlan plan;
    auto& a = plan.args;
    auto add = [&](std::initializer_list<std::string> xs) { a.insert(a.end(), xs); };
    if (p.ns_user) add({"--unshare-user"});
    if (p.ns_ipc) add({"--unshare-ipc"});
    if (p.ns_pid) add({"--unshare-pid"});
    if (p.ns_uts) add({"--unshare-uts"});
    if (p.ns_cgroup) add({"--unshare-cgroup-try"});
    if (p.network != "host") add({"--unshare-net"});
    if (p.network == "none")
        plan.unexpressed.push_back(
            "network = \"none\": bwrap always brings lo up (as \"loopback\")");
    if (p.network == "private")
        plan.unexpressed.push_back("network = \"private\": bwrap has no user-mode network stack "
                                   "(as \"loopback\"; attach pasta or slirp4netns yourself)");
    if (p.uid) add({"--uid", std::to_string(*p.uid)});
    if (p.gid) add({"--gid", std::to_string(*p.gid)});
    if (p.hostname) add({"--hostname", *p.hostname});
    if (p.die_with_parent) add({"--die-with-parent"});
    if (p.new_session) add({"--new-session"});
    if (p.as_pid_1) add({"--as-pid-1"});
    if (p.chdir) add({"--chdir", *p.chdir});
    if (p.argv0) {
        add({"--argv0", *p.argv0});
        plan.unexpressed.push_back("process.argv0 needs bwrap 0.9 or later");
    }
    if (p.env_clear) {
        add({"--clearenv"});
        for (const auto& name : p.env_inherit) {
            // "LC_*": every variable whose name starts with "LC_".
            const bool prefix = name.ends_with('*');
            const std::string_view want =
                prefix ? std::string_view(name).substr(0, name.size() - 1) : name;
            for (const auto& e : host_env) {
                const auto eq = e.find('=');
                if (eq == std::string::npos || eq == 0) continue;
                const std::string_view var(e.data(), eq);
                if (prefix ? !var.starts_with(want) : var != want) continue;
                add({"--setenv", std::string(var), e.substr(eq + 1)});
                if (!prefix) break;
            }
        }
    }
    for (const auto& [k, v] : p.env_set) add({"--setenv", k, v});
    for (const auto& k : p.env_unset) add({"--unsetenv", k});
    for (const auto& c : p.caps_add) add({"--cap-add", c});
    for (const auto& c : p.caps_drop) add({"--cap-drop", c});

    for (std::size_t i = 0; i < p.fs.size(); ++i) {
        const FsEntry& e = p.fs[i];
        const std::size_t before = a.size();
        if (auto it = simple_binds().find(e.type); it != simple_binds().end()) {
            add({it->second, e.src, e.dest});
        } else if (e.type == "tmpfs") {
            if (e.mode) add({"--perms", octal(*e.mode)});
            if (e.size) add({"--size", std::to_string(*e.size)});
            add({"--tmpfs", e.dest});
        } else if (e.type == "proc" || e.type == "dev" || e.type == "mqueue" ||
                   e.type == "remount-ro") {
            add({"--" + e.type, e.dest});
        } else if (e.type == "dir") {
            if (e.mode) add({"--perms", octal(*e.mode)});
            add({"--dir", e.dest});
        } else if (e.type == "symlink") {
            add({"--symlink", e.src, e.dest});
        } else if (e.type == "file" || e.type == "bind-data" || e.type == "ro-bind-data") {
            if (e.mode) add({"--perms", octal(*e.mode)});
            add({"--" + e.type, std::to_string(data_fd(e.content.value_or(""))), e.dest});
        } else if (e.type == "chmod") {
            add({"--chmod", octal(*e.mode), e.dest});
        } else if (e.type.ends_with("overlay")) {
            for (const auto& s : e.sources) add({"--overlay-src", s});
            if (e.type == "overlay")
                add({"--overlay", e.upper, e.work, e.dest});
            else
                add({"--" + e.type, e.dest});
            plan.unexpressed.push_back("fs " + e.type + " " + e.dest +
                                       " needs bwrap 0.11 or later");
        }
        if (a.size() != before) plan.fs_entry_of_op.push_back(i);
    }

    if (p.seccomp_profile && (*p.seccomp_profile != "none" || !p.seccomp_rules.empty()))
        plan.unexpressed.push_back(
            "seccomp profile \"" + *p.seccomp_profile +
            "\": stock bwrap takes only compiled BPF; add: --seccomp 9 9< <(burrow seccomp "
            "export " +
            *p.seccomp_profile + ")" +
            (p.seccomp_rules.empty() ? "" : " (the policy's extra rules are lost)"));
    if (p.seccomp_log_denials)
        plan.unexpressed.push_back("seccomp.log_denials: burrow bwrap --seccomp-log-denials only");
    if (p.landlock) plan.unexpressed.push_back("landlock rules");
    if (!p.rlimits.empty())
        plan.unexpressed.push_back("limits (rlimits): use prlimit(1) or ulimit");
    if (p.timeout_ms) plan.unexpressed.push_back("limits.timeout: use timeout(1)");
    if (p.memory_max || p.pids_max || p.cpu_max)
        plan.unexpressed.push_back("cgroup limits (memory_max, pids_max, cpu_max)");
    if (p.status_file) plan.unexpressed.push_back("status.file: use --json-status-fd");
    if (p.has_nix) plan.unexpressed.push_back("[nix] store view: bind the closure paths yourself");
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
