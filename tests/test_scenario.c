/*
 * Unit tests for models/scenario: typed resolution of a configuration, the
 * source of every setting, printing and comparing two scenarios.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "models/budget.h"
#include "models/ehash.h"
#include "models/prof.h"
#include "models/scenario.h"

/* A configuration from --set style settings; aborts on a bad one. */
static cfg *cfg_of(const char *const *sets)
{
	cfg *c = scn_cfg_new();
	GError *e = NULL;
	for (const char *const *s = sets; s && *s; s++)
		if (!scn_set_arg(c, *s, NULL, &e))
			fail_msg("%s: %s", *s, e->message);
	return c;
}

static G_GNUC_NULL_TERMINATED void scn_fails(cfg *c, ...);

static scenario *scn_of(cfg *c)
{
	GError *e = NULL;
	scenario *s = scn_new(c, &e);
	if (!s)
		fail_msg("%s", e->message);
	return s;
}

static const scn_change *find_change(GArray *d, const char *section, const char *name)
{
	for (guint i = 0; i < d->len; i++) {
		const scn_change *ch = &g_array_index(d, scn_change, i);
		if (!strcmp(ch->section, section) && !strcmp(ch->name, name))
			return ch;
	}
	return NULL;
}

/* tcp_tw_reuse 0 vs 1, and profile current vs 4.4: exactly those settings
 * differ, and the ones whose defaults the two profiles set differently. */
static void test_diff_reuse_and_profile(void **state)
{
	const char *const a_sets[] = { "net.ipv4.tcp_tw_reuse=0", NULL };
	const char *const b_sets[] = { "net.ipv4.tcp_tw_reuse=1", NULL };
	cfg *ca = cfg_of(a_sets), *cb = cfg_of(b_sets);
	GError *e = NULL;
	assert_true(scn_set_profile(cb, "4.4", "--profile", &e));
	scenario *a = scn_of(ca), *b = scn_of(cb);
	GArray *d = scn_diff(a, b);

	const prof *pa = prof_default(), *pb = prof_find("4.4");
	assert_non_null(pb);
	unsigned want = 0;
	static const char *const hosts[] = { "client", "server" };
	for (unsigned h = 0; h < 2; h++) {
		const scn_change *ch = find_change(d, hosts[h], "profile");
		assert_non_null(ch);
		assert_string_equal(ch->a_value, pa->name);
		assert_string_equal(ch->a_source, "default");
		assert_string_equal(ch->b_value, "4.4");
		assert_string_equal(ch->b_source, "--profile");
		ch = find_change(d, hosts[h], "net.ipv4.tcp_tw_reuse");
		assert_non_null(ch);
		assert_string_equal(ch->a_value, "0");
		assert_string_equal(ch->b_value, "1");
		assert_string_equal(ch->a_source, "--set");
		want += 2;
		/* profile defaults: present exactly when the profiles differ */
		ch = find_change(d, hosts[h], "net.ipv4.ip_local_port_range");
		if (pa->port_lo != pb->port_lo || pa->port_hi != pb->port_hi) {
			assert_non_null(ch);
			char *v = g_strdup_printf("%u %u", pb->port_lo, pb->port_hi);
			assert_string_equal(ch->b_value, v);
			assert_string_equal(ch->b_source, "profile 4.4 default");
			g_free(v);
			want++;
		} else {
			assert_null(ch);
		}
		ch = find_change(d, hosts[h], "net.ipv4.tcp_syn_retries");
		if (pa->syn_retries != pb->syn_retries)
			want++;
		assert_true((ch != NULL) == (pa->syn_retries != pb->syn_retries));
		ch = find_change(d, hosts[h], "net.ipv4.tcp_syn_linear_timeouts");
		if (pa->syn_linear_timeouts != pb->syn_linear_timeouts)
			want++;
		assert_true((ch != NULL) == (pa->syn_linear_timeouts != pb->syn_linear_timeouts));
	}
	assert_int_equal(d->len, want);
	g_array_unref(d);

	/* a scenario does not differ from itself, nor from one with the same
	 * values from other sources */
	d = scn_diff(a, a);
	assert_int_equal(d->len, 0);
	g_array_unref(d);
	const char *const a2_sets[] = { "client.sysctl.net.ipv4.tcp_tw_reuse=0", "server.sysctl.net.ipv4.tcp_tw_reuse=0",
					NULL };
	cfg *ca2 = cfg_of(a2_sets);
	scenario *a2 = scn_of(ca2);
	d = scn_diff(a, a2);
	assert_int_equal(d->len, 0);
	g_array_unref(d);
	scn_free(a2);
	cfg_free(ca2);

	scn_free(a);
	scn_free(b);
	cfg_free(ca);
	cfg_free(cb);
}

