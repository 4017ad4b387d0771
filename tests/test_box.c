/*
 * Middleboxes on the path, end to end through the socket layer: a NAT
 * gateway (conntrack + MASQUERADE) in front of many clients, a stateful
 * firewall in front of the server (doc/kernel-rules.md §6, §7, §9.2, §9.6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/valid.h"

typedef struct boxrun {
	vrun v;
	double ct_mean, ct_drop, ct_insert, ct_insert_failed, syn_retrans, etimedout, paws;
} boxrun;

static boxrun box_run(const char *const *sets, uint32_t rep, double warm, double end, const char *boxname)
{
	vworld v = vworld_new(sets, rep, end);
	probe_set *ps = v.ps;
	ev_loop *L = v.L;
	char name[64];
	snprintf(name, sizeof name, "%s.ct.count", boxname);
	probe_gauge *count = probe_gauge_get(ps, name, NULL);
	snprintf(name, sizeof name, "%s.ct.drop", boxname);
	uint64_t *drop = probe_counter(ps, name, NULL);
	snprintf(name, sizeof name, "%s.ct.confirmed", boxname);
	uint64_t *ins = probe_counter(ps, name, NULL);
	snprintf(name, sizeof name, "%s.ct.insert_failed", boxname);
	uint64_t *insf = probe_counter(ps, name, NULL);
	uint64_t *att = probe_counter(ps, "conn.attempts", NULL), *est = probe_counter(ps, "conn.established", NULL),
		 *tmo = probe_counter(ps, "conn.ETIMEDOUT", NULL), *syn = probe_counter(ps, "client.TcpExtTCPSynRetrans", NULL),
		 *paws = probe_counter(ps, "server.TcpExtPAWSPassive", NULL);
	world_start(v.W);
	ev_time w0 = (ev_time)(warm * 1e9), w1 = (ev_time)(end * 1e9);
	ev_run(L, w0);
	uint64_t a0 = *att, e0 = *est, d0 = *drop, i0 = *ins, f0 = *insf, t0 = *tmo, s0 = *syn, p0 = *paws;
	double area0 = gauge_area(count, w0);
	ev_run(L, w1);
	double area1 = gauge_area(count, w1);
	boxrun r = { { (double)(*att - a0), (double)(*est - e0), 0, 0, 0, 0, 0 },
		     (area1 - area0) / (double)(w1 - w0), (double)(*drop - d0), (double)(*ins - i0),
		     (double)(*insf - f0), (double)(*syn - s0), (double)(*tmo - t0), (double)(*paws - p0) };
	vworld_free(&v);
	return r;
}

/* 50 clients behind MASQUERADE reach the server; every connection gets a
 * conntrack entry; nothing is dropped. */
static void test_nat_basic(void **st)
{
	(void)st;
	const char *sets[] = { "client.count=50", "nat.addresses=203.0.113.1", "workload.rate=100",
			       "workload.stop=60s", "workload.life_mean=100ms", NULL };
	boxrun r = box_run(sets, 0, 0, 60, "nat");
	assert_true(r.v.attempts > 5000);
	assert_true(r.v.established == r.v.attempts);
	assert_true(r.ct_insert == r.v.attempts);
	assert_true(r.ct_drop == 0);
}

/* Little's law on the firewall's table: each connection holds an entry for
 * handshake + life + closing exchange + the conntrack TIME_WAIT (120 s).
 * A client that reuses its port after its own 60 s TIME_WAIT cuts that short
 * (a SYN on a conntrack TIME_WAIT restarts the entry, §6.8), so the clients
 * are many and their ranges wide enough to make that negligible (< 0.1 %).
 * Profile 4.4: per-entry timers, so the count is exact at every instant. */
static void test_firewall_little(void **st)
{
	(void)st;
	const char *sets[] = { "firewall.profile=4.4", "workload.rate=20", "workload.stop=700s",
			       "workload.life=fixed", "workload.life_mean=5s", "client.count=20",
			       "net.ipv4.ip_local_port_range=1024 65535", NULL };
	double x[8], m, hw;
	for (unsigned r = 0; r < 8; r++) {
		boxrun b = box_run(sets, r, 200, 700, "firewall");
		/* E[lifetime] = 5 s + ~0.6 ms of packets + 120 s */
		x[r] = b.ct_mean - b.ct_insert / 500.0 * 125.0006;
	}
	ci(x, 8, 0.99, &m, &hw);
	printf("  firewall: mean entries - rate x 125 s = %.2f +- %.2f\n", m, hw);
	assert_true(fabs(m) <= hw);
}

