/*
 * connsim run: one replication of an experiment.  Writes, in the output
 * directory, timeseries.csv (every probe sampled at --sample) and
 * summary.csv (one row: the run's totals over the measurement window) and,
 * when the path has middleboxes, chains.csv (the conntrack tables' chain
 * lengths at the end), each headed by '#' lines that trace it to the
 * version, seed and configuration.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/capture.h"
#include "cmd/connlog.h"
#include "cmd/exp.h"
#include "cmd/replica.h"
#include "cmd/verdict.h"
#include "models/lore.h"
#include "models/prof.h"
#include "models/meter.h"
#include "models/scenario.h"
#include "models/world.h"
#include "sim/ev.h"
#include "sim/out.h"
#include "sim/probe.h"
#include "sim/series.h"

static double secs(ev_time t)
{
	return (double)t / 1e9;
}

static void write_header(FILE *fp, const char *what, const char *exp, uint64_t seed, const cfg *c, const world *W)
{
	GString *h = g_string_new(NULL);
	exp_provenance(h, what);
	g_string_append_printf(h, "experiment: %s\nseed: %" PRIu64 ", replication: 0\n", exp, seed);
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
		meter_chains c;
		meter_chains_get(W, b, &c);
		for (uint32_t i = 0;; i++) {
			double e = meter_chains_expected(&c, i);
			if (i > c.longest && (i > c.load && e < 0.01))
				break;
			fprintf(fp, "%u,%" PRIu64 ",%.6g,%s\n", i, i <= c.longest ? c.hist[i] : 0, e, c.box);
		}
		meter_chains_clear(&c);
	}
}

static double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* At every sample: the tables' levels, and which limits have run out. */
typedef struct sampler {
	world *W;
	verdict_watch *vw;
	ev_loop *L;
} sampler;

static void sample_world(void *ctx)
{
	sampler *s = ctx;
	world_sample(s->W);
	verdict_watch_sample(s->vw, ev_now(s->L));
}

/*
 * --counters nstat: each role's TCP counters as `nstat -az` prints them
 * (iproute2 misc/nstat.c: "%-32s%-16llu%6.1f"): the nstat name, the value
 * over the run, and a rate column, here the count in the window per second
 * of the window.  A block per role, summed over its hosts, under "#kernel".
 */
static void print_nstat(GString *o, probe_set *ps, GArray *m)
{
	static const char *const roles[] = { "client", "server" };
	double span = 0;
	for (guint i = 0; i < m->len; i++) {
		const metric *x = &g_array_index(m, metric, i);
		if (!strcmp(x->name, "duration_s"))
			span += x->value;
		else if (!strcmp(x->name, "warmup_s"))
			span -= x->value;
	}
	for (unsigned r = 0; r < 2; r++) {
		g_string_append_printf(o, "# connsim: %s hosts\n#kernel\n", roles[r]);
		size_t plen = strlen(roles[r]);
		for (size_t i = 0; i < probe_ncounters(ps); i++) {
			const char *n = probe_counter_name(ps, i);
			if (strncmp(n, roles[r], plen) || n[plen] != '.')
				continue;
			const lore *l = lore_find(n + plen + 1);
			if (!l || l->kind != LORE_COUNTER || !l->nstat)
				continue;
			double win = 0;
			for (guint k = 0; k < m->len; k++)
				if (!strcmp(g_array_index(m, metric, k).name, n))
					win = g_array_index(m, metric, k).value;
			g_string_append_printf(o, "%-32s%-16" PRIu64 "%6.1f\n", l->nstat, probe_counter_value(ps, i),
					       span > 0 ? win / span : 0.0);
		}
	}
}

/*
 * --counters conntrack: each box's counters as `conntrack -S` prints its
 * per-CPU line (conntrack-tools: "cpu=%-4u\t", then "name=value " for each
 * attribute the kernel sends), one line per box as if it had one CPU, with
 * the fields of the box's profile (ctnetlink_ct_stat_cpu_fill_info: the
 * unused searched/new/delete/delete_list went after 4.x, ignore in 5.10
 * when clash_resolve came, chaintoolong from 5.15).  Fields connsim does
 * not model (error, search_restart, clash_resolve, ...) print 0.
 */
