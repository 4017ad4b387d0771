/*
 * Timewait minisockets: entering TIME_WAIT (tcp_time_wait), the timer each
 * profile really runs, segments that meet a minisocket
 * (tcp_timewait_state_process and the do_time_wait dispatch of tcp_v4_rcv),
 * and connect()'s reuse test (tcp_twsk_unique).  doc/kernel-rules.md §2.5-§2.9, §4, §5.2.
 */
#include "models/tcp_int.h"

#include <glib.h>

static inline tw_sock *TW(tcp_net *n, uint32_t i)
{
	return pool_at(&n->tws, i);
}

static inline ev_id tw_timer(const tw_sock *tw)
{
	return (ev_id)tw->timer_hi << 32 | tw->timer_lo;
}

static inline void tw_set_timer(tw_sock *tw, ev_id id)
{
	tw->timer_lo = (uint32_t)id;
	tw->timer_hi = (uint32_t)(id >> 32);
}

/* The timer's argument: the host, and whether expiry counts TWKilled. */
static inline uint32_t tw_timer_arg(const tcp_net *n, const tcp_host *h, bool kill)
{
	return (uint32_t)(h - n->hosts) << 1 | kill;
}

/* ---- the timer ---------------------------------------------------------- */

/* Simulated time at which jiffy j begins on this host. */
static ev_time jiffy_time(const tcp_host *h, uint64_t j)
{
	uint64_t t = j / h->k.hz * EV_SEC + ((j % h->k.hz) * EV_SEC + h->k.hz - 1) / h->k.hz;
	return t > h->ts.boot_ns ? t - h->ts.boot_ns : 0;
}

/* INET_TWDR_RECYCLE_TICK (include/net/inet_timewait_sock.h, <= 4.0): for
 * HZ in (2^(b-1), 2^b], b + 2 - INET_TWDR_RECYCLE_SLOTS_LOG (5). */
static unsigned deathrow_tick_log(const tcp_host *h)
{
	unsigned b = 0;
	while ((1ULL << b) < h->k.hz)
		b++;
	return b > 3 ? b - 3 : 0;
}

/* inet_twsk_schedule: slot = DIV_ROUND_UP(timeo, tick) < INET_TWDR_RECYCLE_SLOTS
 * (32) puts the minisocket on the recycle calendar, whose reaping counts
 * TcpExtTWKilled; the slow timer counts TcpExtTW. */
static bool deathrow_calendar(const tcp_host *h, uint64_t d_j)
{
	unsigned lg = deathrow_tick_log(h);
	return ((d_j + (1ULL << lg) - 1) >> lg) < 32;
}

static uint64_t timeo_jiffies(const tcp_host *h, ev_time timeo)
{
	return (timeo * h->k.hz + EV_SEC - 1) / EV_SEC;
}

/* 4.1-4.7 (and every timer_list before 4.8): apply_slack rounds the expiry
 * up within 0.4 % of the delay (mod_timer, timer slack). */
static uint64_t old_wheel_jiffies(uint64_t now_j, uint64_t d_j)
{
	uint64_t e = now_j + d_j, lim = e + d_j / 256;
	if (lim != e) {
		uint64_t mask = e ^ lim;
		int bit = 63 - __builtin_clzll(mask);
		lim &= ~((1ULL << bit) - 1);
		e = lim;
	}
	return e;
}

/* 4.8+: calc_wheel_index / calc_index: LVL_CLK_SHIFT 3, LVL_BITS 6; level n
 * holds delays below 63 << 3n, and an expiry past level 0 is rounded up to
 * the next multiple of its granularity (never early). */
static uint64_t new_wheel_jiffies(uint64_t now_j, uint64_t d_j)
{
	unsigned lvl = 0;
	while (lvl < 8 && d_j >= (63ULL << (3 * lvl)))
		lvl++;
	uint64_t e = now_j + d_j;
	if (lvl == 0)
		return e;
	unsigned shift = 3 * lvl;
	return ((e >> shift) + 1) << shift;
}

