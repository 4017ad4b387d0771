/*
 * shard: the task files of a sweep split over several processes or
 * machines (connsim sweep --shard / --task, connsim merge).
 *
 * A task is one replication of one point: task i is point i / R,
 * replication i % R (point-major, as curve.csv's rows).  Its seed is the
 * one an unsharded sweep gives it, so results do not depend on the split.
 * Each task writes DIR/tasks/task-NNNNNN.csv: '#' lines naming the sweep
 * (experiment, a SHA-256 digest of the resolved settings of every point and
 * of the curve's header, seed, reps, number of points, grid), the task's
 * point, the curve header's text, then "metric,value" rows with every
 * summary metric printed to round-trip exactly (%.17g), so that a merge
 * computes the very means and intervals the unsharded sweep does.
 */
#ifndef CONNSIM_CMD_SHARD_H
#define CONNSIM_CMD_SHARD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* What every task file of one sweep repeats. */
typedef struct shard_sweep {
	char *experiment;   /* the path as given */
	char *digest;       /* "sha256:HEX" */
	uint64_t seed;
	unsigned npoints, R;
	char *grid;         /* grid_describe's lines */
	char *columns;      /* grid_csv_header's output */
	char *header;       /* curve.csv's comment block without the provenance lines */
} shard_sweep;

/* One task file as read back. */
typedef struct shard_task {
	shard_sweep sw;
	unsigned index;
	char *point;        /* grid_csv_values's output for its point */
	GArray *metrics;    /* of metric (cmd/replica.h) */
} shard_task;

/* A sweep of more tasks is refused (a task file names at most this many). */
enum { SHARD_MAX_TASKS = 10000000 };

/* "tasks/task-000123.csv" under dir; newly allocated. */
char *shard_task_path(const char *dir, unsigned index);

/* Writes a task file atomically (sim/out.h).  Several processes may write
 * into one tasks directory at once: out_open's directory lock is held for
 * the microseconds of a write, so a contended one is retried. */
bool shard_write(const shard_sweep *sw, unsigned index, const char *point, const GArray *metrics,
		 const char *path, GError **err);

/* Reads a task file; false (err names the file and line) when it is not a
 * complete task file. */
bool shard_read(const char *path, shard_task *t, GError **err);
void shard_task_clear(shard_task *t);
void shard_sweep_clear(shard_sweep *sw);

/* Why two task files cannot be merged ("seed 1 vs 2", ...), or NULL when
 * they belong to one sweep; newly allocated. */
char *shard_mismatch(const shard_sweep *a, const shard_sweep *b);

#endif
