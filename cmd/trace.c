/*
 * connsim trace SCENARIO: one or a few connections, segment by segment,
 * across the client(s), the boxes and the server, with the rule the kernel
 * applied at each step.  A trace scenario (trace_scn.h) gives the world's
 * settings, the application's calls and faults staged on named segments;
 * the world is the one `connsim run` builds (world_new on a scenario) with
 * the workload left idle: the trace drives the sockets itself, and fills a
 * ladder (ladder.h) from the models' tap (models/tap.h).  The views render
 * the ladder; the terminal one is view_text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/ladder.h"
#include "cmd/trace_scn.h"
#include "cmd/view.h"
#include "cmd/view_text.h"
#include "models/scenario.h"
#include "models/tap.h"
#include "models/tcp.h"
#include "models/world.h"
#include "sim/ev.h"
#include "sim/probe.h"

/* A traced connection: its client and the sockets at both ends. */
typedef struct tconn {
	int client;                 /* tcp host id */
	uint32_t csk, ssk;
	bool has_ssk;
	const char *cstate, *sstate; /* latest state at each end, NULL: none yet */
	bool cclosed, sclosed;      /* close() called (or scheduled) */
} tconn;

typedef struct tuple_conn {
	uint64_t a, b;              /* the two endpoints, addr << 16 | port, a <= b */
	unsigned conn;
} tuple_conn;

/* A segment on one wire, in flight. */
typedef struct leg {
	unsigned idx;               /* in the ladder */
	unsigned conn;
	bool from_server;
} leg;

typedef struct trace {
	const tscn *ts;
	const scenario *sc;
	world *W;
	tcp_net *tcp;
	ev_loop *L;
	ladder *lad;
	tap tp;
	unsigned nclients, nboxes;
	int server;                 /* tcp host id */
	GArray *conns;              /* tconn */
	GArray *tuples;             /* tuple_conn, newest last */
	GHashTable *legs;           /* segment id -> leg* */
	unsigned (*counts)[32];     /* per host: segments sent per flag set */
	int last_accept;            /* the connection the server just accepted */
	GString *scratch;
} trace;

/* ---- lanes and connections ----------------------------------------------- */

static unsigned lane_of_host(const trace *T, int host)
{
	return host == T->server ? T->nclients + T->nboxes : (unsigned)host;
}

static unsigned lane_of_box(const trace *T, int bx)
{
	return T->nclients + (unsigned)bx;
}

/* The host that has addr (clients first), or -1. */
static int host_of_addr(const trace *T, uint32_t addr)
{
	const scn_path *p = &T->sc->path;
	for (unsigned i = 0; i < p->ndaddrs; i++)
		if (p->daddrs[i] == addr)
			return T->server;
	if (addr >= p->first_client && addr - p->first_client < T->nclients * p->addrs_per_client)
		return (int)((addr - p->first_client) / p->addrs_per_client);
	return -1;
}

static void tuple_key(const tap_tuple *t, uint64_t *a, uint64_t *b)
{
	uint64_t x = (uint64_t)t->saddr << 16 | t->sport, y = (uint64_t)t->daddr << 16 | t->dport;
	*a = x < y ? x : y;
	*b = x < y ? y : x;
}

static void tuple_bind(trace *T, const tap_tuple *t, unsigned conn)
{
	tuple_conn tc = { 0, 0, conn };
	tuple_key(t, &tc.a, &tc.b);
	g_array_append_val(T->tuples, tc);
}

static tconn *C(trace *T, unsigned i)
{
	return &g_array_index(T->conns, tconn, i);
}

static bool live(const char *st)
{
	return st && strcmp(st, "CLOSE") != 0;
}

/* The connection a record about tuple t on host belongs to: the newest one
 * with that tuple whose end on host is live (a SYN reopening a TIME_WAIT
 * meets the old connection's minisocket), else the newest. */
static unsigned conn_of(trace *T, int host, const tap_tuple *t)
{
	uint64_t a, b;
	tuple_key(t, &a, &b);
	int newest = -1;
	for (guint i = T->tuples->len; i-- > 0;) {
		const tuple_conn *tc = &g_array_index(T->tuples, tuple_conn, i);
		if (tc->a != a || tc->b != b)
			continue;
		if (newest < 0)
			newest = (int)tc->conn;
		tconn *c = C(T, tc->conn);
		if (live(host == T->server ? c->sstate : c->cstate))
			return tc->conn;
	}
	return newest < 0 ? 0 : (unsigned)newest;
}

