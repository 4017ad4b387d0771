/*
 * connsim compare: the same workload under two settings.  R replications of
 * each side on common random numbers (replication r of both sides runs on
 * the same seed and replication number, so that their random streams agree
 * and the paired difference of a metric measures the settings, not the
 * noise), then, for every summary metric that changed, both means, the
 * difference (after - before) and its 95 % confidence interval from the R
 * paired differences (Student t with R - 1 degrees of freedom).
 *
 * Writes, in the output directory, compare.csv (every metric),
 * replications.csv (every replication's metrics, for checking the
 * intervals), before-timeseries.csv and after-timeseries.csv (replication
 * 0 of each side, as run writes timeseries.csv).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exp.h"
#include "cmd/paired.h"
#include "cmd/replica.h"
#include "models/scenario.h"
#include "models/world.h"
#include "sim/out.h"

/* A side's sysctl files (--before, --after) are read between the shared
 * --sysctl files and --set, as run reads --sysctl files before --set; a
 * side's --X-set and --X-profile come after the shared --set and --profile
 * (same layer, later wins).  Values from this layer are listed with their
 * file and line. */
enum { SIDE_LAYER_SYSCTL = SCN_LAYER_CLI_SYSCTL + 5 };

enum { BEFORE, AFTER, NSIDES };
static const char *const side_names[NSIDES] = { "before", "after" };

/* Output files, in the order they are committed. */
enum { OUT_COMPARE, OUT_REPS, OUT_TS_BEFORE, OUT_TS_AFTER, NOUT };
static const char *const out_names[NOUT] = { "compare.csv", "replications.csv", "before-timeseries.csv",
					     "after-timeseries.csv" };

typedef struct side {
	char **files, **sets;
	char *profile;
	cfg *c;
	scenario *sc;
} side;

typedef struct compare {
	exp_opts o;
	side s[NSIDES];
	char *duration, *sample, *warmup;
	gint reps, jobs;
	const char *exp;
	unsigned R;
	uint64_t seed;
	replica_task *tasks;  /* NSIDES x R, side-major */
	char *paths[NOUT];
	out_file *files[NOUT];
} compare;

/* One metric over both sides. */
typedef struct row {
	const char *name;
	int idx[NSIDES];            /* index in the side's metrics, -1: absent */
	double mean[NSIDES], ci[NSIDES];
	double dmean, lo, hi;
	bool changed, significant;
} row;

