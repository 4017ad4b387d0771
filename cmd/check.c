/*
 * connsim check: does a host's configuration hold a workload?  The host's
 * settings (--sysctl files, `sysctl -a` or sysctl.conf) and a workload (an
 * experiment file, or --rate/--dest/... for a client -> server pipeline)
 * are run R times on common random numbers; for every limited resource of
 * the verdict (cmd/verdict.h) check prints the peak use, the headroom, the
 * rate at which it runs out (a short search over the offered rate, with the
 * interval it brackets, cmd/ratesearch.h), the analytic ceiling, and which
 * limit fails first; the exit status says whether every limit holds with
 * the requested margin.
 *
 * --proposed runs proposed settings on the same random numbers (the same
 * seed and replication numbers) and says what they buy and cost (paired
 * differences, cmd/paired.h); --suggest tries the standard remedies on
 * the same random numbers, in parallel, and ranks them.
 *
 * check writes no file: everything is on stdout, printed once every run
 * is done, so that bad input leaves no output.
 */
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exp.h"
#include "cmd/paired.h"
#include "cmd/ratesearch.h"
#include "cmd/replica.h"
#include "cmd/verdict.h"
#include "models/budget.h"
#include "models/lore.h"
#include "models/scenario.h"
#include "sim/bug.h"

/* The search: brackets narrower than this, at most this many rounds,
 * rates up to RS_MAX_FACTOR x the offered one. */
#define RS_TOL 0.02
#define RS_ROUNDS 8
#define RS_MAX_FACTOR 2.5
/* ... and, above 1.25 x the offered rate, not past this many connections
 * per run: a probe far past exhaustion costs a whole scan of the port
 * range for every connect(), and the check is meant to take seconds */
#define RS_MAX_CONNS 2e6
/* The longest hold a run is sized on (a connection whose teardown a box
 * never sees holds its entry for days: no steady state to wait for). */
#define HOLD_MAX_S 300.0
#define MAX_REMEDIES 12

/* ---- options ------------------------------------------------------------ */

typedef struct check_opts {
	exp_opts o;  /* sysctls, sets, profile, seed, max_memory, quiet */
	char *rate, *dest, *clients, *life, *close, *duration, *margin;
	char **proposed;
	gint reps, jobs;
	gboolean suggest, json;
} check_opts;

