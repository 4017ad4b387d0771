/*
 * awsgw: the AWS NAT Gateway box (models/natgw_aws.h has the sources and
 * the assumptions).  A flow table of its own, keyed both ways, a count per
 * (destination, address) that caps new connections at per_dest, and two
 * FIFO expiry queues (idle and close hold: each has one fixed delay, so
 * pushing at the current time keeps each queue sorted); an entry that a
 * later packet made stale is skipped when it comes out.
 */
#include "models/natgw_aws.h"

#include <glib.h>

#include "sim/bug.h"

typedef struct key {
	uint32_t a, b;
	uint16_t p, q;
} key;

typedef struct flow {
	key orig;        /* client, server, client port, server port */
	key reply;       /* server, gateway address, server port, gateway port */
	uint8_t ai;      /* which gateway address */
	uint8_t fins;    /* 1: FIN from behind seen, 2: FIN from the destination seen */
	bool closed, dead;
	uint32_t nq;     /* expiry-queue entries naming it (freed at 0 once dead) */
	ev_time deadline;
} flow;

typedef struct dest {
	uint32_t count[AWSGW_MAX_ADDRS];  /* ports taken per address */
	uint16_t rover[AWSGW_MAX_ADDRS];
} dest;

typedef struct qent {
	flow *f;
	ev_time deadline;
} qent;

enum { C_ERR, C_IDLE, C_ATTEMPT, C_DROP, NCOUNT };

struct awsgw {
	awsgw_cfg c;
	uint32_t addrs[AWSGW_MAX_ADDRS];
	GHashTable *by_orig, *by_reply;  /* key -> flow */
	GHashTable *dests;               /* (daddr << 16 | dport) -> dest */
	GQueue idle, hold;
	uint32_t held;
	uint64_t local[NCOUNT];
	uint64_t *cnt[NCOUNT];
	probe_gauge *active, *ports;
};

/* Ports a gateway address hands out: "ephemeral port range (1024-65535)"
 * (the Knowledge Center page the header cites, on network ACLs). */
#define PORT_LO 1024u
#define NPORTS (65536u - PORT_LO)

static guint key_hash(gconstpointer v)
{
	const key *k = v;
	uint64_t h = ((uint64_t)k->a * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)k->b * 0xc2b2ae3d27d4eb4full) ^
		     ((uint64_t)k->p << 16 | k->q) * 0x165667b19e3779f9ull;
	return (guint)(h ^ (h >> 29));
}

static gboolean key_eq(gconstpointer x, gconstpointer y)
{
	const key *a = x, *b = y;
	return a->a == b->a && a->b == b->b && a->p == b->p && a->q == b->q;
}

awsgw *awsgw_new(const awsgw_cfg *cfg, probe_set *ps, const char *prefix)
{
	BUG_ON(!cfg->naddrs || cfg->naddrs > AWSGW_MAX_ADDRS || !cfg->per_dest || cfg->per_dest > NPORTS);
	awsgw *g = g_new0(awsgw, 1);
	g->c = *cfg;
	for (unsigned i = 0; i < cfg->naddrs; i++)
		g->addrs[i] = cfg->addrs[i];
	g->c.addrs = g->addrs;
	g->by_orig = g_hash_table_new(key_hash, key_eq);
	g->by_reply = g_hash_table_new(key_hash, key_eq);
	g->dests = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	g_queue_init(&g->idle);
	g_queue_init(&g->hold);
	static const char *const names[NCOUNT][2] = {
		[C_ERR] = { "ErrorPortAllocation", "SYNs for which no source port was free (AWS/NATGateway metric)" },
		[C_IDLE] = { "IdleTimeoutCount", "connections timed out after idle_timeout without traffic (AWS/NATGateway)" },
		[C_ATTEMPT] = { "ConnectionAttemptCount", "SYNs of new connections (AWS/NATGateway metric)" },
		[C_DROP] = { "PacketsDropCount", "segments dropped: no port, or no connection (AWS/NATGateway metric)" },
	};
	for (int i = 0; i < NCOUNT; i++) {
		g->cnt[i] = &g->local[i];
		if (ps) {
			char *n = g_strdup_printf("%s%s", prefix, names[i][0]);
			g->cnt[i] = probe_counter(ps, n, names[i][1]);
			g_free(n);
		}
	}
	if (ps) {
		char *n = g_strdup_printf("%sActiveConnectionCount", prefix);
		g->active = probe_gauge_get(ps, n, "open connections through the gateway (AWS/NATGateway metric)");
		g_free(n);
		n = g_strdup_printf("%sports_held", prefix);
		g->ports = probe_gauge_get(ps, n, "gateway ports taken: open connections and closed ones within close_hold");
		g_free(n);
	}
	return g;
}

