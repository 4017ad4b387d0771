/*
 * The world's wiring: hosts, listeners, boxes and the workload, from a
 * scenario that has checked everything already; what it rejected cannot
 * happen here (BUG_ON).
 */
#include "models/world.h"

#include <stdio.h>
#include <string.h>

#include "sim/bug.h"
#include "sim/rng.h"

#include "models/box.h"
#include "models/kconf.h"
#include "models/gw.h"
#include "models/wl.h"

struct world {
	const scenario *sc;
	tcp_net *tcp;
	wl *w;
	int *clients;
	unsigned nclients;
	uint32_t *caddrs;  /* nclients x addresses_per_host */
	int server;
	probe_gauge *ports_in_use, *dest_ports, *nat_mappings;
	ev_loop *L;
	box *boxes[2];  /* on the path from the client side: NAT, then firewall */
	unsigned nboxes;
	gsl_rng *box_rng[8];  /* conntrack, NAT, unseen-teardown and loss streams of each box */
	probe_gauge *ct_bytes[2];
};

static void add_box(world *W, const scn_box *sb, probe_set *ps, uint64_t seed, uint32_t rep)
{
	const char *name = sb->name;
	char stream[64];
	gsl_rng **r = &W->box_rng[4 * W->nboxes];
	snprintf(stream, sizeof stream, "box/%s/conntrack", name);
	r[0] = rng_stream(seed, rep, stream);
	snprintf(stream, sizeof stream, "box/%s/nat", name);
	r[1] = rng_stream(seed, rep, stream);
	snprintf(stream, sizeof stream, "box/%s/unseen", name);
	r[2] = rng_stream(seed, rep, stream);
	snprintf(stream, sizeof stream, "box/%s/loss", name);
	r[3] = rng_stream(seed, rep, stream);
	const scn_nat *sn = &sb->nat;
	nat_cfg nc = { sn->addrs, sn->naddrs, sn->port_lo, sn->port_hi, sn->random, sn->random_fully, sn->persistent };
	bool is_gw = sb->has_nat && sn->kind != SCN_NAT_NETFILTER;
	box *b = is_gw ? box_new(name, &sb->k, NULL, W->L, ps, r[0], NULL, 0, NULL)
		       : box_new(name, &sb->k, sb->has_nat ? &nc : NULL, W->L, ps, r[0], r[1], W->sc->unseen_teardown, r[2]);
	if (is_gw) {
		char *pre = g_strdup_printf("%s.", name);
		gw g;
		BUG_ON(!gw_make(sn, sb->clients ? sb->clients : W->nclients, ps, pre, r[1], &g));
		box_set_gw(b, &g, sn->naddrs);
		g_free(pre);
	}
	snprintf(stream, sizeof stream, "%s.ct.kernel_bytes", name);
	W->ct_bytes[W->nboxes] = probe_gauge_get(ps, stream, "memory the kernel would use for the table");
	W->boxes[W->nboxes++] = b;
	tcp_add_hop(W->tcp, box_hop_tcp, box_hop_prefetch, b, sb->delay, sb->loss, r[3]);
}

/* The client hosts, addresses in turn from the first, then the server (on
 * a loopback path, the client host itself) and its listeners. */
static void add_hosts(world *W)
{
	const scenario *sc = W->sc;
	const scn_path *p = &sc->path;
	unsigned per = p->addrs_per_client;
	W->caddrs = g_new(uint32_t, (size_t)W->nclients * per);
	for (unsigned i = 0; i < W->nclients; i++) {
		uint32_t *a = &W->caddrs[(size_t)i * per];
		for (unsigned k = 0; k < per; k++)
			a[k] = p->first_client + i * per + k;
		W->clients[i] = tcp_host_add(W->tcp, "client", &sc->client.k, a, per, sc->client.link_delay,
					     sc->client.loss);
		BUG_ON(W->clients[i] < 0);
	}
	if (p->loopback)
		W->server = W->clients[0];
	else
		W->server = tcp_host_add(W->tcp, "server", &sc->server.k, p->daddrs, p->ndaddrs,
					 sc->server.link_delay, sc->server.loss);
	BUG_ON(W->server < 0);
	for (unsigned i = 0; i < p->ndports; i++) {
		int r = tcp_listen(W->tcp, W->server, p->dports[i]);
		BUG_ON(r < 0);
	}
}

