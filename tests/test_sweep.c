/*
 * connsim sweep as a user runs it (cmd_sweep), on a small port-exhaustion
 * case: the 95 % half-width it prints is t(R-1) x s / sqrt(R), so it shrinks
 * about as 1/sqrt(R); and a point run twice with the same seed is identical.
 * Then the load balancer's curve: its knee lies at N / H.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static char *dir;

static void sweep(const char *reps, const char *out)
{
	char *exp = g_build_filename(dir, "exp.ini", NULL), *o = g_build_filename(dir, out, NULL);
	char *argv[] = { "connsim sweep", exp, "--vary", "workload.rate=1.5", "--reps", (char *)reps, "--jobs", "2",
			 "--quiet", "--out", o, NULL };
	/* GOption shifts the pointers it parsed out; it frees nothing */
	char **av = g_memdup2(argv, sizeof argv);
	assert_int_equal(cmd_sweep(11, av), 0);
	g_free(av);
	g_free(exp);
	g_free(o);
}

/* Every data row of DIR/out/curve.csv: the named columns, row by row. */
static unsigned columns(const char *out, const char *const *names, unsigned nnames, double (*v)[4], unsigned max)
{
	char *path = g_build_filename(dir, out, "curve.csv", NULL), *text;
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	char **lines = g_strsplit(text, "\n", -1), **hdr = NULL;
	unsigned n = 0;
	for (char **l = lines; *l; l++) {
		if (**l == '#' || !**l)
			continue;
		if (!hdr) {
			hdr = g_strsplit(*l, ",", -1);
			continue;
		}
		char **row = g_strsplit(*l, ",", -1);
		for (unsigned k = 0; k < nnames; k++) {
			v[n][k] = NAN;
			for (unsigned i = 0; hdr[i] && row[i]; i++)
				if (!strcmp(hdr[i], names[k]))
					v[n][k] = g_ascii_strtod(row[i], NULL);
		}
		g_strfreev(row);
		if (++n == max)
			break;
	}
	g_strfreev(hdr);
	g_strfreev(lines);
	g_free(text);
	g_free(path);
	return n;
}

/* The named column of the first data row of DIR/out/curve.csv. */
static double column(const char *out, const char *name)
{
	double v[1][4];
	assert_true(columns(out, &name, 1, v, 1) == 1);
	return v[0][0];
}

static void test_ci_shrinks(void **st)
{
	(void)st;
	sweep("4", "r4");
	sweep("36", "r36");
	double h4 = column("r4", "conn.fail_fraction.ci95"), h36 = column("r36", "conn.fail_fraction.ci95");
	/* the sample standard deviations behind the two half-widths */
	double s4 = h4 * 2 / gsl_cdf_tdist_Pinv(0.975, 3), s36 = h36 * 6 / gsl_cdf_tdist_Pinv(0.975, 35);
	double F = (s4 * s4) / (s36 * s36);
	printf("  half-width R=4: %.5f, R=36: %.5f (ratio %.2f); s4 %.5f, s36 %.5f, F = %.3f\n", h4, h36, h4 / h36, s4,
	       s36, F);
	assert_true(h36 < h4);
	/* Same variance behind both (F(3, 35)), two-sided at 1 %. */
	assert_true(F > gsl_cdf_fdist_Pinv(0.005, 3, 35));
	assert_true(F < gsl_cdf_fdist_Pinv(0.995, 3, 35));
}

static void test_same_seed_identical(void **st)
{
	(void)st;
	sweep("4", "a");
	sweep("4", "b");
	char *pa = g_build_filename(dir, "a", "curve.csv", NULL), *pb = g_build_filename(dir, "b", "curve.csv", NULL);
	char *ta = NULL, *tb = NULL;
	assert_true(g_file_get_contents(pa, &ta, NULL, NULL));
	assert_true(g_file_get_contents(pb, &tb, NULL, NULL));
	/* The header names the output directory (the command line); rows must match. */
	const char *ra = strstr(ta, "\nworkload.rate"), *rb = strstr(tb, "\nworkload.rate");
	assert_non_null(ra);
	assert_non_null(rb);
	assert_string_equal(ra, rb);
	g_free(ta);
	g_free(tb);
	g_free(pa);
	g_free(pb);
}

/*
 * The load balancer's knee (experiments/lb.ini, doc/kernel-rules.md §9.1): above
 * saturation every port is busy, so the connections carried per second level
 * off at N / H and the failure fraction follows 1 - C / rate.  C, fitted by
 * least squares over two overloaded points (2 and 3 x N / H), must lie within
 * 2 % of N / H, with N the port pool and H = life (0.1 s) + TIME_WAIT (60 s
 * plus the HZ=250 wheel's mean slack of 1.024 s).  The window opens after
 * 600 s, when the echo of the cold start (all ports taken in the first
 * seconds, freed together a TIME_WAIT later) has faded.
 */
