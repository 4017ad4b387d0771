/*
 * view_svg: the ladder as an SVG picture for slides.
 *
 * Lanes are vertical lines, left to right as in the ladder, with the name
 * and address on top; time runs downward.  A segment is an arrow from its
 * sender's lane at t_sent to its receiver's at t_recv, labelled with its
 * flags, relative seq/ack and TSval/TSecr; a dropped one stops part way in a
 * red cross with the reason.  States (blue), conntrack entries (yellow,
 * dashed) and application calls (white, monospace) are boxes on their lane;
 * a timer is a bracket along its lane from t to t_end; rules are small text
 * in a column on the right, joined to their lane by a dotted leader.
 *
 * The time axis.  A trace mixes a handshake of a few hundred microseconds
 * with a 60 s TIME_WAIT: any linear scale either squeezes the handshake into
 * one pixel or makes the picture kilometres tall.  So the axis is drawn
 * instant by instant.  Each instant at which something happens is a band:
 * segments arrive at its top, the notes of that instant (the states they
 * cause, the calls, the rules) stack inside it, and segments sent at that
 * instant leave from its bottom: arrive, decide, answer.  Between two
 * instants the step grows with the logarithm of the gap (10 us -> 22 px,
 * 100 us -> 35 px, 1 ms -> 58 px, 100 ms -> 106 px), so an arrow's slope
 * still says how long it took, a longer delay sloping more; and a gap
 * longer than one second is cut out of the axis: a short band across the
 * lanes, dashed and labelled with the time skipped, as a broken axis in a
 * printed figure.  The real time of every instant is on the axis on the
 * left.  Labels run along their arrow, flags above it, timestamps below.
 * A segment that reaches the next lane at the instant it leaves (a host's
 * own conntrack passes it on at once) cuts its instant in two after the
 * step (engine event) that sent it: what the later steps record stands in
 * a band below, PART_STEP down, so that the arrow goes down to it.
 */
#include "cmd/view.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/bug.h"

enum {
	AXIS_W = 92,          /* time labels, right-aligned at AXIS_W - 8 */
	LANE0_X = AXIS_W + 96, /* room on the left of lane 0 for its timers */
	LANE_GAP = 270,
	TOP = 96,             /* the lanes' headers end here */
	BOX_H = 17,           /* a state, conntrack or call box, with its gap */
	RULE_H = 13,          /* a line of the rule column */
	MIN_STEP = 22,        /* between two instants: room for an arrow's label */
	PART_STEP = 40,       /* between two parts of one instant: its label clear of the boxes it reaches */
	BREAK_H = 52,         /* the band that stands for a cut-out gap */
	DEPART_PAD = 10,      /* below an instant's notes, before what leaves */
	LOST_DROP = 20,       /* how far a dropped segment's line falls */
	LOST_H = 40,          /* its line, cross and labels below where it leaves */
	FONT = 11,
};
#define BREAK_NS 1000000000LL  /* gaps longer than this are cut out */

/* XML text or attribute value: the five special characters as entities;
 * bytes XML 1.0 cannot carry (control characters, broken UTF-8) as '?'. */
static void esc(GString *o, const char *s)
{
	if (!s)
		return;
	const char *end = s + strlen(s);
	while (s < end) {
		gunichar c = g_utf8_get_char_validated(s, end - s);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_c(o, '?');
			s++;
			continue;
		}
		const char *next = g_utf8_next_char(s);
		switch (c) {
		case '&': g_string_append(o, "&amp;"); break;
		case '<': g_string_append(o, "&lt;"); break;
		case '>': g_string_append(o, "&gt;"); break;
		case '"': g_string_append(o, "&quot;"); break;
		case '\'': g_string_append(o, "&apos;"); break;
		default:
			if (c < 0x20 && c != '\t')
				g_string_append_c(o, '?');
			else
				g_string_append_len(o, s, next - s);
		}
		s = next;
	}
}

/* The width a text takes in the sans-serif font at size px, roughly: enough
 * to size a box around it. */
static double text_w(const char *s, double px)
{
	return (s ? (double)g_utf8_strlen(s, -1) : 0) * px * 0.58;
}

static void addr_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* ---- the time axis ---- */

/* A band of the axis: instant t, or its part-th part when it is cut. */
typedef struct moment {
	int64_t t;
	uint32_t part;
} moment;