static GOptionContext *check_options(check_opts *co)
{
	exp_opts *o = &co->o;
	GOptionEntry entries[] = {
		{ "sysctl", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->sysctls,
		  "The host's settings: a sysctl.conf or `sysctl -a` file for every host, or for one: client:FILE, "
		  "server:FILE, nat:FILE, firewall:FILE (repeatable; a `sysctl -a` also sets the profile)",
		  "FILE" },
		{ "rate", 'r', 0, G_OPTION_ARG_STRING, &co->rate,
		  "[workload] rate: connections per second offered (needed without an experiment file)", "R" },
		{ "dest", 0, 0, G_OPTION_ARG_STRING, &co->dest,
		  "[server] ports: N listening ports from 80, N destinations for each server address (default 1)", "N" },
		{ "clients", 0, 0, G_OPTION_ARG_STRING, &co->clients, "[client] count: client hosts (default 1)", "N" },
		{ "life", 0, 0, G_OPTION_ARG_STRING, &co->life,
		  "[workload] life_mean: how long a connection lasts before it closes (default 100ms)", "T" },
		{ "close", 0, 0, G_OPTION_ARG_STRING, &co->close,
		  "[workload] close: who closes first, client, server or both (default client)", "WHO" },
		{ "duration", 'd', 0, G_OPTION_ARG_STRING, &co->duration,
		  "[experiment] duration of each run (default: 3 x the longest hold; measured from a third of it)", "T" },
		{ "margin", 'm', 0, G_OPTION_ARG_STRING, &co->margin,
		  "Headroom every limit must keep: peak <= (1 - margin) x limit (default 10%)", "PCT" },
		{ "proposed", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &co->proposed,
		  "Proposed settings, as --sysctl takes them: also run them on the same random numbers and say what "
		  "the change buys and costs (repeatable)",
		  "FILE" },
		{ "suggest", 0, 0, G_OPTION_ARG_NONE, &co->suggest,
		  "When a limit fails, try the standard remedies on the same random numbers and rank them", NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &co->json, "Print the result as JSON instead of text", NULL },
		{ "reps", 0, 0, G_OPTION_ARG_INT, &co->reps, "Replications per rate and settings (default 3, at least 2)",
		  "R" },
		{ "jobs", 'j', 0, G_OPTION_ARG_INT, &co->jobs, "Threads (default: the number of cores)", "J" },
		{ "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o->sets,
		  "Override a setting: section.key=value, or a sysctl name=value (repeatable)", "KEY=VALUE" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &o->profile,
		  "Kernel profile of every host (default: from the `sysctl -a` file's kernel.osrelease)", "NAME" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &o->seed, "Master seed (default: [experiment] seed, 1)", "N" },
		{ "max-memory", 0, 0, G_OPTION_ARG_STRING, &o->max_memory,
		  "Refuse a run estimated to need more memory (default: half the available memory)", "SIZE" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No notes about the sysctl files on stderr", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("[EXPERIMENT.ini] - do the host's limits hold a workload?");
	g_option_context_set_summary(ctx,
		"Runs the workload on the host's settings R times (common random numbers) and prints,\n"
		"for each limited resource (ephemeral ports per destination, TIME_WAIT buckets,\n"
		"conntrack entries, NAT tuples): its limit, the peak use, the headroom left, the\n"
		"connection rate at which it runs out (a short search over the rate; the interval\n"
		"printed brackets it), the analytic ceiling where one exists, and which limit fails first.\n"
		"\n"
		"Without an experiment file the workload is a client -> server pipeline: one client\n"
		"host connects to 10.0.1.1 port 80 at --rate per second (Poisson), each connection\n"
		"lasts --life and the client closes first (experiments/default.ini's workload).\n"
		"\n"
		"Runs are short: each lasts 3 x the longest time a connection holds a resource (the\n"
		"TIME_WAIT lifetime, 61 s at HZ=250, or a conntrack entry's life and time_wait timeout,\n"
		"at most 300 s), measured from one hold on, so that the tables reach their steady state;\n"
		"--duration overrides it.  A check takes seconds.\n"
		"\n"
		"--proposed FILE runs the proposed settings too (on the same seed: the difference is the\n"
		"settings', not noise) and says what they buy (headroom, ceiling, failures) and cost\n"
		"(kernel memory, the risks connsim explain lists).  --suggest, when a limit fails, tries\n"
		"the remedies that apply (a wider ip_local_port_range, tcp_tw_reuse = 1, more server\n"
		"ports, more client addresses with IP_BIND_ADDRESS_NO_PORT, the server closing first, a\n"
		"larger nf_conntrack_max with its buckets, shorter conntrack timeouts, more NAT addresses)\n"
		"and ranks them: those that fix it first, then by the headroom they buy.\n"
		"\n"
		"Order of the settings, each overriding the one before: the experiment, --sysctl,\n"
		"--proposed, --set, --rate/--dest/--clients/--life/--close, --profile.");
	g_option_context_set_description(ctx,
		"Examples:\n"
		"  connsim check --sysctl /tmp/sysctl-a.txt --rate 400 --dest 1\n"
		"  connsim check --sysctl client:web1.txt --rate 2000 --dest 4 --margin 20% --suggest\n"
		"  connsim check --sysctl sysctl-a.txt --rate 600 --proposed new-sysctl.conf\n"
		"  connsim check experiments/memcache.ini --sysctl firewall:fw-sysctl-a.txt --json\n"
		"\nExit status: 0 every limit holds with the margin (with --proposed: under the proposed\n"
		"settings), 1 a limit does not (or output could not be written), 2 usage or input error.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	return ctx;
}

static void check_opts_clear(check_opts *co)
{
	exp_opts_clear(&co->o);
	g_free(co->rate);
	g_free(co->dest);
	g_free(co->clients);
	g_free(co->life);
	g_free(co->close);
	g_free(co->duration);
	g_free(co->margin);
	g_strfreev(co->proposed);
}

/* "20%" or a fraction such as 0.2; in [0, 1). */
static bool parse_margin(const char *s, double *out)
{
	char *end;
	if (!s || !*s || g_ascii_isspace(*s))
		return false;
	double v = g_ascii_strtod(s, &end);
	if (end == s || !isfinite(v))
		return false;
	if (*end == '%') {
		end++;
		v /= 100;
	} else if (v >= 1) {
		return false;  /* "20" is ambiguous: 20 % or 20 x? */
	}
	if (*end || v < 0 || v >= 1)
		return false;
	*out = v;
	return true;
}

/* ---- settings ----------------------------------------------------------- */

/* One set of settings: the host's, the proposed, or a remedy's. */
typedef struct side {
	char *label;
	cfg *c;
	scenario *sc;  /* at the offered rate */
} side;

typedef struct check {
	check_opts co;
	const char *exp;     /* NULL: the built-in pipeline */
	char *name;          /* what the output calls the workload */
	double margin, rate;
	unsigned R, jobs;
	uint64_t seed;
	double hold_s;       /* the longest hold the runs are sized on */
	bool duration_given;
	GHashTable *notes;   /* stderr lines already kept */
	GPtrArray *pending;  /* kept, printed once the settings are all loaded */
	side cur, prop;
	bool has_prop;
} check;

static void side_clear(side *s)
{
	scn_free(s->sc);
	cfg_free(s->c);
	g_free(s->label);
	memset(s, 0, sizeof *s);
}

/* --rate etc.: each a key of the experiment, at --set's layer. */
static bool apply_flags(const check *K, cfg *c, GError **err)
{
	const check_opts *co = &K->co;
	bool ok = true;
	if (co->rate)
		ok = cfg_set(c, "workload", "rate", co->rate, "--rate", err);
	if (ok && co->dest) {
		guint64 n = 0;
		if (!g_ascii_string_to_unsigned(co->dest, 10, 1, 1000, &n, NULL))
			return cfg_fail(err, "--dest '%s': expected a number of destinations in [1, 1000]", co->dest);
		char *ports = n == 1 ? g_strdup("80") : g_strdup_printf("80-%u", (unsigned)(79 + n));
		ok = cfg_set(c, "server", "ports", ports, "--dest", err);
		g_free(ports);
	}
	if (ok && co->clients)
		ok = cfg_set(c, "client", "count", co->clients, "--clients", err);
	if (ok && co->life)
		ok = cfg_set(c, "workload", "life_mean", co->life, "--life", err);
	if (ok && co->close)
		ok = cfg_set(c, "workload", "close", co->close, "--close", err);
	return ok;
}

/* Keeps the notes not kept before (a remedy's load repeats the host's),
 * for flush_notes: bad input then gets its one message alone. */
static void print_notes(check *K, GPtrArray *notes)
{
	for (guint i = 0; i < notes->len; i++) {
		const char *n = g_ptr_array_index(notes, i);
		if (g_hash_table_contains(K->notes, n))
			continue;
		g_hash_table_add(K->notes, g_strdup(n));
		g_ptr_array_add(K->pending, g_strdup(n));
	}
}

static void flush_notes(check *K)
{
	for (guint i = 0; i < K->pending->len && !K->co.o.quiet; i++)
		fprintf(stderr, "connsim: %s\n", (char *)g_ptr_array_index(K->pending, i));
	g_ptr_array_set_size(K->pending, 0);
}

/* The duration and warmup of every run: 3 x the longest hold (or
 * --duration), measured from one hold (a third). */
static bool set_duration(const check *K, cfg *c, GError **err)
{
	char dur[32], warm[32];
	if (K->duration_given) {
		uint64_t ns;
		if (!cfg_parse_time(K->co.duration, &ns) || ns < 3000000000ULL)
			return cfg_fail(err, "--duration '%s': expected a duration of at least 3s, e.g. 180s or 5m",
					K->co.duration);
		g_snprintf(dur, sizeof dur, "%.9fs", (double)ns / 1e9);
		g_snprintf(warm, sizeof warm, "%.9fs", (double)ns / 3e9);
	} else {
		g_snprintf(dur, sizeof dur, "%.0fs", 3 * K->hold_s);
		g_snprintf(warm, sizeof warm, "%.0fs", K->hold_s);
	}
	return cfg_set(c, "experiment", "duration", dur, "connsim check (run length)", err) &&
	       cfg_set(c, "experiment", "warmup", warm, "connsim check (run length)", err);
}

/* The configuration of a side: the experiment (or none), --sysctl files
 * and extra files, --set and extra settings, the flags, --profile. */
static cfg *load_cfg(check *K, char *const *extra_files, char *const *extra_sets, const char *extra_origin,
		     GError **err)
{
	GPtrArray *files = g_ptr_array_new();
	for (char *const *f = K->co.o.sysctls; f && *f; f++)
		g_ptr_array_add(files, *f);
	for (char *const *f = extra_files; f && *f; f++)
		g_ptr_array_add(files, *f);
	g_ptr_array_add(files, NULL);
	GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
	cfg *c = scn_load(K->exp, (char **)files->pdata, K->co.o.sets, notes, err);
	g_ptr_array_free(files, TRUE);
	bool ok = c != NULL;
	if (ok)
		print_notes(K, notes);
	g_ptr_array_free(notes, TRUE);
	if (ok && !K->exp)
		ok = cfg_put(c, "experiment", "question",
			     "Does the host hold a client -> server pipeline at this rate?",
			     "connsim check (built-in workload)", 0, CFG_LAYER_FILE, err);
	ok = ok && apply_flags(K, c, err);
	for (char *const *s = extra_sets; ok && s && *s; s++)
		ok = scn_set_arg(c, *s, extra_origin, err);
	ok = ok && exp_profile(c, &K->co.o, err);
	if (ok && K->hold_s > 0)
		ok = set_duration(K, c, err);
	if (ok)
		return c;
	cfg_free(c);
	return NULL;
}

/* The mean time from connect() to close() (as verdict.c's). */
static double data_phase_s(const wl_spec *w)
{
	return ((double)w->requests * (double)w->life_mean + (double)(w->requests - 1) * (double)w->think) / 1e9;
}

/* The longest time a connection holds a limited resource: its data phase
 * plus the TIME_WAIT of the side that closes first (verdict_tw_lifetime),
 * or a box's conntrack entry's time_wait timeout (established when
 * teardowns go unseen), at most HOLD_MAX_S, in whole seconds. */
static double hold_of(const scenario *sc)
{
	double life = data_phase_s(&sc->workload), h = life;
	if (sc->workload.closer != WL_SERVER)
		h = fmax(h, life + verdict_tw_lifetime(&sc->client.k));
	if (sc->workload.closer != WL_CLIENT)
		h = fmax(h, life + verdict_tw_lifetime(&sc->server.k));
	for (unsigned b = 0; b < sc->nboxes; b++) {
		const kconf *k = &sc->boxes[b].k;
		double ct = sc->unseen_teardown > 0 ? k->ct_timeout[KCONF_CT_ESTABLISHED] : k->ct_timeout[KCONF_CT_TIME_WAIT];
		h = fmax(h, life + ct);
	}
	return ceil(fmin(fmax(h, 3), HOLD_MAX_S));
}

/* A side: its configuration and its scenario at the offered rate. */
static bool side_load(check *K, side *s, const char *label, char *const *extra_files, char *const *extra_sets,
		      const char *extra_origin, GError **err)
{
	s->label = g_strdup(label);
	return (s->c = load_cfg(K, extra_files, extra_sets, extra_origin, err)) && (s->sc = scn_new(s->c, err));
}

/* The scenario of a side at another rate (the side's cfg takes the rate;
 * its offered scenario is already built). */
static scenario *at_rate(const side *s, double rate, GError **err)
{
	char v[64];
	g_snprintf(v, sizeof v, "%.17g", rate);
	/* rate is the total over the clients (the scenario's workload.rate):
	 * a file's rate_per_client would multiply it by their count again */
	if (!cfg_set(s->c, "workload", "rate", v, "connsim check (rate search)", err) ||
	    !cfg_set(s->c, "workload", "rate_per_client", "false", "connsim check (rate search)", err))
		return NULL;
	return scn_new(s->c, err);
}

/* ---- runs --------------------------------------------------------------- */

/* A resource over R replications. */
typedef struct res_agg {
	char id[32], what[64], sysctl[64], ceiling_how[96], failures_how[64];
	double limit, peak;        /* peak: the highest of the replications */
	double failures;           /* mean over the replications */
	bool ran_out;              /* in some replication */
	double first_out_s;        /* the earliest seen; < 0: none */
	bool has_ceiling;
	double ceiling;
	rs_bracket b;              /* the search, for the offered outcome */
} res_agg;

/* One scenario (a side at a rate) over R replications. */
typedef struct outcome {
	const scenario *sc;
	double rate;
	verdict *v;                /* R verdicts */
	double *fail, *kmem;       /* per replication: failed share of connects, kernel memory peak (bytes) */
	res_agg res[VERDICT_MAX_RES];
	unsigned nres;
	double fail_mean, kmem_mean;
	double attempts;           /* connect() calls in the window, mean */
} outcome;

static void outcome_clear(outcome *o)
{
	g_free(o->v);
	g_free(o->fail);
	g_free(o->kmem);
	memset(o, 0, sizeof *o);
}

static const res_agg *find_res(const outcome *o, const char *id)
{
	for (unsigned i = 0; i < o->nres; i++)
		if (!strcmp(o->res[i].id, id))
			return &o->res[i];
	return NULL;
}

static double metric_sum(GArray *m, const char *prefix, const char *suffix)
{
	double s = 0;
	for (guint i = 0; i < m->len; i++) {
		const metric *x = &g_array_index(m, metric, i);
		if (g_str_has_prefix(x->name, prefix) && g_str_has_suffix(x->name, suffix))
			s += x->value;
	}
	return s;
}

/* The replications' verdicts into one row per resource. */
static void aggregate(outcome *o, unsigned R)
{
	o->nres = 0;
	for (unsigned r = 0; r < R; r++)
		for (unsigned i = 0; i < o->v[r].nres; i++) {
			const verdict_res *x = &o->v[r].res[i];
			res_agg *a = (res_agg *)find_res(o, x->id);
			if (!a) {
				BUG_ON(o->nres >= VERDICT_MAX_RES);
				a = &o->res[o->nres++];
				memset(a, 0, sizeof *a);
				g_strlcpy(a->id, x->id, sizeof a->id);
				g_strlcpy(a->what, x->what, sizeof a->what);
				g_strlcpy(a->sysctl, x->sysctl, sizeof a->sysctl);
				g_strlcpy(a->failures_how, x->failures_how, sizeof a->failures_how);
				g_strlcpy(a->ceiling_how, x->ceiling_how, sizeof a->ceiling_how);
				a->limit = x->limit;
				a->has_ceiling = x->has_ceiling;
				a->ceiling = x->ceiling;
				a->first_out_s = -1;
			}
			a->peak = fmax(a->peak, x->peak);
			a->failures += x->failures / R;
			a->ran_out = a->ran_out || x->ran_out;
			if (x->ran_out && x->first_out_s >= 0 && (a->first_out_s < 0 || x->first_out_s < a->first_out_s))
				a->first_out_s = x->first_out_s;
		}
	o->fail_mean = o->kmem_mean = o->attempts = 0;
	for (unsigned r = 0; r < R; r++) {
		o->attempts += o->v[r].attempts / R;
		o->fail_mean += o->fail[r] / R;
		o->kmem_mean += o->kmem[r] / R;
	}
}

/* n scenarios, R replications each, on one pool: replication r of every
 * scenario on the same seed and replication number. */
static bool run_outcomes(const check *K, outcome *out, size_t n, GError **err)
{
	size_t nt = n * K->R;
	replica_task *t = g_new0(replica_task, nt);
	for (size_t i = 0; i < n; i++) {
		out[i].v = g_new0(verdict, K->R);
		out[i].fail = g_new0(double, K->R);
		out[i].kmem = g_new0(double, K->R);
		for (unsigned r = 0; r < K->R; r++)
			t[i * K->R + r] = (replica_task){ .sc = out[i].sc, .seed = K->seed, .rep = r,
							  .verdict = &out[i].v[r], .experiment = K->name };
	}
	bool ok = replica_run_tasks(t, nt, K->jobs, false, err);
	for (size_t i = 0; ok && i < n; i++) {
		for (unsigned r = 0; r < K->R; r++) {
			GArray *m = t[i * K->R + r].metrics;
			out[i].fail[r] = metric_sum(m, "conn.fail_fraction", "");
			out[i].kmem[r] = metric_sum(m, "kmem.", ".peak");
		}
		aggregate(&out[i], K->R);
	}
	replica_tasks_clear(t, nt);
	g_free(t);
	return ok;
}

/* Does a resource hold with the margin? */
static bool res_holds(const res_agg *a, double margin)
{
	return !a->ran_out && a->failures == 0 && a->peak <= (1 - margin) * a->limit;
}

static double res_use(const res_agg *a)
{
	return a->limit > 0 ? a->peak / a->limit : 0;
}

/* What a probe tells the search (rs_observe): the use when it held, the
 * share of the connects it did not fail when it ran out (0: unknown, as
 * when its failures count packets rather than connects). */
static double res_obs(const outcome *o, const res_agg *a)
{
	if (!a->ran_out)
		return res_use(a);
	double served = o->attempts > 0 ? 1 - a->failures / o->attempts : 0;
	return served > 0 && served < 1 ? served : 0;
}

/* How far a resource's search goes: RS_MAX_FACTOR x the offered rate (and
 * RS_MAX_CONNS), and
 * not past the rate at which another limit of the same settings runs out
 * (beyond it, that limit caps this one's use: the ports held cap the
 * TIME_WAITs), nor below the offered rate. */
static double search_max(const check *K, const outcome *o, unsigned i)
{
	double dur = (double)K->cur.sc->duration / 1e9;
	double rmax = fmin(RS_MAX_FACTOR * K->rate, fmax(1.25 * K->rate, RS_MAX_CONNS / dur));
	for (unsigned k = 0; k < o->nres; k++)
		if (k != i && isfinite(o->res[k].b.hi))
			rmax = fmin(rmax, fmax(o->res[k].b.hi, K->rate));
	return rmax;
}

/* The search over the rate for every resource of the offered outcomes
 * o[0..n-1] (sides s[k] at K->rate), by rounds of probes, each round's
 * probes of every side run in parallel. */
static bool search(const check *K, side *const *s, outcome *const *o, unsigned n, GError **err)
{
	for (unsigned k = 0; k < n; k++)
		for (unsigned i = 0; i < o[k]->nres; i++) {
			res_agg *a = &o[k]->res[i];
			rs_init(&a->b, a->has_ceiling ? a->ceiling : 0);
			rs_observe(&a->b, K->rate, a->ran_out, res_obs(o[k], a));
		}
	GPtrArray *scs = g_ptr_array_new_with_free_func((GDestroyNotify)scn_free);
	bool ok = true;
	for (unsigned round = 0; ok && round < RS_ROUNDS; round++) {
		outcome p[2 * VERDICT_MAX_RES];
		unsigned side_of[2 * VERDICT_MAX_RES], np = 0;
		BUG_ON(n > 2);
		for (unsigned k = 0; k < n; k++) {
			unsigned first = np;
			double want[VERDICT_MAX_RES], lowest = INFINITY;
			for (unsigned i = 0; i < o[k]->nres; i++) {
				const rs_bracket *b = &o[k]->res[i].b;
				double rmax = search_max(K, o[k], i);
				want[i] = rs_done(b, RS_TOL, rmax) ? 0 : rs_next(b, rmax);
				if (want[i] > 0)
					lowest = fmin(lowest, want[i]);
			}
			for (unsigned i = 0; i < o[k]->nres; i++) {
				double r = want[i];
				/* a probe well above another's waits: that one may run
				 * out first and cap this one's use (search_max) */
				if (!(r > 0) || (r > 1.5 * lowest && round + 1 < RS_ROUNDS))
					continue;
				bool dup = false;  /* one probe serves brackets that want about the same rate */
				for (unsigned q = first; q < np; q++)
					dup = dup || fabs(p[q].rate / r - 1) < 0.005;
				if (dup)
					continue;
				memset(&p[np], 0, sizeof p[np]);
				p[np].rate = r;
				side_of[np++] = k;
			}
		}
		if (!np)
			break;
		for (unsigned q = 0; ok && q < np; q++) {
			scenario *sc = at_rate(s[side_of[q]], p[q].rate, err);
			ok = sc != NULL;
			if (ok)
				g_ptr_array_add(scs, sc);
			p[q].sc = sc;
		}
		ok = ok && run_outcomes(K, p, np, err);
		for (unsigned q = 0; ok && q < np; q++) {
			outcome *ok_ = o[side_of[q]];
			for (unsigned i = 0; i < ok_->nres; i++) {
				const res_agg *x = find_res(&p[q], ok_->res[i].id);
				/* absent: a TIME_WAIT role that held none */
				rs_observe(&ok_->res[i].b, p[q].rate, x && x->ran_out, x ? res_obs(&p[q], x) : 0);
			}
		}
		for (unsigned q = 0; q < np; q++)
			outcome_clear(&p[q]);
	}
	g_ptr_array_free(scs, TRUE);
	return ok;
}

/* The resource that fails first: of those that do not hold, the first to
 * run out (then the fuller); when all hold, the one that runs out at the
 * lowest rate, else the fullest.  -1: none. */
static int fails_first(const outcome *o, double margin)
{
	int best = -1;
	for (unsigned i = 0; i < o->nres; i++) {
		const res_agg *a = &o->res[i];
		if (res_holds(a, margin))
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		const res_agg *b = &o->res[best];
		double ta = a->ran_out && a->first_out_s >= 0 ? a->first_out_s : 1e300;
		double tb = b->ran_out && b->first_out_s >= 0 ? b->first_out_s : 1e300;
		if ((a->ran_out && !b->ran_out) || (a->ran_out == b->ran_out && (ta < tb || (ta == tb && res_use(a) > res_use(b)))))
			best = (int)i;
	}
	if (best >= 0)
		return best;
	double lowest = INFINITY, fullest = -1;
	for (unsigned i = 0; i < o->nres; i++) {
		const rs_bracket *b = &o->res[i].b;
		double at = isfinite(b->hi) ? b->hi : INFINITY;
		if (at < lowest) {
			lowest = at;
			best = (int)i;
		}
	}
	/* none ran out in the search: the fullest */
	for (unsigned i = 0; i < o->nres && isinf(lowest); i++)
		if (res_use(&o->res[i]) > fullest) {
			fullest = res_use(&o->res[i]);
			best = (int)i;
		}
	return best;
}

static unsigned count_failing(const outcome *o, double margin)
{
	unsigned n = 0;
	for (unsigned i = 0; i < o->nres; i++)
		n += !res_holds(&o->res[i], margin);
	return n;
}

/* ---- remedies ----------------------------------------------------------- */

/* What a change of a sysctl risks, in a line; connsim explain says more. */
static const struct {
	const char *sysctl, *risk;
} risks[] = {
	{ "net.ipv4.ip_local_port_range",
	  "listening ports inside the range must be reserved (ip_local_reserved_ports), or connect() takes them" },
	{ "net.ipv4.tcp_tw_reuse",
	  "needs timestamps on both ends: they are what rejects the old connection's late segments (PAWS); "
	  "no help to a server's TIME_WAIT" },
	{ "net.ipv4.tcp_tw_recycle", "drops the SYNs of clients behind a NAT (per-peer PAWS); gone from 4.12" },
	{ "net.ipv4.tcp_max_tw_buckets",
	  "each TIME_WAIT costs kernel memory; a small value skips TIME_WAIT and its protection instead" },
	{ "net.ipv4.tcp_fin_timeout", "none, and no gain: it does not shorten TIME_WAIT" },
	{ "net.netfilter.nf_conntrack_max",
	  "each entry costs kernel memory; without more buckets the chains grow and lookups slow down" },
	{ "net.netfilter.nf_conntrack_buckets", "the hash table's memory, allocated whether used or not" },
	{ "net.netfilter.nf_conntrack_tcp_timeout_time_wait",
	  "a late segment of a closed connection finds no entry (INVALID); TCP's own TIME_WAIT is untouched" },
	{ "net.netfilter.nf_conntrack_tcp_timeout_established",
	  "a connection idle longer than the timeout loses its entry: its next packet is INVALID or picked up "
	  "mid-stream" },
};

/* The risk of changing a sysctl: the table's words, else the first of
 * lore's myths about it; NULL when neither has one. */
static char *risk_of(const char *name)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(risks); i++)
		if (!strcmp(risks[i].sysctl, name))
			return g_strdup(risks[i].risk);
	const lore *l = lore_find(name);
	if (!l || l->kind != LORE_SYSCTL || !l->myths)
		return NULL;
	const char *nl = strchr(l->myths, '\n');
	return nl ? g_strndup(l->myths, (gsize)(nl - l->myths)) : g_strdup(l->myths);
}

typedef struct remedy {
	char name[96];
	char *sets[4];             /* NULL-terminated: scn_set_arg arguments */
	char *risk;
	side s;
	outcome o;
	bool ran;
	double headroom;           /* the lowest of its resources' (1 - peak / limit) */
	bool fixes;
	double ceiling;            /* the lowest analytic ceiling; 0: none */
} remedy;

static void remedy_clear(remedy *m)
{
	g_free(m->risk);
	for (unsigned i = 0; i < G_N_ELEMENTS(m->sets); i++)
		g_free(m->sets[i]);
	side_clear(&m->s);
	outcome_clear(&m->o);
}

/* A remedy whose risk is that of changing sysctl, or the words given. */
static remedy *remedy_add(remedy *ms, unsigned *n, const char *name, const char *sysctl, const char *risk)
{
	BUG_ON(*n >= MAX_REMEDIES);
	remedy *m = &ms[(*n)++];
	memset(m, 0, sizeof *m);
	g_strlcpy(m->name, name, sizeof m->name);
	m->risk = sysctl ? risk_of(sysctl) : g_strdup(risk);
	BUG_ON(!m->risk);
	return m;
}

static void remedy_set(remedy *m, char *set)
{
	for (unsigned i = 0; i + 1 < G_N_ELEMENTS(m->sets); i++)
		if (!m->sets[i]) {
			m->sets[i] = set;
			return;
		}
	BUG("a remedy with more settings than it has room for");
}

/* How many times a limit must grow so that the offered rate keeps the
 * margin: from the rate at which it runs out (its bracket's lower end, or
 * the analytic ceiling), at least 2 and at most 64. */
static unsigned growth(const check *K, const res_agg *a)
{
	double at = a->b.lo > 0 ? a->b.lo : a->has_ceiling ? a->ceiling : 0;
	if (at <= 0)
		return 4;
	double f = ceil(K->rate / (at * (1 - K->margin)) * 1.1);
	return (unsigned)fmin(fmax(f, 2), 64);
}

/* Does tcp_tw_reuse apply to this client's connects already? (as
 * verdict.c's reuse_applies) */
static bool reuse_on(const scenario *sc)
{
	const kconf *k = &sc->client.k;
	return k->tw_recycle || k->tw_reuse == 1 || (k->tw_reuse == 2 && sc->path.loopback);
}

/* The remedies that apply to the limits that fail in o. */
static unsigned remedies_for(const check *K, const outcome *o, remedy *ms)
{
	const scenario *sc = K->cur.sc;
	const kconf *ck = &sc->client.k;
	const wl_spec *w = &sc->workload;
	unsigned n = 0;
	bool ports = false, tw = false;
	for (unsigned i = 0; i < o->nres; i++) {
		const res_agg *a = &o->res[i];
		if (res_holds(a, K->margin))
			continue;
		unsigned f = growth(K, a);
		if (!strcmp(a->id, "ports"))
			ports = true;
		else if (!strcmp(a->id, "timewait.client") || !strcmp(a->id, "timewait.server"))
			tw = true;
		if (!strcmp(a->id, "ports")) {
			if (ck->port_hi - ck->port_lo + 1 < 64512) {
				remedy *m = remedy_add(ms, &n, "a wider ephemeral port range", "net.ipv4.ip_local_port_range",
						       NULL);
				remedy_set(m, g_strdup("net.ipv4.ip_local_port_range=1024 65535"));
			}
			if (w->bind == WL_BIND_NONE && sc->path.ndports * f <= 1000) {
				remedy *m = remedy_add(ms, &n, "", NULL,
						       "the service must listen on every port and the clients spread over "
						       "them");
				unsigned first = sc->path.dports[0], k = sc->path.ndports * f;
				g_snprintf(m->name, sizeof m->name, "the server listens on %u ports", k);
				remedy_set(m, g_strdup_printf("server.ports=%u-%u", first, MIN(first + k - 1, 65535u)));
			}
			if (w->bind != WL_BIND_PORT0 && sc->path.addrs_per_client * f <= 256) {
				remedy *m = remedy_add(ms, &n, "", NULL,
						       "each client needs the addresses, and the application must bind "
						       "them in turn with IP_BIND_ADDRESS_NO_PORT");
				unsigned k = sc->path.addrs_per_client * f;
				g_snprintf(m->name, sizeof m->name, "%u client addresses, IP_BIND_ADDRESS_NO_PORT", k);
				remedy_set(m, g_strdup_printf("client.addresses_per_host=%u", k));
				remedy_set(m, g_strdup("workload.bind=address"));
			}
		}
		if (!strcmp(a->id, "timewait.client") || !strcmp(a->id, "timewait.server")) {
			const kconf *k = !strcmp(a->id, "timewait.client") ? ck : &sc->server.k;
			const char *role = !strcmp(a->id, "timewait.client") ? "client" : "server";
			remedy *m = remedy_add(ms, &n, "", "net.ipv4.tcp_max_tw_buckets", NULL);
			g_snprintf(m->name, sizeof m->name, "%u x tcp_max_tw_buckets on the %s", f, role);
			remedy_set(m, g_strdup_printf("%s.sysctl.net.ipv4.tcp_max_tw_buckets=%" PRIu64, role,
						      (uint64_t)k->max_tw_buckets * f));
		}
		if (g_str_has_prefix(a->id, "conntrack.") || g_str_has_prefix(a->id, "nat.")) {
			const char *bname = strchr(a->id, '.') + 1;
			const scn_box *x = NULL;
			for (unsigned b = 0; b < sc->nboxes; b++)
				if (!strcmp(sc->boxes[b].name, bname))
					x = &sc->boxes[b];
			BUG_ON(!x);
			if (g_str_has_prefix(a->id, "conntrack.")) {
				remedy *m = remedy_add(ms, &n, "", "net.netfilter.nf_conntrack_max", NULL);
				g_snprintf(m->name, sizeof m->name, "%u x nf_conntrack_max and buckets (%s)", f, bname);
				remedy_set(m, g_strdup_printf("%s.sysctl.net.netfilter.nf_conntrack_max=%" PRIu64, bname,
							      (uint64_t)x->k.ct_max * f));
				remedy_set(m, g_strdup_printf("%s.sysctl.net.netfilter.nf_conntrack_buckets=%" PRIu64, bname,
							      (uint64_t)x->k.ct_buckets * f));
			}
			/* a gateway kind has no conntrack table: its timeouts are not sysctls */
			bool gateway = x->has_nat && x->nat.kind != SCN_NAT_NETFILTER;
			if (!gateway && sc->unseen_teardown > 0 && x->k.ct_timeout[KCONF_CT_ESTABLISHED] > 3600) {
				remedy *m = remedy_add(ms, &n, "", "net.netfilter.nf_conntrack_tcp_timeout_established", NULL);
				g_snprintf(m->name, sizeof m->name, "a 1 h established timeout (%s)", bname);
				remedy_set(m, g_strdup_printf(
						      "%s.sysctl.net.netfilter.nf_conntrack_tcp_timeout_established=3600", bname));
			} else if (!gateway && x->k.ct_timeout[KCONF_CT_TIME_WAIT] > 30) {
				remedy *m = remedy_add(ms, &n, "", "net.netfilter.nf_conntrack_tcp_timeout_time_wait", NULL);
				g_snprintf(m->name, sizeof m->name, "a 30 s conntrack time_wait timeout (%s)", bname);
				remedy_set(m, g_strdup_printf("%s.sysctl.net.netfilter.nf_conntrack_tcp_timeout_time_wait=30",
							      bname));
			}
			/* f times the addresses, or as many as the kind takes */
			unsigned most = scn_nat_max_addrs(x->nat.kind) ? scn_nat_max_addrs(x->nat.kind) : 64;
			unsigned k = MIN(x->nat.naddrs * f, most);
			if (g_str_has_prefix(a->id, "nat.") && x->has_nat && k > x->nat.naddrs) {
				remedy *m = remedy_add(ms, &n, "", NULL,
						       "the addresses must be routed back to the NAT box; peers see more "
						       "source addresses");
				g_snprintf(m->name, sizeof m->name, "%u NAT addresses%s", k,
					   k < x->nat.naddrs * f ? " (the most it takes)" : "");
				GString *l = g_string_new("nat.addresses=");
				uint32_t a0 = x->nat.addrs[0];
				for (unsigned j = 0; j < k; j++)
					g_string_append_printf(l, "%s%u.%u.%u.%u", j ? "," : "", (a0 + j) >> 24,
							       ((a0 + j) >> 16) & 255, ((a0 + j) >> 8) & 255, (a0 + j) & 255);
				remedy_set(m, g_string_free(l, FALSE));
			}
		}
	}
	/* ports held in TIME_WAIT by the client: let connect() take them back,
	 * or move TIME_WAIT to the server */
	if ((ports || tw) && w->closer == WL_CLIENT && !reuse_on(sc) && ck->timestamps) {
		remedy *m = remedy_add(ms, &n, "tcp_tw_reuse = 1 on the client", "net.ipv4.tcp_tw_reuse", NULL);
		remedy_set(m, g_strdup("client.sysctl.net.ipv4.tcp_tw_reuse=1"));
	}
	if ((ports || tw) && w->closer == WL_CLIENT) {
		remedy *m = remedy_add(ms, &n, "the server closes first", NULL,
				       "TIME_WAIT moves to the server (its buckets and memory); the protocol must let "
				       "the server close");
		remedy_set(m, g_strdup("workload.close=server"));
	}
	return n;
}

/* ---- output ------------------------------------------------------------- */

static void fmt_bytes(char *buf, size_t n, double b)
{
	char *s = budget_fmt_bytes(fabs(b));
	g_snprintf(buf, n, "%s%s", b < 0 ? "-" : "", s);
	g_free(s);
}

/* "455-462/s", "< 250/s", "> 2000/s" */
static void fmt_runs_out(char *buf, size_t n, const rs_bracket *b)
{
	if (isinf(b->hi))
		g_snprintf(buf, n, "> %.0f/s", b->lo);
	else if (b->lo <= 0)
		g_snprintf(buf, n, "< %.0f/s", b->hi);
	else
		g_snprintf(buf, n, "%.0f-%.0f/s", b->lo, b->hi);
}

static void table_text(const check *K, const outcome *o, int first, GString *s)
{
	g_string_append_printf(s, "  %-48s %9s %9s %9s  %-7s %-14s %9s\n", "limit (sysctl)", "limit", "peak",
			       "headroom", "verdict", "runs out at", "ceiling");
	for (unsigned i = 0; i < o->nres; i++) {
		const res_agg *a = &o->res[i];
		char name[80], ro[48], ceil_[32];
		g_snprintf(name, sizeof name, "%s%s", a->what, (int)i == first ? " *" : "");
		fmt_runs_out(ro, sizeof ro, &a->b);
		if (a->has_ceiling)
			g_snprintf(ceil_, sizeof ceil_, "%.0f/s", a->ceiling);
		else
			g_strlcpy(ceil_, "-", sizeof ceil_);
		g_string_append_printf(s, "  %-48s %9.0f %9.0f %7.0f %%  %-7s %-14s %9s\n", name, a->limit, a->peak,
				       100 * (1 - res_use(a)), res_holds(a, K->margin) ? "holds" : "FAILS", ro, ceil_);
		g_string_append_printf(s, "    %s", a->sysctl);
		if (a->has_ceiling)
			g_string_append_printf(s, "; ceiling %s", a->ceiling_how);
		g_string_append_c(s, '\n');
		if (a->failures > 0)
			g_string_append_printf(s, "    in the window: %.0f %s (mean of %u replications)\n", a->failures,
					       a->failures_how, K->R);
	}
}

static void first_text(const check *K, const outcome *o, int first, GString *s)
{
	if (first < 0)
		return;
	const res_agg *a = &o->res[first];
	char ro[48];
	fmt_runs_out(ro, sizeof ro, &a->b);
	if (!res_holds(a, K->margin)) {
		char when[48] = "";
		if (a->ran_out && a->first_out_s >= 0)
			g_snprintf(when, sizeof when, "ran out by %.0f s, ", a->first_out_s);
		else if (!a->ran_out)
			g_snprintf(when, sizeof when, "%.0f %% used, ", 100 * res_use(a));
		if (isinf(a->b.hi))
			g_string_append_printf(s, "fails first (*): %s, %s: %sover the margin; none ran out up to %.0f/s\n",
					       a->what, a->sysctl, when, a->b.lo);
		else
			g_string_append_printf(s, "fails first (*): %s, %s: %sruns out at %s\n", a->what, a->sysctl, when,
					       ro);
	} else if (isfinite(a->b.hi)) {
		g_string_append_printf(s, "would fail first (*): %s, %s: runs out at %s\n", a->what, a->sysctl, ro);
	} else {
		g_string_append_printf(s, "closest to its limit (*): %s, %s: %.0f %% used; none ran out up to %.0f/s\n",
				       a->what, a->sysctl, 100 * res_use(a), a->b.lo);
	}
}

static void header_text(const check *K, const outcome *o, GString *s)
{
	const verdict *v = &o->v[0];
	const scenario *sc = K->cur.sc;
	if (K->exp)
		g_string_append_printf(s, "check: %s at %g connections/s\n", K->exp, K->rate);
	else
		g_string_append_printf(s, "check: client -> server pipeline, %u destination%s, %g connections/s\n",
				       sc->path.ndaddrs * sc->path.ndports, sc->path.ndaddrs * sc->path.ndports == 1 ? "" : "s",
				       K->rate);
	g_string_append_printf(s, "assumed: profile %s, HZ=%u on the client: a 60 s TIME_WAIT lasts %.3f s\n", v->profile,
			       v->hz, v->tw_s);
	g_string_append_printf(s, "runs: %u replications on seed %" PRIu64 ", %.0f s simulated, measured from %.0f s",
			       K->R, K->seed, v->duration_s, v->warmup_s);
	if (K->duration_given)
		g_string_append(s, " (--duration)\n");
	else
		g_string_append_printf(s, " (3 x the longest hold, %.0f s)\n", K->hold_s);
	g_string_append_printf(s, "margin: %g %%: a limit holds when nothing failed and its peak is at most %g %% of it\n",
			       100 * K->margin, 100 * (1 - K->margin));
	g_string_append_printf(s, "offered: %.1f connect()/s in the window; %.3f %% failed\n\n", v->rate,
			       100 * o->fail_mean);
}

static void result_text(const check *K, const outcome *o, const char *what, GString *s)
{
	unsigned nf = count_failing(o, K->margin);
	if (nf)
		g_string_append_printf(s, "result: %s: %u of %u limits do not hold with a %g %% margin at %g/s\n", what,
				       nf, o->nres, 100 * K->margin, K->rate);
	else
		g_string_append_printf(s, "result: %s: every limit holds with a %g %% margin at %g/s\n", what,
				       100 * K->margin, K->rate);
}

static void proposed_text(const check *K, const outcome *a, const outcome *b, GString *s)
{
	g_string_append(s, "\nproposed settings, on the same random numbers; they differ in:\n");
	GArray *d = scn_diff(K->cur.sc, K->prop.sc);
	if (!d->len)
		g_string_append(s, "  nothing: the proposed settings are the host's\n");
	for (guint i = 0; i < d->len; i++) {
		const scn_change *ch = &g_array_index(d, scn_change, i);
		g_string_append_printf(s, "  [%s] %s: %s -> %s (%s)\n", ch->section, ch->name,
				       ch->a_value ? ch->a_value : "absent", ch->b_value ? ch->b_value : "absent",
				       ch->b_source ? ch->b_source : "-");
	}
	int first = fails_first(b, K->margin);
	g_string_append_c(s, '\n');
	table_text(K, b, first, s);
	g_string_append_c(s, '\n');
	first_text(K, b, first, s);
	g_string_append_printf(s, "\nwhat the change buys and costs (%u paired replications; * the 95 %% interval "
			       "excludes zero):\n", K->R);
	g_string_append_printf(s, "  %-48s %14s %14s %14s  %s\n", "", "host", "proposed", "difference",
			       "95 % interval");
	paired_diff pd;
	paired_diff_of(a->fail, b->fail, K->R, &pd);
	g_string_append_printf(s, "  %-48s %12.3f %% %12.3f %% %+12.3f %%  [%.3f, %.3f] %s\n", "failed connects",
			       100 * a->fail_mean, 100 * b->fail_mean, 100 * pd.mean, 100 * pd.lo, 100 * pd.hi,
			       pd.significant ? "*" : pd.changed ? "not significant" : "identical");
	double *x = g_new(double, K->R), *y = g_new(double, K->R);
	for (unsigned i = 0; i < a->nres; i++) {
		const res_agg *ra = &a->res[i], *rb = find_res(b, ra->id);
		if (!rb)
			continue;
		for (unsigned r = 0; r < K->R; r++) {
			x[r] = y[r] = 1;  /* a role without TIME_WAIT in a replication */
			for (unsigned k = 0; k < a->v[r].nres; k++)
				if (!strcmp(a->v[r].res[k].id, ra->id) && a->v[r].res[k].limit > 0)
					x[r] = 1 - a->v[r].res[k].peak / a->v[r].res[k].limit;
			for (unsigned k = 0; k < b->v[r].nres; k++)
				if (!strcmp(b->v[r].res[k].id, ra->id) && b->v[r].res[k].limit > 0)
					y[r] = 1 - b->v[r].res[k].peak / b->v[r].res[k].limit;
		}
		paired_diff_of(x, y, K->R, &pd);
		char label[80], ha[32], hb[32];
		g_snprintf(label, sizeof label, "headroom, %s", ra->what);
		g_snprintf(ha, sizeof ha, "%.0f %%", 100 * (1 - res_use(ra)));
		g_snprintf(hb, sizeof hb, "%.0f %%", 100 * (1 - res_use(rb)));
		g_string_append_printf(s, "  %-48.48s %14s %14s %+12.1f %%  [%.1f, %.1f] %s\n", label, ha, hb, 100 * pd.mean,
				       100 * pd.lo, 100 * pd.hi,
				       pd.significant ? "*" : pd.changed ? "not significant" : "identical");
		char oa[48], ob[48];
		fmt_runs_out(oa, sizeof oa, &ra->b);
		fmt_runs_out(ob, sizeof ob, &rb->b);
		g_snprintf(label, sizeof label, "runs out at, %s", ra->what);
		g_string_append_printf(s, "  %-48.48s %14s %14s\n", label, oa, ob);
		if (ra->has_ceiling || rb->has_ceiling) {
			g_snprintf(oa, sizeof oa, ra->has_ceiling ? "%.0f/s" : "-", ra->ceiling);
			g_snprintf(ob, sizeof ob, rb->has_ceiling ? "%.0f/s" : "-", rb->ceiling);
			g_snprintf(label, sizeof label, "ceiling, %s", ra->what);
			g_string_append_printf(s, "  %-48.48s %14s %14s\n", label, oa, ob);
		}
	}
	g_free(x);
	g_free(y);
	paired_diff_of(a->kmem, b->kmem, K->R, &pd);
	char ka[32], kb[32], kd[32], klo[32], khi[32];
	fmt_bytes(ka, sizeof ka, a->kmem_mean);
	fmt_bytes(kb, sizeof kb, b->kmem_mean);
	fmt_bytes(kd, sizeof kd, pd.mean);
	fmt_bytes(klo, sizeof klo, pd.lo);
	fmt_bytes(khi, sizeof khi, pd.hi);
	char kds[40];
	g_snprintf(kds, sizeof kds, "%s%s", pd.mean > 0 ? "+" : "", kd);
	g_string_append_printf(s, "  %-48s %14s %14s %14s  [%s, %s] %s\n", "kernel memory at the peak", ka, kb, kds,
			       klo, khi,
			       pd.significant ? "*" : pd.changed ? "not significant" : "identical");
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < d->len; i++) {
		const scn_change *ch = &g_array_index(d, scn_change, i);
		if (g_hash_table_contains(seen, ch->name))
			continue;
		g_hash_table_add(seen, (gpointer)ch->name);
		char *r = risk_of(ch->name);
		if (!r)
			continue;
		if (g_hash_table_size(seen) && !g_hash_table_contains(seen, "risks:"))
			g_string_append(s, "risks (connsim explain NAME says more):\n");
		g_hash_table_add(seen, (gpointer)"risks:");
		g_string_append_printf(s, "  %s: %s\n", ch->name, r);
		g_free(r);
	}
	g_hash_table_destroy(seen);
	g_array_unref(d);
}

