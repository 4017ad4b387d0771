/*
 * cmd/view: the SVG, Mermaid, pcap and packetdrill renderings of a ladder
 * built here by hand: a client behind a NAT opens a connection to a server
 * with timestamps, closes first, the server closes too, the client's final
 * ACK is lost between the NAT and the server, the server's LAST_ACK
 * retransmits its FIN into the client's TIME_WAIT, which answers and
 * restarts its 60 s timer (doc/kernel-rules.md's teardown; tcp_time_wait,
 * tcp_timewait_state_process).
 *
 * The SVG is parsed (GMarkup here, xmllint) and rendered (rsvg-convert);
 * the pcap is read back with tshark and compared field by field with the
 * ladder; mscgen draws its chart; the Mermaid, mscgen and packetdrill texts are compared with golden files
 * (tests/data/view/, checked by hand) and the packetdrill lines with the
 * subset of packetdrill's grammar they use.  With PACKETDRILL set to a
 * packetdrill binary, its parser (--dry_run) reads the script too.
 * VIEW_KEEP=DIR keeps the files there to look at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/ladder.h"
#include "cmd/view.h"

#define US 1000LL
#define MS 1000000LL
#define S 1000000000LL

enum { CLIENT, NAT, SERVER };
static const uint32_t C_ADDR = 0x0a000002;   /* 10.0.0.2 */
static const uint32_t N_ADDR = 0xcb007101;   /* 203.0.113.1 */
static const uint32_t S_ADDR = 0xc6336410;   /* 198.51.100.16 */
static const uint16_t C_PORT = 40002, N_PORT = 61000, S_PORT = 80;
static const uint32_t C_ISN = 1000000, S_ISN = 3000000000u;

/* One segment on the wire from -> to (adjacent lanes), with that wire's
 * addresses: before the NAT the client's, after it the NAT's. */
static void seg(ladder *l, unsigned from, unsigned to, int64_t ts, int64_t tr, uint8_t flags, uint32_t seq,
		uint32_t ack, uint32_t tsval, uint32_t tsecr, const char *drop)
{
	bool fwd = from < to;
	bool inside = (from == CLIENT || to == CLIENT);
	uint32_t caddr = inside ? C_ADDR : N_ADDR;
	uint16_t cport = inside ? C_PORT : N_PORT;
	ladder_seg s = {
		.from = from, .to = to, .t_sent = ts, .t_recv = tr, .drop_why = (char *)drop,
		.saddr = fwd ? caddr : S_ADDR, .daddr = fwd ? S_ADDR : caddr,
		.sport = fwd ? cport : S_PORT, .dport = fwd ? S_PORT : cport,
		.flags = flags, .seq = seq, .ack = ack, .has_ts = true, .tsval = tsval, .tsecr = tsecr, .conn = 0,
	};
	ladder_seg_add(l, &s);
}

/* c -> nat -> server, or back: the two wires' copies; d1 on the client's
 * wire, d2 on the server's.  drop2: lost on the second wire. */
static void fwd(ladder *l, int64_t t, uint8_t f, uint32_t seq, uint32_t ack, uint32_t tv, uint32_t te, const char *drop2)
{
	seg(l, CLIENT, NAT, t, t + 50 * US, f, seq, ack, tv, te, NULL);
	seg(l, NAT, SERVER, t + 50 * US, drop2 ? -1 : t + 250 * US, f, seq, ack, tv, te, drop2);
}

static void back(ladder *l, int64_t t, uint8_t f, uint32_t seq, uint32_t ack, uint32_t tv, uint32_t te)
{
	seg(l, SERVER, NAT, t, t + 200 * US, f, seq, ack, tv, te, NULL);
	seg(l, NAT, CLIENT, t + 200 * US, t + 250 * US, f, seq, ack, tv, te, NULL);
}

static void note(ladder *l, ladder_note_kind k, unsigned lane, int64_t t, const char *text, const char *func)
{
	ladder_note_add(l, k, lane, t, t, 0, text, func);
}