typedef struct axis {
	GArray *m;       /* moment: ascending, distinct */
	GArray *y;       /* double pairs: each moment's band, top and bottom */
	GArray *brk;     /* double pairs: y where a cut-out band starts, its gap in ns */
	GArray *cuts;    /* cut: where instants are cut */
} axis;

/* Instant t is cut after step: a segment sent then reached the next lane
 * at t. */
typedef struct cut {
	int64_t t;
	uint64_t step;
} cut;

static gint cmp_moment(gconstpointer a, gconstpointer b)
{
	const moment *x = a, *y = b;
	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return (x->part > y->part) - (x->part < y->part);
}

/* The part of instant t that a record of step belongs to: how many of t's
 * cuts come before it. */
static uint32_t part_of(const axis *ax, int64_t t, uint64_t step)
{
	uint32_t p = 0;
	for (guint i = 0; i < ax->cuts->len; i++) {
		const cut *c = &g_array_index(ax->cuts, cut, i);
		p += c->t == t && c->step < step;
	}
	return p;
}

static moment seg_sent(const axis *ax, const ladder_seg *s)
{
	return (moment){ s->t_sent, part_of(ax, s->t_sent, s->step) };
}

static moment seg_recv(const axis *ax, const ladder_seg *s)
{
	return (moment){ s->t_recv, part_of(ax, s->t_recv, s->step_recv) };
}

static moment note_at(const axis *ax, const ladder_note *n)
{
	return (moment){ n->t, part_of(ax, n->t, n->step) };
}

static bool same(moment a, moment b)
{
	return a.t == b.t && a.part == b.part;
}

static guint moment_index(const axis *ax, moment m)
{
	guint lo = 0, hi = ax->m->len;
	while (lo < hi) {
		guint mid = (lo + hi) / 2;
		if (cmp_moment(&g_array_index(ax->m, moment, mid), &m) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	BUG_ON(lo >= ax->m->len || !same(g_array_index(ax->m, moment, lo), m));
	return lo;
}

/* Where segments arrive at m, and where they leave. */
static double y_top(const axis *ax, moment m)
{
	return g_array_index(ax->y, double, 2 * moment_index(ax, m));
}

static double y_bot(const axis *ax, moment m)
{
	return g_array_index(ax->y, double, 2 * moment_index(ax, m) + 1);
}

/* Boxes (states, conntrack entries, calls) are drawn on their lane. */
static bool is_box(ladder_note_kind k)
{
	return k == LADDER_STATE || k == LADDER_CT || k == LADDER_APP;
}

/* The height of m's band: its boxes stacked on the busiest lane, its rules
 * stacked in the column; 0 when it has neither. */
static double room_below(const ladder *l, const axis *ax, moment m)
{
	unsigned nl = l->lanes->len;
	unsigned *boxes = g_new0(unsigned, nl ? nl : 1);
	unsigned rules = 0, most = 0;
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		if (!same(note_at(ax, n), m))
			continue;
		if (is_box(n->kind) && ++boxes[n->lane] > most)
			most = boxes[n->lane];
		rules += n->kind == LADDER_RULE;
	}
	g_free(boxes);
	double a = most ? most * BOX_H + 4 : 0, b = rules ? rules * RULE_H + 4 : 0;
	return a > b ? a : b;
}

/* A segment leaves at m (only dropped ones: lost). */
static bool departs_at(const ladder *l, const axis *ax, moment m, bool lost)
{
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		if (same(seg_sent(ax, s), m) && (!lost || s->t_recv < 0))
			return true;
	}
	return false;
}

