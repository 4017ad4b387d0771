/*
 * Tests for the TCP lifecycle model (models/tcp.c, tw.c, tsc.c, tcpm.c):
 * timed segment scripts in the spirit of packetdrill's gtests/net/tcp/close,
 * one test per rule of doc/kernel-rules.md §2-§5, small enough to check by hand.
 *
 * Topology: a client 10.0.0.1 and a server 10.0.0.2 listening on port 80,
 * each on a 1 ms link, so a segment takes 2 ms (RTT 4 ms, RTO 204 ms,
 * 3.5 RTO = 714 ms).  A connect() at t = 0 goes:
 *
 *	 0 ms  client SYN
 *	 2 ms  server SYN_RECV, SYN-ACK
 *	 4 ms  client ESTABLISHED ("connected"), ACK
 *	 6 ms  server ESTABLISHED ("accepted")
 *
 * Client closes first at 4 ms: FIN; 6 ms server CLOSE_WAIT -> LAST_ACK
 * (FIN+ACK); 8 ms client TIME_WAIT, ACK; 10 ms server CLOSE.
 * Server closes first at 6 ms: FIN; 8 ms client CLOSE_WAIT -> LAST_ACK;
 * 10 ms server TIME_WAIT, ACK; 12 ms client CLOSE.
 *
 * Scripts step the engine with ev_run(L, t) and then call the API at t.
 * Where a test needs something the public API cannot express (the clock of
 * a different machine behind the same address, one lost segment), it
 * reaches into tcp_int.h and says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "models/tcp_int.h"
#include "sim/ev.h"
#include "sim/probe.h"
#include "sim/rng.h"

#define MS EV_MS
#define SEC EV_SEC
#define CADDR 0x0a000001u /* 10.0.0.1 */
#define SADDR 0x0a000002u /* 10.0.0.2 */
#define LOADDR 0x7f000001u /* 127.0.0.1 */
#define DPORT 80
#define SEED 20240611u

#define CLI_TW_AT (8 * MS)  /* client closes first: client TIME_WAIT from here */
#define SRV_TW_AT (10 * MS) /* server closes first: server TIME_WAIT from here */
#define CLI_FREE_AT (12 * MS) /* ... and the client's LAST_ACK socket is gone */

/* ---- fixture ------------------------------------------------------------- */

typedef struct fx {
	ev_loop *L;
	probe_set *ps;
	tcp_net *n;
	int cli, srv;
	/* what the applications do */
	ev_time cli_close;  /* close() this long after ESTABLISHED; EV_FOREVER: never */
	bool cli_abort;
	ev_time srv_close;  /* the server's close() this long after accept */
	bool srv_abort;
	ev_time peer_delay; /* peer_closed's answer: close() this long after the FIN */
	/* what happened */
	unsigned connected, accepted, failed, peer_closed;
	int err;
	ev_time setup, connected_at, failed_at;
	uint16_t lport; /* of the last connection established */
	GString *trace;
} fx;

static tcp_host *H(const fx *f, int h)
{
	return &f->n->hosts[h];
}

static uint16_t sk_lport(const fx *f, uint32_t sk)
{
	const sock *s = pool_at(&f->n->socks, sk);
	return s->node.t.lport;
}

static void on_connected(void *ctx, int host, uint32_t sk, uint64_t setup_ns)
{
	fx *f = ctx;
	f->connected++;
	f->setup = setup_ns;
	f->connected_at = ev_now(f->L);
	f->lport = sk_lport(f, sk);
	g_string_append_printf(f->trace, "%" PRIu64 " h%d connected lport %u setup %" PRIu64 "\n",
			       f->connected_at, host, f->lport, setup_ns);
	if (f->cli_close != EV_FOREVER)
		tcp_close_after(f->n, sk, f->cli_close, f->cli_abort);
}

static void on_failed(void *ctx, int host, int err, uint64_t started_ns)
{
	fx *f = ctx;
	f->failed++;
	f->err = err;
	f->failed_at = ev_now(f->L);
	g_string_append_printf(f->trace, "%" PRIu64 " h%d failed %d started %" PRIu64 "\n", f->failed_at, host,
			       err, started_ns);
}

static void on_accepted(void *ctx, int host, uint32_t sk)
{
	fx *f = ctx;
	f->accepted++;
	g_string_append_printf(f->trace, "%" PRIu64 " h%d accepted from %u\n", ev_now(f->L), host,
			       ((const sock *)pool_at(&f->n->socks, sk))->node.t.fport);
	if (f->srv_close != EV_FOREVER)
		tcp_close_after(f->n, sk, f->srv_close, f->srv_abort);
}

static ev_time on_peer_closed(void *ctx, int host, uint32_t sk, bool client)
{
	fx *f = ctx;
	f->peer_closed++;
	g_string_append_printf(f->trace, "%" PRIu64 " h%d peer closed (%s) lport %u\n", ev_now(f->L), host,
			       client ? "client" : "server", sk_lport(f, sk));
	return f->peer_delay;
}

static fx *fx_new(uint64_t seed)
{
	fx *f = g_new0(fx, 1);
	f->L = ev_loop_new(NULL);
	f->ps = probe_set_new();
	tcp_app app = { f, on_connected, on_failed, on_accepted, on_peer_closed, NULL };  /* no setup_hits */
	f->n = tcp_net_new(f->L, f->ps, seed, 0, &app);
	f->cli = f->srv = -1;
	f->cli_close = f->srv_close = EV_FOREVER;
	f->trace = g_string_new(NULL);
	return f;
}

static void fx_free(fx *f)
{
	tcp_net_free(f->n);
	probe_set_free(f->ps);
	ev_loop_free(f->L);
	g_string_free(f->trace, TRUE);
	g_free(f);
}

/* A host's settings filled by hand: HZ 250, 8 ports 40000-40007, timestamps
 * on, tw_reuse off, everything else at the kernel default. */
static void kc_init(kconf *k, const char *profile)
{
	memset(k, 0, sizeof(*k));
	k->prof = prof_find(profile);
	assert_non_null(k->prof);
	k->hz = 250;
	k->mem_bytes = 1ull << 30;
	k->ehash_entries = 1024;
	k->port_lo = 40000;
	k->port_hi = 40007;
	k->tw_reuse = 0;
	k->tw_reuse_delay_ms = 1000;
	k->timestamps = 1;
	k->fin_timeout_s = 60;
	k->max_tw_buckets = 512;
	k->syn_retries = 6;
	k->synack_retries = 5;
}

static int add_host(fx *f, const char *role, const kconf *k, uint32_t addr, ev_time link_delay, double loss)
{
	int id = tcp_host_add(f->n, role, k, &addr, 1, link_delay, loss);
	assert_true(id >= 0);
	return id;
}

/* The standard pair: client 10.0.0.1, server 10.0.0.2 listening on 80. */
static void pair(fx *f, const kconf *kc, const kconf *ks)
{
	f->cli = add_host(f, "client", kc, CADDR, 1 * MS, 0);
	f->srv = add_host(f, "server", ks, SADDR, 1 * MS, 0);
	assert_int_equal(tcp_listen(f->n, f->srv, DPORT), 0);
}

static int conn_to(fx *f, uint32_t daddr, uint16_t dport, uint16_t *lport)
{
	tcp_connect_opts o = { 0 };
	uint32_t sk;
	int r = tcp_connect(f->n, f->cli, daddr, dport, &o, &sk);
	if (r == 0 && lport)
		*lport = sk_lport(f, sk);
	return r;
}

static int conn(fx *f)
{
	return conn_to(f, SADDR, DPORT, NULL);
}

static void run_to(fx *f, ev_time t)
{
	ev_run(f->L, t);
	assert_true(ev_now(f->L) == t);
}

/* A counter by name; a typo fails instead of creating a new counter. */
static uint64_t ctr(const fx *f, const char *name)
{
	for (size_t i = 0; i < probe_ncounters(f->ps); i++)
		if (!strcmp(probe_counter_name(f->ps, i), name))
			return probe_counter_value(f->ps, i);
	fail_msg("no counter %s", name);
	return 0;
}

static tcp_host_stats st(const fx *f, int h)
{
	tcp_host_stats s;
	tcp_host_stats_get(f->n, h, &s);
	return s;
}

/* Runs to from, then steps: the first from + i * step at which the host has
 * fewer than tw timewait minisockets; limit if none. */
static ev_time tw_drop_time(fx *f, int h, uint32_t tw, ev_time from, ev_time step, ev_time limit)
{
	ev_time t = from;
	run_to(f, t);
	while (st(f, h).tw >= tw && t < limit) {
		t += step;
		run_to(f, t);
	}
	return t;
}

/* ---- 1. port exhaustion, client closes first (§2.3, §2.6, §9.1) ---------- */

/*
 * 8 ports, every connection closed by the client on ESTABLISHED: 8 connects
 * succeed, the 9th fails with EADDRNOTAVAIL while the 8 TIME_WAITs live
 * (60 s, rounded up to the wheel level's 512 jiffies = 2.048 s at HZ 250),
 * and succeeds once they expire.  TcpExtTW (LINUX_MIB_TIMEWAITED) is counted
 * when the minisocket's timer is first armed from 5.18 on
 * (__inet_twsk_schedule), when it fires before (tw_timer_handler).
 */
