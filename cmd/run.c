/*
 * connsim run: one replication of an experiment.  Writes, in the output
 * directory, timeseries.csv (every probe sampled at --sample) and
 * summary.csv (one row: the run's totals over the measurement window) and,
 * when the path has middleboxes, chains.csv (the conntrack tables' chain
 * lengths at the end), each headed by '#' lines that trace it to the
 * version, seed and configuration.
 */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exp.h"
#include "cmd/replica.h"
#include "models/ct.h"
#include "models/world.h"
#include "sim/ev.h"
#include "sim/out.h"
#include "sim/probe.h"
#include "sim/series.h"

static double secs(ev_time t)
{
	return (double)t / 1e9;
}

static void write_header(FILE *fp, const char *what, int argc, char **argv, const char *exp, uint64_t seed,
			 const cfg *c, const world *W)
{
	GString *h = g_string_new(NULL);
	g_string_append_printf(h, "connsim %s: %s\ncommand:", connsim_version(), what);
	for (int i = 0; i < argc; i++)
		g_string_append_printf(h, " %s", argv[i]);
	g_string_append_printf(h, "\nexperiment: %s\nseed: %" PRIu64 ", replication: 0\n", exp, seed);
	const char *q = cfg_str(c, "experiment", "question");
	if (*q)
		g_string_append_printf(h, "question: %s\n", q);
	g_string_append(h, "values given (section.key = value   (source)):\n");
	cfg_dump(c, h, "  ");
	g_string_append(h, "in force:\n");
	world_describe(W, h, "  ");
	g_string_append(h, "columns: see README.md, \"Output columns\"\n");
	out_comment_block(fp, h->str);
	g_string_free(h, TRUE);
}

/* One header row and one data row: seed, replication, then the metrics. */
static void write_summary(FILE *fp, uint64_t seed, GArray *m)
{
	fputs("seed,replication", fp);
	for (guint i = 0; i < m->len; i++)
		fprintf(fp, ",%s", g_array_index(m, metric, i).name);
	fprintf(fp, "\n%" PRIu64 ",0", seed);
	for (guint i = 0; i < m->len; i++) {
		const metric *x = &g_array_index(m, metric, i);
		fprintf(fp, x->fmt == METRIC_INT ? ",%.0f" : x->fmt == METRIC_F3 ? ",%.3f" : ",%.6g", x->value);
	}
	fputc('\n', fp);
}

/*
 * chains.csv: each box's conntrack chain lengths at the end of the run:
 * length (nodes in a bucket: each entry has two, ORIGINAL and REPLY),
 * buckets of that length, and what a Poisson law with the same mean
 * (nodes / buckets, a uniform hash) expects; the box in the last column.
 * Rows run to the longest chain or past the mean until the expectation is
 * below 0.01 bucket, whichever is further.
 */
static void write_chains(FILE *fp, const world *W)
{
	fputs("length,buckets,poisson_expected,box\n", fp);
	for (unsigned b = 0; b < world_nboxes(W); b++) {
		const box *x = world_box(W, b);
		const ct_table *ct = box_ct(x);
		uint32_t longest;
		double lambda, nb = ct_buckets(ct);
		uint64_t *hist = ct_chain_snapshot(ct, &longest, &lambda);
		for (uint32_t i = 0;; i++) {
			/* an empty table: every bucket at 0 (GSL's pdf is NaN at mu = 0) */
			double e = lambda > 0 ? nb * gsl_ran_poisson_pdf(i, lambda) : i == 0 ? nb : 0;
			if (i > longest && (i > lambda && e < 0.01))
				break;
			fprintf(fp, "%u,%" PRIu64 ",%.6g,%s\n", i, i <= longest ? hist[i] : 0, e, box_name(x));
		}
		g_free(hist);
	}
}

static double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sample_world(void *ctx)
{
	world_sample(ctx);
}

