/*
 * Tests for Cilium's eBPF datapath with BPF masquerading (models/cilium.c)
 * on configurations small enough to check by hand: a masquerade range of
 * one or four ports, maps of two or four entries, GC intervals of 30 s;
 * the port search's arithmetic and its odds against the source's
 * (bpf/lib/nat.h), the conntrack lifetimes (bpf/lib/conntrack.h) and the
 * GC interval rule (pkg/maps/ctmap/gc/gc.go).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#include "models/cilium.h"

#define NODE 0xc000020au  /* 192.0.2.10 */
#define POD(i) (0x0a000100u + (uint32_t)(i))
#define SRV 0xc6336401u   /* 198.51.100.1 */
#define MS (EV_SEC / 1000)

static cil_cfg cfg(uint16_t port_min, ev_time gc_interval)
{
	return (cil_cfg){ NODE, 64, 64, CIL_T_TCP, CIL_T_FIN, CIL_T_SYN, gc_interval, 0, EV_SEC, port_min, 65535,
			  CIL_RETRIES };
}

/* A segment from pod i's port sport to SRV:dport. */
static tcp_hop_pkt out(unsigned i, uint16_t sport, uint16_t dport, uint8_t flags)
{
	return (tcp_hop_pkt){ POD(i), SRV, sport, dport, flags, 0, 0, 0 };
}

/* The server's answer to a segment the datapath sent out as o. */
static tcp_hop_pkt reply(const tcp_hop_pkt *o, uint8_t flags)
{
	return (tcp_hop_pkt){ o->daddr, o->saddr, o->dport, o->sport, flags, 0, 0, 0 };
}

/* A handshake at t; the NAT port, or 0 when the SYN was dropped. */
static uint16_t open_at(cil *c, unsigned i, uint16_t sport, uint16_t dport, ev_time t)
{
	tcp_hop_pkt s = out(i, sport, dport, TCP_HOP_SYN);
	if (!cil_hop(c, &s, t))
		return 0;
	tcp_hop_pkt sa = reply(&s, TCP_HOP_SYN | TCP_HOP_ACK);
	assert_true(cil_hop(c, &sa, t + MS));
	assert_int_equal(sa.daddr, POD(i));
	assert_int_equal(sa.dport, sport);
	tcp_hop_pkt a = out(i, sport, dport, TCP_HOP_ACK);
	assert_true(cil_hop(c, &a, t + 2 * MS));
	assert_int_equal(a.sport, s.sport);
	return s.sport;
}

/* The pod closes at t: FIN, the server's FIN-ACK, the last ACK. */
static void close_at(cil *c, unsigned i, uint16_t sport, uint16_t dport, ev_time t)
{
	tcp_hop_pkt f = out(i, sport, dport, TCP_HOP_FIN | TCP_HOP_ACK);
	assert_true(cil_hop(c, &f, t));
	tcp_hop_pkt fa = reply(&f, TCP_HOP_FIN | TCP_HOP_ACK);
	assert_true(cil_hop(c, &fa, t + MS));
	tcp_hop_pkt a = out(i, sport, dport, TCP_HOP_ACK);
	assert_true(cil_hop(c, &a, t + 2 * MS));
}

static void test_clamp(void **state)
{
	(void)state;
	/* start + ((v x 32768) >> 16) = 32768 + v / 2 */
	assert_int_equal(cil_clamp_port(32768, 65535, 0), 32768);
	assert_int_equal(cil_clamp_port(32768, 65535, 1), 32768);
	assert_int_equal(cil_clamp_port(32768, 65535, 40001), 32768 + 20000);
	assert_int_equal(cil_clamp_port(32768, 65535, 65535), 65535);
	/* "port + 1" after a collision at 40000 is 52768, not 40001 */
	assert_int_equal(cil_clamp_port(32768, 65535, 40000 + 1), 52768);
	/* four ports: a quarter of the 16-bit draws each */
	assert_int_equal(cil_clamp_port(65532, 65535, 16383), 65532);
	assert_int_equal(cil_clamp_port(65532, 65535, 16384), 65533);
	assert_int_equal(cil_clamp_port(65532, 65535, 65535), 65535);
	/* the retry chain there: 65532 -> 65535 -> (65536 = 0) 65532 */
	assert_int_equal(cil_clamp_port(65532, 65535, (uint16_t)(65532 + 1)), 65535);
	assert_int_equal(cil_clamp_port(65532, 65535, (uint16_t)(65535 + 1)), 65532);
}

