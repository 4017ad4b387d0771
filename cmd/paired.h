/*
 * paired: the statistics of two settings run on common random numbers
 * (replication r of both on the same seed and replication number), as
 * compare and check report them: each side's mean with the half-width of
 * its 95 % confidence interval, and the mean of the R paired differences
 * (after - before) with its 95 % interval (Student t, R - 1 degrees of
 * freedom).
 */
#ifndef CONNSIM_CMD_PAIRED_H
#define CONNSIM_CMD_PAIRED_H

#include <stdbool.h>

/* The mean of x[0..n-1] and the half-width of its 95 % interval; n >= 2. */
void paired_mean_ci(const double *x, unsigned n, double *mean, double *ci95);

typedef struct paired_diff {
	double mean, lo, hi;  /* b - a: mean and 95 % interval */
	bool changed;         /* some pair differs (NaN equals NaN) */
	bool significant;     /* the interval excludes zero */
} paired_diff;

/* The paired differences b[i] - a[i] of n >= 2 replications; a pair that is
 * equal (or both NaN) differs by exactly 0. */
void paired_diff_of(const double *a, const double *b, unsigned n, paired_diff *out);

#endif
