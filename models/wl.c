#include "models/wl.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/bug.h"
#include "sim/rng.h"

typedef struct client {
	int host;
	unsigned next_addr;  /* bind = address: round-robin position */
	unsigned next_dest;  /* dest = round_robin: the next address:port pair */
	gsl_rng *arrivals, *choices;
	double frac;         /* ns of the exact arrival time beyond the clock's (in [0, 1)) */
} client;

struct wl {
	ev_loop *L;
	wl_spec s;
	tcp_net *tcp;
	client *clients;
	gsl_rng *server_rng;
	ev_kind k_arrival;
	uint64_t *attempts, *established, *eaddrnotavail, *eaddrinuse, *etimedout, *econnrefused,
		*econnreset, *enetunreach, *requests;
	uint64_t *hit[4], *timedout_by[5];  /* per TCP_HIT_* bit; timedout_by[4]: none recorded */
	uint64_t *hit_hosts[4];   /* client hosts that met each cause, once per window */
	uint8_t *host_hits;       /* per host: the causes counted in hit_hosts */
	unsigned nhosts;
	probe_hist *setup;
	double mean_gap;     /* ns between one client's arrivals, on average */
	bool failed_once;
	ev_time first_failure;
};

static const char *const hit_names[] = {
#define X(bit, name) name,
	TCP_HIT_MAP(X)
#undef X
};

/* Every drawn, summed or multiplied duration is capped at 10^18 ns (about 31
 * years: far beyond any run, and far below ev_time's 1.8e19, so that the
 * engine's now + delay cannot wrap either). */
#define WL_CAP ((ev_time)1000000000000000000ull)

/* A drawn duration in ns, truncated; converting a double beyond ev_time is
 * undefined, hence the cap (NaN, from an infinite mean, caps too). */
static ev_time to_ns(double x)
{
	if (x < 1e18)
		return x > 0 ? (ev_time)x : 0;
	return WL_CAP;
}

static ev_time sat_add(ev_time a, ev_time b)
{
	return a >= WL_CAP || b >= WL_CAP - a ? WL_CAP : a + b;
}

static ev_time sat_mul(ev_time a, ev_time b)
{
	return a && b > WL_CAP / a ? WL_CAP : a * b;
}

/*
 * t + gap, gap in ns as a double.  Truncating every gap to whole ns shortens
 * each by half a ns on average: +7 % on the rate at 1e8/s, and a gap below
 * 1 ns never moves the clock.  With frac, the whole ns of gap + *frac go to
 * the clock and the fraction is carried in *frac, so each arrival lands on
 * the ns of its exact time and the rate is the one asked for.
 *
 * Without frac (NULL) the gap is truncated, as connsim always did: for mean
 * gaps of WL_CARRY_BELOW and more the shortfall is under 5e-6 of the rate,
 * below the Poisson noise of any run of fewer than 4e10 arrivals, and keeping
 * the old arithmetic there keeps the results of every run at ordinary rates
 * (up to 10000 connections/s per client) identical to earlier versions'.
 */
#define WL_CARRY_BELOW 1e5

static ev_time advance(ev_time t, double gap, double *frac)
{
	if (!frac)
		return sat_add(t, to_ns(gap));
	double g = gap + *frac;
	ev_time whole = to_ns(g);
	*frac = whole < WL_CAP ? g - (double)whole : 0;
	return sat_add(t, whole);
}

ev_time wl_draw_life(const wl_spec *s, gsl_rng *r)
{
	double m = (double)s->life_mean;
	switch (s->life) {
	case WL_EXPONENTIAL:
		return to_ns(gsl_ran_exponential(r, m));
	case WL_LOGNORMAL: {
		/* mean m: mu = ln m - sigma^2 / 2 */
		double sg = s->life_sigma, mu = log(m > 1 ? m : 1) - sg * sg / 2;
		return to_ns(gsl_ran_lognormal(r, mu, sg));
	}
	case WL_PARETO: {
		/* mean = alpha xm / (alpha - 1) */
		double a = s->life_shape;
		return to_ns(gsl_ran_pareto(r, a, m * (a - 1) / a));
	}
	case WL_FIXED:
	default:
		return s->life_mean < WL_CAP ? s->life_mean : WL_CAP;
	}
}

