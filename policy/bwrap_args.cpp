// placeholder: the bwrap front-end helper owns this file
#include "policy/bwrap_args.hpp"
namespace burrow {
HostFacts host_facts_from_process() { return {}; }
BwrapInvocation parse_bwrap_args(const std::vector<std::string>&, const HostFacts&) { throw BwrapUsageError("not implemented"); }
std::string bwrap_usage_text(const std::string& prog) { return "usage: " + prog + " [OPTIONS...] [--] COMMAND [ARGS...]\n"; }
}
