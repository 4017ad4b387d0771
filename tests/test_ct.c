/*
 * Tests for the conntrack table (models/ct_core.c, ct_proto_tcp.c,
 * ct_gc.c): timed packet scripts through one box, tiny tables checkable by
 * hand, one test per rule of doc/kernel-rules.md §6.
 *
 * A client 10.0.0.1:40000 talks to a server 10.0.0.2:80 (client ISN 1000,
 * server ISN 5000).  Packets are handed to ct_in at the time the script
 * says: C(...) from the client (the ORIGINAL direction), S(...) from the
 * server.  Default timeouts are the kernel's: SYN_SENT 120 s, SYN_RECV 60,
 * ESTABLISHED 432000, FIN_WAIT 120, CLOSE_WAIT 60, LAST_ACK 30, TIME_WAIT
 * 120, CLOSE 10, max_retrans and unacknowledged 300; HZ = 250.
 *
 *	t = 0     C SYN              SYN_SENT     expires   120 s
 *	t = 10ms  S SYN/ACK          SYN_RECV     expires    60.01 s
 *	t = 20ms  C ACK              ESTABLISHED  ASSURED, 432000.02 s
 *	t = 1 s   C FIN/ACK          FIN_WAIT     121 s
 *	t = 1.01  S ACK              CLOSE_WAIT    61.01 s
 *	t = 1.02  S FIN/ACK          LAST_ACK      31.02 s
 *	t = 1.03  C ACK              TIME_WAIT    121.03 s
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "models/ct.h"
#include "sim/rng.h"

#define MS EV_MS
#define SEC EV_SEC
#define CADDR 0x0a000001u /* 10.0.0.1 */
#define SADDR 0x0a000002u /* 10.0.0.2 */
#define NADDR 0xc0000201u /* 192.0.2.1, a NAT address */
#define SEED 20240611u

/* ---- fixture ------------------------------------------------------------- */

typedef struct fx {
	ev_loop *L;
	probe_set *ps;
	gsl_rng *rng;
	ct_cfg k;
	ct_table *ct;
	unsigned destroyed, setups;
	uint32_t last_destroyed;
	/* what the setup hook does: NULL keeps the inverse of orig */
	const ct_tuple *force_reply;
} fx;

static void on_destroy(void *ctx, uint32_t entry)
{
	fx *f = ctx;
	f->destroyed++;
	f->last_destroyed = entry;
}

static fx *fx_new(const char *profile, uint32_t buckets, uint32_t max, bool loose)
{
	fx *f = g_new0(fx, 1);
	const prof *p = prof_find(profile);
	assert_non_null(p);
	ct_cfg_rules(&f->k, p);
	f->k.hz = 250;
	f->k.buckets = buckets;
	f->k.max = max;
	static const unsigned t[CT_NTIMEOUTS] = { 120, 60, 432000, 120, 60, 30, 120, 10, 300, 300 };
	memcpy(f->k.timeout, t, sizeof t);
	f->k.loose = loose;
	f->k.max_retrans = 3;
	f->L = ev_loop_new(NULL);
	f->ps = probe_set_new();
	f->rng = rng_stream(SEED, 0, "box/kernel");
	f->ct = ct_new(&f->k, f->L, f->ps, "ct", f->rng);
	ct_set_destroy_hook(f->ct, on_destroy, NULL, f);
	return f;
}

static void fx_free(fx *f)
{
	ct_free(f->ct);
	ev_loop_free(f->L);
	probe_set_free(f->ps);
	rng_free(f->rng);
	g_free(f);
}

static uint64_t ctr(fx *f, const char *name)
{
	char full[96];
	snprintf(full, sizeof full, "ct.%s", name);
	return *probe_counter(f->ps, full, NULL);
}

static int64_t gauge(fx *f, const char *name)
{
	char full[96];
	snprintf(full, sizeof full, "ct.%s", name);
	return probe_gauge_get(f->ps, full, NULL)->value;
}

static void at(fx *f, ev_time t)
{
	ev_run(f->L, t);
}

/* ---- flows ------------------------------------------------------------- */

typedef struct flow {
	ct_tuple t;       /* client -> server, as it reaches the box */
	ct_tuple back;    /* server -> client, as it reaches the box */
	uint32_t cseq, sseq;  /* next sequence number of each side */
	ct_result r;      /* of the last packet */
} flow;

static flow mkflow(uint32_t caddr, uint16_t cport)
{
	flow fl = { { caddr, SADDR, cport, 80 }, { 0 }, 1000, 5000, { 0 } };
	fl.back = ct_invert(&fl.t);
	return fl;
}

static bool setup_hook(void *ctx, ct_table *ct, uint32_t entry, const ct_tuple *orig, ct_tuple *reply)
{
	(void)ct;
	(void)entry;
	(void)orig;
	fx *f = ctx;
	f->setups++;
	if (f->force_reply)
		*reply = *f->force_reply;
	return true;
}

static ct_verdict send(fx *f, flow *fl, bool from_client, uint8_t flags, uint32_t len)
{
	uint32_t *mine = from_client ? &fl->cseq : &fl->sseq, *peer = from_client ? &fl->sseq : &fl->cseq;
	ct_pkt p = { from_client ? fl->t : fl->back, flags, *mine, (flags & CT_F_ACK) ? *peer : 0, len };
	ct_verdict v = ct_in(f->ct, &p, setup_hook, f, &fl->r);
	*mine += len + !!(flags & CT_F_SYN) + !!(flags & CT_F_FIN);
	return v;
}

static ct_verdict C(fx *f, flow *fl, uint8_t flags)
{
	return send(f, fl, true, flags, 0);
}

static ct_verdict S(fx *f, flow *fl, uint8_t flags)
{
	return send(f, fl, false, flags, 0);
}

#define SYN CT_F_SYN
#define ACK CT_F_ACK
#define FIN CT_F_FIN
#define RST CT_F_RST

static ct_state state_of(fx *f, const flow *fl)
{
	int dir;
	uint32_t e = ct_find(f->ct, &fl->t, &dir);
	return e == CT_NIL ? CT_NONE : ct_entry_state(f->ct, e);
}

static ev_time expires_of(fx *f, const flow *fl)
{
	uint32_t e = ct_find(f->ct, &fl->t, NULL);
	assert_int_not_equal(e, CT_NIL);
	return ct_entry_expires(f->ct, e);
}

/* The handshake of the header: SYN at t0, SYN/ACK +10 ms, ACK +20 ms. */
static void handshake(fx *f, flow *fl, ev_time t0)
{
	at(f, t0);
	assert_int_equal(C(f, fl, SYN), CT_ACCEPT);
	assert_true(fl->r.created);
	at(f, t0 + 10 * MS);
	assert_int_equal(S(f, fl, SYN | ACK), CT_ACCEPT);
	at(f, t0 + 20 * MS);
	assert_int_equal(C(f, fl, ACK), CT_ACCEPT);
}

#define ASSERT_STATE(f, fl, st, tmo_s)                                        \
	do {                                                                  \
		assert_int_equal(state_of(f, fl), st);                        \
		assert_int_equal(expires_of(f, fl), ev_now((f)->L) + (ev_time)(tmo_s) * SEC); \
	} while (0)

/* ---- the hash table ------------------------------------------------------ */

/* Both nodes are chained, each in its own tuple's bucket: the histogram
 * built from ct_bucket_of of every tuple equals ct_chain_hist. */
