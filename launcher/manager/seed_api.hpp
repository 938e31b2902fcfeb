// The API of the manager burrow succeeds (claude-code-nix-sandbox's
// manager), served in that manager's own shapes so that its clients keep
// working: its paths are `/api/...` without a version (`/api/v1/...` is
// burrow's own API) and `/ws/sandboxes/ID/logs`. Differences that remain,
// on purpose: every request needs the token (the seed had no
// authentication), unknown request fields are refused (the seed ignored
// them), and errors are JSON bodies. launcher/manager/API.md lists them.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace burrow::manager::seed {

using ojson = nlohmann::ordered_json;

// "/api/sandboxes", "/api/metrics/system", ... but not "/api/v1/...".
bool is_seed_path(const std::string& path);

// burrow's sandbox object as the seed's: {id, name, backend ("bubblewrap"
// for the namespace backend), project_dir, status ("running" while it runs
// or starts; "stopped" when stopped through the API or ended with status 0;
// "dead" otherwise), display_num, tmux_session, pid_xvfb, qemu_qmp_socket,
// network (bool), created_at (RFC 3339, UTC)}.
ojson sandbox(const ojson& ours, bool stop_requested);

// The seed's create body ({name, backend, project_dir, network: bool}) as
// burrow's: backend "bubblewrap" names the namespace backend, network true
// is the backend's default network and false is "none". Other fields are
// passed on unchanged (burrow's parser refuses what it does not know).
nlohmann::json create_body(const nlohmann::json& seed_body);

// burrow's agent usage ({"input_tokens", ...}) as the seed's ClaudeMetrics.
ojson claude_metrics(const nlohmann::json& agent);

// The seed's SystemMetrics: cpu_usage (percent: the 1-minute load over the
// CPUs, capped at 100), memory_used/total, disk_used/total (the file system
// of "/"), net_rx/tx_bytes (every interface but lo, /proc/net/dev).
ojson system_metrics(const nlohmann::json& ours);

// Where the last `lines` lines of the log open at fd start (the seed's live
// log sends them first). Reads backwards from the end, at most 1 MiB.
uint64_t backlog_offset(int fd, int lines);

// A chunk of log bytes as valid UTF-8 for a WebSocket text frame: an
// incomplete sequence at the end is kept in `carry` for the next chunk,
// invalid bytes become U+FFFD.
std::string utf8_text(std::string& carry, const char* data, size_t n);

} // namespace burrow::manager::seed
