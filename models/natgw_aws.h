/*
 * awsgw: an AWS NAT Gateway as a box ([nat] kind = aws-nat-gateway), built
 * from AWS's published documentation, not from a kernel:
 *
 *  - "NAT gateway basics" (Amazon VPC User Guide,
 *    https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html):
 *    "Each IPv4 address can support up to 55,000 simultaneous connections to
 *    each unique destination.  A unique destination is identified by a unique
 *    combination of destination IP address, the destination port, and
 *    protocol"; one primary and up to seven secondary addresses (8 in all).
 *  - "Troubleshoot NAT gateways" (same guide) and the Knowledge Center page
 *    "How do I troubleshoot connectivity issues when I use a NAT gateway on my
 *    private Amazon VPC?" (https://repost.aws/knowledge-center/
 *    vpc-troubleshoot-nat-gateway-connection): past the 55,000, "new
 *    connections to the destination fail and the ErrorPortAllocation metric
 *    for the NAT gateway increases"; a connection idle for 350 seconds or
 *    more times out (IdleTimeoutCount).
 *  - "Monitor NAT gateways with Amazon CloudWatch" (metric names in the
 *    AWS/NATGateway namespace): ErrorPortAllocation, IdleTimeoutCount,
 *    ActiveConnectionCount, ConnectionAttemptCount, PacketsDropCount.
 *
 * Assumed where the documentation is silent (each is a setting, or said in
 * natgw_aws.c where it is done):
 *  - a SYN that finds no free port is dropped (the client's SYN
 *    retransmissions try again, each one counted);
 *  - a closed connection (RST either way, or FINs both ways) keeps its port
 *    for close_hold (default 0: AWS documents no TIME_WAIT of its own), then
 *    the port is free for the same destination again;
 *  - a new connection takes the address with the fewest connections to its
 *    destination (first in order on a tie), and there the next free port
 *    from a per-destination rover in 1024-65535;
 *  - a segment of no known connection (after an idle timeout, say) is
 *    dropped (AWS says it answers with RST; a hop cannot answer).
 *
 * TCP only (the simulator has no UDP/ICMP).  The box sees the gateway as a
 * hop: awsgw_hop rewrites or drops a segment.
 */
#ifndef CONNSIM_NATGW_AWS_H
#define CONNSIM_NATGW_AWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/tcp.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* "NAT gateway basics": 55,000 per address per unique destination; 8 addresses */
#define AWSGW_PER_DEST 55000u
#define AWSGW_MAX_ADDRS 8u
/* "Troubleshoot NAT gateways": idle for 350 seconds or more: timed out */
#define AWSGW_IDLE_TIMEOUT (350 * EV_SEC)

typedef struct awsgw_cfg {
	const uint32_t *addrs;  /* the gateway's addresses, 1..AWSGW_MAX_ADDRS */
	unsigned naddrs;
	uint32_t per_dest;      /* connections per address per destination (AWSGW_PER_DEST) */
	ev_time idle_timeout;   /* AWSGW_IDLE_TIMEOUT */
	ev_time close_hold;     /* assumed: a closed connection's port stays taken this long */
} awsgw_cfg;

typedef struct awsgw awsgw;

/* prefix: probe names "PREFIX.NAME" ("nat." gives nat.ErrorPortAllocation).
 * Counters ErrorPortAllocation, IdleTimeoutCount, ConnectionAttemptCount,
 * PacketsDropCount; gauges ActiveConnectionCount (open connections) and
 * ports_held (ports taken: open plus closed within close_hold).  ps may be
 * NULL. */
awsgw *awsgw_new(const awsgw_cfg *cfg, probe_set *ps, const char *prefix);
void awsgw_free(awsgw *g);

/* One segment crossing the gateway at time now (never earlier than the
 * last call): ORIGINAL segments (from behind) take the connection's address
 * and port as source, REPLY segments its client as destination.  Returns
 * false when the gateway drops it; p->why is then TCP_HIT_NAT_FAIL for a SYN
 * that found no free port, else 0. */
bool awsgw_hop(awsgw *g, tcp_hop_pkt *p, ev_time now);

/* Connections holding a port at now (open or closed within close_hold). */
uint32_t awsgw_ports_held(awsgw *g, ev_time now);
/* Counters as the probes hold them (for tests without a probe set). */
uint64_t awsgw_error_port_allocation(const awsgw *g);
uint64_t awsgw_idle_timeouts(const awsgw *g);

#endif