static axis axis_build(const ladder *l)
{
	axis ax = { g_array_new(FALSE, FALSE, sizeof(moment)), g_array_new(FALSE, FALSE, sizeof(double)),
		    g_array_new(FALSE, FALSE, sizeof(double)), g_array_new(FALSE, FALSE, sizeof(moment)) };
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		if (s->t_recv == s->t_sent) {
			cut c = { s->t_sent, s->step };
			bool known = false;
			for (guint j = 0; j < ax.cuts->len && !known; j++) {
				const cut *d = &g_array_index(ax.cuts, cut, j);
				known = d->t == c.t && d->step == c.step;
			}
			if (!known)
				g_array_append_val(ax.cuts, c);
		}
	}
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		moment m = seg_sent(&ax, s);
		g_array_append_val(ax.m, m);
		if (s->t_recv >= 0) {
			m = seg_recv(&ax, s);
			g_array_append_val(ax.m, m);
		}
	}
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		moment m = note_at(&ax, n);
		g_array_append_val(ax.m, m);
		if (n->kind == LADDER_TIMER) {
			moment e = { n->t_stop >= 0 ? n->t_stop : n->t_end, 0 };
			g_array_append_val(ax.m, e);
		}
	}
	g_array_sort(ax.m, cmp_moment);
	guint w = 0;
	for (guint i = 0; i < ax.m->len; i++)
		if (w == 0 || !same(g_array_index(ax.m, moment, i), g_array_index(ax.m, moment, w - 1)))
			g_array_index(ax.m, moment, w++) = g_array_index(ax.m, moment, i);
	g_array_set_size(ax.m, w);

	double y = TOP + 30;
	for (guint i = 0; i < w; i++) {
		moment m = g_array_index(ax.m, moment, i);
		if (i > 0) {
			int64_t dt = m.t - g_array_index(ax.m, moment, i - 1).t;
			if (dt > BREAK_NS) {
				double gap[2] = { y, (double)dt };
				g_array_append_vals(ax.brk, gap, 2);
				y += BREAK_H;
			} else if (dt == 0) {
				y += PART_STEP;
			} else {
				double step = 10 + 24 * log10(1 + dt / 1e4);
				y += step > MIN_STEP ? step : MIN_STEP;
			}
		}
		double room = room_below(l, &ax, m);
		/* what leaves at m leaves below the notes, its label clear of them */
		if (room > 0 && departs_at(l, &ax, m, false))
			room += DEPART_PAD;
		double band[2] = { y, y + room };
		g_array_append_vals(ax.y, band, 2);
		/* a dropped segment is drawn below where it leaves (its cross
		 * and labels): room for it before the next moment */
		y = band[1] + (departs_at(l, &ax, m, true) ? LOST_H : 0);
	}
	return ax;
}

static void axis_free(axis *ax)
{
	g_array_free(ax->m, TRUE);
	g_array_free(ax->cuts, TRUE);
	g_array_free(ax->y, TRUE);
	g_array_free(ax->brk, TRUE);
}

static double lane_x(unsigned lane)
{
	return LANE0_X + (double)lane * LANE_GAP;
}

/* ---- the parts of the picture ---- */

static void draw_header(GString *o, const ladder *l, double width, double bottom)
{
	g_string_append_printf(o, "<text x=\"%d\" y=\"28\" class=\"title\">", 16);
	esc(o, l->title);
	g_string_append(o, "</text>\n");
	for (guint i = 0; i < l->lanes->len; i++) {
		const ladder_lane *ln = &g_array_index(l->lanes, ladder_lane, i);
		double x = lane_x(i);
		char ab[16];
		g_string_append_printf(o, "<g class=\"lane\"><rect x=\"%.1f\" y=\"44\" width=\"140\" height=\"40\" rx=\"5\" class=\"%s\"/>",
				       x - 70, ln->box ? "hbox" : "host");
		g_string_append_printf(o, "<text x=\"%.1f\" y=\"60\" class=\"lname\">", x);
		esc(o, ln->name);
		g_string_append(o, "</text>");
		if (ln->addr) {
			addr_str(ln->addr, ab);
			g_string_append_printf(o, "<text x=\"%.1f\" y=\"76\" class=\"laddr\">%s</text>", x, ab);
		} else {
			g_string_append_printf(o, "<text x=\"%.1f\" y=\"76\" class=\"laddr\">%s</text>", x,
					       ln->box ? "(forwards)" : "");
		}
		g_string_append_printf(o, "<line x1=\"%.1f\" y1=\"84\" x2=\"%.1f\" y2=\"%.1f\" class=\"lline\"/></g>\n",
				       x, x, bottom);
	}
	(void)width;
}

/* A cut-out gap: a band that hides the lanes, dashed stubs in it, zigzags
 * at its edges and the time it stands for. */
