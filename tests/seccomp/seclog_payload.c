/* Test payload for the seccomp denial log: THREADS threads each make CALLS
 * raw keyctl(KEYCTL_GET_KEYRING_ID, 0, 0) calls at once (refused by every
 * built-in profile), and the program reports how many got exactly -EXPECT.
 * Exits with EXIT_CODE so tests can see the status pass through unchanged.
 *
 * usage: seclog_payload THREADS CALLS EXPECT EXIT_CODE
 * prints: "denied N of M"
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long calls, expect;

static void* worker(void* arg) {
    long ok = 0;
    (void)arg;
    for (long i = 0; i < calls; ++i) {
        long r = syscall(SYS_keyctl, 0, 0, 0, 0, 0);
        /* syscall() returns -1 and sets errno on failure. */
        if (r == -1 && errno == expect) ++ok;
    }
    return (void*)ok;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s THREADS CALLS EXPECT EXIT_CODE\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[1]);
    calls = atol(argv[2]);
    expect = atol(argv[3]);
    if (threads < 1 || threads > 64) return 2;
    pthread_t t[64];
    for (int i = 0; i < threads; ++i)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0) return 3;
    long total = 0;
    for (int i = 0; i < threads; ++i) {
        void* ok;
        pthread_join(t[i], &ok);
        total += (long)ok;
    }
    printf("denied %ld of %ld\n", total, calls * threads);
    return atoi(argv[4]);
}
