/*
 * gwflow: a gateway's flow table (models/gwflow.h): two hash tables (by
 * orig key, by reply key) over one record per flow, and FIFO expiry queues
 * of (flow, deadline) entries.  A flow removed while entries still name it
 * is marked dead and freed when the last of them comes out.
 */
#include "models/gwflow.h"

#include <glib.h>

#include "sim/bug.h"

typedef struct qent {
	gwflow *f;
	ev_time deadline;
} qent;

struct gwflow_tab {
	GHashTable *by_orig, *by_reply;  /* key -> flow */
	GQueue q[GWFLOW_MAXQ];
	unsigned nq;
	probe_gauge *count;  /* gwflow_count_gauge, or NULL */
};

static guint key_hash(gconstpointer v)
{
	const gwflow_key *k = v;
	uint64_t h = ((uint64_t)k->a * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)k->b * 0xc2b2ae3d27d4eb4full) ^
		     ((uint64_t)k->p << 16 | k->q) * 0x165667b19e3779f9ull;
	return (guint)(h ^ (h >> 29));
}

static gboolean key_eq(gconstpointer x, gconstpointer y)
{
	const gwflow_key *a = x, *b = y;
	return a->a == b->a && a->b == b->b && a->p == b->p && a->q == b->q;
}

gwflow_tab *gwflow_new(unsigned nqueues)
{
	BUG_ON(!nqueues || nqueues > GWFLOW_MAXQ);
	gwflow_tab *t = g_new0(gwflow_tab, 1);
	t->by_orig = g_hash_table_new(key_hash, key_eq);
	t->by_reply = g_hash_table_new(key_hash, key_eq);
	for (unsigned i = 0; i < nqueues; i++)
		g_queue_init(&t->q[i]);
	t->nq = nqueues;
	return t;
}

void gwflow_free(gwflow_tab *t)
{
	if (!t)
		return;
	/* flows still in the table: mark dead, free once no queue names them */
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, t->by_orig);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		gwflow *f = v;
		f->dead_ = true;
		if (!f->nq_)
			g_free(f);
	}
	for (unsigned i = 0; i < t->nq; i++) {
		qent *e;
		while ((e = g_queue_pop_head(&t->q[i]))) {
			if (--e->f->nq_ == 0 && e->f->dead_)
				g_free(e->f);
			g_free(e);
		}
	}
	g_hash_table_destroy(t->by_orig);
	g_hash_table_destroy(t->by_reply);
	g_free(t);
}

gwflow *gwflow_find(const gwflow_tab *t, const gwflow_key *k, bool *is_orig)
{
	gwflow *f = g_hash_table_lookup(t->by_orig, k);
	*is_orig = f != NULL;
	if (!f)
		f = g_hash_table_lookup(t->by_reply, k);
	return f;
}

bool gwflow_reply_taken(const gwflow_tab *t, const gwflow_key *k)
{
	return g_hash_table_contains(t->by_reply, k);
}

void gwflow_count_gauge(gwflow_tab *t, probe_gauge *g)
{
	BUG_ON(g_hash_table_size(t->by_orig));
	t->count = g;
}

uint32_t gwflow_count(const gwflow_tab *t)
{
	return g_hash_table_size(t->by_orig);
}

gwflow *gwflow_add(gwflow_tab *t, const gwflow_key *orig, const gwflow_key *reply, ev_time now)
{
	BUG_ON(g_hash_table_contains(t->by_orig, orig) || g_hash_table_contains(t->by_reply, reply));
	gwflow *f = g_new0(gwflow, 1);
	f->orig = *orig;
	f->reply = *reply;
	g_hash_table_insert(t->by_orig, &f->orig, f);
	g_hash_table_insert(t->by_reply, &f->reply, f);
	if (t->count)
		probe_gauge_add(t->count, 1, now);
	return f;
}

void gwflow_arm(gwflow_tab *t, gwflow *f, unsigned q, ev_time deadline)
{
	BUG_ON(q >= t->nq || f->dead_);
	qent *last = g_queue_peek_tail(&t->q[q]);
	BUG_ON(last && last->deadline > deadline);
	qent *e = g_new(qent, 1);
	e->f = f;
	e->deadline = deadline;
	f->deadline = deadline;
	f->q = (uint8_t)q;
	f->nq_++;
	g_queue_push_tail(&t->q[q], e);
}

gwflow *gwflow_due(gwflow_tab *t, ev_time now, unsigned *q)
{
	for (unsigned i = 0; i < t->nq; i++) {
		qent *e;
		while ((e = g_queue_peek_head(&t->q[i])) && e->deadline <= now) {
			g_queue_pop_head(&t->q[i]);
			gwflow *f = e->f;
			bool live = !f->dead_ && f->deadline == e->deadline && f->q == i;
			f->nq_--;
			g_free(e);
			if (f->dead_ && !f->nq_)
				g_free(f);
			if (live) {
				*q = i;
				return f;
			}
		}
	}
	return NULL;
}

void gwflow_remove(gwflow_tab *t, gwflow *f, ev_time now)
{
	BUG_ON(f->dead_);
	if (t->count)
		probe_gauge_add(t->count, -1, now);
	g_hash_table_remove(t->by_orig, &f->orig);
	g_hash_table_remove(t->by_reply, &f->reply);
	f->dead_ = true;
	if (!f->nq_)
		g_free(f);
}

void gwflow_translate(const gwflow *f, bool orig, tcp_hop_pkt *p)
{
	if (orig) {
		p->saddr = f->reply.b;
		p->sport = f->reply.q;
	} else {
		p->daddr = f->orig.a;
		p->dport = f->orig.p;
	}
}

void gwflow_counters(probe_set *ps, const char *prefix, const char *const (*names)[2], unsigned n, uint64_t *local,
		     uint64_t **cnt)
{
	for (unsigned i = 0; i < n; i++) {
		cnt[i] = &local[i];
		if (ps) {
			char *name = g_strdup_printf("%s%s", prefix, names[i][0]);
			cnt[i] = probe_counter(ps, name, names[i][1]);
			g_free(name);
		}
	}
}

probe_gauge *gwflow_gauge(probe_set *ps, const char *prefix, const char *name, const char *help)
{
	if (!ps)
		return NULL;
	char *n = g_strdup_printf("%s%s", prefix, name);
	probe_gauge *g = probe_gauge_get(ps, n, help);
	g_free(n);
	return g;
}

GHashTable *gwflow_records_new(GDestroyNotify free_record)
{
	return g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, free_record);
}

void *gwflow_record(GHashTable *t, uint64_t key, size_t size)
{
	gint64 k = (gint64)key;
	void *r = g_hash_table_lookup(t, &k);
	if (!r) {
		gint64 *kp = g_new(gint64, 1);
		*kp = k;
		r = g_malloc0(size);
		g_hash_table_insert(t, kp, r);
	}
	return r;
}
