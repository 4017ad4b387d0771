/*
 * rng: independent random streams derived from one master seed.
 *
 * Every consumer (the workload of each client, the hash secrets of each host,
 * the loss on each path) takes its own stream, named by a string such as
 * "host/1/loss".  The stream's seed is
 *
 *	splitmix64(master ^ splitmix64(fnv1a64(name)) ^ splitmix64(replication + 1))
 *
 * so that changing one component (adding a host, a setting that makes one
 * component draw more numbers) leaves the draws of every other component
 * unchanged: common random numbers across the points of a sweep.
 *
 * The generator is GSL's MT19937 (gsl_rng_mt19937), which takes the low 32 bits
 * of the derived seed; use gsl_ran_* on rng_gsl() for distributions.  With k
 * streams in a run, two streams share a seed with probability about
 * k^2 / 2^33 (1e-4 for a thousand streams).
 */
#ifndef CONNSIM_RNG_H
#define CONNSIM_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

uint64_t rng_seed_for(uint64_t master, uint32_t replication, const char *stream);
gsl_rng *rng_stream(uint64_t master, uint32_t replication, const char *stream);
void rng_free(gsl_rng *r);

/* Uniform 32/64-bit words and bounded integers (Lemire's method, unbiased). */
static inline uint32_t rng_u32(gsl_rng *r)
{
	return (uint32_t)gsl_rng_get(r);  /* MT19937: full 32 bits */
}

static inline uint64_t rng_u64(gsl_rng *r)
{
	uint64_t hi = rng_u32(r);  /* two statements: C leaves operand order unspecified */
	return (hi << 32) | rng_u32(r);
}

uint32_t rng_below(gsl_rng *r, uint32_t n);  /* uniform in [0, n), n > 0 */

/* Vigna's splitmix64 finaliser: a bijective 64-bit mix (inline: the
 * models' hash tables call it per lookup). */
static inline uint64_t rng_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t rng_fnv1a64(const char *s);

#endif
