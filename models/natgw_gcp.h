/*
 * gcpnat: a Google Cloud NAT gateway as a box ([nat] kind = gcp-cloud-nat),
 * built from Google's published documentation, not from a kernel:
 *
 *  - "IP addresses and ports" (Cloud NAT documentation,
 *    https://cloud.google.com/nat/docs/ports-and-addresses): each NAT IP
 *    address has 64,512 TCP source ports (65,536 less the first 1,024,
 *    which are not used: ports 1024-65535); with static port allocation each
 *    VM is given min_ports_per_vm ports (default 64) of one NAT IP address,
 *    so one address serves floor(64,512 / ports per VM) VMs (1,008 at 64); a
 *    NAT source address and port carry one connection to each unique
 *    destination (destination address, port, protocol), so one VM reaches
 *    one destination with at most its ports at once; with endpoint-
 *    independent mapping a VM's internal address and port keep one NAT
 *    address and port for every destination, which is then not given to
 *    another internal port of the VM; with dynamic port allocation a VM
 *    starts with min_ports_per_vm, and when it has used all of them its
 *    allocation doubles, up to max_ports_per_vm, and shrinks again when it
 *    uses fewer.
 *  - Compute Engine API reference, RouterNat
 *    (https://cloud.google.com/compute/docs/reference/rest/v1/routers):
 *    minPortsPerVm "is rounded up to the nearest power of 2" ("if the value
 *    of this field is 50, at least 64 ports are allocated"); with
 *    enableDynamicPortAllocation, minPortsPerVm must be a power of two of at
 *    least 32 (32 when not set) and maxPortsPerVm a power of two greater
 *    than it (65,536 when not set), and enableEndpointIndependentMapping
 *    cannot be true; tcpEstablishedIdleTimeoutSec defaults to 1200 s,
 *    tcpTransitoryIdleTimeoutSec to 30 s, tcpTimeWaitTimeoutSec to 120 s.
 *  - "Tune NAT configuration" / "NAT timeouts"
 *    (https://cloud.google.com/nat/docs/tune-nat-configuration): the
 *    TIME_WAIT timeout is how long after a TCP connection closes before its
 *    NAT tuple may be used again for the same destination.
 *  - "Logs and metrics" (https://cloud.google.com/nat/docs/monitoring):
 *    the metrics nat/nat_allocation_failed, nat/dropped_sent_packets_count
 *    (reason OUT_OF_RESOURCES: no port), nat/port_usage (a VM's highest
 *    count of connections to one destination), nat/allocated_ports,
 *    nat/new_connections_count, nat/closed_connections_count,
 *    nat/open_connections.  Probe names replace "nat/" with the box's
 *    prefix ("nat." gives nat.nat_allocation_failed); the drops of
 *    dropped_sent_packets_count are all of reason OUT_OF_RESOURCES
 *    (ENDPOINT_INDEPENDENT_CONFLICT is not modelled).
 *
 * Assumed where the documentation is silent:
 *  - endpoint-independent mapping is off unless set (the API field is an
 *    optional boolean; the pages read give no default for new gateways);
 *  - a VM is one internal source address (a client host with several
 *    addresses counts once per address); a VM is given its ports at its
 *    first SYN (Google allocates at configuration time: the order differs,
 *    the counts do not) from the first NAT address, in order, with a free
 *    aligned block of its size; a VM for which no address has room gets no
 *    ports (nat_allocation_failed) and its SYNs are dropped;
 *  - within its ports a VM's connection takes the lowest one free for the
 *    destination (endpoint-independent mapping: free for every
 *    destination);
 *  - dynamic allocation doubles at the SYN that finds no free port (the
 *    added block, as large as the allocation so far, preferably on the
 *    address of the VM's first block), and gives the block added last back
 *    as soon as none of its ports holds a connection (the VM then uses at
 *    most half of its ports): Google gives no delay;
 *  - a connection is established once the destination has answered; it is
 *    transitory before that and once a FIN or RST has been seen; it enters
 *    TIME_WAIT at the ACK that follows FINs both ways, or at an RST; idle
 *    timeouts free the tuple at once (no TIME_WAIT after them);
 *  - a segment of no known connection is dropped (counted in
 *    dropped_received_packets_count from the destination, in
 *    dropped_unmapped from behind).
 *
 * TCP only (the simulator has no UDP/ICMP).  The box sees the gateway as a
 * hop: gcpnat_hop rewrites or drops a segment.
 */
