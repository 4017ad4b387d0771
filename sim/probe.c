#include "sim/probe.h"

#include <glib.h>
#include <string.h>

/* Log-linear buckets: values < 8 exactly; above, 8 sub-buckets per power of two. */
#define SUB_BITS 3
#define NBUCKETS (64 * (1 << SUB_BITS))

struct probe_hist {
	bool ns;  /* values are nanoseconds */
	uint64_t count, max;
	double sum;
	uint64_t b[NBUCKETS];
};

typedef struct named {
	char *name;
	char *help;
	void *p;
} named;

struct probe_set {
	GArray *counters, *gauges, *hists;  /* of named */
};

probe_set *probe_set_new(void)
{
	probe_set *ps = g_new0(probe_set, 1);
	ps->counters = g_array_new(FALSE, FALSE, sizeof(named));
	ps->gauges = g_array_new(FALSE, FALSE, sizeof(named));
	ps->hists = g_array_new(FALSE, FALSE, sizeof(named));
	return ps;
}

static void free_all(GArray *a)
{
	for (guint i = 0; i < a->len; i++) {
		named *n = &g_array_index(a, named, i);
		g_free(n->name);
		g_free(n->help);
		g_free(n->p);
	}
	g_array_free(a, TRUE);
}

void probe_set_free(probe_set *ps)
{
	if (!ps)
		return;
	free_all(ps->counters);
	free_all(ps->gauges);
	free_all(ps->hists);
	g_free(ps);
}

static void *find_or_add(GArray *a, const char *name, const char *help, size_t size)
{
	for (guint i = 0; i < a->len; i++) {
		named *n = &g_array_index(a, named, i);
		if (!strcmp(n->name, name))
			return n->p;
	}
	named n = { g_strdup(name), g_strdup(help ? help : ""), g_malloc0(size) };
	g_array_append_val(a, n);
	return n.p;
}

uint64_t *probe_counter(probe_set *ps, const char *name, const char *help)
{
	return find_or_add(ps->counters, name, help, sizeof(uint64_t));
}

probe_gauge *probe_gauge_get(probe_set *ps, const char *name, const char *help)
{
	return find_or_add(ps->gauges, name, help, sizeof(probe_gauge));
}

probe_hist *probe_histogram(probe_set *ps, const char *name, const char *help)
{
	return find_or_add(ps->hists, name, help, sizeof(probe_hist));
}

probe_hist *probe_histogram_ns(probe_set *ps, const char *name, const char *help)
{
	probe_hist *h = probe_histogram(ps, name, help);
	h->ns = true;
	return h;
}

bool probe_hist_is_ns(const probe_hist *h)
{
	return h->ns;
}

double probe_gauge_mean(const probe_gauge *g, uint64_t now)
{
	if (!now)
		return (double)g->value;
	return probe_gauge_area(g, now) / (double)now;
}

static unsigned bucket_of(uint64_t v)
{
	if (v < (1u << SUB_BITS))
		return (unsigned)v;
	unsigned e = 63 - (unsigned)__builtin_clzll(v);  /* >= SUB_BITS */
	unsigned sub = (unsigned)(v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1);
	return ((e - SUB_BITS + 1) << SUB_BITS) + sub;
}

static uint64_t bucket_upper(unsigned b)
{
	if (b < (1u << SUB_BITS))
		return b;
	unsigned e = (b >> SUB_BITS) + SUB_BITS - 1, sub = b & ((1u << SUB_BITS) - 1);
	uint64_t lo = ((uint64_t)((1u << SUB_BITS) + sub)) << (e - SUB_BITS);
	return lo + ((uint64_t)1 << (e - SUB_BITS)) - 1;
}

void probe_hist_add(probe_hist *h, uint64_t v)
{
	h->b[bucket_of(v)]++;
	h->count++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
}

void probe_hist_reset(probe_hist *h)
{
	bool ns = h->ns;
	memset(h, 0, sizeof(*h));
	h->ns = ns;
}

uint64_t probe_hist_count(const probe_hist *h)
{
	return h->count;
}

uint64_t probe_hist_quantile(const probe_hist *h, double q)
{
	if (!h->count)
		return 0;
	uint64_t want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		seen += h->b[b];
		if (seen > want) {
			uint64_t u = bucket_upper(b);
			return u < h->max ? u : h->max;
		}
	}
	return h->max;
}

uint64_t probe_hist_max(const probe_hist *h)
{
	return h->max;
}

double probe_hist_mean(const probe_hist *h)
{
	return h->count ? h->sum / (double)h->count : 0.0;
}

size_t probe_ncounters(const probe_set *ps) { return ps->counters->len; }
size_t probe_ngauges(const probe_set *ps) { return ps->gauges->len; }
size_t probe_nhists(const probe_set *ps) { return ps->hists->len; }

const char *probe_counter_name(const probe_set *ps, size_t i)
{
	return g_array_index(ps->counters, named, i).name;
}

uint64_t probe_counter_value(const probe_set *ps, size_t i)
{
	return *(uint64_t *)g_array_index(ps->counters, named, i).p;
}

const char *probe_gauge_name(const probe_set *ps, size_t i)
{
	return g_array_index(ps->gauges, named, i).name;
}

const probe_gauge *probe_gauge_at(const probe_set *ps, size_t i)
{
	return g_array_index(ps->gauges, named, i).p;
}

const char *probe_hist_name(const probe_set *ps, size_t i)
{
	return g_array_index(ps->hists, named, i).name;
}

const probe_hist *probe_hist_at(const probe_set *ps, size_t i)
{
	return g_array_index(ps->hists, named, i).p;
}

probe_hist *probe_hist_mut(probe_set *ps, size_t i)
{
	return g_array_index(ps->hists, named, i).p;
}
