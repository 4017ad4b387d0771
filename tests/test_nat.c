/*
 * Tests for SNAT / MASQUERADE tuple selection (models/nat.c, doc/kernel-rules.md
 * §7 and §9.4).
 *
 * The conntrack table is a fake: a map from REPLY tuple to a state (free,
 * taken, taken by a closing entry that evict_closing may kill), with a
 * default state for tuples not in the map, and a log of every tuple the NAT
 * asked about.  Port ranges are tiny (--to-ports) so the expected probe
 * sequences can be checked by hand.  Where a sequence depends on the NAT's
 * random offsets, a clone of its stream taken just before nat_choose gives
 * the offsets it will draw (get_random_u16 = the low 16 bits of one draw).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/nat.h"
#include "sim/rng.h"

#define NAT_A 0xcb007101u    /* 203.0.113.1, the MASQUERADE address */
#define CLI(i) (0x0a000000u + (uint32_t)(i))   /* 10.0.0.i */
#define SRV(i) (0xc6336400u + (uint32_t)(i))   /* 198.51.100.i */
#define SEED 20240601u
#define MAXLOG 70000

/* ---- the fake conntrack table -------------------------------------------- */

enum { F_FREE = 1, F_TAKEN, F_CLOSING };

typedef struct fake {
	GHashTable *map;          /* ct_tuple (REPLY) -> state */
	int dflt;                 /* state of tuples not in the map */
	unsigned nlog;            /* lookups (taken calls) since fake_clear_log */
	unsigned counted;         /* of them, those that count conntrack's `found` */
	uint16_t log[MAXLOG];     /* the NAT port of each lookup (REPLY dport) */
	uint32_t log_ignore;
	ct_tuple first;           /* the first lookup since fake_clear_log */
	unsigned nev;             /* evict_closing calls */
	uint16_t evlog[MAXLOG];
	uint32_t last_seq;
	unsigned evicted;
} fake;

static guint tuple_hash(gconstpointer p)
{
	const ct_tuple *t = p;
	return (guint)rng_splitmix64(((uint64_t)t->src << 32 | t->dst) ^ ((uint64_t)t->sport << 16 | t->dport));
}

static gboolean tuple_equal(gconstpointer a, gconstpointer b)
{
	return ct_tuple_eq(a, b);
}

static fake *fake_new(int dflt)
{
	fake *f = g_new0(fake, 1);
	f->map = g_hash_table_new_full(tuple_hash, tuple_equal, g_free, NULL);
	f->dflt = dflt;
	return f;
}

static void fake_free(fake *f)
{
	g_hash_table_destroy(f->map);
	g_free(f);
}

static void fake_set(fake *f, const ct_tuple *reply, int state)
{
	g_hash_table_replace(f->map, g_memdup2(reply, sizeof(*reply)), GINT_TO_POINTER(state));
}

static int fake_state(const fake *f, const ct_tuple *reply)
{
	gpointer v = g_hash_table_lookup(f->map, reply);
	return v ? GPOINTER_TO_INT(v) : f->dflt;
}

static void fake_clear_log(fake *f)
{
	f->nlog = f->nev = f->counted = 0;
}

static bool fake_taken(void *ctx, const ct_tuple *reply, uint32_t ignore, bool count)
{
	fake *f = ctx;
	if (f->nlog < MAXLOG)
		f->log[f->nlog] = reply->dport;
	if (f->nlog == 0)
		f->first = *reply;
	f->nlog++;
	f->counted += count;
	f->log_ignore = ignore;
	return fake_state(f, reply) != F_FREE;
}

static bool fake_evict(void *ctx, const ct_tuple *reply, uint32_t seq)
{
	fake *f = ctx;
	if (f->nev < MAXLOG)
		f->evlog[f->nev] = reply->dport;
	f->nev++;
	f->last_seq = seq;
	if (fake_state(f, reply) != F_CLOSING)
		return false;
	fake_set(f, reply, F_FREE);
	f->evicted++;
	return true;
}

/* ---- fixture --------------------------------------------------------------- */

typedef struct fx {
	fake *f;
	gsl_rng *rng;
	probe_set *ps;
	nat *n;
	uint32_t next_entry;
} fx;

static fx mk(const char *profile, nat_cfg c, int dflt, uint64_t seed)
{
	static const uint32_t one[] = { NAT_A };
	fx x = { 0 };
	x.f = fake_new(dflt);
	x.rng = rng_stream(seed, 0, "box/nat/kernel");
	x.ps = probe_set_new();
	if (!c.addrs) {
		c.addrs = one;
		c.naddrs = 1;
	}
	const prof *p = prof_find(profile);
	assert_non_null(p);
	nat_ops ops = { x.f, fake_taken, fake_evict };
	x.n = nat_new(&c, p, &ops, x.rng, x.ps, "nat");
	assert_non_null(x.n);
	x.next_entry = 1;
	return x;
}

static void fx_free(fx *x)
{
	nat_free(x->n);
	probe_set_free(x->ps);
	rng_free(x->rng);
	fake_free(x->f);
}

static uint64_t ctr(fx *x, const char *name)
{
	char *full = g_strdup_printf("nat.%s", name);
	uint64_t v = *probe_counter(x->ps, full, NULL);
	g_free(full);
	return v;
}

static ct_tuple orig_of(uint32_t caddr, uint16_t cport, uint32_t saddr, uint16_t sport)
{
	return (ct_tuple){ caddr, saddr, cport, sport };
}

/* nat_choose for a new entry, with a fresh lookup log. */
static bool choose(fx *x, uint32_t caddr, uint16_t cport, uint32_t saddr, uint16_t sport, ct_tuple *reply)
{
	ct_tuple o = orig_of(caddr, cport, saddr, sport);
	fake_clear_log(x->f);
	uint32_t e = x->next_entry++;
	bool ok = nat_choose(x->n, e, &o, 1000u + e, reply);
	/* the reply always answers the original's destination */
	assert_int_equal(reply->src, saddr);
	assert_int_equal(reply->sport, sport);
	return ok;
}

/* The connection is confirmed: its REPLY tuple is now taken. */
static void commit(fx *x, const ct_tuple *reply)
{
	fake_set(x->f, reply, F_TAKEN);
}

static ct_tuple reply_to(uint32_t saddr, uint16_t sport, uint32_t nat_addr, uint16_t nat_port)
{
	return (ct_tuple){ saddr, nat_addr, sport, nat_port };
}

/*
 * The ports nf_nat_l4proto_unique_tuple (~5.0+) tries when every one is
 * taken, from a clone of the NAT's stream: rounds of min(size, 128), then
 * 64, 32, 16, 8 from new 16-bit offsets, `min + off % size` with a u16 off.
 * Returns the count; round_start[] gets each round's first index.
 */
