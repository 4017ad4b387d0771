/*
 * view_pd: the client's side of a traced connection as a packetdrill
 * script, to replay a simulated what-if against a real kernel.
 *
 * packetdrill plays the network around the kernel under test: lines '>' are
 * what that kernel must send (the client lane's outgoing segments, at
 * t_sent), lines '<' what packetdrill injects (the segments the client
 * received, at t_recv), between them the system calls of the client's
 * LADDER_APP notes.  Times are relative ("+0.0005"), in microseconds, the
 * resolution packetdrill reads; the first line is at 0.  Sequence numbers
 * are relative to each side's SYN, which is how packetdrill reads them (it
 * maps the live kernel's ISN to 0; the injected side's ISN is 0 itself);
 * TS val/ecr are the simulated values (packetdrill maps an outgoing script
 * TS val to the live one and rewrites the ecr of what it injects to match).
 *
 * What the ladder does not know is fixed to what packetdrill's tun device
 * and a default Linux give: MSS 1460, SACK permitted and window scale 8 on
 * the SYNs (in Linux's option order, tcp_options_write), window 65535 on
 * injected segments (0 on an RST, as tcp_v4_send_reset sends).  connect()
 * is made non-blocking (as packetdrill's close-on-syn-sent.pkt does) so
 * that the script need not know how long the handshake blocks.
 *
 * Checked against packetdrill's grammar (parser.y) and its tests
 * gtests/net/tcp/close/, blocking/blocking-connect.pkt and the kernel's
 * tools/testing/selftests/net/packetdrill/tcp_basic_client.pkt.
 */
#include "cmd/view.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/bug.h"

typedef struct pd_ev {
	int64_t t;
	int rank;         /* at one instant: 0 call, 1 injected, 2 sent */
	guint idx;        /* segs index, or notes index + segs->len */
} pd_ev;

