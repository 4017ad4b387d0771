/*
 * nf_conntrack for TCP on one box (doc/kernel-rules.md §6), the table core
 * (nf_conntrack_core.c): the hash table of both tuples, allocation (with
 * early_drop at nf_conntrack_max, ct_gc.c), confirmation, lookups, the
 * timeouts and their expiry by per-entry timers (the gc worker's is in
 * ct_gc.c), destruction, and the NAT helpers nf_conntrack_tuple_taken and
 * nf_nat_used_tuple_harder's eviction.  The TCP state table is in
 * ct_proto_tcp.c.
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
#include "models/ct_int.h"
#include "models/tap.h"

#include <glib.h>

#include "sim/bigmem.h"
#include "sim/bug.h"

#define MIN_CHAINLEN 50u             /* nf_conntrack_core.c (5.15 shipped 8; raised to 50 in 2023) */
#define MAX_CHAINLEN (80u - MIN_CHAINLEN)
#define T_SYN_SENT2 (120 * EV_SEC)   /* tcp_timeouts[TCP_CONNTRACK_SYN_SENT2] = 2 MINS, no sysctl */
#define DEFAULT_HZ 250

/* ---- hashing -------------------------------------------------------------- */

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

/* ---- chains ----------------------------------------------------------------- */

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
	BUG_ON(p == CT_NIL);  /* the node is not in its chain */
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

static void count_add(ct_table *ct, int d)
{
	ct->count += (uint32_t)d;
	probe_gauge_set(ct->g_count, ct->count, now(ct));
}

/* ---- destruction ---------------------------------------------------------- */

/*
 * nf_ct_delete + nf_conntrack_free: out of both chains and the timeout list,
 * out of the gauges, nf_conntrack_count decremented, the destroy hook
 * (nf_nat_cleanup_conntrack) called if NAT set the entry up.
 */