static void test_exhaustion_client_close(void **state)
{
	(void)state;
	static const char *const profiles[] = { "current", "5.15" };
	for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
		bool mib_at_schedule = p == 0;
		fx *f = fx_new(SEED);
		kconf k;
		kc_init(&k, profiles[p]);
		pair(f, &k, &k);
		f->cli_close = 0;
		for (int i = 0; i < 8; i++)
			assert_int_equal(conn(f), 0);
		assert_int_equal(conn(f), -EADDRNOTAVAIL);  /* 8 live sockets */
		assert_int_equal(ctr(f, "client.TcpActiveOpens"), 8);

		run_to(f, CLI_TW_AT);
		tcp_host_stats c = st(f, f->cli);
		assert_int_equal(c.tw, 8);
		assert_int_equal(c.tw_fw2, 0);
		assert_int_equal(c.sockets, 0);
		assert_int_equal(c.ports_in_use, 8);
		assert_int_equal(ctr(f, "client.TcpExtTW"), mib_at_schedule ? 8 : 0);
		run_to(f, 10 * MS);  /* the server's LAST_ACK sockets are gone, no TIME_WAIT there */
		assert_int_equal(st(f, f->srv).sockets, 0);
		assert_int_equal(st(f, f->srv).tw, 0);
		assert_int_equal(ctr(f, "server.TcpPassiveOpens"), 8);
		assert_int_equal(ctr(f, "server.TcpExtTW"), 0);

		static const ev_time probes[] = { 1 * SEC, 30 * SEC, CLI_TW_AT + 60 * SEC };
		for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
			run_to(f, probes[i]);
			assert_int_equal(conn(f), -EADDRNOTAVAIL);
			assert_int_equal(st(f, f->cli).tw, 8);
		}
		assert_int_equal(ctr(f, "client.TcpExtTW"), mib_at_schedule ? 8 : 0);

		/* All 8 entered at 8 ms: they expire together in (60, 62.048] s. */
		ev_time t = tw_drop_time(f, f->cli, 8, CLI_TW_AT + 60 * SEC, MS, 70 * SEC);
		assert_true(t > CLI_TW_AT + 60 * SEC);
		assert_true(t <= CLI_TW_AT + 62048 * MS + MS);
		assert_int_equal(st(f, f->cli).tw, 0);
		assert_int_equal(st(f, f->cli).ports_in_use, 0);
		assert_int_equal(ctr(f, "client.TcpExtTW"), 8);
		assert_int_equal(ctr(f, "client.TcpExtTWKilled"), 0);
		assert_int_equal(conn(f), 0);
		run_to(f, t + 4 * MS);
		assert_int_equal(f->connected, 9);
		assert_int_equal(f->failed, 0);
		fx_free(f);
	}
}

/*
 * SO_REUSEADDR on a socket whose port connect() chooses (with and without an
 * address bound first): the bind bucket's owner keeps sk_reuse whichever call
 * added it (__inet_hash_connect -> inet_bind_hash), and so does its TIME_WAIT
 * (inet_twsk_alloc copies tw_reuse), so the ports come back when the TIME_WAITs
 * die, without tripping the bucket's bookkeeping; the other socket, a live
 * connect() without SO_REUSEADDR, shares nothing it should not.
 */
static void test_reuseaddr_connect_owner(void **state)
{
	(void)state;
	for (int bind_addr = 0; bind_addr < 2; bind_addr++) {
		fx *f = fx_new(SEED);
		kconf k;
		kc_init(&k, "current");
		pair(f, &k, &k);
		f->cli_close = 0;
		tcp_connect_opts o = { .saddr = bind_addr ? CADDR : 0, .bind_port0 = false, .reuseaddr = true };
		uint32_t sk;
		for (int i = 0; i < 8; i++)
			assert_int_equal(tcp_connect(f->n, f->cli, SADDR, DPORT, &o, &sk), 0);
		run_to(f, CLI_TW_AT);
		assert_int_equal(st(f, f->cli).tw, 8);
		assert_int_equal(st(f, f->cli).ports_in_use, 8);
		ev_time t = tw_drop_time(f, f->cli, 8, CLI_TW_AT + 60 * SEC, MS, 70 * SEC);
		assert_true(t < 70 * SEC);
		assert_int_equal(st(f, f->cli).tw, 0);
		assert_int_equal(st(f, f->cli).ports_in_use, 0);
		/* and a socket that dies before TIME_WAIT (closed in SYN_SENT's
		 * stead: reset by the server's missing listener) releases too */
		assert_int_equal(tcp_connect(f->n, f->cli, SADDR, DPORT + 1, &o, &sk), 0);
		run_to(f, t + 10 * MS);
		assert_int_equal(f->err, -ECONNREFUSED);
		assert_int_equal(st(f, f->cli).ports_in_use, 0);
		fx_free(f);
	}
}

/* ---- 2. tcp_tw_reuse = 1 and its time condition per era (§4) -------------- */

/*
 * When connect() may take over a TIME_WAIT (tcp_twsk_unique), all 8 entered at
 * CLI_TW_AT with the last peer timestamp received then:
 *   current (6.14+): tcp_clock_ms() > tw_entry_stamp + tcp_tw_reuse_delay;
 *   5.15 (4.19-6.13): ktime_get_seconds() > ts_recent_stamp;
 *   4.4 (<= 4.18):   get_seconds() - ts_recent_stamp > 1.
 * Seconds and milliseconds tick at the host's own phase: the boundaries are
 * computed from its clock.
 */
static ev_time reuse_boundary(const fx *f, const char *profile)
{
	const tsc *c = &H(f, f->cli)->ts;
	if (!strcmp(profile, "current"))
		return (tsc_ms(c, CLI_TW_AT) + 1000 + 1) * MS - c->boot_ns;
	uint64_t s0 = tsc_seconds(c, CLI_TW_AT);
	return (s0 + (!strcmp(profile, "5.15") ? 1 : 2)) * SEC - c->boot_ns;
}

static void reuse_case(const char *profile, uint64_t seed)
{
	fx *f = fx_new(seed);
	kconf k;
	kc_init(&k, profile);
	k.tw_reuse = 1;
	pair(f, &k, &k);
	f->cli_close = 0;
	for (int i = 0; i < 8; i++)
		assert_int_equal(conn(f), 0);
	run_to(f, CLI_TW_AT);
	assert_int_equal(st(f, f->cli).tw, 8);

	ev_time b = reuse_boundary(f, profile);
	/* connect()'s scans skip a refused TIME_WAIT until the instant
	 * tcp__twsk_reusable_at gives: that is the boundary, for each one */
	for (uint16_t p = 40000; p <= 40007; p++) {
		tuple4 t = { CADDR, SADDR, p, DPORT };
		uint32_t ref = ehash_lookup(H(f, f->cli)->eh, &t);
		assert_true(ref != EH_NIL && (ref & EH_TW));
		assert_int_equal(tcp__twsk_reusable_at(f->n, H(f, f->cli), ref & ~EH_TW), b);
	}
	if (!strcmp(profile, "current")) {
		assert_true(b > CLI_TW_AT + 1000 * MS && b <= CLI_TW_AT + 1001 * MS);
	} else if (!strcmp(profile, "5.15")) {
		assert_true(b > CLI_TW_AT && b <= CLI_TW_AT + 1 * SEC);
	} else {
		assert_true(b > CLI_TW_AT + 1 * SEC && b <= CLI_TW_AT + 2 * SEC);
	}
	run_to(f, b - 1);
	assert_int_equal(conn(f), -EADDRNOTAVAIL);
	assert_int_equal(ctr(f, "client.TcpExtTWRecycled"), 0);
	run_to(f, b);
	uint16_t port;
	assert_int_equal(conn_to(f, SADDR, DPORT, &port), 0);
	assert_true(port >= 40000 && port <= 40007);
	assert_int_equal(ctr(f, "client.TcpExtTWRecycled"), 1);
	assert_int_equal(st(f, f->cli).tw, 7);
	assert_int_equal(st(f, f->cli).ports_in_use, 8);
	/* The new SYN (ISN = tw_snd_nxt + 65537) meets no state at the server. */
	run_to(f, b + 4 * MS);
	assert_int_equal(f->connected, 9);
	assert_int_equal(f->setup, 4 * MS);
	run_to(f, b + 8 * MS);
	assert_int_equal(st(f, f->cli).tw, 8);
	assert_int_equal(ctr(f, "client.TcpExtTCPSynRetrans"), 0);
	fx_free(f);
}

static void test_tw_reuse_eras(void **state)
{
	(void)state;
	for (uint64_t s = 0; s < 4; s++) {
		reuse_case("current", SEED + s);
		reuse_case("5.15", SEED + s);
		reuse_case("4.4", SEED + s);
	}
}

/* tcp_tw_reuse_delay = 1 ms (6.14+): reuse 1 ms after TIME_WAIT entry. */
static void test_tw_reuse_delay_sysctl(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	k.tw_reuse = 1;
	k.tw_reuse_delay_ms = 1;
	pair(f, &k, &k);
	f->cli_close = 0;
	for (int i = 0; i < 8; i++)
		assert_int_equal(conn(f), 0);
	run_to(f, CLI_TW_AT);
	assert_int_equal(conn(f), -EADDRNOTAVAIL);  /* tcp_clock_ms() == entry */
	run_to(f, CLI_TW_AT + 2 * MS);
	assert_int_equal(conn(f), 0);
	assert_int_equal(ctr(f, "client.TcpExtTWRecycled"), 1);
	fx_free(f);
}

