/*
 * Helpers for validation tests: run an experiment given as key=value
 * settings, in-process, and read the probes over a measurement window.
 * Replications differ only in their replication number (same master seed),
 * as the sweep command will do.
 */
#ifndef CONNSIM_TESTS_VALID_H
#define CONNSIM_TESTS_VALID_H

#include <glib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/kconf.h"
#include "models/meter.h"
#include "models/scenario.h"
#include "models/tcp_int.h"
#include "models/world.h"
#include "sim/probe.h"

typedef struct vrun {
	double attempts, established, eaddrnotavail, overflow, tw_mean;
	unsigned pool;
	uint64_t boot_ns;  /* first client host's boot instant (its jiffies phase) */
} vrun;

/* A world built from settings as the command line builds it, with its
 * engine and probes. */
typedef struct vworld {
	cfg *c;
	scenario *sc;
	ev_loop *L;
	probe_set *ps;
	world *W;
} vworld;

/* sets: NULL-terminated "section.key=value" strings (as --set takes them);
 * arrivals stop at end_s.  Aborts on a bad setting (a bug in the test). */
static inline vworld vworld_new(const char *const *sets, uint32_t rep, double end_s)
{
	vworld v = { scn_cfg_new(), NULL, ev_loop_new(NULL), probe_set_new(), NULL };
	GError *err = NULL;
	/* arrivals stop at the run's end unless the settings say otherwise */
	char *dur = g_strdup_printf("%" G_GUINT64_FORMAT "ns", (guint64)(ev_time)(end_s * 1e9));
	if (!cfg_set(v.c, "experiment", "duration", dur, NULL, &err))
		abort();
	g_free(dur);
	for (const char *const *s = sets; *s; s++)
		if (!scn_set_arg(v.c, *s, NULL, &err)) {
			fprintf(stderr, "vworld_new: %s\n", err->message);
			abort();
		}
	if ((v.sc = scn_new(v.c, &err)))
		v.W = world_new(v.sc, v.L, v.ps, 1, rep, &err);
	if (!v.W) {
		fprintf(stderr, "vworld_new: %s\n", err->message);
		abort();
	}
	return v;
}

static inline void vworld_free(vworld *v)
{
	world_free(v->W);
	probe_set_free(v->ps);
	ev_loop_free(v->L);
	scn_free(v->sc);
	cfg_free(v->c);
}

/* Time-average of a gauge over [w0, now] given its area at w0. */
static inline double gauge_area(const probe_gauge *g, ev_time t)
{
	return g->area + (double)g->value * (double)(t - g->last_change);
}

static inline vrun valid_run(const char *const *sets, uint32_t rep, double warmup_s, double end_s)
{
	vworld v = vworld_new(sets, rep, end_s);
	world *W = v.W;
	ev_loop *L = v.L;
	probe_set *ps = v.ps;
	uint64_t *att = probe_counter(ps, "conn.attempts", NULL), *est = probe_counter(ps, "conn.established", NULL),
		 *ena = probe_counter(ps, "conn.EADDRNOTAVAIL", NULL),
		 *ovf = probe_counter(ps, "client.TcpExtTCPTimeWaitOverflow", NULL);
	probe_gauge *tw = probe_gauge_get(ps, "client.timewait", NULL);
	world_start(W);
	ev_time w0 = (ev_time)(warmup_s * 1e9), w1 = (ev_time)(end_s * 1e9);
	ev_run(L, w0);
	uint64_t a0 = *att, e0 = *est, n0 = *ena, o0 = *ovf;
	double area0 = gauge_area(tw, w0);
	ev_run(L, w1);
	double area1 = gauge_area(tw, w1);
	vrun r = { (double)(*att - a0), (double)(*est - e0), (double)(*ena - n0), (double)(*ovf - o0),
		   (area1 - area0) / (double)(w1 - w0), meter_port_pool(W), world_tcp(W)->hosts[0].ts.boot_ns };
	vworld_free(&v);
	return r;
}

/* Erlang B: Poisson_pmf(N; A) / Poisson_cdf(N; A) (doc/kernel-rules.md §9.1). */
static inline double erlang_b(unsigned n, double a)
{
	return gsl_ran_poisson_pdf(n, a) / gsl_cdf_poisson_P(n, a);
}

/* Mean and half-width of the two-sided confidence interval at level conf. */
static inline void ci(const double *x, size_t r, double conf, double *mean, double *hw)
{
	*mean = gsl_stats_mean(x, 1, r);
	double sd = gsl_stats_sd(x, 1, r);
	*hw = gsl_cdf_tdist_Pinv(1 - (1 - conf) / 2, (double)(r - 1)) * sd / sqrt((double)r);
}

#endif
