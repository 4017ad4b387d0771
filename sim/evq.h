/*
 * evq: priority queues of engine events, behind a small function table.
 *
 * The engine (ev.c) keeps irregular events in an evq and fixed-length timers in
 * FIFO lanes.  Three implementations share this interface, as ns-3's Scheduler
 * family does: a calendar queue in its ladder form (the default: expected O(1),
 * over twice the heap's rate with a million events pending), a 4-ary heap
 * (O(log n)) and a sorted list (the reference, obviously correct and O(n) per
 * insert).  tests/test_ev.c runs one suite against all three, so the fast ones
 * are checked against something simple.
 *
 * Entries order by (time, seq): seq is the engine's insertion counter, unique
 * per event, so ties in time run in insertion order.  Between a peek and the
 * next pop the engine may push entries with any time not before the last one
 * popped, including before the peeked minimum.
 */
#ifndef CONNSIM_EVQ_H
#define CONNSIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evq_ent {
	uint64_t time;  /* ns of simulated time */
	uint64_t seq;   /* insertion sequence, tie breaker */
	uint32_t slot;  /* engine's event slot */
} evq_ent;

static inline bool evq_before(const evq_ent *a, const evq_ent *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

typedef struct evq_ops {
	const char *name;
	void *(*create)(void);
	void (*destroy)(void *q);
	void (*push)(void *q, evq_ent e);
	/* The smallest entry, or NULL when empty; valid until the next push/pop. */
	const evq_ent *(*peek)(void *q);
	void (*pop)(void *q);
	size_t (*size)(const void *q);
	size_t (*bytes)(const void *q);  /* memory held, for `make bench` */
} evq_ops;

extern const evq_ops evq_calendar;  /* ladder queue (Tang et al. 2005), O(1); the default */
extern const evq_ops evq_heap;      /* 4-ary implicit heap, O(log n) */
extern const evq_ops evq_list;      /* sorted array, reference implementation */

#endif