static GOptionContext *compare_options(compare *C)
{
	GOptionEntry entries[] = {
		{ "before", 'b', 0, G_OPTION_ARG_FILENAME_ARRAY, &C->s[BEFORE].files,
		  "A sysctl file for the before side: FILE for every host, or client:FILE / server:FILE (repeatable)",
		  "FILE" },
		{ "after", 'a', 0, G_OPTION_ARG_FILENAME_ARRAY, &C->s[AFTER].files,
		  "A sysctl file for the after side, as --before", "FILE" },
		{ "before-set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &C->s[BEFORE].sets,
		  "Override a setting on the before side only, as --set (repeatable)", "KEY=VALUE" },
		{ "after-set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &C->s[AFTER].sets,
		  "Override a setting on the after side only, as --set (repeatable)", "KEY=VALUE" },
		{ "before-profile", 0, 0, G_OPTION_ARG_STRING, &C->s[BEFORE].profile,
		  "Kernel profile of every host on the before side", "NAME" },
		{ "after-profile", 0, 0, G_OPTION_ARG_STRING, &C->s[AFTER].profile,
		  "Kernel profile of every host on the after side", "NAME" },
		{ "reps", 'r', 0, G_OPTION_ARG_INT, &C->reps, "Replications per side (default 10, at least 2)", "R" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &C->jobs, "Threads (default: the number of cores)", "J" },
		{ "duration", 'd', 0, G_OPTION_ARG_STRING, &C->duration, "Simulated time, e.g. 10m", "T" },
		{ "warmup", 0, 0, G_OPTION_ARG_STRING, &C->warmup, "Summary counts from this time", "T" },
		{ "sample", 0, 0, G_OPTION_ARG_STRING, &C->sample, "Time-series interval, e.g. 1s", "T" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("EXPERIMENT.ini - the same workload under two settings");
	g_option_context_set_summary(ctx,
		"Runs the experiment R times with the before settings and R times with the after\n"
		"settings, replication r of both on the same seed (common random numbers), and\n"
		"prints which settings differ, then every summary metric that changed: both means,\n"
		"the difference (after - before) and its 95 % confidence interval from the R paired\n"
		"differences; '*' marks an interval that excludes zero (a significant difference).\n"
		"Writes DIR/compare.csv (every metric), DIR/replications.csv (every replication),\n"
		"DIR/before-timeseries.csv and DIR/after-timeseries.csv (replication 0 of each side;\n"
		"plots/compare.gp overlays them).  Default DIR: out/NAME-compare.\n"
		"\n"
		"Order of the settings, each overriding the one before: the experiment, --sysctl,\n"
		"--before/--after files, --set, --before-set/--after-set, --duration/--sample/--warmup,\n"
		"--profile, --before-profile/--after-profile.");
	g_option_context_set_description(ctx,
		"Examples:\n"
		"  connsim compare experiments/default.ini --after-set net.ipv4.tcp_tw_reuse=1 --duration 120s\n"
		"  connsim compare lb.ini --before-profile 4.4 --after-profile current --reps 20\n"
		"  connsim compare lb.ini --before client:old-sysctl.conf --after client:new-sysctl.conf\n"
		"  gnuplot -e \"outdir='out/default-compare'\" plots/compare.gp\n"
		"\nExit status: 0 success, 1 output could not be written, 2 usage or input error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	exp_opts_add(ctx, &C->o, "Override a setting on both sides: section.key=value, or a sysctl name=value");
	return ctx;
}

/* A side's sysctl files: "FILE" for every host, "client:FILE" or
 * "server:FILE" for one, as --sysctl takes them. */
static bool side_files(cfg *c, char *const *files, const char *opt, GError **err)
{
	GPtrArray *ign = g_ptr_array_new_with_free_func(g_free);
	bool ok = true;
	for (char *const *f = files; ok && f && *f; f++) {
		const char *file = *f;
		char *sec;
		if (g_str_has_prefix(file, "client:") || g_str_has_prefix(file, "server:")) {
			const char *colon = strchr(file, ':');
			char *host = g_strndup(file, (gsize)(colon - file));
			sec = g_strconcat(host, ".sysctl", NULL);
			g_free(host);
			file = colon + 1;
		} else {
			sec = g_strdup("sysctl");
		}
		g_ptr_array_set_size(ign, 0);
		ok = scn_load_sysctl_file(c, file, sec, SIDE_LAYER_SYSCTL, ign, err);
		g_free(sec);
		if (!ok) {
			g_prefix_error(err, "%s: ", opt);
			break;
		}
		if (ign->len) {
			GString *l = g_string_new(NULL);
			for (guint i = 0; i < ign->len; i++)
				g_string_append_printf(l, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(ign, i));
			fprintf(stderr, "connsim: note: %s %s: not modelled, ignored: %s\n", opt, file, l->str);
			g_string_free(l, TRUE);
		}
	}
	g_ptr_array_free(ign, TRUE);
	return ok;
}

/* One side's configuration, every option applied (see the summary for the
 * order). */
static cfg *side_config(const compare *C, int k, GError **err)
{
	const side *sd = &C->s[k];
	cfg *c = exp_load(C->exp, &C->o, err);
	if (!c)
		return NULL;
	char *fopt = g_strdup_printf("--%s", side_names[k]);
	char *sopt = g_strdup_printf("--%s-set", side_names[k]);
	char *popt = g_strdup_printf("--%s-profile", side_names[k]);
	bool ok = side_files(c, sd->files, fopt, err);
	for (char *const *s = sd->sets; ok && s && *s; s++)
		ok = scn_set_arg(c, *s, sopt, err);
	struct { const char *key, *val, *opt; } cli[] = { { "duration", C->duration, "--duration" },
						    { "sample", C->sample, "--sample" },
						    { "warmup", C->warmup, "--warmup" } };
	for (unsigned i = 0; i < G_N_ELEMENTS(cli) && ok; i++)
		ok = !cli[i].val || cfg_set(c, "experiment", cli[i].key, cli[i].val, cli[i].opt, err);
	ok = ok && exp_profile(c, &C->o, err);
	ok = ok && (!sd->profile || scn_set_profile(c, sd->profile, popt, err));
	g_free(fopt);
	g_free(sopt);
	g_free(popt);
	if (ok)
		return c;
	cfg_free(c);
	return NULL;
}

/* Both sides' scenarios and the seed, checked before anything runs or is
 * written. */
static bool compare_load(compare *C, GError **err)
{
	for (int k = 0; k < NSIDES; k++)
		if (!(C->s[k].c = side_config(C, k, err)) || !(C->s[k].sc = scn_new(C->s[k].c, err)))
			return false;
	/* common random numbers: the before side's seed drives both */
	if (!exp_seed(C->s[BEFORE].c, C->o.seed, &C->seed, err))
		return false;
	if (!C->o.seed && cfg_int(C->s[AFTER].c, "experiment", "seed") != cfg_int(C->s[BEFORE].c, "experiment", "seed"))
		fprintf(stderr, "connsim: note: both sides run on the before side's seed %" PRIu64
			" (common random numbers); the after side's [experiment] seed is not used\n", C->seed);
	return true;
}

/* The '#' header of a side's time series, as run writes it; NULL when the
 * world rejects the scenario (before any output is made). */
static GString *series_header(const compare *C, int k, GError **err)
{
	replica *r = replica_new(C->s[k].sc, C->seed, 0, err);  /* a world to describe */
	if (!r)
		return NULL;
	const cfg *c = C->s[k].c;
	GString *h = g_string_new(NULL);
	char *what = g_strdup_printf("time series, %s side of a comparison", side_names[k]);
	exp_provenance(h, what);
	g_free(what);
	g_string_append_printf(h, "experiment: %s\nseed: %" PRIu64 ", replication: 0\n", C->exp, C->seed);
	const char *q = cfg_str(c, "experiment", "question");
	if (*q)
		g_string_append_printf(h, "question: %s\n", q);
	g_string_append(h, "values given (section.key = value   (source)):\n");
	cfg_dump(c, h, "  ");
	g_string_append(h, "in force:\n");
	world_describe(replica_world(r), h, "  ");
	g_string_append(h, "columns: see README.md, \"Output columns\"\n");
	replica_free(r);
	return h;
}

static bool outputs_open(compare *C, const char *dir, GError **err)
{
	if (!out_mkdir(dir, err))
		return false;
	for (int i = 0; i < NOUT; i++) {
		C->paths[i] = g_build_filename(dir, out_names[i], NULL);
		if (!(C->files[i] = out_open(C->paths[i], err)))
			return false;
	}
	return true;
}

/* Commits in order; a failure removes what was committed before it. */
static bool outputs_commit(compare *C, GError **err)
{
	for (int i = 0; i < NOUT; i++) {
		out_file *f = C->files[i];
		C->files[i] = NULL;
		if (!out_commit(f, err)) {
			for (int j = 0; j < i; j++)
				g_unlink(C->paths[j]);
			return false;
		}
	}
	return true;
}

/* Both sides' replications on one pool; replication 0 of each writes its
 * time series. */
static bool compare_run(compare *C, GError **err)
{
	C->tasks = g_new0(replica_task, (size_t)NSIDES * C->R);
	for (int k = 0; k < NSIDES; k++)
		for (unsigned r = 0; r < C->R; r++)
			C->tasks[(size_t)k * C->R + r] = (replica_task){
				.sc = C->s[k].sc, .seed = C->seed, .rep = r,
				.series = r ? NULL : out_stream(C->files[OUT_TS_BEFORE + k]),
			};
	return replica_run_tasks(C->tasks, (size_t)NSIDES * C->R, (unsigned)C->jobs, !C->o.quiet && isatty(2), err);
}

static double value(const compare *C, int k, unsigned r, int idx)
{
	return g_array_index(C->tasks[(size_t)k * C->R + r].metrics, metric, idx).value;
}

/* Index of a metric by name in a side's metrics, -1 when it has none. */
static int find_metric(GArray *m, const char *name)
{
	for (guint i = 0; i < m->len; i++)
		if (!strcmp(g_array_index(m, metric, i).name, name))
			return (int)i;
	return -1;
}

/* Every metric of either side (the before side's order, then the after
 * side's extras, e.g. a box only one side has), with its statistics. */
static GArray *compare_rows(const compare *C)
{
	GArray *rows = g_array_new(FALSE, TRUE, sizeof(row));
	double *x[NSIDES] = { g_new(double, C->R), g_new(double, C->R) };
	for (int k = 0; k < NSIDES; k++) {
		GArray *m = C->tasks[(size_t)k * C->R].metrics;  /* a side's replications share their columns */
		for (guint i = 0; i < m->len; i++) {
			const char *name = g_array_index(m, metric, i).name;
			if (k == AFTER && find_metric(C->tasks[0].metrics, name) >= 0)
				continue;
			row w = { .name = name };
			for (int s = 0; s < NSIDES; s++)
				w.idx[s] = s == k ? (int)i : find_metric(C->tasks[(size_t)s * C->R].metrics, name);
			for (int s = 0; s < NSIDES; s++) {
				if (w.idx[s] < 0)
					continue;
				for (unsigned r = 0; r < C->R; r++)
					x[s][r] = value(C, s, r, w.idx[s]);
				paired_mean_ci(x[s], C->R, &w.mean[s], &w.ci[s]);
			}
			if (w.idx[BEFORE] >= 0 && w.idx[AFTER] >= 0) {
				paired_diff d;
				paired_diff_of(x[BEFORE], x[AFTER], C->R, &d);
				w.changed = d.changed;
				w.dmean = d.mean;
				w.lo = d.lo;
				w.hi = d.hi;
				w.significant = d.significant;
			} else {
				w.changed = true;  /* present on one side only */
			}
			g_array_append_val(rows, w);
		}
	}
	g_free(x[BEFORE]);
	g_free(x[AFTER]);
	return rows;
}

/* "  [section] name: A (source) -> B (source)" for every setting that
 * differs; a note when none does. */
static void settings_diff(const compare *C, GString *out, const char *prefix)
{
	GArray *d = scn_diff(C->s[BEFORE].sc, C->s[AFTER].sc);
	if (!d->len)
		g_string_append_printf(out, "%snote: the two scenarios have the same settings\n", prefix);
	else
		g_string_append_printf(out, "%ssettings that differ (before -> after):\n", prefix);
	for (guint i = 0; i < d->len; i++) {
		const scn_change *ch = &g_array_index(d, scn_change, i);
		g_string_append_printf(out, "%s  [%s] %s: %s (%s) -> %s (%s)\n", prefix, ch->section, ch->name,
				       ch->a_value ? ch->a_value : "absent", ch->a_source ? ch->a_source : "-",
				       ch->b_value ? ch->b_value : "absent", ch->b_source ? ch->b_source : "-");
	}
	g_array_unref(d);
}

static void write_compare(const compare *C, const GArray *rows, FILE *fp)
{
	GString *h = g_string_new(NULL);
	exp_provenance(h, "comparison");
	g_string_append_printf(h, "experiment: %s\nseed: %" PRIu64 ", replications per side: %u (0..%u), "
			       "replication r of both sides on the same seed\n", C->exp, C->seed, C->R, C->R - 1);
	settings_diff(C, h, "");
	g_string_append(h, "columns: metric; SIDE.mean and SIDE.ci95 (half-width of the 95 % confidence interval,\n"
			   "Student t with reps - 1 degrees of freedom) for each side; diff.mean (after - before)\n"
			   "and diff.ci95_lo, diff.ci95_hi (95 % interval of the mean of the paired differences);\n"
			   "significant: 1 when that interval excludes zero.  Empty: the metric is on one side only.\n");
	out_comment_block(fp, h->str);
	g_string_free(h, TRUE);
	fputs("metric,before.mean,before.ci95,after.mean,after.ci95,diff.mean,diff.ci95_lo,diff.ci95_hi,significant\n",
	      fp);
	for (guint i = 0; i < rows->len; i++) {
		const row *w = &g_array_index(rows, row, i);
		fputs(w->name, fp);
		for (int s = 0; s < NSIDES; s++)
			if (w->idx[s] >= 0)
				fprintf(fp, ",%.6g,%.6g", w->mean[s], w->ci[s]);
			else
				fputs(",,", fp);
		if (w->idx[BEFORE] >= 0 && w->idx[AFTER] >= 0)
			fprintf(fp, ",%.6g,%.6g,%.6g,%d\n", w->dmean, w->lo, w->hi, w->significant);
		else
			fputs(",,,,\n", fp);
	}
}

/* Every replication's metrics, one row per side, replication and metric
 * (a long table, whatever metrics each side has), at full precision: what
 * the intervals of compare.csv are computed from. */
static void write_replications(const compare *C, FILE *fp)
{
	GString *h = g_string_new(NULL);
	exp_provenance(h, "replications of a comparison");
	g_string_append_printf(h, "experiment: %s\nseed: %" PRIu64 "\n", C->exp, C->seed);
	g_string_append(h, "columns: side (before, after), replication, metric (run's summary.csv columns), value\n");
	out_comment_block(fp, h->str);
	g_string_free(h, TRUE);
	fputs("side,replication,metric,value\n", fp);
	for (int k = 0; k < NSIDES; k++)
		for (unsigned r = 0; r < C->R; r++) {
			GArray *m = C->tasks[(size_t)k * C->R + r].metrics;
			for (guint i = 0; i < m->len; i++)
				fprintf(fp, "%s,%u,%s,%.17g\n", side_names[k], r, g_array_index(m, metric, i).name,
					g_array_index(m, metric, i).value);
		}
}

/* The table on stdout: changed metrics, significant ones first. */
static void print_table(const compare *C, const GArray *rows)
{
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "%s: seed %" PRIu64 ", %u replications per side on common random numbers\n",
			       C->exp, C->seed, C->R);
	settings_diff(C, s, "");
	int w = (int)strlen("metric");
	unsigned nchanged = 0;
	for (guint i = 0; i < rows->len; i++) {
		const row *x = &g_array_index(rows, row, i);
		if (x->changed && (int)strlen(x->name) > w)
			w = (int)strlen(x->name);
		nchanged += x->changed;
	}
	if (nchanged) {
		g_string_append_printf(s, "\n%-*s %28s %28s %13s  %s\n", w, "metric", "before (mean ± ci95)",
				       "after (mean ± ci95)", "difference", "95 % interval of the difference");
		for (int pass = 0; pass < 3; pass++)  /* significant, not significant, one side only */
			for (guint i = 0; i < rows->len; i++) {
				const row *x = &g_array_index(rows, row, i);
				bool both = x->idx[BEFORE] >= 0 && x->idx[AFTER] >= 0;
				if (!x->changed || pass != (!both ? 2 : x->significant ? 0 : 1))
					continue;
				g_string_append_printf(s, "%-*s", w, x->name);
				for (int k = 0; k < NSIDES; k++) {
					char *v = x->idx[k] >= 0 ? g_strdup_printf("%.6g ± %.3g", x->mean[k], x->ci[k])
								 : g_strdup("(absent)");
					g_string_append_printf(s, " %*s", 27 + 1, v);  /* ± is two bytes */
					g_free(v);
				}
				if (both)
					g_string_append_printf(s, " %+13.6g  [%.6g, %.6g] %s\n", x->dmean, x->lo, x->hi,
							       x->significant ? "*" : "not significant");
				else
					g_string_append(s, "  on one side only\n");
			}
		g_string_append(s, "* the interval excludes zero: a significant difference at the 95 % level\n");
	}
	g_string_append_printf(s, "%s%u metrics unchanged (identical in every replication)\n",
			       nchanged ? "" : "\nno metric changed: ", rows->len - nchanged);
	fputs(s->str, stdout);
	g_string_free(s, TRUE);
}

static void compare_clear(compare *C)
{
	if (C->tasks)
		replica_tasks_clear(C->tasks, (size_t)NSIDES * C->R);
	g_free(C->tasks);
	for (int i = 0; i < NOUT; i++) {
		out_abort(C->files[i]);
		g_free(C->paths[i]);
	}
	for (int k = 0; k < NSIDES; k++) {
		scn_free(C->s[k].sc);
		cfg_free(C->s[k].c);
		g_strfreev(C->s[k].files);
		g_strfreev(C->s[k].sets);
		g_free(C->s[k].profile);
	}
	g_free(C->duration);
	g_free(C->sample);
	g_free(C->warmup);
	exp_opts_clear(&C->o);
}

/* out/NAME-compare for experiments/NAME.ini, unless --out. */
static char *compare_out_dir(const compare *C)
{
	if (C->o.out)
		return g_strdup(C->o.out);
	char *base = exp_out_dir(C->exp, NULL), *dir = g_strconcat(base, "-compare", NULL);
	g_free(base);
	return dir;
}

int cmd_compare(int argc, char **argv)
{
	compare C;
	memset(&C, 0, sizeof C);
	GOptionContext *ctx = compare_options(&C);
	GError *err = NULL;
	int rc = EXIT_USAGE;
	char *outdir = NULL;
	GArray *rows = NULL;
	GString *headers[NSIDES] = { NULL, NULL };
	if (!(C.exp = exp_parse_args(ctx, &argc, &argv)))
		goto done;
	if (!C.reps)
		C.reps = 10;
	if (C.reps < 2 || C.reps > 100000) {
		fprintf(stderr, "connsim compare: --reps %d: expected an integer in [2, 100000] (a confidence "
			"interval needs two)\n", C.reps);
		goto done;
	}
	if (C.jobs < 0 || C.jobs > 1024) {
		fprintf(stderr, "connsim compare: --jobs %d: expected an integer in [1, 1024]\n", C.jobs);
		goto done;
	}
	C.R = (unsigned)C.reps;
	if (!compare_load(&C, &err))
		goto fail;
	for (int k = 0; k < NSIDES; k++)
		if (!(headers[k] = series_header(&C, k, &err)))
			goto fail;
	outdir = compare_out_dir(&C);
	rc = EXIT_RUNTIME;
	if (!outputs_open(&C, outdir, &err))
		goto fail;
	for (int k = 0; k < NSIDES; k++)
		out_comment_block(out_stream(C.files[OUT_TS_BEFORE + k]), headers[k]->str);
	rc = EXIT_USAGE;
	if (!compare_run(&C, &err))
		goto fail;
	rc = EXIT_RUNTIME;
	rows = compare_rows(&C);
	write_compare(&C, rows, out_stream(C.files[OUT_COMPARE]));
	write_replications(&C, out_stream(C.files[OUT_REPS]));
	if (!outputs_commit(&C, &err))
		goto fail;
	print_table(&C, rows);
	if (!C.o.quiet)
		fprintf(stderr, "connsim: %s: 2 sides x %u replications; wrote %s\n", C.exp, C.R, outdir);
	rc = EXIT_OK;
	goto done;
fail:
	fprintf(stderr, "connsim: %s\n", err->message);
done:
	if (rows)
		g_array_free(rows, TRUE);
	for (int k = 0; k < NSIDES; k++)
		if (headers[k])
			g_string_free(headers[k], TRUE);
	compare_clear(&C);
	g_clear_error(&err);
	g_free(outdir);
	g_option_context_free(ctx);
	return rc;
}
