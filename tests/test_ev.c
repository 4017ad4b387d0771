/*
 * Tests for the event engine (sim/ev.c) and its schedulers (sim/evq_*.c).
 *
 * Most tests are scripts in the style of git's t/unit-tests/u-prio-queue.c: a
 * list of operations and the exact trace of (time, tag) pairs the engine must
 * fire.  Every script runs against each configuration in `configs` (heap with
 * lanes; sorted list without lanes, the reference; sorted list with lanes;
 * calendar queue with lanes), and the traces of all configurations must also
 * be identical.
 *
 * Randomized differential tests then drive 100k random operations (with 8
 * lanes, then with 512) through every configuration and compare the complete
 * traces.  The schedulers are also checked on their own (in order, and
 * against the sorted list over workloads chosen to reach the calendar queue's
 * every path), and scheduling in the past is checked to abort (in a child
 * process: cmocka cannot catch abort).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/ev.h"
#include "sim/evq.h"

/* ---------------------------------------------------------------------- */
/* Configurations under test                                               */

static ev_loop *make_heap(void) { return ev_loop_new(&evq_heap); }
static ev_loop *make_ref(void) { return ev_loop_new_ref(); }
static ev_loop *make_list_lanes(void) { return ev_loop_new(&evq_list); }
static ev_loop *make_calendar(void) { return ev_loop_new(&evq_calendar); }

typedef struct config {
	const char *name;
	ev_loop *(*make)(void);
	bool lanes;  /* lane timers really go to lanes (lane_fallbacks counts) */
} config;

