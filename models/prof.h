/*
 * prof: kernel profiles.  Behaviour that changed across kernel versions is
 * chosen here, never hard-wired in a model (doc/kernel-rules.md §1.4).  A profile
 * is a row of rule variants plus the defaults of the sysctls that changed.
 */
#ifndef CONNSIM_PROF_H
#define CONNSIM_PROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/port.h"

/* How a 60 s TIME_WAIT timer actually fires (doc/kernel-rules.md §2.6). */
typedef enum prof_twtimer {
	TWT_DEATHROW,  /* <= 4.0: 8 slots of 7.5 s, lifetime in (52.5, 60] s */
	TWT_OLDWHEEL,  /* 4.1-4.7: per-socket timer, old wheel slack (<= 0.4 % late) */
	TWT_WHEEL,     /* 4.8+: rounded up to the wheel level's granularity */
} prof_twtimer;

/* tcp_twsk_unique's time condition (doc/kernel-rules.md §4). */
typedef enum prof_reuse {
	REUSE_GT_1S,     /* <= 4.18: get_seconds() - ts_recent_stamp > 1 */
	REUSE_NEXT_SEC,  /* 4.19-6.13: ktime_get_seconds() > ts_recent_stamp */
	REUSE_DELAY_MS,  /* 6.14+: tcp_clock_ms() > tw_entry_stamp + tcp_tw_reuse_delay */
} prof_reuse;

/* tw_recycle's per-peer timestamp cache key (doc/kernel-rules.md §5.3). */
typedef enum prof_recycle {
	RECYCLE_NONE,         /* 4.12+: removed */
	RECYCLE_BY_DADDR,     /* 3.6-3.14: tcp_metrics keyed by destination */
	RECYCLE_BY_PAIR,      /* 3.15-4.11: tcp_metrics keyed by (saddr, daddr) */
} prof_recycle;

/* TCP timestamp value source (doc/kernel-rules.md §5.1). */
typedef enum prof_tsoff {
	TSOFF_NONE,      /* <= 4.9: host-global clock, no offset */
	TSOFF_HOSTPAIR,  /* 4.11+: keyed hash of (saddr, daddr) */
	TSOFF_4TUPLE,    /* 4.10 (95a22caee396) and 7.0 (165573e41f2f, stable 6.12.y, 6.18.y,
			  * 6.19.y): keyed hash of the 4-tuple */
} prof_tsoff;

/* Conntrack table sizing (nf_conntrack_init_start, doc/kernel-rules.md §6.1). */
typedef enum prof_ctsize {
	CTSIZE_OLD,   /* <= ~3.18: RAM/16384/ptr, 16384 above 1 GB, min 32; max = 4 x buckets */
	CTSIZE_4G,    /* ~3.19-5.14: as above, 65536 above 4 GB; max = 4 x buckets */
	CTSIZE_515,   /* 5.15+: RAM/131072, 65536 above 1 GB, 262144 above 4 GB, min 1024; max = buckets */
} prof_ctsize;

/* Conntrack expiry (§6.10): per-entry timers, or absolute timeouts with
 * lazy removal and a periodic gc_worker, whose pacing changed twice. */
typedef enum prof_ctgc {
	CTGC_TIMERS,    /* <= ~4.6: a timer per entry, deletion exactly on time */
	CTGC_FRACTION,  /* 4.7-5.13 (gc_worker, "add gc worker to remove timed-out entries"):
			 * 1/GC_MAX_BUCKETS_DIV of the table per run, adaptive 1-31 jiffy interval */
	CTGC_FULL,      /* 5.14-5.18 (gc_worker, "collect all entries in one cycle"):
			 * a full scan every GC_SCAN_INTERVAL (120 s) */
	CTGC_AVG,       /* 5.19+ [U] (gc_worker's avg_timeout): the interval is the average
			 * remaining timeout, at most GC_SCAN_EXPIRED_MAX removals per slice */
} prof_ctgc;

/* early_drop when the table is full (§6.9). */
typedef enum prof_ctearly {
	CTEARLY_OLDEST,  /* <= 3.x: the oldest non-ASSURED entry of the first bucket having one, >= 8 entries examined */
	CTEARLY_FIRST,   /* 4.x before the rework: the first non-ASSURED entry found */
	CTEARLY_RANGE8,  /* current: every non-ASSURED entry of the first of 8 buckets that has some */
} prof_ctearly;