/* ---- the tap ------------------------------------------------------------- */

static void note(trace *T, ladder_note_kind kind, unsigned lane, int64_t t, int64_t t_end, unsigned conn,
		 const char *text, const char *func)
{
	T->lad->step = ev_dispatched(T->L);
	ladder_note_add(T->lad, kind, lane, t, t_end, conn, text, func);
}

static ladder_seg seg_of(const tap_pkt *p, unsigned from, unsigned to, int64_t t, unsigned conn)
{
	return (ladder_seg){ .from = from, .to = to, .t_sent = t, .t_recv = -1, .saddr = p->t.saddr,
			     .daddr = p->t.daddr, .sport = p->t.sport, .dport = p->t.dport, .flags = p->flags,
			     .seq = p->seq, .ack = p->ack, .has_ts = p->has_ts, .tsval = p->tsval,
			     .tsecr = p->tsecr, .conn = conn };
}

/* The lane a segment on its way from lane `at` goes to next. */
static unsigned next_lane(const trace *T, bool from_server, int bx, const tap_pkt *p)
{
	if (bx < 0 && T->nboxes) /* leaving a host */
		return lane_of_box(T, from_server ? (int)T->nboxes - 1 : 0);
	if (bx >= 0 && !from_server && bx + 1 < (int)T->nboxes)
		return lane_of_box(T, bx + 1);
	if (bx > 0 && from_server)
		return lane_of_box(T, bx - 1);
	int h = host_of_addr(T, p->t.daddr);
	return h < 0 ? lane_of_host(T, T->server) : lane_of_host(T, h);
}

static void leg_start(trace *T, uint32_t seg, unsigned from, unsigned to, int64_t t, const tap_pkt *p,
		      unsigned conn, bool from_server)
{
	ladder_seg s = seg_of(p, from, to, t, conn);
	leg *l = g_new(leg, 1);
	T->lad->step = ev_dispatched(T->L);
	l->idx = ladder_seg_add(T->lad, &s);
	l->conn = conn;
	l->from_server = from_server;
	g_hash_table_replace(T->legs, GUINT_TO_POINTER(seg), l);
}

static ladder_seg *leg_seg(trace *T, const leg *l)
{
	return &g_array_index(T->lad->segs, ladder_seg, l->idx);
}

/* Which staged fault, if any, falls on this segment (counted here). */
static tap_verdict staged(trace *T, tap_rec *r)
{
	unsigned *cnt = &T->counts[r->host][r->pkt.flags & 31];
	(*cnt)++;
	for (guint i = 0; i < T->ts->stages->len; i++) {
		const tscn_stage *st = &g_array_index(T->ts->stages, tscn_stage, i);
		int host = st->host == TSCN_SERVER ? T->server : st->host;
		if (host != r->host || st->flags != (r->pkt.flags & 31) || st->nth != *cnt)
			continue;
		r->delay = st->delay;
		return st->what == TSCN_DROP ? TAP_DROP_IT : st->what == TSCN_DELAY ? TAP_DELAY : TAP_DUP;
	}
	return TAP_PASS;
}

static char *fmt_dur(int64_t ns)
{
	if (ns % 1000000000 == 0)
		return g_strdup_printf("%lld s", (long long)(ns / 1000000000));
	if (ns >= 1000000000)
		return g_strdup_printf("%.3f s", (double)ns / 1e9);
	return g_strdup_printf("%.3g ms", (double)ns / 1e6);
}

