/*
 * wl: synthetic workloads.  Client hosts open connections to server
 * addresses and ports with constant, Poisson, on/off or diurnal arrivals;
 * each connection carries N requests (1: HTTP/1.0 style), each lasting a
 * drawn time (fixed, exponential, lognormal, Pareto) with a think time
 * between them, and is closed by the client, the server or both; a fraction
 * of closes abort with RST.
 *
 * Outcomes are counted per cause under "conn." probes; a connect() that fails
 * is lost, not retried (the Erlang loss model of doc/kernel-rules.md §9.1).
 */
#ifndef CONNSIM_WL_H
#define CONNSIM_WL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* Each list generates its enum and the configuration schema's choices
 * ("poisson|constant|...", via WL_CHOICES), so that the two cannot drift. */
#define WL_ARRIVALS(X)                                                                              \
	X(WL_POISSON, "poisson")                                                                    \
	X(WL_CONSTANT, "constant")                                                                  \
	X(WL_ONOFF, "onoff")     /* Poisson at rate during fixed on periods, nothing during off ones */ \
	X(WL_DIURNAL, "diurnal") /* Poisson at rate (1 + amplitude sin(2 pi t / period)), by thinning */
#define WL_LIVES(X) X(WL_FIXED, "fixed") X(WL_EXPONENTIAL, "exponential") X(WL_LOGNORMAL, "lognormal") X(WL_PARETO, "pareto")
#define WL_CLOSERS(X) X(WL_CLIENT, "client") X(WL_SERVER, "server") X(WL_BOTH, "both")
#define WL_BINDS(X)                                                                                     \
	X(WL_BIND_NONE, "none")       /* connect() alone */                                             \
	X(WL_BIND_PORT0, "port0")     /* bind(0), then connect() */                                     \
	X(WL_BIND_ADDRESS, "address") /* bind(addr, 0) with IP_BIND_ADDRESS_NO_PORT: addresses in turn */
/* How a connection picks the server's address and port.  random: uniform and
 * independent (a DNS answer or a client library picking at random);
 * round_robin: every address:port pair in turn (a connection pool or a
 * load balancer's upstream list), addresses fastest, each client host from
 * its own position (host i starts at pair i), advancing on every connect()
 * whether it succeeds or not. */
#define WL_DESTS(X) X(WL_DEST_RANDOM, "random") X(WL_DEST_ROUND_ROBIN, "round_robin")

#define WL_ENUM_(e, s) e,
#define WL_CHOICE_(e, s) "|" s
/* "a|b|c" from a list (skipping the leading '|'). */
#define WL_CHOICES(list) (list(WL_CHOICE_) + 1)

typedef enum wl_arrival { WL_ARRIVALS(WL_ENUM_) } wl_arrival;
typedef enum wl_life { WL_LIVES(WL_ENUM_) } wl_life;
typedef enum wl_closer { WL_CLOSERS(WL_ENUM_) } wl_closer;
typedef enum wl_bind { WL_BINDS(WL_ENUM_) } wl_bind;
typedef enum wl_dest { WL_DESTS(WL_ENUM_) } wl_dest;

typedef struct wl_spec {
	wl_arrival arrival;
	double rate;             /* connections per second, over all clients */
	ev_time start, stop;     /* arrivals in [start, stop) */
	ev_time on, off;         /* onoff: period lengths, the first on period from start */
	ev_time period;          /* diurnal: of the sine, phase 0 at time 0 */
	double amplitude;        /* diurnal: in [0, 1] */
	wl_life life;
	ev_time life_mean;       /* mean of one request's duration */
	double life_sigma;       /* lognormal: sigma of the underlying normal */
	double life_shape;       /* pareto: alpha > 1; xm = life_mean (alpha - 1) / alpha */
	unsigned requests;       /* per connection, >= 1 */
	ev_time think;           /* between two requests of a connection */
	wl_closer closer;
	double abort_fraction;   /* closes by SO_LINGER 0 */
	ev_time peer_close_delay;/* the other side's close() after the FIN */
	wl_bind bind;
	bool reuseaddr;
	wl_dest dest;            /* how each connection picks daddrs x dports */
	uint16_t port_lo, port_hi; /* IP_LOCAL_PORT_RANGE on every socket; 0, 0: none */
	const uint32_t *daddrs;
	unsigned ndaddrs;
	const uint16_t *dports;
	unsigned ndports;
	const int *clients;      /* client host ids */
	unsigned nclients;
	/* bind = address: *client_addrs points at nclients x addrs_per_client
	 * addresses (filled once the hosts exist, like clients) */
	uint32_t *const *client_addrs;
	unsigned addrs_per_client;
} wl_spec;

typedef struct wl wl;

/* Registers the "conn.*" probes; tcp must have been created with
 * wl_tcp_app()'s callbacks. */
wl *wl_new(ev_loop *L, probe_set *ps, const wl_spec *spec, uint64_t seed, uint32_t replication);
void wl_free(wl *w);
void wl_attach(wl *w, tcp_net *tcp);
/* The callbacks to give tcp_net_new. */
tcp_app wl_tcp_app(wl *w);
/* Schedules the first arrivals; spec->clients must hold the host ids by now. */
void wl_start(wl *w);

/* When the first connect() failed (any errno but ECONNRESET): the instant
 * the application learnt it.  False when none has. */
bool wl_first_failure(const wl *w, ev_time *t);
/* The measurement window opens: conn.hit_hosts.* count each client host
 * again, once per cause, from now on. */
void wl_window_open(wl *w);
unsigned wl_client_hosts(const wl *w);

/* Draws one request's duration (exposed for tests of the distributions),
 * capped at 10^18 ns. */
ev_time wl_draw_life(const wl_spec *s, gsl_rng *r);
/* The data phase of a connection: requests durations and the think times
 * between them (one life draw when requests = 1), capped at 10^18 ns. */
ev_time wl_draw_data_phase(const wl_spec *s, gsl_rng *r);
/* The next arrival of one client's process after t, whose mean gap is
 * mean_gap ns (1e9 / its rate; onoff: within the on periods; diurnal: over a
 * period); draws from r.  Below a mean gap of 1e5 ns, *frac (start at 0)
 * carries the fraction of a ns between calls, so that the arrivals keep the
 * exact rate; from there on each gap is truncated to whole ns as before (a
 * shortfall under 5e-6 of the rate; see wl.c).  Times saturate at
 * t + 10^18 ns. */
ev_time wl_next_arrival(const wl_spec *s, double mean_gap, ev_time t, double *frac, gsl_rng *r);

#endif
