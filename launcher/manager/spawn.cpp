#include "launcher/manager/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace burrow::manager {

std::vector<std::string> current_environment() {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    return env;
}

pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& terminal) {
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (terminal.empty()) {
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    } else {
        // After setsid (posix_spawn does it first), opening the slave
        // without O_NOCTTY makes it the controlling terminal.
        flags |= POSIX_SPAWN_SETSID;
        posix_spawn_file_actions_addopen(&fa, 0, terminal.c_str(), O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, 0, 1);
        posix_spawn_file_actions_adddup2(&fa, 0, 2);
    }
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, flags);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, args[0], &fa, &at, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) throw std::runtime_error(argv[0] + ": " + std::strerror(rc));
    return pid;
}

} // namespace burrow::manager