static void suggest_text(const check *K, const outcome *cur, const remedy *ms, unsigned n, GString *s)
{
	g_string_append_printf(s, "\nremedies, on the same random numbers at %g/s, best first:\n", K->rate);
	if (!n) {
		g_string_append(s, "  none of the standard remedies applies to the limits that fail here\n");
		return;
	}
	g_string_append_printf(s, "  %-2s %-50s %-6s %8s %9s %9s %12s\n", "", "remedy", "result", "headroom",
			       "failed", "ceiling", "kernel mem");
	for (unsigned i = 0; i < n; i++) {
		const remedy *m = &ms[i];
		char ceil_[32], dk[32];
		if (m->ceiling > 0)
			g_snprintf(ceil_, sizeof ceil_, "%.0f/s", m->ceiling);
		else
			g_strlcpy(ceil_, "-", sizeof ceil_);
		fmt_bytes(dk + 1, sizeof dk - 1, m->o.kmem_mean - cur->kmem_mean);
		dk[0] = m->o.kmem_mean >= cur->kmem_mean ? '+' : ' ';
		g_string_append_printf(s, "  %-2u %-50s %-6s %6.0f %% %7.3f %% %9s %12s\n", i + 1, m->name,
				       m->fixes ? "fixes" : "fails", 100 * m->headroom, 100 * m->o.fail_mean, ceil_,
				       dk[1] == '-' ? dk + 1 : dk);
		for (unsigned k = 0; k < G_N_ELEMENTS(m->sets) && m->sets[k]; k++)
			g_string_append_printf(s, "       --set %s\n", m->sets[k]);
		g_string_append_printf(s, "       risk: %s\n", m->risk);
	}
	g_string_append(s, "  (headroom: the lowest of the remedy's limits; kernel mem: at the peak, against the host's)\n");
}

