#include "cmd/ratesearch.h"

#include <math.h>

void rs_init(rs_bracket *b, double ceiling)
{
	b->lo = 0;
	b->hi = INFINITY;
	b->lo_use = 0;
	b->hi_est = 0;
	b->down = 0;
	b->ceiling = ceiling > 0 && isfinite(ceiling) ? ceiling : 0;
}

void rs_observe(rs_bracket *b, double rate, bool ran_out, double use)
{
	if (ran_out) {
		if (rate < b->hi) {
			b->down++;
			b->hi = rate;
			/* what it served of the demand there estimates its capacity */
			b->hi_est = use > 0 && use < 1 ? rate * use : 0;
		}
		/* an outcome against monotony (noise near the limit): the
		 * bracket keeps the lower rate that ran out */
		if (b->lo >= b->hi) {
			b->lo = 0;
			b->lo_use = 0;
		}
	} else if (rate > b->lo && rate < b->hi) {
		b->lo = rate;
		b->lo_use = use;
	}
}

bool rs_done(const rs_bracket *b, double tol, double rmax)
{
	if (isinf(b->hi))
		return b->lo >= rmax;
	return b->lo > 0 && b->hi / b->lo - 1 <= tol;
}

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Below hi without an estimate: 5 % at the first and second rate seen to
 * run out, then 25 %, 50 %, 75 % while it keeps running out. */
static double step_down(const rs_bracket *b)
{
	static const double f[] = { 0.95, 0.95, 0.95, 0.75, 0.5 };
	return b->down < 5 ? f[b->down] : 0.25;
}

/* x strictly inside the bracket, by 1 % of each end */
static bool inside(const rs_bracket *b, double x)
{
	return x > b->lo * 1.01 && x < b->hi * 0.99;
}

double rs_next(const rs_bracket *b, double rmax)
{
	if (b->lo > 0 && isfinite(b->hi)) {
		if (b->hi / b->lo > 1.05) {
			/* a wide bracket: either side of the best estimate first */
			double est = b->ceiling > 0 && inside(b, b->ceiling * 0.98) ? b->ceiling : b->hi_est;
			if (est > 0 && inside(b, est * 0.98))
				return est * 0.98;
			if (est > 0 && inside(b, est * 1.01))
				return est * 1.01;
		}
		return b->hi / b->lo > 1.5 ? sqrt(b->lo * b->hi) : (b->lo + b->hi) / 2;
	}
	if (isfinite(b->hi)) {  /* nothing held yet: just below the estimate */
		double est = b->ceiling > 0 && b->ceiling < b->hi ? b->ceiling : b->hi_est;
		if (est > 0)
			return clamp(est * 0.98, b->hi / 8, b->hi * 0.95);
		return b->hi * step_down(b);
	}
	/* nothing ran out yet: aim just past the extrapolated limit */
	double est = b->lo_use > 0 ? b->lo / b->lo_use : 4 * b->lo;
	if (b->ceiling > 0 && b->ceiling > b->lo)
		est = b->ceiling;
	return clamp(est * 1.02, b->lo * 1.05, fmin(b->lo * 4, rmax));
}