static void test_keep_port(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cil_cfg k = cfg(32768, 0);
	cil *c = cil_new(&k, r, NULL, "nat.");
	/* __snat_try_keep_port: the pod's port, when in 32768-65535 */
	assert_int_equal(open_at(c, 1, 40000, 443, EV_SEC), 40000);
	/* another pod with the same port to the same destination collides */
	uint16_t p = open_at(c, 2, 40000, 443, EV_SEC + 10 * MS);
	assert_true(p >= 32768 && p != 40000);
	/* to another destination port the same NAT port is free */
	assert_int_equal(open_at(c, 2, 40000, 444, EV_SEC + 20 * MS), 40000);
	/* a port below the range: a random one in it */
	p = open_at(c, 3, 1000, 443, EV_SEC + 30 * MS);
	assert_true(p >= 32768);
	assert_int_equal(cil_nat_port(c, POD(3), SRV, 1000, 443), p);
	cil_free(c);
	gsl_rng_free(r);
}

/* Four masquerade ports (node-port-range ending at 65531): four
 * connections to one destination take them, the fifth finds none. */
static void test_four_ports(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	probe_set *ps = probe_set_new();
	cil_cfg k = cfg(65532, 0);
	cil *c = cil_new(&k, r, ps, "nat.");
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(open_at(c, i, (uint16_t)(65532 + i), 443, EV_SEC + i * 10 * MS), 65532 + i);
	tcp_hop_pkt s = out(9, 65533, 443, TCP_HOP_SYN);
	assert_false(cil_hop(c, &s, 2 * EV_SEC));
	assert_int_equal(s.why, TCP_HIT_NAT_FAIL);
	assert_int_equal(cil_alloc_failures(c), 1);
	assert_int_equal(*probe_counter(ps, "nat.drop_nat_no_mapping", ""), 1);
	/* every try failed: retries = 32, above SNAT_SIGNAL_THRES */
	probe_hist *h = probe_histogram(ps, "nat.snat_alloc_retries", "");
	assert_int_equal(probe_hist_max(h), CIL_RETRIES);
	/* ports are per destination */
	assert_int_equal(open_at(c, 9, 65533, 444, 3 * EV_SEC), 65533);
	/* 5 connections, two NAT entries each */
	assert_int_equal(cil_nat_entries(c, 3 * EV_SEC), 10);
	cil_free(c);
	probe_set_free(ps);
	gsl_rng_free(r);
}

/* With 65532, 65533 and 65535 taken, a pod whose port is out of the range
 * finds 65534 only with one of the two random draws: the retries after them
 * alternate between 65535 and 65532 (test_clamp).  P = 1 - (3/4)^2. */
static void test_two_random_draws(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 13);
	const unsigned N = 4000;
	unsigned ok = 0;
	for (unsigned n = 0; n < N; n++) {
		cil_cfg k = cfg(65532, 0);
		cil *c = cil_new(&k, r, NULL, "nat.");
		assert_int_equal(open_at(c, 1, 65532, 443, EV_SEC), 65532);
		assert_int_equal(open_at(c, 2, 65533, 443, EV_SEC), 65533);
		assert_int_equal(open_at(c, 3, 65535, 443, EV_SEC), 65535);
		uint16_t p = open_at(c, 4, 1000, 443, 2 * EV_SEC);
		if (p) {
			assert_int_equal(p, 65534);
			ok++;
		}
		cil_free(c);
	}
	double p = 7.0 / 16, hw = gsl_cdf_ugaussian_Pinv(0.9995) * sqrt(p * (1 - p) / N);
	double f = (double)ok / N;
	if (fabs(f - p) > hw)
		fail_msg("found 65534 in %.4f of %u tries, expected %.4f +- %.4f", f, N, p, hw);
	gsl_rng_free(r);
}

/* A closed connection keeps its port for the fin timeout and then until
 * the next GC pass deletes its conntrack entry, and with it its NAT
 * entries: not a moment before. */
static void test_gc_frees_the_port(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cil_cfg k = cfg(65535, 30 * EV_SEC);  /* one port; a pass at 0, 30, 60 s */
	k.gc_pass = 3600 * EV_SEC;            /* and no fill-up signal heard */
	cil *c = cil_new(&k, r, NULL, "nat.");
	assert_int_equal(open_at(c, 1, 40000, 443, EV_SEC), 65535);
	close_at(c, 1, 40000, 443, 2 * EV_SEC);  /* both closed at 2.001 s: lifetime to 12.001 s */
	/* at 20 s the entry has expired but no pass has run: the port is held */
	assert_int_equal(open_at(c, 2, 40000, 443, 20 * EV_SEC), 0);
	assert_int_equal(cil_ct_entries(c, 30 * EV_SEC - 1), 2);  /* and pod 2's SYN-only entry */
	assert_int_equal(cil_nat_entries(c, 30 * EV_SEC - 1), 2);
	assert_int_equal(cil_gc_runs(c), 1);
	/* the pass at 30 s deletes pod 1's entries (pod 2's SYN entry lives to 80 s) */
	assert_int_equal(cil_nat_entries(c, 30 * EV_SEC), 0);
	assert_int_equal(cil_ct_entries(c, 30 * EV_SEC), 1);
	assert_int_equal(cil_gc_runs(c), 2);
	assert_int_equal(open_at(c, 2, 40000, 443, 31 * EV_SEC), 65535);
	cil_free(c);
	gsl_rng_free(r);
}

