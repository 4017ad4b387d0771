/*
 * Tests for the Azure NAT Gateway box (models/natgw_azure.c) at its
 * documented limits on inventories checkable by hand (3 SNAT ports per IP
 * instead of 64,512, 2 connections per destination instead of 50,000):
 * ports per destination, reuse of a port for another destination, the
 * port reuse timers after FIN and RST, the half-open and idle timers, a
 * second public IP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "models/natgw_azure.h"

#define IP1 0xc000020au  /* 192.0.2.10 */
#define IP2 0xc000020bu  /* 192.0.2.11 */
#define CLI(i) (0x0a000000u + (uint32_t)(i))
#define SRV 0xc6336401u  /* 198.51.100.1 */

static const uint32_t ips[2] = { IP1, IP2 };
static gsl_rng *rng;

static azgw *mk(unsigned nips, uint32_t ports, uint32_t per_dest)
{
	azgw_cfg c = { ips, nips, ports, per_dest, AZGW_IDLE_TIMEOUT, AZGW_REUSE_FIN, AZGW_REUSE_RST, AZGW_HALF_OPEN };
	gsl_rng_set(rng, 7);
	return azgw_new(&c, NULL, "nat.", rng);
}

/* A segment from client i (port 40000 + i) to SRV:dport. */
static tcp_hop_pkt seg(unsigned i, uint16_t dport, uint8_t flags)
{
	return (tcp_hop_pkt){ CLI(i), SRV, (uint16_t)(40000 + i), dport, flags, 0, 0, 0 };
}

static bool send(azgw *g, unsigned i, uint16_t dport, uint8_t flags, ev_time now, tcp_hop_pkt *out)
{
	tcp_hop_pkt p = seg(i, dport, flags);
	bool ok = azgw_hop(g, &p, now);
	if (out)
		*out = p;
	return ok;
}

/* The destination's answer to a translated segment t. */
static bool answer(azgw *g, const tcp_hop_pkt *t, uint8_t flags, ev_time now, tcp_hop_pkt *out)
{
	tcp_hop_pkt r = { t->daddr, t->saddr, t->dport, t->sport, flags, 0, 0, 0 };
	bool ok = azgw_hop(g, &r, now);
	if (out)
		*out = r;
	return ok;
}

/* SYN, SYN-ACK, ACK: established (the half-open timer no longer applies). */
static tcp_hop_pkt handshake(azgw *g, unsigned i, uint16_t dport, ev_time now)
{
	tcp_hop_pkt t;
	assert_true(send(g, i, dport, TCP_HOP_SYN, now, &t));
	assert_true(answer(g, &t, TCP_HOP_SYN | TCP_HOP_ACK, now, NULL));
	assert_true(send(g, i, dport, TCP_HOP_ACK, now, NULL));
	return t;
}

/* 3 ports: 3 connections to :443 on 3 distinct ports of the one IP, the
 * 4th fails (Failed, why = nat_fail) and again on retransmission; another
 * destination (:80) reuses one of the same 3 ports at the same time. */
static void test_ports_per_destination(void **state)
{
	(void)state;
	azgw *g = mk(1, 3, AZGW_PER_DEST);
	tcp_hop_pkt t[3];
	for (unsigned i = 0; i < 3; i++) {
		assert_true(send(g, i, 443, TCP_HOP_SYN, EV_SEC, &t[i]));
		assert_int_equal(t[i].saddr, IP1);
		assert_in_range(t[i].sport, 1024, 1026);
	}
	assert_int_not_equal(t[0].sport, t[1].sport);
	assert_int_not_equal(t[1].sport, t[2].sport);
	assert_int_not_equal(t[0].sport, t[2].sport);
	tcp_hop_pkt f;
	assert_false(send(g, 3, 443, TCP_HOP_SYN, EV_SEC, &f));
	assert_int_equal(f.why, TCP_HIT_NAT_FAIL);
	assert_int_equal(azgw_failed(g), 1);
	assert_false(send(g, 3, 443, TCP_HOP_SYN, 2 * EV_SEC, NULL));
	assert_int_equal(azgw_failed(g), 2);
	/* "The same SNAT port can be used to connect to different
	 * destination endpoints at the same time" */
	assert_true(send(g, 3, 80, TCP_HOP_SYN, 2 * EV_SEC, &f));
	assert_in_range(f.sport, 1024, 1026);
	assert_int_equal(azgw_ports_held(g, 2 * EV_SEC), 4);
	/* a retransmitted SYN of a connection that has its port keeps it */
	tcp_hop_pkt again;
	assert_true(send(g, 0, 443, TCP_HOP_SYN, 2 * EV_SEC, &again));
	assert_int_equal(again.sport, t[0].sport);
	azgw_free(g);
}

