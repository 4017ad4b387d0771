/*
 * Tests for the Google Cloud NAT box (models/natgw_gcp.c): its documented
 * rules on configurations small enough to check by hand (a few ports per
 * VM, two destinations), and its steady-state capacity against the
 * operators' formula ports per VM / (connection life + TIME_WAIT timeout).
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

#include "models/natgw_gcp.h"

#define NAT1 0xcb00710au  /* 203.0.113.10 */
#define NAT2 0xcb00710bu  /* 203.0.113.11 */
#define VM(i) (0x0a800000u + (uint32_t)(i))
#define DST 0xc6336407u   /* 198.51.100.7 */

static const uint32_t nat_addrs[2] = { NAT1, NAT2 };

static gcpnat_cfg cfg(unsigned naddrs, uint32_t min_ports)
{
	return (gcpnat_cfg){ nat_addrs, naddrs, min_ports, GCPNAT_DYN_MAX_PORTS, false, false,
			     GCPNAT_TCP_ESTABLISHED_IDLE, GCPNAT_TCP_TRANSITORY_IDLE, GCPNAT_TCP_TIME_WAIT };
}

/* A segment of VM vm's internal port iport to DST:dport. */
static bool out(gcpnat *g, unsigned vm, uint16_t iport, uint16_t dport, uint8_t flags, ev_time now,
		tcp_hop_pkt *p)
{
	tcp_hop_pkt x = { VM(vm), DST, iport, dport, flags, 0, 0, 0 };
	bool ok = gcpnat_hop(g, &x, now);
	if (p)
		*p = x;
	return ok;
}

static bool syn(gcpnat *g, unsigned vm, uint16_t iport, uint16_t dport, ev_time now, tcp_hop_pkt *p)
{
	return out(g, vm, iport, dport, TCP_HOP_SYN, now, p);
}

/* A segment from the destination to the NAT tuple that p (an outgoing
 * segment, already translated) carried. */
static bool back(gcpnat *g, const tcp_hop_pkt *p, uint8_t flags, ev_time now, tcp_hop_pkt *r)
{
	tcp_hop_pkt x = { p->daddr, p->saddr, p->dport, p->sport, flags, 0, 0, 0 };
	bool ok = gcpnat_hop(g, &x, now);
	if (r)
		*r = x;
	return ok;
}

/* The client closes: FIN, FIN back, the last ACK; the tuple enters TIME_WAIT. */
static void close_at(gcpnat *g, unsigned vm, uint16_t iport, uint16_t dport, const tcp_hop_pkt *p, ev_time t)
{
	assert_true(out(g, vm, iport, dport, TCP_HOP_FIN | TCP_HOP_ACK, t, NULL));
	assert_true(back(g, p, TCP_HOP_FIN | TCP_HOP_ACK, t + EV_MS, NULL));
	assert_true(out(g, vm, iport, dport, TCP_HOP_ACK, t + 2 * EV_MS, NULL));
}

static gcpnat_stats stats(gcpnat *g, ev_time now)
{
	gcpnat_stats s;
	gcpnat_stats_at(g, now, &s);
	return s;
}

/* "rounded up to the nearest power of 2": 50 gives 64. */
static void test_rounding(void **state)
{
	(void)state;
	assert_int_equal(gcpnat_ports_per_vm(50), 64);
	assert_int_equal(gcpnat_ports_per_vm(64), 64);
	assert_int_equal(gcpnat_ports_per_vm(3), 4);
	assert_int_equal(gcpnat_ports_per_vm(1), 1);
	assert_int_equal(gcpnat_ports_per_vm(20000), 32768);
}

/* min_ports_per_vm 3 is 4 ports: a VM's 5th simultaneous connection to one
 * destination fails (OUT_OF_RESOURCES, why = nat_fail); a second
 * destination has the same 4 ports again; another VM has 4 others. */