/*
 * When a timewait timer of length timeo armed now fires (doc/kernel-rules.md §2.6):
 *  - <= 4.0: the central death row reaps 8 slots of TCP_TIMEWAIT_LEN / 8;
 *    a 60 s entry dies at the 7th reaping after the next one: (52.5, 60] s
 *    (inet_twsk_schedule, inet_twdr_hangman); a shorter slow-timer entry
 *    (a FIN_WAIT2 tmo) goes DIV_ROUND_UP(timeo, period) cells ahead, so it
 *    dies in (k, k + 1] periods.  Timeouts under 32 calendar ticks
 *    (tw_recycle's 3.5 RTO, a short FIN_WAIT2) go to the recycle calendar
 *    (inet_twdr_twcal_tick), whose tick is 2^INET_TWDR_RECYCLE_TICK jiffies:
 *    HZ rounded up to a power of two, / 8 (32 jiffies = 128 ms at HZ 250,
 *    128 jiffies at HZ 1000).
 *  - 4.1-4.7: one timer per minisocket; the old wheel's apply_slack rounds
 *    the expiry up within 0.4 % of the delay.
 *  - 4.8+: the new wheel rounds up to the granularity of the level that
 *    holds the delay (calc_wheel_index / calc_index), never early.
 */
static inline __attribute__((always_inline)) ev_time tw_expiry(const tcp_net *n, const tcp_host *h, ev_time timeo)
{
	ev_time t = ev_now(n->L);
	uint64_t hz = h->k.hz, now_j = tsc_jiffies(&h->ts, t);
	uint64_t d_j = timeo_jiffies(h, timeo);  /* timeouts are in jiffies */
	switch (h->k.prof->twtimer) {
	case TWT_DEATHROW: {
		if (deathrow_calendar(h, d_j)) {
			uint64_t tick = 1ULL << deathrow_tick_log(h);
			return jiffy_time(h, (now_j + d_j + tick - 1) / tick * tick);
		}
		/* slot = timeo >= timewait_len ? 7 : min(DIV_ROUND_UP(timeo, period), 7) */
		uint64_t period = 60 * hz / 8, k = timeo >= TCP_TIMEWAIT_LEN ? 7 : (d_j + period - 1) / period;
		if (k > 7)
			k = 7;
		uint64_t next = (now_j / period + 1) * period;  /* next reaping */
		return jiffy_time(h, next + k * period);
	}
	case TWT_OLDWHEEL:
		return jiffy_time(h, old_wheel_jiffies(now_j, d_j));
	case TWT_WHEEL:
	default:
		return jiffy_time(h, new_wheel_jiffies(now_j, d_j));
	}
}

/* The per-socket timers of every other state (retransmission, SYN-ACK,
 * FIN_WAIT2 keepalive) are plain timer_list timers whatever the version:
 * never on the death row, rounded as the profile's wheel rounds. */
ev_time tcp__timer_expiry(const tcp_net *n, const tcp_host *h, uint64_t d_j)
{
	uint64_t now_j = tsc_jiffies(&h->ts, ev_now(n->L));
	return jiffy_time(h, h->k.prof->timer_levels ? new_wheel_jiffies(now_j, d_j) : old_wheel_jiffies(now_j, d_j));
}

uint64_t tcp__ms_to_jiffies(const tcp_host *h, uint32_t ms)
{
	return ((uint64_t)ms * h->k.hz + 999) / 1000;
}

/* Counted as TcpExtTWKilled rather than TcpExtTW: reaped by the recycle
 * calendar (<= 4.0), else tw_kill = timeo <= 4*HZ (__inet_twsk_schedule). */
static bool tw_short(const tcp_host *h, ev_time timeo)
{
	if (h->k.prof->twtimer == TWT_DEATHROW)
		return deathrow_calendar(h, timeo_jiffies(h, timeo));
	return timeo <= 4 * EV_SEC;
}