static gint pd_cmp(gconstpointer a, gconstpointer b)
{
	const pd_ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* packetdrill's flag letters, in its order (F S R P then '.' for ACK). */
static void pd_flags(GString *o, uint8_t f)
{
	size_t len = o->len;
	if (f & LADDER_FIN)
		g_string_append_c(o, 'F');
	if (f & LADDER_SYN)
		g_string_append_c(o, 'S');
	if (f & LADDER_RST)
		g_string_append_c(o, 'R');
	if (f & LADDER_PSH)
		g_string_append_c(o, 'P');
	if (f & LADDER_ACK)
		g_string_append_c(o, '.');
	if (o->len == len)
		g_string_append_c(o, '.');  /* packetdrill has no empty flag set */
}

/* "+0", "+0.0005", "+60": a gap in microseconds as packetdrill reads it. */
static void pd_time(GString *o, int64_t us, bool first)
{
	char b[48];
	if (first) {
		snprintf(b, sizeof b, "0");
	} else if (us % 1000000 == 0) {
		snprintf(b, sizeof b, "+%" PRId64, us / 1000000);
	} else {
		snprintf(b, sizeof b, "+%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
		size_t n = strlen(b);
		while (b[n - 1] == '0')
			b[--n] = '\0';
	}
	g_string_append_printf(o, "%9s ", b);
}

/* The TCP option list of a segment: Linux's SYN options (tcp_options_write:
 * MSS, then SACK_PERM folded into the TS option's NOPs, then NOP+wscale),
 * or NOP NOP TS on the others; none without timestamps (but on a SYN). */
static void pd_options(GString *o, const ladder_seg *s)
{
	if (s->flags & LADDER_SYN) {
		if (s->has_ts)
			g_string_append_printf(o, " <mss 1460,sackOK,TS val %" PRIu32 " ecr %" PRIu32 ",nop,wscale 8>",
					       s->tsval, s->tsecr);
		else
			g_string_append(o, " <mss 1460,nop,nop,sackOK,nop,wscale 8>");
	} else if (s->has_ts) {
		g_string_append_printf(o, " <nop,nop,TS val %" PRIu32 " ecr %" PRIu32 ">", s->tsval, s->tsecr);
	}
}

static void pd_segment(GString *o, const ladder *l, const ladder_seg *s, bool out)
{
	uint32_t seq, ack;
	bool rel;
	view_rel_seq(l, s, &seq, &ack, &rel);
	g_string_append(o, out ? "> " : "< ");
	pd_flags(o, s->flags);
	g_string_append_printf(o, " %" PRIu32 ":%" PRIu32 "(0)", seq, seq);
	if (s->flags & LADDER_ACK)
		g_string_append_printf(o, " ack %" PRIu32, ack);
	if (!out)
		g_string_append_printf(o, " win %u", (s->flags & LADDER_RST) ? 0u : 65535u);
	pd_options(o, s);
	g_string_append_c(o, '\n');
}

/* One line of comment: the text with its newlines flattened. */
static void pd_comment(GString *o, const char *prefix, const char *text)
{
	g_string_append_printf(o, "// %s", prefix);
	for (const char *p = text; p && *p; p++)
		g_string_append_c(o, *p == '\n' || *p == '\r' ? ' ' : *p);
	g_string_append_c(o, '\n');
}

/* The last number in s, or def: "SO_LINGER 0" -> 0. */
static int last_int(const char *s, int def)
{
	int v = def;
	for (const char *p = s; p && *p; p++)
		if (isdigit((unsigned char)*p) && (p == s || !isalnum((unsigned char)p[-1]) || p[-1] == ' ')) {
			v = (int)strtol(p, NULL, 10);
			while (isdigit((unsigned char)p[1]))
				p++;
		}
	return v;
}

/* Per connection: its file descriptor and what of it was written. */
typedef struct pd_conn {
	unsigned conn;
	int fd;
	bool socket, connect;
} pd_conn;

static pd_conn *conn_of(GArray *cs, unsigned conn)
{
	for (guint i = 0; i < cs->len; i++)
		if (g_array_index(cs, pd_conn, i).conn == conn)
			return &g_array_index(cs, pd_conn, i);
	pd_conn c = { conn, 3 + (int)cs->len, false, false };
	g_array_append_val(cs, c);
	return &g_array_index(cs, pd_conn, cs->len - 1);
}

/* One system call line (after the time): from the note's text, which says
 * what the application did in words ("connect()", "close()",
 * "shutdown(SHUT_WR)", "setsockopt(SO_LINGER, 0)"). */
static void pd_call(GString *o, pd_conn *c, const char *text, bool *timed)
{
	char *low = g_ascii_strdown(text ? text : "", -1);
	const char *p = low;
	while (*p == ' ')
		p++;
#define LINE(...)                                                                                          \
	do {                                                                                               \
		if (*timed)                                                                                \
			g_string_append_printf(o, "%9s ", "+0");                                           \
		*timed = true;                                                                             \
		g_string_append_printf(o, __VA_ARGS__);                                                     \
	} while (0)
	bool need_socket = !c->socket && !g_str_has_prefix(p, "socket");
	if (need_socket && (g_str_has_prefix(p, "connect") || g_str_has_prefix(p, "bind") ||
			    g_str_has_prefix(p, "setsockopt"))) {
		LINE("socket(..., SOCK_STREAM, IPPROTO_TCP) = %d\n", c->fd);
		c->socket = true;
	}
	if (g_str_has_prefix(p, "socket")) {
		if (!c->socket)
			LINE("socket(..., SOCK_STREAM, IPPROTO_TCP) = %d\n", c->fd);
		c->socket = true;
	} else if (g_str_has_prefix(p, "connect")) {
		LINE("fcntl(%d, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n", c->fd);
		LINE("connect(%d, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n", c->fd);
		c->connect = true;
	} else if (g_str_has_prefix(p, "bind")) {
		LINE("bind(%d, ..., ...) = 0\n", c->fd);
	} else if (g_str_has_prefix(p, "setsockopt") && strstr(p, "linger")) {
		LINE("setsockopt(%d, SOL_SOCKET, SO_LINGER, {onoff=1, linger=%d}, 8) = 0\n", c->fd, last_int(p, 0));
	} else if (g_str_has_prefix(p, "setsockopt") && strstr(p, "reuseaddr")) {
		LINE("setsockopt(%d, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n", c->fd);
	} else if (g_str_has_prefix(p, "close")) {
		LINE("close(%d) = 0\n", c->fd);
	} else if (g_str_has_prefix(p, "shutdown")) {
		const char *how = strstr(p, "rdwr") ? "SHUT_RDWR" : strstr(p, "shut_rd") ? "SHUT_RD" : "SHUT_WR";
		LINE("shutdown(%d, %s) = 0\n", c->fd, how);
	} else {
		/* not a call packetdrill can make: a comment, with no time */
		pd_comment(o, "application (no system call here): ", text);
	}
#undef LINE
	g_free(low);
}

GBytes *view_packetdrill(const ladder *l, int conn)
{
	const unsigned client = 0;
	if (!l->lanes->len)
		return NULL;
	GArray *ev = g_array_new(FALSE, FALSE, sizeof(pd_ev));
	bool any_seg = false, has_ts = false;
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		if (conn >= 0 && s->conn != (unsigned)conn)
			continue;
		if (s->from == client) {
			pd_ev e = { s->t_sent, 2, i };
			g_array_append_val(ev, e);
		} else if (s->to == client) {
			/* a segment lost on its way to the client is never seen
			 * by its kernel: a comment where it was sent */
			pd_ev e = { s->t_recv >= 0 ? s->t_recv : s->t_sent, 1, i };
			g_array_append_val(ev, e);
		} else {
			continue;
		}
		any_seg = true;
		has_ts |= s->has_ts;
	}
	if (!any_seg) {
		g_array_free(ev, TRUE);
		return NULL;
	}
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		if (n->lane != client || n->kind != LADDER_APP || (conn >= 0 && n->conn != (unsigned)conn))
			continue;
		pd_ev e = { n->t, 0, l->segs->len + i };
		g_array_append_val(ev, e);
	}
	g_array_sort(ev, pd_cmp);

	const ladder_lane *cl = &g_array_index(l->lanes, ladder_lane, client);
	GString *o = g_string_new("");
	pd_comment(o, "", l->title);
	g_string_append_printf(o, "// The %s's side", cl->name);
	if (conn >= 0)
		g_string_append_printf(o, " of connection %d", conn);
	else
		g_string_append(o, " of every traced connection, one socket each");
	g_string_append(o, ", as connsim simulated it (connsim trace --packetdrill).\n"
			   "// '>' the kernel under test must send, '<' packetdrill injects.\n"
			   "// Assumes packetdrill's tun device (MSS 1460) and a default Linux (wscale 8).\n");
	g_string_append_printf(o, "`sysctl -q net.ipv4.tcp_timestamps=%d`\n\n", has_ts ? 1 : 0);

	GArray *cs = g_array_new(FALSE, FALSE, sizeof(pd_conn));
	bool first = true;
	int64_t last_us = 0;
	for (guint k = 0; k < ev->len; k++) {
		const pd_ev *e = &g_array_index(ev, pd_ev, k);
		int64_t us = (e->t + 500) / 1000;
		/* the time prefix of the next timed line; written just before it */
		bool timed = false;
#define STAMP()                                                                                            \
	do {                                                                                               \
		pd_time(o, us - last_us, first);                                                           \
		first = false;                                                                             \
		last_us = us;                                                                              \
		timed = true;                                                                              \
	} while (0)
		if (e->idx >= l->segs->len) {
			const ladder_note *n = &g_array_index(l->notes, ladder_note, e->idx - l->segs->len);
			pd_conn *c = conn_of(cs, n->conn);
			GString *line = g_string_new("");
			bool t2 = false;
			pd_call(line, c, n->text, &t2);
			if (t2) {
				STAMP();
				g_string_append(o, line->str);
			} else {
				g_string_append(o, line->str);
			}
			g_string_free(line, TRUE);
			continue;
		}
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, e->idx);
		pd_conn *c = conn_of(cs, s->conn);
		bool out = s->from == client;
		if (!out && s->t_recv < 0) {
			char fb[32];
			GString *m = g_string_new("");
			g_string_printf(m, "%s to the client dropped on the way (%s); its kernel never sees it",
					view_flags_name(s->flags, fb), s->drop_why ? s->drop_why : "lost");
			pd_comment(o, "", m->str);
			g_string_free(m, TRUE);
			continue;
		}
		if (out && (s->flags & LADDER_SYN) && !(s->flags & LADDER_ACK) && !c->connect) {
			/* a SYN needs a connect(): the ladder recorded none */
			GString *line = g_string_new("");
			bool t2 = false;
			pd_call(line, c, "connect()", &t2);
			STAMP();
			g_string_append(o, line->str);
			g_string_free(line, TRUE);
		}
		if (out && s->t_recv < 0)
			pd_comment(o, "lost on the wire after the kernel sent it: ", s->drop_why ? s->drop_why : "lost");
		if (timed)
			g_string_append_printf(o, "%9s ", "+0");
		else
			STAMP();
		pd_segment(o, l, s, out);
#undef STAMP
	}
	g_array_free(cs, TRUE);
	g_array_free(ev, TRUE);
	return g_string_free_to_bytes(o);
}
