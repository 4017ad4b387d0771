/*
 * tap: an optional observer of the models' decisions, for `connsim trace`
 * and per-connection logs.
 *
 * A tcp_net (tcp_set_tap) and the boxes (box_set_tap, which passes it on to
 * conntrack) call the tap when a segment is sent, reaches a box or a host, or
 * is dropped (and why); when a socket changes state; when a conntrack entry
 * changes state or timeout; when the NAT chooses a mapping; when a TIME_WAIT
 * timer is armed; and when the model applies a rule worth naming.  Models
 * never print: they pass structured records (numbers, tuples, static names),
 * and the words of a rule are built by tap_rule_text, only by an observer.
 * With no tap attached each site costs one predictable branch.
 *
 * A tap may also stage a fault on a segment being sent (the trace's "drop
 * the client's final ACK"): its answer to TAP_SEND says pass, drop, delay or
 * duplicate.
 */
#ifndef CONNSIM_TAP_H
#define CONNSIM_TAP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum tap_kind {
	TAP_SEND,    /* host sent seg (pkt): the answer is a tap_verdict */
	TAP_HOP,     /* seg reached box (pkt: as it leaves, translated) */
	TAP_RECV,    /* seg reached host */
	TAP_DROP,    /* seg (UINT32_MAX: never allocated) dropped: why */
	TAP_STATE,   /* a socket of host (tuple, local first) is now in state */
	TAP_CT,      /* box's entry (tuple: ORIGINAL) is in state until expires */
	TAP_NAT,     /* box mapped tuple (ORIGINAL) to reply (its REPLY tuple) */
	TAP_TIMER,   /* host armed a timer (state names it) for the socket tuple, firing at expires */
	TAP_RULE,    /* host or box applied rule, with a, b, c */
} tap_kind;

/* Why a segment was dropped (TAP_DROP). */
typedef enum tap_why {
	TAP_WHY_LOSS,      /* lost on a link (its loss probability) */
	TAP_WHY_BOX_LOSS,  /* lost on the way into a box */
	TAP_WHY_STAGED,    /* the tap's own verdict */
	TAP_WHY_CT_FULL,   /* conntrack table full (nf_conntrack_in) */
	TAP_WHY_NAT_FAIL,  /* no free SNAT tuple: confirmation clashed */
	TAP_WHY_BOX,       /* the box dropped it otherwise (a clash, INVALID) */
	TAP_WHY_NO_ROUTE,  /* nobody has the destination address */
	TAP_WHY_PAWS,      /* tw_recycle's per-peer PAWS check (tcp_conn_request) */
} tap_why;

/* The rules a model names; the words are tap_rule_text's. */
typedef enum tap_rule {
	TAP_R_TW_ENTER,      /* a: timeo ns, b: delay until the timer fires ns, c: prof twtimer */
	TAP_R_TW_RECYCLED,   /* a: timeo ns (3.5 RTO) */
	TAP_R_FW2_ENTER,     /* a: timeo ns */
	TAP_R_TW_OVERFLOW,
	TAP_R_TW_SYN_ACCEPT, /* a: 1 TSval newer, 0 sequence beyond rcv_nxt */
	TAP_R_TW_SYN_ACK,    /* a: 0 neither newer TSval nor sequence, 1 PAWS rejected it, 2 no timestamps, 3 no listener */
	TAP_R_TW_OOW_ACK,    /* a: 1 timer restarted */
	TAP_R_TW_RST_KILL,
	TAP_R_TW_RST_IGNORED,/* a: 1 timer restarted */
	TAP_R_TW_REUSE,      /* a: port, b: ms since the TIME_WAIT's last timestamp or entry, c: prof reuse (-1: bound) */
	TAP_R_RECYCLE_PAWS,
	TAP_R_RTX,           /* a: rto ms, b: retry number, c: flags (TAP_F_*) */
	TAP_R_ABORT,
	TAP_R_SIMUL_CLOSE,
	TAP_R_LAST_ACK_DONE,
	TAP_R_RST_NO_SOCK,
	TAP_R_CHALLENGE_ACK,
	TAP_R_SYNSENT_BAD_ACK, /* a: 1 the SYN goes again at TCP_TIMEOUT_MIN (5.7+) */
	TAP_R_CT_EARLY_DROP, /* a: 1 an entry was evicted, 0 none; b: prof early variant */
	TAP_R_NAT_EVICT,     /* a: the external port */
	TAP_R_NAT_FAIL,
	TAP_R_RTX_GIVE_UP,   /* a: retries, c: flags */
	TAP_R_SETUP_END,     /* a connection's setup ended: a: errno (0: established), b: TCP_HIT_* of its SYNs */
	TAP_R_CONNECT_FAIL,  /* connect() failed at once: a: errno; the tuple has port 0 */
	TAP_R_RTX_QUICK,     /* the SYN again, TCP_TIMEOUT_MIN after an unacceptable ACK: a: jiffies */
	TAP_NRULES
} tap_rule;

