/*
 * 4-ary implicit min-heap of evq_ent, keys stored inline.
 *
 * Four children per node halve the depth of a binary heap and keep a node's
 * children in one or two cache lines (24-byte entries), which is what matters
 * with a million pending events (the LaMarca-Ladner result libuv and Go's
 * timer heap also rely on).
 */
#include "sim/evq.h"

#include <glib.h>
#include <stdlib.h>

typedef struct heap {
	evq_ent *a;
	size_t n, cap;
} heap;

static void *heap_create(void)
{
	return g_new0(heap, 1);
}

static void heap_destroy(void *q)
{
	heap *h = q;
	g_free(h->a);
	g_free(h);
}

static void heap_push(void *q, evq_ent e)
{
	heap *h = q;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->a = g_renew(evq_ent, h->a, h->cap);
	}
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 4;
		if (!evq_before(&e, &h->a[p]))
			break;
		h->a[i] = h->a[p];
		i = p;
	}
	h->a[i] = e;
}

static const evq_ent *heap_peek(void *q)
{
	heap *h = q;
	return h->n ? &h->a[0] : NULL;
}

static void heap_pop(void *q)
{
	heap *h = q;
	if (!h->n)
		abort();
	evq_ent last = h->a[--h->n];
	size_t n = h->n, i = 0;
	if (!n)
		return;
	for (;;) {
		size_t c = 4 * i + 1;
		if (c >= n)
			break;
		size_t best = c, end = c + 4 < n ? c + 4 : n;
		for (size_t k = c + 1; k < end; k++)
			if (evq_before(&h->a[k], &h->a[best]))
				best = k;
		if (!evq_before(&h->a[best], &last))
			break;
		h->a[i] = h->a[best];
		i = best;
	}
	h->a[i] = last;
}

static size_t heap_size(const void *q)
{
	return ((const heap *)q)->n;
}

static size_t heap_bytes(const void *q)
{
	const heap *h = q;
	return sizeof(*h) + h->cap * sizeof(evq_ent);
}

const evq_ops evq_heap = {
	"heap", heap_create, heap_destroy, heap_push, heap_peek, heap_pop, heap_size, heap_bytes,
};
