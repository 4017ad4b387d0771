/*
 * azgw: the Azure NAT Gateway box (models/natgw_azure.h has the sources and
 * the assumptions).  A flow table keyed both ways with four expiry queues
 * (models/gwflow.h: idle, half open, FIN hold-down, RST hold-down), and per
 * destination, per public IP, the connections still open (capped at
 * per_dest) and the ports taken (capped at ports_per_ip).
 */
#include "models/natgw_azure.h"

#include <glib.h>

#include "models/gwflow.h"
#include "sim/bug.h"

typedef struct dest {
	uint32_t open[AZGW_MAX_IPS];  /* connections not closed */
	uint32_t held[AZGW_MAX_IPS];  /* ports taken: open, or closed and held down */
	uint64_t *taken[AZGW_MAX_IPS];  /* a bit per port of the IP's inventory, made on first use */
} dest;

enum { C_ATTEMPT, C_EST, C_FAIL, C_CLOSED, C_TIMEOUT, C_DROP, NCOUNT };
enum { Q_IDLE, Q_HALF, Q_FIN, Q_RST, NQ };
enum { ST_HALF, ST_EST, ST_CLOSED };  /* gwflow.state */
#define SEEN_REPLY 1u                 /* gwflow.flags: a segment from the destination crossed */

struct azgw {
	azgw_cfg c;
	uint32_t addrs[AZGW_MAX_IPS];
	gsl_rng *rng;
	gwflow_tab *flows;
	GHashTable *dests;  /* (daddr << 16 | dport) -> dest */
	uint64_t local[NCOUNT];
	uint64_t *cnt[NCOUNT];
	probe_gauge *total;
};

/* Assumed: the 64,512 ports of an IP are 1024-65535 (65,536 - 1,024). */
#define PORT_LO 1024u

static void dest_free(gpointer v)
{
	dest *d = v;
	for (unsigned i = 0; i < AZGW_MAX_IPS; i++)
		g_free(d->taken[i]);
	g_free(d);
}

/* The first port index at or after start (cyclically, below n) whose bit
 * is clear: a word at a time, so a nearly full inventory costs n / 64. */
static uint32_t next_free(const uint64_t *bm, uint32_t n, uint32_t start)
{
	for (uint32_t k = 0; k < n;) {
		uint32_t i = (start + k) % n;
		uint64_t w = ~bm[i / 64] >> (i % 64);
		uint32_t j = w ? i + (uint32_t)__builtin_ctzll(w) : UINT32_MAX;
		if (j < n)
			return j;
		uint32_t step = 64 - i % 64;
		k += step < n - i ? step : n - i;  /* the next word, or wrap to 0 */
	}
	BUG("no free port where the count said there was one");
}

azgw *azgw_new(const azgw_cfg *cfg, probe_set *ps, const char *prefix, gsl_rng *rng)
{
	BUG_ON(!cfg->naddrs || cfg->naddrs > AZGW_MAX_IPS || !cfg->ports_per_ip ||
	       cfg->ports_per_ip > AZGW_PORTS_PER_IP || !cfg->per_dest || !rng);
	azgw *g = g_new0(azgw, 1);
	g->c = *cfg;
	for (unsigned i = 0; i < cfg->naddrs; i++)
		g->addrs[i] = cfg->addrs[i];
	g->c.addrs = g->addrs;
	g->rng = rng;
	g->flows = gwflow_new(NQ);
	g->dests = gwflow_records_new(dest_free);
	/* "Azure NAT Gateway metrics and alerts": SNAT Connection Count by
	 * Connection State, Dropped packets */
	static const char *const names[NCOUNT][2] = {
		[C_ATTEMPT] = { "SNATConnectionCount.Attempted",
			  "SYNs of new connections (SNAT Connection Count, Attempted)" },
		[C_EST] = { "SNATConnectionCount.Established",
			  "connections that completed their handshake (SNAT Connection Count, Established)" },
		[C_FAIL] = { "SNATConnectionCount.Failed",
			  "SYNs for which no SNAT port was free (SNAT Connection Count, Failed)" },
		[C_CLOSED] = { "SNATConnectionCount.Closed",
			  "connections closed by a FIN or RST (SNAT Connection Count, Closed)" },
		[C_TIMEOUT] = { "SNATConnectionCount.TimedOut",
			  "connections closed by the idle or half-open timer (SNAT Connection Count, Timed Out)" },
		[C_DROP] = { "PacketDropCount", "segments dropped: no port, or no connection (Dropped packets)" },
	};
	gwflow_counters(ps, prefix, names, NCOUNT, g->local, g->cnt);
	g->total = gwflow_gauge(ps, prefix, "TotalConnectionCount",
				"connections not closed (Total SNAT connection count)");
	gwflow_count_gauge(g->flows, gwflow_gauge(ps, prefix, "ports_held",
				"SNAT ports taken for a destination: open connections, closed ones in their hold-down"));
	return g;
}