static unsigned predict_attempts(gsl_rng *clone, unsigned min, unsigned size, uint16_t *out,
				 unsigned *round_start, unsigned *nrounds)
{
	unsigned n = 0, r = 0, attempts = size < 128 ? size : 128;
	uint16_t off = (uint16_t)gsl_rng_get(clone);
	for (;;) {
		if (round_start)
			round_start[r] = n;
		r++;
		for (unsigned i = 0; i < attempts; i++, off++)
			out[n++] = (uint16_t)(min + off % size);
		if (attempts >= size || attempts < 16)
			break;
		attempts /= 2;
		off = (uint16_t)gsl_rng_get(clone);
	}
	if (nrounds)
		*nrounds = r;
	return n;
}

/* ---- step 1-3: keeping the client's port ------------------------------------ */

/* MASQUERADE without --to-ports keeps the client's port when the tuple is
 * free (get_unique_tuple step 3): one lookup, every profile. */
static void test_masq_keeps_client_port(void **st)
{
	(void)st;
	const char *profiles[] = { "3.10", "4.4", "5.15", "6.8", "current" };
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		fx x = mk(profiles[i], (nat_cfg){ 0 }, F_FREE, SEED);
		ct_tuple r;
		assert_true(choose(&x, CLI(5), 40000, SRV(1), 80, &r));
		ct_tuple want = reply_to(SRV(1), 80, NAT_A, 40000);
		assert_true(ct_tuple_eq(&r, &want));
		assert_int_equal(x.f->nlog, 1);
		assert_int_equal(x.f->log[0], 40000);
		assert_int_equal(x.f->log_ignore, 1);  /* our own entry is ignored */
		/* privileged and mid-range client ports are kept too */
		assert_true(choose(&x, CLI(5), 700, SRV(1), 80, &r));
		assert_int_equal(r.dport, 700);
		assert_true(choose(&x, CLI(5), 22, SRV(1), 80, &r));
		assert_int_equal(r.dport, 22);
		assert_int_equal(ctr(&x, "searches"), 3);
		assert_int_equal(ctr(&x, "port_preserved"), 3);
		assert_int_equal(ctr(&x, "probes"), 3);
		assert_int_equal(ctr(&x, "failed"), 0);
		fx_free(&x);
	}
}

/* Uniqueness is per REPLY tuple: a port already used towards a server gets
 * another external port for a second client, but the same external port
 * serves any other server (or server port). */
static void uniqueness_case(const char *profile, bool rover)
{
	fx x = mk(profile, (nat_cfg){ 0 }, F_FREE, SEED);
	ct_tuple r1, r2, r3, r4;
	assert_true(choose(&x, CLI(5), 40000, SRV(1), 80, &r1));
	assert_int_equal(r1.dport, 40000);
	commit(&x, &r1);

	/* another client, same port, same server: step 3 finds it taken */
	assert_true(choose(&x, CLI(6), 40000, SRV(1), 80, &r2));
	assert_int_not_equal(r2.dport, 40000);
	assert_true(r2.dport >= 1024);
	assert_int_equal(x.f->nlog, 2);  /* step 3, then the first probe of step 4 */
	assert_int_equal(x.f->log[0], 40000);
	if (rover)
		assert_int_equal(r2.dport, 1024);  /* tcp_port_rover starts at 0: 1024 + 0 */
	commit(&x, &r2);

	/* the same external port towards another server, or another port */
	assert_true(choose(&x, CLI(7), 40000, SRV(2), 80, &r3));
	assert_int_equal(r3.dport, 40000);
	assert_true(choose(&x, CLI(8), 40000, SRV(1), 443, &r4));
	assert_int_equal(r4.dport, 40000);
	assert_int_equal(x.f->nlog, 1);
	assert_int_equal(ctr(&x, "port_preserved"), 3);
	fx_free(&x);
}

static void test_unique_per_reply_tuple(void **st)
{
	(void)st;
	uniqueness_case("current", false);
	uniqueness_case("6.8", false);
	uniqueness_case("4.4", true);
	uniqueness_case("3.10", true);
}

/* find_appropriate_src: a source (address, port) that already has a mapping
 * keeps it towards other destinations, ahead of keeping its own port; not
 * with --random; gone once its entries are forgotten. */
static void test_bysource_reuse(void **st)
{
	(void)st;
	fx x = mk("current", (nat_cfg){ 0 }, F_FREE, SEED);
	ct_tuple foreign = reply_to(SRV(1), 80, NAT_A, 40000), r1, r2, r3, r5;
	fake_set(x.f, &foreign, F_TAKEN);

	/* entry 1: C1:40000 -> S1:80 cannot keep 40000 */
	assert_true(choose(&x, CLI(1), 40000, SRV(1), 80, &r1));
	uint16_t mapped = r1.dport;
	assert_int_not_equal(mapped, 40000);
	commit(&x, &r1);
	assert_int_equal(nat_nlinks(x.n), 1);

	/* entry 2: C1:40000 -> S2:80 reuses the mapping, not 40000 (which is free
	 * towards S2) */
	assert_true(choose(&x, CLI(1), 40000, SRV(2), 80, &r2));
	assert_int_equal(r2.dport, mapped);
	assert_int_equal(x.f->nlog, 1);
	assert_int_equal(x.f->log[0], mapped);
	assert_int_equal(ctr(&x, "bysource"), 1);
	commit(&x, &r2);

	/* entry 3: C1:40000 -> S1:80 again while entry 1 lives: the mapping is
	 * taken towards S1, then 40000 is too, then step 4 */
	assert_true(choose(&x, CLI(1), 40000, SRV(1), 80, &r3));
	assert_int_equal(x.f->log[0], mapped);
	assert_int_equal(x.f->log[1], 40000);
	assert_true(x.f->nlog >= 3);
	assert_int_not_equal(r3.dport, mapped);
	assert_int_equal(ctr(&x, "bysource"), 1);
	commit(&x, &r3);
	assert_int_equal(nat_nlinks(x.n), 3);

	/* the newest in-range mapping is the one offered (hlist_add_head) */
	ct_tuple r4;
	assert_true(choose(&x, CLI(1), 40000, SRV(3), 80, &r4));
	assert_int_equal(r4.dport, r3.dport);
	nat_forget(x.n, 4);

	/* forgetting every entry of the source: back to keeping the port */
	nat_forget(x.n, 1);
	nat_forget(x.n, 2);
	nat_forget(x.n, 3);
	nat_forget(x.n, 77);  /* unknown: ignored */
	assert_int_equal(nat_nlinks(x.n), 0);
	assert_true(choose(&x, CLI(1), 40000, SRV(4), 80, &r5));
	assert_int_equal(r5.dport, 40000);
	fx_free(&x);

	/* --random: find_appropriate_src is not consulted */
	fx y = mk("current", (nat_cfg){ .random = true }, F_FREE, SEED);
	fake_set(y.f, &foreign, F_TAKEN);
	assert_true(choose(&y, CLI(1), 40000, SRV(1), 80, &r1));
	commit(&y, &r1);
	gsl_rng *c = gsl_rng_clone(y.rng);
	uint16_t want = (uint16_t)(1024 + (uint16_t)gsl_rng_get(c) % 64512);
	gsl_rng_free(c);
	assert_true(choose(&y, CLI(1), 40000, SRV(2), 80, &r2));
	assert_int_equal(r2.dport, want);
	assert_int_equal(y.f->nlog, 1);
	assert_int_equal(ctr(&y, "bysource"), 0);
	fx_free(&y);
}