/* 2 open connections per IP per destination, 10 ports: the 3rd fails;
 * once one closes by RST the next gets a port at once (the 2 count open
 * connections), though the closed one's port stays held down. */
static void test_open_per_destination(void **state)
{
	(void)state;
	azgw *g = mk(1, 10, 2);
	tcp_hop_pkt a = handshake(g, 0, 443, EV_SEC);
	handshake(g, 1, 443, EV_SEC);
	assert_false(send(g, 2, 443, TCP_HOP_SYN, EV_SEC, NULL));
	assert_true(send(g, 0, 443, TCP_HOP_RST, 2 * EV_SEC, NULL));
	tcp_hop_pkt c;
	assert_true(send(g, 2, 443, TCP_HOP_SYN, 2 * EV_SEC, &c));
	assert_int_not_equal(c.sport, a.sport);
	assert_int_equal(azgw_ports_held(g, 2 * EV_SEC), 3);
	azgw_free(g);
}

/* Port reuse timers, one port: after a FIN the port is held down 65 s for
 * its destination, after a RST 16 s; a segment of the closed connection
 * still crosses during the hold-down. */
static void test_reuse_timers(void **state)
{
	(void)state;
	azgw *g = mk(1, 1, AZGW_PER_DEST);
	tcp_hop_pkt t = handshake(g, 0, 443, EV_SEC);
	const ev_time fin = 10 * EV_SEC;
	assert_true(send(g, 0, 443, TCP_HOP_FIN | TCP_HOP_ACK, fin, NULL));
	/* the destination's FIN and the last ACK still cross */
	tcp_hop_pkt r;
	assert_true(answer(g, &t, TCP_HOP_FIN | TCP_HOP_ACK, fin + EV_MS, &r));
	assert_int_equal(r.daddr, CLI(0));
	assert_int_equal(r.dport, 40000);
	assert_true(send(g, 0, 443, TCP_HOP_ACK, fin + 2 * EV_MS, NULL));
	assert_false(send(g, 1, 443, TCP_HOP_SYN, fin + AZGW_REUSE_FIN - 1, NULL));
	assert_int_equal(azgw_ports_held(g, fin + AZGW_REUSE_FIN - 1), 1);
	assert_int_equal(azgw_ports_held(g, fin + AZGW_REUSE_FIN), 0);
	tcp_hop_pkt b = handshake(g, 1, 443, fin + AZGW_REUSE_FIN);
	assert_int_equal(b.sport, t.sport);
	const ev_time rst = 100 * EV_SEC;
	assert_true(answer(g, &b, TCP_HOP_RST, rst, NULL));
	assert_false(send(g, 2, 443, TCP_HOP_SYN, rst + AZGW_REUSE_RST - 1, NULL));
	assert_true(send(g, 2, 443, TCP_HOP_SYN, rst + AZGW_REUSE_RST, NULL));
	assert_int_equal(azgw_failed(g), 2);
	assert_int_equal(azgw_timed_out(g), 0);
	azgw_free(g);
}

/* A client reusing the 4-tuple of a connection in its hold-down (its
 * TIME_WAIT over): the new connection opens on the same port. */