void azgw_free(azgw *g)
{
	if (!g)
		return;
	gwflow_free(g->flows);
	g_hash_table_destroy(g->dests);
	g_free(g);
}

static dest *dest_of(azgw *g, uint32_t daddr, uint16_t dport)
{
	return gwflow_record(g->dests, (uint64_t)daddr << 16 | dport, sizeof(dest));
}

/* No longer open: the 50,000 no longer counts it (the port still may). */
static void unopen(azgw *g, gwflow *f, ev_time now)
{
	dest *d = dest_of(g, f->orig.b, f->orig.q);
	BUG_ON(!d->open[f->ai]);
	d->open[f->ai]--;
	if (g->total)
		probe_gauge_add(g->total, -1, now);
}

static void remove_flow(azgw *g, gwflow *f, ev_time now)
{
	if (f->state != ST_CLOSED)
		unopen(g, f, now);
	dest *d = dest_of(g, f->orig.b, f->orig.q);
	BUG_ON(!d->held[f->ai]);
	d->held[f->ai]--;
	uint32_t pi = f->reply.q - PORT_LO;
	d->taken[f->ai][pi / 64] &= ~(1ull << (pi % 64));
	gwflow_remove(g->flows, f, now);
}

/* Expire what is due at now.  Idle and half-open timers close the
 * connection and free its port at once; a hold-down's end frees it. */
static void reap(azgw *g, ev_time now)
{
	gwflow *f;
	unsigned q;
	while ((f = gwflow_due(g->flows, now, &q))) {
		if (q == Q_IDLE || q == Q_HALF)
			(*g->cnt[C_TIMEOUT])++;
		remove_flow(g, f, now);
	}
}

/* A new connection: a public IP drawn among those with fewer than per_dest
 * open connections to the destination and a port no connection to it
 * holds, then from a random place in its inventory the next port free for
 * the destination ("selects a SNAT port at random"; the draw over IPs is
 * assumed).  NULL: exhausted for this destination. */
static gwflow *allocate(azgw *g, const gwflow_key *orig, ev_time now)
{
	dest *d = dest_of(g, orig->b, orig->q);
	unsigned ok[AZGW_MAX_IPS], n = 0;
	for (unsigned i = 0; i < g->c.naddrs; i++)
		if (d->open[i] < g->c.per_dest && d->held[i] < g->c.ports_per_ip)
			ok[n++] = i;
	if (!n)
		return NULL;
	unsigned ai = ok[n > 1 ? gsl_rng_uniform_int(g->rng, n) : 0];
	uint32_t start = (uint32_t)gsl_rng_uniform_int(g->rng, g->c.ports_per_ip);
	if (!d->taken[ai])
		d->taken[ai] = g_new0(uint64_t, (g->c.ports_per_ip + 63) / 64);
	/* held < ports_per_ip: a port free for this destination exists */
	uint32_t pi = next_free(d->taken[ai], g->c.ports_per_ip, start);
	d->taken[ai][pi / 64] |= 1ull << (pi % 64);
	gwflow_key r = { orig->b, g->addrs[ai], orig->q, (uint16_t)(PORT_LO + pi) };
	gwflow *f = gwflow_add(g->flows, orig, &r, now);
	f->ai = (uint8_t)ai;
	f->state = ST_HALF;
	d->open[ai]++;
	d->held[ai]++;
	if (g->total)
		probe_gauge_add(g->total, 1, now);
	return f;
}

