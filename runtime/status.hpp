// What the caller learns about a running sandbox: bwrap's --info-fd and
// --json-status-fd documents, byte for byte as bwrap prints them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace burrow::status {

using NamespaceIds = std::vector<std::pair<const char*, unsigned long long>>;

// {\n    "child-pid": N,\n    "mnt-namespace": I ...\n}\n
std::string info_document(int child_pid, const NamespaceIds& ids);
// { "child-pid": N, "mnt-namespace": I ... }\n
// extra: further members (", \"key\": value" ...) placed before the "}";
// empty in bwrap mode, so its documents stay byte for byte bwrap's.
std::string json_status_start(int child_pid, const NamespaceIds& ids,
                              const std::string& extra = {});

// JSON string literal (quotes included) of UTF-8 text.
std::string json_quote(const std::string& text);
// ["a", "b"]
std::string json_string_array(const std::vector<std::string>& items);
// { "exit-code": N }\n, bwrap's line; when the payload died of signal S,
// { "exit-code": N, "exit-signal": S }\n (burrow's addition).
std::string json_status_exit(int exit_code, int signal = 0);
// Setup failed before the payload ran (burrow's addition; bwrap writes
// nothing then): { "setup-failed": true, "stage": "pivot-root", "errno": 2,
// "message": "..." }\n, with "signal": S instead of errno when a sandbox
// process was killed during setup.
std::string json_status_setup_failed(const std::string& stage, int err, const std::string& message,
                                     int signal);

// Writes text to the caller's fd; a failure is fatal ("Write to info_fd")
// when required, ignored otherwise (the reader may be gone at the end).
void write_document(int fd, const std::string& text, bool required);

} // namespace burrow::status