/* The client-closes trace described at the top (times in ns). */
static ladder *client_closes(const char *title)
{
	ladder *l = ladder_new(title);
	ladder_lane_add(l, "client", C_ADDR, false);
	ladder_lane_add(l, "nat", N_ADDR, true);
	ladder_lane_add(l, "server", S_ADDR, false);
	const uint8_t A = LADDER_ACK;
	const int64_t c2 = 10 * MS, s2 = 20 * MS, rto = s2 + 201 * MS;

	note(l, LADDER_APP, CLIENT, 0, "connect()", NULL);
	note(l, LADDER_STATE, CLIENT, 0, "SYN_SENT", NULL);
	fwd(l, 0, LADDER_SYN, C_ISN, 0, 100, 0, NULL);
	note(l, LADDER_CT, NAT, 50 * US, "SYN_SENT, 120 s left", NULL);
	note(l, LADDER_RULE, NAT, 50 * US, "SNAT 10.0.0.2:40002 -> 203.0.113.1:61000", "nf_nat_setup_info");
	back(l, 250 * US, LADDER_SYN | A, S_ISN, C_ISN + 1, 7000, 100);
	note(l, LADDER_STATE, SERVER, 250 * US, "SYN_RECV", NULL);
	note(l, LADDER_CT, NAT, 450 * US, "SYN_RECV, 60 s left", NULL);
	fwd(l, 500 * US, A, C_ISN + 1, S_ISN + 1, 101, 7000, NULL);
	note(l, LADDER_STATE, CLIENT, 500 * US, "ESTABLISHED", NULL);
	note(l, LADDER_STATE, SERVER, 750 * US, "ESTABLISHED", NULL);

	note(l, LADDER_APP, CLIENT, c2, "close()", NULL);
	note(l, LADDER_STATE, CLIENT, c2, "FIN_WAIT1", NULL);
	fwd(l, c2, LADDER_FIN | A, C_ISN + 1, S_ISN + 1, 110, 7000, NULL);
	note(l, LADDER_STATE, SERVER, c2 + 250 * US, "CLOSE_WAIT", NULL);
	back(l, c2 + 250 * US, A, S_ISN + 1, C_ISN + 2, 7010, 110);
	note(l, LADDER_STATE, CLIENT, c2 + 500 * US, "FIN_WAIT2", NULL);

	note(l, LADDER_APP, SERVER, s2, "close()", NULL);
	note(l, LADDER_STATE, SERVER, s2, "LAST_ACK", NULL);
	back(l, s2, LADDER_FIN | A, S_ISN + 1, C_ISN + 2, 7020, 110);
	note(l, LADDER_STATE, CLIENT, s2 + 250 * US, "TIME_WAIT", NULL);
	note(l, LADDER_RULE, CLIENT, s2 + 250 * US, "TIME_WAIT for 60 s", "tcp_time_wait");
	ladder_note_add(l, LADDER_TIMER, CLIENT, s2 + 250 * US, rto + 250 * US, 0, "TIME_WAIT timer", NULL);
	fwd(l, s2 + 250 * US, A, C_ISN + 2, S_ISN + 2, 120, 7020, "lost (staged)");
	note(l, LADDER_CT, NAT, s2 + 300 * US, "TIME_WAIT, 120 s left", NULL);

	/* LAST_ACK's retransmission timer fires: the FIN again */
	note(l, LADDER_RULE, SERVER, rto, "FIN retransmitted: no ACK within the RTO", "tcp_retransmit_timer");
	back(l, rto, LADDER_FIN | A, S_ISN + 1, C_ISN + 2, 7221, 110);
	note(l, LADDER_RULE, CLIENT, rto + 250 * US, "FIN in TIME_WAIT: ACK it, restart the 60 s timer",
	     "tcp_timewait_state_process");
	ladder_note_add(l, LADDER_TIMER, CLIENT, rto + 250 * US, rto + 250 * US + 60 * S, 0, "TIME_WAIT timer", NULL);
	fwd(l, rto + 250 * US, A, C_ISN + 2, S_ISN + 2, 321, 7221, NULL);
	note(l, LADDER_STATE, SERVER, rto + 500 * US, "CLOSED", NULL);
	note(l, LADDER_STATE, CLIENT, rto + 250 * US + 60 * S, "CLOSED", NULL);
	return l;
}

static char *tmpdir;

static int setup(void **st)
{
	(void)st;
	tmpdir = g_dir_make_tmp("connsim-view-XXXXXX", NULL);
	return tmpdir ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	const char *keep = g_getenv("VIEW_KEEP");
	GDir *d = g_dir_open(tmpdir, 0, NULL);
	for (const char *e; d && (e = g_dir_read_name(d));) {
		char *p = g_build_filename(tmpdir, e, NULL);
		if (keep) {
			char *q = g_build_filename(keep, e, NULL);
			char *s = NULL;
			gsize n = 0;
			if (g_file_get_contents(p, &s, &n, NULL))
				g_file_set_contents(q, s, (gssize)n, NULL);
			g_free(s);
			g_free(q);
		}
		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return 0;
}

/* Writes the bytes to tmpdir/name through view_write; returns the path. */
static char *put(const char *name, GBytes *b)
{
	char *path = g_build_filename(tmpdir, name, NULL);
	GError *err = NULL;
	if (!view_write(path, b, &err))
		fail_msg("%s", err->message);
	return path;
}

/* Runs argv; returns its stdout, fails the test unless it exits 0. */
static char *run(char **argv)
{
	char *out = NULL, *errs = NULL;
	int status = 0;
	GError *err = NULL;
	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errs, &status, &err))
		fail_msg("%s: %s (make deps installs it)", argv[0], err->message);
	if (!g_spawn_check_wait_status(status, NULL))
		fail_msg("%s failed: %s", argv[0], errs);
	g_free(errs);
	return out;
}

static bool same_as_golden(const char *golden, GBytes *b)
{
	char *want = NULL;
	gsize n = 0;
	if (!g_file_get_contents(golden, &want, &n, NULL))
		fail_msg("cannot read %s", golden);
	gsize m = 0;
	const char *got = g_bytes_get_data(b, &m);
	bool same = n == m && memcmp(want, got, n) == 0;
	if (!same)
		print_error("%s differs; got:\n%.*s\n", golden, (int)m, got);
	g_free(want);
	return same;
}

/* ---- relative numbers ---- */

static void test_rel_seq(void **st)
{
	(void)st;
	ladder *l = client_closes("t");
	uint32_t seq, ack;
	bool rel;
	unsigned syn = 0, synack = 0, fin = 0;
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		view_rel_seq(l, s, &seq, &ack, &rel);
		assert_true(rel);
		bool f = s->from < s->to;
		/* relative = absolute - own ISN; ack = absolute - peer's ISN */
		assert_int_equal(seq, s->seq - (f ? C_ISN : S_ISN));
		if (s->flags & LADDER_ACK)
			assert_int_equal(ack, s->ack - (f ? S_ISN : C_ISN));
		if (s->flags == LADDER_SYN)
			syn += seq == 0;
		if (s->flags == (LADDER_SYN | LADDER_ACK))
			synack += seq == 0 && ack == 1;
		if ((s->flags & LADDER_FIN) && f)
			fin += seq == 1 && ack == 1;
	}
	assert_int_equal(syn, 2);     /* one per wire */
	assert_int_equal(synack, 2);
	assert_int_equal(fin, 2);
	/* without the server's SYN-ACK, its end stays absolute */
	ladder *h = ladder_new("half");
	ladder_lane_add(h, "a", 1, false);
	ladder_lane_add(h, "b", 2, false);
	ladder_seg s = { .from = 0, .to = 1, .flags = LADDER_ACK, .seq = 500, .ack = 77, .t_recv = 1 };
	ladder_seg_add(h, &s);
	view_rel_seq(h, &g_array_index(h->segs, ladder_seg, 0), &seq, &ack, &rel);
	assert_false(rel);
	assert_int_equal(seq, 500);
	assert_int_equal(ack, 77);
	char fb[32];
	assert_string_equal(view_flags_name(LADDER_FIN | LADDER_ACK, fb), "FIN-ACK");
	assert_string_equal(view_flags_name(LADDER_RST, fb), "RST");
	ladder_free(h);
	ladder_free(l);
}

