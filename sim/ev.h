/*
 * ev: the discrete-event engine.  It knows nothing of what it simulates.
 *
 * Time is a uint64_t count of nanoseconds (ev_time).  An event is a handler
 * kind (registered once, a callback and its context) applied to an object
 * index and a 32-bit argument; models keep their objects in pools and refer to
 * them by index, so an event carries no pointers.
 *
 * Ordering: events run by (time, insertion sequence).  Two events at the same
 * time run in the order they were scheduled, whatever queue holds them, so a
 * run is reproducible bit for bit.
 *
 * Two kinds of queue:
 *   - lanes: FIFOs for timers of one fixed length (a model's 60 s timer, a
 *     table entry's timeout).  Timers of one length expire in the order they were armed, so
 *     arming and expiry are O(1).  A lane also accepts any expiry not earlier
 *     than its last one (a timer rounded up to a wheel granularity stays FIFO).
 *   - the priority queue (evq, a calendar queue in its ladder form) for
 *     everything else.
 *
 * Cancellation is O(1): ev_cancel marks the event (its slot, or its lane
 * entry); the entry is dropped when it reaches the front.  An ev_id stays safe
 * to cancel after the event ran or was cancelled (a generation counter guards
 * reused slots, a position counter lane entries).
 *
 *	ev_loop *L = ev_loop_new(NULL);
 *	ev_kind k = ev_kind_register(L, "expire", expire, table);
 *	ev_lane sixty = ev_lane_new(L, "60 s timer", 60 * EV_SEC);
 *	ev_id id = ev_lane_arm(L, sixty, k, record_index, 0);
 *	...
 *	ev_cancel(L, id);
 *	ev_run(L, 600 * EV_SEC);
 */
#ifndef CONNSIM_EV_H
#define CONNSIM_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/evq.h"

typedef uint64_t ev_time;
#define EV_NS  ((ev_time)1)
#define EV_US  ((ev_time)1000)
#define EV_MS  ((ev_time)1000000)
#define EV_SEC ((ev_time)1000000000)
#define EV_FOREVER UINT64_MAX

typedef struct ev_loop ev_loop;
typedef uint16_t ev_kind;
typedef uint16_t ev_lane;
/* A slot and its generation, or a lane and a position (ev.c); 0 is never a
 * valid id ("no timer"). */
typedef uint64_t ev_id;
#define EV_NONE ((ev_id)0)

typedef void (*ev_fn)(void *ctx, uint32_t obj, uint32_t arg);

/* sched: the queue for irregular events; NULL means evq_calendar (evq_heap is
 * the other fast choice).  With lanes_off, lane timers go to that queue too
 * (the reference configuration). */
ev_loop *ev_loop_new(const evq_ops *sched);
ev_loop *ev_loop_new_ref(void);  /* evq_list and no lanes: the reference */
void ev_loop_free(ev_loop *L);

ev_kind ev_kind_register(ev_loop *L, const char *name, ev_fn fn, void *ctx);
ev_lane ev_lane_new(ev_loop *L, const char *name, ev_time length);

/* Inline: models read the clock on nearly every event.  The clock is the
 * loop's first member (ev.c checks). */
static inline ev_time ev_now(const ev_loop *L)
{
	return *(const ev_time *)(const void *)L;
}

/* Schedule at an absolute time; scheduling in the past is a bug and aborts. */
ev_id ev_at(ev_loop *L, ev_time when, ev_kind k, uint32_t obj, uint32_t arg);
ev_id ev_after(ev_loop *L, ev_time delay, ev_kind k, uint32_t obj, uint32_t arg);
/*
 * An event after one of a few fixed delays (a path's delay, a model's
 * timeout): events scheduled with equal delays run in the order they were
 * scheduled, so each distinct delay gets a lane of its own, created on first
 * use, and its events skip the priority queue.  Beyond EV_FIXED_LANES distinct
 * delays, or with lanes off, this is ev_after.  Runs exactly as ev_after
 * would; use ev_after for delays drawn at random (they would each take a lane).
 */
