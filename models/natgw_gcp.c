/*
 * gcpnat: the Google Cloud NAT box (models/natgw_gcp.h has the sources and
 * the assumptions).
 *
 * Each NAT address has a bitmap of its 64,512 ports; a VM holds blocks of
 * them (aligned, a power of two each, so an address holds
 * floor(64,512 / size) blocks of one size, the documented VMs-per-address
 * count).  A VM's ports are numbered as slots, its blocks in order; a slot
 * is held per destination (a bitmap per VM and destination) or, with
 * endpoint-independent mapping, by one internal port of the VM for every
 * destination.  Connections sit in a table keyed both ways; each state
 * (transitory, established, TIME_WAIT) has one fixed timeout, so a FIFO
 * ring per state stays sorted; an entry names its connection by key and
 * deadline and is ignored when the connection has moved on since.
 */
#include "models/natgw_gcp.h"

#include <glib.h>
#include <string.h>

#include "sim/bug.h"

#define WORDS(bits) (((bits) + 63u) / 64u)

typedef struct tuple {
	uint32_t a, b;
	uint16_t p, q;
} tuple;

enum { ST_TRANSITORY, ST_ESTABLISHED, ST_TIME_WAIT, NSTATE };

typedef struct block {
	uint8_t ai;      /* NAT address index */
	uint16_t first;  /* first port */
	uint32_t size;
	uint32_t busy;   /* its slots that something holds */
} block;

/* What one VM holds towards one destination (address, port). */
typedef struct vdest {
	uint64_t key;      /* daddr << 16 | dport: the hash key */
	uint64_t *held;    /* slots taken towards it (without EIM) */
	uint32_t words;
	uint32_t count;    /* tuples towards it: nat/port_usage */
} vdest;

typedef struct emap {
	uint32_t slot;
	uint32_t nconn;
} emap;

typedef struct vm {
	uint32_t addr;
	block *blocks;
	unsigned nblocks, bcap;
	uint32_t alloc;    /* slots: the sum of the block sizes */
	uint64_t *busy;    /* slot held by anything */
	uint32_t *refs;    /* per slot: holders */
	uint32_t cap;      /* slots busy and refs have room for */
	GHashTable *dests; /* &key -> vdest */
	GHashTable *maps;  /* internal port -> emap (EIM) */
	bool failed;       /* nat_allocation_failed */
} vm;

typedef struct conn {
	tuple in;   /* VM, destination, VM port, destination port */
	tuple out;  /* destination, NAT address, destination port, NAT port */
	vm *v;
	vdest *vd;
	uint32_t slot;
	uint8_t state;
	uint8_t fins;  /* 1: FIN from the VM, 2: FIN from the destination */
	bool answered;
	ev_time deadline;
} conn;

typedef struct tq_ent {
	tuple in;
	ev_time deadline;
} tq_ent;

typedef struct tq {
	tq_ent *e;
	size_t head, n, cap;
} tq;

enum { K_OOR, K_NEW, K_CLOSED, K_DROP_RECV, K_DROP_UNMAPPED, NCOUNT };
enum { G_FAILED, G_ALLOC, G_USAGE, G_OPEN, G_HELD, NGAUGE };

struct gcpnat {
	gcpnat_cfg c;
	uint32_t addrs[256];
	uint64_t (*used)[WORDS(GCPNAT_PORTS_PER_ADDR)];  /* per address: ports given to VMs */
	uint32_t first_ports;  /* a VM's first block */
	uint32_t most;         /* most slots a VM can have */
	ev_time timeout[NSTATE];
	GHashTable *vms;       /* address -> vm */
	GHashTable *by_in, *by_out;
	tq q[NSTATE];
	uint32_t *at_usage;    /* (VM, destination) pairs per tuple count */
	uint32_t usage_max;
	uint32_t vals[NGAUGE];
	probe_gauge *gauge[NGAUGE];
	uint64_t local[NCOUNT];
	uint64_t *cnt[NCOUNT];
};

uint32_t gcpnat_ports_per_vm(uint32_t min_ports_per_vm)
{
	uint32_t p = 1;
	while (p < min_ports_per_vm)
		p <<= 1;
	return p;
}

/* ---- bitmaps ---- */

