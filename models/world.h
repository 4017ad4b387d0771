/*
 * world: assembles a simulated world from a validated configuration: client
 * and server hosts (each a kernel, see kconf), their links, listeners and the
 * workload.  It owns the models; the caller owns the engine, the probes and
 * every output.
 *
 * world_keys is the schema of the [client], [server] and [workload]
 * sections; kconf_sysctl_keys that of the sysctl sections.
 */
#ifndef CONNSIM_WORLD_H
#define CONNSIM_WORLD_H

#include <glib.h>
#include <stdbool.h>

#include "models/box.h"
#include "models/tcp.h"
#include "sim/cfg.h"
#include "sim/ev.h"
#include "sim/probe.h"

extern const cfg_key world_keys[];  /* terminated by name NULL */

typedef struct world world;

/* Loads the sysctl files that [client]/[server] name (sysctl_file), then
 * resolves and checks everything; errors name the file, line and key.
 * ignored receives sysctl names from those files that connsim does not
 * model (may be NULL). */
bool world_load_sysctl_files(cfg *c, GPtrArray *ignored, GError **err);
/* stop: the end of arrivals unless [workload] stop says otherwise. */
world *world_new(const cfg *c, ev_loop *L, probe_set *ps, uint64_t seed, uint32_t replication,
		 ev_time stop, GError **err);
void world_free(world *w);
void world_start(world *w);

/* Describes hosts and settings in force, one line each, for output headers. */
void world_describe(const world *w, GString *out, const char *prefix);
/* Samples occupancy gauges that are levels of tables (ports in use), so that
 * time series and peaks include them; called by the sampler's clock. */
void world_sample(world *w);
tcp_net *world_tcp(world *w);
/* When the first connect() failed (wl_first_failure). */
bool world_first_failure(const world *w, ev_time *t);
/* The measurement window opens (wl_window_open). */
void world_window_open(world *w);
/* Client hosts of the workload (the users behind conn.hit_hosts.*). */
unsigned world_client_hosts(const world *w);

/* The middleboxes on the path, from the client side (chains.csv reads
 * their conntrack tables through box_ct). */
unsigned world_nboxes(const world *w);
const box *world_box(const world *w, unsigned i);

/*
 * Memory the kernel would use for a table, as a linear function of a gauge:
 * bytes = per x gauge + fixed (gauge "" : a constant), so that its
 * time-weighted mean and peak follow the gauge's exactly.
 */
typedef struct world_kmem {
	char name[64];   /* "kmem.client.timewait", ... */
	char gauge[64];  /* "client.timewait", ... or "" */
	double per, fixed;
} world_kmem;
/* Every table's kmem line, in a fixed order; free with g_array_unref. */
GArray *world_kmem_list(const world *w);

/* Port pool N and holding time H for the Erlang B comparison of the
 * single-destination case (linux-rules.md §9.1), from the first client. */
unsigned world_port_pool(const world *w);

#endif
