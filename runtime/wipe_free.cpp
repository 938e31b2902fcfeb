// Every block the C++ allocator gives back is wiped first (burrow
// executable only; see launcher/CMakeLists.txt).
//
// Why: burrow's sandbox processes (the monitor, pid 1 of the sandbox, the
// container helper) are clones of the launching process, so they carry its
// whole heap: the caller's environment as copied into std::strings before
// the environ area was scrubbed (bubblewrap issue 725), argv, policy and
// seed files. A payload that can read pid 1's memory (bwrap mode keeps pid
// 1 dumpable for an unprivileged caller, as bwrap does, so that
// `nsenter -t`/`flatpak enter` work) must find none of it once freed: a
// freed std::string or vector buffer is otherwise left as it was. What is
// still alive at clone time is what the sandbox is given anyway (its
// environment, its argv). The cost is one memset per freed block, a few
// hundred KiB per start.
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <cstddef>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer its allocator owns new and delete (replacing only
// delete is an alloc-dealloc mismatch to it): ask it to fill freed blocks
// instead, with the same size limit. ASAN_OPTIONS from the environment is
// applied after this and may change other flags.
extern "C" const char* __asan_default_options() {
    return "max_free_fill_size=131072";
}
#else
namespace {

// Blocks from 128 KiB up are glibc's mmap()ed chunks (M_MMAP_THRESHOLD's
// default): free() unmaps them, the kernel zeroes the pages, and wiping them
// first would only fault in pages never written (a large reserve()).
constexpr std::size_t kUnmappedOnFree = 128 * 1024;

inline void wipe_and_free(void* p) noexcept {
    if (p == nullptr) return;
    const std::size_t n = ::malloc_usable_size(p);
    if (n < kUnmappedOnFree) ::explicit_bzero(p, n);
    ::free(p);
}

} // namespace

void operator delete(void* p) noexcept {
    wipe_and_free(p);
}
void operator delete[](void* p) noexcept {
    wipe_and_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    wipe_and_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    wipe_and_free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    wipe_and_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    wipe_and_free(p);
}
#endif
