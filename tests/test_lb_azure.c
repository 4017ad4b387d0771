/*
 * Tests for the Azure load balancer's outbound SNAT (models/lb_azure.c) on
 * allocations checkable by hand (8 ports per instance, the smallest
 * multiple of 8; frontends of 16 ports): the default table, exhaustion per
 * instance and per destination, frontends consumed one at a time, the
 * release timers after FIN and RST, the idle timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "models/lb_azure.h"

#define FE1 0xc000020au  /* 192.0.2.10 */
#define FE2 0xc000020bu  /* 192.0.2.11 */
#define VM(i) (0x0a000000u + (uint32_t)(i))
#define SRV 0xc6336401u  /* 198.51.100.1 */

static const uint32_t fes[2] = { FE1, FE2 };

static azlb *mk(unsigned nfe, unsigned ninst, uint32_t per_inst, uint32_t per_ip)
{
	azlb_cfg c = { fes, nfe, ninst, per_inst, per_ip, AZLB_IDLE_TIMEOUT, AZLB_RELEASE_FIN, AZLB_RELEASE_RST };
	return azlb_new(&c, NULL, "nat.");
}

/* A segment from VM vm, its connection n (port 30000 + n), to SRV:dport. */
static bool send(azlb *g, unsigned vm, unsigned n, uint16_t dport, uint8_t flags, ev_time now, tcp_hop_pkt *out)
{
	tcp_hop_pkt p = { VM(vm), SRV, (uint16_t)(30000 + n), dport, flags, 0, 0, 0 };
	bool ok = azlb_hop(g, &p, now);
	if (out)
		*out = p;
	return ok;
}

/* "Default port allocation table", at each tier's edges. */
static void test_default_table(void **state)
{
	(void)state;
	static const unsigned pool[] = { 1, 50, 51, 100, 101, 200, 201, 400, 401, 800, 801, 1000, 1001, 0 };
	static const uint32_t ports[] = { 1024, 1024, 512, 512, 256, 256, 128, 128, 64, 64, 32, 32, 0, 0 };
	for (unsigned i = 0; i < sizeof pool / sizeof pool[0]; i++)
		assert_int_equal(azlb_default_ports(pool[i]), ports[i]);
}

/* 8 ports per instance, 2 instances: VM 0's 9th flow to :443 fails
 * (SnatConnectionCount Failed, why = nat_fail) while VM 1 still connects
 * (exhaustion is per instance); VM 0 reaches :80 on one of its 8 ports
 * (a port is taken per destination ip:port). */
static void test_per_instance(void **state)
{
	(void)state;
	azlb *g = mk(1, 2, 8, 64000);
	uint32_t mine = 0;  /* VM 0's ports, as bits over 1024.. */
	for (unsigned n = 0; n < 8; n++) {
		tcp_hop_pkt t;
		assert_true(send(g, 0, n, 443, TCP_HOP_SYN, EV_SEC, &t));
		assert_int_equal(t.saddr, FE1);
		assert_in_range(t.sport, 1024, 1031);
		mine |= 1u << (t.sport - 1024);
	}
	assert_int_equal(mine, 0xff);
	tcp_hop_pkt f;
	assert_false(send(g, 0, 8, 443, TCP_HOP_SYN, EV_SEC, &f));
	assert_int_equal(f.why, TCP_HIT_NAT_FAIL);
	assert_int_equal(azlb_failed(g), 1);
	assert_true(send(g, 1, 0, 443, TCP_HOP_SYN, EV_SEC, &f));
	assert_in_range(f.sport, 1032, 1039);
	assert_true(send(g, 0, 8, 80, TCP_HOP_SYN, EV_SEC, &f));
	assert_in_range(f.sport, 1024, 1031);
	assert_int_equal(azlb_ports_held(g, EV_SEC), 10);
	azlb_free(g);
}

/* Frontends of 16 ports, 4 instances of 8: VMs 0 and 1 take the first
 * frontend's ports, VMs 2 and 3 the second's ("consumed one at a time"). */