/* ---- SVG ---- */

typedef struct svg_scan {
	GHashTable *classes;   /* class attribute of <g> -> count */
	GArray *seg_y;         /* per segment group: y1, y2 of its line */
	bool in_seg;
	double height;
	GString *text;         /* every text node, concatenated */
} svg_scan;

static const char *attr(const char **names, const char **values, const char *name)
{
	for (; *names; names++, values++)
		if (!strcmp(*names, name))
			return *values;
	return NULL;
}

static void svg_start(GMarkupParseContext *c, const char *el, const char **an, const char **av, gpointer ud, GError **e)
{
	svg_scan *sc = ud;
	const char *cls = attr(an, av, "class");
	if (!strcmp(el, "svg") && attr(an, av, "height"))
		sc->height = atof(attr(an, av, "height"));
	if (!strcmp(el, "g") && cls) {
		unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(sc->classes, cls));
		g_hash_table_insert(sc->classes, g_strdup(cls), GUINT_TO_POINTER(n + 1));
		sc->in_seg = g_str_has_prefix(cls, "seg");
	}
	if (!strcmp(el, "line") && sc->in_seg) {
		double y[2] = { atof(attr(an, av, "y1")), atof(attr(an, av, "y2")) };
		g_array_append_vals(sc->seg_y, y, 2);
		sc->in_seg = false;
	}
	/* no external resource: no href, no image, no script */
	assert_null(attr(an, av, "href"));
	assert_null(attr(an, av, "xlink:href"));
	assert_true(strcmp(el, "image") && strcmp(el, "script") && strcmp(el, "foreignObject"));
}

static void svg_text(GMarkupParseContext *c, const char *t, gsize n, gpointer ud, GError **e)
{
	g_string_append_len(((svg_scan *)ud)->text, t, (gssize)n);
	g_string_append_c(((svg_scan *)ud)->text, '|');
}

static unsigned count_class(svg_scan *sc, const char *cls)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(sc->classes, cls));
}

static void test_svg(void **st)
{
	(void)st;
	ladder *l = client_closes("client closes <first> & \"the\" final ACK is lost");
	GBytes *b = view_svg(l);
	gsize n = 0;
	const char *x = g_bytes_get_data(b, &n);

	svg_scan sc = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
			g_array_new(FALSE, FALSE, sizeof(double)), false, 0, g_string_new("") };
	GMarkupParser p = { svg_start, NULL, svg_text, NULL, NULL };
	GMarkupParseContext *ctx = g_markup_parse_context_new(&p, 0, &sc, NULL);
	GError *err = NULL;
	if (!g_markup_parse_context_parse(ctx, x, (gssize)n, &err) || !g_markup_parse_context_end_parse(ctx, &err))
		fail_msg("the SVG does not parse: %s", err->message);
	g_markup_parse_context_free(ctx);

	unsigned states = 0, cts = 0, apps = 0, rules = 0, timers = 0, lost = 0;
	for (guint i = 0; i < l->notes->len; i++) {
		ladder_note_kind k = g_array_index(l->notes, ladder_note, i).kind;
		states += k == LADDER_STATE;
		cts += k == LADDER_CT;
		apps += k == LADDER_APP;
		rules += k == LADDER_RULE;
		timers += k == LADDER_TIMER;
	}
	for (guint i = 0; i < l->segs->len; i++)
		lost += g_array_index(l->segs, ladder_seg, i).t_recv < 0;
	assert_int_equal(count_class(&sc, "lane"), l->lanes->len);
	assert_int_equal(count_class(&sc, "seg") + count_class(&sc, "seg lost"), l->segs->len);
	assert_int_equal(count_class(&sc, "seg lost"), lost);
	assert_int_equal(lost, 1);
	assert_int_equal(count_class(&sc, "state"), states);
	assert_int_equal(count_class(&sc, "ct"), cts);
	assert_int_equal(count_class(&sc, "app"), apps);
	assert_int_equal(count_class(&sc, "rule"), rules);
	assert_int_equal(count_class(&sc, "timer"), timers);
	/* the 60 s of TIME_WAIT is cut out of the axis, once, labelled */
	assert_int_equal(count_class(&sc, "break"), 1);
	assert_non_null(strstr(sc.text->str, "60.000 s later"));
	assert_true(sc.height < 2000);  /* 60 s at the handshake's scale: kilometres */
	/* the title came through the escaping whole */
	assert_non_null(strstr(sc.text->str, "client closes <first> & \"the\" final ACK is lost"));
	assert_non_null(strstr(sc.text->str, "(tcp_timewait_state_process)"));
	assert_non_null(strstr(sc.text->str, "lost (staged)"));
	assert_non_null(strstr(sc.text->str, "TSval 7221 TSecr 110"));
	assert_non_null(strstr(sc.text->str, "198.51.100.16"));

	/* Time runs downward: arrows start in the order they were sent, each
	 * delivered one slopes down, and the 200 us wire slopes more than the
	 * 50 us one (the SYN's two copies: nothing else happens meanwhile). */
	assert_int_equal(sc.seg_y->len, 2 * l->segs->len);
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		double y1 = g_array_index(sc.seg_y, double, 2 * i), y2 = g_array_index(sc.seg_y, double, 2 * i + 1);
		assert_true(y2 > y1);
		if (i > 0 && s->t_sent > g_array_index(l->segs, ladder_seg, i - 1).t_sent)
			assert_true(y1 > g_array_index(sc.seg_y, double, 2 * i - 2));
	}
	double d50 = g_array_index(sc.seg_y, double, 1) - g_array_index(sc.seg_y, double, 0);
	double d200 = g_array_index(sc.seg_y, double, 3) - g_array_index(sc.seg_y, double, 2);
	assert_true(d200 > d50);

	/* the same ladder, the same bytes */
	GBytes *b2 = view_svg(l);
	assert_true(g_bytes_equal(b, b2));
	g_bytes_unref(b2);

	/* a second XML parser and a renderer agree */
	char *path = put("client-closes.svg", b);
	char *xl[] = { "xmllint", "--noout", path, NULL };
	g_free(run(xl));
	char *png = g_build_filename(tmpdir, "client-closes.png", NULL);
	char *rs[] = { "rsvg-convert", "-o", png, path, NULL };
	g_free(run(rs));
	GStatBuf sb;
	assert_int_equal(g_stat(png, &sb), 0);
	assert_true(sb.st_size > 10000);

	g_free(png);
	g_free(path);
	g_string_free(sc.text, TRUE);
	g_array_free(sc.seg_y, TRUE);
	g_hash_table_destroy(sc.classes);
	g_bytes_unref(b);
	ladder_free(l);
}

