/* Test payload: makes raw system calls through a chosen ABI and prints each
 * result, so tests can compare what the kernel did under a filter with what
 * the profile says. Built static so no dynamic loader runs under the filter.
 *
 * usage: sc_payload ABI NR A0 A1 A2 A3 A4 A5 [ABI NR A0 ... A5]...
 *   ABI: "x86_64" (syscall), "i386" (int $0x80, works from a 64-bit
 *   process, no 32-bit libraries needed; A5 ignored), "x32" (syscall with nr|0x40000000).
 * prints one line per call: the raw kernel return value (-errno on failure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long native_call(long nr, const unsigned long* a) {
    long ret;
    register unsigned long r10 __asm__("r10") = a[3];
    register unsigned long r8 __asm__("r8") = a[4];
    register unsigned long r9 __asm__("r9") = a[5];
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Five arguments only: the sixth would go in ebp, which this leaf function
 * cannot hand over without touching the stack's red zone. */
static long i386_call(long nr, const unsigned long* a) {
    unsigned int ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"((unsigned int)nr), "b"((unsigned int)a[0]), "c"((unsigned int)a[1]),
                       "d"((unsigned int)a[2]), "S"((unsigned int)a[3]), "D"((unsigned int)a[4])
                     : "memory", "r8", "r9", "r10", "r11");
    return (long)(int)ret;
}

int main(int argc, char** argv) {
    if (argc < 2 || (argc - 1) % 8 != 0) {
        fprintf(stderr, "usage: %s ABI NR A0 A1 A2 A3 A4 A5 ...\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    for (int i = 1; i < argc; i += 8) {
        const char* abi = argv[i];
        long nr = strtol(argv[i + 1], NULL, 0);
        unsigned long a[6];
        for (int k = 0; k < 6; ++k) a[k] = strtoul(argv[i + 2 + k], NULL, 0);
        long ret;
        if (strcmp(abi, "i386") == 0)
            ret = i386_call(nr, a);
        else if (strcmp(abi, "x32") == 0)
            ret = native_call(nr | 0x40000000L, a);
        else
            ret = native_call(nr, a);
        printf("%ld\n", ret);
    }
    fflush(stdout);
    return 0;
}
