/*
 * The scenario: its schema, and the resolution and checks that turn a
 * loaded experiment (scn_load.c) into a scenario, with the provenance of
 * every value.
 */
#include "models/scenario.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "models/budget.h"
#include "models/lb_azure.h"
#include "models/natgw_azure.h"
#include "models/scn_int.h"
#include "sim/bug.h"

/* ---- schema ------------------------------------------------------------ */

#define HOST_KEYS(sec)                                                                                          \
	{ sec, "profile", CFG_ENUM, 0, 0, PROF_CHOICES, "current", "kernel profile (connsim profiles lists them)" }, \
	{ sec, "hz", CFG_INT, 100, 1000, NULL, "250", "CONFIG_HZ: jiffies per second (100, 250, 300, 1000)" },  \
	{ sec, "memory", CFG_DOUBLE, 0.0625, 65536, NULL, "16", "usable RAM in GiB (sizes ehash)" },           \
	{ sec, "thash_entries", CFG_INT, 0, 67108864, NULL, "0", "ehash size override (0: from memory)" },      \
	{ sec, "link_delay", CFG_TIME, 0, 10, NULL, "50us", "one-way delay of the host's link" },               \
	{ sec, "loss", CFG_DOUBLE, 0, 0.99, NULL, "0", "probability a segment is lost on the host's link" },    \
	{ sec, "sysctl_file", CFG_STRING, 0, 0, NULL, "", "sysctl.conf or `sysctl -a` file for this host" }

