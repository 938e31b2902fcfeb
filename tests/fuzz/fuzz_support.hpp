// Shared by the libFuzzer targets in tests/fuzz: the entry point's
// signature, a check that aborts with a message (a finding, not an
// exception the parser is allowed to throw), and an fd leak check.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant: print what broke (libFuzzer then saves the input) and
// abort. Parse errors are thrown and caught by the targets; only this and
// sanitizer reports count as findings.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
    std::abort();
}

inline void check(bool ok, const std::string& what) {
    if (!ok) fail(what);
}

// The lowest free fd number before and after one input: a parser that
// leaks an fd makes it go up (the lowest free slot is taken). Two syscalls,
// cheap enough to run on every input.
class FdLeakCheck {
  public:
    FdLeakCheck() : before_(lowest_free()) {}
    ~FdLeakCheck() noexcept(false) {
        const int after = lowest_free();
        if (after != before_)
            fail("fd leak: lowest free fd was " + std::to_string(before_) + ", now " +
                 std::to_string(after));
    }
    FdLeakCheck(const FdLeakCheck&) = delete;
    FdLeakCheck& operator=(const FdLeakCheck&) = delete;

  private:
    static int lowest_free() {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail("cannot open /dev/null");
        ::close(fd);
        return fd;
    }
    int before_;
};

} // namespace fuzz
