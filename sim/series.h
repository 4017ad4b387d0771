/*
 * series: samples every counter and gauge of a probe set at a fixed interval
 * of simulated time, as rows of a CSV (time-series output).
 *
 * Columns: time_s, then each counter (cumulative count), then each gauge
 * (value at the sample instant), in probe registration order.  The sampler is
 * an engine event; it reads probes and never touches a model.
 */
#ifndef CONNSIM_SERIES_H
#define CONNSIM_SERIES_H

#include <stdio.h>

#include "sim/ev.h"
#include "sim/probe.h"

typedef struct series series;

/* Rows go to fp (already holding the '#' header); the first sample is at
 * the current time.  before (may be NULL) runs just before each row, to
 * refresh gauges that are levels of tables rather than event counts. */
series *series_start(ev_loop *L, const probe_set *ps, ev_time interval, FILE *fp,
		     void (*before)(void *ctx), void *ctx);
/* Writes a final row at the current time if it is not already sampled. */
void series_finish(series *s);
void series_free(series *s);

#endif
