/*
 * ct: one netfilter box's connection-tracking table (nf_conntrack), for TCP
 * (doc/kernel-rules.md §6).
 *
 * Every entry has two tuples, ORIGINAL (as the first packet saw it) and
 * REPLY (what the answer looks like, after NAT), each hashed into the one
 * bucket array with the profile's hash, so chain lengths are real.  Packets
 * crossing the box in either direction drive the TCP state table
 * (tcp_conntracks), set ASSURED and re-arm the state's timeout
 * (nf_conntrack_tcp_timeout_*).  Expiry follows the profile: a timer per
 * entry (<= ~4.6) or absolute timeouts with lazy removal and gc_worker.  At
 * nf_conntrack_max a new entry triggers early_drop, else the packet is dropped.
 * Counters are named as `conntrack -S` names them, under "PREFIX.": found,
 * insert, insert_failed, drop, early_drop, chaintoolong, invalid; then
 * "ignore", which here counts packets the TCP table IGNOREs (sIG; the
 * kernel only logs those, its own `ignore` stat counts packets that arrive
 * already attached to an entry, which cannot happen here).  Gauges:
 * "PREFIX.count" (nf_conntrack_count: dead entries not yet reaped included),
 * "PREFIX.assured" and "PREFIX.state.NAME" (live entries: confirmed and not
 * expired).
 *
 * Window tracking (tcp_in_window) is not modelled: every packet is in
 * window, as with nf_conntrack_tcp_be_liberal for all but out-of-window RSTs.
 * Its side effects that decide timeouts are: the highest sequence sent and
 * acknowledged per direction (DATA_UNACKNOWLEDGED, the exact-RST rule) and
 * the retransmission counter (an ACK-class packet identical to the previous
 * one in direction, seq, ack and length).
 *
 * The module is split as the kernel splits conntrack: ct_core.c (the table),
 * ct_proto_tcp.c (the TCP state tracker), ct_gc.c (gc_worker, early_drop),
 * sharing ct_int.h; this header is its whole interface.
 */
#ifndef CONNSIM_CT_H
#define CONNSIM_CT_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/prof.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* Addresses and ports in host order; protocol TCP. */
typedef struct ct_tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
} ct_tuple;

static inline bool ct_tuple_eq(const ct_tuple *a, const ct_tuple *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport && a->dport == b->dport;
}

static inline ct_tuple ct_invert(const ct_tuple *t)
{
	return (ct_tuple){ t->dst, t->src, t->dport, t->sport };
}

enum { CT_ORIGINAL = 0, CT_REPLY = 1 };

#define CT_NIL UINT32_MAX  /* no entry */

/* The TCP conntrack states (enum tcp_conntrack). */
#define CT_STATE_MAP(X) \
	X(NONE)         \
	X(SYN_SENT)     \
	X(SYN_RECV)     \
	X(ESTABLISHED)  \
	X(FIN_WAIT)     \
	X(CLOSE_WAIT)   \
	X(LAST_ACK)     \
	X(TIME_WAIT)    \
	X(CLOSE)        \
	X(SYN_SENT2)

typedef enum ct_state {
#define X(s) CT_##s,
	CT_STATE_MAP(X)
#undef X
	CT_NSTATES
} ct_state;

const char *ct_state_name(ct_state s);

/* TCP flags of a packet, as far as tcp_conntracks looks at them. */
enum { CT_F_SYN = 1, CT_F_ACK = 2, CT_F_FIN = 4, CT_F_RST = 8 };

typedef struct ct_pkt {
	ct_tuple t;      /* as the packet is on the wire when it reaches the box */
	uint8_t flags;
	uint32_t seq, ack;
	uint32_t len;    /* payload bytes (0: none); data not yet acknowledged caps
			  * ESTABLISHED at nf_conntrack_tcp_timeout_unacknowledged */
} ct_pkt;

typedef struct ct_table ct_table;

/*
 * Chooses the REPLY tuple of a new entry before it is confirmed (the NAT
 * hook: nf_nat_setup_info / get_unique_tuple).  *reply comes in as the
 * inverse of orig; return false to drop the packet.
 */
typedef bool (*ct_setup_fn)(void *ctx, ct_table *ct, uint32_t entry, const ct_tuple *orig, ct_tuple *reply);
/* Called when an entry that went through setup() is destroyed, confirmed or
 * not (NAT forgets its bysource link), as nf_conntrack_free calls the NAT
 * hook for IPS_SRC_NAT_DONE entries; its tuples are still readable. */
