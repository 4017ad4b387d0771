/*
 * TCP full sockets, request sockets and segments: connect(), the listener,
 * the handshake, teardown and retransmission timers.  Timewait minisockets
 * are in tw.c.  Every state change goes through set_state().
 *
 * Kernel functions followed (doc/kernel-rules.md §2): tcp_v4_connect and
 * __inet_hash_connect (connect), tcp_conn_request (listener), tcp_rcv_synsent_
 * state_process (SYN_SENT), tcp_check_req (SYN_RECV), tcp_rcv_state_process
 * and tcp_fin (teardown), __tcp_close (close), tcp_retransmit_timer and
 * tcp_write_timeout (retries), tcp_v4_send_reset (RST for no socket).
 */
#include "models/tcp_int.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

#define TCP_TIMEOUT_INIT_MS 1000    /* include/net/tcp.h: initial RTO */
#define TCP_RTO_MIN_MS      200
#define TCP_RTO_MAX_MS      120000
#define TCP_TIMEOUT_MIN_J   2       /* include/net/tcp.h: TCP_TIMEOUT_MIN, jiffies */

static const char *const state_names[] = {
#define X(s) #s,
	TCP_STATE_MAP(X)
#undef X
};

const char *tcp__state_name(tcp_state s)
{
	return s < TCP_NSTATES ? state_names[s] : "?";
}

static inline sock *SK(tcp_net *n, uint32_t i)
{
	return pool_at(&n->socks, i);
}

static inline ev_time now(const tcp_net *n)
{
	return ev_now(n->L);
}

/* For the tap, out of the hot paths: a rule about the socket with tuple t
 * of host, and a socket's new state. */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_tu(tcp_net *n, int host, const tuple4 *t, tap_rule rule,
							  int64_t a, int64_t b)
{
	tap_tuple tu = tcp__tap_tuple(t);
	tap_rule_at(n->tap, now(n), host, -1, &tu, rule, a, b, 0);
}

static G_GNUC_NO_INLINE __attribute__((cold)) void tap_st(tcp_net *n, const sock *s, tcp_state st)
{
	tap_tuple tu = tcp__tap_tuple(&s->node.t);
	tap_state(n->tap, now(n), s->host, &tu, tcp__state_name(st));
}

/* The one place a socket changes state (inet_sk_set_state). */
static void set_state(tcp_net *n, sock *s, tcp_state st)
{
	tcp_host *h = &n->hosts[s->host];
	if (s->state == TCP_ESTABLISHED) {
		h->nestab--;
		probe_gauge_add(h->mib->established, -1, now(n));
	}
	if (st == TCP_ESTABLISHED) {
		h->nestab++;
		probe_gauge_add(h->mib->established, 1, now(n));
	}
	s->state = (uint8_t)st;
	if (G_UNLIKELY(n->tap))
		tap_st(n, s, st);
}

/* tcp_rtt_estimator's first sample and __tcp_set_rto: rto = srtt + max(2 srtt, rto_min). */
static uint32_t rto_for(const tcp_host *a, const tcp_host *b)
{
	uint64_t rtt_ms = 2 * (a->link_delay + b->link_delay) / EV_MS;
	uint64_t var = 2 * rtt_ms > TCP_RTO_MIN_MS ? 2 * rtt_ms : TCP_RTO_MIN_MS;
	uint64_t rto = rtt_ms + var;
	return (uint32_t)(rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : rto);
}

/* (rto << 2) - (rto >> 1): tcp_time_wait's and tcp_fin_time's floor. */
uint32_t tcp__rto3_5(uint32_t rto_ms)
{
	return (rto_ms << 2) - (rto_ms >> 1);
}

/* The host that has addr, or -1.  Every segment asks, so this is a plain
 * open-addressed table (Fibonacci hashing) rather than a GHashTable. */
static inline uint32_t route_slot(const tcp_net *n, uint32_t addr)
{
	return (uint32_t)((addr * 0x9e3779b97f4a7c15ULL) >> 32) & n->route_mask;
}

static int route(const tcp_net *n, uint32_t addr)
{
	for (uint32_t i = route_slot(n, addr);; i = (i + 1) & n->route_mask) {
		uint64_t e = n->routes[i];
		if (!e)
			return -1;
		if ((uint32_t)(e >> 32) == addr)
			return (int)(uint32_t)e - 1;
	}
}

int tcp__route(const tcp_net *n, uint32_t addr)
{
	return route(n, addr);
}

static void route_add(tcp_net *n, uint32_t addr, int host)
{
	if (2 * (n->nroutes + 1) > n->route_mask + 1) {  /* keep the load at most 1/2 */
		uint64_t *old = n->routes;
		uint32_t cap = n->route_mask + 1;
		n->route_mask = 2 * cap - 1;
		n->routes = g_new0(uint64_t, 2 * cap);
		n->nroutes = 0;
		for (uint32_t i = 0; i < cap; i++)
			if (old[i])
				route_add(n, (uint32_t)(old[i] >> 32), (int)(uint32_t)old[i] - 1);
		g_free(old);
	}
	uint32_t i = route_slot(n, addr);
	while (n->routes[i] && (uint32_t)(n->routes[i] >> 32) != addr)
		i = (i + 1) & n->route_mask;
	if (!n->routes[i])
		n->nroutes++;
	n->routes[i] = (uint64_t)addr << 32 | (uint32_t)(host + 1);
}

/* secure_tcp_seq: keyed hash of the 4-tuple + ktime_get_real_ns() >> 6. */
static uint32_t secure_seq(const tcp_net *n, const tcp_host *h, const tuple4 *t)
{
	uint64_t x = rng_splitmix64(h->isn_secret ^ ((uint64_t)t->laddr << 32 | t->faddr));
	x = rng_splitmix64(x ^ ((uint64_t)t->lport << 16 | t->fport));
	return (uint32_t)x + (uint32_t)((h->ts.boot_ns + now(n)) >> 6);
}

static uint32_t tsval_of(const tcp_net *n, const tcp_host *h, uint32_t off)
{
	return tsc_clock(&h->ts, now(n)) + off;
}

/* ---- segments ----------------------------------------------------------- */

/* A segment lost on a link, for the tap (there is no segment record). */
static G_GNUC_NO_INLINE __attribute__((cold)) uint32_t tap_lost(tcp_net *n, tcp_host *h, const tuple4 *t,
								uint8_t flags, uint32_t seq, uint32_t ack)
{
	if (n->tap) {
		seg g = { .saddr = t->laddr, .daddr = t->faddr, .sport = t->lport, .dport = t->fport,
			  .seq = seq, .ack = ack, .flags = flags };
		tap_pkt p = tcp__tap_pkt(&g);
		tap_seg(n->tap, TAP_DROP, now(n), (int)(h - n->hosts), -1, UINT32_MAX, &p, TAP_WHY_LOSS);
	}
	return UINT32_MAX;
}

/* Segment i on its way: through the middleboxes (dst < 0) or straight to
 * host dst, extra later than the links make it. */
