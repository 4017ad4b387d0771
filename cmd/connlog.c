/*
 * connlog: one row per connect() call (connlog.h), from the tap's records of
 * the client hosts' sockets: SYN_SENT opens a row (connect() and its SYN are
 * one instant), ESTABLISHED, the first FIN_WAIT1 or LAST_ACK (the
 * application's close()), TIME_WAIT and the socket's end fill it in; the
 * end writes it.  The server's sockets are not connections of their own here.
 */
#include "cmd/connlog.h"

#include <inttypes.h>
#include <string.h>

#include "models/scenario.h"
#include "models/tap.h"
#include "models/tcp.h"

typedef struct crow {
	int host;
	tap_tuple t;              /* local first */
	uint64_t id;              /* connect() order, from 1 */
	int64_t t_syn, t_est, t_close, t_tw, t_tw_end;  /* ns; -1: none */
	const char *outcome;      /* NULL until decided */
	char cause[96];
} crow;

struct connlog {
	FILE *fp;
	tap tp;
	GHashTable *open;         /* crow* by (host, tuple) */
	uint64_t next_id;
	int server;
	const scn_path *path;
};

static guint crow_hash(gconstpointer p)
{
	const crow *r = p;
	return (guint)(r->t.saddr * 2654435761u ^ r->t.daddr * 40503u ^ ((guint)r->t.sport << 16 | r->t.dport) ^
		       (guint)r->host * 97u);
}

static gboolean crow_eq(gconstpointer a, gconstpointer b)
{
	const crow *x = a, *y = b;
	return x->host == y->host && x->t.saddr == y->t.saddr && x->t.daddr == y->t.daddr &&
	       x->t.sport == y->t.sport && x->t.dport == y->t.dport;
}

static void put_time(FILE *fp, int64_t t)
{
	if (t >= 0)
		fprintf(fp, ",%" PRId64 ".%06" PRId64, t / 1000000000, t % 1000000000 / 1000);
	else
		fputc(',', fp);
}

