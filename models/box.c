#include "models/box.h"

#include <stdio.h>

#include "models/tap.h"
#include "sim/bug.h"

struct box {
	char *name;
	kconf k;
	ct_table *ct;
	nat *nat;
	gw gw;             /* a gateway ([nat] kind, models/gw.h) instead of conntrack + SNAT; ops NULL: none */
	nat_cfg natc;
	uint32_t *nat_addrs;
	uint32_t syn_seq;  /* the packet being set up (the harder rule compares sequences) */
	bool nat_failed;   /* the NAT's search for the packet being set up failed */
	uint8_t why;       /* the last packet dropped: a TCP_HIT_* cause, or 0 */
	double unseen;
	gsl_rng *unseen_rng;
	GHashTable *hidden;  /* entries whose teardown this box does not see */
	uint64_t *hidden_count;
	ev_loop *L;
	const tap *tap;      /* box_set_tap: NULL unless observed */
	int tap_index;       /* this box's place on the path, for the tap */
	uint32_t direct_lo, direct_n;  /* box_set_direct: [lo, lo + n) bypass */
};

/* From or to a client that does not sit behind this box (box_set_direct). */
static inline bool direct(const box *b, uint32_t saddr, uint32_t daddr)
{
	return b->direct_n && (saddr - b->direct_lo < b->direct_n || daddr - b->direct_lo < b->direct_n);
}

static inline tap_tuple tap_of(const ct_tuple *t)
{
	return (tap_tuple){ t->src, t->dst, t->sport, t->dport };
}

/* nat_ops on this box's conntrack table */
static bool ops_taken(void *ctx, const ct_tuple *reply, uint32_t ignore, bool count)
{
	return ct_tuple_taken(((box *)ctx)->ct, reply, ignore, count);
}

static bool ops_evict(void *ctx, const ct_tuple *reply, uint32_t seq)
{
	box *b = ctx;
	bool evicted = ct_evict_closing(b->ct, reply, seq);
	if (G_UNLIKELY(b->tap) && evicted)
		tap_rule_at(b->tap, ev_now(b->L), -1, b->tap_index, (tap_tuple[1]){ tap_of(reply) }, TAP_R_NAT_EVICT,
			    reply->dport, 0, 0);
	return evicted;
}

static void forget(void *ctx, uint32_t entry)
{
	box *b = ctx;
	if (b->nat)
		nat_forget(b->nat, entry);
	if (g_hash_table_size(b->hidden))
		g_hash_table_remove(b->hidden, GUINT_TO_POINTER(entry));
}

static void forget_prefetch(void *ctx, uint32_t entry)
{
	const box *b = ctx;
	if (b->nat)
		nat_prefetch_forget(b->nat, entry);
}

/* For the tap: the NAT's choice for a new entry (or its failure). */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_box_nat(const box *b, const ct_tuple *orig, const ct_tuple *reply)
{
	tap_tuple o = tap_of(orig), r = tap_of(reply);
	if (b->nat_failed)
		tap_rule_at(b->tap, ev_now(b->L), -1, b->tap_index, &o, TAP_R_NAT_FAIL, 0, 0, 0);
	else
		tap_nat(b->tap, ev_now(b->L), b->tap_index, &o, &r);
}

/* nf_nat_setup_info for a new entry: the NAT's choice becomes the REPLY
 * tuple even when its search failed (the last tuple tried), in which case
 * confirmation clashes and counts insert_failed (doc/kernel-rules.md §7.2 step 7). */
static bool setup(void *ctx, ct_table *ct, uint32_t entry, const ct_tuple *orig, ct_tuple *reply)
{
	box *b = ctx;
	(void)ct;
	if (b->nat)
		b->nat_failed = !nat_choose(b->nat, entry, orig, b->syn_seq, reply);
	if (G_UNLIKELY(b->tap) && b->nat)
		tap_box_nat(b, orig, reply);
	return true;
}