static uint64_t run_mask(uint32_t bit, uint32_t len)
{
	return (len >= 64 ? ~0ull : (1ull << len) - 1) << bit;
}

static bool bits_clear(const uint64_t *w, uint32_t lo, uint32_t n)
{
	for (uint32_t i = lo, end = lo + n; i < end;) {
		uint32_t b = i % 64, len = MIN(64 - b, end - i);
		if (w[i / 64] & run_mask(b, len))
			return false;
		i += len;
	}
	return true;
}

static void bits_fill(uint64_t *w, uint32_t lo, uint32_t n, bool on)
{
	for (uint32_t i = lo, end = lo + n; i < end;) {
		uint32_t b = i % 64, len = MIN(64 - b, end - i);
		if (on)
			w[i / 64] |= run_mask(b, len);
		else
			w[i / 64] &= ~run_mask(b, len);
		i += len;
	}
}

/* The lowest clear bit below limit, or -1 (bits at limit and above are clear). */
static int64_t lowest_clear(const uint64_t *w, uint32_t limit)
{
	for (uint32_t i = 0; i < WORDS(limit); i++)
		if (~w[i]) {
			uint32_t b = i * 64 + (uint32_t)__builtin_ctzll(~w[i]);
			return b < limit ? (int64_t)b : -1;
		}
	return -1;
}

static void grow_words(uint64_t **w, uint32_t *words, uint32_t need)
{
	if (*words >= need)
		return;
	*w = g_realloc_n(*w, need, sizeof **w);
	memset(*w + *words, 0, (size_t)(need - *words) * sizeof **w);
	*words = need;
}

/* ---- timer rings ---- */

static void tq_push(tq *q, const tuple *in, ev_time deadline)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		tq_ent *e = g_new(tq_ent, cap);
		for (size_t i = 0; i < q->n; i++)
			e[i] = q->e[(q->head + i) % q->cap];
		g_free(q->e);
		q->e = e;
		q->head = 0;
		q->cap = cap;
	}
	q->e[(q->head + q->n++) % q->cap] = (tq_ent){ *in, deadline };
}

static const tq_ent *tq_peek(const tq *q)
{
	return q->n ? &q->e[q->head] : NULL;
}

