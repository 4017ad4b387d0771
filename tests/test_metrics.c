/*
 * The per-connection metrics of a run (cmd/replica.c over the models): what
 * each connection's SYNs met (conn.hit.*, conn.timedout.*, the fractions),
 * the time to the first failure, on scenarios small enough to check by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "cmd/cmd.h"
#include "cmd/replica.h"
#include "models/box.h"
#include "tests/valid.h"

/* A replica built from settings as the command line builds it, run to its
 * end, and its summary metrics. */
typedef struct mrun {
	cfg *c;
	scenario *sc;
	replica *r;
	GArray *m;
} mrun;

static mrun mrun_new(const char *const *sets, uint32_t rep)
{
	mrun x = { scn_cfg_new(), NULL, NULL, NULL };
	GError *err = NULL;
	for (const char *const *s = sets; *s; s++)
		if (!scn_set_arg(x.c, *s, NULL, &err)) {
			fprintf(stderr, "mrun_new: %s\n", err->message);
			abort();
		}
	if ((x.sc = scn_new(x.c, &err)))
		x.r = replica_new(x.sc, 1, rep, &err);
	if (!x.r) {
		fprintf(stderr, "mrun_new: %s\n", err->message);
		abort();
	}
	replica_start(x.r);
	ev_run(replica_loop(x.r), replica_duration(x.r));
	x.m = replica_metrics(x.r);
	return x;
}

static void mrun_free(mrun *x)
{
	replica_metrics_free(x->m);
	replica_free(x->r);
	scn_free(x->sc);
	cfg_free(x->c);
}

static GArray *metrics_of(const char *const *sets, uint32_t rep, mrun *keep)
{
	*keep = mrun_new(sets, rep);
	return keep->m;
}

static double metric_value(GArray *m, const char *name)
{
	for (guint i = 0; i < m->len; i++)
		if (!strcmp(g_array_index(m, metric, i).name, name))
			return g_array_index(m, metric, i).value;
	fprintf(stderr, "no metric %s\n", name);
	abort();
}

/* A firewall whose table holds 4 entries; one connection a second, each
 * living 1000 s: the first four are confirmed and ASSURED (early_drop finds
 * nothing to drop), the fifth's SYN and every retransmission of it are
 * dropped (table full), and it times out after tcp_syn_retries (6) +
 * tcp_syn_linear_timeouts (4) retransmissions, 131 s after its connect() at
 * 4 s. */
static void test_ct_drop(void **st)
{
	(void)st;
	const char *sets[] = { "experiment.duration=200s", "workload.arrival=constant", "workload.rate=1",
			       "workload.stop=5s", "workload.life_mean=1000s",
			       "firewall.sysctl.net.netfilter.nf_conntrack_max=4", NULL };
	mrun x;
	GArray *m = metrics_of(sets, 0, &x);
	assert_int_equal(metric_value(m, "conn.attempts"), 5);
	assert_int_equal(metric_value(m, "conn.established"), 4);
	assert_int_equal(metric_value(m, "conn.hit.ct_drop"), 1);
	assert_int_equal(metric_value(m, "conn.timedout.ct_drop"), 1);
	assert_int_equal(metric_value(m, "conn.ETIMEDOUT"), 1);
	/* the SYN, sent 11 times: tcp_syn_retries 6 + tcp_syn_linear_timeouts 4
	 * retransmissions (tcp_write_timeout, 6.5+) */
	assert_true(metric_value(m, "firewall.ct.drop") == 11);
	assert_int_equal(metric_value(m, "conn.hit.nat_fail") + metric_value(m, "conn.hit.paws_drop") +
				 metric_value(m, "conn.hit.syn_tw_collision"), 0);
	assert_true(fabs(metric_value(m, "conn.ct_drop.fraction") - 0.2) < 1e-9);
	/* the first failure is the fifth connection's ETIMEDOUT: 4 s + 131 s
	 * (SYNs at 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s), each timer late by at
	 * most its wheel level's granularity: 6.08 s in all at HZ 1000 */
	double ff = metric_value(m, "conn.first_failure_s");
	assert_true(ff >= 135.0 && ff <= 141.08);
	assert_int_equal(metric_value(m, "conn.first_failure_seen"), 1);
	mrun_free(&x);
}

/* MASQUERADE onto --to-ports 1000-1001 for three clients towards one server
 * port: two tuples exist, the third connection's search fails every time. */