static void draw_breaks(GString *o, const ladder *l, const axis *ax, double width)
{
	char tb[32];
	for (guint k = 0; k + 1 < ax->brk->len; k += 2) {
		double y0 = g_array_index(ax->brk, double, k) + 6;  /* below the band before */
		double gap = g_array_index(ax->brk, double, k + 1);
		double h = BREAK_H - 12, ym = y0 + h / 2;
		g_string_append_printf(o, "<g class=\"break\"><rect x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"band\"/>",
				       y0, width, h);
		/* each lane dotted through the band, crossed by the two slashes
		 * of a broken axis */
		for (guint i = 0; i < l->lanes->len; i++) {
			double x = lane_x(i);
			g_string_append_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"gapline\"/>",
					       x, y0, x, y0 + h);
			g_string_append_printf(o, "<path d=\"M%.1f %.1f l16 -6 M%.1f %.1f l16 -6\" class=\"zig\"/>",
					       x - 8, ym, x - 8, ym + 6);
		}
		g_string_append_printf(o, "<text x=\"%d\" y=\"%.1f\" class=\"gaptext\">%s later</text></g>\n",
				       AXIS_W - 8, ym + 4, view_span_str((int64_t)gap, tb));
	}
}

static void draw_axis(GString *o, const axis *ax)
{
	char tb[32];
	double last = -1e9;
	for (guint i = 0; i < ax->m->len; i++) {
		double y = g_array_index(ax->y, double, 2 * i);
		const moment *m = &g_array_index(ax->m, moment, i);
		/* one tick per instant, at its first part */
		if (y - last < 12 || (i > 0 && g_array_index(ax->m, moment, i - 1).t == m->t))
			continue;
		last = y;
		g_string_append_printf(o, "<text x=\"%d\" y=\"%.1f\" class=\"tick\">%s</text>\n", AXIS_W - 8, y + 4,
				       view_time_str(m->t, tb));
	}
}

/* Timers: a bracket from t to t_end (or t_stop) beside the lane (outside the ladder for
 * the last lane, on the left for the others), nested ones further out, the
 * text along it. */
static void draw_timers(GString *o, const ladder *l, const axis *ax)
{
	char tb[32];
	/* per lane, the end of the timers already placed at each depth */
	GArray *ends = g_array_new(FALSE, TRUE, sizeof(double));
	unsigned nl = l->lanes->len;
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		if (n->kind != LADDER_TIMER)
			continue;
		/* A stopped timer's bracket ends where it stopped, its text says
		 * how long it ran and what became of it. */
		int64_t end = n->t_stop >= 0 ? n->t_stop : n->t_end;
		double y1 = y_top(ax, note_at(ax, n)), y2 = y_top(ax, (moment){ end, 0 });
		unsigned depth = 0;
		for (;; depth++) {
			guint slot = depth * nl + n->lane;
			if (slot >= ends->len)
				g_array_set_size(ends, slot + 1);
			if (g_array_index(ends, double, slot) <= y1) {
				g_array_index(ends, double, slot) = y2 + 1;
				break;
			}
		}
		bool right = n->lane + 1 == nl && nl > 1;
		double x = lane_x(n->lane);
		double bx = right ? x + 16 + 12 * depth : x - 16 - 12 * depth;
		double tick = right ? -5 : 5;
		g_string_append_printf(o, "<g class=\"timer\"><path d=\"M%.1f %.1f H%.1f V%.1f H%.1f\" class=\"bracket\"/>",
				       bx + tick, y1, bx, y2, bx + tick);
		double tx = right ? bx + 10 : bx - 4, ty = (y1 + y2) / 2;
		g_string_append_printf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"ttext\" transform=\"rotate(-90 %.1f %.1f)\">",
				       tx, ty, tx, ty);
		esc(o, n->text);
		g_string_append_printf(o, " %s%s</text></g>\n", view_span_str(end - n->t, tb),
				       n->t_stop < 0 ? "" : n->restarted ? ", restarted" : ", cancelled");
	}
	g_array_free(ends, TRUE);
}

static void draw_boxes(GString *o, const ladder *l, const axis *ax)
{
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		if (!is_box(n->kind))
			continue;
		/* the k-th box of this lane and moment, in ladder order, stacks
		 * k rows down (room_below made room for them) */
		moment at = note_at(ax, n);
		unsigned k = 0;
		for (guint j = 0; j < i; j++) {
			const ladder_note *m = &g_array_index(l->notes, ladder_note, j);
			k += is_box(m->kind) && m->lane == n->lane && same(note_at(ax, m), at);
		}
		const char *cls = n->kind == LADDER_STATE ? "state" : n->kind == LADDER_CT ? "ct" : "app";
		GString *txt = g_string_new(n->kind == LADDER_CT ? "ct: " : "");
		g_string_append(txt, n->text ? n->text : "");
		double w = text_w(txt->str, n->kind == LADDER_APP ? FONT * 1.05 : FONT) + 12;
		double x = lane_x(n->lane), y = y_top(ax, at) + 2 + k * BOX_H;
		g_string_append_printf(o, "<g class=\"%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"3\"/>"
				       "<text x=\"%.1f\" y=\"%.1f\">", cls, x - w / 2, y, w, BOX_H - 3, x, y + BOX_H - 7);
		esc(o, txt->str);
		g_string_append(o, "</text></g>\n");
		g_string_free(txt, TRUE);
	}
}

