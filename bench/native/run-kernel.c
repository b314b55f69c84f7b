/* Runs one benchmark kernel natively: the same bytes glassbox runs.
 * usage: run-kernel KERNELS.bin INDEX ITERATIONS  -> prints elapsed nanoseconds */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef void (*kernel_fn)(uint32_t iterations, void *buffer);

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s KERNELS.bin INDEX ITERATIONS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    uint8_t *code = mmap(NULL, 65536, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t n = fread(code, 1, 65536, f);
    fclose(f);
    if (code == MAP_FAILED || n < 16) { fprintf(stderr, "cannot load kernels\n"); return 2; }
    uint32_t entry;
    memcpy(&entry, code + 4 * atoi(argv[2]), 4);
    uint8_t *buffer = aligned_alloc(4096, 65536);
    memset(buffer, 1, 65536);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ((kernel_fn)(code + entry))((uint32_t)strtoul(argv[3], NULL, 0), buffer);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
    return 0;
}
