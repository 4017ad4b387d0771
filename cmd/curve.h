/*
 * curve: a sweep's per-point statistics and its curve.csv, shared by
 * `sweep` (which ran every replication itself) and `merge` (which reads the
 * replications from task files), so that both write the same bytes.
 *
 * A curve's input is, per point p and replication r (point-major: index
 * p * R + r), the summary metrics of that replication (replica_metrics).
 */
#ifndef CONNSIM_CMD_CURVE_H
#define CONNSIM_CMD_CURVE_H

#include <glib.h>
#include <stdio.h>

typedef struct curve_in {
	const char *header;        /* the '#' block's text (lines without "# ") */
	const char *grid_columns;  /* grid_csv_header's output: "variant,KEY..." */
	char *const *point_values; /* per point, grid_csv_values's output */
	unsigned npoints, R;       /* R >= 2 */
	GArray *const *metrics;    /* npoints x R GArrays of metric (cmd/replica.h) */
} curve_in;

/* The comment block, the column line, then one row per point: its grid
 * values, reps, and for every metric any point has (in first-seen order),
 * its mean and the half-width of its 95 % confidence interval (Student t,
 * R - 1 degrees of freedom); ",," where a point's world lacks the metric. */
void curve_write(const curve_in *in, FILE *fp);

#endif