/* A source inside the range (the box's own address: locally originated
 * traffic) is kept when free; when it is taken, get_unique_tuple goes
 * straight to step 2: find_appropriate_src is only tried for sources outside
 * the range ("else if"), even when a free mapping of that source exists. */
static void test_local_source_in_range(void **st)
{
	(void)st;
	fx x = mk("current", (nat_cfg){ 0 }, F_FREE, SEED);
	ct_tuple busy1 = reply_to(SRV(1), 80, NAT_A, 40000), busy2 = reply_to(SRV(2), 80, NAT_A, 40000), r;
	assert_true(choose(&x, NAT_A, 40000, SRV(3), 80, &r));  /* kept as is */
	assert_int_equal(r.dport, 40000);
	assert_int_equal(x.f->nlog, 1);
	fake_set(x.f, &busy1, F_TAKEN);
	fake_set(x.f, &busy2, F_TAKEN);
	assert_true(choose(&x, NAT_A, 40000, SRV(1), 80, &r));  /* step 1, step 3, step 4 */
	uint16_t mapped = r.dport;
	assert_int_not_equal(mapped, 40000);
	commit(&x, &r);
	gsl_rng *cl = gsl_rng_clone(x.rng);
	uint16_t want = (uint16_t)(1024 + (uint16_t)gsl_rng_get(cl) % 64512);
	gsl_rng_free(cl);
	assert_true(choose(&x, NAT_A, 40000, SRV(2), 80, &r));
	assert_int_equal(x.f->nlog, 3);
	assert_int_equal(x.f->log[0], 40000);  /* the original tuple, taken */
	assert_int_equal(x.f->log[1], 40000);  /* step 3: the same tuple again */
	assert_int_equal(x.f->log[2], want);   /* not `mapped`, free towards SRV(2) */
	assert_int_equal(r.dport, want);
	assert_int_equal(ctr(&x, "bysource"), 0);
	fx_free(&x);
}

/* Choosing again for a linked entry replaces its link; the bysource hash
 * drains to zero. */
static void test_links(void **st)
{
	(void)st;
	fx x = mk("current", (nat_cfg){ 0 }, F_FREE, SEED);
	ct_tuple o = orig_of(CLI(1), 40000, SRV(1), 80), r;
	nat_choose(x.n, 5, &o, 1, &r);
	nat_choose(x.n, 5, &o, 1, &r);
	assert_int_equal(nat_nlinks(x.n), 1);
	o.sport = 40001;
	nat_choose(x.n, 6, &o, 1, &r);
	assert_int_equal(nat_nlinks(x.n), 2);
	nat_forget(x.n, 5);
	nat_forget(x.n, 5);
	assert_int_equal(nat_nlinks(x.n), 1);
	nat_forget(x.n, 6);
	assert_int_equal(nat_nlinks(x.n), 0);
	assert_true(nat_owns(x.n, NAT_A));
	assert_false(nat_owns(x.n, NAT_A + 1));
	fx_free(&x);  /* ASan: nothing leaks with links left either */
	fx y = mk("current", (nat_cfg){ 0 }, F_FREE, SEED);
	nat_choose(y.n, 5, &o, 1, &r);
	fx_free(&y);
}

/* --to-ports: the client's port is kept when inside the range and free; a
 * range of one port equal to the client's is kept without a lookup (even
 * when taken: confirmation will clash), as get_unique_tuple does. */