static void tap_schedule(tcp_net *n, tcp_host *h, uint32_t i, int dst, ev_time extra)
{
	seg *s = pool_at(&n->segs, i);
	if (dst < 0) {
		s->bucket = EH_NIL;
		tcp__path_enter(n, h, i, extra);
		return;
	}
	tcp_host *d = &n->hosts[dst];
	tuple4 rt = { s->daddr, s->saddr, s->dport, s->sport };
	s->dst = (uint16_t)dst;
	s->bucket = ehash_prefetch(d->eh, &rt);
	if (extra)
		ev_after(n->L, h->link_delay + d->link_delay + extra, n->k_seg, i, 0);
	else  /* as tcp__send: the run's event order stays the same with a tap */
		ev_after_fixed(n->L, h->link_delay + d->link_delay, n->k_seg, i, 0);
}

/* tcp__send with a tap attached: the tap sees the segment and may stage a
 * fault on it (drop, delay, or a copy that arrives later). */
static G_GNUC_NO_INLINE __attribute__((cold)) uint32_t tap_send_seg(tcp_net *n, tcp_host *h, uint32_t i, int dst)
{
	int host = (int)(h - n->hosts);
	tap_pkt p = tcp__tap_pkt(pool_at(&n->segs, i));
	int64_t extra = 0;
	tap_verdict v = tap_send(n->tap, now(n), host, i, &p, &extra);
	if (v == TAP_DROP_IT) {
		tap_seg(n->tap, TAP_DROP, now(n), host, -1, i, &p, TAP_WHY_STAGED);
		pool_free(&n->segs, i);
		return UINT32_MAX;
	}
	tap_schedule(n, h, i, dst, v == TAP_DELAY ? extra : 0);
	if (v == TAP_DUP) {
		uint32_t c = pool_alloc(&n->segs);
		*(seg *)pool_at(&n->segs, c) = *(seg *)pool_at(&n->segs, i);
		((seg *)pool_at(&n->segs, c))->origin = 0;
		tap_rec r = { .kind = TAP_SEND, .t = now(n), .host = host, .box = -1, .seg = c, .pkt = p, .a = 1 };
		n->tap->on(n->tap->ctx, &r);  /* a = 1: the copy */
		tap_schedule(n, h, c, dst, extra);
	}
	return i;
}

uint32_t tcp__send(tcp_net *n, tcp_host *h, const tuple4 *t, uint8_t flags, uint32_t seq, uint32_t ack,
		   uint32_t tsval, uint32_t tsecr)
{
	int dst = route(n, t->faddr);
	if (flags & F_RST)
		(*h->mib->OutRsts)++;
	/* TcpOutSegs: every segment handed to IP, before any loss on the
	 * wire: __tcp_transmit_skb counts those that carry new sequence space
	 * or none (a retransmitted SYN or FIN does not), tcp_v4_send_reset and
	 * tcp_v4_send_ack (RSTs, timewait ACKs) and tcp_make_synack (every
	 * SYN-ACK, retransmitted ones too) count theirs unconditionally. */
	if (!n->retransmitting || (flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK))
		(*h->mib->OutSegs)++;
	/* Between the two sides, or to an address no host has (a NAT's),
	 * the segment crosses the middleboxes (path.c); on a loopback path,
	 * the host's own conntrack (tcp_hops_self). */
	bool via = n->nhops && (dst < 0 || n->hosts[dst].side != h->side || n->hops_self);
	if (dst < 0 && !via)
		return UINT32_MAX;
	if (h->loss > 0 && !(via && tcp__path_own_first(n, h)) && gsl_rng_uniform(h->loss_rng) < h->loss)
		return tap_lost(n, h, t, flags, seq, ack);
	tcp_host *d = via ? NULL : &n->hosts[dst];
	if (d && d != h && d->loss > 0 && gsl_rng_uniform(d->loss_rng) < d->loss)
		return tap_lost(n, h, t, flags, seq, ack);
	uint32_t i = pool_alloc(&n->segs);
	seg *s = pool_at(&n->segs, i);
	s->saddr = t->laddr;
	s->daddr = t->faddr;
	s->sport = t->lport;
	s->dport = t->fport;
	s->seq = seq;
	s->ack = ack;
	s->tsval = tsval;
	s->tsecr = tsecr;
	s->flags = flags;
	s->origin = 0;
	if (G_UNLIKELY(n->tap))
		return tap_send_seg(n, h, i, via ? -1 : dst);
	if (via) {  /* a middlebox may translate it: the receiver hashes it */
		s->bucket = EH_NIL;
		tcp__path_enter(n, h, i, 0);
		return i;
	}
	s->dst = (uint16_t)dst;
	/* The receiver looks the 4-tuple up one path delay from now: start
	 * fetching its ehash bucket (a cache miss in a large table) now, and
	 * keep the bucket for the lookup. */
	tuple4 rt = { t->faddr, t->laddr, t->fport, t->lport };
	s->bucket = ehash_prefetch(d->eh, &rt);
	ev_after_fixed(n->L, h->link_delay + d->link_delay, n->k_seg, i, 0);
	return i;
}

static uint32_t sock_send(tcp_net *n, sock *s, uint8_t flags, uint32_t seq)
{
	tcp_host *h = &n->hosts[s->host];
	bool ts = s->flags & SK_TS;
	return tcp__send(n, h, &s->node.t, (uint8_t)(flags | (ts ? F_TS : 0)), seq,
			 (flags & F_ACK) ? s->rcv_nxt : 0, ts ? tsval_of(n, h, s->ts_off) : 0, ts ? s->ts_recent : 0);
}

/* A connecting socket's SYN (first or retransmitted) carries the socket, so
 * that a drop on the way can mark its hits. */
static void send_syn(tcp_net *n, uint32_t i)
{
	sock *s = SK(n, i);
	uint32_t g = sock_send(n, s, F_SYN, s->snd_nxt - 1);
	if (g != UINT32_MAX)
		((seg *)pool_at(&n->segs, g))->origin = i + 1;
}

/* A retransmission by the socket's timer: TcpRetransSegs, counted by
 * __tcp_retransmit_skb (SYN, FIN; net/ipv4/tcp_output.c) and tcp_rtx_synack
 * (SYN-ACK) whether or not the segment is then lost on the wire. */
static void retransmit(tcp_net *n, uint32_t i, uint8_t flags, uint32_t seq)
{
	sock *s = SK(n, i);
	(*n->hosts[s->host].mib->RetransSegs)++;
	n->retransmitting = true;
	if (flags == F_SYN)
		send_syn(n, i);
	else
		sock_send(n, s, flags, seq);
	n->retransmitting = false;
}

void tcp__hit(tcp_net *n, const seg *g, uint8_t cause)
{
	if (!g->origin)
		return;
	/* The socket may have gone (and its slot been reused) while the SYN
	 * travelled: it is the SYN's socket only if still in SYN_SENT with the
	 * SYN's sequence as its ISN. */
	sock *s = SK(n, g->origin - 1);
	if (s->state == TCP_SYN_SENT && s->snd_nxt - 1 == g->seq)
		s->hits |= cause;
}

/* The client's setup ended: tell the application what its SYNs met. */
static inline __attribute__((always_inline)) void setup_hits(tcp_net *n, const sock *s, int err)
{
	if (G_UNLIKELY(n->tap) && (s->hits || err))
		tap_tu(n, s->host, &s->node.t, TAP_R_SETUP_END, -err, s->hits);
	if ((s->hits || err) && n->app.setup_hits)
		n->app.setup_hits(n->app.ctx, s->host, s->hits, err);
}

