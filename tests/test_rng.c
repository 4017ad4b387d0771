/*
 * Tests for sim/rng.c: stream seeds are a pure function of (master seed,
 * replication, stream name); equal seeds give equal sequences; rng_below is
 * in range and uniform (chi-square, fixed seed, 1 % level).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <stdlib.h>

#include "sim/rng.h"

static void test_hash_vectors(void **state)
{
	/* FNV-1a 64 reference values (offset basis for "", and "a"). */
	assert_int_equal(rng_fnv1a64(""), 0xcbf29ce484222325ULL);
	assert_int_equal(rng_fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
	/* splitmix64 as in Vigna's reference: first output for state 0. */
	assert_int_equal(rng_splitmix64(0), 0xe220a8397b1dcdafULL);
}

static void test_seed_for(void **state)
{
	uint64_t s = rng_seed_for(42, 0, "host/client1/kernel");
	assert_int_equal(s, rng_seed_for(42, 0, "host/client1/kernel"));
	/* Differs by stream name, replication and master seed. */
	assert_int_not_equal(s, rng_seed_for(42, 0, "host/client2/kernel"));
	assert_int_not_equal(s, rng_seed_for(42, 0, "host/client1/kernel "));
	assert_int_not_equal(s, rng_seed_for(42, 1, "host/client1/kernel"));
	assert_int_not_equal(s, rng_seed_for(43, 0, "host/client1/kernel"));
	assert_int_not_equal(rng_seed_for(0, 0, ""), rng_seed_for(0, 1, ""));

	/* Matches the formula documented in rng.h. */
	uint64_t want = rng_splitmix64(42 ^ rng_splitmix64(rng_fnv1a64("host/client1/kernel")) ^
				       rng_splitmix64(0 + 1));
	assert_int_equal(s, want);

	/* No collisions in the low 32 bits (what MT19937 uses) over a small grid
	 * of masters x replications x names. */
	enum { NM = 8, NR = 8, NN = 16 };
	static const char *names[NN] = {
		"a", "b", "c", "d", "wl/0", "wl/1", "wl/2", "wl/3",
		"host/0/kernel", "host/1/kernel", "path/0/loss", "path/1/loss",
		"ct/seed", "ehash/secret", "port/perturb", "ts/offset",
	};
	uint32_t *seen = calloc(NM * NR * NN, sizeof(*seen));
	size_t k = 0;
	for (uint64_t m = 1; m <= NM; m++)
		for (uint32_t r = 0; r < NR; r++)
			for (int n = 0; n < NN; n++)
				seen[k++] = (uint32_t)rng_seed_for(m, r, names[n]);
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++)
			assert_int_not_equal(seen[i], seen[j]);
	free(seen);
}

static void test_streams_identical(void **state)
{
	gsl_rng *a = rng_stream(7, 3, "path/0/loss");
	gsl_rng *b = rng_stream(7, 3, "path/0/loss");
	gsl_rng *c = rng_stream(7, 3, "path/1/loss");
	gsl_rng *d = rng_stream(7, 4, "path/0/loss");
	int same_c = 0, same_d = 0;
	for (int i = 0; i < 10000; i++) {
		uint32_t x = rng_u32(a);
		assert_int_equal(x, rng_u32(b));
		same_c += x == rng_u32(c);
		same_d += x == rng_u32(d);
	}
	/* Other streams are different sequences (a coincidence or two at most). */
	assert_true(same_c < 3);
	assert_true(same_d < 3);
	rng_free(a);
	rng_free(b);
	rng_free(c);
	rng_free(d);
	rng_free(NULL);
}

static void test_u64(void **state)
{
	gsl_rng *a = rng_stream(99, 0, "u64");
	gsl_rng *b = rng_stream(99, 0, "u64");
	gsl_rng *c = rng_stream(99, 0, "u64");
	uint64_t or_all = 0, and_all = ~(uint64_t)0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rng_u64(a);
		assert_int_equal(x, rng_u64(b));
		/* High word first, then low word. */
		uint64_t hi = rng_u32(c);
		uint64_t lo = rng_u32(c);
		assert_int_equal(x, hi << 32 | lo);
		or_all |= x;
		and_all &= x;
	}
	/* Every bit is sometimes set and sometimes clear. */
	assert_int_equal(or_all, ~(uint64_t)0);
	assert_int_equal(and_all, 0);
	rng_free(a);
	rng_free(b);
	rng_free(c);
}

static void chi_square_below(uint32_t n, unsigned long draws)
{
	gsl_rng *r = rng_stream(12345, 0, "chi2");
	unsigned long *cnt = calloc(n, sizeof(*cnt));
	for (unsigned long i = 0; i < draws; i++) {
		uint32_t x = rng_below(r, n);
		assert_true(x < n);
		cnt[x]++;
	}
	double expect = (double)draws / n, chi2 = 0;
	for (uint32_t i = 0; i < n; i++) {
		double dv = (double)cnt[i] - expect;
		chi2 += dv * dv / expect;
	}
	double p = gsl_cdf_chisq_Q(chi2, n - 1);
	if (p < 0.01)
		fail_msg("rng_below(%u): chi2 %.1f with %u dof, p = %.4f", n, chi2, n - 1, p);
	free(cnt);
	rng_free(r);
}

static void test_below(void **state)
{
	gsl_rng *r = rng_stream(1, 0, "below");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(rng_below(r, 1), 0);
	/* A bound that is not a power of two and close to 2^32 (the rejection
	 * zone of Lemire's method is large): still in range. */
	for (int i = 0; i < 100000; i++) {
		assert_true(rng_below(r, 3000000001u) < 3000000001u);
		assert_true(rng_below(r, UINT32_MAX) < UINT32_MAX);
	}
	rng_free(r);

	chi_square_below(2, 100000);
	chi_square_below(10, 100000);
	chi_square_below(1000, 1000000);
	chi_square_below(28232, 2823200);  /* the default ephemeral port range */
}

/* rng_below(n) for n > 2^31 would be badly skewed by a plain modulo; check
 * the halves of [0, n) for n = 3 * 2^30 are hit in proportion (1:1). */
static void test_below_large_unbiased(void **state)
{
	gsl_rng *r = rng_stream(5, 0, "below-large");
	const uint32_t n = 3u << 30;
	unsigned long lo = 0, draws = 400000;
	for (unsigned long i = 0; i < draws; i++)
		lo += rng_below(r, n) < n / 2;
	double dv = (double)lo - draws / 2.0;
	double chi2 = 2 * dv * dv / (draws / 2.0);
	assert_true(gsl_cdf_chisq_Q(chi2, 1) >= 0.01);
	rng_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_seed_for),
		cmocka_unit_test(test_streams_identical),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_below),
		cmocka_unit_test(test_below_large_unbiased),
	};
	return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
