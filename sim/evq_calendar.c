/*
 * Calendar queue of evq_ent in its ladder form (W. T. Tang, R. S. M. Goh,
 * I. L.-J. Thng, "Ladder queue: an O(1) priority queue structure for
 * large-scale discrete event simulation", ACM TOMACS 15(3), 2005), itself a
 * refinement of R. Brown's calendar queue (CACM 31(10), 1988).
 *
 * Structure, from the latest events to the earliest:
 *   - top: an unsorted list of the events after top_last;
 *   - rungs 0 .. nr-1: calendars of unsorted buckets (days of 2^shift ns), each
 *     covering one day of the rung above it, finer and finer;
 *   - bottom: a short sorted array holding everything before the deepest
 *     rung's first pending day.  Its first entry is the minimum.
 * A push goes, by its time alone, to top, to the bucket of the first rung
 * whose pending days reach down to it, or into bottom (a sorted insert).
 * When bottom runs empty, the deepest rung's first non-empty bucket becomes
 * bottom (sorted) if it holds at most LQ_THRES entries or is a single
 * nanosecond, and is spread into a new, finer rung otherwise; an exhausted
 * rung is dropped, and with no rung left top is spread into rung 0.
 *
 * Exactness: the parts cover disjoint, ordered time ranges (bottom < rung
 * nr-1 < ... < rung 0 < top) and bottom is sorted by (time, seq), so entries
 * leave in exactly the heap's order.  Nothing assumes pushes come after the
 * last pop: an entry pushed between a peek and the next pop, at any time,
 * goes to the part that covers it (bottom, for anything before the deepest
 * rung), and the pop takes bottom's first entry again.
 *
 * Sizing, at each spread rather than by global resizes: a rung made of n
 * entries gets about n / LQ_TARGET buckets (a power of two from 2^LQ_LOG_KMIN
 * to 2^LQ_LOG_KMAX) and the shortest power-of-two day for which the entries'
 * time range fits in them.  So the bucket count follows the population, and
 * the day length the spacing of the earliest events, which are the ones spread
 * again into finer rungs while later ones wait in coarse buckets.  A spread
 * rung is at least 2^LQ_LOG_KMIN times finer than the rung above it, so there
 * are at most 16 rungs for 64-bit times (two or three with a million events):
 * each entry is moved a bounded number of times, and sorted within at most
 * LQ_THRES entries (or a run of ties, already nearly in order, which
 * insertion sort takes in O(n)).  Every operation is O(1) amortized.
 *
 * Bottom grown past LQ_BMAX by pushes is spread into a new rung, as in the
 * paper; that rung reaches down to the last pop, so later pushes before the
 * old bottom go to it too, and pushes in decreasing time order (which the
 * engine may make before its first pop) do not pile up rungs.  Pushes before
 * the last pop, which the engine never makes, are still ordered exactly, but
 * may pile rungs up to LQ_RUNGS and then make bottom a long sorted array.
 *
 * Locality is what makes it fast.  A flat calendar (Brown's: one bucket per
 * event, a cache-line bucket of two entries spilling to an array) ran the
 * `make bench` calendar section at 2.0 M events/s, below the heap's 2.8: each
 * push landed on a random line of a 64 MiB table.  Here a rung has at most
 * 2^LQ_LOG_KMAX = 4096 buckets, so the bucket headers (96 KiB) and the lines
 * their next entries go to stay in L2; buckets are lists of 512-byte chunks
 * of 21 entries, appended to and read in order; a spread frees chunks that the
 * next appends reuse while they are hot.  That runs the section at 6 M/s (8 M/s
 * once ev_run prefetches the next entry's slot).  Memory is about 25 bytes per
 * entry plus a partly filled chunk per non-empty bucket, about what the heap
 * holds.
 */
#include "sim/evq.h"

#include "sim/bug.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define LQ_CHUNK 21        /* entries per chunk: 8 + 21 * 24 = 512 bytes */
#define LQ_SLAB 128        /* chunks allocated at a time (64 KiB) */
#define LQ_LOG_KMIN 4
#define LQ_LOG_KMAX 12
#define LQ_KMAX (1u << LQ_LOG_KMAX)
#define LQ_TARGET 8        /* entries per bucket aimed at by a spread */
#define LQ_THRES 48        /* a bucket up to this size goes straight to bottom */
#define LQ_BMAX 256        /* bottom grown past this by pushes becomes a rung */
#define LQ_RUNGS 24        /* more than 64 / LQ_LOG_KMIN + 1: a safety bound */

typedef struct chunk {
	struct chunk *next;
	evq_ent e[LQ_CHUNK];
} chunk;

_Static_assert(sizeof(chunk) == 512, "a chunk is eight cache lines");

