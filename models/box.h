/*
 * box: a Linux middlebox on the path between clients and servers: a NAT
 * gateway (conntrack + SNAT/MASQUERADE) or a stateful firewall (conntrack
 * only).  Every segment crossing it goes through nf_conntrack_in; new
 * connections get their reply tuple from the NAT (nf_nat_setup_info), and
 * packets are translated by their entry (nf_nat_packet): ORIGINAL packets
 * take the REPLY tuple's destination as source, REPLY packets the ORIGINAL
 * source as destination.
 *
 * The TCP layer sees a box only as a hop function (box_hop_tcp, with
 * box_hop_prefetch) on the path.
 */
#ifndef CONNSIM_BOX_H
#define CONNSIM_BOX_H

#include <glib.h>
#include <gsl/gsl_rng.h>
#include <stdbool.h>

#include "models/ct.h"
#include "models/gw.h"
#include "models/kconf.h"
#include "models/nat.h"
#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

typedef struct box box;

/* name: "nat" or "firewall" (probe prefix).  natc: NULL for a firewall.
 * ct_rng, nat_rng: the box's kernel streams for conntrack and for NAT.
 * unseen: the fraction of connections whose teardown the box never sees
 * (asymmetric routing, a lost FIN, a vanished peer), drawn from unseen_rng
 * when their entry is created: their FIN and RST segments pass the box
 * without reaching conntrack (NAT still translates them), so the entry
 * stays ESTABLISHED until nf_conntrack_tcp_timeout_established. */
box *box_new(const char *name, const kconf *k, const nat_cfg *natc, ev_loop *L, probe_set *ps, gsl_rng *ct_rng,
	     gsl_rng *nat_rng, double unseen, gsl_rng *unseen_rng);
/* A gateway ([nat] kind other than netfilter, models/gw.h) in a box made
 * without NAT: segments go through g, which the box owns from here on,
 * instead of conntrack and SNAT (box_nat stays NULL); naddrs: its
 * addresses.  Before any packet. */
void box_set_gw(box *b, const gw *g, unsigned naddrs);
void box_free(box *b);

/* One segment crossing the box (a tcp_hop_fn, for tcp_add_hop): rewritten in
 * place when translated; false when the box drops it.  box_hop_prefetch is
 * its tcp_hop_prefetch_fn. */
bool box_hop_tcp(void *box, tcp_hop_pkt *p);
void box_hop_prefetch(void *box, const tcp_hop_pkt *p);

/* Observe the box's decisions (models/tap.h): conntrack states and
 * timeouts, NAT mappings, early_drop; index is the box's place on the path
 * from the client side.  NULL detaches. */
typedef struct tap tap;
void box_set_tap(box *b, const tap *t, int index);

/* Mixed populations: segments from or to the n addresses from lo (clients
 * that reach the server directly) cross the box untouched, neither tracked
 * nor translated; they still take its delay and loss (the path has one
 * shape).  n = 0: every segment goes through the box. */
void box_set_direct(box *b, uint32_t lo, uint32_t n);

/* peer is another network namespace on owner's host: owner's conntrack gc
 * worker reaps both tables (ct_share_gc).  Before any packet. */
void box_share_host(box *owner, box *peer);

/* What the kernel would use for the table (slab, extensions, buckets). */
size_t box_ct_kernel_bytes(const box *b);
const ct_table *box_ct(const box *b);
const nat *box_nat(const box *b);  /* NULL for a firewall */
const kconf *box_kconf(const box *b);
const char *box_name(const box *b);       /* "nat" or "firewall" */
void box_describe(const box *b, GString *out, const char *prefix);

#endif