/* ---- 3. tcp_tw_reuse = 2: loopback only (§4 step 3) ------------------------ */

static void test_tw_reuse_loopback(void **state)
{
	(void)state;
	/* One host is client and server on 127.0.0.1. */
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	k.tw_reuse = 2;
	f->cli = f->srv = add_host(f, "client", &k, LOADDR, 1 * MS, 0);
	assert_int_equal(tcp_listen(f->n, f->cli, DPORT), 0);
	f->cli_close = 0;
	for (int i = 0; i < 8; i++)
		assert_int_equal(conn_to(f, LOADDR, DPORT, NULL), 0);
	run_to(f, CLI_TW_AT);
	assert_int_equal(st(f, f->cli).tw, 8);
	assert_int_equal(conn_to(f, LOADDR, DPORT, NULL), -EADDRNOTAVAIL);
	run_to(f, CLI_TW_AT + 1002 * MS);
	assert_int_equal(conn_to(f, LOADDR, DPORT, NULL), 0);
	assert_int_equal(ctr(f, "client.TcpExtTWRecycled"), 1);
	run_to(f, 2 * SEC);
	assert_int_equal(f->connected, 9);
	fx_free(f);

	/* The same setting between two 10.x hosts: no reuse until expiry. */
	f = fx_new(SEED);
	kc_init(&k, "current");
	k.tw_reuse = 2;
	pair(f, &k, &k);
	f->cli_close = 0;
	for (int i = 0; i < 8; i++)
		assert_int_equal(conn(f), 0);
	static const ev_time probes[] = { 1100 * MS, 10 * SEC, 59 * SEC };
	for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
		run_to(f, probes[i]);
		assert_int_equal(conn(f), -EADDRNOTAVAIL);
	}
	assert_int_equal(ctr(f, "client.TcpExtTWRecycled"), 0);
	fx_free(f);
}

/* ---- 4. no timestamps, no reuse (§4 step 4: tw_ts_recent_stamp == 0) ------- */

static void no_reuse_case(const char *profile, int tw_reuse, int cli_ts, int srv_ts, bool loopback)
{
	fx *f = fx_new(SEED);
	kconf kc, ks;
	kc_init(&kc, profile);
	kc.tw_reuse = tw_reuse;
	kc.timestamps = cli_ts;
	ks = kc;
	ks.timestamps = srv_ts;
	uint32_t daddr = SADDR;
	if (loopback) {
		f->cli = f->srv = add_host(f, "client", &kc, LOADDR, 1 * MS, 0);
		assert_int_equal(tcp_listen(f->n, f->cli, DPORT), 0);
		daddr = LOADDR;
	} else {
		pair(f, &kc, &ks);
	}
	f->cli_close = 0;
	for (int i = 0; i < 8; i++)
		assert_int_equal(conn_to(f, daddr, DPORT, NULL), 0);
	static const ev_time probes[] = { 3 * SEC, 30 * SEC, 60 * SEC };
	for (size_t i = 0; i < G_N_ELEMENTS(probes); i++) {
		run_to(f, probes[i]);
		assert_int_equal(st(f, f->cli).tw, 8);
		assert_int_equal(conn_to(f, daddr, DPORT, NULL), -EADDRNOTAVAIL);
	}
	assert_int_equal(ctr(f, "client.TcpExtTWRecycled"), 0);
	fx_free(f);
}

static void test_no_timestamps_no_reuse(void **state)
{
	(void)state;
	no_reuse_case("current", 1, 0, 0, false);
	no_reuse_case("current", 2, 0, 0, true);
	no_reuse_case("5.15", 1, 0, 0, false);
	no_reuse_case("4.4", 1, 0, 0, false);
	/* The client offers timestamps, the server does not: not negotiated. */
	no_reuse_case("current", 1, 1, 0, false);
}

/* ---- 5. odd-size range, and one pool per destination (§3.2) --------------- */

/*
 * __inet_hash_connect (5.18+): high++ ; remaining = (high - low) & ~1;
 * offset = (...) % remaining, & ~1 ; port = low + offset, port += 2 and
 * "if (port >= high) port -= remaining".  With 40000-40008 (9 ports) a scan
 * visits 8 of them: 40000-40007 when the pass-1 offset is 0, 40001-40008
 * otherwise.  So the top port *is* handed out (the wrap test is against
 * high, not low + remaining), and a 9th simultaneous connection to one
 * destination can succeed; a 10th never can.  (doc/kernel-rules.md §3.2 step 3
 * says the top port is never chosen: that does not follow from this code.)
 * The 4.2-4.5 sequential scan has no parity rounding and uses all 9.
 */
static void test_odd_range(void **state)
{
	(void)state;
	bool top_seen = false;
	unsigned nine = 0;
	for (uint64_t s = 0; s < 16; s++) {
		fx *f = fx_new(SEED + s);
		kconf k;
		kc_init(&k, "current");
		k.port_hi = 40008;
		pair(f, &k, &k);
		assert_int_equal(st(f, f->cli).port_usable, 8);
		uint32_t held = 0;
		for (int i = 0; i < 8; i++) {
			uint16_t p;
			assert_int_equal(conn_to(f, SADDR, DPORT, &p), 0);
			assert_true(p >= 40000 && p <= 40008);
			assert_false(held & (1u << (p - 40000)));
			held |= 1u << (p - 40000);
		}
		uint16_t p;
		int r = conn_to(f, SADDR, DPORT, &p);
		if (r == 0) {
			nine++;
			held |= 1u << (p - 40000);
		} else {
			assert_int_equal(r, -EADDRNOTAVAIL);
		}
		assert_int_equal(conn(f), -EADDRNOTAVAIL);
		top_seen = top_seen || (held & (1u << 8));
		fx_free(f);
	}
	assert_true(top_seen);
	/* A 9th connection to one destination: possible when the free port is
	 * among the 8 its scan visits, not otherwise. */
	assert_true(nine > 0 && nine < 16);

	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "4.4");
	k.port_hi = 40008;
	pair(f, &k, &k);
	assert_int_equal(st(f, f->cli).port_usable, 9);
	for (int i = 0; i < 9; i++)
		assert_int_equal(conn(f), 0);
	assert_int_equal(conn(f), -EADDRNOTAVAIL);
	fx_free(f);
}

/* Two destinations (two server ports) each get the whole range: ports are
 * shared between 4-tuples that differ in the destination. */
static void test_two_destinations(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	pair(f, &k, &k);
	assert_int_equal(tcp_listen(f->n, f->srv, DPORT + 1), 0);
	f->cli_close = 0;
	uint32_t a = 0, b = 0;
	for (int i = 0; i < 8; i++) {
		uint16_t p;
		assert_int_equal(conn_to(f, SADDR, DPORT, &p), 0);
		a |= 1u << (p - 40000);
	}
	assert_int_equal(conn_to(f, SADDR, DPORT, NULL), -EADDRNOTAVAIL);
	run_to(f, CLI_TW_AT);
	assert_int_equal(st(f, f->cli).tw, 8);
	for (int i = 0; i < 8; i++) {
		uint16_t p;
		assert_int_equal(conn_to(f, SADDR, DPORT + 1, &p), 0);
		b |= 1u << (p - 40000);
	}
	assert_int_equal(a, 0xff);
	assert_int_equal(b, 0xff);
	assert_int_equal(conn_to(f, SADDR, DPORT + 1, NULL), -EADDRNOTAVAIL);
	assert_int_equal(conn_to(f, SADDR, DPORT, NULL), -EADDRNOTAVAIL);
	run_to(f, 2 * CLI_TW_AT);
	assert_int_equal(st(f, f->cli).tw, 16);
	assert_int_equal(st(f, f->cli).ports_in_use, 8);
	assert_int_equal(f->connected, 16);
	fx_free(f);
}

/* ---- 6. tcp_max_tw_buckets overflow (§2.5) -------------------------------- */