/* nf_conntrack_max reached with long-lived connections: SYNs are dropped
 * (stat drop), the clients retransmit, and with every entry ASSURED nothing
 * is early-dropped. */
static void test_table_full(void **st)
{
	(void)st;
	const char *sets[] = { "firewall.sysctl.net.netfilter.nf_conntrack_max=50", "workload.rate=2",
			       "workload.stop=200s", "workload.life=fixed", "workload.life_mean=100s", NULL };
	boxrun r = box_run(sets, 0, 0, 300, "firewall");
	assert_true(r.ct_drop > 0);
	assert_true(r.syn_retrans > 0);
	assert_true(r.v.established < r.v.attempts);
}

/* Loss on the way into a box: segments vanish there, the endpoints
 * retransmit, connections still complete.  The first handshake round fails
 * (SYN or SYN-ACK lost) with probability q = 1 - (1 - p)^2, and each failure
 * costs the client at least one SYN retransmission (its 1 s timer fires
 * before the server's SYN-ACK retransmission can arrive); later rounds
 * succeed at least as often as the first (the server retransmits its SYN-ACK
 * too), so retransmissions per connection lie in [q, q / (1 - q)]. */
static void test_box_loss(void **st)
{
	(void)st;
	const char *sets[] = { "firewall.loss=0.2", "workload.rate=50", "workload.stop=300s", NULL };
	boxrun r = box_run(sets, 0, 0, 400, "firewall");
	double first_try = 1 - (1 - 0.2) * (1 - 0.2);  /* 0.36 */
	double retrans_per_conn = r.syn_retrans / r.v.attempts;
	printf("  firewall loss 0.2: %.3f SYN retransmissions per connection, bounds [%.3f, %.3f]\n",
	       retrans_per_conn, first_try, first_try / (1 - first_try));
	assert_true(r.v.established == r.v.attempts);
	/* margin: 4 standard errors of a mean of ~15000 counts with variance < 1 */
	double margin = 4 / sqrt(r.v.attempts);
	assert_true(retrans_per_conn > first_try - margin);
	assert_true(retrans_per_conn < first_try / (1 - first_try) + margin);
}

/* Teardowns the firewall never sees leave entries ESTABLISHED until
 * nf_conntrack_tcp_timeout_established: with 600 s and a fraction f of
 * 100 connections/s over 150 s hidden, about f x 100 x 150 entries still
 * sit in ESTABLISHED at 450 s, past the 300 s that
 * nf_conntrack_tcp_timeout_unacknowledged would allow had the box seen the
 * last ACK; without hiding, none do. */
static double established_after(const char *unseen)
{
	const char *sets[] = { "firewall.sysctl.net.netfilter.nf_conntrack_tcp_timeout_established=600",
			       "workload.rate=100", "workload.stop=150s", "workload.life_mean=100ms", "client.count=10",
			       "net.ipv4.ip_local_port_range=1024 65535", unseen, NULL };
	vworld v = vworld_new(sets, 0, 450);
	probe_gauge *est = probe_gauge_get(v.ps, "firewall.ct.state.ESTABLISHED", NULL);
	world_start(v.W);
	ev_run(v.L, 450 * EV_SEC);
	double n = (double)est->value;
	vworld_free(&v);
	return n;
}

static void test_unseen_teardown(void **st)
{
	(void)st;
	double none = established_after("workload.unseen_teardown=0"),
	       some = established_after("workload.unseen_teardown=0.2");
	printf("  ESTABLISHED entries at 450 s: %.0f without, %.0f with 20 %% unseen teardowns (~3000)\n", none,
	       some);
	assert_true(none < 50);
	/* Binomial(15000, 0.2): 3000 +- 4 sd = 196 */
	assert_true(fabs(some - 3000) < 200);
}

/*
 * tcp_tw_recycle behind NAT (profile 4.4, doc/kernel-rules.md §5.4, §9.6): M
 * clients share one NAT address; the server closes first, so each
 * connection leaves a recycled TIME_WAIT that writes the client's TSval
 * into the server's per-(saddr, daddr) timestamp cache.  A SYN whose TSval
 * is behind the cached one by more than TCP_PAWS_WINDOW while the stamp is
 * under 60 s old is dropped silently (TcpExtPAWSPassive) and retransmitted a
 * second later.  With clocks c_1 > c_2 > ... (jiffies since each client's
 * random boot) and host i closing at rate mu_i, client j's first SYN is
 * dropped with probability about 1 - exp(-60 s x sum_{i: c_i > c_j} mu_i);
 * the client with the highest clock is never dropped.
 */