ev_time wl_draw_data_phase(const wl_spec *s, gsl_rng *r)
{
	if (s->requests <= 1 || s->life == WL_FIXED) {
		/* no draws: n lives and n - 1 think times, saturated */
		ev_time n = s->requests ? s->requests : 1;
		return sat_add(sat_mul(n, wl_draw_life(s, r)), sat_mul(n - 1, s->think));
	}
	ev_time d = wl_draw_life(s, r);
	/* a connection that outlives the cap needs no more draws */
	for (unsigned k = 1; k < s->requests && d < WL_CAP; k++)
		d = sat_add(d, sat_add(s->think, wl_draw_life(s, r)));
	return d;
}

/* On/off: a Poisson process that runs only during the on periods is a
 * Poisson process in "on time": draw the gap in on time and map it onto
 * the clock, skipping the off periods (exact, no stepping). */
static ev_time onoff_advance(const wl_spec *s, ev_time t, ev_time gap)
{
	ev_time cycle = sat_add(s->on, s->off);
	if (t < s->start)
		t = s->start;
	ev_time phase = (t - s->start) % cycle;
	if (phase >= s->on) {  /* in an off period: to the next on one */
		t = sat_add(t, cycle - phase);
		phase = 0;
	}
	if (gap < s->on - phase)
		return sat_add(t, gap);
	gap -= s->on - phase;
	t = sat_add(t, cycle - phase);             /* start of the next on period */
	return sat_add(t, sat_add(sat_mul(gap / s->on, cycle), gap % s->on));
}

ev_time wl_next_arrival(const wl_spec *s, double mean_gap, ev_time t, double *frac, gsl_rng *r)
{
	if (!(mean_gap < WL_CARRY_BELOW))
		frac = NULL;
	switch (s->arrival) {
	case WL_ONOFF: {
		/* in on time: whole ns onto the clock, the fraction carried */
		ev_time gap = advance(0, gsl_ran_exponential(r, mean_gap), frac);
		return onoff_advance(s, t, gap);
	}
	case WL_DIURNAL: {
		/* Thinning (Lewis & Shedler 1979): candidates at the peak rate
		 * (1 + a) x the mean, each kept with probability lambda(t) / peak. */
		double a = s->amplitude, w = 2 * M_PI / ((double)s->period / 1e9);
		for (;;) {
			t = advance(t, gsl_ran_exponential(r, mean_gap / (1 + a)), frac);
			if (t >= s->stop)
				return t;
			double lam = 1 + a * sin(w * ((double)t / 1e9));
			if (gsl_rng_uniform(r) * (1 + a) < lam)
				return t;
		}
	}
	case WL_CONSTANT:
		return advance(t, mean_gap, frac);
	case WL_POISSON:
	default:
		return advance(t, gsl_ran_exponential(r, mean_gap), frac);
	}
}

static void count_error(wl *w, int err)
{
	if (err != -ECONNRESET && !w->failed_once) {
		w->failed_once = true;
		w->first_failure = ev_now(w->L);
	}
	switch (-err) {
	case EADDRNOTAVAIL: (*w->eaddrnotavail)++; break;
	case EADDRINUSE: (*w->eaddrinuse)++; break;
	case ETIMEDOUT: (*w->etimedout)++; break;
	case ECONNREFUSED: (*w->econnrefused)++; break;
	case ECONNRESET: (*w->econnreset)++; break;
	default: (*w->enetunreach)++; break;
	}
}

static void schedule_next(wl *w, uint32_t ci)
{
	client *c = &w->clients[ci];
	ev_time t = wl_next_arrival(&w->s, w->mean_gap, ev_now(w->L), &c->frac, c->arrivals);
	if (t < w->s.stop)
		ev_at(w->L, t, w->k_arrival, ci, 0);
}

