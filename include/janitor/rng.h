/*
 * A small pseudo-random generator (xorshift64*) for jitter: the retry
 * backoff and the daemon's sweep schedule.  Never for anything secret.
 */
#ifndef JANITOR_RNG_H
#define JANITOR_RNG_H

#include <stdint.h>

struct jan_rng {
  uint64_t s;                   /* never 0 */
};

/* Seed from getrandom(2), or from the clock and pid when that fails. */
void jan_rng_seed(struct jan_rng *r);
uint64_t jan_rng_next(struct jan_rng *r);

#endif
