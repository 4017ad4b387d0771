/*
 * Tests for the bind table and port selection (models/port.c).
 *
 * Scenarios are small enough to check by hand.  The 4-tuple check that the
 * TCP layer does (__inet_check_established) is a mock: one `dest` per
 * (daddr, dport) holds, for every local port, what check() answers for that
 * destination; a successful connect marks its port busy for its destination
 * only, so ports are shared across destinations as in the kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/port.h"
#include "sim/rng.h"

#define SADDR 0x0a000001u /* 10.0.0.1 */
#define SEC 1000000000ull
#define MS 1000000ull
#define SEED 20240601u

/* ---- fixtures ------------------------------------------------------------ */

enum { ST_UNIQUE = 0, ST_BUSY = 1, ST_REUSE = 2 };

typedef struct dest {
	uint32_t daddr;
	uint16_t dport;
	uint8_t st[65536];    /* ST_* per local port */
	unsigned calls;       /* check() calls */
	uint16_t visited[64]; /* the first 64 ports check() was asked about */
} dest;

static port_check mock_check(void *ctx, uint16_t lport)
{
	dest *d = ctx;
	if (d->calls < 64)
		d->visited[d->calls] = lport;
	d->calls++;
	switch (d->st[lport]) {
	case ST_BUSY:
		return PORT_CHECK_BUSY;
	case ST_REUSE:
		return PORT_CHECK_REUSE;
	default:
		return PORT_CHECK_UNIQUE;
	}
}

static dest *dest_new(uint32_t daddr, uint16_t dport)
{
	dest *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->daddr = daddr;
	d->dport = dport;
	return d;
}

/* A destination for which every port with a bucket is taken. */
static dest *dest_all_busy(uint32_t daddr, uint16_t dport)
{
	dest *d = dest_new(daddr, dport);
	memset(d->st, ST_BUSY, sizeof(d->st));
	return d;
}

typedef struct fix {
	gsl_rng *rng;
	port_table *t;
} fix;

static fix mk(port_algo algo, uint16_t low, uint16_t high, const uint8_t *reserved,
	      bool autobind_reuse, uint32_t hz, uint64_t seed)
{
	port_cfg c = {
		.algo = algo,
		.low = low,
		.high = high,
		.reserved = reserved,
		.autobind_reuse = autobind_reuse,
		.hz = hz,
	};
	fix f;
	f.rng = rng_stream(seed, 0, "test");
	f.t = port_table_new(&c, f.rng);
	assert_non_null(f.t);
	return f;
}

static fix mk_simple(port_algo algo, uint16_t low, uint16_t high)
{
	return mk(algo, low, high, NULL, false, 250, SEED);
}

static void fix_free(fix *f)
{
	port_table_free(f->t);
	rng_free(f->rng);
}

/* connect() to d at now; on success the port is busy for d from then on. */
static int conn(port_table *t, dest *d, uint64_t now, uint16_t *lport)
{
	*lport = 0;
	int r = port_connect(t, SADDR, d->daddr, d->dport, now, mock_check, d, lport);
	if (r >= 0) {
		assert_true(*lport != 0);
		d->st[*lport] = ST_BUSY;
	}
	return r;
}

static void set_bit(uint8_t *bm, unsigned port)
{
	bm[port >> 3] |= (uint8_t)(1u << (port & 7));
}

/* Distance from a to b walking up through [low, low + n). */
static unsigned fwd(unsigned a, unsigned b, unsigned n)
{
	return (b + n - a) % n;
}

static const port_algo parity_algos[] = { PORT_ALGO_PARITY_HINT, PORT_ALGO_PERTURB256,
					  PORT_ALGO_PERTURB };

/* ---- connect() ----------------------------------------------------------- */

/* doc/kernel-rules.md §3.2, observed on 6.18: range 40000-40009, ten connects to
 * one destination get the ten ports, evens first; the 11th fails; another
 * destination gets all ten again. */
static void test_perturb_ten_ports(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40009);
	dest *a = dest_new(0x0a000002u, 80), *b = dest_new(0x0a000002u, 81);
	bool seen[10] = { false };
	uint16_t p;

	assert_int_equal(port_usable(f.t), 10);
	for (int k = 0; k < 10; k++) {
		assert_int_equal(conn(f.t, a, 1 * SEC, &p), 0);
		assert_true(p >= 40000 && p <= 40009);
		assert_false(seen[p - 40000]);
		seen[p - 40000] = true;
		/* First pass: the parity of low; then the other parity. */
		assert_int_equal(p & 1, k < 5 ? 0 : 1);
	}
	assert_int_equal(conn(f.t, a, 1 * SEC, &p), -EADDRNOTAVAIL);
	assert_int_equal(port_in_use(f.t), 10);

	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < 10; k++) {
		assert_int_equal(conn(f.t, b, 1 * SEC, &p), 0);
		assert_false(seen[p - 40000]);
		seen[p - 40000] = true;
		assert_int_equal(p & 1, k < 5 ? 0 : 1);
	}
	assert_int_equal(conn(f.t, b, 1 * SEC, &p), -EADDRNOTAVAIL);
	for (unsigned q = 40000; q <= 40009; q++)
		assert_int_equal(port_owners(f.t, (uint16_t)q), 2);
	assert_int_equal(port_in_use(f.t), 10);

	free(a);
	free(b);
	fix_free(&f);
}

/*
 * Odd-sized range 40000-40010 (11 ports).  The parity algorithms scan an even
 * count, remaining = 10, wrapping at high + 1 (__inet_hash_connect): each scan
 * leaves out one port, 40010 when the first pass starts at 40000 and 40000
 * otherwise, so 40010 is handed out too (doc/kernel-rules.md §3.2 step 3 says it
 * never is; the source wins).  HINT and EVEN_HINT visit all 11.
 */
