/*
 * evq: priority queues of engine events, behind a small function table.
 *
 * The engine (ev.c) keeps irregular events in an evq and fixed-length timers in
 * FIFO lanes.  Two implementations share this interface, as ns-3's Scheduler
 * family does: a 4-ary heap (the fast one) and a sorted list (the reference,
 * obviously correct and O(n) per insert).  tests/test_ev.c runs one suite
 * against both, so the heap is checked against something simple.
 *
 * Entries order by (time, seq): seq is the engine's insertion counter, unique
 * per event, so ties in time run in insertion order.
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

extern const evq_ops evq_heap;  /* 4-ary implicit heap, O(log n) */
extern const evq_ops evq_list;  /* sorted array, reference implementation */

#endif
