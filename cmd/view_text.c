/*
 * view_text: the terminal ladder (view_text.h).  Segments are listed at the
 * instant they were sent, notes at theirs; at one instant, what one event
 * recorded comes before what later ones did, and of one event's records the
 * notes come first (the state a segment leaves behind, then the segment),
 * then the segments, each in the order recorded.  (A box that is a host's
 * own conntrack passes a segment on at the instant it sees it: the
 * receiver's records follow the box's.)  Sequence and acknowledgment
 * numbers are relative to the first SYN each end of the connection sent,
 * as Wireshark shows them; timestamps are as on the wire.
 */
#include "cmd/view_text.h"

#include <stdint.h>
#include <string.h>

#define RESET "\033[0m"

static const char *col(bool on, const char *code)
{
	return on ? code : "";
}

static void flags_str(uint8_t f, char *buf, size_t n)
{
	buf[0] = 0;
	static const struct { uint8_t bit; const char *name; } names[] = {
		{ LADDER_SYN, "SYN" }, { LADDER_FIN, "FIN" }, { LADDER_RST, "RST" }, { LADDER_PSH, "PSH" },
		{ LADDER_ACK, "ACK" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (f & names[i].bit) {
			if (buf[0])
				g_strlcat(buf, "+", n);
			g_strlcat(buf, names[i].name, n);
		}
}

static void addr_str(uint32_t a, char *buf, size_t n)
{
	g_snprintf(buf, n, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

/* The first SYN each end of each connection sent: [conn][0] from the
 * client side (left to right), [conn][1] from the server side. */
typedef struct base {
	bool have[2];
	uint32_t isn[2];
} base;

static GArray *bases(const ladder *l)
{
	GArray *b = g_array_new(FALSE, TRUE, sizeof(base));
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		if (s->conn >= b->len)
			g_array_set_size(b, s->conn + 1);
		base *x = &g_array_index(b, base, s->conn);
		int d = s->from > s->to;
		if ((s->flags & LADDER_SYN) && !x->have[d]) {
			x->have[d] = true;
			x->isn[d] = s->seq;
		}
	}
	return b;
}

static void seq_str(const base *x, int d, uint32_t v, char *buf, size_t n)
{
	if (x && x->have[d])
		g_snprintf(buf, n, "%u", v - x->isn[d]);
	else
		g_snprintf(buf, n, "%u", v);
}

static unsigned nconns(const ladder *l)
{
	unsigned n = 0;
	for (guint i = 0; i < l->segs->len; i++)
		n = MAX(n, g_array_index(l->segs, ladder_seg, i).conn + 1);
	for (guint i = 0; i < l->notes->len; i++)
		n = MAX(n, g_array_index(l->notes, ladder_note, i).conn + 1);
	return n;
}

static void put_seg(const ladder *l, const ladder_seg *s, const GArray *bs, bool color, bool many, GString *o)
{
	const char *from = g_array_index(l->lanes, ladder_lane, s->from).name;
	const char *to = g_array_index(l->lanes, ladder_lane, s->to).name;
	char fl[32], sq[16], ak[16];
	flags_str(s->flags, fl, sizeof fl);
	const base *x = s->conn < bs->len ? &g_array_index(bs, base, s->conn) : NULL;
	int d = s->from > s->to;
	seq_str(x, d, s->seq, sq, sizeof sq);
	g_string_append_printf(o, "%12.6f  %s%-8s -> %-8s %-8s seq %-6s", (double)s->t_sent / 1e9,
			       col(color, s->t_recv < 0 ? "\033[31m" : "\033[36m"), from, to, fl, sq);
	if (s->flags & LADDER_ACK) {
		seq_str(x, !d, s->ack, ak, sizeof ak);
		g_string_append_printf(o, " ack %-6s", ak);
	} else {
		g_string_append_printf(o, " %-10s", "");
	}
	if (s->has_ts)
		g_string_append_printf(o, " TSval %u TSecr %u", s->tsval, s->tsecr);
	if (s->t_recv < 0)
		g_string_append_printf(o, "  X %s", s->drop_why ? s->drop_why : "dropped");
	else
		g_string_append_printf(o, "  (at %.6f)", (double)s->t_recv / 1e9);
	if (many)
		g_string_append_printf(o, "  [#%u]", s->conn + 1);
	g_string_append_printf(o, "%s\n", col(color, RESET));
}

static void put_note(const ladder *l, const ladder_note *n, bool color, bool many, GString *o)
{
	const char *lane = g_array_index(l->lanes, ladder_lane, n->lane).name;
	static const char *const codes[] = {
		[LADDER_STATE] = "\033[32m", [LADDER_CT] = "\033[35m", [LADDER_RULE] = "\033[33m",
		[LADDER_TIMER] = "\033[34m", [LADDER_APP] = "\033[1m",
	};
	g_string_append_printf(o, "%12.6f  %s%-8s    ", (double)n->t / 1e9, col(color, codes[n->kind]), lane);
	switch (n->kind) {
	case LADDER_STATE:
		g_string_append_printf(o, "state %s", n->text);
		break;
	case LADDER_CT:
		g_string_append_printf(o, "conntrack %s", n->text);
		break;
	case LADDER_RULE:
		if (n->func)
			g_string_append_printf(o, "rule: %s (%s)", n->text, n->func);
		else
			g_string_append(o, n->text);
		break;
	case LADDER_TIMER:
		g_string_append_printf(o, "%s: fires at %.6f (in %.6f s)", n->text, (double)n->t_end / 1e9,
				       (double)(n->t_end - n->t) / 1e9);
		if (n->t_stop >= 0)
			g_string_append_printf(o, "; %s at %.6f", n->restarted ? "restarted" : "cancelled",
					       (double)n->t_stop / 1e9);
		break;
	case LADDER_APP:
		g_string_append(o, n->text);
		break;
	}
	if (many)
		g_string_append_printf(o, "  [#%u]", n->conn + 1);
	g_string_append_printf(o, "%s\n", col(color, RESET));
}

void view_text(const ladder *l, bool color, GString *o)
{
	g_string_append_printf(o, "%s%s%s\n", col(color, "\033[1m"), l->title, col(color, RESET));
	g_string_append(o, "lanes:");
	for (guint i = 0; i < l->lanes->len; i++) {
		const ladder_lane *ln = &g_array_index(l->lanes, ladder_lane, i);
		char a[16];
		addr_str(ln->addr, a, sizeof a);
		g_string_append_printf(o, "%s %s%s%s", i ? "," : "", ln->name, ln->addr ? " " : "", ln->addr ? a : "");
	}
	g_string_append(o, "\ntime (s), lane, event; seq/ack relative to each end's SYN; (at T): arrival\n\n");
	GArray *bs = bases(l);
	bool many = nconns(l) > 1;
	guint si = 0, ni = 0;
	while (si < l->segs->len || ni < l->notes->len) {
		const ladder_seg *s = si < l->segs->len ? &g_array_index(l->segs, ladder_seg, si) : NULL;
		const ladder_note *n = ni < l->notes->len ? &g_array_index(l->notes, ladder_note, ni) : NULL;
		if (n && (!s || n->t < s->t_sent || (n->t == s->t_sent && n->step <= s->step))) {
			put_note(l, n, color, many, o);
			ni++;
		} else {
			put_seg(l, s, bs, color, many, o);
			si++;
		}
	}
	g_array_free(bs, TRUE);
}
