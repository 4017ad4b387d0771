/*
 * cmd/ratesearch and cmd/paired, the pure parts of connsim check: the
 * bracket of rates a search narrows (updates, stopping, where it probes,
 * and that it finds a threshold within its tolerance in the rounds check
 * allows), and the paired statistics compare and check share.  check as a
 * whole is tested against runs by tests/check.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "cmd/paired.h"
#include "cmd/ratesearch.h"

static void test_observe(void **state)
{
	rs_bracket b;
	rs_init(&b, 462);
	assert_true(b.lo == 0 && isinf(b.hi) && b.ceiling == 462);
	rs_observe(&b, 300, false, 0.65);
	assert_true(b.lo == 300 && b.lo_use == 0.65 && isinf(b.hi));
	rs_observe(&b, 500, true, 1);
	assert_true(b.lo == 300 && b.hi == 500);
	/* a lower hold and a higher failure teach nothing new */
	rs_observe(&b, 200, false, 0.4);
	rs_observe(&b, 600, true, 1);
	assert_true(b.lo == 300 && b.hi == 500 && b.lo_use == 0.65);
	/* a failure below lo (noise near the limit): the lower failure wins,
	 * the hold is forgotten */
	rs_observe(&b, 280, true, 1);
	assert_true(b.lo == 0 && b.hi == 280);
	rs_init(&b, -1);
	assert_true(b.ceiling == 0);
}

static void test_done(void **state)
{
	rs_bracket b;
	rs_init(&b, 0);
	assert_false(rs_done(&b, 0.02, 2000));
	rs_observe(&b, 450, false, 0.9);
	assert_false(rs_done(&b, 0.02, 2000));
	rs_observe(&b, 460, true, 1);
	assert_true(rs_done(&b, 0.025, 2000));  /* 460 / 450 - 1 = 2.2 % */
	assert_false(rs_done(&b, 0.02, 2000));
	/* held up to the search's end: not reached there */
	rs_init(&b, 0);
	rs_observe(&b, 2000, false, 0.3);
	assert_true(rs_done(&b, 0.02, 2000));
	assert_false(rs_done(&b, 0.02, 2001));
	/* failing everywhere probed: never done by width */
	rs_init(&b, 0);
	rs_observe(&b, 100, true, 1);
	assert_false(rs_done(&b, 0.02, 2000));
}

static void test_next(void **state)
{
	rs_bracket b;
	/* held at 300 with 65 % use, ceiling 462: just past the ceiling */
	rs_init(&b, 462);
	rs_observe(&b, 300, false, 0.65);
	double r = rs_next(&b, 2000);
	assert_true(r > 462 && r < 480);
	/* no ceiling: where the use extrapolates to the limit, 300 / 0.5 */
	rs_init(&b, 0);
	rs_observe(&b, 300, false, 0.5);
	r = rs_next(&b, 2000);
	assert_true(r > 600 && r < 620);
	/* ... at most 4 x lo, and at most rmax */
	rs_init(&b, 0);
	rs_observe(&b, 100, false, 0.01);
	assert_true(rs_next(&b, 2000) == 400);
	assert_true(rs_next(&b, 250) == 250);
	/* ran out at 500, nothing held: just below the ceiling */
	rs_init(&b, 462);
	rs_observe(&b, 500, true, 1);
	r = rs_next(&b, 2000);
	assert_true(r > 440 && r < 462);
	/* ... without one, 5 % below; further each time it runs out again */
	rs_init(&b, 0);
	rs_observe(&b, 500, true, 1);
	double r1 = rs_next(&b, 2000);
	assert_true(fabs(r1 - 475) < 1e-9);
	rs_observe(&b, r1, true, 1);
	rs_observe(&b, rs_next(&b, 2000), true, 1);
	double h = b.hi, r3 = rs_next(&b, 2000);
	assert_float_equal(r3, h * 0.75, 1e-9);
	/* ran out at 500 serving 92 % of the demand: just below 460 */
	rs_init(&b, 0);
	rs_observe(&b, 500, true, 0.92);
	assert_float_equal(rs_next(&b, 2000), 0.98 * 460, 1e-9);
	/* then, held there: just above it */
	rs_observe(&b, 0.98 * 460, false, 0.97);
	assert_float_equal(rs_next(&b, 2000), 1.01 * 460, 1e-9);
	/* a closed narrow bracket: the middle */
	rs_init(&b, 0);
	rs_observe(&b, 400, false, 0.9);
	rs_observe(&b, 420, true, 1);
	assert_true(rs_next(&b, 2000) == 410);
}

