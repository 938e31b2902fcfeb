// The client subcommands of `burrow manager` (burrow-manager(1)), the far
// side of `burrow remote` (burrow-remote(1)):
//   burrow manager request [--state-dir DIR] [--socket PATH]
//       one API request read as a JSON document on stdin,
//       {"method":"POST","path":"/api/v1/sandboxes","body":{...}}; prints
//       the response body; exit 0 on 2xx, else one line
//       "burrow: manager request: HTTP 404: <error>" and exit 1.
//   burrow manager token [--state-dir DIR] [--socket PATH] [--json]
//       prints STATE/token (--json: {"token":..,"socket":..}).
//   burrow manager attach [--state-dir DIR] [--socket PATH] ID
//       `burrow enter` into the project dir of sandbox ID (asked of the
//       manager), with this terminal.
// Nothing here starts a shell: the request travels as data, the project
// dir as one argv word.
#pragma once

namespace CLI {
class App;
}

namespace burrow {

// Adds request, token and attach under MANAGER (the `burrow manager`
// subcommand, registered by launcher/cli/manager_cmd.cpp).
void add_manager_client_subcommands(CLI::App* manager);
// After parsing: the exit status of the client subcommand given, or -1.
int dispatch_manager_client_subcommands();

} // namespace burrow
