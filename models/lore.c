/*
 * The table behind `connsim explain`: one row per sysctl of the schema
 * (the scenario schema's [sysctl] keys, same order) and per counter the models register.
 * tests/test_lore.c checks that no schema sysctl and no registered counter
 * lacks a row, so a new one cannot ship unexplained.
 *
 * Kernel facts follow doc/kernel-rules.md (section in each row's `rules`);
 * `netstat -s` sentences are net-tools' statistics.c (Tcptab, Tcpexttab);
 * counters it has no sentence for print as "Name: N".
 */
#include "models/lore.h"

#include <glib.h>
#include <string.h>

#include "models/kconf.h"
#include "models/scenario.h"

#define SYSCTL(nm, def_, avail_, what_, kernel_, history_, myths_, shown_, rules_) \
	{ LORE_SYSCTL, nm, NULL, what_, kernel_, history_, myths_, shown_, rules_, def_, avail_, NULL, NULL, NULL, NULL }
#define COUNTER(nm, pat, what_, kernel_, history_, myths_, shown_, rules_, nstat_, netstat_, cts_, cols_) \
	{ LORE_COUNTER, nm, pat, what_, kernel_, history_, myths_, shown_, rules_, LORE_DEF_SCHEMA, LORE_AVAIL_ALL, \
	  nstat_, netstat_, cts_, cols_ }

#define SETTING(nm, what_, source_, myths_, shown_) \
	{ LORE_SETTING, nm, NULL, what_, source_, NULL, myths_, shown_, NULL, LORE_DEF_SCHEMA, LORE_AVAIL_ALL, NULL, \
	  NULL, NULL, NULL }
#define AWS_BASICS "AWS, Amazon VPC User Guide, \"NAT gateway basics\" " \
	"(https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html)"
#define AWS_TROUBLE "AWS, Amazon VPC User Guide, \"Troubleshoot NAT gateways\", and the Knowledge Center page " \
	"\"How do I troubleshoot connectivity issues when I use a NAT gateway on my private Amazon VPC?\" " \
	"(https://repost.aws/knowledge-center/vpc-troubleshoot-nat-gateway-connection)"
#define CIL_CMDREF "Cilium, cilium-agent command reference (https://docs.cilium.io/en/latest/cmdref/cilium-agent/)"
#define CIL_GC "Cilium source, pkg/maps/ctmap/gc/gc.go (getIntervalWithConfig, calculateIntervalWithConfig) and " \
	"pkg/defaults/defaults.go (ConntrackGCStartingInterval 5m, ConntrackGCMinInterval 10s, " \
	"ConntrackGCMaxLRUInterval 12h); models/cilium.c"
#define CIL_NAT "Cilium source, bpf/lib/nat.h (snat_v4_new_mapping, __snat_try_keep_port, " \
	"__snat_clamp_port_range); models/cilium.c"
#define AWS_METRICS "AWS, Amazon VPC User Guide, \"Monitor NAT gateways with Amazon CloudWatch\" " \
	"(namespace AWS/NATGateway); models/natgw_aws.c"
#define AZGW_RESOURCE "Microsoft Learn, \"Azure NAT Gateway resource\" " \
	"(https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource)"
#define AZGW_METRICS "Microsoft Learn, \"Azure NAT Gateway metrics and alerts\" " \
	"(https://learn.microsoft.com/azure/nat-gateway/nat-metrics); models/natgw_azure.c"
#define AZLB_SNAT "Microsoft Learn, \"Source Network Address Translation (SNAT) for outbound connections\" " \
	"(https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections)"
#define AZLB_RULES "Microsoft Learn, \"Outbound rules Azure Load Balancer\" " \
	"(https://learn.microsoft.com/azure/load-balancer/outbound-rules)"
#define AZLB_METRICS "Microsoft Learn, \"Standard Load Balancer diagnostics with metrics, alerts, and resource " \
	"health\" (https://learn.microsoft.com/azure/load-balancer/load-balancer-standard-diagnostics); models/lb_azure.c"

#define GCP_PORTS "Google Cloud, Cloud NAT documentation, \"IP addresses and ports\" " \
	"(https://cloud.google.com/nat/docs/ports-and-addresses)"
#define GCP_API "Google Cloud, Compute Engine API reference, RouterNat " \
	"(https://cloud.google.com/compute/docs/reference/rest/v1/routers)"
#define GCP_METRICS "Google Cloud, Cloud NAT documentation, \"Logs and metrics\" " \
	"(https://cloud.google.com/nat/docs/monitoring), metric compute.googleapis.com/nat/"

#define CT_TIMEOUT_KERNEL \
	"tcp_packet (net/netfilter/nf_conntrack_proto_tcp.c) arms the entry's timeout from tcp_timeouts[] of the " \
	"state the packet moved it to, after each packet"
#define CT_TIMEOUT_RULES "doc/kernel-rules.md §6.4, §6.5"
#define CT_COLUMNS(x) "BOX.ct." x " (BOX is nat or firewall), in timeseries.csv and summary.csv"
#define ROLE_COLUMNS(x) "client." x ", server." x " (summed over the role's hosts), in timeseries.csv and summary.csv"

