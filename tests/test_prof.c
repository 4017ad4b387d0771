/*
 * The profile table (models/prof.c): its rows hold the rule variants the
 * kernels they stand for have, the schema's PROF_CHOICES lists them in
 * order, and no model decides a rule by comparing version numbers: every
 * version-dependent rule reads its own field of the table (doc/kernel-rules.md
 * §1.4).  The source check reads models/ and so runs from the source tree,
 * as `make check` runs it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "models/ct.h"
#include "models/prof.h"

static const prof *P(const char *name)
{
	const prof *p = prof_find(name);
	if (!p)
		fail_msg("no profile %s", name);
	return p;
}

/* A few rows, rule by rule, as the kernels have them. */
static void test_rows(void **state)
{
	(void)state;
	assert_null(prof_find("4.5"));
	assert_ptr_equal(prof_default(), P("current"));

	/* conntrack expiry: timers, then three gc_worker pacings */
	assert_int_equal(P("3.10")->ctgc, CTGC_TIMERS);
	assert_int_equal(P("4.4")->ctgc, CTGC_TIMERS);
	assert_int_equal(P("4.12")->ctgc, CTGC_FRACTION);
	assert_int_equal(P("5.15")->ctgc, CTGC_FULL);
	assert_int_equal(P("6.8")->ctgc, CTGC_AVG);
	assert_int_equal(P("current")->ctgc, CTGC_AVG);

	/* early_drop's next-bucket fix is 5.0: 4.12 still has the old scan */
	assert_int_equal(P("4.12")->ctearly, CTEARLY_RANGE8);
	assert_false(P("4.12")->ct_early_next_bucket);
	assert_true(P("5.15")->ct_early_next_bucket);

	/* clash counted as drop from 4.7, found from 4.10 */
	assert_false(P("4.4")->ct_clash_counts_drop);
	assert_true(P("4.12")->ct_clash_counts_drop);
	assert_false(P("4.4")->ct_found_taken_only);
	assert_true(P("4.12")->ct_found_taken_only);

	/* the 5.x TCP tracker rules, all in 5.15 and none in 4.12 */
	assert_false(P("4.12")->ct_rst_exact_seq || P("4.12")->ct_pickup_unack_cap ||
		     P("4.12")->ct_syn_retrans_no_renew);
	assert_true(P("5.15")->ct_rst_exact_seq && P("5.15")->ct_pickup_unack_cap &&
		    P("5.15")->ct_syn_retrans_no_renew);

	/* TcpExtTW at schedule from 5.18: not 5.15, 6.8 yes */
	assert_false(P("5.15")->tw_mib_at_schedule);
	assert_true(P("6.8")->tw_mib_at_schedule);

	/* NAT */
	assert_int_equal(P("4.12")->natsearch, NATSEARCH_ROVER);
	assert_int_equal(P("5.15")->natsearch, NATSEARCH_ATTEMPTS);
	assert_false(P("5.15")->nat_harder);
	assert_true(P("6.8")->nat_harder);
}

/* ct_cfg_rules hands a table exactly its profile's conntrack variants. */
static void test_ct_cfg_rules(void **state)
{
	(void)state;
	size_t n;
	const prof *all = prof_all(&n);
	for (size_t i = 0; i < n; i++) {
		const prof *p = &all[i];
		ct_cfg c;
		memset(&c, 0xa5, sizeof c);
		ct_cfg_rules(&c, p);
		assert_int_equal(c.gc, p->ctgc);
		assert_int_equal(c.early, p->ctearly);
		assert_int_equal(c.early_next_bucket, p->ct_early_next_bucket);
		assert_int_equal(c.chain_limit, p->ct_chain_limit);
		assert_int_equal(c.reply_syn_in_tw, p->ct_reply_syn_in_tw);
		assert_int_equal(c.clash_counts_drop, p->ct_clash_counts_drop);
		assert_int_equal(c.found_taken_only, p->ct_found_taken_only);
		assert_int_equal(c.confirm_counts_insert, p->ct_confirm_counts_insert);
		assert_int_equal(c.rst_exact_seq, p->ct_rst_exact_seq);
		assert_int_equal(c.pickup_unack_cap, p->ct_pickup_unack_cap);
		assert_int_equal(c.syn_retrans_no_renew, p->ct_syn_retrans_no_renew);
		assert_int_equal(c.entry_bytes, p->ct_entry_bytes);
	}
}

/* A rule that came in some version stays in every later profile (the table
 * is in version order), and a profile before it has none of it. */
