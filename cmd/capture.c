/*
 * capture: a run's segments into a pcap file as the tap reports them
 * (capture.h).
 *
 * With a limit, a connection is known by its 4-tuple on each wire (the
 * client's, and the one beyond each NAT, learned from the segment that
 * crossed it).  The same tuple can carry a later connection once the first
 * is gone (the port model hands the port out again after TIME_WAIT, or
 * tw_reuse takes it over): a SYN with another ISN on a kept tuple is that
 * later connection, counted afresh; a segment of a connection not kept that
 * crosses a NAT onto a kept tuple takes the tuple back from the old one.
 */
#include "cmd/capture.h"

#include <glib.h>

#include "cmd/pcapw.h"

struct capture {
	pcapw *w;
	tap tp;
	uint64_t limit, conns, packets;
	GHashTable *kept;     /* tap_tuple* (either direction, see key) -> ISN of its SYN */
	GHashTable *flight;   /* segment ids in flight of kept connections */
	uint32_t same_wire;   /* boxes that are hosts' own conntrack (capture_same_wire) */
};

/* The tuple with its lower endpoint first: both directions, one key. */
static tap_tuple key_of(const tap_tuple *t)
{
	uint64_t a = (uint64_t)t->saddr << 16 | t->sport, b = (uint64_t)t->daddr << 16 | t->dport;
	if (a <= b)
		return *t;
	return (tap_tuple){ t->daddr, t->saddr, t->dport, t->sport };
}

static guint tuple_hash(gconstpointer p)
{
	const tap_tuple *t = p;
	return (guint)(t->saddr * 2654435761u ^ t->daddr * 40503u ^ ((guint)t->sport << 16 | t->dport));
}

static gboolean tuple_eq(gconstpointer a, gconstpointer b)
{
	const tap_tuple *x = a, *y = b;
	return x->saddr == y->saddr && x->daddr == y->daddr && x->sport == y->sport && x->dport == y->dport;
}

static void keep(capture *c, const tap_tuple *t, uint32_t isn)
{
	tap_tuple *k = g_new(tap_tuple, 1);
	*k = key_of(t);
	g_hash_table_replace(c->kept, k, GUINT_TO_POINTER(isn));
}

/* Is the segment a host just sent (or lost on its own link) one to keep? */
static bool kept_sent(capture *c, const tap_pkt *p)
{
	tap_tuple k = key_of(&p->t);
	gpointer isn;
	bool known = g_hash_table_lookup_extended(c->kept, &k, NULL, &isn);
	if ((p->flags & (TAP_F_SYN | TAP_F_ACK)) != TAP_F_SYN)
		return known;
	if (known && GPOINTER_TO_UINT(isn) == p->seq)
		return true;  /* the SYN again */
	if (c->conns < c->limit) {  /* a connection's first SYN */
		c->conns++;
		keep(c, &p->t, p->seq);
		return true;
	}
	if (known)  /* a later connection on a kept tuple, beyond the limit */
		g_hash_table_remove(c->kept, &k);
	return false;
}

static void put(capture *c, int64_t t, const tap_pkt *p)
{
	pcapw_put(c->w, t, p);
	c->packets++;
}

static tap_verdict on_tap(void *ctx, tap_rec *r)
{
	capture *c = ctx;
	bool all = c->limit == 0;
	switch (r->kind) {
	case TAP_SEND:
		if (all) {
			put(c, r->t, &r->pkt);
		} else if (kept_sent(c, &r->pkt)) {
			put(c, r->t, &r->pkt);
			g_hash_table_add(c->flight, GUINT_TO_POINTER(r->seg));
		} else {  /* the id may be a kept segment's, freed unseen */
			g_hash_table_remove(c->flight, GUINT_TO_POINTER(r->seg));
		}
		break;
	case TAP_HOP:
		if (r->box >= 0 && r->box < 32 && (c->same_wire >> r->box & 1))
			break;  /* the host's own hooks: no other wire */
		if (all) {
			put(c, r->t, &r->pkt);
		} else if (g_hash_table_contains(c->flight, GUINT_TO_POINTER(r->seg))) {
			put(c, r->t, &r->pkt);
			tap_tuple k = key_of(&r->pkt.t);
			if (!g_hash_table_contains(c->kept, &k))  /* the same connection beyond a NAT */
				keep(c, &r->pkt.t, 0);
		} else {
			tap_tuple k = key_of(&r->pkt.t);
			g_hash_table_remove(c->kept, &k);
		}
		break;
	case TAP_DROP:
		/* Lost on the sender's own link: there is no segment record and
		 * no TAP_SEND, but the sender did put it on the wire. */
		if (r->seg == UINT32_MAX && r->host >= 0) {
			if (all || kept_sent(c, &r->pkt))
				put(c, r->t, &r->pkt);
		} else if (!all) {
			g_hash_table_remove(c->flight, GUINT_TO_POINTER(r->seg));
		}
		break;
	case TAP_RECV:
		if (!all)
			g_hash_table_remove(c->flight, GUINT_TO_POINTER(r->seg));
		break;
	default:
		break;
	}
	return TAP_PASS;
}

void capture_same_wire(capture *c, int box)
{
	if (box >= 0 && box < 32)
		c->same_wire |= 1u << box;
}

capture *capture_new(FILE *fp, uint64_t limit)
{
	pcapw *w = pcapw_open(fp);
	if (!w)
		return NULL;
	capture *c = g_new0(capture, 1);
	c->w = w;
	c->limit = limit;
	c->tp = (tap){ c, on_tap };
	c->kept = g_hash_table_new_full(tuple_hash, tuple_eq, g_free, NULL);
	c->flight = g_hash_table_new(g_direct_hash, g_direct_equal);
	return c;
}

const tap *capture_tap(capture *c)
{
	return &c->tp;
}

uint64_t capture_packets(const capture *c)
{
	return c->packets;
}

bool capture_finish(capture *c)
{
	bool ok = pcapw_close(c->w);
	g_hash_table_destroy(c->kept);
	g_hash_table_destroy(c->flight);
	g_free(c);
	return ok;
}
