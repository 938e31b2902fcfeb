#include "runtime/exec.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "runtime/error.hpp"

extern char** environ;

namespace burrow::exec {

namespace {

const std::string* find_var(const std::vector<std::string>& env, const std::string& name) {
    for (const auto& e : env)
        if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
            return &e;
    return nullptr;
}

} // namespace

std::string caller_cwd() {
    char* cwd = ::get_current_dir_name();
    if (!cwd) return {};
    std::string s(cwd);
    std::free(cwd);
    return s;
}

void enter_working_directory(const Process& proc, const std::string& caller_cwd,
                             std::vector<std::string>& env) {
    std::string cwd = "/";
    if (proc.chdir) {
        if (::chdir(proc.chdir->c_str()) != 0) fail_errno("Can't chdir to " + *proc.chdir);
        cwd = *proc.chdir;
    } else if (!caller_cwd.empty() && ::chdir(caller_cwd.c_str()) == 0) {
        cwd = caller_cwd;
    } else if (const std::string* home = find_var(env, "HOME")) {
        std::string dir = home->substr(5);
        if (::chdir(dir.c_str()) == 0) cwd = dir;
    }
    if (proc.exact_env) return;
    std::string pwd = "PWD=" + cwd;
    for (auto& e : env) {
        if (e.compare(0, 4, "PWD=") == 0) {
            e = std::move(pwd);
            return;
        }
    }
    env.push_back(std::move(pwd));
}

void check_executable(const Process& proc, const std::vector<std::string>& env) {
    const std::string& name = proc.argv.at(0);
    auto usable = [](const std::string& path) -> int {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return errno;
        if (!S_ISREG(st.st_mode)) return EACCES;
        return ::access(path.c_str(), X_OK) == 0 ? 0 : errno;
    };
    if (name.find('/') != std::string::npos) {
        if (const int e = usable(name)) fail_errno("exec: stat " + name, e);
        return;
    }
    // execvp's search: each PATH entry ("" is the working directory), the
    // C library's default when PATH is unset.
    const std::string* var = find_var(env, "PATH");
    const std::string path = var ? var->substr(5) : "/bin:/usr/bin";
    bool denied = false;
    size_t i = 0;
    while (i <= path.size()) {
        size_t end = path.find(':', i);
        if (end == std::string::npos) end = path.size();
        const std::string dir = path.substr(i, end - i);
        const int e = usable((dir.empty() ? "." : dir) + "/" + name);
        if (e == 0) return;
        if (e == EACCES) denied = true;
        i = end + 1;
    }
    if (denied) fail_errno("exec: \"" + name + "\"", EACCES);
    fail("exec: \"" + name + "\": executable file not found in $PATH: No such file or directory");
}

void exec_payload(const Process& proc, std::vector<std::string>& env) {
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    argv.reserve(proc.argv.size() + 1);
    for (const auto& a : proc.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (proc.argv0) argv[0] = const_cast<char*>(proc.argv0->c_str());
    // execvp searches $PATH of the environment it is given through environ,
    // exactly as bwrap's execvp() does after its setenv() calls.
    environ = envp.data();
    ::execvp(proc.argv[0].c_str(), argv.data());
}

} // namespace burrow::exec