/* The conntrack settings of the table: k's sysctls and its profile's rule
 * variants. */
static void box_ct_cfg(const kconf *k, ct_cfg *c)
{
	*c = (ct_cfg){
		.buckets = k->ct_buckets,
		.max = k->ct_max,
		.loose = k->ct_loose,
		.be_liberal = k->ct_be_liberal,
		.max_retrans = k->ct_max_retrans,
		.hz = k->hz,
	};
	static const int kidx[CT_NTIMEOUTS] = {
		[CT_TMO_SYN_SENT] = KCONF_CT_SYN_SENT, [CT_TMO_SYN_RECV] = KCONF_CT_SYN_RECV,
		[CT_TMO_ESTABLISHED] = KCONF_CT_ESTABLISHED, [CT_TMO_FIN_WAIT] = KCONF_CT_FIN_WAIT,
		[CT_TMO_CLOSE_WAIT] = KCONF_CT_CLOSE_WAIT, [CT_TMO_LAST_ACK] = KCONF_CT_LAST_ACK,
		[CT_TMO_TIME_WAIT] = KCONF_CT_TIME_WAIT, [CT_TMO_CLOSE] = KCONF_CT_CLOSE,
		[CT_TMO_MAX_RETRANS] = KCONF_CT_MAX_RETRANS, [CT_TMO_UNACK] = KCONF_CT_UNACK,
	};
	for (unsigned i = 0; i < CT_NTIMEOUTS; i++)
		c->timeout[i] = k->ct_timeout[kidx[i]];
	ct_cfg_rules(c, k->prof ? k->prof : prof_default());
}

void box_set_gw(box *b, const gw *g, unsigned naddrs)
{
	/* The conntrack table stays (empty) so that the box's accessors hold;
	 * the gateway's own flow table decides everything. */
	BUG_ON(b->nat || b->gw.ops);
	b->gw = *g;
	b->natc.naddrs = naddrs;
}

box *box_new(const char *name, const kconf *k, const nat_cfg *natc, ev_loop *L, probe_set *ps, gsl_rng *ct_rng,
	     gsl_rng *nat_rng, double unseen, gsl_rng *unseen_rng)
{
	box *b = g_new0(box, 1);
	b->unseen = unseen;
	b->unseen_rng = unseen_rng;
	b->hidden = g_hash_table_new(g_direct_hash, g_direct_equal);
	b->name = g_strdup(name);
	b->k = *k;
	b->L = L;
	char *pre = g_strdup_printf("%s.ct", name);
	ct_cfg cc;
	box_ct_cfg(k, &cc);
	b->ct = ct_new(&cc, L, ps, pre, ct_rng);
	g_free(pre);
	if (natc) {
		b->natc = *natc;
		b->nat_addrs = g_memdup2(natc->addrs, natc->naddrs * sizeof(uint32_t));
		b->natc.addrs = b->nat_addrs;
		nat_ops ops = { b, ops_taken, ops_evict };
		pre = g_strdup_printf("%s.snat", name);
		b->nat = nat_new(&b->natc, k->prof, &ops, nat_rng, ps, pre);
		g_free(pre);
	}
	ct_set_destroy_hook(b->ct, forget, forget_prefetch, b);
	pre = g_strdup_printf("%s.unseen_teardowns", name);
	b->hidden_count = probe_counter(ps, pre, "connections whose FIN/RST this box never saw (workload unseen_teardown)");
	g_free(pre);
	return b;
}

void box_free(box *b)
{
	if (!b)
		return;
	nat_free(b->nat);
	if (b->gw.ops)
		b->gw.ops->free(b->gw.g);
	ct_free(b->ct);
	g_hash_table_destroy(b->hidden);
	g_free(b->nat_addrs);
	g_free(b->name);
	g_free(b);
}