static void test_ports_per_vm_and_destination(void **state)
{
	(void)state;
	gcpnat_cfg c = cfg(1, 3);
	gcpnat *g = gcpnat_new(&c, NULL, "nat.");
	tcp_hop_pkt a[4], b[4];
	for (unsigned i = 0; i < 4; i++) {
		assert_true(syn(g, 0, (uint16_t)(40000 + i), 443, EV_SEC, &a[i]));
		assert_int_equal(a[i].saddr, NAT1);
		assert_true(a[i].sport >= GCPNAT_PORT_LO && a[i].sport < GCPNAT_PORT_LO + 4);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(a[i].sport, a[j].sport);
	}
	tcp_hop_pkt f;
	assert_false(syn(g, 0, 40004, 443, EV_SEC, &f));
	assert_int_equal(f.why, TCP_HIT_NAT_FAIL);
	assert_int_equal(stats(g, EV_SEC).out_of_resources, 1);
	/* the same NAT ports to another destination port */
	for (unsigned i = 0; i < 4; i++) {
		assert_true(syn(g, 0, (uint16_t)(41000 + i), 80, EV_SEC, &b[i]));
		assert_int_equal(b[i].sport, a[i].sport);
	}
	assert_false(syn(g, 0, 41004, 80, EV_SEC, NULL));
	/* VM 1: its own block, the next 4 ports */
	tcp_hop_pkt v;
	assert_true(syn(g, 1, 40000, 443, EV_SEC, &v));
	assert_true(v.sport >= GCPNAT_PORT_LO + 4 && v.sport < GCPNAT_PORT_LO + 8);
	gcpnat_stats s = stats(g, EV_SEC);
	assert_int_equal(s.out_of_resources, 2);
	assert_int_equal(s.allocated_ports, 8);
	assert_int_equal(s.port_usage, 4);
	assert_int_equal(s.tuples_held, 9);
	assert_int_equal(s.vms_failed, 0);
	/* a retransmitted SYN keeps its tuple */
	tcp_hop_pkt again;
	assert_true(syn(g, 0, 40002, 443, 2 * EV_SEC, &again));
	assert_int_equal(again.sport, a[2].sport);
	gcpnat_free(g);
}

/* floor(64,512 / ports) VMs per address: 16,384 ports give 3 VMs (not 4),
 * the 4th gets none (nat_allocation_failed) until a second address. */
static void test_vms_per_address(void **state)
{
	(void)state;
	for (unsigned naddrs = 1; naddrs <= 2; naddrs++) {
		gcpnat_cfg c = cfg(naddrs, 16384);
		gcpnat *g = gcpnat_new(&c, NULL, "nat.");
		for (unsigned vm = 0; vm < 3; vm++) {
			tcp_hop_pkt p;
			assert_true(syn(g, vm, 50000, 443, EV_SEC, &p));
			assert_int_equal(p.saddr, NAT1);
			assert_int_equal(p.sport, GCPNAT_PORT_LO + 16384 * vm);
		}
		tcp_hop_pkt p;
		bool ok = syn(g, 3, 50000, 443, EV_SEC, &p);
		gcpnat_stats s = stats(g, EV_SEC);
		if (naddrs == 1) {
			assert_false(ok);
			assert_int_equal(p.why, TCP_HIT_NAT_FAIL);
			assert_int_equal(s.vms_failed, 1);
			assert_int_equal(gcpnat_vm_ports(g, VM(3)), 0);
			assert_int_equal(s.allocated_ports, 3 * 16384);
		} else {
			assert_true(ok);
			assert_int_equal(p.saddr, NAT2);
			assert_int_equal(s.vms_failed, 0);
			assert_int_equal(s.allocated_ports, 4 * 16384);
		}
		gcpnat_free(g);
	}
}

/* One port per VM: closed at 1 s, the tuple stays in TIME_WAIT for 120 s
 * to that destination (a SYN at 100 s fails, one at 122 s gets it);
 * another destination has the port meanwhile. */
static void test_time_wait(void **state)
{
	(void)state;
	gcpnat_cfg c = cfg(1, 1);
	gcpnat *g = gcpnat_new(&c, NULL, "nat.");
	tcp_hop_pkt p, r;
	assert_true(syn(g, 0, 40000, 443, 0, &p));
	assert_true(back(g, &p, TCP_HOP_SYN | TCP_HOP_ACK, EV_MS, &r));
	assert_int_equal(r.daddr, VM(0));
	assert_int_equal(r.dport, 40000);
	close_at(g, 0, 40000, 443, &p, EV_SEC);
	gcpnat_stats s = stats(g, 2 * EV_SEC);
	assert_int_equal(s.open, 0);
	assert_int_equal(s.tuples_held, 1);
	assert_int_equal(s.closed_connections, 1);
	tcp_hop_pkt o;
	assert_true(syn(g, 0, 40001, 80, 2 * EV_SEC, &o));
	assert_int_equal(o.sport, p.sport);
	assert_false(syn(g, 0, 40002, 443, 100 * EV_SEC, NULL));
	/* TIME_WAIT ends 120 s after the last ACK (1.002 s) */
	assert_false(syn(g, 0, 40002, 443, 121 * EV_SEC, NULL));
	assert_true(syn(g, 0, 40002, 443, 122 * EV_SEC, &o));
	assert_int_equal(o.sport, p.sport);
	gcpnat_free(g);
}

/* Endpoint-independent mapping, 2 ports: internal port 1 keeps its NAT
 * port for a second destination; port 2 takes the other; port 3 finds
 * none even to a third destination, which it would have without it. */