/* tcp_v4_send_reset: answer a segment that found no socket. */
void tcp__send_reset_for(tcp_net *n, tcp_host *h, const seg *in)
{
	if (in->flags & F_RST)
		return;
	tuple4 t = { in->daddr, in->saddr, in->dport, in->sport };
	if (G_UNLIKELY(n->tap))
		tap_tu(n, (int)(h - n->hosts), &t, TAP_R_RST_NO_SOCK, 0, 0);
	if (in->flags & F_ACK)
		tcp__send(n, h, &t, F_RST, in->ack, 0, 0, 0);
	else
		tcp__send(n, h, &t, F_RST | F_ACK, 0,
			  in->seq + ((in->flags & F_SYN) ? 1 : 0) + ((in->flags & F_FIN) ? 1 : 0), 0, 0);
}

/* ---- socket life -------------------------------------------------------- */

static uint32_t sock_new(tcp_net *n, tcp_host *h, const tuple4 *t)
{
	uint32_t i = pool_alloc(&n->socks);
	sock *s = SK(n, i);
	s->node.t = *t;
	s->host = (uint16_t)(h - n->hosts);
	s->state = TCP_CLOSE;
	s->rtx = s->app = EV_NONE;
	h->nsock++;
	return i;
}

/* Socket gone: out of ehash, port released, timers cancelled (tcp_done). */
static void sock_destroy(tcp_net *n, uint32_t i, bool hashed)
{
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	ev_cancel(n->L, s->rtx);
	ev_cancel(n->L, s->app);
	if (hashed)
		ehash_remove(h->eh, i);
	if (s->flags & SK_OWNS_PORT)
		port_release(h->ports, s->node.t.lport, s->flags & SK_REUSEADDR, false);
	set_state(n, s, TCP_CLOSE);
	h->nsock--;
	pool_free(&n->socks, i);
}

/* inet_csk_reset_xmit_timer -> sk_reset_timer -> mod_timer, delay_j jiffies
 * from now, as the timer wheel rounds it (tcp__timer_expiry). */
static void arm_rtx_jiffies(tcp_net *n, uint32_t i, uint64_t delay_j)
{
	sock *s = SK(n, i);
	ev_cancel(n->L, s->rtx);
	const tcp_host *h = &n->hosts[s->host];
	/* a lane per host and nominal delay: the wheel's rounding keeps one
	 * host's expiries of one delay in arming order, as the lanes want, but
	 * hosts' jiffies differ in phase, so their expiries interleave (one lane
	 * for all put most of them in the priority queue) */
	ev_time key = (ev_time)delay_j * (EV_SEC / h->k.hz) + s->host;
	s->rtx = ev_at_fixed(n->L, key, tcp__timer_expiry(n, h, delay_j), n->k_rtx, i, 0);
}

/* The RTO is kept in ms here, in jiffies by the kernel (icsk_rto). */
static void arm_rtx(tcp_net *n, uint32_t i, uint32_t ms)
{
	arm_rtx_jiffies(n, i, tcp__ms_to_jiffies(&n->hosts[SK(n, i)->host], ms));
}

static void take_ts(tcp_net *n, sock *s, const seg *in)
{
	if ((s->flags & SK_TS) && (in->flags & F_TS)) {
		s->ts_recent = in->tsval;
		s->ts_recent_stamp = tsc_seconds(&n->hosts[s->host].ts, now(n));
	}
}

/* ---- connect() ---------------------------------------------------------- */

typedef struct check_ctx {
	tcp_net *n;
	tcp_host *h;
	tuple4 t;
	bool bound;
	uint32_t reuse_tw;
	const uint64_t *dest;  /* ehash_track's bitmap for t's destination, or NULL */
	bool mark;             /* record refusals (ehash_refuse) for the next scans */
} check_ctx;

/* A refused 4-tuple stays refused while its full socket lives, or until its
 * TIME_WAIT is old enough to reuse: the scans until then skip its port (the
 * port is the same for them, only the simulator's work changes). */
static void mark_refused(check_ctx *c, uint32_t ref)
{
	if (!(ref & EH_TW)) {
		ehash_refuse(c->h->eh, &c->t, EHASH_FOREVER);
		return;
	}
	ev_time at = tcp__twsk_reusable_at(c->n, c->h, ref & ~EH_TW);
	if (at > now(c->n))
		ehash_refuse(c->h->eh, &c->t, (uint64_t)at);
}

/* __inet_check_established: is the 4-tuple with this local port free? */
static port_check check_established(void *ctx, uint16_t lport)
{
	check_ctx *c = ctx;
	c->t.lport = lport;
	/* The destination's bitmap has the bit of every lport whose 4-tuple is
	 * in ehash: a clear bit is a lookup that would find nothing. */
	if (c->dest && !(c->dest[lport >> 6] >> (lport & 63) & 1))
		return PORT_CHECK_UNIQUE;
	uint32_t ref = ehash_lookup(c->h->eh, &c->t);
	if (ref == EH_NIL)
		return PORT_CHECK_UNIQUE;
	if ((ref & EH_TW) && tcp__twsk_unique(c->n, c->h, ref & ~EH_TW, c->bound)) {
		c->reuse_tw = ref & ~EH_TW;
		return PORT_CHECK_REUSE;
	}
	if (c->mark)
		mark_refused(c, ref);
	return PORT_CHECK_BUSY;
}

/* May tcp_twsk_unique say yes to some TIME_WAIT of this destination?  Only
 * with timestamps and tcp_tw_reuse in force for it (§4). */
static bool reuse_possible(const tcp_host *h, const tuple4 *t)
{
	if (!h->k.timestamps || !h->k.tw_reuse)
		return false;
	if (h->k.tw_reuse == 2)
		return (t->laddr >> 24) == 127 || (t->faddr >> 24) == 127;
	return true;
}

/* For the tap: connect() takes over a TIME_WAIT (tcp_twsk_unique said yes). */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_reuse(tcp_net *n, const tcp_host *h, const tw_sock *tw, bool bound)
{
	int64_t passed = h->k.prof->reuse == REUSE_DELAY_MS
				 ? (int64_t)((uint32_t)tsc_ms(&h->ts, now(n)) - tw->entry_ms) * EV_MS
				 : (int64_t)(tsc_seconds(&h->ts, now(n)) - tw->ts_recent_stamp) * EV_SEC;
	tap_tuple tu = tcp__tap_tuple(&tw->node.t);
	tap_rule_at(n->tap, now(n), (int)(h - n->hosts), -1, &tu, TAP_R_TW_REUSE, tw->node.t.lport, passed,
		    bound ? -1 : (int64_t)h->k.prof->reuse);
}

static int connect_sock(tcp_net *n, int host, uint32_t daddr, uint16_t dport, const tcp_connect_opts *o,
			uint32_t *out);

int tcp_connect(tcp_net *n, int host, uint32_t daddr, uint16_t dport, const tcp_connect_opts *o,
		uint32_t *out)
{
	int r = connect_sock(n, host, daddr, dport, o, out);
	if (G_UNLIKELY(n->tap) && r < 0) {
		tuple4 t = { o->saddr ? o->saddr : n->hosts[host].addrs[0], daddr, 0, dport };
		tap_tu(n, host, &t, TAP_R_CONNECT_FAIL, -r, 0);
	}
	return r;
}