static const lore table[] = {
	/* ---- sysctls, in the schema's order ------------------------------ */
	SYSCTL("net.ipv4.ip_local_port_range", LORE_DEF_PORT_RANGE, LORE_AVAIL_ALL,
	       "The ports connect() and bind(0) choose from, both ends inclusive.  connect() needs only a 4-tuple "
	       "that is unique, so one port serves many destinations; EADDRNOTAVAIL comes when every port of the "
	       "range is busy towards the same destination address and port.",
	       "inet_get_local_port_range, used by __inet_hash_connect (net/ipv4/inet_hashtables.c) for connect() "
	       "and inet_csk_find_open_port (net/ipv4/inet_connection_sock.c) for bind(0)",
	       "4.2: the default became 32768 60999 (an even-sized range), 32768 61000 before.",
	       "'1024 65000' gives 63976 ports to connect(), minus the listening ports inside the range; a wider "
	       "range postpones exhaustion in proportion, it does not remove it (TIME_WAIT still holds each port "
	       "60 s)\none port number is not one connection: connect() only needs the 4-tuple to be unique, so "
	       "each port serves every other destination",
	       "experiments/default.ini, experiments/lb.ini (variant 'range 1024-65535'), experiments/recipe.ini, "
	       "experiments/memcache.ini, experiments/beacon.ini",
	       "doc/kernel-rules.md §3.1, §3.2, §9.1, §9.7"),
	SYSCTL("net.ipv4.ip_local_reserved_ports", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "Ports that automatic selection (connect(), bind(0)) never picks; an explicit bind() still may.  "
	       "connsim subtracts them from the port pool.",
	       "inet_is_local_reserved_port, checked in __inet_hash_connect (net/ipv4/inet_hashtables.c) and "
	       "inet_csk_find_open_port (net/ipv4/inet_connection_sock.c)",
	       "Present in every profile connsim has.", NULL, NULL, "doc/kernel-rules.md §3.1"),
	SYSCTL("net.ipv4.ip_local_port_step_width", LORE_DEF_SCHEMA, LORE_AVAIL_STEP_WIDTH,
	       "With N > 0, connect()'s port scan walks the range with a random stride drawn on every connect() "
	       "from 1..min(N, range/2) and made coprime with it, instead of consecutive ports of one parity: ports "
	       "are spread more evenly (for firewalls that cannot cope with prompt reuse), and the scan still "
	       "visits every port before EADDRNOTAVAIL.  0 keeps the scan of 5.18+.",
	       "__inet_hash_connect (net/ipv4/inet_hashtables.c), commit 7da62262ec96",
	       "Added in 7.1; setting it on an older profile is an input error.", NULL, NULL,
	       "doc/kernel-rules.md §3.2"),
	SYSCTL("net.ipv4.ip_autobind_reuse", LORE_DEF_SCHEMA, LORE_AVAIL_AUTOBIND,
	       "With 1, bind(0) may share a port among SO_REUSEADDR sockets once the range is exhausted, instead of "
	       "failing with EADDRINUSE (workload bind = port0 with reuseaddr).",
	       "inet_csk_find_open_port / inet_csk_get_port (net/ipv4/inet_connection_sock.c)",
	       "Added in 5.7; setting it on an older profile is an input error.", NULL, NULL,
	       "doc/kernel-rules.md §3.4"),
	SYSCTL("net.ipv4.tcp_tw_reuse", LORE_DEF_TW_REUSE, LORE_AVAIL_ALL,
	       "Lets connect() take over a 4-tuple held by a TIME_WAIT minisocket: 0 never, 1 always, 2 only for "
	       "loopback traffic.  The minisocket must have recorded a timestamp from the peer, and a delay must "
	       "have passed (see History).  Each takeover counts TcpExtTWRecycled.",
	       "tcp_twsk_unique (net/ipv4/tcp_ipv4.c), called by __inet_check_established "
	       "(net/ipv4/inet_hashtables.c) for each busy 4-tuple the connect() scan meets",
	       "<=4.18: values 0/1, default 0, reuse when more than 1 s (wall clock) has passed since the last "
	       "timestamp; 4.19: value 2 (loopback only) added and made the default (79e9fed46080), the wait becomes "
	       "the next whole monotonic second; 6.12: a FIN_WAIT2-substate minisocket is never reused "
	       "(0d9e5df4a257); 6.14: the wait is tcp_tw_reuse_delay ms after entering TIME_WAIT.",
	       "it does not wait for ports to run out: connect() consults it on every TIME_WAIT 4-tuple its scan "
	       "meets, from the first connection on\nit does not help a server: only connect() consults it, so it "
	       "does nothing for a server's TIME_WAIT\nit does nothing without timestamps on both ends "
	       "(tcp_timestamps = 0 means never)",
	       "experiments/lb.ini (variant 'tw_reuse = 1'), experiments/memcache.ini (variant 'tw_reuse = 1')",
	       "doc/kernel-rules.md §4, §9.7"),
	SYSCTL("net.ipv4.tcp_tw_reuse_delay", LORE_DEF_SCHEMA, LORE_AVAIL_REUSE_DELAY,
	       "How long after a minisocket entered TIME_WAIT connect() may reuse its 4-tuple under tcp_tw_reuse, "
	       "in milliseconds (1-60000).",
	       "tcp_twsk_unique (net/ipv4/tcp_ipv4.c): tcp_clock_ms() > tw_entry_stamp + tcp_tw_reuse_delay",
	       "Added in 6.14 (connsim profile current); before, the wait was fixed by the timestamp's second "
	       "(see tcp_tw_reuse).  Setting it on an older profile is an input error.",
	       NULL, NULL, "doc/kernel-rules.md §4"),
	SYSCTL("net.ipv4.tcp_tw_recycle", LORE_DEF_SCHEMA, LORE_AVAIL_RECYCLE,
	       "With 1, a TIME_WAIT whose peer has an entry in the per-peer timestamp cache lasts 3.5 x RTO instead "
	       "of 60 s, and a SYN is dropped silently (TcpExtPAWSPassive) when its peer's cache entry is less than "
	       "60 s old and holds a timestamp newer by more than 1 than the SYN's (on 4.x also a SYN without "
	       "timestamp).",
	       "tcp_time_wait (net/ipv4/tcp_minisocks.c) with tcp_remember_stamp; the SYN check in "
	       "tcp_conn_request (net/ipv4/tcp_input.c; tcp_v4_conn_request in 3.x) through tcp_peer_is_proven "
	       "(net/ipv4/tcp_metrics.c)",
	       "The cache is in inet_peer up to 3.5, in tcp_metrics from 3.6, keyed by peer address up to 3.14 and "
	       "by (saddr, daddr) from 3.15; 4.10's random timestamp offsets made it fail even without NAT; removed "
	       "in 4.12 (4396e46187ca, d82bae12dc38).  Setting it on a 4.12+ profile is an input error.",
	       "it does not just recycle faster: behind a NAT it drops the SYNs of every client whose timestamp "
	       "clock is behind the one that last closed, and from 4.10 even without NAT; it is gone from 4.12",
	       "experiments/recycle-nat.ini, experiments/recipe.ini (variant '4.4 tw_recycle=1')",
	       "doc/kernel-rules.md §5.2-§5.5, §9.6, §9.7"),
	SYSCTL("net.ipv4.tcp_timestamps", LORE_DEF_TIMESTAMPS, LORE_AVAIL_ALL,
	       "Whether SYNs offer the TCP timestamp option: 1 on with a random offset per host pair, 2 on without "
	       "offsets, 0 off.  Without timestamps a TIME_WAIT records none, so tcp_tw_reuse never applies and the "
	       "tw_recycle cache stays empty.",
	       "tcp_syn_options (net/ipv4/tcp_output.c) offers the option; the offset comes from secure_tcp_ts_off "
	       "(net/core/secure_seq.c)",
	       "4.10: random offsets per connection and value 2; 4.11: offsets per (saddr, daddr) (28ee1b746f49); "
	       "4.13: the clock counts milliseconds, not jiffies (9a568de4818d).",
	       "turning timestamps off does not make tcp_tw_reuse more aggressive: it disables it", NULL,
	       "doc/kernel-rules.md §4, §5.1"),
	SYSCTL("net.ipv4.tcp_rfc1337", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "With 1, a TIME_WAIT ignores an in-window RST instead of dying (no TIME_WAIT assassination).  A "
	       "client whose SYN meets a server's TIME_WAIT then keeps failing: its RST no longer clears the way.",
	       "tcp_timewait_state_process (net/ipv4/tcp_minisocks.c)",
	       "~5.6 [U]: an ignored RST no longer restarts the TIME_WAIT timer (connsim: prof.rfc1337_restarts, "
	       "3.10-4.12 profiles).",
	       NULL, NULL, "doc/kernel-rules.md §2.7, §2.8"),
	SYSCTL("net.ipv4.tcp_fin_timeout", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an orphaned socket (closed by the application) waits in FIN_WAIT2 for the peer's FIN, at "
	       "least 3.5 x RTO; past 60 s the first part is spent as a full socket on the keepalive timer.",
	       "tcp_fin_time() (include/net/tcp.h), used by tcp_rcv_state_process (net/ipv4/tcp_input.c, case "
	       "FIN_WAIT1) and __tcp_close (net/ipv4/tcp.c)",
	       "Default TCP_FIN_TIMEOUT = 60 s in every version connsim models.",
	       "it does not shorten TIME_WAIT: TIME_WAIT is TCP_TIMEWAIT_LEN, 60 s, a compile-time constant; "
	       "tcp_fin_timeout = 1 leaves port exhaustion exactly as it was",
	       "experiments/recipe.ini (variant '4.4 fin_timeout=1')", "doc/kernel-rules.md §2.4, §9.7"),
	SYSCTL("net.ipv4.tcp_max_tw_buckets", LORE_DEF_MAX_TW, LORE_AVAIL_ALL,
	       "The most timewait minisockets (TIME_WAIT and FIN_WAIT2 substates together) a host may hold.  Beyond "
	       "it a closing socket skips TIME_WAIT: it is destroyed at once, its port free, and "
	       "TcpExtTCPTimeWaitOverflow counts it.",
	       "inet_twsk_alloc (net/ipv4/inet_timewait_sock.c) refuses, tcp_time_wait (net/ipv4/tcp_minisocks.c) "
	       "counts and calls tcp_done(); the default, ehash entries / 2, is set in tcp_sk_init "
	       "(net/ipv4/tcp_ipv4.c)",
	       "Per network namespace since ~4.11 [U]; old kernels also logged \"TCP: time wait bucket table "
	       "overflow\".",
	       "a small value does not clean TIME_WAIT up safely: it skips TIME_WAIT and its protection against "
	       "old duplicate segments",
	       NULL, "doc/kernel-rules.md §2.5, §8.1, §9.7"),
	SYSCTL("net.ipv4.tcp_syn_retries", LORE_DEF_SYN_RETRIES, LORE_AVAIL_ALL,
	       "SYN retransmissions before connect() fails with ETIMEDOUT: with 6, at 1, 3, 7, 15, 31 and 63 s, "
	       "failure at 127 s.  Each retransmission counts TcpExtTCPSynRetrans.",
	       "tcp_write_timeout (net/ipv4/tcp_timer.c)", "5 before ~3.7 [U], 6 since.", NULL,
	       "experiments/recycle-nat.ini (the 127 s timeouts)", "doc/kernel-rules.md §1.1, §2.2"),
	SYSCTL("net.ipv4.tcp_syn_linear_timeouts", LORE_DEF_SYN_LINEAR, LORE_AVAIL_SYN_LINEAR,
	       "The first N SYN retransmissions keep the initial RTO (1 s) instead of doubling it, and add N to "
	       "tcp_syn_retries: with the defaults 4 and 6, SYNs at 1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s, "
	       "ETIMEDOUT at 131 s.",
	       "tcp_retransmit_timer and tcp_write_timeout (net/ipv4/tcp_timer.c), commit ccce324dabfe",
	       "Added in 6.5 (default 4); setting it on an older profile is an input error.", NULL,
	       "experiments/snat-tsoffset.ini", "doc/kernel-rules.md §2.2"),
	SYSCTL("net.ipv4.tcp_synack_retries", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "SYN-ACK retransmissions of a listener's request socket before it gives up.",
	       "reqsk_timer_handler (net/ipv4/inet_connection_sock.c)", "Default 5 in every profile.", NULL, NULL,
	       "doc/kernel-rules.md §1.1, §2.2"),
	SYSCTL("net.ipv4.tcp_orphan_retries", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "FIN retransmissions of an orphaned socket before it is dropped (TcpExtTCPAbortOnTimeout); 0 means 8 "
	       "for a live peer.",
	       "tcp_orphan_retries() and tcp_write_timeout (net/ipv4/tcp_timer.c)", "Default 0 (= 8).", NULL, NULL,
	       "doc/kernel-rules.md §1.1"),
	SYSCTL("net.netfilter.nf_conntrack_max", LORE_DEF_CT_MAX, LORE_AVAIL_ALL,
	       "The most conntrack entries a box holds.  A new connection past it first tries early_drop (non-"
	       "ASSURED entries; see the counter early_drop for each version's rule), else its packet is dropped "
	       "(counter drop) and the client retransmits its SYN a second later.",
	       "__nf_conntrack_alloc and early_drop (net/netfilter/nf_conntrack_core.c); the default from "
	       "nf_conntrack_init_start",
	       "Default 4 x nf_conntrack_buckets before 5.15, = nf_conntrack_buckets from 5.15 (d532bcd0b269); 8 x "
	       "hashsize when the module parameter is given.",
	       "'nf_conntrack_max = hashsize x 8' means 16 nodes per bucket on average at a full table (two tuples "
	       "per entry), so chains grow unless nf_conntrack_buckets grows with it",
	       "experiments/memcache.ini (variant '4 x table'), experiments/chains.ini, "
	       "experiments/beacon-unseen.ini",
	       "doc/kernel-rules.md §6.1, §6.9, §9.3, §9.7"),
	SYSCTL("net.netfilter.nf_conntrack_buckets", LORE_DEF_CT_BUCKETS, LORE_AVAIL_ALL,
	       "The conntrack hash table's buckets.  Writing it resizes the table but leaves nf_conntrack_max as it "
	       "was.",
	       "nf_conntrack_init_start (default from RAM) and nf_conntrack_hash_resize "
	       "(net/netfilter/nf_conntrack_core.c)",
	       "Default: RAM / 131072 on 64-bit, 16384 above 1 GB (65536 above 4 GB from ~3.19 [U]); from 5.15 "
	       "65536 above 1 GB and 262144 above 4 GB, at least 1024 (d532bcd0b269).  Not rounded to a power of "
	       "two.",
	       NULL, "experiments/chains.ini", "doc/kernel-rules.md §6.1, §6.2, §9.3"),
	SYSCTL("nf_conntrack.hashsize", LORE_DEF_UNSET, LORE_AVAIL_ALL,
	       "The nf_conntrack module parameter given at load: the buckets, and nf_conntrack_max = 8 x hashsize.",
	       "nf_conntrack_init_start (net/netfilter/nf_conntrack_core.c); nf_conntrack_set_hashsize when written "
	       "later",
	       "The 8 x rule holds in every version connsim models.", NULL,
	       "experiments/memcache.ini (hashsize 16384)", "doc/kernel-rules.md §6.1"),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_syn_sent", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an entry that saw only the SYN lives.", CT_TIMEOUT_KERNEL,
	       "2023 (5.15.y stable [U]): a retransmitted SYN no longer renews it; before, each one re-armed it.",
	       NULL, NULL, CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_syn_recv", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an entry lives after the SYN-ACK, until the handshake's last ACK.", CT_TIMEOUT_KERNEL,
	       "Unchanged in the versions connsim models.", NULL, NULL, CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_established", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an ESTABLISHED entry lives without packets: 5 days by default.  A connection whose "
	       "teardown the box never sees holds its entry that long.",
	       CT_TIMEOUT_KERNEL,
	       "~5.14 [U]: a mid-stream pickup without a reply is capped at the unacknowledged timeout.",
	       "an idle connection's entry does not go away with the connection: a vanished peer or an unseen FIN "
	       "leaves it ESTABLISHED for 5 days",
	       "experiments/beacon-unseen.ini", CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_fin_wait", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an entry lives after the first FIN.", CT_TIMEOUT_KERNEL,
	       "Unchanged in the versions connsim models.", NULL, NULL, CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_close_wait", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an entry lives after the first FIN was acknowledged, until the second FIN.",
	       CT_TIMEOUT_KERNEL, "Unchanged in the versions connsim models.", NULL, NULL, CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_last_ack", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an entry lives after the second FIN, until its ACK.", CT_TIMEOUT_KERNEL,
	       "Unchanged in the versions connsim models.", NULL, NULL, CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_time_wait", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long a middlebox keeps a conntrack entry after the connection's last ACK (conntrack's own "
	       "TIME_WAIT state).  A new SYN on the same tuple kills the entry and starts a fresh one; other flows "
	       "whose NAT mapping would collide with it must wait.",
	       CT_TIMEOUT_KERNEL, "Unchanged in the versions connsim models.",
	       "it does not touch TCP's TIME_WAIT: the hosts' sockets are unaffected, so lowering it does not stop "
	       "a client running out of ports; it only empties the box's table sooner",
	       "experiments/beacon.ini (variant 'conntrack TIME_WAIT 1 s'), experiments/memcache.ini",
	       "doc/kernel-rules.md §6.5, §6.8, §9.7"),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_close", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "How long an entry lives after a RST (state CLOSE).", CT_TIMEOUT_KERNEL,
	       "~5.9 [U]: a RST closes the entry only when its sequence number is exact (be0502a3f2e9).", NULL, NULL,
	       CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_max_retrans", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "The cap on an entry's timeout once it has seen nf_conntrack_tcp_max_retrans retransmissions in a "
	       "row (applied when the state's own timeout is longer).",
	       CT_TIMEOUT_KERNEL, "Unchanged in the versions connsim models.", NULL, NULL, CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_timeout_unacknowledged", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "The cap on an entry's timeout while data is unacknowledged in either direction (applied when the "
	       "state's own timeout is longer).",
	       CT_TIMEOUT_KERNEL, "~5.14 [U]: also caps a mid-stream pickup that has seen no reply.", NULL, NULL,
	       CT_TIMEOUT_RULES),
	SYSCTL("net.netfilter.nf_conntrack_tcp_loose", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "With 1, a packet other than a SYN may create an entry (picking up a connection mid-stream, an ACK "
	       "giving ESTABLISHED); with 0 such packets are INVALID and pass untracked (counter invalid).",
	       "tcp_new (net/netfilter/nf_conntrack_proto_tcp.c)", "Default 1 in every profile.", NULL,
	       "experiments/beacon-unseen.ini", "doc/kernel-rules.md §6.7"),
	SYSCTL("net.netfilter.nf_conntrack_tcp_be_liberal", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "With 1, window tracking marks only out-of-window RSTs INVALID.",
	       "tcp_in_window (net/netfilter/nf_conntrack_proto_tcp.c)", "Default 0 in every profile.", NULL, NULL,
	       "doc/kernel-rules.md §6.7"),
	SYSCTL("net.netfilter.nf_conntrack_tcp_max_retrans", LORE_DEF_SCHEMA, LORE_AVAIL_ALL,
	       "Retransmissions in a row after which the nf_conntrack_tcp_timeout_max_retrans cap applies.",
	       "tcp_packet (net/netfilter/nf_conntrack_proto_tcp.c)", "Default 3 in every profile.", NULL, NULL,
	       "doc/kernel-rules.md §6.5"),

	/* ---- TCP counters (models/tcp.c mib_for), per role ---------------- */
	COUNTER("TcpActiveOpens", NULL, "connect() calls that sent a SYN.",
		"TCP_MIB_ACTIVEOPENS in tcp_connect (net/ipv4/tcp_output.c)", NULL, NULL, NULL,
		"doc/kernel-rules.md §2.2", "TcpActiveOpens", "N active connection openings", NULL,
		ROLE_COLUMNS("TcpActiveOpens")),
	COUNTER("TcpPassiveOpens", NULL, "Connections a listener accepted (handshake completed).",
		"TCP_MIB_PASSIVEOPENS in tcp_create_openreq_child (net/ipv4/tcp_minisocks.c)", NULL, NULL, NULL,
		"doc/kernel-rules.md §2.2", "TcpPassiveOpens", "N passive connection openings", NULL,
		ROLE_COLUMNS("TcpPassiveOpens")),
	COUNTER("TcpAttemptFails", NULL, "connect() attempts that failed in SYN_SENT: refused (RST) or timed out.",
		"TCP_MIB_ATTEMPTFAILS in tcp_done (net/ipv4/tcp.c) for a socket in SYN_SENT or SYN_RECV", NULL, NULL,
		NULL, "doc/kernel-rules.md §2.2, §3.6", "TcpAttemptFails", "N failed connection attempts", NULL,
		ROLE_COLUMNS("TcpAttemptFails")),
	COUNTER("TcpEstabResets", NULL,
		"ESTABLISHED or CLOSE_WAIT connections reset by a RST they received.  The kernel counts every move "
		"to CLOSE from those states, so its count also includes the host's own zero-linger closes "
		"(TcpExtTCPAbortOnData), which connsim leaves out.",
		"TCP_MIB_ESTABRESETS in tcp_set_state (net/ipv4/tcp.c) on a move to CLOSE from ESTABLISHED or "
		"CLOSE_WAIT",
		NULL, NULL, NULL, "doc/kernel-rules.md §2.3", "TcpEstabResets", "N connection resets received", NULL,
		ROLE_COLUMNS("TcpEstabResets")),
	COUNTER("TcpOutRsts", NULL, "RST segments sent, by sockets and minisockets alike.",
		"TCP_MIB_OUTRSTS in tcp_v4_send_reset (net/ipv4/tcp_ipv4.c) and tcp_send_active_reset "
		"(net/ipv4/tcp_output.c)",
		NULL, NULL, NULL, "doc/kernel-rules.md §2.7, §2.8", "TcpOutRsts", "N resets sent", NULL,
		ROLE_COLUMNS("TcpOutRsts")),
	COUNTER("TcpExtTW", NULL,
		"Timewait minisockets that ran their normal (60 s) timer: counted at expiry on the 3.10-5.15 "
		"profiles (kernels before 5.18), when the timer is first armed on 6.8 and later, as the kernel "
		"does.",
		"LINUX_MIB_TIMEWAITED: up to 5.17 when the timer fires (inet_twdr_do_twkill_work <= 4.0, "
		"tw_timer_handler 4.1-5.17, net/ipv4/inet_timewait_sock.c); from 5.18 in __inet_twsk_schedule when "
		"first armed",
		"5.18: counted when armed, so a minisocket later reused, reset or reopened counts too.",
		"it is not a count of sockets now in TIME_WAIT (that is the gauge ROLE.timewait); 'fast timer' in "
		"netstat's sentence is historical",
		NULL, "doc/kernel-rules.md §2.6", "TcpExtTW", "N TCP sockets finished time wait in fast timer", NULL,
		ROLE_COLUMNS("TcpExtTW")),
	COUNTER("TcpExtTWKilled", NULL,
		"Timewait minisockets with a short (tcp_tw_recycle, <= 4 s) timeout, counted as TcpExtTW is.",
		"LINUX_MIB_TIMEWAITKILLED in the same places as TcpExtTW, for timeouts <= 4 x HZ "
		"(net/ipv4/inet_timewait_sock.c)",
		"Only tcp_tw_recycle produced such timeouts; none from 4.12.", NULL, "experiments/recipe.ini",
		"doc/kernel-rules.md §2.6, §5.2", "TcpExtTWKilled", "N TCP sockets finished time wait in slow timer",
		NULL, ROLE_COLUMNS("TcpExtTWKilled")),
	COUNTER("TcpExtTWRecycled", NULL,
		"connect() took over a TIME_WAIT 4-tuple (tcp_tw_reuse allowed it).",
		"LINUX_MIB_TIMEWAITRECYCLED in __inet_check_established (net/ipv4/inet_hashtables.c), after "
		"tcp_twsk_unique (net/ipv4/tcp_ipv4.c) allowed the reuse",
		NULL,
		"despite the name and netstat's sentence it counts tcp_tw_reuse, not tcp_tw_recycle",
		"experiments/lb.ini (variant 'tw_reuse = 1')", "doc/kernel-rules.md §2.6, §4", "TcpExtTWRecycled",
		"N time wait sockets recycled by time stamp", NULL, ROLE_COLUMNS("TcpExtTWRecycled")),
	COUNTER("TcpExtTCPTimeWaitOverflow", NULL,
		"A closing socket skipped TIME_WAIT because tcp_max_tw_buckets minisockets already existed; its port "
		"is free at once.",
		"LINUX_MIB_TCPTIMEWAITOVERFLOW in tcp_time_wait (net/ipv4/tcp_minisocks.c) when inet_twsk_alloc "
		"refuses",
		"Old kernels also logged \"TCP: time wait bucket table overflow\"; current ones log nothing.", NULL,
		NULL, "doc/kernel-rules.md §2.5", "TcpExtTCPTimeWaitOverflow", NULL, NULL,
		ROLE_COLUMNS("TcpExtTCPTimeWaitOverflow")),
	COUNTER("TcpExtPAWSPassive", NULL,
		"SYNs a tcp_tw_recycle host dropped because their timestamp was older than its per-peer cache's.",
		"LINUX_MIB_PAWSPASSIVEREJECTED in tcp_conn_request (net/ipv4/tcp_input.c; tcp_v4_conn_request in "
		"3.x) when tcp_peer_is_proven (net/ipv4/tcp_metrics.c) fails",
		"Never counted from 4.12 (tcp_tw_recycle removed); later kernels dropped it from /proc/net/netstat "
		"[U: version].",
		NULL, "experiments/recycle-nat.ini", "doc/kernel-rules.md §5.4", "TcpExtPAWSPassive",
		"N passive connections rejected because of time stamp", NULL, ROLE_COLUMNS("TcpExtPAWSPassive")),
	COUNTER("TcpExtPAWSEstab", NULL,
		"Segments a TIME_WAIT minisocket rejected by PAWS (timestamp older than the last one it saw).",
		"LINUX_MIB_PAWSESTABREJECTED in tcp_timewait_state_process (net/ipv4/tcp_minisocks.c); the kernel "
		"also counts established connections' PAWS rejects here (tcp_validate_incoming), which connsim does "
		"not",
		"6.16: TIME_WAIT rejects count TcpExtPAWSTimewait instead (profiles 7.0, current, 7.1).",
		NULL, NULL, "doc/kernel-rules.md §2.7", "TcpExtPAWSEstab",
		"N packets rejected in established connections because of timestamp", NULL,
		ROLE_COLUMNS("TcpExtPAWSEstab")),
	COUNTER("TcpExtPAWSTimewait", NULL,
		"Segments a TIME_WAIT minisocket rejected by PAWS: on a server, SYNs whose timestamp is older than "
		"the last one of the connection that left the TIME_WAIT (a client behind a NAT with per-4-tuple "
		"timestamp offsets, experiments/snat-tsoffset.ini).",
		"LINUX_MIB_PAWS_TW_REJECTED in tcp_timewait_state_process (net/ipv4/tcp_minisocks.c), commit "
		"c449d5f3a3d7",
		"Added in 6.16; TcpExtPAWSEstab counted these before.", NULL, "experiments/snat-tsoffset.ini",
		"doc/kernel-rules.md §2.7", "TcpExtPAWSTimewait", NULL, NULL, ROLE_COLUMNS("TcpExtPAWSTimewait")),
	COUNTER("TcpExtTCPACKSkippedTimeWait", NULL,
		"Out-of-window ACKs a timewait minisocket did not send because it sent one less than "
		"tcp_invalid_ratelimit (500 ms) ago: the SYN a client retransmits right after resetting gets no "
		"answer.",
		"tcp_timewait_check_oow_rate_limit -> tcp_oow_rate_limited (net/ipv4/tcp_minisocks.c, tcp_input.c); "
		"the FIN_WAIT2 substate's, LINUX_MIB_TCPACKSKIPPEDFINWAIT2 in the kernel, are counted here too",
		NULL, NULL, "experiments/snat-tsoffset.ini", "doc/kernel-rules.md §2.7", "TcpExtTCPACKSkippedTimeWait",
		NULL, NULL, ROLE_COLUMNS("TcpExtTCPACKSkippedTimeWait")),
	COUNTER("TcpExtTCPSynRetrans", NULL, "SYN retransmissions (the SYN_SENT retransmission timer fired).",
		"LINUX_MIB_TCPSYNRETRANS in __tcp_retransmit_skb (net/ipv4/tcp_output.c) for a SYN", NULL, NULL,
		"experiments/recycle-nat.ini", "doc/kernel-rules.md §1.1", "TcpExtTCPSynRetrans", NULL, NULL,
		ROLE_COLUMNS("TcpExtTCPSynRetrans")),
	COUNTER("TcpExtTCPAbortOnTimeout", NULL,
		"Orphaned sockets dropped after their FIN retransmissions (tcp_orphan_retries).  The kernel also "
		"counts a connect() that timed out in SYN_SENT here; connsim counts that as conn.ETIMEDOUT and "
		"TcpAttemptFails only.",
		"LINUX_MIB_TCPABORTONTIMEOUT in tcp_write_err, from tcp_write_timeout (net/ipv4/tcp_timer.c)", NULL,
		NULL, NULL, "doc/kernel-rules.md §1.1", "TcpExtTCPAbortOnTimeout",
		"N connections aborted due to timeout", NULL, ROLE_COLUMNS("TcpExtTCPAbortOnTimeout")),
	COUNTER("TcpExtTCPAbortOnData", NULL,
		"close() with SO_LINGER {1, 0} on an ESTABLISHED or CLOSE_WAIT socket: a RST instead of a FIN, no "
		"TIME_WAIT (workload abort_fraction).",
		"LINUX_MIB_TCPABORTONDATA in __tcp_close (net/ipv4/tcp.c; tcp_close in older kernels), the "
		"zero-linger branch; the kernel also counts data arriving after close() here "
		"(tcp_rcv_state_process)",
		NULL, "despite the name, most of these are zero-linger closes, not unexpected data", NULL,
		"doc/kernel-rules.md §2.3", "TcpExtTCPAbortOnData", "N connections reset due to unexpected data", NULL,
		ROLE_COLUMNS("TcpExtTCPAbortOnData")),
	COUNTER("TcpInSegs", NULL,
		"Segments received by TCP, every kind (SYN, ACK, FIN, RST), counted before the socket lookup; "
		"segments lost on a link or dropped by a middlebox never arrive and are not counted.",
		"TCP_MIB_INSEGS in tcp_v4_rcv (net/ipv4/tcp_ipv4.c)", NULL, NULL, NULL, "doc/kernel-rules.md §2.2",
		"TcpInSegs", "N segments received", NULL, ROLE_COLUMNS("TcpInSegs")),
	COUNTER("TcpOutSegs", NULL,
		"Segments sent, counted when handed to IP (a segment then lost on the wire counts), retransmitted "
		"SYNs and FINs excluded; RSTs, timewait ACKs and every SYN-ACK (retransmitted ones too) included.",
		"TCP_MIB_OUTSEGS in __tcp_transmit_skb (net/ipv4/tcp_output.c: only segments with new sequence "
		"space or none), tcp_make_synack, tcp_v4_send_reset and tcp_v4_send_ack (net/ipv4/tcp_ipv4.c)",
		NULL, NULL, NULL, "doc/kernel-rules.md §2.2, §2.7", "TcpOutSegs", "N segments sent out", NULL,
		ROLE_COLUMNS("TcpOutSegs")),
	COUNTER("TcpRetransSegs", NULL,
		"Segments retransmitted by a socket's timer: SYNs (also TcpExtTCPSynRetrans), SYN-ACKs of a "
		"request socket, including the one a retransmitted SYN gets, and FINs of closing sockets.",
		"TCP_MIB_RETRANSSEGS in __tcp_retransmit_skb (net/ipv4/tcp_output.c) and tcp_rtx_synack "
		"(SYN-ACK, from inet_rtx_syn_ack)",
		NULL, NULL, NULL, "doc/kernel-rules.md §2.2", "TcpRetransSegs", "N segments retransmitted", NULL,
		ROLE_COLUMNS("TcpRetransSegs")),
	COUNTER("TcpExtTCPAbortOnClose", NULL,
		"close() on a socket with unread received data: a RST, no FIN, no TIME_WAIT.  Always 0 in connsim: "
		"its applications read every byte before they close (the data phase is abstracted as read in full), "
		"as drained sockets do; a non-zero value on a real host means an application closed without reading.",
		"LINUX_MIB_TCPABORTONCLOSE in __tcp_close (net/ipv4/tcp.c; tcp_close in older kernels), the "
		"data_was_unread branch",
		NULL, "SO_LINGER 0 closes count TcpExtTCPAbortOnData, not this", NULL, "doc/kernel-rules.md §2.3",
		"TcpExtTCPAbortOnClose", "N connections reset due to early user close", NULL,
		ROLE_COLUMNS("TcpExtTCPAbortOnClose")),
	COUNTER("syn_hit_timewait", NULL,
		"SYNs that met a TIME_WAIT and were answered with an ACK instead of reopening it (the client then "
		"sends a RST and retries); connsim's own counter.",
		"the TCP_TW_ACK verdict of tcp_timewait_state_process (net/ipv4/tcp_minisocks.c); no kernel counter",
		NULL, NULL, "experiments/recycle-nat.ini", "doc/kernel-rules.md §2.7, §2.8", NULL, NULL, NULL,
		ROLE_COLUMNS("syn_hit_timewait")),
	COUNTER("tw_syn_reopen", NULL,
		"SYNs that reopened a TIME_WAIT 4-tuple (newer sequence or timestamp); connsim's own counter.",
		"the TCP_TW_SYN verdict of tcp_timewait_state_process (net/ipv4/tcp_minisocks.c), handled in "
		"tcp_v4_rcv; no kernel counter",
		NULL, NULL, NULL, "doc/kernel-rules.md §2.7", NULL, NULL, NULL, ROLE_COLUMNS("tw_syn_reopen")),

	/* ---- conntrack counters (models/ct.c), per box -------------------- */
	COUNTER("found", NULL,
		"Tuple lookups that found the tuple taken (NAT's search for a free tuple, the 6.5+ eviction probes "
		"included: nf_nat_used_tuple_harder asks nf_conntrack_tuple_taken first); on the 3.10 and 4.4 "
		"profiles also every packet that found its entry.",
		"nf_conntrack_tuple_taken (net/netfilter/nf_conntrack_core.c); <= 4.9 also __nf_conntrack_find_get",
		"4.10: \"remove packet hotpath stats\" left only the tuple_taken hits [U].", NULL, NULL,
		"doc/kernel-rules.md §6.11, §7.1", NULL, NULL, "found", CT_COLUMNS("found")),
	COUNTER("insert", NULL,
		"Entries confirmed (inserted into the table) when their first packet left the box, on the 3.10 and "
		"4.4 profiles; 0 on the others, as `conntrack -S` shows on a forwarding box: only entries inserted "
		"through ctnetlink (conntrack -I) count there.",
		"__nf_conntrack_confirm (net/netfilter/nf_conntrack_core.c) up to 4.9; from 4.14's source on (4.10 "
		"[U]) only nf_conntrack_hash_check_insert, ctnetlink's path",
		"Gone from confirmation by 4.14 (prof.ct_confirm_counts_insert).", NULL, NULL, "doc/kernel-rules.md §6.11", NULL, NULL, "insert", CT_COLUMNS("insert")),
	COUNTER("confirmed", NULL,
		"Entries confirmed (inserted into the table) when their first packet left the box, on every "
		"profile: connsim's own count, which the kernel's `insert` was up to 4.9.",
		"__nf_conntrack_confirm (net/netfilter/nf_conntrack_core.c); no kernel counter from 4.14's source on",
		NULL, NULL, NULL, "doc/kernel-rules.md §6.11", NULL, NULL, NULL, CT_COLUMNS("confirmed")),
	COUNTER("insert_failed", NULL,
		"Confirmation refused: the entry's tuple was already in the table (a NAT choice that collides; TCP "
		"may not merge), or, 5.15+, the chain was too long.  The packet is dropped.",
		"__nf_conntrack_confirm (net/netfilter/nf_conntrack_core.c), after nf_ct_resolve_clash fails",
		"4.7: a TCP clash also counts drop; 5.15: the chain-length limit (chaintoolong) also fails "
		"confirmation.",
		NULL, "experiments/snat-k8s.ini", "doc/kernel-rules.md §6.11, §7.2", NULL, NULL, "insert_failed",
		CT_COLUMNS("insert_failed")),
	COUNTER("drop", NULL,
		"Packets dropped because the table was full (nf_conntrack_max) and early_drop found nothing to "
		"evict, and from 4.7 TCP clashes at confirmation.",
		"__nf_conntrack_alloc (net/netfilter/nf_conntrack_core.c), which logs \"nf_conntrack: table full, "
		"dropping packet\"; nf_ct_resolve_clash for clashes",
		"4.7: clashes count here too.", NULL, "experiments/memcache.ini, experiments/beacon-unseen.ini",
		"doc/kernel-rules.md §6.9, §6.11", NULL, NULL, "drop", CT_COLUMNS("drop")),
	COUNTER("early_drop", NULL,
		"Non-ASSURED entries deleted to make room when the table was full.",
		"early_drop (net/netfilter/nf_conntrack_core.c), called from __nf_conntrack_alloc",
		"<= 3.x one victim, the oldest of the first bucket having one; 4.x the first found; current kernels "
		"every non-ASSURED entry of the first of 8 buckets that has some; ~5.0 fixed the next-bucket "
		"calculation (f393808dc641).",
		NULL, "experiments/memcache.ini", "doc/kernel-rules.md §6.9", NULL, NULL, "early_drop",
		CT_COLUMNS("early_drop")),
	COUNTER("chaintoolong", NULL,
		"Confirmation refused because the bucket's chain was longer than a random limit (50-79); also "
		"counts insert_failed.",
		"__nf_conntrack_confirm (net/netfilter/nf_conntrack_core.c)", "Added in 5.15 (d7e7747ac5c2).", NULL,
		"experiments/chains.ini", "doc/kernel-rules.md §6.2, §6.11", NULL, NULL, "chaintoolong",
		CT_COLUMNS("chaintoolong")),
	COUNTER("invalid", NULL,
		"Packets conntrack could not track (bad flags, out of window, or not a SYN with "
		"nf_conntrack_tcp_loose = 0); they pass untracked.",
		"nf_conntrack_in (net/netfilter/nf_conntrack_core.c) when tcp_error or tcp_packet "
		"(nf_conntrack_proto_tcp.c) rejects the packet",
		NULL, NULL, NULL, "doc/kernel-rules.md §6.4, §6.7", NULL, NULL, "invalid", CT_COLUMNS("invalid")),
	COUNTER("ignore", NULL,
		"Packets the TCP state table answered with IGNORE (sIG): passed, the entry's state unchanged; "
		"connsim's use of the name.",
		"the sIG cells of tcp_conntracks in tcp_packet (net/netfilter/nf_conntrack_proto_tcp.c).  The "
		"kernel's own ignore statistic counted something else (packets already attached to a conntrack, "
		"in nf_conntrack_in) and is gone from current kernels [U: version]",
		NULL, NULL, NULL, "doc/kernel-rules.md §6.4", NULL, NULL, "ignore (older kernels)",
		CT_COLUMNS("ignore")),

	/* ---- SNAT (models/nat.c), connsim's own -------------------------- */
	COUNTER("snat.searches", NULL, "New connections mapped by source NAT.",
		"get_unique_tuple (net/netfilter/nf_nat_core.c); no kernel counter", NULL, NULL,
		"experiments/snat-k8s.ini", "doc/kernel-rules.md §7.1", NULL, NULL, NULL,
		"nat.snat.searches, in timeseries.csv and summary.csv"),
	COUNTER("snat.probes", NULL, "Tuples the NAT looked up in the conntrack table while searching.",
		"nf_nat_used_tuple, from nf_nat_l4proto_unique_tuple (net/netfilter/nf_nat_core.c); no kernel "
		"counter",
		NULL, NULL, "experiments/snat-k8s.ini", "doc/kernel-rules.md §7.2", NULL, NULL, NULL,
		"nat.snat.probes; per search: nat.snat.probes_per_search.*"),
	COUNTER("snat.failed", NULL,
		"Searches that found no free tuple: the last one tried is installed anyway and fails confirmation "
		"(insert_failed), dropping the SYN.",
		"nf_nat_l4proto_unique_tuple (net/netfilter/nf_nat_core.c) running out of attempts; no kernel "
		"counter",
		"~5.1: 128 attempts and halving rounds replace the rover's whole-range walk [U].", NULL,
		"experiments/snat-k8s.ini", "doc/kernel-rules.md §7.2, §7.3, §9.4", NULL, NULL, NULL,
		"nat.snat.failed"),
	COUNTER("snat.evicted", NULL, "Closing entries evicted to free a tuple.",
		"nf_nat_used_tuple_harder (net/netfilter/nf_nat_core.c); no kernel counter", "Added in 6.5.", NULL,
		"experiments/snat-k8s.ini (variant 'kernel 6.8')", "doc/kernel-rules.md §7.2, §7.3", NULL, NULL, NULL,
		"nat.snat.evicted"),
	COUNTER("snat.port_preserved", NULL, "Mappings that kept the client's source port.",
		"get_unique_tuple / nf_nat_l4proto_unique_tuple (net/netfilter/nf_nat_core.c); no kernel counter",
		NULL, NULL, NULL, "doc/kernel-rules.md §7.1", NULL, NULL, NULL, "nat.snat.port_preserved"),
	COUNTER("snat.bysource", NULL, "Mappings reused from an entry with the same original source.",
		"find_appropriate_src (net/netfilter/nf_nat_core.c); no kernel counter", NULL, NULL, NULL,
		"doc/kernel-rules.md §7.1", NULL, NULL, NULL, "nat.snat.bysource"),
	COUNTER("snat.unchecked", NULL,
		"Tuples installed without a lookup: the old rover's last port, or a single --to-ports port.",
		"nf_nat_l4proto_unique_tuple (net/netfilter/nf_nat_core.c); no kernel counter", NULL, NULL, NULL,
		"doc/kernel-rules.md §7.2, §7.3", NULL, NULL, NULL, "nat.snat.unchecked"),

	/* ---- the workload (models/wl.c) and boxes (models/box.c) ---------- */
	COUNTER("conn.attempts", NULL, "connect() calls by the workload.", "the application's connect(); no kernel counter",
		NULL, NULL, NULL, "doc/kernel-rules.md §3.2", NULL, NULL, NULL,
		"conn.attempts; conn.rate and every conn.*.fraction divide by it"),
	COUNTER("conn.established", NULL, "Connections that completed the handshake.",
		"the application's connect() returning 0; no kernel counter", NULL, NULL, NULL,
		"doc/kernel-rules.md §2.2", NULL, NULL, NULL, "conn.established"),
	COUNTER("conn.EADDRNOTAVAIL", NULL, "connect() found no local port whose 4-tuple is free.",
		"__inet_hash_connect (net/ipv4/inet_hashtables.c) returning -EADDRNOTAVAIL; no kernel counter", NULL,
		NULL, "experiments/default.ini, experiments/lb.ini, experiments/beacon.ini", "doc/kernel-rules.md §3.6, §9.1",
		NULL, NULL, NULL, "conn.EADDRNOTAVAIL, conn.EADDRNOTAVAIL.fraction"),
	COUNTER("conn.EADDRINUSE", NULL, "bind(0) found no free port (workload bind = port0).",
		"inet_csk_get_port (net/ipv4/inet_connection_sock.c) returning -EADDRINUSE; no kernel counter", NULL,
		NULL, NULL, "doc/kernel-rules.md §3.4, §3.6", NULL, NULL, NULL,
		"conn.EADDRINUSE, conn.EADDRINUSE.fraction"),
	COUNTER("conn.ETIMEDOUT", NULL, "connect() failed after tcp_syn_retries SYN retransmissions.",
		"tcp_write_timeout / tcp_write_err (net/ipv4/tcp_timer.c); the kernel's counters are "
		"TcpAttemptFails and TcpExtTCPAbortOnTimeout",
		NULL, NULL, "experiments/recycle-nat.ini, experiments/snat-k8s.ini", "doc/kernel-rules.md §2.2", NULL,
		NULL, NULL, "conn.ETIMEDOUT, conn.ETIMEDOUT.fraction, conn.timedout.CAUSE"),
	COUNTER("conn.ECONNREFUSED", NULL, "A RST answered the SYN (nobody listening).",
		"tcp_reset (net/ipv4/tcp_input.c) in SYN_SENT; no kernel counter of its own", NULL, NULL, NULL,
		"doc/kernel-rules.md §3.6", NULL, NULL, NULL, "conn.ECONNREFUSED, conn.ECONNREFUSED.fraction"),
	COUNTER("conn.ECONNRESET", NULL, "An established connection was reset by its peer.",
		"tcp_reset (net/ipv4/tcp_input.c); the kernel counts TcpEstabResets", NULL, NULL, NULL,
		"doc/kernel-rules.md §2.3", NULL, NULL, NULL, "conn.ECONNRESET, conn.ECONNRESET.fraction"),
	COUNTER("conn.ENETUNREACH", NULL,
		"No host of the scenario has the destination address: connsim's stand-in for a destination that "
		"cannot be reached.",
		"in the kernel, ip_route_connect failing in tcp_v4_connect (net/ipv4/tcp_ipv4.c) for want of a "
		"route; no kernel counter",
		NULL, NULL,
		NULL, "doc/kernel-rules.md §3.6", NULL, NULL, NULL, "conn.ENETUNREACH, conn.ENETUNREACH.fraction"),
	COUNTER("conn.requests", NULL, "Requests carried by established connections, counted at establishment.",
		"the workload's own count; no kernel counter", NULL, NULL, NULL, "README, Experiment files", NULL,
		NULL, NULL, "conn.requests"),
	COUNTER("conn.hit.CAUSE", "conn.hit.*",
		"Connections whose SYNs met CAUSE (once each): ct_drop (a full conntrack table), nat_fail (the NAT "
		"found no free tuple), paws_drop (tw_recycle's PAWS check), syn_tw_collision (a server TIME_WAIT).",
		"connsim's attribution of the drops counted by drop, snat.failed/insert_failed, TcpExtPAWSPassive "
		"and syn_hit_timewait; no kernel counter",
		NULL, NULL, "experiments/recycle-nat.ini, experiments/memcache.ini, experiments/snat-k8s.ini",
		"doc/kernel-rules.md §5.4, §6.9, §7.2, §2.8", NULL, NULL, NULL,
		"conn.hit.CAUSE, conn.CAUSE.fraction (summary.csv)"),
	COUNTER("conn.timedout.CAUSE", "conn.timedout.*",
		"Of the ETIMEDOUT connections, those whose SYNs met CAUSE; conn.timedout.unexplained: none of the "
		"causes (SYNs lost on a link or in a box).",
		"connsim's attribution; no kernel counter", NULL, NULL, "experiments/recycle-nat.ini",
		"doc/kernel-rules.md §2.2", NULL, NULL, NULL, "conn.timedout.CAUSE"),
	COUNTER("conn.hit_hosts.CAUSE", "conn.hit_hosts.*",
		"Client hosts (users) with at least one connection in conn.hit.CAUSE, each once per window.",
		"connsim's attribution; no kernel counter", NULL, NULL, "experiments/recycle-nat.ini",
		"doc/kernel-rules.md §5.4, §9.6", NULL, NULL, NULL,
		"conn.hit_hosts.CAUSE, conn.CAUSE.host_fraction (summary.csv)"),
	COUNTER("unseen_teardowns", NULL,
		"Connections whose FIN/RST a box never saw (workload unseen_teardown): their entry stays "
		"ESTABLISHED.",
		"a scenario input (asymmetric routing, a vanished peer); no kernel counter", NULL, NULL,
		"experiments/beacon-unseen.ini", "doc/kernel-rules.md §6.5", NULL, NULL, NULL,
		"BOX.unseen_teardowns (BOX is nat or firewall)"),
	SETTING("nat.kind",
		"What the [nat] box is: netfilter (a Linux box: conntrack and MASQUERADE/SNAT, the default) or "
		"aws-nat-gateway (an AWS NAT Gateway: its own flow table, no conntrack, the nat.connections_per_destination, "
		"nat.idle_timeout and nat.close_hold settings, counters under AWS's CloudWatch metric names), "
		"gcp-cloud-nat (a Google Cloud NAT gateway: ports per VM, nat.min_ports_per_vm and the other settings "
		"under Google's names, counters under its nat/ metric names), cilium (a Kubernetes node's Cilium eBPF "
		"datapath with BPF masquerading: LRU conntrack and NAT maps freed only by the agent's garbage collector, "
		"the settings under Cilium's flag names, nat.bpf-ct-global-tcp-max ...), azure-nat-gateway (an Azure NAT "
		"Gateway: 64,512 SNAT ports per public IP shared on demand, port reuse timers, counters under Azure "
		"Monitor's names) or azure-lb-outbound (an Azure load balancer's outbound SNAT: ports preallocated per "
		"backend instance).",
		"models/natgw_aws.h, models/natgw_gcp.h, models/cilium.h, models/natgw_azure.h and models/lb_azure.h list "
		"the documents and source each is built from and what is assumed.", NULL,
		"experiments/aws-natgw.ini, experiments/gcp-cloud-nat.ini, experiments/cilium-snat.ini, "
		"experiments/azure-natgw.ini, experiments/azure-lb-outbound.ini"),
	SETTING("nat.connections_per_destination",
		"aws-nat-gateway: simultaneous connections each gateway address carries to one unique destination "
		"(destination address, port, protocol); one more SYN to it fails and counts ErrorPortAllocation.  "
		"Each of up to 8 addresses ([nat] addresses) adds as many.  Lower it only to test or to scale an "
		"experiment down.",
		AWS_BASICS ": \"Each IPv4 address can support up to 55,000 simultaneous connections to each unique "
		"destination\"; one primary and up to seven secondary addresses.",
		"55,000 per gateway: it is per address and per destination; a second address doubles it, a second "
		"destination port or address has its own 55,000.",
		"experiments/aws-natgw.ini"),
	SETTING("nat.idle_timeout",
		"aws-nat-gateway: an open connection with no segment for this long times out: its port is free and "
		"IdleTimeoutCount counts it; its later segments are dropped (AWS answers them with RST; a hop in "
		"connsim cannot, so they are dropped).",
		AWS_TROUBLE ": a connection idle for 350 seconds or more times out.", NULL, NULL),
	SETTING("nat.close_hold",
		"aws-nat-gateway: how long a closed connection (RST either way, or the ACK after FINs both ways) keeps "
		"its port before the same destination may have it again.  An assumption: AWS documents no TIME_WAIT "
		"of the gateway's own; the default 0 frees the port at once.",
		"none (assumed)", NULL, NULL),
	SETTING("nat.min_ports_per_vm",
		"gcp-cloud-nat: the ports each VM (each client address behind the gateway) is given on one NAT "
		"address, rounded up to a power of 2.  A NAT address and port carry one connection to each "
		"destination (address, port, protocol), so a VM has at most this many connections open or in "
		"TIME_WAIT to one destination; its next SYN is dropped (dropped_sent_packets_count, OUT_OF_RESOURCES).  "
		"One NAT address serves floor(64,512 / ports) VMs; a VM beyond gets none (nat_allocation_failed).  "
		"Default 64; 32 with dynamic allocation, where it must be a power of 2 of at least 32.",
		GCP_PORTS ": 64,512 ports per NAT address, 64 per VM by default; " GCP_API
		": minPortsPerVm \"is rounded up to the nearest power of 2\".",
		"64 ports per VM is not 64 connections per VM: it is 64 per destination; but with TIME_WAIT at 120 s a "
		"VM opening short connections to one API endpoint gets only 64 / (life + 120 s) per second, about "
		"0.5/s.", "experiments/gcp-cloud-nat.ini"),
	SETTING("nat.max_ports_per_vm",
		"gcp-cloud-nat, with dynamic port allocation: the most ports a VM's allocation doubles up to (a power "
		"of 2 above min_ports_per_vm; default 65536).  Refused without enable_dynamic_port_allocation.",
		GCP_API ": \"If maxPortsPerVm is not set, a maximum of 65536 ports will be allocated to a VM\".", NULL,
		"experiments/gcp-cloud-nat.ini"),
	SETTING("nat.enable_dynamic_port_allocation",
		"gcp-cloud-nat: a VM starts with min_ports_per_vm; a SYN that finds no free port doubles the VM's "
		"ports (a new block, from the address of its first if it has room) up to max_ports_per_vm; the block "
		"added last goes back once none of its ports holds a connection (connsim's assumption: at once).  If "
		"no address has room the SYN is dropped and nat_allocation_failed is set.  Cannot be combined with "
		"endpoint-independent mapping.",
		GCP_PORTS " (dynamic port allocation); " GCP_API ": enableDynamicPortAllocation.", NULL,
		"experiments/gcp-cloud-nat.ini"),
	SETTING("nat.enable_endpoint_independent_mapping",
		"gcp-cloud-nat: a VM's internal address and port keep one NAT address and port for every "
		"destination, and that NAT port serves no other internal port of the VM while any of its "
		"connections (or their TIME_WAIT) lasts.  Off, a NAT port is shared by the VM's connections to "
		"different destinations; on, each internal port costs a NAT port whatever the destination, so a VM "
		"has at most min_ports_per_vm connections in all.",
		GCP_PORTS " (endpoint-independent mapping); " GCP_API ": enableEndpointIndependentMapping.",
		"EIM does not add ports: it takes away the reuse across destinations.", NULL),
	SETTING("nat.tcp_established_idle_timeout_sec",
		"gcp-cloud-nat: an established connection (the destination has answered, no FIN or RST yet) with no "
		"segment for this many seconds is removed, its tuple free at once (closed_connections_count).",
		GCP_API ": tcpEstablishedIdleTimeoutSec \"Defaults to 1200s if not set\".", NULL, NULL),
	SETTING("nat.tcp_transitory_idle_timeout_sec",
		"gcp-cloud-nat: a connection not yet answered, or closing (a FIN seen), with no segment for this many "
		"seconds is removed.",
		GCP_API ": tcpTransitoryIdleTimeoutSec \"Defaults to 30s if not set\".", NULL, NULL),
	SETTING("nat.tcp_time_wait_timeout_sec",
		"gcp-cloud-nat: after a connection closes (the ACK that follows FINs both ways, or an RST: connsim's "
		"reading) its NAT tuple is not used again for the same destination for this many seconds.  It is the "
		"gateway's own TIME_WAIT, twice Linux's 60 s, and it is what limits short connections to one "
		"destination.",
		GCP_API ": tcpTimeWaitTimeoutSec \"Defaults to 120s if not set\".",
		"The VM's TIME_WAIT (60 s) is not the gateway's: the gateway holds the tuple for its own 120 s.",
		"experiments/gcp-cloud-nat.ini"),
	COUNTER("dropped_sent_packets_count", NULL,
		"SYNs from a VM the Cloud NAT gateway dropped because the VM had no NAT port free for the destination "
		"(reason OUT_OF_RESOURCES; connsim models no other reason).  The client retransmits; each attempt "
		"counts.",
		"none: a Google Cloud NAT metric", NULL, NULL, "experiments/gcp-cloud-nat.ini", GCP_METRICS
		"dropped_sent_packets_count; models/natgw_gcp.c", NULL, NULL, NULL, "nat.dropped_sent_packets_count"),
	COUNTER("new_connections_count", NULL, "Connections the Cloud NAT gateway gave a NAT tuple.",
		"none: a Google Cloud NAT metric", NULL, NULL, NULL, GCP_METRICS "new_connections_count", NULL, NULL,
		NULL, "nat.new_connections_count"),
	COUNTER("closed_connections_count", NULL,
		"Cloud NAT connections closed (entering TIME_WAIT after FINs both ways or an RST) or removed by an "
		"idle timeout.",
		"none: a Google Cloud NAT metric", NULL, NULL, NULL, GCP_METRICS "closed_connections_count", NULL, NULL,
		NULL, "nat.closed_connections_count"),
	COUNTER("dropped_received_packets_count", NULL,
		"Segments from a destination to a Cloud NAT address and port that no connection holds (after an idle "
		"timeout, say): dropped.",
		"none: a Google Cloud NAT metric", NULL, NULL, NULL, GCP_METRICS "dropped_received_packets_count",
		NULL, NULL, NULL, "nat.dropped_received_packets_count"),
	COUNTER("dropped_unmapped", NULL,
		"Segments other than a SYN from a VM behind a Cloud NAT gateway on no connection it knows (after an "
		"idle timeout): dropped.",
		"none: connsim's own count (Google's drop reasons are OUT_OF_RESOURCES and "
		"ENDPOINT_INDEPENDENT_CONFLICT)", NULL, NULL, NULL, "models/natgw_gcp.c", NULL, NULL, NULL,
		"nat.dropped_unmapped"),
	COUNTER("nat_allocation_failed", NULL,
		"A gauge: the VMs whose last port allocation failed (no NAT address had room for their ports, or "
		"for the doubling of dynamic allocation).  Google's metric is the same flag per VM.",
		"none: a Google Cloud NAT metric", NULL, NULL, "experiments/gcp-cloud-nat.ini",
		GCP_METRICS "nat_allocation_failed", NULL, NULL, NULL, "nat.nat_allocation_failed.mean, .peak"),
	COUNTER("port_usage", NULL,
		"A gauge: the most NAT tuples (open connections and TIME_WAITs) one VM holds to one destination; its "
		"peak against the VM's ports is what the verdict compares.",
		"none: a Google Cloud NAT metric", NULL, NULL, "experiments/gcp-cloud-nat.ini",
		GCP_METRICS "port_usage", NULL, NULL, NULL, "nat.port_usage.mean, .peak"),
	COUNTER("allocated_ports", NULL, "A gauge: the NAT ports given to VMs, over all VMs.",
		"none: a Google Cloud NAT metric", NULL, NULL, NULL, GCP_METRICS "allocated_ports", NULL, NULL, NULL,
		"nat.allocated_ports.mean, .peak"),
	COUNTER("open_connections", NULL, "A gauge: Cloud NAT connections not closed (not in TIME_WAIT).",
		"none: a Google Cloud NAT metric", NULL, NULL, NULL, GCP_METRICS "open_connections", NULL, NULL, NULL,
		"nat.open_connections.mean, .peak"),
	COUNTER("ErrorPortAllocation", NULL,
		"SYNs of new connections for which the gateway found no free port: every address already carries "
		"nat.connections_per_destination connections to the destination.  The SYN is dropped (assumed) and "
		"the client retransmits it; each attempt counts.",
		"none: an AWS NAT Gateway metric", NULL,
		"Failing to one destination while others work is this per-destination limit, not a gateway-wide one.",
		"experiments/aws-natgw.ini", AWS_METRICS, NULL, NULL, NULL, "nat.ErrorPortAllocation"),
	COUNTER("IdleTimeoutCount", NULL,
		"Open connections that timed out after nat.idle_timeout without a segment.",
		"none: an AWS NAT Gateway metric", NULL, NULL, NULL, AWS_METRICS, NULL, NULL, NULL,
		"nat.IdleTimeoutCount"),
	COUNTER("ConnectionAttemptCount", NULL, "SYNs of connections the gateway had no entry for (new connections, "
		"and retransmissions of those that failed).",
		"none: an AWS NAT Gateway metric", NULL, NULL, NULL, AWS_METRICS, NULL, NULL, NULL,
		"nat.ConnectionAttemptCount"),
	SETTING("nat.bpf-ct-global-tcp-max",
		"cilium: entries of the TCP conntrack map (cilium_ct4_global).  The map is an LRU hash map: when full, a "
		"new connection's entry evicts the least recently used one (nat.ct_lru_evictions) instead of being "
		"refused; the evicted connection's later segments make a new entry.",
		CIL_CMDREF ": \"Maximum number of entries in TCP CT table (default 524288)\"; bpf/lib/conntrack_map.h "
		"(BPF_MAP_TYPE_LRU_HASH).",
		"\"eBPF Maps\" (docs.cilium.io) says insertion beyond the limit fails; for these LRU maps it evicts.",
		"experiments/cilium-snat.ini"),
	SETTING("nat.bpf-nat-global-max",
		"cilium: entries of the NAT map (cilium_snat_v4_external).  Each masqueraded connection takes two: the "
		"SNAT entry (pod tuple -> node address and port) and the RevSNAT entry (the reply's tuple -> the pod).  "
		"An LRU hash map: full, it evicts; a reply whose RevSNAT entry was evicted and not yet restored is "
		"dropped (nat.drop_nat_no_mapping_ingress).",
		CIL_CMDREF " and \"eBPF Maps\" (https://docs.cilium.io/en/latest/network/ebpf/maps/): NAT 512k; "
		"bpf/lib/nat.h (BPF_MAP_TYPE_LRU_HASH).",
		"524288 NAT entries are 262144 connections, not 524288.", "experiments/cilium-snat.ini"),
	SETTING("nat.bpf-ct-timeout-regular-tcp",
		"cilium: the lifetime every segment of a live connection gives its conntrack entry once a non-SYN was "
		"seen.  The entry (and its NAT port) is only deleted by a GC pass after the lifetime has passed.  An RST "
		"after the handshake closes only its own direction, so the entry lives out this timeout.",
		CIL_CMDREF ": \"Timeout for established entries in TCP CT table (default 6h0m0s)\"; bpf/lib/conntrack.h "
		"ct_update_timeout, __ct_lookup (ACTION_CLOSE).", NULL, NULL),
	SETTING("nat.bpf-ct-timeout-regular-tcp-fin",
		"cilium: the lifetime of a conntrack entry once both directions have closed (a FIN each way, or an RST "
		"before both SYNs were seen).  A closed connection's NAT port stays taken this long and then until the "
		"next GC pass.",
		CIL_CMDREF ": \"Teardown timeout for entries in TCP CT table (default 10s)\"; bpf/lib/conntrack.h "
		"(CT_CLOSE_TIMEOUT).", NULL, "experiments/cilium-snat.ini"),
	SETTING("nat.bpf-ct-timeout-regular-tcp-syn",
		"cilium: the lifetime of a conntrack entry that has seen only SYNs (an unanswered or refused connect).",
		CIL_CMDREF ": \"Establishment timeout for entries in TCP CT table (default 1m0s)\"; bpf/lib/conntrack.h "
		"(CT_SYN_TIMEOUT).", NULL, NULL),
	SETTING("nat.conntrack-gc-interval",
		"cilium: the agent's garbage collector interval; 0 (the default) is dynamic: 5 min at first, then after "
		"each pass, with r = entries deleted / map size (scaled by expected / actual interval when a NAT fill-up "
		"signal cut it short): r > 25 %: interval x (1 - min(r, 90 %)), not below 10 s; r < 5 %: x 1.5, not above "
		"12 h; else unchanged.  A port search that needs more than half its retries signals the agent, which "
		"runs a pass at once (muted for nat.gc_pass_time after a pass).",
		CIL_CMDREF " (--conntrack-gc-interval); " CIL_GC,
		"A closed connection's port is free after its fin timeout: it is free at the next pass after that.",
		"experiments/cilium-snat.ini"),
	SETTING("nat.conntrack-gc-max-interval",
		"cilium: caps the dynamic interval (0: none, the 12 h of LRU maps applies).",
		CIL_CMDREF " (--conntrack-gc-max-interval); " CIL_GC, NULL, NULL),
	SETTING("nat.node-port-range",
		"cilium: the NodePort range (low high); BPF masquerading takes source ports above it, to 65535: "
		"32768-65535 with the default 30000-32767.  Each destination (address, port) has that many ports.",
		CIL_CMDREF " (--node-port-range, default [30000,32767]); the NAT target's min_port "
		"NODEPORT_PORT_MAX_NAT + 1 (bpf/lib/nodeport.h; cilium/cilium#23604).", NULL,
		"experiments/cilium-snat.ini"),
	SETTING("nat.snat-collision-retries",
		"cilium: tries of the SNAT port search: the pod's own port if it is in the range, else a random one; "
		"on a collision one more random port, then clamp(port + 1) on each retry, where clamp maps a 16-bit "
		"value onto the range (start + v x size / 65536): each retry goes half-way to 65535, so every "
		"connection's retries walk the same ports near the top of the range, and no free port is found when "
		"the two random tries miss, long before the range is full.  More than half the tries: a fill-up signal "
		"to the agent's GC.",
		CIL_NAT "; SNAT_COLLISION_RETRIES is compiled in: 32 since cilium/cilium#37389 (128 before).",
		"Failures start when the 32768 ports are all taken: they start with about half taken (two random "
		"tries miss half the time then).",
		"experiments/cilium-snat.ini"),
	SETTING("nat.gc_pass_time",
		"cilium: how long NAT fill-up signals stay muted after a GC pass (the agent mutes them while a pass "
		"runs).  An assumption: connsim's passes take no time; the default 1 s stands for a pass over a map of "
		"10^5 entries.",
		"none (assumed); pkg/maps/ctmap/gc/gc.go MuteSignals / UnmuteSignals", NULL, NULL),
	COUNTER("drop_nat_no_mapping", NULL,
		"cilium: segments from pods for which the SNAT port search found no free port in "
		"nat.snat-collision-retries tries (drop reason DROP_NAT_NO_MAPPING, \"No mapping for NAT masquerade\", "
		"egress).  A SYN is dropped and retransmitted by the pod; each attempt counts.",
		"none: a Cilium drop reason (cilium_drop_count_total{reason=\"No mapping for NAT masquerade\"}, "
		"bpf/lib/common.h, pkg/monitor/api/drop.go)", NULL,
		"It counts only when the port range is full: it starts with about half the ports free, when both "
		"random tries of the search miss.",
		"experiments/cilium-snat.ini", CIL_NAT, NULL, NULL, NULL, "nat.drop_nat_no_mapping"),
	COUNTER("drop_nat_no_mapping_ingress", NULL,
		"cilium: replies to the node address with no RevSNAT entry (DROP_NAT_NO_MAPPING, ingress): the mapping "
		"was evicted from the full LRU map or deleted by the GC.",
		"none: a Cilium drop reason", NULL, NULL, NULL, CIL_NAT, NULL, NULL, NULL,
		"nat.drop_nat_no_mapping_ingress"),
	COUNTER("ct_lru_evictions", NULL,
		"cilium: conntrack entries the full LRU conntrack map evicted for a new one (nat.bpf-ct-global-tcp-max).",
		"connsim's count; the kernel's htab_lru_map_update_elem evicts silently (Cilium exports the map's "
		"pressure, cilium_bpf_map_pressure)", NULL, NULL, NULL, "bpf/lib/conntrack_map.h; models/cilium.c", NULL,
		NULL, NULL, "nat.ct_lru_evictions"),
	COUNTER("nat_lru_evictions", NULL,
		"cilium: NAT entries the full LRU NAT map evicted for a new one (nat.bpf-nat-global-max).",
		"connsim's count; the kernel evicts silently", NULL, NULL, NULL, "bpf/lib/nat.h; models/cilium.c", NULL,
		NULL, NULL, "nat.nat_lru_evictions"),
	COUNTER("conntrack_gc_runs", NULL,
		"cilium: passes of the agent's conntrack garbage collector, periodic or woken by a NAT fill-up signal; "
		"the gauges conntrack_gc_entries_alive, conntrack_gc_entries_deleted and conntrack_gc_interval_s give "
		"each pass's result.",
		"none: cilium_datapath_conntrack_gc_runs_total, cilium_datapath_conntrack_gc_entries{status}", NULL,
		NULL, "experiments/cilium-snat.ini", CIL_GC, NULL, NULL, NULL, "nat.conntrack_gc_runs"),
	COUNTER("PacketsDropCount", NULL,
		"Segments the gateway dropped: SYNs with no free port, and segments of no connection it knows.",
		"none: an AWS NAT Gateway metric", NULL, NULL, NULL, AWS_METRICS, NULL, NULL, NULL,
		"nat.PacketsDropCount"),
	SETTING("nat.idle_timeout_in_minutes",
		"azure-nat-gateway: a TCP connection with no segment either way for this many minutes is closed and its "
		"SNAT port is free at once (SNAT Connection Count, Timed Out); its later segments are dropped (Azure "
		"answers them with a TCP reset; a hop in connsim cannot).",
		AZGW_RESOURCE ": \"A timer can be configured from 4 minutes (default) to 120 minutes\"; \"Traffic on the "
		"flow resets the idle timeout timer.\"",
		"Raising it holds idle connections' ports longer; Microsoft advises against going past 4 minutes and "
		"for TCP keepalives instead.",
		NULL),
	SETTING("nat.snat_ports_per_ip",
		"azure-nat-gateway: the SNAT port inventory of each public IP ([nat] addresses, up to 16).  A port is "
		"taken per destination (address, port): it serves other destinations at the same time, not a second "
		"connection to the same one.  Lower it only to scale an experiment down.",
		AZGW_RESOURCE ": \"Each NAT gateway public IP address provides 64,512 SNAT ports\"; up to 16 IP "
		"addresses.",
		"64,512 ports are not 64,512 connections: they are per destination, and a closed connection's port is "
		"held down 65 s (FIN) before the same destination may have it again: one IP carries at most "
		"64,512 / (life + 65 s) new connections a second to one destination.",
		"experiments/azure-natgw.ini"),
	SETTING("nat.concurrent_connections_per_destination",
		"azure-nat-gateway: connections not yet closed that one public IP carries to one destination; one more "
		"SYN to it fails (SNAT Connection Count, Failed) even with ports free.  With a 65 s hold-down it binds "
		"only for connections longer than about 224 s.",
		AZGW_RESOURCE ", Performance: \"up to 50,000 concurrent connections per public IP address to the same "
		"destination endpoint\".",
		NULL, NULL),
	SETTING("nat.port_reuse_timer_fin",
		"azure-nat-gateway: after a FIN (the first, either way) the connection's SNAT port is held down this long "
		"for its destination; the connection's last segments still cross meanwhile.",
		AZGW_RESOURCE ", Port reuse timers: TCP FIN, 65 seconds (\"subject to change\").",
		"A client's own TIME_WAIT (60 s) is shorter: the gateway, not the client, is what holds the port "
		"longest after a close.",
		"experiments/azure-natgw.ini"),
	SETTING("nat.port_reuse_timer_rst",
		"azure-nat-gateway: after a RST either way the connection's SNAT port is held down this long for its "
		"destination.",
		AZGW_RESOURCE ", Port reuse timers: TCP RST, 16 seconds (\"subject to change\").", NULL, NULL),
	SETTING("nat.half_open_timer",
		"azure-nat-gateway: a connection not yet established (no ACK from behind after the destination's "
		"answer) closes after this long without a segment, and its port is free at once; each segment (a SYN "
		"retransmission) restarts it.",
		AZGW_RESOURCE ", Port reuse timers: TCP half open, 30 seconds.", NULL, NULL),
	SETTING("nat.allocatedOutboundPorts",
		"azure-lb-outbound: SNAT ports preallocated to each backend instance (a multiple of 8); 0 takes the "
		"default table by pool size ([nat] clients, else client.count): 1-50 instances 1,024, 51-100 512, "
		"101-200 256, 201-400 128, 401-800 64, 801-1,000 32.  Instances x ports may not pass 64,000 x frontend "
		"IPs ([nat] addresses), taken one frontend after the other.  A port is taken per destination (address, "
		"port), so an instance holds at most this many flows to one destination; another instance's free "
		"ports do not help it.",
		AZLB_SNAT ": the default port allocation table, 64,000 ports per frontend IP, \"consumed one at a "
		"time\"; " AZLB_RULES ": \"Load balancer gives SNAT ports in multiples of 8\", over-allocation \"is "
		"rejected\", 0 reverts to the default.",
		"A second frontend IP adds no port to the default table's allocation: it helps only with "
		"allocatedOutboundPorts raised to use it.\nOne instance exhausting its ports while the load balancer "
		"has free ones is the preallocation, not a bug.",
		"experiments/azure-lb-outbound.ini"),
	SETTING("nat.idleTimeoutInMinutes",
		"azure-lb-outbound: an outbound flow with no segment for this many minutes is dropped silently and its "
		"port released.  enableTcpReset (a RST both ways at the timeout) is not modelled: a hop in connsim "
		"cannot send segments.",
		AZLB_RULES ": \"Outbound idle timeouts default to 4 minutes\", range 4 to 120 minutes; \"The default "
		"behavior of load balancer is to drop the flow silently when the outbound idle timeout has been "
		"reached.\"",
		NULL, NULL),
	SETTING("nat.port_release_fin",
		"azure-lb-outbound: after a FIN either way the flow's SNAT port is released this much later (the "
		"flow's last segments still cross).",
		AZLB_SNAT ", TCP SNAT port release (revisions to 2022; also \"Troubleshoot outbound connections\"): "
		"\"If either server/client sends FINACK, SNAT port will be released after 240 seconds.\"",
		"Linux clients end TIME_WAIT after 60 s and may open the same 4-tuple while the load balancer still "
		"holds it: connsim then opens the held flow again on its port (assumed).",
		"experiments/azure-lb-outbound.ini"),
	SETTING("nat.port_release_rst",
		"azure-lb-outbound: after a RST either way the flow's SNAT port is released this much later.",
		AZLB_SNAT ", TCP SNAT port release: \"If a RST is seen, SNAT port will be released after 15 seconds.\"",
		NULL, NULL),
	COUNTER("SNATConnectionCount.STATE", "SNATConnectionCount.*",
		"The Azure NAT Gateway's connections by state: Attempted (SYNs of new connections, and retransmissions "
		"of those that failed), Established (handshake completed), Failed (SYNs for which no SNAT port was "
		"free: SNAT exhaustion to that destination), Closed (by FIN or RST), TimedOut (idle or half-open "
		"timer).",
		"none: an Azure NAT Gateway metric (SNAT Connection Count, dimension Connection State)", NULL,
		"\"A failed connection volume greater than zero may indicate SNAT port exhaustion\": here it always is.",
		"experiments/azure-natgw.ini", AZGW_METRICS, NULL, NULL, NULL, "nat.SNATConnectionCount.STATE"),
	COUNTER("PacketDropCount", NULL,
		"Segments the Azure NAT Gateway dropped: SYNs with no SNAT port, and segments of no connection it "
		"knows.",
		"none: an Azure NAT Gateway metric (Dropped packets)", NULL, NULL, NULL, AZGW_METRICS, NULL, NULL, NULL,
		"nat.PacketDropCount"),
	COUNTER("SnatConnectionCount.STATE", "SnatConnectionCount.*",
		"The Azure load balancer's outbound flows: Successful (a SYN that got a SNAT port of its instance) and "
		"Failed (a SYN whose instance had none free for the destination: SNAT exhaustion).",
		"none: an Azure Load Balancer metric (SNAT Connection Count, dimension Connection State)", NULL,
		"Failed with Used SNAT Ports below Allocated: one instance is out of ports while others are not.",
		"experiments/azure-lb-outbound.ini", AZLB_METRICS, NULL, NULL, NULL, "nat.SnatConnectionCount.STATE"),
	COUNTER("IdleTimeouts", NULL,
		"Outbound flows the Azure load balancer dropped at nat.idleTimeoutInMinutes.",
		"none: connsim's count (Azure publishes no metric for it)", NULL, NULL, NULL, AZLB_METRICS, NULL, NULL,
		NULL, "nat.IdleTimeouts"),
	COUNTER("PacketsDropped", NULL,
		"Segments the Azure load balancer dropped: SYNs with no SNAT port, and segments of no flow it knows.",
		"none: connsim's count (Azure publishes no metric for it)", NULL, NULL, NULL, AZLB_METRICS, NULL, NULL,
		NULL, "nat.PacketsDropped"),
};

