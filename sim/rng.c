#include "sim/rng.h"

#include "sim/bug.h"

#include <glib.h>
#include <stdlib.h>

uint64_t rng_fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t rng_seed_for(uint64_t master, uint32_t replication, const char *stream)
{
	return rng_splitmix64(master ^ rng_splitmix64(rng_fnv1a64(stream)) ^
			      rng_splitmix64((uint64_t)replication + 1));
}

gsl_rng *rng_stream(uint64_t master, uint32_t replication, const char *stream)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	BUG_ON(!r);  /* out of memory: GSL's error handler normally stops first */
	gsl_rng_set(r, (unsigned long)rng_seed_for(master, replication, stream));
	return r;
}

void rng_free(gsl_rng *r)
{
	if (r)
		gsl_rng_free(r);
}

uint32_t rng_below(gsl_rng *r, uint32_t n)
{
	/* Lemire, "Fast random integer generation in an interval" (2019). */
	uint64_t m = (uint64_t)rng_u32(r) * n;
	uint32_t l = (uint32_t)m;
	if (l < n) {
		uint32_t t = (uint32_t)-n % n;
		while (l < t) {
			m = (uint64_t)rng_u32(r) * n;
			l = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}