#define EV_FIXED_LANES 256
ev_id ev_after_fixed(ev_loop *L, ev_time delay, ev_kind k, uint32_t obj, uint32_t arg);
/* An event at an explicit time, in the lane of the family key names (the
 * lanes of ev_after_fixed, keyed the same way): for timers armed with one
 * nominal delay whose expiries are rounded (a timer wheel), so that they
 * nearly always come in order.  One that would break the lane's order goes to
 * the priority queue; either way it runs exactly as ev_at would. */
ev_id ev_at_fixed(ev_loop *L, ev_time key, ev_time when, ev_kind k, uint32_t obj, uint32_t arg);
/* A timer of the lane's length from now. */
ev_id ev_lane_arm(ev_loop *L, ev_lane lane, ev_kind k, uint32_t obj, uint32_t arg);
/* A lane timer with an explicit expiry; falls back to the priority queue if it
 * would break the lane's FIFO order. */
ev_id ev_lane_at(ev_loop *L, ev_lane lane, ev_time when, ev_kind k, uint32_t obj, uint32_t arg);

/* The object of the lane's entry ahead places behind its head (0: the next to
 * run), when that entry exists and is pending: a model whose lane events are
 * cold (armed 60 s ago) can prefetch what they will touch. */
bool ev_lane_peek(const ev_loop *L, ev_lane lane, uint32_t ahead, uint32_t *obj);
/* ev_lane_peek on the lane of the event whose handler is running, for an
 * event of kind k (false when the handler's event came from the priority
 * queue, or that entry is of another kind or cancelled): a handler can
 * fetch what the events coming behind it on its lane will touch. */
bool ev_peek_same_lane(const ev_loop *L, uint32_t ahead, ev_kind k, uint32_t *obj);

bool ev__cancel(ev_loop *L, ev_id id);
/* Returns true when the event was pending and is now cancelled.  Inline for
 * EV_NONE: models cancel whatever timer they hold, most often none. */
static inline bool ev_cancel(ev_loop *L, ev_id id)
{
	return id != EV_NONE && ev__cancel(L, id);
}
bool ev_pending(const ev_loop *L, ev_id id);

/* Run every event with time <= until (EV_FOREVER: until none is left or
 * ev_stop).  Afterwards the clock reads until (unless stopped or FOREVER).
 * Returns the number of events run. */
uint64_t ev_run(ev_loop *L, ev_time until);
void ev_stop(ev_loop *L);

typedef struct ev_stats {
	uint64_t run;        /* events executed */
	uint64_t cancelled;  /* events cancelled before running */
	uint64_t pending;    /* events waiting (including cancelled not yet dropped) */
	uint64_t lane_fallbacks;
	size_t bytes;        /* memory held by queues, lanes and slots */
} ev_stats;
void ev_get_stats(const ev_loop *L, ev_stats *out);
/* For `make bench`'s per-timer memory breakdown: the slot an event in the
 * priority queue owns besides its evq_ent, and a lane entry (the whole of a
 * lane event). */
size_t ev_slot_bytes(void);
size_t ev_lane_entry_bytes(void);
uint64_t ev_kind_count(const ev_loop *L, ev_kind k);  /* events run of a kind */
/* Events dispatched so far, the one whose handler is running included: two
 * calls from one handler agree, calls from different events differ (for
 * recorders that need to know which records one event made). */
uint64_t ev_dispatched(const ev_loop *L);
/*
 * Where a run's time goes.  With timing on, ev_run reads a clock around every
 * handler and adds the difference to the handler's kind; the rest of a run's
 * time is the engine's own (off by default: then a predictable branch per
 * event).  Ticks are the CPU's time-stamp counter where there is one (x86),
 * else nanoseconds: compare them with one another and with ev_ticks().
 */
void ev_set_timing(ev_loop *L, bool on);
uint64_t ev_kind_ticks(const ev_loop *L, ev_kind k);
uint64_t ev_ticks(void);
const char *ev_kind_name(const ev_loop *L, ev_kind k);
unsigned ev_kind_total(const ev_loop *L);

#endif
