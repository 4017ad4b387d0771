/*
 * gw: a NAT that is not the kernel's: a cloud provider's managed gateway or
 * a CNI datapath ([nat] kind = aws-nat-gateway, ...).  It takes the place of
 * conntrack + SNAT in a box: the box hands it every segment (gw_ops.hop)
 * and it rewrites or drops the segment by its own rules, built from its
 * provider's documentation (each module's header cites it).
 *
 * Adding a kind: a module with a constructor from its settings, a case in
 * gw_make and gw_limit (gw.c), its [nat] keys in models/scenario.c's schema
 * (and nat_kind_keys there), its lore entries.
 */
#ifndef CONNSIM_GW_H
#define CONNSIM_GW_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>

#include "models/scenario.h"
#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

typedef struct gw_ops {
	const char *title;  /* "AWS NAT Gateway" */
	/* One segment crossing at now (never earlier than the last call):
	 * rewritten in place, or false when dropped (p->why: TCP_HIT_NAT_FAIL
	 * for a SYN that found no port, else 0). */
	bool (*hop)(void *g, tcp_hop_pkt *p, ev_time now);
	void (*free)(void *g);
} gw_ops;

typedef struct gw {
	const gw_ops *ops;
	void *g;
} gw;

/* The gateway [nat] kind n names, its probes "PREFIX.NAME" in ps (may be
 * NULL); rng: the box's NAT stream, for gateways that draw.  nclients: the
 * client hosts behind it (the VMs, for gateways that allocate per VM).
 * False for kind netfilter (no gateway: conntrack + SNAT). */
bool gw_make(const scn_nat *n, unsigned nclients, probe_set *ps, const char *prefix, gsl_rng *rng, gw *out);

/* What verdict and check say of a gateway's limit.  The scope is what one
 * limit covers (a destination, a VM, the gateway); peak = the probe's
 * peak / per. */
typedef struct gw_limit {
	char what[64];         /* "AWS NAT Gateway ports per destination" */
	char settings[64];     /* the settings that make the limit */
	double limit;          /* ports (connections) per scope */
	char peak_probe[32];   /* probe under the box's prefix: "ports_held" */
	double per;            /* scopes the probe's peak is divided over */
	char fail_probe[32];   /* counter under the box's prefix: "ErrorPortAllocation" */
	char fail_how[64];
	bool has_ceiling;
	double ceiling;        /* new connections per second the limit sustains */
	char ceiling_how[96];
} gw_limit;

/* n's limit for a workload whose connections hold a port for hold_s (the
 * data phase) from nclients hosts to dests destinations (address, port). */
void gw_limit_of(const scn_nat *n, unsigned nclients, unsigned dests, double hold_s, gw_limit *out);

#endif
