/*
 * ratesearch: the short search over the offered rate that `connsim check`
 * runs for each limited resource: a bracket [lo, hi] of connection rates,
 * the resource holding at lo and running out at hi, narrowed by probes.
 * A probe's outcome updates every bracket at once (a resource that runs
 * out at r runs out above r: the search assumes use grows with the rate,
 * which common random numbers keep true of the simulated runs).
 *
 * Pure: it proposes rates and takes outcomes; check runs the probes.
 */
#ifndef CONNSIM_CMD_RATESEARCH_H
#define CONNSIM_CMD_RATESEARCH_H

#include <stdbool.h>

typedef struct rs_bracket {
	double lo;        /* the highest rate seen to hold; 0: none */
	double hi;        /* the lowest rate seen to run out; INFINITY: none */
	double lo_use;    /* peak / limit at lo */
	double ceiling;   /* the analytic ceiling, per second; 0: none */
	unsigned down;    /* rates seen to run out, each lower than the one before */
} rs_bracket;

/* An empty bracket; ceiling 0 when the resource has none. */
void rs_init(rs_bracket *b, double ceiling);
/* A probe at rate: the resource ran out (in some replication), or held
 * with peak use `use` (peak / limit, the highest over the replications). */
void rs_observe(rs_bracket *b, double rate, bool ran_out, double use);
/* Narrow enough (hi / lo - 1 <= tol), or held up to rmax without running
 * out (a limit not reached in the searched range). */
bool rs_done(const rs_bracket *b, double tol, double rmax);
/* The next rate to probe, in (lo, hi) and at most rmax.  Limits run out
 * close below their analytic ceiling, so: in a wide bracket, just below
 * the ceiling when it lies inside, else a step down from hi (5 %, twice as
 * far each time it runs out again) but not past the geometric middle; in a
 * narrow one, the middle; with nothing held yet, just below the ceiling or
 * a step down from hi; above lo,
 * just past where use at lo extrapolates to the limit (use grows linearly
 * with the rate, Little's law), at most 4 x lo. */
double rs_next(const rs_bracket *b, double rmax);

#endif