static void odd_range_case(port_algo algo, bool parity)
{
	fix f = mk_simple(algo, 40000, 40010);
	uint16_t p;

	assert_int_equal(port_usable(f.t), parity ? 10 : 11);

	/* Give every port a connect() bucket: destinations that never share a
	 * port take free ports only, until none is left. */
	for (uint16_t dport = 1; dport < 200 && port_in_use(f.t) < 11; dport++) {
		dest *fill = dest_all_busy(0x0a000003u, dport);
		while (conn(f.t, fill, 1 * SEC, &p) == 0)
			;
		free(fill);
	}
	assert_int_equal(port_in_use(f.t), 11);
	assert_int_equal(port_owners(f.t, 40010), 1);

	unsigned left_out_top = 0, left_out_low = 0;
	for (uint16_t dport = 1000; dport < 1200; dport++) {
		dest *probe = dest_all_busy(0x0a000004u, dport);
		assert_int_equal(conn(f.t, probe, 1 * SEC, &p), -EADDRNOTAVAIL);
		assert_int_equal(probe->calls, parity ? 10 : 11);
		bool hit[11] = { false };
		for (unsigned k = 0; k < probe->calls; k++) {
			assert_false(hit[probe->visited[k] - 40000]);
			hit[probe->visited[k] - 40000] = true;
		}
		if (parity) {
			/* Pass 1 on ports of low's parity, pass 2 on the others. */
			for (unsigned k = 0; k < 10; k++)
				assert_int_equal(probe->visited[k] & 1, k < 5 ? 0 : 1);
			if (!hit[10]) {
				assert_int_equal(probe->visited[0], 40000);
				left_out_top++;
			} else {
				assert_false(hit[0]);
				left_out_low++;
			}
		}
		free(probe);
	}
	if (parity) {
		assert_true(left_out_top > 0);
		assert_true(left_out_low > left_out_top);
	}
	fix_free(&f);
}

static void test_odd_range(void **state)
{
	for (size_t k = 0; k < sizeof(parity_algos) / sizeof(parity_algos[0]); k++)
		odd_range_case(parity_algos[k], true);
	odd_range_case(PORT_ALGO_HINT, false);
	odd_range_case(PORT_ALGO_EVEN_HINT, false);
}

/* port_usable on odd ranges when low or high is reserved. */
static void test_usable_reserved_ends(void **state)
{
	uint8_t *bm = calloc(8192, 1);
	set_bit(bm, 40010);
	fix f = mk(PORT_ALGO_PERTURB, 40000, 40010, bm, false, 250, SEED);
	assert_int_equal(port_usable(f.t), 10);
	fix_free(&f);
	f = mk(PORT_ALGO_HINT, 40000, 40010, bm, false, 250, SEED);
	assert_int_equal(port_usable(f.t), 10);
	fix_free(&f);
	set_bit(bm, 40005);
	f = mk(PORT_ALGO_PERTURB, 40000, 40010, bm, false, 250, SEED);
	assert_int_equal(port_usable(f.t), 9);
	fix_free(&f);
	/* Default range, even size: 28232. */
	f = mk_simple(PORT_ALGO_PERTURB, 32768, 60999);
	assert_int_equal(port_usable(f.t), 28232);
	fix_free(&f);
	/* doc/kernel-rules.md §9.1: 1024-65000 gives N = 63976. */
	f = mk_simple(PORT_ALGO_PERTURB, 1024, 65000);
	assert_int_equal(port_usable(f.t), 63976);
	fix_free(&f);
	free(bm);
}

static void test_reserved_skipped(void **state)
{
	uint8_t *bm = calloc(8192, 1);
	set_bit(bm, 40000);
	set_bit(bm, 40004);
	set_bit(bm, 40007);
	set_bit(bm, 50000); /* outside the range: no effect */
	for (int algo = PORT_ALGO_HINT; algo <= PORT_ALGO_PERTURB; algo++) {
		fix f = mk((port_algo)algo, 40000, 40009, bm, false, 250, SEED);
		dest *a = dest_new(0x0a000002u, 80);
		uint16_t p;
		assert_int_equal(port_usable(f.t), 7);
		for (int k = 0; k < 7; k++) {
			assert_int_equal(conn(f.t, a, 1 * SEC, &p), 0);
			assert_true(p != 40000 && p != 40004 && p != 40007);
		}
		assert_int_equal(conn(f.t, a, 1 * SEC, &p), -EADDRNOTAVAIL);
		/* bind(0) skips them too, explicit bind may use them. */
		assert_int_equal(port_bind(f.t, 0, false, &p), -EADDRINUSE);
		assert_int_equal(port_bind(f.t, 40004, false, &p), 0);
		assert_int_equal(p, 40004);
		free(a);
		fix_free(&f);
	}
	free(bm);
}

/* A bucket created by bind() is skipped by connect() for every destination
 * (fastreuse >= 0), without asking check(). */