static const config configs[] = {
	{ "heap+lanes", make_heap, true },
	{ "ref (list, no lanes)", make_ref, false },
	{ "list+lanes", make_list_lanes, true },
	{ "calendar+lanes", make_calendar, true },
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

/* ---------------------------------------------------------------------- */
/* Scripts                                                                 */

#define MAXTAG 64
#define MAXLANES 4

enum op {
	OP_END,
	OP_AT,        /* ev_at(t, tag) */
	OP_AFTER,     /* ev_after(t, tag) */
	OP_LANE,      /* ev_lane_arm(lane, tag) */
	OP_LANE_AT,   /* ev_lane_at(lane, t, tag) */
	OP_CANCEL,    /* ev_cancel(latest id of tag) == expect */
	OP_CANCEL_OLD,/* ev_cancel(previous id of tag, before its latest) == expect */
	OP_PENDING,   /* ev_pending(latest id of tag) == expect */
	OP_RUN,       /* ev_run(t) == expect events (expect < 0: don't check) */
	OP_NOW,       /* ev_now() == t */
	OP_FALLBACKS, /* lane_fallbacks == expect (configs with lanes), 0 otherwise */
	OP_SAME_SLOT, /* latest ids of tag and of `lane` (another tag) share a slot */
	OP_DIFF_SLOT, /* ... do not share a slot */
};

typedef struct step {
	enum op op;
	ev_time t;
	int tag;
	int lane;
	int expect;
} step;

#define AT(t_, tag_)              { OP_AT, (t_), (tag_), 0, 0 }
#define AFTER(d_, tag_)           { OP_AFTER, (d_), (tag_), 0, 0 }
#define LANE(l_, tag_)            { OP_LANE, 0, (tag_), (l_), 0 }
#define LANE_AT(l_, t_, tag_)     { OP_LANE_AT, (t_), (tag_), (l_), 0 }
#define CANCEL(tag_, e_)          { OP_CANCEL, 0, (tag_), 0, (e_) }
#define CANCEL_OLD(tag_, e_)      { OP_CANCEL_OLD, 0, (tag_), 0, (e_) }
#define PENDING(tag_, e_)         { OP_PENDING, 0, (tag_), 0, (e_) }
#define RUN(until_, n_)           { OP_RUN, (until_), 0, 0, (n_) }
#define NOW(t_)                   { OP_NOW, (t_), 0, 0, 0 }
#define FALLBACKS(n_)             { OP_FALLBACKS, 0, 0, 0, (n_) }
#define SAME_SLOT(a_, b_)         { OP_SAME_SLOT, 0, (a_), (b_), 0 }
#define DIFF_SLOT(a_, b_)         { OP_DIFF_SLOT, 0, (a_), (b_), 0 }

/* What an event does when it fires (from inside its callback). */
enum act { ACT_NONE, ACT_AFTER, ACT_AT, ACT_LANE, ACT_LANE_AT, ACT_CANCEL, ACT_STOP };

typedef struct action {
	int tag;      /* when this tag fires... */
	enum act what;
	ev_time t;    /* delay (ACT_AFTER) or absolute time (ACT_AT, ACT_LANE_AT) */
	int other;    /* the tag scheduled or cancelled */
	int lane;
	int expect;   /* ACT_CANCEL: expected result */
} action;

#define ON_AFTER(tag_, d_, child_)        { (tag_), ACT_AFTER, (d_), (child_), 0, 0 }
#define ON_AT(tag_, t_, child_)           { (tag_), ACT_AT, (t_), (child_), 0, 0 }
#define ON_LANE(tag_, l_, child_)         { (tag_), ACT_LANE, 0, (child_), (l_), 0 }
#define ON_LANE_AT(tag_, l_, t_, child_)  { (tag_), ACT_LANE_AT, (t_), (child_), (l_), 0 }
#define ON_CANCEL(tag_, other_, e_)       { (tag_), ACT_CANCEL, 0, (other_), 0, (e_) }
#define ON_STOP(tag_)                     { (tag_), ACT_STOP, 0, 0, 0, 0 }

typedef struct fired {
	ev_time t;
	int tag;
} fired;

typedef struct script {
	const char *name;
	ev_time lanes[MAXLANES];  /* lane lengths; 0 ends the list */
	step steps[48];           /* ends at OP_END */
	action acts[16];          /* ends at tag 0 */
	fired want[48];           /* ends at tag 0 */
} script;

/* Tags are 1..MAXTAG-1; tag 0 ends lists. */
static const script scripts[] = {
	{
		.name = "time order",
		.steps = { AT(30, 3), AT(10, 1), AT(20, 2), AT(5, 4), AT(1000, 5),
			   RUN(EV_FOREVER, 5), NOW(1000) },
		.want = { { 5, 4 }, { 10, 1 }, { 20, 2 }, { 30, 3 }, { 1000, 5 } },
	},
	{
		.name = "ties run in insertion order",
		.steps = { AT(10, 1), AT(5, 2), AT(10, 3), AT(10, 4), AT(5, 5), AFTER(10, 6),
			   AT(0, 7), AT(0, 8), RUN(EV_FOREVER, 8) },
		.want = { { 0, 7 }, { 0, 8 }, { 5, 2 }, { 5, 5 }, { 10, 1 }, { 10, 3 },
			  { 10, 4 }, { 10, 6 } },
	},
	{
		.name = "tie: heap event scheduled before lane event",
		.lanes = { 10 },
		.steps = { AT(10, 1), LANE(0, 2), AT(10, 3), LANE(0, 4), RUN(EV_FOREVER, 4) },
		.want = { { 10, 1 }, { 10, 2 }, { 10, 3 }, { 10, 4 } },
	},
	{
		.name = "tie: lane event scheduled before heap event",
		.lanes = { 10 },
		.steps = { LANE(0, 1), AT(10, 2), LANE(0, 3), AFTER(10, 4), LANE_AT(0, 10, 5),
			   RUN(EV_FOREVER, 5) },
		.want = { { 10, 1 }, { 10, 2 }, { 10, 3 }, { 10, 4 }, { 10, 5 } },
	},
	{
		.name = "tie: two lanes of different lengths meeting",
		.lanes = { 30, 10 },
		.steps = { LANE(0, 1), RUN(20, 0), LANE(1, 2), AT(30, 3), LANE(0, 4),
			   RUN(EV_FOREVER, 4) },
		.want = { { 30, 1 }, { 30, 2 }, { 30, 3 }, { 50, 4 } },
	},
	{
		.name = "lanes of one length (one per host) interleave by arming order",
		.lanes = { 10, 10, 10, 10 },
		.steps = { LANE(2, 1), LANE(0, 2), LANE(3, 3), RUN(1, 0), LANE(1, 4), LANE(0, 5),
			   LANE(2, 6), RUN(5, 0), LANE(3, 7), LANE(3, 8), LANE(1, 9), AT(11, 10),
			   RUN(EV_FOREVER, 10) },
		.want = { { 10, 1 }, { 10, 2 }, { 10, 3 }, { 11, 4 }, { 11, 5 }, { 11, 6 },
			  { 11, 10 }, { 15, 7 }, { 15, 8 }, { 15, 9 } },
	},
	{
		.name = "lanes and heap interleave",
		.lanes = { 10, 25 },
		.steps = { LANE(0, 1), LANE(1, 2), AT(5, 3), AT(12, 4), AT(40, 5), RUN(11, 2),
			   NOW(11), LANE(0, 6), LANE(1, 7), AT(21, 8), RUN(EV_FOREVER, 6),
			   NOW(40) },
		.want = { { 5, 3 }, { 10, 1 }, { 12, 4 }, { 21, 6 }, { 21, 8 }, { 25, 2 },
			  { 36, 7 }, { 40, 5 } },
	},
	{
		.name = "lane_at earlier than the tail falls back to the heap",
		.lanes = { 100 },
		.steps = { LANE_AT(0, 50, 1), FALLBACKS(0), LANE_AT(0, 30, 2), FALLBACKS(1),
			   LANE_AT(0, 50, 3), FALLBACKS(1), LANE_AT(0, 40, 4), FALLBACKS(2),
			   LANE(0, 5), LANE_AT(0, 60, 6), FALLBACKS(3), AT(45, 7),
			   RUN(EV_FOREVER, 7), FALLBACKS(3) },
		.want = { { 30, 2 }, { 40, 4 }, { 45, 7 }, { 50, 1 }, { 50, 3 }, { 60, 6 },
			  { 100, 5 } },
	},
	{
		.name = "lane_at after the lane drained is not a fallback",
		.lanes = { 100 },
		.steps = { LANE(0, 1), RUN(150, 1), NOW(150), LANE_AT(0, 160, 2), LANE(0, 3),
			   FALLBACKS(0), RUN(EV_FOREVER, 2) },
		.want = { { 100, 1 }, { 160, 2 }, { 250, 3 } },
	},
	{
		.name = "cancel pending, after fire, twice",
		.steps = { AT(10, 1), AT(20, 2), AT(30, 3), PENDING(2, 1), CANCEL(2, 1),
			   PENDING(2, 0), CANCEL(2, 0), RUN(15, 1), CANCEL(1, 0), PENDING(1, 0),
			   RUN(EV_FOREVER, 1), CANCEL(3, 0), CANCEL(2, 0) },
		.want = { { 10, 1 }, { 30, 3 } },
	},
	{
		.name = "cancel lane timers (head, middle, tail)",
		.lanes = { 10 },
		.steps = { LANE(0, 1), AFTER(1, 9), RUN(1, 1), LANE(0, 2), RUN(2, 0), LANE(0, 3),
			   RUN(3, 0), LANE(0, 4), CANCEL(1, 1), CANCEL(3, 1), CANCEL(4, 1),
			   CANCEL(4, 0), RUN(EV_FOREVER, 1), NOW(11) },
		.want = { { 1, 9 }, { 11, 2 } },
	},
	{
		.name = "stale id after slot reuse does not cancel the new event",
		.steps = { AT(10, 1), CANCEL(1, 1), RUN(20, 0), AT(30, 2), SAME_SLOT(1, 2),
			   CANCEL(1, 0), PENDING(1, 0), PENDING(2, 1), RUN(40, 1),
			   /* fired slot reused */
			   AT(50, 3), SAME_SLOT(2, 3), CANCEL(2, 0), PENDING(3, 1),
			   /* an id reused for the same tag: the old one is stale */
			   RUN(60, 1), AT(70, 3), CANCEL_OLD(3, 0), PENDING(3, 1),
			   RUN(EV_FOREVER, 1) },
		.want = { { 30, 2 }, { 50, 3 }, { 70, 3 } },
	},
	{
		/* With lanes the timer has no slot (its id names its place in the
		 * lane); without, its slot is reused only after it surfaces. */
		.name = "a cancelled lane timer's id never matches a later event",
		.lanes = { 10 },
		.steps = { LANE(0, 1), CANCEL(1, 1), AT(5, 2), DIFF_SLOT(1, 2), RUN(5, 1), AT(8, 3),
			   DIFF_SLOT(1, 3),
			   RUN(EV_FOREVER, 1), NOW(8), AT(20, 4), CANCEL(1, 0), PENDING(1, 0),
			   PENDING(4, 1), LANE(0, 5), CANCEL(1, 0), PENDING(5, 1),
			   RUN(EV_FOREVER, 2) },
		.want = { { 5, 2 }, { 8, 3 }, { 18, 5 }, { 20, 4 } },
	},
	{
		.name = "callbacks schedule more events, including at the current time",
		.lanes = { 10 },
		.steps = { AT(10, 1), AT(10, 2), AT(20, 3), RUN(EV_FOREVER, 9) },
		.acts = { ON_AFTER(1, 0, 4),          /* now, after tag 2 */
			  ON_AT(1, 10, 5),            /* now, absolute */
			  ON_AFTER(2, 10, 6),         /* at 20, after tag 3 */
			  ON_LANE(4, 0, 7),           /* lane, at 20, after 6 */
			  ON_AFTER(6, 0, 8),          /* at 20, after 7 */
			  ON_LANE_AT(8, 0, 20, 9) },  /* at 20 via lane: still after 8 */
		.want = { { 10, 1 }, { 10, 2 }, { 10, 4 }, { 10, 5 }, { 20, 3 }, { 20, 6 },
			  { 20, 7 }, { 20, 8 }, { 20, 9 } },
	},
	{
		.name = "callback cancels a later event and one of the same time",
		.lanes = { 10 },
		.steps = { AT(10, 1), AT(10, 2), LANE(0, 3), AT(20, 4), AT(30, 5),
			   RUN(EV_FOREVER, 3) },
		.acts = { ON_CANCEL(1, 2, 1), ON_CANCEL(1, 4, 1), ON_CANCEL(1, 1, 0),
			  ON_CANCEL(3, 4, 0) },
		.want = { { 10, 1 }, { 10, 3 }, { 30, 5 } },
	},
	{
		.name = "run(until) stops at until and sets the clock",
		.steps = { AT(10, 1), AT(20, 2), AT(21, 3), RUN(15, 1), NOW(15), RUN(15, 0),
			   NOW(15), AFTER(0, 4), RUN(20, 2), NOW(20), RUN(5, 0), NOW(20),
			   RUN(100, 1), NOW(100), RUN(EV_FOREVER, 0), NOW(100) },
		.want = { { 10, 1 }, { 15, 4 }, { 20, 2 }, { 21, 3 } },
	},
	{
		.name = "run(until) with only cancelled events left",
		.steps = { AT(10, 1), AT(20, 2), CANCEL(2, 1), RUN(30, 1), NOW(30),
			   AT(40, 3), CANCEL(3, 1), RUN(EV_FOREVER, 0), NOW(30) },
		.want = { { 10, 1 } },
	},
	{
		.name = "ev_stop stops after the current event",
		.lanes = { 5 },
		.steps = { AT(10, 1), AT(10, 2), AT(20, 3), LANE(0, 4), RUN(100, 1), NOW(5),
			   RUN(100, 1), NOW(10), RUN(15, 1), NOW(15), RUN(100, 1), NOW(20),
			   RUN(EV_FOREVER, 0), NOW(20) },
		.acts = { ON_STOP(4), ON_STOP(1), ON_STOP(3) },
		.want = { { 5, 4 }, { 10, 1 }, { 10, 2 }, { 20, 3 } },
	},
	{
		.name = "large times",
		.lanes = { 60 * EV_SEC },
		.steps = { AT(UINT64_MAX - 1, 1), LANE(0, 2), AT(3600 * EV_SEC, 3),
			   RUN(EV_FOREVER, 3), NOW(UINT64_MAX - 1) },
		.want = { { 60 * EV_SEC, 2 }, { 3600 * EV_SEC, 3 }, { UINT64_MAX - 1, 1 } },
	},
};
#define NSCRIPTS (sizeof(scripts) / sizeof(scripts[0]))

/* ---------------------------------------------------------------------- */
/* Script runner                                                           */

typedef struct runner {
	const script *s;
	const config *cfg;
	ev_loop *L;
	ev_kind kind;
	ev_lane lanes[MAXLANES];
	ev_id id[MAXTAG], old_id[MAXTAG];
	ev_time due[MAXTAG];   /* when the latest event of the tag must fire */
	GArray *trace;         /* of fired */
	ev_time last;
} runner;

static void sched(runner *r, enum op how, int tag, ev_time t, int lane)
{
	assert_true(tag > 0 && tag < MAXTAG);
	ev_loop *L = r->L;
	ev_id id = EV_NONE;
	switch (how) {
	case OP_AT:
		id = ev_at(L, t, r->kind, (uint32_t)tag, 0);
		r->due[tag] = t;
		break;
	case OP_AFTER:
		id = ev_after(L, t, r->kind, (uint32_t)tag, 0);
		r->due[tag] = ev_now(L) + t;
		break;
	case OP_LANE:
		id = ev_lane_arm(L, r->lanes[lane], r->kind, (uint32_t)tag, 0);
		r->due[tag] = ev_now(L) + r->s->lanes[lane];
		break;
	case OP_LANE_AT:
		id = ev_lane_at(L, r->lanes[lane], t, r->kind, (uint32_t)tag, 0);
		r->due[tag] = t;
		break;
	default:
		fail();
	}
	assert_true(id != EV_NONE);
	assert_true(ev_pending(L, id));
	r->old_id[tag] = r->id[tag];
	r->id[tag] = id;
}

static void on_fire(void *ctx, uint32_t obj, uint32_t arg)
{
	runner *r = ctx;
	int tag = (int)obj;
	ev_time now = ev_now(r->L);
	assert_int_equal(arg, 0);
	assert_true(tag > 0 && tag < MAXTAG);
	/* Time never goes backwards, and the clock reads the event's time. */
	assert_true(now >= r->last);
	assert_true(now == r->due[tag]);
	r->last = now;
	/* An event is no longer pending once it runs. */
	assert_false(ev_pending(r->L, r->id[tag]));
	fired f = { now, tag };
	g_array_append_val(r->trace, f);

	for (const action *a = r->s->acts; a->tag; a++) {
		if (a->tag != tag)
			continue;
		switch (a->what) {
		case ACT_AFTER:
			sched(r, OP_AFTER, a->other, a->t, 0);
			break;
		case ACT_AT:
			sched(r, OP_AT, a->other, a->t, 0);
			break;
		case ACT_LANE:
			sched(r, OP_LANE, a->other, 0, a->lane);
			break;
		case ACT_LANE_AT:
			sched(r, OP_LANE_AT, a->other, a->t, a->lane);
			break;
		case ACT_CANCEL:
			assert_int_equal(ev_cancel(r->L, r->id[a->other]), a->expect);
			break;
		case ACT_STOP:
			ev_stop(r->L);
			break;
		case ACT_NONE:
			break;
		}
	}
}

static void dump_trace(const char *what, const fired *f, size_t n)
{
	print_message("  %s:", what);
	for (size_t i = 0; i < n; i++)
		print_message(" (%" PRIu64 ",%d)", f[i].t, f[i].tag);
	print_message("\n");
}

static bool same_trace(const fired *a, size_t na, const fired *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].t != b[i].t || a[i].tag != b[i].tag)
			return false;
	return true;
}