/* Flags in tap_pkt (the header's bits, as ladder.h has them). */
enum { TAP_F_FIN = 0x01, TAP_F_SYN = 0x02, TAP_F_RST = 0x04, TAP_F_ACK = 0x10 };

typedef struct tap_tuple {
	uint32_t saddr, daddr;   /* host byte order */
	uint16_t sport, dport;
} tap_tuple;

typedef struct tap_pkt {
	tap_tuple t;
	uint8_t flags;           /* TAP_F_* */
	bool has_ts;
	uint32_t seq, ack, tsval, tsecr;
} tap_pkt;

typedef struct tap_rec {
	tap_kind kind;
	int64_t t;               /* simulated time, ns */
	int host;                /* tcp host id, or -1 */
	int box;                 /* box index on the path from the client side, or -1 */
	uint32_t seg;            /* the segment's id while in flight */
	tap_pkt pkt;             /* TAP_SEND, TAP_HOP, TAP_DROP */
	tap_tuple tuple, reply;  /* TAP_STATE, TAP_CT, TAP_NAT, TAP_TIMER, TAP_RULE (may be zero) */
	const char *state;       /* TAP_STATE, TAP_CT, TAP_TIMER: a static name */
	int64_t expires;         /* TAP_CT, TAP_TIMER: absolute ns (TAP_CT: -1 none) */
	tap_why why;
	tap_rule rule;
	int64_t a, b, c;
	/* TAP_SEND, out: extra delay for this segment, or for its copy */
	int64_t delay;
} tap_rec;

typedef enum tap_verdict { TAP_PASS, TAP_DROP_IT, TAP_DELAY, TAP_DUP } tap_verdict;

typedef struct tap {
	void *ctx;
	/* Called for every record; the answer matters for TAP_SEND only. */
	tap_verdict (*on)(void *ctx, tap_rec *r);
} tap;

/* Helpers for the models' call sites (each behind `if (G_UNLIKELY(tap))`). */
tap_verdict tap_send(const tap *tp, int64_t t, int host, uint32_t seg, const tap_pkt *p, int64_t *delay);
void tap_seg(const tap *tp, tap_kind kind, int64_t t, int host, int box, uint32_t seg, const tap_pkt *p,
	     tap_why why);
void tap_state(const tap *tp, int64_t t, int host, const tap_tuple *tu, const char *state);
void tap_timer(const tap *tp, int64_t t, int host, const tap_tuple *tu, const char *name, int64_t expires);
void tap_ct(const tap *tp, int64_t t, int box, const tap_tuple *orig, const char *state, int64_t expires);
void tap_nat(const tap *tp, int64_t t, int box, const tap_tuple *orig, const tap_tuple *reply);
void tap_rule_at(const tap *tp, int64_t t, int host, int box, const tap_tuple *tu, tap_rule rule, int64_t a,
		 int64_t b, int64_t c);

/* The rule in words, and the kernel function(s) it is in. */
void tap_rule_text(const tap_rec *r, GString *out);
const char *tap_rule_func(tap_rule rule);
const char *tap_why_text(tap_why why);
/* "ETIMEDOUT" for 110, ...: the errnos a connection can fail with. */
const char *tap_errno_name(int64_t err);

#endif
