/*
 * azgw: an Azure NAT Gateway as a box ([nat] kind = azure-nat-gateway),
 * built from Microsoft's published documentation, not from a kernel:
 *
 *  - "Azure NAT Gateway resource"
 *    (https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource):
 *    "up to a total of 16 IP addresses"; "Each NAT gateway public IP address
 *    provides 64,512 SNAT ports"; "The same SNAT port can be used to connect
 *    to different destination endpoints at the same time", different ports
 *    to the same destination; "up to 50,000 concurrent connections per
 *    public IP address to the same destination endpoint"; TCP idle timeout
 *    "4 minutes (default) to 120 minutes", traffic resets it; port reuse
 *    timers (the hold-down before a port is reused "to go to the same
 *    destination endpoint"): TCP FIN 65 seconds, TCP RST 16 seconds, TCP
 *    half open 30 seconds ("If no traffic is detected, the connection
 *    closes.  Once the connection has closed, the source port is available
 *    for reuse"); the page adds that these timers "are subject to change",
 *    so each is a setting.
 *  - "Source Network Address Translation (SNAT) with Azure NAT Gateway"
 *    (https://learn.microsoft.com/azure/nat-gateway/nat-gateway-snat): the
 *    port inventory is "made available on-demand to all instances within a
 *    subnet" (no per-VM preallocation); "NAT gateway selects a SNAT port at
 *    random out of the available inventory of ports".
 *  - "Azure NAT Gateway metrics and alerts"
 *    (https://learn.microsoft.com/azure/nat-gateway/nat-metrics): SNAT
 *    Connection Count (SNATConnectionCount) by Connection State (Attempted,
 *    Established, Failed, Closed, Timed Out); "A failed connection volume
 *    greater than zero may indicate SNAT port exhaustion"; Total SNAT
 *    connection count (TotalConnectionCount, active connections); Dropped
 *    packets (PacketDropCount).
 *
 * Assumed where the documentation is silent (said again where it is done):
 *  - ports are 1024-65535 (64,512 = 65,536 - 1,024);
 *  - the 50,000 counts connections not yet closed; ports in their reuse
 *    hold-down count against the 64,512 only: a new connection to a
 *    destination needs, on some public IP, fewer than 50,000 open
 *    connections to it and a port that no connection to it holds;
 *  - the public IP is drawn uniformly among those that pass, the port at a
 *    random place in the inventory and then the next one free for the
 *    destination (the documented preference for ports no destination uses
 *    changes no count modelled here, so it is not modelled);
 *  - "closes by a TCP FIN" is the first FIN either way: the 65 s start
 *    there, and the connection's later segments (the other FIN, the last
 *    ACK) still cross during them;
 *  - established: a segment from behind after one from the destination
 *    (the handshake's ACK); until then the half-open timer applies, and
 *    each segment restarts it;
 *  - an idle timeout frees the port at once (no hold-down is documented
 *    for it); a SYN from behind on the 4-tuple of a connection in its
 *    port's hold-down opens a new connection on that same port (the flow
 *    is still known; its hold-down ends);
 *  - a segment of no known connection is dropped: Azure answers it with a
 *    TCP reset, which a hop cannot send.
 *
 * TCP only (the simulator has no UDP).  The box sees the gateway as a hop:
 * azgw_hop rewrites or drops a segment.
 */
#ifndef CONNSIM_NATGW_AZURE_H
#define CONNSIM_NATGW_AZURE_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* "Azure NAT Gateway resource": 16 IPs, 64,512 ports each, 50,000 per IP to
 * one destination, idle timeout 4 min (4-120), reuse timers 65 / 16 / 30 s */
#define AZGW_MAX_IPS 16u
#define AZGW_PORTS_PER_IP 64512u
#define AZGW_PER_DEST 50000u
#define AZGW_IDLE_TIMEOUT (4 * 60 * EV_SEC)
#define AZGW_REUSE_FIN (65 * EV_SEC)
#define AZGW_REUSE_RST (16 * EV_SEC)
#define AZGW_HALF_OPEN (30 * EV_SEC)

typedef struct azgw_cfg {
	const uint32_t *addrs;  /* the public IPs, 1..AZGW_MAX_IPS */
	unsigned naddrs;
	uint32_t ports_per_ip;  /* AZGW_PORTS_PER_IP */
	uint32_t per_dest;      /* open connections per IP per destination: AZGW_PER_DEST */
	ev_time idle_timeout;   /* AZGW_IDLE_TIMEOUT */
	ev_time reuse_fin, reuse_rst, half_open;
} azgw_cfg;

typedef struct azgw azgw;

/* prefix: probe names "PREFIX.NAME".  Counters SNATConnectionCount.Attempted,
 * .Established, .Failed, .Closed, .TimedOut and PacketDropCount; gauges
 * TotalConnectionCount (connections not closed) and ports_held (ports taken
 * for a destination: open connections and those in their hold-down).  ps
 * may be NULL.  rng draws the IP and the port (the box's NAT stream). */
azgw *azgw_new(const azgw_cfg *cfg, probe_set *ps, const char *prefix, gsl_rng *rng);
void azgw_free(azgw *g);

/* One segment crossing at now (never earlier than the last call):
 * ORIGINAL segments (from behind) take the connection's IP and port as
 * source, REPLY segments its client as destination.  False when dropped;
 * p->why is then TCP_HIT_NAT_FAIL for a SYN that found no port, else 0. */
bool azgw_hop(azgw *g, tcp_hop_pkt *p, ev_time now);

/* Ports taken at now (open connections and those in their hold-down). */
uint32_t azgw_ports_held(azgw *g, ev_time now);
/* Counters as the probes hold them (for tests without a probe set). */
uint64_t azgw_failed(const azgw *g);     /* SNATConnectionCount, Failed */
uint64_t azgw_timed_out(const azgw *g);  /* SNATConnectionCount, Timed Out */

#endif
