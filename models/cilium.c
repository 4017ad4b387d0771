/*
 * cil: Cilium's eBPF conntrack and BPF masquerading on a node
 * (models/cilium.h has the sources and the assumptions).  Two LRU hash
 * maps (conntrack, NAT), each a hash table plus a recency list, and the
 * agent's garbage collector run lazily: a pass due at T is done, at time T,
 * when the first segment at or after T arrives.
 */
#include "models/cilium.h"

#include <glib.h>
#include <math.h>

#include "sim/bug.h"

/* A map key: the tuple and its direction (TUPLE_F_OUT 0, TUPLE_F_IN 1). */
typedef struct key {
	uint32_t a, b;
	uint16_t p, q;
	uint32_t in;
} key;

typedef struct lru {
	struct lru *prev, *next;
} lru;

/* cilium_ct4_global's value, what of it matters here (struct ct_entry). */
typedef struct ctent {
	lru l;  /* first: an lru pointer is the entry */
	key k;  /* the pod's tuple: pod, server, pod port, server port */
	ev_time life;
	bool non_syn, tx_close, rx_close, tx_syn, rx_syn;
} ctent;

/* cilium_snat_v4_external's value (struct ipv4_nat_entry): to_saddr,
 * to_sport for a SNAT entry, to_daddr, to_dport for a RevSNAT entry. */
typedef struct natent {
	lru l;
	key k;
	uint32_t to_addr;
	uint16_t to_port;
} natent;

typedef struct map {
	GHashTable *h;  /* key -> entry */
	lru head;       /* least recently used first */
	uint32_t n, max;
	uint64_t *evicted;
} map;

enum { C_DROP_NAT, C_DROP_NAT_IN, C_CT_EVICT, C_NAT_EVICT, C_GC_RUNS, NCOUNT };
enum { G_CT, G_NAT, G_PORTS, G_ALIVE, G_DELETED, G_INTERVAL, NGAUGE };

struct cil {
	cil_cfg c;
	gsl_rng *rng;
	map ct, nat;
	uint32_t nrev;             /* RevSNAT entries: ports taken */
	ev_time next_gc;           /* when the next pass is due */
	bool next_signalled;       /* it was woken by SIGNAL_NAT_FILL_UP */
	bool ran;                  /* a pass has run */
	ev_time prev_start;        /* the last pass's time */
	ev_time cached;            /* the interval it chose (cachedGCInterval) */
	ev_time muted_until;       /* signals muted while a pass runs */
	uint64_t local[NCOUNT];
	uint64_t *cnt[NCOUNT];
	probe_gauge *g[NGAUGE];
	probe_hist *retries;
};

static guint key_hash(gconstpointer v)
{
	const key *k = v;
	uint64_t h = ((uint64_t)k->a * 0x9e3779b97f4a7c15ull) + ((uint64_t)k->b * 0xff51afd7ed558ccdull) +
		     (((uint64_t)k->p << 32 | (uint64_t)k->q << 1 | k->in) * 0xc4ceb9fe1a85ec53ull);
	h ^= h >> 31;
	return (guint)(h ^ (h >> 17));
}

static gboolean key_eq(gconstpointer x, gconstpointer y)
{
	const key *a = x, *b = y;
	return a->a == b->a && a->b == b->b && a->p == b->p && a->q == b->q && a->in == b->in;
}