static void on_state(trace *T, const tap_rec *r)
{
	unsigned conn;
	bool server = r->host == T->server;
	if (!server && !strcmp(r->state, "SYN_SENT")) {
		tconn c = { .client = r->host };
		g_array_append_val(T->conns, c);
		conn = T->conns->len - 1;
		tuple_bind(T, &r->tuple, conn);
	} else {
		conn = conn_of(T, r->host, &r->tuple);
	}
	if (conn >= T->conns->len)
		return;  /* a socket of no traced connection */
	tconn *c = C(T, conn);
	const char *was = server ? c->sstate : c->cstate;
	if (was && !strcmp(was, r->state))
		return;  /* a full socket handing over to its minisocket (tcp_time_wait) */
	if (server) {
		c->sstate = r->state;
		if (!strcmp(r->state, "ESTABLISHED"))
			T->last_accept = (int)conn;
	} else {
		c->cstate = r->state;
	}
	/* A socket closed before its timer fired took the timer with it: a
	 * TIME_WAIT taken over by connect() (tcp_twsk_unique, then
	 * __inet_hash_connect), killed by an RST (tcp_timewait_state_process)
	 * or by a SYN it accepted (tcp_v4_rcv, TCP_TW_SYN) is descheduled
	 * (inet_twsk_deschedule_put). */
	if (!strcmp(r->state, "CLOSE"))
		ladder_timer_stop(T->lad, lane_of_host(T, r->host), conn, r->t, false);
	note(T, LADDER_STATE, lane_of_host(T, r->host), r->t, r->t, conn, r->state, NULL);
}

static tap_verdict on_tap(void *ctx, tap_rec *r)
{
	trace *T = ctx;
	leg *l;
	switch (r->kind) {
	case TAP_SEND: {
		tap_verdict v = r->a ? TAP_PASS : staged(T, r);
		bool from_server = r->host == T->server;
		unsigned conn = conn_of(T, r->host, &r->pkt.t);
		unsigned from = lane_of_host(T, r->host);
		if (v == TAP_DELAY || v == TAP_DUP) {
			char *d = fmt_dur(r->delay), *m = g_strdup_printf(
				v == TAP_DELAY ? "staged: this segment arrives %s late" : "staged: a copy arrives %s later", d);
			note(T, LADDER_RULE, from, r->t, r->t, conn, m, NULL);
			g_free(d);
			g_free(m);
		}
		if (r->seg != UINT32_MAX)
			leg_start(T, r->seg, from, next_lane(T, from_server, -1, &r->pkt), r->t, &r->pkt, conn, from_server);
		return v;
	}
	case TAP_HOP:
		l = g_hash_table_lookup(T->legs, GUINT_TO_POINTER(r->seg));
		if (!l)
			break;
		leg_seg(T, l)->t_recv = r->t;
		leg_seg(T, l)->step_recv = ev_dispatched(T->L);
		{
			unsigned conn = l->conn;
			bool fs = l->from_server;
			tuple_bind(T, &r->pkt.t, conn);  /* the tuple beyond a NAT is the same connection */
			leg_start(T, r->seg, lane_of_box(T, r->box), next_lane(T, fs, r->box, &r->pkt), r->t, &r->pkt, conn,
				  fs);
		}
		break;
	case TAP_RECV:
		l = g_hash_table_lookup(T->legs, GUINT_TO_POINTER(r->seg));
		if (l) {
			leg_seg(T, l)->t_recv = r->t;
			leg_seg(T, l)->step_recv = ev_dispatched(T->L);
			g_hash_table_remove(T->legs, GUINT_TO_POINTER(r->seg));
		}
		break;
	case TAP_DROP:
		l = r->seg == UINT32_MAX ? NULL : g_hash_table_lookup(T->legs, GUINT_TO_POINTER(r->seg));
		if (!l) {  /* lost on the sender's link: never a segment record */
			if (r->host < 0)
				break;
			bool fs = r->host == T->server;
			unsigned from = lane_of_host(T, r->host), conn = conn_of(T, r->host, &r->pkt.t);
			ladder_seg s = seg_of(&r->pkt, from, next_lane(T, fs, -1, &r->pkt), r->t, conn);
			s.drop_why = (char *)tap_why_text(r->why);
			T->lad->step = ev_dispatched(T->L);
			ladder_seg_add(T->lad, &s);
			break;
		}
		{
			ladder_seg *s = leg_seg(T, l);
			s->t_recv = -1;
			g_free(s->drop_why);
			s->drop_why = g_strdup(tap_why_text(r->why));
			g_hash_table_remove(T->legs, GUINT_TO_POINTER(r->seg));
		}
		break;
	case TAP_STATE:
		on_state(T, r);
		break;
	case TAP_CT: {
		unsigned conn = conn_of(T, -1, &r->tuple);
		char *m;
		if (r->expires < 0) {
			m = g_strdup(r->state);
		} else {
			char *d = fmt_dur(r->expires - r->t);
			m = g_strdup_printf("%s, %s left", r->state, d);
			g_free(d);
		}
		note(T, LADDER_CT, lane_of_box(T, r->box), r->t, r->expires < 0 ? r->t : r->expires, conn, m, NULL);
		g_free(m);
		break;
	}
	case TAP_NAT: {
		unsigned conn = conn_of(T, -1, &r->tuple);
		char *m = g_strdup_printf("SNAT %u.%u.%u.%u:%u -> %u.%u.%u.%u:%u", r->tuple.saddr >> 24,
					  r->tuple.saddr >> 16 & 255, r->tuple.saddr >> 8 & 255, r->tuple.saddr & 255,
					  r->tuple.sport, r->reply.daddr >> 24, r->reply.daddr >> 16 & 255,
					  r->reply.daddr >> 8 & 255, r->reply.daddr & 255, r->reply.dport);
		note(T, LADDER_RULE, lane_of_box(T, r->box), r->t, r->t, conn, m, "nf_nat_setup_info, get_unique_tuple");
		g_free(m);
		break;
	}
	case TAP_TIMER: {
		unsigned conn = conn_of(T, r->host, &r->tuple);
		char *m = g_strdup_printf("%s timer", r->state);
		/* One timer per TIME_WAIT socket: arming it again re-arms it
		 * (inet_twsk_reschedule, mod_timer), so the earlier one ends. */
		ladder_timer_stop(T->lad, lane_of_host(T, r->host), conn, r->t, true);
		note(T, LADDER_TIMER, lane_of_host(T, r->host), r->t, r->expires, conn, m, NULL);
		g_free(m);
		break;
	}
	case TAP_RULE: {
		unsigned lane = r->host >= 0 ? lane_of_host(T, r->host) : lane_of_box(T, r->box);
		unsigned conn = conn_of(T, r->host, &r->tuple);
		g_string_truncate(T->scratch, 0);
		tap_rule_text(r, T->scratch);
		note(T, LADDER_RULE, lane, r->t, r->t, conn, T->scratch->str, tap_rule_func(r->rule));
		break;
	}
	}
	return TAP_PASS;
}