static void test_both_buckets(void **state)
{
	(void)state;
	fx *f = fx_new("current", 8, 0, true);
	flow fl = mkflow(CADDR, 40000);
	C(f, &fl, SYN);
	uint32_t e = fl.r.entry;
	int dir;
	assert_int_equal(ct_find(f->ct, &fl.t, &dir), e);
	assert_int_equal(dir, CT_ORIGINAL);
	assert_int_equal(ct_find(f->ct, &fl.back, &dir), e);
	assert_int_equal(dir, CT_REPLY);

	unsigned want[8] = { 0 };
	want[ct_bucket_of(f->ct, &fl.t)]++;
	want[ct_bucket_of(f->ct, &fl.back)]++;
	for (uint16_t p = 1; p < 12; p++) {
		flow g = mkflow(CADDR + p, (uint16_t)(40000 + p));
		C(f, &g, SYN);
		want[ct_bucket_of(f->ct, &g.t)]++;
		want[ct_bucket_of(f->ct, &g.back)]++;
	}
	uint64_t hist[32], exp[32] = { 0 };
	unsigned longest = 0;
	for (int b = 0; b < 8; b++) {
		exp[want[b]]++;
		if (want[b] > longest)
			longest = want[b];
	}
	assert_int_equal(ct_chain_hist(f->ct, hist, 32), longest);
	for (int i = 0; i < 32; i++)
		assert_int_equal(hist[i], exp[i]);
	assert_int_equal(ct_count(f->ct), 12);
	assert_int_equal(ctr(f, "confirmed"), 12);
	fx_free(f);
}

/*
 * Chains longer than a bucket's inline slots, at both widths: 4 slots while
 * the chains average fewer than 4 nodes, 8 once they reached it (the table
 * is re-laid then).  4.4's per-entry timers destroy entries 10 s after the
 * server's RST, in an order that takes inline nodes, the node in the last
 * slot and nodes of the linked rest.  After each, every live flow is still
 * found from both tuples, the destroyed ones are not, and the chain lengths
 * are those of the live tuples' buckets.
 */
static void check_chains(fx *f, const flow *fl, const bool *dead, unsigned n, uint32_t buckets)
{
	unsigned want[64] = { 0 }, live = 0;
	for (unsigned i = 0; i < n; i++) {
		int dir;
		assert_int_equal(ct_find(f->ct, &fl[i].t, &dir) == CT_NIL, dead[i]);
		assert_int_equal(ct_find(f->ct, &fl[i].back, &dir) == CT_NIL, dead[i]);
		if (dead[i])
			continue;
		live++;
		want[ct_bucket_of(f->ct, &fl[i].t)]++;
		want[ct_bucket_of(f->ct, &fl[i].back)]++;
	}
	assert_int_equal(ct_count(f->ct), live);
	uint64_t hist[32], exp[32] = { 0 };
	for (uint32_t b = 0; b < buckets; b++)
		exp[want[b]]++;
	ct_chain_hist(f->ct, hist, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(hist[i], exp[i]);
}

static void test_long_chains_both_widths(void **state)
{
	(void)state;
	/* 4 buckets, 7 entries (14 nodes, under 4 a bucket): 4 slots
	 * throughout; 1 bucket: widened at the 2nd entry, then a chain of 14
	 * nodes; 64 buckets: widened at the 128th entry, when (this seed's
	 * hashes) a chain is longer than 8 */
	static const struct {
		uint32_t buckets, n, widened_at;  /* entries; 0: never */
	} cases[] = { { 4, 7, 0 }, { 1, 7, 2 }, { 64, 140, 128 } };
	enum { NMAX = 140 };
	/* destroyed: newest of the first 7, the oldest, a middle one, more */
	static const unsigned order[] = { 6, 0, 3, 5, 1 };
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const unsigned N = cases[c].n;
		fx *f = fx_new("4.4", cases[c].buckets, 0, true);
		flow fl[NMAX];
		bool dead[NMAX] = { false };
		for (unsigned i = 0; i < N; i++) {
			fl[i] = mkflow(CADDR + i, (uint16_t)(40000 + i));
			if (i + 1 == cases[c].widened_at && cases[c].widened_at > 2)
				assert_true(ct_chain_hist(f->ct, NULL, 0) > 8);
			handshake(f, &fl[i], (ev_time)i * SEC);
			bool wide = cases[c].widened_at && i + 1 >= cases[c].widened_at;
			assert_int_equal(ct_bucket_record_bytes(f->ct), wide ? 32 : 16);
			check_chains(f, fl, dead, i + 1, cases[c].buckets);
		}
		/* the chains outgrow the slots (for 4 buckets: this seed's hashes) */
		assert_true(ct_chain_hist(f->ct, NULL, 0) > (cases[c].widened_at ? 8u : 4u));
		for (unsigned k = 0; k < sizeof order / sizeof order[0]; k++) {
			ev_time t = (N + 11 * k) * SEC;
			at(f, t);
			assert_int_equal(S(f, &fl[order[k]], RST), CT_ACCEPT);
			dead[order[k]] = true;
			at(f, t + 10 * SEC);  /* CLOSE: 10 s */
			check_chains(f, fl, dead, N, cases[c].buckets);
		}
		fx_free(f);
	}
}

/* reciprocal_scale spreads any bucket count, not only powers of two. */
static void test_odd_bucket_count(void **state)
{
	(void)state;
	fx *f = fx_new("current", 7, 0, true);
	unsigned seen[7] = { 0 };
	for (uint16_t p = 0; p < 700; p++) {
		ct_tuple t = { CADDR, SADDR, (uint16_t)(1024 + p), 80 };
		uint32_t b = ct_bucket_of(f->ct, &t);
		assert_true(b < 7);
		seen[b]++;
	}
	for (int b = 0; b < 7; b++)
		assert_true(seen[b] > 50);
	fx_free(f);
}

/* ---- the state machine and its timeouts ---------------------------------- */