/* The y where the timer bracket number k (from 0) starts and ends, from its
 * path "M x y1 H x V y2 H x". */
static void bracket_y(const char *svg, unsigned k, double *y1, double *y2)
{
	const char *p = svg;
	for (unsigned i = 0; i <= k; i++) {
		p = strstr(p, "<g class=\"timer\"><path d=\"M");
		assert_non_null(p);
		p += strlen("<g class=\"timer\"><path d=\"M");
	}
	double x1, x2, x3;
	assert_int_equal(sscanf(p, "%lf %lf H%lf V%lf H%lf", &x1, y1, &x2, y2, &x3), 5);
}

/* A timer stopped before it fired: its bracket ends where it stopped (a
 * segment sent then starts at that height), its text says how long it ran
 * and why; the text ladder still gives the planned expiry and adds the stop.
 * A re-armed one is followed by the next bracket from where it stopped. */
static void test_timer_stop(void **st)
{
	(void)st;
	ladder *l = ladder_new("stopped timers");
	ladder_lane_add(l, "client", C_ADDR, false);
	ladder_lane_add(l, "server", S_ADDR, false);
	ladder_seg s = { .from = 0, .to = 1, .t_sent = 0, .t_recv = 100 * US, .saddr = C_ADDR, .daddr = S_ADDR,
			 .sport = C_PORT, .dport = S_PORT, .flags = LADDER_SYN, .seq = C_ISN };
	ladder_seg_add(l, &s);
	ladder_note_add(l, LADDER_TIMER, 0, 1 * MS, 61 * S, 0, "FIN_WAIT2 timer", NULL);
	ladder_timer_stop(l, 0, 0, 50 * MS, true);   /* re-armed as TIME_WAIT */
	ladder_note_add(l, LADDER_TIMER, 0, 50 * MS, 61 * S, 0, "TIME_WAIT timer", NULL);
	ladder_timer_stop(l, 1, 0, 2 * S, false);    /* no timer on that lane: nothing */
	ladder_timer_stop(l, 0, 1, 2 * S, false);    /* nor of that connection */
	ladder_timer_stop(l, 0, 0, 3 * S, false);    /* taken over by tw_reuse */
	ladder_timer_stop(l, 0, 0, 4 * S, false);    /* stopped already: stays at 3 s */
	s.t_sent = 3 * S;
	s.t_recv = 3 * S + 100 * US;
	ladder_seg_add(l, &s);
	const ladder_note *n = &g_array_index(l->notes, ladder_note, 0);
	assert_int_equal(n->t_stop, 50 * MS);
	assert_true(n->restarted);
	n = &g_array_index(l->notes, ladder_note, 1);
	assert_int_equal(n->t_stop, 3 * S);
	assert_false(n->restarted);
	assert_int_equal(n->t_end, 61 * S);  /* what was planned stays */

	GBytes *b = view_svg(l);
	const char *x = g_bytes_get_data(b, NULL);
	double a1, a2, b1, b2;
	bracket_y(x, 0, &a1, &a2);
	bracket_y(x, 1, &b1, &b2);
	const char *p = strstr(x, "<g class=\"seg\"");
	assert_non_null(p);
	p = strstr(p + 1, "<g class=\"seg\"");
	assert_non_null(p);
	p = strstr(p, "y1=\"");
	assert_non_null(p);
	double seg2_y = atof(p + 4);
	assert_true(a2 > a1 && b2 > b1);
	assert_true(b2 == seg2_y);           /* cancelled where the second SYN leaves */
	assert_true(a2 == b1);               /* the re-armed timer goes on from there */
	assert_non_null(strstr(x, "TIME_WAIT timer 2.950 s, cancelled"));
	assert_non_null(strstr(x, "FIN_WAIT2 timer 49.000 ms, restarted"));
	assert_null(strstr(x, "61.000 s"));  /* the axis stops at 3 s, not the planned 61 s */
	g_bytes_unref(b);
	ladder_free(l);
}

