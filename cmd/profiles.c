/*
 * connsim profiles: the kernel profiles, then every rule variant and changed
 * default of each, as a table (a rule per row, a profile per column) whose
 * cells are short variant names, explained under the table.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "models/prof.h"

/* A row: get(p) indexes names (the cell) and what (the legend); with names
 * NULL, get(p) itself is printed (a number). */
typedef struct row {
	const char *label;
	unsigned (*get)(const prof *p);
	const char *const *names;
	const char *const *what;
	const char *(*whatf)(unsigned v);  /* instead of what: prof.h's own description */
} row;

#define GET(fn, expr)                                   \
	static unsigned fn(const prof *p)               \
	{                                               \
		return (unsigned)(expr);                \
	}

/* the TCP side */
GET(g_port, p->port)
GET(g_twtimer, p->twtimer)
GET(g_reuse, p->reuse)
GET(g_reuse_lo, p->reuse_has_loopback)
GET(g_reuse_fw2, p->reuse_skips_fw2)
GET(g_recycle, p->recycle)
GET(g_tsclock, p->ts_ms_clock)
GET(g_tsoff, p->tsoff)
GET(g_rfc1337, p->rfc1337_restarts)
GET(g_ehash, p->ehash_linear_lport)
GET(g_twmib, p->tw_mib_at_schedule)
GET(g_pawstw, p->tw_paws_own_mib)
GET(g_synquick, p->syn_quick_rtx)
GET(g_timerlvl, p->timer_levels)
/* conntrack */
GET(g_ctsize, p->ctsize)
GET(g_ctgc, p->ctgc)
GET(g_ctearly, p->ctearly)
GET(g_ctnext, p->ct_early_next_bucket)
GET(g_ctchain, p->ct_chain_limit)
GET(g_ctsyntw, p->ct_reply_syn_in_tw)
GET(g_ctclash, p->ct_clash_counts_drop)
GET(g_ctfound, p->ct_found_taken_only)
GET(g_ctrst, p->ct_rst_exact_seq)
GET(g_ctpickup, p->ct_pickup_unack_cap)
GET(g_ctsynre, p->ct_syn_retrans_no_renew)
GET(g_ctbytes, p->ct_entry_bytes)
/* NAT */
GET(g_natsearch, p->natsearch)
GET(g_natharder, p->nat_harder)
/* settings a version lacks */
GET(g_randfully, p->has_random_fully)
GET(g_autobind, p->has_autobind_reuse)
GET(g_tsnooff, p->has_ts_no_offset)
GET(g_stepwidth, p->has_port_step_width)
GET(g_sockrange, p->has_sock_port_range && p->sock_range_stride1)
/* defaults */
GET(g_twreuse, p->tw_reuse)
GET(g_portlo, p->port_lo)
GET(g_porthi, p->port_hi)
GET(g_somaxconn, p->somaxconn)
GET(g_synretries, p->syn_retries)
GET(g_synlinear, p->syn_linear_timeouts)
GET(g_twsock, p->tw_sock_bytes)
GET(g_tcpsock, p->tcp_sock_bytes)

/* prof.h's descriptions of its enum variants */
static const char *w_port(unsigned v)
{
	return prof_port_algo_name((port_algo)v);
}

static const char *w_twtimer(unsigned v)
{
	return prof_twtimer_name((prof_twtimer)v);
}

static const char *w_reuse(unsigned v)
{
	return prof_reuse_name((prof_reuse)v);
}

static const char *w_recycle(unsigned v)
{
	return prof_recycle_name((prof_recycle)v);
}

static const char *w_tsoff(unsigned v)
{
	return prof_tsoff_name((prof_tsoff)v);
}

#define S(...) (const char *const[]){ __VA_ARGS__ }
#define NO_YES S("no", "yes")
#define ROW(label, get, names, what) { label, get, names, what, NULL }
#define ROWF(label, get, names, whatf) { label, get, names, NULL, whatf }