/* ---- the application ------------------------------------------------------ */

static int conn_of_sock(trace *T, uint32_t sk, bool client)
{
	for (guint i = T->conns->len; i-- > 0;) {
		tconn *c = C(T, i);
		if (client ? c->csk == sk && live(c->cstate) : c->has_ssk && c->ssk == sk && live(c->sstate))
			return (int)i;
	}
	return -1;
}

static void app_accepted(void *ctx, int host, uint32_t sk)
{
	trace *T = ctx;
	if (T->last_accept >= 0) {
		C(T, (unsigned)T->last_accept)->ssk = sk;
		C(T, (unsigned)T->last_accept)->has_ssk = true;
	}
	T->last_accept = -1;
}

static ev_time app_peer_closed(void *ctx, int host, uint32_t sk, bool client)
{
	trace *T = ctx;
	int64_t d = T->ts->on_fin[!client];
	int i = conn_of_sock(T, sk, client);
	if (d < 0)
		return EV_FOREVER;
	if (i >= 0) {
		tconn *c = C(T, (unsigned)i);
		if (client)
			c->cclosed = true;
		else
			c->sclosed = true;
		char *m;
		if (d == 0) {
			m = g_strdup("close() on the peer's FIN");
		} else {
			char *s = fmt_dur(d);
			m = g_strdup_printf("close() %s after the peer's FIN", s);
			g_free(s);
		}
		note(T, LADDER_APP, lane_of_host(T, host), (int64_t)ev_now(T->L), (int64_t)ev_now(T->L), (unsigned)i, m,
		     NULL);
		g_free(m);
	}
	return (ev_time)d;
}