static void free_qents(GQueue *q)
{
	qent *e;
	while ((e = g_queue_pop_head(q))) {
		if (--e->f->nq == 0 && e->f->dead)
			g_free(e->f);
		g_free(e);
	}
}

void awsgw_free(awsgw *g)
{
	if (!g)
		return;
	/* flows still in the table: mark dead, free once no queue names them */
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, g->by_orig);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		flow *f = v;
		f->dead = true;
		if (!f->nq)
			g_free(f);
	}
	free_qents(&g->idle);
	free_qents(&g->hold);
	g_hash_table_destroy(g->by_orig);
	g_hash_table_destroy(g->by_reply);
	g_hash_table_destroy(g->dests);
	g_free(g);
}

static dest *dest_of(awsgw *g, uint32_t daddr, uint16_t dport, bool create)
{
	gint64 k = (gint64)((uint64_t)daddr << 16 | dport);
	dest *d = g_hash_table_lookup(g->dests, &k);
	if (!d && create) {
		gint64 *kp = g_new(gint64, 1);
		*kp = k;
		d = g_new0(dest, 1);
		g_hash_table_insert(g->dests, kp, d);
	}
	return d;
}

static void push(GQueue *q, flow *f, ev_time deadline)
{
	qent *e = g_new(qent, 1);
	e->f = f;
	e->deadline = deadline;
	f->nq++;
	g_queue_push_tail(q, e);
}

static void remove_flow(awsgw *g, flow *f, ev_time now)
{
	g_hash_table_remove(g->by_orig, &f->orig);
	g_hash_table_remove(g->by_reply, &f->reply);
	dest *d = dest_of(g, f->orig.b, f->orig.q, false);
	BUG_ON(!d || !d->count[f->ai]);
	d->count[f->ai]--;
	g->held--;
	if (g->ports)
		probe_gauge_add(g->ports, -1, now);
	if (!f->closed && g->active)
		probe_gauge_add(g->active, -1, now);
	f->dead = true;
	if (!f->nq)
		g_free(f);
}

/* Expire what is due at now from one queue: idle (still open, no packet
 * since the entry was pushed) or hold (closed, hold over). */
static void reap_queue(awsgw *g, GQueue *q, bool idle, ev_time now)
{
	qent *e;
	while ((e = g_queue_peek_head(q)) && e->deadline <= now) {
		g_queue_pop_head(q);
		flow *f = e->f;
		f->nq--;
		if (f->dead) {
			if (!f->nq)
				g_free(f);
		} else if (f->deadline == e->deadline && f->closed != idle) {
			if (idle)
				(*g->cnt[C_IDLE])++;
			remove_flow(g, f, now);
		}
		g_free(e);
	}
}

static void reap(awsgw *g, ev_time now)
{
	reap_queue(g, &g->idle, true, now);
	reap_queue(g, &g->hold, false, now);
}

/* A new connection: the address with the fewest connections to this
 * destination that is below per_dest (assumed: AWS does not say how it
 * spreads connections over its addresses), then the next free port there. */
