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
#include "sim/out.h"

typedef struct task {
	const cfg *c;
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
	replica *r = replica_new(t->c, t->seed, t->rep, &err);
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

int cmd_sweep(int argc, char **argv)
{
	exp_opts o = { 0 };
	char **varies = NULL, **variants = NULL;
	gint reps = 0, jobs = 0;
	GOptionEntry entries[] = {
		{ "vary", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &varies,
		  "A setting and its values: KEY=a,b,c or KEY=START:STOP:STEPS[:log] (repeatable: a grid; "
		  "default: [sweep] vary)", "SPEC" },
		{ "variant", 'V', 0, G_OPTION_ARG_STRING_ARRAY, &variants,
		  "A curve of its own: LABEL or 'LABEL: KEY=VALUE & KEY=VALUE' (repeatable; default: [sweep] variants)",
		  "SPEC" },
		{ "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "Replications per point (default: [sweep] reps, 10)", "R" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Threads (default: the number of cores)", "J" },
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
	exp_opts_add(ctx, &o, "Override a setting for every point: section.key=value, or a sysctl name=value");
	GError *err = NULL;
	int rc = EXIT_USAGE;
	grid *gr = NULL;
	unsigned npoints = 1, R = 0;
	cfg **pcfg = NULL;
	task *tasks = NULL;
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
	if (reps != 0 && (reps < 2 || reps > 100000)) {
		fprintf(stderr, "connsim sweep: --reps %d: expected an integer in [2, 100000] (a confidence "
			"interval needs two)\n", reps);
		goto done;
	}
	/* Without --vary / --reps, the experiment's [sweep] section says. */
	cfg *defaults = exp_load(argv[1], o.sysctls, o.sets, &err);
	if (!defaults) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	if (!reps)
		reps = (gint)cfg_int(defaults, "sweep", "reps");
	if (!varies && *cfg_str(defaults, "sweep", "vary"))
		varies = grid_split_list(cfg_str(defaults, "sweep", "vary"));
	if (!variants && *cfg_str(defaults, "sweep", "variants"))
		variants = grid_split_list(cfg_str(defaults, "sweep", "variants"));
	cfg_free(defaults);
	if (jobs < 0 || jobs > 1024) {
		fprintf(stderr, "connsim sweep: --jobs %d: expected an integer in [1, 1024]\n", jobs);
		goto done;
	}
	R = (unsigned)reps;
	if (!varies || !*varies) {
		fprintf(stderr, "connsim sweep: give at least one --vary KEY=VALUES, or [sweep] vary in the experiment "
			"(see connsim sweep --help)\n");
		goto done;
	}
	if (!(gr = grid_new(varies, variants, &err))) {
		fprintf(stderr, "connsim sweep: %s\n", err->message);
		goto done;
	}
	npoints = grid_npoints(gr);

	/* One configuration per point, loaded and checked before anything runs. */
	const char *exp = argv[1];
	pcfg = g_new0(cfg *, npoints);
	for (unsigned p = 0; p < npoints; p++) {
		pcfg[p] = exp_load(exp, o.sysctls, o.sets, &err);
		if (!pcfg[p]) {
			fprintf(stderr, "connsim: %s\n", err->message);
			goto done;
		}
		if (o.profile && !exp_set_profile(pcfg[p], o.profile, "--profile", &err)) {
			fprintf(stderr, "connsim: %s\n", err->message);
			goto done;
		}
		if (!grid_apply(gr, p, pcfg[p], &err)) {
			fprintf(stderr, "connsim: %s\n", err->message);
			goto done;
		}
	}
	guint64 seed;
	if (!exp_seed(pcfg[0], o.seed, &seed, &err)) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	/* Settings that only building the world can reject (addresses, a
	 * varied value against the others) are errors before any output; so
	 * is a plotted metric no point has (a world names its metrics when
	 * built). */
	GHashTable *known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (unsigned p = 0; p < npoints; p++) {
		replica *r = replica_new(pcfg[p], seed, 0, &err);
		if (!r) {
			fprintf(stderr, "connsim: %s\n", err->message);
			g_hash_table_destroy(known);
			goto done;
		}
		GArray *m = replica_metrics(r);
		for (guint k = 0; k < m->len; k++)
			g_hash_table_add(known, g_strdup(g_array_index(m, metric, k).name));
		replica_metrics_free(m);
		replica_free(r);
	}
	bool plot_ok = plot_metrics_known(pcfg[0], known, &err);
	g_hash_table_destroy(known);
	if (!plot_ok) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}

	outdir = exp_out_dir(exp, o.out);
	rc = EXIT_RUNTIME;
	if (!out_mkdir(outdir, &err)) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	path = g_build_filename(outdir, "curve.csv", NULL);
	if (!(fo = out_open(path, &err))) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}

	/* Run every (point, replication) on the pool. */
	tasks = g_new0(task, (size_t)npoints * R);
	for (unsigned p = 0; p < npoints; p++)
		for (unsigned r = 0; r < R; r++)
			tasks[(size_t)p * R + r] = (task){ pcfg[p], seed, r, NULL, NULL };
	progress pg = { .total = npoints * R, .t0 = wall(), .show = !o.quiet && isatty(2) };
	g_mutex_init(&pg.lock);
	guint nthreads = jobs ? (guint)jobs : g_get_num_processors();
	GThreadPool *pool = g_thread_pool_new(run_task, &pg, (gint)nthreads, TRUE, NULL);
	for (size_t t = 0; t < (size_t)npoints * R; t++)
		g_thread_pool_push(pool, &tasks[t], NULL);
	g_thread_pool_free(pool, FALSE, TRUE);
	if (pg.show)
		fputc('\n', stderr);
	g_mutex_clear(&pg.lock);
	for (size_t t = 0; t < (size_t)npoints * R; t++)
		if (tasks[t].error) {
			fprintf(stderr, "connsim: %s\n", tasks[t].error);
			rc = EXIT_USAGE;
			goto done;
		}

	/* The curve. */
	FILE *fp = out_stream(fo);
	GString *h = g_string_new(NULL);
	g_string_append_printf(h, "connsim %s: sweep\ncommand:", connsim_version());
	for (int i = 0; i < argc; i++)
		g_string_append_printf(h, " %s", argv[i]);
	g_string_append_printf(h, "\nexperiment: %s\nseed: %" PRIu64 ", replications per point: %u (0..%u)\n", exp,
			       seed, R, R - 1);
	grid_describe(gr, h);
	const char *question = cfg_str(pcfg[0], "experiment", "question");
	if (*question)
		g_string_append_printf(h, "question: %s\n", question);
	g_string_append_printf(h, "plot: %s\ncapacity: %g\n", cfg_str(pcfg[0], "sweep", "plot"),
			       cfg_double(pcfg[0], "sweep", "capacity"));
	static const char *const labels[] = { "plot_y2", "x", "x_label", "y_label", "y2_label" };
	for (unsigned i = 0; i < G_N_ELEMENTS(labels); i++)
		if (*cfg_str(pcfg[0], "sweep", labels[i]))
			g_string_append_printf(h, "%s: %s\n", labels[i], cfg_str(pcfg[0], "sweep", labels[i]));
	g_string_append_printf(h, "x_log: %d\ny_log: %d\n", cfg_bool(pcfg[0], "sweep", "x_log"),
			       cfg_bool(pcfg[0], "sweep", "y_log"));
	g_string_append(h, "values given (first point; the varied keys differ per row):\n");
	cfg_dump(pcfg[0], h, "  ");
	g_string_append(h, "columns: the variant (when there are variants), the varied keys, reps, then\n"
			   "METRIC.mean and METRIC.ci95 (half-width of the 95 % confidence interval, Student t with\n"
			   "reps - 1 degrees of freedom) for every summary metric; see README.md, \"Output columns\"\n");
	out_comment_block(fp, h->str);
	g_string_free(h, TRUE);
	/* Columns: every metric any point has, in first-seen order (a variant
	 * with a NAT box has metrics a variant without one lacks). */
	GPtrArray *names = g_ptr_array_new();
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable **idx = g_new0(GHashTable *, npoints);  /* per point: name -> index + 1 */
	for (unsigned p = 0; p < npoints; p++) {
		GArray *m = tasks[(size_t)p * R].metrics;
		idx[p] = g_hash_table_new(g_str_hash, g_str_equal);
		for (guint k = 0; k < m->len; k++) {
			char *n = g_array_index(m, metric, k).name;
			g_hash_table_insert(idx[p], n, GUINT_TO_POINTER(k + 1));
			if (g_hash_table_add(seen, n))
				g_ptr_array_add(names, n);
		}
	}
	grid_csv_header(gr, fp);
	fputs(",reps", fp);
	for (guint k = 0; k < names->len; k++) {
		const char *n = g_ptr_array_index(names, k);
		fprintf(fp, ",%s.mean,%s.ci95", n, n);
	}
	fputc('\n', fp);
	double tq = gsl_cdf_tdist_Pinv(0.975, (double)(R - 1));
	double *x = g_new(double, R);
	for (unsigned p = 0; p < npoints; p++) {
		grid_csv_values(gr, p, fp);
		fprintf(fp, ",%u", R);
		for (guint k = 0; k < names->len; k++) {
			guint j = GPOINTER_TO_UINT(g_hash_table_lookup(idx[p], g_ptr_array_index(names, k)));
			if (!j) {
				fputs(",,", fp);  /* this point's world has no such metric */
				continue;
			}
			/* a configuration's replications share their columns */
			for (unsigned r = 0; r < R; r++)
				x[r] = g_array_index(tasks[(size_t)p * R + r].metrics, metric, j - 1).value;
			double mean = gsl_stats_mean(x, 1, R), sd = gsl_stats_sd_m(x, 1, R, mean);
			fprintf(fp, ",%.6g,%.6g", mean, tq * sd / sqrt((double)R));
		}
		fputc('\n', fp);
	}
	g_free(x);
	for (unsigned p = 0; p < npoints; p++)
		g_hash_table_destroy(idx[p]);
	g_free(idx);
	g_hash_table_destroy(seen);
	g_ptr_array_free(names, TRUE);
	if (!out_commit(fo, &err)) {
		fo = NULL;
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	fo = NULL;
	if (!o.quiet)
		fprintf(stderr, "connsim: %s: %u points x %u replications; wrote %s\n", exp, npoints, R, path);
	rc = EXIT_OK;
done:
	out_abort(fo);
	if (tasks) {
		for (size_t t = 0; t < (size_t)npoints * R; t++) {
			if (tasks[t].metrics)
				replica_metrics_free(tasks[t].metrics);
			g_free(tasks[t].error);
		}
		g_free(tasks);
	}
	if (pcfg) {
		for (unsigned p = 0; p < npoints; p++)
			cfg_free(pcfg[p]);
		g_free(pcfg);
	}
	grid_free(gr);
	g_strfreev(variants);
	g_clear_error(&err);
	g_free(outdir);
	g_free(path);
	exp_opts_clear(&o);
	g_strfreev(varies);
	g_option_context_free(ctx);
	return rc;
}
