/*
 * view: what the views share (relative sequence numbers, flag names, times,
 * writing the bytes out) and the two sequence-diagram texts, Mermaid and
 * mscgen.  The SVG, pcap and
 * packetdrill renderings are in view_svg.c, view_pcap.c and view_pd.c.
 */
#include "cmd/view.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/bug.h"
#include "sim/out.h"

bool view_write(const char *path, GBytes *bytes, GError **err)
{
	out_file *f = out_open(path, err);
	if (!f)
		return false;
	gsize n = 0;
	const void *p = g_bytes_get_data(bytes, &n);
	if (n && fwrite(p, 1, n, out_stream(f)) != n) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: cannot write: %s", path, g_strerror(errno));
		out_abort(f);
		return false;
	}
	return out_commit(f, err);
}

G_DEFINE_QUARK(connsim-view-error-quark, view_error)

bool view_write_files(const ladder *l, const view_files *f, GError **err)
{
	enum { N = 5 };
	const char *paths[N] = { f->svg, f->mermaid, f->mscgen, f->pcap, f->packetdrill };
	GBytes *bytes[N] = { 0 };
	out_file *files[N] = { 0 };
	bool ok = true;
	for (int i = 0; i < N && ok; i++) {
		if (!paths[i])
			continue;
		switch (i) {
		case 0: bytes[i] = view_svg(l); break;
		case 1: bytes[i] = view_mermaid(l); break;
		case 2: bytes[i] = view_mscgen(l); break;
		case 3: bytes[i] = view_pcap(l); break;
		default:
			bytes[i] = view_packetdrill(l, f->packetdrill_conn);
			if (!bytes[i]) {
				char which[48] = "";
				if (f->packetdrill_conn >= 0)
					snprintf(which, sizeof which, " of connection %d", f->packetdrill_conn);
				g_set_error(err, VIEW_ERROR, VIEW_ERROR_EMPTY,
					    "%s: the client has no segment%s to write as packetdrill", paths[i], which);
				ok = false;
			}
		}
		if (!ok)
			break;
		files[i] = out_open(paths[i], err);
		gsize n = 0;
		const void *p = files[i] ? g_bytes_get_data(bytes[i], &n) : NULL;
		if (!files[i]) {
			ok = false;
		} else if (n && fwrite(p, 1, n, out_stream(files[i])) != n) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: cannot write: %s", paths[i], g_strerror(errno));
			ok = false;
		}
	}
	/* every file is whole in its temporary: rename them all (only a
	 * failed rename can leave the ones before it) */
	for (int i = 0; i < N; i++) {
		if (!files[i])
			continue;
		if (ok)
			ok = out_commit(files[i], err);
		else
			out_abort(files[i]);
		files[i] = NULL;
	}
	for (int i = 0; i < N; i++)
		if (bytes[i])
			g_bytes_unref(bytes[i]);
	return ok;
}

/* The ISN of connection conn in one direction: the sequence number of its
 * first SYN that way.  NAT rewrites addresses and ports, never sequence
 * numbers (nf_nat_ipv4_manip_pkt), so any wire's copy of the SYN will do. */
static bool find_isn(const ladder *l, unsigned conn, bool forward, uint32_t *isn)
{
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		if (s->conn == conn && (s->from < s->to) == forward && (s->flags & LADDER_SYN)) {
			*isn = s->seq;
			return true;
		}
	}
	return false;
}

void view_rel_seq(const ladder *l, const ladder_seg *s, uint32_t *seq, uint32_t *ack, bool *rel)
{
	bool fwd = s->from < s->to;
	uint32_t mine = 0, theirs = 0;
	bool have_mine = find_isn(l, s->conn, fwd, &mine);
	bool have_theirs = find_isn(l, s->conn, !fwd, &theirs);
	/* unsigned arithmetic: wraps modulo 2^32 as sequence space does */
	*seq = have_mine ? s->seq - mine : s->seq;
	*ack = have_theirs ? s->ack - theirs : s->ack;
	*rel = have_mine && have_theirs;
}