/* SNAT port search (nf_nat_l4proto_unique_tuple, §7.2-7.3). */
typedef enum prof_natsearch {
	NATSEARCH_ROVER,     /* <= ~5.0: rover, whole range one port at a time */
	NATSEARCH_ATTEMPTS,  /* ~5.1+: 128 attempts, halving rounds, random offsets */
} prof_natsearch;

typedef struct prof {
	const char *name;     /* "3.10", ..., "current" */
	const char *kernels;  /* the versions the profile stands for */
	unsigned version;     /* major * 100 + minor, for "since" messages */
	port_algo port;
	prof_twtimer twtimer;
	prof_reuse reuse;
	prof_recycle recycle;
	prof_tsoff tsoff;
	bool ts_ms_clock;          /* 4.13+: 1 ms clock; else jiffies */
	bool reuse_has_loopback;   /* 4.19+: tcp_tw_reuse = 2 */
	bool reuse_skips_fw2;      /* 6.12+ (6.11.y stable), 0d9e5df4a257 (tcp_twsk_unique): never
				    * reuse a FIN_WAIT2 minisocket */
	bool rfc1337_restarts;     /* <= ~5.5: an ignored RST restarts the timer */
	bool ehash_linear_lport;   /* 6.15+: ehash index linear in the local port */
	prof_ctsize ctsize;
	prof_ctgc ctgc;
	prof_ctearly ctearly;
	bool ct_chain_limit;       /* 5.15+: insert fails on a chain longer than a random 50-79 */
	bool ct_reply_syn_in_tw;   /* REPLY SYN in TIME_WAIT -> SYN_SENT (newer) rather than INVALID [U] */
	unsigned ct_entry_bytes;   /* kernel memory per entry: nf_conn slab + extensions [V/U] */
	/* Slab object sizes (x86_64, /proc/slabinfo objsize), for kmem.* [U]:
	 * tw_sock_TCP (struct tcp_timewait_sock) and TCP (struct tcp_sock). */
	unsigned tw_sock_bytes, tcp_sock_bytes;
	prof_natsearch natsearch;
	bool nat_harder;           /* 6.5+: evict a colliding SNAT entry in TIME_WAIT/CLOSE */
	/* Conntrack rules that changed in one commit each (nf_conntrack_core.c,
	 * nf_conntrack_proto_tcp.c); ct_cfg_rules() hands them to ct_new. */
	bool ct_clash_counts_drop;    /* 4.7+: nf_ct_resolve_clash ("introduce clash resolution on
				       * insertion race") also counts a TCP clash as `drop`; before,
				       * insert_failed only */
	bool ct_found_taken_only;     /* 4.10+: "remove packet hotpath stats": `found` counts
				       * nf_conntrack_tuple_taken hits only; before, every successful
				       * lookup in nf_conntrack_in too [U] */
	bool ct_confirm_counts_insert; /* <= 4.9 [U: version]: __nf_conntrack_confirm counts `insert`
				       * for every entry it confirms; in 4.14 and every later source
				       * only ctnetlink's nf_conntrack_hash_check_insert does, so
				       * `conntrack -S` shows insert=0 on a forwarding box */
	bool ct_early_next_bucket;    /* 5.0+: f393808dc641 "fix calculation of next bucket number in
				       * early_drop"; before, reciprocal_scale(hash + i) found the same
				       * bucket again almost always */
	bool ct_rst_exact_seq;        /* ~5.9+ [U]: be0502a3f2e9 "tcp: only close if RST matches exact
				       * sequence" (nf_conntrack_tcp_packet); a near RST keeps an ASSURED
				       * ESTABLISHED entry for the challenge ACK */
	bool ct_pickup_unack_cap;     /* ~5.14+ [U]: a mid-stream pickup without a reply is capped at
				       * nf_conntrack_tcp_timeout_unacknowledged (nf_conntrack_tcp_packet) */
	bool ct_syn_retrans_no_renew; /* 5.15.y+ [U] (2023 stable): "do not renew timeout on SYN
				       * retransmit" (nf_conntrack_tcp_packet) */
	/* SYN_SENT and the retransmission timer */
	bool syn_quick_rtx;        /* 5.7+ (tcp_rcv_synsent_state_process, "tcp: Reduce SYN resend
				    * delay if a suspicous ACK is received"): an unacceptable ACK to
				    * the first SYN re-arms the retransmission timer at
				    * TCP_TIMEOUT_MIN (2 jiffies) before the RST */
	bool timer_levels;         /* 4.8+ (500462a9de65 "timers: Switch to a non-cascading wheel"):
				    * a timer fires at its level's granularity, rounded up (calc_index);
				    * before, the old wheel's apply_slack (<= 0.4 % late) */
	/* TCP MIB accounting */
	bool tw_paws_own_mib;      /* 6.16+ (c449d5f3a3d7, tcp_timewait_state_process): a segment
				    * PAWS-rejected in TIME_WAIT counts TcpExtPAWSTimewait
				    * (LINUX_MIB_PAWS_TW_REJECTED); before, TcpExtPAWSEstab */
	bool tw_mib_at_schedule;      /* 5.18+: TcpExtTW / TcpExtTWKilled counted when
				       * __inet_twsk_schedule first arms the timer ("tcp/dccp: no longer
				       * use twsk_net(tw) from tw_timer_handler()"); before, when it fires */
	/* settings that exist only from some version (an input error before) */
	bool has_autobind_reuse;   /* 5.7+: net.ipv4.ip_autobind_reuse */
	bool has_ts_no_offset;     /* 4.10+: net.ipv4.tcp_timestamps = 2 */
	bool has_random_fully;     /* 3.14+: MASQUERADE --random-fully */
	bool has_syn_linear_timeouts; /* 6.5+ (ccce324dabfe): net.ipv4.tcp_syn_linear_timeouts */
	bool has_sock_port_range;  /* 6.3 (91d0b78c5177; 6.1.32 stable): the IP_LOCAL_PORT_RANGE
				    * socket option (inet_sk_get_local_port_range) */
	bool sock_range_stride1;   /* 6.8+ (__inet_hash_connect: step = local_ports ? 1 : 2): a
				    * socket with its own range scans it with stride 1, no parity */
	bool has_port_step_width;  /* 7.1 (7da62262ec96, __inet_hash_connect):
				    * net.ipv4.ip_local_port_step_width */
	/* defaults of sysctls that changed */
	int tw_reuse;
	uint16_t port_lo, port_hi;
	unsigned somaxconn;
	unsigned syn_retries;
	unsigned syn_linear_timeouts; /* tcp_syn_linear_timeouts: 4 from 6.5, none (0) before */
} prof;

