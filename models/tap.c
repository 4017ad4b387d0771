/*
 * tap: building the records the models pass (tap.h), and the words of each
 * rule.  Only observers call tap_rule_text, so a run without a tap never
 * builds a string.
 */
#include "models/tap.h"

#include <errno.h>

#include "models/prof.h"
#include "models/tcp.h"
#include "sim/bug.h"

tap_verdict tap_send(const tap *tp, int64_t t, int host, uint32_t seg, const tap_pkt *p, int64_t *delay)
{
	tap_rec r = { .kind = TAP_SEND, .t = t, .host = host, .box = -1, .seg = seg, .pkt = *p };
	tap_verdict v = tp->on(tp->ctx, &r);
	*delay = r.delay;
	return v;
}

void tap_seg(const tap *tp, tap_kind kind, int64_t t, int host, int box, uint32_t seg, const tap_pkt *p,
	     tap_why why)
{
	tap_rec r = { .kind = kind, .t = t, .host = host, .box = box, .seg = seg, .why = why };
	if (p)
		r.pkt = *p;
	tp->on(tp->ctx, &r);
}

void tap_state(const tap *tp, int64_t t, int host, const tap_tuple *tu, const char *state)
{
	tap_rec r = { .kind = TAP_STATE, .t = t, .host = host, .box = -1, .tuple = *tu, .state = state };
	tp->on(tp->ctx, &r);
}

void tap_timer(const tap *tp, int64_t t, int host, const tap_tuple *tu, const char *name, int64_t expires)
{
	tap_rec r = { .kind = TAP_TIMER, .t = t, .host = host, .box = -1, .tuple = *tu, .state = name,
		      .expires = expires };
	tp->on(tp->ctx, &r);
}

void tap_ct(const tap *tp, int64_t t, int box, const tap_tuple *orig, const char *state, int64_t expires)
{
	tap_rec r = { .kind = TAP_CT, .t = t, .host = -1, .box = box, .tuple = *orig, .state = state,
		      .expires = expires };
	tp->on(tp->ctx, &r);
}

void tap_nat(const tap *tp, int64_t t, int box, const tap_tuple *orig, const tap_tuple *reply)
{
	tap_rec r = { .kind = TAP_NAT, .t = t, .host = -1, .box = box, .tuple = *orig, .reply = *reply };
	tp->on(tp->ctx, &r);
}

void tap_rule_at(const tap *tp, int64_t t, int host, int box, const tap_tuple *tu, tap_rule rule, int64_t a,
		 int64_t b, int64_t c)
{
	tap_rec r = { .kind = TAP_RULE, .t = t, .host = host, .box = box, .rule = rule, .a = a, .b = b, .c = c };
	if (tu)
		r.tuple = *tu;
	tp->on(tp->ctx, &r);
}

/* The TCP_HIT_* causes (models/tcp.h) in words. */
static void tap_hits_text(int64_t hits, GString *o)
{
	static const struct { int bit; const char *words; } w[] = {
		{ TCP_HIT_CT_DROP, "a full conntrack table" }, { TCP_HIT_NAT_FAIL, "no free SNAT tuple" },
		{ TCP_HIT_PAWS, "tw_recycle's PAWS check" }, { TCP_HIT_SYN_TW, "a TIME_WAIT at the server" },
	};
	bool first = true;
	for (size_t i = 0; i < G_N_ELEMENTS(w); i++)
		if (hits & w[i].bit) {
			g_string_append_printf(o, "%s %s", first ? "" : ",", w[i].words);
			first = false;
		}
}

/* A duration in the units a reader expects: "60 s", "61.44 s", "700 ms". */
static void dur(GString *o, int64_t ns)
{
	if (ns % 1000000000 == 0)
		g_string_append_printf(o, "%lld s", (long long)(ns / 1000000000));
	else if (ns >= 1000000000)
		g_string_append_printf(o, "%.3f s", (double)ns / 1e9);
	else
		g_string_append_printf(o, "%.3g ms", (double)ns / 1e6);
}

static const char *flag_word(int64_t f)
{
	if ((f & TAP_F_SYN) && (f & TAP_F_ACK))
		return "SYN-ACK";
	if (f & TAP_F_SYN)
		return "SYN";
	if (f & TAP_F_FIN)
		return "FIN";
	return "segment";
}

