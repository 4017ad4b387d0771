/*
 * budget: what one replication of a scenario will need, estimated before
 * anything is allocated, from the records the models really allocate
 * (ehash_bytes_for, port_table_bytes_max, tcp_*_record_bytes,
 * ct_entry_record_bytes, ev_slot_bytes): the hosts' tables, the
 * connections held at once (sockets, timewait, conntrack entries, their
 * timers) and the samples; and the events, from rate x duration.
 *
 * scn_new refuses a scenario over the process's memory limit (set by the
 * command line, budget_set_limit) or over BUDGET_MAX_EVENTS, naming the key
 * most responsible; a limit of 0 checks the events only.
 */
#ifndef CONNSIM_BUDGET_H
#define CONNSIM_BUDGET_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/scenario.h"

/* More events than this would take over a day at the engine's ~10^7
 * events/s: a typing slip (rate = 1e9), not an experiment. */
#define BUDGET_MAX_EVENTS 1e12

typedef struct budget {
	double conns;        /* connections opened over the run */
	double events;       /* events the engine will run */
	unsigned hosts;      /* client hosts, plus the server unless loopback */
	unsigned nclients;
	uint32_t ehash_entries; /* of a client host */
	double host_bytes;   /* per client host: record, ehash, port table */
	double table_bytes;  /* every host's and box's tables */
	double live;         /* records held at once: sockets, timewait, conntrack */
	double live_bytes;   /* their memory, timers included */
	double sample_bytes; /* time series */
	double bytes;        /* the whole estimate */
} budget;

void scn_budget(const scenario *s, budget *b);

/* Why b is over max_bytes (0: no memory limit) or over BUDGET_MAX_EVENTS,
 * newly allocated, or NULL when it is within; *section and *key name the
 * setting most responsible. */
char *budget_refusal(const budget *b, uint64_t max_bytes, const char **section, const char **key);
/* budget_refusal as a CFG_ERROR_INPUT error without a file. */
bool scn_budget_check(const budget *b, uint64_t max_bytes, GError **err);

/* The memory limit scn_new applies (0: none) and what to call it in
 * messages ("--max-memory 4G"). */
void budget_set_limit(uint64_t max_bytes, const char *what);
uint64_t budget_limit(void);
const char *budget_limit_name(void);

/* "1.5 GiB" (newly allocated). */
char *budget_fmt_bytes(double bytes);

#endif
