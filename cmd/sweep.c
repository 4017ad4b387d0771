/*
 * connsim sweep: a curve.  For every point of the --vary grid, R
 * replications (seeds from the master seed and the replication number, so
 * replication r of every point shares its random streams: common random
 * numbers), then one CSV row per point with, for every summary metric, its
 * mean and the half-width of its 95 % confidence interval (Student t).
 * Replications run on a thread pool (--jobs); the output does not depend on
 * the number of jobs.
 *
 * --shard K/N and --task I run a share of the replications (the tasks,
 * cmd/shard.h) and write one task file each instead of the curve, so that a
 * scheduler's job array can run a sweep; connsim merge then writes the
 * curve.  cmd/curve.c computes the rows for both.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/curve.h"
#include "cmd/exp.h"
#include "cmd/grid.h"
#include "cmd/replica.h"
#include "cmd/shard.h"
#include "models/scenario.h"
#include "sim/bug.h"
#include "sim/out.h"

/* What a sweep holds from its options to its curve. */
typedef struct sweep {
	exp_opts o;
	char **varies, **variants;
	gint reps, jobs;
	const char *exp;
	grid *gr;
	unsigned npoints, R;
	uint64_t seed;
	cfg **pcfg;        /* per point */
	scenario **psc;    /* per point */
	replica *built0;   /* point 0's replication 0, built by the metric check */
	replica_task *tasks;  /* npoints x R, point-major */
	char **paths;         /* per task: its task file when this process runs it (sharded) */
	/* task selection: --shard K/N, --task I (both counted from --index-base) */
	char *shard, *task_opt;
	gint base;
	gboolean list_tasks;
	bool sharded;
	unsigned shard_k, shard_n;  /* 0-based K of N; --task I is shard I of npoints x R */
	char *outdir;
	char **point_values;        /* per point, grid_csv_values */
	shard_sweep sw;             /* what each task file repeats */
} sweep;

/* The metrics [sweep] plot, plot_y2 and x name must be columns of the
 * curve, i.e. summary metrics of some point: a misspelt one would leave a
 * curve out of the figure without a word. */
static bool plot_metrics_known(const cfg *c, GHashTable *known, GError **err)
{
	static const char *const keys[] = { "plot", "plot_y2", "x" };
	for (unsigned k = 0; k < G_N_ELEMENTS(keys); k++) {
		char **names = g_strsplit(cfg_str(c, "sweep", keys[k]), ",", -1);
		for (char **n = names; *n; n++) {
			g_strstrip(*n);
			if (**n && !g_hash_table_contains(known, *n)) {
				cfg_error(c, "sweep", keys[k], err,
					  "no metric '%s' (the summary columns are listed in README.md, \"Output columns\")",
					  *n);
				g_strfreev(names);
				return false;
			}
		}
		g_strfreev(names);
	}
	return true;
}