/* Below the threshold: the use; above: the share served, exact (c 1),
 * 10 % off (c 2) or unknown (c 0, 3). */
static double served(double r, double th, unsigned c)
{
	if (r <= th)
		return r / th;
	return c == 1 ? th / r : c == 2 ? fmin(1.1 * th / r, 0.99) : 0;
}

/* A resource that runs out exactly above a threshold, its use linear in
 * the rate: every search check starts finds it within the tolerance in
 * the rounds check allows (8), from an offered rate on either side, with
 * or without a ceiling (2 % off) and an estimate from the share served. */
static void test_converges(void **state)
{
	const double thresholds[] = { 437.3, 462.0, 1021.7, 95.0 };
	const double offered[] = { 200, 500, 2000, 450 };
	const double ceilings[] = { 446, 471.2, 1042, 96.9 };
	for (unsigned t = 0; t < 4; t++)
		for (unsigned o = 0; o < 4; o++)
			for (unsigned c = 0; c < 4; c++) {
				double th = thresholds[t], ceiling = c < 3 ? 0 : ceilings[t];
				double rmax = 4 * offered[o];
				rs_bracket b;
				rs_init(&b, ceiling);
				rs_observe(&b, offered[o], offered[o] > th, served(offered[o], th, c));
				unsigned rounds = 0;
				/* check runs 8 rounds; with no estimate at all (a
				 * limit without ceiling that fails without failures)
				 * a search from far above takes longer */
				unsigned max = c == 0 ? 14 : 8;
				while (!rs_done(&b, 0.02, rmax) && rounds < max) {
					double r = rs_next(&b, rmax);
					assert_true(r > b.lo && r < b.hi);
					rs_observe(&b, r, r > th, served(r, th, c));
					rounds++;
				}
				if (th > rmax) {
					assert_true(isinf(b.hi));
					continue;
				}
				if (!rs_done(&b, 0.02, rmax))
					fail_msg("threshold %g, offered %g, ceiling %g: [%g, %g] after %u rounds", th,
						 offered[o], ceiling, b.lo, b.hi, rounds);
				assert_true(b.lo <= th && th < b.hi);
			}
}

static void test_paired(void **state)
{
	/* identical sides: exactly zero, unchanged */
	const double a[] = { 0.1, 0.2, 0.3 }, same[] = { 0.1, 0.2, 0.3 };
	paired_diff d;
	paired_diff_of(a, same, 3, &d);
	assert_true(!d.changed && !d.significant && d.mean == 0 && d.lo == 0 && d.hi == 0);
	/* differences 1, 2, 3: mean 2, sd 1; t(0.975, 2) = 4.302652729911275
	 * from a table, so the half-width is 4.3027 / sqrt(3) = 2.4841 */
	const double x[] = { 1, 2, 3 }, y[] = { 2, 4, 6 };
	paired_diff_of(x, y, 3, &d);
	assert_true(d.changed && !d.significant);
	assert_float_equal(d.mean, 2, 1e-12);
	assert_float_equal(d.hi - d.mean, 4.302652729911275 / sqrt(3), 1e-9);
	/* differences 10, 11, 12: the interval excludes zero */
	const double z[] = { 11, 13, 15 };
	paired_diff_of(x, z, 3, &d);
	assert_true(d.significant && d.lo > 0);
	/* NaN equals NaN: no difference */
	const double n1[] = { NAN, 1 }, n2[] = { NAN, 1 };
	paired_diff_of(n1, n2, 2, &d);
	assert_true(!d.changed && d.mean == 0);
	double m, ci;
	paired_mean_ci(x, 3, &m, &ci);
	assert_float_equal(m, 2, 1e-12);
	assert_float_equal(ci, 4.302652729911275 / sqrt(3), 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observe),   cmocka_unit_test(test_done),   cmocka_unit_test(test_next),
		cmocka_unit_test(test_converges), cmocka_unit_test(test_paired),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
