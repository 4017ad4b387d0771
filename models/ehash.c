#include "models/ehash.h"

#include <glib.h>
#include <stdlib.h>

#include "sim/bigmem.h"
#include "sim/bug.h"
#include "sim/rng.h"

#define MAX_TRACKED 4096

typedef struct dest_key {
	uint32_t laddr, faddr;
	uint16_t fport;
} dest_key;

/* A refusal mark's expiry, in a binary min-heap by until. */
typedef struct refusal_due {
	uint64_t until;
	uint32_t lport;
} refusal_due;

typedef struct refusals {
	uint64_t bits[65536 / 64];
	refusal_due *heap;
	uint32_t n, cap;
} refusals;

typedef struct tracker {
	dest_key k;
	uint64_t bits[65536 / 64];
	refusals *ref;  /* NULL until the first ehash_refused */
} tracker;

/* A slot of the trackers' table: the key beside the pointer, so that
 * probing compares keys without touching the trackers (each its own 8 KiB
 * block: a cache miss per probe, on every connect, insert and removal). */
typedef struct tslot {
	dest_key k;
	tracker *tr;
} tslot;

struct ehash {
	uint32_t *heads;
	uint32_t mask, count;
	bool linear;
	uint64_t secret;
	const pool *socks, *tws;
	/* Trackers by destination, NULL until the first ehash_track: open
	 * addressing with linear probing, at most half full (every insert and
	 * removal looks its destination up, so this is a plain array rather
	 * than a GHashTable). */
	tslot *tracked;
	uint32_t track_mask, ntracked;
	uint32_t nrefusing;  /* trackers with refusal marks */
};

static inline bool dest_equal(const dest_key *x, uint32_t laddr, uint32_t faddr, uint16_t fport)
{
	return x->laddr == laddr && x->faddr == faddr && x->fport == fport;
}

/* The slot of the destination's tracker, or the empty slot where it would go. */
static inline uint32_t track_slot(const ehash *h, uint32_t laddr, uint32_t faddr, uint16_t fport)
{
	uint32_t i = (uint32_t)rng_splitmix64(((uint64_t)laddr << 32 | faddr) ^ ((uint64_t)fport << 7)) &
		     h->track_mask;
	while (h->tracked[i].tr && !dest_equal(&h->tracked[i].k, laddr, faddr, fport))
		i = (i + 1) & h->track_mask;
	return i;
}

static void track_grow(ehash *h)
{
	tslot *old = h->tracked;
	uint32_t n = old ? h->track_mask + 1 : 0;
	h->track_mask = n ? 2 * n - 1 : 15;
	h->tracked = g_new0(tslot, h->track_mask + 1);
	for (uint32_t i = 0; i < n; i++)
		if (old[i].tr)
			h->tracked[track_slot(h, old[i].k.laddr, old[i].k.faddr, old[i].k.fport)] = old[i];
	g_free(old);
}

static inline void track(ehash *h, const tuple4 *t, bool set)
{
	if (!h->tracked)
		return;
	tracker *tr = h->tracked[track_slot(h, t->laddr, t->faddr, t->fport)].tr;
	if (!tr)
		return;
	uint64_t bit = 1ull << (t->lport & 63);
	if (set) {
		tr->bits[t->lport >> 6] |= bit;
	} else {
		tr->bits[t->lport >> 6] &= ~bit;
		if (tr->ref)
			tr->ref->bits[t->lport >> 6] &= ~bit;
	}
}

ehash *ehash_new(uint32_t entries, bool linear_lport, uint64_t secret, const pool *socks,
		 const pool *tws)
{
	BUG_ON(!entries || (entries & (entries - 1)));  /* a power of two: the bucket is a mask */
	ehash *h = g_new0(ehash, 1);
	h->heads = bigmem_alloc((size_t)entries * sizeof(uint32_t));
	for (uint32_t i = 0; i < entries; i++)
		h->heads[i] = EH_NIL;
	h->mask = entries - 1;
	h->linear = linear_lport;
	h->secret = secret;
	h->socks = socks;
	h->tws = tws;
	return h;
}