/* Closed by a FIN or a RST: the port is held down for its destination for
 * the timer of that close ("Port reuse timers"); segments still cross. */
static void close_flow(azgw *g, gwflow *f, unsigned q, ev_time hold, ev_time now)
{
	unopen(g, f, now);
	f->state = ST_CLOSED;
	(*g->cnt[C_CLOSED])++;
	gwflow_arm(g->flows, f, q, now + hold);
}

/* A SYN that found no port: "A failed connection volume greater than zero
 * may indicate SNAT port exhaustion". */
static bool fail(azgw *g, tcp_hop_pkt *p)
{
	(*g->cnt[C_FAIL])++;
	(*g->cnt[C_DROP])++;
	p->why = TCP_HIT_NAT_FAIL;
	return false;
}

bool azgw_hop(azgw *g, tcp_hop_pkt *p, ev_time now)
{
	reap(g, now);
	gwflow_key k = { p->saddr, p->daddr, p->sport, p->dport };
	bool syn = (p->flags & (TCP_HOP_SYN | TCP_HOP_ACK)) == TCP_HOP_SYN;
	bool orig;
	gwflow *f = gwflow_find(g->flows, &k, &orig);
	if (f && orig && syn && f->state == ST_CLOSED) {
		/* the client reuses the 4-tuple of a connection whose port is
		 * in its hold-down (assumed: the flow is still known, and the
		 * new connection opens on its port, the same source ip:port to
		 * the same destination) */
		(*g->cnt[C_ATTEMPT])++;
		dest *d = dest_of(g, f->orig.b, f->orig.q);
		if (d->open[f->ai] >= g->c.per_dest)
			return fail(g, p);
		d->open[f->ai]++;
		if (g->total)
			probe_gauge_add(g->total, 1, now);
		f->state = ST_HALF;
		f->flags = 0;
	}
	if (!f) {
		if (!syn) {
			/* Azure answers with a TCP reset; a hop can only drop */
			(*g->cnt[C_DROP])++;
			p->why = 0;
			return false;
		}
		(*g->cnt[C_ATTEMPT])++;
		f = allocate(g, &k, now);
		if (!f)
			return fail(g, p);
		orig = true;
	}
	if (f->state != ST_CLOSED) {
		if (p->flags & TCP_HOP_RST)
			close_flow(g, f, Q_RST, g->c.reuse_rst, now);
		else if (p->flags & TCP_HOP_FIN)
			close_flow(g, f, Q_FIN, g->c.reuse_fin, now);
		else {
			if (!orig)
				f->flags |= SEEN_REPLY;
			else if (f->state == ST_HALF && (f->flags & SEEN_REPLY)) {
				f->state = ST_EST;
				(*g->cnt[C_EST])++;
			}
			/* traffic restarts the timer of the state it is in */
			if (f->state == ST_EST)
				gwflow_arm(g->flows, f, Q_IDLE, now + g->c.idle_timeout);
			else
				gwflow_arm(g->flows, f, Q_HALF, now + g->c.half_open);
		}
	}
	gwflow_translate(f, orig, p);
	return true;
}

uint32_t azgw_ports_held(azgw *g, ev_time now)
{
	reap(g, now);
	return gwflow_count(g->flows);
}

uint64_t azgw_failed(const azgw *g)
{
	return *g->cnt[C_FAIL];
}

uint64_t azgw_timed_out(const azgw *g)
{
	return *g->cnt[C_TIMEOUT];
}
