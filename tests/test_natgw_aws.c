/*
 * Tests for the AWS NAT Gateway box (models/natgw_aws.c): its documented
 * limits on tiny configurations checkable by hand (3 connections per
 * address per destination instead of 55,000), and its steady-state
 * capacity against the operators' formula per_dest x addresses / hold time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

#include "models/natgw_aws.h"

#define GW1 0xc000020au  /* 192.0.2.10 */
#define GW2 0xc000020bu  /* 192.0.2.11 */
#define CLI(i) (0x0a000000u + (uint32_t)(i))
#define SRV 0xc6336401u  /* 198.51.100.1 */

static const uint32_t gw_addrs[2] = { GW1, GW2 };

static awsgw *mk(unsigned naddrs, uint32_t per_dest, ev_time hold)
{
	awsgw_cfg c = { gw_addrs, naddrs, per_dest, AWSGW_IDLE_TIMEOUT, hold };
	return awsgw_new(&c, NULL, "nat.");
}

/* A segment from client i (port 40000 + i) to SRV:dport. */
static tcp_hop_pkt seg(unsigned i, uint16_t dport, uint8_t flags)
{
	return (tcp_hop_pkt){ CLI(i), SRV, (uint16_t)(40000 + i), dport, flags, 0, 0, 0 };
}

static bool syn(awsgw *g, unsigned i, uint16_t dport, ev_time now, tcp_hop_pkt *out)
{
	tcp_hop_pkt p = seg(i, dport, TCP_HOP_SYN);
	bool ok = awsgw_hop(g, &p, now);
	if (out)
		*out = p;
	return ok;
}

/* 3 per destination, 1 address: the 4th simultaneous connection to :443
 * fails (ErrorPortAllocation, why = nat_fail); another destination (:80)
 * still works; ports are distinct and the source is the gateway's. */
static void test_limit_per_destination(void **state)
{
	(void)state;
	awsgw *g = mk(1, 3, 0);
	tcp_hop_pkt p[3];
	for (unsigned i = 0; i < 3; i++) {
		assert_true(syn(g, i, 443, EV_SEC, &p[i]));
		assert_int_equal(p[i].saddr, GW1);
	}
	assert_int_not_equal(p[0].sport, p[1].sport);
	assert_int_not_equal(p[1].sport, p[2].sport);
	assert_int_not_equal(p[0].sport, p[2].sport);
	tcp_hop_pkt f;
	assert_false(syn(g, 3, 443, EV_SEC, &f));
	assert_int_equal(f.why, TCP_HIT_NAT_FAIL);
	assert_int_equal(awsgw_error_port_allocation(g), 1);
	/* the retransmitted SYN fails again and is counted again */
	assert_false(syn(g, 3, 443, 2 * EV_SEC, NULL));
	assert_int_equal(awsgw_error_port_allocation(g), 2);
	/* a different destination (port) is a different unique destination */
	assert_true(syn(g, 3, 80, 2 * EV_SEC, &f));
	assert_int_equal(awsgw_ports_held(g, 2 * EV_SEC), 4);
	/* a retransmitted SYN of a connection that has its port keeps it */
	tcp_hop_pkt again;
	assert_true(syn(g, 0, 443, 2 * EV_SEC, &again));
	assert_int_equal(again.sport, p[0].sport);
	awsgw_free(g);
}

/* A second address doubles the capacity per destination: 6 fit, the 7th
 * fails; the addresses take turns (fewest connections first). */
static void test_second_address(void **state)
{
	(void)state;
	awsgw *g = mk(2, 3, 0);
	unsigned on[2] = { 0, 0 };
	for (unsigned i = 0; i < 6; i++) {
		tcp_hop_pkt p;
		assert_true(syn(g, i, 443, EV_SEC, &p));
		assert_true(p.saddr == GW1 || p.saddr == GW2);
		on[p.saddr == GW2]++;
	}
	assert_int_equal(on[0], 3);
	assert_int_equal(on[1], 3);
	assert_false(syn(g, 6, 443, EV_SEC, NULL));
	assert_int_equal(awsgw_error_port_allocation(g), 1);
	awsgw_free(g);
}