static flow *allocate(awsgw *g, const key *orig, ev_time now)
{
	dest *d = dest_of(g, orig->b, orig->q, true);
	unsigned best = AWSGW_MAX_ADDRS;
	for (unsigned i = 0; i < g->c.naddrs; i++)
		if (d->count[i] < g->c.per_dest && (best == AWSGW_MAX_ADDRS || d->count[i] < d->count[best]))
			best = i;
	if (best == AWSGW_MAX_ADDRS)
		return NULL;
	key r = { orig->b, g->addrs[best], orig->q, 0 };
	/* count < per_dest <= NPORTS: a free port exists */
	for (unsigned n = 0;; n++) {
		BUG_ON(n >= NPORTS);
		r.q = (uint16_t)(PORT_LO + d->rover[best] % NPORTS);
		d->rover[best] = (uint16_t)((d->rover[best] + 1) % NPORTS);
		if (!g_hash_table_contains(g->by_reply, &r))
			break;
	}
	flow *f = g_new0(flow, 1);
	f->orig = *orig;
	f->reply = r;
	f->ai = (uint8_t)best;
	d->count[best]++;
	g->held++;
	g_hash_table_insert(g->by_orig, &f->orig, f);
	g_hash_table_insert(g->by_reply, &f->reply, f);
	if (g->ports)
		probe_gauge_add(g->ports, 1, now);
	if (g->active)
		probe_gauge_add(g->active, 1, now);
	return f;
}

/* Closed: RST either way, or the ACK that follows FINs both ways (so the
 * last ACK still crosses).  The port stays taken for close_hold (assumed). */
static void close_flow(awsgw *g, flow *f, ev_time now)
{
	f->closed = true;
	if (g->active)
		probe_gauge_add(g->active, -1, now);
	f->deadline = now + g->c.close_hold;
	push(&g->hold, f, f->deadline);
}

bool awsgw_hop(awsgw *g, tcp_hop_pkt *p, ev_time now)
{
	reap(g, now);
	key k = { p->saddr, p->daddr, p->sport, p->dport };
	bool syn = (p->flags & (TCP_HOP_SYN | TCP_HOP_ACK)) == TCP_HOP_SYN;
	flow *f = g_hash_table_lookup(g->by_orig, &k);
	bool orig = f != NULL;
	if (!f)
		f = g_hash_table_lookup(g->by_reply, &k);
	if (f && orig && syn && f->closed) {
		/* the client reuses the 4-tuple of a closed connection: a new one */
		remove_flow(g, f, now);
		f = NULL;
	}
	if (!f) {
		if (!syn) {
			(*g->cnt[C_DROP])++;
			p->why = 0;
			return false;
		}
		(*g->cnt[C_ATTEMPT])++;
		f = allocate(g, &k, now);
		if (!f) {
			/* "new connections to the destination fail and the
			 * ErrorPortAllocation metric ... increases" */
			(*g->cnt[C_ERR])++;
			(*g->cnt[C_DROP])++;
			p->why = TCP_HIT_NAT_FAIL;
			return false;
		}
		orig = true;
	}
	if (!f->closed) {
		if (f->fins == 3 && !(p->flags & (TCP_HOP_FIN | TCP_HOP_RST)))
			close_flow(g, f, now);
		else if (p->flags & TCP_HOP_RST)
			close_flow(g, f, now);
		else {
			if (p->flags & TCP_HOP_FIN)
				f->fins |= orig ? 1 : 2;
			f->deadline = now + g->c.idle_timeout;
			push(&g->idle, f, f->deadline);
		}
	}
	if (orig) {
		p->saddr = f->reply.b;
		p->sport = f->reply.q;
	} else {
		p->daddr = f->orig.a;
		p->dport = f->orig.p;
	}
	return true;
}

uint32_t awsgw_ports_held(awsgw *g, ev_time now)
{
	reap(g, now);
	return g->held;
}

uint64_t awsgw_error_port_allocation(const awsgw *g)
{
	return *g->cnt[C_ERR];
}

uint64_t awsgw_idle_timeouts(const awsgw *g)
{
	return *g->cnt[C_IDLE];
}