static void test_tw_overflow(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	k.port_hi = 40003;
	k.max_tw_buckets = 2;
	pair(f, &k, &k);
	f->cli_close = 0;
	uint16_t port[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(conn_to(f, SADDR, DPORT, &port[i]), 0);
	run_to(f, CLI_TW_AT);
	tcp_host_stats c = st(f, f->cli);
	assert_int_equal(c.tw, 2);
	assert_int_equal(c.sockets, 0);
	assert_int_equal(ctr(f, "client.TcpExtTCPTimeWaitOverflow"), 1);
	assert_int_equal(ctr(f, "client.TcpExtTW"), 2);
	/* The third to close overflowed: its port has no owner left. */
	assert_int_equal(c.ports_in_use, 2);
	assert_int_equal(port_owners(H(f, f->cli)->ports, port[0]), 1);
	assert_int_equal(port_owners(H(f, f->cli)->ports, port[1]), 1);
	assert_int_equal(port_owners(H(f, f->cli)->ports, port[2]), 0);
	/* Two ports are free now: the overflowed one and the never used one. */
	f->cli_close = EV_FOREVER;
	uint16_t p4, p5;
	assert_int_equal(conn_to(f, SADDR, DPORT, &p4), 0);
	assert_int_equal(conn_to(f, SADDR, DPORT, &p5), 0);
	assert_true(p4 == port[2] || p5 == port[2]);
	assert_int_equal(conn(f), -EADDRNOTAVAIL);
	fx_free(f);
}

/* ---- 7. the server closes first (§2.3 passive closer) ---------------------- */

static void test_server_closes_first(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	k.port_hi = 40000;  /* one port: a new connect() must take the same one */
	pair(f, &k, &k);
	f->srv_close = 0;
	f->peer_delay = 0;
	uint16_t p1, p2;
	assert_int_equal(conn_to(f, SADDR, DPORT, &p1), 0);
	run_to(f, SRV_TW_AT);
	assert_int_equal(st(f, f->srv).tw, 1);
	assert_int_equal(st(f, f->cli).sockets, 1);  /* LAST_ACK */
	assert_int_equal(f->peer_closed, 1);
	run_to(f, CLI_FREE_AT);
	tcp_host_stats c = st(f, f->cli);
	assert_int_equal(c.sockets, 0);
	assert_int_equal(c.tw, 0);
	assert_int_equal(c.ports_in_use, 0);
	assert_int_equal(ctr(f, "client.TcpExtTW"), 0);
	assert_int_equal(ctr(f, "server.TcpExtTW"), 1);
	/* The same client port, at once. */
	assert_int_equal(conn_to(f, SADDR, DPORT, &p2), 0);
	assert_int_equal(p1, 40000);
	assert_int_equal(p2, 40000);
	run_to(f, CLI_FREE_AT + 4 * MS);
	assert_int_equal(f->connected, 2);
	assert_int_equal(f->setup, 4 * MS);
	fx_free(f);
}

/* ---- 8. a SYN meeting a server TIME_WAIT (§2.7, §2.8) ---------------------- */

/* Server closes first on a one-port client: returns the fixture with the
 * server's TIME_WAIT on the 4-tuple and the client's port free. */
static fx *server_tw(uint64_t seed, const kconf *kc, const kconf *ks)
{
	fx *f = fx_new(seed);
	pair(f, kc, ks);
	f->srv_close = 0;
	f->peer_delay = 0;
	assert_int_equal(conn(f), 0);
	run_to(f, CLI_FREE_AT);
	assert_int_equal(st(f, f->srv).tw, 1);
	assert_int_equal(st(f, f->cli).ports_in_use, 0);
	f->srv_close = EV_FOREVER;
	return f;
}

static void one_port(kconf *k, const char *profile)
{
	kc_init(k, profile);
	k->port_hi = 40000;
}

/* The timer wheel's granularity for a delay of d_j jiffies (kernel/time/
 * timer.c, calc_wheel_index: LVL_CLK_SHIFT 3, LVL_BITS 6, level n from
 * LVL_START(n) = 63 << 3 (n - 1), granularity 8^n jiffies), in time. */
static ev_time wheel_gran(unsigned hz, uint64_t d_j)
{
	uint64_t gran = 1;
	for (uint64_t start = 63; d_j >= start && gran < (1ull << 21); start <<= 3)
		gran <<= 3;
	return gran == 1 ? 0 : (ev_time)(gran * EV_SEC / hz);
}

/* A SYN re-armed at TCP_TIMEOUT_MIN (2 jiffies) after the RST, 4 ms after
 * it was sent on 1 ms links: it fires on the second jiffy boundary, and the
 * connection is up one RTT later. */
static void assert_quick_setup(const fx *f, unsigned hz)
{
	ev_time j = EV_SEC / hz;
	assert_true(f->setup > 4 * MS + j + 4 * MS && f->setup <= 4 * MS + 2 * j + 4 * MS);
}

/* Same client, timestamps on: its TSval is newer (same host pair, same
 * offset): TCP_TW_SYN, reopened with no delay. */
static void test_syn_tw_timestamps(void **state)
{
	(void)state;
	kconf k;
	one_port(&k, "current");
	fx *f = server_tw(SEED, &k, &k);
	run_to(f, 1 * SEC);
	assert_int_equal(conn(f), 0);
	run_to(f, 1 * SEC + 4 * MS);
	assert_int_equal(f->connected, 2);
	assert_int_equal(f->setup, 4 * MS);
	assert_int_equal(ctr(f, "server.tw_syn_reopen"), 1);
	assert_int_equal(ctr(f, "server.syn_hit_timewait"), 0);
	assert_int_equal(st(f, f->srv).tw, 0);
	fx_free(f);
}

/*
 * No timestamps: the SYN reopens iff its ISN is after tw_rcv_nxt.  The ISN
 * clock runs at one unit per 64 ns; the old connection consumed R + 2 units
 * (SYN, R bytes, FIN).  With R = 10^8 the new ISN passes rcv_nxt about
 * (R + 2) * 64 ns = 6.4 s after the first connect().  Earlier: ACK from the
 * TIME_WAIT, RST from the client (seq = that ACK's ack), the TIME_WAIT dies
 * (rfc1337 = 0) and the SYN retransmission 1 s later connects.
 */
static void isn_case(const char *profile, ev_time when, bool reopens)
{
	kconf k;
	one_port(&k, profile);
	k.timestamps = 0;
	fx *f = fx_new(SEED);
	tcp_set_data_bytes(f->n, 100000000u, 1000);
	pair(f, &k, &k);
	f->srv_close = 0;
	assert_int_equal(conn(f), 0);
	run_to(f, CLI_FREE_AT);
	assert_int_equal(st(f, f->srv).tw, 1);
	f->srv_close = EV_FOREVER;
	run_to(f, when);
	assert_int_equal(conn(f), 0);
	run_to(f, when + 2 * SEC);
	assert_int_equal(f->connected, 2);
	assert_int_equal(st(f, f->srv).tw, 0);
	if (reopens) {
		assert_int_equal(f->setup, 4 * MS);
		assert_int_equal(ctr(f, "server.tw_syn_reopen"), 1);
		assert_int_equal(ctr(f, "server.syn_hit_timewait"), 0);
		assert_int_equal(ctr(f, "client.TcpExtTCPSynRetrans"), 0);
	} else {
		if (k.prof->syn_quick_rtx)  /* 5.7+: SYN 2 jiffies after the RST */
			assert_quick_setup(f, k.hz);
		else  /* one RTO, late by at most its wheel granularity */
			assert_true(f->setup >= 1 * SEC + 4 * MS &&
				    f->setup <= 1 * SEC + 4 * MS + wheel_gran(k.hz, k.hz));
		assert_int_equal(ctr(f, "server.tw_syn_reopen"), 0);
		assert_int_equal(ctr(f, "server.syn_hit_timewait"), 1);
		assert_int_equal(ctr(f, "client.TcpOutRsts"), 1);
		assert_int_equal(ctr(f, "client.TcpExtTCPSynRetrans"), 1);
	}
	fx_free(f);
}

/*
 * The timestamp offset as each profile derives it (tsc_offset): none before
 * 4.10; secure_tcp_ts_off of the 4-tuple in 4.10 and of (saddr, daddr) from
 * 4.11 (tcp_v4_init_ts_off); one SipHash of the 4-tuple for ISN and offset
 * in 7.0 (secure_tcp_seq_and_ts_off, 165573e41f2f), so two connections
 * between the same hosts get different offsets only there and in 4.10;
 * tcp_timestamps = 2 turns offsets off.
 */
static void test_ts_offsets(void **state)
{
	(void)state;
	static const struct {
		const char *profile;
		bool per_port, any;
	} cases[] = {
		{ "4.4", false, false }, { "4.10", true, true }, { "4.12", false, true },
		{ "6.15", false, true }, { "7.0", true, true }, { "current", true, true },
	};
	gsl_rng *r = rng_stream(SEED, 0, "tsc");
	for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
		const prof *p = prof_find(cases[c].profile);
		assert_non_null(p);
		tsc t;
		tsc_init(&t, p, 250, 1, r);
		tuple4 a = { CADDR, SADDR, 40000, DPORT }, b = a, other = a;
		b.lport = 40002;
		other.faddr = SADDR + 1;
		unsigned differ = 0, zero = 0;
		for (uint16_t k = 0; k < 64; k++) {
			a.lport = (uint16_t)(40000 + 2 * k);
			b.lport = (uint16_t)(a.lport + 1);
			differ += tsc_offset(&t, &a) != tsc_offset(&t, &b);
			zero += tsc_offset(&t, &a) == 0;
		}
		assert_int_equal(differ, cases[c].per_port ? 64 : 0);
		assert_int_equal(zero, cases[c].any ? 0 : 64);
		if (cases[c].any)  /* another peer, another offset */
			assert_true(tsc_offset(&t, &a) != tsc_offset(&t, &other));
		tsc_init(&t, p, 250, 2, r);  /* tcp_timestamps = 2 */
		assert_int_equal(tsc_offset(&t, &a), 0);
	}
	rng_free(r);
}

/*
 * Retransmission timers on the timer wheel (tcp__timer_expiry, mod_timer):
 * a delay below 63 jiffies fires on its jiffy; a longer one at the next
 * multiple of its level's granularity (8, 64, 512 ... jiffies) after the
 * nominal expiry (calc_index rounds up), never before it.
 */