static void script_normal_close(const char *profile)
{
	fx *f = fx_new(profile, 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	at(f, 0);
	C(f, &fl, SYN);
	ASSERT_STATE(f, &fl, CT_SYN_SENT, 120);
	assert_int_equal(gauge(f, "state.SYN_SENT"), 1);
	at(f, 10 * MS);
	S(f, &fl, SYN | ACK);
	ASSERT_STATE(f, &fl, CT_SYN_RECV, 60);
	assert_false(ct_entry_assured(f->ct, fl.r.entry));
	at(f, 20 * MS);
	C(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 432000);
	assert_true(ct_entry_assured(f->ct, fl.r.entry));
	assert_int_equal(gauge(f, "assured"), 1);
	at(f, 1 * SEC);
	C(f, &fl, FIN | ACK);
	ASSERT_STATE(f, &fl, CT_FIN_WAIT, 120);
	at(f, 1010 * MS);
	S(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_CLOSE_WAIT, 60);
	at(f, 1020 * MS);
	S(f, &fl, FIN | ACK);
	ASSERT_STATE(f, &fl, CT_LAST_ACK, 30);
	at(f, 1030 * MS);
	C(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_TIME_WAIT, 120);
	assert_int_equal(gauge(f, "state.TIME_WAIT"), 1);
	assert_int_equal(gauge(f, "state.ESTABLISHED"), 0);
	assert_int_equal(ctr(f, "invalid"), 0);
	assert_int_equal(ctr(f, "confirmed"), 1);
	/* __nf_conntrack_confirm counts `insert` in 3.x, in no source from
	 * 4.14 on (only ctnetlink's nf_conntrack_hash_check_insert does) */
	assert_int_equal(ctr(f, "insert"), prof_find(profile)->ct_confirm_counts_insert ? 1 : 0);
	assert_int_equal(ctr(f, "insert"), strcmp(profile, "current") ? 1 : 0);
	fx_free(f);
}

static void test_normal_close(void **state)
{
	(void)state;
	script_normal_close("current");
	script_normal_close("4.4");
	script_normal_close("3.10");
}

/* FIN+ACK answering a FIN: FIN_WAIT -> LAST_ACK directly. */
static void test_fin_ack_piggyback(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	handshake(f, &fl, 0);
	at(f, 1 * SEC);
	C(f, &fl, FIN | ACK);
	ASSERT_STATE(f, &fl, CT_FIN_WAIT, 120);
	at(f, 1010 * MS);
	S(f, &fl, FIN | ACK);
	ASSERT_STATE(f, &fl, CT_LAST_ACK, 30);
	at(f, 1020 * MS);
	C(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_TIME_WAIT, 120);
	fx_free(f);
}

/* Both FINs cross: FW (C's FIN) -> LA (S's FIN) -> TW (C's ACK) -> TW. */
static void test_simultaneous_close(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	handshake(f, &fl, 0);
	at(f, 1 * SEC);
	ct_pkt cfin = { fl.t, FIN | ACK, fl.cseq, fl.sseq, 0 };
	ct_pkt sfin = { fl.back, FIN | ACK, fl.sseq, fl.cseq, 0 };  /* does not ack C's FIN */
	ct_result r;
	ct_in(f->ct, &cfin, NULL, NULL, &r);
	ASSERT_STATE(f, &fl, CT_FIN_WAIT, 120);
	at(f, 1001 * MS);
	ct_in(f->ct, &sfin, NULL, NULL, &r);
	ASSERT_STATE(f, &fl, CT_LAST_ACK, 30);
	fl.cseq++;
	fl.sseq++;
	at(f, 1010 * MS);
	C(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_TIME_WAIT, 120);
	at(f, 1011 * MS);
	S(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_TIME_WAIT, 120);
	assert_int_equal(ctr(f, "invalid"), 0);
	fx_free(f);
}

/* A RST after the handshake: CLOSE with nf_conntrack_tcp_timeout_close;
 * before any reply: the entry dies at once. */
static void test_rst(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	handshake(f, &fl, 0);
	at(f, 1 * SEC);
	S(f, &fl, RST);  /* seq = the client's highest ack: exact */
	ASSERT_STATE(f, &fl, CT_CLOSE, 10);
	at(f, 11 * SEC - 1);
	assert_int_equal(state_of(f, &fl), CT_CLOSE);
	at(f, 11 * SEC);
	assert_int_equal(state_of(f, &fl), CT_NONE);

	/* RST answering a SYN: no reply seen yet, deleted at once */
	flow g = mkflow(CADDR, 40001);
	at(f, 20 * SEC);
	C(f, &g, SYN);
	uint32_t e = g.r.entry;
	unsigned d0 = f->destroyed;
	S(f, &g, RST | ACK);
	assert_true(g.r.destroyed);
	assert_int_equal(g.r.entry, e);
	ct_tuple o;
	ct_tuples(f->ct, g.r.entry, &o, NULL);  /* still readable */
	assert_true(ct_tuple_eq(&o, &g.t));
	assert_int_equal(ct_count(f->ct), 0);
	assert_int_equal(f->destroyed, d0 + 1);
	assert_int_equal(state_of(f, &g), CT_NONE);
	assert_int_equal(gauge(f, "state.SYN_SENT"), 0);
	fx_free(f);
}

/* be0502a3f2e9 (~5.9): an in-window RST whose seq is not the exact next one
 * leaves an ASSURED ESTABLISHED entry in ESTABLISHED (with the CLOSE
 * timeout); earlier kernels close.  A RST before the peer's highest ack is
 * INVALID everywhere. */
static void test_rst_exact_sequence(void **state)
{
	(void)state;
	const char *profiles[] = { "current", "4.4" };
	for (int i = 0; i < 2; i++) {
		fx *f = fx_new(profiles[i], 64, 0, true);
		flow fl = mkflow(CADDR, 40000);
		handshake(f, &fl, 0);
		at(f, 1 * SEC);
		ct_pkt bad = { fl.back, RST, fl.sseq - 10, 0, 0 };
		ct_in(f->ct, &bad, NULL, NULL, &fl.r);
		assert_false(fl.r.tracked);
		assert_int_equal(ctr(f, "invalid"), 1);
		assert_int_equal(state_of(f, &fl), CT_ESTABLISHED);
		ct_pkt inexact = { fl.back, RST, fl.sseq + 100, 0, 0 };
		ct_in(f->ct, &inexact, NULL, NULL, &fl.r);
		ASSERT_STATE(f, &fl, i == 0 ? CT_ESTABLISHED : CT_CLOSE, 10);
		fx_free(f);
	}
}

/* Mid-stream pickup (nf_conntrack_tcp_loose): an ACK starts ESTABLISHED,
 * capped at the unacknowledged timeout until a reply was seen (5.14+);
 * ASSURED on the first packet after the reply.  loose = 0: INVALID. */
static void test_midstream(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	at(f, 0);
	C(f, &fl, ACK);
	assert_true(fl.r.created);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 300);
	assert_false(ct_entry_assured(f->ct, fl.r.entry));
	at(f, 10 * MS);
	S(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 300);  /* SEEN_REPLY is set after tcp_packet */
	assert_false(ct_entry_assured(f->ct, fl.r.entry));
	at(f, 20 * MS);
	C(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 432000);
	assert_true(ct_entry_assured(f->ct, fl.r.entry));
	/* a FIN cannot start an entry */
	flow g = mkflow(CADDR, 40001);
	C(f, &g, FIN | ACK);
	assert_false(g.r.tracked);
	assert_int_equal(ctr(f, "invalid"), 1);
	fx_free(f);

	f = fx_new("4.4", 64, 0, true);  /* no cap before ~5.14 */
	fl = mkflow(CADDR, 40000);
	C(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 432000);
	fx_free(f);

	f = fx_new("current", 64, 0, false);
	fl = mkflow(CADDR, 40000);
	assert_int_equal(C(f, &fl, ACK), CT_ACCEPT);
	assert_false(fl.r.tracked);
	assert_int_equal(fl.r.entry, CT_NIL);
	assert_int_equal(ct_count(f->ct), 0);
	assert_int_equal(ctr(f, "invalid"), 1);
	assert_int_equal(ctr(f, "insert"), 0);
	fx_free(f);
}

/* A packet class the table has no transition for is INVALID: counted,
 * passed untracked, the entry unchanged. */
static void test_invalid_and_ignore(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	at(f, 0);
	C(f, &fl, SYN);
	at(f, 1 * SEC);
	C(f, &fl, ACK);  /* ORIGINAL ACK in SYN_SENT: sIV */
	assert_false(fl.r.tracked);
	assert_int_equal(ctr(f, "invalid"), 1);
	assert_int_equal(expires_of(f, &fl), 120 * SEC);  /* not refreshed */
	S(f, &fl, ACK);  /* REPLY ACK in SYN_SENT: sIG */
	assert_true(fl.r.tracked);
	assert_int_equal(ctr(f, "ignore"), 1);
	assert_int_equal(state_of(f, &fl), CT_SYN_SENT);
	ct_pkt none = { fl.t, 0, 1, 0, 0 };  /* no flags: tcp_error */
	ct_in(f->ct, &none, NULL, NULL, &fl.r);
	assert_int_equal(ctr(f, "invalid"), 2);
	fx_free(f);
}

/* Retransmissions: the kernel counts an ACK-class packet equal to the
 * previous one; at nf_conntrack_tcp_max_retrans (3) the timeout is capped
 * at max_retrans.  A SYN retransmission does not count; from 5.15 (stable)
 * it no longer renews SYN_SENT. */
