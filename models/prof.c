/*
 * The profile matrix of doc/kernel-rules.md §1.4, one row per profile.
 *
 * Slab object sizes for kmem.* (x86_64, [U]: published figures, not measured
 * here): tw_sock_TCP 240 B on 3.x-5.x (/proc/slabinfo objsize as printed on
 * 4.x hosts), 232 B on 6.x (inet_twsk_alloc's tw_sock_TCP cache, as reported
 * for 6.x); TCP (struct tcp_sock) 2240 B up to 5.15 (slabinfo objsize
 * commonly printed on 4.x/5.x), 2664 B from 6.5 (pahole figure in
 * Documentation/networking/net_cachelines/tcp_sock.rst, commit 14006f1d8fa2).
 *
 * The TCP timestamp offset (secure_tcp_ts_off, tcp_v4_init_ts_off; tsc.c):
 * per connection in 4.10 (95a22caee396 "tcp: randomize tcp timestamp
 * offsets for each connection"), per host pair from 4.11 (28ee1b746f49
 * "secure_seq: downgrade to per-host timestamp offsets", because 4.10's broke
 * tw_recycle even without NAT), per 4-tuple again in 7.0 (165573e41f2f: one
 * SipHash of the 4-tuple, secure_tcp_seq_and_ts_off, gives both the ISN and
 * the offset; taken by the 6.12.y, 6.18.y and 6.19.y stable kernels in 2026,
 * from a point release the profiles cannot tell: a 6.12 or 6.18 release maps
 * to its host-pair profile).  "current" is a copy of the 7.0 row; 7.1 adds
 * ip_local_port_step_width, off by default, so with default settings it
 * behaves as 7.0.
 */
#include "models/prof.h"

#include <string.h>

/* 7.0's rules, shared by its row and by `current`, which follows it. */
#define PROF_RULES_7_0 \
		.port = PORT_ALGO_PERTURB, .twtimer = TWT_WHEEL, .reuse = REUSE_DELAY_MS, \
		.recycle = RECYCLE_NONE, .tsoff = TSOFF_4TUPLE, .ts_ms_clock = true, \
		.reuse_has_loopback = true, .reuse_skips_fw2 = true, .ehash_linear_lport = true, \
		.ctsize = CTSIZE_515, .ctgc = CTGC_AVG, .ctearly = CTEARLY_RANGE8, .ct_chain_limit = true, \
		.ct_reply_syn_in_tw = true, .ct_entry_bytes = 320, .natsearch = NATSEARCH_ATTEMPTS, \
		.nat_harder = true, \
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = true, \
		.ct_rst_exact_seq = true, .ct_pickup_unack_cap = true, .ct_syn_retrans_no_renew = true, \
		.syn_quick_rtx = true, .timer_levels = true, .tw_paws_own_mib = true, \
		.tw_mib_at_schedule = true, \
		.tw_sock_bytes = 232, .tcp_sock_bytes = 2664, \
		.has_random_fully = true, .has_ts_no_offset = true, .has_autobind_reuse = true, \
		.has_sock_port_range = true, .sock_range_stride1 = true, \
		.has_syn_linear_timeouts = true, \
		.tw_reuse = 2, .port_lo = 32768, .port_hi = 60999, .somaxconn = 4096, .syn_retries = 6, \
		.syn_linear_timeouts = 4