static void tq_pop(tq *q)
{
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

/* ---- gauges and counters ---- */

static void gauge_add(gcpnat *g, int which, int64_t d, ev_time now)
{
	g->vals[which] = (uint32_t)((int64_t)g->vals[which] + d);
	if (g->gauge[which])
		probe_gauge_set(g->gauge[which], g->vals[which], now);
}

/* A (VM, destination) pair goes from u to u + d tuples: nat/port_usage is
 * the largest u over the pairs. */
static void usage_move(gcpnat *g, uint32_t u, int d, ev_time now)
{
	uint32_t v = (uint32_t)((int64_t)u + d);
	if (u)
		g->at_usage[u]--;
	if (v)
		g->at_usage[v]++;
	uint32_t m = g->usage_max;
	if (v > m)
		m = v;
	while (m && !g->at_usage[m])
		m--;
	if (m != g->usage_max) {
		gauge_add(g, G_USAGE, (int64_t)m - g->usage_max, now);
		g->usage_max = m;
	}
}

/* ---- keys ---- */

static guint tuple_hash(gconstpointer v)
{
	const tuple *t = v;
	uint64_t h = (uint64_t)t->a * 0xff51afd7ed558ccdull + ((uint64_t)t->b << 32 | (uint32_t)t->p << 16 | t->q);
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return (guint)(h ^ (h >> 29));
}

static gboolean tuple_eq(gconstpointer x, gconstpointer y)
{
	return !memcmp(x, y, sizeof(tuple));
}

static void vdest_free(gpointer p)
{
	vdest *d = p;
	g_free(d->held);
	g_free(d);
}

static void vm_free(gpointer p)
{
	vm *v = p;
	g_free(v->blocks);
	g_free(v->busy);
	g_free(v->refs);
	g_hash_table_destroy(v->dests);
	if (v->maps)
		g_hash_table_destroy(v->maps);
	g_free(v);
}

gcpnat *gcpnat_new(const gcpnat_cfg *cfg, probe_set *ps, const char *prefix)
{
	gcpnat *g = g_new0(gcpnat, 1);
	g->c = *cfg;
	g->first_ports = gcpnat_ports_per_vm(cfg->min_ports_per_vm);
	g->most = cfg->dynamic ? cfg->max_ports_per_vm : g->first_ports;
	BUG_ON(!cfg->naddrs || cfg->naddrs > G_N_ELEMENTS(g->addrs) || g->first_ports > GCPNAT_MAX_BLOCK ||
	       g->most < g->first_ports || (cfg->dynamic && cfg->eim));
	memcpy(g->addrs, cfg->addrs, cfg->naddrs * sizeof *cfg->addrs);
	g->c.addrs = g->addrs;
	g->used = g_malloc0_n(cfg->naddrs, sizeof *g->used);
	g->timeout[ST_TRANSITORY] = cfg->transitory_idle;
	g->timeout[ST_ESTABLISHED] = cfg->established_idle;
	g->timeout[ST_TIME_WAIT] = cfg->time_wait;
	g->vms = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, vm_free);
	g->by_in = g_hash_table_new(tuple_hash, tuple_eq);
	g->by_out = g_hash_table_new_full(tuple_hash, tuple_eq, NULL, g_free);
	g->at_usage = g_new0(uint32_t, (size_t)g->most + 1);
	/* Metric names of "Logs and metrics" (compute.googleapis.com/nat/...) */
	static const char *const cn[NCOUNT][2] = {
		[K_OOR] = { "dropped_sent_packets_count",
			    "SYNs from a VM dropped for want of a NAT port (nat/dropped_sent_packets_count, reason "
			    "OUT_OF_RESOURCES, the one reason modelled)" },
		[K_NEW] = { "new_connections_count", "connections given a NAT tuple (nat/new_connections_count)" },
		[K_CLOSED] = { "closed_connections_count",
			       "connections closed (FINs both ways, RST) or timed out idle (nat/closed_connections_count)" },
		[K_DROP_RECV] = { "dropped_received_packets_count",
				  "segments from a destination to no NAT tuple (nat/dropped_received_packets_count)" },
		[K_DROP_UNMAPPED] = { "dropped_unmapped", "non-SYN segments from a VM of no connection (connsim's own)" },
	};
	static const char *const gn[NGAUGE][2] = {
		[G_FAILED] = { "nat_allocation_failed", "VMs for which port allocation failed (nat/nat_allocation_failed)" },
		[G_ALLOC] = { "allocated_ports", "NAT ports allocated to VMs (nat/allocated_ports)" },
		[G_USAGE] = { "port_usage",
			      "the most NAT tuples one VM holds to one destination (nat/port_usage)" },
		[G_OPEN] = { "open_connections", "connections not closed (nat/open_connections)" },
		[G_HELD] = { "ports_held", "NAT tuples taken: open connections and those in TIME_WAIT" },
	};
	for (int i = 0; i < NCOUNT; i++) {
		g->cnt[i] = &g->local[i];
		if (ps) {
			char *n = g_strdup_printf("%s%s", prefix, cn[i][0]);
			g->cnt[i] = probe_counter(ps, n, cn[i][1]);
			g_free(n);
		}
	}
	for (int i = 0; ps && i < NGAUGE; i++) {
		char *n = g_strdup_printf("%s%s", prefix, gn[i][0]);
		g->gauge[i] = probe_gauge_get(ps, n, gn[i][1]);
		g_free(n);
	}
	return g;
}

void gcpnat_free(gcpnat *g)
{
	if (!g)
		return;
	g_hash_table_destroy(g->by_in);
	g_hash_table_destroy(g->by_out);  /* owns the connections */
	g_hash_table_destroy(g->vms);
	for (int s = 0; s < NSTATE; s++)
		g_free(g->q[s].e);
	g_free(g->used);
	g_free(g->at_usage);
	g_free(g);
}

/* ---- ports of the NAT addresses ---- */

/* A free aligned block of size ports on address ai: its first port, or 0. */
static uint16_t take_block(gcpnat *g, unsigned ai, uint32_t size)
{
	for (uint32_t lo = 0; lo + size <= GCPNAT_PORTS_PER_ADDR; lo += size)
		if (bits_clear(g->used[ai], lo, size)) {
			bits_fill(g->used[ai], lo, size, true);
			return (uint16_t)(GCPNAT_PORT_LO + lo);
		}
	return 0;
}