/* An unsorted list of entries: full chunks, then tail with LQ_CHUNK - room. */
typedef struct bucket {
	chunk *head, *tail;
	uint32_t n;     /* entries */
	uint32_t room;  /* free entries in tail (0 when there is no tail) */
} bucket;

typedef struct rung {
	bucket *b;
	uint32_t k;     /* buckets in use */
	uint32_t cap;   /* buckets allocated (the array is reused) */
	uint32_t cur;   /* first pending bucket; buckets before it are empty */
	unsigned shift; /* a bucket is a day of 2^shift ns */
	uint64_t base;  /* start of bucket 0 */
	uint64_t lo;    /* start of bucket cur: entries at or after it go here */
	uint64_t hi;    /* last time covered (the rung above starts at hi + 1) */
} rung;

typedef struct lq {
	size_t n;
	rung r[LQ_RUNGS];
	unsigned nr;
	bucket top;
	uint64_t top_min, top_max;
	uint64_t top_last;   /* entries after it go to top */
	uint64_t last;       /* time of the last pop: the engine pushes nothing before it */
	evq_ent *bot;        /* bottom: bot[bhead .. bhead + bn), sorted */
	uint32_t bhead, bn, bcap;
	chunk *free_chunks;
	void **slabs;
	size_t nslabs;
} lq;

static chunk *chunk_alloc(lq *q)
{
	chunk *c = q->free_chunks;
	if (!c) {
		chunk *s = aligned_alloc(64, LQ_SLAB * sizeof(chunk));
		if (!s)
			BUG("out of memory: aligned_alloc of a calendar queue slab failed");
		q->slabs = g_renew(void *, q->slabs, q->nslabs + 1);
		q->slabs[q->nslabs++] = s;
		for (size_t i = 0; i + 1 < LQ_SLAB; i++)
			s[i].next = &s[i + 1];
		s[LQ_SLAB - 1].next = NULL;
		c = s;
	}
	q->free_chunks = c->next;
	return c;
}

static inline void bucket_append(lq *q, bucket *b, evq_ent e)
{
	if (!b->room) {
		chunk *c = chunk_alloc(q);
		c->next = NULL;
		if (b->tail)
			b->tail->next = c;
		else
			b->head = c;
		b->tail = c;
		b->room = LQ_CHUNK;
	}
	b->tail->e[LQ_CHUNK - b->room--] = e;
	b->n++;
}

/* Visits the chunks of b (entries c->e[0 .. m)), freeing each after use. */
#define BUCKET_DRAIN(q, b, c, m, body)                                              \
	do {                                                                        \
		chunk *c = (b)->head, *next_;                                       \
		for (; c; c = next_) {                                              \
			next_ = c->next;                                            \
			if (next_) {                                                \
				__builtin_prefetch(next_);                          \
				__builtin_prefetch((char *)next_ + 256);            \
			}                                                           \
			uint32_t m = c == (b)->tail ? LQ_CHUNK - (b)->room : LQ_CHUNK; \
			body;                                                       \
			c->next = (q)->free_chunks;                                 \
			(q)->free_chunks = c;                                       \
		}                                                                   \
		*(b) = (bucket){ 0 };                                               \
	} while (0)

/* start + count * 2^shift - 1, or UINT64_MAX when that is beyond. */
static uint64_t span_end(uint64_t start, unsigned shift, uint64_t count)
{
	uint64_t len, end;
	if (__builtin_mul_overflow(count, UINT64_C(1) << shift, &len) ||
	    __builtin_add_overflow(start, len - 1, &end))
		return UINT64_MAX;
	return end;
}

/* The day for about n / LQ_TARGET buckets over a range of span + 1 ns. */
static unsigned pick_shift(uint64_t span, size_t n)
{
	unsigned lk = LQ_LOG_KMIN;
	while (lk < LQ_LOG_KMAX && ((size_t)LQ_TARGET << lk) < n)
		lk++;
	unsigned bits = span ? 64 - (unsigned)__builtin_clzll(span) : 0;
	return bits > lk ? bits - lk : 0;
}

/* Makes rung i (the new deepest) over [lo, hi] with days of 2^shift ns. */
static rung *rung_open(lq *q, unsigned i, uint64_t lo, uint64_t hi, unsigned shift)
{
	rung *r = &q->r[i];
	uint32_t k = (uint32_t)((hi - lo) >> shift) + 1;
	if (k > r->cap) {
		g_free(r->b);
		r->b = g_new(bucket, k);
		r->cap = k;
	}
	memset(r->b, 0, k * sizeof(bucket));
	r->k = k;
	r->cur = 0;
	r->shift = shift;
	r->base = r->lo = lo;
	r->hi = hi;
	q->nr = i + 1;
	return r;
}

