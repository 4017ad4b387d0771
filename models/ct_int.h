/*
 * ct's insides, shared by its three files as the kernel splits conntrack:
 * ct_core.c (nf_conntrack_core.c: hash, chains, allocation, confirmation,
 * lookups, nf_conntrack_tuple_taken, timeouts and destruction),
 * ct_proto_tcp.c (nf_conntrack_proto_tcp.c: the TCP state table,
 * tcp_packet, the window side effects) and ct_gc.c (gc_worker and
 * early_drop).  Not an interface: ct.h is the module's.  Internal functions
 * are named ct__*; the small ones every walk uses are static inline here, so
 * that the split costs no speed.
 */
#ifndef CONNSIM_CT_INT_H
#define CONNSIM_CT_INT_H

#include <stddef.h>
#include <string.h>

#include "models/ct.h"
#include "sim/pool.h"
#include "sim/rng.h"

/* ---- the entry -------------------------------------------------------------- */

/* struct nf_conn status bits we need (enum ip_conntrack_status), plus DEAD:
 * expired and already taken out of the state gauges (gc worker only), and
 * SETUP: the setup hook (NAT) ran, so destruction calls the destroy hook. */
enum { S_CONFIRMED = 1, S_SEEN_REPLY = 2, S_ASSURED = 4, S_DEAD = 8, S_SETUP = 16 };

/* struct ip_ct_tcp_state flags; F_SEEN stands for td_maxwin != 0 */
enum { F_SEEN = 1, F_DATA_UNACK = 2, F_MAXACK_SET = 4, F_CLOSE_INIT = 8 };

/* ct->proto.tcp.last_flags */
enum { LF_SIMULTANEOUS_OPEN = 1, LF_EXP_CHALLENGE_ACK = 2 };

#define NO_LIST 0xff

typedef struct ct_entry {
	/* First: a freed record's free-list link overwrites its first 4 bytes,
	 * and a packet that killed its entry may still read the tuples. */
	uint32_t tnext;          /* next in the timeout list */
	uint32_t tprev;          /* beside tnext: unlinking reads both */
	/* what a chain walk reads, together: WALK_BEGIN to WALK_END */
	uint32_t hnext[2];       /* next node in the chain of each tuple (only
				  * meaningful from a bucket's last slot on) */
	ev_time expires;         /* ct->timeout, absolute */
	ct_tuple t[2];           /* tuplehash[IP_CT_DIR_ORIGINAL / REPLY].tuple */
	uint8_t status;
	uint8_t state;           /* enum tcp_conntrack */
	uint8_t flags[2];        /* seen[dir].flags */
	uint8_t last_index;      /* enum tcp_bit_set of the last in-window packet */
	uint8_t last_dir;
	uint8_t last_flags;
	uint8_t retrans;
	uint8_t tc;              /* timeout class of the last refresh */
	uint8_t list;            /* timeout list, NO_LIST when in none */
	uint32_t td_end[2];      /* seen[dir].td_end: highest seq + len sent */
	uint32_t td_maxack[2];   /* seen[dir].td_maxack: highest ack sent */
	uint32_t last_seq, last_ack, last_end;
} ct_entry;

#define WALK_BEGIN offsetof(ct_entry, hnext)
#define WALK_END (offsetof(ct_entry, status) + 1)

/* One bucket: its chain's first width(ct) node references, newest first,
 * CT_NIL after the last; the node in the last slot links to the rest.  A
 * table starts with CT_INLINE_MIN slots, 16 bytes (bench nat: 1M buckets for
 * up to 1.2M entries, 14 bytes per entry).  Once its chains average
 * LONG_CHAINS nodes (nf_conntrack_count at 2 x the buckets; a full table
 * under the x8 rule has 16), it is re-laid with CT_INLINE_MAX, 32 bytes, at
 * 16 bytes per entry or less, so that a walk fetches the first 8 entries of
 * its chain together (widen).  A sparse table keeps the small buckets: twice
 * the bytes would be more misses for nothing. */
#define CT_INLINE_MIN 4u
#define CT_INLINE_MAX 8u
#define LONG_CHAINS 4u

/* Timeout classes: tcp_timeouts[] indexes (the states, then RETRANS, UNACK). */
enum { TC_SS, TC_SR, TC_ES, TC_FW, TC_CW, TC_LA, TC_TW, TC_CL, TC_S2, TC_RETRANS, TC_UNACK, TC_N };

/* ---- the table ------------------------------------------------------------ */

#define CT_GC_PEERS 3   /* tables sharing another's gc worker (ct_share_gc) */

typedef struct tlist {
	uint32_t head, tail;
	ev_time len;
	ev_id ev;       /* the pending event at the head's (old) expiry */
} tlist;