/* ---- JSON --------------------------------------------------------------- */

static void json_num(GString *o, double x)
{
	if (isfinite(x))
		g_string_append_printf(o, "%.10g", x);
	else
		g_string_append(o, "null");
}

static void json_outcome(const check *K, const outcome *o, GString *s, const char *ind)
{
	int first = fails_first(o, K->margin);
	g_string_append_printf(s, "{\n%s  \"fail_fraction\": ", ind);
	json_num(s, o->fail_mean);
	g_string_append_printf(s, ",\n%s  \"kmem_peak_bytes\": ", ind);
	json_num(s, o->kmem_mean);
	g_string_append_printf(s, ",\n%s  \"holds\": %s", ind, count_failing(o, K->margin) ? "false" : "true");
	g_string_append_printf(s, ",\n%s  \"fails_first\": ", ind);
	if (first >= 0)
		verdict_json_string(s, o->res[first].id);
	else
		g_string_append(s, "null");
	g_string_append_printf(s, ",\n%s  \"resources\": [", ind);
	for (unsigned i = 0; i < o->nres; i++) {
		const res_agg *a = &o->res[i];
		g_string_append_printf(s, "%s\n%s    { \"id\": ", i ? "," : "", ind);
		verdict_json_string(s, a->id);
		g_string_append(s, ", \"what\": ");
		verdict_json_string(s, a->what);
		g_string_append(s, ", \"sysctl\": ");
		verdict_json_string(s, a->sysctl);
		g_string_append(s, ", \"limit\": ");
		json_num(s, a->limit);
		g_string_append(s, ", \"peak\": ");
		json_num(s, a->peak);
		g_string_append(s, ", \"headroom\": ");
		json_num(s, 1 - res_use(a));
		g_string_append_printf(s, ", \"holds\": %s, \"ran_out\": %s", res_holds(a, K->margin) ? "true" : "false",
				       a->ran_out ? "true" : "false");
		g_string_append(s, ", \"failures\": ");
		json_num(s, a->failures);
		g_string_append(s, ", \"runs_out_above\": ");
		json_num(s, a->b.lo);
		g_string_append(s, ", \"runs_out_below\": ");
		json_num(s, a->b.hi);
		g_string_append(s, ", \"ceiling_per_s\": ");
		if (a->has_ceiling)
			json_num(s, a->ceiling);
		else
			g_string_append(s, "null");
		g_string_append(s, " }");
	}
	g_string_append_printf(s, "\n%s  ]\n%s}", ind, ind);
}