/* For the tap: the minisocket's timer, armed to fire at when. */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_arm(tcp_net *n, const tcp_host *h, const tw_sock *tw,
							   ev_time when)
{
	tap_tuple tu = tcp__tap_tuple(&tw->node.t);
	tap_timer(n->tap, ev_now(n->L), (int)(h - n->hosts), &tu, tcp__state_name(tw->substate), (int64_t)when);
}

static void tw_arm(tcp_net *n, tcp_host *h, uint32_t i, ev_time timeo)
{
	tw_sock *tw = TW(n, i);
	ev_cancel(n->L, tw_timer(tw));
	ev_time when = tw_expiry(n, h, timeo);
	uint32_t arg = tw_timer_arg(n, h, tw_short(h, timeo));
	tw_set_timer(tw, timeo == TCP_TIMEWAIT_LEN ? ev_lane_at(n->L, h->tw_lane, when, n->k_tw, i, arg)
						   : ev_at(n->L, when, n->k_tw, i, arg));
	if (G_UNLIKELY(n->tap))
		tap_arm(n, h, tw, when);
}

/* For the tap: minisocket i of h is now in state st; rule (with a, b) says why. */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_tw(tcp_net *n, tcp_host *h, uint32_t i, tcp_state st, int rule, int64_t a)
{
	tap_tuple tu = tcp__tap_tuple(&TW(n, i)->node.t);
	int host = (int)(h - n->hosts);
	if (rule >= 0)
		tap_rule_at(n->tap, ev_now(n->L), host, -1, &tu, (tap_rule)rule, a, 0, 0);
	if (st != TCP_NSTATES)
		tap_state(n->tap, ev_now(n->L), host, &tu, tcp__state_name(st));
}

/* Restart after a segment: always TCP_TIMEWAIT_LEN, recycled or not
 * (tcp_timewait_state_process: inet_twsk_schedule(tw, &tcp_death_row,
 * TCP_TIMEWAIT_LEN, TCP_TIMEWAIT_LEN) up to 4.0, inet_twsk_reschedule(tw,
 * TCP_TIMEWAIT_LEN) after; only the FIN_WAIT2 -> TIME_WAIT transition uses
 * the recycle timeout tw_timeout). */
static void tw_restart(tcp_net *n, tcp_host *h, uint32_t i)
{
	tw_arm(n, h, i, TCP_TIMEWAIT_LEN);
}

void tcp__tw_kill(tcp_net *n, tcp_host *h, uint32_t i)
{
	tw_sock *tw = TW(n, i);
	if (G_UNLIKELY(n->tap))
		tap_tw(n, h, i, TCP_CLOSE, -1, 0);
	ev_cancel(n->L, tw_timer(tw));
	ehash_remove(h->eh, i | EH_TW);
	if (tw->flags & SK_OWNS_PORT)
		port_release(h->ports, tw->node.t.lport, tw->flags & SK_REUSEADDR, false);
	h->ntw--;
	if (tw->substate == TCP_FIN_WAIT2)
		h->ntw_fw2--;
	probe_gauge_add(h->mib->tw, -1, ev_now(n->L));
	pool_free(&n->tws, i);
}

/*
 * Where TcpExtTW and TcpExtTWKilled (LINUX_MIB_TIMEWAITED, _TIMEWAITKILLED)
 * are counted: up to 5.17 when the timer fires (inet_twdr_do_twkill_work and
 * inet_twdr_twcal_tick <= 4.0; tw_timer_handler with tw_kill set by the last
 * (re)schedule 4.1-5.17); from 5.18 when the minisocket's timer is first
 * armed (__inet_twsk_schedule, !rearm: kill = timeo <= 4*HZ; commit "tcp/dccp:
 * no longer use twsk_net(tw) from tw_timer_handler()"), so a minisocket later
 * reused, reset or reopened counts too.  The profile says which
 * (prof.tw_mib_at_schedule).
 */
