#include "cmd/ratesearch.h"

#include <math.h>

void rs_init(rs_bracket *b, double ceiling)
{
	b->lo = 0;
	b->hi = INFINITY;
	b->lo_use = 0;
	b->down = 0;
	b->ceiling = ceiling > 0 && isfinite(ceiling) ? ceiling : 0;
}

void rs_observe(rs_bracket *b, double rate, bool ran_out, double use)
{
	if (ran_out) {
		if (rate < b->hi) {
			b->down++;
			b->hi = rate;
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

/* Below hi: 5 % at the first and second rate seen to run out, then 10 %,
 * 19 %, 34 %, ... while it keeps running out. */
static double step_down(const rs_bracket *b)
{
	unsigned e = b->down < 2 ? 0 : b->down - 2 < 6 ? b->down - 2 : 6;
	return pow(0.95, (double)(1u << e));
}

double rs_next(const rs_bracket *b, double rmax)
{
	if (b->lo > 0 && isfinite(b->hi)) {
		/* a wide bracket around the ceiling: just below it first (its
		 * other side is usually known by then) */
		double below = b->ceiling * 0.98;
		if (below > b->lo * 1.01 && b->ceiling < b->hi && b->hi / b->lo > 1.1)
			return below;
		/* a wide bracket: step down from hi (limits run out close below
		 * where they were seen to), but no further than its middle */
		if (b->hi / b->lo > 1.1)
			return fmax(sqrt(b->lo * b->hi), b->hi * step_down(b));
		return (b->lo + b->hi) / 2;
	}
	if (isfinite(b->hi)) {  /* nothing held yet */
		if (b->ceiling > 0 && b->ceiling < b->hi)
			return clamp(b->ceiling * 0.98, b->hi / 4, b->hi * 0.95);
		return b->hi * step_down(b);
	}
	/* nothing ran out yet: aim just past the extrapolated limit */
	double est = b->lo_use > 0 ? b->lo / b->lo_use : 4 * b->lo;
	if (b->ceiling > 0 && b->ceiling > b->lo)
		est = b->ceiling;
	return clamp(est * 1.02, b->lo * 1.05, fmin(b->lo * 4, rmax));
}
