/*
 * The engine: slots, lanes, the priority queue and the run loop.
 *
 * An event in the priority queue owns a slot (kind, object, argument,
 * generation); its queue entry carries (time, seq, slot) so comparisons never
 * touch the slot table, and the slot is read once, when the entry reaches the
 * front.  Freed slots go on a free list; the generation is bumped on every free
 * so that a stale ev_id no longer matches.
 *
 * A lane entry is the whole event (time, seq, kind, object, argument): most
 * events go through lanes (every fixed-delay hop, every fixed-length timer),
 * and a slot there would cost a scattered, often cold, record per event and
 * 16 bytes per long-lived timer.  Its id is its lane and its position in
 * the lane's FIFO (pushes since the lane was made), which locate the entry as
 * long as it is pending; cancelling marks the entry's kind dead.
 */
#include "sim/ev.h"

#include "sim/bug.h"

#include <glib.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

typedef struct slot {
	uint32_t obj;
	uint32_t arg;
	uint32_t gen;     /* odd while pending; even when free */
	uint16_t kind;
} slot;

typedef struct kind_def {
	ev_fn fn;
	void *ctx;
	const char *name;
	uint64_t count;
	uint64_t ticks;  /* in handlers, with timing on */
} kind_def;

/* An entry of the lane heap: a non-empty lane and a copy of its head's key. */
typedef struct lane_key {
	ev_time time;
	uint64_t seq;
	uint32_t lane;
} lane_key;

#define FIXED_SLOTS (2 * EV_FIXED_LANES)
#define FIXED_BITS 9  /* log2(FIXED_SLOTS) */
_Static_assert(FIXED_SLOTS == 1 << FIXED_BITS, "FIXED_BITS");

/* How far ahead in a lane ev_run and ev_lane_at prefetch the ring. */
#define LANE_PREFETCH 16

/* A lane entry: seqk is seq << LANE_KIND_BITS | kind, and the kind is
 * LANE_DEAD once cancelled (ev_kind_register never hands it out). */
typedef struct lane_ent {
	ev_time time;
	uint64_t seqk;
	uint32_t obj, arg;
} lane_ent;
#define LANE_KIND_BITS 16
#define LANE_DEAD 0xffffu
#define LANE_SEQ_MAX (UINT64_MAX >> LANE_KIND_BITS)

/*
 * A lane id: bit 32 clear (a slot id has its odd generation there), the low
 * 32 bits LANE_ID_TAG | lane, the 31 bits above 32 the entry's position.  The
 * position wraps at 2^31 pushes, as a slot's generation does at 2^31 uses.
 */
#define LANE_ID_TAG 0xffff0000u
#define LANE_POS_MASK 0x7fffffffu

/* A FIFO ring of entries whose times never decrease. */
typedef struct lane {
	lane_ent *ring;
	uint32_t head, n, cap;  /* cap is a power of two */
	uint32_t popped;        /* entries ever popped, mod 2^32: a position less
				 * this is the entry's place behind the head */
	ev_time length;
	ev_time last;           /* latest expiry pushed */
	const char *name;
} lane;

struct ev_loop {
	ev_time now;
	uint64_t seq;
	bool stop, lanes_off, timing;

	const evq_ops *q_ops;
	void *q;
	/* The queue's peek, kept until the next push or pop: most events come
	 * from lanes and leave the queue as it was. */
	const evq_ent *qhead;
	bool qhead_ok;

	lane *lanes;
	unsigned nlanes;
	/* The non-empty lanes, as a binary min-heap keyed by (time, seq) of each
	 * lane's head entry, copied in so that a sift touches one small array:
	 * the earliest lane is lheap[0].  A lane's head changes only when it is
	 * popped (then it is the root) or when it becomes non-empty, so the heap
	 * stays ordered with one sift per lane event: O(log lanes) instead of a
	 * scan of every lane (there is one lane per host). */
	lane_key *lheap;
	unsigned nlheap;

	/* ev_after_fixed: the lane (+ 1; 0 = empty) of each delay seen, hashed
	 * by delay (open addressing, at most half full): every fixed-delay
	 * event looks its delay up */
	ev_time fixed_delay[FIXED_SLOTS];
	ev_lane fixed_lane[FIXED_SLOTS];
	unsigned nfixed;

	slot *slots;
	uint32_t nslots, cap_slots;
	uint32_t *free_slots;
	uint32_t nfree, cap_free;