static void on_arrival(void *ctx, uint32_t ci, uint32_t arg)
{
	wl *w = ctx;
	client *c = &w->clients[ci];
	uint32_t daddr;
	uint16_t dport;
	if (w->s.dest == WL_DEST_ROUND_ROBIN) {
		/* no draw from c->choices: the random policy's streams stay as they were */
		unsigned d = c->next_dest;
		daddr = w->s.daddrs[d % w->s.ndaddrs];
		dport = w->s.dports[d / w->s.ndaddrs];
		c->next_dest = (d + 1) % (w->s.ndaddrs * w->s.ndports);
	} else {
		daddr = w->s.daddrs[w->s.ndaddrs > 1 ? rng_below(c->choices, w->s.ndaddrs) : 0];
		dport = w->s.dports[w->s.ndports > 1 ? rng_below(c->choices, w->s.ndports) : 0];
	}
	tcp_connect_opts o = { 0, w->s.bind == WL_BIND_PORT0, w->s.reuseaddr, w->s.port_lo, w->s.port_hi };
	if (w->s.bind == WL_BIND_ADDRESS) {
		unsigned per = w->s.addrs_per_client;
		o.saddr = (*w->s.client_addrs)[(size_t)ci * per + c->next_addr];
		c->next_addr = (c->next_addr + 1) % per;
	}
	uint32_t sk;
	(*w->attempts)++;
	int r = tcp_connect(w->tcp, c->host, daddr, dport, &o, &sk);
	if (r < 0)
		count_error(w, r);
	schedule_next(w, ci);
}

static bool draw_abort(wl *w, gsl_rng *r)
{
	return w->s.abort_fraction > 0 && gsl_rng_uniform(r) < w->s.abort_fraction;
}

static client *client_of(wl *w, int host)
{
	for (unsigned i = 0; i < w->s.nclients; i++)
		if (w->clients[i].host == host)
			return &w->clients[i];
	return &w->clients[0];
}

static void on_connected(void *ctx, int host, uint32_t sk, uint64_t setup_ns)
{
	wl *w = ctx;
	(*w->established)++;
	*w->requests += w->s.requests;
	probe_hist_add(w->setup, setup_ns);
	if (w->s.closer == WL_SERVER)
		return;
	client *c = client_of(w, host);
	tcp_close_after(w->tcp, sk, wl_draw_data_phase(&w->s, c->choices), draw_abort(w, c->choices));
}

static void on_failed(void *ctx, int host, int err, uint64_t started)
{
	wl *w = ctx;
	/* A reset after establishment is counted as such; a failed connect
	 * counts against the attempt. */
	count_error(w, err);
}

static void on_accepted(void *ctx, int host, uint32_t sk)
{
	wl *w = ctx;
	if (w->s.closer == WL_CLIENT)
		return;
	tcp_close_after(w->tcp, sk, wl_draw_data_phase(&w->s, w->server_rng), draw_abort(w, w->server_rng));
}

static ev_time on_peer_closed(void *ctx, int host, uint32_t sk, bool is_client)
{
	wl *w = ctx;
	return w->s.peer_close_delay;
}

/* Each connection counts once per cause its SYNs met; a timed-out one also
 * says which causes its SYNs suffered (none recorded: lost on a link). */
static void on_setup_hits(void *ctx, int host, uint8_t hits, int err)
{
	wl *w = ctx;
	uint8_t first = 0;  /* causes this host meets for the first time in the window */
	if (host >= 0 && (unsigned)host < w->nhosts) {
		first = hits & (uint8_t)~w->host_hits[host];
		w->host_hits[host] |= hits;
	}
	for (unsigned b = 0; b < G_N_ELEMENTS(hit_names); b++)
		if (hits >> b & 1) {
			(*w->hit[b])++;
			if (err == -ETIMEDOUT)
				(*w->timedout_by[b])++;
			if (first >> b & 1)
				(*w->hit_hosts[b])++;
		}
	if (err == -ETIMEDOUT && !hits)
		(*w->timedout_by[G_N_ELEMENTS(hit_names)])++;
}

void wl_window_open(wl *w)
{
	if (w->host_hits)
		memset(w->host_hits, 0, w->nhosts);
}

unsigned wl_client_hosts(const wl *w)
{
	return w->s.nclients;
}

tcp_app wl_tcp_app(wl *w)
{
	return (tcp_app){ w, on_connected, on_failed, on_accepted, on_peer_closed, on_setup_hits };
}

bool wl_first_failure(const wl *w, ev_time *t)
{
	*t = w->first_failure;
	return w->failed_once;
}

