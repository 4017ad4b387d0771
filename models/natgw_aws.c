/*
 * awsgw: the AWS NAT Gateway box (models/natgw_aws.h has the sources and
 * the assumptions).  A flow table keyed both ways with two expiry queues
 * (models/gwflow.h: idle, close hold) and a count per (destination,
 * address) that caps new connections at per_dest.
 */
#include "models/natgw_aws.h"

#include <glib.h>

#include "models/gwflow.h"
#include "sim/bug.h"

typedef struct dest {
	uint32_t count[AWSGW_MAX_ADDRS];  /* ports taken per address */
	uint16_t rover[AWSGW_MAX_ADDRS];
} dest;

enum { C_ERR, C_IDLE, C_ATTEMPT, C_DROP, NCOUNT };
enum { Q_IDLE, Q_HOLD };  /* gwflow queues: open and idle, closed and held */

struct awsgw {
	awsgw_cfg c;
	uint32_t addrs[AWSGW_MAX_ADDRS];
	gwflow_tab *flows;               /* queues Q_IDLE, Q_HOLD */
	GHashTable *dests;               /* (daddr << 16 | dport) -> dest */
	uint64_t local[NCOUNT];
	uint64_t *cnt[NCOUNT];
	probe_gauge *active;
};

/* Ports a gateway address hands out: "ephemeral port range (1024-65535)"
 * (the Knowledge Center page the header cites, on network ACLs). */
#define PORT_LO 1024u
#define NPORTS (65536u - PORT_LO)

awsgw *awsgw_new(const awsgw_cfg *cfg, probe_set *ps, const char *prefix)
{
	BUG_ON(!cfg->naddrs || cfg->naddrs > AWSGW_MAX_ADDRS || !cfg->per_dest || cfg->per_dest > NPORTS);
	awsgw *g = g_new0(awsgw, 1);
	g->c = *cfg;
	for (unsigned i = 0; i < cfg->naddrs; i++)
		g->addrs[i] = cfg->addrs[i];
	g->c.addrs = g->addrs;
	g->flows = gwflow_new(2);
	g->dests = gwflow_records_new(g_free);
	static const char *const names[NCOUNT][2] = {
		[C_ERR] = { "ErrorPortAllocation", "SYNs for which no source port was free (AWS/NATGateway metric)" },
		[C_IDLE] = { "IdleTimeoutCount",
			  "connections timed out after idle_timeout without traffic (AWS/NATGateway)" },
		[C_ATTEMPT] = { "ConnectionAttemptCount", "SYNs of new connections (AWS/NATGateway metric)" },
		[C_DROP] = { "PacketsDropCount",
			  "segments dropped: no port, or no connection (AWS/NATGateway metric)" },
	};
	gwflow_counters(ps, prefix, names, NCOUNT, g->local, g->cnt);
	g->active = gwflow_gauge(ps, prefix, "ActiveConnectionCount",
				"open connections through the gateway (AWS/NATGateway metric)");
	gwflow_count_gauge(g->flows, gwflow_gauge(ps, prefix, "ports_held",
				"gateway ports taken: open connections and closed ones within close_hold"));
	return g;
}

void awsgw_free(awsgw *g)
{
	if (!g)
		return;
	gwflow_free(g->flows);
	g_hash_table_destroy(g->dests);
	g_free(g);
}

static dest *dest_of(awsgw *g, uint32_t daddr, uint16_t dport)
{
	return gwflow_record(g->dests, (uint64_t)daddr << 16 | dport, sizeof(dest));
}

static void remove_flow(awsgw *g, gwflow *f, ev_time now)
{
	dest *d = dest_of(g, f->orig.b, f->orig.q);
	BUG_ON(!d || !d->count[f->ai]);
	d->count[f->ai]--;
	if (!f->state && g->active)
		probe_gauge_add(g->active, -1, now);
	gwflow_remove(g->flows, f, now);
}

/* Expire what is due at now: idle (still open, no packet since it was
 * armed) or hold (closed, hold over). */
static void reap(awsgw *g, ev_time now)
{
	gwflow *f;
	unsigned q;
	while ((f = gwflow_due(g->flows, now, &q))) {
		if (q == Q_IDLE)
			(*g->cnt[C_IDLE])++;
		remove_flow(g, f, now);
	}
}

/* A new connection: the address with the fewest connections to this
 * destination that is below per_dest (assumed: AWS does not say how it
 * spreads connections over its addresses), then the next free port there. */
static gwflow *allocate(awsgw *g, const gwflow_key *orig, ev_time now)
{
	dest *d = dest_of(g, orig->b, orig->q);
	unsigned best = AWSGW_MAX_ADDRS;
	for (unsigned i = 0; i < g->c.naddrs; i++)
		if (d->count[i] < g->c.per_dest && (best == AWSGW_MAX_ADDRS || d->count[i] < d->count[best]))
			best = i;
	if (best == AWSGW_MAX_ADDRS)
		return NULL;
	gwflow_key r = { orig->b, g->addrs[best], orig->q, 0 };
	/* count < per_dest <= NPORTS: a free port exists */
	for (unsigned n = 0;; n++) {
		BUG_ON(n >= NPORTS);
		r.q = (uint16_t)(PORT_LO + d->rover[best] % NPORTS);
		d->rover[best] = (uint16_t)((d->rover[best] + 1) % NPORTS);
		if (!gwflow_reply_taken(g->flows, &r))
			break;
	}
	gwflow *f = gwflow_add(g->flows, orig, &r, now);
	f->ai = (uint8_t)best;
	d->count[best]++;
	if (g->active)
		probe_gauge_add(g->active, 1, now);
	return f;
}

/* Closed: RST either way, or the ACK that follows FINs both ways (so the
 * last ACK still crosses).  The port stays taken for close_hold (assumed). */
static void close_flow(awsgw *g, gwflow *f, ev_time now)
{
	f->state = 1;  /* closed */
	if (g->active)
		probe_gauge_add(g->active, -1, now);
	gwflow_arm(g->flows, f, Q_HOLD, now + g->c.close_hold);
}

bool awsgw_hop(awsgw *g, tcp_hop_pkt *p, ev_time now)
{
	reap(g, now);
	gwflow_key k = { p->saddr, p->daddr, p->sport, p->dport };
	bool syn = (p->flags & (TCP_HOP_SYN | TCP_HOP_ACK)) == TCP_HOP_SYN;
	bool orig;
	gwflow *f = gwflow_find(g->flows, &k, &orig);
	if (f && orig && syn && f->state) {
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
	if (!f->state) {
		if (f->flags == 3 && !(p->flags & (TCP_HOP_FIN | TCP_HOP_RST)))
			close_flow(g, f, now);
		else if (p->flags & TCP_HOP_RST)
			close_flow(g, f, now);
		else {
			if (p->flags & TCP_HOP_FIN)
				f->flags |= orig ? 1 : 2;
			gwflow_arm(g->flows, f, Q_IDLE, now + g->c.idle_timeout);
		}
	}
	gwflow_translate(f, orig, p);
	return true;
}

uint32_t awsgw_ports_held(awsgw *g, ev_time now)
{
	reap(g, now);
	return gwflow_count(g->flows);
}

uint64_t awsgw_error_port_allocation(const awsgw *g)
{
	return *g->cnt[C_ERR];
}

uint64_t awsgw_idle_timeouts(const awsgw *g)
{
	return *g->cnt[C_IDLE];
}
