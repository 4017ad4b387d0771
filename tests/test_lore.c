/*
 * Tests for models/lore.c, the table behind `connsim explain`: every sysctl
 * of the schema and every counter the models register has an entry (so a
 * new one without an explanation fails here), names are found the ways the
 * command promises, and a profile default it prints is the profile table's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "models/kconf.h"
#include "models/scenario.h"
#include "models/lore.h"
#include "models/prof.h"
#include "models/world.h"
#include "sim/ev.h"
#include "sim/probe.h"

static void test_every_schema_sysctl_has_an_entry(void **state)
{
	unsigned n = 0;
	for (const cfg_key *k = scn_schema(); k->name; k++) {
		if (strcmp(k->section, "sysctl"))
			continue;
		n++;
		const lore *l = lore_find(k->name);
		if (!l || l->kind != LORE_SYSCTL || strcmp(l->name, k->name))
			fail_msg("sysctl %s has no entry in models/lore.c", k->name);
		assert_ptr_equal(lore_schema_key(l), k);
		assert_non_null(l->what);
		assert_non_null(l->kernel);
		assert_non_null(l->rules);
	}
	assert_true(n > 20);
}

/* Every sysctl entry is a schema sysctl: no explanation of a setting
 * connsim does not read. */
static void test_every_sysctl_entry_is_in_the_schema(void **state)
{
	size_t n;
	const lore *all = lore_all(&n);
	for (size_t i = 0; i < n; i++)
		if (all[i].kind == LORE_SYSCTL && !lore_schema_key(&all[i]))
			fail_msg("%s is explained but not in the schema's [sysctl] keys", all[i].name);
}

/* Worlds with every model that registers counters: TCP hosts, the
 * workload, a NAT box and a firewall, bind(0) and SNAT in use. */
/* Every setting entry names a schema key, and every aws-nat-gateway and cilium key
 * has an entry. */
static void test_every_setting_entry_is_in_the_schema(void **state)
{
	(void)state;
	size_t n;
	const lore *all = lore_all(&n);
	unsigned settings = 0;
	for (size_t i = 0; i < n; i++)
		if (all[i].kind == LORE_SETTING) {
			settings++;
			if (!lore_schema_key(&all[i]))
				fail_msg("%s is explained but not in the schema", all[i].name);
			assert_non_null(all[i].kernel);  /* its source */
		}
	static const char *const keys[] = { "nat.kind", "nat.connections_per_destination", "nat.idle_timeout",
					    "nat.close_hold", "nat.min_ports_per_vm", "nat.max_ports_per_vm",
					    "nat.enable_dynamic_port_allocation", "nat.enable_endpoint_independent_mapping",
					    "nat.tcp_established_idle_timeout_sec", "nat.tcp_transitory_idle_timeout_sec",
					    "nat.tcp_time_wait_timeout_sec",
					    "nat.bpf-ct-global-tcp-max", "nat.bpf-nat-global-max",
					    "nat.bpf-ct-timeout-regular-tcp", "nat.bpf-ct-timeout-regular-tcp-fin",
					    "nat.bpf-ct-timeout-regular-tcp-syn", "nat.conntrack-gc-interval",
					    "nat.conntrack-gc-max-interval", "nat.node-port-range",
					    "nat.snat-collision-retries", "nat.gc_pass_time",
					    "nat.idle_timeout_in_minutes", "nat.snat_ports_per_ip",
					    "nat.concurrent_connections_per_destination", "nat.port_reuse_timer_fin",
					    "nat.port_reuse_timer_rst", "nat.half_open_timer", "nat.allocatedOutboundPorts",
					    "nat.idleTimeoutInMinutes", "nat.port_release_fin", "nat.port_release_rst" };
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		const lore *l = lore_find(keys[i]);
		if (!l || l->kind != LORE_SETTING)
			fail_msg("setting %s has no entry in models/lore.c", keys[i]);
	}
	assert_int_equal(settings, G_N_ELEMENTS(keys));
}

