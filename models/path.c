/*
 * The path through middleboxes.  tcp__send delivers a segment directly when
 * both ends are on the same side (one event, the two link delays); between
 * the client side and the server side, or towards an address no host has (a
 * NAT's external address), it hands the segment here: it visits each box
 * added with tcp_add_hop, in order from the sender's side, one event per box
 * so that each sees the segment when it gets there, and is then delivered to
 * whichever host has its (possibly translated) destination.
 *
 * Timing: the sender's link delay, each box's delay, the receiver's link
 * delay.  A box that is a host's own conntrack (tcp_hop_own) is not on the
 * wire but at that host's hooks: a segment reaches it after crossing the
 * host's link when the host receives it, and leaves it to cross the link
 * when the host sends it.
 */
#include "models/tcp_int.h"

#include <glib.h>

#include "sim/bug.h"

/* The configuration layer allows no more boxes than the path has room for. */
void tcp_add_hop(tcp_net *n, tcp_hop_fn fn, tcp_hop_prefetch_fn prefetch, void *ctx, ev_time delay, double loss,
		 gsl_rng *loss_rng)
{
	BUG_ON(n->nhops == G_N_ELEMENTS(n->hops));
	n->hops[n->nhops++] = (tcp_hop){ fn, prefetch, ctx, delay, loss, loss_rng, -1 };
}

void tcp_hops_self(tcp_net *n)
{
	n->hops_self = true;
}

void tcp_hop_own(tcp_net *n, unsigned k, int host)
{
	BUG_ON(k >= n->nhops || host < 0 || (unsigned)host >= n->nhosts);
	n->hops[k].own = host;
}

/* The host on side whose own conntrack hop is, or NULL. */
static inline const tcp_host *own_on(const tcp_net *n, const tcp_hop *hop, unsigned side)
{
	if (hop->own < 0 || n->hops_self)
		return NULL;
	const tcp_host *o = &n->hosts[hop->own];
	return o->side == side ? o : NULL;
}

/* To box `to` from the sender (from NULL) or box `from`, for a segment
 * crossing from side tx. */
static ev_time hop_delay(const tcp_net *n, const tcp_host *sender, const tcp_hop *from, const tcp_hop *to,
			 unsigned tx)
{
	/* the sender's link: past its own hooks, before any other box */
	const tcp_host *out = sender ? (own_on(n, to, tx) ? NULL : sender) : own_on(n, from, tx);
	/* the receiver's link: before its own hooks */
	const tcp_host *in = own_on(n, to, !tx);
	return to->delay + (out ? out->link_delay : 0) + (in ? in->link_delay : 0);
}

static inline uint8_t hop_flags(const seg *s)
{
	return (uint8_t)(((s->flags & F_SYN) ? TCP_HOP_SYN : 0) | ((s->flags & F_ACK) ? TCP_HOP_ACK : 0) |
			 ((s->flags & F_FIN) ? TCP_HOP_FIN : 0) | ((s->flags & F_RST) ? TCP_HOP_RST : 0));
}

/* The box looks the segment up when it gets there, a delay from now: let it
 * start fetching (its conntrack bucket, in a large table a cache miss). */
static void hop_prefetch(const tcp_net *n, const seg *s)
{
	const tcp_hop *hop = &n->hops[s->hop];
	if (!hop->prefetch)
		return;
	tcp_hop_pkt p = { s->saddr, s->daddr, s->sport, s->dport, hop_flags(s), 0, s->seq, s->ack };
	hop->prefetch(hop->ctx, &p);
}

bool tcp__path_own_first(const tcp_net *n, const tcp_host *h)
{
	return own_on(n, &n->hops[h->side ? n->nhops - 1 : 0], h->side) == h;
}

void tcp__path_enter(tcp_net *n, const tcp_host *h, uint32_t i, ev_time extra)
{
	seg *s = pool_at(&n->segs, i);
	s->from_server = h->side;
	s->hop = h->side ? (uint8_t)(n->nhops - 1) : 0;
	hop_prefetch(n, s);
	ev_time d = hop_delay(n, h, NULL, &n->hops[s->hop], h->side);
	if (G_UNLIKELY(extra))  /* a fault the tap staged */
		ev_after(n->L, d + extra, n->k_hop, i, 0);
	else
		ev_after_fixed(n->L, d, n->k_hop, i, 0);
}

/* For the tap: segment i leaves box s->hop (translated). */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_hop(tcp_net *n, uint32_t i)
{
	const seg *s = pool_at(&n->segs, i);
	tap_pkt p = tcp__tap_pkt(s);
	tap_seg(n->tap, TAP_HOP, ev_now(n->L), -1, s->hop, i, &p, 0);
}