void ehash_free(ehash *h)
{
	if (!h)
		return;
	bigmem_free(h->heads, ((size_t)h->mask + 1) * sizeof(uint32_t));
	if (h->tracked)
		for (uint32_t i = 0; i <= h->track_mask; i++) {
			tracker *tr = h->tracked[i].tr;
			if (tr && tr->ref) {
				g_free(tr->ref->heap);
				g_free(tr->ref);
			}
			g_free(tr);
		}
	g_free(h->tracked);
	g_free(h);
}

static inline ehash_node *node(const ehash *h, uint32_t ref)
{
	return (ref & EH_TW) ? pool_at(h->tws, ref & ~EH_TW) : pool_at(h->socks, ref);
}

/* inet_ehashfn */
static inline uint32_t bucket(const ehash *h, const tuple4 *t)
{
	if (h->linear) {
		/* 6.15+: lport + hash(laddr, 0, faddr, fport) */
		uint64_t x = ((uint64_t)t->laddr << 32 | t->faddr) ^ ((uint64_t)t->fport << 17) ^ h->secret;
		return ((uint32_t)rng_splitmix64(x) + t->lport) & h->mask;
	}
	uint64_t x = ((uint64_t)t->laddr << 32 | t->faddr) ^ h->secret;
	x = rng_splitmix64(x ^ ((uint64_t)t->lport << 16 | t->fport) * 0x9e3779b97f4a7c15ULL);
	return (uint32_t)x & h->mask;
}

void ehash_insert(ehash *h, uint32_t ref)
{
	ehash_node *n = node(h, ref);
	uint32_t b = bucket(h, &n->t);
	n->next = h->heads[b];
	h->heads[b] = ref;
	h->count++;
	track(h, &n->t, true);
}

static uint32_t *link_to(ehash *h, uint32_t ref)
{
	uint32_t *p = &h->heads[bucket(h, &node(h, ref)->t)];
	while (*p != ref) {
		if (*p == EH_NIL)
			BUG("an ehash entry removed is not in its bucket's chain");
		p = &node(h, *p)->next;
	}
	return p;
}

void ehash_remove(ehash *h, uint32_t ref)
{
	uint32_t *p = link_to(h, ref);
	*p = node(h, ref)->next;
	h->count--;
	track(h, &node(h, ref)->t, false);
}

void ehash_replace(ehash *h, uint32_t old_ref, uint32_t new_ref)
{
	uint32_t *p = link_to(h, old_ref);
	node(h, new_ref)->next = node(h, old_ref)->next;
	*p = new_ref;
	if (h->nrefusing) {  /* a mark was about the old entry */
		const tuple4 *t = &node(h, new_ref)->t;
		tracker *tr = h->tracked[track_slot(h, t->laddr, t->faddr, t->fport)].tr;
		if (tr && tr->ref)
			tr->ref->bits[t->lport >> 6] &= ~(1ull << (t->lport & 63));
	}
}

uint32_t ehash_lookup_at(const ehash *h, uint32_t b, const tuple4 *t)
{
	uint32_t r = h->heads[b];
	while (r != EH_NIL) {
		const ehash_node *n = node(h, r);
		if (tuple4_eq(&n->t, t))
			return r;
		r = n->next;
	}
	return EH_NIL;
}

uint32_t ehash_lookup(const ehash *h, const tuple4 *t)
{
	return ehash_lookup_at(h, bucket(h, t), t);
}

uint32_t ehash_prefetch(const ehash *h, const tuple4 *t)
{
	uint32_t b = bucket(h, t);
	__builtin_prefetch(&h->heads[b]);
	return b;
}

void ehash_prefetch_head(const ehash *h, uint32_t bucket)
{
	uint32_t first = h->heads[bucket];
	if (first != EH_NIL) {
		const char *p = (const char *)node(h, first);
		__builtin_prefetch(p);
		__builtin_prefetch(p + 64);  /* a socket's state lies past its first line */
	}
}

void ehash_prefetch_chain(const ehash *h, uint32_t ref)
{
	uint32_t first = h->heads[bucket(h, &node(h, ref)->t)];
	if (first != ref && first != EH_NIL)
		__builtin_prefetch(node(h, first));
}