static uint64_t spy_total[64], spy_dropped[64];
static void (*orig_connected)(void *, int, uint32_t, uint64_t);
static void (*orig_failed)(void *, int, int, uint64_t);

static void spy_connected(void *ctx, int host, uint32_t sk, uint64_t setup_ns)
{
	spy_total[host]++;
	spy_dropped[host] += setup_ns > 500 * EV_MS;  /* the first SYN went unanswered */
	orig_connected(ctx, host, sk, setup_ns);
}

static void spy_failed(void *ctx, int host, int err, uint64_t started)
{
	spy_total[host]++;
	spy_dropped[host]++;
	orig_failed(ctx, host, err, started);
}

/* One run with m clients; per[j] = first-SYN drop fraction of the client
 * with the j-th highest clock; returns the overall drop fraction. */
static double recycle_run(unsigned m, double mu, double end, uint32_t rep, double *per, double *pawsp)
{
	char count[32], rate[48], stop[32];
	snprintf(count, sizeof count, "client.count=%u", m);
	snprintf(rate, sizeof rate, "workload.rate=%.6f", mu * m);
	snprintf(stop, sizeof stop, "workload.stop=%.0fs", end);
	const char *sets[] = { count, rate, stop, "client.profile=4.4", "server.profile=4.4", "nat.profile=4.4",
			       "server.sysctl.net.ipv4.tcp_tw_recycle=1", "workload.close=server",
			       "workload.life=fixed", "workload.life_mean=100ms", NULL };
	vworld v = vworld_new(sets, rep, end);
	tcp_net *n = world_tcp(v.W);
	orig_connected = n->app.connected;
	orig_failed = n->app.failed;
	n->app.connected = spy_connected;
	n->app.failed = spy_failed;
	memset(spy_total, 0, sizeof spy_total);
	memset(spy_dropped, 0, sizeof spy_dropped);
	world_start(v.W);
	ev_run(v.L, (ev_time)(end * 1e9) + 200 * EV_SEC);
	/* rank the clients (hosts 0..m-1) by clock: jiffies = (boot + t) x HZ */
	unsigned order[64];
	for (unsigned i = 0; i < m; i++)
		order[i] = i;
	for (unsigned i = 0; i < m; i++)
		for (unsigned j = i + 1; j < m; j++)
			if (n->hosts[order[j]].ts.boot_ns > n->hosts[order[i]].ts.boot_ns) {
				unsigned t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
	uint64_t tot = 0, drop = 0;
	for (unsigned j = 0; j < m; j++) {
		per[j] = spy_total[order[j]] ? (double)spy_dropped[order[j]] / (double)spy_total[order[j]] : 0;
		tot += spy_total[order[j]];
		drop += spy_dropped[order[j]];
	}
	*pawsp = (double)*probe_counter(v.ps, "server.TcpExtPAWSPassive", NULL);
	vworld_free(&v);
	return (double)drop / (double)tot;
}

static void test_tw_recycle_nat(void **st)
{
	(void)st;
	const double mu = 0.005, end = 20000;
	enum { R = 12, M = 4 };
	double per[R][M], pawsp;
	for (unsigned r = 0; r < R; r++) {
		recycle_run(M, mu, end, r, per[r], &pawsp);
		assert_true(per[r][0] == 0);  /* the highest clock never sees a drop */
		assert_true(pawsp > 0);
	}
	for (unsigned j = 1; j < M; j++) {
		double x[R], m, hw;
		for (unsigned r = 0; r < R; r++)
			x[r] = per[r][j];
		ci(x, R, 0.99, &m, &hw);
		double approx = 1 - exp(-60.0 * mu * j);
		printf("  client with clock rank %u: first SYN dropped %.4f +- %.4f, approximation %.4f\n", j + 1, m,
		       hw, approx);
		assert_true(fabs(m - approx) <= hw);
	}
	/* more clients per address, more drops */
	double f2 = 0, f8 = 0, tmp[8];
	for (unsigned r = 0; r < 4; r++) {
		f2 += recycle_run(2, mu, end / 2, 100 + r, tmp, &pawsp) / 4;
		f8 += recycle_run(8, mu, end / 2, 100 + r, tmp, &pawsp) / 4;
	}
	printf("  overall first-SYN drop fraction: 2 clients %.4f, 8 clients %.4f\n", f2, f8);
	assert_true(f8 > f2 + 0.1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_basic),
		cmocka_unit_test(test_firewall_little),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_tw_recycle_nat),
		cmocka_unit_test(test_unseen_teardown),
		cmocka_unit_test(test_box_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