static bool tw_mib_at_schedule(const tcp_host *h)
{
	return h->k.prof->tw_mib_at_schedule;
}

static void tw_mib_count(tcp_host *h, bool kill)
{
	if (kill)
		(*h->mib->TWKilled)++;
	else
		(*h->mib->TW)++;
}

/*
 * Expiries come in lane order, each of a minisocket untouched for 60 s: while
 * one dies, fetch the minisocket TW_PREFETCH places behind it, the ehash chain
 * head of the one half as far (its record is in cache by then) and the first
 * node of the chain of the one a quarter as far (its head is), so that each
 * is at hand when its turn comes.  Only the simulator's speed changes.
 */
#define TW_PREFETCH 8

static void tw_prefetch(tcp_net *n, const tcp_host *h)
{
	uint32_t i;
	if (ev_lane_peek(n->L, h->tw_lane, TW_PREFETCH, &i))
		__builtin_prefetch(TW(n, i));
	if (ev_lane_peek(n->L, h->tw_lane, TW_PREFETCH / 2, &i)) {
		ehash_prefetch(h->eh, &TW(n, i)->node.t);
		port_prefetch(h->ports, TW(n, i)->node.t.lport);  /* port_release */
	}
	if (ev_lane_peek(n->L, h->tw_lane, TW_PREFETCH / 4, &i))
		ehash_prefetch_chain(h->eh, i | EH_TW);
}

/* tw_timer_handler: counts TWKilled for short (<= 4 s) timeouts, else TW
 * (before 5.18). */
void tcp__tw_expire(void *ctx, uint32_t i, uint32_t arg)
{
	tcp_net *n = ctx;
	tw_sock *tw = TW(n, i);
	tcp_host *h = &n->hosts[arg >> 1];
	tw_prefetch(n, h);
	tw_set_timer(tw, EV_NONE);
	if (!tw_mib_at_schedule(h))
		tw_mib_count(h, arg & 1);
	tcp__tw_kill(n, h, i);
}

/* ---- tcp_time_wait ------------------------------------------------------ */

/* For the tap: minisocket i enters state for timeo; when its timer fires. */
static G_GNUC_NO_INLINE __attribute__((cold)) void tap_enter(tcp_net *n, tcp_host *h, uint32_t i, tcp_state state, ev_time timeo)
{
	tap_tuple tu = tcp__tap_tuple(&TW(n, i)->node.t);
	int host = (int)(h - n->hosts);
	ev_time t = ev_now(n->L);
	tap_state(n->tap, t, host, &tu, tcp__state_name(state));
	if (state == TCP_FIN_WAIT2)
		tap_rule_at(n->tap, t, host, -1, &tu, TAP_R_FW2_ENTER, timeo, 0, 0);
	else if (TW(n, i)->flags & SK_RECYCLED)
		tap_rule_at(n->tap, t, host, -1, &tu, TAP_R_TW_RECYCLED, timeo, 0, 0);
	else
		tap_rule_at(n->tap, t, host, -1, &tu, TAP_R_TW_ENTER, timeo, tw_expiry(n, h, timeo) - t,
			    h->k.prof->twtimer);
}