static void test_bound_port_skipped(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40009);
	dest *a = dest_new(0x0a000002u, 80), *b = dest_new(0x0a000005u, 443);
	uint16_t p;

	assert_int_equal(port_bind(f.t, 40001, false, &p), 0);
	for (int k = 0; k < 9; k++) {
		assert_int_equal(conn(f.t, a, 1 * SEC, &p), 0);
		assert_int_not_equal(p, 40001);
	}
	assert_int_equal(conn(f.t, a, 1 * SEC, &p), -EADDRNOTAVAIL);
	for (int k = 0; k < 9; k++) {
		assert_int_equal(conn(f.t, b, 1 * SEC, &p), 0);
		assert_int_not_equal(p, 40001);
	}
	assert_int_equal(conn(f.t, b, 1 * SEC, &p), -EADDRNOTAVAIL);
	for (unsigned k = 0; k < 64 && k < b->calls; k++)
		assert_int_not_equal(b->visited[k], 40001);

	/* A second owner with SO_REUSEADDR... */
	port_release(f.t, 40001, false, false);
	assert_int_equal(port_bind(f.t, 40001, true, &p), 0);
	assert_int_equal(port_bind(f.t, 40001, true, &p), 0);
	assert_int_equal(port_owners(f.t, 40001), 2);
	assert_int_equal(conn(f.t, a, 1 * SEC, &p), -EADDRNOTAVAIL);
	/* ...and once all owners are gone the port is free for connect(). */
	port_release(f.t, 40001, true, false);
	port_release(f.t, 40001, true, false);
	assert_int_equal(port_owners(f.t, 40001), 0);
	assert_int_equal(conn(f.t, a, 1 * SEC, &p), 0);
	assert_int_equal(p, 40001);
	assert_int_equal(conn(f.t, b, 1 * SEC, &p), 0);
	assert_int_equal(p, 40001);
	assert_int_equal(port_owners(f.t, 40001), 2);

	free(a);
	free(b);
	fix_free(&f);
}

/* check() says a TIME_WAIT on the 4-tuple may be taken over: the connect
 * succeeds on that port and returns 1; the TIME_WAIT still owns the port
 * until the caller releases it. */
static void test_check_reuse(void **state)
{
	for (int algo = PORT_ALGO_HINT; algo <= PORT_ALGO_PERTURB; algo++) {
		fix f = mk_simple((port_algo)algo, 40000, 40001);
		dest *a = dest_new(0x0a000002u, 80), *b = dest_new(0x0a000005u, 80);
		uint16_t p, pb;

		/* b has two connections: the one on pb is now in TIME_WAIT and
		 * reusable, the other is live. */
		assert_int_equal(conn(f.t, b, 0, &pb), 0);
		assert_int_equal(conn(f.t, b, 0, &p), 0);
		b->st[pb] = ST_REUSE;
		/* a holds both ports as well. */
		assert_int_equal(conn(f.t, a, 0, &p), 0);
		assert_int_equal(conn(f.t, a, 0, &p), 0);
		assert_int_equal(port_in_use(f.t), 2);

		assert_int_equal(conn(f.t, b, 1 * SEC, &p), 1);
		assert_int_equal(p, pb);
		assert_int_equal(port_owners(f.t, pb), 3);
		port_release(f.t, pb, false, false); /* the caller kills the TIME_WAIT */
		assert_int_equal(port_owners(f.t, pb), 2);
		/* Now b holds pb live: nothing left for b. */
		assert_int_equal(conn(f.t, b, 1 * SEC, &p), -EADDRNOTAVAIL);
		free(a);
		free(b);
		fix_free(&f);
	}
}

/* With a mostly free range, successive connects to one destination walk the
 * range with the documented stride (doc/kernel-rules.md §3.2 step 8, §3.5). */
static void stride_case(port_algo algo, unsigned min, unsigned max, bool parity_of_low)
{
	const unsigned low = 32768, n = 60999 - 32768 + 1;
	fix f = mk_simple(algo, 32768, 60999);
	dest *a = dest_new(0x0a000002u, 80);
	uint16_t prev = 0, p;
	unsigned strides[17] = { 0 };

	for (int k = 0; k < 200; k++) {
		assert_int_equal(conn(f.t, a, 1 * SEC, &p), 0);
		if (parity_of_low)
			assert_int_equal((p - low) & 1, 0);
		if (k > 0) {
			unsigned d = fwd(prev - low, p - low, n);
			assert_in_range(d, min, max);
			strides[d]++;
		}
		prev = p;
	}
	if (min != max) /* the random increment is not constant */
		assert_true(strides[min] < 199 && strides[max] < 199);
	free(a);
	fix_free(&f);
}

