#include "cmd/paired.h"

#include <glib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

#include "sim/bug.h"

static double t975(unsigned n)
{
	return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1));
}

void paired_mean_ci(const double *x, unsigned n, double *mean, double *ci95)
{
	BUG_ON(n < 2);
	*mean = gsl_stats_mean(x, 1, n);
	*ci95 = t975(n) * gsl_stats_sd_m(x, 1, n, *mean) / sqrt((double)n);
}

static bool same(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

void paired_diff_of(const double *a, const double *b, unsigned n, paired_diff *out)
{
	BUG_ON(n < 2);
	double *d = g_new(double, n);
	out->changed = false;
	for (unsigned r = 0; r < n; r++) {
		out->changed = out->changed || !same(a[r], b[r]);
		d[r] = same(a[r], b[r]) ? 0 : b[r] - a[r];
	}
	out->mean = gsl_stats_mean(d, 1, n);
	double half = t975(n) * gsl_stats_sd_m(d, 1, n, out->mean) / sqrt((double)n);
	out->lo = out->mean - half;
	out->hi = out->mean + half;
	out->significant = out->lo > 0 || out->hi < 0;
	g_free(d);
}
