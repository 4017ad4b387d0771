/*
 * Tests for sim/probe.c: counters and gauges found by name, registration
 * order, gauge peak and time-weighted mean, histogram quantiles within the
 * documented 12.5 % (3 significant bits), exact max and mean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/probe.h"

/* cmocka 1.1 has only a float comparison; doubles need their own. */
#define assert_double_equal(a, b, eps)                                             \
	do {                                                                       \
		double a_ = (a), b_ = (b);                                         \
		if (!(fabs(a_ - b_) <= (eps)))                                     \
			fail_msg("%s = %.17g, want %.17g", #a, a_, b_);            \
	} while (0)

static void test_counters(void **state)
{
	probe_set *ps = probe_set_new();
	uint64_t *tw = probe_counter(ps, "TcpExtTW", "sockets entering TIME_WAIT");
	uint64_t *ins = probe_counter(ps, "insert_failed", NULL);
	assert_non_null(tw);
	assert_ptr_not_equal(tw, ins);
	assert_int_equal(*tw, 0);
	/* Same name, same pointer (help text is ignored on lookup). */
	assert_ptr_equal(probe_counter(ps, "TcpExtTW", "other help"), tw);
	assert_ptr_equal(probe_counter(ps, "insert_failed", NULL), ins);
	(*tw) += 3;
	(*ins)++;

	/* Pointers survive many later registrations. */
	char name[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		*probe_counter(ps, name, NULL) = (uint64_t)i;
	}
	assert_ptr_equal(probe_counter(ps, "TcpExtTW", NULL), tw);
	assert_int_equal(*tw, 3);

	assert_int_equal(probe_ncounters(ps), 1002);
	assert_string_equal(probe_counter_name(ps, 0), "TcpExtTW");
	assert_int_equal(probe_counter_value(ps, 0), 3);
	assert_string_equal(probe_counter_name(ps, 1), "insert_failed");
	assert_int_equal(probe_counter_value(ps, 1), 1);
	for (size_t i = 2; i < 1002; i++) {
		snprintf(name, sizeof(name), "c%zu", i - 2);
		assert_string_equal(probe_counter_name(ps, i), name);
		assert_int_equal(probe_counter_value(ps, i), i - 2);
	}
	probe_set_free(ps);
	probe_set_free(NULL);
}

static void test_registration_order(void **state)
{
	probe_set *ps = probe_set_new();
	static const char *const order[] = { "zeta", "alpha", "mid", "TcpExtPAWSPassive" };
	for (int i = 0; i < 4; i++) {
		probe_counter(ps, order[i], NULL);
		probe_gauge_get(ps, order[3 - i], NULL);
		probe_histogram(ps, order[i], NULL);
		/* Re-registering an earlier name does not move it. */
		probe_counter(ps, order[0], NULL);
		probe_gauge_get(ps, order[3], NULL);
	}
	/* Counters, gauges and histograms are separate namespaces. */
	assert_int_equal(probe_ncounters(ps), 4);
	assert_int_equal(probe_ngauges(ps), 4);
	assert_int_equal(probe_nhists(ps), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(probe_counter_name(ps, i), order[i]);
		assert_string_equal(probe_gauge_name(ps, i), order[3 - i]);
		assert_string_equal(probe_hist_name(ps, i), order[i]);
	}
	assert_ptr_equal(probe_gauge_at(ps, 0), probe_gauge_get(ps, order[3], NULL));
	assert_ptr_equal(probe_hist_at(ps, 2), probe_histogram(ps, "mid", NULL));
	probe_set_free(ps);
}

static void test_gauge(void **state)
{
	probe_set *ps = probe_set_new();
	probe_gauge *g = probe_gauge_get(ps, "tw_count", NULL);
	assert_int_equal(g->value, 0);
	assert_int_equal(g->peak, 0);
	assert_true(probe_gauge_mean(g, 0) == 0.0);

	/*  value: 0 on [0,10), 5 on [10,20), 8 on [20,40), 2 on [40,50)
	 *  area = 0 + 50 + 160 + 20 = 230 over 50 ns: mean 4.6 */
	probe_gauge_set(g, 5, 10);
	probe_gauge_add(g, 3, 20);
	assert_int_equal(g->value, 8);
	probe_gauge_add(g, -6, 40);
	assert_int_equal(g->value, 2);
	assert_int_equal(g->peak, 8);
	assert_double_equal(probe_gauge_mean(g, 50), 4.6, 1e-12);
	/* Asking does not change the gauge; at the last change the open
	 * interval is empty: area 210 over 40 ns. */
	assert_double_equal(probe_gauge_mean(g, 40), 210.0 / 40, 1e-12);
	assert_double_equal(probe_gauge_mean(g, 50), 4.6, 1e-12);
	/* Two changes at the same instant: the first value has zero weight. */
	probe_gauge_set(g, 100, 50);
	probe_gauge_set(g, 0, 50);
	assert_int_equal(g->peak, 100);
	assert_double_equal(probe_gauge_mean(g, 100), 230.0 / 100, 1e-12);
	/* Found by name: the same gauge. */
	assert_ptr_equal(probe_gauge_get(ps, "tw_count", "x"), g);
	probe_set_free(ps);
}

static void test_hist_empty(void **state)
{
	probe_set *ps = probe_set_new();
	probe_hist *h = probe_histogram(ps, "rtt", NULL);
	assert_int_equal(probe_hist_count(h), 0);
	assert_int_equal(probe_hist_quantile(h, 0.5), 0);
	assert_int_equal(probe_hist_max(h), 0);
	assert_true(probe_hist_mean(h) == 0.0);
	probe_set_free(ps);
}

/* The histogram's quantile is the upper edge of the bucket holding the value
 * of 0-based rank floor(q * n) in sorted order, clamped to the max: check it
 * is not below that value and at most 12.5 % above. */
static void check_quantiles(const probe_hist *h, const uint64_t *sorted, size_t n)
{
	static const double qs[] = { 0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9,
				     0.99, 0.999, 0.9999, 1 };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		size_t rank = (size_t)(qs[i] * (double)n);
		if (rank >= n)
			rank = n - 1;
		uint64_t v = sorted[rank], got = probe_hist_quantile(h, qs[i]);
		if (got < v || (double)got > (double)v * 1.125)
			fail_msg("q %.4f: got %lu, value at rank %zu is %lu", qs[i],
				 (unsigned long)got, rank, (unsigned long)v);
	}
}

