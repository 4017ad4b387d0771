/*
 * Conntrack's cleaners (nf_conntrack_core.c): early_drop, which makes room
 * at nf_conntrack_max, and gc_worker, which reaps the entries the absolute
 * timeouts (4.7+) leave behind (doc/kernel-rules.md §6.9-6.10).  The profile
 * picks each one's variant (ct_cfg.early, .early_next_bucket, .gc).
 */
#include "models/ct_int.h"
#include "sim/bug.h"

#include <glib.h>

/* ---- constants ------------------------------------------------------------ */

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

#define NF_CT_EVICTION_RANGE 8       /* nf_conntrack_core.c */

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
		else if (ct->cfg.early_next_bucket)
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
					ct__kill(ct, r >> 1);  /* nf_ct_gc_expired: not a drop */
				} else if (!(e->status & S_ASSURED)) {
					ct__kill(ct, r >> 1);
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
	ct__kill(ct, victim);
	(*ct->c_early_drop)++;
	return true;
}

bool ct__early_drop(ct_table *ct, uint32_t hash)
{
	switch (ct->cfg.early) {
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
	return (int64_t)(ns / EV_SEC * ct->cfg.hz + ns % EV_SEC * ct->cfg.hz / EV_SEC);
}

static inline ev_time from_j(const ct_table *ct, int64_t j)
{
	return (ev_time)j / ct->cfg.hz * EV_SEC + (ev_time)j % ct->cfg.hz * EV_SEC / ct->cfg.hz;
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

/*
 * One host's network namespaces share nf_conntrack_hash and the one
 * conntrack_gc_work (gc_worker walks every bucket whatever the entry's
 * netns), so its interval averages every namespace's remaining timeouts.
 * Here each namespace keeps its own table and the owner's worker walks
 * them one after the other, as one table of their buckets together: a
 * global bucket index gi runs over the owner's buckets, then each peer's.
 */
static uint32_t gc_total(const ct_table *ct)
{
	uint32_t n = ct->nbuckets;
	for (unsigned s = 0; s < ct->gc_npeers; s++)
		n += ct->gc_peer[s]->nbuckets;
	return n;
}

static uint32_t gc_count_all(const ct_table *ct)
{
	uint32_t n = ct->count;
	for (unsigned s = 0; s < ct->gc_npeers; s++)
		n += ct->gc_peer[s]->count;
	return n;
}

static inline ct_table *gc_locate(ct_table *ct, uint32_t gi, uint32_t *b)
{
	for (unsigned s = 0; gi >= ct->nbuckets && s < ct->gc_npeers; s++) {
		gi -= ct->nbuckets;
		ct = ct->gc_peer[s];
	}
	*b = gi;
	return ct;
}

static void gc_forget_batches(ct_table *ct)
{
	ct->gci.n = 0;
	for (unsigned s = 0; s < ct->gc_npeers; s++)
		ct->gc_peer[s]->gci.n = 0;
}

void ct_share_gc(ct_table *owner, ct_table *peer)
{
	BUG_ON(owner == peer || owner->gc_owner != owner || peer->gc_owner != peer || peer->gc_npeers);
	BUG_ON(owner->gc_npeers == CT_GC_PEERS || owner->cfg.gc != peer->cfg.gc || owner->cfg.hz != peer->cfg.hz);
	BUG_ON(peer->count || (!peer->gc.idle && peer->cfg.gc != CTGC_TIMERS));
	peer->gc_owner = owner;
	owner->gc_peer[owner->gc_npeers++] = peer;
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

void ct__gc_wake(ct_table *ct)
{
	ct = ct->gc_owner;
	gc_state *g = &ct->gc;
	if (!g->idle)
		return;
	g->idle = false;
	ev_time t = now(ct), at = g->idle_next;
	if (at < t) {
		uint64_t k = (t - at + g->idle_period - 1) / g->idle_period;
		at += k * g->idle_period;
		if (g->v == CTGC_FRACTION) {
			uint64_t adv = gc_total(ct) / GC_MAX_BUCKETS_DIV;
			adv = adv ? adv : 1;
			g->next_bucket = (uint32_t)((g->next_bucket + k * adv) % gc_total(ct));
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
	int64_t min_interval = ct->cfg.hz / GC_MAX_BUCKETS_DIV ? ct->cfg.hz / GC_MAX_BUCKETS_DIV : 1;
	int64_t max_interval = GC_MAX_SCAN_S * ct->cfg.hz / GC_MAX_BUCKETS_DIV;
	const uint32_t total = gc_total(ct);
	uint32_t goal = total / GC_MAX_BUCKETS_DIV, buckets = 0, i = g->next_bucket;
	uint32_t max95 = g->early_drop ? ct->max / 100u * 95u : 0;
	unsigned scanned = 0, expired_count = 0;
	gc_forget_batches(ct);
	do {
		if (++i >= total)
			i = 0;
		uint32_t b;
		ct_table *tb = gc_locate(ct, i, &b);
		const uint32_t *refs;
		uint32_t n = gc_bucket(tb, &tb->gci, b, &refs);
		for (uint32_t k = 0; k < n; k++) {
			ct_entry *e = E(tb, refs[k] >> 1);
			if (!(e->status & S_CONFIRMED))
				continue;  /* destroyed since gathered */
			scanned++;
			if (expired(tb, e)) {
				ct__kill(tb, refs[k] >> 1);
				expired_count++;
			} else if (gc_95(tb, max95, e)) {
				ct__kill(tb, refs[k] >> 1);
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
	if (gc_count_all(ct) == 0 && g->next_gc_run == max_interval)
		gc_go_idle(ct, next, from_j(ct, max_interval));
	else
		gc_schedule(ct, next);
}

/*
 * The delay of queue_delayed_work is a timer on the wheel, which rounds its
 * expiry up to the granularity of the level that holds the delay
 * (calc_wheel_index; LVL_CLK_SHIFT 3, LVL_BITS 6: level n holds delays below
 * 63 << 3n jiffies), as for TIME_WAIT (doc/kernel-rules.md §2.6): at HZ=250 a
 * pass that waits 16.1 s or more waits until the next 2.048 s boundary.
 * `make validate-kernel` measured it: a firewall's gc period of 18.4 s (9
 * slots) where the mean alone gives 16.5 s.  Level 0 (under 63 jiffies) is
 * exact, so `at` is returned unchanged there.
 */
static ev_time gc_wheel(const ct_table *ct, ev_time at, int64_t delay_j)
{
	unsigned lvl = 0;
	while (lvl < 8 && delay_j >= (63LL << (3 * lvl)))
		lvl++;
	if (lvl == 0)
		return at;
	unsigned shift = 3 * lvl;
	int64_t e = to_j(ct, at);
	e = ((e >> shift) + 1) << shift;
	ev_time r = from_j(ct, e);
	return r > at ? r : at;
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
	const bool avg = g->v == CTGC_AVG;
	const ev_time t = now(ct);
	const int64_t hz = ct->cfg.hz;
	uint32_t i = g->next_bucket;
	const uint32_t total = gc_total(ct);
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
	gc_forget_batches(ct);
	do {
		uint32_t b;
		ct_table *tb = gc_locate(ct, i, &b);
		const uint32_t *refs;
		uint32_t n = gc_bucket(tb, &tb->gci, b, &refs);
		gc_prefetch_kills(tb, &tb->gci, b + GC_KILL_AHEAD);
		for (uint32_t k = 0; k < n; k++) {
			uint32_t r = refs[k];
			ct_entry *e = E(tb, r >> 1);
			cost += GC_NS_PER_NODE;
			if (!(e->status & S_CONFIRMED))
				continue;  /* destroyed since gathered */
			if (avg && expired_count > GC_SCAN_EXPIRED_MAX(ct->cfg.hz)) {
				g->next_bucket = i;
				g->avg_timeout = next_run;
				g->count = count;
				int64_t delta = to_j(ct, t + cost - g->start);
				/* re-sched immediately if total cycle time is exceeded */
				next_run = delta < GC_SCAN_INTERVAL_MAX_S * hz;
				goto early_exit;
			}
			if (expired(tb, e)) {
				ct__kill(tb, r >> 1);
				expired_count++;
				continue;
			}
			if (avg) {
				int64_t ex = to_j(ct, e->expires - t);
				ex = ex < GC_SCAN_INTERVAL_MIN_S * hz ? GC_SCAN_INTERVAL_MIN_S * hz
				     : ex > GC_SCAN_INTERVAL_CLAMP_S * hz ? GC_SCAN_INTERVAL_CLAMP_S * hz : ex;
				next_run += (ex - next_run) / ++count;
			}
			if (gc_95(tb, max95, e)) {
				ct__kill(tb, r >> 1);
				expired_count++;
			}
		}
		cost += GC_NS_PER_BUCKET;
		i++;
		if (cost > GC_SCAN_MAX_DURATION && i < total) {
			g->avg_timeout = next_run;
			g->count = count;
			g->next_bucket = i;
			next_run = 0;
			goto early_exit;
		}
	} while (i < total);
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
	ev_time next = gc_wheel(ct, t + cost + from_j(ct, next_run), next_run);
	if (pass_done && gc_count_all(ct) == 0)
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
	if (ct->gc.v == CTGC_FRACTION)
		gc_fraction(ct);
	else
		gc_pass(ct);
}

void ct__gc_init(ct_table *ct)
{
	ct->k_gc = ev_kind_register(ct->L, "ct_gc", on_gc, ct);
	ct->gc_owner = ct;
	ct->gc.v = ct->cfg.gc;
	if (ct->gc.v == CTGC_TIMERS)
		return;
	/* conntrack_gc_work_init; queued HZ after module init */
	ct->gc.next_gc_run = ct->cfg.hz;
	ev_time period = ct->gc.v == CTGC_FRACTION ? from_j(ct, GC_MAX_SCAN_S * ct->cfg.hz / GC_MAX_BUCKETS_DIV)
			 : ct->gc.v == CTGC_AVG ? GC_SCAN_INTERVAL_MAX_S * EV_SEC
						: GC_SCAN_INTERVAL_S * EV_SEC;
	gc_go_idle(ct, ev_now(ct->L) + EV_SEC, period);
}