/* For the tap: segment i is dropped (box: where, or -1). */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_drop(tcp_net *n, uint32_t i, int box, tap_why why)
{
	tap_pkt p = tcp__tap_pkt(pool_at(&n->segs, i));
	tap_seg(n->tap, TAP_DROP, ev_now(n->L), -1, box, i, &p, why);
}

/* Segment i is lost on host h's link (h may be NULL: no link here): freed. */
static bool link_loses(tcp_net *n, uint32_t i, const tcp_host *h)
{
	if (!h || h->loss <= 0 || gsl_rng_uniform(h->loss_rng) >= h->loss)
		return false;
	if (G_UNLIKELY(n->tap))
		tap_drop(n, i, -1, TAP_WHY_LOSS);
	pool_free(&n->segs, i);
	return true;
}

/* Past the last box: to the host with the destination, through its link
 * (and its loss) unless the box was its own hooks; nobody has the address:
 * lost. */
static void deliver(tcp_net *n, uint32_t i)
{
	seg *s = pool_at(&n->segs, i);
	const tcp_hop *last = &n->hops[s->hop];
	const tcp_host *tx = own_on(n, last, s->from_server);
	int dst = tcp__route(n, s->daddr);
	if (dst < 0) {
		if (G_UNLIKELY(n->tap))
			tap_drop(n, i, -1, TAP_WHY_NO_ROUTE);
		pool_free(&n->segs, i);
		return;
	}
	tcp_host *d = &n->hosts[dst];
	bool mine = own_on(n, last, !s->from_server) == d;  /* crossed d's link already */
	/* (on a loopback path the receiver is the sender, whose link loss
	 * tcp__send drew once, as for a direct segment) */
	if (link_loses(n, i, mine || n->hops_self ? NULL : d))
		return;
	s->dst = (uint16_t)dst;
	/* As tcp__send does for a direct segment: the receiver looks the
	 * (translated) 4-tuple up one link delay from now, so start fetching
	 * its ehash bucket now. */
	tuple4 rt = { s->daddr, s->saddr, s->dport, s->sport };
	ehash_prefetch(d->eh, &rt);
	ev_after_fixed(n->L, (tx ? tx->link_delay : 0) + (mine ? 0 : d->link_delay), n->k_seg, i, 0);
}

/* A segment reaches middlebox s->hop. */
void tcp__on_hop(void *ctx, uint32_t i, uint32_t arg)
{
	tcp_net *n = ctx;
	seg *s = pool_at(&n->segs, i);
	const tcp_hop *hop = &n->hops[s->hop];
	if (hop->loss > 0 && gsl_rng_uniform(hop->loss_rng) < hop->loss) {
		if (G_UNLIKELY(n->tap))
			tap_drop(n, i, s->hop, TAP_WHY_BOX_LOSS);
		pool_free(&n->segs, i);
		return;
	}
	/* the host whose own hooks these are received it over its link */
	if (link_loses(n, i, own_on(n, hop, !s->from_server)))
		return;
	tcp_hop_pkt p = { s->saddr, s->daddr, s->sport, s->dport, hop_flags(s), 0, s->seq, s->ack };
	if (!hop->fn(hop->ctx, &p)) {
		if (p.why)
			tcp__hit(n, s, p.why);
		if (G_UNLIKELY(n->tap))
			tap_drop(n, i, s->hop, p.why == TCP_HIT_CT_DROP ? TAP_WHY_CT_FULL
					       : p.why == TCP_HIT_NAT_FAIL ? TAP_WHY_NAT_FAIL : TAP_WHY_BOX);
		pool_free(&n->segs, i);
		return;
	}
	s->saddr = p.saddr;
	s->daddr = p.daddr;
	s->sport = p.sport;
	s->dport = p.dport;
	if (G_UNLIKELY(n->tap))
		tap_hop(n, i);
	/* past the sender's own hooks: its link (tcp__send left its loss) */
	if (link_loses(n, i, own_on(n, hop, s->from_server)))
		return;
	bool last = s->from_server ? s->hop == 0 : s->hop + 1u == n->nhops;
	if (last) {
		deliver(n, i);
		return;
	}
	s->hop = (uint8_t)(s->from_server ? s->hop - 1 : s->hop + 1);
	hop_prefetch(n, s);
	ev_after_fixed(n->L, hop_delay(n, NULL, hop, &n->hops[s->hop], s->from_server), n->k_hop, i, 0);
}