/* A box only one scenario has: its settings are there with no counterpart. */
static void test_diff_box_on_one_side(void **state)
{
	const char *const b_sets[] = { "nat.addresses=203.0.113.7", NULL };
	cfg *ca = cfg_of(NULL), *cb = cfg_of(b_sets);
	scenario *a = scn_of(ca), *b = scn_of(cb);
	assert_int_equal(a->nboxes, 0);
	assert_int_equal(b->nboxes, 1);
	assert_true(b->boxes[0].has_nat);
	assert_int_equal(b->boxes[0].nat.naddrs, 1);
	assert_int_equal(b->boxes[0].nat.addrs[0], (203u << 24) | (113u << 8) | 7u);
	GArray *d = scn_diff(a, b);
	assert_true(d->len > 0);
	for (guint i = 0; i < d->len; i++) {
		const scn_change *ch = &g_array_index(d, scn_change, i);
		assert_string_equal(ch->section, "nat");
		assert_null(ch->a_value);
		assert_non_null(ch->b_value);
	}
	const scn_change *ch = find_change(d, "nat", "addresses");
	assert_non_null(ch);
	assert_string_equal(ch->b_value, "203.0.113.7");
	ch = find_change(d, "nat", "net.netfilter.nf_conntrack_max");
	assert_non_null(ch);
	assert_string_equal(ch->b_source, "derived from memory");
	assert_null(find_change(d, "nat", "net.ipv4.tcp_tw_reuse"));  /* a box prints conntrack settings */
	g_array_unref(d);
	scn_free(a);
	scn_free(b);
	cfg_free(ca);
	cfg_free(cb);
}

/* Sources: the experiment file's line, a sysctl file it names, --sysctl,
 * --set; the printed form shows them. */
static void test_sources_and_print(void **state)
{
	char *dir = g_dir_make_tmp("connsim-scn-XXXXXX", NULL);
	assert_non_null(dir);
	char *exp = g_build_filename(dir, "e.ini", NULL), *named = g_build_filename(dir, "named.conf", NULL);
	char *cli = g_build_filename(dir, "cli.conf", NULL);
	assert_true(g_file_set_contents(exp,
					"[experiment]\nduration = 10s\n[client]\nsysctl_file = named.conf\n"
					"[sysctl]\nnet.ipv4.tcp_fin_timeout = 40\n",
					-1, NULL));
	assert_true(g_file_set_contents(named, "# x\nnet.ipv4.tcp_synack_retries = 3\nkernel.pid_max = 9\n", -1,
					NULL));
	assert_true(g_file_set_contents(cli, "net.ipv4.tcp_orphan_retries = 2\n", -1, NULL));
	char *sysctls[] = { g_strdup_printf("server:%s", cli), NULL };
	char *sets[] = { "workload.rate=7", NULL };
	GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
	GError *e = NULL;
	cfg *c = scn_load(exp, sysctls, sets, notes, &e);
	if (!c)
		fail_msg("%s", e->message);
	assert_int_equal(notes->len, 1);
	assert_non_null(strstr(g_ptr_array_index(notes, 0), "ignored 1 sysctl that connsim does not model (kernel.pid_max)"));
	scenario *s = scn_of(c);
	assert_int_equal(s->client.k.synack_retries, 3);
	assert_int_equal(s->server.k.synack_retries, 5);
	assert_int_equal(s->server.k.orphan_retries, 2);
	assert_int_equal(s->client.k.fin_timeout_s, 40);
	assert_true(s->workload.rate == 7);
	assert_true(s->workload.stop == s->duration);  /* arrivals until the end */
	GString *out = g_string_new(NULL);
	scn_print(s, out);
	char *want = g_strdup_printf("  net.ipv4.tcp_fin_timeout = 40   (%s:6)\n", exp);
	assert_non_null(strstr(out->str, want));
	g_free(want);
	want = g_strdup_printf("  net.ipv4.tcp_synack_retries = 3   (sysctl file %s:2)\n", named);
	assert_non_null(strstr(out->str, want));
	g_free(want);
	want = g_strdup_printf("  net.ipv4.tcp_orphan_retries = 2   (--sysctl %s:1)\n", cli);
	assert_non_null(strstr(out->str, want));
	g_free(want);
	assert_non_null(strstr(out->str, "  rate = 7   (--set)\n"));
	assert_non_null(strstr(out->str, "[client]\n"));
	assert_non_null(strstr(out->str, "[server]\n"));
	g_string_free(out, TRUE);
	scn_free(s);
	cfg_free(c);
	g_ptr_array_free(notes, TRUE);
	g_free(sysctls[0]);
	g_unlink(exp);
	g_unlink(named);
	g_unlink(cli);
	g_rmdir(dir);
	g_free(exp);
	g_free(named);
	g_free(cli);
	g_free(dir);
}

