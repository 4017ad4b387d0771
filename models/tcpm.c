#include "models/tcpm.h"

#include <glib.h>

#include "models/tsc.h"

typedef struct entry {
	uint32_t ts, stamp;
} entry;

struct tcpm {
	GHashTable *t;  /* key (uint64 in a pointer-sized int) -> entry* */
	prof_recycle key;
};

tcpm *tcpm_new(prof_recycle key)
{
	tcpm *m = g_new0(tcpm, 1);
	m->t = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	m->key = key;
	return m;
}

void tcpm_free(tcpm *m)
{
	if (!m)
		return;
	g_hash_table_destroy(m->t);
	g_free(m);
}

static gint64 key_of(const tcpm *m, uint32_t laddr, uint32_t faddr)
{
	return m->key == RECYCLE_BY_PAIR ? (gint64)((uint64_t)laddr << 32 | faddr) : (gint64)faddr;
}

bool tcpm_remember(tcpm *m, uint32_t laddr, uint32_t faddr, uint32_t ts, uint32_t stamp_s, uint32_t now_s)
{
	gint64 k = key_of(m, laddr, faddr);
	entry *e = g_hash_table_lookup(m->t, &k);
	if (!e) {
		gint64 *kp = g_new(gint64, 1);
		*kp = k;
		e = g_new0(entry, 1);
		e->ts = ts;
		e->stamp = stamp_s;
		g_hash_table_insert(m->t, kp, e);
		return true;
	}
	/* tcp_remember_stamp (3.x/4.x tcp_metrics.c): move forward only, unless
	 * the stored stamp is older than TCP_PAWS_MSL. */
	if ((int32_t)(e->ts - ts) <= 0 ||
	    ((uint32_t)(now_s - e->stamp) > TCP_PAWS_MSL && e->stamp <= stamp_s)) {
		e->ts = ts;
		e->stamp = stamp_s;
	}
	return true;
}

bool tcpm_paws_ok(const tcpm *m, uint32_t laddr, uint32_t faddr, bool has_ts, uint32_t tsval,
		  uint32_t now_s)
{
	gint64 k = key_of(m, laddr, faddr);
	const entry *e = g_hash_table_lookup(m->t, &k);
	if (!e)
		return true;
	if ((uint32_t)(now_s - e->stamp) >= TCP_PAWS_MSL)
		return true;
	/* tcp_peer_is_proven: (s32)(tcpm_ts - req->ts_recent) > TCP_PAWS_WINDOW,
	 * or (4.x) no timestamp on the SYN. */
	if (!has_ts)
		return m->key != RECYCLE_BY_PAIR;  /* 3.x checked only timestamped SYNs */
	return (int32_t)(e->ts - tsval) <= TCP_PAWS_WINDOW;
}

size_t tcpm_count(const tcpm *m)
{
	return g_hash_table_size(m->t);
}