/* tcp_v4_connect: the port (__inet_hash_connect or bind), the socket, the SYN. */
static int connect_sock(tcp_net *n, int host, uint32_t daddr, uint16_t dport, const tcp_connect_opts *o,
			uint32_t *out)
{
	tcp_host *h = &n->hosts[host];
	int dst = route(n, daddr);
	if (dst < 0)
		return -ENETUNREACH;
	check_ctx c = { n, h, { o->saddr ? o->saddr : h->addrs[0], daddr, 0, dport }, false, EH_NIL, NULL, false };
	if (o->saddr) {  /* bind() to an address this host does not have */
		unsigned a = 0;
		while (a < h->naddrs && h->addrs[a] != o->saddr)
			a++;
		if (a == h->naddrs)
			return -EADDRNOTAVAIL;
	}
	uint16_t lport;
	int r;
	bool take = false;  /* port_connect_take still to do */
	if (o->bind_port0) {
		/* bind(0) then connect(): inet_csk_get_port, then the 4-tuple
		 * check without twp (tcp_twsk_unique ignores tcp_tw_reuse). */
		r = port_bind(h->ports, 0, o->reuseaddr, &lport);
		if (r < 0)
			return r;
		c.bound = true;
		port_check pc = check_established(&c, lport);
		if (pc == PORT_CHECK_BUSY) {
			port_release(h->ports, lport, o->reuseaddr, false);
			return -EADDRNOTAVAIL;
		}
		r = pc == PORT_CHECK_REUSE;
	} else {
		/* Unless some TIME_WAIT to this destination could be reused,
		 * every taken 4-tuple is refused, and the allocator can skip
		 * them by bitmap instead of asking check_established each. */
		const uint64_t *skip;
		c.dest = skip = ehash_track(h->eh, c.t.laddr, daddr, dport);
		if (c.dest && reuse_possible(h, &c.t)) {
			/* Some may be reused: skip only those known refused. */
			skip = ehash_refused(h->eh, c.t.laddr, daddr, dport, now(n));
			c.mark = true;
		}
		if (o->port_lo || o->port_hi)  /* IP_LOCAL_PORT_RANGE */
			r = port_connect_find_sock_range(h->ports, c.t.laddr, daddr, dport, now(n), o->port_lo,
							 o->port_hi, skip, check_established, &c, &lport);
		else
			r = port_connect_find(h->ports, c.t.laddr, daddr, dport, now(n), skip, check_established,
					      &c, &lport);
		if (r < 0)
			return r;
		/* The port's bucket is taken below, last, once its line (a
		 * cache miss, started by the search) has had time to come in;
		 * nothing before touches the port table, except the TIME_WAIT
		 * reused below, whose release must come after. */
		take = true;
	}
	c.t.lport = lport;
	/* The new socket's ehash bucket is a cache miss: fetch it now and
	 * hash the socket in last (nothing below looks at this host's ehash). */
	ehash_prefetch(h->eh, &c.t);
	uint32_t i = sock_new(n, h, &c.t);
	sock *s = SK(n, i);
	s->flags = (uint8_t)(SK_CLIENT | SK_OWNS_PORT | (o->reuseaddr ? SK_REUSEADDR : 0) |
			     (c.bound ? SK_BOUND : 0) | (h->k.timestamps ? SK_TS : 0));
	s->hits = 0;
	s->ts_off = tsc_offset(&h->ts, &c.t);
	s->started = now(n);
	uint32_t isn = secure_seq(n, h, &c.t);
	if (r == 1 && c.reuse_tw != EH_NIL) {
		/* tcp_twsk_unique: write_seq = tw_snd_nxt + 65535 + 2, and the
		 * peer's latest timestamp carries over. */
		tw_sock *tw = pool_at(&n->tws, c.reuse_tw);
		if (G_UNLIKELY(n->tap))
			tap_reuse(n, h, tw, c.bound);
		isn = tw->snd_nxt + 65535 + 2;
		if (!isn)
			isn = 1;
		s->ts_recent = tw->ts_recent;
		s->ts_recent_stamp = tw->ts_recent_stamp;
		if (take) {
			port_connect_take(h->ports, lport, o->reuseaddr);
			take = false;
		}
		tcp__tw_kill(n, h, c.reuse_tw);
		(*h->mib->TWRecycled)++;
	}
	s->snd_nxt = isn + 1;
	set_state(n, s, TCP_SYN_SENT);
	(*h->mib->ActiveOpens)++;
	s->rto_ms = TCP_TIMEOUT_INIT_MS;
	send_syn(n, i);
	arm_rtx(n, i, s->rto_ms);
	ehash_insert(h->eh, i);
	if (take)
		port_connect_take(h->ports, lport, o->reuseaddr);
	*out = i;
	return 0;
}

/* ---- listener ----------------------------------------------------------- */

bool tcp__listening(const tcp_host *h, uint16_t port)
{
	for (unsigned i = 0; i < h->nlisten; i++)
		if (h->listen[i] == port)
			return true;
	return false;
}

int tcp_listen(tcp_net *n, int host, uint16_t port)
{
	tcp_host *h = &n->hosts[host];
	if (tcp__listening(h, port) || h->nlisten == G_N_ELEMENTS(h->listen))
		return -EADDRINUSE;
	uint16_t got;
	int r = port_bind(h->ports, port, true, &got);
	if (r < 0)
		return r;
	port_listen(h->ports, port);
	h->listen[h->nlisten++] = port;
	return 0;
}

/* tcp_conn_request: a SYN reached a listener.  isn != 0 when it came through
 * a timewait minisocket (TCP_TW_SYN), which skips the recycle PAWS check. */
void tcp__conn_request(tcp_net *n, tcp_host *h, const seg *in, uint32_t isn)
{
	tuple4 t = { in->daddr, in->saddr, in->dport, in->sport };
	bool has_ts = in->flags & F_TS;
	if (!isn && h->peers && h->k.tw_recycle &&
	    !tcpm_paws_ok(h->peers, t.laddr, t.faddr, has_ts, in->tsval, tsc_seconds(&h->ts, now(n)))) {
		/* tcp_peer_is_proven(paws_check) failed: drop silently. */
		(*h->mib->PAWSPassive)++;
		if (G_UNLIKELY(n->tap))
			tap_tu(n, (int)(h - n->hosts), &t, TAP_R_RECYCLE_PAWS, 0, 0);
		tcp__hit(n, in, TCP_HIT_PAWS);
		return;
	}
	uint32_t i = sock_new(n, h, &t);
	sock *s = SK(n, i);
	s->flags = (uint8_t)((has_ts && h->k.timestamps) ? SK_TS : 0);
	s->ts_off = tsc_offset(&h->ts, &t);
	s->started = now(n);
	s->hits = 0;
	take_ts(n, s, in);
	if (!isn)
		isn = secure_seq(n, h, &t);
	s->snd_nxt = isn + 1;
	s->rcv_nxt = in->seq + 1;
	ehash_insert(h->eh, i);
	set_state(n, s, TCP_SYN_RECV);
	s->rto_ms = TCP_TIMEOUT_INIT_MS;
	sock_send(n, s, F_SYN | F_ACK, isn);
	arm_rtx(n, i, s->rto_ms);
}