static unsigned gcd_u(unsigned a, unsigned b)
{
	while (b) {
		unsigned r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/*
 * 7.1's ip_local_port_step_width (7da62262ec96, __inet_hash_connect): each
 * connect() draws a stride coprime with the half range; each pass still
 * visits every port of its parity once, so coverage and EADDRNOTAVAIL are
 * those of the stride-2 scan, but consecutive candidates are scan_step
 * apart (mod remaining) instead of 2.
 */
static void test_step_width(void **state)
{
	(void)state;
	port_cfg c = { .algo = PORT_ALGO_PERTURB, .low = 40000, .high = 40099, .hz = 250, .step_width = 1000 };
	gsl_rng *rng = rng_stream(SEED, 0, "test");
	port_table *t = port_table_new(&c, rng);
	dest *a = dest_new(0x0a000002u, 80);
	bool seen[100] = { false };
	uint16_t p;
	for (int k = 0; k < 100; k++) {
		assert_int_equal(conn(t, a, 1 * SEC, &p), 0);
		assert_false(seen[p - 40000]);
		seen[p - 40000] = true;
		assert_int_equal(p & 1, k < 50 ? 0 : 1);  /* the parity passes stay */
	}
	assert_int_equal(conn(t, a, 1 * SEC, &p), -EADDRNOTAVAIL);

	/* Every port has a bucket now.  A destination for which all but one
	 * odd port are taken: check() sees the 50 even ports, one stride
	 * apart, then odd ones. */
	unsigned strides[8], nstrides = 0;
	for (int k = 0; k < 8; k++) {
		dest *b = dest_all_busy(0x0a000003u + (uint32_t)k, 80);
		b->st[40051] = ST_UNIQUE;
		assert_int_equal(conn(t, b, 1 * SEC, &p), 0);
		assert_int_equal(p, 40051);
		unsigned step = (b->visited[1] + 100 - b->visited[0]) % 100;
		bool evens[50] = { false };
		for (int i = 0; i < 50; i++) {
			assert_int_equal(b->visited[i] & 1, 0);
			assert_false(evens[(b->visited[i] - 40000) / 2]);
			evens[(b->visited[i] - 40000) / 2] = true;
			if (i)
				assert_int_equal((b->visited[i] + 100 - b->visited[i - 1]) % 100, step);
		}
		assert_int_equal(step & 1, 0);
		assert_int_equal(gcd_u(step / 2, 50), 1);
		strides[nstrides++] = step;
		free(b);
	}
	unsigned distinct = 0;
	for (unsigned i = 0; i < nstrides; i++) {
		bool dup = false;
		for (unsigned j = 0; j < i; j++)
			dup |= strides[j] == strides[i];
		distinct += !dup;
	}
	assert_true(distinct >= 3);  /* drawn on every connect() (20 coprime strides) */
	free(a);
	port_table_free(t);
	rng_free(rng);
}

/* connect() with IP_LOCAL_PORT_RANGE, 6.8+: the socket's bounds where they
 * lie inside the table's (inet_sk_get_local_port_range), stride 1 and no
 * parity preference (__inet_hash_connect: step = local_ports ? 1 : 2). */
static int conn_range(port_table *t, dest *d, uint16_t lo, uint16_t hi, uint16_t *lport)
{
	*lport = 0;
	int r = port_connect_find_sock_range(t, SADDR, d->daddr, d->dport, 1 * SEC, lo, hi, NULL, mock_check, d,
					     lport);
	if (r >= 0) {
		port_connect_take(t, *lport, false);
		d->st[*lport] = ST_BUSY;
	}
	return r;
}

static void test_sock_port_range(void **state)
{
	(void)state;
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40099);
	dest *a = dest_new(0x0a000002u, 80);
	bool seen[100] = { false };
	unsigned odd = 0;
	uint16_t p;
	for (int k = 0; k < 10; k++) {
		assert_int_equal(conn_range(f.t, a, 40010, 40019, &p), 0);
		assert_true(p >= 40010 && p <= 40019);
		assert_false(seen[p - 40000]);
		seen[p - 40000] = true;
		odd += k < 5 && (p & 1);
	}
	assert_true(odd > 0 && odd < 5);  /* stride 1: the first five are of both parities */
	assert_int_equal(conn_range(f.t, a, 40010, 40019, &p), -EADDRNOTAVAIL);

	/* a bound outside the table's range is ignored: 30000-40005 is 40000-40005 */
	dest *b = dest_new(0x0a000003u, 80);
	for (int k = 0; k < 6; k++) {
		assert_int_equal(conn_range(f.t, b, 30000, 40005, &p), 0);
		assert_true(p >= 40000 && p <= 40005);
	}
	assert_int_equal(conn_range(f.t, b, 30000, 40005, &p), -EADDRNOTAVAIL);
	free(a);
	free(b);
	fix_free(&f);
}

static void test_strides(void **state)
{
	stride_case(PORT_ALGO_HINT, 1, 1, false);
	stride_case(PORT_ALGO_EVEN_HINT, 2, 2, true);
	stride_case(PORT_ALGO_PARITY_HINT, 2, 2, true);
	stride_case(PORT_ALGO_PERTURB256, 2, 2, true);
	stride_case(PORT_ALGO_PERTURB, 2, 16, true);
}

/* Up to 5.11 the hint is one per host: a connect to another destination
 * moves the next start for every destination. */
static void global_hint_case(port_algo algo, unsigned expect)
{
	const unsigned low = 32768, n = 60999 - 32768 + 1;
	fix f = mk_simple(algo, 32768, 60999);
	dest *a = dest_new(0x0a000002u, 80), *b = dest_new(0x0a000009u, 5432);
	uint16_t a1, a2, b1;
	assert_int_equal(conn(f.t, a, 0, &a1), 0);
	assert_int_equal(conn(f.t, b, 0, &b1), 0);
	assert_int_equal(conn(f.t, a, 0, &a2), 0);
	assert_int_equal(fwd(a1 - low, a2 - low, n), expect);
	free(a);
	free(b);
	fix_free(&f);
}

static void test_global_hint(void **state)
{
	global_hint_case(PORT_ALGO_HINT, 2);        /* hint += 1, twice */
	global_hint_case(PORT_ALGO_EVEN_HINT, 4);   /* hint += 2, twice */
	global_hint_case(PORT_ALGO_PARITY_HINT, 4); /* hint += 0 + 2, twice */
}

/*
 * PERTURB: the port offset changes with jiffies / (10 * HZ).  jiffies start
 * at INITIAL_JIFFIES = 2^32 - 300 * HZ, so the salt periods end at
 * 0.816 s + 10 k s after boot at HZ=250 ((2^32 - 75000) mod 2500 = 2296) and
 * at 2.704 s + 10 k s at HZ=1000.  Within a period a destination continues
 * 2..16 ports after its last port; across a boundary it starts elsewhere.
 */
static void salt_case(uint32_t hz, uint64_t before, uint64_t after)
{
	const unsigned low = 32768, n = 60999 - 32768 + 1;
	fix f = mk(PORT_ALGO_PERTURB, 32768, 60999, NULL, false, hz, SEED);
	const uint64_t times[] = { after - 9 * SEC, before - 3 * SEC, before, after, after + 5 * SEC };
	unsigned jumps = 0;

	for (uint16_t dport = 8000; dport < 8016; dport++) {
		dest *d = dest_new(0x0a000002u, dport);
		uint16_t prev = 0, p;
		for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
			assert_int_equal(conn(f.t, d, times[k], &p), 0);
			port_release(f.t, p, false, false); /* keep the range empty */
			d->st[p] = ST_UNIQUE;
			if (k > 0) {
				unsigned dist = fwd(prev - low, p - low, n);
				bool cont = dist >= 2 && dist <= 16 && !(dist & 1);
				if (times[k] == after)
					jumps += !cont;
				else
					assert_true(cont);
			}
			prev = p;
		}
		free(d);
	}
	assert_true(jumps >= 15);
	assert_int_equal(port_in_use(f.t), 0);
	fix_free(&f);
}