/* The schema's choices and the workload's enums come from one list: every
 * choice, in order, resolves to the enum value of its position. */
static void test_workload_enums_follow_choices(void **state)
{
	static const struct {
		const char *key;
		unsigned n;
	} enums[] = { { "arrival", 4 }, { "life", 4 }, { "close", 3 }, { "bind", 3 } };
	for (unsigned i = 0; i < G_N_ELEMENTS(enums); i++) {
		cfg *c = scn_cfg_new();
		const cfg_key *k = cfg_schema_find(c, "workload", enums[i].key);
		assert_non_null(k);
		char **choices = g_strsplit(k->choices, "|", -1);
		assert_int_equal(g_strv_length(choices), enums[i].n);
		for (unsigned v = 0; choices[v]; v++) {
			char *set = g_strdup_printf("workload.%s=%s", enums[i].key, choices[v]);
			const char *const sets[] = { set, "client.addresses_per_host=1", NULL };
			cfg *cv = cfg_of(sets);
			scenario *s = scn_of(cv);
			unsigned got = !strcmp(enums[i].key, "arrival") ? (unsigned)s->workload.arrival
				     : !strcmp(enums[i].key, "life")	 ? (unsigned)s->workload.life
				     : !strcmp(enums[i].key, "close")	 ? (unsigned)s->workload.closer
									 : (unsigned)s->workload.bind;
			assert_int_equal(got, v);
			scn_free(s);
			cfg_free(cv);
			g_free(set);
		}
		g_strfreev(choices);
		cfg_free(c);
	}
	assert_string_equal(WL_CHOICES(WL_ARRIVALS), "poisson|constant|onoff|diurnal");
	assert_int_equal(WL_DIURNAL, 3);
	assert_int_equal(WL_BIND_ADDRESS, 2);
}

/* Typed path: ports, addresses, loopback; errors name the key. */
static void test_path(void **state)
{
	const char *const sets[] = { "server.ports=80,8080-8083", "server.addresses=10.0.1.1,10.0.1.2",
				     "client.count=3", NULL };
	cfg *c = cfg_of(sets);
	scenario *s = scn_of(c);
	assert_int_equal(s->path.ndports, 5);
	assert_int_equal(s->path.dports[0], 80);
	assert_int_equal(s->path.dports[4], 8083);
	assert_int_equal(s->path.ndaddrs, 2);
	assert_int_equal(s->path.nclients, 3);
	assert_false(s->path.loopback);
	scn_free(s);
	cfg_free(c);

	/* a loopback path takes no NAT: the error names the [nat] key given */
	const char *const lo[] = { "server.addresses=127.0.0.1", "client.address=127.0.0.1", "nat.addresses=1.2.3.4",
				   NULL };
	c = cfg_of(lo);
	scn_fails(c, "[nat] addresses = '1.2.3.4'", "takes no [nat]", "not modelled", NULL);
	cfg_free(c);

	const char *const bad[] = { "client.count=3", "server.addresses=10.0.0.3", NULL };
	c = cfg_of(bad);
	GError *e = NULL;
	assert_null(scn_new(c, &e));
	assert_string_equal(e->message, "--set: [server] addresses = '10.0.0.3': a server address is also a client "
					"address or repeated");
	g_clear_error(&e);
	cfg_free(c);
}

/* The host's own conntrack: a [firewall] on a loopback path, or with host =
 * server or client, sits on that host's hooks with no delay unless given,
 * runs its kernel, and (host = client) comes before the NAT. */