/* ---- teardown ----------------------------------------------------------- */

static void app_close(tcp_net *n, uint32_t i, bool abort)
{
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	ev_cancel(n->L, s->app);
	s->app = EV_NONE;
	s->flags |= SK_ORPHAN;
	/* tcp_close's first abort branch, data_was_unread (RST, state CLOSE,
	 * TcpExtTCPAbortOnClose; net/ipv4/tcp.c), never runs here: the data
	 * phase is abstracted as read and acknowledged in full (established()),
	 * so an application never closes with unread bytes and AbortOnClose
	 * stays 0, as on a kernel whose applications drain their sockets. */
	if (abort && (s->state == TCP_ESTABLISHED || s->state == TCP_CLOSE_WAIT)) {
		/* SO_LINGER {1, 0}: tcp_disconnect sends RST, no TIME_WAIT. */
		(*h->mib->AbortOnData)++;
		if (G_UNLIKELY(n->tap))
			tap_tu(n, s->host, &s->node.t, TAP_R_ABORT, 0, 0);
		sock_send(n, s, F_RST | F_ACK, s->snd_nxt);
		sock_destroy(n, i, true);
		return;
	}
	switch (s->state) {
	case TCP_SYN_SENT:
		sock_destroy(n, i, true);
		break;
	case TCP_ESTABLISHED:  /* tcp_close_state: FIN_WAIT1, FIN sent */
		set_state(n, s, TCP_FIN_WAIT1);
		sock_send(n, s, F_FIN | F_ACK, s->snd_nxt++);
		s->retries = 0;
		arm_rtx(n, i, s->rto_ms);
		break;
	case TCP_CLOSE_WAIT:   /* passive close: LAST_ACK */
		set_state(n, s, TCP_LAST_ACK);
		sock_send(n, s, F_FIN | F_ACK, s->snd_nxt++);
		s->retries = 0;
		arm_rtx(n, i, s->rto_ms);
		break;
	default:
		break;
	}
}

void tcp_close_after(tcp_net *n, uint32_t i, ev_time delay, bool abort)
{
	sock *s = SK(n, i);
	if (!delay) {
		app_close(n, i, abort);
		return;
	}
	ev_cancel(n->L, s->app);
	s->app = n->fixed_app_delays ? ev_after_fixed(n->L, delay, n->k_app, i, abort)
				     : ev_after(n->L, delay, n->k_app, i, abort);
}

static void on_app_timer(void *ctx, uint32_t i, uint32_t abort)
{
	tcp_net *n = ctx;
	SK(n, i)->app = EV_NONE;
	app_close(n, i, abort);
}

/* tcp_fin_time(): max(tcp_fin_timeout, 3.5 RTO) */
static ev_time fin_time(const tcp_host *h, const sock *s)
{
	ev_time a = (ev_time)h->k.fin_timeout_s * EV_SEC, b = (ev_time)tcp__rto3_5(s->rto_ms) * EV_MS;
	return a > b ? a : b;
}

/* FIN_WAIT1, our FIN acknowledged (tcp_rcv_state_process, case TCP_FIN_WAIT1). */
static void fin_acked(tcp_net *n, uint32_t i)
{
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	ev_cancel(n->L, s->rtx);
	s->rtx = EV_NONE;
	set_state(n, s, TCP_FIN_WAIT2);
	if (!(s->flags & SK_ORPHAN))
		return;  /* not orphaned: waits with no timeout */
	ev_time tmo = fin_time(h, s);
	if (tmo > TCP_TIMEWAIT_LEN) {
		/* keepalive timer for tmo - 60 s, then a FIN_WAIT2 minisocket
		 * for tmo - 60 s more (tcp_keepalive_timer): the quirk. */
		s->rtx = ev_after(n->L, tmo - TCP_TIMEWAIT_LEN, n->k_rtx, i, 0);
		return;
	}
	tcp__time_wait(n, i, TCP_FIN_WAIT2, tmo);
}

/* The peer's FIN on an open connection (tcp_fin). */
static void peer_fin(tcp_net *n, uint32_t i)
{
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	s->rcv_nxt++;
	set_state(n, s, TCP_CLOSE_WAIT);
	ev_time d = n->app.peer_closed ? n->app.peer_closed(n->app.ctx, s->host, i, s->flags & SK_CLIENT) : 0;
	if (d == 0) {
		app_close(n, i, false);  /* the FIN carries the ACK */
		return;
	}
	sock_send(n, s, F_ACK, s->snd_nxt);
	if (d != EV_FOREVER)
		tcp_close_after(n, i, d, false);
	(void)h;
}

static void established(tcp_net *n, uint32_t i, bool client)
{
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	ev_cancel(n->L, s->rtx);
	s->rtx = EV_NONE;
	s->retries = 0;
	int peer = route(n, s->node.t.faddr);
	s->rto_ms = rto_for(h, &n->hosts[peer < 0 ? s->host : peer]);
	set_state(n, s, TCP_ESTABLISHED);
	/* the data phase, abstracted: both directions' bytes are sent and acked */
	s->snd_nxt += client ? n->req_bytes : n->resp_bytes;
	s->rcv_nxt += client ? n->resp_bytes : n->req_bytes;
	if (client) {
		if (n->app.connected)
			n->app.connected(n->app.ctx, s->host, i, now(n) - s->started);
	} else {
		(*h->mib->PassiveOpens)++;
		if (n->app.accepted)
			n->app.accepted(n->app.ctx, s->host, i);
	}
}

static void reset_received(tcp_net *n, uint32_t i)
{
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	if (s->state == TCP_ESTABLISHED || s->state == TCP_CLOSE_WAIT)
		(*h->mib->EstabResets)++;
	bool tell = (s->flags & SK_CLIENT) && !(s->flags & SK_ORPHAN);
	uint64_t started = s->started;
	int host = s->host;
	sock_destroy(n, i, true);
	if (tell && n->app.failed)
		n->app.failed(n->app.ctx, host, -ECONNRESET, started);
}

/* ---- receive ------------------------------------------------------------ */

static void rcv_synsent(tcp_net *n, uint32_t i, const seg *in)
{
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	if (in->flags & F_ACK) {
		if (in->ack != s->snd_nxt) {
			/* unacceptable ACK, e.g. from a peer's TIME_WAIT: reset_and_undo
			 * sends RST with seq = the ACK's ack number (§2.8).  5.7+
			 * (tcp_rcv_synsent_state_process: "Previous FIN/ACK or RST/ACK
			 * might be ignored"): if the SYN was never retransmitted
			 * (icsk_retransmits == 0), the retransmission timer is re-armed
			 * at TCP_TIMEOUT_MIN, 2 jiffies, so that the SYN goes again
			 * right after the RST (which assassinates the peer's TIME_WAIT)
			 * instead of one RTO later.  The timer's own path then counts it
			 * as any retransmission (tcp_retransmit_timer: backoff, retries). */
			bool quick = h->k.prof->syn_quick_rtx && s->retries == 0;
			if (quick)
				arm_rtx_jiffies(n, i, TCP_TIMEOUT_MIN_J);
			if (!(in->flags & F_RST)) {
				tuple4 t = s->node.t;
				if (G_UNLIKELY(n->tap))
					tap_tu(n, s->host, &t, TAP_R_SYNSENT_BAD_ACK, quick, 0);
				tcp__send(n, h, &t, F_RST, in->ack, 0, 0, 0);
			}
			return;
		}
		if (in->flags & F_RST) {  /* connection refused */
			uint64_t started = s->started;
			int host = s->host;
			setup_hits(n, s, -ECONNREFUSED);
			(*h->mib->AttemptFails)++;
			sock_destroy(n, i, true);
			if (n->app.failed)
				n->app.failed(n->app.ctx, host, -ECONNREFUSED, started);
			return;
		}
		if (in->flags & F_SYN) {
			if (!(in->flags & F_TS))
				s->flags &= (uint8_t)~SK_TS;  /* peer did not agree */
			s->rcv_nxt = in->seq + 1;
			take_ts(n, s, in);
			sock_send(n, s, F_ACK, s->snd_nxt);  /* before the data phase moves snd_nxt */
			setup_hits(n, s, 0);
			established(n, i, true);
		}
	}
}

