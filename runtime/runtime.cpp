// placeholder: the runtime helper owns this file
#include "runtime/runtime.hpp"
#include "runtime/error.hpp"
namespace burrow {
int run_sandbox(const Sandbox& sb) { report_error(sb.diag, "runtime not implemented yet"); return 1; }
}