/* The profile names in order, as the configuration schema's choices; the
 * table in prof.c lists them in the same order (test_prof checks it).
 * "current" is the kernel people run now (7.0's rules, a copy of the row
 * before it); 7.1 comes after it, the next one. */
#define PROF_CHOICES "3.10|4.4|4.10|4.12|5.15|6.8|6.13|6.15|7.0|current|7.1"

const prof *prof_find(const char *name);
/* A kernel release as uname -r and kernel.osrelease give it
 * ("4.15.0-213-generic", "6.18.44-fc-v1272") into major * 100 + minor, the
 * scale of prof.version; false unless it starts with MAJOR.MINOR (minor < 100). */
bool prof_parse_release(const char *release, unsigned *version);
/* The profile nearest a release (major * 100 + minor): the one with the
 * latest first release not after it, where a profile's rules hold from
 *   3.10: any older release   4.4: 4.2   4.10: 4.10   4.12: 4.11   5.15: 5.15
 *   6.8: 6.8   6.13: 6.12 (the FIN_WAIT2 reuse exclusion)   6.15: 6.15
 *   7.0: 7.0   7.1: 7.1
 * so 4.1 -> 3.10, 4.15 -> 4.12, 5.4 -> 4.12, 6.12 -> 6.13, 6.18 -> 6.15,
 * 7.0 -> 7.0 ("current" is never chosen: it is 7.0's copy).  A stable
 * kernel that took a later rule (6.12.y, 6.18.y and 6.19.y took 7.0's
 * timestamp offsets in 2026) is not told apart by its MAJOR.MINOR.
 * Never NULL. */
const prof *prof_for_release(unsigned version);
const prof *prof_default(void);       /* "current" */
const prof *prof_all(size_t *n);
const char *prof_port_algo_name(port_algo a);
const char *prof_twtimer_name(prof_twtimer t);
const char *prof_reuse_name(prof_reuse r);
const char *prof_recycle_name(prof_recycle r);
const char *prof_tsoff_name(prof_tsoff t);

#endif