/* Give v one more block of size ports: on prefer first (assumed: the
 * address of its first block), then the others in order. */
static bool add_block(gcpnat *g, vm *v, uint32_t size, unsigned prefer, ev_time now)
{
	BUG_ON(size > GCPNAT_MAX_BLOCK);
	for (unsigned k = 0; k < g->c.naddrs; k++) {
		unsigned ai = k == 0 ? prefer : k <= prefer ? k - 1 : k;
		uint16_t first = take_block(g, ai, size);
		if (!first)
			continue;
		if (v->nblocks == v->bcap) {
			v->bcap = v->bcap ? 2 * v->bcap : 4;
			v->blocks = g_renew(block, v->blocks, v->bcap);
		}
		v->blocks[v->nblocks++] = (block){ (uint8_t)ai, first, size, 0 };
		v->alloc += size;
		if (v->alloc > v->cap) {
			uint32_t w = WORDS(v->cap);
			grow_words(&v->busy, &w, WORDS(v->alloc));
			v->refs = g_renew(uint32_t, v->refs, v->alloc);
			memset(v->refs + v->cap, 0, (size_t)(v->alloc - v->cap) * sizeof *v->refs);
			v->cap = v->alloc;
		}
		gauge_add(g, G_ALLOC, size, now);
		if (v->failed) {
			v->failed = false;
			gauge_add(g, G_FAILED, -1, now);
		}
		return true;
	}
	/* "nat_allocation_failed": no NAT address has room for the VM's ports */
	if (!v->failed) {
		v->failed = true;
		gauge_add(g, G_FAILED, 1, now);
	}
	return false;
}

/* Dynamic port allocation: the VM has used all its ports; double them
 * ("IP addresses and ports": up to max_ports_per_vm). */
static bool grow(gcpnat *g, vm *v, ev_time now)
{
	if (!v->alloc)
		return add_block(g, v, g->first_ports, 0, now);
	if (!g->c.dynamic || v->alloc >= g->c.max_ports_per_vm)
		return false;
	return add_block(g, v, MIN(v->alloc, g->c.max_ports_per_vm - v->alloc), v->blocks[0].ai, now);
}

/* Dynamic port allocation gives ports back when a VM uses fewer: the block
 * added last, once none of its ports is held (assumed: at once). */
static void shrink(gcpnat *g, vm *v, ev_time now)
{
	while (g->c.dynamic && v->nblocks > 1 && !v->blocks[v->nblocks - 1].busy) {
		block *b = &v->blocks[--v->nblocks];
		bits_fill(g->used[b->ai], b->first - GCPNAT_PORT_LO, b->size, false);
		v->alloc -= b->size;
		gauge_add(g, G_ALLOC, -(int64_t)b->size, now);
	}
}

static block *block_of(vm *v, uint32_t slot, uint32_t *off)
{
	for (unsigned i = 0; i < v->nblocks; i++) {
		if (slot < v->blocks[i].size) {
			*off = slot;
			return &v->blocks[i];
		}
		slot -= v->blocks[i].size;
	}
	BUG("slot beyond the VM's ports");
}

static void slot_hold(vm *v, uint32_t slot)
{
	if (v->refs[slot]++)
		return;
	uint32_t off;
	block_of(v, slot, &off)->busy++;
	bits_fill(v->busy, slot, 1, true);
}

static void slot_release(vm *v, uint32_t slot)
{
	BUG_ON(!v->refs[slot]);
	if (--v->refs[slot])
		return;
	uint32_t off;
	block_of(v, slot, &off)->busy--;
	bits_fill(v->busy, slot, 1, false);
}

/* ---- connections ---- */

static vm *vm_of(gcpnat *g, uint32_t addr)
{
	vm *v = g_hash_table_lookup(g->vms, GUINT_TO_POINTER(addr));
	if (!v) {
		v = g_new0(vm, 1);
		v->addr = addr;
		v->dests = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, vdest_free);
		if (g->c.eim)
			v->maps = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
		g_hash_table_insert(g->vms, GUINT_TO_POINTER(addr), v);
	}
	return v;
}