static const char *const funcs[TAP_NRULES] = {
	[TAP_R_TW_ENTER] = "tcp_time_wait, inet_twsk_schedule",
	[TAP_R_TW_RECYCLED] = "tcp_time_wait, tcp_remember_stamp",
	[TAP_R_FW2_ENTER] = "tcp_rcv_state_process, tcp_time_wait",
	[TAP_R_TW_OVERFLOW] = "tcp_time_wait, inet_twsk_alloc",
	[TAP_R_TW_SYN_ACCEPT] = "tcp_timewait_state_process",
	[TAP_R_TW_SYN_ACK] = "tcp_timewait_state_process",
	[TAP_R_TW_OOW_ACK] = "tcp_timewait_state_process",
	[TAP_R_TW_RST_KILL] = "tcp_timewait_state_process",
	[TAP_R_TW_RST_IGNORED] = "tcp_timewait_state_process",
	[TAP_R_TW_REUSE] = "tcp_twsk_unique",
	[TAP_R_RECYCLE_PAWS] = "tcp_conn_request, tcp_peer_is_proven",
	[TAP_R_RTX] = "tcp_retransmit_timer",
	[TAP_R_ABORT] = "__tcp_close, tcp_disconnect",
	[TAP_R_SIMUL_CLOSE] = "tcp_fin",
	[TAP_R_LAST_ACK_DONE] = "tcp_rcv_state_process",
	[TAP_R_RST_NO_SOCK] = "tcp_v4_send_reset",
	[TAP_R_CHALLENGE_ACK] = "tcp_send_challenge_ack",
	[TAP_R_SYNSENT_BAD_ACK] = "tcp_rcv_synsent_state_process",
	[TAP_R_CT_EARLY_DROP] = "early_drop",
	[TAP_R_NAT_EVICT] = "nf_nat_used_tuple_harder",
	[TAP_R_NAT_FAIL] = "get_unique_tuple, __nf_conntrack_confirm",
	[TAP_R_RTX_GIVE_UP] = "tcp_write_timeout",
	[TAP_R_SETUP_END] = "tcp_v4_connect, tcp_rcv_synsent_state_process",
	[TAP_R_CONNECT_FAIL] = "__inet_hash_connect, inet_csk_get_port",
	[TAP_R_RTX_QUICK] = "tcp_rcv_synsent_state_process, tcp_retransmit_timer",
};

const char *tap_rule_func(tap_rule rule)
{
	BUG_ON(rule >= TAP_NRULES);
	return funcs[rule];
}