static void test_timer_wheel(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	k.hz = 1000;
	f->cli = add_host(f, "client", &k, CADDR, 1 * MS, 0);
	tcp_host *h = H(f, f->cli);
	static const uint64_t delays[] = { 2, 62, 63, 200, 503, 504, 1000, 4031, 4032, 64000 };
	static const uint64_t grans[] = { 1, 1, 8, 8, 8, 64, 64, 64, 512, 4096 };
	for (size_t d = 0; d < G_N_ELEMENTS(delays); d++) {
		run_to(f, ev_now(f->L) + 7 * MS + 13 * (ev_time)d * EV_MS / 10);
		uint64_t now_j = tsc_jiffies(&h->ts, ev_now(f->L));
		ev_time when = tcp__timer_expiry(f->n, h, delays[d]);
		uint64_t fire_j = tsc_jiffies(&h->ts, when);
		assert_true(when > ev_now(f->L));
		assert_true(fire_j >= now_j + delays[d]);
		assert_true(fire_j <= now_j + delays[d] + grans[d]);
		assert_int_equal(fire_j % grans[d], 0);
		/* the timer fires as the jiffy begins */
		assert_true(tsc_jiffies(&h->ts, when - 1) == fire_j - 1);
	}
	fx_free(f);
}

static void test_syn_tw_isn(void **state)
{
	(void)state;
	isn_case("current", 6390 * MS, false);
	isn_case("current", 6410 * MS, true);
	isn_case("4.12", 6390 * MS, false);
}

/*
 * Timestamps on, but the SYN is older: the machine at the client's address
 * is replaced by one whose clocks run 1000 s behind (another host behind the
 * same NAT address), so its TSval is lower, for every retransmission too.  The SYN is
 * PAWS-rejected in TIME_WAIT: ACK (timer restarted), RST from the client.
 * rfc1337 = 0: the RST kills the TIME_WAIT, the retransmission 1 s later
 * connects.  rfc1337 = 1: the RST is ignored; every retransmission is
 * PAWS-rejected and restarts the TIME_WAIT, and the client times out.
 */
static void test_syn_tw_older(void **state)
{
	(void)state;
	for (int rfc1337 = 0; rfc1337 <= 1; rfc1337++) {
		kconf kc, ks;
		one_port(&kc, "current");
		ks = kc;
		ks.rfc1337 = rfc1337;
		fx *f = server_tw(SEED, &kc, &ks);
		run_to(f, 1 * SEC);
		tsc *c = &H(f, f->cli)->ts;
		assert_true(c->boot_ns > 2000 * SEC);
		c->boot_ns -= 1000 * SEC;
		assert_int_equal(conn(f), 0);
		run_to(f, 1 * SEC + 6 * MS);  /* SYN, ACK, RST */
		assert_int_equal(ctr(f, "server.syn_hit_timewait"), 1);
		/* 6.16+: TcpExtPAWSTimewait (c449d5f3a3d7), not TcpExtPAWSEstab */
		assert_int_equal(ctr(f, "server.TcpExtPAWSTimewait"), 1);
		assert_int_equal(ctr(f, "server.TcpExtPAWSEstab"), 0);
		assert_int_equal(ctr(f, "client.TcpOutRsts"), 1);
		assert_int_equal(st(f, f->srv).tw, rfc1337 ? 1 : 0);
		if (!rfc1337) {
			/* the RST killed the TIME_WAIT; the SYN 2 jiffies later opens */
			run_to(f, 3 * SEC);
			assert_int_equal(f->connected, 2);
			assert_quick_setup(f, kc.hz);
			assert_int_equal(ctr(f, "server.tw_syn_reopen"), 0);
			assert_int_equal(ctr(f, "server.TcpExtTCPACKSkippedTimeWait"), 0);
			fx_free(f);
			continue;
		}
		/* The quick SYN (~1.012 s) meets the TIME_WAIT again < 500 ms after
		 * its ACK: PAWS-rejected, timer restarted, no ACK
		 * (tcp_timewait_check_oow_rate_limit).  It was the first of the 6
		 * retransmissions: then 3, 7, 15, 31, 63 s (+ wheel rounding), each
		 * restarting the TIME_WAIT; ETIMEDOUT one 64 s RTO after the last. */
		run_to(f, 1100 * MS);
		assert_int_equal(ctr(f, "server.syn_hit_timewait"), 2);
		assert_int_equal(ctr(f, "server.TcpExtTCPACKSkippedTimeWait"), 1);
		assert_int_equal(ctr(f, "client.TcpOutRsts"), 1);
		run_to(f, 67 * SEC);
		assert_int_equal(st(f, f->srv).tw, 1);
		assert_int_equal(f->connected, 1);
		assert_int_equal(ctr(f, "server.syn_hit_timewait"), 7);
		assert_int_equal(ctr(f, "server.TcpExtPAWSTimewait"), 7);
		assert_int_equal(ctr(f, "server.TcpExtTCPACKSkippedTimeWait"), 1);
		run_to(f, 133 * SEC);
		assert_int_equal(f->failed, 1);
		assert_int_equal(f->err, -ETIMEDOUT);
		assert_true(f->failed_at >= 127 * SEC && f->failed_at <= 133 * SEC);
		assert_int_equal(st(f, f->srv).tw, 0);
		fx_free(f);
	}
}

/* ---- 9. SYN retransmission, ETIMEDOUT, ECONNREFUSED (§2.2) ----------------- */

/*
 * The SYN retransmissions of a connect() nobody answers, as
 * tcp_retransmit_timer and tcp_write_timeout time them: the RTO starts at
 * 1 s and doubles after each retransmission, except (6.5+) while the
 * backoff is at most tcp_syn_linear_timeouts; the socket gives up when the
 * timer fires after tcp_syn_retries + tcp_syn_linear_timeouts of them.
 * Each timer fires late by at most its wheel level's granularity, so the
 * k-th retransmission comes in [sum of the RTOs, sum + sum of their
 * granularities]; the counter is checked just before and at the end of
 * each window.
 */
static void timeout_case(unsigned hz, unsigned syn_retries, unsigned linear, ev_time fail_at)
{
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	k.hz = hz;
	k.syn_retries = syn_retries;
	k.syn_linear_timeouts = linear;
	f->cli = add_host(f, "client", &k, CADDR, 1 * MS, 0);
	/* A server whose link loses everything: no answer ever. */
	f->srv = add_host(f, "server", &k, SADDR, 1 * MS, 1.0);
	assert_int_equal(tcp_listen(f->n, f->srv, DPORT), 0);
	assert_int_equal(conn(f), 0);
	ev_time lo = 0, late = 0, rto = 1 * SEC, t0 = ev_now(f->L);
	for (unsigned r = 1; r <= syn_retries + linear + 1; r++) {
		lo += rto;
		late += wheel_gran(hz, (uint64_t)(rto / EV_MS) * hz / 1000);
		run_to(f, t0 + lo - 1);
		assert_int_equal(ctr(f, "client.TcpExtTCPSynRetrans"), r - 1);
		assert_int_equal(f->failed, 0);
		run_to(f, t0 + lo + late);
		if (r <= syn_retries + linear) {
			assert_int_equal(ctr(f, "client.TcpExtTCPSynRetrans"), r);
		} else {
			assert_int_equal(f->failed, 1);
			assert_true(lo == fail_at);
		}
		if (r > linear)  /* icsk_backoff > tcp_syn_linear_timeouts: double */
			rto *= 2;
	}
	assert_int_equal(ctr(f, "client.TcpExtTCPSynRetrans"), syn_retries + linear);
	assert_int_equal(f->err, -ETIMEDOUT);
	assert_int_equal(ctr(f, "client.TcpAttemptFails"), 1);
	assert_int_equal(ctr(f, "server.TcpInSegs"), 0);  /* nothing reached it */
	assert_int_equal(st(f, f->cli).sockets, 0);
	assert_int_equal(st(f, f->cli).ports_in_use, 0);
	fx_free(f);
}

static void test_syn_retries(void **state)
{
	(void)state;
	timeout_case(250, 6, 0, 127 * SEC);   /* before 6.5: SYNs at 0, 1, 3, 7, 15, 31, 63 s */
	timeout_case(250, 2, 0, 7 * SEC);     /* SYNs at 0, 1, 3 s */
	/* 6.5+ defaults: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s (the
	 * intervals measured on 6.12: five of 1 s, then 2, 4, 8, 16, 32 s),
	 * ETIMEDOUT at 131 s */
	timeout_case(1000, 6, 4, 131 * SEC);
	timeout_case(250, 1, 2, 5 * SEC);     /* 1, 2, 3 s, then 5 s */
}

static void test_refused_unreachable(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	pair(f, &k, &k);
	assert_int_equal(conn_to(f, SADDR, DPORT + 1, NULL), 0);  /* nobody listens */
	run_to(f, 4 * MS);
	assert_int_equal(f->failed, 1);
	assert_int_equal(f->err, -ECONNREFUSED);
	assert_int_equal(ctr(f, "server.TcpOutRsts"), 1);
	assert_int_equal(ctr(f, "client.TcpAttemptFails"), 1);
	assert_int_equal(st(f, f->cli).ports_in_use, 0);
	assert_int_equal(conn_to(f, 0x0a090909u, DPORT, NULL), -ENETUNREACH);
	fx_free(f);
}

/* ---- 10. orphaned FIN_WAIT2 and tcp_fin_timeout (§2.4) --------------------- */

/* Client closes first, the server's application closes 200 s after the FIN. */
static fx *fw2_fixture(const kconf *k)
{
	fx *f = fx_new(SEED);
	pair(f, k, k);
	f->cli_close = 0;
	f->peer_delay = 200 * SEC;
	assert_int_equal(conn(f), 0);
	return f;
}