static void json_text(const check *K, const outcome *cur, const outcome *prop, const remedy *ms, int nrem,
		      GString *s)
{
	const verdict *v = &cur->v[0];
	g_string_append(s, "{\n  \"workload\": ");
	verdict_json_string(s, K->name);
	g_string_append(s, ",\n  \"rate\": ");
	json_num(s, K->rate);
	g_string_append(s, ",\n  \"margin\": ");
	json_num(s, K->margin);
	g_string_append_printf(s, ",\n  \"seed\": %" PRIu64 ",\n  \"replications\": %u,\n  \"profile\": ", K->seed, K->R);
	verdict_json_string(s, v->profile);
	g_string_append_printf(s, ",\n  \"hz\": %u,\n  \"timewait_s\": ", v->hz);
	json_num(s, v->tw_s);
	g_string_append(s, ",\n  \"duration_s\": ");
	json_num(s, v->duration_s);
	g_string_append(s, ",\n  \"warmup_s\": ");
	json_num(s, v->warmup_s);
	g_string_append(s, ",\n  \"host\": ");
	json_outcome(K, cur, s, "  ");
	if (prop) {
		g_string_append(s, ",\n  \"proposed\": ");
		json_outcome(K, prop, s, "  ");
	}
	if (nrem >= 0) {
		g_string_append(s, ",\n  \"remedies\": [");
		for (int i = 0; i < nrem; i++) {
			const remedy *m = &ms[i];
			g_string_append_printf(s, "%s\n    { \"rank\": %d, \"remedy\": ", i ? "," : "", i + 1);
			verdict_json_string(s, m->name);
			g_string_append(s, ", \"sets\": [");
			for (unsigned k = 0; k < G_N_ELEMENTS(m->sets) && m->sets[k]; k++) {
				g_string_append(s, k ? ", " : "");
				verdict_json_string(s, m->sets[k]);
			}
			g_string_append_printf(s, "], \"fixes\": %s, \"headroom\": ", m->fixes ? "true" : "false");
			json_num(s, m->headroom);
			g_string_append(s, ", \"fail_fraction\": ");
			json_num(s, m->o.fail_mean);
			g_string_append(s, ", \"ceiling_per_s\": ");
			if (m->ceiling > 0)
				json_num(s, m->ceiling);
			else
				g_string_append(s, "null");
			g_string_append(s, ", \"kmem_peak_bytes\": ");
			json_num(s, m->o.kmem_mean);
			g_string_append(s, ", \"risk\": ");
			verdict_json_string(s, m->risk);
			g_string_append(s, " }");
		}
		g_string_append(s, nrem ? "\n  ]" : "]");
	}
	g_string_append(s, "\n}\n");
}