static GArray *run_script(const script *s, const config *cfg)
{
	runner r = { .s = s, .cfg = cfg };
	r.L = cfg->make();
	r.trace = g_array_new(FALSE, FALSE, sizeof(fired));
	r.kind = ev_kind_register(r.L, "script", on_fire, &r);
	for (int i = 0; i < MAXLANES && s->lanes[i]; i++)
		r.lanes[i] = ev_lane_new(r.L, "lane", s->lanes[i]);

	ev_stats st;
	for (const step *p = s->steps; p->op != OP_END; p++) {
		int at = (int)(p - s->steps);
		switch (p->op) {
		case OP_AT:
		case OP_AFTER:
		case OP_LANE:
		case OP_LANE_AT:
			sched(&r, p->op, p->tag, p->t, p->lane);
			break;
		case OP_CANCEL:
			if (ev_cancel(r.L, r.id[p->tag]) != (bool)p->expect)
				fail_msg("%s [%s] step %d: cancel(tag %d) != %d", s->name,
					 cfg->name, at, p->tag, p->expect);
			break;
		case OP_CANCEL_OLD:
			if (ev_cancel(r.L, r.old_id[p->tag]) != (bool)p->expect)
				fail_msg("%s [%s] step %d: cancel(old tag %d) != %d", s->name,
					 cfg->name, at, p->tag, p->expect);
			break;
		case OP_PENDING:
			if (ev_pending(r.L, r.id[p->tag]) != (bool)p->expect)
				fail_msg("%s [%s] step %d: pending(tag %d) != %d", s->name,
					 cfg->name, at, p->tag, p->expect);
			break;
		case OP_RUN: {
			uint64_t n = ev_run(r.L, p->t);
			if (p->expect >= 0 && n != (uint64_t)p->expect)
				fail_msg("%s [%s] step %d: run ran %" PRIu64 ", want %d", s->name,
					 cfg->name, at, n, p->expect);
			break;
		}
		case OP_NOW:
			if (ev_now(r.L) != p->t)
				fail_msg("%s [%s] step %d: now %" PRIu64 ", want %" PRIu64,
					 s->name, cfg->name, at, ev_now(r.L), p->t);
			break;
		case OP_FALLBACKS:
			ev_get_stats(r.L, &st);
			if (st.lane_fallbacks != (cfg->lanes ? (uint64_t)p->expect : 0))
				fail_msg("%s [%s] step %d: lane_fallbacks %" PRIu64 ", want %d",
					 s->name, cfg->name, at, st.lane_fallbacks, p->expect);
			break;
		case OP_SAME_SLOT:
			/* Documents that the test really exercises slot reuse. */
			assert_int_equal((uint32_t)r.id[p->tag], (uint32_t)r.id[p->lane]);
			assert_int_not_equal(r.id[p->tag], r.id[p->lane]);
			break;
		case OP_DIFF_SLOT:
			assert_int_not_equal((uint32_t)r.id[p->tag], (uint32_t)r.id[p->lane]);
			break;
		case OP_END:
			break;
		}
	}

	/* Compare the trace with the expected one. */
	size_t nwant = 0;
	while (s->want[nwant].tag)
		nwant++;
	const fired *got = (const fired *)(void *)r.trace->data;
	if (!same_trace(got, r.trace->len, s->want, nwant)) {
		print_error("%s [%s]: trace differs\n", s->name, cfg->name);
		dump_trace("want", s->want, nwant);
		dump_trace("got ", got, r.trace->len);
		fail();
	}

	/* Counters agree with the trace. */
	ev_get_stats(r.L, &st);
	assert_int_equal(st.run, r.trace->len);
	assert_int_equal(ev_kind_count(r.L, r.kind), r.trace->len);
	assert_string_equal(ev_kind_name(r.L, r.kind), "script");
	assert_int_equal(ev_kind_total(r.L), 1);
	ev_loop_free(r.L);
	return r.trace;
}