#define NLORE (sizeof(table) / sizeof(table[0]))

const lore *lore_all(size_t *n)
{
	*n = NLORE;
	return table;
}

static const lore *find_exact(const char *name)
{
	for (size_t i = 0; i < NLORE; i++) {
		const lore *l = &table[i];
		if (!strcmp(l->name, name) || (l->pattern && g_pattern_match_simple(l->pattern, name)))
			return l;
		if (l->kind == LORE_COUNTER && l->nstat && !strcmp(l->nstat, name))
			return l;
	}
	return NULL;
}

/* "tcp_tw_reuse" for "net.ipv4.tcp_tw_reuse"; legacy names through
 * scn_aliases(), with or without their prefix. */
static const lore *find_sysctl(const char *name)
{
	static const char *const prefixes[] = { "", "net.ipv4.", "net.netfilter.", "net.ipv4.netfilter.", "net." };
	for (size_t p = 0; p < G_N_ELEMENTS(prefixes); p++) {
		char *full = g_strconcat(prefixes[p], name, NULL);
		const char *target = full;
		for (const cfg_alias *a = scn_aliases(); a->old_name; a++)
			if (!strcmp(a->old_name, full))
				target = a->new_name;
		const lore *l = NULL;
		for (size_t i = 0; i < NLORE && !l; i++)
			if (table[i].kind == LORE_SYSCTL && !strcmp(table[i].name, target))
				l = &table[i];
		g_free(full);
		if (l)
			return l;
	}
	return NULL;
}