static void check_counters_of(const char *const *sets, GHashTable *seen)
{
	cfg *c = scn_cfg_new();
	GError *err = NULL;
	for (const char *const *s = sets; *s; s++)
		if (!scn_set_arg(c, *s, NULL, &err))
			fail_msg("%s: %s", *s, err->message);
	scenario *sc = scn_new(c, &err);
	if (!sc)
		fail_msg("scn_new: %s", err->message);
	ev_loop *L = ev_loop_new(NULL);
	probe_set *ps = probe_set_new();
	world *W = world_new(sc, L, ps, 1, 0, &err);
	if (!W)
		fail_msg("world_new: %s", err->message);
	for (size_t i = 0; i < probe_ncounters(ps); i++) {
		const char *name = probe_counter_name(ps, i);
		const lore *l = lore_find(name);
		if (!l || l->kind != LORE_COUNTER)
			fail_msg("counter %s has no entry in models/lore.c", name);
		g_hash_table_add(seen, g_strdup(name));
	}
	world_free(W);
	probe_set_free(ps);
	ev_loop_free(L);
	scn_free(sc);
	cfg_free(c);
}

static void test_every_registered_counter_has_an_entry(void **state)
{
	const char *const with_nat[] = { "nat.addresses=203.0.113.1", "client.count=4", NULL };
	const char *const with_fw[] = { "firewall.profile=3.10", "client.profile=3.10", "server.profile=3.10",
					"workload.bind=port0", NULL };
	const char *const plain[] = { "workload.rate=10", NULL };
	const char *const with_aws[] = { "nat.addresses=203.0.113.1", "nat.kind=aws-nat-gateway", NULL };
	const char *const with_cilium[] = { "nat.addresses=203.0.113.1", "nat.kind=cilium", NULL };
	const char *const with_azgw[] = { "nat.addresses=203.0.113.1", "nat.kind=azure-nat-gateway", NULL };
	const char *const with_azlb[] = { "nat.addresses=203.0.113.1", "nat.kind=azure-lb-outbound", NULL };
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	check_counters_of(with_nat, seen);
	check_counters_of(with_fw, seen);
	check_counters_of(plain, seen);
	check_counters_of(with_aws, seen);
	const char *const with_gcp[] = { "nat.addresses=203.0.113.1", "nat.kind=gcp-cloud-nat", NULL };
	check_counters_of(with_gcp, seen);
	check_counters_of(with_cilium, seen);
	check_counters_of(with_azgw, seen);
	check_counters_of(with_azlb, seen);
	/* The worlds did include every model that registers counters. */
	static const char *const must[] = { "client.TcpExtTW", "server.TcpExtPAWSPassive", "nat.ct.insert_failed",
					    "firewall.ct.ignore", "nat.snat.searches", "conn.EADDRINUSE",
					    "conn.hit.ct_drop", "conn.timedout.unexplained", "firewall.unseen_teardowns",
					    "nat.ErrorPortAllocation", "nat.IdleTimeoutCount",
					    "nat.dropped_sent_packets_count", "nat.closed_connections_count",
					    "nat.drop_nat_no_mapping",
					    "nat.conntrack_gc_runs",
					    "nat.SNATConnectionCount.Failed", "nat.SnatConnectionCount.Failed" };
	for (size_t i = 0; i < G_N_ELEMENTS(must); i++)
		if (!g_hash_table_contains(seen, must[i]))
			fail_msg("no world registered %s", must[i]);
	assert_true(g_hash_table_size(seen) > 60);
	g_hash_table_destroy(seen);
}

