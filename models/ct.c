/*
 * nf_conntrack for TCP on one box (linux-rules.md §6): the hash table of
 * both tuples, the TCP state table and timeouts (nf_conntrack_proto_tcp.c),
 * allocation with early_drop at nf_conntrack_max, confirmation, expiry by
 * per-entry timers or by the gc worker, and the NAT helpers
 * nf_conntrack_tuple_taken and nf_nat_used_tuple_harder's eviction.
 *
 * Sources read: net/netfilter/nf_conntrack_core.c and nf_conntrack_proto_tcp.c
 * of 3.4 (per-entry timers, early_drop "oldest"), 4.12 (the first gc worker,
 * early_drop_list), 5.14 ("collect all entries in one cycle") and current
 * mainline (avg_timeout gc, chain limit 50-79, early_drop range 8).
 *
 * Layout.  Entries are records of one pool.  Each has two hash nodes, its
 * ORIGINAL and REPLY tuple, named by a 4-byte reference (entry << 1 | dir).
 * A chain is the kernel's hlist, newest node first
 * (hlist_nulls_add_head_rcu), in a different shape: a bucket holds the
 * references of its first 4 or 8 nodes, and the last of them starts the
 * rest of the chain, linked through the nodes' hnext.  Chain lengths and
 * order are the kernel's; what changes is that a walk learns the first
 * nodes all at once and fetches their entries in parallel (a record at a
 * random place is a cache miss, and a linked walk waits for each in turn),
 * and deleting one of them needs no walk to find its predecessor.
 *
 * Time.  Every confirmed entry sits in one of a few FIFO lists, one per
 * distinct timeout length (each state's nf_conntrack_tcp_timeout_* is
 * fixed, so entries armed later expire later: appending keeps the order).
 * Re-arming unlinks and appends, O(1), leaving nothing behind; one engine
 * event per list, at its head's expiry, is re-armed lazily (the head only
 * moves later).  With per-entry timers (<= ~4.6) expiry deletes the entry;
 * with the gc worker it only marks it dead for the state gauges: the entry
 * stays in its chains and in nf_conntrack_count until a lookup, early_drop,
 * nf_conntrack_tuple_taken or the worker reaps it, as in the kernel.  (The
 * engine's lanes would need a cancel per re-arm, whose dead slot lingers
 * until the old expiry: 5 days for ESTABLISHED, one per packet.)
 */
#include "models/ct.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bigmem.h"
#include "sim/pool.h"
#include "sim/rng.h"

/* ---- versions of rules that changed (prof.version = major * 100 + minor) -- */

/* nf_ct_resolve_clash (4.7, "introduce clash resolution on insertion race")
 * also counts a TCP clash as `drop`; before, insert_failed only. */
#define CLASH_COUNTS_DROP_SINCE 407
/* "netfilter: conntrack: remove packet hotpath stats" (4.10): `found` counts
 * nf_conntrack_tuple_taken hits only; before, every successful lookup [U]. */
#define FOUND_IN_TAKEN_ONLY_SINCE 410
/* f393808dc641 "fix calculation of next bucket number in early_drop"
 * (5.0): before, early_drop scanned reciprocal_scale(hash + i), i.e. the
 * same bucket again almost always. */
#define EARLY_DROP_NEXT_BUCKET_SINCE 500
/* be0502a3f2e9 "tcp: only close if RST matches exact sequence" (~5.9 [U]). */
#define RST_EXACT_SEQ_SINCE 509
/* mid-stream pickup without a reply capped at TCP_CONNTRACK_UNACK (~5.14 [U]). */
#define PICKUP_UNACK_CAP_SINCE 514
/* "do not renew timeout on SYN retransmit" (2023, in 5.15.y stable [U]). */
#define SYN_RETRANS_NO_RENEW_SINCE 515
/* gc_worker: 4.7-5.13 scans 1/GC_MAX_BUCKETS_DIV of the table per run with an
 * adaptive 1-31 jiffy interval; 5.14 "collect all entries in one cycle": a
 * full scan every GC_SCAN_INTERVAL (120 s); 5.19 [U]: interval from the
 * average remaining timeout, GC_SCAN_EXPIRED_MAX per slice. */
#define GC_FULL_SCAN_SINCE 514
#define GC_AVG_TIMEOUT_SINCE 519

/* ---- constants ------------------------------------------------------------ */

#define NF_CT_EVICTION_RANGE 8       /* nf_conntrack_core.c */
#define MIN_CHAINLEN 50u             /* nf_conntrack_core.c (5.15 shipped 8; raised to 50 in 2023) */
#define MAX_CHAINLEN (80u - MIN_CHAINLEN)
#define T_SYN_SENT2 (120 * EV_SEC)   /* tcp_timeouts[TCP_CONNTRACK_SYN_SENT2] = 2 MINS, no sysctl */
#define DEFAULT_HZ 250

/* gc_worker, current */
#define GC_SCAN_INTERVAL_MAX_S 60    /* GC_SCAN_INTERVAL_MAX = 60 * HZ */
#define GC_SCAN_INTERVAL_MIN_S 1
#define GC_SCAN_INTERVAL_CLAMP_S 300 /* clamp timeouts to TCP unacked */
#define GC_SCAN_INITIAL_COUNT 100
#define GC_SCAN_MAX_DURATION (10 * EV_MS)
#define GC_SCAN_EXPIRED_MAX(hz) (64000u / (hz))
/* 5.14-5.18 */
#define GC_SCAN_INTERVAL_S 120
/* 4.7-5.13 */
#define GC_MAX_BUCKETS_DIV 128u
#define GC_MAX_SCAN_S 16             /* GC_MAX_SCAN_JIFFIES = 16 * HZ */
#define GC_EVICT_RATIO 50u
/*
 * The worker's slices end after 10 ms of CPU time, which the simulator has
 * no clock for: a slice is charged GC_NS_PER_BUCKET per bucket and
 * GC_NS_PER_NODE per node visited (a cache miss each, an assumption), and
 * the next slice runs that long after the previous one began.  A pass over
 * a full 262144-bucket table (524288 nodes) then takes 28 ms in 3 slices.
 */
#define GC_NS_PER_BUCKET 5
#define GC_NS_PER_NODE 50

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

/* ---- the TCP state table (nf_conntrack_proto_tcp.c) ----------------------- */

/* What TCP flags are set from RST/SYN/FIN/ACK (enum tcp_bit_set). */
enum { TCP_SYN_SET, TCP_SYNACK_SET, TCP_FIN_SET, TCP_ACK_SET, TCP_RST_SET, TCP_NONE_SET };

#define sNO CT_NONE
#define sSS CT_SYN_SENT
#define sSR CT_SYN_RECV
#define sES CT_ESTABLISHED
#define sFW CT_FIN_WAIT
#define sCW CT_CLOSE_WAIT
#define sLA CT_LAST_ACK
#define sTW CT_TIME_WAIT
#define sCL CT_CLOSE
#define sS2 CT_SYN_SENT2
#define sIV CT_NSTATES        /* TCP_CONNTRACK_MAX: invalid */
#define sIG (CT_NSTATES + 1)  /* TCP_CONNTRACK_IGNORE */

/*
 * tcp_conntracks[dir][index][old state], as in linux-rules.md §6.4 (current
 * kernels).  One cell depends on the profile: a REPLY SYN in TIME_WAIT is
 * SYN_SENT ("server may have switched role") on newer kernels and INVALID on
 * older ones (3.4 source: sIV), see tcp_next().
 */