static void test_retrans(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	handshake(f, &fl, 0);
	for (int i = 1; i <= 4; i++) {
		at(f, (ev_time)i * SEC);
		ct_pkt a = { fl.t, ACK, fl.cseq, fl.sseq, 0 };
		ct_in(f->ct, &a, NULL, NULL, &fl.r);
		ASSERT_STATE(f, &fl, CT_ESTABLISHED, i < 3 ? 432000 : 300);
	}
	at(f, 5 * SEC);
	S(f, &fl, ACK);  /* a new packet resets the count */
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 432000);
	fx_free(f);

	const char *profiles[] = { "current", "4.4" };
	for (int i = 0; i < 2; i++) {
		f = fx_new(profiles[i], 64, 0, true);
		fl = mkflow(CADDR, 40000);
		at(f, 0);
		C(f, &fl, SYN);
		at(f, 3 * SEC);
		fl.cseq = 1000;
		C(f, &fl, SYN);
		assert_int_equal(expires_of(f, &fl), (i == 0 ? 120 : 123) * SEC);
		fx_free(f);
	}
}

/* Data not yet acknowledged caps ESTABLISHED at the unacknowledged timeout. */
static void test_unacknowledged(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	handshake(f, &fl, 0);
	at(f, 1 * SEC);
	send(f, &fl, true, ACK, 500);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 300);
	at(f, 2 * SEC);
	S(f, &fl, ACK);  /* acks the 500 bytes */
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 432000);
	fx_free(f);
}

/* Per-entry timers (<= ~4.6) move only when the new expiry is at least
 * HZ later, or earlier (__nf_ct_refresh_acct); the gc worker's kernels
 * store every new timeout. */
static void test_timer_refresh_granularity(void **state)
{
	(void)state;
	const char *profiles[] = { "4.4", "current" };
	for (int i = 0; i < 2; i++) {
		fx *f = fx_new(profiles[i], 64, 0, true);
		flow fl = mkflow(CADDR, 40000);
		handshake(f, &fl, 0);
		at(f, 520 * MS);
		C(f, &fl, ACK);  /* 0.5 s later than the last refresh */
		assert_int_equal(expires_of(f, &fl), (i == 0 ? 20 : 520) * MS + 432000 * SEC);
		at(f, 1500 * MS);
		C(f, &fl, ACK);  /* 1.48 s later */
		assert_int_equal(expires_of(f, &fl), 1500 * MS + 432000 * SEC);
		at(f, 2 * SEC);
		C(f, &fl, FIN | ACK);  /* earlier: always */
		ASSERT_STATE(f, &fl, CT_FIN_WAIT, 120);
		fx_free(f);
	}
}

/* Drive a fresh flow to the given state; returns the state's timeout. */
static unsigned drive_to(fx *f, flow *fl, ct_state st, ev_time t0)
{
	at(f, t0);
	C(f, fl, SYN);
	if (st == CT_SYN_SENT)
		return 120;
	at(f, t0 + 1 * MS);
	S(f, fl, SYN | ACK);
	if (st == CT_SYN_RECV)
		return 60;
	at(f, t0 + 2 * MS);
	C(f, fl, ACK);
	if (st == CT_ESTABLISHED)
		return 432000;
	at(f, t0 + 3 * MS);
	if (st == CT_CLOSE) {
		S(f, fl, RST);
		return 10;
	}
	C(f, fl, FIN | ACK);
	if (st == CT_FIN_WAIT)
		return 120;
	at(f, t0 + 4 * MS);
	S(f, fl, ACK);
	if (st == CT_CLOSE_WAIT)
		return 60;
	at(f, t0 + 5 * MS);
	S(f, fl, FIN | ACK);
	if (st == CT_LAST_ACK)
		return 30;
	at(f, t0 + 6 * MS);
	C(f, fl, ACK);
	return 120;
}

/*
 * Every state's timeout expires the entry on time: per-entry timers delete
 * it exactly then; the gc worker sees it dead from then on (the state gauge
 * drops at once, ct_find misses it) and reaps it within its interval
 * (current: <= 60 s + the pass; 5.15: 120 s; 4.12: a full scan of the 64
 * buckets takes 64 runs of 124 ms).
 */
static void test_state_timeouts_expire(void **state)
{
	(void)state;
	const ct_state states[] = { CT_SYN_SENT, CT_SYN_RECV, CT_ESTABLISHED, CT_FIN_WAIT,
				    CT_CLOSE_WAIT, CT_LAST_ACK, CT_TIME_WAIT, CT_CLOSE };
	const struct { const char *profile; ev_time bound; } pv[] = {
		{ "4.4", 0 }, { "3.10", 0 }, { "current", 61 * SEC }, { "5.15", 121 * SEC }, { "4.12", 9 * SEC },
	};
	for (size_t p = 0; p < sizeof pv / sizeof pv[0]; p++) {
		for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
			fx *f = fx_new(pv[p].profile, 64, 0, true);
			flow fl = mkflow(CADDR, 40000);
			ev_time t0 = 7 * SEC;
			unsigned tmo = drive_to(f, &fl, states[s], t0);
			assert_int_equal(state_of(f, &fl), states[s]);
			ev_time exp = expires_of(f, &fl);
			assert_int_equal(exp, ev_now(f->L) + (ev_time)tmo * SEC);
			char g[64];
			snprintf(g, sizeof g, "state.%s", ct_state_name(states[s]));
			at(f, exp - 1);
			assert_int_equal(ct_count(f->ct), 1);
			assert_int_equal(gauge(f, g), 1);
			at(f, exp);
			assert_int_equal(gauge(f, g), 0);
			if (pv[p].bound == 0) {
				assert_int_equal(ct_count(f->ct), 0);
			} else {
				/* dead but not yet reaped, unless the worker passed just now */
				ev_time t = exp;
				while (ct_count(f->ct) && t <= exp + pv[p].bound)
					at(f, t += 10 * MS);
				assert_int_equal(ct_count(f->ct), 0);
			}
			assert_int_equal(state_of(f, &fl), CT_NONE);
			assert_int_equal(f->destroyed, 1);  /* set up through the hook: destroyed through it */
			fx_free(f);
		}
	}
}

/* ---- creation: early_drop and the table-full drop ------------------------- */

/* A tuple whose ORIGINAL and REPLY nodes fall in buckets within the given
 * distances from base (modulo n), searching client ports and addresses. */
static flow find_flow(fx *f, uint32_t base, unsigned n, unsigned dmin, unsigned dmax, uint32_t *seed)
{
	for (;;) {
		flow fl = mkflow(CADDR + (*seed >> 16), (uint16_t)(1024 + (*seed & 0xffff) % 60000));
		(*seed)++;
		unsigned d0 = (ct_bucket_of(f->ct, &fl.t) + n - base) % n;
		unsigned d1 = (ct_bucket_of(f->ct, &fl.back) + n - base) % n;
		unsigned lo = d0 < d1 ? d0 : d1, hi = d0 < d1 ? d1 : d0;
		if (lo >= dmin && hi <= dmax)
			return fl;
	}
}

/*
 * Current early_drop: from the new tuple's bucket on, up to 8 buckets; every
 * non-ASSURED entry of the first bucket holding one is deleted; ASSURED
 * entries never.  64 buckets, nf_conntrack_max = 4.
 */