static void test_lb_knee(void **st)
{
	(void)st;
	char *o = g_build_filename(dir, "lb", NULL);
	char *argv[] = { "connsim sweep", "experiments/lb.ini", "--vary", "workload.rate=924,1386", "--variant",
			 "baseline", "--reps", "2", "--set", "experiment.duration=1200s", "--set",
			 "experiment.warmup=600s", "--jobs", "2", "--quiet", "--out", o, NULL };
	char **av = g_memdup2(argv, sizeof argv);
	assert_int_equal(cmd_sweep((int)G_N_ELEMENTS(argv) - 1, av), 0);
	g_free(av);
	g_free(o);
	const char *names[] = { "workload.rate", "conn.fail_fraction.mean", "port_pool.mean" };
	double v[4][4];
	assert_int_equal(columns("lb", names, 3, v, 4), 2);
	double sx = 0, sxx = 0;  /* f = 1 - C x, x = 1 / rate: C = sum (1 - f) x / sum x^2 */
	for (unsigned i = 0; i < 2; i++) {
		double x = 1 / v[i][0];
		sx += (1 - v[i][1]) * x;
		sxx += x * x;
	}
	double C = sx / sxx, NH = v[0][2] / (0.1 + 60 + 1.024);
	printf("  knee: fitted ceiling %.1f connections/s, N / H = %.0f / %.3f s = %.1f (%+.2f %%)\n", C, v[0][2],
	       0.1 + 60 + 1.024, NH, 100 * (C / NH - 1));
	assert_true(fabs(C / NH - 1) < 0.02);
}

/*
 * Balls into bins (experiments/chains.ini at 6144 buckets, load ~8.7): the
 * 99th percentile of the chains is the Poisson(load) quantile, computed
 * here independently from the pmf, within one node; the longest chain's
 * mean over the replications lies within its confidence interval (plus
 * one node for the integer) of the expected maximum of B Poisson bins.
 */
static void test_chains_balls_into_bins(void **st)
{
	(void)st;
	char *o = g_build_filename(dir, "chains", NULL);
	char *argv[] = { "connsim sweep", "experiments/chains.ini", "--vary",
			 "firewall.sysctl.net.netfilter.nf_conntrack_buckets=6144", "--reps", "4", "--jobs", "2", "--quiet",
			 "--out", o, NULL };
	char **av = g_memdup2(argv, sizeof argv);
	assert_int_equal(cmd_sweep((int)G_N_ELEMENTS(argv) - 1, av), 0);
	g_free(av);
	g_free(o);
	const char *names[] = { "firewall.ct.buckets.load.mean", "firewall.ct.buckets.p99.mean",
				"firewall.ct.buckets.max.mean", "firewall.ct.buckets.max.ci95" };
	const char *ref[] = { "firewall.ct.buckets.poisson_p99.mean", "firewall.ct.buckets.poisson_max.mean" };
	double v[4][4], r[4][4];
	assert_int_equal(columns("chains", names, 4, v, 4), 1);
	assert_int_equal(columns("chains", ref, 2, r, 4), 1);
	double lambda = v[0][0], cdf = 0;
	unsigned q = 0;
	while ((cdf += gsl_ran_poisson_pdf(q, lambda)) < 0.99)
		q++;
	printf("  load %.2f: p99 %.2f (Poisson %u, reported %.0f); max %.2f +- %.2f (expected %.2f)\n", lambda,
	       v[0][1], q, r[0][0], v[0][2], v[0][3], r[0][1]);
	assert_true(lambda > 6 && lambda < 11);
	assert_int_equal((unsigned)r[0][0], q);
	assert_true(fabs(v[0][1] - q) <= 1);
	assert_true(fabs(v[0][2] - r[0][1]) <= v[0][3] + 1);
}

static int setup(void **st)
{
	(void)st;
	dir = g_dir_make_tmp("connsim-sweep-XXXXXX", NULL);
	char *exp = g_build_filename(dir, "exp.ini", NULL);
	/* 64 ports, 1.5/s at ~61 s per port: loaded 1.5 x, EADDRNOTAVAIL ~35 % */
	const char *text = "[experiment]\nduration = 1200s\nwarmup = 200s\n"
			   "[sysctl]\nnet.ipv4.ip_local_port_range = 40000 40063\n"
			   "[workload]\nrate = 1\nlife_mean = 100ms\n";
	assert_true(g_file_set_contents(exp, text, -1, NULL));
	g_free(exp);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char *cmd = g_strdup_printf("rm -rf '%s'", dir);
	int rc = system(cmd);
	(void)rc;
	g_free(cmd);
	g_free(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ci_shrinks),
		cmocka_unit_test(test_same_seed_identical),
		cmocka_unit_test(test_lb_knee),
		cmocka_unit_test(test_chains_balls_into_bins),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