static const prof profiles[] = {
	{
		.name = "3.10", .kernels = "3.10 (RHEL 7 era; rules of 3.6-4.0)", .version = 310,
		.port = PORT_ALGO_HINT, .twtimer = TWT_DEATHROW, .reuse = REUSE_GT_1S,
		.recycle = RECYCLE_BY_DADDR, .tsoff = TSOFF_NONE, .ts_ms_clock = false,
		.rfc1337_restarts = true,
		.ctsize = CTSIZE_OLD, .ctgc = CTGC_TIMERS, .ctearly = CTEARLY_OLDEST, .ct_entry_bytes = 376,
		.natsearch = NATSEARCH_ROVER,
		.ct_clash_counts_drop = false, .ct_found_taken_only = false, .ct_confirm_counts_insert = true, .ct_early_next_bucket = false,
		.ct_rst_exact_seq = false, .ct_pickup_unack_cap = false, .ct_syn_retrans_no_renew = false,
		.syn_quick_rtx = false, .timer_levels = false, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = false,
		.tw_sock_bytes = 240, .tcp_sock_bytes = 2240,
		.tw_reuse = 0, .port_lo = 32768, .port_hi = 61000, .somaxconn = 128, .syn_retries = 6,
		.syn_linear_timeouts = 0,
	},
	{
		.name = "4.4", .kernels = "4.4 (Ubuntu 16.04; rules of 4.2-4.5)", .version = 404,
		.port = PORT_ALGO_EVEN_HINT, .twtimer = TWT_OLDWHEEL, .reuse = REUSE_GT_1S,
		.recycle = RECYCLE_BY_PAIR, .tsoff = TSOFF_NONE, .ts_ms_clock = false,
		.rfc1337_restarts = true,
		.ctsize = CTSIZE_4G, .ctgc = CTGC_TIMERS, .ctearly = CTEARLY_FIRST, .ct_entry_bytes = 376,
		.natsearch = NATSEARCH_ROVER,
		.ct_clash_counts_drop = false, .ct_found_taken_only = false, .ct_confirm_counts_insert = true, .ct_early_next_bucket = false,
		.ct_rst_exact_seq = false, .ct_pickup_unack_cap = false, .ct_syn_retrans_no_renew = false,
		.syn_quick_rtx = false, .timer_levels = false, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = false,
		.tw_sock_bytes = 240, .tcp_sock_bytes = 2240,
		.has_random_fully = true,
		.tw_reuse = 0, .port_lo = 32768, .port_hi = 60999, .somaxconn = 128, .syn_retries = 6,
		.syn_linear_timeouts = 0,
	},
	{
		.name = "4.10", .kernels = "4.10 (per-connection timestamp offsets, tw_recycle still there)", .version = 410,
		.port = PORT_ALGO_PARITY_HINT, .twtimer = TWT_WHEEL, .reuse = REUSE_GT_1S,
		.recycle = RECYCLE_BY_PAIR, .tsoff = TSOFF_4TUPLE, .ts_ms_clock = false,
		.rfc1337_restarts = true,
		.ctsize = CTSIZE_4G, .ctgc = CTGC_FRACTION, .ctearly = CTEARLY_RANGE8, .ct_entry_bytes = 352,
		.natsearch = NATSEARCH_ROVER,
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = false,
		.ct_rst_exact_seq = false, .ct_pickup_unack_cap = false, .ct_syn_retrans_no_renew = false,
		.syn_quick_rtx = false, .timer_levels = true, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = false,
		.tw_sock_bytes = 240, .tcp_sock_bytes = 2240,
		.has_random_fully = true, .has_ts_no_offset = true,
		.tw_reuse = 0, .port_lo = 32768, .port_hi = 60999, .somaxconn = 128, .syn_retries = 6,
		.syn_linear_timeouts = 0,
	},
	{
		.name = "4.12", .kernels = "4.12 (tw_recycle removed; rules of 4.12)", .version = 412,
		.port = PORT_ALGO_PARITY_HINT, .twtimer = TWT_WHEEL, .reuse = REUSE_GT_1S,
		.recycle = RECYCLE_NONE, .tsoff = TSOFF_HOSTPAIR, .ts_ms_clock = false,
		.rfc1337_restarts = true,
		.ctsize = CTSIZE_4G, .ctgc = CTGC_FRACTION, .ctearly = CTEARLY_RANGE8, .ct_entry_bytes = 352,
		.natsearch = NATSEARCH_ROVER,
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = false,
		.ct_rst_exact_seq = false, .ct_pickup_unack_cap = false, .ct_syn_retrans_no_renew = false,
		.syn_quick_rtx = false, .timer_levels = true, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = false,
		.tw_sock_bytes = 240, .tcp_sock_bytes = 2240,
		.has_random_fully = true, .has_ts_no_offset = true,
		.tw_reuse = 0, .port_lo = 32768, .port_hi = 60999, .somaxconn = 128, .syn_retries = 6,
		.syn_linear_timeouts = 0,
	},
	{
		.name = "5.15", .kernels = "5.15 LTS with the 2022 port-selection fixes", .version = 515,
		.port = PORT_ALGO_PERTURB, .twtimer = TWT_WHEEL, .reuse = REUSE_NEXT_SEC,
		.recycle = RECYCLE_NONE, .tsoff = TSOFF_HOSTPAIR, .ts_ms_clock = true,
		.reuse_has_loopback = true,
		.ctsize = CTSIZE_515, .ctgc = CTGC_FULL, .ctearly = CTEARLY_RANGE8, .ct_chain_limit = true,
		.ct_reply_syn_in_tw = true, .ct_entry_bytes = 320, .natsearch = NATSEARCH_ATTEMPTS,
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = true,
		.ct_rst_exact_seq = true, .ct_pickup_unack_cap = true, .ct_syn_retrans_no_renew = true,
		.syn_quick_rtx = true, .timer_levels = true, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = false,
		.tw_sock_bytes = 240, .tcp_sock_bytes = 2240,
		.has_random_fully = true, .has_ts_no_offset = true, .has_autobind_reuse = true,
		.tw_reuse = 2, .port_lo = 32768, .port_hi = 60999, .somaxconn = 4096, .syn_retries = 6,
		.syn_linear_timeouts = 0,
	},
	{
		.name = "6.8", .kernels = "6.8 (Ubuntu 24.04)", .version = 608,
		.port = PORT_ALGO_PERTURB, .twtimer = TWT_WHEEL, .reuse = REUSE_NEXT_SEC,
		.recycle = RECYCLE_NONE, .tsoff = TSOFF_HOSTPAIR, .ts_ms_clock = true,
		.reuse_has_loopback = true,
		.ctsize = CTSIZE_515, .ctgc = CTGC_AVG, .ctearly = CTEARLY_RANGE8, .ct_chain_limit = true,
		.ct_reply_syn_in_tw = true, .ct_entry_bytes = 320, .natsearch = NATSEARCH_ATTEMPTS,
		/* nf_nat_used_tuple_harder came in 6.5 (doc/kernel-rules.md §7.3); the
		 * reference's profile table shows it from the 6.13 column only */
		.nat_harder = true,
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = true,
		.ct_rst_exact_seq = true, .ct_pickup_unack_cap = true, .ct_syn_retrans_no_renew = true,
		.syn_quick_rtx = true, .timer_levels = true, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = true,
		.tw_sock_bytes = 232, .tcp_sock_bytes = 2664,
		.has_random_fully = true, .has_ts_no_offset = true, .has_autobind_reuse = true,
		.has_sock_port_range = true, .sock_range_stride1 = true,
		.has_syn_linear_timeouts = true,
		.tw_reuse = 2, .port_lo = 32768, .port_hi = 60999, .somaxconn = 4096, .syn_retries = 6,
		.syn_linear_timeouts = 4,
	},
	{
		.name = "6.13", .kernels = "6.13 (FIN_WAIT2 reuse exclusion of 6.12)", .version = 613,
		.port = PORT_ALGO_PERTURB, .twtimer = TWT_WHEEL, .reuse = REUSE_NEXT_SEC,
		.recycle = RECYCLE_NONE, .tsoff = TSOFF_HOSTPAIR, .ts_ms_clock = true,
		.reuse_has_loopback = true, .reuse_skips_fw2 = true,
		.ctsize = CTSIZE_515, .ctgc = CTGC_AVG, .ctearly = CTEARLY_RANGE8, .ct_chain_limit = true,
		.ct_reply_syn_in_tw = true, .ct_entry_bytes = 320, .natsearch = NATSEARCH_ATTEMPTS,
		.nat_harder = true,
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = true,
		.ct_rst_exact_seq = true, .ct_pickup_unack_cap = true, .ct_syn_retrans_no_renew = true,
		.syn_quick_rtx = true, .timer_levels = true, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = true,
		.tw_sock_bytes = 232, .tcp_sock_bytes = 2664,
		.has_random_fully = true, .has_ts_no_offset = true, .has_autobind_reuse = true,
		.has_sock_port_range = true, .sock_range_stride1 = true,
		.has_syn_linear_timeouts = true,
		.tw_reuse = 2, .port_lo = 32768, .port_hi = 60999, .somaxconn = 4096, .syn_retries = 6,
		.syn_linear_timeouts = 4,
	},
	{
		.name = "6.15", .kernels = "6.15-6.19 (tcp_tw_reuse_delay, linear ehash)", .version = 615,
		.port = PORT_ALGO_PERTURB, .twtimer = TWT_WHEEL, .reuse = REUSE_DELAY_MS,
		.recycle = RECYCLE_NONE, .tsoff = TSOFF_HOSTPAIR, .ts_ms_clock = true,
		.reuse_has_loopback = true, .reuse_skips_fw2 = true, .ehash_linear_lport = true,
		.ctsize = CTSIZE_515, .ctgc = CTGC_AVG, .ctearly = CTEARLY_RANGE8, .ct_chain_limit = true,
		.ct_reply_syn_in_tw = true, .ct_entry_bytes = 320, .natsearch = NATSEARCH_ATTEMPTS,
		.nat_harder = true,
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = true,
		.ct_rst_exact_seq = true, .ct_pickup_unack_cap = true, .ct_syn_retrans_no_renew = true,
		.syn_quick_rtx = true, .timer_levels = true, .tw_paws_own_mib = false,
		.tw_mib_at_schedule = true,
		.tw_sock_bytes = 232, .tcp_sock_bytes = 2664,
		.has_random_fully = true, .has_ts_no_offset = true, .has_autobind_reuse = true,
		.has_sock_port_range = true, .sock_range_stride1 = true,
		.has_syn_linear_timeouts = true,
		.tw_reuse = 2, .port_lo = 32768, .port_hi = 60999, .somaxconn = 4096, .syn_retries = 6,
		.syn_linear_timeouts = 4,
	},
	{
		.name = "7.0", .kernels = "7.0 (per-4-tuple TS offsets; stable 6.12.y, 6.18.y, 6.19.y took them)", .version = 700,
		PROF_RULES_7_0
	},
	{
		.name = "current", .kernels = "7.0 (the kernel people run now: a copy of 7.0)", .version = 700,
		PROF_RULES_7_0
	},
	{
		.name = "7.1", .kernels = "7.1 (ip_local_port_step_width)", .version = 701,
		.port = PORT_ALGO_PERTURB, .twtimer = TWT_WHEEL, .reuse = REUSE_DELAY_MS,
		.recycle = RECYCLE_NONE, .tsoff = TSOFF_4TUPLE, .ts_ms_clock = true,
		.reuse_has_loopback = true, .reuse_skips_fw2 = true, .ehash_linear_lport = true,
		.ctsize = CTSIZE_515, .ctgc = CTGC_AVG, .ctearly = CTEARLY_RANGE8, .ct_chain_limit = true,
		.ct_reply_syn_in_tw = true, .ct_entry_bytes = 320, .natsearch = NATSEARCH_ATTEMPTS,
		.nat_harder = true,
		.ct_clash_counts_drop = true, .ct_found_taken_only = true, .ct_confirm_counts_insert = false, .ct_early_next_bucket = true,
		.ct_rst_exact_seq = true, .ct_pickup_unack_cap = true, .ct_syn_retrans_no_renew = true,
		.syn_quick_rtx = true, .timer_levels = true, .tw_paws_own_mib = true,
		.tw_mib_at_schedule = true,
		.tw_sock_bytes = 232, .tcp_sock_bytes = 2664,
		.has_random_fully = true, .has_ts_no_offset = true, .has_autobind_reuse = true,
		.has_sock_port_range = true, .sock_range_stride1 = true,
		.has_syn_linear_timeouts = true, .has_port_step_width = true,
		.tw_reuse = 2, .port_lo = 32768, .port_hi = 60999, .somaxconn = 4096, .syn_retries = 6,
		.syn_linear_timeouts = 4,
	},
};

