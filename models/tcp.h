/*
 * tcp: the TCP connection lifecycle of a set of hosts, at connection level
 * with segment events (doc/kernel-rules.md §2-§5).
 *
 * Each host is one kernel: a profile and its sysctls (kconf), an established
 * hash, a bind table and port allocator, timewait minisockets, a timestamp
 * clock and, for profiles <= 4.11, the per-peer timestamp cache.  Segments
 * (SYN, SYN-ACK, ACK, FIN, RST) cross a path with a one-way delay and a loss
 * probability; there is no byte-level data transfer: the data phase is a
 * duration chosen by the application (the workload).
 *
 * Applications drive sockets through tcp_connect / tcp_listen / tcp_close and
 * hear back through tcp_app callbacks.  Failures that the simulation studies
 * come back as negative errnos and are counted under kernel counter names
 * (per role: "client.TcpExtTW", "server.TcpExtPAWSPassive", ...).
 */
#ifndef CONNSIM_TCP_H
#define CONNSIM_TCP_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/kconf.h"
#include "sim/ev.h"
#include "sim/probe.h"

typedef struct tcp_net tcp_net;
typedef struct tap tap;

/*
 * Callbacks to the application layer (the workload).  A deferred close is a
 * timer owned by the socket (tcp_close_after), so an application never holds
 * a socket index across time and a socket that dies cancels it.
 */
typedef struct tcp_app {
	void *ctx;
	/* client: handshake complete, setup_ns after connect() */
	void (*connected)(void *ctx, int host, uint32_t sk, uint64_t setup_ns);
	/* client: connect failed after it started (-ETIMEDOUT, -ECONNREFUSED,
	 * -ECONNRESET) */
	void (*failed)(void *ctx, int host, int err, uint64_t started_ns);
	/* server: a connection was accepted */
	void (*accepted)(void *ctx, int host, uint32_t sk);
	/* either side: the peer's FIN arrived on an open connection; return how
	 * long the application takes to close() (0: at once, and the FIN rides
	 * on the ACK), or EV_FOREVER if it already has a close scheduled. */
	ev_time (*peer_closed)(void *ctx, int host, uint32_t sk, bool client);
	/* client: a connection's setup ended (err 0: established, else the
	 * errno given to failed()) and its SYNs met the TCP_HIT_* causes in
	 * hits; called just before connected()/failed(), only when hits != 0
	 * or err != 0.  May be NULL. */
	void (*setup_hits)(void *ctx, int host, uint8_t hits, int err);
} tcp_app;

/* What a connection's SYNs met on the way, each at most once per connection
 * (the kernel counters of the same events stay as they are). */
enum {
	TCP_HIT_CT_DROP = 1,     /* a box's conntrack table was full (nf_conntrack_in: drop) */
	TCP_HIT_NAT_FAIL = 2,    /* the NAT's tuple search failed; confirmation dropped the SYN */
	TCP_HIT_PAWS = 4,        /* tw_recycle's per-peer PAWS check dropped it (TcpExtPAWSPassive) */
	TCP_HIT_SYN_TW = 8,      /* it met a TIME_WAIT at the server and got an ACK or RST */
};
#define TCP_HIT_MAP(X) X(TCP_HIT_CT_DROP, "ct_drop") X(TCP_HIT_NAT_FAIL, "nat_fail") \
	X(TCP_HIT_PAWS, "paws_drop") X(TCP_HIT_SYN_TW, "syn_tw_collision")

typedef struct tcp_connect_opts {
	uint32_t saddr;       /* 0: the host's first address */
	bool bind_port0;      /* bind(0) before connect: the port is global over destinations */
	bool reuseaddr;       /* SO_REUSEADDR on the socket */
	uint16_t port_lo, port_hi; /* IP_LOCAL_PORT_RANGE (6.3+); 0, 0: none */
} tcp_connect_opts;

/* Per-role counters and gauges register in ps at tcp_host_add time. */
tcp_net *tcp_net_new(ev_loop *L, probe_set *ps, uint64_t seed, uint32_t replication, const tcp_app *app);
void tcp_net_free(tcp_net *n);

/* Observe the net's decisions (models/tap.h); NULL detaches.  t must
 * outlive the net or be detached first. */
void tcp_set_tap(tcp_net *n, const tap *t);
/* Replace the application callbacks given to tcp_net_new (a trace drives
 * the sockets itself instead of a workload). */
void tcp_set_app(tcp_net *n, const tcp_app *app);

/* role: "client" or "server" (prefix of the probes); link_delay and loss are
 * the host's access link: one-way delay between two hosts is the sum of their
 * link delays, and a segment is lost on each link with its probability. */
int tcp_host_add(tcp_net *n, const char *role, const kconf *k, const uint32_t *addrs, unsigned naddrs,
		 ev_time link_delay, double loss);