static void test_salt_period(void **state)
{
	salt_case(250, 10 * SEC + 815 * MS, 10 * SEC + 817 * MS);
	salt_case(1000, 12 * SEC + 703 * MS, 12 * SEC + 705 * MS);
}

/* ---- bind() ---------------------------------------------------------------- */

static void test_bind_explicit(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40009);
	dest *a = dest_new(0x0a000002u, 80);
	uint16_t p;

	/* Both SO_REUSEADDR and not listening: shared. */
	assert_int_equal(port_bind(f.t, 8080, true, &p), 0);
	assert_int_equal(p, 8080);
	assert_int_equal(port_bind(f.t, 8080, true, &p), 0);
	assert_int_equal(port_owners(f.t, 8080), 2);
	/* One listens: no more sharing. */
	port_listen(f.t, 8080);
	assert_int_equal(port_bind(f.t, 8080, true, &p), -EADDRINUSE);
	assert_int_equal(port_bind(f.t, 8080, false, &p), -EADDRINUSE);
	/* The listener goes; the other owner admits a SO_REUSEADDR socket again
	 * (fastreuse stays 0, the slow conflict check passes). */
	port_release(f.t, 8080, true, true);
	assert_int_equal(port_bind(f.t, 8080, true, &p), 0);
	assert_int_equal(port_owners(f.t, 8080), 2);

	/* Without SO_REUSEADDR on either side: conflict. */
	assert_int_equal(port_bind(f.t, 8081, false, &p), 0);
	assert_int_equal(port_bind(f.t, 8081, true, &p), -EADDRINUSE);
	assert_int_equal(port_bind(f.t, 8081, false, &p), -EADDRINUSE);
	assert_int_equal(port_bind(f.t, 8082, true, &p), 0);
	assert_int_equal(port_bind(f.t, 8082, false, &p), -EADDRINUSE);

	/* A TIME_WAIT keeps its socket's SO_REUSEADDR: binding onto it works
	 * only when both set it. */
	assert_int_equal(port_bind(f.t, 8083, true, &p), 0); /* closes into TIME_WAIT */
	assert_int_equal(port_bind(f.t, 8083, false, &p), -EADDRINUSE);
	assert_int_equal(port_bind(f.t, 8083, true, &p), 0);
	assert_int_equal(port_bind(f.t, 8084, false, &p), 0); /* TIME_WAIT without it */
	assert_int_equal(port_bind(f.t, 8084, true, &p), -EADDRINUSE);

	/* A port taken by connect(): its owners count as without SO_REUSEADDR. */
	uint16_t c;
	assert_int_equal(conn(f.t, a, 0, &c), 0);
	assert_int_equal(port_bind(f.t, c, true, &p), -EADDRINUSE);
	port_release(f.t, c, false, false);
	assert_int_equal(port_bind(f.t, c, true, &p), 0);

	/* Released to zero owners: free again. */
	port_release(f.t, 8081, false, false);
	assert_int_equal(port_owners(f.t, 8081), 0);
	assert_int_equal(port_bind(f.t, 8081, false, &p), 0);

	free(a);
	fix_free(&f);
}

/* bind(0) without SO_REUSEADDR: odd offsets first (opposite parity to
 * connect), then the other parity, then EADDRINUSE. */
static void test_bind0_parity(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40009);
	dest *a = dest_new(0x0a000002u, 80);
	bool seen[10] = { false };
	uint16_t p;

	for (int k = 0; k < 10; k++) {
		assert_int_equal(port_bind(f.t, 0, false, &p), 0);
		assert_true(p >= 40000 && p <= 40009);
		assert_false(seen[p - 40000]);
		seen[p - 40000] = true;
		assert_int_equal(p & 1, k < 5 ? 1 : 0);
	}
	assert_int_equal(port_bind(f.t, 0, false, &p), -EADDRINUSE);
	assert_int_equal(port_bind(f.t, 0, true, &p), -EADDRINUSE);
	/* Every bucket was made by bind(): connect() finds nothing. */
	assert_int_equal(conn(f.t, a, 0, &p), -EADDRNOTAVAIL);
	assert_int_equal(a->calls, 0);
	free(a);
	fix_free(&f);
}

/* bind(0) with SO_REUSEADDR (4.6+): the lower half [low, half) first,
 * half = low + (((high + 1 - low) >> 2) << 1), each half odd then even. */
static void test_bind0_reuse_half(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40019); /* half = 40010 */
	uint16_t p;

	for (int k = 0; k < 20; k++) {
		assert_int_equal(port_bind(f.t, 0, true, &p), 0);
		if (k < 10)
			assert_in_range(p, 40000, 40009);
		else
			assert_in_range(p, 40010, 40019);
		assert_int_equal(p & 1, (k % 10) < 5 ? 1 : 0);
	}
	assert_int_equal(port_bind(f.t, 0, true, &p), -EADDRINUSE);
	fix_free(&f);
}

/*
 * bind(0)'s scan passes over taken ports a word at a time: the same port as
 * the kernel's loop (inet_csk_find_open_port), written out here port by port
 * over a shadow of the owners, for random tables (owners with and without
 * SO_REUSEADDR, listeners, reserved ports, odd and even ranges, halves),
 * nearly full ones too.  The reference draws its offsets from a clone of the
 * table's generator, so both see the same random numbers.
 */