static void test_own_firewall(void **state)
{
	(void)state;
	const char *const lo[] = { "server.addresses=127.0.0.1", "client.address=127.0.0.1", "firewall.loss=0", NULL };
	cfg *c = cfg_of(lo);
	scenario *s = scn_of(c);
	assert_true(s->path.loopback);
	assert_int_equal(s->nboxes, 1);
	assert_true(s->boxes[0].own);
	assert_int_equal(s->boxes[0].delay, 0);
	GString *o = g_string_new(NULL);
	scn_print(s, o);
	assert_non_null(strstr(o->str, "  delay = 0s   (default: a host's own conntrack)"));
	g_string_free(o, TRUE);
	scn_free(s);
	cfg_free(c);

	/* the host's memory sizes its table, as a box given that memory */
	const char *const lo_mem[] = { "server.addresses=127.0.0.1", "client.address=127.0.0.1", "client.memory=1",
				       "firewall.loss=0", NULL };
	const char *const box_mem[] = { "firewall.memory=1", NULL };
	c = cfg_of(lo_mem);
	s = scn_of(c);
	cfg *c2 = cfg_of(box_mem);
	scenario *s2 = scn_of(c2);
	assert_int_equal(s->boxes[0].k.ct_max, s2->boxes[0].k.ct_max);
	assert_int_equal(s->boxes[0].k.ct_buckets, s2->boxes[0].k.ct_buckets);
	scn_free(s2);
	cfg_free(c2);
	scn_free(s);
	cfg_free(c);

	const char *const lo_delay[] = { "server.addresses=127.0.0.1", "client.address=127.0.0.1", "firewall.delay=5us",
					 NULL };
	c = cfg_of(lo_delay);
	s = scn_of(c);
	assert_int_equal(s->boxes[0].delay, 5000);  /* given: kept */
	scn_free(s);
	cfg_free(c);

	const char *const srv[] = { "firewall.host=server", "nat.host=server", NULL };
	c = cfg_of(srv);
	s = scn_of(c);
	assert_int_equal(s->nboxes, 2);
	assert_string_equal(s->boxes[0].name, "nat");
	assert_false(s->boxes[0].own);          /* a namespace on the server's machine */
	assert_int_equal(s->boxes[0].delay, 20000);
	assert_true(s->boxes[1].own);
	assert_int_equal(s->boxes[1].delay, 0);
	scn_free(s);
	cfg_free(c);

	/* a firewall elsewhere keeps the box's delay */
	const char *const other[] = { "firewall.host=node1", NULL };
	c = cfg_of(other);
	s = scn_of(c);
	assert_false(s->boxes[0].own);
	assert_int_equal(s->boxes[0].delay, 20000);
	scn_free(s);
	cfg_free(c);

	const char *const cli[] = { "firewall.host=client", "nat.host=node1", NULL };
	c = cfg_of(cli);
	s = scn_of(c);
	assert_string_equal(s->boxes[0].name, "firewall");  /* the client's hooks come first */
	assert_true(s->boxes[0].own);
	assert_string_equal(s->boxes[1].name, "nat");
	scn_free(s);
	cfg_free(c);

	const char *const many[] = { "firewall.host=client", "client.count=3", NULL };
	c = cfg_of(many);
	scn_fails(c, "[firewall] host = 'client'", "[client] count is 3", NULL);
	cfg_free(c);

	const char *const kern[] = { "firewall.host=server", "server.profile=5.15", NULL };
	c = cfg_of(kern);
	scn_fails(c, "[firewall] host = 'server'", "kernel profile differs", "server: 5.15", NULL);
	cfg_free(c);

	const char *const lokern[] = { "server.addresses=127.0.0.1", "client.address=127.0.0.1", "firewall.loss=0",
				       "client.profile=6.8", NULL };
	c = cfg_of(lokern);
	scn_fails(c, "[firewall] profile", "the firewall runs on the host's kernel", NULL);
	cfg_free(c);
}

/* Printing covers every key of the schema: each sysctl under a host (TCP)
 * or the box (conntrack), every other key under its section. */