const char *view_flags_name(uint8_t flags, char buf[32])
{
	static const struct {
		uint8_t bit;
		const char *name;
	} names[] = {
		{ LADDER_SYN, "SYN" }, { LADDER_FIN, "FIN" }, { LADDER_RST, "RST" },
		{ LADDER_PSH, "PSH" }, { LADDER_ACK, "ACK" },
	};
	buf[0] = '\0';
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (!(flags & names[i].bit))
			continue;
		if (buf[0])
			g_strlcat(buf, "-", 32);
		g_strlcat(buf, names[i].name, 32);
	}
	if (!buf[0])
		g_strlcpy(buf, "(none)", 32);
	return buf;
}

const char *view_time_str(int64_t ns, char buf[32])
{
	/* three decimals at least, more while they say something (down to
	 * the nanosecond), so that two instants never read the same */
	bool ms = ns < 1000000000LL && ns > -1000000000LL;
	int64_t unit = ms ? 1000000LL : 1000000000LL;
	int decimals = ms ? 6 : 9;
	int64_t whole = ns / unit, frac = ns % unit;
	const char *sign = ns < 0 ? "-" : "";
	if (whole < 0)
		whole = -whole;
	if (frac < 0)
		frac = -frac;
	snprintf(buf, 32, "%s%" PRId64 ".%0*" PRId64, sign, whole, decimals, frac);
	size_t n = strlen(buf);
	const char *dot = strchr(buf, '.');
	while (buf[n - 1] == '0' && (size_t)(&buf[n - 1] - dot) > 3)
		buf[--n] = '\0';
	g_strlcat(buf, ms ? " ms" : " s", 32);
	return buf;
}

const char *view_span_str(int64_t ns, char buf[32])
{
	if (ns < 1000000000LL && ns > -1000000000LL)
		snprintf(buf, 32, "%.3f ms", ns / 1e6);
	else
		snprintf(buf, 32, "%.3f s", ns / 1e9);
	return buf;
}

/* ---- Mermaid ------------------------------------------------------------ */

/* Mermaid ends a statement at a newline or ';', starts an entity code at '#'
 * and reads '<' '>' as HTML; each becomes a numeric entity code, which
 * Mermaid renders as the character. */
static void mm_text(GString *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case ';': g_string_append(o, "#59;"); break;
		case '#': g_string_append(o, "#35;"); break;
		case '<': g_string_append(o, "#60;"); break;
		case '>': g_string_append(o, "#62;"); break;
		case '\n': case '\r': g_string_append_c(o, ' '); break;
		default: g_string_append_c(o, *s);
		}
	}
}

/* The text of a segment shared by Mermaid's message: flags, relative
 * seq/ack, timestamps. */
static void seg_label(GString *o, const ladder *l, const ladder_seg *s)
{
	char fb[32];
	uint32_t seq, ack;
	bool rel;
	view_rel_seq(l, s, &seq, &ack, &rel);
	g_string_append_printf(o, "%s seq %" PRIu32, view_flags_name(s->flags, fb), seq);
	if (s->flags & LADDER_ACK)
		g_string_append_printf(o, " ack %" PRIu32, ack);
	if (s->has_ts)
		g_string_append_printf(o, " TSval %" PRIu32 " TSecr %" PRIu32, s->tsval, s->tsecr);
}

/* One line of the diagram, in time order: a segment at t_sent, a note at t.
 * At one instant, one step (engine event) after another (ladder.h), and in
 * one step, as in the SVG: first the application's calls, then the states,
 * entries, rules and timers (what was decided on what arrived, or on the
 * call), then the segments that leave (arrive, decide, answer). */
typedef struct mm_ev {
	int64_t t;
	uint64_t step;
	int rank;        /* 0 app call, 1 other note, 2 segment */
	guint idx;       /* in segs or notes */
} mm_ev;