const uint64_t *ehash_track(ehash *h, uint32_t laddr, uint32_t faddr, uint16_t fport)
{
	if (!h->tracked)
		track_grow(h);
	tracker *tr = h->tracked[track_slot(h, laddr, faddr, fport)].tr;
	if (tr)
		return tr->bits;
	if (h->ntracked >= MAX_TRACKED)
		return NULL;
	if (2 * (h->ntracked + 1) > h->track_mask + 1)
		track_grow(h);
	tr = g_new0(tracker, 1);
	tr->k = (dest_key){ laddr, faddr, fport };
	h->tracked[track_slot(h, laddr, faddr, fport)] = (tslot){ tr->k, tr };
	h->ntracked++;
	/* the entries already there for this destination (none in an empty
	 * table: skip the walk over every bucket) */
	for (uint32_t b = 0; h->count && b <= h->mask; b++)
		for (uint32_t r = h->heads[b]; r != EH_NIL; r = node(h, r)->next) {
			const tuple4 *t = &node(h, r)->t;
			if (t->laddr == laddr && t->faddr == faddr && t->fport == fport)
				tr->bits[t->lport >> 6] |= 1ull << (t->lport & 63);
		}
	return tr->bits;
}

const uint64_t *ehash_refused(ehash *h, uint32_t laddr, uint32_t faddr, uint16_t fport, uint64_t now)
{
	if (!ehash_track(h, laddr, faddr, fport))
		return NULL;
	tracker *tr = h->tracked[track_slot(h, laddr, faddr, fport)].tr;
	refusals *r = tr->ref;
	if (!r) {
		r = tr->ref = g_new0(refusals, 1);
		h->nrefusing++;
	}
	/* Pop the marks that are due.  A due entry may be older than the
	 * port's current mark (the entry left, another was marked): clearing
	 * that one early only costs the caller one more check. */
	while (r->n && r->heap[0].until <= now) {
		uint32_t p = r->heap[0].lport;
		r->bits[p >> 6] &= ~(1ull << (p & 63));
		refusal_due last = r->heap[--r->n];
		uint32_t i = 0;
		for (;;) {
			uint32_t c = 2 * i + 1;
			if (c >= r->n)
				break;
			if (c + 1 < r->n && r->heap[c + 1].until < r->heap[c].until)
				c++;
			if (last.until <= r->heap[c].until)
				break;
			r->heap[i] = r->heap[c];
			i = c;
		}
		if (r->n)
			r->heap[i] = last;
	}
	return r->bits;
}

void ehash_refuse(ehash *h, const tuple4 *t, uint64_t until)
{
	BUG_ON(!h->tracked);
	tracker *tr = h->tracked[track_slot(h, t->laddr, t->faddr, t->fport)].tr;
	BUG_ON(!tr || !tr->ref);
	refusals *r = tr->ref;
	r->bits[t->lport >> 6] |= 1ull << (t->lport & 63);
	if (until == EHASH_FOREVER)
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->heap = g_renew(refusal_due, r->heap, r->cap);
	}
	uint32_t i = r->n++;
	while (i && r->heap[(i - 1) / 2].until > until) {
		r->heap[i] = r->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	r->heap[i] = (refusal_due){ until, t->lport };
}

uint32_t ehash_entries(const ehash *h)
{
	return h->mask + 1;
}

uint32_t ehash_count(const ehash *h)
{
	return h->count;
}

uint32_t ehash_chain_hist(const ehash *h, uint64_t *hist, unsigned n)
{
	uint32_t longest = 0;
	for (unsigned i = 0; i < n; i++)
		hist[i] = 0;
	for (uint32_t b = 0; b <= h->mask; b++) {
		uint32_t len = 0;
		for (uint32_t r = h->heads[b]; r != EH_NIL; r = node(h, r)->next)
			len++;
		hist[len < n ? len : n - 1]++;
		if (len > longest)
			longest = len;
	}
	return longest;
}

size_t ehash_bytes_for(uint32_t entries)
{
	return sizeof(ehash) + (size_t)entries * sizeof(uint32_t);
}

size_t ehash_bytes(const ehash *h)
{
	size_t b = sizeof(*h) + (size_t)(h->mask + 1) * sizeof(uint32_t);
	if (h->tracked) {
		b += (h->track_mask + 1) * sizeof(tslot) + h->ntracked * sizeof(tracker);
		for (uint32_t i = 0; h->nrefusing && i <= h->track_mask; i++)
			if (h->tracked[i].tr && h->tracked[i].tr->ref)
				b += sizeof(refusals) + h->tracked[i].tr->ref->cap * sizeof(refusal_due);
	}
	return b;
}