static void draw_rules(GString *o, const ladder *l, const axis *ax, double col_x)
{
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		if (n->kind != LADDER_RULE)
			continue;
		moment at = note_at(ax, n);
		unsigned k = 0;
		for (guint j = 0; j < i; j++) {
			const ladder_note *m = &g_array_index(l->notes, ladder_note, j);
			k += m->kind == LADDER_RULE && same(note_at(ax, m), at);
		}
		double y = y_top(ax, at) + 10 + k * RULE_H;
		const ladder_lane *ln = &g_array_index(l->lanes, ladder_lane, n->lane);
		g_string_append_printf(o, "<g class=\"rule\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"leader\"/>"
				       "<text x=\"%.1f\" y=\"%.1f\"><tspan class=\"rlane\">",
				       lane_x(n->lane) + 4, y - 4, col_x - 6, y - 4, col_x, y);
		esc(o, ln->name);
		g_string_append(o, ":</tspan> ");
		esc(o, n->text);
		if (n->func) {
			g_string_append(o, " <tspan class=\"func\">(");
			esc(o, n->func);
			g_string_append(o, ")</tspan>");
		}
		g_string_append(o, "</text></g>\n");
	}
}

static void draw_segs(GString *o, const ladder *l, const axis *ax)
{
	char fb[32];
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		double x1 = lane_x(s->from), x2 = lane_x(s->to);
		double y1 = y_bot(ax, seg_sent(ax, s));
		bool lost = s->t_recv < 0;
		double dir = x2 > x1 ? 1 : -1;
		/* a lost segment ends 55% of the way across, a little lower */
		double ex = lost ? x1 + (x2 - x1) * 0.55 : x2 - dir * 2, ey = lost ? y1 + LOST_DROP : y_top(ax, seg_recv(ax, s));
		g_string_append_printf(o, "<g class=\"seg%s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"%s/>",
				       lost ? " lost" : "", x1, y1, ex, ey, lost ? "" : " marker-end=\"url(#ah)\"");
		if (lost) {
			g_string_append_printf(o, "<path d=\"M%.1f %.1f l10 10 M%.1f %.1f l-10 10\" class=\"cross\"/>",
					       ex - 5, ey - 5, ex + 5, ey - 5);
			/* the reason beyond the cross, on the side it was going */
			g_string_append_printf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"why\" text-anchor=\"%s\">",
					       ex + dir * 10, ey + 4, dir > 0 ? "start" : "end");
			esc(o, s->drop_why ? s->drop_why : "dropped");
			g_string_append(o, "</text>");
		}
		uint32_t seq, ack;
		bool rel;
		view_rel_seq(l, s, &seq, &ack, &rel);
		/* the label runs along the arrow from its middle: flags and
		 * numbers above the line, timestamps below */
		double mx = (x1 + ex) / 2, my = (y1 + ey) / 2;
		double ang = atan2(ey - y1, ex - x1) * 180 / G_PI;
		if (ang > 90 || ang < -90)
			ang -= 180;  /* right-to-left arrows: text stays upright */
		/* a dropped one's label goes under its line: above it, the
		 * segment that arrived at the same instant has its own */
		double up = lost ? 12 : -4;
		g_string_append_printf(o, "<g transform=\"translate(%.1f %.1f) rotate(%.2f)\">"
				       "<text x=\"0\" y=\"%.0f\" class=\"slabel\"><tspan class=\"flags\">%s</tspan>"
				       " seq %" PRIu32, mx, my, ang, up, view_flags_name(s->flags, fb), seq);
		if (s->flags & LADDER_ACK)
			g_string_append_printf(o, " ack %" PRIu32, ack);
		g_string_append(o, "</text>");
		if (s->has_ts)
			g_string_append_printf(o, "<text x=\"0\" y=\"%.0f\" class=\"ts\">TSval %" PRIu32 " TSecr %" PRIu32
					       "</text>", up + 11 + (lost ? 1 : 4), s->tsval, s->tsecr);
		g_string_append(o, "</g>");
		g_string_append(o, "</g>\n");
	}
}