/* nf_nat_packet / nf_nat_manip_pkt, source NAT */
static void translate(const box *b, uint32_t entry, int dir, ct_pkt *p)
{
	ct_tuple o, rp;
	ct_tuples(b->ct, entry, &o, &rp);
	if (dir == CT_ORIGINAL) {
		p->t.src = rp.dst;
		p->t.sport = rp.dport;
	} else {
		p->t.dst = o.src;
		p->t.dport = o.sport;
	}
}

/* Values in box.hidden: the teardown is yet to come, or has begun. */
#define HIDDEN_OPEN GUINT_TO_POINTER(1)
#define HIDDEN_TORN GUINT_TO_POINTER(2)

/* For the tap: the entry a packet went through, its state and expiry. */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_box_ct(const box *b, const ct_result *r)
{
	ct_tuple o, rp;
	ct_tuples(b->ct, r->entry, &o, &rp);
	tap_tuple t = tap_of(&o);
	ct_state st = ct_entry_state(b->ct, r->entry);
	tap_ct(b->tap, ev_now(b->L), b->tap_index, &t, r->destroyed ? "destroyed" : ct_state_name(st),
	       r->destroyed ? -1 : (int64_t)ct_entry_expires(b->ct, r->entry));
}

void box_set_tap(box *b, const tap *t, int index)
{
	b->tap = t;
	b->tap_index = index;
	ct_set_tap(b->ct, t, index);
}

/* One segment crossing the box; p is rewritten in place when translated.
 * Returns false when the box drops it. */
static bool box_hop(void *ctx, ct_pkt *p)
{
	box *b = ctx;
	ct_result r;
	/* A hidden teardown: from its first FIN or RST on, the connection's
	 * segments take another path (or the peer is gone), so conntrack sees
	 * none of them.  Seeing the last ACK would not do: it advances the
	 * sender's td_end past the unseen FIN, which sets
	 * IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED (tcp_in_window) and caps the
	 * timeout at nf_conntrack_tcp_timeout_unacknowledged (tcp_packet). */
	uint32_t e = CT_NIL;
	int dir = CT_ORIGINAL;
	bool looked = g_hash_table_size(b->hidden) > 0;
	if (looked) {
		e = ct_find(b->ct, &p->t, &dir);
		gpointer v = e != CT_NIL ? g_hash_table_lookup(b->hidden, GUINT_TO_POINTER(e)) : NULL;
		if (v && (v == HIDDEN_TORN || (p->flags & (CT_F_FIN | CT_F_RST)))) {
			if (v != HIDDEN_TORN)
				g_hash_table_insert(b->hidden, GUINT_TO_POINTER(e), HIDDEN_TORN);
			if (b->nat)
				translate(b, e, dir, p);
			return true;  /* took another path: conntrack never saw it */
		}
	}
	if (!looked && b->nat && (p->flags & (CT_F_SYN | CT_F_ACK)) == CT_F_SYN) {
		/* Most likely a new connection.  The NAT's first lookup will
		 * miss the cache: start it, so that it overlaps conntrack's own
		 * lookup of the packet (the source's record, which names it,
		 * was fetched when the SYN was sent). */
		ct_tuple probe;
		bool have = nat_first_probe(b->nat, &p->t, &probe);
		if (have)
			ct_prefetch(b->ct, &probe);
	}
	b->syn_seq = p->seq;
	b->nat_failed = false;
	ct_verdict v = looked ? ct_in_found(b->ct, p, e, dir, setup, b, &r) : ct_in(b->ct, p, setup, b, &r);
	if (v == CT_DROP) {
		/* For the connection's record (conn.hit.*): the table was full,
		 * or the NAT found no free tuple and installed a taken one. */
		b->why = r.drop == CT_WHY_FULL ? TCP_HIT_CT_DROP
			 : r.drop == CT_WHY_CLASH && b->nat_failed ? TCP_HIT_NAT_FAIL : 0;
		return false;
	}
	if (r.created && b->unseen > 0 && gsl_rng_uniform(b->unseen_rng) < b->unseen) {
		g_hash_table_insert(b->hidden, GUINT_TO_POINTER(r.entry), HIDDEN_OPEN);
		(*b->hidden_count)++;
	}
	if (G_UNLIKELY(b->tap) && r.tracked)
		tap_box_ct(b, &r);
	if (!r.tracked || !b->nat)
		return true;
	translate(b, r.entry, r.dir, p);
	return true;
}