typedef struct gc_state {
	prof_ctgc v;            /* CTGC_TIMERS: no worker */
	bool early_drop;        /* conntrack_gc_work.early_drop */
	bool idle;              /* no pass scheduled: the table was empty */
	ev_id ev;
	uint32_t next_bucket;   /* next_bucket (5.14+), last_bucket (4.7-5.13) */
	int64_t avg_timeout;    /* jiffies */
	int64_t count;
	ev_time start;          /* start of the pass */
	int64_t next_gc_run;    /* jiffies, 4.7-5.13 */
	ev_time idle_next, idle_period;
} gc_state;

/* The scan's batch of gathered chains (gc_gather). */
#define GC_BATCH 32
#define GC_CHAIN 32

typedef struct gc_iter {
	uint32_t first, n;           /* buckets [first, first + n) gathered */
	uint32_t len[GC_BATCH];      /* GC_CHAIN + 1: longer, walk it */
	uint32_t ref[GC_BATCH][GC_CHAIN];
	uint32_t *slow;              /* a long chain */
	uint32_t slow_cap;
} gc_iter;

struct ct_table {
	ev_loop *L;
	pool pool;
	uint32_t *bk;             /* nbuckets x inl node references */
	uint32_t nbuckets;
	uint32_t inl_shift;       /* log2 of the slots per bucket (width) */
	uint32_t count, max;
	uint64_t k0, k1;          /* hash key (nf_conntrack_hash_rnd) */
	uint64_t chain_rng;       /* prandom_u32_max for the chain limit */
	bool timers;              /* per-entry timers (cfg.gc == CTGC_TIMERS) */
	ct_cfg cfg;               /* as given, buckets and hz defaulted */
	ev_time tmo[TC_N];
	uint8_t tc_list[TC_N];
	tlist lists[TC_N];
	unsigned nlists;
	ev_kind k_tmo, k_gc;
	gc_state gc;              /* the worker's, when gc_owner is this table */
	gc_iter gci;
	/* One host's namespaces share one gc worker (ct_share_gc): gc_owner
	 * runs it (itself unless shared) and scans its own buckets, then those
	 * of gc_peer[0 .. gc_npeers), as one pass over one table. */
	ct_table *gc_owner;
	ct_table *gc_peer[CT_GC_PEERS];
	unsigned gc_npeers;
	ct_destroy_fn destroy, destroy_prefetch;
	void *destroy_ctx;
	uint64_t *c_found, *c_insert, *c_confirmed, *c_insert_failed, *c_drop, *c_early_drop, *c_chaintoolong, *c_invalid,
		*c_ignore;
	probe_gauge *g_count, *g_assured, *g_state[CT_NSTATES];
	probe_hist *h_chain;      /* chain lengths walked by confirmation */
	const tap *tap;           /* ct_set_tap: NULL unless observed */
	int tap_index;
};

static inline ct_entry *E(const ct_table *ct, uint32_t i)
{
	return pool_at(&ct->pool, i);
}

/* Slots per bucket: CT_INLINE_MIN or CT_INLINE_MAX. */
static inline uint32_t width(const ct_table *ct)
{
	return 1u << ct->inl_shift;
}

/* Bucket b's inline slots. */
static inline uint32_t *slots(const ct_table *ct, uint32_t b)
{
	return &ct->bk[(size_t)b << ct->inl_shift];
}

static inline size_t bucket_bytes(const ct_table *ct)
{
	return ((size_t)ct->nbuckets << ct->inl_shift) * sizeof(uint32_t);
}

static inline ev_time now(const ct_table *ct)
{
	return ev_now(ct->L);
}