static void test_script(void **state)
{
	const script *s = *state;
	GArray *first = NULL;
	for (size_t c = 0; c < NCONFIGS; c++) {
		GArray *t = run_script(s, &configs[c]);
		if (!first) {
			first = t;
			continue;
		}
		if (!same_trace((const fired *)(void *)t->data, t->len,
				(const fired *)(void *)first->data, first->len))
			fail_msg("%s: traces of %s and %s differ", s->name, configs[0].name,
				 configs[c].name);
		g_array_free(t, TRUE);
	}
	g_array_free(first, TRUE);
}

/* ---------------------------------------------------------------------- */
/* Direct tests                                                            */

static void nop(void *ctx, uint32_t obj, uint32_t arg) {}

static void test_ids_and_stats(void **state)
{
	for (size_t c = 0; c < NCONFIGS; c++) {
		ev_loop *L = configs[c].make();
		ev_kind k0 = ev_kind_register(L, "zero", nop, NULL);
		ev_kind k1 = ev_kind_register(L, "one", nop, NULL);
		ev_lane ln = ev_lane_new(L, "tw", 60 * EV_SEC);
		assert_int_not_equal(k0, k1);
		assert_int_equal(ev_kind_total(L), 2);
		assert_string_equal(ev_kind_name(L, k1), "one");
		assert_string_equal(ev_kind_name(L, 7), "?");
		assert_int_equal(ev_kind_count(L, 7), 0);
		assert_int_equal(ev_now(L), 0);

		/* EV_NONE and garbage ids are never pending and never cancel. */
		assert_false(ev_pending(L, EV_NONE));
		assert_false(ev_cancel(L, EV_NONE));
		assert_false(ev_cancel(L, ((ev_id)1 << 32) | 12345));

		ev_id a = ev_at(L, 0, k0, 0, 0);
		ev_id b = ev_lane_arm(L, ln, k1, 0, 0);
		ev_id d = ev_after(L, EV_MS, k1, 0, 0);
		assert_true(a != EV_NONE && b != EV_NONE && d != EV_NONE);
		assert_true(a != b && b != d && a != d);
		/* An even generation is never a live id. */
		assert_false(ev_pending(L, a + ((ev_id)1 << 32)));

		ev_stats st;
		ev_get_stats(L, &st);
		assert_int_equal(st.pending, 3);
		assert_int_equal(st.run, 0);
		assert_true(st.bytes > 0);
		assert_true(ev_cancel(L, d));
		ev_get_stats(L, &st);
		assert_int_equal(st.cancelled, 1);
		assert_int_equal(st.pending, 3);  /* cancelled entries wait for the front */

		assert_int_equal(ev_run(L, EV_FOREVER), 2);
		ev_get_stats(L, &st);
		assert_int_equal(st.run, 2);
		assert_int_equal(st.pending, 0);
		assert_int_equal(st.cancelled, 1);
		assert_int_equal(ev_kind_count(L, k0), 1);
		assert_int_equal(ev_kind_count(L, k1), 1);
		assert_int_equal(ev_now(L), 60 * EV_SEC);
		ev_loop_free(L);
	}
	ev_loop_free(NULL);
}

/* Lane ids across ring growth (the ring wraps, then doubles): every id finds
 * its own timer while it is pending and nothing once it has run or been
 * cancelled. */
static void count_fn(void *ctx, uint32_t obj, uint32_t arg)
{
	uint32_t *ran = ctx;
	assert_int_equal(obj, arg);
	(*ran)++;
}

static void test_lane_ids(void **state)
{
	enum { N = 5000 };
	for (size_t c = 0; c < NCONFIGS; c++) {
		ev_loop *L = configs[c].make();
		uint32_t ran = 0;
		ev_kind k = ev_kind_register(L, "count", count_fn, &ran);
		ev_lane ln = ev_lane_new(L, "l", 1000);
		ev_id *id = g_new(ev_id, N);
		/* 600 armed, 500 run: the head is not at 0 when the ring grows */
		for (uint32_t i = 0; i < 600; i++)
			id[i] = ev_lane_at(L, ln, 1000 + i, k, i, i);
		assert_int_equal(ev_run(L, 1499), 500);
		for (uint32_t i = 600; i < N; i++)
			id[i] = ev_lane_at(L, ln, 1000 + i, k, i, i);
		for (uint32_t i = 0; i < N; i++)
			assert_int_equal(ev_pending(L, id[i]), i >= 500);
		for (uint32_t i = 500; i < N; i += 3)
			assert_true(ev_cancel(L, id[i]));
		for (uint32_t i = 0; i < N; i++) {
			assert_int_equal(ev_pending(L, id[i]), i >= 500 && (i - 500) % 3);
			uint32_t obj;
			if (i >= 500)
				assert_int_equal(ev_lane_peek(L, ln, i - 500, &obj) && obj == i,
						 configs[c].lanes && (i - 500) % 3);
		}
		ev_run(L, EV_FOREVER);
		assert_int_equal(ran, 500 + (N - 500) - (N - 500 + 2) / 3);
		for (uint32_t i = 0; i < N; i++) {
			assert_false(ev_pending(L, id[i]));
			assert_false(ev_cancel(L, id[i]));
		}
		/* A new timer takes a position no old id names. */
		ev_id fresh = ev_lane_arm(L, ln, k, 7, 7);
		for (uint32_t i = 0; i < N; i++)
			assert_true(id[i] != fresh);
		assert_true(ev_pending(L, fresh));
		g_free(id);
		ev_loop_free(L);
	}
}

/* A chain that reschedules itself: the clock follows; many slots are reused. */
typedef struct chain {
	ev_loop *L;
	ev_kind k;
	ev_lane ln;
	uint32_t left;
	ev_time last;
} chain;

static void chain_fn(void *ctx, uint32_t obj, uint32_t arg)
{
	chain *c = ctx;
	assert_true(ev_now(c->L) >= c->last);
	c->last = ev_now(c->L);
	if (c->left) {
		c->left--;
		if (obj & 1)
			ev_lane_arm(c->L, c->ln, c->k, obj + 1, arg);
		else
			ev_after(c->L, arg, c->k, obj + 1, arg);
	}
}

static void test_self_rescheduling(void **state)
{
	for (size_t c = 0; c < NCONFIGS; c++) {
		chain ch = { .L = configs[c].make(), .left = 100000 };
		ch.k = ev_kind_register(ch.L, "chain", chain_fn, &ch);
		ch.ln = ev_lane_new(ch.L, "l", 7);
		for (uint32_t i = 0; i < 10; i++)
			ev_at(ch.L, i, ch.k, i, 3);
		assert_int_equal(ev_run(ch.L, EV_FOREVER), 100010);
		ev_stats st;
		ev_get_stats(ch.L, &st);
		assert_int_equal(st.pending, 0);
		/* Slots are recycled: far fewer than the events run were allocated. */
		assert_true(st.bytes < 256 * 1024);
		ev_loop_free(ch.L);
	}
}

