/*
 * The path through middleboxes.  tcp__send delivers a segment directly when
 * both ends are on the same side (one event, the two link delays); between
 * the client side and the server side, or towards an address no host has (a
 * NAT's external address), it hands the segment here: it visits each box
 * added with tcp_add_hop, in order from the sender's side, one event per box
 * so that each sees the segment when it gets there, and is then delivered to
 * whichever host has its (possibly translated) destination.
 */
#include "models/tcp_int.h"

#include <glib.h>

#include "sim/bug.h"

/* The configuration layer allows no more boxes than the path has room for. */
void tcp_add_hop(tcp_net *n, tcp_hop_fn fn, tcp_hop_prefetch_fn prefetch, void *ctx, ev_time delay, double loss,
		 gsl_rng *loss_rng)
{
	BUG_ON(n->nhops == G_N_ELEMENTS(n->hops));
	n->hops[n->nhops++] = (tcp_hop){ fn, prefetch, ctx, delay, loss, loss_rng };
}

void tcp_hops_self(tcp_net *n)
{
	n->hops_self = true;
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

void tcp__path_enter(tcp_net *n, const tcp_host *h, uint32_t i, ev_time extra)
{
	seg *s = pool_at(&n->segs, i);
	s->from_server = h->side;
	s->hop = h->side ? (uint8_t)(n->nhops - 1) : 0;
	hop_prefetch(n, s);
	if (G_UNLIKELY(extra))  /* a fault the tap staged */
		ev_after(n->L, h->link_delay + n->hops[s->hop].delay + extra, n->k_hop, i, 0);
	else
		ev_after_fixed(n->L, h->link_delay + n->hops[s->hop].delay, n->k_hop, i, 0);
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

/* Past the last box: to the host with the destination, through its link
 * (and its loss); nobody has the address: lost. */
static void deliver(tcp_net *n, uint32_t i)
{
	seg *s = pool_at(&n->segs, i);
	int dst = tcp__route(n, s->daddr);
	if (dst < 0) {
		if (G_UNLIKELY(n->tap))
			tap_drop(n, i, -1, TAP_WHY_NO_ROUTE);
		pool_free(&n->segs, i);
		return;
	}
	tcp_host *d = &n->hosts[dst];
	/* (on a loopback path the receiver is the sender, whose link loss
	 * tcp__send drew once, as for a direct segment) */
	if (d->loss > 0 && !n->hops_self && gsl_rng_uniform(d->loss_rng) < d->loss) {
		if (G_UNLIKELY(n->tap))
			tap_drop(n, i, -1, TAP_WHY_LOSS);
		pool_free(&n->segs, i);
		return;
	}
	s->dst = (uint16_t)dst;
	/* As tcp__send does for a direct segment: the receiver looks the
	 * (translated) 4-tuple up one link delay from now, so start fetching
	 * its ehash bucket now. */
	tuple4 rt = { s->daddr, s->saddr, s->dport, s->sport };
	ehash_prefetch(d->eh, &rt);
	ev_after_fixed(n->L, d->link_delay, n->k_seg, i, 0);
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
	bool last = s->from_server ? s->hop == 0 : s->hop + 1u == n->nhops;
	if (last) {
		deliver(n, i);
		return;
	}
	s->hop = (uint8_t)(s->from_server ? s->hop - 1 : s->hop + 1);
	hop_prefetch(n, s);
	ev_after_fixed(n->L, n->hops[s->hop].delay, n->k_hop, i, 0);
}
