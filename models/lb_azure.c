/*
 * azlb: an Azure load balancer's outbound SNAT (models/lb_azure.h has the
 * sources and the assumptions).  A flow table keyed both ways with three
 * expiry queues (models/gwflow.h: idle, FIN release, RST release); each
 * instance owns a block of per_inst ports, each port used at most once per
 * destination, so an instance holds at most per_inst flows to one
 * destination.
 */
#include "models/lb_azure.h"

#include <glib.h>

#include "models/gwflow.h"
#include "sim/bug.h"

enum { C_OK, C_FAIL, C_IDLE, C_DROP, NCOUNT };
enum { Q_IDLE, Q_FIN, Q_RST, NQ };
enum { ST_OPEN, ST_CLOSED };  /* gwflow.state */

struct azlb {
	azlb_cfg c;
	uint32_t addrs[AZLB_MAX_FRONTENDS];
	gwflow_tab *flows;      /* gwflow.who: the port's index over all blocks */
	GHashTable *inst;       /* source address -> instance + 1 */
	GHashTable *count;      /* (instance << 48 | daddr << 16 | dport) -> flows holding a port */
	uint32_t *use;          /* per port index: flows using it (any destination) */
	uint32_t *rover;        /* per instance: where the next search starts in its block */
	uint64_t local[NCOUNT];
	uint64_t *cnt[NCOUNT];
	probe_gauge *used;
};

/* Assumed: the 64,000 SNAT ports of a frontend IP are 1024-65023. */
#define PORT_LO 1024u

uint32_t azlb_default_ports(unsigned n)
{
	/* "SNAT for outbound connections", default port allocation table */
	static const struct {
		unsigned pool;
		uint32_t ports;
	} table[] = { { 50, 1024 }, { 100, 512 }, { 200, 256 }, { 400, 128 }, { 800, 64 }, { 1000, 32 } };
	for (unsigned i = 0; n && i < G_N_ELEMENTS(table); i++)
		if (n <= table[i].pool)
			return table[i].ports;
	return 0;
}

azlb *azlb_new(const azlb_cfg *cfg, probe_set *ps, const char *prefix)
{
	BUG_ON(!cfg->naddrs || cfg->naddrs > AZLB_MAX_FRONTENDS || !cfg->ninst || cfg->ninst > AZLB_MAX_INSTANCES ||
	       !cfg->per_inst || !cfg->ports_per_ip || cfg->ports_per_ip > AZLB_PORTS_PER_IP ||
	       (uint64_t)cfg->per_inst * cfg->ninst > (uint64_t)cfg->ports_per_ip * cfg->naddrs);
	azlb *g = g_new0(azlb, 1);
	g->c = *cfg;
	for (unsigned i = 0; i < cfg->naddrs; i++)
		g->addrs[i] = cfg->addrs[i];
	g->c.addrs = g->addrs;
	g->flows = gwflow_new(NQ);
	g->inst = g_hash_table_new(g_direct_hash, g_direct_equal);
	g->count = gwflow_records_new(g_free);
	g->use = g_new0(uint32_t, (size_t)cfg->per_inst * cfg->ninst);
	g->rover = g_new0(uint32_t, cfg->ninst);
	/* "Standard Load Balancer diagnostics": SNAT Connection Count
	 * (successful and failed), Allocated and Used SNAT Ports */
	static const char *const names[NCOUNT][2] = {
		[C_OK] = { "SnatConnectionCount.Successful",
			  "SYNs of new flows that got a SNAT port (SNAT Connection Count, successful)" },
		[C_FAIL] = { "SnatConnectionCount.Failed",
			  "SYNs whose instance had no SNAT port free for the destination (SNAT Connection Count)" },
		[C_IDLE] = { "IdleTimeouts",
			  "flows dropped silently at the outbound idle timeout (connsim's; no Azure metric)" },
		[C_DROP] = { "PacketsDropped", "segments dropped: no port, or no flow (connsim's; no Azure metric)" },
	};
	gwflow_counters(ps, prefix, names, NCOUNT, g->local, g->cnt);
	probe_gauge *a = gwflow_gauge(ps, prefix, "AllocatedSnatPorts",
				"SNAT ports preallocated to the instances (Allocated SNAT Ports)");
	if (a)
		probe_gauge_add(a, (int64_t)cfg->per_inst * cfg->ninst, 0);
	g->used = gwflow_gauge(ps, prefix, "UsedSnatPorts",
				"instances' SNAT ports in use for at least one destination (Used SNAT Ports)");
	gwflow_count_gauge(g->flows, gwflow_gauge(ps, prefix, "ports_held",
				"flows holding a SNAT port: open, or closed and not yet released"));
	return g;
}

void azlb_free(azlb *g)
{
	if (!g)
		return;
	gwflow_free(g->flows);
	g_hash_table_destroy(g->inst);
	g_hash_table_destroy(g->count);
	g_free(g->use);
	g_free(g->rover);
	g_free(g);
}

/* Flows instance i holds to daddr:dport. */
static uint32_t *count_of(azlb *g, uint32_t i, uint32_t daddr, uint16_t dport)
{
	return gwflow_record(g->count, (uint64_t)i << 48 | (uint64_t)daddr << 16 | dport, sizeof(uint32_t));
}

