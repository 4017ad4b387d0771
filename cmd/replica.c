#include "cmd/replica.h"

#include <string.h>
#include <time.h>

#include "cmd/verdict.h"
#include "models/meter.h"
#include "sim/series.h"

struct replica {
	ev_loop *L;
	probe_set *ps;
	world *W;
	ev_time duration, warmup, sample;
	ev_kind k_sample;
	uint64_t *counters;  /* values when the window opened */
	double *areas;       /* gauge integrals when the window opened */
	size_t nc, ng;
	verdict_watch *vw;   /* a task's verdict: which limits have run out, and when */
};

/* The window opens: remember where every counter and gauge stood; the
 * histograms start afresh. */
static void window_open(void *ctx, uint32_t obj, uint32_t arg)
{
	replica *r = ctx;
	for (size_t i = 0; i < r->nc; i++)
		r->counters[i] = probe_counter_value(r->ps, i);
	for (size_t i = 0; i < r->ng; i++)
		r->areas[i] = probe_gauge_area(probe_gauge_at(r->ps, i), ev_now(r->L));
	for (size_t i = 0; i < probe_nhists(r->ps); i++)
		probe_hist_reset(probe_hist_mut(r->ps, i));
	world_window_open(r->W);
}

/* Gauges that are levels of tables (ports in use, NAT mappings) are read at
 * every [experiment] sample, in sweeps as in runs. */
static void on_sample(void *ctx, uint32_t obj, uint32_t arg)
{
	replica *r = ctx;
	world_sample(r->W);
	if (r->vw)
		verdict_watch_sample(r->vw, ev_now(r->L));
	ev_after(r->L, r->sample, r->k_sample, 0, 0);
}

replica *replica_new(const scenario *sc, uint64_t seed, uint32_t rep, GError **err)
{
	replica *r = g_new0(replica, 1);
	r->duration = sc->duration;
	r->warmup = sc->warmup;
	r->L = ev_loop_new(NULL);
	r->ps = probe_set_new();
	r->W = world_new(sc, r->L, r->ps, seed, rep, err);
	if (!r->W) {
		replica_free(r);
		return NULL;
	}
	r->nc = probe_ncounters(r->ps);
	r->ng = probe_ngauges(r->ps);
	r->counters = g_new0(uint64_t, r->nc);
	r->areas = g_new0(double, r->ng);
	ev_at(r->L, r->warmup, ev_kind_register(r->L, "warmup", window_open, r), 0, 0);
	r->sample = sc->sample;
	r->k_sample = ev_kind_register(r->L, "sample", on_sample, r);
	if (r->sample)
		ev_at(r->L, 0, r->k_sample, 0, 0);
	return r;
}

void replica_free(replica *r)
{
	if (!r)
		return;
	world_free(r->W);
	probe_set_free(r->ps);
	ev_loop_free(r->L);
	g_free(r->counters);
	g_free(r->areas);
	g_free(r);
}

ev_loop *replica_loop(replica *r) { return r->L; }
probe_set *replica_probes(replica *r) { return r->ps; }
world *replica_world(replica *r) { return r->W; }
ev_time replica_duration(const replica *r) { return r->duration; }

void replica_start(replica *r)
{
	world_start(r->W);
}

static void add(GArray *m, char *name, double v, metric_fmt f)
{
	metric x = { name, v, f };
	g_array_append_val(m, x);
}

/*
 * BOX.ct.buckets.*: the table's bucket chains at the end of the run: the
 * load factor (nodes / buckets), the 99th percentile and the longest, beside
 * what a uniform hash gives (meter_chains).
 */
static void bucket_metrics(GArray *m, const world *W)
{
	for (unsigned b = 0; b < world_nboxes(W); b++) {
		meter_chains c;
		meter_chains_get(W, b, &c);
		const char *n = c.box;
		add(m, g_strdup_printf("%s.ct.buckets.load", n), c.load, METRIC_G6);
		add(m, g_strdup_printf("%s.ct.buckets.p99", n), c.p99, METRIC_INT);
		add(m, g_strdup_printf("%s.ct.buckets.max", n), c.longest, METRIC_INT);
		add(m, g_strdup_printf("%s.ct.buckets.poisson_p99", n), c.poisson_p99, METRIC_INT);
		add(m, g_strdup_printf("%s.ct.buckets.poisson_max", n), c.poisson_max, METRIC_F3);
		meter_chains_clear(&c);
	}
}