/* Replies are translated back to the client; a reply to no connection is
 * dropped. */
static void test_reply(void **state)
{
	(void)state;
	awsgw *g = mk(1, 3, 0);
	tcp_hop_pkt p;
	assert_true(syn(g, 7, 443, EV_SEC, &p));
	tcp_hop_pkt r = { SRV, GW1, 443, p.sport, TCP_HOP_SYN | TCP_HOP_ACK, 0, 0, 0 };
	assert_true(awsgw_hop(g, &r, EV_SEC + EV_MS));
	assert_int_equal(r.daddr, CLI(7));
	assert_int_equal(r.dport, 40007);
	tcp_hop_pkt stray = { SRV, GW1, 443, (uint16_t)(p.sport + 1), TCP_HOP_ACK, 0, 0, 0 };
	assert_false(awsgw_hop(g, &stray, EV_SEC + EV_MS));
	assert_int_equal(stray.why, 0);
	awsgw_free(g);
}

/* FINs both ways, then the last ACK (which still crosses) closes it; with
 * close_hold 10 s its port is free for the destination 10 s later, not 5 s. */
static void test_close_hold(void **state)
{
	(void)state;
	awsgw *g = mk(1, 1, 10 * EV_SEC);
	tcp_hop_pkt p;
	assert_true(syn(g, 0, 443, 0, &p));
	tcp_hop_pkt fin = seg(0, 443, TCP_HOP_FIN | TCP_HOP_ACK);
	assert_true(awsgw_hop(g, &fin, EV_SEC));
	tcp_hop_pkt rfin = { SRV, GW1, 443, p.sport, TCP_HOP_FIN | TCP_HOP_ACK, 0, 0, 0 };
	assert_true(awsgw_hop(g, &rfin, EV_SEC + EV_MS));
	tcp_hop_pkt last = seg(0, 443, TCP_HOP_ACK);
	assert_true(awsgw_hop(g, &last, EV_SEC + 2 * EV_MS));
	assert_int_equal(last.sport, p.sport);
	assert_false(syn(g, 1, 443, 6 * EV_SEC, NULL));   /* 4 s into the hold */
	assert_true(syn(g, 1, 443, 11 * EV_SEC + 2 * EV_MS, NULL));
	assert_int_equal(awsgw_idle_timeouts(g), 0);
	awsgw_free(g);
}

/* An RST frees the port at once with close_hold 0. */
static void test_rst(void **state)
{
	(void)state;
	awsgw *g = mk(1, 1, 0);
	assert_true(syn(g, 0, 443, 0, NULL));
	assert_false(syn(g, 1, 443, EV_SEC, NULL));
	tcp_hop_pkt rst = seg(0, 443, TCP_HOP_RST);
	assert_true(awsgw_hop(g, &rst, 2 * EV_SEC));
	assert_true(syn(g, 1, 443, 2 * EV_SEC + 1, NULL));
	awsgw_free(g);
}

/* Idle 350 s: timed out (IdleTimeoutCount), its port free, its next
 * segment dropped.  Traffic at 349 s keeps it. */
static void test_idle_timeout(void **state)
{
	(void)state;
	awsgw *g = mk(1, 1, 0);
	assert_true(syn(g, 0, 443, 0, NULL));
	tcp_hop_pkt ack = seg(0, 443, TCP_HOP_ACK);
	assert_true(awsgw_hop(g, &ack, 349 * EV_SEC));
	assert_int_equal(awsgw_ports_held(g, 698 * EV_SEC), 1);
	assert_int_equal(awsgw_idle_timeouts(g), 0);
	assert_int_equal(awsgw_ports_held(g, 699 * EV_SEC), 0);
	assert_int_equal(awsgw_idle_timeouts(g), 1);
	ack = seg(0, 443, TCP_HOP_ACK);
	assert_false(awsgw_hop(g, &ack, 700 * EV_SEC));
	assert_true(syn(g, 1, 443, 700 * EV_SEC, NULL));
	awsgw_free(g);
}

