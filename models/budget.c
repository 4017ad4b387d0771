/*
 * Estimates of a replication's memory and events, made from the scenario
 * before world_new allocates anything (connsim issue 17: 4096 client hosts
 * with the largest established hash passed validation, then ran out of
 * memory after 42 s and 8 GiB).
 *
 * The estimate is an upper bound of the same order as the real use, not a
 * measurement: it counts every client host's tables as the models allocate
 * them, and the connections that can be held at once, each for as long as
 * the kernel holds it (the data phase, TIME_WAIT's TCP_TIMEWAIT_LEN = 60 s,
 * conntrack's time_wait timeout), at most what the arrival window opens.
 */
#include "models/budget.h"

#include <math.h>

#include "models/ct.h"
#include "models/ehash.h"
#include "models/port.h"
#include "models/tcp.h"
#include "sim/ev.h"

/* ct.h: a bucket takes 16 bytes, 32 once the table held 2 entries per
 * bucket (ct_bucket_record_bytes); the estimate takes the larger. */
#define CT_BUCKET_BYTES_MAX 32.0
/* Events per connection: handshake (3), request and response with their
 * acknowledgements (4 per exchange), the four-way close (4), timers (the
 * close, TIME_WAIT, conntrack), rounded up. */
#define EVENTS_PER_CONN 12.0
#define EVENTS_PER_EXCHANGE 4.0
/* A time series sample: one double per series, about 64 series. */
#define SAMPLE_BYTES (64.0 * sizeof(double))

static uint64_t limit;
static char limit_name[128] = "the memory limit";

void budget_set_limit(uint64_t max_bytes, const char *what)
{
	limit = max_bytes;
	g_strlcpy(limit_name, what ? what : "the memory limit", sizeof limit_name);
}

uint64_t budget_limit(void)
{
	return limit;
}

const char *budget_limit_name(void)
{
	return limit_name;
}

char *budget_fmt_bytes(double bytes)
{
	static const char *units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	while (bytes >= 1024 && u + 1 < G_N_ELEMENTS(units)) {
		bytes /= 1024;
		u++;
	}
	return u ? g_strdup_printf("%.1f %s", bytes, units[u]) : g_strdup_printf("%.0f bytes", bytes);
}

static double host_tables(const kconf *k)
{
	return (double)tcp_host_record_bytes() + (double)ehash_bytes_for(k->ehash_entries) +
	       (double)port_table_bytes_max();
}

void scn_budget(const scenario *s, budget *b)
{
	*b = (budget){ 0 };
	const wl_spec *w = &s->workload;
	double dur = (double)s->duration / 1e9;
	/* arrivals run from start to stop within the duration */
	double stop = MIN((double)w->stop / 1e9, dur), start = (double)w->start / 1e9;
	double window = stop > start ? stop - start : 0;
	double rate = w->rate * (w->arrival == WL_DIURNAL ? 1 + w->amplitude : 1);
	b->conns = rate * window;
	double exch = w->requests ? w->requests : 1;
	b->events = b->conns * (EVENTS_PER_CONN + EVENTS_PER_EXCHANGE * exch) + (s->sample ? dur / ((double)s->sample / 1e9) : 0);

	b->hosts = s->path.nclients + (s->path.loopback ? 0 : 1);
	b->nclients = s->path.nclients;
	b->ehash_entries = s->client.k.ehash_entries;
	b->host_bytes = host_tables(&s->client.k);
	b->table_bytes = s->path.nclients * (b->host_bytes + 4.0 * s->path.addrs_per_client);
	if (!s->path.loopback)
		b->table_bytes += host_tables(&s->server.k);
	for (unsigned i = 0; i < s->nboxes; i++)
		b->table_bytes += CT_BUCKET_BYTES_MAX * s->boxes[i].k.ct_buckets;

	/* What is held at once: a connection's two sockets for its data phase,
	 * its timewait for TCP_TIMEWAIT_LEN, its conntrack entry in every box
	 * for the data phase and the time_wait timeout (capped by
	 * nf_conntrack_max), each with a pending timer. */
	double life = exch * (double)w->life_mean / 1e9 + (exch - 1) * (double)w->think / 1e9 +
		      (double)w->peer_close_delay / 1e9;
	double socks = 2 * MIN(b->conns, rate * life);
	double tw = MIN(b->conns, rate * 60.0);
	double tw_cap = (double)s->client.k.max_tw_buckets * s->path.nclients +
			(s->path.loopback ? 0 : (double)s->server.k.max_tw_buckets);
	tw = MIN(tw, tw_cap);
	double per_sock = (double)tcp_sock_record_bytes() + 2.0 * tcp_seg_record_bytes() + ev_slot_bytes();
	double per_tw = (double)tcp_tw_record_bytes() + ev_slot_bytes();
	b->live = socks + tw;
	b->live_bytes = socks * per_sock + tw * per_tw;
	for (unsigned i = 0; i < s->nboxes; i++) {
		const kconf *k = &s->boxes[i].k;
		double ct = MIN(b->conns, rate * (life + k->ct_timeout[KCONF_CT_TIME_WAIT]));
		ct = MIN(ct, (double)k->ct_max);
		b->live += ct;
		b->live_bytes += ct * ((double)ct_entry_record_bytes() + ev_slot_bytes());
	}
	b->sample_bytes = s->sample ? dur / ((double)s->sample / 1e9) * SAMPLE_BYTES : 0;
	b->bytes = b->table_bytes + b->live_bytes + b->sample_bytes;
}

char *budget_refusal(const budget *b, uint64_t max_bytes, const char **section, const char **key)
{
	if (b->events > BUDGET_MAX_EVENTS) {
		*section = "workload";
		*key = "rate";
		return g_strdup_printf("an estimated %.3g events (rate x duration: %.3g connections) is over the "
				       "limit of %.0e events, more than a day of simulation; lower the rate or the "
				       "duration",
				       b->events, b->conns, BUDGET_MAX_EVENTS);
	}
	if (!max_bytes || b->bytes <= (double)max_bytes)
		return NULL;
	char *total = budget_fmt_bytes(b->bytes), *lim = budget_fmt_bytes((double)max_bytes);
	char *host = budget_fmt_bytes(b->host_bytes), *live = budget_fmt_bytes(b->live_bytes);
	char *r;
	if (b->table_bytes >= b->live_bytes) {
		*section = "client";
		*key = b->nclients > 1 ? "count" : "thash_entries";
		r = g_strdup_printf("an estimated %s of memory (%u client hosts x %s: ehash of %u entries and port "
				    "table each; %s for connections) is over %s of %s; lower [client] count, "
				    "memory or thash_entries",
				    total, b->nclients, host, b->ehash_entries, live, budget_limit_name(),
				    lim);
	} else {
		*section = "workload";
		*key = "rate";
		r = g_strdup_printf("an estimated %s of memory (%.3g sockets, timewait and conntrack entries held at "
				    "once: %s) is over %s of %s; lower the rate or the connections' life",
				    total, b->live, live, budget_limit_name(), lim);
	}
	g_free(total);
	g_free(lim);
	g_free(host);
	g_free(live);
	return r;
}

bool scn_budget_check(const budget *b, uint64_t max_bytes, GError **err)
{
	const char *section, *key;
	char *why = budget_refusal(b, max_bytes, &section, &key);
	if (!why)
		return true;
	g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "[%s] %s: %s", section, key, why);
	g_free(why);
	return false;
}