static void put_addr(FILE *fp, uint32_t a)
{
	fprintf(fp, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

static void write_row(connlog *c, const crow *r)
{
	fprintf(c->fp, "%" PRIu64 ",", r->id);
	put_addr(c->fp, r->t.saddr);
	fprintf(c->fp, ",%u,", r->t.sport);
	put_addr(c->fp, r->t.daddr);
	fprintf(c->fp, ",%u", r->t.dport);
	put_time(c->fp, r->t_syn);
	put_time(c->fp, r->t_est);
	put_time(c->fp, r->t_close);
	put_time(c->fp, r->t_tw);
	put_time(c->fp, r->t_tw_end);
	fprintf(c->fp, ",%s,%s\n", r->outcome ? r->outcome : "open", r->cause);
}

/* A socket of a client host: not the server's (on a loopback path the same
 * host also has the server's sockets, on the listening ports). */
static bool client_sock(const connlog *c, int host, const tap_tuple *t)
{
	if (host < 0)
		return false;
	if (host != c->server)
		return true;
	for (unsigned i = 0; i < c->path->ndports; i++)
		if (t->sport == c->path->dports[i])
			return false;
	return true;
}

static crow *find(connlog *c, int host, const tap_tuple *t)
{
	crow k = { .host = host, .t = *t };
	return g_hash_table_lookup(c->open, &k);
}

static void finish(connlog *c, crow *r, int64_t t)
{
	if (r->t_tw >= 0)
		r->t_tw_end = t;
	if (!r->outcome)
		r->outcome = r->t_est < 0 ? "failed" : r->t_close >= 0 ? "closed" : "reset";
	write_row(c, r);
	g_hash_table_remove(c->open, r);
}

static void set_cause(crow *r, const char *what)
{
	if (r->cause[0])
		g_strlcat(r->cause, " ", sizeof r->cause);
	g_strlcat(r->cause, what, sizeof r->cause);
}

static void on_rule(connlog *c, const tap_rec *rec, crow *r)
{
	switch (rec->rule) {
	case TAP_R_CONNECT_FAIL: {
		crow x = { .host = rec->host, .t = rec->tuple, .id = ++c->next_id, .t_syn = rec->t, .t_est = -1,
			   .t_close = -1, .t_tw = -1, .t_tw_end = -1, .outcome = "connect_error" };
		set_cause(&x, tap_errno_name(rec->a));
		write_row(c, &x);
		return;
	}
	case TAP_R_SETUP_END:
		if (!r)
			return;
		if (rec->a) {
			r->outcome = "failed";
			set_cause(r, tap_errno_name(rec->a));
		}
#define X(bit, name) if (rec->b & (bit)) set_cause(r, name);
		TCP_HIT_MAP(X)
#undef X
		return;
	case TAP_R_ABORT:
		if (r) {
			r->t_close = rec->t;
			r->outcome = "aborted";
		}
		return;
	case TAP_R_TW_REUSE:
		if (r)
			set_cause(r, "tw_reused");
		return;
	case TAP_R_TW_RST_KILL:
		if (r)
			set_cause(r, "tw_rst_killed");
		return;
	case TAP_R_TW_OVERFLOW:
		if (r)
			set_cause(r, "tw_overflow");
		return;
	default:
		return;
	}
}

static tap_verdict on_tap(void *ctx, tap_rec *rec)
{
	connlog *c = ctx;
	if ((rec->kind != TAP_STATE && rec->kind != TAP_RULE) || !client_sock(c, rec->host, &rec->tuple))
		return TAP_PASS;
	crow *r = find(c, rec->host, &rec->tuple);
	if (rec->kind == TAP_RULE) {
		on_rule(c, rec, r);
		return TAP_PASS;
	}
	const char *st = rec->state;
	if (!strcmp(st, "SYN_SENT")) {
		if (r)  /* cannot happen: the tuple's old socket ends first */
			finish(c, r, rec->t);
		r = g_new0(crow, 1);
		*r = (crow){ .host = rec->host, .t = rec->tuple, .id = ++c->next_id, .t_syn = rec->t, .t_est = -1,
			     .t_close = -1, .t_tw = -1, .t_tw_end = -1 };
		g_hash_table_add(c->open, r);
		return TAP_PASS;
	}
	if (!r)
		return TAP_PASS;
	if (!strcmp(st, "ESTABLISHED"))
		r->t_est = rec->t;
	else if ((!strcmp(st, "FIN_WAIT1") || !strcmp(st, "LAST_ACK")) && r->t_close < 0)
		r->t_close = rec->t;
	else if (!strcmp(st, "TIME_WAIT") && r->t_tw < 0)
		r->t_tw = rec->t;
	else if (!strcmp(st, "CLOSE"))
		finish(c, r, rec->t);
	return TAP_PASS;
}

connlog *connlog_new(world *W, FILE *fp)
{
	connlog *c = g_new0(connlog, 1);
	c->fp = fp;
	c->open = g_hash_table_new_full(crow_hash, crow_eq, g_free, NULL);
	c->server = world_server(W);
	c->path = &world_scenario(W)->path;
	c->tp = (tap){ c, on_tap };
	fputs("conn,client,lport,dst,dport,t_connect,t_established,t_close,t_timewait,t_timewait_end,outcome,cause\n",
	      fp);
	return c;
}

const tap *connlog_tap(connlog *c)
{
	return &c->tp;
}

static gint by_id(gconstpointer a, gconstpointer b)
{
	const crow *x = *(const crow *const *)a, *y = *(const crow *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void connlog_finish(connlog *c)
{
	GPtrArray *rest = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;
	g_hash_table_iter_init(&it, c->open);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(rest, k);
	g_ptr_array_sort(rest, by_id);
	for (guint i = 0; i < rest->len; i++)
		write_row(c, g_ptr_array_index(rest, i));
	g_ptr_array_free(rest, TRUE);
	g_hash_table_remove_all(c->open);
}

void connlog_free(connlog *c)
{
	if (!c)
		return;
	g_hash_table_destroy(c->open);
	g_free(c);
}