static void bottom_reserve(lq *q, uint32_t n)
{
	if (n <= q->bcap)
		return;
	uint32_t cap = q->bcap ? q->bcap : 64;
	while (cap < n)
		cap *= 2;
	g_free(q->bot);
	q->bot = g_new(evq_ent, cap);
	q->bcap = cap;
}

static int ent_cmp(const void *a, const void *b)
{
	return evq_before(a, b) ? -1 : evq_before(b, a) ? 1 : 0;
}

/* Sorts bot[0 .. bn): insertion sort for the short buckets of a spread and
 * for runs of ties (already nearly in seq order), qsort beyond. */
static void bottom_sort(lq *q, bool ties)
{
	evq_ent *a = q->bot;
	uint32_t n = q->bn;
	if (n > 2 * LQ_THRES && !ties) {
		qsort(a, n, sizeof(evq_ent), ent_cmp);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		evq_ent e = a[i];
		uint32_t j = i;
		while (j > 0 && evq_before(&e, &a[j - 1])) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = e;
	}
}

/* Bottom (empty) takes the entries of b, in order. */
static void bottom_fill(lq *q, bucket *b, bool ties)
{
	bottom_reserve(q, b->n);
	evq_ent *a = q->bot;
	uint32_t n = 0;
	BUCKET_DRAIN(q, b, c, m, {
		memcpy(a + n, c->e, m * sizeof(evq_ent));
		n += m;
	});
	q->bhead = 0;
	q->bn = n;
	bottom_sort(q, ties);
}

/* Spreads the entries of b over a new deepest rung, i, covering [lo, hi]. */
static void spread(lq *q, unsigned i, bucket *b, uint64_t lo, uint64_t hi, unsigned shift)
{
	bucket *rb = rung_open(q, i, lo, hi, shift)->b;
	BUCKET_DRAIN(q, b, c, m, {
		for (uint32_t j = 0; j < m; j++)
			bucket_append(q, &rb[(c->e[j].time - lo) >> shift], c->e[j]);
	});
}

/* Bottom is empty and the queue is not: bring the earliest entries there. */
static void refill(lq *q)
{
	for (;;) {
		if (!q->nr) {
			BUG_ON(!q->top.n);  /* callers refill only a queue that is not empty */
			if (q->top.n <= LQ_THRES || q->top_min == q->top_max) {
				q->top_last = q->top_max;
				bottom_fill(q, &q->top, q->top_min == q->top_max);
				return;
			}
			uint64_t lo = q->top_min;
			unsigned shift = pick_shift(q->top_max - lo, q->top.n);
			uint64_t k = ((q->top_max - lo) >> shift) + 1;
			q->top_last = span_end(lo, shift, k);
			spread(q, 0, &q->top, lo, q->top_last, shift);
			continue;
		}
		rung *r = &q->r[q->nr - 1];
		uint32_t j = r->cur;
		while (j < r->k && !r->b[j].n)
			j++;
		if (j == r->k) {
			q->nr--;
			continue;
		}
		bucket b = r->b[j];
		r->b[j] = (bucket){ 0 };
		uint64_t w1 = (UINT64_C(1) << r->shift) - 1;
		uint64_t start = r->base + ((uint64_t)j << r->shift);
		uint64_t end = r->hi - start < w1 ? r->hi : start + w1;
		if (j + 1 < r->k) {
			r->cur = j + 1;
			r->lo = end + 1;
		} else {
			q->nr--;  /* exhausted: what it covered is below the rung above */
		}
		if (b.n <= LQ_THRES || start == end || q->nr == LQ_RUNGS) {
			bottom_fill(q, &b, start == end);
			return;
		}
		spread(q, q->nr, &b, start, end, pick_shift(end - start, b.n));
	}
}

/*
 * Bottom grew past LQ_BMAX: its entries become a new deepest rung.  The rung
 * reaches down to the last pop, below which the engine pushes nothing, so the
 * pushes that filled bottom now go to the rung: pushes in decreasing time
 * order (legal before the first pop) spill once, not once per LQ_BMAX.
 */
static void bottom_spill(lq *q)
{
	const evq_ent *a = q->bot + q->bhead;
	uint64_t lo = a[0].time < q->last ? a[0].time : q->last, last = a[q->bn - 1].time, hi;
	unsigned shift = pick_shift(last - lo, q->bn);
	if (q->nr) {
		hi = q->r[q->nr - 1].lo - 1;
	} else {
		/* The new rung 0 covers what bottom holds; later times go to top. */
		hi = span_end(lo, shift, ((last - lo) >> shift) + 1);
		if (hi > q->top_last)
			hi = q->top_last;
		q->top_last = hi;
	}
	/* The range can be wider than bottom's entries (up to the rung above). */
	while (((hi - lo) >> shift) >= LQ_KMAX)
		shift++;
	rung *r = rung_open(q, q->nr, lo, hi, shift);
	for (uint32_t i = 0; i < q->bn; i++)
		bucket_append(q, &r->b[(a[i].time - lo) >> shift], a[i]);
	q->bhead = q->bn = 0;
}