/* Odd text survives: control characters and broken UTF-8 become '?', the
 * document still parses. */
static void test_svg_escapes(void **st)
{
	(void)st;
	ladder *l = ladder_new("bad \x01 bytes \xff\xfe here ]]> &amp;");
	ladder_lane_add(l, "a<b", 0, true);
	ladder_note_add(l, LADDER_RULE, 0, 0, 0, 0, "x & y < z", "f<g>");
	GBytes *b = view_svg(l);
	gsize n = 0;
	const char *x = g_bytes_get_data(b, &n);
	GMarkupParser p = { 0 };
	GMarkupParseContext *ctx = g_markup_parse_context_new(&p, 0, NULL, NULL);
	GError *err = NULL;
	if (!g_markup_parse_context_parse(ctx, x, (gssize)n, &err) || !g_markup_parse_context_end_parse(ctx, &err))
		fail_msg("%s", err->message);
	g_markup_parse_context_free(ctx);
	assert_true(g_utf8_validate(x, (gssize)n, NULL));
	assert_non_null(strstr(x, "bad ? bytes ?? here ]]&gt; &amp;amp;"));
	assert_non_null(strstr(x, "a&lt;b"));
	char *path = put("escapes.svg", b);
	char *xl[] = { "xmllint", "--noout", path, NULL };
	g_free(run(xl));
	g_free(path);
	g_bytes_unref(b);
	ladder_free(l);
}

/* ---- Mermaid ---- */

static void test_mermaid(void **st)
{
	(void)st;
	ladder *l = client_closes("client closes; final ACK lost #1");
	GBytes *b = view_mermaid(l);
	g_free(put("client-closes.mmd", b));
	assert_true(same_as_golden("tests/data/view/client-closes.mmd", b));
	/* one message per segment, the lost one with a cross; no raw ';' or
	 * '#' in any statement (Mermaid would cut it there) */
	gsize n = 0;
	char *txt = g_strndup(g_bytes_get_data(b, &n), g_bytes_get_size(b));
	char **lines = g_strsplit(txt, "\n", -1);
	unsigned msgs = 0, crosses = 0;
	for (char **ln = lines; *ln; ln++) {
		GRegex *re = g_regex_new("^    L[0-9]+(->>|-x)L[0-9]+: ", 0, 0, NULL);
		if (g_regex_match(re, *ln, 0, NULL)) {
			msgs++;
			crosses += strstr(*ln, "-xL") != NULL;
		}
		g_regex_unref(re);
		for (const char *c = *ln; *c; c++) {
			if (*c == '#') {  /* an entity code: '#', digits, ';' */
				const char *d = c + 1;
				while (g_ascii_isdigit(*d))
					d++;
				assert_true(d > c + 1 && *d == ';');
				c = d;
			} else {
				assert_true(*c != ';');
			}
		}
	}
	assert_int_equal(msgs, l->segs->len);
	assert_int_equal(crosses, 1);
	assert_non_null(strstr(txt, "\n    Note over L0,L2: 60.000 s later\n    Note over L0: CLOSED\n"));
	assert_true(g_str_has_prefix(txt, "sequenceDiagram\n"));
	g_strfreev(lines);
	g_free(txt);
	g_bytes_unref(b);
	ladder_free(l);
}

/* mscgen: the same diagram; mscgen itself draws it (a syntax error or an
 * unknown entity would stop it). */
static void test_mscgen(void **st)
{
	(void)st;
	ladder *l = client_closes("client closes \"quoted\" \\ back");
	GBytes *b = view_mscgen(l);
	char *path = put("client-closes.msc", b);
	assert_true(same_as_golden("tests/data/view/client-closes.msc", b));
	const char *txt = g_bytes_get_data(b, NULL);
	unsigned arcs = 0, lost = 0;
	for (const char *p = txt; (p = strstr(p, " => ")); p++)
		arcs++;
	for (const char *p = txt; (p = strstr(p, " -x ")); p++)
		lost++;
	assert_int_equal(arcs + lost, l->segs->len);
	assert_int_equal(lost, 1);
	/* the 60 s TIME_WAIT is left out, once */
	assert_non_null(strstr(txt, "  ... [label=\"60.000 s later\"];\n"));
	assert_null(strstr(strstr(txt, "  ... ") + 1, "  ... "));
	char *png = g_build_filename(tmpdir, "client-closes-msc.png", NULL);
	char *argv[] = { "mscgen", "-T", "png", "-i", path, "-o", png, NULL };
	g_free(run(argv));
	GStatBuf sb;
	assert_int_equal(g_stat(png, &sb), 0);
	assert_true(sb.st_size > 5000);
	g_free(png);
	g_free(path);
	g_bytes_unref(b);
	ladder_free(l);
}

/* ---- pcap, read back by tshark ---- */

static int by_sent(gconstpointer a, gconstpointer b)
{
	const ladder_seg *x = *(ladder_seg *const *)a, *y = *(ladder_seg *const *)b;
	return (x->t_sent > y->t_sent) - (x->t_sent < y->t_sent);
}

