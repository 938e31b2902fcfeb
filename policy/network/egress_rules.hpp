// The grammar of egress allowlist rules, shared by policy files ([network]
// allow = [...], forward = [...]) and `burrow launch --allow-net RULE`:
//
//   NAME[:PORT]          api.example.com, registry.npmjs.org:443
//   *.NAME[:PORT]        every name strictly below NAME (not NAME itself)
//   IPv4[/PREFIX][:PORT] 10.1.2.3:22, 10.1.2.0/24
//   [IPv6[/PREFIX]][:PORT]  [2001:db8::/32]:443, [::1]:8080
//   forward: tcp:PORT    the caller's 127.0.0.1:PORT at the sandbox's own
//
// No port: every port. Names are LDH labels of 1 to 63 characters, at most
// 253 in all, case-insensitive (stored lower case, a trailing dot dropped).
// An address rule's addr is masked to its prefix; `text` keeps what was
// written, for messages, `policy show` and the status file's summary.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sandbox.hpp"

namespace burrow::policy {

// What is wrong with a rule, without the rule or where it came from
// ("bad CIDR prefix 33"): the caller says which key or option it was.
struct EgressRuleError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

EgressRule parse_egress_rule(std::string_view text);
PortForward parse_forward(std::string_view text);

// Does `base` allow everything `rule` allows? (The same rule, a wildcard
// above its name, a shorter prefix around its range; a rule without port
// covers every port.) Layering uses it: a layer may only narrow the list.
bool rule_covers(const EgressRule& base, const EgressRule& rule);
bool covered_by_any(const EgressRule& rule, const std::vector<EgressRule>& base);

// An address rule that reaches loopback (127.0.0.0/8, ::1): the caller's,
// since the proxy connects from the caller's network namespace.
bool reaches_loopback(const EgressRule& rule);

// For programs that prefer a proxy (git, pip, npm, Go's net/http with
// HTTPS_PROXY): the egress proxy's CONNECT endpoint on the sandbox's own
// loopback, held to the same rules. Sets egress.connect_proxy_port (3128, a
// proxy's customary port, unless a forward takes it) and adds HTTPS_PROXY,
// https_proxy, HTTP_PROXY, http_proxy, NO_PROXY and no_proxy to env
// ("NAME=value") unless env sets them already. Used for policy files'
// allowlist and the container backend's.
void offer_connect_proxy(Egress& egress, std::vector<std::string>& env);

} // namespace burrow::policy