void tcp__time_wait(tcp_net *n, uint32_t si, tcp_state state, ev_time timeo)
{
	sock *s = pool_at(&n->socks, si);
	tcp_host *h = &n->hosts[s->host];
	ev_time now = ev_now(n->L);
	ev_cancel(n->L, s->rtx);
	ev_cancel(n->L, s->app);
	/* <= 4.11: tcp_remember_stamp runs before inet_twsk_alloc, so the
	 * per-peer cache is written even when the minisocket is refused. */
	uint32_t ts_stamp = (s->flags & SK_TS) ? s->ts_recent_stamp : 0;
	bool recycle_ok = false;
	if (h->peers && h->k.tw_recycle && ts_stamp)
		recycle_ok = tcpm_remember(h->peers, s->node.t.laddr, s->node.t.faddr, s->ts_recent, ts_stamp,
					   tsc_seconds(&h->ts, now));
	if (h->ntw >= h->k.max_tw_buckets) {
		/* inet_twsk_alloc refused: TCPTimeWaitOverflow, tcp_done(), the
		 * port is free at once. */
		(*h->mib->TimeWaitOverflow)++;
		if (G_UNLIKELY(n->tap)) {
			tap_tuple tu = tcp__tap_tuple(&s->node.t);
			tap_rule_at(n->tap, now, s->host, -1, &tu, TAP_R_TW_OVERFLOW, 0, 0, 0);
			tap_state(n->tap, now, s->host, &tu, tcp__state_name(TCP_CLOSE));
		}
		ehash_remove(h->eh, si);
		if (s->flags & SK_OWNS_PORT)
			port_release(h->ports, s->node.t.lport, s->flags & SK_REUSEADDR, false);
		h->nsock--;
		if (s->state == TCP_ESTABLISHED) {
			h->nestab--;
			probe_gauge_add(h->mib->established, -1, now);
		}
		pool_free(&n->socks, si);
		return;
	}
	uint32_t ti = pool_alloc(&n->tws);
	tw_sock *tw = TW(n, ti);
	s = pool_at(&n->socks, si);  /* pools never move; reload for clarity */
	tw->node.t = s->node.t;
	tw->snd_nxt = s->snd_nxt;
	tw->rcv_nxt = s->rcv_nxt;
	tw->ts_recent = s->ts_recent;
	tw->ts_recent_stamp = (s->flags & SK_TS) ? s->ts_recent_stamp : 0;
	tw->entry_ms = (uint32_t)tsc_ms(&h->ts, now);
	tw->substate = (uint8_t)state;
	tw->flags = (uint8_t)(s->flags & (SK_OWNS_PORT | SK_REUSEADDR | SK_BOUND | SK_CLIENT));
	tw->rto_ms = (uint16_t)(s->rto_ms > 65535 ? 65535 : s->rto_ms);
	tw->last_oow_j = 0;
	tw_set_timer(tw, EV_NONE);

	ev_time rto35 = (ev_time)tcp__rto3_5(s->rto_ms) * EV_MS;
	if (timeo < rto35)
		timeo = rto35;
	if (recycle_ok)
		tw->flags |= SK_RECYCLED;
	else if (state == TCP_TIME_WAIT)
		timeo = TCP_TIMEWAIT_LEN;

	/* inet_twsk_hashdance: the minisocket takes the socket's place in
	 * ehash and its bind-bucket ownership; the full socket goes. */
	ehash_replace(h->eh, si, ti | EH_TW);
	if (s->state == TCP_ESTABLISHED) {
		h->nestab--;
		probe_gauge_add(h->mib->established, -1, now);
	}
	h->nsock--;
	pool_free(&n->socks, si);
	h->ntw++;
	if (state == TCP_FIN_WAIT2)
		h->ntw_fw2++;
	probe_gauge_add(h->mib->tw, 1, now);
	if (tw_mib_at_schedule(h))
		tw_mib_count(h, tw_short(h, timeo));
	if (G_UNLIKELY(n->tap))
		tap_enter(n, h, ti, state, timeo);
	tw_arm(n, h, ti, timeo);
}

/* ---- segments meeting a minisocket -------------------------------------- */

static void tw_send_ack(tcp_net *n, tcp_host *h, tw_sock *tw)
{
	bool ts = tw->ts_recent_stamp != 0;
	tcp__send(n, h, &tw->node.t, (uint8_t)(F_ACK | (ts ? F_TS : 0)), tw->snd_nxt, tw->rcv_nxt,
		  ts ? tsc_clock(&h->ts, ev_now(n->L)) + tsc_offset(&h->ts, &tw->node.t) : 0,
		  ts ? tw->ts_recent : 0);
}

