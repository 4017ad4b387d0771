/*
 * Internals shared by tcp.c (full sockets, segments) and tw.c (timewait
 * minisockets).  Not part of any interface; tcp__ names are private.
 */
#ifndef CONNSIM_TCP_INT_H
#define CONNSIM_TCP_INT_H

#include <gsl/gsl_rng.h>

#include "models/ehash.h"
#include "models/kconf.h"
#include "models/port.h"
#include "models/tcp.h"
#include "models/tap.h"
#include "models/tcpm.h"
#include "models/tsc.h"
#include "sim/pool.h"

/* One list of states; names and the enum come from it (include/net/tcp_states.h). */
#define TCP_STATE_MAP(X) \
	X(CLOSE)         \
	X(LISTEN)        \
	X(SYN_SENT)      \
	X(SYN_RECV)      \
	X(ESTABLISHED)   \
	X(FIN_WAIT1)     \
	X(FIN_WAIT2)     \
	X(CLOSE_WAIT)    \
	X(CLOSING)       \
	X(LAST_ACK)      \
	X(TIME_WAIT)

typedef enum tcp_state {
#define X(s) TCP_##s,
	TCP_STATE_MAP(X)
#undef X
	TCP_NSTATES
} tcp_state;

const char *tcp__state_name(tcp_state s);

/* Segment flags */
enum { F_SYN = 1, F_ACK = 2, F_FIN = 4, F_RST = 8, F_TS = 16 };

typedef struct seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint32_t tsval, tsecr;
	uint32_t bucket;   /* the receiver's ehash bucket, when tcp__send knew it; else EH_NIL */
	uint16_t dst;      /* destination host */
	uint8_t flags;
	uint8_t hop;          /* on the way through middleboxes: the next one */
	uint8_t from_server;  /* crossing from the server side */
	uint32_t origin;      /* a SYN of a connecting socket: its index + 1 (0: none),
			       * so where the SYN is dropped can mark the socket's
			       * hits (tcp__hit); the simulator's bookkeeping only */
} seg;

/* Socket flags */
enum {
	SK_CLIENT = 1,      /* active opener */
	SK_OWNS_PORT = 2,   /* holds a bind-bucket reference */
	SK_REUSEADDR = 4,
	SK_TS = 8,          /* timestamps negotiated (or offered, in SYN_SENT) */
	SK_ORPHAN = 16,     /* the application has closed it */
	SK_APP_GONE = 32,   /* the application was told (closed or reset) */
	SK_BOUND = 64,      /* bind() chose the port: twsk_unique without twp */
	SK_RECYCLED = 128,  /* timewait: tw_recycle shortened it (tw_timeout = 3.5 RTO) */
};

/* A full socket or request socket.  Starts with its ehash node. */
typedef struct sock {
	ehash_node node;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent, ts_recent_stamp;  /* stamp: seconds; 0 = none */
	uint32_t ts_off;
	uint64_t started;   /* connect() or SYN arrival, ns */
	ev_id rtx;          /* retransmission / FIN_WAIT2 keepalive timer */
	ev_id app;          /* deferred application close */
	uint32_t rto_ms;
	uint16_t host;
	uint8_t state;
	uint8_t flags;
	uint8_t retries;
	uint8_t hits;       /* TCP_HIT_*: what the connection's SYNs met (client, SYN_SENT) */
} sock;

/* A timewait minisocket (struct tcp_timewait_sock): what TIME_WAIT keeps.
 * 48 bytes, a million of them in `make bench`: the timer's id is kept as two
 * words (4-byte alignment, no padding) and the host rides in the timer's
 * argument (tw.c). */