static void test_early_drop_range8(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 4, true);
	uint32_t seed = 1;
	flow nw = mkflow(0x0b000001, 1234);  /* the newcomer */
	uint32_t b0 = ct_bucket_of(f->ct, &nw.t);
	flow a = find_flow(f, b0, 64, 0, 0, &seed);   /* ASSURED, both nodes in b0 */
	flow n3 = find_flow(f, b0, 64, 3, 3, &seed);  /* not ASSURED, nodes at +3 */
	flow n5 = find_flow(f, b0, 64, 5, 6, &seed);  /* not ASSURED, further */
	flow a2 = find_flow(f, b0, 64, 20, 40, &seed);
	handshake(f, &a, 0);
	handshake(f, &a2, 0);
	C(f, &n3, SYN);
	C(f, &n5, SYN);
	assert_int_equal(ct_count(f->ct), 4);
	assert_int_equal(C(f, &nw, SYN), CT_ACCEPT);
	assert_true(nw.r.created);
	assert_int_equal(ctr(f, "early_drop"), 1);
	assert_int_equal(state_of(f, &n3), CT_NONE);
	assert_int_equal(state_of(f, &n5), CT_SYN_SENT);
	assert_int_equal(state_of(f, &a), CT_ESTABLISHED);
	assert_int_equal(ct_count(f->ct), 4);

	/* two non-ASSURED in the first bucket with any: both go (a new table) */
	ct_free(f->ct);
	f->ct = ct_new(&f->k, f->L, f->ps, "ct2", f->rng);
	b0 = ct_bucket_of(f->ct, &nw.t);
	seed = 1;
	flow m1 = find_flow(f, b0, 64, 2, 2, &seed);
	flow m2 = find_flow(f, b0, 64, 2, 2, &seed);
	flow m3 = find_flow(f, b0, 64, 4, 4, &seed);
	flow a3 = find_flow(f, b0, 64, 0, 1, &seed);
	handshake(f, &a3, 0);
	C(f, &m1, SYN);
	C(f, &m2, SYN);
	C(f, &m3, SYN);
	C(f, &nw, SYN);
	assert_true(nw.r.created);
	assert_int_equal(*probe_counter(f->ps, "ct2.early_drop", NULL), 2);
	assert_int_equal(state_of(f, &m1), CT_NONE);
	assert_int_equal(state_of(f, &m2), CT_NONE);
	assert_int_equal(state_of(f, &m3), CT_SYN_SENT);
	assert_int_equal(ct_count(f->ct), 3);
	fx_free(f);
}

/* Nothing droppable within range: the packet is dropped ("table full"),
 * counted as drop; an ASSURED entry is never taken. */
static void test_table_full_drop(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 2, true);
	uint32_t seed = 1;
	flow nw = mkflow(0x0b000001, 1234);
	uint32_t b0 = ct_bucket_of(f->ct, &nw.t);
	flow a = find_flow(f, b0, 64, 0, 0, &seed);
	flow far = find_flow(f, b0, 64, 8, 63, &seed);  /* not ASSURED, out of range */
	handshake(f, &a, 0);
	C(f, &far, SYN);
	assert_int_equal(C(f, &nw, SYN), CT_DROP);
	assert_false(nw.r.tracked);
	assert_int_equal(ctr(f, "drop"), 1);
	assert_int_equal(ctr(f, "early_drop"), 0);
	assert_int_equal(ct_count(f->ct), 2);
	assert_int_equal(state_of(f, &a), CT_ESTABLISHED);
	assert_int_equal(state_of(f, &far), CT_SYN_SENT);
	fx_free(f);

	/* Allocation comes before tcp_new: with a full table a packet that
	 * would be INVALID is dropped, or early-drops an entry and is then
	 * found INVALID. */
	f = fx_new("current", 64, 1, true);
	seed = 1;
	flow fin = mkflow(0x0b000002, 999);
	b0 = ct_bucket_of(f->ct, &fin.t);
	a = find_flow(f, b0, 64, 0, 7, &seed);
	handshake(f, &a, 0);
	assert_int_equal(C(f, &fin, FIN | ACK), CT_DROP);
	assert_int_equal(ctr(f, "drop"), 1);
	ct_free(f->ct);
	f->ct = ct_new(&f->k, f->L, f->ps, "ct2", f->rng);
	seed = 1;
	b0 = ct_bucket_of(f->ct, &fin.t);
	flow n = find_flow(f, b0, 64, 0, 7, &seed);
	C(f, &n, SYN);
	assert_int_equal(C(f, &fin, FIN | ACK), CT_ACCEPT);
	assert_false(fin.r.tracked);
	assert_int_equal(*probe_counter(f->ps, "ct2.early_drop", NULL), 1);
	assert_int_equal(*probe_counter(f->ps, "ct2.invalid", NULL), 1);
	assert_int_equal(ct_count(f->ct), 0);
	fx_free(f);
}

/*
 * The older variants: 4.4 takes only the first non-ASSURED entry met and
 * stops after a bucket once 8 nodes were passed over; 3.10 takes the last
 * (oldest) non-ASSURED entry of the first bucket having one; 4.12 (RANGE8
 * with reciprocal_scale(hash + i)) rescans the new tuple's own bucket.
 */
static void test_early_drop_variants(void **state)
{
	(void)state;
	/* 1 bucket: every node in one chain, newest first */
	const char *profiles[] = { "4.4", "3.10" };
	for (int i = 0; i < 2; i++) {
		fx *f = fx_new(profiles[i], 1, 3, true);
		flow old = mkflow(CADDR, 1), mid = mkflow(CADDR, 2), asr = mkflow(CADDR, 3);
		at(f, 0);
		C(f, &old, SYN);
		C(f, &mid, SYN);
		handshake(f, &asr, 0);
		flow nw = mkflow(CADDR, 4);
		C(f, &nw, SYN);
		assert_true(nw.r.created);
		assert_int_equal(ctr(f, "early_drop"), 1);
		/* 4.4: the first non-ASSURED in chain order (newest); 3.10: the oldest */
		assert_int_equal(state_of(f, &mid), i == 0 ? CT_NONE : CT_SYN_SENT);
		assert_int_equal(state_of(f, &old), i == 0 ? CT_SYN_SENT : CT_NONE);
		assert_int_equal(state_of(f, &asr), CT_ESTABLISHED);
		fx_free(f);
	}

	/* 4.4: 8 nodes passed over stop the search after their bucket */
	fx *f = fx_new("4.4", 64, 5, true);
	uint32_t seed = 1;
	flow nw = mkflow(0x0b000001, 1234);
	uint32_t b0 = ct_bucket_of(f->ct, &nw.t);
	flow as[4];
	for (int i = 0; i < 4; i++) {  /* 8 ASSURED nodes in b0 */
		as[i] = find_flow(f, b0, 64, 0, 0, &seed);
		handshake(f, &as[i], 0);
	}
	flow n1 = find_flow(f, b0, 64, 1, 1, &seed);
	C(f, &n1, SYN);
	assert_int_equal(C(f, &nw, SYN), CT_DROP);
	assert_int_equal(state_of(f, &n1), CT_SYN_SENT);
	fx_free(f);

	/* current reaches it: range 8 buckets, whatever the nodes */
	f = fx_new("current", 64, 5, true);
	seed = 1;
	b0 = ct_bucket_of(f->ct, &nw.t);
	for (int i = 0; i < 4; i++) {
		as[i] = find_flow(f, b0, 64, 0, 0, &seed);
		handshake(f, &as[i], 0);
	}
	n1 = find_flow(f, b0, 64, 1, 1, &seed);
	C(f, &n1, SYN);
	assert_int_equal(C(f, &nw, SYN), CT_ACCEPT);
	assert_int_equal(state_of(f, &n1), CT_NONE);
	fx_free(f);

	/* 4.12: reciprocal_scale(hash + 1) is the same bucket: +1 unreachable */
	f = fx_new("4.12", 64, 2, true);
	seed = 1;
	b0 = ct_bucket_of(f->ct, &nw.t);
	flow a = find_flow(f, b0, 64, 10, 60, &seed);
	n1 = find_flow(f, b0, 64, 1, 1, &seed);
	handshake(f, &a, 0);
	C(f, &n1, SYN);
	assert_int_equal(C(f, &nw, SYN), CT_DROP);
	assert_int_equal(state_of(f, &n1), CT_SYN_SENT);
	ct_free(f->ct);
	f->ct = ct_new(&f->k, f->L, f->ps, "ct3", f->rng);
	seed = 1;
	b0 = ct_bucket_of(f->ct, &nw.t);
	a = find_flow(f, b0, 64, 10, 60, &seed);
	flow n0 = find_flow(f, b0, 64, 0, 0, &seed);
	handshake(f, &a, 0);
	C(f, &n0, SYN);
	assert_int_equal(C(f, &nw, SYN), CT_ACCEPT);
	assert_int_equal(state_of(f, &n0), CT_NONE);
	fx_free(f);
}