typedef struct shadow {
	unsigned owners[64], reuse[64], listeners[64];
} shadow;

static bool ref_conflict(const shadow *sh, unsigned i, bool reuse, bool relax)
{
	if (!sh->owners[i])
		return false;
	if (!relax)
		return true;
	return !reuse || sh->reuse[i] != sh->owners[i] || sh->listeners[i] > 0;
}

static int ref_find(gsl_rng *r, const shadow *sh, const uint8_t *resv, uint32_t lo, uint32_t hi,
		    bool autobind, bool reuse, uint32_t *out)
{
	for (int round = 0; round < (autobind ? 2 : 1); round++) {
		const bool relax = round == 1;
		int attempt_half = reuse ? 1 : 0;
		for (;;) {
			uint32_t low = lo, high = hi + 1;
			if (high - low < 4)
				attempt_half = 0;
			if (attempt_half) {
				uint32_t half = low + (((high - low) >> 2) << 1);
				if (attempt_half == 1)
					high = half;
				else
					low = half;
			}
			uint32_t remaining = high - low;
			if (remaining > 1)
				remaining &= ~1u;
			uint32_t offset = rng_below(r, remaining) | 1u;
			do {
				uint32_t port = low + offset;
				for (uint32_t i = 0; i < remaining; i += 2, port += 2) {
					if (port >= high)
						port -= remaining;
					if (resv && (resv[port >> 3] >> (port & 7) & 1))
						continue;
					if (!ref_conflict(sh, port - lo, reuse, relax)) {
						*out = port;
						return 0;
					}
				}
				offset--;
			} while (!(offset & 1));
			if (attempt_half != 1)
				break;
			attempt_half = 2;
		}
	}
	return -EADDRINUSE;
}

static void test_bind0_same_as_loop(void **state)
{
	gsl_rng *g = rng_stream(SEED, 1, "test/bind0");
	static uint8_t resv[65536 / 8];
	for (int trial = 0; trial < 400; trial++) {
		uint32_t lo = 40000 + rng_below(g, 64), n = 1 + rng_below(g, 63), hi = lo + n - 1;
		if (hi >= lo + 64)
			hi = lo + 63;
		bool autobind = rng_below(g, 2), with_resv = rng_below(g, 3) == 0;
		memset(resv, 0, sizeof(resv));
		if (with_resv)
			for (uint32_t p = lo; p <= hi; p++)
				if (rng_below(g, 5) == 0)
					resv[p >> 3] |= (uint8_t)(1u << (p & 7));
		fix f = mk(PORT_ALGO_PERTURB, (uint16_t)lo, (uint16_t)hi, with_resv ? resv : NULL, autobind, 250,
			   SEED + (uint64_t)trial);
		shadow sh = { 0 };
		/* fill: explicit binds of random ports, some listening */
		unsigned fill = rng_below(g, 100);
		for (uint32_t p = lo; p <= hi; p++) {
			if (rng_below(g, 100) >= fill)
				continue;
			bool ru = rng_below(g, 2);
			uint16_t got;
			if (port_bind(f.t, (uint16_t)p, ru, &got) == 0) {
				unsigned i = p - lo;
				sh.owners[i]++;
				sh.reuse[i] += ru;
				if (!ru && rng_below(g, 4) == 0) {
					port_listen(f.t, (uint16_t)p);
					sh.listeners[i]++;
				}
			}
		}
		/* then bind(0) until it fails, comparing each answer */
		for (int k = 0; k < 80; k++) {
			bool ru = rng_below(g, 2);
			gsl_rng *c = gsl_rng_clone(f.rng);
			uint32_t want = 0;
			int wr = ref_find(c, &sh, with_resv ? resv : NULL, lo, hi, autobind, ru, &want);
			gsl_rng_free(c);
			uint16_t got = 0;
			int r = port_bind(f.t, 0, ru, &got);
			assert_int_equal(r, wr);
			if (r < 0)
				break;
			assert_int_equal(got, want);
			sh.owners[got - lo]++;
			sh.reuse[got - lo] += ru;
		}
		fix_free(&f);
	}
	rng_free(g);
	(void)state;
}

/* bind(0) never takes a port that has any owner (a TIME_WAIT left after its
 * socket's close included) unless ip_autobind_reuse lets a second round share
 * a port whose owners all have SO_REUSEADDR and none listens. */
static void test_bind0_timewait_autobind(void **state)
{
	uint16_t p;
	for (int autobind = 0; autobind <= 1; autobind++) {
		fix f = mk(PORT_ALGO_PERTURB, 40000, 40003, NULL, autobind, 250, SEED);
		for (int k = 0; k < 4; k++)
			assert_int_equal(port_bind(f.t, 0, true, &p), 0); /* then TIME_WAIT */
		assert_int_equal(port_in_use(f.t), 4);
		assert_int_equal(port_bind(f.t, 0, false, &p), -EADDRINUSE);
		if (!autobind) {
			assert_int_equal(port_bind(f.t, 0, true, &p), -EADDRINUSE);
		} else {
			assert_int_equal(port_bind(f.t, 0, true, &p), 0);
			assert_in_range(p, 40000, 40003);
			assert_int_equal(port_owners(f.t, p), 2);
		}
		/* An explicit bind with SO_REUSEADDR may join a TIME_WAIT owner. */
		assert_int_equal(port_bind(f.t, 40001, true, &p), 0);
		fix_free(&f);
	}

	/* autobind_reuse does not share with listeners, owners without
	 * SO_REUSEADDR, or connect() owners. */
	fix f = mk(PORT_ALGO_PERTURB, 40000, 40003, NULL, true, 250, SEED);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(port_bind(f.t, 0, true, &p), 0);
		port_listen(f.t, p);
	}
	assert_int_equal(port_bind(f.t, 0, true, &p), -EADDRINUSE);
	fix_free(&f);

	f = mk(PORT_ALGO_PERTURB, 40000, 40003, NULL, true, 250, SEED);
	for (int k = 0; k < 4; k++)
		assert_int_equal(port_bind(f.t, 0, false, &p), 0);
	assert_int_equal(port_bind(f.t, 0, true, &p), -EADDRINUSE);
	fix_free(&f);

	f = mk(PORT_ALGO_PERTURB, 40000, 40003, NULL, true, 250, SEED);
	dest *a = dest_new(0x0a000002u, 80);
	for (int k = 0; k < 4; k++)
		assert_int_equal(conn(f.t, a, 0, &p), 0);
	assert_int_equal(port_bind(f.t, 0, true, &p), -EADDRINUSE);
	free(a);
	fix_free(&f);
}