/* Moves bottom's entries to bot[head ..] of an array of cap entries. */
static void bottom_move(lq *q, uint32_t head, uint32_t cap)
{
	if (cap != q->bcap) {
		evq_ent *a = g_new(evq_ent, cap);
		if (q->bn)
			memcpy(a + head, q->bot + q->bhead, q->bn * sizeof(evq_ent));
		g_free(q->bot);
		q->bot = a;
		q->bcap = cap;
	} else {
		memmove(q->bot + head, q->bot + q->bhead, q->bn * sizeof(evq_ent));
	}
	q->bhead = head;
}

/*
 * A sorted insert, from the end (pushes mostly come after bottom's entries),
 * or before the head for a new first entry: the array is used as a deque, so
 * runs of increasing and of decreasing pushes both cost O(1) each.
 */
static void bottom_insert(lq *q, evq_ent e)
{
	uint32_t n = q->bn;
	if (n && evq_before(&e, &q->bot[q->bhead])) {
		if (!q->bhead) {
			/* No room before: centre the entries (growing if over half full). */
			uint32_t cap = n <= q->bcap / 2 ? q->bcap : 2 * q->bcap;
			bottom_move(q, (cap - n + 1) / 2, cap);
		}
		q->bot[--q->bhead] = e;
	} else {
		if (q->bhead + n == q->bcap) {
			/* No room after: slide down if at least half is free before
			 * (each slot freed pays for one entry moved), else double. */
			uint32_t cap = !q->bcap ? 64 : q->bhead >= q->bcap / 2 ? q->bcap : 2 * q->bcap;
			bottom_move(q, 0, cap);
		}
		evq_ent *a = q->bot;
		uint32_t h = q->bhead, i = h + n;
		while (i > h && evq_before(&e, &a[i - 1])) {
			a[i] = a[i - 1];
			i--;
		}
		a[i] = e;
	}
	q->bn = n + 1;
	const evq_ent *a = q->bot + q->bhead;
	if (q->bn > LQ_BMAX && q->nr < LQ_RUNGS && a[0].time != a[n].time)
		bottom_spill(q);
}

static void *lq_create(void)
{
	lq *q = g_new0(lq, 1);
	q->top_last = UINT64_MAX;  /* everything to bottom until it spills */
	return q;
}

static void lq_destroy(void *p)
{
	lq *q = p;
	for (size_t i = 0; i < q->nslabs; i++)
		free(q->slabs[i]);
	g_free(q->slabs);
	for (unsigned i = 0; i < LQ_RUNGS; i++)
		g_free(q->r[i].b);
	g_free(q->bot);
	g_free(q);
}

static void lq_push(void *p, evq_ent e)
{
	lq *q = p;
	uint64_t t = e.time;
	q->n++;
	if (t > q->top_last) {
		if (!q->top.n || t < q->top_min)
			q->top_min = t;
		if (!q->top.n || t > q->top_max)
			q->top_max = t;
		bucket_append(q, &q->top, e);
		return;
	}
	for (unsigned i = 0; i < q->nr; i++) {
		rung *r = &q->r[i];
		if (t >= r->lo) {
			bucket_append(q, &r->b[(t - r->base) >> r->shift], e);
			return;
		}
	}
	bottom_insert(q, e);
}

static const evq_ent *lq_peek(void *p)
{
	lq *q = p;
	if (!q->n)
		return NULL;
	if (!q->bn)
		refill(q);
	return &q->bot[q->bhead];
}

static void lq_pop(void *p)
{
	lq *q = p;
	BUG_ON(!q->n);  /* a pop from an empty queue */
	if (!q->bn)
		refill(q);
	q->last = q->bot[q->bhead++].time;
	q->bn--;
	q->n--;
}

static size_t lq_size(const void *p)
{
	return ((const lq *)p)->n;
}

static size_t lq_bytes(const void *p)
{
	const lq *q = p;
	size_t b = sizeof(*q) + q->nslabs * (LQ_SLAB * sizeof(chunk) + sizeof(void *)) +
		   q->bcap * sizeof(evq_ent);
	for (unsigned i = 0; i < LQ_RUNGS; i++)
		b += q->r[i].cap * sizeof(bucket);
	return b;
}

const evq_ops evq_calendar = {
	"calendar", lq_create, lq_destroy, lq_push, lq_peek, lq_pop, lq_size, lq_bytes,
};