typedef struct tw_sock {
	ehash_node node;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent, ts_recent_stamp;
	uint32_t entry_ms;   /* tw_entry_stamp (6.14+), low 32 bits of tcp_clock_ms */
	uint32_t timer_lo, timer_hi;  /* ev_id of the timer (tw_timer) */
	uint8_t substate;    /* TCP_TIME_WAIT or TCP_FIN_WAIT2 */
	uint8_t flags;       /* SK_* subset: OWNS_PORT, REUSEADDR, BOUND, CLIENT */
	uint16_t rto_ms;     /* for 3.5 x RTO floors and recycle timeouts */
	uint32_t last_oow_j; /* tw_last_oow_ack_time: jiffies of the last rate-limited ACK, 0 none */
} tw_sock;

/* Counters and gauges of one role ("client", "server"). */
typedef struct tcp_mib {
	uint64_t *ActiveOpens, *PassiveOpens, *AttemptFails, *EstabResets, *OutRsts;
	uint64_t *TW, *TWKilled, *TWRecycled, *TimeWaitOverflow, *PAWSPassive, *PAWSEstab;
	uint64_t *SynRetrans, *AbortOnTimeout, *AbortOnData, *SynToTimewait, *TwSynAccepted;
	uint64_t *InSegs, *OutSegs, *RetransSegs, *AbortOnClose, *PAWSTimewait, *ACKSkippedTimeWait;
	probe_gauge *tw, *established;
} tcp_mib;

typedef struct tcp_host {
	kconf k;
	uint32_t *addrs;
	unsigned naddrs;
	uint8_t side;         /* 0: client side of the middleboxes, 1: server side */
	ev_time link_delay;
	double loss;
	gsl_rng *kernel_rng, *loss_rng;
	ehash *eh;
	port_table *ports;
	tsc ts;
	tcpm *peers;          /* NULL unless the profile has tw_recycle */
	uint16_t listen[16];  /* listening ports */
	unsigned nlisten;
	uint32_t ntw, ntw_fw2, nsock, nestab;
	uint64_t isn_secret;
	ev_lane tw_lane;      /* 60 s TIME_WAIT timers */
	uint64_t tw_phase_ns; /* death-row / jiffies phase */
	tcp_mib *mib;
} tcp_host;

/* A middlebox on the path (tcp_add_hop). */
typedef struct tcp_hop {
	tcp_hop_fn fn;
	tcp_hop_prefetch_fn prefetch;  /* may be NULL */
	void *ctx;
	ev_time delay;
	double loss;
	gsl_rng *loss_rng;
	int own;   /* tcp_hop_own: the host whose own conntrack this is, or -1 */
} tcp_hop;

struct tcp_net {
	ev_loop *L;
	probe_set *ps;
	tcp_app app;
	uint64_t seed;
	uint32_t rep;
	pool socks, tws, segs;
	tcp_host *hosts;
	unsigned nhosts;
	/* address -> host: open addressing with linear probing; an entry is
	 * address << 32 | (host index + 1), 0 when empty */
	uint64_t *routes;
	uint32_t route_mask, nroutes;
	GPtrArray *mibs;        /* tcp_mib*, one per role */
	GPtrArray *roles;       /* role names, parallel to mibs */
	uint32_t req_bytes, resp_bytes;
	bool fixed_app_delays;  /* tcp_set_fixed_delays */
	bool retransmitting;    /* the segment tcp__send sends now is a retransmission:
				 * TcpRetransSegs, not TcpOutSegs (tcp.c, retransmit) */
	ev_kind k_seg, k_rtx, k_app, k_tw, k_hop;
	tcp_hop hops[4];        /* from the client side */
	unsigned nhops;
	bool hops_self;         /* tcp_hops_self: a host's segments to itself cross the hops */
	const tap *tap;         /* tcp_set_tap: NULL unless observed */
};

/* tcp.c, used by tw.c and path.c */
int tcp__route(const tcp_net *n, uint32_t addr);
/* Returns the segment's index, UINT32_MAX when it was lost or has nowhere to go. */
uint32_t tcp__send(tcp_net *n, tcp_host *h, const tuple4 *t, uint8_t flags, uint32_t seq, uint32_t ack,
		   uint32_t tsval, uint32_t tsecr);