static void rcv_synrecv(tcp_net *n, uint32_t i, const seg *in)
{
	sock *s = SK(n, i);
	if (in->flags & F_RST) {
		sock_destroy(n, i, true);
		return;
	}
	if ((in->flags & F_SYN) && !(in->flags & F_ACK)) {
		/* tcp_check_req: a retransmitted SYN gets the SYN-ACK again
		 * (inet_rtx_syn_ack -> tcp_rtx_synack: a retransmission) */
		retransmit(n, i, F_SYN | F_ACK, s->snd_nxt - 1);
		return;
	}
	if ((in->flags & F_ACK) && in->ack == s->snd_nxt) {
		take_ts(n, s, in);
		established(n, i, false);
		if ((in->flags & F_FIN) && SK(n, i)->state == TCP_ESTABLISHED)
			peer_fin(n, i);
	}
}

static void sock_rcv(tcp_net *n, uint32_t i, const seg *in)
{
	sock *s = SK(n, i);
	tcp_state st = s->state;
	if (st == TCP_SYN_SENT) {
		rcv_synsent(n, i, in);
		return;
	}
	if (st == TCP_SYN_RECV) {
		rcv_synrecv(n, i, in);
		return;
	}
	if (in->flags & F_RST) {
		/* RFC 5961: only an RST exactly at rcv_nxt resets. */
		if (in->seq == s->rcv_nxt)
			reset_received(n, i);
		return;
	}
	if (in->flags & F_SYN) {
		/* SYN on a synchronized connection (e.g. a tcp_tw_reuse'd
		 * 4-tuple whose peer is still in CLOSE_WAIT or LAST_ACK):
		 * tcp_validate_incoming sends a challenge ACK (RFC 5961 4.2,
		 * tcp_send_challenge_ack); the opener, in SYN_SENT, answers
		 * the unacceptable ACK with a RST at our rcv_nxt, which resets
		 * this socket.  The per-socket rate limit (tcp_invalid_ratelimit,
		 * 500 ms) never bites: SYN retransmissions are >= 1 s apart. */
		if (G_UNLIKELY(n->tap))
			tap_tu(n, s->host, &s->node.t, TAP_R_CHALLENGE_ACK, 0, 0);
		sock_send(n, s, F_ACK, s->snd_nxt);
		return;
	}
	take_ts(n, s, in);
	bool acks_fin = (in->flags & F_ACK) && in->ack == s->snd_nxt;
	bool fin = (in->flags & F_FIN) && in->seq == s->rcv_nxt;
	bool old_fin = (in->flags & F_FIN) && in->seq + 1 == s->rcv_nxt;
	switch (st) {
	case TCP_ESTABLISHED:
		if (fin)
			peer_fin(n, i);
		break;
	case TCP_FIN_WAIT1:
		if (fin && acks_fin) {  /* FIN+ACK: FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT */
			s->rcv_nxt++;
			sock_send(n, s, F_ACK, s->snd_nxt);
			tcp__time_wait(n, i, TCP_TIME_WAIT, 0);
		} else if (fin) {       /* simultaneous close */
			s->rcv_nxt++;
			if (G_UNLIKELY(n->tap))
				tap_tu(n, s->host, &s->node.t, TAP_R_SIMUL_CLOSE, 0, 0);
			set_state(n, s, TCP_CLOSING);
			sock_send(n, s, F_ACK, s->snd_nxt);
		} else if (acks_fin) {
			fin_acked(n, i);
		}
		break;
	case TCP_FIN_WAIT2:  /* full socket: not orphaned, or waiting on the keepalive timer */
		if (fin) {
			s->rcv_nxt++;
			sock_send(n, s, F_ACK, s->snd_nxt);
			tcp__time_wait(n, i, TCP_TIME_WAIT, 0);
		}
		break;
	case TCP_CLOSING:
		if (acks_fin)
			tcp__time_wait(n, i, TCP_TIME_WAIT, 0);
		break;
	case TCP_CLOSE_WAIT:
		if (old_fin)
			sock_send(n, s, F_ACK, s->snd_nxt);
		break;
	case TCP_LAST_ACK:
		if (acks_fin) {
			if (G_UNLIKELY(n->tap))
				tap_tu(n, s->host, &s->node.t, TAP_R_LAST_ACK_DONE, 0, 0);
			sock_destroy(n, i, true);  /* tcp_done: no TIME_WAIT on the passive side */
		}
		break;
	default:
		break;
	}
}

static void tcp_rcv(tcp_net *n, tcp_host *h, const seg *in)
{
	tuple4 t = { in->daddr, in->saddr, in->dport, in->sport };
	uint32_t ref = in->bucket != EH_NIL ? ehash_lookup_at(h->eh, in->bucket, &t) : ehash_lookup(h->eh, &t);
	if (ref == EH_NIL) {
		if ((in->flags & (F_SYN | F_ACK | F_RST)) == F_SYN && tcp__listening(h, in->dport))
			tcp__conn_request(n, h, in, 0);
		else
			tcp__send_reset_for(n, h, in);
		return;
	}
	if (ref & EH_TW)
		tcp__tw_rcv(n, h, ref & ~EH_TW, in);
	else
		sock_rcv(n, ref, in);
}

/* For the tap: segment i reached host dst. */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_recv(tcp_net *n, uint32_t i, int dst)
{
	tap_seg(n->tap, TAP_RECV, now(n), dst, -1, i, NULL, 0);
}

/* How far behind on the segments' lane on_seg fetches ahead. */
#define SEG_PEEK 3

static void on_seg(void *ctx, uint32_t i, uint32_t arg)
{
	tcp_net *n = ctx;
	/* The segments behind this one on its lane arrive a few events from
	 * now: start fetching the socket the one SEG_PEEK places behind will
	 * find (its bucket's head was fetched when it was sent). */
	uint32_t j;
	if (ev_peek_same_lane(n->L, SEG_PEEK, n->k_seg, &j)) {
		const seg *x = pool_at(&n->segs, j);
		if (x->bucket != EH_NIL)
			ehash_prefetch_head(n->hosts[x->dst].eh, x->bucket);
	}
	seg s = *(seg *)pool_at(&n->segs, i);
	pool_free(&n->segs, i);
	/* TCP_MIB_INSEGS: tcp_v4_rcv counts every segment that reaches TCP
	 * (net/ipv4/tcp_ipv4.c), before the socket lookup. */
	(*n->hosts[s.dst].mib->InSegs)++;
	if (G_UNLIKELY(n->tap))
		tap_recv(n, i, s.dst);
	tcp_rcv(n, &n->hosts[s.dst], &s);
}