/* TCP counters under their /proc/net/netstat or /proc/net/snmp field name
 * ("TW", "ActiveOpens"): the nstat name less its "TcpExt"/"Tcp" prefix. */
static const lore *find_proc_field(const char *name)
{
	for (size_t i = 0; i < NLORE; i++) {
		const char *ns = table[i].nstat;
		if (!ns)
			continue;
		const char *f = g_str_has_prefix(ns, "TcpExt") ? ns + 6 : g_str_has_prefix(ns, "Tcp") ? ns + 3 : NULL;
		if (f && !strcmp(f, name))
			return &table[i];
	}
	return NULL;
}

const lore *lore_find(const char *name)
{
	if (!name || !*name)
		return NULL;
	char *n = g_strdelimit(g_strdup(name), "/", '.');
	const lore *l = find_exact(n);
	if (!l)
		l = find_sysctl(n);
	if (!l)
		l = find_proc_field(n);
	/* A column name: drop ROLE., BOX., BOX.ct., nat. ... one at a time. */
	for (const char *p = strchr(n, '.'); !l && p; p = strchr(p + 1, '.'))
		l = find_exact(p + 1);
	g_free(n);
	return l;
}

const cfg_key *lore_schema_key(const lore *l)
{
	if (l->kind == LORE_SETTING) {
		const char *dot = strchr(l->name, '.');
		for (const cfg_key *k = scn_schema(); dot && k->name; k++)
			if (!strcmp(k->name, dot + 1) && strlen(k->section) >= (size_t)(dot - l->name) &&
			    !strncmp(k->section, l->name, (size_t)(dot - l->name)) &&
			    (k->section[dot - l->name] == '\0' || k->section[dot - l->name] == '|'))
				return k;
		return NULL;
	}
	if (l->kind != LORE_SYSCTL)
		return NULL;
	for (const cfg_key *k = scn_schema(); k->name; k++)
		if (!strcmp(k->section, "sysctl") && !strcmp(k->name, l->name))
			return k;
	return NULL;
}