	kind_def *kinds;
	unsigned nkinds;

	uint64_t run, cancelled, pending, lane_fallbacks;
	uint32_t cur_lane;  /* the lane of the event being run; UINT32_MAX: the queue's */
};

ev_loop *ev_loop_new(const evq_ops *sched)
{
	ev_loop *L = g_new0(ev_loop, 1);
	L->q_ops = sched ? sched : &evq_calendar;
	L->q = L->q_ops->create();
	L->cur_lane = UINT32_MAX;
	return L;
}

ev_loop *ev_loop_new_ref(void)
{
	ev_loop *L = ev_loop_new(&evq_list);
	L->lanes_off = true;
	return L;
}

void ev_loop_free(ev_loop *L)
{
	if (!L)
		return;
	L->q_ops->destroy(L->q);
	for (unsigned i = 0; i < L->nlanes; i++)
		g_free(L->lanes[i].ring);
	g_free(L->lanes);
	g_free(L->lheap);
	g_free(L->slots);
	g_free(L->free_slots);
	g_free(L->kinds);
	g_free(L);
}

ev_kind ev_kind_register(ev_loop *L, const char *name, ev_fn fn, void *ctx)
{
	BUG_ON(L->nkinds >= UINT16_MAX);  /* an ev_kind is 16 bits */
	L->kinds = g_renew(kind_def, L->kinds, L->nkinds + 1);
	L->kinds[L->nkinds] = (kind_def){ fn, ctx, name, 0, 0 };
	return (ev_kind)L->nkinds++;
}

ev_lane ev_lane_new(ev_loop *L, const char *name, ev_time length)
{
	BUG_ON(L->nlanes >= UINT16_MAX - 1);  /* an ev_lane is 16 bits, one value kept free */
	L->lanes = g_renew(lane, L->lanes, L->nlanes + 1);
	L->lanes[L->nlanes] = (lane){ .length = length, .name = name };
	L->lheap = g_renew(lane_key, L->lheap, L->nlanes + 1);
	return (ev_lane)L->nlanes++;
}

_Static_assert(offsetof(struct ev_loop, now) == 0, "ev_now() reads the clock at offset 0");

static uint32_t slot_alloc(ev_loop *L)
{
	if (L->nfree) {
		/* The free list runs deep after a burst of expiries (timers
		 * rounded to one wheel slot), so the slot after this one is
		 * cold: fetch it for the next allocation. */
		if (L->nfree > 1)
			__builtin_prefetch(&L->slots[L->free_slots[L->nfree - 2]], 1);
		return L->free_slots[--L->nfree];
	}
	if (L->nslots == L->cap_slots) {
		L->cap_slots = L->cap_slots ? L->cap_slots * 2 : 1024;
		L->slots = g_renew(slot, L->slots, L->cap_slots);
	}
	L->slots[L->nslots].gen = 0;
	return L->nslots++;
}

static void slot_push_free(ev_loop *L, uint32_t s)
{
	if (L->nfree == L->cap_free) {
		L->cap_free = L->cap_free ? L->cap_free * 2 : 1024;
		L->free_slots = g_renew(uint32_t, L->free_slots, L->cap_free);
	}
	L->free_slots[L->nfree++] = s;
}

static void slot_release(ev_loop *L, uint32_t s)
{
	L->slots[s].gen++;  /* odd -> even: stale ids stop matching */
	slot_push_free(L, s);
}

static evq_ent make_entry(ev_loop *L, ev_time when, ev_kind k, uint32_t obj, uint32_t arg, ev_id *id)
{
	BUG_ON(when < L->now);  /* scheduled in the past */
	BUG_ON(k >= L->nkinds);  /* an unregistered kind */
	uint32_t s = slot_alloc(L);
	slot *sl = &L->slots[s];
	sl->gen++;  /* even -> odd: pending */
	sl->obj = obj;
	sl->arg = arg;
	sl->kind = k;
	L->pending++;
	*id = ((uint64_t)sl->gen << 32) | s;
	return (evq_ent){ when, L->seq++, s };
}

ev_id ev_at(ev_loop *L, ev_time when, ev_kind k, uint32_t obj, uint32_t arg)
{
	ev_id id;
	L->q_ops->push(L->q, make_entry(L, when, k, obj, arg, &id));
	L->qhead_ok = false;
	return id;
}

