/*
 * gwflow: the flow table a managed gateway keeps (models/gw.h): each
 * connection it translates is one flow, found from either side (the
 * client's 4-tuple from behind, the translated one from the destination),
 * and expires from one of a few FIFO queues, each with one fixed delay
 * (an idle timeout, a close hold): pushing at the current time keeps each
 * queue sorted, so expiry is a pop from the head.  A queue entry that a
 * later push made stale (the flow's deadline or queue changed) is skipped
 * when it comes out.  What a flow's expiry means (a timeout counted, a
 * port given back) is the gateway's: it takes due flows with gwflow_due
 * and removes them with gwflow_remove.
 */
#ifndef CONNSIM_GWFLOW_H
#define CONNSIM_GWFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* An address pair and port pair, in the direction the segment travels. */
typedef struct gwflow_key {
	uint32_t a, b;
	uint16_t p, q;
} gwflow_key;

typedef struct gwflow {
	gwflow_key orig;   /* client, server, client port, server port */
	gwflow_key reply;  /* server, gateway address, server port, gateway port */
	ev_time deadline;  /* when it expires from queue q */
	uint32_t who;      /* the gateway's: e.g. which client host */
	uint8_t ai;        /* the gateway's: which of its addresses */
	uint8_t flags;     /* the gateway's: e.g. which FINs it has seen */
	uint8_t state;     /* the gateway's: e.g. closed */
	uint8_t q;         /* the queue of its live deadline */
	uint32_t nq_;      /* private: queue entries naming it */
	bool dead_;        /* private: removed, freed once no entry names it */
} gwflow;

#define GWFLOW_MAXQ 4u

typedef struct gwflow_tab gwflow_tab;

/* A table with nqueues expiry queues (0 .. nqueues-1, at most GWFLOW_MAXQ). */
gwflow_tab *gwflow_new(unsigned nqueues);
void gwflow_free(gwflow_tab *t);

/* The flow whose orig or reply key is k (NULL: none); *is_orig says which. */
gwflow *gwflow_find(const gwflow_tab *t, const gwflow_key *k, bool *is_orig);
/* Whether a flow's reply key is k (the translated 4-tuple is taken). */
bool gwflow_reply_taken(const gwflow_tab *t, const gwflow_key *k);
/* A new flow at now, zeroed but for its keys (neither may be in the table),
 * in no queue until gwflow_arm. */
gwflow *gwflow_add(gwflow_tab *t, const gwflow_key *orig, const gwflow_key *reply, ev_time now);
/* f now expires at deadline from queue q: deadline must be no earlier than
 * any other pushed on q (one fixed delay per queue, pushed at now). */
void gwflow_arm(gwflow_tab *t, gwflow *f, unsigned q, ev_time deadline);
/* The next flow due at now (queues in order 0, 1, ...), *q its queue; the
 * caller removes it (or re-arms it) before asking again.  NULL: none due. */
gwflow *gwflow_due(gwflow_tab *t, ev_time now, unsigned *q);
/* Out of the table at now; f is not to be used after. */
void gwflow_remove(gwflow_tab *t, gwflow *f, ev_time now);
/* Flows in the table: each holds its gateway port (open, or closed and held
 * down), so this is the gateways' ports_held. */
uint32_t gwflow_count(const gwflow_tab *t);
/* g (may be NULL) follows gwflow_count over time.  Before any flow. */
void gwflow_count_gauge(gwflow_tab *t, probe_gauge *g);

/* p rewritten as f translates it: from behind (orig) the source becomes
 * the gateway's address and port, from the destination the destination
 * becomes the client's. */
void gwflow_translate(const gwflow *f, bool orig, tcp_hop_pkt *p);

/* A gateway's counters: cnt[i] is the probe "PREFIXnames[i][0]" (help
 * names[i][1]), or local[i] when ps is NULL.  Its gauge "PREFIXname", or
 * NULL when ps is NULL. */
void gwflow_counters(probe_set *ps, const char *prefix, const char *const (*names)[2], unsigned n, uint64_t *local,
		     uint64_t **cnt);
probe_gauge *gwflow_gauge(probe_set *ps, const char *prefix, const char *name, const char *help);

/* A gateway's records by a 64-bit key (per destination, per VM and
 * destination), each freed by free_record: gwflow_record returns key's,
 * made zeroed (size bytes) on first use. */
GHashTable *gwflow_records_new(GDestroyNotify free_record);
void *gwflow_record(GHashTable *t, uint64_t key, size_t size);

#endif
