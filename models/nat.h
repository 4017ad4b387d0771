/*
 * nat: source NAT and MASQUERADE on a box (doc/kernel-rules.md §7): which
 * external address and port each new connection gets (get_unique_tuple,
 * find_appropriate_src, find_best_ips_proto, nf_nat_l4proto_unique_tuple per
 * profile, --random, --random-fully, the 6.5 "harder" eviction).
 *
 * The module decides the REPLY tuple of a new conntrack entry; it sees the
 * conntrack table only through nat_ops (is a tuple taken, evict a closing
 * entry), so it can be tested without one.  Translating packets by their
 * entry is the box's job.
 */
#ifndef CONNSIM_NAT_H
#define CONNSIM_NAT_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/ct.h"
#include "models/prof.h"
#include "sim/probe.h"

typedef struct nat_ops {
	void *ctx;
	/* nf_nat_used_tuple: the REPLY tuple would clash with a live entry;
	 * count: a hit counts conntrack's `found` (nf_conntrack_tuple_taken
	 * does; nf_nat_used_tuple_harder's nf_conntrack_find_get does not) */
	bool (*taken)(void *ctx, const ct_tuple *reply, uint32_t ignore_entry, bool count);
	/* nf_nat_used_tuple_harder: evict a closing SNAT entry owning reply */
	bool (*evict_closing)(void *ctx, const ct_tuple *reply, uint32_t seq);
} nat_ops;

typedef struct nat_cfg {
	const uint32_t *addrs;   /* external addresses (MASQUERADE: one); a --to-source
				  * range min..max, ascending (find_best_ips_proto scales
				  * its hash onto the index) */
	unsigned naddrs;
	uint16_t port_lo, port_hi; /* --to-ports; 0, 0: the kernel's port classes */
	bool random;             /* --random (NF_NAT_RANGE_PROTO_RANDOM) */
	bool random_fully;       /* --random-fully */
	bool persistent;         /* --persistent */
} nat_cfg;

typedef struct nat nat;

/*
 * prefix: probe names, "PREFIX.NAME" (a trailing '.' is allowed): counters
 * searches, probes (table lookups), failed, evicted (6.5+ harder rule),
 * port_preserved, bysource (find_appropriate_src reuse), unchecked (tuples
 * installed without a lookup); histogram probes_per_search.  ps may be NULL.
 * rng: the box's kernel stream (get_random_u16; ROVER --random draws its
 * secret from it on first use).
 */
nat *nat_new(const nat_cfg *cfg, const prof *p, const nat_ops *ops, gsl_rng *rng, probe_set *ps,
	     const char *prefix);
void nat_free(nat *n);

/*
 * get_unique_tuple for a new connection's conntrack entry, at SYN time
 * (seq: the SYN's sequence, for the harder rule).  Fills *reply and links
 * the entry into the bysource hash (nf_nat_setup_info does so whatever the
 * outcome).  Returns true when a free tuple was found; false when the search
 * failed, in which case *reply is the last tuple tried (the kernel installs
 * it anyway and confirmation then fails: insert_failed).  Two tuples are
 * installed without a lookup, as in the kernel: ROVER's last port after
 * range_size - 1 taken ones (returns false, though that port may be free)
 * and, in step 3, a --to-ports range of one port that is the client's port
 * (returns true, though it may be taken); both count "unchecked".
 * Choosing again for an entry still linked replaces its link.
 */
bool nat_choose(nat *n, uint32_t entry, const ct_tuple *orig, uint32_t seq, ct_tuple *reply);
/* The entry is gone (confirmed or not): drop its bysource link
 * (nf_nat_cleanup_conntrack).  Unknown entries are ignored. */
void nat_forget(nat *n, uint32_t entry);
/* A new connection with this ORIGINAL tuple will be mapped shortly: start
 * fetching what the search reads first (speed only). */
void nat_prefetch(const nat *n, const ct_tuple *orig);
/* The REPLY tuple nat_choose would look up first for orig, if it would look
 * one up without drawing a random number: a caller can start fetching its
 * bucket (speed only). */
bool nat_first_probe(const nat *n, const ct_tuple *orig, ct_tuple *reply);
/* nat_forget(entry) is to come: start fetching its link (speed only). */
void nat_prefetch_forget(const nat *n, uint32_t entry);
bool nat_owns(const nat *n, uint32_t addr);
/* Entries in the bysource hash (for leak checks: 0 once every entry is gone). */
uint32_t nat_nlinks(const nat *n);
/* What the simulator allocated for the bysource links. */
size_t nat_sim_bytes(const nat *n);

#endif