static const char *ctsize_buckets(prof_ctsize s)
{
	switch (s) {
	case CTSIZE_OLD: return "from memory: RAM / 131072, 16384 above 1 GB, at least 32";
	case CTSIZE_4G: return "from memory: RAM / 131072, 16384 above 1 GB, 65536 above 4 GB, at least 32";
	case CTSIZE_515: return "from memory: RAM / 131072, 65536 above 1 GB, 262144 above 4 GB, at least 1024";
	}
	return "?";
}

char *lore_profile_default(const lore *l, const prof *p)
{
	if (l->kind != LORE_SYSCTL)
		return NULL;
	switch (l->avail) {
	case LORE_AVAIL_ALL:
		break;
	case LORE_AVAIL_RECYCLE:
		if (p->recycle == RECYCLE_NONE)
			return NULL;
		break;
	case LORE_AVAIL_REUSE_DELAY:
		if (p->reuse != REUSE_DELAY_MS)
			return NULL;
		break;
	case LORE_AVAIL_AUTOBIND:
		if (!p->has_autobind_reuse)
			return NULL;
		break;
	case LORE_AVAIL_SYN_LINEAR:
		if (!p->has_syn_linear_timeouts)
			return NULL;
		break;
	case LORE_AVAIL_STEP_WIDTH:
		if (!p->has_port_step_width)
			return NULL;
		break;
	}
	const cfg_key *k = lore_schema_key(l);
	const char *def = k && k->def ? (*k->def ? k->def : "(empty)") : "?";
	switch (l->def) {
	case LORE_DEF_SCHEMA:
		return g_strdup(def);
	case LORE_DEF_TW_REUSE:
		return g_strdup_printf("%d (accepts 0-%d)", p->tw_reuse, p->reuse_has_loopback ? 2 : 1);
	case LORE_DEF_PORT_RANGE:
		return g_strdup_printf("%u %u", p->port_lo, p->port_hi);
	case LORE_DEF_SYN_RETRIES:
		return g_strdup_printf("%u", p->syn_retries);
	case LORE_DEF_SYN_LINEAR:
		return g_strdup_printf("%u", p->syn_linear_timeouts);
	case LORE_DEF_TIMESTAMPS:
		return g_strdup_printf("%s (accepts 0-%d)", def, p->has_ts_no_offset ? 2 : 1);
	case LORE_DEF_MAX_TW:
		return g_strdup("ehash entries / 2 (from memory)");
	case LORE_DEF_CT_MAX:
		return g_strdup(p->ctsize == CTSIZE_515 ? "= nf_conntrack_buckets" : "4 x nf_conntrack_buckets");
	case LORE_DEF_CT_BUCKETS:
		return g_strdup(ctsize_buckets(p->ctsize));
	case LORE_DEF_UNSET:
		return g_strdup("unset");
	}
	return NULL;
}