static void test_fin_wait2(void **state)
{
	(void)state;
	kconf k;

	/* fin_timeout 60: a FIN_WAIT2 minisocket from 8 ms for 60 s (+ wheel). */
	kc_init(&k, "current");
	fx *f = fw2_fixture(&k);
	run_to(f, 1 * SEC);
	tcp_host_stats c = st(f, f->cli);
	assert_int_equal(c.tw, 1);
	assert_int_equal(c.tw_fw2, 1);
	assert_int_equal(c.sockets, 0);
	assert_int_equal(c.ports_in_use, 1);
	assert_int_equal(st(f, f->srv).sockets, 1);  /* CLOSE_WAIT */
	ev_time t = tw_drop_time(f, f->cli, 1, CLI_TW_AT + 60 * SEC, MS, 70 * SEC);
	assert_true(t > CLI_TW_AT + 60 * SEC && t <= CLI_TW_AT + 62048 * MS + MS);
	assert_int_equal(st(f, f->cli).ports_in_use, 0);
	/* The server's late FIN finds nothing: RST, the server socket dies. */
	run_to(f, 201 * SEC);
	assert_int_equal(ctr(f, "client.TcpOutRsts"), 1);
	assert_int_equal(st(f, f->srv).sockets, 0);
	fx_free(f);

	/* fin_timeout 90: full FIN_WAIT2 socket for 30 s (keepalive timer),
	 * then a FIN_WAIT2 minisocket for 30 s: 2 * 90 - 120 = 60 s.  (The
	 * model arms the keepalive timer exactly; the kernel's is rounded up
	 * by the wheel too, up to 2.048 s more.) */
	kc_init(&k, "current");
	k.fin_timeout_s = 90;
	f = fw2_fixture(&k);
	run_to(f, 1 * SEC);
	assert_int_equal(st(f, f->cli).sockets, 1);
	assert_int_equal(st(f, f->cli).tw, 0);
	run_to(f, CLI_TW_AT + 30 * SEC + 300 * MS);
	assert_int_equal(st(f, f->cli).sockets, 0);
	assert_int_equal(st(f, f->cli).tw_fw2, 1);
	/* 30 s = 7500 jiffies also sits in wheel level 3 (2.048 s). */
	t = tw_drop_time(f, f->cli, 1, CLI_TW_AT + 60 * SEC, MS, 70 * SEC);
	assert_true(t > CLI_TW_AT + 60 * SEC && t <= CLI_TW_AT + 62048 * MS + MS);
	fx_free(f);

	/* fin_timeout 1: max(1 s, 3.5 RTO = 714 ms) = 1 s; a timeout <= 4 s
	 * counts as TcpExtTWKilled (__inet_twsk_schedule: kill = timeo <= 4*HZ). */
	kc_init(&k, "current");
	k.fin_timeout_s = 1;
	f = fw2_fixture(&k);
	run_to(f, CLI_TW_AT + 1 * SEC);
	assert_int_equal(st(f, f->cli).tw_fw2, 1);
	t = tw_drop_time(f, f->cli, 1, CLI_TW_AT + 1 * SEC, MS, 2 * SEC);
	assert_true(t > CLI_TW_AT + 1 * SEC && t <= CLI_TW_AT + 1032 * MS + MS);
	assert_int_equal(ctr(f, "client.TcpExtTWKilled"), 1);
	assert_int_equal(ctr(f, "client.TcpExtTW"), 0);
	fx_free(f);

	/* fin_timeout 1 does not shorten TIME_WAIT. */
	kc_init(&k, "current");
	k.fin_timeout_s = 1;
	f = fx_new(SEED);
	pair(f, &k, &k);
	f->cli_close = 0;
	assert_int_equal(conn(f), 0);
	run_to(f, CLI_TW_AT + 60 * SEC);
	assert_int_equal(st(f, f->cli).tw, 1);
	assert_int_equal(st(f, f->cli).tw_fw2, 0);
	run_to(f, CLI_TW_AT + 62100 * MS);
	assert_int_equal(st(f, f->cli).tw, 0);
	fx_free(f);
}

/*
 * tcp_tw_reuse and a FIN_WAIT2 minisocket (§4 step 2): 6.11+ never reuses
 * it.  5.15 does; the new SYN then meets the server's CLOSE_WAIT socket,
 * which answers with a challenge ACK (tcp_validate_incoming, RFC 5961 4.2);
 * the client in SYN_SENT resets it (RST at its rcv_nxt), and the SYN
 * retransmission 2 jiffies later (tcp_rcv_synsent_state_process, 5.7+)
 * opens a new connection.
 */
static void test_fin_wait2_reuse(void **state)
{
	(void)state;
	kconf k;
	one_port(&k, "current");
	k.tw_reuse = 1;
	fx *f = fw2_fixture(&k);
	run_to(f, 2 * SEC);
	assert_int_equal(st(f, f->cli).tw_fw2, 1);
	assert_int_equal(conn(f), -EADDRNOTAVAIL);
	fx_free(f);

	one_port(&k, "5.15");
	k.tw_reuse = 1;
	f = fw2_fixture(&k);
	run_to(f, 2 * SEC);
	assert_int_equal(st(f, f->cli).tw_fw2, 1);
	f->cli_close = EV_FOREVER;
	assert_int_equal(conn(f), 0);
	assert_int_equal(ctr(f, "client.TcpExtTWRecycled"), 1);
	run_to(f, 2 * SEC + 6 * MS);
	assert_int_equal(ctr(f, "server.TcpEstabResets"), 1);
	assert_int_equal(st(f, f->srv).sockets, 0);
	run_to(f, 4 * SEC);
	assert_int_equal(f->connected, 2);
	assert_quick_setup(f, k.hz);  /* the SYN again 2 jiffies after the RST (5.7+) */
	assert_int_equal(f->failed, 0);
	fx_free(f);
}

/* ---- 11. the last ACK lost: LAST_ACK retransmits, TIME_WAIT restarts ------- */

/*
 * Loss is per link with a probability; to lose exactly one segment the test
 * sets the client link's loss to 1 around the instant it sends the final ACK
 * and back to 0 after.  1 s links (RTT 4 s, RTO 12 s) make the restart
 * visible beyond the wheel's 2 s rounding.  Client closes at 4 s, server
 * LAST_ACK at 6 s, client TIME_WAIT and final ACK (lost) at 8 s; the server
 * retransmits its FIN at 18 s; it reaches the TIME_WAIT at 20 s, which
 * ACKs it and restarts its 60 s (tcp_timewait_state_process: out-of-window
 * segment with ACK); the server closes at 22 s (plus the wheel's rounding of
 * the 12 s retransmission timer, up to 256 ms at HZ 250).
 */
static void test_last_ack_retransmit(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	f->cli = add_host(f, "client", &k, CADDR, 1 * SEC, 0);
	f->srv = add_host(f, "server", &k, SADDR, 1 * SEC, 0);
	assert_int_equal(tcp_listen(f->n, f->srv, DPORT), 0);
	f->cli_close = 0;
	assert_int_equal(conn(f), 0);
	run_to(f, 7 * SEC);
	H(f, f->cli)->loss = 1.0;
	run_to(f, 9 * SEC);
	H(f, f->cli)->loss = 0;
	assert_int_equal(st(f, f->cli).tw, 1);
	assert_int_equal(st(f, f->srv).sockets, 1);  /* LAST_ACK */
	run_to(f, 21 * SEC);
	assert_int_equal(st(f, f->srv).sockets, 1);
	run_to(f, 22 * SEC + wheel_gran(k.hz, 12 * k.hz));  /* the 12 s RTO's rounding */
	assert_int_equal(st(f, f->srv).sockets, 0);
	assert_int_equal(ctr(f, "server.TcpExtTCPAbortOnTimeout"), 0);
	/* Without the restart it would be gone by 8 + 62.05 s. */
	run_to(f, 80 * SEC);
	assert_int_equal(st(f, f->cli).tw, 1);
	ev_time t = tw_drop_time(f, f->cli, 1, 80 * SEC, MS, 90 * SEC);
	assert_true(t > 80 * SEC && t <= 82049 * MS);
	fx_free(f);
}

/* ---- 12. abortive close: SO_LINGER {1, 0} (§2.3) --------------------------- */

static void test_abort(void **state)
{
	(void)state;
	kconf k;
	kc_init(&k, "current");

	/* The client aborts: RST, no TIME_WAIT anywhere, its port free at once. */
	fx *f = fx_new(SEED);
	pair(f, &k, &k);
	f->cli_close = 0;
	f->cli_abort = true;
	assert_int_equal(conn(f), 0);
	run_to(f, 4 * MS);
	tcp_host_stats c = st(f, f->cli);
	assert_int_equal(c.sockets, 0);
	assert_int_equal(c.tw, 0);
	assert_int_equal(c.ports_in_use, 0);
	assert_int_equal(ctr(f, "client.TcpExtTCPAbortOnData"), 1);
	assert_int_equal(ctr(f, "client.TcpOutRsts"), 1);
	run_to(f, 10 * MS);
	assert_int_equal(f->accepted, 1);
	assert_int_equal(st(f, f->srv).sockets, 0);
	assert_int_equal(st(f, f->srv).tw, 0);
	assert_int_equal(st(f, f->srv).established, 0);
	assert_int_equal(ctr(f, "server.TcpEstabResets"), 1);
	assert_int_equal(ctr(f, "client.TcpExtTW") + ctr(f, "server.TcpExtTW"), 0);
	fx_free(f);

	/* The server aborts: the client's connection is reset. */
	f = fx_new(SEED);
	pair(f, &k, &k);
	f->srv_close = 0;
	f->srv_abort = true;
	assert_int_equal(conn(f), 0);
	run_to(f, 10 * MS);
	assert_int_equal(f->failed, 1);
	assert_int_equal(f->err, -ECONNRESET);
	assert_int_equal(ctr(f, "server.TcpExtTCPAbortOnData"), 1);
	assert_int_equal(ctr(f, "client.TcpEstabResets"), 1);
	assert_int_equal(st(f, f->cli).sockets, 0);
	assert_int_equal(st(f, f->cli).ports_in_use, 0);
	assert_int_equal(st(f, f->cli).tw + st(f, f->srv).tw, 0);
	fx_free(f);
}