/* ---- retransmission timer (tcp_retransmit_timer, tcp_write_timeout) ---- */

/* For the tap: the timer retransmitted (after it) or gave up. */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_rtx(tcp_net *n, const sock *s, bool give_up)
{
	int64_t f = s->state == TCP_SYN_SENT ? TAP_F_SYN : s->state == TCP_SYN_RECV ? TAP_F_SYN | TAP_F_ACK : TAP_F_FIN;
	tap_tuple tu = tcp__tap_tuple(&s->node.t);
	if (give_up)
		tap_rule_at(n->tap, now(n), s->host, -1, &tu, TAP_R_RTX_GIVE_UP, s->retries, 0, f);
	else if (s->state == TCP_SYN_SENT && s->retries == 0 && now(n) < s->started + (ev_time)s->rto_ms * EV_MS)
		/* before the first RTO could have fired: rcv_synsent's quick re-arm */
		tap_rule_at(n->tap, now(n), s->host, -1, &tu, TAP_R_RTX_QUICK, TCP_TIMEOUT_MIN_J, 1, f);
	else
		tap_rule_at(n->tap, now(n), s->host, -1, &tu, TAP_R_RTX, s->rto_ms, s->retries + 1, f);
}

static void on_rtx(void *ctx, uint32_t i, uint32_t arg)
{
	tcp_net *n = ctx;
	sock *s = SK(n, i);
	tcp_host *h = &n->hosts[s->host];
	s->rtx = EV_NONE;
	unsigned limit;
	switch (s->state) {
	case TCP_SYN_SENT:
		/* tcp_write_timeout: max_retransmits = tcp_syn_retries, plus
		 * tcp_syn_linear_timeouts in SYN_SENT (6.5+, ccce324dabfe). */
		if (s->retries >= h->k.syn_retries + h->k.syn_linear_timeouts) {
			uint64_t started = s->started;
			if (G_UNLIKELY(n->tap))
				tap_rtx(n, s, true);
			int host = s->host;
			setup_hits(n, s, -ETIMEDOUT);
			(*h->mib->AttemptFails)++;
			sock_destroy(n, i, true);
			if (n->app.failed)
				n->app.failed(n->app.ctx, host, -ETIMEDOUT, started);
			return;
		}
		(*h->mib->SynRetrans)++;
		retransmit(n, i, F_SYN, 0);
		break;
	case TCP_SYN_RECV:  /* inet_csk_reqsk_queue_prune / reqsk_timer_handler */
		if (s->retries >= h->k.synack_retries) {
			sock_destroy(n, i, true);
			return;
		}
		retransmit(n, i, F_SYN | F_ACK, s->snd_nxt - 1);
		break;
	case TCP_FIN_WAIT2:  /* keepalive timer of a FIN_WAIT2 orphan with tmo > 60 s */
		tcp__time_wait(n, i, TCP_FIN_WAIT2, fin_time(h, s) - TCP_TIMEWAIT_LEN);
		return;
	case TCP_FIN_WAIT1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		/* tcp_orphan_retries: 0 means 8 for a live peer (tcp_orphan_retries()) */
		limit = h->k.orphan_retries ? h->k.orphan_retries : 8;
		if (s->retries >= limit) {
			(*h->mib->AbortOnTimeout)++;
			if (G_UNLIKELY(n->tap))
				tap_rtx(n, s, true);
			sock_destroy(n, i, true);
			return;
		}
		retransmit(n, i, F_FIN | F_ACK, s->snd_nxt - 1);
		break;
	default:
		return;
	}
	if (G_UNLIKELY(n->tap))
		tap_rtx(n, s, false);
	s->retries++;
	/* tcp_retransmit_timer: icsk_backoff++, then the RTO doubles unless
	 * the socket is in SYN_SENT with backoff <= tcp_syn_linear_timeouts
	 * (6.5+): the first retransmissions 1 s apart (1, 2, 3, 4, 5 s with the
	 * default 4), then 7, 11, 19, 35, 67 s, ETIMEDOUT at 131 s. */
	if (s->state != TCP_SYN_SENT || s->retries > h->k.syn_linear_timeouts)
		s->rto_ms = s->rto_ms * 2 > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : s->rto_ms * 2;
	arm_rtx(n, i, s->rto_ms);
}

/* ---- set-up ------------------------------------------------------------- */

static uint64_t *role_counter(probe_set *ps, const char *role, const char *name, const char *help)
{
	char *full = g_strdup_printf("%s.%s", role, name);
	uint64_t *c = probe_counter(ps, full, help);
	g_free(full);
	return c;
}

static tcp_mib *mib_for(tcp_net *n, const char *role)
{
	for (guint i = 0; i < n->roles->len; i++)
		if (!strcmp(g_ptr_array_index(n->roles, i), role))
			return g_ptr_array_index(n->mibs, i);
	tcp_mib *m = g_new0(tcp_mib, 1);
#define C(field, name, help) m->field = role_counter(n->ps, role, name, help)
	C(ActiveOpens, "TcpActiveOpens", "connect() calls that sent a SYN");
	C(PassiveOpens, "TcpPassiveOpens", "connections accepted");
	C(AttemptFails, "TcpAttemptFails", "SYN_SENT sockets that failed (refused, timed out)");
	C(EstabResets, "TcpEstabResets", "established connections reset");
	C(OutRsts, "TcpOutRsts", "RST segments sent");
	C(TW, "TcpExtTW", "timewait minisockets expired by their timer");
	C(TWKilled, "TcpExtTWKilled", "short (recycled) timewait expiries");
	C(TWRecycled, "TcpExtTWRecycled", "TIME_WAIT reused by connect() (tcp_tw_reuse)");
	C(TimeWaitOverflow, "TcpExtTCPTimeWaitOverflow", "TIME_WAIT skipped: tcp_max_tw_buckets reached");
	C(PAWSPassive, "TcpExtPAWSPassive", "SYNs dropped by the tw_recycle PAWS check");
	C(PAWSEstab, "TcpExtPAWSEstab", "segments rejected by PAWS in TIME_WAIT");
	C(SynRetrans, "TcpExtTCPSynRetrans", "SYN retransmissions");
	C(AbortOnTimeout, "TcpExtTCPAbortOnTimeout", "orphans dropped after FIN retries");
	C(AbortOnData, "TcpExtTCPAbortOnData", "closes with SO_LINGER 0 (RST)");
	C(SynToTimewait, "syn_hit_timewait", "SYNs that met a TIME_WAIT and got an ACK instead of SYN-ACK");
	C(TwSynAccepted, "tw_syn_reopen", "SYNs that reopened a TIME_WAIT 4-tuple (TCP_TW_SYN)");
	C(InSegs, "TcpInSegs", "segments received");
	C(OutSegs, "TcpOutSegs", "segments sent, retransmissions excluded");
	C(RetransSegs, "TcpRetransSegs", "segments retransmitted");
	C(AbortOnClose, "TcpExtTCPAbortOnClose", "close() with unread data (RST)");
	C(PAWSTimewait, "TcpExtPAWSTimewait", "segments rejected by PAWS in TIME_WAIT (6.16+; PAWSEstab before)");
	C(ACKSkippedTimeWait, "TcpExtTCPACKSkippedTimeWait", "TIME_WAIT ACKs not sent: tcp_invalid_ratelimit");
#undef C
	char *g1 = g_strdup_printf("%s.timewait", role), *g2 = g_strdup_printf("%s.established", role);
	m->tw = probe_gauge_get(n->ps, g1, "timewait minisockets (TIME_WAIT and FIN_WAIT2 substates)");
	m->established = probe_gauge_get(n->ps, g2, "ESTABLISHED sockets");
	g_free(g1);
	g_free(g2);
	g_ptr_array_add(n->roles, g_strdup(role));
	g_ptr_array_add(n->mibs, m);
	return m;
}