static vdest *vdest_of(vm *v, uint32_t daddr, uint16_t dport)
{
	uint64_t k = (uint64_t)daddr << 16 | dport;
	vdest *d = g_hash_table_lookup(v->dests, &k);
	if (!d) {
		d = g_new0(vdest, 1);
		d->key = k;
		g_hash_table_insert(v->dests, &d->key, d);
	}
	return d;
}

/* A slot for a new connection: the lowest one free for the destination
 * (without EIM) or the internal port's own (EIM: else the lowest free for
 * every destination); when none is, a VM's first ports or, with dynamic
 * allocation, twice as many.  -1: none (OUT_OF_RESOURCES). */
static int64_t pick_slot(gcpnat *g, vm *v, vdest *d, uint16_t iport, ev_time now)
{
	if (g->c.eim) {
		emap *m = g_hash_table_lookup(v->maps, GUINT_TO_POINTER(iport));
		if (m) {
			m->nconn++;
			return m->slot;
		}
	}
	for (;;) {
		int64_t s;
		if (g->c.eim) {
			s = v->alloc ? lowest_clear(v->busy, v->alloc) : -1;
		} else {
			grow_words(&d->held, &d->words, WORDS(v->alloc));
			s = v->alloc ? lowest_clear(d->held, v->alloc) : -1;
		}
		if (s >= 0) {
			if (g->c.eim) {
				emap *m = g_new(emap, 1);
				*m = (emap){ (uint32_t)s, 1 };
				g_hash_table_insert(v->maps, GUINT_TO_POINTER(iport), m);
				slot_hold(v, (uint32_t)s);
			}
			return s;
		}
		if (!grow(g, v, now))
			return -1;
	}
}

static void arm(gcpnat *g, conn *c, int state, ev_time now)
{
	c->state = (uint8_t)state;
	c->deadline = now + g->timeout[state];
	tq_push(&g->q[state], &c->in, c->deadline);
}

static conn *open_conn(gcpnat *g, const tuple *in, ev_time now)
{
	vm *v = vm_of(g, in->a);
	vdest *d = vdest_of(v, in->b, in->q);
	int64_t s = pick_slot(g, v, d, in->p, now);
	if (s < 0)
		return NULL;
	uint32_t slot = (uint32_t)s;
	if (!g->c.eim) {
		bits_fill(d->held, slot, 1, true);
		slot_hold(v, slot);
	}
	uint32_t off;
	const block *b = block_of(v, slot, &off);
	conn *c = g_new0(conn, 1);
	c->in = *in;
	c->out = (tuple){ in->b, g->addrs[b->ai], in->q, (uint16_t)(b->first + off) };
	c->v = v;
	c->vd = d;
	c->slot = slot;
	BUG_ON(g_hash_table_contains(g->by_out, &c->out));
	g_hash_table_insert(g->by_in, &c->in, c);
	g_hash_table_insert(g->by_out, &c->out, c);
	usage_move(g, d->count++, 1, now);
	gauge_add(g, G_HELD, 1, now);
	gauge_add(g, G_OPEN, 1, now);
	(*g->cnt[K_NEW])++;
	arm(g, c, ST_TRANSITORY, now);
	return c;
}

/* The tuple is free again: for the destination, or (EIM) the internal
 * port's mapping loses a connection. */
static void drop_conn(gcpnat *g, conn *c, ev_time now)
{
	vm *v = c->v;
	if (g->c.eim) {
		emap *m = g_hash_table_lookup(v->maps, GUINT_TO_POINTER(c->in.p));
		BUG_ON(!m || m->slot != c->slot);
		if (!--m->nconn) {
			g_hash_table_remove(v->maps, GUINT_TO_POINTER(c->in.p));
			slot_release(v, c->slot);
		}
	} else {
		bits_fill(c->vd->held, c->slot, 1, false);
		slot_release(v, c->slot);
	}
	usage_move(g, c->vd->count--, -1, now);
	gauge_add(g, G_HELD, -1, now);
	if (c->state != ST_TIME_WAIT)
		gauge_add(g, G_OPEN, -1, now);
	g_hash_table_remove(g->by_in, &c->in);
	g_hash_table_remove(g->by_out, &c->out);  /* frees c */
	shrink(g, v, now);
}

