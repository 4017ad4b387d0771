#include "cmd/curve.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

#include "cmd/replica.h"
#include "sim/out.h"

/* One row: the point's columns, reps, then each metric's mean and CI. */
static void curve_row(const curve_in *in, unsigned p, const GPtrArray *names, GHashTable *idx, FILE *fp)
{
	double tq = gsl_cdf_tdist_Pinv(0.975, (double)(in->R - 1));
	double *x = g_new(double, in->R);
	fputs(in->point_values[p], fp);
	fprintf(fp, ",%u", in->R);
	for (guint k = 0; k < names->len; k++) {
		guint j = GPOINTER_TO_UINT(g_hash_table_lookup(idx, g_ptr_array_index(names, k)));
		if (!j) {
			fputs(",,", fp);  /* this point's world has no such metric */
			continue;
		}
		/* a configuration's replications share their columns */
		for (unsigned r = 0; r < in->R; r++)
			x[r] = g_array_index(in->metrics[(size_t)p * in->R + r], metric, j - 1).value;
		double mean = gsl_stats_mean(x, 1, in->R), sd = gsl_stats_sd_m(x, 1, in->R, mean);
		fprintf(fp, ",%.6g,%.6g", mean, tq * sd / sqrt((double)in->R));
	}
	fputc('\n', fp);
	g_free(x);
}

/* Columns: every metric any point has, in first-seen order (a variant
 * with a NAT box has metrics a variant without one lacks). */
void curve_write(const curve_in *in, FILE *fp)
{
	out_comment_block(fp, in->header);
	GPtrArray *names = g_ptr_array_new();
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable **idx = g_new0(GHashTable *, in->npoints);  /* per point: name -> index + 1 */
	for (unsigned p = 0; p < in->npoints; p++) {
		GArray *m = in->metrics[(size_t)p * in->R];
		idx[p] = g_hash_table_new(g_str_hash, g_str_equal);
		for (guint k = 0; k < m->len; k++) {
			char *n = g_array_index(m, metric, k).name;
			g_hash_table_insert(idx[p], n, GUINT_TO_POINTER(k + 1));
			if (g_hash_table_add(seen, n))
				g_ptr_array_add(names, n);
		}
	}
	fputs(in->grid_columns, fp);
	fputs(",reps", fp);
	for (guint k = 0; k < names->len; k++) {
		const char *n = g_ptr_array_index(names, k);
		fprintf(fp, ",%s.mean,%s.ci95", n, n);
	}
	fputc('\n', fp);
	for (unsigned p = 0; p < in->npoints; p++)
		curve_row(in, p, names, idx[p], fp);
	for (unsigned p = 0; p < in->npoints; p++)
		g_hash_table_destroy(idx[p]);
	g_free(idx);
	g_hash_table_destroy(seen);
	g_ptr_array_free(names, TRUE);
}