static void print_conntrack(GString *o, const scenario *sc, probe_set *ps)
{
	static const char *const legacy[] = { "searched", "found", "new", "invalid", "ignore", "delete", "delete_list",
					      "insert", "insert_failed", "drop", "early_drop", "error",
					      "search_restart", NULL };
	static const char *const v5[] = { "found", "invalid", "ignore", "insert", "insert_failed", "drop",
					  "early_drop", "error", "search_restart", NULL };
	static const char *const v510[] = { "found", "invalid", "insert", "insert_failed", "drop", "early_drop",
					    "error", "search_restart", "clash_resolve", NULL };
	static const char *const v515[] = { "found", "invalid", "insert", "insert_failed", "drop", "early_drop",
					    "error", "search_restart", "clash_resolve", "chaintoolong", NULL };
	for (unsigned b = 0; b < sc->nboxes; b++) {
		const scn_box *x = &sc->boxes[b];
		unsigned ver = x->k.prof->version;
		const char *const *f = ver < 500 ? legacy : ver < 510 ? v5 : ver < 515 ? v510 : v515;
		g_string_append_printf(o, "# connsim: box %s, profile %s\n", x->name, x->k.prof->name);
		g_string_append_printf(o, "cpu=%-4u\t", 0u);
		for (; *f; f++) {
			char *name = g_strdup_printf("%s.ct.%s", x->name, *f);
			uint64_t v = 0;
			for (size_t i = 0; i < probe_ncounters(ps); i++)
				if (!strcmp(probe_counter_name(ps, i), name))
					v = probe_counter_value(ps, i);
			g_free(name);
			g_string_append_printf(o, "%s=%" PRIu64 " ", *f, v);
		}
		g_string_append_c(o, '\n');
	}
}

/* The run's command-line options beyond exp_opts. */
typedef struct run_opts {
	exp_opts o;
	char *duration, *sample, *warmup, *counters;
	char *connections;  /* --connections FILE (connlog.h) */
	char *pcap;         /* --pcap FILE (capture.h) */
	gint64 pcap_limit;  /* --pcap-limit N: the first N connections; 0 all */
	gboolean dry_run, json;
} run_opts;

static void run_opts_clear(run_opts *ro)
{
	exp_opts_clear(&ro->o);
	g_free(ro->duration);
	g_free(ro->sample);
	g_free(ro->warmup);
	g_free(ro->connections);
	g_free(ro->pcap);
	g_free(ro->counters);
}