world *world_new(const scenario *sc, ev_loop *L, probe_set *ps, uint64_t seed, uint32_t rep, GError **err)
{
	world *W = g_new0(world, 1);
	W->sc = sc;
	W->L = L;
	W->nclients = sc->path.nclients;
	W->clients = g_new(int, W->nclients);
	wl_spec s = sc->workload;
	s.daddrs = sc->path.daddrs;
	s.ndaddrs = sc->path.ndaddrs;
	s.dports = sc->path.dports;
	s.ndports = sc->path.ndports;
	s.clients = W->clients;
	s.nclients = W->nclients;
	s.client_addrs = &W->caddrs;
	W->w = wl_new(L, ps, &s, seed, rep);
	tcp_app app = wl_tcp_app(W->w);
	W->tcp = tcp_net_new(L, ps, seed, rep, &app);
	wl_attach(W->w, W->tcp);
	tcp_set_data_bytes(W->tcp, sc->request_bytes, sc->response_bytes);
	add_hosts(W);
	for (unsigned i = 0; i < sc->nboxes; i++)
		add_box(W, &sc->boxes[i], ps, seed, rep);
	if (sc->path.loopback && sc->nboxes)
		tcp_hops_self(W->tcp);  /* the host's own firewall sees its loopback segments */
	else
		for (unsigned i = 0; i < sc->nboxes; i++)
			if (sc->boxes[i].own)  /* host = server or client: at its hooks, past its link */
				tcp_hop_own(W->tcp, i, sc->boxes[i].on_host ? W->server : W->clients[0]);
	/* mixed populations: the client hosts after the NAT's bypass it */
	for (unsigned i = 0; i < W->nboxes; i++)
		if (sc->boxes[i].clients && sc->boxes[i].clients < sc->path.nclients) {
			unsigned per = sc->path.addrs_per_client;
			box_set_direct(W->boxes[i], sc->path.first_client + sc->boxes[i].clients * per,
				       (sc->path.nclients - sc->boxes[i].clients) * per);
		}
	/* namespaces of one host: one gc worker (scenario.c checked they
	 * share a kernel) */
	if (W->nboxes == 2 && sc->boxes[0].host[0] && !strcmp(sc->boxes[0].host, sc->boxes[1].host))
		box_share_host(W->boxes[0], W->boxes[1]);
	W->ports_in_use = probe_gauge_get(ps, "client.ports_in_use", "local ports with a bind bucket, all clients");
	W->dest_ports = probe_gauge_get(ps, "client.dest_ports",
					"4-tuples in the clients' ehash per (client host, destination address and port)");
	for (unsigned i = 0; i < W->nboxes; i++)
		if (box_nat(W->boxes[i]))
			W->nat_mappings = probe_gauge_get(ps, "nat.snat.mappings", "source-NAT mappings (bysource links)");
	return W;
}

void world_free(world *W)
{
	if (!W)
		return;
	wl_free(W->w);
	tcp_net_free(W->tcp);
	for (unsigned i = 0; i < W->nboxes; i++)
		box_free(W->boxes[i]);
	for (unsigned i = 0; i < 4 * W->nboxes; i++)
		rng_free(W->box_rng[i]);
	g_free(W->clients);
	g_free(W->caddrs);
	g_free(W);
}

void world_start(world *W)
{
	wl_start(W->w);
}

tcp_net *world_tcp(world *W)
{
	return W->tcp;
}