static void test_pcap(void **st)
{
	(void)st;
	ladder *l = client_closes("pcap");
	GBytes *b = view_pcap(l);
	GBytes *again = view_pcap(l);
	assert_true(g_bytes_equal(b, again));  /* no wall clock in the file */
	g_bytes_unref(again);
	char *path = put("client-closes.pcap", b);
	char *ts[] = { "tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		       "-T", "fields", "-E", "separator=,",
		       "-e", "frame.time_epoch", "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.srcport", "-e", "tcp.dstport",
		       "-e", "tcp.flags", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw",
		       "-e", "tcp.options.timestamp.tsval", "-e", "tcp.options.timestamp.tsecr",
		       "-e", "ip.checksum.status", "-e", "tcp.checksum.status", NULL };
	char *out = run(ts);
	char **rows = g_strsplit(g_strchomp(out), "\n", -1);
	assert_int_equal(g_strv_length(rows), l->segs->len);

	/* the packets in the order sent (the stable sort keeps ties in ladder
	 * order, as view_pcap does) */
	GPtrArray *order = g_ptr_array_new();
	for (guint i = 0; i < l->segs->len; i++)
		g_ptr_array_add(order, &g_array_index(l->segs, ladder_seg, i));
	/* g_ptr_array_sort is a merge sort: stable */
	g_ptr_array_sort(order, by_sent);
	unsigned tw_era = 0;
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = g_ptr_array_index(order, i);
		char **f = g_strsplit(rows[i], ",", -1);
		assert_int_equal(g_strv_length(f), 12);
		/* time: nanoseconds since the trace began, from the epoch */
		char *want_t = g_strdup_printf("%" PRId64 ".%09" PRId64, (int64_t)(s->t_sent / S), (int64_t)(s->t_sent % S));
		assert_string_equal(f[0], want_t);
		char a[16];
		snprintf(a, sizeof a, "%u.%u.%u.%u", s->saddr >> 24, (s->saddr >> 16) & 255, (s->saddr >> 8) & 255,
			 s->saddr & 255);
		assert_string_equal(f[1], a);
		snprintf(a, sizeof a, "%u.%u.%u.%u", s->daddr >> 24, (s->daddr >> 16) & 255, (s->daddr >> 8) & 255,
			 s->daddr & 255);
		assert_string_equal(f[2], a);
		assert_int_equal(atoi(f[3]), s->sport);
		assert_int_equal(atoi(f[4]), s->dport);
		assert_int_equal(strtoul(f[5], NULL, 16), s->flags);
		assert_int_equal(strtoul(f[6], NULL, 10), s->seq);
		assert_int_equal(strtoul(f[7], NULL, 10), (s->flags & LADDER_ACK) ? s->ack : 0);
		assert_int_equal(strtoul(f[8], NULL, 10), s->tsval);
		assert_int_equal(strtoul(f[9], NULL, 10), s->tsecr);
		/* tshark's checksum status: 1 good (0 bad, 2 unverified) */
		assert_string_equal(f[10], "1");
		assert_string_equal(f[11], "1");
		/* the TIME_WAIT era: the server's retransmitted FIN and the
		 * ACK the client's TIME_WAIT answers it with */
		tw_era += s->t_sent > 200 * MS && (s->tsval == 7221 || s->tsval == 321);
		g_free(want_t);
		g_strfreev(f);
	}
	assert_int_equal(tw_era, 4);
	/* the NAT's rewrite shows between the two wires */
	assert_non_null(strstr(out, "10.0.0.2,198.51.100.16,40002,80,0x0002"));
	assert_non_null(strstr(out, "203.0.113.1,198.51.100.16,61000,80,0x0002"));
	g_ptr_array_free(order, TRUE);
	g_strfreev(rows);
	g_free(out);
	g_free(path);
	g_bytes_unref(b);
	ladder_free(l);
}

/* ---- packetdrill ---- */

/* The lines packetdrill's grammar (parser.y) takes that the export writes:
 * a time ("0", "+0", "+0.0005") then a packet or a system call; comments,
 * blank lines and `shell commands`. */
static void check_packetdrill_lines(const char *txt)
{
	GRegex *pkt = g_regex_new("^ *(0|\\+[0-9]+(\\.[0-9]+)?) [<>] [FSRP.]+ [0-9]+:[0-9]+\\(0\\)( ack [0-9]+)?"
				  "( win [0-9]+)?( <(mss 1460,sackOK,TS val [0-9]+ ecr [0-9]+,nop,wscale 8"
				  "|mss 1460,nop,nop,sackOK,nop,wscale 8|nop,nop,TS val [0-9]+ ecr [0-9]+)>)?$",
				  0, 0, NULL);
	GRegex *call = g_regex_new("^ *(0|\\+[0-9]+(\\.[0-9]+)?) ("
				   "socket\\(\\.\\.\\., SOCK_STREAM, IPPROTO_TCP\\) = [0-9]+"
				   "|fcntl\\([0-9]+, F_SETFL, O_RDWR\\|O_NONBLOCK\\) = 0"
				   "|connect\\([0-9]+, \\.\\.\\., \\.\\.\\.\\) = -1 EINPROGRESS \\(Operation now in progress\\)"
				   "|close\\([0-9]+\\) = 0|shutdown\\([0-9]+, SHUT_(WR|RD|RDWR)\\) = 0"
				   "|bind\\([0-9]+, \\.\\.\\., \\.\\.\\.\\) = 0"
				   "|setsockopt\\([0-9]+, SOL_SOCKET, SO_LINGER, \\{onoff=1, linger=[0-9]+\\}, 8\\) = 0"
				   "|setsockopt\\([0-9]+, SOL_SOCKET, SO_REUSEADDR, \\[1\\], 4\\) = 0)$",
				   0, 0, NULL);
	char **lines = g_strsplit(txt, "\n", -1);
	unsigned timed = 0;
	for (char **ln = lines; *ln; ln++) {
		if (!**ln || g_str_has_prefix(*ln, "//") || (**ln == '`' && g_str_has_suffix(*ln, "`")))
			continue;
		if (!g_regex_match(pkt, *ln, 0, NULL) && !g_regex_match(call, *ln, 0, NULL))
			fail_msg("not packetdrill: '%s'", *ln);
		/* the first timed line is absolute 0, every later one relative */
		const char *t = *ln + strspn(*ln, " ");
		assert_true(timed++ == 0 ? !strncmp(t, "0 ", 2) : *t == '+');
	}
	assert_true(timed > 0);
	g_strfreev(lines);
	g_regex_unref(pkt);
	g_regex_unref(call);
}

