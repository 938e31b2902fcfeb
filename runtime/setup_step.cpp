#include "runtime/setup_step.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace burrow::setup_step {

namespace {

const char* const names[] = {"none",
#define BURROW_STEP_NAME(id, name) name,
                             BURROW_SETUP_STEPS(BURROW_STEP_NAME)
#undef BURROW_STEP_NAME
};

struct Shared {
    volatile int step[4];
    volatile int finished[4]; // setup_finished(), per role
    volatile int failed;      // set last, once err and message are written
    int failed_step;          // not in step[]: the monitor goes on writing its own
    int err;
    char message[768];
};

Shared* shared = nullptr;
Role role = Role::monitor;
Step local = Step::none;

#ifdef BURROW_FAULT_INJECTION
// Read once, at the first step of the process that started the sandbox.
struct Fault {
    int step = -1;
    int nth = 1;
    int seen = 0;
};
Fault& fault() {
    static Fault f = [] {
        Fault x;
        if (const char* s = std::getenv("BURROW_FAULT_STEP")) {
            char* end = nullptr;
            long n = std::strtol(s, &end, 10);
            if (end != s && *end == '\0') {
                x.step = static_cast<int>(n);
            } else {
                for (int i = 1; i <= count(); ++i)
                    if (std::strcmp(names[i], s) == 0) x.step = i;
            }
        }
        if (const char* s = std::getenv("BURROW_FAULT_NTH")) x.nth = std::atoi(s);
        return x;
    }();
    return f;
}
#endif

#ifdef BURROW_FAULT_INJECTION
// pid 1 of a namespace cannot signal itself to death (the kernel drops
// SIGKILL from inside); a real fault still kills it, so pid 1 dies of
// SIGSEGV instead, without a core file.
[[noreturn]] void die_abruptly() {
    if (::getpid() == 1) {
        struct rlimit none {};
        ::setrlimit(RLIMIT_CORE, &none);
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        volatile int* nowhere = nullptr;
        *nowhere = 0;
    }
    ::kill(::getpid(), SIGKILL);
    ::_exit(137);
}
#endif

} // namespace

const char* name(Step s) {
    const int i = static_cast<int>(s);
    return i >= 0 && i <= count() ? names[i] : "unknown";
}

bool fault_injection_built() {
#ifdef BURROW_FAULT_INJECTION
    return true;
#else
    return false;
#endif
}

void begin_sandbox() {
#ifdef BURROW_FAULT_INJECTION
    (void)fault();
#endif
    if (!shared) {
        void* p = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) shared = static_cast<Shared*>(p);
    }
    if (shared) std::memset(static_cast<void*>(shared), 0, sizeof(Shared));
    role = Role::monitor;
    local = Step::none;
}

void set_role(Role r) {
    role = r;
}

void enter(Step s) {
    local = s;
    if (shared) shared->step[static_cast<int>(role)] = static_cast<int>(s);
#ifdef BURROW_FAULT_INJECTION
    Fault& f = fault();
    if (f.step == static_cast<int>(s) && ++f.seen == f.nth) die_abruptly();
#endif
}

Step current() {
    return local;
}

void record_failure(int err, const char* message) {
    if (!shared || shared->failed) return;
    shared->err = err;
    std::strncpy(shared->message, message, sizeof shared->message - 1);
    shared->step[static_cast<int>(role)] = static_cast<int>(local);
    shared->failed_step = static_cast<int>(local);
    shared->failed = 1;
}

void setup_finished() {
    if (shared) shared->finished[static_cast<int>(role)] = 1;
}

Report child_report(bool pid1_died) {
    Report r;
    if (!shared) return r;
    r.pid1_finished = shared->finished[static_cast<int>(Role::pid1)] != 0;
    if (shared->failed) {
        r.valid = true;
        r.step = static_cast<Step>(shared->failed_step);
        r.err = shared->err;
        std::memcpy(r.message, shared->message, sizeof r.message);
        r.message[sizeof r.message - 1] = '\0';
        return r;
    }
    if (pid1_died && shared->step[static_cast<int>(Role::pid1)] != 0) {
        r.step = static_cast<Step>(shared->step[static_cast<int>(Role::pid1)]);
        return r;
    }
    int furthest = 0;
    for (int i = 1; i < 4; ++i)
        if (shared->step[i] > furthest) furthest = shared->step[i];
    r.step = static_cast<Step>(furthest);
    return r;
}

} // namespace burrow::setup_step