static inline bool after32(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool before32(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ---- hashing -------------------------------------------------------------- */

/*
 * hash_conntrack_raw: a keyed hash of the tuple (addresses, ports, protocol;
 * not the direction).  The kernel uses jhash2 (<= 5.14) or siphash (5.15+)
 * with a random boot key; this keyed splitmix64 mix stands in for both: the
 * key is random per box, so only the distribution matters.
 */
static inline uint32_t hash_raw(const ct_table *ct, const ct_tuple *t)
{
	uint64_t a = ((uint64_t)t->src << 32 | t->dst) ^ ct->k0;
	uint64_t b = ((uint64_t)t->sport << 24 | (uint64_t)t->dport << 8 | 6 /* IPPROTO_TCP */) ^ ct->k1;
	return (uint32_t)(rng_splitmix64(rng_splitmix64(a) ^ b) >> 32);
}

/* reciprocal_scale(hash, size) = (hash * size) >> 32 (any size) */
static inline uint32_t scale(uint32_t h, uint32_t n)
{
	return (uint32_t)(((uint64_t)h * n) >> 32);
}

static inline uint32_t bucket(const ct_table *ct, const ct_tuple *t)
{
	return scale(hash_raw(ct, t), ct->nbuckets);
}

static inline const ct_tuple *node_tuple(const ct_table *ct, uint32_t ref)
{
	return &E(ct, ref >> 1)->t[ref & 1];
}

static inline uint32_t node_next(const ct_table *ct, uint32_t ref)
{
	return E(ct, ref >> 1)->hnext[ref & 1];
}

/* Starts fetching what a chain walk reads of node ref's entry (two cache
 * lines at most). */
static inline void prefetch_node(const ct_table *ct, uint32_t ref)
{
	const char *e = (const char *)E(ct, ref >> 1);
	__builtin_prefetch(e + WALK_BEGIN);
	__builtin_prefetch(e + WALK_END - 1);
}

/* Copies bucket b's inline references up to its first CT_NIL into out and
 * starts fetching their entries; returns how many there are (width(ct): the
 * last one links to the rest of the chain). */
static inline unsigned gather_inline(const ct_table *ct, uint32_t b, uint32_t *out)
{
	const uint32_t *sl = slots(ct, b);
	unsigned len = 0;
	while (len < width(ct) && sl[len] != CT_NIL) {
		out[len] = sl[len];
		prefetch_node(ct, sl[len]);
		len++;
	}
	return len;
}

/*
 * Walking a chain.  The inline nodes are copied when the walk starts and
 * the rest is followed through hnext, which deletion leaves as it was on the
 * deleted node (hlist_nulls_del_rcu), so a walk that destroys entries goes
 * on over the chain as it was, skipping entries freed meanwhile (status 0),
 * as the kernel's walks do.  Nothing is inserted during a walk.
 *
 *	chain_walk w;
 *	for (uint32_t r = walk_first(ct, b, &w); r != CT_NIL; r = walk_next(ct, &w, r))
 */
typedef struct chain_walk {
	uint32_t n[CT_INLINE_MAX];
	unsigned k, last;
} chain_walk;

static inline uint32_t walk_first(const ct_table *ct, uint32_t b, chain_walk *w)
{
	const uint32_t *sl = slots(ct, b);
	w->k = 0;
	w->last = width(ct) - 1;
	memcpy(w->n, sl, CT_INLINE_MIN * sizeof(uint32_t));
	if (width(ct) > CT_INLINE_MIN)
		memcpy(w->n + CT_INLINE_MIN, sl + CT_INLINE_MIN, (CT_INLINE_MAX - CT_INLINE_MIN) * sizeof(uint32_t));
	for (unsigned j = 0; j < width(ct) && w->n[j] != CT_NIL; j++)
		prefetch_node(ct, w->n[j]);
	return w->n[0];
}

static inline uint32_t walk_next(const ct_table *ct, chain_walk *w, uint32_t r)
{
	if (w->k < w->last)
		return w->n[++w->k];
	uint32_t next = node_next(ct, r);
	if (next != CT_NIL)
		prefetch_node(ct, next);
	return next;
}

/* ---- entry state ------------------------------------------------------------ */

/* Confirmed and not yet expired (the gauges count it). */
static inline bool live(const ct_entry *e)
{
	return (e->status & (S_CONFIRMED | S_DEAD)) == S_CONFIRMED;
}

/* nf_ct_is_expired: only the gc worker's entries outlive their timeout. */
static inline bool expired(const ct_table *ct, const ct_entry *e)
{
	return !ct->timers && e->expires <= now(ct);
}

/* What killing confirmed entry i touches besides the entry: its two buckets
 * and the destroy hook's records, cache misses of their own; starts them all
 * (speed only). */
static inline void kill_prefetch(const ct_table *ct, uint32_t i, uint32_t b0, uint32_t b1)
{
	__builtin_prefetch(slots(ct, b0), 1);
	__builtin_prefetch(slots(ct, b1), 1);
	if ((E(ct, i)->status & S_SETUP) && ct->destroy_prefetch)
		ct->destroy_prefetch(ct->destroy_ctx, i);
}

/* ---- timeouts: the lists and re-arming (per packet: inline) ----------------- */

static inline void tl_unlink(ct_table *ct, uint32_t i)
{
	ct_entry *e = E(ct, i);
	if (e->list == NO_LIST)
		return;
	tlist *l = &ct->lists[e->list];
	if (e->tprev != CT_NIL)
		E(ct, e->tprev)->tnext = e->tnext;
	else
		l->head = e->tnext;
	if (e->tnext != CT_NIL)
		E(ct, e->tnext)->tprev = e->tprev;
	else
		l->tail = e->tprev;
	e->list = NO_LIST;
}

static inline void tl_append(ct_table *ct, uint32_t i, unsigned li)
{
	ct_entry *e = E(ct, i);
	tlist *l = &ct->lists[li];
	e->list = (uint8_t)li;
	e->tnext = CT_NIL;
	e->tprev = l->tail;
	if (l->tail != CT_NIL)
		E(ct, l->tail)->tnext = i;
	else
		l->head = i;
	l->tail = i;
	/* A pending event is never later than the head: heads only move later. */
	if (!ev_pending(ct->L, l->ev))
		l->ev = ev_at(ct->L, e->expires, ct->k_tmo, 0, li);
}

/*
 * __nf_ct_refresh_acct.  Per-entry timers (<= ~4.6) move only when the new
 * expiry is at least HZ later than the old one, or earlier
 * ("newtime - ct->timeout.expires >= HZ", unsigned); later kernels store
 * the new timeout whatever it is.  An unconfirmed entry's timer starts at
 * confirmation.
 */
static inline void refresh(ct_table *ct, uint32_t i, unsigned tc)
{
	ct_entry *e = E(ct, i);
	ev_time nexp = now(ct) + ct->tmo[tc];
	e->tc = (uint8_t)tc;
	if (!(e->status & S_CONFIRMED)) {
		e->expires = nexp;
		return;
	}
	if (ct->timers && nexp >= e->expires && nexp - e->expires < EV_SEC)
		return;
	e->expires = nexp;
	tl_unlink(ct, i);
	tl_append(ct, i, ct->tc_list[tc]);
}

/* ---- the TCP tracker's per-packet flag checks (inline) ------------------- */

/* What TCP flags are set from RST/SYN/FIN/ACK (enum tcp_bit_set): the rows
 * of the state table. */
enum { TCP_SYN_SET, TCP_SYNACK_SET, TCP_FIN_SET, TCP_ACK_SET, TCP_RST_SET, TCP_NONE_SET };

/* get_conntrack_index */
static inline unsigned ct__tcp_index(uint8_t f)
{
	if (f & CT_F_RST)
		return TCP_RST_SET;
	if (f & CT_F_SYN)
		return (f & CT_F_ACK) ? TCP_SYNACK_SET : TCP_SYN_SET;
	if (f & CT_F_FIN)
		return TCP_FIN_SET;
	if (f & CT_F_ACK)
		return TCP_ACK_SET;
	return TCP_NONE_SET;
}

/* tcp_error: tcp_valid_flags[] (PUSH, ECE, CWR, URG always valid). */
static inline bool ct__tcp_valid_flags(uint8_t f)
{
	switch (f & (CT_F_SYN | CT_F_ACK | CT_F_FIN | CT_F_RST)) {
	case CT_F_SYN:
	case CT_F_SYN | CT_F_ACK:
	case CT_F_RST:
	case CT_F_RST | CT_F_ACK:
	case CT_F_FIN | CT_F_ACK:
	case CT_F_ACK:
		return true;
	default:
		return false;
	}
}

/* ---- between the files ------------------------------------------------------ */

/* What the TCP tracker made of a packet on an entry (ct__tcp_packet). */
typedef enum pk_res {
	PK_ACCEPT,
	PK_IGNORE,   /* sIG: passed, state unchanged */
	PK_INVALID,  /* sIV, or an invalid RST */
	PK_REPEAT,   /* a SYN reopening a closed entry killed it: look up again (NF_REPEAT) */
	PK_KILLED,   /* a RST before any reply ended the entry */
} pk_res;

/* ct_core.c */
/* nf_ct_delete + nf_conntrack_free of entry i, confirmed or not. */
void ct__kill(ct_table *ct, uint32_t i);

/* ct_proto_tcp.c */
/* tcp_new: may a packet of row index start entry e (state NONE, tuples
 * set)?  If so, initialise its TCP state from p. */
bool ct__tcp_new(const ct_table *ct, ct_entry *e, const ct_pkt *p, unsigned index);
/* nf_conntrack_tcp_packet on entry i, seen in direction dir. */
pk_res ct__tcp_packet(ct_table *ct, uint32_t i, int dir, unsigned index, const ct_pkt *p);

/* ct_gc.c */
/* early_drop from the bucket of hash: true when an entry was deleted. */
bool ct__early_drop(ct_table *ct, uint32_t hash);
/* conntrack_gc_work_init for the table's cfg.gc (registers its event). */
void ct__gc_init(ct_table *ct);
/* An entry was confirmed: an idle worker resumes. */
void ct__gc_wake(ct_table *ct);

#endif