/*
 * Steady state: Poisson SYNs to one destination at rate lambda, each
 * connection holding its port for an exponential time of mean T (then an
 * RST), per_dest c, n addresses.  The operators' formula says the gateway carries c n / T
 * connections per second.  It assumes a freed port is taken at once; here
 * it waits for the next SYN, 1 / lambda on average (the ports mostly free one at a
 * time), so the carried rate is c n / (T + 1 / lambda): at lambda = 1000
 * c n / T that is 0.1 % below the formula.  Both must lie within the
 * replications' 99 % confidence interval of the carried rate.  Little's
 * law ties the carried rate to the ports in use: rate x T = mean ports.
 */
static gint cmp_ptr(gconstpointer a, gconstpointer b, gpointer u)
{
	(void)u;
	return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

static void steady(unsigned n, double *mean, double *hw)
{
	const uint32_t c = 3;
	const double T = 1.0, lambda = 1000.0 * c * n / T;
	const double warm = 5 * T, win = 300 * T;
	enum { R = 10 };
	double rate[R];
	for (int r = 0; r < R; r++) {
		gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
		gsl_rng_set(rng, 20261206u + (unsigned long)r);
		awsgw *g = mk(n, c, 0);
		GQueue rel = G_QUEUE_INIT;  /* release times, sorted */
		double t = 0;
		uint64_t carried = 0;
		unsigned next = 0;
		for (;;) {
			t += gsl_ran_exponential(rng, 1 / lambda);
			if (t >= warm + win)
				break;
			ev_time now = (ev_time)(t * 1e9);
			/* releases due before this SYN */
			while (!g_queue_is_empty(&rel)) {
				uintptr_t head = (uintptr_t)g_queue_peek_head(&rel);
				ev_time when = (ev_time)(head >> 20) * EV_US;
				if (when > now)
					break;
				g_queue_pop_head(&rel);
				unsigned id = (unsigned)(head & 0xfffff);
				tcp_hop_pkt p = { CLI(id >> 10), SRV, (uint16_t)(1024 + (id & 1023)), 443, TCP_HOP_RST, 0, 0, 0 };
				assert_true(awsgw_hop(g, &p, when));
			}
			unsigned id = next++ & 0xfffff;
			tcp_hop_pkt p = { CLI(id >> 10), SRV, (uint16_t)(1024 + (id & 1023)), 443, TCP_HOP_SYN, 0, 0, 0 };
			if (awsgw_hop(g, &p, now)) {
				uint64_t end_us = (uint64_t)((t + gsl_ran_exponential(rng, T)) * 1e6);
				g_queue_insert_sorted(&rel, (gpointer)(uintptr_t)(end_us << 20 | id), cmp_ptr, NULL);
				if (t >= warm)
					carried++;
			}
		}
		assert_true(awsgw_error_port_allocation(g) > 0);
		rate[r] = (double)carried / win;
		g_queue_clear(&rel);
		awsgw_free(g);
		gsl_rng_free(rng);
	}
	*mean = gsl_stats_mean(rate, 1, R);
	*hw = gsl_cdf_tdist_Pinv(0.995, R - 1) * gsl_stats_sd(rate, 1, R) / sqrt(R);
	double formula = c * n / T, renewal = c * n / (T + 1 / lambda);
	print_message("n=%u: carried %.4f +- %.4f /s, formula c n / T = %.4f, with the SYN gap %.4f\n", n, *mean,
		      *hw, formula, renewal);
	assert_true(fabs(*mean - renewal) <= *hw);
	assert_true(fabs(*mean - formula) <= *hw);
}

static void test_steady_state_formula(void **state)
{
	(void)state;
	double m1, h1, m2, h2;
	steady(1, &m1, &h1);
	steady(2, &m2, &h2);
	/* a second address doubles it */
	assert_true(fabs(m2 - 2 * m1) <= h2 + 2 * h1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_per_destination),
		cmocka_unit_test(test_second_address),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_close_hold),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_steady_state_formula),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
