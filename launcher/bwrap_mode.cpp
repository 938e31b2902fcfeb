#include "launcher/bwrap_mode.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "policy/bwrap_args.hpp"
#include "runtime/error.hpp"
#include "runtime/runtime.hpp"

namespace burrow {

int bwrap_main(int argc, char** argv, int first_arg) {
    std::vector<std::string> args(argv + first_arg, argv + argc);
    Diagnostics diag; // prog = "bwrap", like the tool scripts expect
    BwrapInvocation inv;
    try {
        inv = parse_bwrap_args(args, host_facts_from_process());
    } catch (const BwrapUsageError& e) {
        if (e.show_usage) {
            std::string text = bwrap_usage_text("bwrap");
            (void)!::write(STDERR_FILENO, text.data(), text.size());
        } else {
            report_error(diag, e.what());
        }
        return 1;
    }
    switch (inv.action) {
    case BwrapInvocation::Action::help: {
        std::string text = bwrap_usage_text("bwrap");
        std::fwrite(text.data(), 1, text.size(), stdout);
        return 0;
    }
    case BwrapInvocation::Action::version:
        std::printf("bubblewrap 0.11.1\n");
        return 0;
    case BwrapInvocation::Action::run:
        break;
    }
    for (const auto& w : inv.warnings) report_warning(inv.sandbox.diag, w);
    return run_sandbox(inv.sandbox);
}

} // namespace burrow