/* An RST after the handshake closes only its own direction
 * (__ct_lookup, ACTION_CLOSE): the entry stays alive with the 6 h lifetime
 * its last segment gave it.  An RST before both SYNs were seen closes both:
 * 10 s. */
static void test_rst(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cil_cfg k = cfg(32768, 30 * EV_SEC);
	cil *c = cil_new(&k, r, NULL, "nat.");
	open_at(c, 1, 40000, 443, EV_SEC);
	tcp_hop_pkt rst = out(1, 40000, 443, TCP_HOP_RST);
	assert_true(cil_hop(c, &rst, 2 * EV_SEC));
	/* refused: SYN out, RST-ACK back */
	tcp_hop_pkt s = out(2, 40001, 443, TCP_HOP_SYN);
	assert_true(cil_hop(c, &s, 3 * EV_SEC));
	tcp_hop_pkt ra = reply(&s, TCP_HOP_RST | TCP_HOP_ACK);
	assert_true(cil_hop(c, &ra, 3 * EV_SEC + MS));
	assert_int_equal(cil_ct_entries(c, 3 * EV_SEC + MS), 2);
	/* the pass at 30 s takes the refused one only */
	assert_int_equal(cil_ct_entries(c, 30 * EV_SEC), 1);
	assert_int_equal(cil_nat_port(c, POD(1), SRV, 40000, 443), 40000);
	assert_int_equal(cil_nat_port(c, POD(2), SRV, 40001, 443), 0);
	/* still there an hour later, gone after 6 h */
	assert_int_equal(cil_ct_entries(c, 3600 * EV_SEC), 1);
	assert_int_equal(cil_ct_entries(c, 6 * 3600 * EV_SEC + 30 * EV_SEC), 0);
	cil_free(c);
	gsl_rng_free(r);
}

/* A SYN alone gives 60 s, a reopened closed entry keeps its NAT port. */
static void test_syn_timeout_and_reopen(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cil_cfg k = cfg(32768, 30 * EV_SEC);
	cil *c = cil_new(&k, r, NULL, "nat.");
	tcp_hop_pkt s = out(1, 40000, 443, TCP_HOP_SYN);
	assert_true(cil_hop(c, &s, EV_SEC));  /* unanswered: lifetime to 61 s */
	assert_int_equal(cil_ct_entries(c, 60 * EV_SEC), 1);
	assert_int_equal(cil_ct_entries(c, 90 * EV_SEC), 0);
	/* the pod reuses its 4-tuple within the fin timeout: same mapping */
	uint16_t p = open_at(c, 2, 1000, 443, 100 * EV_SEC);
	close_at(c, 2, 1000, 443, 101 * EV_SEC);
	assert_int_equal(open_at(c, 2, 1000, 443, 105 * EV_SEC), p);
	/* reopened: lifetime 6 h again, the pass at 120 s keeps it */
	assert_int_equal(cil_ct_entries(c, 120 * EV_SEC), 1);
	cil_free(c);
	gsl_rng_free(r);
}

static void test_interval_rule(void **state)
{
	(void)state;
	cil_cfg k = cfg(32768, 0);
	const ev_time S = EV_SEC;
	/* the first pass: from the 5 min starting interval */
	assert_int_equal(cil_next_interval(&k, 0, 0, 0), 300 * S);
	assert_int_equal(cil_next_interval(&k, 0, 0, 0.5), 150 * S);
	/* under 5 %: x 1.5; 5-25 %: unchanged; over 25 %: x (1 - r), r <= 0.9 */
	assert_int_equal(cil_next_interval(&k, 300 * S, 300 * S, 0.01), 450 * S);
	assert_int_equal(cil_next_interval(&k, 300 * S, 300 * S, 0.10), 300 * S);
	assert_int_equal(cil_next_interval(&k, 300 * S, 300 * S, 0.95), 30 * S);
	/* a signal cut the interval to 60 s: 0.1 x 300 / 60 = 0.5 */
	assert_int_equal(cil_next_interval(&k, 60 * S, 300 * S, 0.1), 150 * S);
	/* bounds: 10 s, 12 h; conntrack-gc-max-interval; a fixed interval */
	assert_int_equal(cil_next_interval(&k, 12 * S, 12 * S, 0.6), 10 * S);
	assert_int_equal(cil_next_interval(&k, 10 * 3600 * S, 10 * 3600 * S, 0.001), 12 * 3600 * S);
	k.gc_max_interval = 400 * S;
	assert_int_equal(cil_next_interval(&k, 300 * S, 300 * S, 0.01), 400 * S);
	k.gc_interval = 45 * S;
	assert_int_equal(cil_next_interval(&k, 300 * S, 300 * S, 0.95), 45 * S);
	/* rounded to the second: 7 s x 1.5 = 10.5 s -> 11 s */
	k = cfg(32768, 0);
	assert_int_equal(cil_next_interval(&k, 7 * S, 7 * S, 0.01), 11 * S);
}

