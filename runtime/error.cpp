#include "runtime/error.hpp"

#include <unistd.h>

#include <cstring>

#include "runtime/io.hpp"

namespace burrow {

void fail_errno(const std::string& what, int err) {
    throw SetupError(what + ": " + std::strerror(err), err);
}

void fail(const std::string& message) {
    throw SetupError(message);
}

namespace {
void emit(const Diagnostics& diag, const char* level, const std::string& message) {
    std::string line;
    if (diag.level_prefix) line += level;
    line += diag.prog;
    line += ": ";
    line += message;
    line += '\n';
    // One write so concurrent sandboxes never interleave half lines.
    (void)write_all(STDERR_FILENO, line);
}
} // namespace

void report_error(const Diagnostics& diag, const std::string& message) {
    emit(diag, "<3>", message);
}
void report_warning(const Diagnostics& diag, const std::string& message) {
    emit(diag, "<4>", message);
}
void report_info(const Diagnostics& diag, const std::string& message) {
    emit(diag, "<6>", message);
}

} // namespace burrow