static void dry_run(const char *path)
{
	const char *pd = g_getenv("PACKETDRILL");
	if (!pd || !*pd)
		return;
	char *argv[] = { (char *)pd, "--dry_run", (char *)path, NULL };
	g_free(run(argv));
}

static void test_packetdrill(void **st)
{
	(void)st;
	ladder *l = client_closes("client closes; the final ACK is lost");
	GBytes *b = view_packetdrill(l, 0);
	assert_non_null(b);
	g_free(put("client-closes.pkt", b));
	assert_true(same_as_golden("tests/data/view/client-closes.pkt", b));
	gsize n = 0;
	char *txt = g_strndup(g_bytes_get_data(b, &n), g_bytes_get_size(b));
	check_packetdrill_lines(txt);
	/* the client's segments: every one it sent, every one it received */
	unsigned out = 0, in = 0;
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		out += s->from == CLIENT;
		in += s->to == CLIENT && s->t_recv >= 0;
	}
	unsigned got_out = 0, got_in = 0;
	for (const char *p = txt; (p = strstr(p, " > ")); p++)
		got_out++;
	for (const char *p = txt; (p = strstr(p, " < ")); p++)
		got_in++;
	assert_int_equal(got_out, out);
	assert_int_equal(got_in, in);
	char *path = g_build_filename(tmpdir, "client-closes.pkt", NULL);
	dry_run(path);
	/* no connection 7; no client segment at all */
	assert_null(view_packetdrill(l, 7));
	g_free(path);
	g_free(txt);
	g_bytes_unref(b);
	ladder_free(l);
}

/* Two connections from the same port, the second taking over the first's
 * TIME_WAIT (tw_reuse, tcp_twsk_unique), an RST close by SO_LINGER 0 and a
 * lost injected segment: one socket per connection, the calls the notes
 * name, the lost segment a comment only. */
static void test_packetdrill_two(void **st)
{
	(void)st;
	ladder *l = ladder_new("tw_reuse takes a TIME_WAIT port");
	ladder_lane_add(l, "client", C_ADDR, false);
	ladder_lane_add(l, "server", S_ADDR, false);
	struct {
		unsigned conn, from;
		int64_t t, tr;
		uint8_t f;
		uint32_t seq, ack, tv, te;
		const char *drop;
	} segs[] = {
		{ 0, 0, 0, 100 * US, LADDER_SYN, 1, 0, 10, 0, NULL },
		{ 0, 1, 100 * US, 200 * US, LADDER_SYN | LADDER_ACK, 9, 2, 50, 10, NULL },
		{ 0, 0, 200 * US, 300 * US, LADDER_ACK, 2, 10, 10, 50, NULL },
		{ 0, 0, 5 * MS, 5 * MS + 100 * US, LADDER_FIN | LADDER_ACK, 2, 10, 15, 50, NULL },
		{ 0, 1, 5 * MS + 100 * US, 5 * MS + 200 * US, LADDER_FIN | LADDER_ACK, 10, 3, 60, 15, NULL },
		{ 0, 0, 5 * MS + 200 * US, 5 * MS + 300 * US, LADDER_ACK, 3, 11, 15, 60, NULL },
		{ 1, 0, 1 * S + 6 * MS, 1 * S + 6 * MS + 100 * US, LADDER_SYN, 777, 0, 1016, 0, NULL },
		{ 1, 1, 1 * S + 6 * MS + 100 * US, -1, LADDER_SYN | LADDER_ACK, 5, 778, 2000, 1016, "lost (staged)" },
		{ 1, 1, 2 * S, 2 * S + 100 * US, LADDER_SYN | LADDER_ACK, 5, 778, 3000, 1016, NULL },
		{ 1, 0, 2 * S + 100 * US, 2 * S + 200 * US, LADDER_ACK, 778, 6, 2000, 3000, NULL },
		{ 1, 0, 2 * S + 1 * MS, 2 * S + 1 * MS + 100 * US, LADDER_RST | LADDER_ACK, 778, 6, 2001, 3000, NULL },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(segs); i++) {
		bool f = segs[i].from == 0;
		ladder_seg s = { .from = segs[i].from, .to = 1 - segs[i].from, .t_sent = segs[i].t, .t_recv = segs[i].tr,
				 .drop_why = (char *)segs[i].drop, .saddr = f ? C_ADDR : S_ADDR, .daddr = f ? S_ADDR : C_ADDR,
				 .sport = f ? C_PORT : S_PORT, .dport = f ? S_PORT : C_PORT, .flags = segs[i].f,
				 .seq = segs[i].seq, .ack = segs[i].ack, .has_ts = true, .tsval = segs[i].tv,
				 .tsecr = segs[i].te, .conn = segs[i].conn };
		ladder_seg_add(l, &s);
	}
	ladder_note_add(l, LADDER_APP, 0, 0, 0, 0, "connect()", NULL);
	ladder_note_add(l, LADDER_APP, 0, 5 * MS, 5 * MS, 0, "close()", NULL);
	ladder_note_add(l, LADDER_APP, 0, 1 * S + 6 * MS, 1 * S + 6 * MS, 1, "setsockopt(SO_LINGER, 0)", NULL);
	ladder_note_add(l, LADDER_RULE, 0, 1 * S + 6 * MS, 1 * S + 6 * MS, 1, "port 40002 taken over from a TIME_WAIT",
			"tcp_twsk_unique");
	ladder_note_add(l, LADDER_APP, 0, 2 * S + 1 * MS, 2 * S + 1 * MS, 1, "close()", NULL);
	ladder_note_add(l, LADDER_APP, 0, 2 * S + 2 * MS, 2 * S + 2 * MS, 1, "read() returns 0", NULL);

	GBytes *b = view_packetdrill(l, -1);
	assert_non_null(b);
	g_free(put("tw-reuse.pkt", b));
	assert_true(same_as_golden("tests/data/view/tw-reuse.pkt", b));
	gsize n = 0;
	char *txt = g_strndup(g_bytes_get_data(b, &n), g_bytes_get_size(b));
	check_packetdrill_lines(txt);
	/* the second connection's SYN had no connect() note: one is made */
	assert_non_null(strstr(txt, "socket(..., SOCK_STREAM, IPPROTO_TCP) = 4"));
	assert_non_null(strstr(txt, "connect(4, ..., ...)"));
	assert_non_null(strstr(txt, "setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0"));
	assert_non_null(strstr(txt, "// SYN-ACK to the client dropped on the way (lost (staged))"));
	assert_non_null(strstr(txt, "> R. 1:1(0) ack 1"));
	char *path = g_build_filename(tmpdir, "tw-reuse.pkt", NULL);
	dry_run(path);
	/* its SVG: two connections, a lost segment right to left */
	GBytes *svg = view_svg(l);
	char *sp = put("tw-reuse.svg", svg);
	char *xl[] = { "xmllint", "--noout", sp, NULL };
	g_free(run(xl));
	assert_non_null(strstr(g_bytes_get_data(svg, NULL), "class=\"seg lost\""));
	g_free(sp);
	g_bytes_unref(svg);
	/* one connection alone: only its socket */
	GBytes *one = view_packetdrill(l, 1);
	gsize m = 0;
	char *t1 = g_strndup(g_bytes_get_data(one, &m), g_bytes_get_size(one));
	check_packetdrill_lines(t1);
	assert_null(strstr(t1, "= 4"));
	assert_non_null(strstr(t1, "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3"));
	assert_null(strstr(strstr(t1, "socket(") + 1, "socket("));
	assert_non_null(strstr(t1, "> R. 1:1(0) ack 1"));
	assert_null(strstr(t1, "TS val 15 "));  /* nothing of connection 0 */
	g_free(t1);
	g_bytes_unref(one);
	g_free(path);
	g_free(txt);
	g_bytes_unref(b);
	ladder_free(l);
}

