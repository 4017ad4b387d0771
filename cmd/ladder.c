/*
 * ladder: a recorded trace (see ladder.h).  Plain arrays; the strings are the
 * ladder's own copies.
 */
#include "cmd/ladder.h"

#include "sim/bug.h"

ladder *ladder_new(const char *title)
{
	ladder *l = g_new0(ladder, 1);
	l->title = g_strdup(title);
	l->lanes = g_array_new(FALSE, TRUE, sizeof(ladder_lane));
	l->segs = g_array_new(FALSE, TRUE, sizeof(ladder_seg));
	l->notes = g_array_new(FALSE, TRUE, sizeof(ladder_note));
	return l;
}

void ladder_free(ladder *l)
{
	if (!l)
		return;
	for (guint i = 0; i < l->lanes->len; i++)
		g_free(g_array_index(l->lanes, ladder_lane, i).name);
	for (guint i = 0; i < l->segs->len; i++)
		g_free(g_array_index(l->segs, ladder_seg, i).drop_why);
	for (guint i = 0; i < l->notes->len; i++) {
		ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		g_free(n->text);
		g_free(n->func);
	}
	g_array_free(l->lanes, TRUE);
	g_array_free(l->segs, TRUE);
	g_array_free(l->notes, TRUE);
	g_free(l->title);
	g_free(l);
}

unsigned ladder_lane_add(ladder *l, const char *name, uint32_t addr, bool box)
{
	ladder_lane ln = { g_strdup(name), addr, box, -1 };
	g_array_append_val(l->lanes, ln);
	return l->lanes->len - 1;
}

void ladder_lane_own(ladder *l, unsigned box, unsigned host)
{
	BUG_ON(box >= l->lanes->len || host >= l->lanes->len);
	ladder_lane *b = &g_array_index(l->lanes, ladder_lane, box);
	BUG_ON(!b->box);
	b->own_of = (int)host;
}

unsigned ladder_seg_add(ladder *l, const ladder_seg *s)
{
	BUG_ON(s->from >= l->lanes->len || s->to >= l->lanes->len);
	ladder_seg c = *s;
	c.drop_why = g_strdup(s->drop_why);
	c.step = l->step;
	g_array_append_val(l->segs, c);
	return l->segs->len - 1;
}

void ladder_note_add(ladder *l, ladder_note_kind kind, unsigned lane, int64_t t, int64_t t_end, unsigned conn,
		     const char *text, const char *func)
{
	BUG_ON(lane >= l->lanes->len);
	ladder_note n = { .kind = kind, .lane = lane, .t = t, .t_end = t_end, .conn = conn, .text = g_strdup(text),
			  .func = g_strdup(func), .t_stop = -1, .step = l->step };
	g_array_append_val(l->notes, n);
}

void ladder_timer_stop(ladder *l, unsigned lane, unsigned conn, int64_t t, bool restarted)
{
	for (guint i = l->notes->len; i-- > 0;) {
		ladder_note *n = &g_array_index(l->notes, ladder_note, i);
		if (n->kind != LADDER_TIMER || n->lane != lane || n->conn != conn)
			continue;
		if (n->t_stop < 0 && n->t_end > t && n->t <= t) {
			n->t_stop = t;
			n->restarted = restarted;
		}
		return;  /* only the latest can still be running */
	}
}