/* ev_set_timing: ticks go to the kind whose handler spent them, and only
 * while timing is on.  The grower registers kinds from inside its handler
 * (the kinds table moves: the tick count must land in the new one). */
#define SPIN_TICKS 200000u

static void spin_fn(void *ctx, uint32_t obj, uint32_t arg)
{
	uint64_t t0 = ev_ticks();
	while (ev_ticks() - t0 < SPIN_TICKS)
		;
}

static void nop_fn(void *ctx, uint32_t obj, uint32_t arg)
{
}

static void grow_fn(void *ctx, uint32_t obj, uint32_t arg)
{
	ev_loop *L = ctx;
	for (int i = 0; i < 64; i++)
		ev_kind_register(L, "more", nop_fn, NULL);
	spin_fn(NULL, obj, arg);
}

static void test_timing(void **state)
{
	for (size_t c = 0; c < NCONFIGS; c++) {
		ev_loop *L = configs[c].make();
		ev_kind spin = ev_kind_register(L, "spin", spin_fn, NULL);
		ev_kind nop = ev_kind_register(L, "nop", nop_fn, NULL);
		ev_kind grow = ev_kind_register(L, "grow", grow_fn, L);
		ev_lane ln = ev_lane_new(L, "l", 5);
		/* off: nothing is counted */
		ev_at(L, 1, spin, 0, 0);
		ev_lane_arm(L, ln, nop, 0, 0);
		assert_int_equal(ev_run(L, 10), 2);
		assert_int_equal(ev_kind_ticks(L, spin), 0);
		assert_int_equal(ev_kind_ticks(L, nop), 0);
		/* on: through the queue and through a lane */
		ev_set_timing(L, true);
		ev_at(L, 20, spin, 0, 0);
		ev_at(L, 21, grow, 0, 0);
		ev_lane_arm(L, ln, spin, 0, 0);  /* at 15 */
		for (int i = 0; i < 5; i++)
			ev_at(L, 30 + i, nop, 0, 0);
		assert_int_equal(ev_run(L, 100), 8);
		uint64_t ts = ev_kind_ticks(L, spin), tn = ev_kind_ticks(L, nop), tg = ev_kind_ticks(L, grow);
		assert_true(ts >= 2u * SPIN_TICKS);
		assert_true(tg >= SPIN_TICKS);
		assert_true(tn < ts);
		/* off again: the counts stay */
		ev_set_timing(L, false);
		ev_at(L, 200, spin, 0, 0);
		assert_int_equal(ev_run(L, 300), 1);
		assert_int_equal(ev_kind_ticks(L, spin), ts);
		assert_int_equal(ev_kind_ticks(L, grow), tg);
		ev_loop_free(L);
	}
}

/* Scheduling in the past is a bug: the engine aborts.  cmocka cannot catch
 * an abort, so each case runs in a child process. */
enum past_how { PAST_AT, PAST_LANE_AT, PAST_IN_CALLBACK };

static void past_cb(void *ctx, uint32_t obj, uint32_t arg)
{
	ev_loop *L = ctx;
	ev_at(L, ev_now(L) - 1, 0, 0, 0);
}

static void in_child_schedule_past(const config *cfg, enum past_how how)
{
	ev_loop *L = cfg->make();
	ev_kind k = ev_kind_register(L, "past", past_cb, L);
	ev_lane ln = ev_lane_new(L, "l", 100);
	switch (how) {
	case PAST_AT:
		ev_run(L, 100);
		ev_at(L, 99, k, 0, 0);
		break;
	case PAST_LANE_AT:
		ev_run(L, 100);
		ev_lane_at(L, ln, 50, k, 0, 0);
		break;
	case PAST_IN_CALLBACK:
		ev_at(L, 10, k, 0, 0);
		ev_run(L, EV_FOREVER);
		break;
	}
}

/* The child's stderr, through a pipe, must be sim/bug.h's one line naming the
 * engine's source, the line and the broken invariant. */
static void test_schedule_in_past_aborts(void **state)
{
	for (size_t c = 0; c < NCONFIGS; c++) {
		for (int how = PAST_AT; how <= PAST_IN_CALLBACK; how++) {
			int fds[2];
			assert_int_equal(pipe(fds), 0);
			fflush(NULL);
			pid_t pid = fork();
			assert_true(pid >= 0);
			if (pid == 0) {
				close(fds[0]);
				dup2(fds[1], STDERR_FILENO);
				in_child_schedule_past(&configs[c], (enum past_how)how);
				_exit(0);  /* not reached if the engine aborts */
			}
			close(fds[1]);
			char msg[256];
			size_t n = 0;
			ssize_t r;
			while (n < sizeof(msg) - 1 && (r = read(fds[0], msg + n, sizeof(msg) - 1 - n)) > 0)
				n += (size_t)r;
			msg[n] = 0;
			close(fds[0]);
			int status;
			assert_int_equal(waitpid(pid, &status, 0), pid);
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
				fail_msg("[%s] case %d: child did not abort (status %#x)",
					 configs[c].name, how, status);
			int line = 0, end = 0;
			if (sscanf(msg, "sim/ev.c:%d: BUG: when < L->now\n%n", &line, &end) != 1 || line <= 0 ||
			    (size_t)end != n)
				fail_msg("[%s] case %d: the abort said '%s'", configs[c].name, how, msg);
		}
	}
}

/* The schedulers on their own: random pushes and pops in (time, seq) order. */
static void test_evq_direct(void **state)
{
	const evq_ops *impl[] = { &evq_heap, &evq_list, &evq_calendar };
	for (size_t i = 0; i < sizeof(impl) / sizeof(impl[0]); i++) {
		const evq_ops *o = impl[i];
		gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
		gsl_rng_set(g, 42);
		void *q = o->create();
		assert_null(o->peek(q));
		assert_int_equal(o->size(q), 0);
		uint64_t seq = 0;
		evq_ent prev = { 0, 0, 0 };
		size_t popped = 0;
		for (int iter = 0; iter < 40000; iter++) {
			if (gsl_rng_uniform(g) < 0.55 || !o->size(q)) {
				/* Never below the last popped entry, as the engine does. */
				evq_ent e = { prev.time + gsl_rng_uniform_int(g, 20), seq++,
					      (uint32_t)iter };
				o->push(q, e);
			} else {
				const evq_ent *h = o->peek(q);
				assert_non_null(h);
				evq_ent e = *h;
				if (popped)
					assert_true(evq_before(&prev, &e));
				prev = e;
				o->pop(q);
				popped++;
			}
		}
		assert_true(o->bytes(q) >= o->size(q) * sizeof(evq_ent));
		while (o->size(q)) {
			evq_ent e = *o->peek(q);
			assert_true(evq_before(&prev, &e));
			prev = e;
			o->pop(q);
		}
		assert_null(o->peek(q));
		o->destroy(q);
		gsl_rng_free(g);
	}
}

/*
 * The calendar queue against the heap and the sorted list, entry for entry:
 * every peek must return the same entry (time, seq and slot) from all three.
 * Populations grow and drain repeatedly (so the calendar's rungs are built,
 * refined, exhausted and rebuilt from empty); pops are sometimes preceded by a
 * push before the peeked minimum, as the engine does between a peek and a pop
 * (a lane event runs first and schedules). The list is O(n) per push, so it
 * joins only the smaller runs; the large ones compare with the heap.
 */
