/*
 * Unit tests for sim/cfg: experiment files, sysctl files (parsed by the
 * scenario module, stored through cfg_put), --set, precedence, messages,
 * cfg_dump and cfg_error.
 *
 * The schema below is the tests' own (not the models'): it has the sections
 * experiment, workload, sysctl and the host section client|server, and keys
 * of every cfg_type.  Fixed inputs live in tests/data/cfg/ (the tests run
 * from the repository root); inputs built per test go to a temporary
 * directory made by the group setup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/scenario.h"
#include "sim/cfg.h"

#define DATA "tests/data/cfg/"
#define NS 1000000000ull

static const cfg_key keys[] = {
	/* section, name, type, min, max, choices, default, help */
	{ "experiment", "name", CFG_STRING, 0, 0, NULL, "unnamed", "experiment name" },
	{ "experiment", "duration", CFG_TIME, 0, 0, NULL, "60s", "simulated time (no upper bound)" },
	{ "experiment", "warmup", CFG_TIME, 0, 3600, NULL, "0", "warm-up, at most an hour" },
	{ "experiment", "seed", CFG_INT, 0, 0, NULL, "1", "random seed (no upper bound)" },
	{ "experiment", "verbose", CFG_BOOL, 0, 0, NULL, "false", "chatty output" },
	{ "experiment", "sysctl_files", CFG_LIST, 0, 0, NULL, NULL, "sysctl files to load first" },
	{ "experiment", "tags", CFG_LIST, 0, 0, NULL, NULL, "labels" },
	{ "experiment", "note", CFG_STRING, 0, 0, NULL, NULL, "free text, no default" },
	{ "workload", "rate", CFG_DOUBLE, 0, 0, NULL, "100", "new connections per second" },
	{ "workload", "fraction", CFG_DOUBLE, 0, 1, NULL, "0.5", "share of short connections" },
	{ "workload", "conns", CFG_INT, 1, 1000, NULL, "10", "concurrent connections" },
	{ "workload", "limit", CFG_INT, 0, 0, NULL, NULL, "no default" },
	{ "workload", "mode", CFG_ENUM, 0, 0, "open|closed|burst", "open", "arrival model" },
	{ "workload", "ports", CFG_PORTS, 1, 65535, NULL, "80", "server ports" },
	{ "workload", "think", CFG_TIME, 0, 0, NULL, "1s", "think time" },
	{ "sysctl", "net.ipv4.ip_local_port_range", CFG_RANGE, 1, 65535, NULL, "32768 60999", "ports" },
	{ "sysctl", "net.ipv4.ip_local_reserved_ports", CFG_PORTS, 0, 65535, NULL, "", "reserved" },
	{ "sysctl", "net.ipv4.tcp_tw_reuse", CFG_INT, 0, 2, NULL, "2", "0, 1, 2 (loopback only)" },
	{ "sysctl", "net.ipv4.tcp_fin_timeout", CFG_INT, 1, 0, NULL, "60", "seconds" },
	{ "sysctl", "net.core.somaxconn", CFG_INT, 1, 2147483647, NULL, "4096", "accept backlog" },
	{ "sysctl", "net.netfilter.nf_conntrack_max", CFG_INT, 0, 0, NULL, "262144", "entries" },
	{ "sysctl", "net.ipv4.tcp_congestion_control", CFG_ENUM, 0, 0, "reno|cubic|bbr", "cubic", "cc" },
	{ "client|server", "count", CFG_INT, 1, 100, NULL, "1", "hosts" },
	{ "client|server", "addrs", CFG_LIST, 0, 0, NULL, "10.0.0.1", "addresses" },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL },
};

static const cfg_alias aliases[] = {
	{ "net.ipv4.netfilter.ip_conntrack_max", "net.netfilter.nf_conntrack_max" },
	{ "net.ipv4.ip_conntrack_max", "net.netfilter.nf_conntrack_max" },
	{ NULL, NULL },
};

static char *tmpdir;

/* ---- helpers ------------------------------------------------------------ */

static cfg *new_cfg(void)
{
	return cfg_new(keys, aliases, "sysctl");
}

/* Writes text to tmpdir/name; returns the path (g_free it). */
static char *write_tmp(const char *name, const char *text)
{
	char *path = g_build_filename(tmpdir, name, NULL);
	GError *e = NULL;
	if (!g_file_set_contents(path, text, -1, &e))
		fail_msg("cannot write %s: %s", path, e->message);
	return path;
}

/* The message starts with "path:line: " (line > 0) or "path: " (line 0) and
 * contains each of the NULL-terminated needles. */
static void check_error_v(const GError *e, const char *path, int line, va_list ap)
{
	if (!e)
		fail_msg("expected an error from %s:%d, got none", path, line);
	assert_true(e->domain == CFG_ERROR);
	assert_int_equal(e->code, CFG_ERROR_INPUT);
	char *prefix = line > 0 ? g_strdup_printf("%s:%d: ", path, line) : g_strdup_printf("%s: ", path);
	if (!g_str_has_prefix(e->message, prefix))
		fail_msg("message \"%s\" does not start with \"%s\"", e->message, prefix);
	g_free(prefix);
	for (const char *n; (n = va_arg(ap, const char *));)
		if (!strstr(e->message, n))
			fail_msg("message \"%s\" lacks \"%s\"", e->message, n);
}

static G_GNUC_NULL_TERMINATED void check_error(const GError *e, const char *path, int line, ...)
{
	va_list ap;
	va_start(ap, line);
	check_error_v(e, path, line, ap);
	va_end(ap);
}

/* Writes an experiment file, expects cfg_load_file to fail at line with a
 * message holding the needles. */
static G_GNUC_NULL_TERMINATED void load_fails(const char *text, int line, ...)
{
	char *path = write_tmp("bad.ini", text);
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	va_list ap;
	va_start(ap, line);
	check_error_v(e, path, line, ap);
	va_end(ap);
	g_error_free(e);
	cfg_free(c);
	g_free(path);
}

/* The same for a sysctl file loaded into [sysctl]. */
static G_GNUC_NULL_TERMINATED void sysctl_fails(const char *text, int line, ...)
{
	char *path = write_tmp("bad.conf", text);
	cfg *c = new_cfg();
	GError *e = NULL;
	GPtrArray *ign = g_ptr_array_new_with_free_func(g_free);
	assert_false(scn_load_sysctl_file(c, path, "sysctl", SCN_LAYER_SYSCTL_FILE, ign, &e));
	va_list ap;
	va_start(ap, line);
	check_error_v(e, path, line, ap);
	va_end(ap);
	g_error_free(e);
	g_ptr_array_free(ign, TRUE);
	cfg_free(c);
	g_free(path);
}

/* The exact message of an experiment that fails: the path, then rest. */
static void load_fails_exactly(const char *text, const char *rest)
{
	char *path = write_tmp("bad.ini", text);
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	assert_non_null(e);
	char *want = g_strconcat(path, rest, NULL);
	assert_string_equal(e->message, want);
	g_free(want);
	g_error_free(e);
	cfg_free(c);
	g_free(path);
}

static cfg *load_ok(const char *text)
{
	char *path = write_tmp("ok.ini", text);
	cfg *c = new_cfg();
	GError *e = NULL;
	if (!cfg_load_file(c, path, CFG_LAYER_FILE, &e))
		fail_msg("unexpected error: %s", e->message);
	g_free(path);
	return c;
}

static void set_ok(cfg *c, const char *arg)
{
	GError *e = NULL;
	if (!scn_set_arg(c, arg, NULL, &e))
		fail_msg("--set %s: unexpected error: %s", arg, e->message);
}

static G_GNUC_NULL_TERMINATED void set_fails(cfg *c, const char *arg, const char *prefix, ...)
{
	GError *e = NULL;
	assert_false(scn_set_arg(c, arg, NULL, &e));
	assert_non_null(e);
	assert_true(e->domain == CFG_ERROR);
	if (!g_str_has_prefix(e->message, prefix))
		fail_msg("message \"%s\" does not start with \"%s\"", e->message, prefix);
	va_list ap;
	va_start(ap, prefix);
	for (const char *n; (n = va_arg(ap, const char *));)
		if (!strstr(e->message, n))
			fail_msg("message \"%s\" lacks \"%s\"", e->message, n);
	va_end(ap);
	g_error_free(e);
}

static bool has_str(const GPtrArray *a, const char *s)
{
	for (guint i = 0; i < a->len; i++)
		if (!strcmp(g_ptr_array_index(a, i), s))
			return true;
	return false;
}

