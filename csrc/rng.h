/* rng.h: splitmix64, a small seeded generator that gives the same numbers
 * on every platform. Used for weight init and the shuffle; not for secrets. */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

typedef struct {
  uint64_t state;
} rng_t;

static inline void rng_seed(rng_t *r, uint64_t seed) { r->state = seed; }

static inline uint64_t rng_next(rng_t *r) {
  uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* As if rng_next had been called n times: splitmix64's state is a counter,
 * so a thread can start its share of a batch where one thread would be. */
static inline void rng_skip(rng_t *r, uint64_t n) { r->state += n * 0x9e3779b97f4a7c15ull; }

/* Uniform in [0, 1) with 24 random bits: exact in float32. */
static inline float rng_uniform(rng_t *r) { return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f); }

/* Uniform integer in [0, n), n >= 1; Lemire's multiply, with the tiny bias
 * of 32-bit n against 64 bits left in (2^-32): fine for a shuffle. */
static inline uint32_t rng_below(rng_t *r, uint32_t n) { return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32); }

/* Standard normal, approximated by the sum of 12 uniforms minus 6 (mean 0,
 * variance 1, tails cut at 6 sigma). Plain arithmetic, so unlike libm-based
 * Box-Muller it is bit-identical natively and in wasm. */
static inline float rng_normal(rng_t *r) {
  float s = 0.0f;
  for (int i = 0; i < 12; i++) s += rng_uniform(r);
  return s - 6.0f;
}

#endif