static void tw_send_rst(tcp_net *n, tcp_host *h, tw_sock *tw)
{
	tcp__send(n, h, &tw->node.t, F_RST, tw->snd_nxt, 0, 0, 0);
}

/* TCP_INVALID_RATELIMIT: net.ipv4.tcp_invalid_ratelimit's default, 500 ms
 * (msecs_to_jiffies(500) in jiffies). */
#define TCP_INVALID_RATELIMIT_MS 500

/*
 * tcp_timewait_check_oow_rate_limit -> tcp_oow_rate_limited: a segment that
 * carries no data, or a SYN, gets the minisocket's out-of-window ACK only if
 * the last one went at least tcp_invalid_ratelimit ago (or never:
 * tw_last_oow_ack_time 0); else TcpExtTCPACKSkippedTimeWait (FinWait2 for
 * that substate, counted here under the TIME_WAIT name).  A FIN carries a
 * sequence number and is never limited.  The SYN a client retransmits
 * 2 jiffies after resetting (tcp.c, syn_quick_rtx) is what this silences.
 */
static bool oow_rate_limited(tcp_net *n, tcp_host *h, tw_sock *tw, const seg *in)
{
	if ((in->flags & F_FIN) && !(in->flags & F_SYN))
		return false;
	uint32_t now_j = (uint32_t)tsc_jiffies(&h->ts, ev_now(n->L));
	if (tw->last_oow_j) {
		int32_t elapsed = (int32_t)(now_j - tw->last_oow_j);
		if (elapsed >= 0 && (uint64_t)elapsed < tcp__ms_to_jiffies(h, TCP_INVALID_RATELIMIT_MS)) {
			(*h->mib->ACKSkippedTimeWait)++;
			return true;
		}
	}
	tw->last_oow_j = now_j;
	return false;
}