static void remove_flow(azlb *g, gwflow *f, ev_time now)
{
	uint32_t i = f->who / g->c.per_inst;
	uint32_t *c = count_of(g, i, f->orig.b, f->orig.q);
	BUG_ON(!*c || !g->use[f->who]);
	(*c)--;
	if (--g->use[f->who] == 0 && g->used)
		probe_gauge_add(g->used, -1, now);
	gwflow_remove(g->flows, f, now);
}

/* Expire what is due: an idle flow is dropped and its port released at
 * once ("If idle timeout has been reached, port is released"); a closed
 * flow's port is released when its timer ends. */
static void reap(azlb *g, ev_time now)
{
	gwflow *f;
	unsigned q;
	while ((f = gwflow_due(g->flows, now, &q))) {
		if (q == Q_IDLE)
			(*g->cnt[C_IDLE])++;
		remove_flow(g, f, now);
	}
}

/* A new flow from the instance at orig->a: a port of its block that no
 * flow to this destination uses, the next one from its rover (assumed).
 * NULL: the instance has per_inst flows to this destination already. */
static gwflow *allocate(azlb *g, const gwflow_key *orig, ev_time now)
{
	gpointer v = g_hash_table_lookup(g->inst, GUINT_TO_POINTER(orig->a));
	uint32_t i = v ? GPOINTER_TO_UINT(v) - 1 : g_hash_table_size(g->inst);
	BUG_ON(i >= g->c.ninst);
	if (!v)
		g_hash_table_insert(g->inst, GUINT_TO_POINTER(orig->a), GUINT_TO_POINTER(i + 1));
	uint32_t *c = count_of(g, i, orig->b, orig->q);
	if (*c >= g->c.per_inst)
		return NULL;
	gwflow_key r = { orig->b, 0, orig->q, 0 };
	uint32_t gi;
	/* count < per_inst: a port of the block is free for this destination */
	for (uint32_t k = 0;; k++) {
		BUG_ON(k >= g->c.per_inst);
		uint32_t j = (g->rover[i] + k) % g->c.per_inst;
		gi = i * g->c.per_inst + j;
		/* the frontends' ports end to end: "consumed one at a time" */
		r.b = g->addrs[gi / g->c.ports_per_ip];
		r.q = (uint16_t)(PORT_LO + gi % g->c.ports_per_ip);
		if (!gwflow_reply_taken(g->flows, &r)) {
			g->rover[i] = (j + 1) % g->c.per_inst;
			break;
		}
	}
	gwflow *f = gwflow_add(g->flows, orig, &r, now);
	f->who = gi;
	f->state = ST_OPEN;
	(*c)++;
	if (g->use[gi]++ == 0 && g->used)
		probe_gauge_add(g->used, 1, now);
	return f;
}

/* A FIN or RST either way starts the port's release timer; the flow still
 * translates until it ends. */
static void close_flow(azlb *g, gwflow *f, unsigned q, ev_time after, ev_time now)
{
	f->state = ST_CLOSED;
	gwflow_arm(g->flows, f, q, now + after);
}

bool azlb_hop(azlb *g, tcp_hop_pkt *p, ev_time now)
{
	reap(g, now);
	gwflow_key k = { p->saddr, p->daddr, p->sport, p->dport };
	bool syn = (p->flags & (TCP_HOP_SYN | TCP_HOP_ACK)) == TCP_HOP_SYN;
	bool orig;
	gwflow *f = gwflow_find(g->flows, &k, &orig);
	if (f && orig && syn && f->state == ST_CLOSED) {
		/* the instance reuses the 4-tuple of a flow whose port is not
		 * yet released (assumed: the flow is still known and opens
		 * again on its port; its release timer no longer runs) */
		f->state = ST_OPEN;
		(*g->cnt[C_OK])++;
	}
	if (!f) {
		if (!syn) {
			(*g->cnt[C_DROP])++;
			p->why = 0;
			return false;
		}
		f = allocate(g, &k, now);
		if (!f) {
			/* "If a backend instance's used SNAT ports exceed its
			 * given SNAT ports, it will be unable to establish new
			 * outbound connections" */
			(*g->cnt[C_FAIL])++;
			(*g->cnt[C_DROP])++;
			p->why = TCP_HIT_NAT_FAIL;
			return false;
		}
		(*g->cnt[C_OK])++;
		orig = true;
	}
	if (f->state == ST_OPEN) {
		if (p->flags & TCP_HOP_RST)
			close_flow(g, f, Q_RST, g->c.release_rst, now);
		else if (p->flags & TCP_HOP_FIN)
			close_flow(g, f, Q_FIN, g->c.release_fin, now);
		else
			gwflow_arm(g->flows, f, Q_IDLE, now + g->c.idle_timeout);
	}
	gwflow_translate(f, orig, p);
	return true;
}

uint32_t azlb_ports_held(azlb *g, ev_time now)
{
	reap(g, now);
	return gwflow_count(g->flows);
}

uint64_t azlb_failed(const azlb *g)
{
	return *g->cnt[C_FAIL];
}