static gint mm_cmp(gconstpointer a, gconstpointer b)
{
	const mm_ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The events of l in display order (segments at t_sent, notes at t). */
static GArray *mm_events(const ladder *l)
{
	GArray *ev = g_array_new(FALSE, FALSE, sizeof(mm_ev));
	for (guint i = 0; i < l->segs->len; i++) {
		const ladder_seg *s = &g_array_index(l->segs, ladder_seg, i);
		mm_ev e = { s->t_sent, s->step, 2, i };
		g_array_append_val(ev, e);
	}
	for (guint i = 0; i < l->notes->len; i++) {
		const ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		mm_ev e = { n->t, n->step, n->kind == LADDER_APP ? 0 : 1, i + l->segs->len };
		g_array_append_val(ev, e);
	}
	/* g_array_sort is not stable; idx breaks every tie, so it need not be */
	g_array_sort(ev, mm_cmp);
	return ev;
}

GBytes *view_mermaid(const ladder *l)
{
	GString *o = g_string_new("sequenceDiagram\n");
	char tb[32], tb2[32];
	if (l->title && *l->title) {
		g_string_append(o, "    title ");
		mm_text(o, l->title);
		g_string_append_c(o, '\n');
	}
	/* Participant ids are L0, L1, ... (Mermaid ids must be plain words);
	 * the alias shows the lane's name and address. */
	for (guint i = 0; i < l->lanes->len; i++) {
		const ladder_lane *ln = &g_array_index(l->lanes, ladder_lane, i);
		g_string_append_printf(o, "    participant L%u as ", i);
		mm_text(o, ln->name);
		if (ln->addr)
			g_string_append_printf(o, " %u.%u.%u.%u", ln->addr >> 24, (ln->addr >> 16) & 255,
					       (ln->addr >> 8) & 255, ln->addr & 255);
		g_string_append_c(o, '\n');
	}
	GArray *ev = mm_events(l);
	int64_t last = 0;
	for (guint k = 0; k < ev->len; k++) {
		const mm_ev *e = &g_array_index(ev, mm_ev, k);
		/* a long idle stretch, as the SVG's broken axis: a note across */
		if (k > 0 && e->t - last > 1000000000LL && l->lanes->len)
			g_string_append_printf(o, "    Note over L0,L%u: %s later\n", l->lanes->len - 1,
					       view_span_str(e->t - last, tb));
		last = e->t;
		if (e->idx < l->segs->len) {
			const ladder_seg *s = &g_array_index(l->segs, ladder_seg, e->idx);
			bool lost = s->t_recv < 0;
			/* "->>" a solid line with an arrowhead; "-x" ends in a cross */
			g_string_append_printf(o, "    L%u%sL%u: %s ", s->from, lost ? "-x" : "->>", s->to,
					       view_time_str(s->t_sent, tb));
			seg_label(o, l, s);
			if (lost) {
				g_string_append(o, " (dropped: ");
				mm_text(o, s->drop_why ? s->drop_why : "lost");
				g_string_append_c(o, ')');
			}
			g_string_append_c(o, '\n');
			continue;
		}
		const ladder_note *n = &g_array_index(l->notes, ladder_note, e->idx - l->segs->len);
		g_string_append_printf(o, "    Note over L%u: ", n->lane);
		switch (n->kind) {
		case LADDER_STATE:
			mm_text(o, n->text);
			break;
		case LADDER_CT:
			g_string_append(o, "conntrack ");
			mm_text(o, n->text);
			break;
		case LADDER_RULE:
			mm_text(o, n->text);
			if (n->func) {
				g_string_append(o, " (");
				mm_text(o, n->func);
				g_string_append_c(o, ')');
			}
			break;
		case LADDER_TIMER:
			mm_text(o, n->text);
			g_string_append_printf(o, ", %s until %s", view_time_str(n->t, tb), view_time_str(n->t_end, tb2));
			break;
		case LADDER_APP:
			g_string_append(o, "app: ");
			mm_text(o, n->text);
			break;
		}
		g_string_append_c(o, '\n');
	}
	g_array_free(ev, TRUE);
	return g_string_free_to_bytes(o);
}

/* ---- mscgen ------------------------------------------------------------- */

/* Inside a double-quoted mscgen string: '"' and '\\' escaped, a newline
 * as mscgen's own "\\n". */
static void msc_text(GString *o, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			g_string_append_c(o, '\\');
		if (*s == '\n')
			g_string_append(o, "\\n");
		else if (*s != '\r')
			g_string_append_c(o, *s);
	}
}