/* kmem.*: linear in a gauge, so its mean and peak are the gauge's */
static void kmem_metrics(GArray *m, replica *r, ev_time end, double span)
{
	GArray *km = meter_kmem_list(r->W);
	for (guint k = 0; k < km->len; k++) {
		const meter_kmem *x = &g_array_index(km, meter_kmem, k);
		double mean = x->fixed, peak = x->fixed;
		for (size_t i = 0; *x->gauge && i < r->ng; i++) {
			if (strcmp(probe_gauge_name(r->ps, i), x->gauge))
				continue;
			const probe_gauge *g = probe_gauge_at(r->ps, i);
			double area = probe_gauge_area(g, end) - r->areas[i];
			mean += x->per * (span > 0 ? area / (double)(end - r->warmup) : (double)g->value);
			peak += x->per * (double)g->peak;
		}
		add(m, g_strdup_printf("%s.mean", x->name), mean, METRIC_INT);
		add(m, g_strdup_printf("%s.peak", x->name), peak, METRIC_INT);
	}
	g_array_unref(km);
}

GArray *replica_metrics(replica *r)
{
	GArray *m = g_array_new(FALSE, FALSE, sizeof(metric));
	ev_time end = ev_now(r->L);
	double span = (double)(end - r->warmup) / 1e9;
	add(m, g_strdup("duration_s"), (double)end / 1e9, METRIC_F3);
	add(m, g_strdup("warmup_s"), (double)r->warmup / 1e9, METRIC_F3);
	add(m, g_strdup("port_pool"), meter_port_pool(r->W), METRIC_INT);
	uint64_t attempts = 0, failed = 0;
	for (size_t i = 0; i < r->nc; i++) {
		const char *n = probe_counter_name(r->ps, i);
		uint64_t v = probe_counter_value(r->ps, i) - r->counters[i];
		add(m, g_strdup(n), (double)v, METRIC_INT);
		if (!strcmp(n, "conn.attempts"))
			attempts = v;
		else if (g_str_has_prefix(n, "conn.E") && strcmp(n, "conn.ECONNRESET"))
			failed += v;
	}
	for (size_t i = 0; i < r->ng; i++) {
		const probe_gauge *g = probe_gauge_at(r->ps, i);
		const char *n = probe_gauge_name(r->ps, i);
		double area = probe_gauge_area(g, end) - r->areas[i];
		add(m, g_strdup_printf("%s.mean", n), span > 0 ? area / (double)(end - r->warmup) : (double)g->value,
		    METRIC_F3);
		add(m, g_strdup_printf("%s.peak", n), (double)g->peak, METRIC_INT);
	}
	for (size_t i = 0; i < probe_nhists(r->ps); i++) {
		const probe_hist *h = probe_hist_at(r->ps, i);
		const char *n = probe_hist_name(r->ps, i), *u = probe_hist_is_ns(h) ? "_ms" : "";
		double k = probe_hist_is_ns(h) ? 1e6 : 1;  /* ns -> ms */
		add(m, g_strdup_printf("%s.count", n), (double)probe_hist_count(h), METRIC_INT);
		add(m, g_strdup_printf("%s.mean%s", n, u), probe_hist_mean(h) / k, METRIC_F3);
		add(m, g_strdup_printf("%s.p50%s", n, u), (double)probe_hist_quantile(h, 0.5) / k, METRIC_F3);
		add(m, g_strdup_printf("%s.p99%s", n, u), (double)probe_hist_quantile(h, 0.99) / k, METRIC_F3);
		add(m, g_strdup_printf("%s.max%s", n, u), (double)probe_hist_max(h) / k, METRIC_F3);
	}
	kmem_metrics(m, r, end, span);
	bucket_metrics(m, r->W);
	add(m, g_strdup("conn.fail_fraction"), attempts ? (double)failed / (double)attempts : 0.0, METRIC_G6);
	add(m, g_strdup("conn.rate"), span > 0 ? (double)attempts / span : 0.0, METRIC_G6);
	/* conn.CAUSE.fraction: connections whose SYNs met CAUSE / attempts;
	 * conn.ERRNO.fraction: connect() calls that failed with ERRNO / attempts;
	 * conn.CAUSE.host_fraction: client hosts (users) with such a connection
	 * / client hosts */
	unsigned hosts = world_client_hosts(r->W);
	for (size_t i = 0; i < r->nc; i++) {
		const char *n = probe_counter_name(r->ps, i);
		if (g_str_has_prefix(n, "conn.hit_hosts.")) {
			double v = (double)(probe_counter_value(r->ps, i) - r->counters[i]);
			add(m, g_strdup_printf("conn.%s.host_fraction", n + strlen("conn.hit_hosts.")),
			    hosts ? v / (double)hosts : 0.0, METRIC_G6);
			continue;
		}
		const char *what = g_str_has_prefix(n, "conn.hit.") ? n + strlen("conn.hit.")
				 : g_str_has_prefix(n, "conn.E") ? n + strlen("conn.") : NULL;
		if (!what)
			continue;
		double v = (double)(probe_counter_value(r->ps, i) - r->counters[i]);
		add(m, g_strdup_printf("conn.%s.fraction", what), attempts ? v / (double)attempts : 0.0, METRIC_G6);
	}
	/* Right-censored at the run's end when nothing failed, so that a
	 * sweep's mean stays defined; _seen says which. */
	ev_time ff;
	bool seen = world_first_failure(r->W, &ff);
	add(m, g_strdup("conn.first_failure_s"), (double)(seen ? ff : end) / 1e9, METRIC_F3);
	add(m, g_strdup("conn.first_failure_seen"), seen, METRIC_INT);
	return m;
}