/* Profile-dependent defaults are NULL here and filled by the resolution. */
static const cfg_key keys[] = {
	/* [experiment] and [sweep]: how a run is driven */
	{ "experiment", "question", CFG_STRING, 0, 0, NULL, "", "the question the experiment answers" },
	{ "experiment", "duration", CFG_TIME, 0.000001, 0, NULL, "120s", "simulated time to run" },
	{ "experiment", "warmup", CFG_TIME, 0, 0, NULL, "0s",
	  "summary metrics count from this time (time series start at 0)" },
	{ "experiment", "sample", CFG_TIME, 0.000001, 0, NULL, "1s", "time-series sampling interval" },
	{ "experiment", "seed", CFG_INT, 0, 9.2e18, NULL, "1", "master seed (overridden by --seed)" },
	{ "sweep", "vary", CFG_STRING, 0, 0, NULL, "",
	  "the curve's grid, as --vary takes it; several separated by ';' (connsim sweep without --vary)" },
	{ "sweep", "reps", CFG_INT, 2, 100000, NULL, "10", "replications per point (connsim sweep without --reps)" },
	{ "sweep", "variants", CFG_STRING, 0, 0, NULL, "",
	  "curves of one figure, as --variant takes them: LABEL: KEY=VALUE & KEY=VALUE; several separated by ';'" },
	{ "sweep", "plot", CFG_STRING, 0, 0, NULL, "conn.fail_fraction",
	  "the metric plots/curve.gp draws against the first varied key (several, comma-separated: one curve each)" },
	{ "sweep", "plot_y2", CFG_STRING, 0, 0, NULL, "",
	  "metrics drawn dashed against a right-hand axis (comma-separated), e.g. a latency beside a fraction" },
	{ "sweep", "x", CFG_STRING, 0, 0, NULL, "",
	  "plot against this metric's mean instead of the first varied key (e.g. a measured load factor)" },
	{ "sweep", "x_label", CFG_STRING, 0, 0, NULL, "", "the curve's x axis, in the users' units" },
	{ "sweep", "y_label", CFG_STRING, 0, 0, NULL, "", "the curve's y axis" },
	{ "sweep", "y2_label", CFG_STRING, 0, 0, NULL, "", "the right-hand axis (with plot_y2)" },
	{ "sweep", "x_log", CFG_BOOL, 0, 0, NULL, "false", "logarithmic x axis" },
	{ "sweep", "y_log", CFG_BOOL, 0, 0, NULL, "false", "logarithmic y axis" },
	{ "sweep", "capacity", CFG_DOUBLE, 0, 0, NULL, "0",
	  "an analytical capacity to mark on the x axis (0: none), e.g. N / H connections per second" },

	/* hosts, boxes and the workload */
	HOST_KEYS("client"),
	{ "client", "count", CFG_INT, 1, 4096, NULL, "1", "number of client hosts" },
	{ "client", "address", CFG_STRING, 0, 0, NULL, "10.0.0.1",
	  "address of the first client host; the next ones follow" },
	{ "client", "addresses_per_host", CFG_INT, 1, 256, NULL, "1",
	  "addresses of each client host (used with workload bind = address)" },
	HOST_KEYS("server"),
	{ "server", "addresses", CFG_LIST, 0, 0, NULL, "10.0.1.1",
	  "server addresses (one host holds them all); 127.x: the client host serves itself (loopback)" },
	{ "server", "ports", CFG_PORTS, 1, 65535, NULL, "80", "listening ports, e.g. 80,8080-8083" },
	{ "nat|firewall", "profile", CFG_ENUM, 0, 0, PROF_CHOICES, "current", "kernel profile of the box" },
	{ "nat|firewall", "hz", CFG_INT, 100, 1000, NULL, "250", "CONFIG_HZ of the box" },
	{ "nat|firewall", "memory", CFG_DOUBLE, 0.0625, 65536, NULL, "16", "usable RAM in GiB (sizes the conntrack table)" },
	{ "nat|firewall", "thash_entries", CFG_INT, 0, 67108864, NULL, "0", "unused by boxes; accepted for symmetry" },
	{ "nat|firewall", "delay", CFG_TIME, 0, 10, NULL, "20us", "time a segment takes through the box" },
	{ "nat|firewall", "loss", CFG_DOUBLE, 0, 0.99, NULL, "0", "probability a segment is lost on the way into the box" },
	{ "nat|firewall", "sysctl_file", CFG_STRING, 0, 0, NULL, "", "sysctl file for the box (conntrack settings)" },
	{ "nat|firewall", "host", CFG_STRING, 0, 0, NULL, "",
	  "host whose network namespace the box is: boxes naming the same host share its conntrack gc worker; "
	  "server or client: that host's machine (a [firewall] there is its own conntrack, with no delay)" },
	{ "nat", "addresses", CFG_LIST, 0, 0, NULL, "203.0.113.1", "external addresses (MASQUERADE: one)" },
	{ "nat", "ports", CFG_RANGE, 1, 65535, NULL, NULL, "--to-ports low high (default: the kernel's port classes)" },
	{ "nat", "random", CFG_ENUM, 0, 0, "none|random|fully", "none", "--random or --random-fully" },
	{ "nat", "persistent", CFG_BOOL, 0, 0, NULL, "false", "--persistent" },
	{ "nat", "clients", CFG_INT, 0, 1000000, NULL, "0",
	  "client hosts behind the NAT, from the first; the others reach the server directly (0: all)" },
	{ "nat", "kind", CFG_ENUM, 0, 0,
	  "netfilter|aws-nat-gateway|gcp-cloud-nat|cilium|azure-nat-gateway|azure-lb-outbound", "netfilter",
	  "what the box is: a Linux conntrack + SNAT box, an AWS NAT Gateway (models/natgw_aws.h), a Google Cloud "
	  "NAT gateway (models/natgw_gcp.h), a node's Cilium eBPF datapath with BPF masquerading (models/cilium.h), "
	  "an Azure NAT Gateway (models/natgw_azure.h) or an Azure load balancer's outbound SNAT (models/lb_azure.h)" },
	{ "nat", "connections_per_destination", CFG_INT, 1, 55000, NULL, "55000",
	  "aws-nat-gateway: simultaneous connections per address to one destination ip:port (AWS: 55,000)" },
	{ "nat", "idle_timeout", CFG_TIME, 1e-6, 0, NULL, "350s",
	  "aws-nat-gateway: an open connection idle this long times out (AWS: 350 s)" },
	{ "nat", "close_hold", CFG_TIME, 0, 0, NULL, "0s",
	  "aws-nat-gateway: a closed connection keeps its port this long (assumed; AWS documents none)" },
	{ "nat", "min_ports_per_vm", CFG_INT, 1, 32768, NULL, "64",
	  "gcp-cloud-nat: ports each VM is given, rounded up to a power of 2 (Google: 64; 32 with dynamic allocation)" },
	{ "nat", "max_ports_per_vm", CFG_INT, 64, 65536, NULL, "65536",
	  "gcp-cloud-nat: with dynamic allocation, the most ports a VM doubles up to (a power of 2; Google: 65536)" },
	{ "nat", "enable_dynamic_port_allocation", CFG_BOOL, 0, 0, NULL, "false",
	  "gcp-cloud-nat: a VM that used all its ports gets twice as many, up to max_ports_per_vm" },
	{ "nat", "enable_endpoint_independent_mapping", CFG_BOOL, 0, 0, NULL, "false",
	  "gcp-cloud-nat: a VM's internal ip:port keeps one NAT ip:port for every destination (no reuse of it by other "
	  "internal ports)" },
	{ "nat", "tcp_established_idle_timeout_sec", CFG_INT, 1, 2147483647, NULL, "1200",
	  "gcp-cloud-nat: an established connection idle this many seconds is removed (Google: 1200)" },
	{ "nat", "tcp_transitory_idle_timeout_sec", CFG_INT, 1, 2147483647, NULL, "30",
	  "gcp-cloud-nat: a connection opening or closing, idle this many seconds, is removed (Google: 30)" },
	{ "nat", "tcp_time_wait_timeout_sec", CFG_INT, 1, 2147483647, NULL, "120",
	  "gcp-cloud-nat: a closed connection's NAT tuple is not reused to the same destination for this many seconds "
	  "(Google: 120)" },
	{ "nat", "bpf-ct-global-tcp-max", CFG_INT, 1, 1 << 24, NULL, "524288",
	  "cilium: entries of the TCP conntrack map (an LRU map: full, it evicts)" },
	{ "nat", "bpf-nat-global-max", CFG_INT, 2, 1 << 24, NULL, "524288",
	  "cilium: entries of the NAT map, two per connection (an LRU map: full, it evicts)" },
	{ "nat", "bpf-ct-timeout-regular-tcp", CFG_TIME, 1, 0, NULL, "6h",
	  "cilium: lifetime a segment gives an established conntrack entry" },
	{ "nat", "bpf-ct-timeout-regular-tcp-fin", CFG_TIME, 1, 0, NULL, "10s",
	  "cilium: lifetime of a conntrack entry closed both ways (FIN, RST)" },
	{ "nat", "bpf-ct-timeout-regular-tcp-syn", CFG_TIME, 1, 0, NULL, "60s",
	  "cilium: lifetime of a conntrack entry that has seen only SYNs" },
	{ "nat", "conntrack-gc-interval", CFG_TIME, 0, 0, NULL, "0s",
	  "cilium: garbage collector interval (0: dynamic, from 5 min by the share of entries each pass deletes)" },
	{ "nat", "conntrack-gc-max-interval", CFG_TIME, 0, 0, NULL, "0s",
	  "cilium: the longest dynamic garbage collector interval (0: 12 h)" },
	{ "nat", "node-port-range", CFG_RANGE, 1, 65535, NULL, "30000 32767",
	  "cilium: NodePort range, low high (Cilium: 30000,32767); BPF masquerading uses the ports above it, to 65535" },
	{ "nat", "snat-collision-retries", CFG_INT, 1, 128, NULL, "32",
	  "cilium: SNAT port search tries (SNAT_COLLISION_RETRIES, compiled in: 32; 128 before cilium/cilium#37389, 2025)" },
	{ "nat", "gc_pass_time", CFG_TIME, 0, 3600, NULL, "1s",
	  "cilium: NAT fill-up signals are muted this long after a garbage collector pass (assumed)" },
	{ "nat", "idle_timeout_in_minutes", CFG_INT, 4, 120, NULL, "4",
	  "azure-nat-gateway: TCP idle timeout in minutes (Azure: 4 to 120, default 4)" },
	{ "nat", "snat_ports_per_ip", CFG_INT, 1, 64512, NULL, "64512",
	  "azure-nat-gateway: SNAT ports per public IP (Azure: 64,512)" },
	{ "nat", "concurrent_connections_per_destination", CFG_INT, 1, 64512, NULL, "50000",
	  "azure-nat-gateway: concurrent connections per public IP to one destination ip:port (Azure: 50,000)" },
	{ "nat", "port_reuse_timer_fin", CFG_TIME, 0, 0, NULL, "65s",
	  "azure-nat-gateway: a port closed by a FIN is held down this long for its destination (Azure: 65 s)" },
	{ "nat", "port_reuse_timer_rst", CFG_TIME, 0, 0, NULL, "16s",
	  "azure-nat-gateway: a port closed by a RST is held down this long for its destination (Azure: 16 s)" },
	{ "nat", "half_open_timer", CFG_TIME, 1e-6, 0, NULL, "30s",
	  "azure-nat-gateway: a connection not yet established closes after this long without traffic (Azure: 30 s)" },
	{ "nat", "allocatedOutboundPorts", CFG_INT, 0, 64000, NULL, "0",
	  "azure-lb-outbound: SNAT ports per backend instance, a multiple of 8 (0: the default table by pool size)" },
	{ "nat", "idleTimeoutInMinutes", CFG_INT, 4, 120, NULL, "4",
	  "azure-lb-outbound: outbound flow idle timeout in minutes (Azure: 4 to 120, default 4)" },
	{ "nat", "port_release_fin", CFG_TIME, 0, 0, NULL, "240s",
	  "azure-lb-outbound: after a FIN either way the SNAT port is released this much later (Azure: 240 s)" },
	{ "nat", "port_release_rst", CFG_TIME, 0, 0, NULL, "15s",
	  "azure-lb-outbound: after a RST the SNAT port is released this much later (Azure: 15 s)" },
	{ "workload", "arrival", CFG_ENUM, 0, 0, WL_CHOICES(WL_ARRIVALS), "poisson",
	  "arrival process (onoff: Poisson during on periods only; diurnal: Poisson at rate x (1 + amplitude "
	  "x sin(2 pi t / period)))" },
	{ "workload", "on", CFG_TIME, 1e-6, 0, NULL, "10s", "onoff: length of each on period (fixed; the first starts at start)" },
	{ "workload", "off", CFG_TIME, 0, 0, NULL, "10s", "onoff: length of each off period (fixed)" },
	{ "workload", "period", CFG_TIME, 1e-6, 0, NULL, "24h", "diurnal: period of the rate's sine (phase 0 at time 0)" },
	{ "workload", "amplitude", CFG_DOUBLE, 0, 1, NULL, "0.5", "diurnal: relative amplitude of the rate's sine" },
	{ "workload", "rate", CFG_DOUBLE, 0, 0, NULL, "100", "connections per second over all clients" },
	{ "workload", "rate_per_client", CFG_BOOL, 0, 0, NULL, "false",
	  "rate is per client host, so the total grows with client count (users behind a NAT)" },
	{ "workload", "start", CFG_TIME, 0, 0, NULL, "0s", "first arrival not before this time" },
	{ "workload", "stop", CFG_TIME, 0, 0, NULL, NULL, "no arrivals from this time (default: run end)" },
	{ "workload", "life", CFG_ENUM, 0, 0, WL_CHOICES(WL_LIVES), "fixed",
	  "distribution of one request's duration (the whole data phase when requests = 1)" },
	{ "workload", "life_mean", CFG_TIME, 0, 0, NULL, "100ms", "mean duration of one request" },
	{ "workload", "life_sigma", CFG_DOUBLE, 0, 10, NULL, "1", "lognormal: sigma of the log" },
	{ "workload", "life_shape", CFG_DOUBLE, 0, 100, NULL, "2.5",
	  "pareto: shape alpha, > 1 (the minimum xm = life_mean (alpha - 1) / alpha)" },
	{ "workload", "requests", CFG_INT, 1, 1000000, NULL, "1",
	  "requests per connection (1: HTTP/1.0 style; more: kept alive)" },
	{ "workload", "think", CFG_TIME, 0, 0, NULL, "0s", "time between two requests of a connection" },
	{ "workload", "close", CFG_ENUM, 0, 0, WL_CHOICES(WL_CLOSERS), "client",
	  "who closes first (both: each after its own draw; FINs cross with a fixed life)" },
	{ "workload", "abort_fraction", CFG_DOUBLE, 0, 1, NULL, "0", "fraction of closes with SO_LINGER 0 (RST)" },
	{ "workload", "peer_close_delay", CFG_TIME, 0, 0, NULL, "0s",
	  "the other side's close() after the FIN (0: FIN rides on the ACK)" },
	{ "workload", "unseen_teardown", CFG_DOUBLE, 0, 1, NULL, "0",
	  "fraction of connections whose teardown (FIN/RST and all after) the boxes never see (asymmetric "
	  "routing, vanished peer): their conntrack entries stay ESTABLISHED until its timeout" },
	{ "workload", "bind", CFG_ENUM, 0, 0, WL_CHOICES(WL_BINDS), "none",
	  "none: connect() picks address and port; port0: bind(0) first (the port is then global over "
	  "destinations); address: bind(addr, 0) with IP_BIND_ADDRESS_NO_PORT, addresses in turn" },
	{ "workload", "reuseaddr", CFG_BOOL, 0, 0, NULL, "false", "SO_REUSEADDR on client sockets" },
	{ "workload", "destination", CFG_ENUM, 0, 0, WL_CHOICES(WL_DESTS), "random",
	  "how a connection picks the server address and port: random (uniform, independent) or "
	  "round_robin (every address:port pair in turn, addresses fastest; client host i starts at pair i)" },
	{ "workload", "local_port_range", CFG_RANGE, 1, 65535, NULL, NULL,
	  "IP_LOCAL_PORT_RANGE on client sockets (6.3+): bounds inside ip_local_port_range replace it" },
	{ "workload", "request_bytes", CFG_INT, 0, 4294967295.0, NULL, "1000", "bytes the client sends" },
	{ "workload", "response_bytes", CFG_INT, 0, 4294967295.0, NULL, "1000", "bytes the server sends" },

	/* [sysctl], and [HOST.sysctl] for one host or box */
	{ "sysctl", "net.ipv4.ip_local_port_range", CFG_RANGE, 1, 65535, NULL, NULL,
	  "ephemeral ports for connect(), inclusive (32768 60999; 32768 61000 before 4.2)" },
	{ "sysctl", "net.ipv4.ip_local_reserved_ports", CFG_PORTS, 1, 65535, NULL, "",
	  "ports skipped by automatic selection, e.g. 8080,9000-9010" },
	{ "sysctl", "net.ipv4.ip_local_port_step_width", CFG_INT, 0, 4294967295.0, NULL, "0",
	  "connect()'s port scan steps by a random stride up to this, coprime with the range (7.1+; 0 off)" },
	{ "sysctl", "net.ipv4.ip_autobind_reuse", CFG_BOOL, 0, 0, NULL, "0",
	  "bind(0) may share a port with SO_REUSEADDR owners once the range is full (5.7+)" },
	{ "sysctl", "net.ipv4.tcp_tw_reuse", CFG_INT, 0, 2, NULL, NULL,
	  "0 off, 1 on, 2 loopback only (2 from 4.19, the default there; 0 before)" },
	{ "sysctl", "net.ipv4.tcp_tw_reuse_delay", CFG_INT, 1, 60000, NULL, "1000",
	  "ms after entering TIME_WAIT before connect() may reuse it (6.14+)" },
	{ "sysctl", "net.ipv4.tcp_tw_recycle", CFG_BOOL, 0, 0, NULL, "0",
	  "shortened TIME_WAIT and per-peer PAWS on SYNs (removed in 4.12)" },
	{ "sysctl", "net.ipv4.tcp_timestamps", CFG_INT, 0, 2, NULL, "1",
	  "0 off, 1 on with random offsets, 2 on without offsets (4.10+)" },
	{ "sysctl", "net.ipv4.tcp_rfc1337", CFG_BOOL, 0, 0, NULL, "0",
	  "1: ignore RST in TIME_WAIT (no assassination)" },
	{ "sysctl", "net.ipv4.tcp_fin_timeout", CFG_INT, 1, 2147483, NULL, "60",
	  "seconds an orphaned FIN_WAIT2 socket waits (not TIME_WAIT)" },
	{ "sysctl", "net.ipv4.tcp_max_tw_buckets", CFG_INT, 0, 4294967295.0, NULL, NULL,
	  "cap on timewait minisockets (default: ehash entries / 2)" },
	{ "sysctl", "net.ipv4.tcp_syn_retries", CFG_INT, 1, 127, NULL, NULL,
	  "SYN retransmissions before ETIMEDOUT (6)" },
	{ "sysctl", "net.ipv4.tcp_syn_linear_timeouts", CFG_INT, 0, 127, NULL, NULL,
	  "SYN retransmissions at the initial RTO before backing off, added to tcp_syn_retries (6.5+: 4)" },
	{ "sysctl", "net.ipv4.tcp_synack_retries", CFG_INT, 1, 255, NULL, "5",
	  "SYN-ACK retransmissions of a request socket" },
	{ "sysctl", "net.ipv4.tcp_orphan_retries", CFG_INT, 0, 255, NULL, "0",
	  "FIN retransmissions of an orphan (0 means 8)" },
	{ "sysctl", "net.netfilter.nf_conntrack_max", CFG_INT, 1, 2147483647, NULL, NULL,
	  "conntrack entries (default: buckets on 5.15+, 4 x buckets before, 8 x hashsize if given)" },
	{ "sysctl", "net.netfilter.nf_conntrack_buckets", CFG_INT, 1, 67108864, NULL, NULL,
	  "conntrack hash buckets at run time (default from memory; does not change nf_conntrack_max)" },
	{ "sysctl", "nf_conntrack.hashsize", CFG_INT, 1, 67108864, NULL, NULL,
	  "module parameter at load: buckets, and nf_conntrack_max = 8 x hashsize" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_syn_sent", CFG_INT, 1, 2147483, NULL, "120", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_syn_recv", CFG_INT, 1, 2147483, NULL, "60", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_established", CFG_INT, 1, 2147483, NULL, "432000",
	  "s (5 days)" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_fin_wait", CFG_INT, 1, 2147483, NULL, "120", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_close_wait", CFG_INT, 1, 2147483, NULL, "60", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_last_ack", CFG_INT, 1, 2147483, NULL, "30", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_time_wait", CFG_INT, 1, 2147483, NULL, "120", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_close", CFG_INT, 1, 2147483, NULL, "10", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_max_retrans", CFG_INT, 1, 2147483, NULL, "300",
	  "s, after nf_conntrack_tcp_max_retrans retransmissions" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_unacknowledged", CFG_INT, 1, 2147483, NULL, "300",
	  "s, cap while data is unacknowledged" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_loose", CFG_BOOL, 0, 0, NULL, "1",
	  "pick up connections from mid-stream packets" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_be_liberal", CFG_BOOL, 0, 0, NULL, "0",
	  "only out-of-window RSTs are INVALID" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_max_retrans", CFG_INT, 0, 255, NULL, "3",
	  "retransmissions before the max_retrans timeout applies" },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* Compat names (CONFIG_NF_CONNTRACK_PROC_COMPAT and older layouts). */
static const cfg_alias aliases[] = {
	{ "net.ipv4.netfilter.ip_conntrack_max", "net.netfilter.nf_conntrack_max" },
	{ "net.nf_conntrack_max", "net.netfilter.nf_conntrack_max" },
	{ "net.ipv4.netfilter.ip_conntrack_buckets", "net.netfilter.nf_conntrack_buckets" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_syn_sent", "net.netfilter.nf_conntrack_tcp_timeout_syn_sent" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_syn_recv", "net.netfilter.nf_conntrack_tcp_timeout_syn_recv" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established", "net.netfilter.nf_conntrack_tcp_timeout_established" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_fin_wait", "net.netfilter.nf_conntrack_tcp_timeout_fin_wait" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_close_wait", "net.netfilter.nf_conntrack_tcp_timeout_close_wait" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_last_ack", "net.netfilter.nf_conntrack_tcp_timeout_last_ack" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_time_wait", "net.netfilter.nf_conntrack_tcp_timeout_time_wait" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_close", "net.netfilter.nf_conntrack_tcp_timeout_close" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_max_retrans", "net.netfilter.nf_conntrack_tcp_timeout_max_retrans" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_loose", "net.netfilter.nf_conntrack_tcp_loose" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_be_liberal", "net.netfilter.nf_conntrack_tcp_be_liberal" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_max_retrans", "net.netfilter.nf_conntrack_tcp_max_retrans" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_unacknowledged", "net.netfilter.nf_conntrack_tcp_timeout_unacknowledged" },
	{ "net.nf_conntrack_buckets", "net.netfilter.nf_conntrack_buckets" },
	{ "hashsize", "nf_conntrack.hashsize" },
	{ NULL, NULL },
};

char *scn__sysctl_section(const char *machine)
{
	return machine ? g_strconcat(machine, "." SCN_SYSCTL, NULL) : g_strdup(SCN_SYSCTL);
}

const char *const scn__machines[SCN_MACHINES] = { "client", "server", "nat", "firewall" };

bool scn__has_machine(const cfg *c, const char *name)
{
	const GPtrArray *secs = cfg_sections(c);
	char *sys = scn__sysctl_section(name);
	bool found = false;
	for (guint i = 0; i < secs->len && !found; i++) {
		const char *s = g_ptr_array_index(secs, i);
		found = !strcmp(s, name) || !strcmp(s, sys);
	}
	g_free(sys);
	return found;
}

const cfg_key *scn_schema(void)
{
	return keys;
}

const cfg_alias *scn_aliases(void)
{
	return aliases;
}

cfg *scn_cfg_new(void)
{
	return cfg_new(keys, aliases, SCN_SYSCTL);
}

/* ---- provenance -------------------------------------------------------- */

struct scn_item {
	char *section, *name, *value, *source;
};

static void item_free(gpointer p)
{
	scn_item *it = p;
	g_free(it->section);
	g_free(it->name);
	g_free(it->value);
	g_free(it->source);
	g_free(it);
}

/* Where a value came from, or deflt when it was not given. */
static char *source_of(const cfg *c, const char *section, const char *key, const char *deflt)
{
	const char *file;
	int line, layer;
	if (!cfg_origin(c, section, key, &file, &line, &layer))
		return g_strdup(deflt);
	char *at = line > 0 ? g_strdup_printf("%s:%d", file, line) : g_strdup(file);
	char *r = layer == SCN_LAYER_SYSCTL_FILE ? g_strdup_printf("sysctl file %s", at)
		: layer == SCN_LAYER_CLI_SYSCTL	  ? g_strdup_printf("--sysctl %s", at)
						  : g_strdup(at);
	g_free(at);
	return r;
}

static void add_item(scenario *s, const char *section, const char *name, char *value, char *source)
{
	scn_item *it = g_new(scn_item, 1);
	it->section = g_strdup(section);
	it->name = g_strdup(name);
	it->value = value;
	it->source = source;
	g_ptr_array_add(s->items, it);
}

/* A value as given or defaulted; "(none)" for an empty one, "(unset)"
 * for one without a default. */
static char *value_text(const cfg *c, const char *section, const cfg_key *k)
{
	const char *v = cfg_str(c, section, k->name);
	return g_strdup(*v ? v : k->def ? "(none)" : "(unset)");
}

/* Every key of a plain section as given or defaulted. */
static void add_section_items(scenario *s, const cfg *c, const char *section)
{
	for (const cfg_key *k = keys; k->name; k++) {
		char **parts = g_strsplit(k->section, "|", -1);
		bool mine = g_strv_contains((const char *const *)parts, section);
		g_strfreev(parts);
		if (!mine)
			continue;
		add_item(s, section, k->name, value_text(c, section, k), source_of(c, section, k->name, "default"));
	}
}

/* Each modelled sysctl's value in a kconf, for printing resolved settings. */
typedef enum { KF_RANGE, KF_BOOL, KF_INT, KF_UINT, KF_U32, KF_TEXT } kf_type;
static const struct kfield {
	const char *name;
	kf_type type;
	size_t off;
} kfields[] = {
	{ "net.ipv4.ip_local_port_range", KF_RANGE, offsetof(kconf, port_lo) },
	{ "net.ipv4.ip_local_reserved_ports", KF_TEXT, 0 },
	{ "net.ipv4.ip_local_port_step_width", KF_U32, offsetof(kconf, port_step_width) },
	{ "net.ipv4.ip_autobind_reuse", KF_BOOL, offsetof(kconf, autobind_reuse) },
	{ "net.ipv4.tcp_tw_reuse", KF_INT, offsetof(kconf, tw_reuse) },
	{ "net.ipv4.tcp_tw_reuse_delay", KF_UINT, offsetof(kconf, tw_reuse_delay_ms) },
	{ "net.ipv4.tcp_tw_recycle", KF_BOOL, offsetof(kconf, tw_recycle) },
	{ "net.ipv4.tcp_timestamps", KF_INT, offsetof(kconf, timestamps) },
	{ "net.ipv4.tcp_rfc1337", KF_BOOL, offsetof(kconf, rfc1337) },
	{ "net.ipv4.tcp_fin_timeout", KF_UINT, offsetof(kconf, fin_timeout_s) },
	{ "net.ipv4.tcp_max_tw_buckets", KF_U32, offsetof(kconf, max_tw_buckets) },
	{ "net.ipv4.tcp_syn_retries", KF_UINT, offsetof(kconf, syn_retries) },
	{ "net.ipv4.tcp_syn_linear_timeouts", KF_UINT, offsetof(kconf, syn_linear_timeouts) },
	{ "net.ipv4.tcp_synack_retries", KF_UINT, offsetof(kconf, synack_retries) },
	{ "net.ipv4.tcp_orphan_retries", KF_UINT, offsetof(kconf, orphan_retries) },
	{ "net.netfilter.nf_conntrack_max", KF_U32, offsetof(kconf, ct_max) },
	{ "net.netfilter.nf_conntrack_buckets", KF_U32, offsetof(kconf, ct_buckets) },
	{ "nf_conntrack.hashsize", KF_TEXT, 0 },
#define CT_TIMEOUT(s, i) \
	{ "net.netfilter.nf_conntrack_tcp_timeout_" s, KF_UINT, offsetof(kconf, ct_timeout) + (i) * sizeof(unsigned) }
	CT_TIMEOUT("syn_sent", KCONF_CT_SYN_SENT),
	CT_TIMEOUT("syn_recv", KCONF_CT_SYN_RECV),
	CT_TIMEOUT("established", KCONF_CT_ESTABLISHED),
	CT_TIMEOUT("fin_wait", KCONF_CT_FIN_WAIT),
	CT_TIMEOUT("close_wait", KCONF_CT_CLOSE_WAIT),
	CT_TIMEOUT("last_ack", KCONF_CT_LAST_ACK),
	CT_TIMEOUT("time_wait", KCONF_CT_TIME_WAIT),
	CT_TIMEOUT("close", KCONF_CT_CLOSE),
	CT_TIMEOUT("max_retrans", KCONF_CT_MAX_RETRANS),
	CT_TIMEOUT("unacknowledged", KCONF_CT_UNACK),
#undef CT_TIMEOUT
	{ "net.netfilter.nf_conntrack_tcp_loose", KF_BOOL, offsetof(kconf, ct_loose) },
	{ "net.netfilter.nf_conntrack_tcp_be_liberal", KF_BOOL, offsetof(kconf, ct_be_liberal) },
	{ "net.netfilter.nf_conntrack_tcp_max_retrans", KF_UINT, offsetof(kconf, ct_max_retrans) },
};

static char *kfield_text(const kconf *k, const struct kfield *f, const cfg *c, const char *sec)
{
	const char *p = (const char *)k + f->off;
	switch (f->type) {
	case KF_RANGE: return g_strdup_printf("%u %u", k->port_lo, k->port_hi);
	case KF_BOOL: return g_strdup_printf("%d", *(const bool *)p);
	case KF_INT: return g_strdup_printf("%d", *(const int *)p);
	case KF_UINT: return g_strdup_printf("%u", *(const unsigned *)p);
	case KF_U32: return g_strdup_printf("%u", *(const uint32_t *)p);
	case KF_TEXT: break;
	}
	return value_text(c, sec, cfg_schema_find(c, sec, f->name));
}

/* What a setting not given defaults to: the schema, the profile or memory. */
static const char *default_source(const char *name, const kconf *k, const cfg *c, const char *sec, char *buf,
				  size_t n)
{
	if (cfg_schema_find(c, sec, name)->def)
		return "default";
	if (strstr(name, "nf_conntrack_max") || strstr(name, "nf_conntrack_buckets"))
		return cfg_has(c, sec, "nf_conntrack.hashsize") ? "derived from nf_conntrack.hashsize"
								 : "derived from memory";
	if (strstr(name, "max_tw_buckets"))
		return "derived from memory";
	if (!strcmp(name, "nf_conntrack.hashsize"))
		return "default";
	snprintf(buf, n, "profile %s default", k->prof->name);
	return buf;
}

/* A host's settings (the TCP ones) or a box's (the conntrack ones). */
static void add_kconf_items(scenario *s, const cfg *c, const char *machine, const kconf *k, bool box)
{
	add_section_items(s, c, machine);
	char *sec = scn__sysctl_section(machine);
	if (!box) {
		const char *thash = cfg_has(c, machine, "thash_entries") && cfg_int(c, machine, "thash_entries") > 0
					    ? "thash_entries" : NULL;
		add_item(s, machine, "ehash_entries", g_strdup_printf("%u", k->ehash_entries),
			 thash ? source_of(c, machine, thash, "") : g_strdup("derived from memory"));
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(kfields); i++) {
		const struct kfield *f = &kfields[i];
		if (box == g_str_has_prefix(f->name, "net.ipv4."))
			continue;
		char buf[64];
		add_item(s, machine, f->name, kfield_text(k, f, c, sec),
			 source_of(c, sec, f->name, default_source(f->name, k, c, sec, buf, sizeof buf)));
	}
	g_free(sec);
}

/* ---- resolution -------------------------------------------------------- */

static void ct_resolve(kconf *k, const cfg *c, const char *sec)
{
	uint64_t hashsize = cfg_has(c, sec, "nf_conntrack.hashsize") ? (uint64_t)cfg_int(c, sec, "nf_conntrack.hashsize") : 0;
	kconf_ct_size(k->prof, k->mem_bytes, hashsize, &k->ct_buckets, &k->ct_max);
	/* Writing nf_conntrack_buckets later resizes the table but leaves the max. */
	if (cfg_has(c, sec, "net.netfilter.nf_conntrack_buckets"))
		k->ct_buckets = (uint32_t)cfg_int(c, sec, "net.netfilter.nf_conntrack_buckets");
	if (cfg_has(c, sec, "net.netfilter.nf_conntrack_max"))
		k->ct_max = (uint32_t)cfg_int(c, sec, "net.netfilter.nf_conntrack_max");
	for (const struct kfield *f = kfields; f < kfields + G_N_ELEMENTS(kfields); f++)
		if (g_str_has_prefix(f->name, "net.netfilter.nf_conntrack_tcp_timeout_"))
			*(unsigned *)((char *)k + f->off) = (unsigned)cfg_int(c, sec, f->name);
	k->ct_loose = cfg_bool(c, sec, "net.netfilter.nf_conntrack_tcp_loose");
	k->ct_be_liberal = cfg_bool(c, sec, "net.netfilter.nf_conntrack_tcp_be_liberal");
	k->ct_max_retrans = (unsigned)cfg_int(c, sec, "net.netfilter.nf_conntrack_tcp_max_retrans");
}

#define SYS(name) sec, "net.ipv4." name

/* The settings a profile lacks are errors that name the version. */
static bool tcp_resolve(kconf *k, const cfg *c, const char *sec, GError **err)
{
	const prof *p = k->prof;
	if (cfg_has(c, SYS("ip_local_port_range"))) {
		int64_t lo, hi;
		cfg_range(c, SYS("ip_local_port_range"), &lo, &hi);
		k->port_lo = (uint16_t)lo;
		k->port_hi = (uint16_t)hi;
	} else {
		k->port_lo = p->port_lo;
		k->port_hi = p->port_hi;
	}
	k->nreserved = cfg_ports(c, SYS("ip_local_reserved_ports"), k->reserved);
	k->port_step_width = (uint32_t)cfg_int(c, SYS("ip_local_port_step_width"));
	if (cfg_has(c, SYS("ip_local_port_step_width")) && !p->has_port_step_width) {
		cfg_error(c, SYS("ip_local_port_step_width"), err, "exists from Linux 7.1; profile %s does not have it",
			  p->name);
		return false;
	}
	k->autobind_reuse = cfg_bool(c, SYS("ip_autobind_reuse"));
	if (k->autobind_reuse && !p->has_autobind_reuse && cfg_has(c, SYS("ip_autobind_reuse"))) {
		cfg_error(c, SYS("ip_autobind_reuse"), err, "exists from Linux 5.7; profile %s does not have it",
			  p->name);
		return false;
	}
	k->tw_reuse = cfg_has(c, SYS("tcp_tw_reuse")) ? (int)cfg_int(c, SYS("tcp_tw_reuse")) : p->tw_reuse;
	if (k->tw_reuse == 2 && !p->reuse_has_loopback) {
		cfg_error(c, SYS("tcp_tw_reuse"), err,
			  "value 2 (loopback only) exists from Linux 4.19; profile %s accepts 0 or 1", p->name);
		return false;
	}
	k->tw_reuse_delay_ms = (unsigned)cfg_int(c, SYS("tcp_tw_reuse_delay"));
	if (p->reuse != REUSE_DELAY_MS && cfg_has(c, SYS("tcp_tw_reuse_delay"))) {
		cfg_error(c, SYS("tcp_tw_reuse_delay"), err,
			  "exists from Linux 6.14; profile %s has no such sysctl (use profile current)", p->name);
		return false;
	}
	k->tw_recycle = cfg_bool(c, SYS("tcp_tw_recycle"));
	if (k->tw_recycle && p->recycle == RECYCLE_NONE) {
		cfg_error(c, SYS("tcp_tw_recycle"), err,
			  "tcp_tw_recycle was removed in Linux 4.12; profile %s does not have it (use 3.10 or 4.4)",
			  p->name);
		return false;
	}
	k->timestamps = (int)cfg_int(c, SYS("tcp_timestamps"));
	if (k->timestamps == 2 && !p->has_ts_no_offset) {
		cfg_error(c, SYS("tcp_timestamps"), err, "value 2 exists from Linux 4.10; profile %s accepts 0 or 1",
			  p->name);
		return false;
	}
	k->rfc1337 = cfg_bool(c, SYS("tcp_rfc1337"));
	k->fin_timeout_s = (unsigned)cfg_int(c, SYS("tcp_fin_timeout"));
	/* tcp_sk_init: max_tw_buckets = ehash entries / 2 (doc/kernel-rules.md §8.1). */
	k->max_tw_buckets = cfg_has(c, SYS("tcp_max_tw_buckets")) ? (uint32_t)cfg_int(c, SYS("tcp_max_tw_buckets"))
								  : k->ehash_entries / 2;
	k->syn_retries = cfg_has(c, SYS("tcp_syn_retries")) ? (unsigned)cfg_int(c, SYS("tcp_syn_retries"))
							    : p->syn_retries;
	k->syn_linear_timeouts = p->syn_linear_timeouts;
	if (cfg_has(c, SYS("tcp_syn_linear_timeouts"))) {
		if (!p->has_syn_linear_timeouts) {
			cfg_error(c, SYS("tcp_syn_linear_timeouts"), err,
				  "exists from Linux 6.5; profile %s does not have it", p->name);
			return false;
		}
		k->syn_linear_timeouts = (unsigned)cfg_int(c, SYS("tcp_syn_linear_timeouts"));
	}
	k->synack_retries = (unsigned)cfg_int(c, SYS("tcp_synack_retries"));
	k->orphan_retries = (unsigned)cfg_int(c, SYS("tcp_orphan_retries"));
	return true;
}

#undef SYS

/* A host's or box's kernel: [machine] keys, then [machine.sysctl] falling
 * back to [sysctl]. */
static bool resolve_kconf(kconf *k, const cfg *c, const char *machine, GError **err)
{
	memset(k, 0, sizeof(*k));
	k->prof = prof_find(cfg_str(c, machine, "profile"));
	BUG_ON(!k->prof);  /* the schema's enum lists the profiles */
	k->hz = (unsigned)cfg_int(c, machine, "hz");
	k->mem_bytes = (uint64_t)(cfg_double(c, machine, "memory") * 1073741824.0);
	k->ehash_entries = kconf_ehash_entries(k->mem_bytes, (uint64_t)cfg_int(c, machine, "thash_entries"));
	char *sec = scn__sysctl_section(machine);
	bool ok = tcp_resolve(k, c, sec, err);
	if (ok)
		ct_resolve(k, c, sec);
	g_free(sec);
	return ok;
}

static bool parse_addr(const cfg *c, const char *sec, const char *key, const char *text, uint32_t *out,
		       GError **err)
{
	struct in_addr a;
	if (inet_pton(AF_INET, text, &a) != 1) {
		cfg_error(c, sec, key, err, "'%s' is not an IPv4 address (expected e.g. 10.0.0.1)", text);
		return false;
	}
	*out = ntohl(a.s_addr);
	return true;
}

static bool is_loopback(uint32_t a)
{
	return (a >> 24) == 127;
}

/* A list of addresses; at least one. */
static bool parse_addrs(const cfg *c, const char *sec, const char *what, uint32_t **out, unsigned *n,
			GError **err)
{
	char **a = cfg_list(c, sec, "addresses");
	*n = g_strv_length(a);
	*out = g_new(uint32_t, *n ? *n : 1);
	bool ok = true;
	for (unsigned i = 0; i < *n && ok; i++)
		ok = parse_addr(c, sec, "addresses", a[i], &(*out)[i], err);
	g_strfreev(a);
	if (ok && !*n) {
		cfg_error(c, sec, "addresses", err, "expected at least one %s", what);
		ok = false;
	}
	return ok;
}

/* Whether a is among the client hosts' addresses. */
static bool is_client_addr(const scn_path *p, uint32_t a)
{
	return (uint64_t)(uint32_t)(a - p->first_client) < (uint64_t)p->nclients * p->addrs_per_client;
}

/* The [nat] kinds, in the order of the schema's choices (SCN_NAT_*). */
static const char *const nat_kind_names[] = { "netfilter", "aws-nat-gateway", "gcp-cloud-nat", "cilium",
					       "azure-nat-gateway", "azure-lb-outbound" };

/* [nat] keys that only some kinds read (a bit per SCN_NAT_* kind): set for
 * another kind, they are refused rather than ignored. */
#define K(kind) (1u << SCN_NAT_##kind)
static const struct {
	const char *key;
	unsigned kinds;
} nat_kind_keys[] = {
	{ "ports", K(NETFILTER) },
	{ "random", K(NETFILTER) },
	{ "persistent", K(NETFILTER) },
	{ "connections_per_destination", K(AWS) },
	{ "idle_timeout", K(AWS) },
	{ "close_hold", K(AWS) },
	{ "min_ports_per_vm", K(GCP) },
	{ "max_ports_per_vm", K(GCP) },
	{ "enable_dynamic_port_allocation", K(GCP) },
	{ "enable_endpoint_independent_mapping", K(GCP) },
	{ "tcp_established_idle_timeout_sec", K(GCP) },
	{ "tcp_transitory_idle_timeout_sec", K(GCP) },
	{ "tcp_time_wait_timeout_sec", K(GCP) },
	{ "bpf-ct-global-tcp-max", K(CILIUM) },
	{ "bpf-nat-global-max", K(CILIUM) },
	{ "bpf-ct-timeout-regular-tcp", K(CILIUM) },
	{ "bpf-ct-timeout-regular-tcp-fin", K(CILIUM) },
	{ "bpf-ct-timeout-regular-tcp-syn", K(CILIUM) },
	{ "conntrack-gc-interval", K(CILIUM) },
	{ "conntrack-gc-max-interval", K(CILIUM) },
	{ "node-port-range", K(CILIUM) },
	{ "snat-collision-retries", K(CILIUM) },
	{ "gc_pass_time", K(CILIUM) },
	{ "idle_timeout_in_minutes", K(AZURE_GW) },
	{ "snat_ports_per_ip", K(AZURE_GW) },
	{ "concurrent_connections_per_destination", K(AZURE_GW) },
	{ "port_reuse_timer_fin", K(AZURE_GW) },
	{ "port_reuse_timer_rst", K(AZURE_GW) },
	{ "half_open_timer", K(AZURE_GW) },
	{ "allocatedOutboundPorts", K(AZURE_LB) },
	{ "idleTimeoutInMinutes", K(AZURE_LB) },
	{ "port_release_fin", K(AZURE_LB) },
	{ "port_release_rst", K(AZURE_LB) },
};
#undef K

/* "netfilter, aws-nat-gateway": the kinds in a mask, for messages. */
static const char *kinds_str(unsigned kinds)
{
	static char buf[256];
	buf[0] = 0;
	for (unsigned k = 0; k < G_N_ELEMENTS(nat_kind_names); k++)
		if (kinds & 1u << k) {
			if (buf[0])
				g_strlcat(buf, ", ", sizeof buf);
			g_strlcat(buf, nat_kind_names[k], sizeof buf);
		}
	return buf;
}

/* Addresses, ports and who is who (a loopback path: one host). */
static bool path_resolve(scn_path *p, const cfg *c, GError **err)
{
	if (!parse_addr(c, "client", "address", cfg_str(c, "client", "address"), &p->first_client, err))
		return false;
	p->nclients = (unsigned)cfg_int(c, "client", "count");
	if (!parse_addrs(c, "server", "server address", &p->daddrs, &p->ndaddrs, err))
		return false;
	bool all_lo = true;
	for (unsigned i = 0; i < p->ndaddrs; i++)
		all_lo = all_lo && is_loopback(p->daddrs[i]);
	uint8_t bm[8192];
	cfg_ports(c, "server", "ports", bm);
	p->dports = g_new(uint16_t, 65536);
	for (unsigned port = 1; port < 65536; port++)
		if (bm[port >> 3] & (1u << (port & 7)))
			p->dports[p->ndports++] = (uint16_t)port;
	if (!p->ndports) {
		cfg_error(c, "server", "ports", err, "expected at least one listening port");
		return false;
	}
	p->loopback = all_lo && is_loopback(p->first_client);
	if (p->loopback && p->nclients != 1) {
		cfg_error(c, "client", "count", err, "loopback (127.x server addresses) needs exactly one client host");
		return false;
	}
	if (!p->loopback && (all_lo || is_loopback(p->first_client))) {
		cfg_error(c, "server", "addresses", err,
			  "loopback needs both the client address and every server address in 127.0.0.0/8");
		return false;
	}
	return true;
}

static bool workload_resolve(scenario *s, const cfg *c, GError **err)
{
	wl_spec *w = &s->workload;
	/* the enums list their values in the schema's order of choices (wl.h) */
	w->arrival = (wl_arrival)cfg_enum(c, "workload", "arrival");
	w->on = cfg_time(c, "workload", "on");
	w->off = cfg_time(c, "workload", "off");
	w->period = cfg_time(c, "workload", "period");
	w->amplitude = cfg_double(c, "workload", "amplitude");
	w->life_shape = cfg_double(c, "workload", "life_shape");
	if (w->life_shape <= 1) {
		cfg_error(c, "workload", "life_shape", err,
			  "expected a number > 1 (a Pareto life has a mean only for shape > 1)");
		return false;
	}
	w->requests = (unsigned)cfg_int(c, "workload", "requests");
	w->think = cfg_time(c, "workload", "think");
	w->rate = cfg_double(c, "workload", "rate");
	if (cfg_bool(c, "workload", "rate_per_client"))
		w->rate *= s->path.nclients;
	w->start = cfg_time(c, "workload", "start");
	w->stop = cfg_has(c, "workload", "stop") ? cfg_time(c, "workload", "stop") : s->duration;
	w->life = (wl_life)cfg_enum(c, "workload", "life");
	w->life_mean = cfg_time(c, "workload", "life_mean");
	w->life_sigma = cfg_double(c, "workload", "life_sigma");
	w->closer = (wl_closer)cfg_enum(c, "workload", "close");
	w->abort_fraction = cfg_double(c, "workload", "abort_fraction");
	w->peer_close_delay = cfg_time(c, "workload", "peer_close_delay");
	w->bind = (wl_bind)cfg_enum(c, "workload", "bind");
	unsigned per = (unsigned)cfg_int(c, "client", "addresses_per_host");
	if (per > 1 && w->bind != WL_BIND_ADDRESS) {
		cfg_error(c, "client", "addresses_per_host", err,
			  "more than one address per client needs [workload] bind = address (connect() alone "
			  "always uses the first)");
		return false;
	}
	s->path.addrs_per_client = per;
	w->addrs_per_client = per;
	w->reuseaddr = cfg_bool(c, "workload", "reuseaddr");
	w->dest = (wl_dest)cfg_enum(c, "workload", "destination");
	if (cfg_has(c, "workload", "local_port_range")) {
		const prof *p = s->client.k.prof;
		if (!p->has_sock_port_range || !p->sock_range_stride1) {
			cfg_error(c, "workload", "local_port_range", err,
				  "IP_LOCAL_PORT_RANGE is modelled from Linux 6.8 (the option exists from 6.3); "
				  "the client's profile %s does not have it", p->name);
			return false;
		}
		if (w->bind == WL_BIND_PORT0) {
			cfg_error(c, "workload", "local_port_range", err,
				  "applies to connect()'s port choice; bind = port0 chooses the port in bind()");
			return false;
		}
		int64_t lo, hi;
		cfg_range(c, "workload", "local_port_range", &lo, &hi);
		w->port_lo = (uint16_t)lo;
		w->port_hi = (uint16_t)hi;
	}
	/* N exchanges advance each side's sequence N times (mod 2^32, as the
	 * sequence space wraps). */
	s->request_bytes = (uint32_t)((uint64_t)cfg_int(c, "workload", "request_bytes") * w->requests);
	s->response_bytes = (uint32_t)((uint64_t)cfg_int(c, "workload", "response_bytes") * w->requests);
	s->unseen_teardown = cfg_double(c, "workload", "unseen_teardown");
	return true;
}

/* The checks tcp_host_add and tcp_listen would otherwise fail: every
 * address belongs to one host, and a host listens on at most 16 ports
 * (tcp_int.h's listen[]). */
static bool hosts_check(const scn_path *p, const cfg *c, GError **err)
{
	/* The client addresses follow the first one (world.c); they must not
	 * wrap past 255.255.255.255 to 0.0.0.0. */
	uint64_t naddrs = (uint64_t)p->nclients * p->addrs_per_client;
	if ((uint64_t)p->first_client + naddrs - 1 > UINT32_MAX) {
		uint32_t room = (uint32_t)(UINT32_MAX - p->first_client) + 1;  /* > 0: naddrs >= 1 */
		cfg_error(c, "client", "address", err,
			  "[client] count = %u x addresses_per_host = %u addresses from here run past "
			  "255.255.255.255 (%u fit); give a lower address or fewer hosts",
			  p->nclients, p->addrs_per_client, room);
		return false;
	}
	if (p->loopback) {
		for (unsigned i = 0; i < p->ndaddrs; i++)
			if (p->daddrs[i] != p->first_client) {
				cfg_error(c, "server", "addresses", err,
					  "loopback: give the client's own address (one host plays both roles)");
				return false;
			}
	} else {
		/* (tcp_host_add takes a host's own address twice) */
		for (unsigned i = 0; i < p->ndaddrs; i++) {
			if (is_client_addr(p, p->daddrs[i])) {
				cfg_error(c, "server", "addresses", err,
					  "a server address is also a client address or repeated");
				return false;
			}
		}
	}
	if (p->ndports > 16) {
		cfg_error(c, "server", "ports", err, "cannot listen on port %u (at most 16 listening ports)",
			  p->dports[16]);
		return false;
	}
	return true;
}

/*
 * A box on one of the experiment's own hosts: host = server or client (on a
 * loopback path every box is on the one host).  A [firewall] there is the
 * host's own conntrack: every segment the host sends or receives is tracked
 * once (nf_conntrack_in at LOCAL_OUT or PRE_ROUTING; on lo a segment comes
 * back in with its entry attached and PRE_ROUTING's nf_conntrack_in
 * returns at once, `if (tmpl || ctinfo == IP_CT_UNTRACKED)`,
 * nf_conntrack_core.c), next to the host and with no delay unless given.
 * A [nat] with host = server or client is a network namespace on that
 * machine.  Either way the box runs the host's kernel.
 */
static bool own_resolve(scenario *s, const cfg *c, scn_box *b, GError **err)
{
	bool lo = s->path.loopback;
	const char *role = lo ? "client" : !strcmp(b->host, "server") || !strcmp(b->host, "client") ? b->host : NULL;
	b->on_host = -1;
	if (!role)
		return true;
	const char *key = cfg_has(c, b->name, "host") ? "host" : "profile";
	const char *what = lo ? "the host" : !strcmp(role, "server") ? "the server" : "the client";
	if (!lo && !strcmp(role, "client") && s->path.nclients != 1) {
		cfg_error(c, b->name, key, err,
			  "host = client is one client host's machine, but [client] count is %u: give count = 1",
			  s->path.nclients);
		return false;
	}
	const kconf *hk = !strcmp(role, "server") ? &s->server.k : &s->client.k;
	if (hk->prof != b->k.prof || hk->hz != b->k.hz) {
		cfg_error(c, b->name, key, err, "the %s runs on %s's kernel, but its %s differs (%s: %s, HZ %u; %s: %s, HZ %u)",
			  b->name, what, hk->prof != b->k.prof ? "kernel profile" : "HZ", role, hk->prof->name, hk->hz,
			  b->name, b->k.prof->name, b->k.hz);
		return false;
	}
	b->on_host = !strcmp(role, "server");
	/* the machine's memory sizes the one table (nf_conntrack_init_start) */
	if (!cfg_has(c, b->name, "memory") && b->k.mem_bytes != hk->mem_bytes) {
		b->k.mem_bytes = hk->mem_bytes;
		char *sec = scn__sysctl_section(b->name);
		ct_resolve(&b->k, c, sec);
		g_free(sec);
	}
	if (strcmp(b->name, "firewall"))
		return true;
	b->own = true;
	if (!cfg_has(c, b->name, "delay"))
		b->delay = 0;  /* the host's own hooks, not another hop */
	return true;
}

static bool is_pow2(int64_t v)
{
	return v > 0 && !(v & (v - 1));
}

unsigned scn_nat_max_addrs(int kind)
{
	switch (kind) {
	case SCN_NAT_AWS:
		return 8;  /* "NAT gateway basics": one primary and up to seven secondary IPv4 addresses */
	case SCN_NAT_AZURE_GW:
		return AZGW_MAX_IPS;  /* "Azure NAT Gateway resource": "up to a total of 16 IP addresses" */
	case SCN_NAT_AZURE_LB:
		return AZLB_MAX_FRONTENDS;
	case SCN_NAT_GCP:
		return 256;  /* models/natgw_gcp.c numbers the addresses in a byte; an assumption, not Google's limit */
	default:
		return 0;
	}
}

/* [nat] kind = gcp-cloud-nat: the settings and the rules Google's Compute
 * API reference (RouterNat) gives them (models/natgw_gcp.h cites it). */
static bool gcp_resolve(scn_nat *n, const cfg *c, GError **err)
{
	n->gcp.dynamic = cfg_bool(c, "nat", "enable_dynamic_port_allocation");
	n->gcp.eim = cfg_bool(c, "nat", "enable_endpoint_independent_mapping");
	int64_t min = cfg_int(c, "nat", "min_ports_per_vm"), max = cfg_int(c, "nat", "max_ports_per_vm");
	if (n->naddrs > scn_nat_max_addrs(SCN_NAT_GCP)) {
		cfg_error(c, "nat", "addresses", err, "connsim's Cloud NAT model takes at most %u addresses, not %u",
			  scn_nat_max_addrs(SCN_NAT_GCP), n->naddrs);
		return false;
	}
	if (n->gcp.dynamic) {
		/* RouterNat: 32 and 65536 when not set; powers of two, min >= 32, max > min; and
		 * "enableEndpointIndependentMapping cannot be set to true" */
		if (!cfg_has(c, "nat", "min_ports_per_vm"))
			min = 32;
		if (n->gcp.eim) {
			cfg_error(c, "nat", "enable_endpoint_independent_mapping", err,
				  "dynamic port allocation and endpoint-independent mapping cannot both be on");
			return false;
		}
		if (!is_pow2(min) || min < 32) {
			cfg_error(c, "nat", "min_ports_per_vm", err,
				  "with dynamic port allocation it is a power of 2 of at least 32, not %lld", (long long)min);
			return false;
		}
		if (!is_pow2(max) || max <= min) {
			cfg_error(c, "nat", "max_ports_per_vm", err,
				  "with dynamic port allocation it is a power of 2 above min_ports_per_vm (%lld), not %lld",
				  (long long)min, (long long)max);
			return false;
		}
	} else if (cfg_has(c, "nat", "max_ports_per_vm")) {
		cfg_error(c, "nat", "max_ports_per_vm", err, "needs enable_dynamic_port_allocation = true");
		return false;
	}
	n->gcp.min_ports_per_vm = (uint32_t)min;
	n->gcp.max_ports_per_vm = (uint32_t)max;
	n->gcp.established_idle = cfg_int(c, "nat", "tcp_established_idle_timeout_sec") * EV_SEC;
	n->gcp.transitory_idle = cfg_int(c, "nat", "tcp_transitory_idle_timeout_sec") * EV_SEC;
	n->gcp.time_wait = cfg_int(c, "nat", "tcp_time_wait_timeout_sec") * EV_SEC;
	return true;
}

/* [nat] kind = cilium's settings (models/cilium.h). */
static bool cilium_resolve(scn_nat *n, const cfg *c, GError **err)
{
	if (n->naddrs != 1) {
		/* BPF masquerading rewrites to the node's address on the device */
		cfg_error(c, "nat", "addresses", err, "Cilium masquerades to the node's one address, not %u", n->naddrs);
		return false;
	}
	n->cil.ct_max = (uint32_t)cfg_int(c, "nat", "bpf-ct-global-tcp-max");
	n->cil.nat_max = (uint32_t)cfg_int(c, "nat", "bpf-nat-global-max");
	n->cil.t_tcp = cfg_time(c, "nat", "bpf-ct-timeout-regular-tcp");
	n->cil.t_fin = cfg_time(c, "nat", "bpf-ct-timeout-regular-tcp-fin");
	n->cil.t_syn = cfg_time(c, "nat", "bpf-ct-timeout-regular-tcp-syn");
	n->cil.gc_interval = cfg_time(c, "nat", "conntrack-gc-interval");
	n->cil.gc_max_interval = cfg_time(c, "nat", "conntrack-gc-max-interval");
	n->cil.gc_pass = cfg_time(c, "nat", "gc_pass_time");
	n->cil.retries = (unsigned)cfg_int(c, "nat", "snat-collision-retries");
	int64_t lo, hi;
	cfg_range(c, "nat", "node-port-range", &lo, &hi);
	if (hi >= 65535) {
		cfg_error(c, "nat", "node-port-range", err, "leaves no port above it for masquerading (it ends at %lld)",
			  (long long)hi);
		return false;
	}
	n->cil.port_min = (uint16_t)(hi + 1);
	n->cil.port_max = 65535;
	if (n->cil.gc_interval && n->cil.gc_interval < EV_SEC) {
		cfg_error(c, "nat", "conntrack-gc-interval", err, "is below 1s (0 is dynamic)");
		return false;
	}
	return true;
}

/* The Azure kinds' [nat] keys, with the limits Azure's pages set (cited
 * in models/natgw_azure.h and models/lb_azure.h). */
static bool azure_resolve(const scenario *s, const cfg *c, scn_nat *n, GError **err)
{
	n->azgw.ports_per_ip = (uint32_t)cfg_int(c, "nat", "snat_ports_per_ip");
	n->azgw.per_dest = (uint32_t)cfg_int(c, "nat", "concurrent_connections_per_destination");
	n->azgw.idle_timeout = cfg_int(c, "nat", "idle_timeout_in_minutes") * 60 * EV_SEC;
	n->azgw.reuse_fin = cfg_time(c, "nat", "port_reuse_timer_fin");
	n->azgw.reuse_rst = cfg_time(c, "nat", "port_reuse_timer_rst");
	n->azgw.half_open = cfg_time(c, "nat", "half_open_timer");
	n->azlb.allocated = (uint32_t)cfg_int(c, "nat", "allocatedOutboundPorts");
	n->azlb.idle_timeout = cfg_int(c, "nat", "idleTimeoutInMinutes") * 60 * EV_SEC;
	n->azlb.release_fin = cfg_time(c, "nat", "port_release_fin");
	n->azlb.release_rst = cfg_time(c, "nat", "port_release_rst");
	if (n->kind == SCN_NAT_AZURE_GW && n->naddrs > scn_nat_max_addrs(SCN_NAT_AZURE_GW)) {
		cfg_error(c, "nat", "addresses", err, "an Azure NAT Gateway has at most %u public IPs, not %u",
			  scn_nat_max_addrs(SCN_NAT_AZURE_GW), n->naddrs);
		return false;
	}
	if (n->kind != SCN_NAT_AZURE_LB)
		return true;
	unsigned pool = cfg_int(c, "nat", "clients") ? (unsigned)cfg_int(c, "nat", "clients") : s->path.nclients;
	if (n->naddrs > scn_nat_max_addrs(SCN_NAT_AZURE_LB)) {
		cfg_error(c, "nat", "addresses", err, "at most %u frontend IPs, not %u", scn_nat_max_addrs(SCN_NAT_AZURE_LB),
			  n->naddrs);
		return false;
	}
	if (s->path.addrs_per_client > 1) {
		/* "Outbound rules": "can only be applied to primary IPv4 configuration of a NIC" */
		cfg_error(c, "client", "addresses_per_host", err,
			  "azure-lb-outbound translates only a backend's primary IP configuration: one address per "
			  "host");
		return false;
	}
	if (n->azlb.allocated % 8) {
		/* "Outbound rules": "If you provide a value not divisible by 8,
		 * the configuration operation is rejected" */
		cfg_error(c, "nat", "allocatedOutboundPorts", err, "%u is not a multiple of 8 (Azure rejects it)",
			  n->azlb.allocated);
		return false;
	}
	if (!n->azlb.allocated && !azlb_default_ports(pool)) {
		cfg_error(c, "nat", "allocatedOutboundPorts", err,
			  "the default allocation table covers pools of 1 to 1,000 instances, not %u: set the ports "
			  "per instance", pool);
		return false;
	}
	if ((uint64_t)n->azlb.allocated * pool > (uint64_t)AZLB_PORTS_PER_IP * n->naddrs) {
		/* "Outbound rules": giving out more ports than the frontends have "is rejected" */
		cfg_error(c, "nat", "allocatedOutboundPorts", err,
			  "%u ports x %u instances exceed 64,000 x %u frontend IP(s)", n->azlb.allocated, pool,
			  n->naddrs);
		return false;
	}
	return true;
}

static bool box_resolve(scenario *s, const cfg *c, const char *name, GError **err)
{
	scn_box *b = &s->boxes[s->nboxes];
	g_strlcpy(b->name, name, sizeof b->name);
	if (!resolve_kconf(&b->k, c, name, err))
		return false;
	b->delay = cfg_time(c, name, "delay");
	b->loss = cfg_double(c, name, "loss");
	g_strlcpy(b->host, cfg_str(c, name, "host"), sizeof b->host);
	if (strlen(cfg_str(c, name, "host")) >= sizeof b->host) {
		cfg_error(c, name, "host", err, "a host name has at most %zu characters", sizeof b->host - 1);
		return false;
	}
	if (!own_resolve(s, c, b, err))
		return false;
	/* Namespaces of one host share one kernel: one profile and HZ, and
	 * the table's global sizes (nf_conntrack_buckets is the one
	 * nf_conntrack_hash; nf_conntrack_max is global, read-only in other
	 * namespaces, nf_conntrack_standalone.c, and __nf_conntrack_alloc
	 * compares each namespace's own count, net->ct.count, with it). */
	if (s->nboxes && b->host[0] && !strcmp(b->host, s->boxes[0].host)) {
		const kconf *o = &s->boxes[0].k;
		const char *what = o->prof != b->k.prof ? "kernel profile"
				   : o->hz != b->k.hz ? "HZ"
				   : o->ct_buckets != b->k.ct_buckets ? "nf_conntrack_buckets"
				   : o->ct_max != b->k.ct_max ? "nf_conntrack_max" : NULL;
		if (what) {
			cfg_error(c, name, "host", err, "boxes on host %s share one kernel: their %s differs", b->host, what);
			return false;
		}
	}
	s->nboxes++;  /* owns its addresses from here on */
	if (strcmp(name, "nat"))
		return true;
	scn_nat *n = &b->nat;
	uint32_t *addrs;
	if (!parse_addrs(c, "nat", "external address", &addrs, &n->naddrs, err)) {
		g_free(addrs);
		return false;
	}
	b->has_nat = true;
	n->addrs = addrs;
	if (cfg_has(c, "nat", "ports")) {
		int64_t lo, hi;
		cfg_range(c, "nat", "ports", &lo, &hi);
		n->port_lo = (uint16_t)lo;
		n->port_hi = (uint16_t)hi;
	}
	unsigned r = cfg_enum(c, "nat", "random");  /* none|random|fully */
	n->random = r == 1;
	n->random_fully = r == 2;
	if (n->random_fully && !b->k.prof->has_random_fully) {
		cfg_error(c, "nat", "random", err, "--random-fully exists from Linux 3.14; profile %s does not have it",
			  b->k.prof->name);
		return false;
	}
	n->persistent = cfg_bool(c, "nat", "persistent");
	n->kind = cfg_enum(c, "nat", "kind");
	n->per_dest = (uint32_t)cfg_int(c, "nat", "connections_per_destination");
	n->idle_timeout = cfg_time(c, "nat", "idle_timeout");
	n->close_hold = cfg_time(c, "nat", "close_hold");
	if (n->kind == SCN_NAT_AWS && n->naddrs > scn_nat_max_addrs(SCN_NAT_AWS)) {
		cfg_error(c, "nat", "addresses", err, "an AWS NAT Gateway has at most %u addresses, not %u",
			  scn_nat_max_addrs(SCN_NAT_AWS), n->naddrs);
		return false;
	}
	if (n->kind == SCN_NAT_CILIUM && !cilium_resolve(n, c, err))
		return false;
	if ((n->kind == SCN_NAT_AZURE_GW || n->kind == SCN_NAT_AZURE_LB) && !azure_resolve(s, c, n, err))
		return false;
	for (unsigned i = 0; i < G_N_ELEMENTS(nat_kind_keys); i++)
		if (!(nat_kind_keys[i].kinds & 1u << n->kind) && cfg_has(c, "nat", nat_kind_keys[i].key)) {
			cfg_error(c, "nat", nat_kind_keys[i].key, err, "belongs to [nat] kind = %s; this box is kind = %s",
				  kinds_str(nat_kind_keys[i].kinds), nat_kind_names[n->kind]);
			return false;
		}
	if (n->kind == SCN_NAT_GCP && !gcp_resolve(n, c, err))
		return false;
	b->clients = (unsigned)cfg_int(c, "nat", "clients");
	if (b->clients > s->path.nclients) {
		cfg_error(c, "nat", "clients", err, "%u client hosts behind the NAT, but client.count is %u", b->clients,
			  s->path.nclients);
		return false;
	}
	return true;
}

static void add_items(scenario *s, const cfg *c)
{
	add_section_items(s, c, "experiment");
	add_kconf_items(s, c, "client", &s->client.k, false);
	if (!s->path.loopback)
		add_kconf_items(s, c, "server", &s->server.k, false);
	for (unsigned i = 0; i < s->nboxes; i++) {
		add_kconf_items(s, c, s->boxes[i].name, &s->boxes[i].k, true);
		if (s->boxes[i].on_host >= 0 && !cfg_has(c, s->boxes[i].name, "memory"))
			for (guint j = 0; j < s->items->len; j++) {
				scn_item *it = g_ptr_array_index(s->items, j);
				if (!strcmp(it->section, s->boxes[i].name) && !strcmp(it->name, "memory")) {
					const char *h = s->boxes[i].on_host ? "server" : "client";
					g_free(it->value);
					g_free(it->source);
					it->value = value_text(c, h, cfg_schema_find(c, h, "memory"));
					it->source = g_strdup_printf("the %s's machine", h);
				}
			}
		if (s->boxes[i].own && !cfg_has(c, s->boxes[i].name, "delay"))
			for (guint j = 0; j < s->items->len; j++) {
				scn_item *it = g_ptr_array_index(s->items, j);
				if (!strcmp(it->section, s->boxes[i].name) && !strcmp(it->name, "delay")) {
					g_free(it->value);
					g_free(it->source);
					it->value = g_strdup("0s");
					it->source = g_strdup("default: a host's own conntrack");
				}
			}
	}
	add_section_items(s, c, "workload");
}

/* The estimate of models/budget.c against the process's limit, before
 * world_new allocates anything; the error names the key most responsible
 * at its line. */
static bool budget_fits(const scenario *s, const cfg *c, GError **err)
{
	budget b;
	scn_budget(s, &b);
	const char *section, *key;
	char *why = budget_refusal(&b, budget_limit(), &section, &key);
	if (why && !cfg_has(c, section, key)) {
		/* name a line of the file when the key most responsible is a
		 * default: the next setting that feeds the same estimate */
		static const char *const alt[][2] = { { "client", "count" },     { "client", "thash_entries" },
						      { "client", "memory" },    { "workload", "rate" },
						      { "experiment", "duration" } };
		for (unsigned i = 0; i < G_N_ELEMENTS(alt); i++)
			if (cfg_has(c, alt[i][0], alt[i][1])) {
				section = alt[i][0];
				key = alt[i][1];
				break;
			}
	}
	if (why)
		cfg_error(c, section, key, err, "%s", why);
	g_free(why);
	return !why;
}

scenario *scn_new(const cfg *c, GError **err)
{
	scenario *s = g_new0(scenario, 1);
	s->items = g_ptr_array_new_with_free_func(item_free);
	s->duration = cfg_time(c, "experiment", "duration");
	s->warmup = cfg_time(c, "experiment", "warmup");
	s->sample = cfg_time(c, "experiment", "sample");
	if (s->warmup >= s->duration) {
		cfg_error(c, "experiment", "warmup", err, "must be shorter than the duration (%.3f s)",
			  (double)s->duration / 1e9);
		goto fail;
	}
	if (!resolve_kconf(&s->client.k, c, "client", err) || !resolve_kconf(&s->server.k, c, "server", err))
		goto fail;
	s->client.link_delay = cfg_time(c, "client", "link_delay");
	s->client.loss = cfg_double(c, "client", "loss");
	s->server.link_delay = cfg_time(c, "server", "link_delay");
	s->server.loss = cfg_double(c, "server", "loss");
	if (!path_resolve(&s->path, c, err) || !workload_resolve(s, c, err) || !hosts_check(&s->path, c, err))
		goto fail;
	if (s->path.loopback && scn__has_machine(c, "nat")) {
		/* the host's own SNAT of its loopback traffic (nat POSTROUTING
		 * -o lo) is not modelled: connsim's NAT is a box between client
		 * hosts and a server */
		const char *key = "addresses";
		for (const cfg_key *k = keys; k->name; k++)
			if (g_str_has_prefix(k->section, "nat") && cfg_has(c, "nat", k->name)) {
				key = k->name;
				break;
			}
		bool given = cfg_has(c, "nat", key);
		cfg_error(c, given ? "nat" : "server", given ? key : "addresses", err,
			  "a loopback path (client and server addresses in 127.0.0.0/8: one host) takes no [nat]: "
			  "SNAT of a host's own loopback traffic is not modelled; a [firewall] there is the host's "
			  "own conntrack");
		goto fail;
	}
	/* boxes from the client side: a firewall that is the client's own
	 * conntrack comes before the NAT */
	bool fw_first = !s->path.loopback && !strcmp(cfg_str(c, "firewall", "host"), "client");
	for (unsigned i = 2; i < SCN_MACHINES; i++) {
		const char *m = scn__machines[fw_first ? 5 - i : i];
		if (scn__has_machine(c, m) && !box_resolve(s, c, m, err))
			goto fail;
	}
	if (!budget_fits(s, c, err))
		goto fail;
	add_items(s, c);
	return s;
fail:
	scn_free(s);
	return NULL;
}

void scn_free(scenario *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nboxes; i++)
		g_free(s->boxes[i].nat.addrs);
	g_free(s->path.daddrs);
	g_free(s->path.dports);
	g_ptr_array_free(s->items, TRUE);
	g_free(s);
}

/* ---- printing and comparing ------------------------------------------- */

void scn_print(const scenario *s, GString *out)
{
	const char *last = "";
	for (guint i = 0; i < s->items->len; i++) {
		const scn_item *it = g_ptr_array_index(s->items, i);
		if (strcmp(last, it->section))
			g_string_append_printf(out, "%s[%s]\n", i ? "\n" : "", it->section);
		last = it->section;
		g_string_append_printf(out, "  %s = %s   (%s)\n", it->name, it->value, it->source);
	}
}

static const scn_item *find_item(const scenario *s, const scn_item *like)
{
	for (guint i = 0; i < s->items->len; i++) {
		const scn_item *it = g_ptr_array_index(s->items, i);
		if (!strcmp(it->section, like->section) && !strcmp(it->name, like->name))
			return it;
	}
	return NULL;
}

static void diff_one(GArray *d, const scn_item *x, const scn_item *y, bool swap)
{
	if (y && !strcmp(x->value, y->value))
		return;
	scn_change ch = { x->section, x->name, x->value, x->source, y ? y->value : NULL, y ? y->source : NULL };
	if (swap)
		ch = (scn_change){ x->section, x->name, NULL, NULL, x->value, x->source };
	g_array_append_val(d, ch);
}

GArray *scn_diff(const scenario *a, const scenario *b)
{
	GArray *d = g_array_new(FALSE, FALSE, sizeof(scn_change));
	for (guint i = 0; i < a->items->len; i++) {
		const scn_item *x = g_ptr_array_index(a->items, i);
		diff_one(d, x, find_item(b, x), false);
	}
	for (guint i = 0; i < b->items->len; i++) {
		const scn_item *y = g_ptr_array_index(b->items, i);
		if (!find_item(a, y))
			diff_one(d, y, NULL, true);
	}
	return d;
}
