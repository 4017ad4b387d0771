/*
 * cil: a Kubernetes node whose pods reach the world through Cilium's eBPF
 * datapath with BPF masquerading ([nat] kind = cilium): a conntrack map and
 * a NAT map in place of netfilter, a port search of its own, and entries
 * freed only by the agent's garbage collector.  Built from Cilium's source
 * (github.com/cilium/cilium, main) and documentation, not from a kernel:
 *
 *  - the maps: bpf/lib/conntrack_map.h (cilium_ct4_global) and
 *    bpf/lib/nat.h (cilium_snat_v4_external) are BPF_MAP_TYPE_LRU_HASH, of
 *    bpf-ct-global-tcp-max and bpf-nat-global-max entries (cilium-agent
 *    command reference, https://docs.cilium.io/en/latest/cmdref/cilium-agent/:
 *    "Maximum number of entries in TCP CT table (default 524288)"; "eBPF
 *    Maps", https://docs.cilium.io/en/latest/network/ebpf/maps/: NAT "512k").
 *    The "eBPF Maps" page says "Insertion beyond the limit will fail"; the
 *    source says otherwise for these two: an LRU hash map evicts an entry to
 *    make room (kernel/bpf/hashtab.c, htab_lru_map_update_elem), so a full
 *    map drops no packet but forgets a connection (counted here as
 *    ct_lru_evictions and nat_lru_evictions);
 *  - a connection's NAT state is two entries (snat_v4_new_mapping in
 *    bpf/lib/nat.h): the SNAT entry keyed by the pod's tuple and the RevSNAT
 *    entry keyed by (server, node address, server port, NAT port), both in
 *    the one NAT map, so a connection takes two of bpf-nat-global-max;
 *  - the port search (snat_v4_new_mapping, __snat_try_keep_port,
 *    __snat_clamp_port_range): keep the pod's own source port if it is in
 *    the masquerade range, else a random one; try to create the RevSNAT
 *    entry (BPF_NOEXIST); on a collision draw a random port once, then
 *    clamp(port + 1) on each further retry, SNAT_COLLISION_RETRIES (32)
 *    tries in all; none free: DROP_NAT_NO_MAPPING ("No mapping for NAT
 *    masquerade").  clamp(v) = start + ((v x (end - start + 1)) >> 16) with
 *    v 16 bits: it maps a 16-bit draw onto the range, so "port + 1" is not
 *    the next port but a step half-way to the top of the range: the retries
 *    after the random one walk towards 65535 (and from there, 65535 + 1
 *    wrapping to 0, from the bottom again) along the same ports for every
 *    connection.  PR cilium/cilium#37389 ("Reduce SNAT_COLLISION_RETRIES to
 *    32") observed that no port is found after about 25 retries.  (Older
 *    releases computed the clamp as (v % (end - start)) + start, which steps
 *    one port per retry; they are not modelled.);
 *  - the masquerade port range: NODEPORT_PORT_MAX_NAT + 1 .. 65535 with
 *    node-port-range 30000-32767 (the default): 32768-65535 (issue
 *    cilium/cilium#23604; the NAT target's min_port/max_port in
 *    bpf/lib/nodeport.h);
 *  - a retry count above SNAT_SIGNAL_THRES (SNAT_COLLISION_RETRIES / 2)
 *    sends SIGNAL_NAT_FILL_UP, which wakes the agent's garbage collector at
 *    once (pkg/maps/ctmap/gc/gc.go: the select on the signal channel; the
 *    pass then purges orphan NAT entries, PurgeOrphanNATEntries);
 *  - conntrack lifetimes (bpf/lib/conntrack.h, ct_update_timeout and
 *    __ct_lookup): every segment of a live entry sets its lifetime to now +
 *    bpf-ct-timeout-regular-tcp (6h) once a non-SYN was seen, else
 *    bpf-ct-timeout-regular-tcp-syn (60s); a FIN or RST closes its own
 *    direction (an RST before both SYNs were seen closes both); once both
 *    directions are closed the lifetime is set once to
 *    bpf-ct-timeout-regular-tcp-fin (10s); a SYN on a closed entry reopens
 *    it.  An RST after the handshake therefore leaves the entry alive with
 *    the 6-hour lifetime its last segment gave it;
 *  - the datapath never frees an entry: the agent's GC (pkg/maps/ctmap/gc)
 *    walks the conntrack map, deletes entries whose lifetime has passed and,
 *    with each, its NAT entries (ctmap.NatMapNext4).  Its interval
 *    (getIntervalWithConfig, calculateIntervalWithConfig): conntrack-gc-
 *    interval if set; else starting at 5 min (defaults.ConntrackGCStarting
 *    Interval), with r = deleted / map size (the largest over the maps),
 *    scaled by expected / actual interval when a signal cut the interval
 *    short: r > 0.25: interval x (1 - min(r, 0.9)), not below 10 s
 *    (ConntrackGCMinInterval); r < 0.05: x 1.5, not above 12 h
 *    (ConntrackGCMaxLRUInterval); rounded to the second; then capped by
 *    conntrack-gc-max-interval when set.
 *
 * Assumed (each a setting or said where it is done):
 *  - LRU eviction takes the least recently used entry; the kernel's BPF LRU
 *    (kernel/bpf/bpf_lru_list.c) approximates it with per-CPU lists;
 *  - a GC pass is instantaneous but mutes the fill-up signal for
 *    gc_pass_time (default 1 s: the agent mutes signals while a pass runs,
 *    gc.go MuteSignals/UnmuteSignals, and a pass over a map of 10^5 entries
 *    takes of the order of a second);
 *  - the datapath does not look at an entry's lifetime: an expired entry
 *    that the GC has not yet deleted keeps working (and keeps its port);
 *  - TCP only, IPv4 only (the CT "any" map and IPv6 are not modelled;
 *    bpf-map-dynamic-size-ratio is not: set the sizes);
 *  - segments reach the node address only as replies: a reply with no
 *    RevSNAT entry is dropped (DROP_NAT_NO_MAPPING, ingress).
 *
 * The box sees the gateway as a hop: cil_hop rewrites or drops a segment.
 * Time: work due (GC passes) is done when the next segment arrives, at the
 * time it was due, so gauges change at the right instant.
 */