static void test_rules_only_arrive(void **state)
{
	(void)state;
	size_t n;
	const prof *all = prof_all(&n);
#define SINCE(field) { #field, offsetof(prof, field) }
	static const struct {
		const char *name;
		size_t off;
	} since[] = {
		SINCE(ct_clash_counts_drop), SINCE(ct_found_taken_only), SINCE(ct_early_next_bucket),
		SINCE(ct_rst_exact_seq), SINCE(ct_pickup_unack_cap), SINCE(ct_syn_retrans_no_renew),
		SINCE(tw_mib_at_schedule), SINCE(ct_chain_limit), SINCE(ct_reply_syn_in_tw),
		SINCE(nat_harder), SINCE(has_random_fully), SINCE(has_ts_no_offset), SINCE(has_autobind_reuse),
		SINCE(reuse_has_loopback), SINCE(reuse_skips_fw2), SINCE(ehash_linear_lport),
		SINCE(syn_quick_rtx), SINCE(timer_levels), SINCE(tw_paws_own_mib), SINCE(has_syn_linear_timeouts),
		SINCE(has_port_step_width), SINCE(has_sock_port_range), SINCE(sock_range_stride1),
	};
#undef SINCE
	for (size_t r = 0; r < G_N_ELEMENTS(since); r++) {
		bool seen = false;
		for (size_t i = 0; i < n; i++) {
			bool v = *(const bool *)((const char *)&all[i] + since[r].off);
			if (seen && !v)
				fail_msg("%s: in an earlier profile, not in %s", since[r].name, all[i].name);
			seen |= v;
		}
	}
	for (size_t i = 1; i < n; i++) {
		/* "current" repeats the row before it (7.0), version and all */
		if (!strcmp(all[i].name, "current")) {
			prof a = all[i], b = all[i - 1];
			a.name = b.name;
			a.kernels = b.kernels;
			assert_memory_equal(&a, &b, sizeof a);
			continue;
		}
		assert_true(all[i].version > all[i - 1].version);
		assert_true(all[i].ctgc >= all[i - 1].ctgc);
	}
}

/* The rules of the 2026 profiles and of 4.10, each as the function its
 * field cites has it. */
static void test_new_rows(void **state)
{
	(void)state;
	/* secure_tcp_ts_off: per connection in 4.10 (95a22caee396), per host
	 * pair from 4.11 (28ee1b746f49), per 4-tuple again in 7.0
	 * (secure_tcp_seq_and_ts_off, 165573e41f2f) */
	assert_int_equal(P("4.4")->tsoff, TSOFF_NONE);
	assert_int_equal(P("4.10")->tsoff, TSOFF_4TUPLE);
	assert_int_equal(P("4.12")->tsoff, TSOFF_HOSTPAIR);
	assert_int_equal(P("6.15")->tsoff, TSOFF_HOSTPAIR);
	assert_int_equal(P("7.0")->tsoff, TSOFF_4TUPLE);
	assert_int_equal(P("7.1")->tsoff, TSOFF_4TUPLE);
	/* 4.10 still has tw_recycle (removed in 4.12), keyed by host pair since
	 * 3.15, and tcp_timestamps = 2 (the same commit) */
	assert_int_equal(P("4.10")->recycle, RECYCLE_BY_PAIR);
	assert_true(P("4.10")->has_ts_no_offset);
	assert_false(P("4.4")->has_ts_no_offset);
	/* "current" follows 7.0 */
	assert_int_equal(prof_default()->tsoff, TSOFF_4TUPLE);
	assert_int_equal(prof_default()->version, P("7.0")->version);
	/* tcp_timewait_state_process: LINUX_MIB_PAWS_TW_REJECTED from 6.16 */
	assert_false(P("6.15")->tw_paws_own_mib);
	assert_true(P("7.0")->tw_paws_own_mib);
	/* tcp_syn_linear_timeouts: 6.5, default 4 (tcp_sk_init) */
	assert_int_equal(P("5.15")->syn_linear_timeouts, 0);
	assert_false(P("5.15")->has_syn_linear_timeouts);
	assert_int_equal(P("6.8")->syn_linear_timeouts, 4);
	assert_int_equal(P("7.0")->syn_linear_timeouts, 4);
	/* tcp_rcv_synsent_state_process's TCP_TIMEOUT_MIN re-arm: 5.7 */
	assert_false(P("4.12")->syn_quick_rtx);
	assert_true(P("5.15")->syn_quick_rtx);
	/* tcp_twsk_unique's FIN_WAIT2 exclusion: 6.12 (0d9e5df4a257) */
	assert_false(P("6.8")->reuse_skips_fw2);
	assert_true(P("6.13")->reuse_skips_fw2);
	assert_ptr_equal(prof_for_release(611), P("6.8"));
	assert_ptr_equal(prof_for_release(612), P("6.13"));
	/* IP_LOCAL_PORT_RANGE (6.3, 91d0b78c5177), stride 1 from 6.8 */
	assert_false(P("5.15")->has_sock_port_range);
	assert_true(P("6.8")->has_sock_port_range && P("6.8")->sock_range_stride1);
	/* ip_local_port_step_width: 7.1 only */
	assert_false(P("7.0")->has_port_step_width);
	assert_true(P("7.1")->has_port_step_width);
	/* __nf_conntrack_confirm's `insert`: 3.x sources count it, 4.14's and
	 * later ones do not (only nf_conntrack_hash_check_insert) */
	assert_true(P("4.4")->ct_confirm_counts_insert);
	assert_false(P("4.10")->ct_confirm_counts_insert);
	assert_false(P("7.0")->ct_confirm_counts_insert);
	/* the timer wheel with levels: 4.8 */
	assert_false(P("4.4")->timer_levels);
	assert_true(P("4.10")->timer_levels);
}

