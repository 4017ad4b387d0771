#include "models/meter.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/box.h"
#include "models/ct.h"
#include "models/tcp.h"

static void kmem_add(GArray *a, const char *name, const char *gauge, double per, double fixed)
{
	meter_kmem k = { .per = per, .fixed = fixed };
	g_strlcpy(k.name, name, sizeof k.name);
	g_strlcpy(k.gauge, gauge, sizeof k.gauge);
	g_array_append_val(a, k);
}

/* Per role: timewait minisockets (tw_sock_TCP objects), ESTABLISHED sockets
 * (TCP objects), the established hash (struct inet_ehash_bucket: one
 * hlist_nulls_head, 8 B); per box: conntrack entries (nf_conn and its
 * extensions) and the bucket array (8 B per hlist_nulls_head). */
GArray *meter_kmem_list(const world *W)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(meter_kmem));
	const scenario *sc = world_scenario(W);
	const tcp_net *n = world_tcp_const(W);
	for (int role = 0; role < 2 - sc->path.loopback; role++) {
		const char *r = role ? "server" : "client";
		int host = role ? world_server(W) : world_first_client(W);
		const kconf *k = tcp_host_kconf(n, host);
		unsigned nh = role ? 1 : sc->path.nclients;
		char name[64], gauge[64];
		snprintf(name, sizeof name, "kmem.%s.timewait", r);
		snprintf(gauge, sizeof gauge, "%s.timewait", r);
		kmem_add(a, name, gauge, k->prof->tw_sock_bytes, 0);
		snprintf(name, sizeof name, "kmem.%s.established", r);
		snprintf(gauge, sizeof gauge, "%s.established", r);
		kmem_add(a, name, gauge, k->prof->tcp_sock_bytes, 0);
		tcp_host_stats st;
		tcp_host_stats_get(n, host, &st);
		snprintf(name, sizeof name, "kmem.%s.ehash", r);
		kmem_add(a, name, "", 0, 8.0 * st.ehash_entries * nh);
	}
	for (unsigned i = 0; i < world_nboxes(W); i++) {
		const box *b = world_box(W, i);
		char name[64], gauge[64];
		snprintf(name, sizeof name, "kmem.%s.ct_entries", box_name(b));
		snprintf(gauge, sizeof gauge, "%s.ct.count", box_name(b));
		kmem_add(a, name, gauge, box_kconf(b)->prof->ct_entry_bytes, 0);
		snprintf(name, sizeof name, "kmem.%s.ct_hash", box_name(b));
		kmem_add(a, name, "", 0, 8.0 * ct_buckets(box_ct(b)));
	}
	return a;
}

unsigned meter_port_pool(const world *W)
{
	tcp_host_stats st;
	tcp_host_stats_get(world_tcp_const(W), world_first_client(W), &st);
	return st.port_usable;
}

/* The smallest k with P(X <= k) >= q for X ~ Poisson(lambda). */
static unsigned poisson_quantile(double q, double lambda)
{
	unsigned k = 0;
	while (gsl_cdf_poisson_P(k, lambda) < q && k < 100000)
		k++;
	return k;
}

/* Balls into bins: the expected maximum of B Poisson(load) buckets is the
 * sum over k >= 1 of 1 - F(k - 1)^B. */
void meter_chains_get(const world *W, unsigned i, meter_chains *c)
{
	const box *x = world_box(W, i);
	const ct_table *ct = box_ct(x);
	memset(c, 0, sizeof(*c));
	c->box = box_name(x);
	c->buckets = ct_buckets(ct);
	c->hist = ct_chain_snapshot(ct, &c->longest, &c->load);
	double cum = 0;
	for (uint32_t k = 0; k <= c->longest; k++) {
		cum += (double)c->hist[k];
		if (cum < 0.99 * c->buckets)
			c->p99 = k + 1;
	}
	for (unsigned k = 1; c->load > 0 && k < 100000; k++) {  /* GSL wants mu > 0 */
		double tail = 1 - pow(gsl_cdf_poisson_P(k - 1, c->load), c->buckets);
		c->poisson_max += tail;
		if (tail < 1e-9)
			break;
	}
	c->poisson_p99 = c->load > 0 ? poisson_quantile(0.99, c->load) : 0;
}

void meter_chains_clear(meter_chains *c)
{
	g_free(c->hist);
	c->hist = NULL;
}

double meter_chains_expected(const meter_chains *c, uint32_t i)
{
	/* an empty table: every bucket at 0 (GSL's pdf is NaN at mu = 0) */
	return c->load > 0 ? c->buckets * gsl_ran_poisson_pdf(i, c->load) : i == 0 ? c->buckets : 0;
}
