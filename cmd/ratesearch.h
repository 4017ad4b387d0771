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
	double hi_est;    /* at hi: hi x the share of the demand served; 0: none */
	double ceiling;   /* the analytic ceiling, per second; 0: none */
	unsigned down;    /* rates seen to run out, each lower than the one before */
} rs_bracket;

/* An empty bracket; ceiling 0 when the resource has none. */
void rs_init(rs_bracket *b, double ceiling);
/* A probe at rate.  Held: use is the peak use (peak / limit, the highest
 * over the replications).  Ran out (in some replication): use is the
 * share of the demand it still served (1 - the share that failed because
 * of it), which times the rate estimates where it runs out (a loss
 * system's carried load); 0 or 1 when unknown. */
void rs_observe(rs_bracket *b, double rate, bool ran_out, double use);
/* Narrow enough (hi / lo - 1 <= tol), or held up to rmax without running
 * out (a limit not reached in the searched range). */
bool rs_done(const rs_bracket *b, double tol, double rmax);
/* The next rate to probe, in (lo, hi) and at most rmax.  The estimate of
 * where it runs out is the analytic ceiling, else the carried load at hi.
 * In a wide bracket: 2 % below the estimate, then 1 % above it, then the
 * middle; in a narrow one, the middle.  With nothing held yet: 2 % below
 * the estimate, else a step down from hi (5 %, then 25 %, 50 %, 75 % as it
 * keeps running out).  With nothing run out yet: just past where use at lo
 * extrapolates to the limit (use grows linearly with the rate, Little's
 * law) or past the ceiling, at most 4 x lo. */
double rs_next(const rs_bracket *b, double rmax);

#endif