static const row rows[] = {
	ROWF("connect() ports", g_port, S("hint", "even", "parity", "perturb256", "perturb"), w_port),
	ROWF("TIME_WAIT timer", g_twtimer, S("deathrow", "oldwheel", "wheel"), w_twtimer),
	ROWF("tw_reuse wait", g_reuse, S("gt1s", "nextsec", "delayms"), w_reuse),
	ROW("tw_reuse = 2", g_reuse_lo, NO_YES, S("values 0/1", "value 2: loopback only (4.19+)")),
	ROW("tw_reuse skips FIN_WAIT2", g_reuse_fw2, NO_YES,
	  S("any timewait minisocket", "never a FIN_WAIT2 minisocket (6.11+)")),
	ROWF("tw_recycle", g_recycle, S("removed", "by-daddr", "by-pair"), w_recycle),
	ROW("timestamp clock", g_tsclock, S("jiffies", "1ms"), S("jiffies", "1 ms clock (4.13+)")),
	ROWF("timestamp offsets", g_tsoff, S("none", "hostpair", "4tuple"), w_tsoff),
	ROW("rfc1337 RST restarts TW", g_rfc1337, NO_YES,
	  S("an ignored RST leaves the timer", "an ignored RST restarts the timer (<= ~5.5)")),
	ROW("ehash index", g_ehash, S("hash", "linear"),
	  S("keyed hash of the 4-tuple", "linear in the local port (6.15+)")),
	ROW("PAWS reject in TIME_WAIT", g_pawstw, S("PAWSEstab", "PAWSTimewait"),
	    S("counted as TcpExtPAWSEstab", "counted as TcpExtPAWSTimewait (6.16+)")),
	ROW("SYN after a bad ACK", g_synquick, S("rto", "2-jiffies"),
	    S("retransmitted when the RTO fires", "first SYN: timer re-armed at 2 jiffies (5.7+)")),
	ROW("timer rounding", g_timerlvl, S("slack", "levels"),
	    S("old wheel: <= 0.4 % late", "wheel levels: up to the level's granularity (4.8+)")),
	ROW("TcpExtTW counted", g_twmib, S("at-fire", "at-schedule"),
	  S("when the timer fires (<= 5.17)", "when the timer is first armed (5.18+)")),
	ROW("ct table size", g_ctsize, S("old", "4g", "5.15"),
	  S("RAM/16384/ptr, 16384 above 1 GB; max = 4 x buckets (<= ~3.18)",
	    "as old, 65536 above 4 GB; max = 4 x buckets (~3.19-5.14)",
	    "RAM/131072, 65536 above 1 GB, 262144 above 4 GB; max = buckets (5.15+)")),
	ROW("ct expiry", g_ctgc, S("timers", "gc-fraction", "gc-full", "gc-avg"),
	  S("a timer per entry (<= ~4.6)", "gc_worker, 1/128 of the table per run (4.7-5.13)",
	    "gc_worker, a full scan every 120 s (5.14-5.18)", "gc_worker, interval from the average timeout (5.19+)")),
	ROW("ct early_drop", g_ctearly, S("oldest", "first", "range8"),
	  S("oldest non-ASSURED of the first bucket having one (<= 3.x)", "first non-ASSURED found (4.x)",
	    "every non-ASSURED of the first of 8 buckets with some (current)")),
	ROW("ct early_drop buckets", g_ctnext, S("hash+i", "next"),
	  S("reciprocal_scale(hash + i): mostly the same bucket (< 5.0)", "the next bucket (5.0+)")),
	ROW("ct chain limit", g_ctchain, NO_YES, S("none", "insert fails past a random 50-79 nodes (5.15+)")),
	ROW("ct REPLY SYN in TIME_WAIT", g_ctsyntw, S("invalid", "syn_sent"),
	  S("INVALID", "SYN_SENT: the server switched role")),
	ROW("ct clash counts drop", g_ctclash, NO_YES, S("insert_failed only", "insert_failed and drop (4.7+)")),
	ROW("ct found counts", g_ctfound, S("lookups", "taken"),
	  S("every successful lookup too (< 4.10)", "nf_conntrack_tuple_taken hits only (4.10+)")),
	ROW("ct RST exact seq", g_ctrst, NO_YES,
	  S("any RST in window closes", "an inexact RST keeps ESTABLISHED (~5.9+)")),
	ROW("ct pickup capped", g_ctpickup, NO_YES,
	  S("no cap", "a pickup without a reply at timeout_unacknowledged (~5.14+)")),
	ROW("ct SYN retrans renews", g_ctsynre, S("renews", "keeps"),
	  S("a retransmitted SYN renews the timeout", "it does not (5.15.y+)")),
	ROW("ct entry bytes", g_ctbytes, NULL, NULL),
	ROW("SNAT port search", g_natsearch, S("rover", "attempts"),
	  S("rover, the whole range one port at a time (<= ~5.0)", "128 attempts, halving rounds (~5.1+)")),
	ROW("SNAT evicts closing", g_natharder, NO_YES,
	  S("no", "evicts a colliding entry in TIME_WAIT/CLOSE (6.5+)")),
	ROW("--random-fully", g_randfully, NO_YES, S("an input error", "available (3.14+)")),
	ROW("ip_autobind_reuse", g_autobind, NO_YES, S("an input error", "available (5.7+)")),
	ROW("tcp_timestamps = 2", g_tsnooff, NO_YES, S("an input error", "available (4.10+)")),
	ROW("IP_LOCAL_PORT_RANGE", g_sockrange, NO_YES,
	    S("an input error", "stride 1, no parity (option 6.3, stride 6.8+)")),
	ROW("ip_local_port_step_width", g_stepwidth, NO_YES, S("an input error", "available (7.1+)")),
	ROW("tcp_tw_reuse default", g_twreuse, NULL, NULL),
	ROW("ip_local_port_range lo", g_portlo, NULL, NULL),
	ROW("ip_local_port_range hi", g_porthi, NULL, NULL),
	ROW("somaxconn", g_somaxconn, NULL, NULL),
	ROW("tcp_syn_retries", g_synretries, NULL, NULL),
	ROW("tcp_syn_linear_timeouts", g_synlinear, NULL, NULL),
	ROW("tw_sock_TCP bytes", g_twsock, NULL, NULL),
	ROW("TCP sock bytes", g_tcpsock, NULL, NULL),
};

