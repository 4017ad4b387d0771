/*
 * replica: one replication of an experiment, as `run` and `sweep` both do
 * it: a world on its own engine and probes, a measurement window that opens
 * at [experiment] warmup, and the summary metrics over that window.
 * Independent replicas share nothing, so they can run on several threads.
 */
#ifndef CONNSIM_CMD_REPLICA_H
#define CONNSIM_CMD_REPLICA_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#include "models/scenario.h"
#include "models/world.h"
#include "sim/ev.h"
#include "sim/probe.h"

typedef struct replica replica;
struct verdict;

/* How a metric is printed in summary.csv. */
typedef enum metric_fmt { METRIC_INT, METRIC_F3, METRIC_G6 } metric_fmt;

typedef struct metric {
	char *name;
	double value;
	metric_fmt fmt;
} metric;

/* sc must outlive the replica (it is only read). */
replica *replica_new(const scenario *sc, uint64_t seed, uint32_t rep, GError **err);
void replica_free(replica *r);
ev_loop *replica_loop(replica *r);
probe_set *replica_probes(replica *r);
world *replica_world(replica *r);
ev_time replica_duration(const replica *r);
void replica_start(replica *r);
/* The summary columns after seed and replication, over [warmup, now]:
 * duration_s, warmup_s, port_pool, every counter, every gauge's mean and
 * peak, every histogram's count, mean, p50, p99, max, then
 * conn.fail_fraction, conn.rate, conn.CAUSE.fraction for every conn.hit.CAUSE
 * counter, conn.first_failure_s and conn.first_failure_seen.  Free with
 * replica_metrics_free. */
GArray *replica_metrics(replica *r);
void replica_metrics_free(GArray *m);

/*
 * Many replications at once, as sweep and compare run them: each task is
 * one scenario, seed and replication number; the tasks run on a pool of
 * threads and each keeps its own metrics, so the results do not depend on
 * the number of threads.
 */
typedef struct replica_task {
	const scenario *sc;
	uint64_t seed;
	uint32_t rep;
	FILE *series;     /* if not NULL: the time series, as run writes it, goes here (after its header) */
	/* if not NULL: replica_new(sc, seed, rep) already made (sweep builds one
	 * to learn the metric names): the task runs it instead of building
	 * another, and frees it */
	replica *built;
	/* if not NULL: called on the worker thread once metrics are in (a
	 * sharded sweep writes its task file there, so that a killed shard
	 * keeps what it finished); a message it returns says the result could
	 * not be kept */
	char *(*done)(const struct replica_task *t, void *ctx);
	void *done_ctx;
	/* if not NULL: out: the run's verdict (cmd/verdict.h, verdict_build),
	 * built on the worker thread with a verdict_watch sampled at every
	 * [experiment] sample; experiment is its name */
	struct verdict *verdict;
	const char *experiment;
	GArray *metrics;  /* out: replica_metrics */
	char *error;      /* out: why the world could not be built */
	char *done_error; /* out: what done returned */
} replica_task;

/* Runs the n tasks on jobs threads (0: one per core), with a progress bar
 * on stderr when progress; a task whose sc is NULL is skipped.  False, with
 * the first failed task's message, when one failed (a world that could not
 * be built: CFG_ERROR; then a done that failed: G_FILE_ERROR). */
bool replica_run_tasks(replica_task *t, size_t n, unsigned jobs, bool progress, GError **err);
/* Frees every task's metrics, error and unused built replica (not the array). */
void replica_tasks_clear(replica_task *t, size_t n);

#endif