static GOptionContext *sweep_options(sweep *S)
{
	GOptionEntry entries[] = {
		{ "vary", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &S->varies,
		  "A setting and its values: KEY=a,b,c or KEY=START:STOP:STEPS[:log] (repeatable: a grid; "
		  "default: [sweep] vary)", "SPEC" },
		{ "variant", 'V', 0, G_OPTION_ARG_STRING_ARRAY, &S->variants,
		  "A curve of its own: LABEL or 'LABEL: KEY=VALUE & KEY=VALUE' (repeatable; default: [sweep] variants)",
		  "SPEC" },
		{ "reps", 'r', 0, G_OPTION_ARG_INT, &S->reps, "Replications per point (default: [sweep] reps, 10)", "R" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &S->jobs, "Threads (default: the number of cores)", "J" },
		{ "shard", 0, 0, G_OPTION_ARG_STRING, &S->shard,
		  "Run only shard K of N (tasks K, K+N, K+2N, ... counted from --index-base) and write their "
		  "task files, not the curve", "K/N" },
		{ "task", 0, 0, G_OPTION_ARG_STRING, &S->task_opt,
		  "Run only task I (one replication of one point; counted from --index-base) and write its "
		  "task file", "I" },
		{ "index-base", 0, 0, G_OPTION_ARG_INT, &S->base,
		  "Whether --task and --shard count from 0 (the default) or 1", "0|1" },
		{ "list-tasks", 0, 0, G_OPTION_ARG_NONE, &S->list_tasks,
		  "Print the number of tasks (points x reps) and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("EXPERIMENT.ini - a curve: R replications per point");
	g_option_context_set_summary(ctx,
		"Runs the experiment at every point of the --vary grid, R times each, and writes\n"
		"DIR/curve.csv: one row per point, for every summary metric its mean (METRIC.mean),\n"
		"the half-width of its 95 % confidence interval (METRIC.ci95) and the replications.");
	g_option_context_set_description(ctx,
		"Examples:\n"
		"  connsim sweep experiments/default.ini --vary workload.rate=100:900:9 --reps 10\n"
		"  connsim sweep lb.ini --vary net.ipv4.tcp_tw_reuse=0,1 --vary workload.rate=200,400,800\n"
		"  connsim sweep lb.ini --variant baseline --variant 'reuse: net.ipv4.tcp_tw_reuse=1'\n"
		"\nThe key profile (in --vary or a variant) sets every host's kernel profile.\n"
		"\nOn a cluster: a task is one replication of one point, task I = point I / R,\n"
		"replication I % R, with the seed an unsharded sweep gives it, so the curve does\n"
		"not depend on the split.  --task I and --shard K/N count from 0 (Kubernetes'\n"
		"JOB_COMPLETION_INDEX, HTCondor's $(Process), a Slurm --array=0-...); with\n"
		"--index-base 1 they count from 1 (GNU parallel's {#}, a Slurm --array=1-...).\n"
		"Each task writes DIR/tasks/task-NNNNNN.csv (always numbered from 0); a task whose\n"
		"file is there already is skipped, so a killed shard is simply run again.  Then\n"
		"connsim merge DIR... writes DIR/curve.csv, the curve of an unsharded sweep:\n"
		"  n=$(connsim sweep lb.ini --list-tasks)\n"
		"  seq 0 $((n - 1)) | parallel connsim sweep lb.ini --out out/lb --quiet --task {}\n"
		"  connsim merge out/lb\n"
		"  sbatch --array=0-$((n - 1)) contrib/slurm/sweep.sbatch lb.ini out/lb   (see contrib/)\n"
		"\nExit status: 0 success, 1 output could not be written, 2 usage or input error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	exp_opts_add(ctx, &S->o, "Override a setting for every point: section.key=value, or a sysctl name=value");
	return ctx;
}

/* An index as --task and --shard take it: digits, within [base, base + n). */
static bool parse_index(const char *s, gint base, uint64_t n, unsigned *v)
{
	char *end;
	errno = 0;
	guint64 x = g_ascii_strtoull(s, &end, 10);
	if (!g_ascii_isdigit(*s) || *end || errno || x < (guint64)base || x - (guint64)base >= n)
		return false;
	*v = (unsigned)(x - (guint64)base);
	return true;
}

/* --task I and --shard K/N as shard k of n (--task I: shard I of every
 * task); messages are printed here. */
static bool sweep_selection(sweep *S)
{
	uint64_t ntasks = (uint64_t)S->npoints * S->R;
	if (S->base != 0 && S->base != 1) {
		fprintf(stderr, "connsim sweep: --index-base %d: expected 0 or 1\n", S->base);
		return false;
	}
	if (S->shard && S->task_opt) {
		fprintf(stderr, "connsim sweep: --shard and --task: give one of them\n");
		return false;
	}
	if ((S->shard || S->task_opt) && ntasks > SHARD_MAX_TASKS) {
		fprintf(stderr, "connsim sweep: %" PRIu64 " tasks: too many to shard (at most %d)\n", ntasks, SHARD_MAX_TASKS);
		return false;
	}
	if (S->task_opt) {
		if (!parse_index(S->task_opt, S->base, ntasks, &S->shard_k)) {
			fprintf(stderr, "connsim sweep: --task %s: expected an integer in [%d, %" PRIu64 "] (%u points x %u "
				"reps, counted from --index-base %d)\n", S->task_opt, S->base,
				ntasks - 1 + (uint64_t)S->base, S->npoints, S->R, S->base);
			return false;
		}
		S->shard_n = (unsigned)ntasks;
		S->sharded = true;
	} else if (S->shard) {
		const char *slash = strchr(S->shard, '/');
		char *k = slash ? g_strndup(S->shard, (gsize)(slash - S->shard)) : NULL;
		unsigned n = 0;
		bool ok = slash && parse_index(slash + 1, 1, 1000000, &n) &&
			  parse_index(k, S->base, (uint64_t)n + 1, &S->shard_k);
		g_free(k);
		S->shard_n = n + 1;
		if (!ok) {
			fprintf(stderr, "connsim sweep: --shard %s: expected K/N with 1 <= N <= 1000000 and K in [%d, N%s] "
				"(counted from --index-base %d)\n", S->shard, S->base, S->base ? "" : " - 1", S->base);
			return false;
		}
		S->sharded = true;
	}
	return true;
}

/* The options' checks; without --vary / --reps, the experiment's [sweep]
 * section says.  Messages are printed here. */
static bool sweep_settings(sweep *S)
{
	GError *err = NULL;
	if (S->reps != 0 && (S->reps < 2 || S->reps > 100000)) {
		fprintf(stderr, "connsim sweep: --reps %d: expected an integer in [2, 100000] (a confidence "
			"interval needs two)\n", S->reps);
		return false;
	}
	cfg *defaults = exp_load(S->exp, &S->o, &err);
	if (!defaults) {
		fprintf(stderr, "connsim: %s\n", err->message);
		g_error_free(err);
		return false;
	}
	if (!S->reps)
		S->reps = (gint)cfg_int(defaults, "sweep", "reps");
	if (!S->varies && *cfg_str(defaults, "sweep", "vary"))
		S->varies = grid_split_list(cfg_str(defaults, "sweep", "vary"));
	if (!S->variants && *cfg_str(defaults, "sweep", "variants"))
		S->variants = grid_split_list(cfg_str(defaults, "sweep", "variants"));
	cfg_free(defaults);
	if (S->jobs < 0 || S->jobs > 1024) {
		fprintf(stderr, "connsim sweep: --jobs %d: expected an integer in [1, 1024]\n", S->jobs);
		return false;
	}
	S->R = (unsigned)S->reps;
	if (!S->varies || !*S->varies) {
		fprintf(stderr, "connsim sweep: give at least one --vary KEY=VALUES, or [sweep] vary in the experiment "
			"(see connsim sweep --help)\n");
		return false;
	}
	if (!(S->gr = grid_new(S->varies, S->variants, &err))) {
		fprintf(stderr, "connsim sweep: %s\n", err->message);
		g_error_free(err);
		return false;
	}
	S->npoints = grid_npoints(S->gr);
	return sweep_selection(S);
}

/* grid_csv_values of point p (or its header, for p == UINT_MAX) as a string. */
static char *point_values(const grid *g, unsigned p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	BUG_ON(!fp);
	if (p == UINT_MAX)
		grid_csv_header(g, fp);
	else
		grid_csv_values(g, p, fp);
	BUG_ON(fclose(fp) != 0);
	char *s = g_strdup(buf);
	free(buf);
	return s;
}

/* One configuration and scenario per point, loaded and checked before
 * anything runs, so that a point the scenario rejects is an error before
 * any output; so is a plotted metric no point has.  A world names its
 * metrics when built: point 0's replication 0 is built here, and kept for
 * its run (S->built0), so no world is built twice; further points' worlds
 * are built (and freed) only while some plotted metric is still unknown,
 * which leaves one extra world for a misspelt name (keeping every point's
 * world for its run instead more than doubled lb.ini's peak memory).  A
 * shard or task skips the metric check, which would build every point's
 * world for the one or few it runs (0.4 s of a 0.7 s lb.ini task):
 * --list-tasks, run first, makes it. */
static bool sweep_points(sweep *S, GError **err)
{
	S->pcfg = g_new0(cfg *, S->npoints);
	S->psc = g_new0(scenario *, S->npoints);
	for (unsigned p = 0; p < S->npoints; p++) {
		if (!(S->pcfg[p] = exp_load(S->exp, &S->o, err)) || !exp_profile(S->pcfg[p], &S->o, err) ||
		    !grid_apply(S->gr, p, S->pcfg[p], err))
			return false;
	}
	if (!exp_seed(S->pcfg[0], S->o.seed, &S->seed, err))
		return false;
	S->point_values = g_new0(char *, S->npoints + 1);
	for (unsigned p = 0; p < S->npoints; p++)
		S->point_values[p] = point_values(S->gr, p);
	GHashTable *known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bool ok = true, check = !S->sharded || S->list_tasks, all_known = false;
	for (unsigned p = 0; p < S->npoints && ok; p++) {
		replica *r = NULL;
		ok = (S->psc[p] = scn_new(S->pcfg[p], err)) &&
		     (!check || all_known || (r = replica_new(S->psc[p], S->seed, 0, err)));
		if (!ok || !r)
			continue;
		GArray *m = replica_metrics(r);
		for (guint k = 0; k < m->len; k++)
			g_hash_table_add(known, g_strdup(g_array_index(m, metric, k).name));
		replica_metrics_free(m);
		all_known = plot_metrics_known(S->pcfg[0], known, NULL);
		if (p == 0 && !S->list_tasks)
			S->built0 = r;  /* task 0 is (point 0, replication 0, S->seed) */
		else
			replica_free(r);
	}
	ok = ok && (!check || plot_metrics_known(S->pcfg[0], known, err));
	g_hash_table_destroy(known);
	return ok;
}

/* A task's file, written on its worker thread as soon as its replication
 * ends, so that a killed shard keeps what it finished. */
static char *write_task_file(const replica_task *t, void *ctx)
{
	const sweep *S = ctx;
	size_t i = (size_t)(t - S->tasks);
	GError *err = NULL;
	if (shard_write(&S->sw, (unsigned)i, S->point_values[i / S->R], t->metrics, S->paths[i], &err))
		return NULL;
	char *msg = g_strdup(err->message);
	g_error_free(err);
	return msg;
}

/* The tasks this process runs: every one, or shard k of n's (i % n == k)
 * whose task file is not there yet.  Round robin, not blocks, so that each
 * shard gets its share of the costly points (high rates, late in a vary). */
static bool sweep_select(sweep *S, unsigned *nrun, unsigned *nskip, GError **err)
{
	size_t n = (size_t)S->npoints * S->R;
	*nrun = *nskip = 0;
	for (size_t i = 0; i < n; i++) {
		replica_task *t = &S->tasks[i];
		if (S->sharded && i % S->shard_n != S->shard_k) {
			t->sc = NULL;
			continue;
		}
		if (S->sharded) {
			char *path = S->paths[i] = shard_task_path(S->outdir, (unsigned)i);
			if (g_file_test(path, G_FILE_TEST_EXISTS)) {
				shard_task old;
				if (!shard_read(path, &old, err))
					return false;
				char *why = shard_mismatch(&old.sw, &S->sw);
				shard_task_clear(&old);
				if (why) {
					g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
						    "%s: a task of another sweep (%s); choose another --out or remove %s/tasks",
						    path, why, S->outdir);
					g_free(why);
					return false;
				}
				g_clear_pointer(&S->paths[i], g_free);
				t->sc = NULL;  /* complete: a rerun skips it */
				(*nskip)++;
				continue;
			}
		}
		(*nrun)++;
	}
	return true;
}

/* The selected (point, replication)s on the pool; false (with the message)
 * when one failed.  *write_failed: a task file could not be written. */
static bool sweep_run(sweep *S, bool *write_failed, GError **err)
{
	size_t n = (size_t)S->npoints * S->R;
	S->tasks = g_new0(replica_task, n);
	S->paths = g_new0(char *, n);
	for (unsigned p = 0; p < S->npoints; p++)
		for (unsigned r = 0; r < S->R; r++)
			S->tasks[(size_t)p * S->R + r] = (replica_task){
				.sc = S->psc[p], .seed = S->seed, .rep = r,
				.done = S->sharded ? write_task_file : NULL, .done_ctx = S,
			};
	S->tasks[0].built = S->built0;
	S->built0 = NULL;
	unsigned nrun, nskip;
	*write_failed = false;
	if (!sweep_select(S, &nrun, &nskip, err))
		return false;
	if (S->sharded && !S->o.quiet && nskip)
		fprintf(stderr, "connsim: %u of this share's tasks are complete already: skipped\n", nskip);
	if (replica_run_tasks(S->tasks, n, (unsigned)S->jobs, !S->o.quiet && isatty(2), err))
		return true;
	*write_failed = g_error_matches(*err, G_FILE_ERROR, G_FILE_ERROR_FAILED);
	return false;
}

/* curve.csv's comment block after its provenance lines: the same in a
 * sweep's curve, in every task file and in a merge's curve. */
static char *curve_header(const sweep *S)
{
	const cfg *c = S->pcfg[0];
	GString *h = g_string_new(NULL);
	g_string_append_printf(h, "experiment: %s\nseed: %" PRIu64 ", replications per point: %u (0..%u)\n",
			       S->exp, S->seed, S->R, S->R - 1);
	grid_describe(S->gr, h);
	const char *question = cfg_str(c, "experiment", "question");
	if (*question)
		g_string_append_printf(h, "question: %s\n", question);
	g_string_append_printf(h, "plot: %s\ncapacity: %g\n", cfg_str(c, "sweep", "plot"),
			       cfg_double(c, "sweep", "capacity"));
	static const char *const labels[] = { "plot_y2", "x", "x_label", "y_label", "y2_label" };
	for (unsigned i = 0; i < G_N_ELEMENTS(labels); i++)
		if (*cfg_str(c, "sweep", labels[i]))
			g_string_append_printf(h, "%s: %s\n", labels[i], cfg_str(c, "sweep", labels[i]));
	g_string_append_printf(h, "x_log: %d\ny_log: %d\n", cfg_bool(c, "sweep", "x_log"),
			       cfg_bool(c, "sweep", "y_log"));
	g_string_append(h, "values given (first point; the varied keys differ per row):\n");
	cfg_dump(c, h, "  ");
	g_string_append(h, "columns: the variant (when there are variants), the varied keys, reps, then\n"
			   "METRIC.mean and METRIC.ci95 (half-width of the 95 % confidence interval, Student t with\n"
			   "reps - 1 degrees of freedom) for every summary metric; see README.md, \"Output columns\"\n");
	return g_string_free(h, FALSE);
}

/* What every task file repeats; the digest covers the curve's header
 * (experiment, seed, reps, grid, first point's settings) and every point's
 * values and settings as resolved (file, --set, --sysctl, --profile, the
 * grid), so that tasks of two sweeps that differ anywhere never merge. */
static void sweep_identity(sweep *S)
{
	shard_sweep *sw = &S->sw;
	sw->experiment = g_strdup(S->exp);
	sw->seed = S->seed;
	sw->npoints = S->npoints;
	sw->R = S->R;
	GString *g = g_string_new(NULL);
	grid_describe(S->gr, g);
	sw->grid = g_string_free(g, FALSE);
	sw->columns = point_values(S->gr, UINT_MAX);
	sw->header = curve_header(S);
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	GString *all = g_string_new(sw->header);
	for (unsigned p = 0; p < S->npoints; p++) {
		g_string_append_printf(all, "point %u: %s\n", p, S->point_values[p]);
		cfg_dump(S->pcfg[p], all, "  ");
	}
	g_checksum_update(ck, (const guchar *)all->str, (gssize)all->len);
	sw->digest = g_strconcat("sha256:", g_checksum_get_string(ck), NULL);
	g_checksum_free(ck);
	g_string_free(all, TRUE);
}

static void sweep_write_curve(const sweep *S, FILE *fp)
{
	GString *h = g_string_new(NULL);
	exp_provenance(h, "sweep");
	g_string_append(h, S->sw.header);
	size_t n = (size_t)S->npoints * S->R;
	GArray **m = g_new(GArray *, n);
	for (size_t t = 0; t < n; t++)
		m[t] = S->tasks[t].metrics;
	curve_in in = { h->str, S->sw.columns, S->point_values, S->npoints, S->R, m };
	curve_write(&in, fp);
	g_free(m);
	g_string_free(h, TRUE);
}

static void sweep_clear(sweep *S)
{
	replica_tasks_clear(S->tasks, (size_t)S->npoints * S->R);
	replica_free(S->built0);
	for (size_t t = 0; S->paths && t < (size_t)S->npoints * S->R; t++)
		g_free(S->paths[t]);
	g_free(S->paths);
	g_free(S->tasks);
	for (unsigned p = 0; S->pcfg && p < S->npoints; p++) {
		scn_free(S->psc[p]);
		cfg_free(S->pcfg[p]);
	}
	g_free(S->psc);
	g_free(S->pcfg);
	g_strfreev(S->point_values);
	shard_sweep_clear(&S->sw);
	grid_free(S->gr);
	g_strfreev(S->variants);
	g_strfreev(S->varies);
	g_free(S->shard);
	g_free(S->task_opt);
	g_free(S->outdir);
	exp_opts_clear(&S->o);
}

int cmd_sweep(int argc, char **argv)
{
	sweep S = { .o = { 0 } };
	GOptionContext *ctx = sweep_options(&S);
	GError *err = NULL;
	int rc = EXIT_USAGE;
	out_file *fo = NULL;
	char *path = NULL;
	if (!(S.exp = exp_parse_args(ctx, &argc, &argv)))
		goto done;
	if (!sweep_settings(&S))
		goto done;
	/* refused with the estimate before points x reps results are allocated */
	if (!exp_sweep_budget(&S.o, S.npoints, S.R, sizeof(replica_task) + sizeof(char *), (unsigned)S.jobs, &err) || !sweep_points(&S, &err))
		goto fail;
	if (S.list_tasks) {
		printf("%" PRIu64 "\n", (uint64_t)S.npoints * S.R);
		rc = EXIT_OK;
		goto done;
	}
	sweep_identity(&S);
	S.outdir = exp_out_dir(S.exp, S.o.out);
	rc = EXIT_RUNTIME;
	if (S.sharded) {
		path = g_build_filename(S.outdir, "tasks", NULL);
		if (!out_mkdir(path, &err))
			goto fail;
	} else {
		path = g_build_filename(S.outdir, "curve.csv", NULL);
		if (!out_mkdir(S.outdir, &err) || !(fo = out_open(path, &err)))
			goto fail;
	}
	bool write_failed;
	if (!sweep_run(&S, &write_failed, &err)) {
		rc = write_failed ? EXIT_RUNTIME : EXIT_USAGE;
		goto fail;
	}
	if (S.sharded) {
		if (!S.o.quiet)
			fprintf(stderr, "connsim: %s: %s %s of %u points x %u replications: task files in %s\n", S.exp,
				S.task_opt ? "task" : "shard", S.task_opt ? S.task_opt : S.shard, S.npoints, S.R, path);
		rc = EXIT_OK;
		goto done;
	}
	sweep_write_curve(&S, out_stream(fo));
	out_file *f = fo;
	fo = NULL;
	if (!out_commit(f, &err))
		goto fail;
	if (!S.o.quiet)
		fprintf(stderr, "connsim: %s: %u points x %u replications; wrote %s\n", S.exp, S.npoints, S.R, path);
	rc = EXIT_OK;
	goto done;
fail:
	fprintf(stderr, "connsim: %s\n", err->message);
done:
	out_abort(fo);
	sweep_clear(&S);
	g_clear_error(&err);
	g_free(path);
	g_option_context_free(ctx);
	return rc;
}