void tap_rule_text(const tap_rec *r, GString *o)
{
	switch (r->rule) {
	case TAP_R_TW_ENTER:
		g_string_append(o, "TIME_WAIT for ");
		dur(o, r->a);
		if (r->b == r->a) {
			g_string_append(o, ", the timer fires on time");
			break;
		}
		g_string_append(o, r->b > r->a ? ", rounded up to " : ", reaped at ");
		dur(o, r->b);
		g_string_append(o, r->c == TWT_DEATHROW ? " by the death row's 7.5 s slots"
			       : r->c == TWT_OLDWHEEL ? " by the timer's slack" : " by the timer wheel's slot");
		break;
	case TAP_R_TW_RECYCLED:
		g_string_append(o, "TIME_WAIT cut to 3.5 RTO = ");
		dur(o, r->a);
		g_string_append(o, ": tw_recycle, the peer's timestamp is cached");
		break;
	case TAP_R_FW2_ENTER:
		g_string_append(o, "orphaned FIN_WAIT2 becomes a minisocket for ");
		dur(o, r->a);
		g_string_append(o, " (tcp_fin_timeout)");
		break;
	case TAP_R_TW_OVERFLOW:
		g_string_append(o, "no TIME_WAIT: tcp_max_tw_buckets reached, the port is free at once");
		break;
	case TAP_R_TW_SYN_ACCEPT:
		g_string_append(o, r->a ? "SYN accepted in TIME_WAIT: TSval newer than ts_recent"
				       : "SYN accepted in TIME_WAIT: sequence beyond rcv_nxt");
		break;
	case TAP_R_TW_SYN_ACK:
		g_string_append(o, r->a == 1 ? "SYN answered with an ACK in TIME_WAIT: PAWS rejects its TSval"
			       : r->a == 2 ? "SYN answered with an ACK in TIME_WAIT: no timestamps, sequence not beyond rcv_nxt"
			       : r->a == 3 ? "SYN answered with an ACK in TIME_WAIT: it could reopen it, but nothing listens"
					   : "SYN answered with an ACK in TIME_WAIT: TSval not newer, sequence not beyond rcv_nxt");
		break;
	case TAP_R_TW_OOW_ACK:
		g_string_append(o, r->a ? "old segment in TIME_WAIT: ACK it, restart the 60 s timer"
				       : "old segment in TIME_WAIT: ACK it");
		break;
	case TAP_R_TW_RST_KILL:
		g_string_append(o, "RST kills the TIME_WAIT: tcp_rfc1337 = 0 (TIME_WAIT assassination)");
		break;
	case TAP_R_TW_RST_IGNORED:
		g_string_append(o, r->a ? "RST ignored in TIME_WAIT: tcp_rfc1337 = 1 (RFC 1337), timer restarted"
				       : "RST ignored in TIME_WAIT: tcp_rfc1337 = 1 (RFC 1337)");
		break;
	case TAP_R_TW_REUSE:
		g_string_append_printf(o, "port %lld taken over from a TIME_WAIT: ", (long long)r->a);
		if (r->c < 0) {
			g_string_append(o, "bound port, timestamps on");
			break;
		}
		g_string_append(o, "tw_reuse, ");
		dur(o, r->b);
		g_string_append(o, r->c == REUSE_DELAY_MS ? " since it began (> tcp_tw_reuse_delay)"
			       : r->c == REUSE_NEXT_SEC ? " since its last timestamp (a later second)"
							 : " since its last timestamp (> 1 s)");
		break;
	case TAP_R_RECYCLE_PAWS:
		g_string_append(o, "SYN dropped: tw_recycle, TSval older than the one cached for this peer address");
		break;
	case TAP_R_RTX:
		g_string_append_printf(o, "%s retransmitted (retry %lld): RTO of ", flag_word(r->c), (long long)r->b);
		dur(o, r->a * 1000000);
		g_string_append(o, " expired");
		break;
	case TAP_R_RTX_QUICK:
		g_string_append_printf(o, "SYN retransmitted (retry 1): %lld jiffies after the unacceptable ACK "
				       "(TCP_TIMEOUT_MIN), not one RTO later", (long long)r->a);
		break;
	case TAP_R_ABORT:
		g_string_append(o, "close() with SO_LINGER {1, 0}: RST, no TIME_WAIT");
		break;
	case TAP_R_SIMUL_CLOSE:
		g_string_append(o, "FIN in FIN_WAIT1: simultaneous close, CLOSING");
		break;
	case TAP_R_LAST_ACK_DONE:
		g_string_append(o, "LAST_ACK: our FIN is acknowledged, closed at once (no TIME_WAIT)");
		break;
	case TAP_R_RST_NO_SOCK:
		g_string_append(o, "no socket for this segment: answered with RST");
		break;
	case TAP_R_CHALLENGE_ACK:
		g_string_append(o, "SYN on a synchronized connection: challenge ACK (RFC 5961)");
		break;
	case TAP_R_SYNSENT_BAD_ACK:
		g_string_append(o, "SYN_SENT: the ACK does not acknowledge our SYN, answered with RST");
		if (r->a)
			g_string_append(o, "; the SYN goes again in 2 jiffies, as it was never retransmitted");
		break;
	case TAP_R_CT_EARLY_DROP:
		if (r->a)
			g_string_append(o, "table full: early_drop evicted an unassured entry");
		else if (r->b == CTEARLY_RANGE8)
			g_string_append(o, "packet dropped: table full, no early_drop candidate in 8 buckets");
		else
			g_string_append(o, "packet dropped: table full, no early_drop candidate");
		break;
	case TAP_R_NAT_EVICT:
		g_string_append_printf(o, "SNAT port %lld held by an entry in TIME_WAIT: evicted, the new SYN's "
					  "sequence is past it", (long long)r->a);
		break;
	case TAP_R_NAT_FAIL:
		g_string_append(o, "SYN dropped: no free SNAT tuple, the entry clashes at confirmation");
		break;
	case TAP_R_RTX_GIVE_UP:
		g_string_append_printf(o, "%s retransmitted %lld times: give up", flag_word(r->c), (long long)r->a);
		break;
	case TAP_R_SETUP_END:
		g_string_append(o, r->a ? "connect() fails: " : "connect() succeeds");
		if (r->a)
			g_string_append(o, tap_errno_name(r->a));
		if (r->b) {
			g_string_append(o, "; its SYNs met:");
			tap_hits_text(r->b, o);
		}
		break;
	case TAP_R_CONNECT_FAIL:
		g_string_append_printf(o, "connect() fails at once: %s%s", tap_errno_name(r->a),
				       r->a == EADDRNOTAVAIL ? " (no local port free for this destination)" : "");
		break;
	case TAP_NRULES:
	default:
		BUG("unknown tap rule");
	}
}

const char *tap_errno_name(int64_t err)
{
	switch (err) {
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EADDRINUSE: return "EADDRINUSE";
	case ENETUNREACH: return "ENETUNREACH";
	}
	return "error";
}

const char *tap_why_text(tap_why why)
{
	switch (why) {
	case TAP_WHY_LOSS: return "lost on the link";
	case TAP_WHY_BOX_LOSS: return "lost on the way into the box";
	case TAP_WHY_STAGED: return "dropped (staged)";
	case TAP_WHY_CT_FULL: return "dropped: conntrack table full";
	case TAP_WHY_NAT_FAIL: return "dropped: no free SNAT tuple";
	case TAP_WHY_BOX: return "dropped by the box";
	case TAP_WHY_NO_ROUTE: return "no route";
	case TAP_WHY_PAWS: return "dropped: tw_recycle PAWS";
	}
	return "dropped";
}