#ifndef CONNSIM_CILIUM_H
#define CONNSIM_CILIUM_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* cilium-agent command reference (URL above): the defaults */
#define CIL_CT_MAX 524288u                     /* bpf-ct-global-tcp-max */
#define CIL_NAT_MAX 524288u                    /* bpf-nat-global-max */
#define CIL_T_TCP (21600 * EV_SEC)             /* bpf-ct-timeout-regular-tcp, 6h0m0s */
#define CIL_T_FIN (10 * EV_SEC)                /* bpf-ct-timeout-regular-tcp-fin */
#define CIL_T_SYN (60 * EV_SEC)                /* bpf-ct-timeout-regular-tcp-syn */
/* bpf/lib/nat.h (after cilium/cilium#37389) */
#define CIL_RETRIES 32u                        /* SNAT_COLLISION_RETRIES */
/* pkg/defaults/defaults.go */
#define CIL_GC_START (300 * EV_SEC)            /* ConntrackGCStartingInterval */
#define CIL_GC_MIN (10 * EV_SEC)               /* ConntrackGCMinInterval */
#define CIL_GC_MAX_LRU (12 * 3600 * EV_SEC)    /* ConntrackGCMaxLRUInterval */

typedef struct cil_cfg {
	uint32_t addr;            /* the node address pods are masqueraded to */
	uint32_t ct_max, nat_max; /* bpf-ct-global-tcp-max, bpf-nat-global-max */
	ev_time t_tcp, t_fin, t_syn;
	ev_time gc_interval;      /* conntrack-gc-interval; 0: dynamic */
	ev_time gc_max_interval;  /* conntrack-gc-max-interval; 0: none */
	ev_time gc_pass;          /* assumed: signals are muted this long after a pass */
	uint16_t port_min, port_max;  /* masquerade range */
	unsigned retries;         /* SNAT_COLLISION_RETRIES */
} cil_cfg;

typedef struct cil cil;

/* rng: the box's NAT stream (the datapath's get_prandom_u32).  Probes
 * "PREFIX.NAME" in ps (may be NULL): counters drop_nat_no_mapping (SYNs
 * and other segments from pods for which no port was found), drop_nat_no_
 * mapping_ingress (replies without a RevSNAT entry), ct_lru_evictions,
 * nat_lru_evictions, conntrack_gc_runs; gauges ct_entries, nat_entries,
 * ports_held (RevSNAT entries), conntrack_gc_entries_alive,
 * conntrack_gc_entries_deleted (of the last pass), conntrack_gc_interval_s;
 * histogram snat_alloc_retries. */
cil *cil_new(const cil_cfg *cfg, gsl_rng *rng, probe_set *ps, const char *prefix);
void cil_free(cil *c);

/* One segment crossing the node's datapath at now (never earlier than the
 * last call): from a pod (to anything but the node address): conntrack,
 * then SNAT; to the node address: RevSNAT, then conntrack.  False when
 * dropped; p->why is then TCP_HIT_NAT_FAIL for a SYN that found no port,
 * else 0. */
bool cil_hop(cil *c, tcp_hop_pkt *p, ev_time now);

/* The port search's arithmetic (bpf/lib/nat.h __snat_clamp_port_range). */
uint16_t cil_clamp_port(uint16_t start, uint16_t end, uint16_t val);

/* State at now (GC passes due by now are run first), for tests. */
uint32_t cil_ct_entries(cil *c, ev_time now);
uint32_t cil_nat_entries(cil *c, ev_time now);
ev_time cil_gc_interval(const cil *c);  /* the interval the last pass chose */
uint64_t cil_gc_runs(const cil *c);
uint64_t cil_alloc_failures(const cil *c);  /* drop_nat_no_mapping */
/* The NAT port a pod tuple is mapped to, 0 when none. */
uint16_t cil_nat_port(cil *c, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport);

/* The GC interval rule alone (gc.go getIntervalWithConfig): the next
 * interval after a pass that deleted ratio of the map, actual_prev after
 * the previous pass that had chosen expected_prev (0: none yet). */
ev_time cil_next_interval(const cil_cfg *cfg, ev_time actual_prev, ev_time expected_prev, double ratio);

#endif