#ifndef CONNSIM_NATGW_GCP_H
#define CONNSIM_NATGW_GCP_H

#include <stdbool.h>
#include <stdint.h>

#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* "IP addresses and ports": 64,512 ports per NAT IP address (1024-65535) */
#define GCPNAT_PORT_LO 1024u
#define GCPNAT_PORTS_PER_ADDR 64512u
/* "IP addresses and ports": static allocation, 64 ports per VM by default */
#define GCPNAT_MIN_PORTS 64u
/* RouterNat: dynamic allocation, minPortsPerVm 32, maxPortsPerVm 65536 when unset */
#define GCPNAT_DYN_MIN_PORTS 32u
#define GCPNAT_DYN_MAX_PORTS 65536u
/* RouterNat: the TCP timeouts when unset */
#define GCPNAT_TCP_ESTABLISHED_IDLE (1200 * EV_SEC)
#define GCPNAT_TCP_TRANSITORY_IDLE (30 * EV_SEC)
#define GCPNAT_TCP_TIME_WAIT (120 * EV_SEC)
/* Largest block a VM holds on one address here (assumed: a block does not
 * span two addresses): the largest power of two within 64,512. */
#define GCPNAT_MAX_BLOCK 32768u

typedef struct gcpnat_cfg {
	const uint32_t *addrs;      /* the gateway's NAT IP addresses */
	unsigned naddrs;
	uint32_t min_ports_per_vm;  /* rounded up to a power of two here */
	uint32_t max_ports_per_vm;  /* dynamic allocation only */
	bool dynamic;               /* enable_dynamic_port_allocation */
	bool eim;                   /* enable_endpoint_independent_mapping */
	ev_time established_idle;   /* tcp_established_idle_timeout_sec */
	ev_time transitory_idle;    /* tcp_transitory_idle_timeout_sec */
	ev_time time_wait;          /* tcp_time_wait_timeout_sec */
} gcpnat_cfg;

typedef struct gcpnat gcpnat;

/* The ports a VM is given first: min_ports_per_vm rounded up to a power of
 * two ("rounded up to the nearest power of 2"). */
uint32_t gcpnat_ports_per_vm(uint32_t min_ports_per_vm);

/* prefix: probe names "PREFIX.NAME".  Counters new_connections_count,
 * closed_connections_count, dropped_sent_packets_count (OUT_OF_RESOURCES),
 * dropped_received_packets_count, dropped_unmapped; gauges
 * nat_allocation_failed (VMs whose last allocation failed), allocated_ports
 * (ports given to VMs), port_usage (the highest count of ports one VM holds
 * to one destination), open_connections, ports_held (NAT tuples taken: open
 * connections and those in TIME_WAIT).  ps may be NULL. */
gcpnat *gcpnat_new(const gcpnat_cfg *cfg, probe_set *ps, const char *prefix);
void gcpnat_free(gcpnat *g);

/* One segment crossing the gateway at now (never earlier than the last
 * call): ORIGINAL segments (from behind) take the connection's NAT address
 * and port as source, REPLY segments its VM as destination.  False when the
 * gateway drops it; p->why is then TCP_HIT_NAT_FAIL for a SYN that found no
 * port, else 0. */
bool gcpnat_hop(gcpnat *g, tcp_hop_pkt *p, ev_time now);

/* Readings at now (expiring what is due), for tests without a probe set. */
typedef struct gcpnat_stats {
	uint64_t out_of_resources;  /* SYNs dropped without a port */
	uint64_t new_connections, closed_connections;
	uint32_t vms_failed;        /* VMs whose last allocation failed */
	uint32_t allocated_ports;   /* over all VMs */
	uint32_t port_usage;        /* max over VMs and destinations */
	uint32_t tuples_held;       /* open connections and TIME_WAITs */
	uint32_t open;
} gcpnat_stats;
void gcpnat_stats_at(gcpnat *g, ev_time now, gcpnat_stats *out);
/* Ports given to the VM with internal address vm (0: not seen yet). */
uint32_t gcpnat_vm_ports(const gcpnat *g, uint32_t vm);

#endif
