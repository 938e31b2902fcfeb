#include "policy/nix/store_query.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "policy/nix/closure.hpp"
#include "runtime/fd.hpp"

extern char** environ;

namespace burrow::nix {

namespace {

struct Pipe {
    Fd r, w;
};

Pipe make_pipe(const std::string& program) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw NixError(program + ": cannot create a pipe: " + std::strerror(errno));
    return {Fd(fds[0]), Fd(fds[1])};
}

// Reads both pipes to EOF together, so neither can fill up and stall the child.
void drain(int out_fd, std::string& out, int err_fd, std::string& err) {
    struct pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sink[2] = {&out, &err};
    int open = 2;
    while (open > 0) {
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (int i = 0; i < 2; ++i) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            ssize_t n = ::read(p[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                p[i].fd = -1;
                --open;
                continue;
            }
            // nix-store's errors are a few lines; cap what we keep of them.
            if (i == 0 || sink[i]->size() < 65536) sink[i]->append(buf, static_cast<size_t>(n));
        }
    }
}

std::string first_line(const std::string& s) {
    size_t start = s.find_first_not_of(" \n");
    if (start == std::string::npos) return {};
    size_t end = s.find('\n', start);
    std::string line = s.substr(start, end == std::string::npos ? end : end - start);
    // Nix colours its "error:" prefix even into a pipe in some versions.
    std::string plain;
    for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\x1b') {
            while (i < line.size() && line[i] != 'm') ++i;
            continue;
        }
        plain += line[i];
    }
    return plain;
}

} // namespace

std::vector<std::string> nix_store_requisites(const std::string& program,
                                              const std::vector<std::string>& store_paths,
                                              const std::string& store_dir) {
    std::vector<std::string> args = {program, "--query", "--requisites"};
    args.insert(args.end(), store_paths.begin(), store_paths.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_store;
    std::vector<char*> envp;
    const std::string store_var = "NIX_STORE_DIR=" + store_dir;
    for (char** e = environ; *e; ++e) {
        if (!store_dir.empty() && std::strncmp(*e, "NIX_STORE_DIR=", 14) == 0) continue;
        envp.push_back(*e);
    }
    if (!store_dir.empty()) envp.push_back(const_cast<char*>(store_var.c_str()));
    envp.push_back(nullptr);

    Pipe out = make_pipe(program), err = make_pipe(program);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out.w.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err.w.get(), STDERR_FILENO);
    // The caller's own fds (bwrap's --file, --sync-fd, ... are not
    // close-on-exec) are meant for the sandbox, not for nix-store.
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
    pid_t pid = -1;
    const bool search = program.find('/') == std::string::npos;
    int rc = search ? posix_spawnp(&pid, program.c_str(), &fa, nullptr, argv.data(), envp.data())
                    : posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw NixError(program + ": cannot run: " + std::strerror(rc));
    out.w.reset();
    err.w.reset();

    std::string text, errors;
    drain(out.r.get(), text, err.r.get(), errors);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw NixError(program + ": waitpid: " + std::strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string why = first_line(errors);
        if (why.empty())
            why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                    : "killed by signal " + std::to_string(WTERMSIG(status));
        throw NixError(program + " --query --requisites failed: " + why);
    }
    std::vector<std::string> paths;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        if (nl > pos) paths.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return paths;
}

} // namespace burrow::nix