/* An `at` line's call. */
static void on_at(void *ctx, uint32_t idx, uint32_t arg)
{
	trace *T = ctx;
	const tscn_at *a = &g_array_index(T->ts->ats, tscn_at, idx);
	int64_t t = (int64_t)ev_now(T->L);
	int host = a->host == TSCN_SERVER ? T->server : a->host;
	unsigned lane = lane_of_host(T, host);
	if (a->call == TSCN_CONNECT) {
		const scn_path *p = &T->sc->path;
		tcp_connect_opts o = { 0 };
		uint32_t sk;
		unsigned next = T->conns->len;
		note(T, LADDER_APP, lane, t, t, next, "connect()", NULL);
		int r = tcp_connect(T->tcp, host, p->daddrs[0], p->dports[0], &o, &sk);
		if (r < 0)
			return;  /* the tap's rule says why */
		if (T->conns->len > next)
			C(T, next)->csk = sk;
		return;
	}
	/* close or abort: the connection named, or the host's latest with an
	 * open socket */
	bool client = host != T->server;
	int ci = -1;
	if (a->conn) {
		ci = a->conn <= T->conns->len ? (int)a->conn - 1 : -1;
	} else {
		for (guint i = T->conns->len; i-- > 0 && ci < 0;) {
			tconn *c = C(T, i);
			if (client ? c->client == host && live(c->cstate) : c->has_ssk && live(c->sstate))
				ci = (int)i;
		}
	}
	tconn *c = ci >= 0 ? C(T, (unsigned)ci) : NULL;
	const char *st = c ? (client ? c->cstate : c->sstate) : NULL;
	bool open = st && (!strcmp(st, "SYN_SENT") || !strcmp(st, "ESTABLISHED") || !strcmp(st, "CLOSE_WAIT") ||
			   !strcmp(st, "SYN_RECV"));
	if (open && !client && !c->has_ssk)
		open = false;  /* not accepted yet */
	if (!open || (client ? c->cclosed : c->sclosed)) {
		note(T, LADDER_APP, lane, t, t, ci < 0 ? 0 : (unsigned)ci,
		     a->call == TSCN_ABORT ? "close() with SO_LINGER 0: no open socket" : "close(): no open socket", NULL);
		return;
	}
	note(T, LADDER_APP, lane, t, t, (unsigned)ci, a->call == TSCN_ABORT ? "close() with SO_LINGER {1, 0}" : "close()",
	     NULL);
	if (client)
		c->cclosed = true;
	else
		c->sclosed = true;
	tcp_close_after(T->tcp, client ? c->csk : c->ssk, 0, a->call == TSCN_ABORT);
}

/* ---- building and running ------------------------------------------------ */

static scenario *build_scenario(const tscn *ts, GError **err)
{
	cfg *c = scn_cfg_new();
	bool ok = true;
	/* A trace is short and has no workload of its own: the workload's
	 * arrivals start after the end (the world is built, never started). */
	if (ts->profile) {
		char *o = g_strdup_printf("%s: profile", ts->name);
		ok = scn_set_profile(c, ts->profile, o, err);
		g_free(o);
	}
	for (guint i = 0; ok && i < ts->sets->len; i++) {
		char *o = g_strdup_printf("%s:%d", ts->name, g_array_index(ts->set_lines, int, i));
		ok = scn_set_arg(c, g_ptr_array_index(ts->sets, i), o, err);
		g_free(o);
	}
	scenario *sc = ok ? scn_new(c, err) : NULL;
	cfg_free(c);
	return sc;
}