static void test_nat_fail(void **st)
{
	(void)st;
	const char *sets[] = { "experiment.duration=200s", "workload.arrival=constant", "workload.rate=1",
			       "workload.stop=3s", "workload.life_mean=1000s", "client.count=3",
			       "nat.ports=1000 1001", NULL };
	mrun x;
	GArray *m = metrics_of(sets, 0, &x);
	assert_int_equal(metric_value(m, "conn.attempts"), 3);
	assert_int_equal(metric_value(m, "conn.established"), 2);
	assert_int_equal(metric_value(m, "conn.hit.nat_fail"), 1);
	assert_int_equal(metric_value(m, "conn.timedout.nat_fail"), 1);
	assert_int_equal(metric_value(m, "conn.hit.ct_drop"), 0);
	assert_true(metric_value(m, "nat.snat.failed") == 11);  /* 1 + 6 + 4 SYNs */
	mrun_free(&x);
}

/*
 * tcp_tw_recycle on 4.4 behind a NAT: client 0 connects at 0 s, client 1 at
 * 0.5 s, through one NAT address; the server closes first, so client 0's
 * connection leaves a recycled TIME_WAIT that writes its TSval into the
 * server's per-peer cache.  Client 1's SYN is dropped (PAWS) exactly when
 * its timestamp clock is behind client 0's (the clocks count jiffies since
 * each host's random boot); its retransmissions get through once the
 * cached stamp is 60 s old, so it connects and does not time out.
 */
static void test_paws_drop(void **st)
{
	(void)st;
	const char *sets[] = { "experiment.duration=100s", "workload.arrival=constant", "workload.rate=2",
			       "workload.stop=1s", "client.count=2", "client.profile=4.4", "server.profile=4.4",
			       "nat.profile=4.4", "server.sysctl.net.ipv4.tcp_tw_recycle=1", "workload.close=server",
			       NULL };
	unsigned seen[2] = { 0, 0 };
	for (uint32_t rep = 0; rep < 8; rep++) {
		mrun x;
		GArray *m = metrics_of(sets, rep, &x);
		tcp_net *n = world_tcp(replica_world(x.r));
		bool behind = n->hosts[1].ts.boot_ns < n->hosts[0].ts.boot_ns;
		assert_int_equal(metric_value(m, "conn.established"), 2);
		assert_int_equal(metric_value(m, "conn.hit.paws_drop"), behind);
		assert_int_equal(metric_value(m, "conn.timedout.paws_drop"), 0);
		assert_true(metric_value(m, "server.TcpExtPAWSPassive") >= behind);
		assert_true(fabs(metric_value(m, "conn.paws_drop.fraction") - behind / 2.0) < 1e-9);
		seen[behind]++;
		mrun_free(&x);
	}
	assert_true(seen[0] > 0 && seen[1] > 0);  /* both cases were exercised */
}

/*
 * The same with both users connecting every 2 s for 250 s: the user whose
 * clock is behind loses nearly every SYN, the other none, so one client host
 * of the two met PAWS however many of its connections did
 * (conn.paws_drop.host_fraction = 1/2).  The window opens at 150 s; the
 * behind user's first timeouts (127 s after its first SYNs) come before it,
 * so it is counted twice in the run, once in the window.
 */
static void test_host_fraction(void **st)
{
	(void)st;
	const char *sets[] = { "experiment.duration=400s", "experiment.warmup=150s", "workload.arrival=constant",
			       "workload.rate=1", "workload.stop=250s", "workload.life=fixed", "client.count=2",
			       "client.profile=4.4", "server.profile=4.4", "nat.profile=4.4",
			       "server.sysctl.net.ipv4.tcp_tw_recycle=1", "workload.close=server", NULL };
	for (uint32_t rep = 0; rep < 3; rep++) {
		mrun x;
		GArray *m = metrics_of(sets, rep, &x);
		assert_true(metric_value(m, "conn.hit.paws_drop") >= 50);
		assert_int_equal(metric_value(m, "conn.hit_hosts.paws_drop"), 1);
		assert_true(fabs(metric_value(m, "conn.paws_drop.host_fraction") - 0.5) < 1e-9);
		assert_int_equal(metric_value(m, "conn.hit_hosts.syn_tw_collision"), 0);
		assert_int_equal(metric_value(m, "conn.syn_tw_collision.host_fraction"), 0);
		/* the whole run: once before the window, once in it */
		assert_int_equal(*probe_counter(replica_probes(x.r), "conn.hit_hosts.paws_drop", NULL), 2);
		mrun_free(&x);
	}
}

/*
 * 4.10's per-connection timestamp offsets (95a22caee396) broke tw_recycle
 * without any NAT: one client host, one connection a second, each from a
 * new source port and so with its own random offset; the server closes
 * first and its tcp_tw_recycle cache (tcp_remember_stamp, per host pair)
 * keeps the newest timestamp it saw, so about half of the next SYNs carry
 * an older one and tcp_peer_is_proven drops them (TcpExtPAWSPassive).  On
 * 4.4 the host has one clock for all its connections: nothing is dropped.
 * (4.11 went back to per-host-pair offsets, 28ee1b746f49; 4.12 removed
 * tw_recycle.)
 */