ev_id ev_after(ev_loop *L, ev_time delay, ev_kind k, uint32_t obj, uint32_t arg)
{
	return ev_at(L, L->now + delay, k, obj, arg);
}

static inline bool lkey_before(const lane_key *a, const lane_key *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* (time, seq) as one 128-bit number: compared by a subtraction with borrow,
 * no branch. */
static inline bool lkey_before_nb(const lane_key *a, const lane_key *b)
{
	return ((unsigned __int128)a->time << 64 | a->seq) < ((unsigned __int128)b->time << 64 | b->seq);
}

static void lheap_up(ev_loop *L, unsigned i)
{
	lane_key x = L->lheap[i];
	while (i > 0) {
		unsigned p = (i - 1) / 2;
		if (!lkey_before(&x, &L->lheap[p]))
			break;
		L->lheap[i] = L->lheap[p];
		i = p;
	}
	L->lheap[i] = x;
}

/* Past this many lanes (a lane per host), which child is smaller is a coin
 * toss to the branch predictor; below it, a pattern it learns (measured:
 * bench lanes16 and lanes1k). */
#define LHEAP_BRANCHLESS 64

static inline bool lkey_less(const lane_key *a, const lane_key *b, bool branchless)
{
	return branchless ? lkey_before_nb(a, b) : lkey_before(a, b);
}

/* The root's key has changed (its lane was popped): sift it down.  The loop
 * stops as soon as the key is in place, which for a busy lane (events a
 * few microseconds apart) is at once.  Keys are unique (seq), so the order
 * of events does not depend on the heap's shape.  Inlined twice below,
 * branchless a constant in each. */
static inline __attribute__((always_inline)) void sift_root(lane_key *h, unsigned n, bool branchless)
{
	const lane_key x = h[0];
	unsigned i = 0, c;
	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n)
			c += lkey_less(&h[c + 1], &h[c], branchless);
		if (!lkey_less(&h[c], &x, branchless))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void lheap_down_root(ev_loop *L)
{
	if (L->nlheap > LHEAP_BRANCHLESS)
		sift_root(L->lheap, L->nlheap, true);
	else
		sift_root(L->lheap, L->nlheap, false);
}

static inline ev_id lane_id(const lane *la, ev_lane ln, uint32_t behind)
{
	return (ev_id)((la->popped + behind) & LANE_POS_MASK) << 33 | LANE_ID_TAG | ln;
}

/* lane_push when the lane is empty or full, or the push is a bug: out of
 * line, so that the common push is a few stores. */
G_GNUC_NO_INLINE static ev_id lane_push_slow(ev_loop *L, ev_lane ln, ev_time when, ev_kind k,
					     uint32_t obj, uint32_t arg)
{
	lane *la = &L->lanes[ln];
	BUG_ON(when < L->now);  /* scheduled in the past */
	BUG_ON(k >= L->nkinds);  /* an unregistered kind */
	BUG_ON(L->seq > LANE_SEQ_MAX);  /* sequence numbers exhausted */
	if (la->n == la->cap) {
		uint32_t ncap = la->cap ? la->cap * 2 : 1024;
		lane_ent *r = g_new(lane_ent, ncap);
		for (uint32_t i = 0; i < la->n; i++)
			r[i] = la->ring[(la->head + i) & (la->cap - 1)];
		g_free(la->ring);
		la->ring = r;
		la->head = 0;
		la->cap = ncap;
	}
	uint64_t seq = L->seq++;
	la->ring[(la->head + la->n) & (la->cap - 1)] = (lane_ent){ when, seq << LANE_KIND_BITS | k, obj, arg };
	la->last = when;
	L->pending++;
	if (la->n++ == 0) {  /* newly non-empty: its head joins the lane heap */
		L->lheap[L->nlheap++] = (lane_key){ when, seq, ln };
		lheap_up(L, L->nlheap - 1);
	}
	return lane_id(la, ln, la->n - 1);
}

/* A timer at `when`, not before the lane's last: every lane event comes
 * through here. */
static inline ev_id lane_push(ev_loop *L, ev_lane ln, ev_time when, ev_kind k, uint32_t obj, uint32_t arg)
{
	lane *la = &L->lanes[ln];
	uint32_t n = la->n;
	if (G_UNLIKELY(n == 0 || n == la->cap || when < L->now || k >= L->nkinds || L->seq > LANE_SEQ_MAX))
		return lane_push_slow(L, ln, when, k, obj, arg);
	uint32_t mask = la->cap - 1, tail = la->head + n;
	la->ring[tail & mask] = (lane_ent){ when, L->seq++ << LANE_KIND_BITS | k, obj, arg };
	/* The tail of a long lane was last written one lane length ago:
	 * fetch the line that the next pushes will write. */
	__builtin_prefetch(&la->ring[(tail + LANE_PREFETCH) & mask], 1);
	la->last = when;
	la->n = n + 1;
	L->pending++;
	return lane_id(la, ln, n);
}

ev_id ev_lane_at(ev_loop *L, ev_lane ln, ev_time when, ev_kind k, uint32_t obj, uint32_t arg)
{
	BUG_ON(ln >= L->nlanes);  /* an unknown lane */
	lane *la = &L->lanes[ln];
	if (L->lanes_off || (la->n && when < la->last)) {
		if (!L->lanes_off)
			L->lane_fallbacks++;
		return ev_at(L, when, k, obj, arg);
	}
	return lane_push(L, ln, when, k, obj, arg);
}

static inline unsigned fixed_slot(const ev_loop *L, ev_time delay)
{
	unsigned i = (unsigned)((delay * 0x9e3779b97f4a7c15ULL) >> (64 - FIXED_BITS)) & (FIXED_SLOTS - 1);
	while (L->fixed_lane[i] && L->fixed_delay[i] != delay)
		i = (i + 1) & (FIXED_SLOTS - 1);
	return i;
}

/* A lane for key in its free slot i; false when the lanes are all taken. */
static bool fixed_lane_add(ev_loop *L, unsigned i, ev_time key)
{
	if (L->nfixed == EV_FIXED_LANES)
		return false;
	L->fixed_delay[i] = key;
	L->fixed_lane[i] = (ev_lane)(ev_lane_new(L, "fixed delay", key) + 1);
	L->nfixed++;
	return true;
}

/* ev_after_fixed with a delay not seen before. */
G_GNUC_NO_INLINE static ev_id after_new_delay(ev_loop *L, ev_time delay, ev_kind k, uint32_t obj,
					      uint32_t arg)
{
	if (!fixed_lane_add(L, fixed_slot(L, delay), delay))
		return ev_after(L, delay, k, obj, arg);
	return ev_after_fixed(L, delay, k, obj, arg);
}

ev_id ev_at_fixed(ev_loop *L, ev_time key, ev_time when, ev_kind k, uint32_t obj, uint32_t arg)
{
	if (L->lanes_off)
		return ev_at(L, when, k, obj, arg);
	unsigned i = fixed_slot(L, key);
	if (!L->fixed_lane[i] && !fixed_lane_add(L, i, key))
		return ev_at(L, when, k, obj, arg);
	return ev_lane_at(L, (ev_lane)(L->fixed_lane[i] - 1), when, k, obj, arg);
}

/* Every call below is a tail call, so that the common path saves no registers. */
ev_id ev_after_fixed(ev_loop *L, ev_time delay, ev_kind k, uint32_t obj, uint32_t arg)
{
	if (L->lanes_off)
		return ev_after(L, delay, k, obj, arg);
	unsigned i = fixed_slot(L, delay);
	if (!L->fixed_lane[i])
		return after_new_delay(L, delay, k, obj, arg);
	/* now never decreases, so now + delay falls before the lane's last only
	 * when ev_at_fixed put a later (rounded) time in the same family */
	ev_lane ln = (ev_lane)(L->fixed_lane[i] - 1);
	if (G_UNLIKELY(L->now + delay < L->lanes[ln].last && L->lanes[ln].n)) {
		L->lane_fallbacks++;
		return ev_at(L, L->now + delay, k, obj, arg);
	}
	return lane_push(L, ln, L->now + delay, k, obj, arg);
}

ev_id ev_lane_arm(ev_loop *L, ev_lane ln, ev_kind k, uint32_t obj, uint32_t arg)
{
	BUG_ON(ln >= L->nlanes);  /* an unknown lane */
	return ev_lane_at(L, ln, L->now + L->lanes[ln].length, k, obj, arg);
}

/* The lane's entry ahead places behind its head, or NULL past its end. */
static inline const lane_ent *peek_ent(const ev_loop *L, uint32_t ln, uint32_t ahead)
{
	const lane *la = &L->lanes[ln];
	return ahead < la->n ? &la->ring[(la->head + ahead) & (la->cap - 1)] : NULL;
}

bool ev_lane_peek(const ev_loop *L, ev_lane ln, uint32_t ahead, uint32_t *obj)
{
	BUG_ON(ln >= L->nlanes);  /* an unknown lane */
	const lane_ent *e = peek_ent(L, ln, ahead);
	if (!e || (e->seqk & LANE_DEAD) == LANE_DEAD)
		return false;
	*obj = e->obj;
	return true;
}

bool ev_peek_same_lane(const ev_loop *L, uint32_t ahead, ev_kind k, uint32_t *obj)
{
	const lane_ent *e = L->cur_lane != UINT32_MAX ? peek_ent(L, L->cur_lane, ahead) : NULL;
	if (!e || (e->seqk & LANE_DEAD) != k)  /* another kind, or cancelled */
		return false;
	*obj = e->obj;
	return true;
}

/* The pending lane entry of a lane id, or NULL. */
static inline lane_ent *live_lane_ent(const ev_loop *L, ev_id id)
{
	uint32_t lo = (uint32_t)id;
	if ((id >> 32 & 1) || (lo & LANE_ID_TAG) != LANE_ID_TAG || (lo & 0xffff) >= L->nlanes)
		return NULL;
	const lane *la = &L->lanes[lo & 0xffff];
	uint32_t behind = ((uint32_t)(id >> 33) - la->popped) & LANE_POS_MASK;
	if (behind >= la->n)
		return NULL;
	lane_ent *e = &la->ring[(la->head + behind) & (la->cap - 1)];
	return (e->seqk & LANE_DEAD) == LANE_DEAD ? NULL : e;
}

static slot *live_slot(const ev_loop *L, ev_id id)
{
	uint32_t s = (uint32_t)id, gen = (uint32_t)(id >> 32);
	if (id == EV_NONE || s >= L->nslots || L->slots[s].gen != gen || !(gen & 1))
		return NULL;
	return &L->slots[s];
}

bool ev__cancel(ev_loop *L, ev_id id)
{
	if (!(id >> 32 & 1)) {
		lane_ent *e = live_lane_ent(L, id);
		if (!e)
			return false;
		e->seqk |= LANE_DEAD;  /* dropped when it reaches the front */
		L->cancelled++;
		return true;
	}
	slot *sl = live_slot(L, id);
	if (!sl)
		return false;
	/* The queue entry stays; its slot turns even ("cancelled") and is
	 * released when the entry surfaces.  The slot must not be reused
	 * before then, so it is not put on the free list here. */
	sl->gen++;
	L->cancelled++;
	return true;
}

bool ev_pending(const ev_loop *L, ev_id id)
{
	return (id >> 32 & 1) ? live_slot(L, id) != NULL : live_lane_ent(L, id) != NULL;
}

uint64_t ev_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* A handler run with timing on (out of line: the common path has only the
 * branch).  The kind is looked up again after the call, which may register
 * kinds and move the table. */
G_GNUC_NO_INLINE static void run_timed(ev_loop *L, unsigned k, uint32_t obj, uint32_t arg)
{
	uint64_t t0 = ev_ticks();
	L->kinds[k].fn(L->kinds[k].ctx, obj, arg);
	L->kinds[k].ticks += ev_ticks() - t0;
}

/* Runs kind k's handler, counted (and timed when asked). */
static inline void dispatch(ev_loop *L, unsigned k, uint32_t obj, uint32_t arg)
{
	kind_def *kd = &L->kinds[k];
	kd->count++;
	if (G_UNLIKELY(L->timing))
		run_timed(L, k, obj, arg);
	else
		kd->fn(kd->ctx, obj, arg);
}

uint64_t ev_run(ev_loop *L, ev_time until)
{
	uint64_t ran = 0;
	L->stop = false;
	while (!L->stop) {
		if (!L->qhead_ok) {
			L->qhead = L->q_ops->peek(L->q);
			L->qhead_ok = true;
		}
		const evq_ent *qh = L->qhead;
		lane_key *lk = L->nlheap ? &L->lheap[0] : NULL;
		evq_ent e;
		if (lk && (!qh || lk->time < qh->time || (lk->time == qh->time && lk->seq < qh->seq))) {
			if (lk->time > until)
				break;
			const uint32_t ln = lk->lane;
			lane *la = &L->lanes[ln];
			lane_ent le = la->ring[la->head];
			/* A lane's entries were written long ago (a 60 s timer)
			 * and are cold: fetch the one LANE_PREFETCH places behind
			 * while these run. */
			__builtin_prefetch(&la->ring[(la->head + LANE_PREFETCH) & (la->cap - 1)]);
			la->head = (la->head + 1) & (la->cap - 1);
			la->popped++;
			la->n--;
			/* Cancelled entries now at the head go at once, not each on
			 * its own turn through this loop: a lane of timers that
			 * are usually cancelled before they expire holds mostly
			 * cancelled ones. */
			while (la->n && (la->ring[la->head].seqk & LANE_DEAD) == LANE_DEAD) {
				la->head = (la->head + 1) & (la->cap - 1);
				la->popped++;
				la->n--;
				L->pending--;
			}
			if (la->n == 0) {
				L->lheap[0] = L->lheap[--L->nlheap];
			} else {
				const lane_ent *h = &la->ring[la->head];
				lk->time = h->time;
				lk->seq = h->seqk >> LANE_KIND_BITS;
			}
			if (L->nlheap > 1)
				lheap_down_root(L);
			BUG_ON(le.time < L->now);  /* time went backwards */
			L->pending--;
			unsigned k = (unsigned)(le.seqk & LANE_DEAD);
			if (k == LANE_DEAD)  /* cancelled */
				continue;
			L->now = le.time;
			ran++;
			L->cur_lane = ln;
			dispatch(L, k, le.obj, le.arg);
			L->cur_lane = UINT32_MAX;
			continue;
		} else if (qh) {
			e = *qh;
			if (e.time > until)
				break;
			L->q_ops->pop(L->q);
			/* The next entry's slot is cold (it was written when the
			 * event was scheduled, maybe a second ago): fetch it while
			 * this event runs.  The peek is the one the next iteration
			 * makes anyway. */
			const evq_ent *nx = L->qhead = L->q_ops->peek(L->q);
			if (nx)
				__builtin_prefetch(&L->slots[nx->slot]);
		} else {
			break;
		}
		BUG_ON(e.time < L->now);  /* time went backwards */
		L->pending--;
		slot *sl = &L->slots[e.slot];
		if (!(sl->gen & 1)) {  /* cancelled: gen already even */
			slot_push_free(L, e.slot);
			continue;
		}
		L->now = e.time;
		unsigned k = sl->kind;
		uint32_t obj = sl->obj, arg = sl->arg;
		slot_release(L, e.slot);  /* before the call, which may schedule */
		ran++;
		dispatch(L, k, obj, arg);
	}
	L->run += ran;
	if (!L->stop && until != EV_FOREVER && L->now < until)
		L->now = until;
	return ran;
}

void ev_stop(ev_loop *L)
{
	L->stop = true;
}

void ev_get_stats(const ev_loop *L, ev_stats *out)
{
	size_t bytes = sizeof(*L) + L->q_ops->bytes(L->q) + L->cap_slots * sizeof(slot) +
		       L->cap_free * sizeof(uint32_t) + L->nkinds * sizeof(kind_def);
	for (unsigned i = 0; i < L->nlanes; i++)
		bytes += sizeof(lane) + sizeof(lane_key) + L->lanes[i].cap * sizeof(lane_ent);
	*out = (ev_stats){ L->run, L->cancelled, L->pending, L->lane_fallbacks, bytes };
}

size_t ev_slot_bytes(void)
{
	return sizeof(slot);
}

size_t ev_lane_entry_bytes(void)
{
	return sizeof(lane_ent);
}

uint64_t ev_kind_count(const ev_loop *L, ev_kind k)
{
	return k < L->nkinds ? L->kinds[k].count : 0;
}

uint64_t ev_dispatched(const ev_loop *L)
{
	uint64_t n = 0;
	for (unsigned k = 0; k < L->nkinds; k++)
		n += L->kinds[k].count;
	return n;
}

void ev_set_timing(ev_loop *L, bool on)
{
	L->timing = on;
}

uint64_t ev_kind_ticks(const ev_loop *L, ev_kind k)
{
	return k < L->nkinds ? L->kinds[k].ticks : 0;
}

const char *ev_kind_name(const ev_loop *L, ev_kind k)
{
	return k < L->nkinds ? L->kinds[k].name : "?";
}

unsigned ev_kind_total(const ev_loop *L)
{
	return L->nkinds;
}