tcp_net *tcp_net_new(ev_loop *L, probe_set *ps, uint64_t seed, uint32_t rep, const tcp_app *app)
{
	tcp_net *n = g_new0(tcp_net, 1);
	n->L = L;
	n->ps = ps;
	n->seed = seed;
	n->rep = rep;
	if (app)
		n->app = *app;
	pool_init(&n->socks, sizeof(sock), "sockets");
	pool_init(&n->tws, sizeof(tw_sock), "timewait");
	pool_init(&n->segs, sizeof(seg), "segments");
	n->route_mask = 15;
	n->routes = g_new0(uint64_t, n->route_mask + 1);
	n->mibs = g_ptr_array_new_with_free_func(g_free);
	n->roles = g_ptr_array_new_with_free_func(g_free);
	n->k_seg = ev_kind_register(L, "segment", on_seg, n);
	n->k_rtx = ev_kind_register(L, "tcp_timer", on_rtx, n);
	n->k_app = ev_kind_register(L, "app_close", on_app_timer, n);
	n->k_tw = ev_kind_register(L, "tw_timer", tcp__tw_expire, n);
	n->k_hop = ev_kind_register(L, "middlebox", tcp__on_hop, n);
	n->req_bytes = n->resp_bytes = 1000;
	return n;
}

void tcp_set_data_bytes(tcp_net *n, uint32_t request, uint32_t response)
{
	n->req_bytes = request;
	n->resp_bytes = response;
}

void tcp_set_tap(tcp_net *n, const tap *t)
{
	n->tap = t;
}

void tcp_set_app(tcp_net *n, const tcp_app *app)
{
	n->app = *app;
}

void tcp_set_fixed_delays(tcp_net *n, bool fixed)
{
	n->fixed_app_delays = fixed;
}

void tcp_net_free(tcp_net *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->nhosts; i++) {
		tcp_host *h = &n->hosts[i];
		g_free(h->addrs);
		rng_free(h->kernel_rng);
		rng_free(h->loss_rng);
		ehash_free(h->eh);
		port_table_free(h->ports);
		tcpm_free(h->peers);
	}
	g_free(n->hosts);
	pool_destroy(&n->socks);
	pool_destroy(&n->tws);
	pool_destroy(&n->segs);
	g_free(n->routes);
	g_ptr_array_free(n->mibs, TRUE);
	g_ptr_array_free(n->roles, TRUE);
	g_free(n);
}

int tcp_host_add(tcp_net *n, const char *role, const kconf *k, const uint32_t *addrs, unsigned naddrs,
		 ev_time link_delay, double loss)
{
	int id = (int)n->nhosts;
	if (n->nhosts >= UINT16_MAX || !naddrs)
		return -EINVAL;
	for (unsigned a = 0; a < naddrs; a++)
		if (route(n, addrs[a]) >= 0)
			return -EADDRINUSE;
	n->hosts = g_renew(tcp_host, n->hosts, n->nhosts + 1);
	tcp_host *h = &n->hosts[n->nhosts++];
	memset(h, 0, sizeof(*h));
	h->k = *k;
	h->addrs = g_memdup2(addrs, naddrs * sizeof(uint32_t));
	h->naddrs = naddrs;
	h->link_delay = link_delay;
	h->loss = loss;
	char name[64];
	snprintf(name, sizeof(name), "host/%d/kernel", id);
	h->kernel_rng = rng_stream(n->seed, n->rep, name);
	snprintf(name, sizeof(name), "host/%d/loss", id);
	h->loss_rng = rng_stream(n->seed, n->rep, name);
	h->isn_secret = rng_u64(h->kernel_rng);
	h->eh = ehash_new(k->ehash_entries, k->prof->ehash_linear_lport, rng_u64(h->kernel_rng), &n->socks,
			  &n->tws);
	tsc_init(&h->ts, k->prof, k->hz, k->timestamps, h->kernel_rng);
	port_cfg pc = { k->prof->port, k->port_lo, k->port_hi, k->nreserved ? k->reserved : NULL,
			k->autobind_reuse, k->hz, k->port_step_width };
	h->ports = port_table_new(&pc, h->kernel_rng);
	if (k->prof->recycle != RECYCLE_NONE)
		h->peers = tcpm_new(k->prof->recycle);
	snprintf(name, sizeof(name), "TIME_WAIT/%d", id);
	h->tw_lane = ev_lane_new(n->L, g_intern_string(name), TCP_TIMEWAIT_LEN);
	h->mib = mib_for(n, role);
	h->side = !strcmp(role, "server");
	for (unsigned a = 0; a < naddrs; a++)
		route_add(n, addrs[a], id);
	return id;
}

const kconf *tcp_host_kconf(const tcp_net *n, int host)
{
	return &n->hosts[host].k;
}

unsigned tcp_host_count(const tcp_net *n)
{
	return n->nhosts;
}

void tcp_host_stats_get(const tcp_net *n, int host, tcp_host_stats *o)
{
	const tcp_host *h = &n->hosts[host];
	memset(o, 0, sizeof(*o));
	o->tw = h->ntw;
	o->tw_fw2 = h->ntw_fw2;
	o->sockets = h->nsock;
	o->established = h->nestab;
	o->ports_in_use = port_in_use(h->ports);
	o->port_usable = port_usable(h->ports);
	o->ehash_count = ehash_count(h->eh);
	o->ehash_entries = ehash_entries(h->eh);
}

size_t tcp_sock_record_bytes(void)
{
	return sizeof(sock);
}

size_t tcp_seg_record_bytes(void)
{
	return sizeof(seg);
}

size_t tcp_host_record_bytes(void)
{
	return sizeof(tcp_host);
}

size_t tcp_tw_record_bytes(void)
{
	return sizeof(tw_sock);
}

size_t tcp_net_bytes(const tcp_net *n)
{
	size_t b = sizeof(*n) + pool_bytes(&n->socks) + pool_bytes(&n->tws) + pool_bytes(&n->segs) +
		   (n->route_mask + 1) * sizeof(uint64_t);
	for (unsigned i = 0; i < n->nhosts; i++)
		b += sizeof(tcp_host) + ehash_bytes(n->hosts[i].eh) + port_table_bytes(n->hosts[i].ports);
	return b;
}