static void to_time_wait(gcpnat *g, conn *c, ev_time now)
{
	gauge_add(g, G_OPEN, -1, now);
	(*g->cnt[K_CLOSED])++;
	arm(g, c, ST_TIME_WAIT, now);
}

/* Expire what is due at now, the earliest deadline first. */
static void reap(gcpnat *g, ev_time now)
{
	for (;;) {
		int s = -1;
		for (int i = 0; i < NSTATE; i++) {
			const tq_ent *e = tq_peek(&g->q[i]);
			if (e && e->deadline <= now && (s < 0 || e->deadline < tq_peek(&g->q[s])->deadline))
				s = i;
		}
		if (s < 0)
			return;
		tq_ent e = *tq_peek(&g->q[s]);
		tq_pop(&g->q[s]);
		conn *c = g_hash_table_lookup(g->by_in, &e.in);
		if (!c || c->state != s || c->deadline != e.deadline)
			continue;  /* moved on since */
		if (s != ST_TIME_WAIT)
			(*g->cnt[K_CLOSED])++;  /* idle timeout */
		drop_conn(g, c, now);
	}
}

/* The connection's state after a segment (the assumptions of the header). */
static void track(gcpnat *g, conn *c, uint8_t flags, bool from_vm, ev_time now)
{
	if (c->state == ST_TIME_WAIT)
		return;  /* late segments cross; the timer runs on */
	if (flags & TCP_HOP_RST) {
		to_time_wait(g, c, now);
		return;
	}
	if (!from_vm)
		c->answered = true;
	if (c->fins == 3 && !(flags & TCP_HOP_FIN)) {
		to_time_wait(g, c, now);
		return;
	}
	if (flags & TCP_HOP_FIN)
		c->fins |= from_vm ? 1 : 2;
	arm(g, c, c->fins || !c->answered ? ST_TRANSITORY : ST_ESTABLISHED, now);
}

bool gcpnat_hop(gcpnat *g, tcp_hop_pkt *p, ev_time now)
{
	reap(g, now);
	tuple k = { p->saddr, p->daddr, p->sport, p->dport };
	bool syn = (p->flags & (TCP_HOP_SYN | TCP_HOP_ACK)) == TCP_HOP_SYN;
	conn *c = g_hash_table_lookup(g->by_in, &k);
	bool from_vm = c != NULL;
	if (c && syn && c->state == ST_TIME_WAIT) {
		/* the VM opens the same 4-tuple again: a new connection */
		drop_conn(g, c, now);
		c = NULL;
	} else if (!c) {
		c = g_hash_table_lookup(g->by_out, &k);
	}
	if (!c) {
		p->why = 0;
		if (!syn) {
			/* from a destination: to a NAT address; else from a VM */
			bool inbound = false;
			for (unsigned i = 0; i < g->c.naddrs; i++)
				inbound |= p->daddr == g->addrs[i];
			(*g->cnt[inbound ? K_DROP_RECV : K_DROP_UNMAPPED])++;
			return false;
		}
		c = open_conn(g, &k, now);
		if (!c) {
			(*g->cnt[K_OOR])++;
			p->why = TCP_HIT_NAT_FAIL;
			return false;
		}
		from_vm = true;
	}
	track(g, c, p->flags, from_vm, now);
	if (from_vm) {
		p->saddr = c->out.b;
		p->sport = c->out.q;
	} else {
		p->daddr = c->in.a;
		p->dport = c->in.p;
	}
	return true;
}

void gcpnat_stats_at(gcpnat *g, ev_time now, gcpnat_stats *out)
{
	reap(g, now);
	*out = (gcpnat_stats){
		.out_of_resources = *g->cnt[K_OOR],
		.new_connections = *g->cnt[K_NEW],
		.closed_connections = *g->cnt[K_CLOSED],
		.vms_failed = g->vals[G_FAILED],
		.allocated_ports = g->vals[G_ALLOC],
		.port_usage = g->vals[G_USAGE],
		.tuples_held = g->vals[G_HELD],
		.open = g->vals[G_OPEN],
	};
}

uint32_t gcpnat_vm_ports(const gcpnat *g, uint32_t addr)
{
	const vm *v = g_hash_table_lookup(g->vms, GUINT_TO_POINTER(addr));
	return v ? v->alloc : 0;
}