static void test_recycle_410(void **st)
{
	(void)st;
	for (int v = 0; v < 2; v++) {
		const char *cprof = v ? "client.profile=4.10" : "client.profile=4.4";
		const char *sprof = v ? "server.profile=4.10" : "server.profile=4.4";
		const char *sets[] = { "experiment.duration=100s", "workload.arrival=constant", "workload.rate=1",
				       "workload.stop=60s", "workload.life=fixed", "workload.close=server", cprof, sprof,
				       "server.sysctl.net.ipv4.tcp_tw_recycle=1", NULL };
		mrun x;
		GArray *m = metrics_of(sets, 0, &x);
		double drops = metric_value(m, "server.TcpExtPAWSPassive"), hit = metric_value(m, "conn.hit.paws_drop");
		if (v) {
			assert_true(hit >= 10 && hit <= 50);  /* about half of 60 connections */
			assert_true(drops >= hit);
		} else {
			assert_true(hit == 0 && drops == 0);
		}
		mrun_free(&x);
	}
}

/*
 * The server closes first and keeps the TIME_WAIT; the client, with two
 * ports (one for connect()'s even-offset scan), reconnects 1 s later on the
 * same 4-tuple.  Without timestamps, the SYN reopens the TIME_WAIT only if
 * its sequence is beyond the old rcv_nxt: the ISN clock advances 15.6 M per
 * second, so after 1000 request bytes it is (TCP_TW_SYN, no hit); after
 * 10^9 bytes it is not, and the server answers with an ACK (the client
 * RSTs it, which kills the TIME_WAIT, and its SYN retransmitted 2 jiffies
 * later gets through).
 */
static void test_syn_tw_collision(void **st)
{
	(void)st;
	for (int big = 0; big < 2; big++) {
		const char *sets[] = { "experiment.duration=20s", "workload.arrival=constant", "workload.rate=1",
				       "workload.stop=2s", "workload.close=server",
				       "net.ipv4.ip_local_port_range=40000 40001", "net.ipv4.tcp_timestamps=0",
				       big ? "workload.request_bytes=1000000000" : "workload.request_bytes=1000", NULL };
		mrun x;
	GArray *m = metrics_of(sets, 0, &x);
		assert_int_equal(metric_value(m, "conn.established"), 2);
		assert_int_equal(metric_value(m, "conn.hit.syn_tw_collision"), big);
		assert_int_equal(metric_value(m, "server.syn_hit_timewait"), big);
		assert_int_equal(metric_value(m, "server.tw_syn_reopen"), !big);
		/* the collided SYN costs one retransmission, 2 jiffies after the
		 * RST (tcp_rcv_synsent_state_process, 5.7+), not an RTO later */
		double mx = metric_value(m, "conn.setup.max_ms");
		if (big)
			assert_true(mx > 0.4 && mx < 20.0);
		else
			assert_true(fabs(mx - 0.2) < 0.01);
		mrun_free(&x);
	}
}

/* Eight ports (40000-40007, an even-size range: all usable), one connection
 * every 100 ms living 1000 s: the ninth connect(), at 0.8 s, fails with
 * EADDRNOTAVAIL.  With 16 ports nothing fails in the 1.5 s run: the time is
 * censored at the run's end. */
static void test_first_failure(void **st)
{
	(void)st;
	const char *sets[] = { "experiment.duration=1.5s", "workload.arrival=constant", "workload.rate=10",
			       "workload.life_mean=1000s", "net.ipv4.ip_local_port_range=40000 40007", NULL };
	mrun x;
	GArray *m = metrics_of(sets, 0, &x);
	assert_int_equal(metric_value(m, "port_pool"), 8);
	assert_int_equal(metric_value(m, "conn.established"), 8);
	assert_true(fabs(metric_value(m, "conn.first_failure_s") - 0.8) < 1e-6);
	assert_int_equal(metric_value(m, "conn.first_failure_seen"), 1);
	mrun_free(&x);

	const char *wide[] = { "experiment.duration=1.5s", "workload.arrival=constant", "workload.rate=10",
			       "workload.life_mean=1000s", "net.ipv4.ip_local_port_range=40000 40015", NULL };
	m = metrics_of(wide, 0, &x);
	assert_int_equal(metric_value(m, "conn.EADDRNOTAVAIL"), 0);
	assert_true(fabs(metric_value(m, "conn.first_failure_s") - 1.5) < 1e-6);
	assert_int_equal(metric_value(m, "conn.first_failure_seen"), 0);
	mrun_free(&x);
}

