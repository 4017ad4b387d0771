/*
 * probe: what models report, and what writers read.
 *
 * A probe set holds named counters (monotonic event counts; models choose
 * the names), gauges (current level with its peak, e.g. records in a state)
 * and histograms.
 * Models look a probe up once at set-up and keep the returned pointer; the hot
 * path is then a plain increment.  Models never print: writers (series.c,
 * the summary) walk the set in registration order.
 *
 * Registration order is the column order of every output, so it must not
 * depend on anything but the configuration (reproducibility).
 */
#ifndef CONNSIM_PROBE_H
#define CONNSIM_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct probe_set probe_set;

typedef struct probe_gauge {
	int64_t value;
	int64_t peak;
	/* time-weighted mean support: integral of value over time */
	double area;          /* value * ns, accumulated */
	uint64_t last_change; /* ns */
} probe_gauge;

typedef struct probe_hist probe_hist;

probe_set *probe_set_new(void);
void probe_set_free(probe_set *ps);

/* Find or create; the pointer stays valid for the life of the set. */
uint64_t *probe_counter(probe_set *ps, const char *name, const char *help);
probe_gauge *probe_gauge_get(probe_set *ps, const char *name, const char *help);
/* Log-linear histogram of non-negative values: 3 significant bits, so
 * quantiles are within 12.5 %.  probe_histogram_ns marks the values as
 * nanoseconds of simulated time, which writers show in milliseconds. */
probe_hist *probe_histogram(probe_set *ps, const char *name, const char *help);
probe_hist *probe_histogram_ns(probe_set *ps, const char *name, const char *help);
bool probe_hist_is_ns(const probe_hist *h);

static inline void probe_gauge_set(probe_gauge *g, int64_t v, uint64_t now)
{
	g->area += (double)g->value * (double)(now - g->last_change);
	g->last_change = now;
	g->value = v;
	if (v > g->peak)
		g->peak = v;
}

static inline void probe_gauge_add(probe_gauge *g, int64_t d, uint64_t now)
{
	probe_gauge_set(g, g->value + d, now);
}

/* The integral of the gauge over [0, now] (value x ns): the difference of
 * two readings is its integral over a window. */
static inline double probe_gauge_area(const probe_gauge *g, uint64_t now)
{
	return g->area + (double)g->value * (double)(now - g->last_change);
}

/* Time-weighted mean of the gauge over [0, now]. */
double probe_gauge_mean(const probe_gauge *g, uint64_t now);

void probe_hist_add(probe_hist *h, uint64_t v);
uint64_t probe_hist_count(const probe_hist *h);
void probe_hist_reset(probe_hist *h);
/* q in [0, 1]; 0 when empty.  Returns the upper edge of the bucket. */
uint64_t probe_hist_quantile(const probe_hist *h, double q);
uint64_t probe_hist_max(const probe_hist *h);
double probe_hist_mean(const probe_hist *h);

/* Enumeration, in registration order. */
size_t probe_ncounters(const probe_set *ps);
const char *probe_counter_name(const probe_set *ps, size_t i);
uint64_t probe_counter_value(const probe_set *ps, size_t i);
size_t probe_ngauges(const probe_set *ps);
const char *probe_gauge_name(const probe_set *ps, size_t i);
const probe_gauge *probe_gauge_at(const probe_set *ps, size_t i);
size_t probe_nhists(const probe_set *ps);
const char *probe_hist_name(const probe_set *ps, size_t i);
const probe_hist *probe_hist_at(const probe_set *ps, size_t i);
probe_hist *probe_hist_mut(probe_set *ps, size_t i);

#endif