static void test_endpoint_independent_mapping(void **state)
{
	(void)state;
	for (int eim = 0; eim <= 1; eim++) {
		gcpnat_cfg c = cfg(1, 2);
		c.eim = eim;
		gcpnat *g = gcpnat_new(&c, NULL, "nat.");
		tcp_hop_pkt a, b, d;
		assert_true(syn(g, 0, 1001, 443, EV_SEC, &a));
		assert_true(syn(g, 0, 1001, 80, EV_SEC, &b));
		assert_int_equal(b.sport, a.sport);
		assert_true(syn(g, 0, 1002, 443, EV_SEC, &d));
		assert_int_not_equal(d.sport, a.sport);
		bool third = syn(g, 0, 1003, 8080, EV_SEC, &d);
		if (eim) {
			assert_false(third);
			assert_int_equal(d.why, TCP_HIT_NAT_FAIL);
		} else {
			assert_true(third);
			assert_int_equal(d.sport, a.sport);
		}
		gcpnat_free(g);
	}
}

/* Dynamic allocation, 32 to 128: the 33rd connection to one destination
 * doubles the VM's ports to 64, the 65th to 128, the 129th fails; once
 * they have all closed and left TIME_WAIT the VM is back at 32. */
static void test_dynamic(void **state)
{
	(void)state;
	gcpnat_cfg c = cfg(1, 32);
	c.dynamic = true;
	c.max_ports_per_vm = 128;
	gcpnat *g = gcpnat_new(&c, NULL, "nat.");
	for (unsigned i = 0; i < 128; i++) {
		assert_true(syn(g, 0, (uint16_t)(2000 + i), 443, EV_SEC, NULL));
		uint32_t want = i < 32 ? 32 : i < 64 ? 64 : 128;
		assert_int_equal(gcpnat_vm_ports(g, VM(0)), want);
	}
	assert_false(syn(g, 0, 3000, 443, EV_SEC, NULL));
	gcpnat_stats s = stats(g, EV_SEC);
	assert_int_equal(s.out_of_resources, 1);
	assert_int_equal(s.vms_failed, 0);
	assert_int_equal(s.allocated_ports, 128);
	/* another VM's 32 come from the rest of the address */
	tcp_hop_pkt o;
	assert_true(syn(g, 1, 2000, 443, EV_SEC, &o));
	assert_int_equal(gcpnat_vm_ports(g, VM(1)), 32);
	for (unsigned i = 0; i < 128; i++)
		assert_true(out(g, 0, (uint16_t)(2000 + i), 443, TCP_HOP_RST, 2 * EV_SEC, NULL));
	assert_int_equal(gcpnat_vm_ports(g, VM(0)), 128);  /* TIME_WAIT holds them */
	s = stats(g, 2 * EV_SEC + GCPNAT_TCP_TIME_WAIT);
	assert_int_equal(gcpnat_vm_ports(g, VM(0)), 32);
	assert_int_equal(s.allocated_ports, 64);  /* VM 1 keeps its first 32 */
	assert_int_equal(s.tuples_held, 0);       /* its SYN, unanswered, went after 30 s */
	gcpnat_free(g);
}

/* The idle timeouts: a SYN never answered goes after 30 s (transitory); an
 * established connection after 1200 s without a segment, not 1199 s. */
static void test_idle_timeouts(void **state)
{
	(void)state;
	gcpnat_cfg c = cfg(1, 1);
	gcpnat *g = gcpnat_new(&c, NULL, "nat.");
	assert_true(syn(g, 0, 40000, 443, 0, NULL));
	assert_false(syn(g, 0, 40001, 443, 29 * EV_SEC, NULL));
	assert_true(syn(g, 0, 40001, 443, 30 * EV_SEC, NULL));
	assert_int_equal(stats(g, 30 * EV_SEC).closed_connections, 1);
	/* answered: established */
	tcp_hop_pkt p;
	assert_true(syn(g, 0, 40001, 443, 30 * EV_SEC, &p));
	assert_true(back(g, &p, TCP_HOP_SYN | TCP_HOP_ACK, 30 * EV_SEC + EV_MS, NULL));
	assert_true(out(g, 0, 40001, 443, TCP_HOP_ACK, 30 * EV_SEC + 2 * EV_MS, NULL));
	ev_time last = 30 * EV_SEC + 2 * EV_MS;
	assert_int_equal(stats(g, last + 1199 * EV_SEC).tuples_held, 1);
	gcpnat_stats s = stats(g, last + 1200 * EV_SEC);
	assert_int_equal(s.tuples_held, 0);
	assert_int_equal(s.closed_connections, 2);
	/* its next segment finds no tuple: dropped, no why */
	tcp_hop_pkt x;
	assert_false(out(g, 0, 40001, 443, TCP_HOP_ACK, last + 1201 * EV_SEC, &x));
	assert_int_equal(x.why, 0);
	assert_false(back(g, &p, TCP_HOP_ACK, last + 1201 * EV_SEC, NULL));
	gcpnat_free(g);
}