static bool port_set(const uint8_t *bm, unsigned p)
{
	return bm[p >> 3] & (1u << (p & 7));
}

/* The message of cfg_error for section.key, for provenance checks. */
static char *error_of(const cfg *c, const char *section, const char *key)
{
	GError *e = NULL;
	cfg_error(c, section, key, &e, "x");
	assert_non_null(e);
	char *m = g_strdup(e->message);
	g_error_free(e);
	return m;
}

static void rm_rf(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return;
	for (const char *n; (n = g_dir_read_name(d));) {
		char *p = g_build_filename(dir, n, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			rm_rf(p);
		else
			g_unlink(p);
		g_free(p);
	}
	g_dir_close(d);
	g_rmdir(dir);
}

static int group_setup(void **state)
{
	GError *e = NULL;
	tmpdir = g_dir_make_tmp("connsim-cfg-XXXXXX", &e);
	if (!tmpdir) {
		fprintf(stderr, "g_dir_make_tmp: %s\n", e->message);
		g_error_free(e);
		return -1;
	}
	if (!g_file_test(DATA "valid.ini", G_FILE_TEST_IS_REGULAR)) {
		fprintf(stderr, "test_cfg: run from the repository root (%s not found)\n", DATA "valid.ini");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	rm_rf(tmpdir);
	g_free(tmpdir);
	return 0;
}

/* ---- a valid experiment ----------------------------------------------- */

static void test_valid_experiment(void **state)
{
	cfg *c = new_cfg();
	GError *e = NULL;
	if (!cfg_load_file(c, DATA "valid.ini", CFG_LAYER_FILE, &e))
		fail_msg("%s", e->message);
	assert_string_equal(cfg_base_dir(c), "tests/data/cfg");

	assert_string_equal(cfg_str(c, "experiment", "name"), "lb-baseline");
	assert_true(cfg_time(c, "experiment", "duration") == 120 * NS);
	assert_true(cfg_time(c, "experiment", "warmup") == 1500000000ull);
	assert_int_equal(cfg_int(c, "experiment", "seed"), 42);
	assert_true(cfg_bool(c, "experiment", "verbose"));
	char **tags = cfg_list(c, "experiment", "tags");
	assert_int_equal(g_strv_length(tags), 3);
	assert_string_equal(tags[0], "short");
	assert_string_equal(tags[1], "smoke");
	assert_string_equal(tags[2], "nightly");
	g_strfreev(tags);

	assert_true(cfg_double(c, "workload", "rate") == 250.5);
	assert_int_equal(cfg_int(c, "workload", "conns"), 64);
	/* "closed   " in the file: trailing blanks are not part of the value */
	assert_string_equal(cfg_str(c, "workload", "mode"), "closed");
	assert_int_equal(cfg_enum(c, "workload", "mode"), 1);  /* open|closed|burst */
	uint8_t bm[8192];
	assert_int_equal(cfg_ports(c, "workload", "ports", bm), 12);
	assert_true(port_set(bm, 80) && port_set(bm, 443) && port_set(bm, 8000) && port_set(bm, 8009));
	assert_false(port_set(bm, 81) || port_set(bm, 7999) || port_set(bm, 8010) || port_set(bm, 0));
	assert_true(cfg_time(c, "workload", "think") == 250000000ull);

	int64_t lo, hi;
	cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
	assert_int_equal(lo, 32768);
	assert_int_equal(hi, 60999);
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 1);
	assert_int_equal(cfg_int(c, "client", "count"), 4);
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_fin_timeout"), 15);

	/* sections in order of first appearance */
	const GPtrArray *s = cfg_sections(c);
	const char *want[] = { "experiment", "workload", "sysctl", "client", "client.sysctl" };
	assert_int_equal(s->len, G_N_ELEMENTS(want));
	for (guint i = 0; i < s->len; i++)
		assert_string_equal(g_ptr_array_index(s, i), want[i]);

	/* provenance: the lines of the file */
	char *m = error_of(c, "workload", "mode");
	assert_string_equal(m, DATA "valid.ini:14: [workload] mode = 'closed': x");
	g_free(m);
	m = error_of(c, "experiment", "warmup");
	assert_true(g_str_has_prefix(m, DATA "valid.ini:6: "));
	g_free(m);
	cfg_free(c);
}

static void test_defaults_and_has(void **state)
{
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_true(cfg_load_file(c, DATA "valid.ini", CFG_LAYER_FILE, &e));

	/* defaults where the file is silent */
	assert_true(cfg_double(c, "workload", "fraction") == 0.5);
	assert_int_equal(cfg_int(c, "sysctl", "net.core.somaxconn"), 4096);
	assert_int_equal(cfg_int(c, "sysctl", "net.netfilter.nf_conntrack_max"), 262144);
	assert_string_equal(cfg_str(c, "sysctl", "net.ipv4.tcp_congestion_control"), "cubic");
	assert_int_equal(cfg_enum(c, "sysctl", "net.ipv4.tcp_congestion_control"), 1);  /* reno|cubic|bbr */
	assert_int_equal(cfg_int(c, "server", "count"), 1);
	char **addrs = cfg_list(c, "server", "addrs");
	assert_int_equal(g_strv_length(addrs), 1);
	assert_string_equal(addrs[0], "10.0.0.1");
	g_strfreev(addrs);
	uint8_t bm[8192];
	assert_int_equal(cfg_ports(c, "sysctl", "net.ipv4.ip_local_reserved_ports", bm), 0);
	/* no default: 0, "", empty list */
	assert_int_equal(cfg_int(c, "workload", "limit"), 0);
	assert_string_equal(cfg_str(c, "experiment", "note"), "");
	char **none = cfg_list(c, "experiment", "sysctl_files");
	assert_non_null(none);
	assert_null(none[0]);
	g_strfreev(none);

	/* cfg_has: given vs defaulted */
	assert_true(cfg_has(c, "experiment", "name"));
	assert_true(cfg_has(c, "workload", "mode"));
	assert_false(cfg_has(c, "workload", "fraction"));
	assert_false(cfg_has(c, "workload", "limit"));
	assert_false(cfg_has(c, "sysctl", "net.core.somaxconn"));
	assert_true(cfg_has(c, "client.sysctl", "net.ipv4.tcp_fin_timeout"));
	assert_false(cfg_has(c, "server.sysctl", "net.ipv4.tcp_fin_timeout"));
	/* a host section falls back to [sysctl] */
	assert_true(cfg_has(c, "client.sysctl", "net.ipv4.tcp_tw_reuse"));
	assert_true(cfg_has(c, "server.sysctl", "net.ipv4.tcp_tw_reuse"));
	cfg_free(c);

	/* A file with an empty section: every key reads its default. */
	c = load_ok("[experiment]\n");
	assert_string_equal(cfg_str(c, "experiment", "name"), "unnamed");
	assert_true(cfg_time(c, "experiment", "duration") == 60 * NS);
	assert_true(cfg_time(c, "experiment", "warmup") == 0);
	assert_int_equal(cfg_int(c, "experiment", "seed"), 1);
	assert_false(cfg_bool(c, "experiment", "verbose"));
	assert_string_equal(cfg_str(c, "workload", "mode"), "open");
	assert_int_equal(cfg_enum(c, "workload", "mode"), 0);  /* the default */
	assert_int_equal(cfg_ports(c, "workload", "ports", bm), 1);
	assert_true(port_set(bm, 80));
	int64_t lo, hi;
	cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
	assert_int_equal(lo, 32768);
	assert_int_equal(hi, 60999);
	for (const cfg_key *k = keys; k->name; k++) {
		char **secs = g_strsplit(k->section, "|", -1);
		for (char **p = secs; *p; p++)
			assert_false(cfg_has(c, *p, k->name));
		g_strfreev(secs);
	}
	GString *d = g_string_new(NULL);
	cfg_dump(c, d, "# ");
	assert_string_equal(d->str, "");  /* defaults are not dumped */
	g_string_free(d, TRUE);
	cfg_free(c);
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		uint64_t ns;
	} ok[] = {
		{ "60s", 60 * NS },       { "250ms", 250000000ull }, { "1.5s", 1500000000ull },
		{ "2m", 120 * NS },       { "1h", 3600 * NS },       { "30", 30 * NS },
		{ "0.25", 250000000ull }, { "10us", 10000 },         { "5ns", 5 },
		{ "0", 0 },               { "7 s", 7 * NS }  ,       { "3min", 180 * NS },
		{ "1d", 86400 * NS },
		/* above LLONG_MAX ns but below the 1.8e19 limit */
		{ "200000d", 17280000000000000000ull },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		uint64_t ns = 1;
		if (!cfg_parse_time(ok[i].text, &ns))
			fail_msg("'%s' rejected", ok[i].text);
		if (ns != ok[i].ns)
			fail_msg("'%s' -> %llu ns, want %llu", ok[i].text, (unsigned long long)ns,
				 (unsigned long long)ok[i].ns);
	}
	static const char *bad[] = { "", "   ", "abc", "-1s", "5x", "1.5.s", "10 parsecs", "inf", "nan",
				     "s", "1e30s", "5 m s" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t ns = 99;
		if (cfg_parse_time(bad[i], &ns))
			fail_msg("'%s' accepted as %llu ns", bad[i], (unsigned long long)ns);
		assert_true(ns == 99);  /* untouched on failure */
	}

	/* Through the loader: an experiment file and --set. */
	cfg *c = load_ok("[experiment]\nduration = 90\nwarmup = 250ms\n[workload]\nthink = 2m\n");
	assert_true(cfg_time(c, "experiment", "duration") == 90 * NS);
	assert_true(cfg_time(c, "experiment", "warmup") == 250000000ull);
	assert_true(cfg_time(c, "workload", "think") == 120 * NS);
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		GError *e = NULL;
		if (!cfg_set(c, "experiment", "duration", ok[i].text, NULL, &e))
			fail_msg("%s", e->message);
		assert_true(cfg_time(c, "experiment", "duration") == ok[i].ns);
	}
	set_ok(c, "experiment.warmup=1h");  /* the maximum itself */
	assert_true(cfg_time(c, "experiment", "warmup") == 3600 * NS);
	cfg_free(c);
}

