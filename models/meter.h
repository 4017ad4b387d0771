/*
 * meter: measurements of a world's kernel tables that are not probes: the
 * memory the kernel would use for each table, the client's port pool, and
 * the conntrack tables' bucket chains at the end of a run.
 */
#ifndef CONNSIM_METER_H
#define CONNSIM_METER_H

#include <glib.h>
#include <stdint.h>

#include "models/world.h"

/*
 * Memory the kernel would use for a table, as a linear function of a gauge:
 * bytes = per x gauge + fixed (gauge "" : a constant), so that its
 * time-weighted mean and peak follow the gauge's exactly.
 */
typedef struct meter_kmem {
	char name[64];   /* "kmem.client.timewait", ... */
	char gauge[64];  /* "client.timewait", ... or "" */
	double per, fixed;
} meter_kmem;
/* Every table's kmem line, in a fixed order; free with g_array_unref. */
GArray *meter_kmem_list(const world *w);

/* Port pool N for the Erlang B comparison of the single-destination case
 * (doc/kernel-rules.md §9.1), from the first client. */
unsigned meter_port_pool(const world *w);

/* One box's conntrack bucket chains now (nodes per bucket; each entry has
 * two, ORIGINAL and REPLY), beside what a uniform hash gives: Poisson(load)
 * per bucket, and the expected maximum of the buckets. */
typedef struct meter_chains {
	const char *box;          /* "nat", "firewall" */
	double load;              /* nodes / buckets */
	double buckets;
	uint32_t longest;
	unsigned p99;             /* the 99th percentile of chain lengths */
	unsigned poisson_p99;     /* the same for a uniform hash */
	double poisson_max;       /* the expected longest for a uniform hash */
	uint64_t *hist;           /* buckets of each length 0..longest */
} meter_chains;
void meter_chains_get(const world *w, unsigned box, meter_chains *out);
void meter_chains_clear(meter_chains *c);
/* Buckets a Poisson law with the chains' load expects at length i. */
double meter_chains_expected(const meter_chains *c, uint32_t i);

#endif