/* The dynamic interval in a run: 60 of a 100-entry map deleted at the
 * 300 s pass: 300 x (1 - 0.6) = 120 s. */
static void test_dynamic_interval(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cil_cfg k = cfg(32768, 0);
	k.ct_max = 100;
	k.nat_max = 200;
	cil *c = cil_new(&k, r, NULL, "nat.");
	for (unsigned i = 0; i < 60; i++) {
		open_at(c, i, 40000, 443, EV_SEC + i * 100 * MS);
		close_at(c, i, 40000, 443, 10 * EV_SEC + i * 100 * MS);
	}
	assert_int_equal(cil_gc_interval(c), 300 * EV_SEC);
	assert_int_equal(cil_ct_entries(c, 300 * EV_SEC), 0);
	assert_int_equal(cil_gc_interval(c), 120 * EV_SEC);
	/* nothing to delete at 420 s: interval unchanged (r = 0) */
	assert_int_equal(cil_ct_entries(c, 420 * EV_SEC), 0);
	assert_int_equal(cil_gc_runs(c), 3);
	assert_int_equal(cil_gc_interval(c), 120 * EV_SEC);
	cil_free(c);
	gsl_rng_free(r);
}

/* A search that needed more than SNAT_SIGNAL_THRES retries signals the
 * agent, whose collector runs at once (not at 300 s) and frees the port. */
static void test_fill_up_signal(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cil_cfg k = cfg(65535, 0);  /* one port, dynamic interval */
	cil *c = cil_new(&k, r, NULL, "nat.");
	assert_int_equal(open_at(c, 1, 40000, 443, EV_SEC), 65535);
	close_at(c, 1, 40000, 443, 2 * EV_SEC);
	assert_int_equal(open_at(c, 2, 40000, 443, 20 * EV_SEC), 0);  /* 32 retries: signal */
	assert_int_equal(cil_gc_runs(c), 1);
	/* the client's retransmission at 21 s: the pass ran at 20 s first */
	assert_int_equal(open_at(c, 2, 40000, 443, 21 * EV_SEC), 65535);
	assert_int_equal(cil_gc_runs(c), 2);
	cil_free(c);
	gsl_rng_free(r);
}

/* Full LRU maps evict the least recently used entry: no drop at
 * insertion, but the evicted connection's replies find no RevSNAT entry. */
static void test_lru(void **state)
{
	(void)state;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	probe_set *ps = probe_set_new();
	cil_cfg k = cfg(32768, 0);
	k.ct_max = 2;
	k.nat_max = 4;
	cil *c = cil_new(&k, r, ps, "nat.");
	open_at(c, 1, 40001, 443, EV_SEC);
	open_at(c, 2, 40002, 443, 2 * EV_SEC);
	open_at(c, 3, 40003, 443, 3 * EV_SEC);
	assert_int_equal(cil_ct_entries(c, 3 * EV_SEC), 2);
	assert_int_equal(cil_nat_entries(c, 3 * EV_SEC), 4);
	assert_int_equal(*probe_counter(ps, "nat.ct_lru_evictions", ""), 1);
	assert_int_equal(*probe_counter(ps, "nat.nat_lru_evictions", ""), 2);
	/* pod 1's reply: its RevSNAT entry was evicted */
	tcp_hop_pkt d = { SRV, NODE, 443, 40001, TCP_HOP_ACK, 0, 0, 0 };
	assert_false(cil_hop(c, &d, 4 * EV_SEC));
	assert_int_equal(d.why, 0);
	assert_int_equal(*probe_counter(ps, "nat.drop_nat_no_mapping_ingress", ""), 1);
	/* pod 3's still crosses */
	tcp_hop_pkt e = { SRV, NODE, 443, 40003, TCP_HOP_ACK, 0, 0, 0 };
	assert_true(cil_hop(c, &e, 4 * EV_SEC));
	assert_int_equal(e.daddr, POD(3));
	cil_free(c);
	probe_set_free(ps);
	gsl_rng_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clamp),
		cmocka_unit_test(test_keep_port),
		cmocka_unit_test(test_four_ports),
		cmocka_unit_test(test_two_random_draws),
		cmocka_unit_test(test_gc_frees_the_port),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_syn_timeout_and_reopen),
		cmocka_unit_test(test_interval_rule),
		cmocka_unit_test(test_dynamic_interval),
		cmocka_unit_test(test_fill_up_signal),
		cmocka_unit_test(test_lru),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