/* ---- experiment file errors ------------------------------------------- */

static void test_err_missing_file(void **state)
{
	char *path = g_build_filename(tmpdir, "no-such.ini", NULL);
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	check_error(e, path, 0, path, "No such file", NULL);
	g_clear_error(&e);
	/* the same for a sysctl file */
	assert_false(scn_load_sysctl_file(c, path, "sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	check_error(e, path, 0, "No such file", NULL);
	g_clear_error(&e);
	cfg_free(c);
	g_free(path);
}

static void test_err_syntax_line(void **state)
{
	load_fails("# header\n[experiment]\nname = x\n\nthis line is wrong\nseed = 2\n", 5,
		   "'this line is wrong'", "not 'key = value'", NULL);
	load_fails("[workload]\n= 5\n", 2, "'= 5'", NULL);
}

static void test_err_key_outside_section(void **state)
{
	load_fails("# rate first\n\nrate = 5\n[workload]\nconns = 2\n", 3, "key 'rate' outside any section",
		   "[section]", NULL);
}

static void test_err_malformed_section_header(void **state)
{
	load_fails("[experiment]\nname = x\n[workload\nrate = 1\n", 3, "malformed section header '[workload'",
		   "[name]", NULL);
	load_fails("[]\n", 1, "malformed section header '[]'", NULL);
	load_fails("[experiment]\n\n  [workload] rate = 1\n", 3, "malformed section header '[workload] rate = 1'",
		   NULL);
}

static void test_err_unknown_section(void **state)
{
	load_fails("[experiment]\nname = x\n\n[wrkload]\nrate = 1\n", 4, "unknown section [wrkload]",
		   "[experiment]", "[workload]", "[sysctl]", "[client]", "[server]", NULL);
	/* a host sysctl section needs a known host */
	load_fails("[experiment]\n[cleint.sysctl]\nnet.ipv4.tcp_tw_reuse = 1\n", 2,
		   "unknown section [cleint.sysctl]", NULL);
	load_fails("[sysctl.sysctl]\nnet.ipv4.tcp_tw_reuse = 1\n", 1, "unknown section [sysctl.sysctl]", NULL);
	/* a known host is fine */
	cfg *c = load_ok("[server.sysctl]\nnet.ipv4.tcp_tw_reuse = 0\n");
	assert_int_equal(cfg_int(c, "server.sysctl", "net.ipv4.tcp_tw_reuse"), 0);
	cfg_free(c);
}

static void test_err_unknown_key_hint(void **state)
{
	load_fails("[experiment]\nname = x\n[workload]\nrtae = 5\n", 4, "unknown key 'rtae'", "[workload]",
		   "did you mean 'rate'?", NULL);
	load_fails("[server]\ncuont = 5\n", 2, "unknown key 'cuont'", "[server]", "did you mean 'count'?", NULL);
	/* two neighbours swapped cost one: 'note', not 'name' (two substitutions) */
	load_fails("[experiment]\nntoe = x\n", 2, "unknown key 'ntoe'", "[experiment]", "did you mean 'note'?", NULL);
	load_fails("[sysctl]\nnet.ipv4.tcp_fin_timout = 10\n", 2, "unknown key 'net.ipv4.tcp_fin_timout'",
		   "[sysctl]", "did you mean 'net.ipv4.tcp_fin_timeout'?", NULL);
	/* nothing close: no hint */
	char *path = write_tmp("far.ini", "[workload]\nzzzzzzzzzz = 1\n");
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	check_error(e, path, 2, "unknown key 'zzzzzzzzzz' in [workload]", NULL);
	assert_null(strstr(e->message, "did you mean"));
	g_error_free(e);
	cfg_free(c);
	g_free(path);
}

static void test_err_negative_rate(void **state)
{
	load_fails_exactly("[experiment]\n[workload]\nrate = -5\n",
			   ":3: [workload] rate = '-5': expected a number >= 0");
}

static void test_err_int_out_of_range(void **state)
{
	load_fails_exactly("[workload]\nconns = 5000\n",
			   ":2: [workload] conns = '5000': expected an integer in [1, 1000]");
	load_fails("[workload]\nconns = 0\n", 2, "[workload] conns = '0'", "[1, 1000]", NULL);
	load_fails("[experiment]\nseed = -1\n", 2, "[experiment] seed = '-1'", "an integer >= 0", NULL);
	load_fails("[client]\ncount = 101\n", 2, "[client] count = '101'", "an integer in [1, 100]", NULL);
	load_fails("[sysctl]\nnet.ipv4.tcp_tw_reuse = 3\n", 2, "[sysctl] net.ipv4.tcp_tw_reuse = '3'",
		   "an integer in [0, 2]", NULL);
	load_fails("[workload]\nfraction = 1.01\n", 2, "[workload] fraction = '1.01'", "a number in [0, 1]", NULL);
	load_fails("[experiment]\nwarmup = 2h\n", 2, "[experiment] warmup = '2h'", "expected a duration <= 1 h",
		   NULL);
	/* overflows int64 */
	load_fails("[experiment]\nseed = 99999999999999999999\n", 2, "'99999999999999999999'", "an integer", NULL);
}

static void test_err_not_numeric(void **state)
{
	load_fails("[workload]\nconns = lots\n", 2, "[workload] conns = 'lots'", "expected an integer in [1, 1000]",
		   NULL);
	load_fails("[experiment]\nseed = 1.5\n", 2, "[experiment] seed = '1.5'", "an integer", NULL);
	load_fails("[workload]\nrate = fast\n", 2, "[workload] rate = 'fast'", "a number >= 0", NULL);
	load_fails("[workload]\nrate = nan\n", 2, "[workload] rate = 'nan'", NULL);
	load_fails("[workload]\nrate =\n", 2, "[workload] rate = ''", "a number", NULL);
	load_fails("[experiment]\nduration = 10 parsecs\n", 2, "[experiment] duration = '10 parsecs'",
		   "a duration >= 0 s such as 60s, 250ms, 2m", NULL);
	load_fails("[experiment]\nverbose = maybe\n", 2, "[experiment] verbose = 'maybe'", "true or false", NULL);
}

static void test_err_range_upside_down(void **state)
{
	load_fails("[sysctl]\nnet.ipv4.ip_local_port_range = 60999 32768\n", 2,
		   "[sysctl] net.ipv4.ip_local_port_range = '60999 32768'", "upside down", "60999 > 32768",
		   "1 <= low <= high <= 65535", NULL);
}

static void test_err_range_out_of_bounds(void **state)
{
	static const char *bad[] = { "0 70000", "1024 70000", "0 100", "1024", "1 2 3", "a b", "" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *text = g_strdup_printf("[client.sysctl]\nnet.ipv4.ip_local_port_range = %s\n", bad[i]);
		char *named = g_strdup_printf("[client.sysctl] net.ipv4.ip_local_port_range = '%s'", bad[i]);
		load_fails(text, 2, named, "expected two integers 'low high' with 1 <= low <= high <= 65535", NULL);
		g_free(text);
		g_free(named);
	}
	/* the bounds themselves are fine, so is lo == hi */
	cfg *c = load_ok("[sysctl]\nnet.ipv4.ip_local_port_range = 1 65535\n[client.sysctl]\n"
			 "net.ipv4.ip_local_port_range = 5000\t5000\n");
	int64_t lo, hi;
	cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
	assert_true(lo == 1 && hi == 65535);
	cfg_range(c, "client.sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
	assert_true(lo == 5000 && hi == 5000);
	cfg_free(c);
}

static void test_err_bad_enum(void **state)
{
	load_fails_exactly("[workload]\nmode = fastest\n",
			   ":2: [workload] mode = 'fastest': expected one of: open,closed,burst");
	load_fails("[workload]\nmode =\n", 2, "[workload] mode = ''", "one of: open,closed,burst", NULL);
	/* a choice that is a prefix or substring of the list is not a choice */
	load_fails("[workload]\nmode = open|closed\n", 2, "'open|closed'", NULL);
	load_fails("[workload]\nmode = clo\n", 2, "'clo'", NULL);
}

static void test_err_bad_port_item(void **state)
{
	load_fails_exactly("[workload]\nports = 80,http,443\n",
			   ":2: [workload] ports = '80,http,443': bad item 'http'; expected a list of ports "
			   "or ranges in [1, 65535] such as 8080,9000-9010");
	load_fails("[workload]\nports = 80, 70000\n", 2, "bad item '70000'", NULL);
	load_fails("[workload]\nports = 9010-9000\n", 2, "bad item '9010-9000'", NULL);
	load_fails("[workload]\nports = 0\n", 2, "bad item '0'", "[1, 65535]", NULL);
	load_fails("[workload]\nports = 8080-\n", 2, "bad item '8080-'", NULL);
	load_fails("[workload]\nports = -5\n", 2, "bad item '-5'", NULL);
	/* empty is allowed; duplicates count once */
	cfg *c = load_ok("[workload]\nports =\n[sysctl]\nnet.ipv4.ip_local_reserved_ports = 0, 80 80,79-81\n");
	uint8_t bm[8192];
	assert_int_equal(cfg_ports(c, "workload", "ports", bm), 0);
	assert_true(cfg_has(c, "workload", "ports"));
	assert_int_equal(cfg_ports(c, "sysctl", "net.ipv4.ip_local_reserved_ports", bm), 4);
	assert_true(port_set(bm, 0) && port_set(bm, 79) && port_set(bm, 80) && port_set(bm, 81));
	cfg_free(c);
}

static void test_err_empty_and_comments_only(void **state)
{
	load_fails("", 0, "no sections", "empty", NULL);
	load_fails("# nothing here\n; nor here\n\n   # indented\n", 0, "no sections", "only comments", NULL);
}

static void test_err_directory(void **state)
{
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, tmpdir, CFG_LAYER_FILE, &e));
	check_error(e, tmpdir, 0, "cannot read", "Is a directory", NULL);
	g_clear_error(&e);
	assert_false(scn_load_sysctl_file(c, tmpdir, "sysctl", SCN_LAYER_SYSCTL_FILE, NULL, &e));
	check_error(e, tmpdir, 0, "Is a directory", NULL);
	g_clear_error(&e);
	cfg_free(c);
}

static void test_err_unreadable(void **state)
{
	char *path = write_tmp("secret.ini", "[experiment]\nname = x\n");
	assert_int_equal(chmod(path, 0), 0);
	cfg *c = new_cfg();
	GError *e = NULL;
	bool ok = cfg_load_file(c, path, CFG_LAYER_FILE, &e);
	if (geteuid() == 0) {
		/* root reads it regardless of the mode */
		assert_true(ok);
		assert_string_equal(cfg_str(c, "experiment", "name"), "x");
	} else {
		assert_false(ok);
		check_error(e, path, 0, "cannot read", "Permission denied", NULL);
		g_error_free(e);
	}
	cfg_free(c);
	g_free(path);
}

static void test_err_nul_byte(void **state)
{
	char *path = g_build_filename(tmpdir, "nul.ini", NULL);
	assert_true(g_file_set_contents(path, "[experiment]\n\0name = x\n", 23, NULL));
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	check_error(e, path, 0, "NUL", NULL);
	g_error_free(e);
	cfg_free(c);
	g_free(path);
}

/* An error in a later key leaves earlier lines' numbers right even with
 * duplicates, comments of both kinds and blank lines before it. */
static void test_err_line_numbers(void **state)
{
	load_fails("# c\n; c\n[workload]\nrate = 1\n\n[experiment]\nname = a\n[workload]\n  ; c\nmode = open\n"
		   "conns = 0\n",
		   11, "[workload] conns = '0'", NULL);
	load_fails("[client.sysctl]\n\n\nnet.ipv4.tcp_fin_timeout = 0\n", 4,
		   "[client.sysctl] net.ipv4.tcp_fin_timeout = '0'", "an integer >= 1", NULL);
}

/* ---- sysctl files ------------------------------------------------------ */

static void test_sysctl_a_excerpt(void **state)
{
	cfg *c = new_cfg();
	GError *e = NULL;
	GPtrArray *ign = g_ptr_array_new_with_free_func(g_free);
	if (!scn_load_sysctl_file(c, DATA "sysctl-a.txt", "sysctl", SCN_LAYER_SYSCTL_FILE, ign, &e))
		fail_msg("%s", e->message);
	/* 43 lines, 7 of them in the schema */
	assert_int_equal(ign->len, 36);
	assert_true(has_str(ign, "abi.vsyscall32"));
	assert_true(has_str(ign, "fs.file-nr"));
	assert_true(has_str(ign, "kernel.printk"));
	assert_true(has_str(ign, "net.ipv4.tcp_rmem"));
	assert_true(has_str(ign, "net.ipv4.tcp_tw_reuse_delay"));
	assert_true(has_str(ign, "net.netfilter.nf_conntrack_count"));
	assert_true(has_str(ign, "vm.swappiness"));
	assert_false(has_str(ign, "net.ipv4.tcp_tw_reuse"));
	assert_false(has_str(ign, "net.ipv4.ip_local_reserved_ports"));

	int64_t lo, hi;
	cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);  /* tab-separated */
	assert_true(lo == 32768 && hi == 60999);
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 2);
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_fin_timeout"), 60);
	assert_int_equal(cfg_int(c, "sysctl", "net.core.somaxconn"), 4096);
	assert_int_equal(cfg_int(c, "sysctl", "net.netfilter.nf_conntrack_max"), 262144);
	assert_string_equal(cfg_str(c, "sysctl", "net.ipv4.tcp_congestion_control"), "bbr");
	assert_int_equal(cfg_enum(c, "sysctl", "net.ipv4.tcp_congestion_control"), 2);  /* the last choice */
	/* "net.ipv4.ip_local_reserved_ports = " is an empty list, given */
	assert_true(cfg_has(c, "sysctl", "net.ipv4.ip_local_reserved_ports"));
	uint8_t bm[8192];
	assert_int_equal(cfg_ports(c, "sysctl", "net.ipv4.ip_local_reserved_ports", bm), 0);

	char *m = error_of(c, "sysctl", "net.ipv4.ip_local_port_range");
	assert_string_equal(m, DATA "sysctl-a.txt:22: [sysctl] net.ipv4.ip_local_port_range = '32768\t60999': x");
	g_free(m);
	g_ptr_array_free(ign, TRUE);

	/* ignored may be NULL */
	cfg *c2 = new_cfg();
	assert_true(scn_load_sysctl_file(c2, DATA "sysctl-a.txt", "sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	assert_int_equal(cfg_int(c2, "sysctl", "net.ipv4.tcp_tw_reuse"), 2);
	cfg_free(c2);
	cfg_free(c);
}

static void test_sysctl_conf_syntax(void **state)
{
	cfg *c = new_cfg();
	GError *e = NULL;
	GPtrArray *ign = g_ptr_array_new_with_free_func(g_free);
	if (!scn_load_sysctl_file(c, DATA "sysctl.conf", "sysctl", SCN_LAYER_SYSCTL_FILE, ign, &e))
		fail_msg("%s", e->message);
	/* key=value without spaces */
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_fin_timeout"), 30);
	/* tab between the two numbers */
	int64_t lo, hi;
	cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
	assert_true(lo == 1024 && hi == 65000);
	/* leading '-' */
	assert_int_equal(cfg_int(c, "sysctl", "net.core.somaxconn"), 1024);
	/* slash-separated name */
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 0);
	/* legacy name mapped through the alias table */
	assert_int_equal(cfg_int(c, "sysctl", "net.netfilter.nf_conntrack_max"), 524288);
	assert_true(cfg_has(c, "sysctl", "net.netfilter.nf_conntrack_max"));
	/* unknown, also behind '-' and slashes: ignored under the dotted name */
	assert_int_equal(ign->len, 2);
	assert_true(has_str(ign, "net.ipv4.tcp_no_such_knob"));
	assert_true(has_str(ign, "kernel.pid_max"));

	GString *d = g_string_new(NULL);
	cfg_dump(c, d, "");
	assert_string_equal(d->str, "sysctl.net.ipv4.tcp_fin_timeout = 30   (" DATA "sysctl.conf:4)\n"
				    "sysctl.net.ipv4.ip_local_port_range = 1024\t65000   (" DATA "sysctl.conf:5)\n"
				    "sysctl.net.core.somaxconn = 1024   (" DATA "sysctl.conf:6)\n"
				    "sysctl.net.ipv4.tcp_tw_reuse = 0   (" DATA "sysctl.conf:7)\n"
				    "sysctl.net.netfilter.nf_conntrack_max = 524288   (" DATA "sysctl.conf:8)\n");
	g_string_free(d, TRUE);
	g_ptr_array_free(ign, TRUE);
	cfg_free(c);

	/* CRLF line ends */
	c = new_cfg();
	assert_true(scn_load_sysctl_file(c, DATA "crlf.conf", "sysctl", SCN_LAYER_SYSCTL_FILE, NULL, &e));
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 2);
	assert_int_equal(cfg_int(c, "sysctl", "net.core.somaxconn"), 128);
	cfg_free(c);
}