int cmd_run(int argc, char **argv)
{
	exp_opts o = { 0 };
	char *duration = NULL, *sample = NULL, *warmup = NULL;
	GOptionEntry entries[] = {
		{ "duration", 'd', 0, G_OPTION_ARG_STRING, &duration, "Simulated time, e.g. 10m", "T" },
		{ "sample", 0, 0, G_OPTION_ARG_STRING, &sample, "Time-series interval, e.g. 1s", "T" },
		{ "warmup", 0, 0, G_OPTION_ARG_STRING, &warmup, "Summary counts from this time", "T" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("EXPERIMENT.ini - run one experiment");
	g_option_context_set_summary(ctx,
		"Runs the experiment once and writes DIR/timeseries.csv and DIR/summary.csv.\n"
		"Settings come from the experiment file, the sysctl files it names, --sysctl files\n"
		"and --set, each overriding the one before.");
	g_option_context_set_description(ctx,
		"Examples:\n"
		"  connsim run experiments/default.ini\n"
		"  connsim run experiments/default.ini --set net.ipv4.tcp_tw_reuse=1 --out out/reuse\n"
		"  connsim run lb.ini --sysctl client:/etc/sysctl.conf --seed 7 --duration 10m\n"
		"\nExit status: 0 success, 1 output could not be written, 2 usage or input error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	exp_opts_add(ctx, &o, "Override a setting: section.key=value, or a sysctl name=value (repeatable)");
	GError *err = NULL;
	int rc = EXIT_USAGE;
	cfg *c = NULL;
	ev_loop *L = NULL;
	probe_set *ps = NULL;
	world *W = NULL;
	out_file *fts = NULL, *fsum = NULL, *fch = NULL;
	series *ser = NULL;
	replica *rp = NULL;
	char *outdir = NULL, *ts_path = NULL, *sum_path = NULL, *ch_path = NULL;

	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "connsim run: %s (see connsim run --help)\n", err->message);
		goto done;
	}
	if (argc != 2) {
		fprintf(stderr, "connsim run: expected one experiment file, got %d (see connsim run --help)\n", argc - 1);
		goto done;
	}
	const char *exp = argv[1];
	c = exp_load(exp, o.sysctls, o.sets, &err);
	if (!c) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	struct { const char *key, *val, *opt; } cli[] = { { "duration", duration, "--duration" },
						    { "sample", sample, "--sample" },
						    { "warmup", warmup, "--warmup" } };
	for (unsigned i = 0; i < G_N_ELEMENTS(cli); i++) {
		if (cli[i].val && !cfg_set(c, "experiment", cli[i].key, cli[i].val, cli[i].opt, &err)) {
			fprintf(stderr, "connsim: %s\n", err->message);
			goto done;
		}
	}
	guint64 seed;
	if ((o.profile && !exp_set_profile(c, o.profile, "--profile", &err)) || !exp_seed(c, o.seed, &seed, &err)) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	ev_time dur = cfg_time(c, "experiment", "duration"), smp = cfg_time(c, "experiment", "sample");
	rp = replica_new(c, seed, 0, &err);
	if (!rp) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	L = replica_loop(rp);
	ps = replica_probes(rp);
	W = replica_world(rp);

	outdir = exp_out_dir(exp, o.out);
	rc = EXIT_RUNTIME;
	if (!out_mkdir(outdir, &err)) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	ts_path = g_build_filename(outdir, "timeseries.csv", NULL);
	sum_path = g_build_filename(outdir, "summary.csv", NULL);
	ch_path = g_build_filename(outdir, "chains.csv", NULL);
	if (!(fts = out_open(ts_path, &err)) || !(fsum = out_open(sum_path, &err)) ||
	    (world_nboxes(W) && !(fch = out_open(ch_path, &err)))) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}


	write_header(out_stream(fts), "time series", argc, argv, exp, seed, c, W);
	ser = series_start(L, ps, smp, out_stream(fts), sample_world, W);
	replica_start(rp);

	bool progress = !o.quiet && isatty(2);
	double t0 = wall(), last = t0;
	for (unsigned step = 1; step <= 100; step++) {
		ev_run(L, dur / 100 * step + (step == 100 ? dur % 100 : 0));
		double t = wall();
		if (progress && (t - last > 0.25 || step == 100)) {
			double eta = (t - t0) / step * (100 - step);
			fprintf(stderr, "\r[%-25.*s] %3u%%  %.0f s simulated  %.1f s elapsed  %.1f s left ", step / 4,
				"#########################", step, secs(ev_now(L)), t - t0, eta);
			last = t;
		}
	}
	if (progress)
		fputc('\n', stderr);
	series_finish(ser);
	write_header(out_stream(fsum), "summary", argc, argv, exp, seed, c, W);
	GArray *metrics = replica_metrics(rp);
	write_summary(out_stream(fsum), seed, metrics);
	replica_metrics_free(metrics);
	if (fch) {
		write_header(out_stream(fch), "conntrack chain lengths at the end", argc, argv, exp, seed, c, W);
		write_chains(out_stream(fch), W);
	}
	if (!out_commit(fts, &err)) {
		fts = NULL;
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	fts = NULL;
	if (!out_commit(fsum, &err)) {
		fsum = NULL;
		g_unlink(ts_path);
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	fsum = NULL;
	if (fch && !out_commit(fch, &err)) {
		fch = NULL;
		g_unlink(ts_path);
		g_unlink(sum_path);
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	fch = NULL;
	ev_stats st;
	ev_get_stats(L, &st);
	if (!o.quiet)
		fprintf(stderr, "connsim: %s: %.0f s simulated, %" PRIu64 " events in %.2f s wall; wrote %s and %s\n",
			exp, secs(dur), st.run, wall() - t0, ts_path, sum_path);
	rc = EXIT_OK;
done:
	out_abort(fts);
	out_abort(fsum);
	out_abort(fch);
	if (ser)
		series_free(ser);
	replica_free(rp);
	cfg_free(c);
	g_clear_error(&err);
	g_free(outdir);
	g_free(ts_path);
	g_free(sum_path);
	g_free(ch_path);
	exp_opts_clear(&o);
	g_free(duration);
	g_free(sample);
	g_free(warmup);
	g_option_context_free(ctx);
	return rc;
}