/* PROF_CHOICES (the configuration schema's list) names the table's rows in
 * order. */
static void test_choices(void **state)
{
	(void)state;
	size_t n;
	const prof *all = prof_all(&n);
	char **names = g_strsplit(PROF_CHOICES, "|", -1);
	assert_int_equal(g_strv_length(names), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], all[i].name);
	g_strfreev(names);
}

/* ---- no version tests in the models --------------------------------------- */

/* A comparison with a profile's version, either way round. */
#define VERSION_TEST                                                       \
	"(->|\\.)version\\s*(<=|>=|<|>|==|!=)|"                            \
	"(<=|>=|<|>|==|!=)\\s*[A-Za-z_][A-Za-z0-9_.>-]*(->|\\.)version\\b"

static unsigned version_tests(GRegex *re, const char *text, GString *where, const char *file)
{
	unsigned found = 0;
	char **lines = g_strsplit(text, "\n", -1);
	for (unsigned l = 0; lines[l]; l++) {
		if (g_regex_match(re, lines[l], 0, NULL)) {
			g_string_append_printf(where, "  %s:%u: %s\n", file, l + 1, g_strstrip(lines[l]));
			found++;
		}
	}
	g_strfreev(lines);
	return found;
}

/* The pattern finds what it should (or the check below would prove nothing). */
static void test_version_pattern(void **state)
{
	(void)state;
	GRegex *re = g_regex_new(VERSION_TEST, 0, 0, NULL);
	assert_non_null(re);
	GString *w = g_string_new(NULL);
	assert_int_equal(version_tests(re, "if (ct->p->version >= RST_EXACT_SEQ_SINCE)", w, "x"), 1);
	assert_int_equal(version_tests(re, "return h->k.prof->version<518;", w, "x"), 1);
	assert_int_equal(version_tests(re, "if (410 > k.prof->version)", w, "x"), 1);
	assert_int_equal(version_tests(re, "unsigned version;  /* for messages */", w, "x"), 0);
	assert_int_equal(version_tests(re, "printf(\"%u\", p->version);", w, "x"), 0);
	g_string_free(w, TRUE);
	g_regex_unref(re);
}

/* The one file that may compare versions: prof.c, the table itself. */
static const char *const allowed[] = { "prof.c" };

static void test_no_version_tests_in_models(void **state)
{
	(void)state;
	GDir *d = g_dir_open("models", 0, NULL);
	if (!d)
		fail_msg("models/ not found: run from the source tree (make check does)");
	GRegex *re = g_regex_new(VERSION_TEST, 0, 0, NULL);
	GString *where = g_string_new(NULL);
	unsigned files = 0, found = 0;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		if (!g_str_has_suffix(name, ".c") && !g_str_has_suffix(name, ".h"))
			continue;
		files++;
		bool skip = false;
		for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++)
			skip |= !strcmp(name, allowed[i]);
		if (skip)
			continue;
		char *path = g_build_filename("models", name, NULL), *text;
		assert_true(g_file_get_contents(path, &text, NULL, NULL));
		found += version_tests(re, text, where, path);
		g_free(text);
		g_free(path);
	}
	g_dir_close(d);
	assert_true(files > 10);  /* the models were read */
	if (found)
		fail_msg("version tests outside the profile table (make each a prof.h field):\n%s", where->str);
	g_string_free(where, TRUE);
	g_regex_unref(re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_ct_cfg_rules),
		cmocka_unit_test(test_rules_only_arrive),
		cmocka_unit_test(test_new_rows),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_version_pattern),
		cmocka_unit_test(test_no_version_tests_in_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
