// A target with planted bugs, so CTest can check that run-fuzzer.sh really
// fails on a crash and on a leak (tests fuzz.selftest_*, expected to fail):
// a fuzz run that cannot fail would prove nothing.
#include <cstdlib>
#include <cstring>

#include "tests/fuzz/fuzz_support.hpp"

void* volatile g_sink;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::as_text(data, size);
    if (in.starts_with("crash")) fuzz::fail("planted crash");
    if (in.starts_with("leak")) {
        g_sink = std::malloc(100);
        g_sink = nullptr; // lost: LeakSanitizer reports it
    }
    return 0;
}