enum evq_wl {
	WL_HOLD,     /* now + exponential, mean 1 ms */
	WL_TIES,     /* a few distinct times: long runs of ties */
	WL_BIMODAL,  /* a dense near front and a far cluster (1000 s ahead) */
	WL_WIDE,     /* delays of every magnitude up to 2^64 */
	WL_HUGE,     /* times at and just below UINT64_MAX */
	WL_DOWN,     /* each push earlier than the one before (but not before now) */
	WL_ANY,      /* any time, even before the last pop: a general priority queue */
	WL_BELOW,    /* ever earlier times, mostly before the last pop */
	WL_COUNT
};

static const char *const wl_name[WL_COUNT] = { "hold", "ties", "bimodal", "wide", "huge",
					       "down", "any", "below" };

static uint64_t rnd64(gsl_rng *g)
{
	return (uint64_t)gsl_rng_get(g) << 32 | (uint64_t)gsl_rng_get(g);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* *state: the distance ahead of now (WL_DOWN), the last time (WL_BELOW). */
static uint64_t wl_time(gsl_rng *g, enum evq_wl wl, uint64_t now, uint64_t *state)
{
	double u = gsl_rng_uniform(g);
	switch (wl) {
	case WL_HOLD:
		return now + (uint64_t)gsl_ran_exponential(g, 1e6);
	case WL_TIES:
		return now + (u < 0.5 ? 0 : 1000 * gsl_rng_uniform_int(g, 4));
	case WL_BIMODAL:
		return u < 0.9 ? now + gsl_rng_uniform_int(g, 100)
			       : now + 1000 * EV_SEC + gsl_rng_uniform_int(g, 1000000000);
	case WL_WIDE:
		return sat_add(now, rnd64(g) >> gsl_rng_uniform_int(g, 64));
	case WL_HUGE:
		if (u < 0.3) {
			uint64_t t = UINT64_MAX - gsl_rng_uniform_int(g, 1000);
			return t > now ? t : now;
		}
		return u < 0.4 ? UINT64_MAX : sat_add(now, gsl_rng_uniform_int(g, 1000));
	case WL_DOWN:
		*state = *state > 1000 ? *state - gsl_rng_uniform_int(g, 1000) : EV_SEC;
		return now + *state;
	case WL_BELOW:
		*state = *state > 1000 ? *state - 1 - gsl_rng_uniform_int(g, 1000) : EV_SEC;
		return *state;
	default:
		return rnd64(g) % 1000000;
	}
}

static void same_front(const evq_ops **o, void **q, size_t no, const char *what, size_t at)
{
	const evq_ent *a = o[0]->peek(q[0]);
	for (size_t k = 1; k < no; k++) {
		const evq_ent *b = o[k]->peek(q[k]);
		if (!a || !b) {
			if (a || b)
				fail_msg("%s, step %zu: %s %s empty, %s not", what, at, o[0]->name,
					 a ? "not" : "is", o[k]->name);
			continue;
		}
		if (a->time != b->time || a->seq != b->seq || a->slot != b->slot)
			fail_msg("%s, step %zu: %s front (%" PRIu64 ", %" PRIu64 ") but %s (%" PRIu64
				 ", %" PRIu64 ")", what, at, o[0]->name, a->time, a->seq, o[k]->name,
				 b->time, b->seq);
	}
}

/* Returns how many pushes between a peek and a pop came before the minimum. */
static uint64_t evq_workload(enum evq_wl wl, size_t maxpop, size_t nops, bool with_list)
{
	const evq_ops *o[] = { &evq_calendar, &evq_heap, &evq_list };
	size_t no = with_list ? 3 : 2;
	void *q[3];
	char what[64];
	snprintf(what, sizeof(what), "%s, up to %zu pending", wl_name[wl], maxpop);
	for (size_t k = 0; k < no; k++)
		q[k] = o[k]->create();
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(g, 7 + wl + maxpop);
	uint64_t now = 0, seq = 0, pops = 0, between = 0, below = 0, state = 0;
	size_t target = maxpop;
	bool growing = true;
	for (size_t i = 0; i < nops; i++) {
		size_t n = o[0]->size(q[0]);
		for (size_t k = 1; k < no; k++)
			assert_int_equal(o[k]->size(q[k]), n);
		if (growing && n >= target) {
			growing = false;
		} else if (!growing && n == 0) {
			growing = true;
			target = 1 + gsl_rng_uniform_int(g, maxpop);
		}
		if (!n || gsl_rng_uniform(g) < (growing ? 0.7 : 0.3)) {
			evq_ent e = { wl_time(g, wl, now, &state), seq++, (uint32_t)i };
			for (size_t k = 0; k < no; k++)
				o[k]->push(q[k], e);
			continue;
		}
		if (gsl_rng_uniform(g) < 0.1) {
			/* A pop with no peek before it (the calendar's own, that is). */
			now = wl == WL_ANY || wl == WL_BELOW ? now : o[1]->peek(q[1])->time;
			for (size_t k = 0; k < no; k++)
				o[k]->pop(q[k]);
			pops++;
			continue;
		}
		same_front(o, q, no, what, i);
		evq_ent m = *o[0]->peek(q[0]);
		if (gsl_rng_uniform(g) < 0.2) {
			/* Between the peek and the pop, an entry no later than the
			 * minimum: before it, or tying it (then after it, by seq). */
			uint64_t t = m.time;
			if (m.time > now && gsl_rng_uniform(g) < 0.8)
				t = now + rnd64(g) % (m.time - now);
			evq_ent e = { t, seq++, (uint32_t)i };
			for (size_t k = 0; k < no; k++)
				o[k]->push(q[k], e);
			same_front(o, q, no, what, i);
			evq_ent m2 = *o[0]->peek(q[0]);
			if (t < m.time) {
				assert_true(m2.time == e.time && m2.seq == e.seq);
				below++;
			} else {
				assert_true(m2.time == m.time && m2.seq == m.seq);
			}
			between++;
			m = m2;
		}
		if (wl != WL_ANY && wl != WL_BELOW) {
			assert_true(m.time >= now);
			now = m.time;
		}
		for (size_t k = 0; k < no; k++)
			o[k]->pop(q[k]);
		pops++;
	}
	while (o[0]->size(q[0])) {
		same_front(o, q, no, what, nops);
		for (size_t k = 0; k < no; k++)
			o[k]->pop(q[k]);
		pops++;
	}
	same_front(o, q, no, what, nops);
	print_message("  [%s] %" PRIu64 " pushes, %" PRIu64 " between a peek and a pop, %" PRIu64
		      " of them before the minimum\n", what, seq, between, below);
	assert_true(pops > nops / 4);
	assert_true(between > nops / 50);
	for (size_t k = 0; k < no; k++) {
		assert_int_equal(o[k]->size(q[k]), 0);
		assert_null(o[k]->peek(q[k]));
		o[k]->destroy(q[k]);
	}
	gsl_rng_free(g);
	return below;
}

static void test_evq_calendar_differential(void **state)
{
	uint64_t below = 0;
	for (int wl = 0; wl < WL_COUNT; wl++) {
		below += evq_workload((enum evq_wl)wl, 1500, 40000, true);
		below += evq_workload((enum evq_wl)wl, 60000, 300000, false);
	}
	assert_true(below > 30000);
}

/* ---------------------------------------------------------------------- */
/* Randomized differential test                                            */

#define DIFF_OPS 100000
#define DIFF_SEED 20240601
#define DIFF_MAXLANES 512

enum rec_kind { REC_FIRE = 1, REC_CANCEL, REC_PENDING, REC_RUN, REC_NOW };

typedef struct rec {
	uint64_t a, b;
	uint32_t kind, c;
} rec;

typedef struct rop {
	uint8_t op;       /* 0 at, 1 after, 2 lane, 3 lane_at, 4 cancel, 5 pending, 6 run */
	uint16_t lane;
	uint32_t pick;    /* which earlier id (cancel, pending) */
	ev_time t;
} rop;

typedef struct diff {
	ev_loop *L;
	ev_kind k;
	unsigned nlanes;
	const ev_time *len;
	ev_lane lanes[DIFF_MAXLANES];
	GArray *ids;     /* every id handed out, in order */
	GArray *trace;   /* of rec */
	uint32_t next_tag;
	ev_time last;
	uint64_t max_pending;
} diff;

/* Lane lengths: varied, repeated (one TIME_WAIT lane per host), and zero. */
static const ev_time diff_len8[] = { 300, 1000, 7, 300, 0, 50, 300, 1 };
static ev_time diff_len_many[DIFF_MAXLANES];

static void rec_add(diff *d, uint32_t kind, uint64_t a, uint64_t b, uint32_t c)
{
	rec r = { a, b, kind, c };
	g_array_append_val(d->trace, r);
}

/* One of the last 64 ids handed out (most older ones have run). */
static ev_id recent_id(const diff *d, uint32_t pick)
{
	uint32_t n = d->ids->len < 64 ? d->ids->len : 64;
	return g_array_index(d->ids, ev_id, d->ids->len - 1 - pick % n);
}

static void diff_sched(diff *d, ev_time when, int how, unsigned lane)
{
	/* obj and arg encode the due time so the callback can check it. */
	uint32_t tag = (d->next_tag++ << 4) | (uint32_t)(when & 15);
	uint32_t hi = (uint32_t)(when >> 4);
	ev_id id;
	switch (how) {
	case 0:
		id = ev_at(d->L, when, d->k, tag, hi);
		break;
	case 1:
		id = ev_after(d->L, when - ev_now(d->L), d->k, tag, hi);
		break;
	case 2:
		assert_true(when == ev_now(d->L) + d->len[lane]);
		id = ev_lane_arm(d->L, d->lanes[lane], d->k, tag, hi);
		break;
	default:
		id = ev_lane_at(d->L, d->lanes[lane], when, d->k, tag, hi);
		break;
	}
	g_array_append_val(d->ids, id);
}

static void diff_fire(void *ctx, uint32_t obj, uint32_t arg)
{
	diff *d = ctx;
	ev_time now = ev_now(d->L);
	assert_true(now >= d->last);
	assert_true(now == ((uint64_t)arg << 4 | (obj & 15)));
	d->last = now;
	rec_add(d, REC_FIRE, now, obj, arg);
	/* Deterministic actions from the tag: spawn, cancel, stop. */
	uint32_t h = obj * 2654435761u;
	if ((h >> 28) < 3) {
		unsigned ln = h % d->nlanes;
		if ((h >> 20) & 1)
			diff_sched(d, now + ((h >> 8) & 15), 0, 0);  /* often "now" */
		else
			diff_sched(d, now + d->len[ln], 2, ln);
	} else if ((h >> 28) == 3 && d->ids->len) {
		ev_id id = recent_id(d, h >> 4);
		rec_add(d, REC_CANCEL, ev_cancel(d->L, id), 0, 1);
	} else if ((h >> 24) == 0x40) {
		ev_stop(d->L);
	}
}

static GArray *diff_run(const config *cfg, const rop *ops, size_t nops, unsigned nlanes,
			const ev_time *len, ev_stats *st, uint64_t *max_pending)
{
	diff d = { .L = cfg->make(), .next_tag = 1, .nlanes = nlanes, .len = len };
	d.ids = g_array_new(FALSE, FALSE, sizeof(ev_id));
	d.trace = g_array_new(FALSE, FALSE, sizeof(rec));
	d.k = ev_kind_register(d.L, "diff", diff_fire, &d);
	for (unsigned i = 0; i < nlanes; i++)
		d.lanes[i] = ev_lane_new(d.L, "lane", len[i]);

	for (size_t i = 0; i < nops; i++) {
		const rop *o = &ops[i];
		ev_time now = ev_now(d.L);
		if (o->op == 6) {
			ev_get_stats(d.L, st);
			if (st->pending > d.max_pending)
				d.max_pending = st->pending;
		}
		switch (o->op) {
		case 0:
		case 1:
			diff_sched(&d, now + o->t, o->op, 0);
			break;
		case 2:
			diff_sched(&d, now + len[o->lane], 2, o->lane);
			break;
		case 3:
			diff_sched(&d, now + o->t, 3, o->lane);
			break;
		case 4:
			if (d.ids->len)
				rec_add(&d, REC_CANCEL,
					ev_cancel(d.L, recent_id(&d, o->pick)),
					i, 0);
			break;
		case 5:
			if (d.ids->len)
				rec_add(&d, REC_PENDING,
					ev_pending(d.L, recent_id(&d, o->pick)),
					i, 0);
			break;
		default:
			rec_add(&d, REC_RUN, ev_run(d.L, now + o->t), i, 0);
			rec_add(&d, REC_NOW, ev_now(d.L), i, 0);
			break;
		}
	}
	rec_add(&d, REC_RUN, ev_run(d.L, EV_FOREVER), nops, 0);
	rec_add(&d, REC_NOW, ev_now(d.L), nops, 0);
	ev_get_stats(d.L, st);
	/* Repeat until no ev_stop interrupts the drain. */
	while (st->pending) {
		rec_add(&d, REC_RUN, ev_run(d.L, EV_FOREVER), nops, 1);
		ev_get_stats(d.L, st);
	}
	*max_pending = d.max_pending;
	ev_loop_free(d.L);
	g_array_free(d.ids, TRUE);
	return d.trace;
}

static void differential(unsigned nlanes, const ev_time *len, uint64_t min_pending)
{
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(g, DIFF_SEED + nlanes);
	rop *ops = g_new0(rop, DIFF_OPS);
	for (size_t i = 0; i < DIFF_OPS; i++) {
		double u = gsl_rng_uniform(g);
		rop *o = &ops[i];
		o->lane = (uint16_t)gsl_rng_uniform_int(g, nlanes);
		o->pick = (uint32_t)gsl_rng_get(g);
		if (u < 0.20) {
			o->op = 0;  /* small delays: many ties */
			o->t = gsl_rng_uniform_int(g, 40);
		} else if (u < 0.30) {
			o->op = 1;
			o->t = gsl_rng_uniform_int(g, 20000);
		} else if (u < 0.55) {
			o->op = 2;
		} else if (u < 0.62) {
			o->op = 3;  /* sometimes behind the lane's tail: fallback */
			o->t = gsl_rng_uniform_int(g, 2 * len[o->lane] + 1);
		} else if (u < 0.77) {
			o->op = 4;
		} else if (u < 0.82) {
			o->op = 5;
		} else {
			o->op = 6;
			o->t = gsl_rng_uniform_int(g, 12);
		}
	}
	gsl_rng_free(g);

	GArray *ref = NULL;
	ev_stats ref_st = { 0 };
	for (size_t c = 0; c < NCONFIGS; c++) {
		ev_stats st;
		uint64_t maxp;
		GArray *t = diff_run(&configs[c], ops, DIFF_OPS, nlanes, len, &st, &maxp);
		print_message("  [%s] %" PRIu64 " run, %" PRIu64 " cancelled, %" PRIu64
			      " lane fallbacks, %" PRIu64 " pending at most, %u trace records\n",
			      configs[c].name, st.run, st.cancelled, st.lane_fallbacks, maxp, t->len);
		/* The test is only worth something if it exercised the engine. */
		assert_true(st.run > 50000);
		assert_true(maxp > min_pending);
		assert_true(st.cancelled > 5000);
		if (configs[c].lanes)
			assert_true(st.lane_fallbacks > 100);
		if (!ref) {
			ref = t;
			ref_st = st;
			continue;
		}
		assert_int_equal(st.run, ref_st.run);
		assert_int_equal(st.cancelled, ref_st.cancelled);
		assert_int_equal(st.pending, 0);
		size_t n = t->len < ref->len ? t->len : ref->len;
		const rec *a = (const rec *)(void *)ref->data, *b = (const rec *)(void *)t->data;
		for (size_t i = 0; i < n; i++)
			if (memcmp(&a[i], &b[i], sizeof(rec)) != 0)
				fail_msg("[%s] trace record %zu differs: kind %u/%u a %" PRIu64
					 "/%" PRIu64 " b %" PRIu64 "/%" PRIu64,
					 configs[c].name, i, a[i].kind, b[i].kind, a[i].a, b[i].a,
					 a[i].b, b[i].b);
		assert_int_equal(t->len, ref->len);
		g_array_free(t, TRUE);
	}
	g_array_free(ref, TRUE);
	g_free(ops);
}

static void test_differential(void **state)
{
	differential(sizeof(diff_len8) / sizeof(diff_len8[0]), diff_len8, 1000);
}

/* Many lanes (one per host): the engine's choice of the earliest lane. */
static void test_differential_many_lanes(void **state)
{
	for (unsigned i = 0; i < DIFF_MAXLANES; i++)
		diff_len_many[i] = i % 3 ? 3000 : 1 + (i * 37) % 2000;
	differential(DIFF_MAXLANES, diff_len_many, 1500);
}

/* ev_after_fixed and ev_at_fixed past EV_FIXED_LANES distinct delays (the
 * rest go to the priority queue): every configuration runs the events in
 * the reference's order, and the lanes were really used. */
typedef struct fixed_run {
	GArray *trace;  /* (time, tag) */
	ev_loop *L;
	ev_kind k;
	gsl_rng *g;
	uint32_t next_tag, left;
} fixed_run;

static void fixed_fire(void *ctx, uint32_t obj, uint32_t arg)
{
	fixed_run *f = ctx;
	uint64_t r[2] = { ev_now(f->L), obj };
	g_array_append_vals(f->trace, r, 2);
	(void)arg;
	if (!f->left)
		return;
	f->left--;
	/* delays from 3 x EV_FIXED_LANES distinct values, some rounded up to a
	 * grid (as a timer wheel does) through ev_at_fixed */
	ev_time d = 1000 + 7 * gsl_rng_uniform_int(f->g, 3 * EV_FIXED_LANES);
	if (gsl_rng_uniform(f->g) < 0.3)
		ev_at_fixed(f->L, d, (ev_now(f->L) + d + 63) / 64 * 64, f->k, f->next_tag++, 0);
	else
		ev_after_fixed(f->L, d, f->k, f->next_tag++, 0);
}

static GArray *fixed_trace(const config *c, ev_stats *st)
{
	fixed_run f = { g_array_new(FALSE, FALSE, sizeof(uint64_t)), c->make(), 0, gsl_rng_alloc(gsl_rng_mt19937), 0,
			200000 };
	gsl_rng_set(f.g, DIFF_SEED);
	f.k = ev_kind_register(f.L, "fixed", fixed_fire, &f);
	for (unsigned i = 0; i < 500; i++)
		ev_after_fixed(f.L, 1 + i % 50, f.k, f.next_tag++, 0);
	ev_run(f.L, EV_FOREVER);
	ev_get_stats(f.L, st);
	ev_loop_free(f.L);
	gsl_rng_free(f.g);
	return f.trace;
}

static void test_fixed_lanes_overflow(void **state)
{
	(void)state;
	ev_stats st;
	GArray *ref = fixed_trace(&configs[1], &st);
	assert_int_equal(st.run, 200500);
	for (size_t c = 0; c < NCONFIGS; c++) {
		GArray *t = fixed_trace(&configs[c], &st);
		assert_int_equal(t->len, ref->len);
		assert_memory_equal(t->data, ref->data, (size_t)ref->len * sizeof(uint64_t));
		if (configs[c].lanes)
			assert_true(st.lane_fallbacks > 0);  /* the rounded ones, now and then */
		g_array_free(t, TRUE);
	}
	g_array_free(ref, TRUE);
}

/* ev_peek_same_lane: from a lane event's handler, the pending events behind
 * it on its lane, of the kind asked; nothing for another kind, a cancelled
 * one, or a handler run from the priority queue. */
typedef struct peek_run {
	ev_loop *L;
	ev_kind k, other;
	GArray *seen;  /* per run: obj, then what peek 0 and 1 gave (or 999) */
} peek_run;

static void peek_fire(void *ctx, uint32_t obj, uint32_t arg)
{
	peek_run *p = ctx;
	(void)arg;
	uint32_t r[3] = { obj, 999, 999 };
	uint32_t o;
	if (ev_peek_same_lane(p->L, 0, p->k, &o))
		r[1] = o;
	if (ev_peek_same_lane(p->L, 1, p->k, &o))
		r[2] = o;
	g_array_append_vals(p->seen, r, 3);
}

static void test_peek_same_lane(void **state)
{
	(void)state;
	peek_run p = { make_calendar(), 0, 0, g_array_new(FALSE, FALSE, sizeof(uint32_t)) };
	p.k = ev_kind_register(p.L, "seg", peek_fire, &p);
	p.other = ev_kind_register(p.L, "other", peek_fire, &p);
	ev_lane ln = ev_lane_new(p.L, "lane", 100);
	ev_lane_at(p.L, ln, 10, p.k, 1, 0);
	ev_id c = ev_lane_at(p.L, ln, 20, p.k, 2, 0);
	ev_lane_at(p.L, ln, 30, p.other, 3, 0);
	ev_lane_at(p.L, ln, 40, p.k, 4, 0);
	ev_at(p.L, 35, p.k, 5, 0);  /* from the queue: peeks nothing */
	ev_cancel(p.L, c);
	ev_run(p.L, EV_FOREVER);
	const uint32_t want[] = {
		1, 999, 4,    /* behind it: 2 cancelled (dropped at once), 3 of another kind, 4 */
		3, 4, 999,    /* "other" peeking for k: 4 is next */
		5, 999, 999,  /* the queue's event */
		4, 999, 999,
	};
	assert_int_equal(p.seen->len, G_N_ELEMENTS(want));
	assert_memory_equal(p.seen->data, want, sizeof want);
	g_array_free(p.seen, TRUE);
	ev_loop_free(p.L);
}

int main(void)
{
	const struct CMUnitTest more[] = {
		cmocka_unit_test(test_ids_and_stats),
		cmocka_unit_test(test_lane_ids),
		cmocka_unit_test(test_fixed_lanes_overflow),
		cmocka_unit_test(test_peek_same_lane),
		cmocka_unit_test(test_self_rescheduling),
		cmocka_unit_test(test_timing),
		cmocka_unit_test(test_schedule_in_past_aborts),
		cmocka_unit_test(test_evq_direct),
		cmocka_unit_test(test_evq_calendar_differential),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_differential_many_lanes),
	};
	struct CMUnitTest tests[NSCRIPTS + sizeof(more) / sizeof(more[0])];
	size_t n = 0;
	for (size_t i = 0; i < NSCRIPTS; i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_script,
									(void *)&scripts[i]);
		tests[n].name = scripts[i].name;
		n++;
	}
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		tests[n++] = more[i];
	return _cmocka_run_group_tests("ev", tests, n, NULL, NULL);
}
