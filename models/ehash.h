/*
 * ehash: one host's established hash (doc/kernel-rules.md §8), holding every
 * non-listening TCP socket: request sockets, full sockets and timewait
 * minisockets, found by 4-tuple.
 *
 * Entries are records of two pools (full sockets, timewait minisockets) that
 * start with an ehash_node; a reference is a pool index, with EH_TW set for
 * the timewait pool.  Chains are linked through the nodes, so the table is an
 * array of 4-byte heads and nothing more.
 *
 * Index (inet_ehashfn): <= 6.14 a keyed hash of the 4-tuple masked to the
 * table size; 6.15+ lport + hash(laddr, faddr, fport), so one client's
 * connections to one server fill consecutive buckets.  The hash is a keyed
 * 64-bit mix standing in for jhash_3words/siphash: the secret is random at
 * boot, so only the distribution matters.
 */
#ifndef CONNSIM_EHASH_H
#define CONNSIM_EHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/pool.h"

#define EH_TW  0x80000000u
#define EH_NIL 0xffffffffu

/* Addresses and ports in host order, seen from the socket's host. */
typedef struct tuple4 {
	uint32_t laddr, faddr;
	uint16_t lport, fport;
} tuple4;

static inline bool tuple4_eq(const tuple4 *a, const tuple4 *b)
{
	return a->laddr == b->laddr && a->faddr == b->faddr && a->lport == b->lport && a->fport == b->fport;
}

typedef struct ehash_node {
	tuple4 t;
	uint32_t next;  /* EH_NIL ends the chain */
} ehash_node;

typedef struct ehash ehash;

/* entries: a power of two.  socks, tws: the pools whose records begin with an
 * ehash_node. */
ehash *ehash_new(uint32_t entries, bool linear_lport, uint64_t secret, const pool *socks,
		 const pool *tws);
void ehash_free(ehash *h);

void ehash_insert(ehash *h, uint32_t ref);
void ehash_remove(ehash *h, uint32_t ref);
/* Replace ref old by ref new with the same tuple, in place (inet_twsk_hashdance). */
void ehash_replace(ehash *h, uint32_t old_ref, uint32_t new_ref);
/* EH_NIL when absent. */
uint32_t ehash_lookup(const ehash *h, const tuple4 *t);
/* Brings the chain head of t's bucket into cache (a lookup or removal to
 * come) and returns the bucket, for ehash_lookup_at. */
uint32_t ehash_prefetch(const ehash *h, const tuple4 *t);
/* ehash_lookup when t's bucket is known (from ehash_prefetch). */
uint32_t ehash_lookup_at(const ehash *h, uint32_t bucket, const tuple4 *t);
/* For ehash_remove(ref) to come: brings in the first node of ref's chain when
 * that is not ref itself (the head should be in cache, from ehash_prefetch). */
void ehash_prefetch_chain(const ehash *h, uint32_t ref);
/* Start fetching the first entry of a bucket from ehash_prefetch (its head
 * should be in cache by now): the socket a segment will most likely find. */
void ehash_prefetch_head(const ehash *h, uint32_t bucket);

/*
 * Destination tracking, for port_connect_dest: a bitmap of 65536 bits of the
 * local ports lport such that (laddr, lport, faddr, fport) is in the table,
 * kept up to date from the first call on (which scans the table once).
 * NULL when too many destinations are tracked (the caller falls back to
 * checking each port).
 */
const uint64_t *ehash_track(ehash *h, uint32_t laddr, uint32_t faddr, uint16_t fport);

/*
 * Refusal marks, for a caller whose check of a taken 4-tuple can say yes
 * (tcp_tw_reuse): a second bitmap per tracked destination, of local ports the
 * caller found refused and knows will stay refused until a time it gives
 * (EHASH_FOREVER: while the same entry holds the 4-tuple).  A mark is cleared
 * when its time comes (by ehash_refused) and, earlier, when the entry holding
 * the 4-tuple leaves the table or is replaced (ehash_remove, ehash_replace):
 * a set bit always means "this entry, still refused".  Times are the caller's
 * clock (monotonic, any unit).
 *
 * ehash_refused tracks the destination (as ehash_track), drops the marks whose
 * time is <= now and returns the bitmap; NULL when the destination cannot be
 * tracked.  ehash_refuse marks t->lport for t's destination, which must be
 * tracked with marks (a call to ehash_refused came first).
 */
#define EHASH_FOREVER UINT64_MAX
const uint64_t *ehash_refused(ehash *h, uint32_t laddr, uint32_t faddr, uint16_t fport, uint64_t now);
void ehash_refuse(ehash *h, const tuple4 *t, uint64_t until);

uint32_t ehash_entries(const ehash *h);
uint32_t ehash_count(const ehash *h);
/* Chain-length histogram: hist[i] = buckets with i entries, i < n (the last
 * cell counts longer chains too).  Returns the longest chain. */
uint32_t ehash_chain_hist(const ehash *h, uint64_t *hist, unsigned n);
size_t ehash_bytes(const ehash *h);
/* What a table of entries buckets takes before it tracks any destination,
 * for estimates made before anything is allocated (models/budget.c). */
size_t ehash_bytes_for(uint32_t entries);

#endif