/* Accepted children join the listener's bucket. */
static void test_inherit(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40009);
	uint16_t p;
	assert_int_equal(port_bind(f.t, 80, true, &p), 0);
	port_listen(f.t, 80);
	for (int k = 0; k < 3; k++)
		port_inherit(f.t, 80, true);
	assert_int_equal(port_owners(f.t, 80), 4);
	assert_int_equal(port_in_use(f.t), 1);
	assert_int_equal(port_bind(f.t, 80, true, &p), -EADDRINUSE);
	/* The server restarts while its children live: SO_REUSEADDR lets it. */
	port_release(f.t, 80, true, true);
	assert_int_equal(port_bind(f.t, 80, false, &p), -EADDRINUSE);
	assert_int_equal(port_bind(f.t, 80, true, &p), 0);
	port_listen(f.t, 80);
	assert_int_equal(port_owners(f.t, 80), 4);
	fix_free(&f);
}

/* ---- determinism and bookkeeping ----------------------------------------- */

static unsigned script(uint64_t seed, uint16_t *out, unsigned max)
{
	fix f = mk(PORT_ALGO_PERTURB, 32768, 60999, NULL, true, 250, seed);
	dest *d[5];
	unsigned n = 0;
	for (int k = 0; k < 5; k++)
		d[k] = dest_new(0x0a000010u + (uint32_t)k, (uint16_t)(80 + k));
	for (unsigned step = 0; step < 400 && n < max; step++) {
		uint16_t p = 0;
		uint64_t now = step * 100 * MS;
		if (step % 7 == 3) {
			assert_int_equal(port_bind(f.t, 0, step & 1, &p), 0);
		} else {
			assert_true(conn(f.t, d[step % 5], now, &p) >= 0);
			if (step % 3 == 0) {
				port_release(f.t, p, false, false);
				d[step % 5]->st[p] = ST_UNIQUE;
			}
		}
		out[n++] = p;
	}
	for (int k = 0; k < 5; k++)
		free(d[k]);
	fix_free(&f);
	return n;
}

/* port_connect_find + port_connect_take choose what port_connect does, and
 * find alone adds no owner: with every algorithm, two tables from one seed,
 * the second connecting in two steps, 300 connects to three destinations
 * over 60 ports, some released again, past the point where the range runs
 * out. */
static void test_find_then_take(void **state)
{
	static const port_algo algos[] = { PORT_ALGO_HINT, PORT_ALGO_EVEN_HINT, PORT_ALGO_PARITY_HINT,
					   PORT_ALGO_PERTURB256, PORT_ALGO_PERTURB };
	for (size_t a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
		fix f1 = mk_simple(algos[a], 40000, 40059), f2 = mk_simple(algos[a], 40000, 40059);
		dest *d1[3], *d2[3];
		for (int k = 0; k < 3; k++) {
			d1[k] = dest_new(0x0a000002u + (uint32_t)k, 80);
			d2[k] = dest_new(0x0a000002u + (uint32_t)k, 80);
		}
		unsigned ok = 0, failed = 0;
		for (unsigned i = 0; i < 300; i++) {
			dest *x1 = d1[i % 3], *x2 = d2[i % 3];
			uint64_t now = (uint64_t)i * 7 * MS;
			uint16_t p1 = 0, p2 = 0;
			int r1 = port_connect(f1.t, SADDR, x1->daddr, x1->dport, now, mock_check, x1, &p1);
			uint32_t used = port_in_use(f2.t);
			int r2 = port_connect_find(f2.t, SADDR, x2->daddr, x2->dport, now, NULL, mock_check, x2, &p2);
			assert_int_equal(r1, r2);
			assert_int_equal(port_in_use(f2.t), used);
			if (r1 < 0) {
				failed++;
				continue;
			}
			assert_int_equal(p1, p2);
			assert_int_equal(port_owners(f2.t, p2), port_owners(f1.t, p1) - 1);
			port_connect_take(f2.t, p2, false);
			assert_int_equal(port_owners(f2.t, p2), port_owners(f1.t, p1));
			x1->st[p1] = x2->st[p2] = ST_BUSY;
			ok++;
			if (i % 5 == 4) {  /* a connection ends: its port is free for it again */
				port_release(f1.t, p1, false, false);
				port_release(f2.t, p2, false, false);
				x1->st[p1] = x2->st[p2] = ST_UNIQUE;
			}
		}
		assert_int_equal(port_in_use(f1.t), port_in_use(f2.t));
		assert_true(ok > 100 && failed > 10);  /* both outcomes were exercised */
		for (int k = 0; k < 3; k++) {
			free(d1[k]);
			free(d2[k]);
		}
		fix_free(&f1);
		fix_free(&f2);
	}
}

static void test_determinism(void **state)
{
	static uint16_t a[400], b[400], c[400];
	unsigned na = script(7, a, 400), nb = script(7, b, 400), nc = script(8, c, 400);
	assert_int_equal(na, 400);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(nc, 400);
	assert_memory_not_equal(a, c, sizeof(a));
}

