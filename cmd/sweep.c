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
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exp.h"
#include "cmd/replica.h"
#include "sim/out.h"

typedef struct vary {
	char *key;     /* as --set takes it */
	char **values; /* NULL-terminated */
	unsigned n;
} vary;

/* KEY=a,b,c  or  KEY=START:STOP:STEPS[:log] (STEPS values, ends included). */
static bool parse_vary(const char *spec, vary *v, GError **err)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1]) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
			    "--vary '%s': expected KEY=a,b,c or KEY=START:STOP:STEPS[:log]", spec);
		return false;
	}
	v->key = g_strndup(spec, (gsize)(eq - spec));
	const char *rhs = eq + 1;
	if (strchr(rhs, ':')) {
		char **p = g_strsplit(rhs, ":", -1);
		unsigned np = g_strv_length(p);
		char *e1 = NULL, *e2 = NULL, *e3 = NULL;
		double a = np >= 3 ? g_ascii_strtod(p[0], &e1) : 0, b = np >= 3 ? g_ascii_strtod(p[1], &e2) : 0;
		gint64 steps = np >= 3 ? g_ascii_strtoll(p[2], &e3, 10) : 0;
		bool logscale = np == 4 && !strcmp(p[3], "log");
		bool ok = (np == 3 || logscale) && e1 && !*e1 && e2 && !*e2 && e3 && !*e3 && steps >= 2 && steps <= 10000 &&
			  (!logscale || (a > 0 && b > 0));
		if (!ok) {
			g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
				    "--vary '%s': expected START:STOP:STEPS[:log] with numbers, 2 <= STEPS <= 10000%s", spec,
				    logscale ? " and START, STOP > 0" : "");
			g_strfreev(p);
			return false;
		}
		v->n = (unsigned)steps;
		v->values = g_new0(char *, v->n + 1);
		for (unsigned i = 0; i < v->n; i++) {
			double f = (double)i / (double)(v->n - 1);
			double x = logscale ? exp(log(a) + f * (log(b) - log(a))) : a + f * (b - a);
			v->values[i] = g_strdup_printf("%.6g", x);
		}
		g_strfreev(p);
	} else {
		v->values = g_strsplit(rhs, ",", -1);
		v->n = g_strv_length(v->values);
		for (unsigned i = 0; i < v->n; i++)
			if (!*g_strstrip(v->values[i])) {
				g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "--vary '%s': empty value in the list", spec);
				return false;
			}
	}
	return true;
}

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
	char *seed_opt = NULL, *out = NULL, *profile = NULL;
	char **sets = NULL, **sysctls = NULL, **varies = NULL;
	gint reps = 0, jobs = 0;
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
		{ "vary", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &varies,
		  "A setting and its values: KEY=a,b,c or KEY=START:STOP:STEPS[:log] (repeatable: a grid; "
		  "default: [sweep] vary)", "SPEC" },
		{ "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "Replications per point (default: [sweep] reps, 10)", "R" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Threads (default: the number of cores)", "J" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &seed_opt, "Master seed (default: [experiment] seed)", "N" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output directory (default: out/NAME)", "DIR" },
		{ "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a setting for every point", "KEY=VALUE" },
		{ "sysctl", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &sysctls, "A sysctl file, or client:FILE / server:FILE",
		  "FILE" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &profile, "Kernel profile of every host", "NAME" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress on stderr", NULL },
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
		"\nExit status: 0 success, 1 output could not be written, 2 usage or input error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *err = NULL;
	int rc = EXIT_USAGE;
	vary *vs = NULL;
	unsigned nv = 0, npoints = 1, R = 0;
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
	cfg *defaults = exp_load(argv[1], sysctls, sets, &err);
	if (!defaults) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	if (!reps)
		reps = (gint)cfg_int(defaults, "sweep", "reps");
	if (!varies && *cfg_str(defaults, "sweep", "vary")) {
		char **parts = g_strsplit(cfg_str(defaults, "sweep", "vary"), ";", -1);
		GPtrArray *a = g_ptr_array_new();
		for (char **q = parts; *q; q++)
			if (*g_strstrip(*q))
				g_ptr_array_add(a, g_strdup(*q));
		g_ptr_array_add(a, NULL);
		varies = (char **)g_ptr_array_free(a, FALSE);
		g_strfreev(parts);
	}
	cfg_free(defaults);
	if (jobs < 0 || jobs > 1024) {
		fprintf(stderr, "connsim sweep: --jobs %d: expected an integer in [1, 1024]\n", jobs);
		goto done;
	}
	R = (unsigned)reps;
	nv = varies ? g_strv_length(varies) : 0;
	if (!nv) {
		fprintf(stderr, "connsim sweep: give at least one --vary KEY=VALUES, or [sweep] vary in the experiment "
			"(see connsim sweep --help)\n");
		goto done;
	}
	vs = g_new0(vary, nv);
	for (unsigned i = 0; i < nv; i++) {
		if (!parse_vary(varies[i], &vs[i], &err)) {
			fprintf(stderr, "connsim sweep: %s\n", err->message);
			goto done;
		}
		npoints *= vs[i].n;
		if (npoints > 100000) {
			fprintf(stderr, "connsim sweep: the --vary grid has over 100000 points\n");
			goto done;
		}
	}

	/* One configuration per point, loaded and checked before anything runs. */
	const char *exp = argv[1];
	pcfg = g_new0(cfg *, npoints);
	for (unsigned p = 0; p < npoints; p++) {
		pcfg[p] = exp_load(exp, sysctls, sets, &err);
		if (!pcfg[p]) {
			fprintf(stderr, "connsim: %s\n", err->message);
			goto done;
		}
		if (profile && !exp_set_profile(pcfg[p], profile, &err)) {
			fprintf(stderr, "connsim: %s\n", err->message);
			goto done;
		}
		for (unsigned i = 0, q = p; i < nv; q /= vs[i].n, i++) {
			char *arg = g_strdup_printf("%s=%s", vs[i].key, vs[i].values[q % vs[i].n]);
			bool ok = cfg_set_arg(pcfg[p], arg, &err);
			g_free(arg);
			if (!ok) {
				fprintf(stderr, "connsim: --vary %s: %s\n", vs[i].key, err->message);
				goto done;
			}
		}
	}
	guint64 seed;
	if (!exp_seed(pcfg[0], seed_opt, &seed, &err)) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}

	outdir = exp_out_dir(exp, out);
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
	progress pg = { .total = npoints * R, .t0 = wall(), .show = !quiet && isatty(2) };
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
	g_string_append_printf(h, "connsim %s: sweep\ncommand:", CONNSIM_VERSION);
	for (int i = 0; i < argc; i++)
		g_string_append_printf(h, " %s", argv[i]);
	g_string_append_printf(h, "\nexperiment: %s\nseed: %" PRIu64 ", replications per point: %u (0..%u)\n", exp,
			       seed, R, R - 1);
	for (unsigned i = 0; i < nv; i++)
		g_string_append_printf(h, "vary: %s over %u values\n", vs[i].key, vs[i].n);
	const char *question = cfg_str(pcfg[0], "experiment", "question");
	if (*question)
		g_string_append_printf(h, "question: %s\n", question);
	g_string_append_printf(h, "plot: %s\ncapacity: %g\n", cfg_str(pcfg[0], "sweep", "plot"),
			       cfg_double(pcfg[0], "sweep", "capacity"));
	if (*cfg_str(pcfg[0], "sweep", "x_label"))
		g_string_append_printf(h, "x_label: %s\n", cfg_str(pcfg[0], "sweep", "x_label"));
	if (*cfg_str(pcfg[0], "sweep", "y_label"))
		g_string_append_printf(h, "y_label: %s\n", cfg_str(pcfg[0], "sweep", "y_label"));
	g_string_append(h, "values given (first point; the varied keys differ per row):\n");
	cfg_dump(pcfg[0], h, "  ");
	g_string_append(h, "columns: the varied keys, reps, then METRIC.mean and METRIC.ci95 (half-width of the\n"
			   "95 % confidence interval, Student t with reps - 1 degrees of freedom) for every summary\n"
			   "metric; see README.md, \"Output columns\"\n");
	out_comment_block(fp, h->str);
	g_string_free(h, TRUE);
	GArray *m0 = tasks[0].metrics;
	for (unsigned i = 0; i < nv; i++)
		fprintf(fp, "%s%s", i ? "," : "", vs[i].key);
	fputs(",reps", fp);
	for (guint k = 0; k < m0->len; k++) {
		const char *n = g_array_index(m0, metric, k).name;
		fprintf(fp, ",%s.mean,%s.ci95", n, n);
	}
	fputc('\n', fp);
	double tq = gsl_cdf_tdist_Pinv(0.975, (double)(R - 1));
	for (unsigned p = 0; p < npoints; p++) {
		for (unsigned i = 0, q = p; i < nv; q /= vs[i].n, i++)
			fprintf(fp, "%s%s", i ? "," : "", vs[i].values[q % vs[i].n]);
		fprintf(fp, ",%u", R);
		for (guint k = 0; k < m0->len; k++) {
			double sum = 0, sq = 0;
			for (unsigned r = 0; r < R; r++) {
				GArray *m = tasks[(size_t)p * R + r].metrics;
				/* the columns are the same for every replication of a
				 * configuration; points may differ only if the world did */
				double x = k < m->len ? g_array_index(m, metric, k).value : NAN;
				sum += x;
				sq += x * x;
			}
			double mean = sum / R, var = (sq - R * mean * mean) / (R - 1);
			double hw = tq * sqrt(var > 0 ? var : 0) / sqrt((double)R);
			fprintf(fp, ",%.6g,%.6g", mean, hw);
		}
		fputc('\n', fp);
	}
	if (!out_commit(fo, &err)) {
		fo = NULL;
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	fo = NULL;
	if (!quiet)
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
	for (unsigned i = 0; vs && i < nv; i++) {
		g_free(vs[i].key);
		g_strfreev(vs[i].values);
	}
	g_free(vs);
	g_clear_error(&err);
	g_free(outdir);
	g_free(path);
	g_free(out);
	g_free(seed_opt);
	g_free(profile);
	g_strfreev(sets);
	g_strfreev(sysctls);
	g_strfreev(varies);
	g_option_context_free(ctx);
	return rc;
}