static GOptionContext *run_options(run_opts *ro)
{
	GOptionEntry entries[] = {
		{ "duration", 'd', 0, G_OPTION_ARG_STRING, &ro->duration, "Simulated time, e.g. 10m", "T" },
		{ "sample", 0, 0, G_OPTION_ARG_STRING, &ro->sample, "Time-series interval, e.g. 1s", "T" },
		{ "warmup", 0, 0, G_OPTION_ARG_STRING, &ro->warmup, "Summary counts from this time", "T" },
		{ "connections", 0, 0, G_OPTION_ARG_FILENAME, &ro->connections,
		  "Also write FILE: one CSV row per connect() call (ports, times, outcome), streamed", "FILE" },
		{ "pcap", 0, 0, G_OPTION_ARG_FILENAME, &ro->pcap,
		  "Also write FILE: every segment as an IPv4/TCP packet (pcap, for tshark/Wireshark), streamed", "FILE" },
		{ "pcap-limit", 0, 0, G_OPTION_ARG_INT64, &ro->pcap_limit,
		  "With --pcap: only the packets of the first N connections (default: all)", "N" },
		{ "dry-run", 'n', 0, G_OPTION_ARG_NONE, &ro->dry_run,
		  "Print every resolved setting and where it came from; run nothing, write nothing", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &ro->json,
		  "Print the verdict as JSON (the content of summary.json) instead of text", NULL },
		{ "counters", 0, 0, G_OPTION_ARG_STRING, &ro->counters,
		  "Also print the run's counters as 'nstat -az' (nstat) or 'conntrack -S' (conntrack) would", "FORMAT" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("EXPERIMENT.ini - run one experiment");
	g_option_context_set_summary(ctx,
		"Runs the experiment once and writes DIR/timeseries.csv, DIR/summary.csv and\n"
		"DIR/summary.json, then prints a verdict on stdout: for each limited resource\n"
		"(ephemeral ports, TIME_WAIT buckets, conntrack entries, NAT tuples) its peak\n"
		"against its limit, when it ran out, the connects that failed, the analytic\n"
		"ceiling, and which limit binds first.  --quiet prints no verdict.\n"
		"Settings come from the experiment file, the sysctl files it names, --sysctl files\n"
		"and --set, each overriding the one before.");
	g_option_context_set_description(ctx,
		"Examples:\n"
		"  connsim run experiments/default.ini\n"
		"  connsim run experiments/default.ini --set net.ipv4.tcp_tw_reuse=1 --out out/reuse\n"
		"  connsim run lb.ini --sysctl client:/etc/sysctl.conf --seed 7 --duration 10m\n"
		"  connsim run lb.ini --profile 4.4 --dry-run\n"
		"  connsim run experiments/memcache.ini --json | python3 -m json.tool\n"
		"  connsim run experiments/memcache.ini --counters conntrack\n"
		"  connsim run experiments/default.ini --pcap run.pcap --pcap-limit 100\n"
		"\n--pcap writes a packet per segment per wire (a NATed packet twice: before and\n"
		"after the rewrite), stamped with simulated time; a long run has millions:\n"
		"--pcap-limit N keeps the first N connections' packets only.\n"
		"\nExit status: 0 success, 1 output could not be written, 2 usage or input error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	exp_opts_add(ctx, &ro->o, "Override a setting: section.key=value, or a sysctl name=value (repeatable)");
	return ctx;
}

/* The configuration with every option applied, in the order of the
 * "values given" dump: file and --set, --duration/--sample/--warmup,
 * --profile. */
static cfg *run_config(const char *exp, const run_opts *ro, GError **err)
{
	cfg *c = exp_load(exp, &ro->o, err);
	if (!c)
		return NULL;
	struct { const char *key, *val, *opt; } cli[] = { { "duration", ro->duration, "--duration" },
						    { "sample", ro->sample, "--sample" },
						    { "warmup", ro->warmup, "--warmup" } };
	bool ok = true;
	for (unsigned i = 0; i < G_N_ELEMENTS(cli) && ok; i++)
		ok = !cli[i].val || cfg_set(c, "experiment", cli[i].key, cli[i].val, cli[i].opt, err);
	if (ok && exp_profile(c, &ro->o, err))
		return c;
	cfg_free(c);
	return NULL;
}

/* The output files of a run, written in place only when all are complete. */
typedef struct run_out {
	char *paths[4];     /* timeseries, summary, chains, summary.json */
	out_file *files[4];
} run_out;

static bool outputs_open(run_out *ro, const char *dir, bool chains, GError **err)
{
	static const char *const names[] = { "timeseries.csv", "summary.csv", "chains.csv", "summary.json" };
	if (!out_mkdir(dir, err))
		return false;
	for (unsigned i = 0; i < 4; i++) {
		ro->paths[i] = g_build_filename(dir, names[i], NULL);
		if ((i != 2 || chains) && !(ro->files[i] = out_open(ro->paths[i], err)))
			return false;
	}
	return true;
}

/* Commits in order; a failure removes what was committed before it. */
static bool outputs_commit(run_out *ro, GError **err)
{
	for (unsigned i = 0; i < 4; i++) {
		out_file *f = ro->files[i];
		ro->files[i] = NULL;
		if (f && !out_commit(f, err)) {
			for (unsigned k = 0; k < i; k++)
				g_unlink(ro->paths[k]);
			return false;
		}
	}
	return true;
}

static void outputs_free(run_out *ro)
{
	for (unsigned i = 0; i < 4; i++) {
		out_abort(ro->files[i]);
		g_free(ro->paths[i]);
	}
}

/* Runs to the end, with a progress bar on a terminal; returns the wall
 * time it took. */
static double simulate(replica *rp, ev_time dur, bool progress)
{
	ev_loop *L = replica_loop(rp);
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
	return wall() - t0;
}

/* Two taps on one world (the world takes one): --connections and --pcap. */
typedef struct tee {
	tap tp;
	const tap *a, *b;
} tee;

static tap_verdict tee_on(void *ctx, tap_rec *r)
{
	const tee *t = ctx;
	/* Observers only: neither stages a fault (both answer TAP_PASS). */
	t->a->on(t->a->ctx, r);
	t->b->on(t->b->ctx, r);
	return TAP_PASS;
}

/* The pcap goes to the temporary of out_open through a second stream on
 * the same file, which libpcap's dumper owns and closes. */
static capture *pcap_open(out_file *f, uint64_t limit, const char *path, GError **err)
{
	int fd = dup(fileno(out_stream(f)));
	FILE *fp = fd < 0 ? NULL : fdopen(fd, "wb");
	capture *c = fp ? capture_new(fp, limit) : NULL;
	if (!c) {
		int e = errno;
		if (fp)
			fclose(fp);
		else if (fd >= 0)
			close(fd);
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot write: %s", path,
			    g_strerror(e));
	}
	return c;
}

/* The run itself: world, time series while it runs, then summary and chains. */
static int run_and_write(const char *exp, const run_opts *ro, const cfg *c, const scenario *sc, uint64_t seed)
{
	const exp_opts *o = &ro->o;
	verdict_watch *vw = NULL;
	GString *text = g_string_new(NULL);
	GError *err = NULL;
	run_out out;
	memset(&out, 0, sizeof out);
	out_file *cf = NULL, *pf = NULL;
	connlog *cl = NULL;
	capture *cap = NULL;
	tee both;
	int rc = EXIT_USAGE;
	char *outdir = exp_out_dir(exp, o->out);
	replica *rp = replica_new(sc, seed, 0, &err);
	if (!rp)
		goto done;
	world *W = replica_world(rp);
	rc = EXIT_RUNTIME;
	if (!outputs_open(&out, outdir, world_nboxes(W) > 0, &err))
		goto done;
	write_header(out_stream(out.files[0]), "time series", exp, seed, c, W);
	if (ro->connections) {
		if (!(cf = out_open(ro->connections, &err)))
			goto done;
		write_header(out_stream(cf), "connections: one row per connect() call", exp, seed, c, W);
		cl = connlog_new(W, out_stream(cf));
	}
	if (ro->pcap) {
		if (!(pf = out_open(ro->pcap, &err)) || !(cap = pcap_open(pf, (uint64_t)ro->pcap_limit, ro->pcap, &err)))
			goto done;
		for (unsigned i = 0; i < sc->nboxes; i++)
			if (sc->boxes[i].own)
				capture_same_wire(cap, (int)i);
	}
	if (cl && cap) {
		both = (tee){ { &both, tee_on }, connlog_tap(cl), capture_tap(cap) };
		world_set_tap(W, &both.tp);
	} else if (cl || cap) {
		world_set_tap(W, cl ? connlog_tap(cl) : capture_tap(cap));
	}
	vw = verdict_watch_new(sc, replica_probes(rp));
	sampler smp = { W, vw, replica_loop(rp) };
	series *ser = series_start(replica_loop(rp), replica_probes(rp), sc->sample, out_stream(out.files[0]),
				   sample_world, &smp);
	replica_start(rp);
	double took = simulate(rp, sc->duration, !o->quiet && isatty(2));
	series_finish(ser);
	series_free(ser);
	world_set_tap(W, NULL);
	if (cl)
		connlog_finish(cl);
	if (cap) {
		bool ok = capture_finish(cap);
		int e = errno;
		cap = NULL;
		if (!ok) {
			g_set_error(&err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot write: %s", ro->pcap,
				    g_strerror(e));
			goto done;
		}
	}
	write_header(out_stream(out.files[1]), "summary", exp, seed, c, W);
	GArray *metrics = replica_metrics(rp);
	write_summary(out_stream(out.files[1]), seed, metrics);
	verdict v;
	verdict_build(&v, exp, seed, sc, W, vw, metrics);
	GString *json = g_string_new(NULL);
	verdict_json(&v, json);
	fputs(json->str, out_stream(out.files[3]));
	if (!o->quiet) {
		if (ro->json)
			g_string_append(text, json->str);
		else
			verdict_text(&v, text);
	}
	g_string_free(json, TRUE);
	if (ro->counters && !strcmp(ro->counters, "nstat"))
		print_nstat(text, replica_probes(rp), metrics);
	else if (ro->counters)
		print_conntrack(text, sc, replica_probes(rp));
	replica_metrics_free(metrics);
	if (out.files[2]) {
		write_header(out_stream(out.files[2]), "conntrack chain lengths at the end", exp, seed, c, W);
		write_chains(out_stream(out.files[2]), W);
	}
	if (!outputs_commit(&out, &err))
		goto done;
	if (cf) {
		bool ok = out_commit(cf, &err);
		cf = NULL;
		if (!ok)
			goto done;
	}
	if (pf) {
		bool ok = out_commit(pf, &err);
		pf = NULL;
		if (!ok)
			goto done;
	}
	fputs(text->str, stdout);
	ev_stats st;
	ev_get_stats(replica_loop(rp), &st);
	if (!o->quiet)
		fprintf(stderr, "connsim: %s: %.0f s simulated, %" PRIu64 " events in %.2f s wall; wrote %s and %s\n",
			exp, secs(sc->duration), st.run, took, out.paths[0], out.paths[1]);
	rc = EXIT_OK;
done:
	if (err)
		fprintf(stderr, "connsim: %s\n", err->message);
	g_clear_error(&err);
	outputs_free(&out);
	out_abort(cf);
	if (cap)
		capture_finish(cap);
	out_abort(pf);
	connlog_free(cl);
	verdict_watch_free(vw);
	replica_free(rp);
	g_free(outdir);
	g_string_free(text, TRUE);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	run_opts ro;
	memset(&ro, 0, sizeof ro);
	GOptionContext *ctx = run_options(&ro);
	GError *err = NULL;
	int rc = EXIT_USAGE;
	cfg *c = NULL;
	scenario *sc = NULL;
	guint64 seed;
	const char *exp = exp_parse_args(ctx, &argc, &argv);
	if (!exp)
		goto done;
	if (ro.counters && strcmp(ro.counters, "nstat") && strcmp(ro.counters, "conntrack")) {
		fprintf(stderr, "connsim run: --counters: '%s' is not nstat or conntrack (see connsim run --help)\n",
			ro.counters);
		goto done;
	}
	if (ro.pcap_limit < 0 || (ro.pcap_limit && !ro.pcap)) {
		fprintf(stderr, "connsim run: --pcap-limit: %s (see connsim run --help)\n",
			ro.pcap_limit < 0 ? "expected a number of connections, 0 or more" : "only with --pcap FILE");
		goto done;
	}
	if (!(c = run_config(exp, &ro, &err)) || !exp_seed(c, ro.o.seed, &seed, &err) || !(sc = scn_new(c, &err))) {
		fprintf(stderr, "connsim: %s\n", err->message);
		goto done;
	}
	if (ro.dry_run) {
		GString *s = g_string_new(NULL);
		g_string_append_printf(s, "# %s, seed %" PRIu64 ": every setting in force and where it came from\n",
				       exp, seed);
		scn_print(sc, s);
		fputs(s->str, stdout);
		g_string_free(s, TRUE);
		rc = EXIT_OK;
	} else {
		rc = run_and_write(exp, &ro, c, sc, seed);
	}
done:
	scn_free(sc);
	cfg_free(c);
	g_clear_error(&err);
	run_opts_clear(&ro);
	g_option_context_free(ctx);
	return rc;
}