#define NROWS (sizeof rows / sizeof rows[0])

static const char *cell(const row *r, const prof *p, char *buf, size_t n)
{
	if (r->names)
		return r->names[r->get(p)];
	snprintf(buf, n, "%u", r->get(p));
	return buf;
}

int cmd_profiles(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: connsim profiles\n\nLists the kernel profiles ([client] profile, [server] profile, "
		       "run --profile),\nthe rule variant each uses, and the defaults that differ between them.\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "connsim profiles: takes no arguments (see connsim profiles --help)\n");
		return EXIT_USAGE;
	}
	size_t n;
	const prof *ps = prof_all(&n);
	for (size_t i = 0; i < n; i++)
		printf("%s: %s\n", ps[i].name, ps[i].kernels);

	/* column widths: the longest label, and per profile its name or cell */
	char buf[32];
	int lw = 4, cw[16] = { 0 };
	if (n > sizeof cw / sizeof cw[0])
		n = sizeof cw / sizeof cw[0];
	for (size_t r = 0; r < NROWS; r++)
		if ((int)strlen(rows[r].label) > lw)
			lw = (int)strlen(rows[r].label);
	for (size_t i = 0; i < n; i++) {
		cw[i] = (int)strlen(ps[i].name);
		for (size_t r = 0; r < NROWS; r++) {
			int l = (int)strlen(cell(&rows[r], &ps[i], buf, sizeof buf));
			if (l > cw[i])
				cw[i] = l;
		}
	}
	printf("\n%-*s", lw, "rule");
	for (size_t i = 0; i < n; i++)
		printf("  %-*s", i + 1 < n ? cw[i] : 0, ps[i].name);
	printf("\n");
	for (size_t r = 0; r < NROWS; r++) {
		printf("%-*s", lw, rows[r].label);
		for (size_t i = 0; i < n; i++)
			printf("  %-*s", i + 1 < n ? cw[i] : 0, cell(&rows[r], &ps[i], buf, sizeof buf));
		printf("\n");
	}

	printf("\nvariants:\n");
	for (size_t r = 0; r < NROWS; r++) {
		if (!rows[r].names)
			continue;
		printf("  %s\n", rows[r].label);
		/* the variants some profile uses, in enum order */
		for (unsigned v = 0; v < 8; v++) {
			bool used = false;
			for (size_t i = 0; i < n && !used; i++)
				used = rows[r].get(&ps[i]) == v;
			if (used)
				printf("    %-12s %s\n", rows[r].names[v],
				       rows[r].whatf ? rows[r].whatf(v) : rows[r].what[v]);
		}
	}
	return EXIT_OK;
}