/* ---- 13. simultaneous close (§2.3 step 4) ---------------------------------- */

static void test_simultaneous_close(void **state)
{
	(void)state;
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	pair(f, &k, &k);
	/* Both close at 100 ms: FINs cross, both CLOSING at 102 ms, both
	 * TIME_WAIT when the ACKs arrive at 104 ms. */
	f->cli_close = 96 * MS;
	f->srv_close = 94 * MS;
	assert_int_equal(conn(f), 0);
	run_to(f, 103 * MS);
	assert_int_equal(st(f, f->cli).sockets, 1);
	assert_int_equal(st(f, f->srv).sockets, 1);
	run_to(f, 104 * MS);
	assert_int_equal(st(f, f->cli).tw, 1);
	assert_int_equal(st(f, f->srv).tw, 1);
	assert_int_equal(st(f, f->cli).sockets + st(f, f->srv).sockets, 0);
	assert_int_equal(f->peer_closed, 0);
	assert_int_equal(ctr(f, "client.TcpExtTW"), 1);
	assert_int_equal(ctr(f, "server.TcpExtTW"), 1);
	fx_free(f);
}

/* ---- 14. tcp_tw_recycle (<= 4.11, §5.2-§5.4) ------------------------------- */

static void test_tw_recycle(void **state)
{
	(void)state;
	kconf kc, ks;
	kc_init(&kc, "4.4");
	ks = kc;
	ks.tw_recycle = true;

	/* The server's TIME_WAIT lasts 3.5 RTO = 714 ms (179 jiffies), counted
	 * as TcpExtTWKilled; the cache holds the client's last timestamp. */
	fx *f = server_tw(SEED, &kc, &ks);
	run_to(f, SRV_TW_AT + 700 * MS);
	assert_int_equal(st(f, f->srv).tw, 1);
	run_to(f, SRV_TW_AT + 730 * MS);
	assert_int_equal(st(f, f->srv).tw, 0);
	assert_int_equal(ctr(f, "server.TcpExtTWKilled"), 1);
	assert_int_equal(ctr(f, "server.TcpExtTW"), 0);
	/* The same client (clock ahead of the cached value) connects at once. */
	run_to(f, 2 * SEC);
	assert_int_equal(conn(f), 0);
	run_to(f, 2 * SEC + 4 * MS);
	assert_int_equal(f->connected, 2);
	assert_int_equal(ctr(f, "server.TcpExtPAWSPassive"), 0);
	fx_free(f);

	/* Without tw_recycle: 60 s. */
	f = server_tw(SEED, &kc, &kc);
	run_to(f, 30 * SEC);
	assert_int_equal(st(f, f->srv).tw, 1);
	fx_free(f);

	/*
	 * Behind a NAT: the next SYN from the same address comes from a host
	 * whose timestamp clock is behind (here: the client's clock set back
	 * 1000 s, 250000 jiffies).  tcp_peer_is_proven drops it while the cached
	 * stamp is < 60 s old: SYNs at 2, 3, 5, 9, 17, 33 s are dropped
	 * (TcpExtPAWSPassive), the one at 65 s gets through.
	 */
	f = server_tw(SEED, &kc, &ks);
	run_to(f, 2 * SEC);
	assert_int_equal(st(f, f->srv).tw, 0);
	tsc *c = &H(f, f->cli)->ts;
	assert_true(c->boot_ns > 2000 * SEC);
	c->boot_ns -= 1000 * SEC;
	assert_int_equal(conn(f), 0);
	run_to(f, 64 * SEC);
	assert_int_equal(f->connected, 1);
	assert_int_equal(ctr(f, "server.TcpExtPAWSPassive"), 6);
	run_to(f, 66 * SEC);
	assert_int_equal(f->connected, 2);
	/* 4.4's old wheel: each timer at most 1/256 of its delay late */
	assert_true(f->setup >= 63 * SEC + 4 * MS && f->setup <= 63 * SEC + 4 * MS + 63 * SEC / 256);
	assert_int_equal(ctr(f, "client.TcpExtTCPSynRetrans"), 6);
	fx_free(f);
}

/*
 * tcp_time_wait (<= 4.11) calls tcp_remember_stamp before it tries to
 * allocate the minisocket: the per-peer cache is written even when
 * tcp_max_tw_buckets refuses the TIME_WAIT.
 */
static void test_tw_recycle_overflow(void **state)
{
	(void)state;
	kconf kc, ks;
	kc_init(&kc, "4.4");
	ks = kc;
	ks.tw_recycle = true;
	ks.max_tw_buckets = 0;
	fx *f = fx_new(SEED);
	pair(f, &kc, &ks);
	f->srv_close = 0;
	assert_int_equal(conn(f), 0);
	run_to(f, CLI_FREE_AT);
	assert_int_equal(st(f, f->srv).tw, 0);
	assert_int_equal(ctr(f, "server.TcpExtTCPTimeWaitOverflow"), 1);
	f->srv_close = EV_FOREVER;
	H(f, f->cli)->ts.boot_ns -= 1000 * SEC;
	run_to(f, 1 * SEC);
	assert_int_equal(conn(f), 0);
	run_to(f, 1 * SEC + 4 * MS);
	assert_int_equal(f->connected, 1);
	assert_int_equal(ctr(f, "server.TcpExtPAWSPassive"), 1);
	fx_free(f);
}

/*
 * The TIME_WAIT timer restarts with TCP_TIMEWAIT_LEN, not with the recycle
 * timeout (tcp_timewait_state_process, <= 4.11: inet_twsk_schedule(tw, ...,
 * TCP_TIMEWAIT_LEN, ...) on the out-of-window path; only the FIN_WAIT2 ->
 * TIME_WAIT transition uses tw_timeout).  The server's final ACK is lost;
 * the client's LAST_ACK retransmits its FIN at 8 + 204 ms, which reaches the
 * 714 ms recycled TIME_WAIT and restarts it for 60 s.
 */
static void test_tw_recycle_restart(void **state)
{
	(void)state;
	kconf kc, ks;
	kc_init(&kc, "4.4");
	ks = kc;
	ks.tw_recycle = true;
	fx *f = fx_new(SEED);
	pair(f, &kc, &ks);
	f->srv_close = 0;
	assert_int_equal(conn(f), 0);
	run_to(f, 9 * MS);
	H(f, f->srv)->loss = 1.0;
	run_to(f, 11 * MS);
	H(f, f->srv)->loss = 0;
	assert_int_equal(st(f, f->srv).tw, 1);
	assert_int_equal(st(f, f->cli).sockets, 1);  /* LAST_ACK */
	run_to(f, 300 * MS);
	assert_int_equal(st(f, f->cli).sockets, 0);
	run_to(f, 30 * SEC);
	assert_int_equal(st(f, f->srv).tw, 1);
	run_to(f, 61 * SEC);
	assert_int_equal(st(f, f->srv).tw, 0);
	fx_free(f);
}

/* ---- the <= 4.0 death row (§2.6) ------------------------------------------- */

/*
 * 3.10 at HZ 250: the hangman reaps one of 8 cells every 7.5 s (1875
 * jiffies).  A 60 s TIME_WAIT goes 7 cells ahead: (52.5, 60] s.  A shorter
 * slow-timer entry goes DIV_ROUND_UP(timeo, 7.5 s) cells ahead and dies in
 * (k * 7.5, (k + 1) * 7.5] s.  Entries under 32 calendar ticks (32 jiffies
 * = 128 ms each at HZ 250) go to the recycle calendar and count as
 * TcpExtTWKilled.  Counters are bumped by the reaper (inet_twdr_do_twkill_work).
 */
static void fw2_310_case(unsigned fin_timeout, ev_time lo, ev_time hi, bool killed)
{
	kconf k;
	kc_init(&k, "3.10");
	k.fin_timeout_s = fin_timeout;
	fx *f = fw2_fixture(&k);
	run_to(f, CLI_TW_AT + lo);
	assert_int_equal(st(f, f->cli).tw_fw2, 1);
	ev_time t = tw_drop_time(f, f->cli, 1, CLI_TW_AT + lo, MS, CLI_TW_AT + hi + 10 * MS);
	assert_true(t > CLI_TW_AT + lo && t <= CLI_TW_AT + hi + MS);
	assert_int_equal(ctr(f, "client.TcpExtTWKilled"), killed ? 1 : 0);
	assert_int_equal(ctr(f, "client.TcpExtTW"), killed ? 0 : 1);
	fx_free(f);
}