void ct__kill(ct_table *ct, uint32_t i)
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
			ct__kill(ct, i);
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
			ct__kill(ct, r >> 1);
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
bool ct_tuple_taken(ct_table *ct, const ct_tuple *t, uint32_t ignore, bool count_found)
{
	const ct_entry *ig = ignore != CT_NIL ? E(ct, ignore) : NULL;
	chain_walk w;
	for (uint32_t r = walk_first(ct, bucket(ct, t), &w); r != CT_NIL; r = walk_next(ct, &w, r)) {
		uint32_t i = r >> 1;
		ct_entry *e = E(ct, i);
		if (!(e->status & S_CONFIRMED) || i == ignore)
			continue;
		if (expired(ct, e)) {
			ct__kill(ct, i);
			continue;
		}
		/* "If the *original tuples* are identical, then both
		 * conntracks refer to the same flow": left to clash
		 * resolution. */
		if (ct_tuple_eq(&e->t[r & 1], t) && !(ig && ct_tuple_eq(&ig->t[CT_ORIGINAL], &e->t[CT_ORIGINAL]))) {
			if (count_found)
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
	ct__kill(ct, i);
	return true;
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
	ct__kill(ct, i);
}

typedef enum confirm_res { CONFIRMED, CLASH, CHAINTOOLONG } confirm_res;

static confirm_res confirm(ct_table *ct, uint32_t i)
{
	ct_entry *e = E(ct, i);
	uint32_t b[2] = { bucket(ct, &e->t[0]), bucket(ct, &e->t[1]) };
	unsigned max_chainlen = ct->cfg.chain_limit ? chain_limit(ct) : 0;
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
			if (ct->cfg.chain_limit && chainlen > max_chainlen)
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
	(*ct->c_confirmed)++;
	if (ct->cfg.confirm_counts_insert)  /* NF_CT_STAT_INC(net, insert): <= 4.9 only */
		(*ct->c_insert)++;
	/* "Timer relative to confirmation time" */
	e->expires = now(ct) + ct->tmo[e->tc];
	tl_append(ct, i, ct->tc_list[e->tc]);
	gauges(ct, e, 1);
	ct__gc_wake(ct);
	if (width(ct) < CT_INLINE_MAX && 2 * (uint64_t)ct->count >= (uint64_t)LONG_CHAINS * ct->nbuckets)
		widen(ct);
	return CONFIRMED;
}

/* ---- nf_conntrack_in -------------------------------------------------------- */

/* __nf_conntrack_alloc at nf_conntrack_max: early_drop, told to the tap. */
static bool early_drop(ct_table *ct, const ct_tuple *t)
{
	bool ok = ct__early_drop(ct, hash_raw(ct, t));
	if (G_UNLIKELY(ct->tap))
		tap_rule_at(ct->tap, now(ct), -1, ct->tap_index, (tap_tuple[1]){ { t->src, t->dst, t->sport, t->dport } },
			    TAP_R_CT_EARLY_DROP, ok, ct->cfg.early, 0);
	return ok;
}

void ct_set_tap(ct_table *ct, const tap *t, int index)
{
	ct->tap = t;
	ct->tap_index = index;
}

/* nf_conntrack_in from its first lookup's result (i, dir) on; a repeat
 * (a SYN reopening a closed entry) looks up again. */
static ct_verdict track(ct_table *ct, const ct_pkt *p, uint32_t i, int dir, ct_setup_fn setup, void *ctx,
			ct_result *out)
{
	unsigned index = ct__tcp_index(p->flags);
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
			if (ct->max && ct->count > ct->max && !early_drop(ct, &p->t)) {
				ct->gc_owner->gc.early_drop = true;  /* conntrack_gc_work: one per host */
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
			if (!ct__tcp_new(ct, e, p, index)) {
				free_unconfirmed(ct, i);
				(*ct->c_invalid)++;
				return CT_ACCEPT;
			}
		} else if (!ct->cfg.found_taken_only) {
			(*ct->c_found)++;
		}

		pk_res r = ct__tcp_packet(ct, i, dir, index, p);
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
			else if (ct->cfg.clash_counts_drop)
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
	if (ct__tcp_valid_flags(p->flags))
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

void ct_cfg_rules(ct_cfg *c, const prof *p)
{
	c->gc = p->ctgc;
	c->early = p->ctearly;
	c->early_next_bucket = p->ct_early_next_bucket;
	c->chain_limit = p->ct_chain_limit;
	c->reply_syn_in_tw = p->ct_reply_syn_in_tw;
	c->clash_counts_drop = p->ct_clash_counts_drop;
	c->found_taken_only = p->ct_found_taken_only;
	c->confirm_counts_insert = p->ct_confirm_counts_insert;
	c->rst_exact_seq = p->ct_rst_exact_seq;
	c->pickup_unack_cap = p->ct_pickup_unack_cap;
	c->syn_retrans_no_renew = p->ct_syn_retrans_no_renew;
	c->entry_bytes = p->ct_entry_bytes;
}

ct_table *ct_new(const ct_cfg *c, ev_loop *L, probe_set *ps, const char *prefix, gsl_rng *rng)
{
	ct_table *ct = g_new0(ct_table, 1);
	ct->cfg = *c;
	ct->cfg.buckets = c->buckets ? c->buckets : 1;
	ct->cfg.hz = c->hz ? c->hz : DEFAULT_HZ;
	ct->L = L;
	pool_init(&ct->pool, sizeof(ct_entry), "ct");
	ct->nbuckets = ct->cfg.buckets;
	ct->max = c->max;
	ct->inl_shift = 2;  /* CT_INLINE_MIN */
	ct->bk = bigmem_alloc(bucket_bytes(ct));
	memset(ct->bk, 0xff, bucket_bytes(ct));  /* CT_NIL */
	ct->k0 = rng_u64(rng);
	ct->k1 = rng_u64(rng);
	ct->chain_rng = rng_u64(rng);
	ct->timers = c->gc == CTGC_TIMERS;

	static const int tidx[TC_N] = {
		[TC_SS] = CT_TMO_SYN_SENT, [TC_SR] = CT_TMO_SYN_RECV, [TC_ES] = CT_TMO_ESTABLISHED,
		[TC_FW] = CT_TMO_FIN_WAIT, [TC_CW] = CT_TMO_CLOSE_WAIT, [TC_LA] = CT_TMO_LAST_ACK,
		[TC_TW] = CT_TMO_TIME_WAIT, [TC_CL] = CT_TMO_CLOSE, [TC_S2] = -1,
		[TC_RETRANS] = CT_TMO_MAX_RETRANS, [TC_UNACK] = CT_TMO_UNACK,
	};
	for (unsigned tc = 0; tc < TC_N; tc++) {
		ct->tmo[tc] = tidx[tc] < 0 ? T_SYN_SENT2 : (ev_time)c->timeout[tidx[tc]] * EV_SEC;
		unsigned l = 0;
		while (l < ct->nlists && ct->lists[l].len != ct->tmo[tc])
			l++;
		if (l == ct->nlists)
			ct->lists[ct->nlists++] = (tlist){ CT_NIL, CT_NIL, ct->tmo[tc], EV_NONE };
		ct->tc_list[tc] = (uint8_t)l;
	}
	ct->k_tmo = ev_kind_register(L, "ct_timeout", on_timeout, ct);
	ct__gc_init(ct);

	char name[160];
#define COUNTER(field, nm, help)                                  \
	snprintf(name, sizeof name, "%s.%s", prefix, nm);         \
	ct->field = probe_counter(ps, name, help)
	COUNTER(c_found, "found", "nf_conntrack_tuple_taken hits (<= 4.9: also packet lookups)");
	COUNTER(c_insert, "insert", "entries confirmed (<= 4.9; later kernels count ctnetlink insertions only)");
	COUNTER(c_confirmed, "confirmed", "entries confirmed, on every profile (connsim's own; the kernel's insert up to 4.9)");
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
		snprintf(name, sizeof name, "%s.state.%s", prefix, ct_state_name((ct_state)s));
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
	return (size_t)ct->count * ct->cfg.entry_bytes + (size_t)ct->nbuckets * 8;
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
