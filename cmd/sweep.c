/*
 * connsim sweep: a curve.  For every point of the --vary grid, R
 * replications (seeds from the master seed and the replication number, so
 * replication r of every point shares its random streams: common random
 * numbers), then one CSV row per point with, for every summary metric, its
 * mean and the half-width of its 95 % confidence interval (Student t).
 * Replications run on a thread pool (--jobs); the output does not depend on
 * the number of jobs.
 */
#include <glib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exp.h"
#include "cmd/grid.h"
#include "cmd/replica.h"
#include "models/scenario.h"
#include "sim/out.h"

typedef struct task {
	const scenario *sc;
	uint64_t seed;
	uint32_t rep;
	GArray *metrics;  /* result */
	char *error;
} task;

typedef struct progress {
	GMutex lock;
	unsigned done, total;
	double t0;
	bool show;
} progress;

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
	task *tasks;       /* npoints x R, point-major */
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

static double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void run_task(gpointer data, gpointer user)
{
	task *t = data;
	progress *pg = user;
	GError *err = NULL;
	replica *r = replica_new(t->sc, t->seed, t->rep, &err);
	if (!r) {
		t->error = g_strdup(err->message);
		g_error_free(err);
	} else {
		replica_start(r);
		ev_run(replica_loop(r), replica_duration(r));
		t->metrics = replica_metrics(r);
		replica_free(r);
	}
	g_mutex_lock(&pg->lock);
	pg->done++;
	if (pg->show) {
		double el = wall() - pg->t0, left = el / pg->done * (pg->total - pg->done);
		fprintf(stderr, "\r[%-25.*s] %u/%u replications  %.1f s elapsed  %.1f s left ",
			(int)(25 * pg->done / pg->total), "#########################", pg->done, pg->total, el, left);
	}
	g_mutex_unlock(&pg->lock);
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
		"\nExit status: 0 success, 1 output could not be written, 2 usage or input error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	exp_opts_add(ctx, &S->o, "Override a setting for every point: section.key=value, or a sysctl name=value");
	return ctx;
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
	return true;
}

/* One configuration and scenario per point, loaded and checked before
 * anything runs, so that a point the scenario rejects is an error before
 * any output; so is a plotted metric no point has (a world names its
 * metrics when built). */
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
	GHashTable *known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	bool ok = true;
	for (unsigned p = 0; p < S->npoints && ok; p++) {
		replica *r = NULL;
		ok = (S->psc[p] = scn_new(S->pcfg[p], err)) && (r = replica_new(S->psc[p], S->seed, 0, err));
		if (!ok)
			break;
		GArray *m = replica_metrics(r);
		for (guint k = 0; k < m->len; k++)
			g_hash_table_add(known, g_strdup(g_array_index(m, metric, k).name));
		replica_metrics_free(m);
		replica_free(r);
	}
	ok = ok && plot_metrics_known(S->pcfg[0], known, err);
	g_hash_table_destroy(known);
	return ok;
}

/* Every (point, replication) on the pool; false (with the message) when
 * one failed. */
static bool sweep_run(sweep *S, GError **err)
{
	size_t n = (size_t)S->npoints * S->R;
	S->tasks = g_new0(task, n);
	for (unsigned p = 0; p < S->npoints; p++)
		for (unsigned r = 0; r < S->R; r++)
			S->tasks[(size_t)p * S->R + r] = (task){ S->psc[p], S->seed, r, NULL, NULL };
	progress pg = { .total = (unsigned)n, .t0 = wall(), .show = !S->o.quiet && isatty(2) };
	g_mutex_init(&pg.lock);
	guint nthreads = S->jobs ? (guint)S->jobs : g_get_num_processors();
	GThreadPool *pool = g_thread_pool_new(run_task, &pg, (gint)nthreads, TRUE, NULL);
	for (size_t t = 0; t < n; t++)
		g_thread_pool_push(pool, &S->tasks[t], NULL);
	g_thread_pool_free(pool, FALSE, TRUE);
	if (pg.show)
		fputc('\n', stderr);
	g_mutex_clear(&pg.lock);
	for (size_t t = 0; t < n; t++)
		if (S->tasks[t].error) {
			g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s", S->tasks[t].error);
			return false;
		}
	return true;
}

static void curve_header(const sweep *S, FILE *fp)
{
	const cfg *c = S->pcfg[0];
	GString *h = g_string_new(NULL);
	exp_provenance(h, "sweep");
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
	out_comment_block(fp, h->str);
	g_string_free(h, TRUE);
}

