/*
 * cmd/verdict: the mean TIME_WAIT lifetime behind the port ceiling, per
 * timer variant and HZ (doc/kernel-rules.md §2.6: 60 s rounded up on the
 * 4.8+ wheel to its level's granularity, 4.096 s at HZ 1000, 2.048 s at
 * HZ 250, 5.12 s at HZ 100, half a slot on average; the death row's
 * (52.5, 60] s), and the JSON writer's escaping.  The verdict as a whole is
 * checked against runs by tests/verdict.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "cmd/verdict.h"
#include "models/prof.h"

static double tw(const char *profile, unsigned hz)
{
	kconf k;
	memset(&k, 0, sizeof k);
	k.prof = prof_find(profile);
	if (!k.prof)
		fail_msg("no profile %s", profile);
	k.hz = hz;
	return verdict_tw_lifetime(&k);
}

static void test_tw_lifetime(void **state)
{
	/* 15000 + 256 jiffies at HZ 250: tests/test_valid_ports.c's 61.024 s */
	assert_float_equal(tw("current", 250), 61.024, 1e-9);
	assert_float_equal(tw("current", 1000), 60 + 4.096 / 2, 1e-9);
	assert_float_equal(tw("current", 100), 60 + 5.12 / 2, 1e-9);
	/* 4.1-4.7: within the old wheel's 0.4 % slack, never early */
	double old = tw("4.4", 250);
	assert_true(old > 60 && old < 60 * 1.004);
	/* <= 4.0: the death row reaps a 60 s entry in (52.5, 60] s */
	assert_float_equal(tw("3.10", 250), (52.5 + 60) / 2, 1e-9);
}

static void test_json_escapes(void **state)
{
	verdict v;
	memset(&v, 0, sizeof v);
	v.experiment = "a \"b\"\\c\nd";
	v.profile = "current";
	v.binding = -1;
	GString *o = g_string_new(NULL);
	verdict_json(&v, o);
	assert_non_null(strstr(o->str, "\"experiment\": \"a \\\"b\\\"\\\\c\\u000ad\""));
	assert_non_null(strstr(o->str, "\"resources\": []"));
	assert_non_null(strstr(o->str, "\"binding\": null"));
	g_string_free(o, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tw_lifetime),
		cmocka_unit_test(test_json_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
