#include "sim/series.h"

#include <glib.h>
#include <inttypes.h>

struct series {
	ev_loop *L;
	const probe_set *ps;
	ev_time interval, last;
	FILE *fp;
	ev_kind kind;
	bool any;
	void (*before)(void *ctx);
	void *ctx;
};

static void write_row(series *s)
{
	ev_time now = ev_now(s->L);
	if (s->before)
		s->before(s->ctx);
	fprintf(s->fp, "%.3f", (double)now / 1e9);
	for (size_t i = 0; i < probe_ncounters(s->ps); i++)
		fprintf(s->fp, ",%" PRIu64, probe_counter_value(s->ps, i));
	for (size_t i = 0; i < probe_ngauges(s->ps); i++)
		fprintf(s->fp, ",%" PRId64, probe_gauge_at(s->ps, i)->value);
	fputc('\n', s->fp);
	s->last = now;
	s->any = true;
}

static void tick(void *ctx, uint32_t obj, uint32_t arg)
{
	series *s = ctx;
	write_row(s);
	ev_after(s->L, s->interval, s->kind, 0, 0);
}

series *series_start(ev_loop *L, const probe_set *ps, ev_time interval, FILE *fp,
		     void (*before)(void *ctx), void *ctx)
{
	series *s = g_new0(series, 1);
	s->before = before;
	s->ctx = ctx;
	s->L = L;
	s->ps = ps;
	s->interval = interval;
	s->fp = fp;
	s->kind = ev_kind_register(L, "sample", tick, s);
	fputs("time_s", fp);
	for (size_t i = 0; i < probe_ncounters(ps); i++)
		fprintf(fp, ",%s", probe_counter_name(ps, i));
	for (size_t i = 0; i < probe_ngauges(ps); i++)
		fprintf(fp, ",%s", probe_gauge_name(ps, i));
	fputc('\n', fp);
	ev_at(L, ev_now(L), s->kind, 0, 0);
	return s;
}

void series_finish(series *s)
{
	if (!s->any || s->last != ev_now(s->L))
		write_row(s);
}

void series_free(series *s)
{
	g_free(s);
}
