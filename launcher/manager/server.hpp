// `burrow manager`: the event loop (Boost.Asio) serving the API over HTTP
// and WebSocket (Boost.Beast) on a unix socket or a loopback TCP port.
#pragma once

#include <string>

namespace burrow::manager {

struct ManagerOptions {
    std::string socket;    // unix socket path (default STATE/manager.sock)
    std::string listen;    // ADDR:PORT, loopback only; excludes socket
    std::string state_dir; // default ${XDG_STATE_HOME:-~/.local/state}/burrow/manager
    std::string config;    // --config FILE, else burrow's own backends
};

// Runs until SIGTERM or SIGINT. Returns the exit code; errors are one line
// on stderr ("burrow: manager: ...").
int run_manager(ManagerOptions o);

} // namespace burrow::manager