static void test_deathrow(void **state)
{
	(void)state;
	kconf k;
	kc_init(&k, "3.10");
	fx *f = fx_new(SEED);
	pair(f, &k, &k);
	f->cli_close = 0;
	assert_int_equal(conn(f), 0);
	ev_time t = tw_drop_time(f, f->cli, 1, CLI_TW_AT + 52500 * MS, MS, 70 * SEC);
	assert_true(t > CLI_TW_AT + 52500 * MS && t <= CLI_TW_AT + 60 * SEC + MS);
	assert_int_equal(ctr(f, "client.TcpExtTW"), 1);
	fx_free(f);

	fw2_310_case(20, 22500 * MS, 30 * SEC, false);  /* 3 cells ahead */
	fw2_310_case(5, 7500 * MS, 15 * SEC, false);    /* 40 ticks: slow timer, 1 cell */
	fw2_310_case(3, 3 * SEC, 3128 * MS, true);      /* 24 ticks: calendar */

	/* tw_recycle: 3.5 RTO = 714 ms = 179 jiffies, 6 calendar ticks. */
	for (uint64_t s = 0; s < 4; s++) {
		kconf kc, ks;
		kc_init(&kc, "3.10");
		ks = kc;
		ks.tw_recycle = true;
		f = server_tw(SEED + s, &kc, &ks);
		t = tw_drop_time(f, f->srv, 1, SRV_TW_AT + 714 * MS, MS, 2 * SEC);
		assert_true(t > SRV_TW_AT + 714 * MS && t <= SRV_TW_AT + 842 * MS + MS);
		assert_int_equal(ctr(f, "server.TcpExtTWKilled"), 1);
		fx_free(f);
	}
}

/* ---- determinism ----------------------------------------------------------- */


/* ---- a host's own conntrack on the path (tcp_hop_own) ------------------- */

typedef struct hop_seen {
	ev_loop *L;
	ev_time at[8];
	uint8_t flags[8];
	unsigned n;
} hop_seen;

static bool seen_hop(void *ctx, tcp_hop_pkt *p)
{
	hop_seen *h = ctx;
	if (h->n < G_N_ELEMENTS(h->at)) {
		h->at[h->n] = ev_now(h->L);
		h->flags[h->n] = p->flags;
	}
	h->n++;
	return true;
}

/* Client link 1 ms, server link 3 ms, a box (5 ms) seen through h, or with
 * own the box at the hooks of host `side` (0 client, 1 server, no delay);
 * that host's link loses everything when lossy.  One connect() at 0, run to
 * 50 ms. */
static fx *own_hop_run(hop_seen *h, bool own, int side, bool lossy)
{
	fx *f = fx_new(SEED);
	kconf k;
	kc_init(&k, "current");
	f->cli = add_host(f, "client", &k, CADDR, 1 * MS, lossy && side == 0 ? 1.0 : 0);
	f->srv = add_host(f, "server", &k, SADDR, 3 * MS, lossy && side == 1 ? 1.0 : 0);
	assert_int_equal(tcp_listen(f->n, f->srv, DPORT), 0);
	*h = (hop_seen){ .L = f->L };
	tcp_add_hop(f->n, seen_hop, NULL, h, own ? 0 : 5 * MS, 0, NULL);
	if (own)
		tcp_hop_own(f->n, 0, side ? f->srv : f->cli);
	assert_int_equal(conn(f), 0);
	run_to(f, 50 * MS);
	return f;
}

/* Client link 1 ms, server link 3 ms.  A box on the wire (5 ms) sees the
 * SYN after the client's link and its own delay, the SYN-ACK after the
 * server's link and its delay: the handshake takes 1 + 5 + 3 each way.  The
 * server's own conntrack is at the server's hooks: it sees the SYN when it
 * reaches the server (1 + 3 ms) and the SYN-ACK as it leaves, and adds
 * nothing.  With the server's link losing everything, the box on the wire
 * still sees the SYN; the server's own hooks never do. */
static void test_own_hop(void **state)
{
	(void)state;
	for (int lossy = 0; lossy < 2; lossy++)
		for (int own = 0; own < 2; own++) {
			hop_seen h;
			fx *f = own_hop_run(&h, own, 1, lossy);
			if (lossy) {
				assert_int_equal(f->connected, 0);
				assert_int_equal(h.n, own ? 0 : 1);  /* the first SYN; its retry is at 1 s */
				fx_free(f);
				continue;
			}
			assert_int_equal(f->connected, 1);
			assert_true(h.n >= 3);  /* SYN, SYN-ACK, ACK */
			assert_int_equal(h.flags[0], TCP_HOP_SYN);
			assert_int_equal(h.flags[1], TCP_HOP_SYN | TCP_HOP_ACK);
			assert_true(h.at[0] == (own ? 4 : 6) * MS);
			assert_true(h.at[1] == (own ? 4 : 17) * MS);
			assert_true(f->connected_at == (own ? 8 : 18) * MS);
			fx_free(f);
		}
}

/* The client's own conntrack (its output hook) sees the SYN as it is sent,
 * before the client's link: with that link losing everything it still sees
 * the SYN, which never reaches the server; a box on the wire sees nothing.
 * Without loss the client's SYN-ACK reaches its hooks after both links. */
static void test_own_hop_client(void **state)
{
	(void)state;
	for (int lossy = 0; lossy < 2; lossy++)
		for (int own = 0; own < 2; own++) {
			hop_seen h;
			fx *f = own_hop_run(&h, own, 0, lossy);
			if (lossy) {
				assert_int_equal(f->connected, 0);
				assert_int_equal(ctr(f, "server.TcpInSegs"), 0);  /* nothing reached it */
				assert_int_equal(h.n, own ? 1 : 0);
				if (own)
					assert_true(h.at[0] == 0);
				fx_free(f);
				continue;
			}
			assert_int_equal(f->connected, 1);
			assert_true(h.at[0] == (own ? 0 : 6) * MS);
			assert_true(h.at[1] == (own ? 8 : 17) * MS);
			assert_true(f->connected_at == (own ? 8 : 18) * MS);
			fx_free(f);
		}
}
/* A busy script with loss on both links: every close style, reuse, SYN
 * retransmissions.  Returns the trace and every counter. */
static char *busy_run(uint64_t seed)
{
	fx *f = fx_new(seed);
	kconf kc, ks;
	kc_init(&kc, "current");
	kc.tw_reuse = 1;
	kc.port_hi = 40015;
	ks = kc;
	f->cli = add_host(f, "client", &kc, CADDR, 1 * MS, 0.1);
	f->srv = add_host(f, "server", &ks, SADDR, 2 * MS, 0.1);
	assert_int_equal(tcp_listen(f->n, f->srv, DPORT), 0);
	for (int i = 0; i < 60; i++) {
		run_to(f, (ev_time)i * 250 * MS);
		f->cli_close = (i % 3 == 0) ? EV_FOREVER : (ev_time)(i % 5) * 10 * MS;
		f->cli_abort = i % 7 == 0;
		f->srv_close = (i % 3 == 0) ? 20 * MS : EV_FOREVER;
		f->peer_delay = (ev_time)(i % 4) * 30 * MS;
		int r = conn(f);
		g_string_append_printf(f->trace, "connect %d -> %d\n", i, r);
	}
	run_to(f, 300 * SEC);
	for (size_t i = 0; i < probe_ncounters(f->ps); i++)
		g_string_append_printf(f->trace, "%s %" PRIu64 "\n", probe_counter_name(f->ps, i),
				       probe_counter_value(f->ps, i));
	char *s = g_strdup(f->trace->str);
	fx_free(f);
	return s;
}

static void test_determinism(void **state)
{
	(void)state;
	char *a = busy_run(SEED), *b = busy_run(SEED), *c = busy_run(SEED + 1);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_non_null(strstr(a, "connected"));
	g_free(a);
	g_free(b);
	g_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ts_offsets),
		cmocka_unit_test(test_timer_wheel),
		cmocka_unit_test(test_exhaustion_client_close),
		cmocka_unit_test(test_reuseaddr_connect_owner),
		cmocka_unit_test(test_tw_reuse_eras),
		cmocka_unit_test(test_tw_reuse_delay_sysctl),
		cmocka_unit_test(test_tw_reuse_loopback),
		cmocka_unit_test(test_no_timestamps_no_reuse),
		cmocka_unit_test(test_odd_range),
		cmocka_unit_test(test_two_destinations),
		cmocka_unit_test(test_tw_overflow),
		cmocka_unit_test(test_server_closes_first),
		cmocka_unit_test(test_syn_tw_timestamps),
		cmocka_unit_test(test_syn_tw_isn),
		cmocka_unit_test(test_syn_tw_older),
		cmocka_unit_test(test_syn_retries),
		cmocka_unit_test(test_refused_unreachable),
		cmocka_unit_test(test_fin_wait2),
		cmocka_unit_test(test_fin_wait2_reuse),
		cmocka_unit_test(test_last_ack_retransmit),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_tw_recycle),
		cmocka_unit_test(test_tw_recycle_overflow),
		cmocka_unit_test(test_tw_recycle_restart),
		cmocka_unit_test(test_deathrow),
		cmocka_unit_test(test_own_hop),
		cmocka_unit_test(test_own_hop_client),
		cmocka_unit_test(test_determinism),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