static void test_print_covers_schema(void **state)
{
	const char *const sets[] = { "firewall.delay=1ms", "nat.addresses=203.0.113.9", NULL };
	cfg *c = cfg_of(sets);
	scenario *s = scn_of(c);
	GString *out = g_string_new(NULL);
	scn_print(s, out);
	for (const cfg_key *k = scn_schema(); k->name; k++) {
		if (!strcmp(k->section, "sweep"))
			continue;  /* how a sweep is drawn, not the scenario */
		char *line = g_strdup_printf("\n  %s = ", k->name);
		if (!strstr(out->str, line))
			fail_msg("[%s] %s is not printed", k->section, k->name);
		g_free(line);
	}
	g_string_free(out, TRUE);
	scn_free(s);
	cfg_free(c);
}

/* kernel.osrelease strings as uname -r prints them, and what is no release. */
static void test_release_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool ok;
		unsigned v;
	} cases[] = {
		{ "4.15.0-213-generic", true, 415 }, { "6.18.44-fc-v1272", true, 618 }, { "4.4.0-72-generic", true, 404 },
		{ "3.10.0-1160.el7.x86_64", true, 310 }, { "2.6.32", true, 206 }, { "5.4", true, 504 },
		{ "10.1.0", true, 1001 }, { "4.99", true, 499 },
		{ "4.100", false, 0 }, { "4.", false, 0 }, { "4", false, 0 }, { "", false, 0 }, { ".4", false, 0 },
		{ "banana", false, 0 }, { "v4.15", false, 0 }, { "4.x", false, 0 }, { "1234.1", false, 0 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		unsigned v = 0;
		bool ok = prof_parse_release(cases[i].text, &v);
		if (ok != cases[i].ok || (ok && v != cases[i].v))
			fail_msg("'%s': %s %u, expected %s %u", cases[i].text, ok ? "ok" : "rejected", v,
				 cases[i].ok ? "ok" : "rejected", cases[i].v);
	}
}

/* The nearest profile, at each boundary (prof.h's table) and on either
 * side of it; every profile's own release maps to it. */