const kconf *tcp_host_kconf(const tcp_net *n, int host);

/* Listen on every address of host.  Returns 0 or -EADDRINUSE. */
int tcp_listen(tcp_net *n, int host, uint16_t port);

/* Returns 0 and stores the socket in *sk, or a negative errno:
 * -EADDRNOTAVAIL (no port), -EADDRINUSE (bind(0) found none), -ENETUNREACH. */
int tcp_connect(tcp_net *n, int host, uint32_t daddr, uint16_t dport, const tcp_connect_opts *o,
		uint32_t *sk);
/* close() after delay (0: now).  abort: SO_LINGER {1, 0}, i.e. RST and no
 * TIME_WAIT.  Replaces any close already scheduled on the socket. */
void tcp_close_after(tcp_net *n, uint32_t sk, ev_time delay, bool abort);
/* Bytes each side sends in the data phase (advance the sequence space, which
 * decides whether a SYN without timestamps may reopen a TIME_WAIT). */
void tcp_set_data_bytes(tcp_net *n, uint32_t request, uint32_t response);
/* The application's close delays (given to tcp_close_after, returned by
 * peer_closed) take a few values, e.g. a fixed life: their timers then run in
 * FIFO lanes (ev_after_fixed) instead of the priority queue.  Speed only. */
void tcp_set_fixed_delays(tcp_net *n, bool fixed);

/*
 * Middleboxes on the path between the client side (hosts of role "client")
 * and the server side, added in order from the client side.  A segment from
 * one side to the other, or to an address no host has (a NAT's external
 * address), crosses them in order (in reverse from the server side), each
 * adding its delay; hop() sees the addresses, ports and flags, may rewrite
 * addresses and ports (NAT) and returns false to drop the segment.
 */
enum { TCP_HOP_SYN = 1, TCP_HOP_ACK = 2, TCP_HOP_FIN = 4, TCP_HOP_RST = 8 };
typedef struct tcp_hop_pkt {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t flags;
	uint8_t why;   /* out, when hop() drops: a TCP_HIT_* cause, or 0 */
	uint32_t seq, ack;
} tcp_hop_pkt;
typedef bool (*tcp_hop_fn)(void *ctx, tcp_hop_pkt *p);
/* Called when a segment has only been sent towards the hop, which it reaches
 * one delay later: it may start fetching what hop() will look up then, and
 * changes nothing (speed only). */
typedef void (*tcp_hop_prefetch_fn)(void *ctx, const tcp_hop_pkt *p);
/* prefetch may be NULL.  loss: probability a segment is lost on the way
 * into the box, drawn from loss_rng (the box's own stream; may be NULL when
 * loss is 0). */
void tcp_add_hop(tcp_net *n, tcp_hop_fn fn, tcp_hop_prefetch_fn prefetch, void *ctx, ev_time delay, double loss,
		 gsl_rng *loss_rng);
/* A loopback path (one host plays both ends): the segments a host sends to
 * itself cross the hops too, from the client side, once each: the host's
 * own conntrack at its output hook (nf_conntrack_in from LOCAL_OUT; the
 * segment comes back in through lo with its entry attached, so
 * PRE_ROUTING's nf_conntrack_in returns at once, nf_conntrack_core.c). */
void tcp_hops_self(tcp_net *n);
/* Hop k (the k-th tcp_add_hop, from 0) is host's own conntrack, its input and
 * output hooks, not another machine on the wire: it sees a segment when the
 * segment reaches host or leaves it, so host's link (its delay and loss)
 * lies on the far side of it.  (On a loopback path, tcp_hops_self, the link
 * is the host's own on both sides; this changes nothing there.) */
void tcp_hop_own(tcp_net *n, unsigned k, int host);

/* Occupancy, for probes and tests. */
typedef struct tcp_host_stats {
	uint32_t tw;           /* timewait minisockets, both substates */
	uint32_t tw_fw2;       /* of which FIN_WAIT2 substate */
	uint32_t sockets;      /* full and request sockets */
	uint32_t established;
	uint32_t ports_in_use; /* distinct local ports with a bind bucket */
	uint32_t port_usable;  /* ports connect() can choose */
	uint32_t ehash_count, ehash_entries;
} tcp_host_stats;
void tcp_host_stats_get(const tcp_net *n, int host, tcp_host_stats *out);
unsigned tcp_host_count(const tcp_net *n);
/* Simulator memory, for `make bench`. */
size_t tcp_tw_record_bytes(void);
/* A full socket's record, a segment's and a host's (without its ehash and
 * port table), for estimates made before anything is allocated. */
size_t tcp_sock_record_bytes(void);
size_t tcp_seg_record_bytes(void);
size_t tcp_host_record_bytes(void);
size_t tcp_net_bytes(const tcp_net *n);

#endif