/* One row: the point's columns, reps, then each metric's mean and CI. */
static void curve_row(const sweep *S, unsigned p, const GPtrArray *names, GHashTable *idx, FILE *fp)
{
	double tq = gsl_cdf_tdist_Pinv(0.975, (double)(S->R - 1));
	double *x = g_new(double, S->R);
	grid_csv_values(S->gr, p, fp);
	fprintf(fp, ",%u", S->R);
	for (guint k = 0; k < names->len; k++) {
		guint j = GPOINTER_TO_UINT(g_hash_table_lookup(idx, g_ptr_array_index(names, k)));
		if (!j) {
			fputs(",,", fp);  /* this point's world has no such metric */
			continue;
		}
		/* a configuration's replications share their columns */
		for (unsigned r = 0; r < S->R; r++)
			x[r] = g_array_index(S->tasks[(size_t)p * S->R + r].metrics, metric, j - 1).value;
		double mean = gsl_stats_mean(x, 1, S->R), sd = gsl_stats_sd_m(x, 1, S->R, mean);
		fprintf(fp, ",%.6g,%.6g", mean, tq * sd / sqrt((double)S->R));
	}
	fputc('\n', fp);
	g_free(x);
}

/* Columns: every metric any point has, in first-seen order (a variant
 * with a NAT box has metrics a variant without one lacks). */
static void curve_write(const sweep *S, FILE *fp)
{
	curve_header(S, fp);
	GPtrArray *names = g_ptr_array_new();
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable **idx = g_new0(GHashTable *, S->npoints);  /* per point: name -> index + 1 */
	for (unsigned p = 0; p < S->npoints; p++) {
		GArray *m = S->tasks[(size_t)p * S->R].metrics;
		idx[p] = g_hash_table_new(g_str_hash, g_str_equal);
		for (guint k = 0; k < m->len; k++) {
			char *n = g_array_index(m, metric, k).name;
			g_hash_table_insert(idx[p], n, GUINT_TO_POINTER(k + 1));
			if (g_hash_table_add(seen, n))
				g_ptr_array_add(names, n);
		}
	}
	grid_csv_header(S->gr, fp);
	fputs(",reps", fp);
	for (guint k = 0; k < names->len; k++) {
		const char *n = g_ptr_array_index(names, k);
		fprintf(fp, ",%s.mean,%s.ci95", n, n);
	}
	fputc('\n', fp);
	for (unsigned p = 0; p < S->npoints; p++)
		curve_row(S, p, names, idx[p], fp);
	for (unsigned p = 0; p < S->npoints; p++)
		g_hash_table_destroy(idx[p]);
	g_free(idx);
	g_hash_table_destroy(seen);
	g_ptr_array_free(names, TRUE);
}

static void sweep_clear(sweep *S)
{
	for (size_t t = 0; S->tasks && t < (size_t)S->npoints * S->R; t++) {
		if (S->tasks[t].metrics)
			replica_metrics_free(S->tasks[t].metrics);
		g_free(S->tasks[t].error);
	}
	g_free(S->tasks);
	for (unsigned p = 0; S->pcfg && p < S->npoints; p++) {
		scn_free(S->psc[p]);
		cfg_free(S->pcfg[p]);
	}
	g_free(S->psc);
	g_free(S->pcfg);
	grid_free(S->gr);
	g_strfreev(S->variants);
	g_strfreev(S->varies);
	exp_opts_clear(&S->o);
}

int cmd_sweep(int argc, char **argv)
{
	sweep S = { .o = { 0 } };
	GOptionContext *ctx = sweep_options(&S);
	GError *err = NULL;
	int rc = EXIT_USAGE;
	out_file *fo = NULL;
	char *outdir = NULL, *path = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "connsim sweep: %s (see connsim sweep --help)\n", err->message);
		goto done;
	}
	if (argc != 2) {
		fprintf(stderr, "connsim sweep: expected one experiment file, got %d (see connsim sweep --help)\n",
			argc - 1);
		goto done;
	}
	S.exp = argv[1];
	if (!sweep_settings(&S))
		goto done;
	/* refused with the estimate before points x reps results are allocated */
	if (!exp_sweep_budget(&S.o, S.npoints, S.R, sizeof(task), (unsigned)S.jobs, &err) || !sweep_points(&S, &err))
		goto fail;
	outdir = exp_out_dir(S.exp, S.o.out);
	rc = EXIT_RUNTIME;
	path = g_build_filename(outdir, "curve.csv", NULL);
	if (!out_mkdir(outdir, &err) || !(fo = out_open(path, &err)))
		goto fail;
	if (!sweep_run(&S, &err)) {
		rc = EXIT_USAGE;
		goto fail;
	}
	curve_write(&S, out_stream(fo));
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
	g_free(outdir);
	g_free(path);
	g_option_context_free(ctx);
	return rc;
}
