/*
 * Reference scheduler: an array kept sorted in descending (time, seq) order,
 * so the minimum is the last element.  O(n) insertion; only for tests, where
 * its obviousness is the point (ns-3 keeps a ListScheduler for the same reason).
 */
#include "sim/evq.h"

#include "sim/bug.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct list {
	evq_ent *a;
	size_t n, cap;
} list;

static void *list_create(void)
{
	return g_new0(list, 1);
}

static void list_destroy(void *q)
{
	list *l = q;
	g_free(l->a);
	g_free(l);
}

static void list_push(void *q, evq_ent e)
{
	list *l = q;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->a = g_renew(evq_ent, l->a, l->cap);
	}
	size_t i = 0;
	while (i < l->n && evq_before(&e, &l->a[i]))
		i++;
	memmove(&l->a[i + 1], &l->a[i], (l->n - i) * sizeof(evq_ent));
	l->a[i] = e;
	l->n++;
}

static const evq_ent *list_peek(void *q)
{
	list *l = q;
	return l->n ? &l->a[l->n - 1] : NULL;
}

static void list_pop(void *q)
{
	list *l = q;
	BUG_ON(!l->n);  /* a pop from an empty queue */
	l->n--;
}

static size_t list_size(const void *q)
{
	return ((const list *)q)->n;
}

static size_t list_bytes(const void *q)
{
	const list *l = q;
	return sizeof(*l) + l->cap * sizeof(evq_ent);
}

const evq_ops evq_list = {
	"list", list_create, list_destroy, list_push, list_peek, list_pop, list_size, list_bytes,
};
