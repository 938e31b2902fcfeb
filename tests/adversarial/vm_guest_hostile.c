// A hostile command for the VM backend's adversarial tests: it runs as root
// in the guest (the test launches as root) and attacks the host side of
// burrow through what a guest controls. Static: the guest has the host's
// /usr, but the test copies this binary into the project dir and runs it
// from there. Modes:
//   ctl-flood-raw     64 KiB chunks without a newline on the control port
//   ctl-flood-lines   well-formed junk lines for SECONDS, then exit 7
//   console-flood     BYTES written to the serial console, then exit 0
//   enter-bigframe    kill the enter server, take its port (then the file
//                     took-the-port in the cwd), answer the next host with an
//                     'o' frame of length 0x7ffffff0
//   enter-stop        SIGSTOP the enter server (then the file stopped), sleep
// The control port belongs to the agent (pid 1): pidfd_getfd takes a copy
// of its fd, as guest root can.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int read_small(const char* path, char* buf, size_t n) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t r = read(fd, buf, n - 1);
    close(fd);
    if (r < 0) return -1;
    buf[r] = 0;
    while (r > 0 && buf[r - 1] == '\n') buf[--r] = 0;
    return 0;
}

// "/dev/vportNpM" of the port named `name`.
static int port_dev(const char* name, char* dev, size_t n) {
    DIR* d = opendir("/sys/class/virtio-ports");
    if (!d) return -1;
    struct dirent* e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[600], v[128];
        snprintf(p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
        if (read_small(p, v, sizeof v) == 0 && strcmp(v, name) == 0) {
            snprintf(dev, n, "/dev/%s", e->d_name);
            closedir(d);
            return 0;
        }
    }
    closedir(d);
    return -1;
}

// pid 1's fd open on the port `name`, copied into this process.
static int steal_port(const char* name) {
    char dev[300];
    if (port_dev(name, dev, sizeof dev) < 0) return -1;
    int pidfd = (int)syscall(SYS_pidfd_open, 1, 0);
    if (pidfd < 0) return -1;
    DIR* d = opendir("/proc/1/fd");
    if (!d) return -1;
    struct dirent* e;
    int fd = -1;
    while ((e = readdir(d)) && fd < 0) {
        char p[300], t[300];
        snprintf(p, sizeof p, "/proc/1/fd/%s", e->d_name);
        ssize_t n = readlink(p, t, sizeof t - 1);
        if (n <= 0) continue;
        t[n] = 0;
        if (strcmp(t, dev) == 0) fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
    }
    closedir(d);
    return fd;
}

// The agent's enter server: a child of pid 1 running /init, not us.
static pid_t enter_server(void) {
    DIR* d = opendir("/proc");
    struct dirent* e;
    pid_t found = -1;
    while (d && (e = readdir(d))) {
        pid_t pid = atoi(e->d_name);
        if (pid <= 1 || pid == getpid()) continue;
        char p[64], s[512];
        snprintf(p, sizeof p, "/proc/%d/stat", pid);
        if (read_small(p, s, sizeof s) < 0) continue;
        char* rp = strrchr(s, ')');
        int ppid = 0;
        if (!rp || sscanf(rp + 2, "%*c %d", &ppid) != 1 || ppid != 1) continue;
        if (strstr(s, "(init)")) found = pid;
    }
    if (d) closedir(d);
    return found;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void write_all(int fd, const char* b, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w <= 0) return;
        b += w, n -= (size_t)w;
    }
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const char* mode = argv[1];
    double secs = argc > 2 ? atof(argv[2]) : 5;
    static char chunk[65536];
    if (strcmp(mode, "ctl-flood-raw") == 0) {
        int fd = steal_port("burrow.ctl");
        if (fd < 0) return perror("steal ctl"), 3;
        memset(chunk, 'A', sizeof chunk);
        for (;;) write_all(fd, chunk, sizeof chunk); // until the host stops the machine
    }
    if (strcmp(mode, "ctl-flood-lines") == 0) {
        int fd = steal_port("burrow.ctl");
        if (fd < 0) return perror("steal ctl"), 3;
        for (size_t i = 0; i + 8 <= sizeof chunk; i += 8) memcpy(chunk + i, "junk 1\nx", 8);
        chunk[sizeof chunk - 1] = '\n';
        double end = now() + secs;
        while (now() < end) write_all(fd, chunk, sizeof chunk);
        close(fd);
        return 7;
    }
    if (strcmp(mode, "console-flood") == 0) {
        int fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
        if (fd < 0) return perror("/dev/ttyS0"), 3;
        memset(chunk, 'C', sizeof chunk);
        for (size_t i = 79; i < sizeof chunk; i += 80) chunk[i] = '\n';
        for (double done = 0; done < secs; done += 4096) write_all(fd, chunk, 4096);
        return 0;
    }
    if (strcmp(mode, "enter-bigframe") == 0 || strcmp(mode, "enter-stop") == 0) {
        pid_t srv = enter_server();
        if (srv < 0) return fprintf(stderr, "no enter server\n"), 3;
        if (strcmp(mode, "enter-stop") == 0) {
            kill(srv, SIGSTOP);
            close(open("stopped", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
            for (;;) pause();
        }
        kill(srv, SIGKILL);
        char dev[300];
        if (port_dev("burrow.enter", dev, sizeof dev) < 0) return 3;
        int fd = -1;
        for (int i = 0; i < 500 && fd < 0; ++i) {
            fd = open(dev, O_RDWR | O_CLOEXEC);
            if (fd < 0) usleep(10000);
        }
        if (fd < 0) return perror(dev), 3;
        close(open("took-the-port", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        // Wait for the host's hello, then the frame header that claims
        // 0x7ffffff0 bytes, and a trickle of what follows.
        char buf[4096];
        for (;;) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, -1) > 0 && (p.revents & POLLIN) && read(fd, buf, sizeof buf) > 0) break;
            if (p.revents & POLLHUP) usleep(100000);
        }
        const char hdr[5] = {'o', (char)0xf0, (char)0xff, (char)0xff, 0x7f};
        write_all(fd, hdr, sizeof hdr);
        memset(chunk, 'B', sizeof chunk);
        for (;;) write_all(fd, chunk, sizeof chunk);
    }
    return 2;
}