/* The segment reaches the box one delay from now: start fetching its
 * conntrack bucket and, for a SYN, what the NAT's search will read first. */
void box_hop_prefetch(void *ctx, const tcp_hop_pkt *hp)
{
	const box *b = ctx;
	if (b->gw.ops || direct(b, hp->saddr, hp->daddr))
		return;
	ct_tuple t = { hp->saddr, hp->daddr, hp->sport, hp->dport };
	ct_prefetch(b->ct, &t);
	if (b->nat && (hp->flags & (TCP_HOP_SYN | TCP_HOP_ACK)) == TCP_HOP_SYN)
		nat_prefetch(b->nat, &t);
}

bool box_hop_tcp(void *ctx, tcp_hop_pkt *hp)
{
	if (direct(ctx, hp->saddr, hp->daddr))
		return true;  /* not routed through this box: untouched */
	box *b = ctx;
	if (b->gw.ops) {
		hp->why = 0;
		return b->gw.ops->hop(b->gw.g, hp, ev_now(b->L));
	}
	ct_pkt p = {
		.t = { hp->saddr, hp->daddr, hp->sport, hp->dport },
		.flags = (uint8_t)(((hp->flags & TCP_HOP_SYN) ? CT_F_SYN : 0) | ((hp->flags & TCP_HOP_ACK) ? CT_F_ACK : 0) |
				   ((hp->flags & TCP_HOP_FIN) ? CT_F_FIN : 0) | ((hp->flags & TCP_HOP_RST) ? CT_F_RST : 0)),
		.seq = hp->seq,
		.ack = hp->ack,
		.len = 0,  /* the data phase is not segments: no payload crosses */
	};
	if (!box_hop(ctx, &p)) {
		hp->why = ((box *)ctx)->why;
		return false;
	}
	hp->saddr = p.t.src;
	hp->daddr = p.t.dst;
	hp->sport = p.t.sport;
	hp->dport = p.t.dport;
	return true;
}

size_t box_ct_kernel_bytes(const box *b)
{
	return ct_kernel_bytes(b->ct);
}

void box_set_direct(box *b, uint32_t lo, uint32_t n)
{
	b->direct_lo = lo;
	b->direct_n = n;
}

void box_share_host(box *owner, box *peer)
{
	ct_share_gc(owner->ct, peer->ct);
}

const ct_table *box_ct(const box *b)
{
	return b->ct;
}

const nat *box_nat(const box *b)
{
	return b->nat;
}

const kconf *box_kconf(const box *b)
{
	return &b->k;
}

const char *box_name(const box *b)
{
	return b->name;
}

void box_describe(const box *b, GString *o, const char *pre)
{
	char *p = g_strdup_printf("%s%s: ", pre, b->name);
	if (b->gw.ops)
		g_string_append_printf(o, "%s%s, %u address(es)\n", p, b->gw.ops->title, b->natc.naddrs);
	else
		kconf_describe_ct(&b->k, o, p);
	if (b->nat) {
		g_string_append_printf(o, "%sSNAT to %u address(es)", p, b->natc.naddrs);
		if (b->natc.port_lo)
			g_string_append_printf(o, ", ports %u-%u", b->natc.port_lo, b->natc.port_hi);
		g_string_append_printf(o, "%s%s%s\n", b->natc.random ? ", --random" : "",
				       b->natc.random_fully ? ", --random-fully" : "",
				       b->natc.persistent ? ", --persistent" : "");
	}
	g_free(p);
}