/*
 * Steady state: Poisson SYNs from each of n VMs to one destination at rate
 * lambda per VM; a connection lives an exponential time of mean T, then an
 * RST puts its tuple in TIME_WAIT for W.  The formula says each VM carries
 * p / (T + W) connections a second with p ports.  A freed tuple waits for
 * the next SYN, 1 / lambda on average, so the carried rate is
 * p / (T + W + 1 / lambda); lambda = 500 p / (T + W) puts that 0.2 % below
 * the formula.  Both must lie within the replications' 99 % confidence
 * interval of the carried rate.
 */
typedef struct rel {
	double t;
	unsigned vm;
	uint16_t iport;
} rel;

static gint rel_cmp(gconstpointer a, gconstpointer b, gpointer u)
{
	(void)u;
	const rel *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

static double carried_once(unsigned nvm, uint32_t ports, double T, double W, unsigned seed)
{
	const double lambda = 500.0 * ports / (T + W), warm = 10 * (T + W), win = 100 * (T + W);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	gcpnat_cfg c = cfg(1, ports);
	c.time_wait = (ev_time)(W * 1e9);
	gcpnat *g = gcpnat_new(&c, NULL, "nat.");
	GSequence *due = g_sequence_new(g_free);
	double t = 0;
	uint64_t carried = 0;
	uint16_t next_port = 1024;
	for (;;) {
		t += gsl_ran_exponential(rng, 1 / (lambda * nvm));
		if (t >= warm + win)
			break;
		ev_time now = (ev_time)(t * 1e9);
		while (g_sequence_get_length(due)) {
			GSequenceIter *it = g_sequence_get_begin_iter(due);
			rel *r = g_sequence_get(it);
			if (r->t > t)
				break;
			assert_true(out(g, r->vm, r->iport, 443, TCP_HOP_RST, (ev_time)(r->t * 1e9), NULL));
			g_sequence_remove(it);
		}
		unsigned vm = (unsigned)gsl_rng_uniform_int(rng, nvm);
		uint16_t iport = next_port;
		next_port = (uint16_t)(next_port == 65535 ? 1024 : next_port + 1);
		if (syn(g, vm, iport, 443, now, NULL)) {
			rel *r = g_new(rel, 1);
			*r = (rel){ t + gsl_ran_exponential(rng, T), vm, iport };
			g_sequence_insert_sorted(due, r, rel_cmp, NULL);
			if (t >= warm)
				carried++;
		}
	}
	assert_true(stats(g, (ev_time)(t * 1e9)).out_of_resources > 0);
	g_sequence_free(due);
	gcpnat_free(g);
	gsl_rng_free(rng);
	return (double)carried / win / nvm;
}

static void steady(unsigned nvm, uint32_t ports, double *mean, double *hw)
{
	const double T = 1.0, W = 2.0;
	enum { R = 10 };
	double rate[R];
	for (int r = 0; r < R; r++)
		rate[r] = carried_once(nvm, ports, T, W, 20261206u + 97u * (unsigned)r + ports);
	*mean = gsl_stats_mean(rate, 1, R);
	*hw = gsl_cdf_tdist_Pinv(0.995, R - 1) * gsl_stats_sd(rate, 1, R) / sqrt(R);
	double formula = ports / (T + W), lambda = 500.0 * ports / (T + W);
	double renewal = ports / (T + W + 1 / lambda);
	print_message("%u VMs x %u ports: carried %.4f +- %.4f /s per VM, formula p / (T + W) = %.4f, with the "
		      "SYN gap %.4f\n", nvm, ports, *mean, *hw, formula, renewal);
	assert_true(fabs(*mean - renewal) <= *hw);
	assert_true(fabs(*mean - formula) <= *hw);
}

static void test_steady_state_formula(void **state)
{
	(void)state;
	double m4, h4, m8, h8;
	steady(2, 4, &m4, &h4);
	/* twice the ports per VM: twice the rate */
	steady(2, 8, &m8, &h8);
	assert_true(fabs(m8 - 2 * m4) <= h8 + 2 * h4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_ports_per_vm_and_destination),
		cmocka_unit_test(test_vms_per_address),
		cmocka_unit_test(test_time_wait),
		cmocka_unit_test(test_endpoint_independent_mapping),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_idle_timeouts),
		cmocka_unit_test(test_steady_state_formula),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
