/*
 * azlb: an Azure Standard Load Balancer's outbound SNAT as a box ([nat]
 * kind = azure-lb-outbound): outbound rules, or the load-balancing rule's
 * default outbound SNAT, for the backend pool's instances (the client hosts
 * behind the box).  Built from Microsoft's published documentation:
 *
 *  - "Source Network Address Translation (SNAT) for outbound connections"
 *    (https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections):
 *    "When a public IP address is added as a frontend IP to a load balancer,
 *    64,000 ports are eligible for SNAT", and "frontend IPs are consumed one
 *    at a time"; the default port allocation table, "Default SNAT ports per
 *    IP configuration" by pool size: 1-50: 1,024, 51-100: 512, 101-200: 256,
 *    201-400: 128, 401-800: 64, 801-1,000: 32; "the load balancer will use a
 *    single SNAT port for every destination IP and port ... The port is only
 *    reused if the destination IP or port is different"; "SNAT exhaustion
 *    occurs when a backend instance runs out of given SNAT Ports. A load
 *    balancer can still have unused SNAT ports"; TCP SNAT port release (in
 *    its revisions up to 2022, also "Troubleshoot outbound connections"):
 *    "If either server/client sends FINACK, SNAT port will be released
 *    after 240 seconds. If a RST is seen, SNAT port will be released after
 *    15 seconds. If idle timeout has been reached, port is released."
 *  - "Outbound rules Azure Load Balancer"
 *    (https://learn.microsoft.com/azure/load-balancer/outbound-rules):
 *    ports per instance ("allocatedOutboundPorts") are given "in multiples
 *    of 8" (else "the configuration operation is rejected"), more than the
 *    frontends' 64,000 each is rejected, 0 reverts to the default table;
 *    "Outbound idle timeouts default to 4 minutes", range 4 to 120 minutes;
 *    only a NIC's primary IPv4 configuration gets outbound rules.
 *  - "Standard Load Balancer diagnostics with metrics, alerts, and resource
 *    health" (https://learn.microsoft.com/azure/load-balancer/load-balancer-standard-diagnostics):
 *    SNAT Connection Count (SnatConnectionCount, "Counters for successful
 *    and failed outbound SNAT flows"), Allocated SNAT Ports
 *    (AllocatedSnatPorts), Used SNAT Ports (UsedSnatPorts).
 *
 * Assumed where the documentation is silent (said again where it is done):
 *  - instance k's ports are the k-th block of allocatedOutboundPorts in
 *    the frontends' ports laid end to end, the first frontend's first
 *    ("consumed one at a time"), ports 1024-65023 of each (64,000);
 *  - the default table does not grow with frontend IPs (it is per IP
 *    configuration of the instance);
 *  - within its block an instance takes the next port free for the
 *    destination from a rover;
 *  - the release timers start at the first FIN or RST either way (the
 *    connection's later segments still cross until the release); a SYN on
 *    the 4-tuple of a flow not yet released opens it again on its port
 *    (Linux clients free a port 60 s after their FIN, TIME_WAIT, and may
 *    reuse the 4-tuple within the 240 s);
 *  - enableTcpReset is not modelled: the reset it sends at the idle timeout
 *    is a segment a hop cannot send; without it "the default behavior ...
 *    is to drop the flow silently", which is what this box does;
 *  - a segment of no known flow is dropped.
 *
 * TCP only.  The box sees the load balancer as a hop: azlb_hop rewrites or
 * drops a segment.
 */
#ifndef CONNSIM_LB_AZURE_H
#define CONNSIM_LB_AZURE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* "SNAT for outbound connections": 64,000 ports per frontend IP; release
 * 240 s after a FIN, 15 s after a RST.  "Outbound rules": idle timeout
 * 4 min (4-120).  The frontend count is capped here (a port's frontend is
 * found from its index), well above the gateways' documented sizes. */
#define AZLB_PORTS_PER_IP 64000u
#define AZLB_MAX_FRONTENDS 64u
#define AZLB_MAX_INSTANCES 65535u
#define AZLB_IDLE_TIMEOUT (4 * 60 * EV_SEC)
#define AZLB_RELEASE_FIN (240 * EV_SEC)
#define AZLB_RELEASE_RST (15 * EV_SEC)

/* The default table's ports per instance for a pool of n instances; 0 past
 * 1,000 (the table ends there) or for 0. */
uint32_t azlb_default_ports(unsigned n);

typedef struct azlb_cfg {
	const uint32_t *addrs;   /* frontend IPs, 1..AZLB_MAX_FRONTENDS */
	unsigned naddrs;
	unsigned ninst;          /* backend instances, 1..AZLB_MAX_INSTANCES */
	uint32_t per_inst;       /* ports per instance: allocatedOutboundPorts, or the table's */
	uint32_t ports_per_ip;   /* AZLB_PORTS_PER_IP (smaller in tests) */
	ev_time idle_timeout;    /* AZLB_IDLE_TIMEOUT */
	ev_time release_fin, release_rst;
} azlb_cfg;

typedef struct azlb azlb;

/* prefix: probe names "PREFIX.NAME".  Counters SnatConnectionCount.Successful,
 * SnatConnectionCount.Failed, IdleTimeouts and PacketsDropped; gauges
 * AllocatedSnatPorts (per_inst x ninst), UsedSnatPorts (an instance's ports
 * in use for at least one destination) and ports_held (flows holding a
 * port: open, or closed and not yet released).  ps may be NULL.  Instances
 * are the source addresses, numbered as they first appear; a source past
 * ninst is a bug (the scenario has ninst hosts of one address each). */
azlb *azlb_new(const azlb_cfg *cfg, probe_set *ps, const char *prefix);
void azlb_free(azlb *g);

/* One segment crossing at now (never earlier than the last call), as
 * azgw_hop: false when dropped, p->why TCP_HIT_NAT_FAIL for a SYN whose
 * instance has no port free for its destination. */
bool azlb_hop(azlb *g, tcp_hop_pkt *p, ev_time now);

/* Flows holding a port at now. */
uint32_t azlb_ports_held(azlb *g, ev_time now);
uint64_t azlb_failed(const azlb *g);  /* SnatConnectionCount, Failed */

#endif