static const char STYLE[] =
	"text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:11px;fill:#222}\n"
	".title{font-size:16px;font-weight:bold}\n"
	".lname{font-weight:bold;font-size:13px;text-anchor:middle}\n"
	".laddr{font-size:10px;text-anchor:middle;fill:#555}\n"
	".host{fill:#f4f4f4;stroke:#333}\n"
	".hbox{fill:#e2e2e2;stroke:#333;stroke-dasharray:4 2}\n"
	".lline{stroke:#777;stroke-width:1.5}\n"
	".band{fill:#fff}\n"
	".gapline{stroke:#999;stroke-width:1.5;stroke-dasharray:2 4}\n"
	".zig{fill:none;stroke:#555;stroke-width:1.5}\n"
	".gaptext,.tick{text-anchor:end;font-size:10px;fill:#666}\n"
	".gaptext{font-style:italic}\n"
	".bracket{fill:none;stroke:#a05a00;stroke-width:1.5}\n"
	".ttext{font-size:10px;fill:#a05a00;text-anchor:middle}\n"
	".state rect{fill:#dbe9ff;stroke:#3a6bb5}\n"
	".ct rect{fill:#fff3c4;stroke:#b08d00;stroke-dasharray:3 2}\n"
	".app rect{fill:#fff;stroke:#222}\n"
	".state text,.ct text,.app text{text-anchor:middle;font-size:11px}\n"
	".app text{font-family:'DejaVu Sans Mono',monospace}\n"
	".rule text{font-size:10px;fill:#444}\n"
	".rlane{font-weight:bold}\n"
	".func{font-family:'DejaVu Sans Mono',monospace;fill:#7a1f7a}\n"
	".leader{stroke:#bbb;stroke-dasharray:1 3}\n"
	".seg line{stroke:#1b4f9c;stroke-width:1.5}\n"
	".lost line{stroke:#c0392b;stroke-dasharray:5 3}\n"
	".cross{stroke:#c0392b;stroke-width:2.5}\n"
	".why{fill:#c0392b;font-size:10px;font-style:italic}\n"
	".slabel,.ts{text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}\n"
	".flags{font-weight:bold}\n"
	".ts{font-size:9.5px;fill:#555}\n";

GBytes *view_svg(const ladder *l)
{
	axis ax = axis_build(l);
	unsigned nl = l->lanes->len;
	double last_lane = lane_x(nl ? nl - 1 : 0);
	/* the rule column starts right of the last lane's timers */
	double col_x = last_lane + 80;
	double col_w = 0;
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		if (n->kind != LADDER_RULE)
			continue;
		const ladder_lane *ln = &g_array_index(l->lanes, ladder_lane, n->lane);
		double w = text_w(ln->name, 10) + text_w(n->text, 10) + text_w(n->func, 11) + 30;
		if (w > col_w)
			col_w = w;
	}
	double width = col_x + (col_w > 0 ? col_w : 0) + 16;
	double tw = text_w(l->title, 16) + 32;
	if (width < tw)
		width = tw;
	double bottom = ax.y->len ? g_array_index(ax.y, double, ax.y->len - 1) + 30 : TOP + 40;
	double height = bottom + 16;

	GString *o = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	g_string_append_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\""
			       " viewBox=\"0 0 %.0f %.0f\">\n", width, height, width, height);
	g_string_append(o, "<title>");
	esc(o, l->title);
	g_string_append(o, "</title>\n<style>\n");
	g_string_append(o, STYLE);
	g_string_append(o, "</style>\n<defs><marker id=\"ah\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\""
			   " markerHeight=\"8\" orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\" fill=\"#1b4f9c\"/></marker></defs>\n");
	g_string_append_printf(o, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", width, height);
	draw_header(o, l, width, bottom);
	draw_breaks(o, l, &ax, width);
	draw_axis(o, &ax);
	draw_timers(o, l, &ax);
	draw_boxes(o, l, &ax);
	draw_segs(o, l, &ax);
	draw_rules(o, l, &ax, col_x);
	g_string_append(o, "</svg>\n");
	axis_free(&ax);
	return g_string_free_to_bytes(o);
}