static void test_to_ports_keep(void **st)
{
	(void)st;
	fx x = mk("current", (nat_cfg){ .port_lo = 5000, .port_hi = 5009 }, F_FREE, SEED);
	ct_tuple r;
	assert_true(choose(&x, CLI(1), 5003, SRV(1), 80, &r));
	assert_int_equal(r.dport, 5003);
	assert_int_equal(x.f->nlog, 1);
	/* outside the range: straight to step 4, one probe */
	assert_true(choose(&x, CLI(1), 40000, SRV(1), 80, &r));
	assert_true(r.dport >= 5000 && r.dport <= 5009);
	assert_int_equal(x.f->nlog, 1);
	fx_free(&x);

	fx y = mk("current", (nat_cfg){ .port_lo = 5000, .port_hi = 5000 }, F_TAKEN, SEED);
	assert_true(choose(&y, CLI(1), 5000, SRV(1), 80, &r));
	assert_int_equal(r.dport, 5000);
	assert_int_equal(y.f->nlog, 0);
	assert_int_equal(ctr(&y, "unchecked"), 1);
	/* another client port: one probe of the one port, taken */
	assert_false(choose(&y, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(r.dport, 5000);
	assert_int_equal(y.f->nlog, 1);
	assert_int_equal(ctr(&y, "failed"), 1);
	fx_free(&y);
}

/* ---- step 4, ATTEMPTS (~5.0+) ----------------------------------------------- */

/* Ten ports, all taken: exactly ten probes, consecutive from the random
 * offset, the last one installed; one free port is found wherever it is. */
static void test_attempts_small_range(void **st)
{
	(void)st;
	nat_cfg c = { .port_lo = 1000, .port_hi = 1009 };
	fx x = mk("6.8", c, F_TAKEN, SEED);
	ct_tuple r;
	uint16_t want[300];

	gsl_rng *cl = gsl_rng_clone(x.rng);
	unsigned n = predict_attempts(cl, 1000, 10, want, NULL, NULL);
	gsl_rng_free(cl);
	assert_int_equal(n, 10);
	assert_false(choose(&x, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(x.f->nlog, 10);
	bool seen[10] = { false };
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(x.f->log[i], want[i]);
		if (i)
			assert_int_equal(x.f->log[i], 1000 + (x.f->log[i - 1] - 1000 + 1) % 10);
		seen[x.f->log[i] - 1000] = true;
	}
	for (unsigned i = 0; i < 10; i++)
		assert_true(seen[i]);
	assert_int_equal(r.dport, x.f->log[9]);  /* the last tuple tried */
	assert_int_equal(ctr(&x, "failed"), 1);
	assert_int_equal(ctr(&x, "probes"), 10);

	/* one free port: found after exactly its position in the sequence */
	for (uint16_t freep = 1000; freep <= 1009; freep++) {
		ct_tuple t = reply_to(SRV(2), 80, NAT_A, freep);
		fake_set(x.f, &t, F_FREE);
		cl = gsl_rng_clone(x.rng);
		predict_attempts(cl, 1000, 10, want, NULL, NULL);
		gsl_rng_free(cl);
		unsigned pos = 0;
		while (want[pos] != freep)
			pos++;
		assert_true(choose(&x, CLI(100 + freep - 1000), 40000, SRV(2), 80, &r));
		assert_int_equal(r.dport, freep);
		assert_int_equal(x.f->nlog, pos + 1);
		fake_set(x.f, &t, F_TAKEN);
	}
	fx_free(&x);
}

/* The boundary of the rounds: 128 ports, all taken, cost 128 probes; 129
 * ports cost 248. */
static void test_attempts_128_boundary(void **st)
{
	(void)st;
	ct_tuple r;
	fx x = mk("6.8", (nat_cfg){ .port_lo = 2000, .port_hi = 2127 }, F_TAKEN, SEED);
	assert_false(choose(&x, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(x.f->nlog, 128);
	fx_free(&x);
	fx y = mk("6.8", (nat_cfg){ .port_lo = 2000, .port_hi = 2128 }, F_TAKEN, SEED);
	assert_false(choose(&y, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(y.f->nlog, 248);
	fx_free(&y);
}

/* Everything taken in a large range: 128 + 64 + 32 + 16 + 8 = 248 probes,
 * runs of consecutive ports from fresh random offsets; every port class. */
static void large_all_taken_case(const char *profile, uint16_t cport, unsigned min, unsigned size, bool random_fully)
{
	fx x = mk(profile, (nat_cfg){ .random_fully = random_fully }, F_TAKEN, SEED + cport);
	ct_tuple r;
	static uint16_t want[300];
	unsigned starts[8], nr;
	gsl_rng *cl = gsl_rng_clone(x.rng);
	unsigned n = predict_attempts(cl, min, size, want, starts, &nr);
	gsl_rng_free(cl);
	assert_int_equal(n, 248);
	assert_int_equal(nr, 5);
	assert_false(choose(&x, CLI(1), cport, SRV(1), 80, &r));
	unsigned skip = random_fully ? 0 : 1;  /* step 3 looked at the client's port */
	assert_int_equal(x.f->nlog, 248 + skip);
	if (skip)
		assert_int_equal(x.f->log[0], cport);
	static const unsigned len[5] = { 128, 64, 32, 16, 8 };
	for (unsigned k = 0; k < 5; k++) {
		assert_int_equal(starts[k], k ? starts[k - 1] + len[k - 1] : 0);
		for (unsigned i = 0; i < len[k]; i++) {
			unsigned j = starts[k] + i;
			uint16_t p = x.f->log[skip + j];
			assert_int_equal(p, want[j]);
			assert_true(p >= min && p < min + size);
		}
	}
	assert_int_equal(r.dport, x.f->log[skip + 247]);
	assert_int_equal(ctr(&x, "failed"), 1);
	assert_int_equal(ctr(&x, "probes"), 248 + skip);
	fx_free(&x);
}

static void test_attempts_large_all_taken(void **st)
{
	(void)st;
	large_all_taken_case("6.8", 40000, 1024, 64512, true);
	large_all_taken_case("5.15", 40000, 1024, 64512, false);
	large_all_taken_case("6.8", 1024, 1024, 64512, false);
	large_all_taken_case("6.8", 100, 1, 511, false);
	large_all_taken_case("6.8", 511, 1, 511, false);
	large_all_taken_case("6.8", 512, 600, 424, false);  /* 512-599 map into 600-1023 */
	large_all_taken_case("6.8", 1023, 600, 424, false);
}

/* A free tuple is found while it lies inside the attempt budget (the 248
 * probed ports), wherever in it; one outside it is never found. */
static void test_attempts_budget(void **st)
{
	(void)st;
	nat_cfg c = { .port_lo = 1000, .port_hi = 1999 };
	fx x = mk("6.8", c, F_TAKEN, SEED);
	static uint16_t want[300];
	ct_tuple r;
	const unsigned picks[] = { 0, 127, 128, 191, 192, 230, 240, 247 };
	for (size_t k = 0; k < sizeof(picks) / sizeof(picks[0]); k++) {
		gsl_rng *cl = gsl_rng_clone(x.rng);
		predict_attempts(cl, 1000, 1000, want, NULL, NULL);
		gsl_rng_free(cl);
		unsigned pos = picks[k];
		while (pos > 0) {  /* the first occurrence of that port */
			unsigned first = 0;
			while (want[first] != want[pos])
				first++;
			if (first == pos)
				break;
			pos++;
		}
		ct_tuple t = reply_to(SRV(1), 80, NAT_A, want[pos]);
		fake_set(x.f, &t, F_FREE);
		assert_true(choose(&x, CLI(10 + k), 40000, SRV(1), 80, &r));
		assert_int_equal(r.dport, want[pos]);
		assert_int_equal(x.f->nlog, pos + 1);
		fake_set(x.f, &t, F_TAKEN);
	}
	/* the only free port is one the search does not reach */
	gsl_rng *cl = gsl_rng_clone(x.rng);
	predict_attempts(cl, 1000, 1000, want, NULL, NULL);
	gsl_rng_free(cl);
	bool probed[1000] = { false };
	for (unsigned i = 0; i < 248; i++)
		probed[want[i] - 1000] = true;
	unsigned outside = 0;
	while (probed[outside])
		outside++;
	ct_tuple t = reply_to(SRV(1), 80, NAT_A, (uint16_t)(1000 + outside));
	fake_set(x.f, &t, F_FREE);
	assert_false(choose(&x, CLI(99), 40000, SRV(1), 80, &r));
	assert_int_equal(x.f->nlog, 248);
	fx_free(&x);
}

/* The offset is a u16: `off++` wraps at 65536 and `min + off % size` jumps
 * back when size does not divide 65536.  With ten ports and an offset of
 * 65530-65535, the ten probes repeat some ports and never reach others, so a
 * free port can be missed although the range has only ten ports. */
static void test_attempts_u16_wrap(void **st)
{
	(void)st;
	uint64_t seed = 0;
	uint16_t off = 0;
	for (uint64_t s = 1; s < 1000000; s++) {
		gsl_rng *g = rng_stream(s, 0, "box/nat/kernel");
		off = (uint16_t)gsl_rng_get(g);
		rng_free(g);
		if (off >= 65530) {
			seed = s;
			break;
		}
	}
	assert_true(seed != 0);
	fx x = mk("6.8", (nat_cfg){ .port_lo = 1000, .port_hi = 1009 }, F_TAKEN, seed);
	/* the ports probed: off..65535 then 0.. */
	bool probed[10] = { false };
	unsigned k = 0;
	for (uint16_t o = off; k < 10; o++, k++)
		probed[o % 10] = true;
	unsigned missed = 0;
	while (probed[missed])
		missed++;
	assert_true(missed < 10);
	ct_tuple t = reply_to(SRV(1), 80, NAT_A, (uint16_t)(1000 + missed)), r;
	fake_set(x.f, &t, F_FREE);
	assert_false(choose(&x, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(x.f->nlog, 10);
	assert_int_equal(x.f->log[0], 1000 + off % 10);
	fx_free(&x);
}

/* ---- the 6.5 harder rule ------------------------------------------------------ */

/* Every tuple is held by a closing entry: nothing is evicted while more than
 * 32 attempts remain in the round; the 97th probe (attempts_left = 32)
 * evicts and uses its tuple.  Profiles without the rule never evict. */
static void test_harder_threshold(void **st)
{
	(void)st;
	static uint16_t want[300];
	ct_tuple r;
	nat_cfg c = { .port_lo = 1000, .port_hi = 1199 };

	fx x = mk("current", c, F_CLOSING, SEED);
	gsl_rng *cl = gsl_rng_clone(x.rng);
	predict_attempts(cl, 1000, 200, want, NULL, NULL);
	gsl_rng_free(cl);
	ct_tuple o = orig_of(CLI(1), 40000, SRV(1), 80);
	fake_clear_log(x.f);
	assert_true(nat_choose(x.n, 1, &o, 0xabcdef01u, &r));
	assert_int_equal(x.f->nlog, 97);
	/* only the first 96 went through nf_conntrack_tuple_taken, which counts
	 * `found`; the harder path's nf_conntrack_find_get does not */
	assert_int_equal(x.f->counted, 96);
	assert_int_equal(x.f->nev, 1);
	assert_int_equal(x.f->evlog[0], want[96]);
	assert_int_equal(x.f->last_seq, 0xabcdef01u);
	assert_int_equal(r.dport, want[96]);
	assert_int_equal(ctr(&x, "evicted"), 1);
	assert_int_equal(ctr(&x, "failed"), 0);
	fx_free(&x);

	/* the rule was posted to nf-next in June 2023 and merged for 6.5:
	 * 6.8 has it, 5.15 and 4.4 do not */
	const char *without[] = { "5.15", "4.4" };
	for (size_t i = 0; i < G_N_ELEMENTS(without); i++) {
		fx y = mk(without[i], c, F_CLOSING, SEED);
		assert_false(choose(&y, CLI(1), 40000, SRV(1), 80, &r));
		assert_int_equal(y.f->nev, 0);
		assert_int_equal(ctr(&y, "evicted"), 0);
		fx_free(&y);
	}

	/* a range of ten: every probe has <= 32 attempts left */
	fx z = mk("current", (nat_cfg){ .port_lo = 1000, .port_hi = 1009 }, F_CLOSING, SEED);
	assert_true(choose(&z, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(z.f->nlog, 1);
	assert_int_equal(z.f->evicted, 1);
	fx_free(&z);
}

/* Only the entries evict_closing accepts are evicted, and it is asked only
 * in the last 32 probes of each round: 32 + 32 + 32 + 16 + 8 = 120 times in
 * a failed search. */
static void test_harder_only_allowed(void **st)
{
	(void)st;
	static uint16_t want[300];
	unsigned starts[8], nr;
	ct_tuple r;
	nat_cfg c = { .port_lo = 1000, .port_hi = 1999 };

	fx x = mk("current", c, F_TAKEN, SEED);
	gsl_rng *cl = gsl_rng_clone(x.rng);
	predict_attempts(cl, 1000, 1000, want, starts, &nr);
	gsl_rng_free(cl);
	assert_false(choose(&x, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(x.f->nlog, 248);
	assert_int_equal(x.f->nev, 120);
	static const unsigned len[5] = { 128, 64, 32, 16, 8 };
	unsigned e = 0;
	for (unsigned k = 0; k < 5; k++)
		for (unsigned i = 0; i < len[k]; i++)
			if (len[k] - i <= 32)
				assert_int_equal(x.f->evlog[e++], want[starts[k] + i]);
	assert_int_equal(e, 120);
	fx_free(&x);

	/* closing entries at probe 51 (too early) and 101: the second is evicted */
	fx y = mk("current", c, F_TAKEN, SEED);
	cl = gsl_rng_clone(y.rng);
	predict_attempts(cl, 1000, 1000, want, NULL, NULL);
	gsl_rng_free(cl);
	ct_tuple early = reply_to(SRV(1), 80, NAT_A, want[50]), late = reply_to(SRV(1), 80, NAT_A, want[100]);
	fake_set(y.f, &early, F_CLOSING);
	fake_set(y.f, &late, F_CLOSING);
	assert_true(choose(&y, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(r.dport, want[100]);
	assert_int_equal(y.f->nlog, 101);
	assert_int_equal(y.f->nev, 5);  /* probes 97..101 */
	assert_int_equal(fake_state(y.f, &early), F_CLOSING);
	fx_free(&y);

	/* steps 1-3 never evict: the client's own port held by a closing entry */
	fx z = mk("current", (nat_cfg){ 0 }, F_FREE, SEED);
	ct_tuple own = reply_to(SRV(1), 80, NAT_A, 40000);
	fake_set(z.f, &own, F_CLOSING);
	assert_true(choose(&z, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_not_equal(r.dport, 40000);
	assert_int_equal(z.f->nlog, 2);
	assert_int_equal(z.f->nev, 0);
	fx_free(&z);
}

/* ---- step 4, ROVER (<= ~5.0) ------------------------------------------------- */

/* The rover scans the whole range, one port at a time; after range_size - 1
 * taken ports it installs the last one without looking.  It keeps the offset
 * of the port it chose, so the next search starts there. */
static void test_rover_whole_range(void **st)
{
	(void)st;
	nat_cfg c = { .port_lo = 1000, .port_hi = 1199 };
	fx x = mk("4.4", c, F_TAKEN, SEED);
	ct_tuple r;
	assert_false(choose(&x, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(x.f->nlog, 199);
	for (unsigned i = 0; i < 199; i++)
		assert_int_equal(x.f->log[i], 1000 + i);  /* rover 0: from the bottom */
	assert_int_equal(r.dport, 1199);  /* never looked up */
	assert_int_equal(ctr(&x, "unchecked"), 1);
	assert_int_equal(ctr(&x, "failed"), 1);

	/* rover = 199: the next search starts at 1199, wraps, finds 1050 */
	ct_tuple t = reply_to(SRV(1), 80, NAT_A, 1050);
	fake_set(x.f, &t, F_FREE);
	assert_true(choose(&x, CLI(2), 40000, SRV(1), 80, &r));
	assert_int_equal(r.dport, 1050);
	assert_int_equal(x.f->nlog, 52);
	assert_int_equal(x.f->log[0], 1199);
	assert_int_equal(x.f->log[1], 1000);
	commit(&x, &r);
	/* rover = 250: starts on 1050 (now taken), then 1051 */
	ct_tuple u = reply_to(SRV(1), 80, NAT_A, 1051);
	fake_set(x.f, &u, F_FREE);
	assert_true(choose(&x, CLI(3), 40000, SRV(1), 80, &r));
	assert_int_equal(r.dport, 1051);
	assert_int_equal(x.f->nlog, 2);
	/* a free port one before the rover is found after a full lap */
	commit(&x, &r);
	ct_tuple v = reply_to(SRV(1), 80, NAT_A, 1050 - 1);
	fake_set(x.f, &v, F_FREE);
	assert_true(choose(&x, CLI(4), 40000, SRV(1), 80, &r));
	assert_int_equal(r.dport, 1049);
	assert_int_equal(x.f->nlog, 199);
	fx_free(&x);

	/* a whole default class, every tuple taken: 64511 lookups */
	fx y = mk("3.10", (nat_cfg){ .random_fully = false }, F_TAKEN, SEED);
	assert_false(choose(&y, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(y.f->nlog, 1 + 64511);  /* step 3, then the scan */
	assert_int_equal(r.dport, 1024 + 64511);
	fx_free(&y);

	/* one port: installed without a lookup */
	fx z = mk("4.4", (nat_cfg){ .port_lo = 7000, .port_hi = 7000 }, F_FREE, SEED);
	assert_false(choose(&z, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_equal(r.dport, 7000);
	assert_int_equal(z.f->nlog, 0);
	fx_free(&z);
}

/* Successive connections to one server from clients whose ports are outside
 * --to-ports: 1000 (1 lookup), then 1000 taken -> 1001 (2), 1001 -> 1002 (2)
 * ...; towards another server the rover's port is free at once. */
static void test_rover_sequence(void **st)
{
	(void)st;
	fx x = mk("4.4", (nat_cfg){ .port_lo = 1000, .port_hi = 1009 }, F_FREE, SEED);
	ct_tuple r;
	for (unsigned k = 0; k < 10; k++) {
		assert_true(choose(&x, CLI(k + 1), 40000, SRV(1), 80, &r));
		assert_int_equal(r.dport, 1000 + k);
		assert_int_equal(x.f->nlog, k ? 2 : 1);
		commit(&x, &r);
	}
	assert_true(choose(&x, CLI(20), 40000, SRV(2), 80, &r));
	assert_int_equal(r.dport, 1009);
	assert_int_equal(x.f->nlog, 1);
	/* the range is full towards SRV(1): nine lookups, the tenth port unchecked */
	assert_false(choose(&x, CLI(21), 40000, SRV(1), 80, &r));
	assert_int_equal(x.f->nlog, 9);
	fx_free(&x);
}

/* ---- --random and --random-fully ------------------------------------------------ */

/* --random-fully skips steps 1-3: the client's port is not kept even when
 * free, and the sequence starts at a random offset. */
static void test_random_fully(void **st)
{
	(void)st;
	const char *profiles[] = { "current", "4.4" };
	for (size_t i = 0; i < 2; i++) {
		fx plain = mk(profiles[i], (nat_cfg){ 0 }, F_FREE, SEED);
		fx fully = mk(profiles[i], (nat_cfg){ .random_fully = true }, F_FREE, SEED);
		ct_tuple a, b;
		assert_true(choose(&plain, CLI(1), 40000, SRV(1), 80, &a));
		assert_int_equal(a.dport, 40000);
		gsl_rng *cl = gsl_rng_clone(fully.rng);
		uint16_t want = (uint16_t)(1024 + (uint16_t)gsl_rng_get(cl) % 64512);
		gsl_rng_free(cl);
		assert_true(choose(&fully, CLI(1), 40000, SRV(1), 80, &b));
		assert_int_equal(b.dport, want);
		assert_int_not_equal(b.dport, 40000);
		assert_int_equal(fully.f->nlog, 1);
		assert_int_equal(ctr(&fully, "port_preserved"), 0);
		/* the next one starts elsewhere (no rover, no fixed start) */
		commit(&fully, &b);
		cl = gsl_rng_clone(fully.rng);
		want = (uint16_t)(1024 + (uint16_t)gsl_rng_get(cl) % 64512);
		gsl_rng_free(cl);
		assert_true(choose(&fully, CLI(2), 40000, SRV(1), 80, &b));
		assert_int_equal(b.dport, want);
		fx_free(&plain);
		fx_free(&fully);
	}
}

/* ROVER profiles: --random starts every search towards one (server, port) at
 * the same keyed-hash offset (secure_port), so successive clients get
 * consecutive ports; another destination starts elsewhere; --random-fully
 * starts anywhere.  ATTEMPTS profiles: both are one random offset per round,
 * so the same stream gives the same choices. */
static void test_random_vs_fully(void **st)
{
	(void)st;
	nat_cfg cr = { .port_lo = 10000, .port_hi = 19999, .random = true };
	nat_cfg cf = { .port_lo = 10000, .port_hi = 19999, .random_fully = true };
	ct_tuple r;

	fx x = mk("4.4", cr, F_FREE, SEED);
	uint16_t first = 0;
	for (unsigned k = 0; k < 5; k++) {
		assert_true(choose(&x, CLI(k + 1), 40000, SRV(1), 80, &r));
		if (!k)
			first = r.dport;
		assert_int_equal(r.dport, 10000 + (first - 10000 + k) % 10000);
		assert_int_equal(x.f->nlog, k + 1);  /* k taken ports from the same start */
		commit(&x, &r);
	}
	uint16_t s2a, s2b;
	assert_true(choose(&x, CLI(9), 40000, SRV(2), 80, &r));
	s2a = r.dport;
	assert_true(choose(&x, CLI(9), 40001, SRV(2), 443, &r));
	s2b = r.dport;
	assert_true(s2a != first || s2b != first);  /* other destinations hash elsewhere */
	/* the same destination from a fresh NAT with another secret: another start */
	fx x2 = mk("4.4", cr, F_FREE, SEED + 1);
	assert_true(choose(&x2, CLI(1), 40000, SRV(1), 80, &r));
	assert_int_not_equal(r.dport, first);
	fx_free(&x2);
	fx_free(&x);

	fx y = mk("4.4", cf, F_FREE, SEED);
	unsigned consecutive = 0;
	uint16_t prev = 0;
	for (unsigned k = 0; k < 5; k++) {
		gsl_rng *cl = gsl_rng_clone(y.rng);
		uint16_t want = (uint16_t)(10000 + (uint16_t)gsl_rng_get(cl) % 10000);
		gsl_rng_free(cl);
		assert_true(choose(&y, CLI(k + 1), 40000, SRV(1), 80, &r));
		assert_int_equal(r.dport, want);
		assert_int_equal(y.f->nlog, 1);
		if (k && r.dport == prev + 1)
			consecutive++;
		prev = r.dport;
		commit(&y, &r);
	}
	assert_true(consecutive < 4);
	fx_free(&y);

	/* ATTEMPTS: identical under --random and --random-fully */
	const char *attempts_profiles[] = { "5.15", "current" };
	for (size_t i = 0; i < 2; i++) {
		fx a = mk(attempts_profiles[i], (nat_cfg){ .port_lo = 1000, .port_hi = 1099, .random = true },
			  F_FREE, SEED);
		fx b = mk(attempts_profiles[i], (nat_cfg){ .port_lo = 1000, .port_hi = 1099, .random_fully = true },
			  F_FREE, SEED);
		for (unsigned k = 0; k < 400; k++) {
			ct_tuple ra, rb;
			bool oa = choose(&a, CLI(k % 50), (uint16_t)(30000 + k), SRV(k % 3), 80, &ra);
			bool ob = choose(&b, CLI(k % 50), (uint16_t)(30000 + k), SRV(k % 3), 80, &rb);
			assert_int_equal(oa, ob);
			assert_true(ct_tuple_eq(&ra, &rb));
			commit(&a, &ra);
			commit(&b, &rb);
		}
		assert_int_equal(ctr(&a, "probes"), ctr(&b, "probes"));
		assert_true(ctr(&a, "failed") > 0);  /* 400 connections over 3 x 100 tuples */
		fx_free(&a);
		fx_free(&b);
	}
}

/* ---- addresses: find_best_ips_proto ----------------------------------------------- */

static void test_address_choice(void **st)
{
	(void)st;
	static const uint32_t four[] = { NAT_A, NAT_A + 1, NAT_A + 2, NAT_A + 3 };
	nat_cfg c = { .addrs = four, .naddrs = 4 };
	nat_cfg cp = { .addrs = four, .naddrs = 4, .persistent = true };
	fx a = mk("current", c, F_FREE, SEED), b = mk("current", c, F_FREE, SEED + 99);
	fx p = mk("current", cp, F_FREE, SEED);
	ct_tuple ra, rb;
	unsigned per_addr[4] = { 0 };
	unsigned varies = 0;
	for (unsigned i = 0; i < 4000; i++) {
		uint32_t cli = CLI(i % 250) + (i / 250) * 256;
		assert_true(choose(&a, cli, 40000, SRV(1), 80, &ra));
		assert_true(choose(&b, cli, 40000, SRV(1), 80, &rb));
		/* no secret: the same choice on every boot (any stream) */
		assert_int_equal(ra.dst, rb.dst);
		assert_true(nat_owns(a.n, ra.dst));
		per_addr[ra.dst - NAT_A]++;
		/* with --persistent, every destination gets the same address */
		ct_tuple p1, p2;
		assert_true(choose(&p, cli, 40000, SRV(1), 80, &p1));
		assert_true(choose(&p, cli, 40001, SRV(2 + i % 50), 443, &p2));
		assert_int_equal(p1.dst, p2.dst);
		/* without it, the destination is in the hash */
		ct_tuple q;
		assert_true(choose(&a, cli, 40002, SRV(2 + i % 50), 443, &q));
		if (q.dst != ra.dst)
			varies++;
	}
	/* spread: each of 4 addresses gets 1000 +- 4.4 sd (binomial sd 27) */
	for (unsigned k = 0; k < 4; k++)
		assert_true(per_addr[k] > 880 && per_addr[k] < 1120);
	assert_true(varies > 2400 && varies < 3600);  /* ~3/4 */
	fx_free(&a);
	fx_free(&b);
	fx_free(&p);
}

/* ---- determinism ---------------------------------------------------------------- */

static void run_script(const char *profile, nat_cfg c, uint64_t seed, uint32_t *out, unsigned n)
{
	fx x = mk(profile, c, F_FREE, seed);
	gsl_rng *w = rng_stream(7, 0, "script");
	for (unsigned i = 0; i < n; i++) {
		ct_tuple r;
		uint32_t e = x.next_entry;
		bool ok = choose(&x, CLI(rng_below(w, 20)), (uint16_t)(1024 + rng_below(w, 4)), SRV(rng_below(w, 2)),
				 80, &r);
		if (ok)
			commit(&x, &r);
		if (rng_below(w, 3) == 0) {
			fake_set(x.f, &r, F_FREE);
			nat_forget(x.n, e);
		}
		out[i] = (uint32_t)r.dport << 16 | (ok ? 1u : 0u) | (x.f->nlog & 0x7fff) << 1;
	}
	rng_free(w);
	fx_free(&x);
}

static void test_determinism(void **st)
{
	(void)st;
	enum { N = 3000 };
	static uint32_t a[N], b[N], c[N];
	const char *profiles[] = { "current", "4.4" };
	nat_cfg cfgs[] = { { .port_lo = 2000, .port_hi = 2199 }, { .port_lo = 2000, .port_hi = 2199, .random = true },
			   { .port_lo = 2000, .port_hi = 2199, .random_fully = true } };
	for (size_t i = 0; i < 2; i++)
		for (size_t k = 0; k < 3; k++) {
			run_script(profiles[i], cfgs[k], SEED, a, N);
			run_script(profiles[i], cfgs[k], SEED, b, N);
			run_script(profiles[i], cfgs[k], SEED + 1, c, N);
			assert_memory_equal(a, b, sizeof(a));
			bool rover_plain = i == 1 && k == 0;  /* the rover uses no randomness */
			if (rover_plain)
				assert_memory_equal(a, c, sizeof(a));
			else
				assert_memory_not_equal(a, c, sizeof(a));
		}
}

/* ---- §9.4: probe failure with busy ports scattered at random ---------------------- */

/* Each port of the NAT address towards the server is busy with probability
 * rho, independently, drawn when first probed in a search and remembered
 * for the rest of it (a fixed scattering per search). */
typedef struct bern {
	gsl_rng *r;
	double rho;
	uint32_t gen;
	uint32_t stamp[65536];
	uint8_t busy[65536];
	unsigned lookups;
} bern;

static bool bern_taken(void *ctx, const ct_tuple *reply, uint32_t ignore, bool count)
{
	(void)ignore;
	bern *b = ctx;
	uint16_t p = reply->dport;
	b->lookups++;
	if (b->stamp[p] != b->gen) {
		b->stamp[p] = b->gen;
		b->busy[p] = gsl_rng_uniform(b->r) < b->rho;
	}
	return b->busy[p];
}

/*
 * One search fails when all of its probes meet busy ports: with 248 probes
 * (ranges > 128) at distinct ports, P = rho^248, and the expected number of
 * probes is sum_{k<248} rho^k = (1 - rho^248) / (1 - rho).  The rounds may
 * overlap (a port probed twice is busy both times), which raises both by
 * about E[overlap] (1 - rho) / rho ~ 0.3 % at R = 64512 (windows of 128..8
 * at random positions overlap 0.31 ports on average; a run of 10^6 searches
 * gave P(fail) 0.4 % and the mean 0.05 % above the closed forms at
 * rho = 0.99); the tolerance is the 99 % normal interval plus 0.5 % of the
 * value for that.
 */
static void test_probe_failure_law(void **st)
{
	(void)st;
	const double rhos[] = { 0.99, 0.985 };
	const unsigned N = 20000;
	bern *b = g_new0(bern, 1);
	b->r = rng_stream(SEED, 0, "test/scatter");
	for (size_t k = 0; k < 2; k++) {
		b->rho = rhos[k];
		gsl_rng *g = rng_stream(SEED, (uint32_t)k, "box/nat/kernel");
		probe_set *ps = probe_set_new();
		static const uint32_t one[] = { NAT_A };
		nat_cfg c = { .addrs = one, .naddrs = 1, .random_fully = true };
		nat_ops ops = { b, bern_taken, NULL };
		nat *n = nat_new(&c, prof_find("6.8"), &ops, g, ps, "nat");
		unsigned fails = 0;
		double sum = 0, sum2 = 0;
		for (unsigned i = 0; i < N; i++) {
			b->gen++;
			b->lookups = 0;
			ct_tuple o = orig_of(CLI(1), 40000, SRV(1), 80), r;
			if (!nat_choose(n, i, &o, 0, &r))
				fails++;
			nat_forget(n, i);
			sum += b->lookups;
			sum2 += (double)b->lookups * b->lookups;
			assert_true(b->lookups <= 248);
		}
		double rho = rhos[k];
		double pf = pow(rho, 248), phat = (double)fails / N;
		double tol_p = 2.576 * sqrt(pf * (1 - pf) / N) + 0.005 * pf;
		double mean = sum / N, var = (sum2 - N * mean * mean) / (N - 1);
		double want = (1 - pf) / (1 - rho);
		double tol_m = 2.576 * sqrt(var / N) + 0.005 * want;
		if (fabs(phat - pf) > tol_p || fabs(mean - want) > tol_m)
			fprintf(stderr, "rho %.3f: P(fail) %.5f vs %.5f +- %.5f; probes %.2f vs %.2f +- %.2f\n", rho,
				phat, pf, tol_p, mean, want, tol_m);
		assert_true(fabs(phat - pf) <= tol_p);
		assert_true(fabs(mean - want) <= tol_m);
		/* the histogram saw every search */
		assert_int_equal(probe_hist_count(probe_hist_at(ps, 0)), N);
		assert_int_equal(*probe_counter(ps, "nat.failed", NULL), fails);
		nat_free(n);
		probe_set_free(ps);
		rng_free(g);
	}
	rng_free(b->r);
	g_free(b);
}

/* ---- probe names ---------------------------------------------------------------- */

/*
 * nat_first_probe (the box prefetches its answer) names the tuple that
 * nat_choose looks up first, whenever it names one; and the source's record
 * offers the newest remaining mapping once the newest entry is gone.
 */
static void test_first_probe(void **st)
{
	(void)st;
	/* the newest entry goes: the next newest mapping is offered */
	fx x = mk("current", (nat_cfg){ 0 }, F_FREE, SEED);
	ct_tuple foreign = reply_to(SRV(1), 80, NAT_A, 40000), r1, r2, r3;
	fake_set(x.f, &foreign, F_TAKEN);
	assert_true(choose(&x, CLI(1), 40000, SRV(1), 80, &r1));  /* entry 1: m1 */
	commit(&x, &r1);
	assert_true(choose(&x, CLI(1), 40000, SRV(1), 80, &r2));  /* entry 2: m2 */
	commit(&x, &r2);
	assert_int_not_equal(r1.dport, r2.dport);
	nat_forget(x.n, 2);
	ct_tuple o = orig_of(CLI(1), 40000, SRV(5), 80), want;
	assert_true(nat_first_probe(x.n, &o, &want));
	assert_int_equal(want.dport, r1.dport);
	assert_true(choose(&x, CLI(1), 40000, SRV(5), 80, &r3));
	assert_int_equal(x.f->log[0], r1.dport);
	fx_free(&x);

	/* random workloads under several configurations */
	static const uint32_t two[] = { NAT_A, NAT_A + 1 };
	const struct {
		const char *profile;
		nat_cfg c;
		bool never;  /* nat_first_probe must name nothing */
	} cases[] = {
		{ "current", { 0 }, false },
		{ "4.4", { 0 }, false },
		{ "current", { .addrs = two, .naddrs = 2 }, false },
		{ "current", { .port_lo = 40000, .port_hi = 40003 }, false },
		{ "current", { .port_lo = 40001, .port_hi = 40001 }, false },
		{ "current", { .random = true }, true },
		{ "current", { .random_fully = true }, true },
		{ "4.4", { .random_fully = true }, true },
	};
	for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
		fx y = mk(cases[k].profile, cases[k].c, F_FREE, SEED + k);
		gsl_rng *g = rng_stream(SEED, (uint32_t)k, "test/first_probe");
		unsigned named = 0;
		for (int i = 0; i < 400; i++) {
			uint32_t cli = CLI(1 + rng_below(g, 3)), srv = SRV(1 + rng_below(g, 3));
			uint16_t port = (uint16_t)(40000 + rng_below(g, 3));
			ct_tuple oi = orig_of(cli, port, srv, 80), first, reply;
			bool has = nat_first_probe(y.n, &oi, &first);
			(void)choose(&y, cli, port, srv, 80, &reply);
			if (has) {
				named++;
				assert_true(y.f->nlog >= 1);
				assert_true(ct_tuple_eq(&y.f->first, &first));
			}
			if (rng_below(g, 2))
				commit(&y, &reply);
			if (rng_below(g, 4) == 0)
				nat_forget(y.n, y.next_entry - 1 - rng_below(g, 5));
		}
		if (cases[k].never)
			assert_int_equal(named, 0);
		else
			assert_true(named > 100);
		rng_free(g);
		fx_free(&y);
	}
}

static void test_probe_names(void **st)
{
	(void)st;
	static const uint32_t one[] = { NAT_A };
	nat_cfg c = { .addrs = one, .naddrs = 1 };
	fake *f = fake_new(F_FREE);
	nat_ops ops = { f, fake_taken, fake_evict };
	gsl_rng *g = rng_stream(SEED, 0, "x");
	probe_set *ps = probe_set_new();
	nat *a = nat_new(&c, prof_default(), &ops, g, ps, "gw.snat");
	nat *b = nat_new(&c, prof_default(), &ops, g, ps, "edge.");
	nat *d = nat_new(&c, prof_default(), &ops, g, NULL, "none");
	const char *names[] = { "searches", "probes", "failed", "evicted", "port_preserved", "bysource", "unchecked" };
	assert_int_equal(probe_ncounters(ps), 14);
	for (size_t i = 0; i < 7; i++) {
		char *x = g_strdup_printf("gw.snat.%s", names[i]), *y = g_strdup_printf("edge.%s", names[i]);
		assert_string_equal(probe_counter_name(ps, i), x);
		assert_string_equal(probe_counter_name(ps, 7 + i), y);
		g_free(x);
		g_free(y);
	}
	assert_string_equal(probe_hist_name(ps, 0), "gw.snat.probes_per_search");
	ct_tuple o = orig_of(CLI(1), 40000, SRV(1), 80), r;
	assert_true(nat_choose(d, 1, &o, 0, &r));  /* no probe set: still works */
	nat_free(a);
	nat_free(b);
	nat_free(d);
	probe_set_free(ps);
	rng_free(g);
	fake_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masq_keeps_client_port),
		cmocka_unit_test(test_unique_per_reply_tuple),
		cmocka_unit_test(test_bysource_reuse),
		cmocka_unit_test(test_local_source_in_range),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_to_ports_keep),
		cmocka_unit_test(test_attempts_small_range),
		cmocka_unit_test(test_attempts_128_boundary),
		cmocka_unit_test(test_attempts_large_all_taken),
		cmocka_unit_test(test_attempts_budget),
		cmocka_unit_test(test_attempts_u16_wrap),
		cmocka_unit_test(test_harder_threshold),
		cmocka_unit_test(test_harder_only_allowed),
		cmocka_unit_test(test_rover_whole_range),
		cmocka_unit_test(test_rover_sequence),
		cmocka_unit_test(test_random_fully),
		cmocka_unit_test(test_random_vs_fully),
		cmocka_unit_test(test_address_choice),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_probe_failure_law),
		cmocka_unit_test(test_first_probe),
		cmocka_unit_test(test_probe_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