static void test_tuple_reuse(void **state)
{
	(void)state;
	azgw *g = mk(1, 1, AZGW_PER_DEST);
	tcp_hop_pkt t = handshake(g, 0, 443, 0);
	assert_true(send(g, 0, 443, TCP_HOP_FIN | TCP_HOP_ACK, EV_SEC, NULL));
	tcp_hop_pkt u = handshake(g, 0, 443, 62 * EV_SEC);
	assert_int_equal(u.sport, t.sport);
	assert_int_equal(azgw_failed(g), 0);
	/* open again: its port is not freed when the old hold-down would end */
	assert_false(send(g, 1, 443, TCP_HOP_SYN, EV_SEC + AZGW_REUSE_FIN, NULL));
	azgw_free(g);
}

/* Half open: a SYN never answered closes 30 s after its last segment (a
 * retransmission restarts the timer), and the port is free at once. */
static void test_half_open(void **state)
{
	(void)state;
	azgw *g = mk(1, 1, AZGW_PER_DEST);
	assert_true(send(g, 0, 443, TCP_HOP_SYN, 0, NULL));
	assert_true(send(g, 0, 443, TCP_HOP_SYN, EV_SEC, NULL));  /* retransmitted */
	assert_false(send(g, 1, 443, TCP_HOP_SYN, EV_SEC + AZGW_HALF_OPEN - 1, NULL));
	assert_true(send(g, 1, 443, TCP_HOP_SYN, EV_SEC + AZGW_HALF_OPEN, NULL));
	assert_int_equal(azgw_timed_out(g), 1);
	/* the first client's next segment finds no connection: dropped */
	tcp_hop_pkt p;
	assert_false(send(g, 0, 443, TCP_HOP_ACK, EV_SEC + AZGW_HALF_OPEN, &p));
	assert_int_equal(p.why, 0);
	azgw_free(g);
}

/* Idle timeout (4 minutes): traffic restarts it; after 4 idle minutes the
 * connection is gone and its port free for the destination at once. */
static void test_idle_timeout(void **state)
{
	(void)state;
	azgw *g = mk(1, 1, AZGW_PER_DEST);
	tcp_hop_pkt t = handshake(g, 0, 443, 0);
	const ev_time last = 100 * EV_SEC;
	assert_true(answer(g, &t, TCP_HOP_ACK, last, NULL));
	assert_false(send(g, 1, 443, TCP_HOP_SYN, last + AZGW_IDLE_TIMEOUT - 1, NULL));
	assert_int_equal(azgw_timed_out(g), 0);
	assert_true(send(g, 1, 443, TCP_HOP_SYN, last + AZGW_IDLE_TIMEOUT, NULL));
	assert_int_equal(azgw_timed_out(g), 1);
	azgw_free(g);
}

/* Two public IPs of 3 ports: 6 connections to one destination, both IPs
 * used, the 7th fails. */
static void test_second_ip(void **state)
{
	(void)state;
	azgw *g = mk(2, 3, AZGW_PER_DEST);
	unsigned on[2] = { 0, 0 };
	for (unsigned i = 0; i < 6; i++) {
		tcp_hop_pkt t;
		assert_true(send(g, i, 443, TCP_HOP_SYN, EV_SEC, &t));
		assert_true(t.saddr == IP1 || t.saddr == IP2);
		on[t.saddr == IP2]++;
	}
	assert_int_equal(on[0], 3);
	assert_int_equal(on[1], 3);
	assert_false(send(g, 6, 443, TCP_HOP_SYN, EV_SEC, NULL));
	assert_int_equal(azgw_failed(g), 1);
	azgw_free(g);
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_per_destination),
		cmocka_unit_test(test_open_per_destination),
		cmocka_unit_test(test_reuse_timers),
		cmocka_unit_test(test_tuple_reuse),
		cmocka_unit_test(test_half_open),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_second_ip),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	gsl_rng_free(rng);
	return rc;
}