void tcp__tw_rcv(tcp_net *n, tcp_host *h, uint32_t i, const seg *in)
{
	tw_sock *tw = TW(n, i);
	ev_time now = ev_now(n->L);
	uint32_t now_s = tsc_seconds(&h->ts, now);
	bool rst = in->flags & F_RST, syn = in->flags & F_SYN, ack = in->flags & F_ACK, fin = in->flags & F_FIN;
	/* Timestamp options are parsed only if the connection used them. */
	bool saw_ts = tw->ts_recent_stamp && (in->flags & F_TS);
	bool paws_reject = saw_ts && tsc_paws_reject(tw->ts_recent, tw->ts_recent_stamp, in->tsval, now_s, rst);

	if (tw->substate == TCP_FIN_WAIT2) {
		/* Out of window or PAWS: ACK.  Our segments are in window unless old. */
		if (paws_reject || (int32_t)(in->seq - tw->rcv_nxt) < 0) {
			if (syn)
				tcp__hit(n, in, TCP_HIT_SYN_TW);
			if (!oow_rate_limited(n, h, tw, in))  /* ...(tw, skb, TCPACKSKIPPEDFINWAIT2) */
				tw_send_ack(n, h, tw);
			return;
		}
		if (rst) {
			tcp__tw_kill(n, h, i);
			return;
		}
		if (syn) {  /* SYN at or beyond rcv_nxt: RST */
			tcp__hit(n, in, TCP_HIT_SYN_TW);
			tw_send_rst(n, h, tw);
			tcp__tw_kill(n, h, i);
			return;
		}
		if (fin && in->seq == tw->rcv_nxt) {
			/* The peer's FIN: TIME_WAIT proper. */
			tw->substate = TCP_TIME_WAIT;
			h->ntw_fw2--;
			tw->rcv_nxt++;
			if (saw_ts) {
				tw->ts_recent = in->tsval;
				tw->ts_recent_stamp = now_s;
			}
			tw->entry_ms = (uint32_t)tsc_ms(&h->ts, now);
			ev_time timeo = TCP_TIMEWAIT_LEN;
			if (h->peers && h->k.tw_recycle && tw->ts_recent_stamp &&
			    tcpm_remember(h->peers, tw->node.t.laddr, tw->node.t.faddr, tw->ts_recent,
					  tw->ts_recent_stamp, now_s)) {
				tw->flags |= SK_RECYCLED;
				timeo = (ev_time)tcp__rto3_5(tw->rto_ms) * EV_MS;
			}
			if (G_UNLIKELY(n->tap))
				tap_enter(n, h, i, TCP_TIME_WAIT, timeo);
			tw_arm(n, h, i, timeo);
			tw_send_ack(n, h, tw);
			return;
		}
		if (!ack || !fin) /* duplicate ACK or empty: drop */
			return;
		tw_send_rst(n, h, tw);  /* new data after our half-close */
		tcp__tw_kill(n, h, i);
		return;
	}

	/* Substate TIME_WAIT. */
	if (!paws_reject && in->seq == tw->rcv_nxt && (rst || (ack && !syn && !fin))) {
		if (saw_ts) {
			tw->ts_recent = in->tsval;
			tw->ts_recent_stamp = now_s;
		}
		if (rst) {
			if (!h->k.rfc1337) {  /* TIME_WAIT assassination */
				if (G_UNLIKELY(n->tap))
					tap_tw(n, h, i, TCP_NSTATES, TAP_R_TW_RST_KILL, 0);
				tcp__tw_kill(n, h, i);
				return;
			}
			if (G_UNLIKELY(n->tap))
				tap_tw(n, h, i, TCP_NSTATES, TAP_R_TW_RST_IGNORED, h->k.prof->rfc1337_restarts);
			if (h->k.prof->rfc1337_restarts)
				tw_restart(n, h, i);
			return;
		}
		tw_restart(n, h, i);
		return;
	}
	if (syn && !rst && !ack && !paws_reject &&
	    ((int32_t)(in->seq - tw->rcv_nxt) > 0 || (saw_ts && ts_after(in->tsval, tw->ts_recent)))) {
		/* TCP_TW_SYN: a listener takes the SYN with isn = snd_nxt + 65537. */
		if (tcp__listening(h, in->dport)) {
			uint32_t isn = tw->snd_nxt + 65535 + 2;
			if (!isn)
				isn = 1;
			(*h->mib->TwSynAccepted)++;
			if (G_UNLIKELY(n->tap))
				tap_tw(n, h, i, TCP_NSTATES, TAP_R_TW_SYN_ACCEPT,
				       saw_ts && ts_after(in->tsval, tw->ts_recent));
			tcp__tw_kill(n, h, i);
			tcp__conn_request(n, h, in, isn);
			return;
		}
		tcp__hit(n, in, TCP_HIT_SYN_TW);
		if (G_UNLIKELY(n->tap))
			tap_tw(n, h, i, TCP_NSTATES, TAP_R_TW_SYN_ACK, 3);
		tw_send_ack(n, h, tw);
		return;
	}
	if (paws_reject)  /* TcpExtPAWSTimewait from 6.16 (c449d5f3a3d7), TcpExtPAWSEstab before */
		(*(h->k.prof->tw_paws_own_mib ? h->mib->PAWSTimewait : h->mib->PAWSEstab))++;
	if (!rst) {
		/* Out-of-window segment: restart the timer when PAWS-rejected or
		 * carrying ACK (not for an ACK-less old SYN), then ACK, at most
		 * one per tcp_invalid_ratelimit (tcp_timewait_check_oow_rate_limit). */
		if (G_UNLIKELY(n->tap))
			tap_tw(n, h, i, TCP_NSTATES, syn ? TAP_R_TW_SYN_ACK : TAP_R_TW_OOW_ACK,
			       syn ? (paws_reject ? 1 : saw_ts ? 0 : 2) : (paws_reject || ack));
		if (paws_reject || ack)
			tw_restart(n, h, i);
		if (syn) {
			(*h->mib->SynToTimewait)++;
			tcp__hit(n, in, TCP_HIT_SYN_TW);
		}
		if (!oow_rate_limited(n, h, tw, in))
			tw_send_ack(n, h, tw);
	}
}