GBytes *view_mscgen(const ladder *l)
{
	GString *o = g_string_new("");
	char tb[32], tb2[32];
	if (l->title && *l->title) {
		g_string_append(o, "# ");
		for (const char *p = l->title; *p; p++)
			g_string_append_c(o, *p == '\n' ? ' ' : *p);
		g_string_append_c(o, '\n');
	}
	g_string_append(o, "msc {\n  hscale = \"2\";\n");
	/* entities are L0, L1, ...; their labels the lanes' names and addresses */
	for (guint i = 0; i < l->lanes->len; i++) {
		const ladder_lane *ln = &g_array_index(l->lanes, ladder_lane, i);
		g_string_append_printf(o, "%sL%u [label=\"", i ? ", " : "  ", i);
		msc_text(o, ln->name);
		if (ln->addr)
			g_string_append_printf(o, "\\n%u.%u.%u.%u", ln->addr >> 24, (ln->addr >> 16) & 255,
					       (ln->addr >> 8) & 255, ln->addr & 255);
		g_string_append(o, "\"]");
	}
	g_string_append(o, ";\n");
	GArray *ev = mm_events(l);
	int64_t last = 0;
	for (guint k = 0; k < ev->len; k++) {
		const mm_ev *e = &g_array_index(ev, mm_ev, k);
		if (k > 0 && e->t - last > 1000000000LL)
			g_string_append_printf(o, "  ... [label=\"%s later\"];\n", view_span_str(e->t - last, tb));
		last = e->t;
		if (e->idx < l->segs->len) {
			const ladder_seg *s = &g_array_index(l->segs, ladder_seg, e->idx);
			bool lost = s->t_recv < 0;
			GString *lab = g_string_new(view_time_str(s->t_sent, tb));
			g_string_append_c(lab, ' ');
			seg_label(lab, l, s);
			if (lost)
				g_string_append_printf(lab, " (dropped: %s)", s->drop_why ? s->drop_why : "lost");
			g_string_append_printf(o, "  L%u %s L%u [label=\"", s->from, lost ? "-x" : "=>", s->to);
			msc_text(o, lab->str);
			g_string_append(o, "\"];\n");
			g_string_free(lab, TRUE);
			continue;
		}
		const ladder_note *n = &g_array_index(l->notes, ladder_note, e->idx - l->segs->len);
		static const char *const shape[] = {
			[LADDER_STATE] = "box", [LADDER_CT] = "rbox", [LADDER_RULE] = "note",
			[LADDER_TIMER] = "note", [LADDER_APP] = "abox",
		};
		g_string_append_printf(o, "  L%u %s L%u [label=\"", n->lane, shape[n->kind], n->lane);
		if (n->kind == LADDER_CT)
			g_string_append(o, "conntrack ");
		msc_text(o, n->text);
		if (n->kind == LADDER_RULE && n->func) {
			g_string_append(o, " (");
			msc_text(o, n->func);
			g_string_append_c(o, ')');
		}
		if (n->kind == LADDER_TIMER)
			g_string_append_printf(o, ", %s until %s", view_time_str(n->t, tb), view_time_str(n->t_end, tb2));
		g_string_append(o, "\"];\n");
	}
	g_array_free(ev, TRUE);
	g_string_append(o, "}\n");
	return g_string_free_to_bytes(o);
}
