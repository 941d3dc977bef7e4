#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "janitor/rng.h"

void jan_rng_seed(struct jan_rng *r)
{
  uint64_t seed = 0;
  if(getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
    seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  r->s = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

uint64_t jan_rng_next(struct jan_rng *r)
{
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1DULL;
}