typedef void (*ct_destroy_fn)(void *ctx, uint32_t entry);

/* The nf_conntrack_tcp_timeout_* a table uses, in seconds (tcp_timeouts[]:
 * the states with a sysctl, then the two overrides). */
enum {
	CT_TMO_SYN_SENT, CT_TMO_SYN_RECV, CT_TMO_ESTABLISHED, CT_TMO_FIN_WAIT, CT_TMO_CLOSE_WAIT,
	CT_TMO_LAST_ACK, CT_TMO_TIME_WAIT, CT_TMO_CLOSE, CT_TMO_MAX_RETRANS, CT_TMO_UNACK, CT_NTIMEOUTS
};

/* A table's settings: the box's sysctls and its profile's rule variants. */
typedef struct ct_cfg {
	uint32_t buckets;          /* nf_conntrack_buckets (0: 1) */
	uint32_t max;              /* nf_conntrack_max (0: no limit) */
	unsigned timeout[CT_NTIMEOUTS];
	bool loose;                /* nf_conntrack_tcp_loose: pick up mid-stream connections */
	bool be_liberal;           /* nf_conntrack_tcp_be_liberal; every packet is in window here
				    * (tcp_in_window is not modelled), so it changes nothing yet */
	unsigned max_retrans;      /* nf_conntrack_tcp_max_retrans */
	unsigned hz;               /* CONFIG_HZ, the gc worker's clock (0: 250) */
	/* the rule variants (prof.h says which kernels have which) */
	prof_ctgc gc;
	prof_ctearly early;
	bool early_next_bucket;    /* prof.ct_early_next_bucket */
	bool chain_limit;          /* prof.ct_chain_limit */
	bool reply_syn_in_tw;      /* prof.ct_reply_syn_in_tw */
	bool clash_counts_drop;    /* prof.ct_clash_counts_drop */
	bool found_taken_only;     /* prof.ct_found_taken_only */
	bool confirm_counts_insert; /* prof.ct_confirm_counts_insert */
	bool rst_exact_seq;        /* prof.ct_rst_exact_seq */
	bool pickup_unack_cap;     /* prof.ct_pickup_unack_cap */
	bool syn_retrans_no_renew; /* prof.ct_syn_retrans_no_renew */
	unsigned entry_bytes;      /* prof.ct_entry_bytes: kernel memory per entry */
} ct_cfg;

/* Sets c's rule variants (gc ... entry_bytes) to profile p's. */
void ct_cfg_rules(ct_cfg *c, const prof *p);

/* c: the table's settings (copied).  rng: the box's kernel stream (hash
 * seed, chain limit). */
ct_table *ct_new(const ct_cfg *c, ev_loop *L, probe_set *ps, const char *prefix, gsl_rng *rng);
void ct_free(ct_table *ct);
/* prefetch (may be NULL) is called first, before the entry leaves its
 * chains: it may start fetching what fn will touch, so that both overlap,
 * and must change nothing (speed only). */
void ct_set_destroy_hook(ct_table *ct, ct_destroy_fn fn, ct_destroy_fn prefetch, void *ctx);

/*
 * Network namespaces on one host: the kernel keeps one conntrack hash and
 * one gc worker per host (nf_conntrack_hash, conntrack_gc_work in
 * nf_conntrack_core.c), whose interval (5.19+: the average remaining timeout
 * of every entry it scans) is then set by every namespace's entries.  From
 * now on owner's worker also reaps peer's entries, in the same passes; peer
 * keeps its own count (net->ct.count, checked by __nf_conntrack_alloc
 * against nf_conntrack_max) and counters.  Both must be empty, on the same
 * profile and HZ; a table joins one owner at most.
 */
void ct_share_gc(ct_table *owner, ct_table *peer);

/* Observe early_drop (models/tap.h), as box index; NULL detaches. */
typedef struct tap tap;
void ct_set_tap(ct_table *ct, const tap *t, int index);

typedef enum ct_verdict { CT_ACCEPT, CT_DROP } ct_verdict;

typedef struct ct_result {
	uint32_t entry;   /* valid when accepted and tracked; CT_NIL otherwise */
	int dir;          /* CT_ORIGINAL or CT_REPLY */
	bool tracked;     /* false: INVALID or untracked, passed as is */
	bool created;     /* a new entry was confirmed for this packet */
	bool destroyed;   /* the packet ended its entry (a RST before any reply):
			   * ct_tuples(entry) stays readable until the next ct_in */
	uint8_t drop;     /* CT_DROP: why (ct_drop_why) */
} ct_result;