/* ---- tcp_twsk_unique ---------------------------------------------------- */

static bool loopback(uint32_t a)
{
	return (a >> 24) == 127;
}

/* tcp__twsk_reusable_at inverts the time tests below: keep them in step. */
bool tcp__twsk_unique(tcp_net *n, tcp_host *h, uint32_t i, bool bound)
{
	const tw_sock *tw = TW(n, i);
	const prof *p = h->k.prof;
	ev_time now = ev_now(n->L);
	int reuse = h->k.tw_reuse;
	if (p->reuse_skips_fw2 && tw->substate == TCP_FIN_WAIT2)
		reuse = 0;  /* 6.11+: never a FIN_WAIT2 minisocket */
	if (reuse == 2 && !(loopback(tw->node.t.laddr) || loopback(tw->node.t.faddr)))
		reuse = 0;
	if (!tw->ts_recent_stamp)
		return false;  /* needs timestamps */
	if (bound)
		return true;   /* bound port: called without twp */
	if (!reuse)
		return false;
	switch (p->reuse) {
	case REUSE_GT_1S:
		return tsc_seconds(&h->ts, now) - tw->ts_recent_stamp > 1;
	case REUSE_NEXT_SEC:
		return tsc_seconds(&h->ts, now) > tw->ts_recent_stamp;
	case REUSE_DELAY_MS:
	default:
		return (int32_t)((uint32_t)tsc_ms(&h->ts, now) - (tw->entry_ms + h->k.tw_reuse_delay_ms)) > 0;
	}
}

/*
 * The first instant at which tcp__twsk_unique's time test passes, for a
 * minisocket it refuses now (connect() skips it until then: port.c's scan
 * then costs no check per young TIME_WAIT).  Each test compares a clock that
 * only advances (tsc.h: seconds and milliseconds since boot) with a value of
 * the minisocket, which only moves later (a segment refreshes ts_recent_stamp
 * and entry_ms), so the answer is a lower bound that stays true.  0: not a
 * time test (no timestamps, no reuse, a FIN_WAIT2 on 6.11+: never while it
 * lasts), or a clock past 32 bits of seconds.
 */
ev_time tcp__twsk_reusable_at(tcp_net *n, tcp_host *h, uint32_t i)
{
	const tw_sock *tw = TW(n, i);
	const prof *p = h->k.prof;
	const uint64_t boot = h->ts.boot_ns, t = boot + (uint64_t)ev_now(n->L);
	if (!tw->ts_recent_stamp || !h->k.tw_reuse || t / EV_SEC >= UINT32_MAX - 2)
		return 0;
	if (p->reuse_skips_fw2 && tw->substate == TCP_FIN_WAIT2)
		return 0;
	if (h->k.tw_reuse == 2 && !(loopback(tw->node.t.laddr) || loopback(tw->node.t.faddr)))
		return 0;
	uint64_t at;
	switch (p->reuse) {
	case REUSE_GT_1S:  /* seconds - stamp > 1 from second stamp + 2 */
		at = ((uint64_t)tw->ts_recent_stamp + 2) * EV_SEC;
		break;
	case REUSE_NEXT_SEC:
		at = ((uint64_t)tw->ts_recent_stamp + 1) * EV_SEC;
		break;
	case REUSE_DELAY_MS: {
		/* (int32)(ms - due) > 0 first holds 1 - d ms after now's ms */
		uint64_t ms = t / EV_MS;
		int32_t d = (int32_t)((uint32_t)ms - (tw->entry_ms + h->k.tw_reuse_delay_ms));
		if (d > 0)
			return 0;
		at = (ms + 1 + (uint64_t)(-(int64_t)d)) * EV_MS;
		break;
	}
	default:
		return 0;
	}
	return at > t ? (ev_time)(at - boot) : 0;
}