static const uint8_t tcp_conntracks[2][6][CT_NSTATES] = {
	{
/* ORIGINAL */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*syn*/    { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
/*synack*/ { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
/*fin*/    { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*ack*/    { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
/*rst*/    { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	{
/* REPLY */
/*	     sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2 */
/*syn*/    { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
/*synack*/ { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
/*fin*/    { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
/*ack*/    { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
/*rst*/    { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
/*none*/   { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

static const char *const state_names[] = {
#define X(s) #s,
	CT_STATE_MAP(X)
#undef X
};

const char *ct_state_name(ct_state s)
{
	return (unsigned)s < CT_NSTATES ? state_names[s] : "?";
}

/* Timeout classes: tcp_timeouts[] indexes (the states, then RETRANS, UNACK). */
enum { TC_SS, TC_SR, TC_ES, TC_FW, TC_CW, TC_LA, TC_TW, TC_CL, TC_S2, TC_RETRANS, TC_UNACK, TC_N };

static const uint8_t state_tc[CT_NSTATES] = {
	[CT_NONE] = TC_SS,  /* tn->timeouts[0] = tcp_timeouts[TCP_CONNTRACK_SYN_SENT] */
	[CT_SYN_SENT] = TC_SS, [CT_SYN_RECV] = TC_SR, [CT_ESTABLISHED] = TC_ES,
	[CT_FIN_WAIT] = TC_FW, [CT_CLOSE_WAIT] = TC_CW, [CT_LAST_ACK] = TC_LA,
	[CT_TIME_WAIT] = TC_TW, [CT_CLOSE] = TC_CL, [CT_SYN_SENT2] = TC_S2,
};

/* ---- the table ------------------------------------------------------------ */

typedef struct tlist {
	uint32_t head, tail;
	ev_time len;
	ev_id ev;       /* the pending event at the head's (old) expiry */
} tlist;

typedef enum gc_variant { GC_NONE, GC_FRACTION, GC_FULL, GC_AVG } gc_variant;

typedef struct gc_state {
	gc_variant v;
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
	const prof *p;
	ev_loop *L;
	pool pool;
	uint32_t *bk;             /* nbuckets x inl node references */
	uint32_t nbuckets;
	uint32_t inl_shift;       /* log2 of the slots per bucket (width) */
	uint32_t count, max;
	uint64_t k0, k1;          /* hash key (nf_conntrack_hash_rnd) */
	uint64_t chain_rng;       /* prandom_u32_max for the chain limit */
	bool timers, loose, early_next_bucket;
	unsigned hz, max_retrans;
	ev_time tmo[TC_N];
	uint8_t tc_list[TC_N];
	tlist lists[TC_N];
	unsigned nlists;
	ev_kind k_tmo, k_gc;
	gc_state gc;
	gc_iter gci;
	ct_destroy_fn destroy, destroy_prefetch;
	void *destroy_ctx;
	uint64_t *c_found, *c_insert, *c_insert_failed, *c_drop, *c_early_drop, *c_chaintoolong, *c_invalid,
		*c_ignore;
	probe_gauge *g_count, *g_assured, *g_state[CT_NSTATES];
	probe_hist *h_chain;      /* chain lengths walked by confirmation */
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

static void bug(const char *what)
{
	fprintf(stderr, "connsim: ct bug: %s\n", what);
	abort();
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

uint32_t ct_bucket_of(const ct_table *ct, const ct_tuple *t)
{
	return bucket(ct, t);
}

/* For a packet that will arrive shortly: its bucket, in a large table a
 * cache miss.  (Fetching the bucket's entries too, a few calls later once
 * the bucket is in, measured no faster.) */
void ct_prefetch(const ct_table *ct, const ct_tuple *t)
{
	__builtin_prefetch(slots(ct, bucket(ct, t)));
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

/* hlist_nulls_add_head_rcu.  The node pushed out of the inline slots into
 * the last one takes the old last one as its next (its entry is in cache:
 * confirm() has just walked the chain). */
static void chain_push(ct_table *ct, uint32_t b, uint32_t ref)
{
	uint32_t *sl = slots(ct, b), last = width(ct) - 1;
	uint32_t moved = sl[last - 1];
	if (moved != CT_NIL)
		E(ct, moved >> 1)->hnext[moved & 1] = sl[last];
	memmove(&sl[1], &sl[0], last * sizeof(uint32_t));
	sl[0] = ref;
}

/* hlist_nulls_del_rcu: the node's own link is left as it was, so a walk that
 * just deleted it carries on from it (entries freed during a walk are skipped:
 * their status is 0). */
static void unlink_node(ct_table *ct, uint32_t b, uint32_t ref)
{
	uint32_t *sl = slots(ct, b), last = width(ct) - 1;
	for (unsigned k = 0; k <= last; k++) {
		if (sl[k] != ref)
			continue;
		uint32_t rest = sl[last] == CT_NIL ? CT_NIL : node_next(ct, sl[last]);
		memmove(&sl[k], &sl[k + 1], (last - k) * sizeof(uint32_t));
		sl[last] = rest;
		return;
	}
	uint32_t p = sl[last];
	while (p != CT_NIL && node_next(ct, p) != ref)
		p = node_next(ct, p);
	if (p == CT_NIL)
		bug("node not in its chain");
	E(ct, p >> 1)->hnext[p & 1] = node_next(ct, ref);
}

/* The chains now average LONG_CHAINS nodes: re-lay the buckets with
 * CT_INLINE_MAX slots, once.  Chains keep their nodes and order: a node at
 * or past the old last slot links to the next already, and the links of
 * nodes that become inline are not read.  No walk is under way (called
 * after an insertion). */
static void widen(ct_table *ct)
{
	size_t bytes = (size_t)ct->nbuckets * CT_INLINE_MAX * sizeof(uint32_t);
	uint32_t *nb = bigmem_alloc(bytes);
	memset(nb, 0xff, bytes);  /* CT_NIL */
	for (uint32_t b = 0; b < ct->nbuckets; b++) {
		unsigned k = 0;
		chain_walk w;
		for (uint32_t r = walk_first(ct, b, &w); r != CT_NIL && k < CT_INLINE_MAX; r = walk_next(ct, &w, r))
			nb[(size_t)b * CT_INLINE_MAX + k++] = r;
	}
	bigmem_free(ct->bk, bucket_bytes(ct));
	ct->bk = nb;
	ct->inl_shift = 3;  /* CT_INLINE_MAX */
}

/* ---- gauges and the timeout lists ---------------------------------------- */

static void gauges(ct_table *ct, const ct_entry *e, int d)
{
	ev_time t = now(ct);
	if (ct->g_state[e->state])
		probe_gauge_add(ct->g_state[e->state], d, t);
	if (e->status & S_ASSURED)
		probe_gauge_add(ct->g_assured, d, t);
}

static inline bool live(const ct_entry *e)
{
	return (e->status & (S_CONFIRMED | S_DEAD)) == S_CONFIRMED;
}

static void count_add(ct_table *ct, int d)
{
	ct->count += (uint32_t)d;
	probe_gauge_set(ct->g_count, ct->count, now(ct));
}

static void tl_unlink(ct_table *ct, uint32_t i)
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

static void tl_append(ct_table *ct, uint32_t i, unsigned li)
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

/* ---- destruction ---------------------------------------------------------- */

/* What killing confirmed entry i touches besides the entry: its two buckets
 * and the destroy hook's records, cache misses of their own; starts them all
 * (speed only). */
static void kill_prefetch(const ct_table *ct, uint32_t i, uint32_t b0, uint32_t b1)
{
	__builtin_prefetch(slots(ct, b0), 1);
	__builtin_prefetch(slots(ct, b1), 1);
	if ((E(ct, i)->status & S_SETUP) && ct->destroy_prefetch)
		ct->destroy_prefetch(ct->destroy_ctx, i);
}

/*
 * nf_ct_delete + nf_conntrack_free: out of both chains and the timeout list,
 * out of the gauges, nf_conntrack_count decremented, the destroy hook
 * (nf_nat_cleanup_conntrack) called if NAT set the entry up.
 */
static void ct_kill(ct_table *ct, uint32_t i)
{
	ct_entry *e = E(ct, i);
	bool hook = (e->status & S_SETUP) && ct->destroy;
	if (e->status & S_CONFIRMED) {
		/* start every miss before waiting for any */
		uint32_t b0 = bucket(ct, &e->t[0]), b1 = bucket(ct, &e->t[1]);
		kill_prefetch(ct, i, b0, b1);
		unlink_node(ct, b0, i << 1);
		unlink_node(ct, b1, i << 1 | 1);
		if (!(e->status & S_DEAD))
			gauges(ct, e, -1);
	}
	tl_unlink(ct, i);
	e->status = 0;
	if (hook)
		ct->destroy(ct->destroy_ctx, i);
	count_add(ct, -1);
	pool_free(&ct->pool, i);
}

/* nf_ct_is_expired: only the gc worker's entries outlive their timeout. */
static inline bool expired(const ct_table *ct, const ct_entry *e)
{
	return !ct->timers && e->expires <= now(ct);
}

/* The timeout list's head event: with timers, death_by_timeout; with the
 * worker, the entry is dead but stays until reaped. */
static void on_timeout(void *ctx, uint32_t obj, uint32_t li)
{
	(void)obj;
	ct_table *ct = ctx;
	tlist *l = &ct->lists[li];
	ev_time t = now(ct);
	while (l->head != CT_NIL && E(ct, l->head)->expires <= t) {
		uint32_t i = l->head;
		tl_unlink(ct, i);
		if (ct->timers) {
			ct_kill(ct, i);
		} else {
			ct_entry *e = E(ct, i);
			gauges(ct, e, -1);
			e->status |= S_DEAD;
		}
	}
	if (l->head != CT_NIL) {
		/* The new head's record is in cache (its expiry was just read);
		 * the one after it is not, and its turn comes right after the
		 * head's, when the head is unlinked: start fetching it. */
		const ct_entry *h = E(ct, l->head);
		if (h->tnext != CT_NIL)
			__builtin_prefetch(E(ct, h->tnext), 1);
		l->ev = ev_at(ct->L, h->expires, ct->k_tmo, 0, li);
	}
}

/*
 * __nf_ct_refresh_acct.  Per-entry timers (<= ~4.6) move only when the new
 * expiry is at least HZ later than the old one, or earlier
 * ("newtime - ct->timeout.expires >= HZ", unsigned); later kernels store
 * the new timeout whatever it is.  An unconfirmed entry's timer starts at
 * confirmation.
 */
static void refresh(ct_table *ct, uint32_t i, unsigned tc)
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

/* ---- lookups ---------------------------------------------------------------- */

/*
 * ____nf_conntrack_find: walk the tuple's chain, reaping expired entries on
 * the way (nf_ct_gc_expired); a match needs the same tuple on a confirmed
 * entry (nf_ct_key_equal).
 */
static uint32_t find(ct_table *ct, const ct_tuple *t, int *dir)
{
	chain_walk w;
	for (uint32_t r = walk_first(ct, bucket(ct, t), &w); r != CT_NIL; r = walk_next(ct, &w, r)) {
		ct_entry *e = E(ct, r >> 1);
		if (!(e->status & S_CONFIRMED))
			continue;
		if (expired(ct, e)) {
			ct_kill(ct, r >> 1);
			continue;
		}
		if (ct_tuple_eq(&e->t[r & 1], t)) {
			if (dir)
				*dir = (int)(r & 1);
			return r >> 1;
		}
	}
	return CT_NIL;
}

uint32_t ct_find(ct_table *ct, const ct_tuple *t, int *dir)
{
	return find(ct, t, dir);
}

/* nf_conntrack_tuple_taken */
bool ct_tuple_taken(ct_table *ct, const ct_tuple *t, uint32_t ignore)
{
	const ct_entry *ig = ignore != CT_NIL ? E(ct, ignore) : NULL;
	chain_walk w;
	for (uint32_t r = walk_first(ct, bucket(ct, t), &w); r != CT_NIL; r = walk_next(ct, &w, r)) {
		uint32_t i = r >> 1;
		ct_entry *e = E(ct, i);
		if (!(e->status & S_CONFIRMED) || i == ignore)
			continue;
		if (expired(ct, e)) {
			ct_kill(ct, i);
			continue;
		}
		/* "If the *original tuples* are identical, then both
		 * conntracks refer to the same flow": left to clash
		 * resolution. */
		if (ct_tuple_eq(&e->t[r & 1], t) && !(ig && ct_tuple_eq(&ig->t[CT_ORIGINAL], &e->t[CT_ORIGINAL]))) {
			(*ct->c_found)++;
			return true;
		}
	}
	return false;
}

/*
 * nf_nat_used_tuple_harder (6.5+), the eviction half: nf_conntrack_find_get
 * of t must hit the REPLY node of an entry that nf_nat_may_kill accepts
 * (state >= TIME_WAIT in enum order, so SYN_SENT2 too; IPS_SRC_NAT; not
 * dying) and whose ORIGINAL side the new SYN has passed
 * (nf_seq_has_advanced: new td_end - old td_maxend > 0; td_maxend is
 * td_end plus the receive window, which is not modelled: window 0).
 */
bool ct_evict_closing(ct_table *ct, const ct_tuple *t, uint32_t seq)
{
	int dir;
	uint32_t i = find(ct, t, &dir);
	if (i == CT_NIL || dir != CT_REPLY)
		return false;
	ct_entry *e = E(ct, i);
	if (e->state < CT_TIME_WAIT)
		return false;
	bool src_nat = e->t[CT_REPLY].dst != e->t[CT_ORIGINAL].src || e->t[CT_REPLY].dport != e->t[CT_ORIGINAL].sport;
	if (!src_nat)
		return false;
	if ((int32_t)(seq + 1 - e->td_end[CT_ORIGINAL]) <= 0)
		return false;
	ct_kill(ct, i);
	return true;
}

/* ---- early_drop (__nf_conntrack_alloc at nf_conntrack_max) --------------- */

/*
 * Simulator speed.  A full table's early_drop usually finds no victim and
 * walks all NF_CT_EVICTION_RANGE chains, and a walk past the inline nodes
 * waits for each entry in turn.  The chains are known before the walk: fetch
 * them together first, advancing every chain a node per round, so that the
 * walk finds them in cache.  Reads only.
 */
static void prefetch_chains(const ct_table *ct, const uint32_t *b, unsigned n)
{
	uint32_t cur[NF_CT_EVICTION_RANGE];
	bool more = false;
	for (unsigned j = 0; j < n; j++) {
		uint32_t ref[CT_INLINE_MAX];
		unsigned len = gather_inline(ct, b[j], ref);
		cur[j] = len == width(ct) ? ref[len - 1] : CT_NIL;
		more |= cur[j] != CT_NIL;
	}
	while (more) {
		more = false;
		for (unsigned j = 0; j < n; j++) {
			if (cur[j] == CT_NIL)
				continue;
			cur[j] = node_next(ct, cur[j]);
			if (cur[j] != CT_NIL) {
				prefetch_node(ct, cur[j]);
				more = true;
			}
		}
	}
}

/* current: early_drop + early_drop_list */
static bool early_drop_range8(ct_table *ct, uint32_t hash)
{
	uint32_t bs[NF_CT_EVICTION_RANGE];
	for (unsigned n = 0; n < NF_CT_EVICTION_RANGE; n++) {
		if (n == 0)
			bs[n] = scale(hash, ct->nbuckets);
		else if (ct->early_next_bucket)
			bs[n] = (bs[n - 1] + 1) % ct->nbuckets;
		else
			bs[n] = scale(hash + n, ct->nbuckets);  /* reciprocal_scale(_hash++, hsize) */
	}
	prefetch_chains(ct, bs, NF_CT_EVICTION_RANGE);
	for (unsigned n = 0; n < NF_CT_EVICTION_RANGE; n++) {
		uint32_t b = bs[n];
		unsigned drops = 0;
		chain_walk w;
		for (uint32_t r = walk_first(ct, b, &w); r != CT_NIL; r = walk_next(ct, &w, r)) {
			ct_entry *e = E(ct, r >> 1);
			if (e->status & S_CONFIRMED) {
				if (expired(ct, e)) {
					ct_kill(ct, r >> 1);  /* nf_ct_gc_expired: not a drop */
				} else if (!(e->status & S_ASSURED)) {
					ct_kill(ct, r >> 1);
					drops++;
				}
			}
		}
		if (drops) {
			*ct->c_early_drop += drops;
			return true;
		}
	}
	return false;
}

/*
 * 4.x before the rework: the first non-ASSURED entry met from the new
 * tuple's bucket on, stopping after a bucket once NF_CT_EVICTION_RANGE
 * nodes were passed over.  <= 3.x: the last non-ASSURED entry of a chain
 * ("use oldest entry, which is roughly LRU"), counting every node.
 */
static bool early_drop_one(ct_table *ct, uint32_t hash, bool oldest)
{
	uint32_t b = scale(hash, ct->nbuckets), victim = CT_NIL;
	unsigned cnt = 0;
	for (uint32_t n = 0; n < ct->nbuckets; n++) {
		chain_walk w;
		for (uint32_t r = walk_first(ct, b, &w); r != CT_NIL; r = walk_next(ct, &w, r)) {
			if (!(E(ct, r >> 1)->status & S_ASSURED)) {
				victim = r >> 1;
				if (!oldest)
					break;
			}
			if (oldest || victim == CT_NIL)
				cnt++;
		}
		b = (b + 1) % ct->nbuckets;
		if (victim != CT_NIL || cnt >= NF_CT_EVICTION_RANGE)
			break;
	}
	if (victim == CT_NIL)
		return false;
	ct_kill(ct, victim);
	(*ct->c_early_drop)++;
	return true;
}

static bool early_drop(ct_table *ct, uint32_t hash)
{
	switch (ct->p->ctearly) {
	case CTEARLY_OLDEST:
		return early_drop_one(ct, hash, true);
	case CTEARLY_FIRST:
		return early_drop_one(ct, hash, false);
	case CTEARLY_RANGE8:
	default:
		return early_drop_range8(ct, hash);
	}
}

/* ---- the gc worker ---------------------------------------------------------- */

static inline int64_t to_j(const ct_table *ct, ev_time ns)
{
	return (int64_t)(ns / EV_SEC * ct->hz + ns % EV_SEC * ct->hz / EV_SEC);
}

static inline ev_time from_j(const ct_table *ct, int64_t j)
{
	return (ev_time)j / ct->hz * EV_SEC + (ev_time)j % ct->hz * EV_SEC / ct->hz;
}

/* tcp_can_early_drop */
static inline bool gc_can_early_drop(const ct_entry *e)
{
	if (!(e->status & S_ASSURED))
		return true;
	switch (e->state) {
	case CT_FIN_WAIT:
	case CT_LAST_ACK:
	case CT_TIME_WAIT:
	case CT_CLOSE:
	case CT_CLOSE_WAIT:
		return true;
	default:
		return false;
	}
}

static void gc_schedule(ct_table *ct, ev_time when)
{
	ct->gc.ev = ev_at(ct->L, when, ct->k_gc, 0, 0);
}

/* An empty table's passes change nothing: the worker stops and resumes on
 * its grid when an entry is confirmed (4.7-5.13: with the buckets its
 * skipped runs would have advanced). */
static void gc_go_idle(ct_table *ct, ev_time next, ev_time period)
{
	ct->gc.idle = true;
	ct->gc.idle_next = next;
	ct->gc.idle_period = period ? period : EV_SEC;
}

static void gc_wake(ct_table *ct)
{
	gc_state *g = &ct->gc;
	if (!g->idle)
		return;
	g->idle = false;
	ev_time t = now(ct), at = g->idle_next;
	if (at < t) {
		uint64_t k = (t - at + g->idle_period - 1) / g->idle_period;
		at += k * g->idle_period;
		if (g->v == GC_FRACTION) {
			uint64_t adv = ct->nbuckets / GC_MAX_BUCKETS_DIV;
			adv = adv ? adv : 1;
			g->next_bucket = (uint32_t)((g->next_bucket + k * adv) % ct->nbuckets);
		}
	}
	gc_schedule(ct, at);
}

/*
 * Simulator speed.  A scan goes bucket after bucket and each chain node is
 * a record at a random place: walking a chain is a series of dependent
 * cache misses (~200 ns each here past a few MB).  The scan therefore
 * gathers the chains of GC_BATCH buckets at once, advancing all of them a
 * node per round with the next records prefetched, and only then processes
 * the nodes, in bucket and chain order.  Nothing changes meanwhile (no entry
 * is created during a scan; one destroyed while its bucket waits is skipped,
 * as the kernel's walk skips a node unlinked before it got there).  A chain
 * longer than GC_CHAIN is gathered by a plain walk.
 */
static void gc_gather(const ct_table *ct, gc_iter *it, uint32_t first)
{
	uint32_t n = ct->nbuckets - first < GC_BATCH ? ct->nbuckets - first : GC_BATCH;
	uint32_t cur[GC_BATCH];
	it->first = first;
	it->n = n;
	bool more = false;
	/* the inline nodes at once; cur: the last node gathered, whose next
	 * is still to be read */
	for (uint32_t j = 0; j < n; j++) {
		uint32_t len = gather_inline(ct, first + j, it->ref[j]);
		it->len[j] = len;
		cur[j] = len == width(ct) ? it->ref[j][len - 1] : CT_NIL;
		more |= cur[j] != CT_NIL;
	}
	while (more) {
		more = false;
		for (uint32_t j = 0; j < n; j++) {
			if (cur[j] == CT_NIL)
				continue;
			uint32_t next = node_next(ct, cur[j]);
			if (next == CT_NIL) {
				cur[j] = CT_NIL;
			} else if (it->len[j] == GC_CHAIN) {
				it->len[j]++;  /* longer: gc_bucket walks it */
				cur[j] = CT_NIL;
			} else {
				it->ref[j][it->len[j]++] = next;
				prefetch_node(ct, next);
				cur[j] = next;
				more = true;
			}
		}
	}
}

/* The nodes of bucket i, in chain order, as they were when gathered. */
static uint32_t gc_bucket(ct_table *ct, gc_iter *it, uint32_t i, const uint32_t **refs)
{
	if (i < it->first || i >= it->first + it->n)
		gc_gather(ct, it, i);
	uint32_t j = i - it->first;
	if (it->len[j] <= GC_CHAIN) {
		*refs = it->ref[j];
		return it->len[j];
	}
	uint32_t n = 0;
	chain_walk w;
	for (uint32_t r = walk_first(ct, i, &w); r != CT_NIL; r = walk_next(ct, &w, r)) {
		if (n == it->slow_cap) {
			it->slow_cap = it->slow_cap ? 2 * it->slow_cap : 256;
			it->slow = g_renew(uint32_t, it->slow, it->slow_cap);
		}
		it->slow[n++] = r;
	}
	*refs = it->slow;
	return n;
}

/*
 * The scan kills the expired entries of a bucket one after another, and each
 * kill waits for its other bucket and the NAT's records: while bucket i is
 * processed, start those of bucket i + GC_KILL_AHEAD's expired entries (its
 * nodes were gathered and their records fetched a while ago).  Speed only.
 */
#define GC_KILL_AHEAD 2

static void gc_prefetch_kills(const ct_table *ct, const gc_iter *it, uint32_t i)
{
	if (i < it->first || i >= it->first + it->n || it->len[i - it->first] > GC_CHAIN)
		return;
	uint32_t j = i - it->first;
	for (uint32_t k = 0; k < it->len[j]; k++) {
		uint32_t r = it->ref[j][k];
		const ct_entry *e = E(ct, r >> 1);
		if ((e->status & S_CONFIRMED) && expired(ct, e))
			kill_prefetch(ct, r >> 1, bucket(ct, &e->t[0]), bucket(ct, &e->t[1]));
	}
}

/* The 95 % rule of every worker: while early_drop is set and the count is at
 * least nf_conntrack_max / 100 * 95, kill what tcp_can_early_drop allows. */
static inline bool gc_95(ct_table *ct, uint32_t max95, const ct_entry *e)
{
	return max95 && ct->count >= max95 && gc_can_early_drop(e);
}

/* 4.7-5.13: one run scans GC_MAX_BUCKETS_DIV-th of the table. */
static void gc_fraction(ct_table *ct)
{
	gc_state *g = &ct->gc;
	ev_time t = now(ct);
	int64_t min_interval = ct->hz / GC_MAX_BUCKETS_DIV ? ct->hz / GC_MAX_BUCKETS_DIV : 1;
	int64_t max_interval = GC_MAX_SCAN_S * ct->hz / GC_MAX_BUCKETS_DIV;
	uint32_t goal = ct->nbuckets / GC_MAX_BUCKETS_DIV, buckets = 0, i = g->next_bucket;
	uint32_t max95 = g->early_drop ? ct->max / 100u * 95u : 0;
	unsigned scanned = 0, expired_count = 0;
	ct->gci.n = 0;
	do {
		if (++i >= ct->nbuckets)
			i = 0;
		const uint32_t *refs;
		uint32_t n = gc_bucket(ct, &ct->gci, i, &refs);
		for (uint32_t k = 0; k < n; k++) {
			ct_entry *e = E(ct, refs[k] >> 1);
			if (!(e->status & S_CONFIRMED))
				continue;  /* destroyed since gathered */
			scanned++;
			if (expired(ct, e)) {
				ct_kill(ct, refs[k] >> 1);
				expired_count++;
			} else if (gc_95(ct, max95, e)) {
				ct_kill(ct, refs[k] >> 1);
			}
		}
	} while (++buckets < goal);
	unsigned ratio = scanned ? expired_count * 100 / scanned : 0;
	if (ratio > GC_EVICT_RATIO) {
		g->next_gc_run = min_interval;
	} else {
		g->next_gc_run += min_interval;
		if (g->next_gc_run > max_interval)
			g->next_gc_run = max_interval;
	}
	g->next_bucket = i;
	g->early_drop = false;
	ev_time next = t + from_j(ct, g->next_gc_run);
	if (ct->count == 0 && g->next_gc_run == max_interval)
		gc_go_idle(ct, next, from_j(ct, max_interval));
	else
		gc_schedule(ct, next);
}

/*
 * 5.14+: resume at next_bucket, scan buckets until the slice's 10 ms are
 * used (then reschedule at once) or the pass ends.  5.14-5.18 wait
 * GC_SCAN_INTERVAL after a pass.  5.19+ also stop a slice after
 * GC_SCAN_EXPIRED_MAX removals (resuming a jiffy later while the pass is
 * younger than GC_SCAN_INTERVAL_MAX) and wait the running average of the
 * remaining timeouts (clamped to [1 s, 300 s], biased by 100 entries at
 * 60 s), clamped to [1 s, 60 s], minus the pass's own duration.
 */
static void gc_pass(ct_table *ct)
{
	gc_state *g = &ct->gc;
	const bool avg = g->v == GC_AVG;
	const ev_time t = now(ct);
	const int64_t hz = ct->hz;
	uint32_t i = g->next_bucket;
	uint32_t max95 = g->early_drop ? ct->max / 100u * 95u : 0;
	if (i == 0) {
		g->avg_timeout = GC_SCAN_INTERVAL_MAX_S * hz;
		g->count = GC_SCAN_INITIAL_COUNT;
		g->start = t;
	}
	int64_t next_run = avg ? g->avg_timeout : GC_SCAN_INTERVAL_S * hz;
	int64_t count = g->count;
	unsigned expired_count = 0;
	ev_time cost = 0;
	bool pass_done = false;
	ct->gci.n = 0;
	do {
		const uint32_t *refs;
		uint32_t n = gc_bucket(ct, &ct->gci, i, &refs);
		gc_prefetch_kills(ct, &ct->gci, i + GC_KILL_AHEAD);
		for (uint32_t k = 0; k < n; k++) {
			uint32_t r = refs[k];
			ct_entry *e = E(ct, r >> 1);
			cost += GC_NS_PER_NODE;
			if (!(e->status & S_CONFIRMED))
				continue;  /* destroyed since gathered */
			if (avg && expired_count > GC_SCAN_EXPIRED_MAX(ct->hz)) {
				g->next_bucket = i;
				g->avg_timeout = next_run;
				g->count = count;
				int64_t delta = to_j(ct, t + cost - g->start);
				/* re-sched immediately if total cycle time is exceeded */
				next_run = delta < GC_SCAN_INTERVAL_MAX_S * hz;
				goto early_exit;
			}
			if (expired(ct, e)) {
				ct_kill(ct, r >> 1);
				expired_count++;
				continue;
			}
			if (avg) {
				int64_t ex = to_j(ct, e->expires - t);
				ex = ex < GC_SCAN_INTERVAL_MIN_S * hz ? GC_SCAN_INTERVAL_MIN_S * hz
				     : ex > GC_SCAN_INTERVAL_CLAMP_S * hz ? GC_SCAN_INTERVAL_CLAMP_S * hz : ex;
				next_run += (ex - next_run) / ++count;
			}
			if (gc_95(ct, max95, e)) {
				ct_kill(ct, r >> 1);
				expired_count++;
			}
		}
		cost += GC_NS_PER_BUCKET;
		i++;
		if (cost > GC_SCAN_MAX_DURATION && i < ct->nbuckets) {
			g->avg_timeout = next_run;
			g->count = count;
			g->next_bucket = i;
			next_run = 0;
			goto early_exit;
		}
	} while (i < ct->nbuckets);
	pass_done = true;
	g->next_bucket = 0;
	if (avg) {
		next_run = next_run < GC_SCAN_INTERVAL_MIN_S * hz ? GC_SCAN_INTERVAL_MIN_S * hz
			   : next_run > GC_SCAN_INTERVAL_MAX_S * hz ? GC_SCAN_INTERVAL_MAX_S * hz : next_run;
		int64_t delta = to_j(ct, t + cost - g->start);
		if (delta < 1)
			delta = 1;
		next_run = next_run > delta ? next_run - delta : 1;
	}
early_exit:
	if (next_run)
		g->early_drop = false;
	ev_time next = t + cost + from_j(ct, next_run);
	if (pass_done && ct->count == 0)
		gc_go_idle(ct, next, avg ? GC_SCAN_INTERVAL_MAX_S * EV_SEC : GC_SCAN_INTERVAL_S * EV_SEC);
	else
		gc_schedule(ct, next);
}

static void on_gc(void *ctx, uint32_t obj, uint32_t arg)
{
	(void)obj;
	(void)arg;
	ct_table *ct = ctx;
	ct->gc.ev = EV_NONE;
	if (ct->gc.v == GC_FRACTION)
		gc_fraction(ct);
	else
		gc_pass(ct);
}

/* ---- the TCP tracker (nf_conntrack_proto_tcp.c) --------------------------- */

/* get_conntrack_index */
static unsigned pkt_index(uint8_t f)
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
static bool valid_flags(uint8_t f)
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

/* segment_seq_plus_len */
static inline uint32_t seg_end(const ct_pkt *p)
{
	return p->seq + p->len + !!(p->flags & CT_F_SYN) + !!(p->flags & CT_F_FIN);
}

/* tcp_new, once the state table allowed a new entry. */
static void tcp_new(ct_entry *e, const ct_pkt *p)
{
	e->td_end[CT_ORIGINAL] = seg_end(p);
	e->flags[CT_ORIGINAL] = F_SEEN;  /* a pickup also assumes SACK and liberal windows */
	e->last_index = TCP_NONE_SET;    /* "tcp_packet will set them" */
}

/*
 * tcp_in_window with every packet in window: what it records.  The first
 * packet seen in a direction initialises it (a SYN, or mid-stream from the
 * packet); SYN_SENT/SYN_RECV senders re-initialise on a later end (their
 * flags go with the options); the sender's end moving on marks
 * DATA_UNACKNOWLEDGED, an ACK of the receiver's end clears it; ACK-class
 * packets equal to the previous one count as retransmissions.
 */
static void in_window(ct_entry *e, int dir, unsigned index, const ct_pkt *p)
{
	const int rd = !dir;
	const bool syn = p->flags & CT_F_SYN, has_ack = p->flags & CT_F_ACK, rst = p->flags & CT_F_RST;
	uint32_t seq = p->seq, ack = p->ack, end = seg_end(p);
	if (!(e->flags[dir] & F_SEEN)) {
		e->td_end[dir] = end;
		if (syn) {
			e->flags[dir] = F_SEEN;
			if (!has_ack)
				return;  /* simultaneous open */
		} else {
			e->flags[dir] |= F_SEEN;
			if (!(e->flags[rd] & F_SEEN))
				e->td_end[rd] = ack;
			else if (ack == e->td_end[rd] + 1)
				e->td_end[rd]++;  /* likely a reply to a keepalive */
		}
	} else if (((e->state == CT_SYN_SENT && dir == CT_ORIGINAL) || (e->state == CT_SYN_RECV && dir == CT_REPLY)) &&
		   after32(end, e->td_end[dir])) {
		/* RFC 793: "if a TCP is reinitialized ..." */
		e->td_end[dir] = end;
		e->flags[dir] = F_SEEN;
	}
	if (!has_ack || (rst && ack == 0))
		ack = e->td_end[rd];
	if (rst && seq == 0 && e->state == CT_SYN_SENT)
		seq = end = e->td_end[dir];  /* RST sent answering SYN */
	if (after32(end, e->td_end[dir])) {
		e->td_end[dir] = end;
		e->flags[dir] |= F_DATA_UNACK;
	}
	if (has_ack) {
		if (!(e->flags[dir] & F_MAXACK_SET)) {
			e->td_maxack[dir] = ack;
			e->flags[dir] |= F_MAXACK_SET;
		} else if (after32(ack, e->td_maxack[dir])) {
			e->td_maxack[dir] = ack;
		}
	}
	if (ack == e->td_end[rd])
		e->flags[rd] &= (uint8_t)~F_DATA_UNACK;
	if (index == TCP_ACK_SET) {
		if (e->last_dir == dir && e->last_seq == seq && e->last_ack == ack && e->last_end == end) {
			if (e->retrans < UINT8_MAX)
				e->retrans++;
		} else {
			e->last_dir = (uint8_t)dir;
			e->last_seq = seq;
			e->last_ack = ack;
			e->last_end = end;
			e->retrans = 0;
		}
	}
}

static void set_state(ct_table *ct, ct_entry *e, unsigned st)
{
	if (e->state == st)
		return;
	bool l = live(e);
	if (l && ct->g_state[e->state])
		probe_gauge_add(ct->g_state[e->state], -1, now(ct));
	e->state = (uint8_t)st;
	if (l && ct->g_state[st])
		probe_gauge_add(ct->g_state[st], 1, now(ct));
}

typedef enum pk_res { PK_ACCEPT, PK_IGNORE, PK_INVALID, PK_REPEAT, PK_KILLED } pk_res;

/* nf_conntrack_tcp_packet */
static pk_res tcp_packet(ct_table *ct, uint32_t i, int dir, unsigned index, const ct_pkt *p)
{
	ct_entry *e = E(ct, i);
	unsigned old = e->state;
	unsigned st = tcp_conntracks[dir][index][old];
	if (dir == CT_REPLY && index == TCP_SYN_SET && old == CT_TIME_WAIT && !ct->p->ct_reply_syn_in_tw)
		st = sIV;  /* older kernels: "server may not reopen" */

	switch (st) {
	case CT_SYN_SENT:
		if (old < CT_TIME_WAIT)
			break;
		/* RFC 1122 reopening from TIME_WAIT / CLOSE (linux-rules.md
		 * §6.8): a FIN was seen, or this side's last packet was a RST:
		 * delete the entry and look the packet up again (NF_REPEAT). */
		if (((e->flags[dir] | e->flags[!dir]) & F_CLOSE_INIT) ||
		    (e->last_dir == dir && e->last_index == TCP_RST_SET)) {
			ct_kill(ct, i);
			return PK_REPEAT;
		}
		/* fall through */
	case sIG:
		/* b) a SYN/ACK acknowledging a SYN we ignored: both ends are in
		 * sync and we are not; resynchronise into SYN_RECV. */
		if (index == TCP_SYNACK_SET && e->last_index == TCP_SYN_SET && e->last_dir != dir &&
		    p->ack == e->last_end) {
			int ld = e->last_dir;
			old = CT_SYN_SENT;
			st = CT_SYN_RECV;
			e->td_end[ld] = e->last_end;
			e->flags[ld] = F_SEEN;
			e->last_flags &= (uint8_t)~LF_EXP_CHALLENGE_ACK;
			e->td_end[dir] = e->td_maxack[dir] = 0;
			e->flags[dir] = 0;
			break;
		}
		e->last_index = (uint8_t)index;
		e->last_dir = (uint8_t)dir;
		e->last_seq = p->seq;
		e->last_end = seg_end(p);
		if (index == TCP_SYN_SET && dir == CT_ORIGINAL) {
			/* a) a SYN in ORIGINAL; in LAST_ACK, the next ACK may be
			 * a challenge ACK (RFC 5961) */
			e->last_flags = 0;
			if (old == CT_LAST_ACK)
				e->last_flags |= LF_EXP_CHALLENGE_ACK;
		}
		return PK_IGNORE;
	case sIV:
		return PK_INVALID;
	case CT_TIME_WAIT:
		if (old == CT_LAST_ACK && index == TCP_ACK_SET && e->last_dir != dir && e->last_index == TCP_SYN_SET &&
		    (e->last_flags & LF_EXP_CHALLENGE_ACK)) {
			/* "Detected RFC5961 challenge ACK" */
			e->last_flags &= (uint8_t)~LF_EXP_CHALLENGE_ACK;
			return PK_IGNORE;
		}
		break;
	case CT_SYN_SENT2:
		/* tcp_conntracks table is not smart enough to handle
		 * simultaneous open */
		e->last_flags |= LF_SIMULTANEOUS_OPEN;
		break;
	case CT_SYN_RECV:
		if (dir == CT_REPLY && index == TCP_ACK_SET && (e->last_flags & LF_SIMULTANEOUS_OPEN))
			st = CT_ESTABLISHED;
		break;
	case CT_CLOSE:
		if (index != TCP_RST_SET)
			break;
		if (e->flags[!dir] & F_MAXACK_SET) {
			uint32_t seq = p->seq, maxack = e->td_maxack[!dir];
			if (before32(seq, maxack))
				return PK_INVALID;  /* invalid RST */
			if (ct->p->version >= RST_EXACT_SEQ_SINCE) {
				bool established = old == CT_ESTABLISHED && (e->status & S_ASSURED);
				bool train = e->last_index == TCP_ACK_SET && e->last_dir == dir && seq == e->last_end;
				/* not exact: keep the state, for a challenge ACK */
				if (established && seq != maxack && !train)
					st = old;
			}
		}
		break;
	default:
		break;
	}

	in_window(e, dir, index, p);
	e->last_index = (uint8_t)index;
	e->last_dir = (uint8_t)dir;
	set_state(ct, e, st);
	if (old != st && st == CT_FIN_WAIT)
		e->flags[dir] |= F_CLOSE_INIT;

	/* The timeout (linux-rules.md §6.5).  A zero window is not modelled. */
	unsigned tc = state_tc[st];
	if (e->retrans >= ct->max_retrans && ct->tmo[tc] > ct->tmo[TC_RETRANS])
		tc = TC_RETRANS;
	else if (index == TCP_RST_SET)
		tc = TC_CL;
	else if (((e->flags[0] | e->flags[1]) & F_DATA_UNACK) && ct->tmo[tc] > ct->tmo[TC_UNACK])
		tc = TC_UNACK;

	if (!(e->status & S_SEEN_REPLY)) {
		/* "If only reply is a RST, we can consider ourselves not to
		 * have an established connection" */
		if (index == TCP_RST_SET) {
			ct_kill(ct, i);
			return PK_KILLED;
		}
		if (ct->p->version >= SYN_RETRANS_NO_RENEW_SINCE && index == TCP_SYN_SET && old == CT_SYN_SENT)
			return PK_ACCEPT;  /* do not renew timeout on SYN retransmit */
		if (ct->p->version >= PICKUP_UNACK_CAP_SINCE && st == CT_ESTABLISHED &&
		    ct->tmo[tc] > ct->tmo[TC_UNACK])
			tc = TC_UNACK;
	} else if (!(e->status & S_ASSURED) && (old == CT_SYN_RECV || old == CT_ESTABLISHED) &&
		   st == CT_ESTABLISHED) {
		/* a valid ACK in ESTABLISHED after SYN_RECV, or an answer for
		 * a picked-up connection */
		e->status |= S_ASSURED;
		if (live(e))
			probe_gauge_add(ct->g_assured, 1, now(ct));
	}
	refresh(ct, i, tc);
	return PK_ACCEPT;
}

/* ---- confirmation (__nf_conntrack_confirm) -------------------------------- */

static unsigned chain_limit(ct_table *ct)
{
	ct->chain_rng += 0x9e3779b97f4a7c15ULL;
	uint32_t r = (uint32_t)(rng_splitmix64(ct->chain_rng) >> 32);
	return MIN_CHAINLEN + (unsigned)(((uint64_t)r * MAX_CHAINLEN) >> 32);  /* prandom_u32_max */
}

/* An unconfirmed entry that will not be: nf_conntrack_free. */
static void free_unconfirmed(ct_table *ct, uint32_t i)
{
	ct_kill(ct, i);
}

typedef enum confirm_res { CONFIRMED, CLASH, CHAINTOOLONG } confirm_res;

static confirm_res confirm(ct_table *ct, uint32_t i)
{
	ct_entry *e = E(ct, i);
	uint32_t b[2] = { bucket(ct, &e->t[0]), bucket(ct, &e->t[1]) };
	unsigned max_chainlen = ct->p->ct_chain_limit ? chain_limit(ct) : 0;
	/* "See if there's one in the list already, including reverse: NAT
	 * could have grabbed it without realizing" (nf_ct_key_equal: expired
	 * entries not yet reaped count too). */
	unsigned walked[2];
	for (int d = 0; d < 2; d++) {
		unsigned chainlen = 0;
		chain_walk w;
		for (uint32_t r = walk_first(ct, b[d], &w); r != CT_NIL; r = walk_next(ct, &w, r)) {
			if (ct_tuple_eq(node_tuple(ct, r), &e->t[d]))
				return CLASH;
			if (ct->p->ct_chain_limit && chainlen > max_chainlen)
				return CHAINTOOLONG;
			chainlen++;
		}
		walked[d] = chainlen;
	}
	/* The chains this insertion walked, whole (PREFIX.chain). */
	probe_hist_add(ct->h_chain, walked[0]);
	probe_hist_add(ct->h_chain, walked[1]);
	/* __nf_conntrack_hash_insert */
	chain_push(ct, b[0], i << 1);
	chain_push(ct, b[1], i << 1 | 1);
	e->status |= S_CONFIRMED;
	(*ct->c_insert)++;
	/* "Timer relative to confirmation time" */
	e->expires = now(ct) + ct->tmo[e->tc];
	tl_append(ct, i, ct->tc_list[e->tc]);
	gauges(ct, e, 1);
	gc_wake(ct);
	if (width(ct) < CT_INLINE_MAX && 2 * (uint64_t)ct->count >= (uint64_t)LONG_CHAINS * ct->nbuckets)
		widen(ct);
	return CONFIRMED;
}

/* ---- nf_conntrack_in -------------------------------------------------------- */

/* nf_conntrack_in from its first lookup's result (i, dir) on; a repeat
 * (a SYN reopening a closed entry) looks up again. */
static ct_verdict track(ct_table *ct, const ct_pkt *p, uint32_t i, int dir, ct_setup_fn setup, void *ctx,
			ct_result *out)
{
	unsigned index = pkt_index(p->flags);
	for (bool first = true;; first = false) {
		if (!first) {
			dir = CT_ORIGINAL;
			i = find(ct, &p->t, &dir);
		}
		bool fresh = i == CT_NIL;
		if (fresh) {
			/* init_conntrack -> __nf_conntrack_alloc: the count goes
			 * up first; over nf_conntrack_max, early_drop from the
			 * new tuple's bucket or drop the packet. */
			ct->count++;  /* the gauge follows once decided */
			if (ct->max && ct->count > ct->max && !early_drop(ct, hash_raw(ct, &p->t))) {
				ct->gc.early_drop = true;
				ct->count--;
				(*ct->c_drop)++;  /* "nf_conntrack: table full, dropping packet" */
				out->drop = CT_WHY_FULL;
				return CT_DROP;
			}
			count_add(ct, 0);
			i = pool_alloc(&ct->pool);
			ct_entry *e = E(ct, i);
			e->t[CT_ORIGINAL] = p->t;
			e->t[CT_REPLY] = ct_invert(&p->t);
			e->list = NO_LIST;
			e->tnext = e->tprev = CT_NIL;
			e->state = CT_NONE;
			/* tcp_new: a SYN starts SYN_SENT; anything else only with
			 * nf_conntrack_tcp_loose, from the NONE column. */
			unsigned st = tcp_conntracks[CT_ORIGINAL][index][CT_NONE];
			if (st >= CT_NSTATES || (st != CT_SYN_SENT && !ct->loose)) {
				free_unconfirmed(ct, i);
				(*ct->c_invalid)++;
				return CT_ACCEPT;
			}
			tcp_new(e, p);
		} else if (ct->p->version < FOUND_IN_TAKEN_ONLY_SINCE) {
			(*ct->c_found)++;
		}

		pk_res r = tcp_packet(ct, i, dir, index, p);
		if (r == PK_REPEAT)
			continue;
		if (r == PK_INVALID) {
			if (fresh)
				free_unconfirmed(ct, i);
			(*ct->c_invalid)++;
			return CT_ACCEPT;
		}
		out->entry = i;
		out->dir = dir;
		out->tracked = true;
		if (r == PK_KILLED) {
			out->destroyed = true;
			return CT_ACCEPT;
		}
		if (r == PK_IGNORE)
			(*ct->c_ignore)++;
		ct_entry *e = E(ct, i);
		if (dir == CT_REPLY)
			e->status |= S_SEEN_REPLY;
		if (!fresh)
			return CT_ACCEPT;

		/* NAT (nf_nat_setup_info) chooses the REPLY tuple, then the
		 * packet leaves and the entry is confirmed. */
		if (setup) {
			ct_tuple reply = ct_invert(&p->t);
			e->status |= S_SETUP;
			if (!setup(ctx, ct, i, &e->t[CT_ORIGINAL], &reply)) {
				free_unconfirmed(ct, i);
				*out = (ct_result){ CT_NIL, CT_ORIGINAL, false, false, false, CT_WHY_SETUP };
				return CT_DROP;
			}
			e = E(ct, i);
			e->t[CT_REPLY] = reply;
		}
		confirm_res c = confirm(ct, i);
		if (c != CONFIRMED) {
			if (c == CHAINTOOLONG)
				(*ct->c_chaintoolong)++;
			else if (ct->p->version >= CLASH_COUNTS_DROP_SINCE)
				(*ct->c_drop)++;  /* nf_ct_resolve_clash: TCP does not merge */
			(*ct->c_insert_failed)++;
			free_unconfirmed(ct, i);
			*out = (ct_result){ CT_NIL, CT_ORIGINAL, false, false, false,
					    c == CHAINTOOLONG ? CT_WHY_CHAIN : CT_WHY_CLASH };
			return CT_DROP;
		}
		out->created = true;
		return CT_ACCEPT;
	}
}

/* tcp_error: flags no TCP sends are INVALID before any lookup. */
static bool flags_ok(ct_table *ct, const ct_pkt *p, ct_result *out)
{
	*out = (ct_result){ CT_NIL, CT_ORIGINAL, false, false, false, CT_WHY_NONE };
	if (valid_flags(p->flags))
		return true;
	(*ct->c_invalid)++;
	return false;
}

ct_verdict ct_in(ct_table *ct, const ct_pkt *p, ct_setup_fn setup, void *ctx, ct_result *out)
{
	if (!flags_ok(ct, p, out))
		return CT_ACCEPT;
	int dir = CT_ORIGINAL;
	uint32_t i = find(ct, &p->t, &dir);
	return track(ct, p, i, dir, setup, ctx, out);
}

ct_verdict ct_in_found(ct_table *ct, const ct_pkt *p, uint32_t found, int dir, ct_setup_fn setup, void *ctx,
		       ct_result *out)
{
	if (!flags_ok(ct, p, out))
		return CT_ACCEPT;
	return track(ct, p, found, found == CT_NIL ? CT_ORIGINAL : dir, setup, ctx, out);
}

/* ---- construction --------------------------------------------------------- */

ct_table *ct_new(const kconf *k, ev_loop *L, probe_set *ps, const char *prefix, gsl_rng *rng)
{
	ct_table *ct = g_new0(ct_table, 1);
	ct->p = k->prof ? k->prof : prof_default();
	ct->L = L;
	pool_init(&ct->pool, sizeof(ct_entry), "ct");
	ct->nbuckets = k->ct_buckets ? k->ct_buckets : 1;
	ct->max = k->ct_max;
	ct->inl_shift = 2;  /* CT_INLINE_MIN */
	ct->bk = bigmem_alloc(bucket_bytes(ct));
	memset(ct->bk, 0xff, bucket_bytes(ct));  /* CT_NIL */
	ct->k0 = rng_u64(rng);
	ct->k1 = rng_u64(rng);
	ct->chain_rng = rng_u64(rng);
	ct->timers = ct->p->ctgc == CTGC_TIMERS;
	ct->loose = k->ct_loose;
	ct->early_next_bucket = ct->p->version >= EARLY_DROP_NEXT_BUCKET_SINCE;
	ct->hz = k->hz ? k->hz : DEFAULT_HZ;
	ct->max_retrans = k->ct_max_retrans;

	static const int kidx[TC_N] = {
		[TC_SS] = KCONF_CT_SYN_SENT, [TC_SR] = KCONF_CT_SYN_RECV, [TC_ES] = KCONF_CT_ESTABLISHED,
		[TC_FW] = KCONF_CT_FIN_WAIT, [TC_CW] = KCONF_CT_CLOSE_WAIT, [TC_LA] = KCONF_CT_LAST_ACK,
		[TC_TW] = KCONF_CT_TIME_WAIT, [TC_CL] = KCONF_CT_CLOSE, [TC_S2] = -1,
		[TC_RETRANS] = KCONF_CT_MAX_RETRANS, [TC_UNACK] = KCONF_CT_UNACK,
	};
	for (unsigned c = 0; c < TC_N; c++) {
		ct->tmo[c] = kidx[c] < 0 ? T_SYN_SENT2 : (ev_time)k->ct_timeout[kidx[c]] * EV_SEC;
		unsigned l = 0;
		while (l < ct->nlists && ct->lists[l].len != ct->tmo[c])
			l++;
		if (l == ct->nlists)
			ct->lists[ct->nlists++] = (tlist){ CT_NIL, CT_NIL, ct->tmo[c], EV_NONE };
		ct->tc_list[c] = (uint8_t)l;
	}
	ct->k_tmo = ev_kind_register(L, "ct_timeout", on_timeout, ct);
	ct->k_gc = ev_kind_register(L, "ct_gc", on_gc, ct);

	ct->gc.v = ct->timers ? GC_NONE
		   : ct->p->version >= GC_AVG_TIMEOUT_SINCE ? GC_AVG
		   : ct->p->version >= GC_FULL_SCAN_SINCE ? GC_FULL : GC_FRACTION;
	if (ct->gc.v != GC_NONE) {
		/* conntrack_gc_work_init; queued HZ after module init */
		ct->gc.next_gc_run = ct->hz;
		ev_time period = ct->gc.v == GC_FRACTION ? from_j(ct, GC_MAX_SCAN_S * ct->hz / GC_MAX_BUCKETS_DIV)
				 : ct->gc.v == GC_AVG ? GC_SCAN_INTERVAL_MAX_S * EV_SEC
						      : GC_SCAN_INTERVAL_S * EV_SEC;
		gc_go_idle(ct, ev_now(L) + EV_SEC, period);
	}

	char name[160];
#define COUNTER(field, nm, help)                                  \
	snprintf(name, sizeof name, "%s.%s", prefix, nm);         \
	ct->field = probe_counter(ps, name, help)
	COUNTER(c_found, "found", "nf_conntrack_tuple_taken hits (<= 4.9: also packet lookups)");
	COUNTER(c_insert, "insert", "entries confirmed");
	COUNTER(c_insert_failed, "insert_failed", "confirmation found the tuple taken, or the chain too long");
	COUNTER(c_drop, "drop", "packets dropped: table full (and TCP clashes from 4.7)");
	COUNTER(c_early_drop, "early_drop", "non-ASSURED entries deleted to make room");
	COUNTER(c_chaintoolong, "chaintoolong", "confirmation refused: chain longer than the random limit");
	COUNTER(c_invalid, "invalid", "packets conntrack could not track (passed untracked)");
	COUNTER(c_ignore, "ignore", "packets the TCP state table ignored (sIG)");
#undef COUNTER
	snprintf(name, sizeof name, "%s.chain", prefix);
	ct->h_chain = probe_histogram(ps, name, "length of each chain confirmation walked (both tuples of each new entry)");
	snprintf(name, sizeof name, "%s.count", prefix);
	ct->g_count = probe_gauge_get(ps, name, "nf_conntrack_count: entries, dead ones not yet reaped included");
	snprintf(name, sizeof name, "%s.assured", prefix);
	ct->g_assured = probe_gauge_get(ps, name, "live ASSURED entries");
	for (unsigned s = CT_SYN_SENT; s < CT_NSTATES; s++) {
		snprintf(name, sizeof name, "%s.state.%s", prefix, state_names[s]);
		ct->g_state[s] = probe_gauge_get(ps, name, "live entries in this TCP conntrack state");
	}
	return ct;
}

void ct_free(ct_table *ct)
{
	if (!ct)
		return;
	for (unsigned l = 0; l < ct->nlists; l++)
		ev_cancel(ct->L, ct->lists[l].ev);
	ev_cancel(ct->L, ct->gc.ev);
	g_free(ct->gci.slow);
	pool_destroy(&ct->pool);
	bigmem_free(ct->bk, bucket_bytes(ct));
	g_free(ct);
}

void ct_set_destroy_hook(ct_table *ct, ct_destroy_fn fn, ct_destroy_fn prefetch, void *ctx)
{
	ct->destroy = fn;
	ct->destroy_prefetch = prefetch;
	ct->destroy_ctx = ctx;
}

/* ---- queries -------------------------------------------------------------- */

void ct_tuples(const ct_table *ct, uint32_t entry, ct_tuple *orig, ct_tuple *reply)
{
	const ct_entry *e = E(ct, entry);
	if (orig)
		*orig = e->t[CT_ORIGINAL];
	if (reply)
		*reply = e->t[CT_REPLY];
}

ct_state ct_entry_state(const ct_table *ct, uint32_t entry)
{
	return (ct_state)E(ct, entry)->state;
}

bool ct_entry_assured(const ct_table *ct, uint32_t entry)
{
	return E(ct, entry)->status & S_ASSURED;
}

ev_time ct_entry_expires(const ct_table *ct, uint32_t entry)
{
	return E(ct, entry)->expires;
}

uint32_t ct_count(const ct_table *ct)
{
	return ct->count;
}

uint32_t ct_buckets(const ct_table *ct)
{
	return ct->nbuckets;
}

uint32_t ct_chain_hist(const ct_table *ct, uint64_t *hist, unsigned n)
{
	uint32_t longest = 0;
	for (unsigned c = 0; c < n; c++)
		hist[c] = 0;
	for (uint32_t b = 0; b < ct->nbuckets; b++) {
		uint32_t len = 0;
		chain_walk w;
		for (uint32_t r = walk_first(ct, b, &w); r != CT_NIL; r = walk_next(ct, &w, r))
			len++;
		if (n)
			hist[len < n ? len : n - 1]++;
		if (len > longest)
			longest = len;
	}
	return longest;
}

uint64_t *ct_chain_snapshot(const ct_table *ct, uint32_t *longest, double *load)
{
	*longest = ct_chain_hist(ct, NULL, 0);
	uint64_t *hist = g_new0(uint64_t, *longest + 1);
	ct_chain_hist(ct, hist, *longest + 1);
	double nodes = 0;
	for (uint32_t i = 0; i <= *longest; i++)
		nodes += (double)i * (double)hist[i];
	*load = nodes / ct->nbuckets;
	return hist;
}

/* nf_conn slab object and extensions per entry (prof.ct_entry_bytes), and
 * the bucket array of hlist_nulls_head (8 bytes each). */
size_t ct_kernel_bytes(const ct_table *ct)
{
	return (size_t)ct->count * ct->p->ct_entry_bytes + (size_t)ct->nbuckets * 8;
}

size_t ct_sim_bytes(const ct_table *ct)
{
	return sizeof(*ct) + pool_bytes(&ct->pool) + bigmem_size(bucket_bytes(ct)) +
	       (size_t)ct->gci.slow_cap * sizeof(uint32_t);
}

size_t ct_entry_record_bytes(void)
{
	return sizeof(ct_entry);
}

size_t ct_bucket_record_bytes(const ct_table *ct)
{
	return width(ct) * sizeof(uint32_t);
}