typedef enum ct_drop_why {
	CT_WHY_NONE,
	CT_WHY_FULL,      /* nf_conntrack_max reached and early_drop found nothing */
	CT_WHY_CLASH,     /* confirmation found a tuple taken (insert_failed) */
	CT_WHY_CHAIN,     /* confirmation: chain too long */
	CT_WHY_SETUP,     /* the setup hook refused */
} ct_drop_why;

/*
 * One packet through the box at the engine's current time (setup may be
 * NULL: the REPLY tuple is then the inverse of the ORIGINAL one):
 * nf_conntrack_in (lookup, or a new entry via tcp_new / loose pick-up,
 * __nf_conntrack_alloc with early_drop at nf_conntrack_max, setup() for the
 * reply tuple), tcp_packet (state, ASSURED, timeout) and
 * nf_conntrack_confirm (insert both tuples; a clash -> insert_failed, drop).
 * A new SYN on an entry in TIME_WAIT/CLOSE kills it and starts a fresh one.
 */
ct_verdict ct_in(ct_table *ct, const ct_pkt *p, ct_setup_fn setup, void *ctx, ct_result *out);
/* ct_in for a caller that has just looked p's tuple up with ct_find (found,
 * dir: its result) and changed nothing since: the same, without a second
 * walk of the chain. */
ct_verdict ct_in_found(ct_table *ct, const ct_pkt *p, uint32_t found, int dir, ct_setup_fn setup, void *ctx,
		       ct_result *out);

void ct_tuples(const ct_table *ct, uint32_t entry, ct_tuple *orig, ct_tuple *reply);
ct_state ct_entry_state(const ct_table *ct, uint32_t entry);
bool ct_entry_assured(const ct_table *ct, uint32_t entry);
/* Absolute expiry (ns of simulated time) of a confirmed entry. */
ev_time ct_entry_expires(const ct_table *ct, uint32_t entry);

/* nf_conntrack_find_get: the live entry having t as its ORIGINAL or REPLY
 * tuple (*dir says which), or CT_NIL; expired entries met on the way are
 * reaped.  Counts nothing. */
uint32_t ct_find(ct_table *ct, const ct_tuple *t, int *dir);
/* The bucket of t: reciprocal_scale(hash(t), nf_conntrack_buckets). */
uint32_t ct_bucket_of(const ct_table *ct, const ct_tuple *t);
/* A packet with tuple t will arrive shortly: start fetching its bucket
 * (speed only; changes nothing). */
void ct_prefetch(const ct_table *ct, const ct_tuple *t);

/* nf_conntrack_tuple_taken: is t the ORIGINAL or REPLY tuple of a live
 * entry other than ignore?  Expired entries met on the way are reaped. */
bool ct_tuple_taken(ct_table *ct, const ct_tuple *t, uint32_t ignore, bool count_found);
/* nf_nat_used_tuple_harder (6.5+): if t is the REPLY tuple of a source-NATed
 * entry in TIME_WAIT or CLOSE whose ORIGINAL sequence is before seq, destroy
 * it and return true. */
bool ct_evict_closing(ct_table *ct, const ct_tuple *t, uint32_t seq);

uint32_t ct_count(const ct_table *ct);      /* nf_conntrack_count (dead-but-unreaped included) */
uint32_t ct_buckets(const ct_table *ct);
/* hist[i] = buckets with i nodes (2 per entry), last cell counts longer ones;
 * returns the longest chain. */
uint32_t ct_chain_hist(const ct_table *ct, uint64_t *hist, unsigned n);
/* The whole histogram in a new array of *longest + 1 cells (g_free it), and
 * the load factor: nodes (2 per entry) / buckets. */
uint64_t *ct_chain_snapshot(const ct_table *ct, uint32_t *longest, double *load);
size_t ct_kernel_bytes(const ct_table *ct); /* what the kernel would use: slab + extensions + buckets */
size_t ct_sim_bytes(const ct_table *ct);    /* what the simulator uses */
size_t ct_entry_record_bytes(void);
/* per bucket now: 16 bytes, or 32 once the table has held 2 entries per
 * bucket (the kernel: an 8-byte hlist head) */
size_t ct_bucket_record_bytes(const ct_table *ct);

#endif