/* The counters the issue names, and the ways of naming them. */
static void test_names(void **state)
{
	static const struct { const char *asked, *found; } cases[] = {
		{ "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_tw_reuse" },
		{ "tcp_tw_reuse", "net.ipv4.tcp_tw_reuse" },
		{ "net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout" },
		{ "net.ipv4.netfilter.ip_conntrack_max", "net.netfilter.nf_conntrack_max" },
		{ "ip_conntrack_max", "net.netfilter.nf_conntrack_max" },
		{ "net.nf_conntrack_max", "net.netfilter.nf_conntrack_max" },
		{ "nf_conntrack_tcp_timeout_time_wait", "net.netfilter.nf_conntrack_tcp_timeout_time_wait" },
		{ "hashsize", "nf_conntrack.hashsize" },
		{ "TcpExtTW", "TcpExtTW" },
		{ "TW", "TcpExtTW" },
		{ "client.TcpExtTWRecycled", "TcpExtTWRecycled" },
		{ "TcpExtPAWSPassive", "TcpExtPAWSPassive" },
		{ "ActiveOpens", "TcpActiveOpens" },
		{ "insert_failed", "insert_failed" },
		{ "nat.ct.early_drop", "early_drop" },
		{ "firewall.ct.chaintoolong", "chaintoolong" },
		{ "nat.snat.failed", "snat.failed" },
		{ "conn.hit.paws_drop", "conn.hit.CAUSE" },
		{ "conn.timedout.unexplained", "conn.timedout.CAUSE" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const lore *l = lore_find(cases[i].asked);
		if (!l)
			fail_msg("%s: not found", cases[i].asked);
		assert_string_equal(l->name, cases[i].found);
	}
	assert_null(lore_find("tcp_tw_reus"));
	assert_null(lore_find("net.ipv4.tcp_invalid_ratelimit"));  /* not modelled */
	assert_null(lore_find(""));
}

/* The defaults explain prints are the profile table's: tcp_tw_reuse is 0
 * (values 0-1) where prof.c says 0 and 2 (values 0-2) where it says 2, and
 * the port range is each profile's own. */
static void test_defaults_come_from_the_profile_table(void **state)
{
	const lore *reuse = lore_find("tcp_tw_reuse"), *range = lore_find("ip_local_port_range");
	size_t n;
	const prof *p = prof_all(&n);
	assert_int_equal(n, 11);
	unsigned zeros = 0, twos = 0;
	for (size_t i = 0; i < n; i++, p++) {
		char *d = lore_profile_default(reuse, p);
		char *want = g_strdup_printf("%d (accepts 0-%d)", p->tw_reuse, p->reuse_has_loopback ? 2 : 1);
		assert_string_equal(d, want);
		zeros += d[0] == '0';
		twos += d[0] == '2';
		g_free(d);
		g_free(want);
		d = lore_profile_default(range, p);
		want = g_strdup_printf("%u %u", p->port_lo, p->port_hi);
		assert_string_equal(d, want);
		g_free(d);
		g_free(want);
	}
	/* 3.10, 4.4, 4.12 before 4.19; 5.15 and later after */
	assert_int_equal(zeros, 4);  /* 3.10, 4.4, 4.10, 4.12 */
	assert_int_equal(twos, 7);   /* 5.15 on */
	p = prof_find("3.10");
	char *d = lore_profile_default(range, p);
	assert_string_equal(d, "32768 61000");
	g_free(d);
}

/* A schema default is the schema's; a sysctl a profile lacks has none. */
static void test_schema_defaults_and_availability(void **state)
{
	const lore *fin = lore_find("tcp_fin_timeout");
	const cfg_key *k = lore_schema_key(fin);
	assert_non_null(k);
	char *d = lore_profile_default(fin, prof_default());
	assert_string_equal(d, k->def);
	g_free(d);

	const lore *recycle = lore_find("tcp_tw_recycle"), *delay = lore_find("tcp_tw_reuse_delay");
	size_t n;
	const prof *p = prof_all(&n);
	for (size_t i = 0; i < n; i++, p++) {
		char *r = lore_profile_default(recycle, p), *dl = lore_profile_default(delay, p);
		assert_true((r != NULL) == (p->recycle != RECYCLE_NONE));
		assert_true((dl != NULL) == (p->reuse == REUSE_DELAY_MS));
		g_free(r);
		g_free(dl);
	}
	assert_null(lore_profile_default(lore_find("TcpExtTW"), prof_default()));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_schema_sysctl_has_an_entry),
		cmocka_unit_test(test_every_sysctl_entry_is_in_the_schema),
		cmocka_unit_test(test_every_setting_entry_is_in_the_schema),
		cmocka_unit_test(test_every_registered_counter_has_an_entry),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_defaults_come_from_the_profile_table),
		cmocka_unit_test(test_schema_defaults_and_availability),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