static void test_hist_1_to_10000(void **state)
{
	probe_set *ps = probe_set_new();
	probe_hist *h = probe_histogram(ps, "v", NULL);
	uint64_t *sorted = malloc(10000 * sizeof(*sorted));
	/* Insert in a scrambled order: the histogram must not care. */
	for (uint64_t i = 0; i < 10000; i++)
		probe_hist_add(h, (i * 7919) % 10000 + 1);
	for (uint64_t i = 0; i < 10000; i++)
		sorted[i] = i + 1;
	assert_int_equal(probe_hist_count(h), 10000);
	assert_int_equal(probe_hist_max(h), 10000);
	assert_true(probe_hist_mean(h) == 5000.5);
	check_quantiles(h, sorted, 10000);
	/* Small values have buckets of width one: exact. */
	assert_int_equal(probe_hist_quantile(h, 0), 1);
	assert_int_equal(probe_hist_quantile(h, 0.0005), 6);
	assert_int_equal(probe_hist_quantile(h, 0.0014), 15);
	assert_int_equal(probe_hist_quantile(h, 1), 10000);
	/* Hand-checked: the median sample 5001 lies in [4608, 5119]. */
	assert_int_equal(probe_hist_quantile(h, 0.5), 5119);
	free(sorted);
	probe_set_free(ps);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void test_hist_random(void **state)
{
	/* Exponential latencies around 1 ms in ns, a heavy tail, and zeros. */
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 777);
	const size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));
	probe_set *ps = probe_set_new();
	probe_hist *h = probe_histogram(ps, "lat", NULL);
	double sum = 0;
	uint64_t max = 0;
	for (size_t i = 0; i < n; i++) {
		double x = i % 100 == 0 ? 0 : gsl_ran_exponential(r, 1e6);
		if (i % 1000 == 1)
			x = gsl_ran_pareto(r, 1.1, 1e9);
		v[i] = (uint64_t)x;
		sum += (double)v[i];
		if (v[i] > max)
			max = v[i];
		probe_hist_add(h, v[i]);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	assert_int_equal(probe_hist_max(h), max);
	assert_double_equal(probe_hist_mean(h), sum / (double)n, sum / (double)n * 1e-12);
	check_quantiles(h, v, n);
	free(v);
	gsl_rng_free(r);
	probe_set_free(ps);
}

static void test_hist_extremes(void **state)
{
	probe_set *ps = probe_set_new();
	probe_hist *h = probe_histogram(ps, "x", NULL);
	for (int i = 0; i < 100; i++)
		probe_hist_add(h, 1000);
	/* One value: every quantile is that value (clamped to the max). */
	assert_int_equal(probe_hist_quantile(h, 0), 1000);
	assert_int_equal(probe_hist_quantile(h, 0.5), 1000);
	assert_int_equal(probe_hist_quantile(h, 1), 1000);
	/* The largest value fits. */
	probe_hist_add(h, UINT64_MAX);
	assert_int_equal(probe_hist_max(h), UINT64_MAX);
	assert_int_equal(probe_hist_quantile(h, 1), UINT64_MAX);
	/* Now the max no longer clamps: the upper edge of [960, 1023]. */
	assert_int_equal(probe_hist_quantile(h, 0.5), 1023);
	/* Every power of two and its neighbours land within 12.5 %. */
	for (int e = 3; e < 64; e++) {
		uint64_t vals[3] = { ((uint64_t)1 << e) - 1, (uint64_t)1 << e,
				     ((uint64_t)1 << e) + 1 };
		for (int k = 0; k < 3; k++) {
			probe_set *one = probe_set_new();
			probe_hist *g = probe_histogram(one, "one", NULL);
			probe_hist_add(g, vals[k]);
			probe_hist_add(g, UINT64_MAX);  /* so the max does not clamp */
			uint64_t q = probe_hist_quantile(g, 0);
			assert_true(q >= vals[k]);
			assert_true((double)(q - vals[k]) <= 0.125 * (double)vals[k]);
			probe_set_free(one);
		}
	}
	probe_set_free(ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_registration_order),
		cmocka_unit_test(test_gauge),
		cmocka_unit_test(test_hist_empty),
		cmocka_unit_test(test_hist_1_to_10000),
		cmocka_unit_test(test_hist_random),
		cmocka_unit_test(test_hist_extremes),
	};
	return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