/* Runs the trace of ts into a new ladder (NULL and err on bad input). */
static ladder *trace_run(const tscn *ts, uint64_t seed, GError **err)
{
	scenario *sc = build_scenario(ts, err);
	if (!sc)
		return NULL;
	if (sc->path.loopback) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: a trace needs a server of its own (not loopback)",
			    ts->name);
		scn_free(sc);
		return NULL;
	}
	for (guint i = 0; i < ts->ats->len; i++) {
		const tscn_at *a = &g_array_index(ts->ats, tscn_at, i);
		if (a->host != TSCN_SERVER && (unsigned)a->host >= sc->path.nclients) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s:%d: client%d: the scenario has %u client host(s) (set client.count=N)", ts->name,
				    a->line, a->host + 1, sc->path.nclients);
			scn_free(sc);
			return NULL;
		}
	}
	trace T = { .ts = ts, .sc = sc, .last_accept = -1 };
	T.L = ev_loop_new(NULL);
	probe_set *ps = probe_set_new();
	T.W = world_new(sc, T.L, ps, seed, 0, err);
	if (!T.W) {
		probe_set_free(ps);
		ev_loop_free(T.L);
		scn_free(sc);
		return NULL;
	}
	T.tcp = world_tcp(T.W);
	T.nclients = sc->path.nclients;
	T.nboxes = world_nboxes(T.W);
	T.server = world_server(T.W);
	tcp_app app = { .ctx = &T, .accepted = app_accepted, .peer_closed = app_peer_closed };
	tcp_set_app(T.tcp, &app);
	T.tp = (tap){ &T, on_tap };
	world_set_tap(T.W, &T.tp);
	T.lad = ladder_new(ts->title);
	const scn_path *p = &sc->path;
	for (unsigned i = 0; i < T.nclients; i++) {
		char *name = T.nclients == 1 ? g_strdup("client") : g_strdup_printf("client%u", i + 1);
		ladder_lane_add(T.lad, name, p->first_client + i * p->addrs_per_client, false);
		g_free(name);
	}
	for (unsigned b = 0; b < T.nboxes; b++) {
		const scn_box *sb = &sc->boxes[b];
		ladder_lane_add(T.lad, sb->name, sb->has_nat ? sb->nat.addrs[0] : 0, true);
	}
	ladder_lane_add(T.lad, "server", p->daddrs[0], false);
	for (unsigned b = 0; b < T.nboxes; b++)
		if (sc->boxes[b].own)  /* host = server or client: no wire between them */
			ladder_lane_own(T.lad, lane_of_box(&T, (int)b), sc->boxes[b].on_host ? T.nclients + T.nboxes : 0);
	T.conns = g_array_new(FALSE, TRUE, sizeof(tconn));
	T.tuples = g_array_new(FALSE, TRUE, sizeof(tuple_conn));
	T.legs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	T.counts = g_malloc0(sizeof(unsigned[32]) * tcp_host_count(T.tcp));
	T.scratch = g_string_new(NULL);
	ev_kind k = ev_kind_register(T.L, "trace_at", on_at, &T);
	for (guint i = 0; i < ts->ats->len; i++)
		ev_at(T.L, (ev_time)g_array_index(ts->ats, tscn_at, i).t, k, i, 0);
	ev_run(T.L, (ev_time)ts->end);
	world_set_tap(T.W, NULL);
	ladder *l = T.lad;
	g_string_free(T.scratch, TRUE);
	g_free(T.counts);
	g_hash_table_destroy(T.legs);
	g_array_free(T.tuples, TRUE);
	g_array_free(T.conns, TRUE);
	world_free(T.W);
	probe_set_free(ps);
	ev_loop_free(T.L);
	scn_free(sc);
	return l;
}

/* ---- the command ---------------------------------------------------------- */

static const char *const examples =
	"Examples:\n"
	"  connsim trace --list                 the built-in scenarios\n"
	"  connsim trace client-closes          the active closer's FIN_WAIT1, FIN_WAIT2, TIME_WAIT\n"
	"  connsim trace lost-final-ack --no-color > ladder.txt\n"
	"  connsim trace --print-scenario tw-reuse > my.trace   a built-in, to edit\n"
	"  connsim trace my.trace               your own scenario file\n"
	"  connsim trace tw-reuse --svg tw-reuse.svg --pcap tw-reuse.pcap --packetdrill tw-reuse.pkt\n"
	"\n"
	"Exit status: 0 success; 1 output could not be written; 2 bad option, unknown scenario\n"
	"or bad scenario file (the message names the file and line).\n\n";

