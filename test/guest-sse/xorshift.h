/* The test programs' random inputs: Marsaglia's xorshift32 from SEED, which
 * the program defines before including this. */
#include <stdint.h>

static uint32_t state = SEED;
static uint32_t next(void) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}