static void lru_unlink(lru *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static void lru_tail(map *m, lru *l)
{
	l->prev = m->head.prev;
	l->next = &m->head;
	m->head.prev->next = l;
	m->head.prev = l;
}

/* A lookup marks the entry used (bpf_lru_node_set_ref in the kernel). */
static void *map_get(map *m, const key *k)
{
	lru *l = g_hash_table_lookup(m->h, k);
	if (l) {
		lru_unlink(l);
		lru_tail(m, l);
	}
	return l;
}

static void map_init(map *m, uint32_t max, uint64_t *evicted)
{
	m->h = g_hash_table_new(key_hash, key_eq);
	m->head.prev = m->head.next = &m->head;
	m->n = 0;
	m->max = max;
	m->evicted = evicted;
}

static void gauge(cil *c, int i, int64_t v, ev_time now)
{
	if (c->g[i])
		probe_gauge_set(c->g[i], v, now);
}

static void nat_del(cil *c, natent *e, ev_time now)
{
	g_hash_table_remove(c->nat.h, &e->k);
	lru_unlink(&e->l);
	c->nat.n--;
	if (e->k.in) {
		c->nrev--;
		gauge(c, G_PORTS, c->nrev, now);
	}
	gauge(c, G_NAT, c->nat.n, now);
	g_free(e);
}

static void ct_del(cil *c, ctent *e, ev_time now)
{
	g_hash_table_remove(c->ct.h, &e->k);
	lru_unlink(&e->l);
	c->ct.n--;
	gauge(c, G_CT, c->ct.n, now);
	g_free(e);
}

/* Insertion into a full LRU map takes the least recently used entry's
 * place (htab_lru_map_update_elem: prealloc_lru_pop evicts). */
static void nat_put(cil *c, natent *e, ev_time now)
{
	if (c->nat.n >= c->nat.max) {
		natent *old = (natent *)c->nat.head.next;
		BUG_ON(&old->l == &c->nat.head);
		(*c->nat.evicted)++;
		nat_del(c, old, now);
	}
	g_hash_table_insert(c->nat.h, &e->k, e);
	lru_tail(&c->nat, &e->l);
	c->nat.n++;
	if (e->k.in) {
		c->nrev++;
		gauge(c, G_PORTS, c->nrev, now);
	}
	gauge(c, G_NAT, c->nat.n, now);
}

static natent *nat_new(cil *c, const key *k, uint32_t to_addr, uint16_t to_port, ev_time now)
{
	natent *e = g_new0(natent, 1);
	e->k = *k;
	e->to_addr = to_addr;
	e->to_port = to_port;
	nat_put(c, e, now);
	return e;
}

static ctent *ct_new(cil *c, const key *k, ev_time now)
{
	if (c->ct.n >= c->ct.max) {
		ctent *old = (ctent *)c->ct.head.next;
		BUG_ON(&old->l == &c->ct.head);
		(*c->ct.evicted)++;
		ct_del(c, old, now);
	}
	ctent *e = g_new0(ctent, 1);
	e->k = *k;
	g_hash_table_insert(c->ct.h, &e->k, e);
	lru_tail(&c->ct, &e->l);
	c->ct.n++;
	gauge(c, G_CT, c->ct.n, now);
	return e;
}

cil *cil_new(const cil_cfg *cfg, gsl_rng *rng, probe_set *ps, const char *prefix)
{
	BUG_ON(!cfg->ct_max || cfg->nat_max < 2 || cfg->port_min > cfg->port_max || !cfg->retries || !rng);
	cil *c = g_new0(cil, 1);
	c->c = *cfg;
	c->rng = rng;
	static const char *const names[NCOUNT][2] = {
		[C_DROP_NAT] = { "drop_nat_no_mapping",
				 "segments from pods for which the SNAT port search found no port (DROP_NAT_NO_MAPPING, egress)" },
		[C_DROP_NAT_IN] = { "drop_nat_no_mapping_ingress",
				    "replies with no RevSNAT entry (DROP_NAT_NO_MAPPING, ingress)" },
		[C_CT_EVICT] = { "ct_lru_evictions", "conntrack entries the full LRU map evicted for a new one" },
		[C_NAT_EVICT] = { "nat_lru_evictions", "NAT entries the full LRU map evicted for a new one" },
		[C_GC_RUNS] = { "conntrack_gc_runs", "garbage collector passes (cilium_datapath_conntrack_gc_runs_total)" },
	};
	static const char *const gnames[NGAUGE][2] = {
		[G_CT] = { "ct_entries", "entries in the TCP conntrack map (cilium_ct4_global)" },
		[G_NAT] = { "nat_entries", "entries in the NAT map, two per connection (cilium_snat_v4_external)" },
		[G_PORTS] = { "ports_held", "RevSNAT entries: NAT ports taken, over all destinations" },
		[G_ALIVE] = { "conntrack_gc_entries_alive",
			      "conntrack entries left by the last pass (cilium_datapath_conntrack_gc_entries, alive)" },
		[G_DELETED] = { "conntrack_gc_entries_deleted",
				"conntrack entries the last pass deleted (cilium_datapath_conntrack_gc_entries, deleted)" },
		[G_INTERVAL] = { "conntrack_gc_interval_s", "the interval the last pass chose, in seconds "
							    "(cilium_datapath_conntrack_gc_interval_seconds)" },
	};
	for (int i = 0; i < NCOUNT; i++) {
		c->cnt[i] = &c->local[i];
		if (ps) {
			char *n = g_strdup_printf("%s%s", prefix, names[i][0]);
			c->cnt[i] = probe_counter(ps, n, names[i][1]);
			g_free(n);
		}
	}
	if (ps) {
		for (int i = 0; i < NGAUGE; i++) {
			char *n = g_strdup_printf("%s%s", prefix, gnames[i][0]);
			c->g[i] = probe_gauge_get(ps, n, gnames[i][1]);
			g_free(n);
		}
		char *n = g_strdup_printf("%ssnat_alloc_retries", prefix);
		c->retries = probe_histogram(ps, n, "failed tries before each SNAT port search ended "
						    "(cilium_snat_v4_alloc_retries)");
		g_free(n);
	}
	map_init(&c->ct, cfg->ct_max, c->cnt[C_CT_EVICT]);
	map_init(&c->nat, cfg->nat_max, c->cnt[C_NAT_EVICT]);
	/* the agent's first pass runs at start (gc.go: initialScan) */
	c->next_gc = 0;
	return c;
}

static void map_free(map *m)
{
	lru *l = m->head.next;
	while (l != &m->head) {
		lru *n = l->next;
		g_free(l);
		l = n;
	}
	g_hash_table_destroy(m->h);
}

void cil_free(cil *c)
{
	if (!c)
		return;
	map_free(&c->ct);
	map_free(&c->nat);
	g_free(c);
}

uint16_t cil_clamp_port(uint16_t start, uint16_t end, uint16_t val)
{
	/* __snat_clamp_port_range: "Integer Multiplication (Biased)" */
	uint32_t n = (uint32_t)(end - start) + 1;
	uint32_t m = (uint32_t)val * n;
	return (uint16_t)(start + (m >> 16));
}

/* time.Duration.Round(time.Second): to the nearest second, halves away
 * from zero (durations here are positive). */
static ev_time round_sec(double ns)
{
	return (ev_time)floor(ns / 1e9 + 0.5) * EV_SEC;
}

ev_time cil_next_interval(const cil_cfg *cfg, ev_time actual_prev, ev_time expected_prev, double ratio)
{
	if (cfg->gc_interval)
		return cfg->gc_interval;
	double r = ratio;
	ev_time prev = expected_prev;
	if (prev == 0)
		prev = CIL_GC_START;
	else if (actual_prev < prev && actual_prev > 0)
		r *= (double)prev / (double)actual_prev;
	ev_time n = prev;  /* calculateIntervalWithConfig */
	if (r > 0.25) {
		if (r > 0.9)
			r = 0.9;
		/* "25%..90% => 1.3x..10x shorter" */
		n = round_sec((double)prev * (1.0 - r));
		if (n < CIL_GC_MIN)
			n = CIL_GC_MIN;
	} else if (r < 0.05 && r != 0.0) {
		n = round_sec((double)prev * 1.5);
		if (n > CIL_GC_MAX_LRU)
			n = CIL_GC_MAX_LRU;
	}
	if (cfg->gc_max_interval && n > cfg->gc_max_interval)
		n = cfg->gc_max_interval;
	return n;
}

/* The NAT entries of a pod tuple (ctmap's NAT deletion on a conntrack
 * entry's GC: the SNAT entry, then the RevSNAT entry its value names). */
static void nat_del_mapping(cil *c, const key *ok, ev_time now)
{
	natent *o = g_hash_table_lookup(c->nat.h, ok);
	if (!o)
		return;
	key rk = { ok->b, o->to_addr, ok->q, o->to_port, 1 };
	natent *r = g_hash_table_lookup(c->nat.h, &rk);
	nat_del(c, o, now);
	if (r)
		nat_del(c, r, now);
}

typedef struct gcwalk {
	cil *c;
	ev_time t;
	GPtrArray *dead;
} gcwalk;

static void collect_expired(gpointer k, gpointer v, gpointer u)
{
	(void)k;
	gcwalk *w = u;
	ctent *e = v;
	/* ctmap GC filter RemoveExpired: entry.Lifetime < now */
	if (e->life < w->t)
		g_ptr_array_add(w->dead, e);
}

/* NAT entries without their connection (PurgeOrphanNATEntries, run on
 * passes a fill-up signal woke): a SNAT entry whose conntrack entry is
 * gone, a RevSNAT entry whose SNAT entry is gone. */
static void collect_orphans(gpointer k, gpointer v, gpointer u)
{
	(void)k;
	gcwalk *w = u;
	natent *e = v;
	if (!e->k.in) {
		if (!g_hash_table_contains(w->c->ct.h, &e->k))
			g_ptr_array_add(w->dead, e);
	} else {
		key ok = { e->to_addr, e->k.a, e->to_port, e->k.p, 0 };
		if (!g_hash_table_contains(w->c->nat.h, &ok))
			g_ptr_array_add(w->dead, e);
	}
}

static int cmp_key(const key *x, const key *y)
{
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	if (x->q != y->q)
		return x->q < y->q ? -1 : 1;
	return x->in < y->in ? -1 : x->in > y->in;
}

/* Deletion order must not depend on the hash table's layout: by key. */
static gint cmp_entry(gconstpointer x, gconstpointer y)
{
	const ctent *a = *(ctent *const *)x, *b = *(ctent *const *)y;
	return cmp_key(&a->k, &b->k);
}

static gint cmp_nat(gconstpointer x, gconstpointer y)
{
	const natent *a = *(natent *const *)x, *b = *(natent *const *)y;
	return cmp_key(&a->k, &b->k);
}

/* One pass of the agent's garbage collector at time t (gc.go runGC, then
 * getIntervalWithConfig for the next one). */
static void gc_pass(cil *c, ev_time t, bool signalled)
{
	gcwalk w = { c, t, g_ptr_array_new() };
	g_hash_table_foreach(c->ct.h, collect_expired, &w);
	g_ptr_array_sort(w.dead, cmp_entry);
	uint32_t deleted = w.dead->len;
	for (guint i = 0; i < w.dead->len; i++) {
		ctent *e = g_ptr_array_index(w.dead, i);
		key ok = e->k;
		ct_del(c, e, t);
		nat_del_mapping(c, &ok, t);
	}
	g_ptr_array_set_size(w.dead, 0);
	if (signalled) {
		g_hash_table_foreach(c->nat.h, collect_orphans, &w);
		g_ptr_array_sort(w.dead, cmp_nat);
		for (guint i = 0; i < w.dead->len; i++)
			nat_del(c, g_ptr_array_index(w.dead, i), t);
	}
	g_ptr_array_free(w.dead, TRUE);
	(*c->cnt[C_GC_RUNS])++;
	/* maxDeleteRatio: deleted / MaxEntries of each map (the "any" map,
	 * not modelled, deletes nothing) */
	double ratio = (double)deleted / c->c.ct_max;
	ev_time interval = cil_next_interval(&c->c, c->ran ? t - c->prev_start : 0, c->cached, ratio);
	c->ran = true;
	c->prev_start = t;
	c->cached = interval;
	c->next_gc = t + interval;
	c->next_signalled = false;
	c->muted_until = t + c->c.gc_pass;
	gauge(c, G_ALIVE, c->ct.n, t);
	gauge(c, G_DELETED, deleted, t);
	gauge(c, G_INTERVAL, interval / EV_SEC, t);
}

static void run_due(cil *c, ev_time now)
{
	while (c->next_gc <= now)
		gc_pass(c, c->next_gc, c->next_signalled);
}

/* SIGNAL_NAT_FILL_UP: the collector, unless muted, runs at once. */
static void signal_fill_up(cil *c, ev_time now)
{
	if (now < c->muted_until || c->next_gc <= now)
		return;
	c->next_gc = now;
	c->next_signalled = true;
}

/* A segment meets its conntrack entry (__ct_lookup with ct_update_timeout
 * and the TCP action ct_tcp_select_action chose); tx: from the pod. */
static void ct_seg(cil *c, ctent *e, uint8_t flags, bool tx, ev_time now)
{
	bool syn = flags & TCP_HOP_SYN;
	if (!e->tx_close || !e->rx_close) {  /* ct_entry_alive */
		e->non_syn |= !syn;
		e->life = now + (e->non_syn ? c->c.t_tcp : c->c.t_syn);
		if (syn)
			*(tx ? &e->tx_syn : &e->rx_syn) = true;
	}
	if (flags & (TCP_HOP_RST | TCP_HOP_FIN)) {  /* ACTION_CLOSE */
		if (!(e->tx_syn && e->rx_syn) && (flags & TCP_HOP_RST))
			e->tx_close = e->rx_close = true;
		else
			*(tx ? &e->tx_close : &e->rx_close) = true;
		if (e->tx_close && e->rx_close)
			e->life = now + c->c.t_fin;  /* CT_CLOSE_TIMEOUT */
	} else if (syn && !(flags & TCP_HOP_ACK) && (e->tx_close || e->rx_close)) {
		/* ACTION_CREATE on a closing entry: reopened */
		e->tx_close = e->rx_close = false;
		e->tx_syn = e->rx_syn = false;
		e->non_syn = false;
		e->life = now + c->c.t_syn;
		*(tx ? &e->tx_syn : &e->rx_syn) = true;
	}
}

/* snat_v4_new_mapping: a NAT port for the pod tuple ok, or NULL. */
static natent *new_mapping(cil *c, const key *ok, ev_time now)
{
	uint16_t lo = c->c.port_min, hi = c->c.port_max;
	/* __snat_try_keep_port */
	uint16_t port = ok->p >= lo && ok->p <= hi ? ok->p : cil_clamp_port(lo, hi, (uint16_t)gsl_rng_get(c->rng));
	key rk = { ok->b, c->c.addr, ok->q, 0, 1 };
	unsigned retries;
	bool found = false;
	for (retries = 0; retries < c->c.retries; retries++) {
		rk.q = port;
		if (!g_hash_table_contains(c->nat.h, &rk)) {
			found = true;
			break;
		}
		/* retries ? port + 1 : (__u16)get_prandom_u32(); the int port + 1
		 * is truncated to the __u16 parameter */
		port = cil_clamp_port(lo, hi, retries ? (uint16_t)(port + 1) : (uint16_t)gsl_rng_get(c->rng));
	}
	if (c->retries)
		probe_hist_add(c->retries, retries);
	/* "We struggled to find a free port. Trigger GC in the agent" */
	if (retries > c->c.retries / 2)
		signal_fill_up(c, now);
	if (!found)
		return NULL;
	nat_new(c, &rk, ok->a, ok->p, now);
	return nat_new(c, ok, c->c.addr, port, now);
}

static bool egress(cil *c, tcp_hop_pkt *p, ev_time now)
{
	key ok = { p->saddr, p->daddr, p->sport, p->dport, 0 };
	/* bpf_lxc: conntrack first; a miss creates the entry (ct_create4) */
	ctent *e = map_get(&c->ct, &ok);
	if (!e)
		e = ct_new(c, &ok, now);
	ct_seg(c, e, p->flags, true, now);
	/* bpf_host to-netdev: snat_v4_nat_handle_mapping */
	natent *o = map_get(&c->nat, &ok);
	if (o) {
		/* a RevSNAT entry lost to LRU eviction is restored */
		key rk = { ok.b, o->to_addr, ok.q, o->to_port, 1 };
		if (!map_get(&c->nat, &rk))
			nat_new(c, &rk, ok.a, ok.p, now);
		o = map_get(&c->nat, &ok);  /* nat_new may have evicted it */
		if (!o)
			o = nat_new(c, &ok, c->c.addr, rk.q, now);
	} else if (!(o = new_mapping(c, &ok, now))) {
		(*c->cnt[C_DROP_NAT])++;
		p->why = (p->flags & (TCP_HOP_SYN | TCP_HOP_ACK)) == TCP_HOP_SYN ? TCP_HIT_NAT_FAIL : 0;
		return false;
	}
	p->saddr = o->to_addr;
	p->sport = o->to_port;
	return true;
}

static bool ingress(cil *c, tcp_hop_pkt *p, ev_time now)
{
	key rk = { p->saddr, p->daddr, p->sport, p->dport, 1 };
	/* snat_v4_rev_nat_handle_mapping */
	natent *r = map_get(&c->nat, &rk);
	if (!r) {
		(*c->cnt[C_DROP_NAT_IN])++;
		p->why = 0;
		return false;
	}
	key ok = { r->to_addr, p->saddr, r->to_port, p->sport, 0 };
	if (!map_get(&c->nat, &ok)) {
		/* the SNAT entry lost to LRU eviction is restored */
		nat_new(c, &ok, p->daddr, p->dport, now);
		if (!g_hash_table_contains(c->nat.h, &rk))
			nat_new(c, &rk, ok.a, ok.p, now);
	}
	p->daddr = ok.a;
	p->dport = ok.p;
	/* the pod's side: the reply meets the conntrack entry */
	ctent *e = map_get(&c->ct, &ok);
	if (!e)
		e = ct_new(c, &ok, now);
	ct_seg(c, e, p->flags, false, now);
	return true;
}

bool cil_hop(cil *c, tcp_hop_pkt *p, ev_time now)
{
	run_due(c, now);
	return p->daddr == c->c.addr ? ingress(c, p, now) : egress(c, p, now);
}

uint32_t cil_ct_entries(cil *c, ev_time now)
{
	run_due(c, now);
	return c->ct.n;
}

uint32_t cil_nat_entries(cil *c, ev_time now)
{
	run_due(c, now);
	return c->nat.n;
}

ev_time cil_gc_interval(const cil *c)
{
	return c->cached;
}

uint64_t cil_gc_runs(const cil *c)
{
	return *c->cnt[C_GC_RUNS];
}

uint64_t cil_alloc_failures(const cil *c)
{
	return *c->cnt[C_DROP_NAT];
}

uint16_t cil_nat_port(cil *c, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	key ok = { saddr, daddr, sport, dport, 0 };
	natent *o = g_hash_table_lookup(c->nat.h, &ok);
	return o ? o->to_port : 0;
}
