/*
 * world: wires a simulated world from a scenario: client and server hosts
 * (each a kernel, see kconf), their links, listeners, the middleboxes on the
 * path and the workload.  It checks nothing (the scenario did); it owns the
 * models; the caller owns the scenario, the engine, the probes and every
 * output.
 */
#ifndef CONNSIM_WORLD_H
#define CONNSIM_WORLD_H

#include <glib.h>
#include <stdbool.h>

#include "models/scenario.h"
#include "sim/ev.h"
#include "sim/probe.h"

typedef struct world world;
typedef struct box box;
typedef struct tcp_net tcp_net;

/* sc must outlive the world (the workload reads its addresses and ports). */
world *world_new(const scenario *sc, ev_loop *L, probe_set *ps, uint64_t seed, uint32_t replication,
		 GError **err);
void world_free(world *w);
void world_start(world *w);

/* Describes hosts and settings in force, one line each, for output headers. */
void world_describe(const world *w, GString *out, const char *prefix);
/* Samples occupancy gauges that are levels of tables (ports in use), so that
 * time series and peaks include them; called by the sampler's clock. */
void world_sample(world *w);
tcp_net *world_tcp(world *w);
const tcp_net *world_tcp_const(const world *w);
/* When the first connect() failed (wl_first_failure). */
bool world_first_failure(const world *w, ev_time *t);
/* The measurement window opens (wl_window_open). */
void world_window_open(world *w);
/* Client hosts of the workload (the users behind conn.hit_hosts.*). */
unsigned world_client_hosts(const world *w);
/* The tcp host ids of the first client and of the server (the same host on
 * a loopback path). */
int world_first_client(const world *w);
int world_server(const world *w);
const scenario *world_scenario(const world *w);

/* Observe the world's decisions (models/tap.h): its hosts' TCP and its
 * boxes (box i of world_box is the tap's box i).  NULL detaches. */
typedef struct tap tap;
void world_set_tap(world *w, const tap *t);

/* The middleboxes on the path, from the client side. */
unsigned world_nboxes(const world *w);
const box *world_box(const world *w, unsigned i);

#endif