wl *wl_new(ev_loop *L, probe_set *ps, const wl_spec *spec, uint64_t seed, uint32_t rep)
{
	wl *w = g_new0(wl, 1);
	w->L = L;
	w->s = *spec;
	w->mean_gap = spec->rate > 0 ? 1e9 * spec->nclients / spec->rate : 0;  /* rate 0: wl_start schedules nothing */
	w->clients = g_new0(client, spec->nclients);
	for (unsigned i = 0; i < spec->nclients; i++) {
		char name[64];
		client *c = &w->clients[i];
		snprintf(name, sizeof(name), "client/%u/arrivals", i);
		c->arrivals = rng_stream(seed, rep, name);
		snprintf(name, sizeof(name), "client/%u/choices", i);
		c->choices = rng_stream(seed, rep, name);
		if (spec->dest == WL_DEST_ROUND_ROBIN) {
			BUG_ON(spec->ndaddrs == 0 || spec->ndports == 0);
			c->next_dest = i % (spec->ndaddrs * spec->ndports);
		}
	}
	w->server_rng = rng_stream(seed, rep, "server/app");
	w->k_arrival = ev_kind_register(L, "arrival", on_arrival, w);
	w->attempts = probe_counter(ps, "conn.attempts", "connect() calls by the workload");
	w->established = probe_counter(ps, "conn.established", "connections that completed the handshake");
	w->eaddrnotavail = probe_counter(ps, "conn.EADDRNOTAVAIL", "connect(): no free local port");
	w->eaddrinuse = probe_counter(ps, "conn.EADDRINUSE", "bind(0): no free port");
	w->etimedout = probe_counter(ps, "conn.ETIMEDOUT", "SYN retries exhausted");
	w->econnrefused = probe_counter(ps, "conn.ECONNREFUSED", "RST in reply to the SYN");
	w->econnreset = probe_counter(ps, "conn.ECONNRESET", "established connection reset by the peer");
	w->enetunreach = probe_counter(ps, "conn.ENETUNREACH", "no host has the destination address");
	w->requests = probe_counter(ps, "conn.requests",
				    "requests of established connections (counted at establishment)");
	char name[64];
	for (unsigned b = 0; b < G_N_ELEMENTS(hit_names); b++) {
		snprintf(name, sizeof name, "conn.hit.%s", hit_names[b]);
		w->hit[b] = probe_counter(ps, name, "connections whose SYNs met this cause (once each)");
	}
	for (unsigned b = 0; b <= G_N_ELEMENTS(hit_names); b++) {
		bool none = b == G_N_ELEMENTS(hit_names);
		snprintf(name, sizeof name, "conn.timedout.%s", none ? "unexplained" : hit_names[b]);
		w->timedout_by[b] = probe_counter(ps, name, none ? "ETIMEDOUT connections whose SYNs met no recorded cause (lost)"
								 : "ETIMEDOUT connections whose SYNs met this cause");
	}
	for (unsigned b = 0; b < G_N_ELEMENTS(hit_names); b++) {
		snprintf(name, sizeof name, "conn.hit_hosts.%s", hit_names[b]);
		w->hit_hosts[b] = probe_counter(ps, name,
						"client hosts with a connection whose SYNs met this cause (each once per window)");
	}
	w->setup = probe_histogram_ns(ps, "conn.setup", "connect() to ESTABLISHED");
	return w;
}

void wl_attach(wl *w, tcp_net *tcp)
{
	w->tcp = tcp;
	/* A fixed life makes every close delay life_mean or peer_close_delay. */
	tcp_set_fixed_delays(tcp, w->s.life == WL_FIXED);
}

void wl_start(wl *w)
{
	w->nhosts = tcp_host_count(w->tcp);
	w->host_hits = g_new0(uint8_t, w->nhosts);
	if (w->s.rate <= 0)
		return;
	for (unsigned i = 0; i < w->s.nclients; i++) {
		client *c = &w->clients[i];
		c->host = w->s.clients[i];  /* hosts exist only once tcp is built */
		/* constant arrivals: the clients' first ones spread over a gap
		 * (of whole ns when the gaps are truncated, see advance) */
		bool carry = w->mean_gap < WL_CARRY_BELOW;
		double spread = (carry ? w->mean_gap : (double)to_ns(w->mean_gap)) * i / w->s.nclients;
		ev_time first = w->s.arrival == WL_CONSTANT
					? advance(w->s.start, spread, carry ? &c->frac : NULL)
					: wl_next_arrival(&w->s, w->mean_gap, w->s.start, &c->frac, c->arrivals);
		if (first < w->s.stop)
			ev_at(w->L, first, w->k_arrival, i, 0);
	}
}

void wl_free(wl *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < w->s.nclients; i++) {
		rng_free(w->clients[i].arrivals);
		rng_free(w->clients[i].choices);
	}
	g_free(w->clients);
	g_free(w->host_hits);
	rng_free(w->server_rng);
	g_free(w);
}