void replica_metrics_free(GArray *m)
{
	for (guint i = 0; i < m->len; i++)
		g_free(g_array_index(m, metric, i).name);
	g_array_free(m, TRUE);
}

/* ---- replications on a pool of threads ---------------------------------- */

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

static void sample_world(void *ctx)
{
	world_sample(ctx);
}

/* One task, on a thread of the pool: the same steps as cmd/run.c's run, so
 * that a task with a series writes what run writes. */
static void run_task(gpointer data, gpointer user)
{
	replica_task *t = data;
	progress *pg = user;
	GError *err = NULL;
	replica *r = t->built ? t->built : replica_new(t->sc, t->seed, t->rep, &err);
	t->built = NULL;
	if (!r) {
		t->error = g_strdup(err->message);
		g_error_free(err);
	} else {
		series *ser = t->series ? series_start(r->L, r->ps, t->sc->sample, t->series, sample_world, r->W)
					: NULL;
		if (t->verdict)
			r->vw = verdict_watch_new(t->sc, r->ps);
		replica_start(r);
		ev_run(replica_loop(r), replica_duration(r));
		if (ser) {
			series_finish(ser);
			series_free(ser);
		}
		t->metrics = replica_metrics(r);
		if (t->verdict)
			verdict_build(t->verdict, t->experiment, t->seed, t->sc, r->W, r->vw, t->metrics);
		verdict_watch_free(r->vw);
		replica_free(r);
		if (t->done)
			t->done_error = t->done(t, t->done_ctx);
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

bool replica_run_tasks(replica_task *t, size_t n, unsigned jobs, bool show, GError **err)
{
	unsigned nrun = 0;
	for (size_t i = 0; i < n; i++)
		nrun += t[i].sc != NULL;
	progress pg = { .total = nrun, .t0 = wall(), .show = show && nrun };
	g_mutex_init(&pg.lock);
	guint nthreads = jobs ? jobs : g_get_num_processors();
	GThreadPool *pool = g_thread_pool_new(run_task, &pg, (gint)nthreads, TRUE, NULL);
	for (size_t i = 0; i < n; i++)
		if (t[i].sc)
			g_thread_pool_push(pool, &t[i], NULL);
	g_thread_pool_free(pool, FALSE, TRUE);
	if (pg.show)
		fputc('\n', stderr);
	g_mutex_clear(&pg.lock);
	for (size_t i = 0; i < n; i++)
		if (t[i].error) {
			g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s", t[i].error);
			return false;
		}
	for (size_t i = 0; i < n; i++)
		if (t[i].done_error) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", t[i].done_error);
			return false;
		}
	return true;
}

void replica_tasks_clear(replica_task *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		if (t[i].metrics)
			replica_metrics_free(t[i].metrics);
		g_free(t[i].error);
		g_free(t[i].done_error);
		replica_free(t[i].built);
		t[i].built = NULL;
		t[i].metrics = NULL;
		t[i].error = NULL;
		t[i].done_error = NULL;
	}
}