/*
 * After a table-full drop the worker's next pass kills ASSURED entries in
 * closing states while the count is >= nf_conntrack_max / 100 * 95 (190 of
 * 200): 11 of the 20 TIME_WAIT entries, none ESTABLISHED.  (With a max
 * under 100 the integer threshold is 0 and the rule never applies.)
 */
static void test_gc_95_percent(void **state)
{
	(void)state;
	fx *f = fx_new("current", 256, 200, true);
	flow fl[200];
	for (int i = 0; i < 200; i++) {
		fl[i] = mkflow(CADDR, (uint16_t)(100 + i));
		handshake(f, &fl[i], 0);
		if (i < 20) {
			at(f, 30 * MS);
			C(f, &fl[i], FIN | ACK);
			S(f, &fl[i], FIN | ACK);
			C(f, &fl[i], ACK);
			assert_int_equal(state_of(f, &fl[i]), CT_TIME_WAIT);
		}
	}
	at(f, 2 * SEC);
	flow nw = mkflow(0x0b000001, 1234);
	assert_int_equal(C(f, &nw, SYN), CT_DROP);
	assert_int_equal(ctr(f, "drop"), 1);
	at(f, 63 * SEC);  /* the next pass (<= 60 s apart) */
	assert_int_equal(ct_count(f->ct), 189);
	unsigned tw = 0;
	for (int i = 0; i < 200; i++) {
		ct_state st = state_of(f, &fl[i]);
		if (i >= 20)
			assert_int_equal(st, CT_ESTABLISHED);
		else if (st == CT_TIME_WAIT)
			tw++;
		else
			assert_int_equal(st, CT_NONE);
	}
	assert_int_equal(tw, 9);
	assert_int_equal(C(f, &nw, SYN), CT_ACCEPT);
	fx_free(f);
}

/* ---- confirmation ----------------------------------------------------------- */

/* NAT picked a REPLY tuple that a live entry already has: the new entry is
 * not inserted (TCP never merges): insert_failed, drop (4.7+), DROP. */
static void test_confirm_clash(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow a = mkflow(CADDR, 40000);
	C(f, &a, SYN);
	flow b = mkflow(CADDR + 1, 40000);
	f->force_reply = &a.back;
	unsigned d0 = f->destroyed;
	assert_int_equal(C(f, &b, SYN), CT_DROP);
	assert_false(b.r.tracked);
	assert_int_equal(ctr(f, "insert_failed"), 1);
	assert_int_equal(ctr(f, "drop"), 1);
	assert_int_equal(ctr(f, "confirmed"), 1);
	assert_int_equal(ct_count(f->ct), 1);
	assert_int_equal(f->destroyed, d0 + 1);  /* NAT forgets it */
	/* a packet on another entry's REPLY tuple belongs to it */
	f->force_reply = NULL;
	ct_result r;
	ct_pkt p = { a.back, SYN, 7, 0, 0 };
	ct_in(f->ct, &p, NULL, NULL, &r);  /* REPLY SYN in SYN_SENT: SYN_SENT2, not a new entry */
	assert_int_equal(r.dir, CT_REPLY);
	assert_int_equal(state_of(f, &a), CT_SYN_SENT2);
	fx_free(f);

	f = fx_new("3.10", 64, 0, true);  /* <= 4.6: insert_failed only */
	a = mkflow(CADDR, 40000);
	C(f, &a, SYN);
	b = mkflow(CADDR + 1, 40000);
	f->force_reply = &a.back;
	assert_int_equal(C(f, &b, SYN), CT_DROP);
	assert_int_equal(ctr(f, "insert_failed"), 1);
	assert_int_equal(ctr(f, "drop"), 0);
	/* 3.x: __nf_conntrack_confirm's NF_CT_STAT_INC(net, insert) for a */
	assert_int_equal(ctr(f, "insert"), 1);
	assert_int_equal(ctr(f, "confirmed"), 1);
	fx_free(f);
}

/* 5.15+: a chain longer than a random limit in [50, 79] refuses the insert
 * ("chainlen++ > max_chainlen"): with one bucket, entry 26 always goes in
 * (52 nodes) and entry 42 never (84 nodes). */
static void test_chaintoolong(void **state)
{
	(void)state;
	fx *f = fx_new("current", 1, 0, true);
	unsigned ok = 0;
	for (uint16_t p = 0; p < 60; p++) {
		flow fl = mkflow(CADDR, (uint16_t)(1000 + p));
		if (C(f, &fl, SYN) != CT_ACCEPT)
			break;
		ok++;
	}
	assert_true(ok >= 26 && ok <= 41);
	assert_int_equal(ctr(f, "chaintoolong"), 1);
	assert_int_equal(ctr(f, "insert_failed"), 1);
	assert_int_equal(ctr(f, "drop"), 0);
	assert_int_equal(ct_count(f->ct), ok);
	fx_free(f);

	f = fx_new("4.4", 1, 0, true);
	for (uint16_t p = 0; p < 100; p++) {
		flow fl = mkflow(CADDR, (uint16_t)(1000 + p));
		assert_int_equal(C(f, &fl, SYN), CT_ACCEPT);
	}
	assert_int_equal(ctr(f, "chaintoolong"), 0);
	fx_free(f);
}

/* ---- reopening ---------------------------------------------------------------- */

/* §6.8: a new ORIGINAL SYN on TIME_WAIT kills the entry and re-runs the
 * packet: a fresh entry, through setup again. */
static void test_syn_on_time_wait(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	drive_to(f, &fl, CT_TIME_WAIT, 0);
	assert_int_equal(f->setups, 1);
	at(f, 5 * SEC);
	fl.cseq = 900000;
	C(f, &fl, SYN);
	assert_true(fl.r.created);
	assert_int_equal(f->setups, 2);
	assert_int_equal(f->destroyed, 1);
	ASSERT_STATE(f, &fl, CT_SYN_SENT, 120);
	assert_int_equal(ct_count(f->ct), 1);
	assert_int_equal(ctr(f, "confirmed"), 2);
	assert_int_equal(gauge(f, "state.TIME_WAIT"), 0);
	assert_int_equal(gauge(f, "state.SYN_SENT"), 1);
	fx_free(f);
}

/* CLOSE reached by the server's RST: no FIN seen and the last packet from
 * the other side, so the client's SYN is IGNOREd (no refresh); the server's
 * SYN/ACK acknowledging it resynchronises into SYN_RECV. */
