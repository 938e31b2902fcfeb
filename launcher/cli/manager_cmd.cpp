#include "launcher/cli/manager_cmd.hpp"

#include "launcher/manager/server.hpp"

namespace burrow {
namespace {

CLI::App* cmd = nullptr;
manager::ManagerOptions opts;

} // namespace

void add_manager_subcommand(CLI::App& app) {
    cmd =
        app.add_subcommand("manager", "Run the sandbox manager: REST API, WebSockets and dashboard "
                                      "(see burrow-manager(1))");
    auto* s =
        cmd->add_option("--socket", opts.socket,
                        "unix socket to listen on, mode 0600 (default STATE_DIR/manager.sock)");
    auto* l = cmd->add_option("--listen", opts.listen,
                              "loopback ADDR:PORT to listen on instead (port 0: any free one)");
    s->excludes(l);
    cmd->add_option("--state-dir", opts.state_dir,
                    "the manager's state: token, records, logs "
                    "(default ${XDG_STATE_HOME:-~/.local/state}/burrow/manager)");
    cmd->add_option("--config", opts.config,
                    "backends file (JSON, written by nix/manager/package.nix); default: "
                    "burrow's namespace, container and vm backends");
}

int dispatch_manager_subcommand() {
    if (!cmd || !cmd->parsed()) return -1;
    return manager::run_manager(opts);
}

} // namespace burrow