const tcp_net *world_tcp_const(const world *W)
{
	return W->tcp;
}

void world_window_open(world *W)
{
	wl_window_open(W->w);
}

unsigned world_client_hosts(const world *W)
{
	return wl_client_hosts(W->w);
}

bool world_first_failure(const world *W, ev_time *t)
{
	return wl_first_failure(W->w, t);
}

int world_first_client(const world *W)
{
	return W->clients[0];
}

int world_server(const world *W)
{
	return W->server;
}

const scenario *world_scenario(const world *W)
{
	return W->sc;
}

void world_sample(world *W)
{
	int64_t ports = 0, tuples = 0;
	for (unsigned i = 0; i < W->nclients; i++) {
		tcp_host_stats st;
		tcp_host_stats_get(W->tcp, W->clients[i], &st);
		ports += st.ports_in_use;
		tuples += st.ehash_count;
	}
	probe_gauge_set(W->ports_in_use, ports, ev_now(W->L));
	/* the mean over destinations, rounded down */
	probe_gauge_set(W->dest_ports,
			tuples / ((int64_t)W->nclients * W->sc->path.ndaddrs * W->sc->path.ndports), ev_now(W->L));
	for (unsigned i = 0; i < W->nboxes; i++)
		if (box_nat(W->boxes[i]))
			probe_gauge_set(W->nat_mappings, nat_nlinks(box_nat(W->boxes[i])), ev_now(W->L));
	for (unsigned i = 0; i < W->nboxes; i++)
		probe_gauge_set(W->ct_bytes[i], (int64_t)box_ct_kernel_bytes(W->boxes[i]), ev_now(W->L));
}

void world_set_tap(world *W, const tap *t)
{
	tcp_set_tap(W->tcp, t);
	for (unsigned i = 0; i < W->nboxes; i++)
		box_set_tap(W->boxes[i], t, (int)i);
}

unsigned world_nboxes(const world *W)
{
	return W->nboxes;
}

const box *world_box(const world *W, unsigned i)
{
	return W->boxes[i];
}

void world_describe(const world *W, GString *o, const char *pre)
{
	const scn_path *p = &W->sc->path;
	char *p1 = g_strdup_printf("%sclient: ", pre), *p2 = g_strdup_printf("%sserver: ", pre);
	g_string_append_printf(o, "%sclients: %u host(s); server ports: %u; server addresses: %u%s\n", pre,
			       W->nclients, p->ndports, p->ndaddrs, p->loopback ? " (loopback: one host)" : "");
	kconf_describe(tcp_host_kconf(W->tcp, W->clients[0]), o, p1);
	if (!p->loopback)
		kconf_describe(tcp_host_kconf(W->tcp, W->server), o, p2);
	for (unsigned i = 0; i < W->nboxes; i++)
		box_describe(W->boxes[i], o, pre);
	const scn_box *sb = W->sc->boxes;
	for (unsigned i = 0; i < W->nboxes; i++)
		if (sb[i].clients && sb[i].clients < p->nclients)
			g_string_append_printf(o, "%s%s: client hosts 1-%u behind it, %u-%u direct to the server\n", pre,
					       sb[i].name, sb[i].clients, sb[i].clients + 1, p->nclients);
	for (unsigned i = 0; i < W->nboxes; i++)
		if (sb[i].own)
			g_string_append_printf(o, "%s%s: the %s's own conntrack (its output and input hooks, once per "
					       "segment)\n", pre, sb[i].name,
					       p->loopback ? "host" : !strcmp(sb[i].host, "server") ? "server" : "client");
	if (W->nboxes == 2 && sb[0].host[0] && !strcmp(sb[0].host, sb[1].host))
		g_string_append_printf(o, "%s%s and %s: namespaces of host %s, one conntrack gc worker\n", pre,
				       sb[0].name, sb[1].name, sb[0].host);
	g_free(p1);
	g_free(p2);
}