/* The SYN s was dropped or refused for cause (TCP_HIT_*): mark the connecting
 * socket it came from, if it is still that SYN's socket. */
void tcp__hit(tcp_net *n, const seg *s, uint8_t cause);
void tcp__send_reset_for(tcp_net *n, tcp_host *h, const seg *s);
void tcp__conn_request(tcp_net *n, tcp_host *h, const seg *s, uint32_t isn);
bool tcp__listening(const tcp_host *h, uint16_t port);
uint32_t tcp__rto3_5(uint32_t rto_ms);
/* When a per-socket timer (sk_reset_timer -> mod_timer) armed now for
 * delay_j jiffies fires: rounded on the timer wheel as the profile's kernel
 * does (tw.c). */
ev_time tcp__timer_expiry(const tcp_net *n, const tcp_host *h, uint64_t delay_j);
/* msecs_to_jiffies: rounded up. */
uint64_t tcp__ms_to_jiffies(const tcp_host *h, uint32_t ms);

/* path.c */
/* Segment i, sent by h, goes through the middleboxes. */
void tcp__path_enter(tcp_net *n, const tcp_host *h, uint32_t i, ev_time extra);
/* The first box on h's way out is h's own conntrack (tcp_hop_own): h's link,
 * and its loss, come after it (path.c draws the loss). */
bool tcp__path_own_first(const tcp_net *n, const tcp_host *h);
void tcp__on_hop(void *ctx, uint32_t i, uint32_t arg);

/* For the tap (tap.h): a segment and a 4-tuple as its records have them. */
static inline tap_pkt tcp__tap_pkt(const seg *s)
{
	return (tap_pkt){ { s->saddr, s->daddr, s->sport, s->dport },
			  (uint8_t)(((s->flags & F_FIN) ? TAP_F_FIN : 0) | ((s->flags & F_SYN) ? TAP_F_SYN : 0) |
				    ((s->flags & F_RST) ? TAP_F_RST : 0) | ((s->flags & F_ACK) ? TAP_F_ACK : 0)),
			  (s->flags & F_TS) != 0, s->seq, s->ack, s->tsval, s->tsecr };
}

static inline tap_tuple tcp__tap_tuple(const tuple4 *t)
{
	return (tap_tuple){ t->laddr, t->faddr, t->lport, t->fport };
}

/* tw.c */
#define TCP_TIMEWAIT_LEN (60 * EV_SEC)
/* tcp_time_wait(): the socket becomes a timewait minisocket in substate
 * state for timeo (TIME_WAIT: 60 s unless recycled).  Frees the full socket
 * in either case; on tcp_max_tw_buckets overflow there is no minisocket and
 * the port is released at once. */
void tcp__time_wait(tcp_net *n, uint32_t sk, tcp_state state, ev_time timeo);
/* tcp_timewait_state_process + the tcp_v4_rcv do_time_wait dispatch. */
void tcp__tw_rcv(tcp_net *n, tcp_host *h, uint32_t tw, const seg *s);
/* tcp_twsk_unique: may connect() take over this minisocket?  bound: the
 * socket's port came from bind() (called without twp). */
bool tcp__twsk_unique(tcp_net *n, tcp_host *h, uint32_t tw, bool bound);
/* When tcp__twsk_unique(n, h, tw, false), false now, turns true if the
 * minisocket is left as it is (a later segment only delays it); 0 when that
 * is not a known time (connect() then asks again each time). */
ev_time tcp__twsk_reusable_at(tcp_net *n, tcp_host *h, uint32_t tw);
/* Kill a minisocket now (reuse, RST, TW_SYN, timer). */
void tcp__tw_kill(tcp_net *n, tcp_host *h, uint32_t tw);
void tcp__tw_expire(void *ctx, uint32_t tw, uint32_t arg);

#endif