/*
 * connsim run with a NAT (1024 conntrack buckets, 20 clients, 200
 * connections/s): chains.csv accounts for every bucket once and for both
 * nodes of every entry; the summary's chain histogram saw two walks per
 * confirmed entry; kmem lines are their gauges times the slab sizes.
 */
static void test_chains_and_kmem(void **st)
{
	(void)st;
	char *dir = g_dir_make_tmp("connsim-metrics-XXXXXX", NULL);
	char *exp = g_build_filename(dir, "nat.ini", NULL), *out = g_build_filename(dir, "out", NULL);
	const char *ini = "[experiment]\nduration = 30s\nwarmup = 10s\n[client]\ncount = 20\n"
			  "[workload]\nrate = 200\n[nat]\naddresses = 203.0.113.1\n"
			  "[nat.sysctl]\nnet.netfilter.nf_conntrack_buckets = 1024\n";
	assert_true(g_file_set_contents(exp, ini, -1, NULL));
	char *argv[] = { "connsim run", exp, "--quiet", "--out", out, NULL };
	char **av = g_memdup2(argv, sizeof argv);
	assert_int_equal(cmd_run(5, av), 0);
	g_free(av);

	char *path = g_build_filename(out, "chains.csv", NULL), *text;
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	char **lines = g_strsplit(text, "\n", -1);
	double buckets = 0, nodes = 0, expected = 0;
	bool header = false;
	for (char **l = lines; *l; l++) {
		if (**l == '#' || !**l)
			continue;
		if (!header) {
			assert_string_equal(*l, "length,buckets,poisson_expected,box");
			header = true;
			continue;
		}
		char **f = g_strsplit(*l, ",", -1);
		assert_string_equal(f[3], "nat");
		buckets += g_ascii_strtod(f[1], NULL);
		nodes += g_ascii_strtod(f[0], NULL) * g_ascii_strtod(f[1], NULL);
		expected += g_ascii_strtod(f[2], NULL);
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
	g_free(path);

	/* the same run in-process, for the table at the end and the metrics */
	const char *sets[] = { "experiment.duration=30s", "experiment.warmup=10s", "client.count=20",
			       "workload.rate=200", "nat.addresses=203.0.113.1",
			       "nat.sysctl.net.netfilter.nf_conntrack_buckets=1024", NULL };
	mrun x;
	GArray *m = metrics_of(sets, 0, &x);
	const ct_table *ct = box_ct(world_box(replica_world(x.r), 0));
	printf("  chains.csv: %.0f buckets, %.0f nodes (Poisson expects %.2f buckets); table: %u buckets, %u entries\n",
	       buckets, nodes, expected, ct_buckets(ct), ct_count(ct));
	assert_true(buckets == 1024 && ct_buckets(ct) == 1024);
	assert_true(nodes == 2.0 * ct_count(ct));
	assert_true(fabs(expected - 1024) < 0.1);
	assert_true(metric_value(m, "nat.ct.chain.count") == 2 * metric_value(m, "nat.ct.confirmed"));
	assert_true(metric_value(m, "nat.ct.chain.max") <= metric_value(m, "nat.ct.count.peak") * 2);
	assert_true(fabs(metric_value(m, "kmem.client.timewait.mean") / metric_value(m, "client.timewait.mean") - 232) <
		    1e-9);  /* tw_sock_TCP on the current profile */
	assert_true(metric_value(m, "kmem.nat.ct_entries.peak") == 320 * metric_value(m, "nat.ct.count.peak"));
	assert_true(metric_value(m, "kmem.nat.ct_hash.mean") == 8 * 1024);
	assert_true(metric_value(m, "nat.snat.mappings.peak") > 0);
	mrun_free(&x);
	static const char *const files[] = { "timeseries.csv", "summary.csv", "chains.csv" };
	for (unsigned i = 0; i < G_N_ELEMENTS(files); i++) {
		char *f = g_build_filename(out, files[i], NULL);
		g_remove(f);
		g_free(f);
	}
	g_rmdir(out);
	g_remove(exp);
	g_rmdir(dir);
	g_free(exp);
	g_free(out);
	g_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_drop),
		cmocka_unit_test(test_nat_fail),
		cmocka_unit_test(test_paws_drop),
		cmocka_unit_test(test_host_fraction),
		cmocka_unit_test(test_recycle_410),
		cmocka_unit_test(test_syn_tw_collision),
		cmocka_unit_test(test_first_failure),
		cmocka_unit_test(test_chains_and_kmem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