/* A socket with SO_REUSEADDR whose port connect() chose joins the bucket with
 * its flag (inet_bind_hash adds the socket itself): it is released with that
 * flag, and an explicit bind() with SO_REUSEADDR may share the port with it
 * (inet_csk_bind_conflict, relax), one without may not. */
static void test_connect_reuseaddr_owner(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 40000, 40009);
	dest *a = dest_new(0x0a000002u, 80);
	uint16_t c, p;
	assert_int_equal(port_connect_find(f.t, SADDR, a->daddr, a->dport, 0, NULL, mock_check, a, &c), 0);
	port_connect_take(f.t, c, true);
	assert_int_equal(port_owners(f.t, c), 1);
	assert_int_equal(port_bind(f.t, c, false, &p), -EADDRINUSE);
	assert_int_equal(port_bind(f.t, c, true, &p), 0);
	assert_int_equal(port_owners(f.t, c), 2);
	port_release(f.t, c, true, false);  /* the connect()ed socket, or its TIME_WAIT */
	port_release(f.t, c, true, false);
	assert_int_equal(port_owners(f.t, c), 0);
	assert_int_equal(port_in_use(f.t), 0);
	/* one owner with it, one without: each leaves with its own */
	assert_int_equal(port_connect_find(f.t, SADDR, a->daddr, a->dport, 0, NULL, mock_check, a, &c), 0);
	port_connect_take(f.t, c, true);
	port_connect_take(f.t, c, false);
	assert_int_equal(port_bind(f.t, c, true, &p), -EADDRINUSE);
	port_release(f.t, c, false, false);
	port_release(f.t, c, true, false);
	assert_int_equal(port_in_use(f.t), 0);
	free(a);
	fix_free(&f);
}

static void test_bytes_and_counts(void **state)
{
	fix f = mk_simple(PORT_ALGO_PERTURB, 32768, 60999);
	dest *a = dest_new(0x0a000002u, 80);
	uint16_t p;
	size_t before = port_table_bytes(f.t);
	assert_true(before >= 65536 * 8);
	assert_true(before < 1024 * 1024);
	assert_int_equal(conn(f.t, a, 0, &p), 0);
	/* table_perturb is drawn word by word: one destination costs a few
	 * KiB (the generator's state), not the table's 256 KiB */
	size_t one = port_table_bytes(f.t);
	assert_true(one > before && one < before + 16 * 1024);
	assert_int_equal(port_in_use(f.t), 1);
	assert_int_equal(port_owners(f.t, p), 1);
	port_release(f.t, p, false, false);
	assert_int_equal(port_in_use(f.t), 0);
	assert_int_equal(port_owners(f.t, p), 0);
	free(a);
	fix_free(&f);

	/* past a few destinations, the whole table */
	f = mk_simple(PORT_ALGO_PERTURB, 32768, 60999);
	before = port_table_bytes(f.t);
	unsigned d = 0;
	while (port_table_bytes(f.t) != before + 65536 * 4 && d < 64) {
		a = dest_new(0x0a000002u + d++, 80);
		assert_int_equal(conn(f.t, a, 0, &p), 0);
		free(a);
	}
	assert_int_equal(port_table_bytes(f.t), before + 65536 * 4);
	assert_true(d > 16);
	fix_free(&f);

	f = mk_simple(PORT_ALGO_PERTURB256, 32768, 60999);
	a = dest_new(0x0a000002u, 80);
	before = port_table_bytes(f.t);
	assert_int_equal(conn(f.t, a, 0, &p), 0);
	assert_int_equal(port_table_bytes(f.t), before + 256 * 4);
	free(a);
	fix_free(&f);
}

/* The lazily drawn table_perturb gives each destination the word the
 * kernel's fill gave it, whatever order the destinations come in and
 * whether the table was drawn whole by then: with every port free after each
 * connect(), a destination's port depends on its word alone. */
static void test_perturb_lazy_order(void **state)
{
	(void)state;
	enum { N = 40 };
	uint16_t fwd[N], rev[N];
	for (int pass = 0; pass < 2; pass++) {
		fix f = mk_simple(PORT_ALGO_PERTURB, 32768, 60999);
		for (int k = 0; k < N; k++) {
			int i = pass ? N - 1 - k : k;
			dest *a = dest_new(0x0a000002u + (uint32_t)i, 80);
			uint16_t p;
			assert_int_equal(conn(f.t, a, 0, &p), 0);
			port_release(f.t, p, false, false);
			(pass ? rev : fwd)[i] = p;
			free(a);
		}
		fix_free(&f);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(fwd[i], rev[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perturb_ten_ports),
		cmocka_unit_test(test_perturb_lazy_order),
		cmocka_unit_test(test_odd_range),
		cmocka_unit_test(test_usable_reserved_ends),
		cmocka_unit_test(test_reserved_skipped),
		cmocka_unit_test(test_bound_port_skipped),
		cmocka_unit_test(test_check_reuse),
		cmocka_unit_test(test_strides),
		cmocka_unit_test(test_step_width),
		cmocka_unit_test(test_sock_port_range),
		cmocka_unit_test(test_global_hint),
		cmocka_unit_test(test_salt_period),
		cmocka_unit_test(test_bind_explicit),
		cmocka_unit_test(test_bind0_parity),
		cmocka_unit_test(test_bind0_reuse_half),
		cmocka_unit_test(test_bind0_timewait_autobind),
		cmocka_unit_test(test_inherit),
		cmocka_unit_test(test_find_then_take),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_connect_reuseaddr_owner),
		cmocka_unit_test(test_bytes_and_counts),
		cmocka_unit_test(test_bind0_same_as_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