static void test_release_to_profile(void **state)
{
	(void)state;
	static const struct {
		const char *release, *profile;
	} cases[] = {
		{ "2.6.32", "3.10" }, { "3.6", "3.10" }, { "3.10", "3.10" }, { "4.0", "3.10" }, { "4.1", "3.10" },
		{ "4.2", "4.4" }, { "4.4", "4.4" }, { "4.9", "4.4" }, { "4.10", "4.10" }, { "4.11", "4.12" },
		{ "4.12", "4.12" }, { "4.15.0-213-generic", "4.12" },
		{ "5.4", "4.12" }, { "5.14", "4.12" }, { "5.15", "5.15" }, { "6.7", "5.15" }, { "6.8", "6.8" },
		{ "6.10", "6.8" }, { "6.11", "6.8" }, { "6.12", "6.13" }, { "6.14", "6.13" }, { "6.15", "6.15" },
		{ "6.18.44", "6.15" }, { "6.19", "6.15" }, { "7.0", "7.0" }, { "7.0.3", "7.0" }, { "7.1", "7.1" },
		{ "7.2", "7.1" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		unsigned v;
		assert_true(prof_parse_release(cases[i].release, &v));
		const prof *p = prof_for_release(v);
		assert_non_null(p);
		if (strcmp(p->name, cases[i].profile))
			fail_msg("%s -> %s, expected %s", cases[i].release, p->name, cases[i].profile);
	}
	size_t n;
	const prof *all = prof_all(&n);
	for (size_t i = 0; i < n; i++)  /* current is 7.0's copy: its release is 7.0's */
		assert_ptr_equal(prof_for_release(all[i].version), strcmp(all[i].name, "current") ? &all[i] : prof_find("7.0"));
}

/* A host's file: the profile, memory and ehash it reveals, for its host
 * only, and an explicit profile wins. */
static void test_host_file_inference(void **state)
{
	(void)state;
	char *dir = g_dir_make_tmp("scn-XXXXXX", NULL);
	char *exp = g_build_filename(dir, "e.ini", NULL), *f15 = g_build_filename(dir, "h415.txt", NULL),
	     *f310 = g_build_filename(dir, "h310.txt", NULL);
	assert_true(g_file_set_contents(exp, "[server]\nprofile = 5.15\n", -1, NULL));
	/* threads-max 32768 x 128 KiB = 4 GiB: ehash 32768, so tw buckets 16384 agree */
	assert_true(g_file_set_contents(f15, "kernel.osrelease = 4.15.0-213-generic\nkernel.threads-max = 32768\n"
					     "net.ipv4.tcp_max_tw_buckets = 16384\n", -1, NULL));
	/* before 3.15 a thread-max stands for 64 KiB (THREAD_SIZE 8 KiB): 2 GiB; tw
	 * buckets say ehash 65536, which 2 GiB does not give */
	assert_true(g_file_set_contents(f310, "kernel.osrelease = 3.10.0-1160.el7.x86_64\nkernel.threads-max = 32768\n"
					      "net.ipv4.tcp_max_tw_buckets = 32768\n", -1, NULL));
	char *sysctls[] = { g_strdup_printf("%s", f15), g_strdup_printf("client:%s", f310), NULL };
	GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
	GError *e = NULL;
	cfg *c = scn_load(exp, sysctls, NULL, notes, &e);
	if (!c)
		fail_msg("%s", e->message);
	scenario *s = scn_of(c);
	/* server: the bare file's facts, but its own profile */
	assert_string_equal(s->server.k.prof->name, "5.15");
	assert_true(s->server.k.mem_bytes == 4ull << 30);
	assert_int_equal(s->server.k.ehash_entries, 32768);
	/* client: the later, host-only file at the same layer wins */
	assert_string_equal(s->client.k.prof->name, "3.10");
	assert_true(s->client.k.mem_bytes == 2ull << 30);
	assert_int_equal(s->client.k.ehash_entries, 65536);
	bool said = false, kept = false;
	for (guint i = 0; i < notes->len; i++) {
		const char *n = g_ptr_array_index(notes, i);
		said = said || strstr(n, "kernel.osrelease 4.15.0-213-generic: profile 4.12 for client (override");
		kept = kept || strstr(n, "would select profile 4.12; the profile given for server wins");
	}
	assert_true(said);
	assert_true(kept);
	scn_free(s);
	cfg_free(c);
	g_ptr_array_free(notes, TRUE);
	for (int i = 0; sysctls[i]; i++)
		g_free(sysctls[i]);
	g_unlink(exp);
	g_unlink(f15);
	g_unlink(f310);
	g_rmdir(dir);
	g_free(exp);
	g_free(f15);
	g_free(f310);
	g_free(dir);
}

/* scn_new fails; the message contains each NULL-terminated needle. */
static G_GNUC_NULL_TERMINATED void scn_fails(cfg *c, ...)
{
	GError *e = NULL;
	scenario *s = scn_new(c, &e);
	if (s)
		fail_msg("scn_new accepted the configuration");
	va_list ap;
	va_start(ap, c);
	for (const char *n; (n = va_arg(ap, const char *));)
		if (!strstr(e->message, n))
			fail_msg("message \"%s\" lacks \"%s\"", e->message, n);
	va_end(ap);
	g_error_free(e);
}

/* connsim issue 17, item 4: 4096 client hosts with the largest established
 * hash passed and ran out of memory in world_new.  The estimate counts every
 * host's table as ehash allocates it, and scn_new refuses it over the limit,
 * naming [client] count; without a limit the same scenario resolves. */
static void test_budget_hosts_tables(void **state)
{
	const char *const sets[] = { "client.count=4096", "client.thash_entries=67108864",
				     "server.addresses=10.9.0.1", NULL };
	cfg *c = cfg_of(sets);
	budget_set_limit(0, NULL);
	scenario *s = scn_of(c);
	budget b;
	scn_budget(s, &b);
	assert_int_equal(b.nclients, 4096);
	assert_int_equal(b.hosts, 4097);
	/* at least the heads every client's ehash allocates, not over twice that */
	double heads = 4096.0 * ehash_bytes_for(67108864);
	assert_true(b.table_bytes >= heads && b.table_bytes < 2 * heads);
	scn_free(s);
	budget_set_limit((uint64_t)8 << 30, "--max-memory 8G");
	scn_fails(c, "[client] count = '4096'", "an estimated 1.0 TiB", "over --max-memory 8G of 8.0 GiB", NULL);
	budget_set_limit(0, NULL);
	cfg_free(c);

	/* the estimate follows the count: 64 hosts take 16 x what 4 take */
	const char *const s4[] = { "client.count=4", "server.addresses=10.9.0.1", NULL };
	const char *const s64[] = { "client.count=64", "server.addresses=10.9.0.1", NULL };
	cfg *c4 = cfg_of(s4), *c64 = cfg_of(s64);
	scenario *a = scn_of(c4), *z = scn_of(c64);
	budget ba, bz;
	scn_budget(a, &ba);
	scn_budget(z, &bz);
	double per = ba.host_bytes + 4;
	assert_true(fabs((bz.table_bytes - ba.table_bytes) - 60 * per) < 1);
	scn_free(a);
	scn_free(z);
	cfg_free(c4);
	cfg_free(c64);
}

/* rate x duration: more events than BUDGET_MAX_EVENTS refused at the rate,
 * with the connections the window opens. */
static void test_budget_events(void **state)
{
	const char *const big[] = { "experiment.duration=1h", "workload.rate=1e9", NULL };
	const char *const ok[] = { "experiment.duration=1h", "workload.rate=1e5", NULL };
	budget_set_limit(0, NULL);
	cfg *c = cfg_of(big);
	scn_fails(c, "[workload] rate = '1e9'", "events", "3.6e+12 connections", NULL);
	cfg_free(c);
	c = cfg_of(ok);
	scenario *s = scn_of(c);
	budget b;
	scn_budget(s, &b);
	assert_true(fabs(b.conns - 3.6e8) < 1);
	assert_true(b.events > b.conns && b.events < BUDGET_MAX_EVENTS);
	/* connections held at once: never more than the window opens */
	assert_true(b.live <= 2 * b.conns + b.conns * (1 + s->nboxes));
	scn_free(s);
	cfg_free(c);
}

/* connsim issue 17, item 9: client addresses follow the first and wrapped
 * past 255.255.255.255 to 0.0.0.0 without a word. */
static void test_client_addresses_wrap(void **state)
{
	const char *const wrap[] = { "client.address=255.255.255.250", "client.count=10", NULL };
	cfg *c = cfg_of(wrap);
	scn_fails(c, "[client] address = '255.255.255.250'", "count = 10", "past 255.255.255.255", "(6 fit)", NULL);
	cfg_free(c);
	const char *const fits[] = { "client.address=255.255.255.246", "client.count=10", NULL };
	c = cfg_of(fits);
	scenario *s = scn_of(c);
	assert_int_equal(s->path.first_client, 0xFFFFFFF6u);
	scn_free(s);
	cfg_free(c);
	/* addresses per host count too: 10 hosts x 2 need 20 */
	const char *const per[] = { "client.address=255.255.255.240", "client.count=10",
				    "client.addresses_per_host=2", "workload.bind=address", NULL };
	c = cfg_of(per);
	scn_fails(c, "addresses_per_host = 2", "(16 fit)", NULL);
	cfg_free(c);
}

/* [workload] local_port_range (IP_LOCAL_PORT_RANGE): on the workload's
 * sockets from 6.8's profile on; an input error naming the key on 5.15
 * (no such option) and with bind = port0 (bind() chooses the port). */
static void test_local_port_range(void **state)
{
	(void)state;
	const char *const ok[] = { "workload.local_port_range=40000 40009", NULL };
	cfg *c = cfg_of(ok);
	scenario *sc = scn_of(c);
	assert_int_equal(sc->workload.port_lo, 40000);
	assert_int_equal(sc->workload.port_hi, 40009);
	scn_free(sc);
	cfg_free(c);
	const char *const bad[][3] = {
		{ "workload.local_port_range=40000 40009", "client.profile=5.15", NULL },
		{ "workload.local_port_range=40000 40009", "workload.bind=port0", NULL },
	};
	for (size_t k = 0; k < G_N_ELEMENTS(bad); k++) {
		c = cfg_of(bad[k]);
		GError *e = NULL;
		assert_null(scn_new(c, &e));
		assert_non_null(e);
		assert_non_null(strstr(e->message, "local_port_range"));
		g_error_free(e);
		cfg_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_port_range),
		cmocka_unit_test(test_diff_reuse_and_profile),
		cmocka_unit_test(test_diff_box_on_one_side),
		cmocka_unit_test(test_sources_and_print),
		cmocka_unit_test(test_workload_enums_follow_choices),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_own_firewall),
		cmocka_unit_test(test_print_covers_schema),
		cmocka_unit_test(test_release_parse),
		cmocka_unit_test(test_release_to_profile),
		cmocka_unit_test(test_host_file_inference),
		cmocka_unit_test(test_budget_hosts_tables),
		cmocka_unit_test(test_budget_events),
		cmocka_unit_test(test_client_addresses_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