/* view_write: whole or nothing; a directory that cannot be written fails
 * with a message and leaves nothing. */
static void test_write(void **st)
{
	(void)st;
	GBytes *b = g_bytes_new_static("abc", 3);
	char *bad = g_build_filename(tmpdir, "no", "such", "dir", "x.svg", NULL);
	GError *err = NULL;
	assert_false(view_write(bad, b, &err));
	assert_non_null(err);
	g_error_free(err);
	char *p = put("x.txt", b);
	char *s = NULL;
	assert_true(g_file_get_contents(p, &s, NULL, NULL));
	assert_string_equal(s, "abc");
	g_free(s);
	g_free(p);
	g_free(bad);
	g_bytes_unref(b);
}

/* view_write_files: every wanted view or none. */
static void test_write_files(void **st)
{
	(void)st;
	ladder *l = client_closes("all or none");
	char *svg = g_build_filename(tmpdir, "all.svg", NULL), *mmd = g_build_filename(tmpdir, "all.mmd", NULL);
	char *pcap = g_build_filename(tmpdir, "all.pcap", NULL), *pkt = g_build_filename(tmpdir, "all.pkt", NULL);
	char *bad = g_build_filename(tmpdir, "missing", "all.msc", NULL);
	GError *err = NULL;
	/* one file cannot be created: none is left */
	view_files f = { svg, mmd, bad, pcap, pkt, 0 };
	assert_false(view_write_files(l, &f, &err));
	assert_non_null(strstr(err->message, "missing"));
	g_clear_error(&err);
	assert_false(g_file_test(svg, G_FILE_TEST_EXISTS) || g_file_test(pcap, G_FILE_TEST_EXISTS));
	/* no client segment in connection 3: none is left, the file named */
	view_files g = { svg, NULL, NULL, pcap, pkt, 3 };
	assert_false(view_write_files(l, &g, &err));
	assert_non_null(strstr(err->message, "all.pkt: the client has no segment of connection 3"));
	assert_true(g_error_matches(err, VIEW_ERROR, VIEW_ERROR_EMPTY));
	g_clear_error(&err);
	assert_false(g_file_test(svg, G_FILE_TEST_EXISTS) || g_file_test(pcap, G_FILE_TEST_EXISTS));
	/* all: each file is what its view renders */
	view_files h = { svg, mmd, NULL, pcap, pkt, 0 };
	assert_true(view_write_files(l, &h, &err));
	GBytes *want[] = { view_svg(l), view_mermaid(l), view_pcap(l), view_packetdrill(l, 0) };
	const char *paths[] = { svg, mmd, pcap, pkt };
	for (int i = 0; i < 4; i++) {
		char *got = NULL;
		gsize n = 0;
		assert_true(g_file_get_contents(paths[i], &got, &n, NULL));
		GBytes *gb = g_bytes_new_take(got, n);
		assert_true(g_bytes_equal(gb, want[i]));
		g_bytes_unref(gb);
		g_bytes_unref(want[i]);
	}
	g_free(svg);
	g_free(mmd);
	g_free(pcap);
	g_free(pkt);
	g_free(bad);
	ladder_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rel_seq),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_svg_escapes),
		cmocka_unit_test(test_timer_stop),
		cmocka_unit_test(test_mermaid),
		cmocka_unit_test(test_mscgen),
		cmocka_unit_test(test_pcap),
		cmocka_unit_test(test_packetdrill),
		cmocka_unit_test(test_packetdrill_two),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_write_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