static void test_syn_on_close_resync(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	drive_to(f, &fl, CT_CLOSE, 0);
	ev_time closed = expires_of(f, &fl);
	at(f, 1 * SEC);
	fl.cseq = 700000;
	C(f, &fl, SYN);
	assert_false(fl.r.created);
	assert_true(fl.r.tracked);
	assert_int_equal(ctr(f, "ignore"), 1);
	assert_int_equal(state_of(f, &fl), CT_CLOSE);
	assert_int_equal(expires_of(f, &fl), closed);
	at(f, 1010 * MS);
	fl.sseq = 800000;
	S(f, &fl, SYN | ACK);
	ASSERT_STATE(f, &fl, CT_SYN_RECV, 60);
	at(f, 1020 * MS);
	C(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 432000);
	fx_free(f);
}

/* A REPLY-direction SYN on TIME_WAIT: SYN_SENT on newer kernels (the
 * entry is replaced, the server now the initiator), INVALID on older. */
static void test_reply_syn_in_time_wait(void **state)
{
	(void)state;
	const char *profiles[] = { "current", "4.12" };
	for (int i = 0; i < 2; i++) {
		fx *f = fx_new(profiles[i], 64, 0, true);
		flow fl = mkflow(CADDR, 40000);
		drive_to(f, &fl, CT_TIME_WAIT, 0);
		at(f, 1 * SEC);
		fl.sseq = 123456;
		S(f, &fl, SYN);
		int dir;
		uint32_t e = ct_find(f->ct, &fl.back, &dir);
		if (i == 0) {
			assert_true(fl.r.created);
			assert_int_equal(dir, CT_ORIGINAL);
			assert_int_equal(ct_entry_state(f->ct, e), CT_SYN_SENT);
			assert_int_equal(ctr(f, "invalid"), 0);
		} else {
			assert_false(fl.r.tracked);
			assert_int_equal(ctr(f, "invalid"), 1);
			assert_int_equal(dir, CT_REPLY);
			assert_int_equal(ct_entry_state(f->ct, e), CT_TIME_WAIT);
		}
		fx_free(f);
	}
}

/* Simultaneous open: SYN both ways -> SYN_SENT2 -> SYN_RECV -> ESTABLISHED. */
static void test_simultaneous_open(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	at(f, 0);
	C(f, &fl, SYN);
	S(f, &fl, SYN);
	ASSERT_STATE(f, &fl, CT_SYN_SENT2, 120);
	C(f, &fl, SYN | ACK);
	ASSERT_STATE(f, &fl, CT_SYN_RECV, 60);
	S(f, &fl, ACK);
	ASSERT_STATE(f, &fl, CT_ESTABLISHED, 432000);
	fx_free(f);
}

/* ---- NAT helpers -------------------------------------------------------------- */

/* nf_conntrack_tuple_taken finds live tuples (found++) and reaps expired
 * entries it meets (gc worker profiles: they stay until reaped). */
static void test_tuple_taken_reaps(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	drive_to(f, &fl, CT_CLOSE, 0);
	uint32_t e = fl.r.entry;
	assert_true(ct_tuple_taken(f->ct, &fl.back, CT_NIL, true));
	assert_true(ct_tuple_taken(f->ct, &fl.t, CT_NIL, true));
	assert_false(ct_tuple_taken(f->ct, &fl.back, e, true));  /* ignored entry */
	assert_int_equal(ctr(f, "found"), 2);
	at(f, expires_of(f, &fl));
	assert_int_equal(ct_count(f->ct), 1);  /* dead, not reaped */
	assert_false(ct_tuple_taken(f->ct, &fl.back, CT_NIL, true));
	assert_int_equal(ct_count(f->ct), 0);
	assert_int_equal(ctr(f, "found"), 2);
	fx_free(f);
}

/*
 * nf_nat_used_tuple_harder: t must be the REPLY tuple of a source-NATed
 * entry in TIME_WAIT or CLOSE (enum order: SYN_SENT2 too) and the new SYN's
 * sequence past the old ORIGINAL side's.
 */
static void test_evict_closing(void **state)
{
	(void)state;
	fx *f = fx_new("current", 64, 0, true);
	flow fl = mkflow(CADDR, 40000);
	ct_tuple nat_reply = { SADDR, NADDR, 80, 50000 };
	f->force_reply = &nat_reply;
	fl.back = nat_reply;
	drive_to(f, &fl, CT_ESTABLISHED, 0);
	f->force_reply = NULL;
	assert_false(ct_evict_closing(f->ct, &nat_reply, 1u << 30));  /* ESTABLISHED */
	at(f, 1 * SEC);
	C(f, &fl, FIN | ACK);
	S(f, &fl, FIN | ACK);
	C(f, &fl, ACK);
	assert_int_equal(state_of(f, &fl), CT_TIME_WAIT);
	assert_false(ct_evict_closing(f->ct, &fl.t, 1u << 30));     /* ORIGINAL tuple */
	assert_false(ct_evict_closing(f->ct, &nat_reply, fl.cseq - 1));  /* not past */
	assert_int_equal(ct_count(f->ct), 1);
	assert_true(ct_evict_closing(f->ct, &nat_reply, fl.cseq + 1));
	assert_int_equal(ct_count(f->ct), 0);
	assert_int_equal(f->destroyed, 1);

	/* not source-NATed: never */
	flow g = mkflow(CADDR, 40001);
	drive_to(f, &g, CT_TIME_WAIT, 2 * SEC);
	assert_false(ct_evict_closing(f->ct, &g.back, g.cseq + 100));
	/* source port changed only: NATed */
	flow h = mkflow(CADDR, 40002);
	ct_tuple ports = { SADDR, CADDR, 80, 61000 };
	f->force_reply = &ports;
	h.back = ports;
	drive_to(f, &h, CT_CLOSE, 3 * SEC);
	assert_true(ct_evict_closing(f->ct, &ports, h.cseq + 100));
	fx_free(f);
}

/* ---- accounting ---------------------------------------------------------------- */

static void test_memory(void **state)
{
	(void)state;
	fx *f = fx_new("current", 65536, 0, true);
	size_t base = ct_sim_bytes(f->ct) - 65536 * sizeof(uint32_t);
	for (uint32_t i = 0; i < 65536; i++) {
		flow fl = mkflow(CADDR + (i >> 12), (uint16_t)(1024 + (i & 0xfff)));
		C(f, &fl, SYN);
	}
	assert_int_equal(ct_count(f->ct), 65536);
	double per = (double)(ct_sim_bytes(f->ct) - base) / 65536;
	assert_true(ct_entry_record_bytes() <= 96);
	assert_true(per <= 160);
	assert_int_equal(ct_kernel_bytes(f->ct), 65536 * 320 + 65536 * 8);
	print_message("ct: record %zu bytes; %.1f bytes per entry with the buckets at factor 1\n",
		      ct_entry_record_bytes(), per);
	fx_free(f);
}

/* An emptied table leaves the engine idle: ev_run(EV_FOREVER) returns once
 * everything expired and was reaped, after a handful of events (the worker
 * stops; a timeout list keeps at most one stale event, here ESTABLISHED's
 * at 5 days). */
static void test_gc_goes_idle(void **state)
{
	(void)state;
	const char *profiles[] = { "current", "5.15", "4.12", "4.4" };
	for (int i = 0; i < 4; i++) {
		fx *f = fx_new(profiles[i], 64, 0, true);
		flow fl = mkflow(CADDR, 40000);
		drive_to(f, &fl, CT_TIME_WAIT, 0);
		uint64_t ran = ev_run(f->L, EV_FOREVER);
		assert_int_equal(ct_count(f->ct), 0);
		if (ran > 2000 || ev_now(f->L) > 432001 * SEC)
			fail_msg("%s: %" PRIu64 " events, idle at %.3f s", profiles[i], ran, (double)ev_now(f->L) / 1e9);
		fx_free(f);
	}
}