/* ---- the command -------------------------------------------------------- */

static int remedy_cmp(const void *pa, const void *pb)
{
	const remedy *a = pa, *b = pb;
	if (a->fixes != b->fixes)
		return a->fixes ? -1 : 1;
	if (a->headroom != b->headroom)
		return a->headroom > b->headroom ? -1 : 1;
	if (a->o.kmem_mean != b->o.kmem_mean)
		return a->o.kmem_mean < b->o.kmem_mean ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Every remedy that applies, on the same random numbers at the offered
 * rate, all on one pool; ranked.  A remedy the scenario rejects (a
 * combination the schema does not take) is left out.  Returns how many
 * are kept. */
static unsigned run_remedies(check *K, const outcome *cur, remedy *ms, GError **err)
{
	unsigned n = remedies_for(K, cur, ms), kept = 0;
	for (unsigned i = 0; i < n; i++) {
		GError *e = NULL;
		if (side_load(K, &ms[i].s, ms[i].name, NULL, ms[i].sets, "--suggest", &e)) {
			ms[i].ran = true;
		} else {
			g_clear_error(&e);
			remedy_clear(&ms[i]);
		}
		if (ms[i].ran)
			ms[kept++] = ms[i];
	}
	outcome *o = g_new0(outcome, kept);
	for (unsigned i = 0; i < kept; i++) {
		o[i].sc = ms[i].s.sc;
		o[i].rate = K->rate;
	}
	bool ok = run_outcomes(K, o, kept, err);
	for (unsigned i = 0; i < kept; i++) {
		remedy *m = &ms[i];
		m->o = o[i];
		m->headroom = 1;
		for (unsigned k = 0; k < m->o.nres; k++) {
			const res_agg *a = &m->o.res[k];
			m->headroom = fmin(m->headroom, 1 - res_use(a));
			if (a->has_ceiling && (m->ceiling == 0 || a->ceiling < m->ceiling))
				m->ceiling = a->ceiling;
		}
		m->fixes = count_failing(&m->o, K->margin) == 0;
	}
	g_free(o);
	if (!ok) {
		for (unsigned i = 0; i < kept; i++)
			remedy_clear(&ms[i]);
		return 0;
	}
	qsort(ms, kept, sizeof *ms, remedy_cmp);
	return kept;
}

static bool parse_rate(const char *s, GError **err)
{
	char *end;
	double v = s ? g_ascii_strtod(s, &end) : 0;
	if (!s || end == s || *end || !isfinite(v) || v <= 0 || v > 1e7)
		return cfg_fail(err, "--rate '%s': expected a positive number of connections per second (at most 1e7)",
				s ? s : "");
	return true;
}

int cmd_check(int argc, char **argv)
{
	check K;
	memset(&K, 0, sizeof K);
	GOptionContext *ctx = check_options(&K.co);
	GError *err = NULL;
	int rc = EXIT_USAGE;
	const char *cmd = argv[0];
	outcome cur = { 0 }, prop = { 0 };
	remedy ms[MAX_REMEDIES];
	int nrem = -1;
	GString *out = NULL;
	K.notes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	K.pending = g_ptr_array_new_with_free_func(g_free);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "%s: %s (see %s --help)\n", cmd, err->message, cmd);
		goto done;
	}
	if (argc > 2) {
		fprintf(stderr, "%s: expected at most one experiment file, got %d (see %s --help)\n", cmd, argc - 1, cmd);
		goto done;
	}
	K.exp = argc == 2 ? argv[1] : NULL;
	if (!K.co.reps)
		K.co.reps = 3;
	if (K.co.reps < 2 || K.co.reps > 1000) {
		fprintf(stderr, "%s: --reps %d: expected an integer in [2, 1000]\n", cmd, K.co.reps);
		goto done;
	}
	if (K.co.jobs < 0 || K.co.jobs > 1024) {
		fprintf(stderr, "%s: --jobs %d: expected an integer in [1, 1024]\n", cmd, K.co.jobs);
		goto done;
	}
	K.margin = 0.10;
	if (K.co.margin && !parse_margin(K.co.margin, &K.margin)) {
		fprintf(stderr, "%s: --margin '%s': expected a percentage in [0%%, 100%%) such as 20%%, or a fraction "
			"such as 0.2\n", cmd, K.co.margin);
		goto done;
	}
	if (!K.exp && !K.co.rate) {
		fprintf(stderr, "%s: --rate R is needed without an experiment file (see %s --help)\n", cmd, cmd);
		goto done;
	}
	K.R = (unsigned)K.co.reps;
	K.jobs = (unsigned)K.co.jobs;
	K.duration_given = K.co.duration != NULL;
	K.name = g_strdup(K.exp ? K.exp : "client -> server pipeline");
	uint64_t max;
	if ((K.co.rate && !parse_rate(K.co.rate, &err)) || !exp_max_memory(&K.co.o, &max, &err))
		goto fail;
	unsigned share = K.jobs ? K.jobs : g_get_num_processors();
	budget_set_limit(MAX(max / share, 1), "the memory limit (--max-memory, or half the available memory) shared "
			 "by the check's threads");
	/* the host's settings, then the run length from their longest hold */
	if (!side_load(&K, &K.cur, "host", NULL, NULL, NULL, &err))
		goto fail;
	K.hold_s = hold_of(K.cur.sc);
	scn_free(K.cur.sc);
	K.cur.sc = NULL;
	if (!set_duration(&K, K.cur.c, &err) || !(K.cur.sc = scn_new(K.cur.c, &err)) ||
	    !exp_seed(K.cur.c, K.co.o.seed, &K.seed, &err))
		goto fail;
	K.rate = K.cur.sc->workload.rate;
	if (K.co.proposed && !side_load(&K, &K.prop, "proposed", K.co.proposed, NULL, NULL, &err)) {
		g_prefix_error(&err, "--proposed: ");
		goto fail;
	}
	K.has_prop = K.co.proposed != NULL;
	flush_notes(&K);
	if (!K.co.o.sysctls && !K.co.o.quiet)
		fprintf(stderr, "connsim: note: no --sysctl file: checking the profiles' defaults\n");
	outcome first[2] = { { .sc = K.cur.sc, .rate = K.rate }, { .sc = K.prop.sc, .rate = K.rate } };
	bool ran = run_outcomes(&K, first, K.has_prop ? 2 : 1, &err);
	cur = first[0];
	prop = first[1];
	if (!ran)
		goto fail;
	side *sides[2] = { &K.cur, &K.prop };
	outcome *outs[2] = { &cur, &prop };
	if (!search(&K, sides, outs, K.has_prop ? 2 : 1, &err))
		goto fail;
	if (K.co.suggest) {
		nrem = 0;
		if (count_failing(&cur, K.margin)) {
			nrem = (int)run_remedies(&K, &cur, ms, &err);
			if (err)
				goto fail;
		}
	}
	out = g_string_new(NULL);
	if (K.co.json) {
		json_text(&K, &cur, K.has_prop ? &prop : NULL, ms, nrem, out);
	} else {
		int f = fails_first(&cur, K.margin);
		header_text(&K, &cur, out);
		table_text(&K, &cur, f, out);
		g_string_append_c(out, '\n');
		first_text(&K, &cur, f, out);
		result_text(&K, &cur, "host settings", out);
		if (K.has_prop) {
			proposed_text(&K, &cur, &prop, out);
			result_text(&K, &prop, "proposed settings", out);
		}
		if (nrem >= 0 && count_failing(&cur, K.margin))
			suggest_text(&K, &cur, ms, (unsigned)nrem, out);
		else if (nrem >= 0)
			g_string_append(out, "\nremedies: none needed, every limit holds\n");
	}
	fputs(out->str, stdout);
	if (fflush(stdout) != 0) {
		rc = EXIT_RUNTIME;
		goto done;
	}
	rc = count_failing(K.has_prop ? &prop : &cur, K.margin) ? 1 : EXIT_OK;
	goto done;
fail:
	fprintf(stderr, "connsim: %s\n", err->message);
	rc = EXIT_USAGE;
done:
	if (out)
		g_string_free(out, TRUE);
	for (int i = 0; i < nrem; i++)
		remedy_clear(&ms[i]);
	outcome_clear(&cur);
	outcome_clear(&prop);
	side_clear(&K.cur);
	side_clear(&K.prop);
	g_free(K.name);
	g_hash_table_destroy(K.notes);
	g_ptr_array_free(K.pending, TRUE);
	g_clear_error(&err);
	check_opts_clear(&K.co);
	g_option_context_free(ctx);
	return rc;
}