int cmd_trace(int argc, char **argv)
{
	gboolean list = FALSE, no_color = FALSE, print = FALSE;
	gint64 seed = 1;
	char *svg = NULL, *mermaid = NULL, *mscgen = NULL, *pcap = NULL, *packetdrill = NULL;
	gint pd_conn = -1;
	GOptionEntry entries[] = {
		{ "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the built-in scenarios", NULL },
		{ "no-color", 0, 0, G_OPTION_ARG_NONE, &no_color, "No ANSI colour, even on a terminal", NULL },
		{ "print-scenario", 0, 0, G_OPTION_ARG_NONE, &print, "Print the built-in scenario's file instead of tracing it",
		  NULL },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Master seed of the kernels' secrets and clocks (default 1)", "N" },
		{ "svg", 0, 0, G_OPTION_ARG_FILENAME, &svg, "Also draw the ladder as an SVG picture into FILE", "FILE" },
		{ "mermaid", 0, 0, G_OPTION_ARG_FILENAME, &mermaid, "Also write it as a Mermaid sequence diagram", "FILE" },
		{ "mscgen", 0, 0, G_OPTION_ARG_FILENAME, &mscgen, "Also write it as an mscgen chart", "FILE" },
		{ "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap,
		  "Also write the segments as packets (pcap, one per wire, stamped when sent)", "FILE" },
		{ "packetdrill", 0, 0, G_OPTION_ARG_FILENAME, &packetdrill,
		  "Also write the client's side as a packetdrill script", "FILE" },
		{ "packetdrill-conn", 0, 0, G_OPTION_ARG_INT, &pd_conn,
		  "The connection --packetdrill exports (from 0; default: every one, a socket each)", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("SCENARIO - one or a few connections, segment by segment");
	g_option_context_set_summary(ctx,
		"Trace connections through the client(s), the NAT and firewall boxes and the server: every\n"
		"segment with its time, flags, relative sequence numbers and timestamps; each end's TCP\n"
		"state, each conntrack entry's state and remaining timeout, and the rule the kernel applied,\n"
		"with the kernel function it is in.  SCENARIO is a built-in name (--list) or a file.");
	char *desc = g_strconcat(examples, tscn_format(), NULL);
	g_option_context_set_description(ctx, desc);
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *err = NULL;
	int rc = EXIT_OK;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "connsim trace: %s\n", err->message);
		rc = EXIT_USAGE;
		goto out;
	}
	if (list) {
		for (const char *const *n = tscn_builtin_names(); *n; n++) {
			tscn *s = tscn_parse(*n, tscn_builtin_text(*n), NULL);
			printf("%-22s %s\n", *n, s ? s->title : "?");
			tscn_free(s);
		}
		goto out;
	}
	if (argc != 2) {
		fprintf(stderr, "connsim trace: name one scenario (connsim trace --list shows the built-in ones)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	const char *text = tscn_builtin_text(argv[1]);
	if (print) {
		if (!text) {
			fprintf(stderr, "connsim trace: '%s' is not a built-in scenario (connsim trace --list)\n", argv[1]);
			rc = EXIT_USAGE;
		} else {
			fputs(text, stdout);
		}
		goto out;
	}
	tscn *ts = NULL;
	if (!text && !g_file_test(argv[1], G_FILE_TEST_EXISTS))
		g_set_error(&err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "'%s' is neither a built-in scenario (connsim trace --list) nor a file", argv[1]);
	else
		ts = text ? tscn_parse(argv[1], text, &err) : tscn_load(argv[1], &err);
	ladder *l = ts ? trace_run(ts, (uint64_t)seed, &err) : NULL;
	if (!l) {
		fprintf(stderr, "connsim trace: %s\n", err->message);
		tscn_free(ts);
		rc = EXIT_USAGE;
		goto out;
	}
	/* the other views first: all of them or none, before the ladder is printed */
	view_files vf = { svg, mermaid, mscgen, pcap, packetdrill, pd_conn };
	if (!view_write_files(l, &vf, &err)) {
		fprintf(stderr, "connsim trace: %s\n", err->message);
		rc = g_error_matches(err, VIEW_ERROR, VIEW_ERROR_EMPTY) ? EXIT_USAGE : EXIT_RUNTIME;
		ladder_free(l);
		tscn_free(ts);
		goto out;
	}
	GString *o = g_string_new(NULL);
	view_text(l, !no_color && isatty(STDOUT_FILENO), o);
	/* the scenario's explanation goes under the title line */
	const char *nl = strchr(o->str, '\n');
	gssize at = nl ? nl - o->str + 1 : (gssize)o->len;
	for (guint i = ts->about->len; i-- > 0;) {
		char *line = g_strdup_printf("  %s\n", (char *)g_ptr_array_index(ts->about, i));
		g_string_insert(o, at, line);
		g_free(line);
	}
	if (fwrite(o->str, 1, o->len, stdout) != o->len || fflush(stdout) != 0) {
		fprintf(stderr, "connsim trace: cannot write the ladder: %s\n", g_strerror(errno));
		rc = EXIT_RUNTIME;
	}
	g_string_free(o, TRUE);
	ladder_free(l);
	tscn_free(ts);
out:
	g_clear_error(&err);
	g_free(desc);
	g_free(svg);
	g_free(mermaid);
	g_free(mscgen);
	g_free(pcap);
	g_free(packetdrill);
	g_option_context_free(ctx);
	return rc;
}
