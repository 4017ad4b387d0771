/*
 * verdict: what a run says about the limited resources it touched, in the
 * operator's words: for ephemeral ports per destination, TIME_WAIT buckets,
 * conntrack entries and NAT tuples, the peak use against the limit, when it
 * first ran out, the connects that failed because of it, the analytic
 * ceiling where one exists, and which limit binds first.
 *
 * verdict_watch follows the run (called at every sample) to time the first
 * exhaustion; verdict_build reads the scenario, the world and the summary
 * metrics (replica_metrics) into a plain struct that `run` prints and that
 * other commands (check) can reuse; verdict_text and verdict_json format it.
 */
#ifndef CONNSIM_CMD_VERDICT_H
#define CONNSIM_CMD_VERDICT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/scenario.h"
#include "models/world.h"
#include "sim/ev.h"
#include "sim/probe.h"

typedef enum verdict_kind { VERDICT_PORTS, VERDICT_TIMEWAIT, VERDICT_CONNTRACK, VERDICT_NAT } verdict_kind;

#define VERDICT_MAX_RES 8

typedef struct verdict_res {
	verdict_kind kind;
	char id[32];          /* "ports", "timewait.client", "conntrack.firewall", "nat.nat" (JSON key) */
	char what[96];        /* "ephemeral ports per destination (client)" */
	char sysctl[64];      /* the limit, as the operator sets it */
	double limit, peak;   /* peak over the whole run */
	bool ran_out;
	double first_out_s;   /* first sample at which it had run out; < 0: not seen at a sample */
	double failures;      /* what running out did in the window: connects, SYNs, skipped TIME_WAITs */
	char failures_how[64];
	bool has_ceiling;
	double ceiling;       /* connections per second the limit sustains */
	char ceiling_how[96]; /* the formula with its numbers */
} verdict_res;

typedef struct verdict {
	const char *experiment;
	uint64_t seed;
	unsigned hz;              /* the client's CONFIG_HZ, behind every lifetime */
	const char *profile;      /* the client's */
	double tw_s;              /* the client's mean TIME_WAIT (verdict_tw_lifetime) */
	double duration_s, warmup_s;
	double attempts, rate;    /* connect() calls in the window, and per second */
	double fail_fraction;
	/* shares of attempts in the window: EADDRNOTAVAIL (+ EADDRINUSE),
	 * a SYN dropped by a full conntrack table (then retransmitted), a
	 * failed NAT tuple search, the server's PAWS check, ETIMEDOUT */
	double f_addrnotavail, f_ct_drop, f_nat_fail, f_paws, f_timedout;
	bool first_failure_seen;
	double first_failure_s;
	verdict_res res[VERDICT_MAX_RES];
	unsigned nres;
	int binding;              /* index of the limit that binds first; -1: none */
	char binding_why[96];
} verdict;

typedef struct verdict_watch verdict_watch;
verdict_watch *verdict_watch_new(const scenario *sc, probe_set *ps);
/* At a sample instant: notes each resource that has run out by now. */
void verdict_watch_sample(verdict_watch *vw, ev_time now);
void verdict_watch_free(verdict_watch *vw);

/* metrics: replica_metrics of the run (names as in summary.csv). */
void verdict_build(verdict *v, const char *experiment, uint64_t seed, const scenario *sc, const world *W,
		   const verdict_watch *vw, GArray *metrics);

/* The mean TIME_WAIT lifetime of a 60 s timer on a profile at hz
 * (doc/kernel-rules.md §2.6, tw.c tw_expiry), seconds. */
double verdict_tw_lifetime(const kconf *k);

void verdict_text(const verdict *v, GString *out);
void verdict_json(const verdict *v, GString *out);
/* A JSON string literal of s, escaped, as verdict_json writes them. */
void verdict_json_string(GString *out, const char *s);

#endif