/*
 * The gc workers (4.12's slices, 5.15's and current's passes) reap every
 * expired entry of chains longer than a bucket's slots, narrow (8 buckets,
 * 12 entries: under 4 nodes a bucket) and widened (1 bucket: a chain of 24
 * nodes, 8 of them inline, all reaped by the first scan): SYNs nobody
 * answers, SYN_SENT 120 s, and no lookup after them, so the worker alone
 * reaps them.
 */
static void test_gc_reaps_long_chains(void **state)
{
	(void)state;
	const char *profiles[] = { "current", "5.15", "4.12" };
	const uint32_t buckets[] = { 8, 1 };
	enum { N = 12 };
	for (int p = 0; p < 3; p++)
		for (int c = 0; c < 2; c++) {
			fx *f = fx_new(profiles[p], buckets[c], 0, true);
			for (unsigned i = 0; i < N; i++) {
				flow fl = mkflow(CADDR + i, (uint16_t)(40000 + i));
				at(f, (ev_time)i * MS);
				assert_int_equal(C(f, &fl, SYN), CT_ACCEPT);
			}
			assert_int_equal(ct_bucket_record_bytes(f->ct), c ? 32 : 16);
			assert_true(ct_chain_hist(f->ct, NULL, 0) > (c ? 8u : 4u));
			if (c) {
				/* one bucket: the first scan that reaps reaps all
				 * (steps shorter than a jiffy: one scan each) */
				while (f->destroyed == 0 && ev_now(f->L) < 400 * SEC)
					at(f, ev_now(f->L) + MS);
				assert_int_equal(f->destroyed, N);
			}
			at(f, 400 * SEC);
			assert_int_equal(ct_count(f->ct), 0);
			assert_int_equal(f->destroyed, N);
			assert_int_equal(ct_chain_hist(f->ct, NULL, 0), 0);
			fx_free(f);
		}
}

/*
 * Two network namespaces on one host share the gc worker (ct_share_gc;
 * gc_worker in nf_conntrack_core.c, current profile, HZ 250).  Namespace A
 * (the owner) holds 1,200 unanswered SYNs, SYN_SENT for 120 s; namespace B
 * 1,200 connections that reach TIME_WAIT at 6 ms, its timeout set to 10 s,
 * so they expire at 10.006 s.  Both tables are created at 0, the worker's
 * first pass is HZ later, at 1 s (conntrack_gc_work_init), when A's entries
 * have 119 s left and B's 9.006 s.  A pass's interval is the running mean
 * of the remaining timeouts (clamped to [1 s, 300 s]) started from 100
 * entries at GC_SCAN_INTERVAL_MAX (60 s), in jiffies and with C's division
 * ("next_run += (expires - next_run) / ++count", truncated toward zero, so
 * a mean pulled down lags the exact one):
 *   B alone:  1200 x 2251 jiffies (9.006 s) after 100 x 15000: exactly
 *             12.93 s, truncated 3523 jiffies (14.09 s); minus the pass
 *             itself (a jiffy), a delay of 3522 jiffies: level 2 of the
 *             timer wheel (504 <= d < 4032: 64 jiffies, 0.256 s), so the
 *             next pass is at jiffy 250 + 3522 rounded up to 3776, 15.104 s,
 *             which reaps B's expired entries (in slices of 256, a jiffy
 *             apart);
 *   shared:   A's 1200 x 29750 jiffies (119 s) first, then B's: 16272
 *             jiffies (65.1 s; exactly (100 x 60 + 1200 x 119 + 1200 x
 *             9.006) / 2500 = 63.8 s), clamped to 60 s
 *             (GC_SCAN_INTERVAL_MAX): level 3 (512 jiffies, 2.048 s), next
 *             pass at 61 s rounded up to 61.44 s.
 * (The running mean's order changes only its integer rounding.)  So B's
 * TIME_WAIT entries, dead at 10 s, stay in its nf_conntrack_count until
 * about 15 s alone but until about 61 s when A shares the worker.
 */
static ev_time ns_reaped_at(bool shared)
{
	enum { N = 1200 };
	fx *f = fx_new("current", 1024, 0, true);
	ct_cfg kb = f->k;
	kb.timeout[CT_TMO_TIME_WAIT] = 10;
	gsl_rng *rb = rng_stream(SEED, 1, "box/kernel");
	ct_table *a = f->ct, *b = ct_new(&kb, f->L, f->ps, "ns2", rb);
	if (shared)
		ct_share_gc(a, b);
	static flow fa[N], fb[N];
	for (unsigned i = 0; i < N; i++) {
		fa[i] = mkflow(CADDR + i, 40000);
		fb[i] = mkflow(CADDR + N + i, 40000);
		C(f, &fa[i], SYN);
	}
	/* B's closes, step by step for all flows (drive_to's script) */
	f->ct = b;
	static const uint8_t step_flags[] = { SYN, SYN | ACK, ACK, FIN | ACK, ACK, FIN | ACK, ACK };
	static const bool step_client[] = { true, false, true, true, false, false, true };
	for (unsigned k = 0; k < 7; k++) {
		at(f, (ev_time)k * MS);
		for (unsigned i = 0; i < N; i++)
			send(f, &fb[i], step_client[k], step_flags[k], 0);
	}
	assert_int_equal(state_of(f, &fb[0]), CT_TIME_WAIT);
	assert_int_equal(expires_of(f, &fb[N - 1]), 10 * SEC + 6 * MS);
	f->ct = a;
	assert_int_equal(ct_count(a), N);
	assert_int_equal(ct_count(b), N);
	ev_time t = 10 * SEC;
	at(f, t);
	assert_int_equal(ct_count(b), N);  /* not before they expire */
	while (ct_count(b) == N && t < 200 * SEC)
		at(f, t += 10 * MS);
	/* one pass reaps them all, and none of A's: slices of
	 * GC_SCAN_EXPIRED_MAX (64000 / HZ = 256) removals, a jiffy apart */
	at(f, t + 30 * MS);
	assert_int_equal(ct_count(b), 0);
	assert_int_equal(ct_count(a), N);
	ct_free(b);
	rng_free(rb);
	fx_free(f);
	return t;
}

static void test_netns_share_gc(void **state)
{
	(void)state;
	ev_time alone = ns_reaped_at(false), shared = ns_reaped_at(true);
	/* 15.104 s and 61.44 s, to the 10 ms step */
	assert_in_range(alone, 15104 * MS, 15114 * MS);
	assert_in_range(shared, 61440 * MS, 61450 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_buckets),
		cmocka_unit_test(test_odd_bucket_count),
		cmocka_unit_test(test_normal_close),
		cmocka_unit_test(test_fin_ack_piggyback),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_rst_exact_sequence),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_invalid_and_ignore),
		cmocka_unit_test(test_retrans),
		cmocka_unit_test(test_unacknowledged),
		cmocka_unit_test(test_timer_refresh_granularity),
		cmocka_unit_test(test_state_timeouts_expire),
		cmocka_unit_test(test_early_drop_range8),
		cmocka_unit_test(test_table_full_drop),
		cmocka_unit_test(test_early_drop_variants),
		cmocka_unit_test(test_gc_95_percent),
		cmocka_unit_test(test_confirm_clash),
		cmocka_unit_test(test_chaintoolong),
		cmocka_unit_test(test_long_chains_both_widths),
		cmocka_unit_test(test_syn_on_time_wait),
		cmocka_unit_test(test_syn_on_close_resync),
		cmocka_unit_test(test_reply_syn_in_time_wait),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_tuple_taken_reaps),
		cmocka_unit_test(test_evict_closing),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_gc_goes_idle),
		cmocka_unit_test(test_gc_reaps_long_chains),
		cmocka_unit_test(test_netns_share_gc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