#define NPROF (sizeof(profiles) / sizeof(profiles[0]))

const prof *prof_find(const char *name)
{
	for (size_t i = 0; i < NPROF; i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

bool prof_parse_release(const char *release, unsigned *version)
{
	unsigned major = 0, minor = 0, nd = 0;
	const char *p = release;
	for (; *p >= '0' && *p <= '9' && nd < 3; p++, nd++)
		major = major * 10 + (unsigned)(*p - '0');
	if (!nd || *p++ != '.')
		return false;
	for (nd = 0; *p >= '0' && *p <= '9' && nd < 3; p++, nd++)
		minor = minor * 10 + (unsigned)(*p - '0');
	if (!nd || minor > 99 || (*p >= '0' && *p <= '9'))
		return false;
	*version = major * 100 + minor;
	return true;
}

/*
 * The first release whose rules each profile models (doc/kernel-rules.md
 * §1.4): a profile's `version` is the release it is named after, but its
 * rules start earlier for 4.4 ("rules of 4.2-4.5": the even-start port
 * search of 4.2) and 6.13 (the FIN_WAIT2 exclusion of 6.11, which 6.8
 * lacks).  3.10 starts at 0: the oldest rules stand for every older kernel.
 */
static const struct {
	const char *name;
	unsigned since;
} release_starts[] = {
	{ "3.10", 0 }, { "4.4", 402 }, { "4.10", 410 }, { "4.12", 411 }, { "5.15", 515 },
	{ "6.8", 608 }, { "6.13", 612 }, { "6.15", 615 }, { "7.0", 700 }, { "7.1", 701 },
};

const prof *prof_for_release(unsigned version)
{
	const prof *best = &profiles[0];
	for (size_t i = 0; i < sizeof(release_starts) / sizeof(release_starts[0]); i++)
		if (release_starts[i].since <= version)
			best = prof_find(release_starts[i].name);
	return best;
}

const prof *prof_default(void)
{
	return prof_find("current");
}

const prof *prof_all(size_t *n)
{
	*n = NPROF;
	return profiles;
}

const char *prof_port_algo_name(port_algo a)
{
	switch (a) {
	case PORT_ALGO_HINT: return "global hint, stride 1 (<=4.1)";
	case PORT_ALGO_EVEN_HINT: return "even start, stride 1 (4.2-4.5)";
	case PORT_ALGO_PARITY_HINT: return "two-pass parity, global hint (4.6-5.11)";
	case PORT_ALGO_PERTURB256: return "RFC 6056 alg. 4, 256 entries (5.12-5.17)";
	case PORT_ALGO_PERTURB: return "RFC 6056 alg. 4, 65536 entries, 10 s salt (5.18+)";
	}
	return "?";
}

const char *prof_twtimer_name(prof_twtimer t)
{
	switch (t) {
	case TWT_DEATHROW: return "death row, 8 x 7.5 s slots: (52.5, 60] s";
	case TWT_OLDWHEEL: return "per-socket timer, old wheel: 60 s + <=0.4 %";
	case TWT_WHEEL: return "per-socket timer, new wheel: 60 s + level granularity";
	}
	return "?";
}

const char *prof_reuse_name(prof_reuse r)
{
	switch (r) {
	case REUSE_GT_1S: return "> 1 s after last timestamp (1-2 s)";
	case REUSE_NEXT_SEC: return "next whole second after last timestamp (0-1 s)";
	case REUSE_DELAY_MS: return "tcp_tw_reuse_delay ms after entering TIME_WAIT";
	}
	return "?";
}

const char *prof_recycle_name(prof_recycle r)
{
	switch (r) {
	case RECYCLE_NONE: return "removed";
	case RECYCLE_BY_DADDR: return "yes, cache keyed by peer address";
	case RECYCLE_BY_PAIR: return "yes, cache keyed by (saddr, daddr)";
	}
	return "?";
}

const char *prof_tsoff_name(prof_tsoff t)
{
	switch (t) {
	case TSOFF_NONE: return "none (host-global clock)";
	case TSOFF_HOSTPAIR: return "random per (saddr, daddr)";
	case TSOFF_4TUPLE: return "random per 4-tuple";
	}
	return "?";
}