static void test_sysctl_into_host_section(void **state)
{
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_true(scn_load_sysctl_file(c, DATA "sysctl.conf", "server.sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	assert_int_equal(cfg_int(c, "server.sysctl", "net.ipv4.tcp_fin_timeout"), 30);
	assert_int_equal(cfg_int(c, "server.sysctl", "net.netfilter.nf_conntrack_max"), 524288);
	/* [sysctl] and the other host are untouched */
	assert_false(cfg_has(c, "sysctl", "net.ipv4.tcp_fin_timeout"));
	assert_false(cfg_has(c, "client.sysctl", "net.ipv4.tcp_fin_timeout"));
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_fin_timeout"), 60);
	const GPtrArray *s = cfg_sections(c);
	assert_int_equal(s->len, 1);
	assert_string_equal(g_ptr_array_index(s, 0), "server.sysctl");
	cfg_free(c);
}

static void test_sysctl_errors(void **state)
{
	/* a bad value in a known key */
	char *path = write_tmp("bad.conf", "# tuned\n\nnet.ipv4.tcp_tw_reuse = 7\n");
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(scn_load_sysctl_file(c, path, "sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	char *want = g_strdup_printf("%s:3: [sysctl] net.ipv4.tcp_tw_reuse = '7': expected an integer in [0, 2]", path);
	assert_string_equal(e->message, want);
	g_free(want);
	g_clear_error(&e);
	/* ... also in a host section */
	assert_false(scn_load_sysctl_file(c, path, "client.sysctl", SCN_LAYER_SYSCTL_FILE, NULL, &e));
	check_error(e, path, 3, "[client.sysctl] net.ipv4.tcp_tw_reuse = '7'", NULL);
	g_clear_error(&e);
	cfg_free(c);
	g_free(path);

	sysctl_fails("vm.swappiness = 60\n-net.ipv4.ip_local_port_range = 61000\t32768\n", 2,
		     "[sysctl] net.ipv4.ip_local_port_range = '61000\t32768'", "upside down", NULL);
	sysctl_fails("net/ipv4/tcp_fin_timeout = 0\n", 1, "[sysctl] net.ipv4.tcp_fin_timeout = '0'", "an integer >= 1",
		     NULL);
	/* a legacy name is named as written */
	sysctl_fails("; old kernel\nnet.ipv4.netfilter.ip_conntrack_max = lots\n", 2,
		     "[sysctl] net.ipv4.netfilter.ip_conntrack_max = 'lots'", "an integer >= 0", NULL);
	sysctl_fails("net.ipv4.tcp_congestion_control = vegas\n", 1, "'vegas'", "one of: reno,cubic,bbr", NULL);
	/* syntax */
	sysctl_fails("# x\nnet.ipv4.tcp_tw_reuse 1\n", 2, "'net.ipv4.tcp_tw_reuse 1'", "name = value", NULL);
	sysctl_fails("\n\n = 5\n", 3, "no name", NULL);
	sysctl_fails("- = 5\n", 1, "no name", NULL);
	/* an unknown host in the section */
	path = write_tmp("ok.conf", "net.ipv4.tcp_tw_reuse = 1\n");
	c = new_cfg();
	assert_false(scn_load_sysctl_file(c, path, "cleint.sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	check_error(e, path, 1, "unknown section [cleint.sysctl]", NULL);
	g_clear_error(&e);
	cfg_free(c);
	g_free(path);
}

/* Experiment files: unknown sysctls are errors; legacy names are mapped. */
static void test_sysctl_in_experiment(void **state)
{
	load_fails("[sysctl]\nnet.ipv4.tcp_rmem = 4096 131072 6291456\n", 2, "unknown key 'net.ipv4.tcp_rmem'",
		   "[sysctl]", NULL);
	cfg *c = load_ok("[sysctl]\nnet.ipv4.netfilter.ip_conntrack_max = 77\n"
			 "net.ipv4.ip_local_port_range = 2000\t3000\n");
	assert_int_equal(cfg_int(c, "sysctl", "net.netfilter.nf_conntrack_max"), 77);
	int64_t lo, hi;
	cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
	assert_true(lo == 2000 && hi == 3000);
	cfg_free(c);
}

/* ---- precedence ---------------------------------------------------------- */

static void check_precedence(cfg *c, const char *base, const char *exp, const char *cli)
{
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 0);            /* base only */
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_fin_timeout"), 40);        /* exp > base */
	assert_int_equal(cfg_int(c, "sysctl", "net.core.somaxconn"), 512);             /* cli > exp */
	assert_int_equal(cfg_int(c, "sysctl", "net.netfilter.nf_conntrack_max"), 4000); /* set > cli */
	assert_true(cfg_double(c, "workload", "rate") == 7);                           /* set > exp */
	assert_int_equal(cfg_int(c, "workload", "conns"), 3);

	char *m = error_of(c, "sysctl", "net.ipv4.tcp_tw_reuse");
	char *want = g_strdup_printf("%s:1: [sysctl] net.ipv4.tcp_tw_reuse = '0': x", base);
	assert_string_equal(m, want);
	g_free(m);
	g_free(want);
	m = error_of(c, "sysctl", "net.ipv4.tcp_fin_timeout");
	want = g_strdup_printf("%s:7: ", exp);
	assert_true(g_str_has_prefix(m, want));
	g_free(m);
	g_free(want);
	m = error_of(c, "sysctl", "net.core.somaxconn");
	want = g_strdup_printf("%s:1: ", cli);
	assert_true(g_str_has_prefix(m, want));
	g_free(m);
	g_free(want);
	m = error_of(c, "sysctl", "net.netfilter.nf_conntrack_max");
	assert_string_equal(m, "--set: [sysctl] net.netfilter.nf_conntrack_max = '4000': x");
	g_free(m);
}

static void test_precedence(void **state)
{
	char *base = write_tmp("base.conf", "net.ipv4.tcp_tw_reuse = 0\n"
					    "net.ipv4.tcp_fin_timeout = 30\n"
					    "net.core.somaxconn = 128\n"
					    "net.netfilter.nf_conntrack_max = 1000\n");
	char *exp = write_tmp("prec.ini", "[experiment]\n"
					  "sysctl_files = base.conf\n"
					  "[workload]\n"
					  "rate = 5\nconns = 3\n"
					  "[sysctl]\nnet.ipv4.tcp_fin_timeout = 40\n"  /* line 7 */
					  "net.core.somaxconn = 256\n"
					  "net.ipv4.netfilter.ip_conntrack_max = 2000\n");
	char *cli = write_tmp("cli.conf", "net.core.somaxconn = 512\n"
					  "net.netfilter.nf_conntrack_max = 3000\n");
	GError *e = NULL;

	/* The order a command would use: experiment, its sysctl files, the
	 * command line's sysctl files, --set. */
	cfg *c = new_cfg();
	assert_true(cfg_load_file(c, exp, CFG_LAYER_FILE, &e));
	char **files = cfg_list(c, "experiment", "sysctl_files");
	assert_int_equal(g_strv_length(files), 1);
	char *named = g_build_filename(cfg_base_dir(c), files[0], NULL);
	assert_string_equal(named, base);
	g_strfreev(files);
	assert_true(scn_load_sysctl_file(c, named, "sysctl", SCN_LAYER_SYSCTL_FILE, NULL, &e));
	assert_true(scn_load_sysctl_file(c, cli, "sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	set_ok(c, "net.netfilter.nf_conntrack_max=4000");
	set_ok(c, "workload.rate=7");
	check_precedence(c, base, exp, cli);
	cfg_free(c);

	/* Any order gives the same result: precedence is by source, not time. */
	c = new_cfg();
	set_ok(c, "workload.rate=7");
	set_ok(c, "net.netfilter.nf_conntrack_max=4000");
	assert_true(scn_load_sysctl_file(c, cli, "sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	assert_true(scn_load_sysctl_file(c, named, "sysctl", SCN_LAYER_SYSCTL_FILE, NULL, &e));
	assert_true(cfg_load_file(c, exp, CFG_LAYER_FILE, &e));
	check_precedence(c, base, exp, cli);
	cfg_free(c);

	/* The same source twice: the later one wins. */
	c = new_cfg();
	set_ok(c, "workload.rate=1");
	set_ok(c, "workload.rate=2");
	assert_true(cfg_double(c, "workload", "rate") == 2);
	cfg_free(c);

	g_free(named);
	g_free(base);
	g_free(exp);
	g_free(cli);
}

static void test_host_sysctl_fallback(void **state)
{
	cfg *c = load_ok("[sysctl]\n"
			 "net.ipv4.tcp_tw_reuse = 1\n"
			 "net.ipv4.tcp_fin_timeout = 20\n"
			 "[client.sysctl]\n"
			 "net.ipv4.tcp_fin_timeout = 15\n");
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_tw_reuse"), 1);     /* from [sysctl] */
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_fin_timeout"), 15); /* its own */
	assert_int_equal(cfg_int(c, "server.sysctl", "net.ipv4.tcp_fin_timeout"), 20);
	assert_int_equal(cfg_int(c, "server.sysctl", "net.core.somaxconn"), 4096);    /* default */
	assert_false(cfg_has(c, "server.sysctl", "net.core.somaxconn"));

	/* cfg_error names where the value in force came from: [sysctl] */
	char *m = error_of(c, "client.sysctl", "net.ipv4.tcp_tw_reuse");
	assert_true(g_str_has_suffix(m, ":2: [sysctl] net.ipv4.tcp_tw_reuse = '1': x"));
	g_free(m);

	/* --set of a bare sysctl changes [sysctl] and so every host that does
	 * not set the key itself ... */
	set_ok(c, "net.ipv4.tcp_tw_reuse=0");
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_tw_reuse"), 0);
	assert_int_equal(cfg_int(c, "server.sysctl", "net.ipv4.tcp_tw_reuse"), 0);
	/* ... but not a host that does: the host section is more specific */
	set_ok(c, "net.ipv4.tcp_fin_timeout=99");
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_fin_timeout"), 15);
	assert_int_equal(cfg_int(c, "server.sysctl", "net.ipv4.tcp_fin_timeout"), 99);
	set_ok(c, "client.sysctl.net.ipv4.tcp_fin_timeout=9");
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_fin_timeout"), 9);
	assert_int_equal(cfg_int(c, "server.sysctl", "net.ipv4.tcp_fin_timeout"), 99);
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_fin_timeout"), 99);
	cfg_free(c);
}

/* ---- --set ---------------------------------------------------------------- */

static void test_set_arg_forms(void **state)
{
	cfg *c = new_cfg();
	set_ok(c, "workload.rate=500");
	assert_true(cfg_double(c, "workload", "rate") == 500);
	set_ok(c, "net.ipv4.tcp_tw_reuse=1");  /* bare sysctl -> [sysctl] */
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 1);
	set_ok(c, "sysctl.net.core.somaxconn=1024");
	assert_int_equal(cfg_int(c, "sysctl", "net.core.somaxconn"), 1024);
	set_ok(c, "client.sysctl.net.ipv4.tcp_tw_reuse=0");
	assert_int_equal(cfg_int(c, "client.sysctl", "net.ipv4.tcp_tw_reuse"), 0);
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 1);
	assert_false(cfg_has(c, "server.sysctl", "net.ipv4.tcp_fin_timeout"));
	set_ok(c, "net.ipv4.netfilter.ip_conntrack_max=99");  /* legacy */
	assert_int_equal(cfg_int(c, "sysctl", "net.netfilter.nf_conntrack_max"), 99);
	set_ok(c, "net.ipv4.ip_local_port_range=1000 2000");
	int64_t lo, hi;
	cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
	assert_true(lo == 1000 && hi == 2000);
	set_ok(c, "server.count=3");
	assert_int_equal(cfg_int(c, "server", "count"), 3);
	assert_int_equal(cfg_int(c, "client", "count"), 1);
	set_ok(c, " workload.conns = 12 ");
	assert_int_equal(cfg_int(c, "workload", "conns"), 12);
	set_ok(c, "workload.mode= burst ");
	assert_string_equal(cfg_str(c, "workload", "mode"), "burst");
	set_ok(c, "experiment.name=a=b");  /* the first '=' splits */
	assert_string_equal(cfg_str(c, "experiment", "name"), "a=b");
	set_ok(c, "experiment.verbose=on");
	assert_true(cfg_bool(c, "experiment", "verbose"));
	GError *e = NULL;
	assert_true(cfg_set(c, "workload", "fraction", "0.25", NULL, &e));
	assert_true(cfg_double(c, "workload", "fraction") == 0.25);
	char *m = error_of(c, "workload", "fraction");
	assert_string_equal(m, "--set: [workload] fraction = '0.25': x");
	g_free(m);

	/* malformed */
	set_fails(c, "workload.rate", "--set 'workload.rate': expected section.key=value", NULL);
	set_fails(c, "rate=5", "--set 'rate=5': expected section.key=value", NULL);
	set_fails(c, "=5", "--set '=5': expected section.key=value", NULL);
	/* well-formed, but wrong */
	set_fails(c, "workload.rate=-1", "--set: [workload] rate = '-1': expected a number >= 0", NULL);
	set_fails(c, "workload.rate=", "--set: [workload] rate = ''", NULL);
	set_fails(c, "bogus.rate=1", "--set: unknown section [bogus]", "[workload]", NULL);
	set_fails(c, ".rate=1", "--set: unknown section []", NULL);
	set_fails(c, "workload.rtae=1", "--set: unknown key 'rtae' in [workload]", "did you mean 'rate'?", NULL);
	set_fails(c, "net.ipv4.tcp_tw_reuse=5", "--set: [sysctl] net.ipv4.tcp_tw_reuse = '5'", "[0, 2]", NULL);
	set_fails(c, "cleint.sysctl.net.ipv4.tcp_tw_reuse=1", "--set: unknown section [cleint.sysctl]", NULL);
	set_fails(c, "client.sysctl.net.ipv4.tcp_fin_timeoutt=1", "--set: unknown key 'net.ipv4.tcp_fin_timeoutt'",
		  "[client.sysctl]", "did you mean 'net.ipv4.tcp_fin_timeout'?", NULL);
	set_fails(c, "net.ipv4.tcp_rmem=4096 131072 6291456", "--set: unknown key 'net.ipv4.tcp_rmem' in [sysctl]",
		  NULL);
	/* failures leave the values alone */
	assert_true(cfg_double(c, "workload", "rate") == 500);
	assert_int_equal(cfg_int(c, "sysctl", "net.ipv4.tcp_tw_reuse"), 1);
	cfg_free(c);
}

/* ---- dump, error, schema ------------------------------------------------ */

static void test_dump(void **state)
{
	char *exp = write_tmp("dump.ini", "[workload]\n"
					  "rate = 5\n"
					  "conns = 3\n"
					  "[sysctl]\n"
					  "net.ipv4.tcp_tw_reuse = 1\n"
					  "[experiment]\n"
					  "name = x\n");
	char *cli = write_tmp("dump.conf", "net.core.somaxconn = 100\n");
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_true(cfg_load_file(c, exp, CFG_LAYER_FILE, &e));
	assert_true(scn_load_sysctl_file(c, cli, "client.sysctl", SCN_LAYER_CLI_SYSCTL, NULL, &e));
	set_ok(c, "workload.rate=9");       /* overridden: keeps its place, new provenance */
	set_ok(c, "experiment.seed=3");     /* new: last */
	GString *d = g_string_new("header\n");
	cfg_dump(c, d, "# ");
	char *want = g_strdup_printf("header\n"
				     "# workload.rate = 9   (--set)\n"
				     "# workload.conns = 3   (%s:3)\n"
				     "# sysctl.net.ipv4.tcp_tw_reuse = 1   (%s:5)\n"
				     "# experiment.name = x   (%s:7)\n"
				     "# client.sysctl.net.core.somaxconn = 100   (%s:1)\n"
				     "# experiment.seed = 3   (--set)\n",
				     exp, exp, exp, cli);
	assert_string_equal(d->str, want);
	g_free(want);

	/* Each line, without prefix and provenance, is a valid --set: the
	 * dump reproduces the configuration. */
	cfg *c2 = new_cfg();
	char **lines = g_strsplit(d->str, "\n", -1);
	for (char **l = lines + 1; *l && **l; l++) {
		char *arg = g_strdup(*l + 2);
		*strstr(arg, "   (") = 0;
		set_ok(c2, arg);
		g_free(arg);
	}
	g_strfreev(lines);
	GString *d2 = g_string_new("header\n");
	cfg_dump(c2, d2, "# ");
	assert_int_equal(cfg_int(c2, "client.sysctl", "net.core.somaxconn"), 100);
	assert_int_equal(cfg_int(c2, "workload", "conns"), 3);
	/* same values in the same order, all from --set */
	char **a = g_strsplit(d->str, "\n", -1), **b = g_strsplit(d2->str, "\n", -1);
	assert_int_equal(g_strv_length(a), g_strv_length(b));
	for (guint i = 0; a[i]; i++) {
		char *pa = strstr(a[i], "   ("), *pb = strstr(b[i], "   (");
		assert_true(!pa == !pb);
		if (pa) {
			*pa = *pb = 0;
			assert_string_equal(a[i], b[i]);
			assert_string_equal(pb + 1, "  (--set)");
		}
	}
	g_strfreev(a);
	g_strfreev(b);
	g_string_free(d2, TRUE);
	cfg_free(c2);

	g_string_free(d, TRUE);
	cfg_free(c);
	g_free(exp);
	g_free(cli);
}

static void test_cfg_error(void **state)
{
	char *exp = write_tmp("err.ini", "[workload]\nrate = 5\n\n[sysctl]\nnet.ipv4.tcp_tw_reuse = 1\n");
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_true(cfg_load_file(c, exp, CFG_LAYER_FILE, &e));

	cfg_error(c, "workload", "rate", &e, "must be below %d with %s", 3, "burst");
	assert_true(e->domain == CFG_ERROR);
	assert_int_equal(e->code, CFG_ERROR_INPUT);
	char *want = g_strdup_printf("%s:2: [workload] rate = '5': must be below 3 with burst", exp);
	assert_string_equal(e->message, want);
	g_free(want);
	g_clear_error(&e);

	/* a default has no file */
	cfg_error(c, "workload", "fraction", &e, "too small");
	assert_string_equal(e->message, "(default): [workload] fraction = '0.5': too small");
	g_clear_error(&e);
	/* unset without default */
	cfg_error(c, "workload", "limit", &e, "needed");
	assert_string_equal(e->message, "(default): [workload] limit = '': needed");
	g_clear_error(&e);
	/* --set */
	set_ok(c, "workload.conns=7");
	cfg_error(c, "workload", "conns", &e, "odd");
	assert_string_equal(e->message, "--set: [workload] conns = '7': odd");
	g_clear_error(&e);
	/* a host section's value from [sysctl] */
	cfg_error(c, "server.sysctl", "net.ipv4.tcp_tw_reuse", &e, "no");
	want = g_strdup_printf("%s:5: [sysctl] net.ipv4.tcp_tw_reuse = '1': no", exp);
	assert_string_equal(e->message, want);
	g_free(want);
	g_clear_error(&e);
	/* NULL err is allowed, as with any GError function */
	cfg_error(c, "workload", "rate", NULL, "ignored");
	cfg_free(c);
	g_free(exp);
}

static void test_schema(void **state)
{
	cfg *c = new_cfg();
	assert_ptr_equal(cfg_schema(c), keys);
	const cfg_key *k = cfg_schema_find(c, "server", "count");
	assert_non_null(k);
	assert_ptr_equal(k, cfg_schema_find(c, "client", "count"));
	k = cfg_schema_find(c, "client.sysctl", "net.ipv4.tcp_tw_reuse");
	assert_non_null(k);
	assert_ptr_equal(k, cfg_schema_find(c, "sysctl", "net.ipv4.tcp_tw_reuse"));
	assert_null(cfg_schema_find(c, "workload", "count"));
	assert_null(cfg_schema_find(c, "workload", "nope"));
	assert_null(cfg_schema_find(c, "nope", "rate"));
	assert_string_equal(cfg_base_dir(c), ".");
	assert_int_equal(cfg_sections(c)->len, 0);
	cfg_free(c);
	cfg_free(NULL);

	/* no alias table */
	c = cfg_new(keys, NULL, "sysctl");
	GError *e = NULL;
	assert_false(scn_set_arg(c, "net.ipv4.netfilter.ip_conntrack_max=5", NULL, &e));
	g_clear_error(&e);
	assert_true(scn_set_arg(c, "net.netfilter.nf_conntrack_max=5", NULL, &e));
	cfg_free(c);
}

/* Scoped sections and layers are generic: any scope name, any layer. */
static void test_generic_scope_and_layers(void **state)
{
	static const cfg_key k2[] = {
		{ "box", "size", CFG_INT, 0, 100, NULL, "1", "size" },
		{ "tune", "knob.a", CFG_INT, 0, 100, NULL, "5", "a dotted key" },
		{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	static const cfg_alias a2[] = { { "old_knob", "knob.a" }, { NULL, NULL } };
	cfg *c = cfg_new(k2, a2, "tune");
	GError *e = NULL;
	assert_int_equal(cfg_int(c, "box.tune", "knob.a"), 5);
	assert_true(cfg_put(c, "tune", "old_knob", "7", "f.conf", 3, 10, &e));  /* alias, low layer */
	assert_int_equal(cfg_int(c, "box.tune", "knob.a"), 7);                 /* falls back to [tune] */
	assert_true(cfg_set_arg(c, "box.tune.knob.a=9", NULL, &e));
	assert_int_equal(cfg_int(c, "box.tune", "knob.a"), 9);
	assert_int_equal(cfg_int(c, "tune", "knob.a"), 7);
	/* a lower layer loaded later does not override a higher one */
	assert_true(cfg_put(c, "box.tune", "knob.a", "11", "g.conf", 4, 10, &e));
	assert_int_equal(cfg_int(c, "box.tune", "knob.a"), 9);
	const char *file;
	int line, layer;
	assert_true(cfg_origin(c, "box.tune", "knob.a", &file, &line, &layer));
	assert_string_equal(file, "--set");
	assert_int_equal(layer, CFG_LAYER_SET);
	assert_true(cfg_origin(c, "tune", "knob.a", &file, &line, &layer));
	assert_string_equal(file, "f.conf");
	assert_int_equal(line, 3);
	assert_false(cfg_origin(c, "box", "size", &file, &line, &layer));
	/* "tune.tune" and unknown hosts are not scoped sections */
	assert_false(cfg_put(c, "tune.tune", "knob.a", "1", "x", 1, 10, &e));
	g_clear_error(&e);
	assert_false(cfg_put(c, "nope.tune", "knob.a", "1", "x", 1, 10, &e));
	assert_non_null(strstr(e->message, "unknown section [nope.tune]"));
	g_clear_error(&e);
	/* without a scope, "box.tune" is just an unknown section */
	cfg *c2 = cfg_new(k2, NULL, NULL);
	assert_false(cfg_set_arg(c2, "box.tune.knob.a=1", NULL, &e));
	g_clear_error(&e);
	cfg_free(c2);
	cfg_free(c);
}

/* A getter for a key outside the schema is a bug: it aborts. */
static void test_getter_unknown_key_aborts(void **state)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cfg *c = new_cfg();
		if (!freopen("/dev/null", "w", stderr))
			_exit(1);
		cfg_int(c, "workload", "no_such_key");
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ---- hardening (connsim issue 17, items 5 and 9) ------------------------ */

/* GKeyFile reads "rate[de]" as a localised key and leaves it out of the key
 * list: the value was dropped without a word. */
static void test_err_localised_key(void **state)
{
	load_fails("[experiment]\nname = x\n[workload]\nrate[de] = 5\n", 4, "[workload]", "rate[de]",
		   "localised", NULL);
}

/* GKeyFile keeps the last of two values silently; the error names the
 * second line and the first. */
static void test_err_repeated_key(void **state)
{
	load_fails("[workload]\nrate = 5\nmode = open\nrate = 6\n", 4, "[workload] rate", "twice",
		   "line 2", NULL);
	/* also across two headers of the same section */
	load_fails("[workload]\nrate = 5\n[experiment]\nname = a\n[workload]\nrate = 6\n", 6, "rate",
		   "twice", NULL);
	/* the same key in two sections is two keys */
	char *path = write_tmp("two.ini", "[client]\ncount = 2\n[server]\ncount = 3\n");
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_true(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	assert_int_equal(cfg_int(c, "client", "count"), 2);
	assert_int_equal(cfg_int(c, "server", "count"), 3);
	cfg_free(c);
	g_free(path);
}

/* A UTF-8 byte-order mark (Windows editors) is not part of the first line. */
static void test_bom_skipped(void **state)
{
	char *path = write_tmp("bom.ini", "\xEF\xBB\xBF[workload]\nrate = 7\n");
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_true(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	assert_true(cfg_double(c, "workload", "rate") == 7);
	int line = 0, layer = 0;
	const char *file;
	assert_true(cfg_origin(c, "workload", "rate", &file, &line, &layer));
	assert_int_equal(line, 2);
	cfg_free(c);
	g_free(path);
	/* a BOM elsewhere is no BOM: the first line is still checked */
	load_fails("[workload]\n\xEF\xBB\xBFrate = 7\n", 2, "unknown key", NULL);
}

/* strtod takes "0x10" and a C reader would take "010" as octal: both are
 * refused with the word "decimal", in every numeric type. */
static void test_err_nondecimal(void **state)
{
	load_fails("[workload]\nrate = 0x10\n", 2, "rate = '0x10'", "decimal", NULL);
	load_fails("[workload]\nconns = 010\n", 2, "conns = '010'", "decimal", NULL);
	load_fails("[workload]\nthink = 0x1s\n", 2, "decimal", NULL);
	load_fails("[workload]\nports = 80,0x50\n", 2, "decimal", NULL);
	load_fails("[workload]\nports = 80-090\n", 2, "decimal", NULL);
	load_fails("[sysctl]\nnet.ipv4.ip_local_port_range = 1024 077777\n", 2, "decimal", NULL);
	load_fails("[workload]\nrate = -0x1\n", 2, "decimal", NULL);
	/* what stays valid: zero, fractions, exponents with a leading 0 */
	char *path = write_tmp("dec.ini", "[workload]\nrate = 1e-05\nfraction = 0.25\nconns = 10\nthink = 0\n"
					  "ports = 0080-0081\n");
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, path, CFG_LAYER_FILE, &e));  /* ports 0080 */
	g_clear_error(&e);
	cfg_free(c);
	g_free(path);
	path = write_tmp("dec.ini", "[workload]\nrate = 1e-05\nfraction = 0.25\nconns = 10\nthink = 0\n");
	c = new_cfg();
	assert_true(cfg_load_file(c, path, CFG_LAYER_FILE, &e));
	assert_true(cfg_double(c, "workload", "rate") == 1e-05);
	assert_true(cfg_double(c, "workload", "fraction") == 0.25);
	cfg_free(c);
	g_free(path);
	/* and the command line's duration parser */
	uint64_t ns = 1;
	assert_false(cfg_parse_time("0x10s", &ns));
	assert_true(cfg_parse_time("0.5s", &ns));
	assert_true(ns == NS / 2);
}

/* A duration past the limit says the limit in the unit given; a lower
 * bound below a second is no longer "1e-06 s". */
static void test_err_duration_limit_message(void **state)
{
	load_fails("[experiment]\nwarmup = 2h\n", 2, "expected a duration <= 1 h", NULL);
	load_fails("[experiment]\nwarmup = 7200\n", 2, "expected a duration <= 3600 s", NULL);
	load_fails("[experiment]\nwarmup = 4000000ms\n", 2, "expected a duration <= 3.6e+06 ms", NULL);
	load_fails("[experiment]\nduration = 1e30s\n", 2, "expected a duration <= 1.8e+10 s", NULL);
	load_fails("[experiment]\nduration = 1e30d\n", 2, "expected a duration <= 208333 d", NULL);
	static const cfg_key k[] = { { "experiment", "duration", CFG_TIME, 0.000001, 0, NULL, "1s", "t" },
				     { NULL, NULL, 0, 0, 0, NULL, NULL, NULL } };
	cfg *c = cfg_new(k, NULL, NULL);
	GError *e = NULL;
	assert_false(cfg_put(c, "experiment", "duration", "0", "x", 1, CFG_LAYER_FILE, &e));
	if (!strstr(e->message, "a duration >= 1 us") || strstr(e->message, "e-06"))
		fail_msg("message \"%s\"", e->message);
	g_error_free(e);
	cfg_free(c);
}

/* Inputs are regular files, checked before reading: /dev/zero was read to
 * 4 GiB, a FIFO with no writer hung; and at most CFG_MAX_FILE_BYTES. */
static void test_err_not_regular_or_too_big(void **state)
{
	cfg *c = new_cfg();
	GError *e = NULL;
	assert_false(cfg_load_file(c, "/dev/zero", CFG_LAYER_FILE, &e));
	check_error(e, "/dev/zero", 0, "character device", "not a regular file", NULL);
	g_clear_error(&e);
	char *fifo = g_build_filename(tmpdir, "fifo", NULL);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_false(cfg_load_file(c, fifo, CFG_LAYER_FILE, &e));  /* returns: does not wait for a writer */
	check_error(e, fifo, 0, "FIFO", NULL);
	g_clear_error(&e);
	g_unlink(fifo);
	g_free(fifo);
	char *big = g_build_filename(tmpdir, "big.ini", NULL);
	FILE *fp = fopen(big, "w");
	assert_non_null(fp);
	assert_int_equal(fputs("[workload]\n", fp) >= 0, 1);
	assert_int_equal(ftruncate(fileno(fp), CFG_MAX_FILE_BYTES + 1), 0);
	fclose(fp);
	assert_false(cfg_load_file(c, big, CFG_LAYER_FILE, &e));
	check_error(e, big, 0, "larger than the 16 MiB", NULL);
	g_clear_error(&e);
	g_unlink(big);
	g_free(big);
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_experiment),
		cmocka_unit_test(test_defaults_and_has),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_err_missing_file),
		cmocka_unit_test(test_err_syntax_line),
		cmocka_unit_test(test_err_key_outside_section),
		cmocka_unit_test(test_err_malformed_section_header),
		cmocka_unit_test(test_err_unknown_section),
		cmocka_unit_test(test_err_unknown_key_hint),
		cmocka_unit_test(test_err_negative_rate),
		cmocka_unit_test(test_err_int_out_of_range),
		cmocka_unit_test(test_err_not_numeric),
		cmocka_unit_test(test_err_range_upside_down),
		cmocka_unit_test(test_err_range_out_of_bounds),
		cmocka_unit_test(test_err_bad_enum),
		cmocka_unit_test(test_err_bad_port_item),
		cmocka_unit_test(test_err_empty_and_comments_only),
		cmocka_unit_test(test_err_directory),
		cmocka_unit_test(test_err_unreadable),
		cmocka_unit_test(test_err_nul_byte),
		cmocka_unit_test(test_err_line_numbers),
		cmocka_unit_test(test_sysctl_a_excerpt),
		cmocka_unit_test(test_sysctl_conf_syntax),
		cmocka_unit_test(test_sysctl_into_host_section),
		cmocka_unit_test(test_sysctl_errors),
		cmocka_unit_test(test_sysctl_in_experiment),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_host_sysctl_fallback),
		cmocka_unit_test(test_set_arg_forms),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_cfg_error),
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_generic_scope_and_layers),
		cmocka_unit_test(test_getter_unknown_key_aborts),
		cmocka_unit_test(test_err_localised_key),
		cmocka_unit_test(test_err_repeated_key),
		cmocka_unit_test(test_bom_skipped),
		cmocka_unit_test(test_err_nondecimal),
		cmocka_unit_test(test_err_duration_limit_message),
		cmocka_unit_test(test_err_not_regular_or_too_big),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