static void test_frontends_in_turn(void **state)
{
	(void)state;
	azlb *g = mk(2, 4, 8, 16);
	static const uint32_t addr[4] = { FE1, FE1, FE2, FE2 };
	static const uint16_t lo[4] = { 1024, 1032, 1024, 1032 };
	for (unsigned vm = 0; vm < 4; vm++) {
		tcp_hop_pkt t;
		assert_true(send(g, vm, 0, 443, TCP_HOP_SYN, EV_SEC, &t));
		assert_int_equal(t.saddr, addr[vm]);
		assert_in_range(t.sport, lo[vm], lo[vm] + 7);
		/* the reply finds its way back */
		tcp_hop_pkt r = { SRV, t.saddr, 443, t.sport, TCP_HOP_SYN | TCP_HOP_ACK, 0, 0, 0 };
		assert_true(azlb_hop(g, &r, EV_SEC));
		assert_int_equal(r.daddr, VM(vm));
		assert_int_equal(r.dport, 30000);
	}
	azlb_free(g);
}

/* Release timers, 8 ports all in use to :443: a FIN releases its port
 * 240 s later, a RST 15 s later; an idle flow's port goes at 4 minutes. */
static void test_release(void **state)
{
	(void)state;
	azlb *g = mk(1, 1, 8, 64000);
	for (unsigned n = 0; n < 8; n++)
		assert_true(send(g, 0, n, 443, TCP_HOP_SYN, 0, NULL));
	const ev_time t0 = 10 * EV_SEC;
	/* flow 0 FIN at t0: flows 1..7 see traffic until t0 */
	for (unsigned n = 1; n < 8; n++)
		assert_true(send(g, 0, n, 443, TCP_HOP_ACK, t0, NULL));
	assert_true(send(g, 0, 0, 443, TCP_HOP_FIN | TCP_HOP_ACK, t0, NULL));
	assert_true(send(g, 0, 1, 443, TCP_HOP_RST, t0, NULL));
	/* the RST's port at t0 + 15 s, then the FIN's at t0 + 240 s */
	assert_false(send(g, 0, 8, 443, TCP_HOP_SYN, t0 + AZLB_RELEASE_RST - 1, NULL));
	assert_true(send(g, 0, 8, 443, TCP_HOP_SYN, t0 + AZLB_RELEASE_RST, NULL));
	/* flows 2..7 go idle at t0 + 4 min; keep flow 8 and 2 alive */
	const ev_time keep = t0 + 200 * EV_SEC;
	assert_true(send(g, 0, 8, 443, TCP_HOP_ACK, keep, NULL));
	assert_true(send(g, 0, 2, 443, TCP_HOP_ACK, keep, NULL));
	assert_false(send(g, 0, 9, 443, TCP_HOP_SYN, t0 + AZLB_RELEASE_FIN - 1, NULL));
	assert_true(send(g, 0, 9, 443, TCP_HOP_SYN, t0 + AZLB_RELEASE_FIN, NULL));
	/* 3..7 idle since t0: all released at t0 + 4 min = t0 + 240 s too */
	assert_int_equal(azlb_ports_held(g, t0 + AZLB_IDLE_TIMEOUT), 3);
	assert_int_equal(azlb_failed(g), 2);
	azlb_free(g);
}

/* An instance reusing the 4-tuple of a flow not yet released (its
 * TIME_WAIT of 60 s is over, the 240 s are not): it opens again on its
 * port, and the release timer no longer runs. */
static void test_tuple_reuse(void **state)
{
	(void)state;
	azlb *g = mk(1, 1, 8, 64000);
	tcp_hop_pkt a, b;
	assert_true(send(g, 0, 0, 443, TCP_HOP_SYN, 0, &a));
	assert_true(send(g, 0, 0, 443, TCP_HOP_FIN | TCP_HOP_ACK, EV_SEC, NULL));
	assert_true(send(g, 0, 0, 443, TCP_HOP_SYN, 62 * EV_SEC, &b));
	assert_int_equal(b.sport, a.sport);
	assert_int_equal(azlb_ports_held(g, EV_SEC + AZLB_RELEASE_FIN), 1);
	azlb_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_table),
		cmocka_unit_test(test_per_instance),
		cmocka_unit_test(test_frontends_in_turn),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_tuple_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
