#include "models/world.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/rng.h"

#include "models/box.h"
#include "models/kconf.h"
#include "models/wl.h"

#define HOST_KEYS(sec)                                                                                          \
	{ sec, "profile", CFG_ENUM, 0, 0, "3.10|4.4|4.12|5.15|6.8|6.13|current", "current",                     \
	  "kernel profile (connsim profiles lists them)" },                                                      \
	{ sec, "hz", CFG_INT, 100, 1000, NULL, "250", "CONFIG_HZ: jiffies per second (100, 250, 300, 1000)" },  \
	{ sec, "memory", CFG_DOUBLE, 0.0625, 65536, NULL, "16", "usable RAM in GiB (sizes ehash)" },           \
	{ sec, "thash_entries", CFG_INT, 0, 67108864, NULL, "0", "ehash size override (0: from memory)" },      \
	{ sec, "link_delay", CFG_TIME, 0, 10, NULL, "50us", "one-way delay of the host's link" },               \
	{ sec, "loss", CFG_DOUBLE, 0, 0.99, NULL, "0", "probability a segment is lost on the host's link" },    \
	{ sec, "sysctl_file", CFG_STRING, 0, 0, NULL, "", "sysctl.conf or `sysctl -a` file for this host" }

const cfg_key world_keys[] = {
	HOST_KEYS("client"),
	{ "client", "count", CFG_INT, 1, 4096, NULL, "1", "number of client hosts" },
	{ "client", "address", CFG_STRING, 0, 0, NULL, "10.0.0.1",
	  "address of the first client host; the next ones follow" },
	{ "client", "addresses_per_host", CFG_INT, 1, 256, NULL, "1",
	  "addresses of each client host (used with workload bind = address)" },
	HOST_KEYS("server"),
	{ "server", "addresses", CFG_LIST, 0, 0, NULL, "10.0.1.1",
	  "server addresses (one host holds them all); 127.x: the client host serves itself (loopback)" },
	{ "server", "ports", CFG_PORTS, 1, 65535, NULL, "80", "listening ports, e.g. 80,8080-8083" },
	{ "nat|firewall", "profile", CFG_ENUM, 0, 0, "3.10|4.4|4.12|5.15|6.8|6.13|current", "current",
	  "kernel profile of the box" },
	{ "nat|firewall", "hz", CFG_INT, 100, 1000, NULL, "250", "CONFIG_HZ of the box" },
	{ "nat|firewall", "memory", CFG_DOUBLE, 0.0625, 65536, NULL, "16", "usable RAM in GiB (sizes the conntrack table)" },
	{ "nat|firewall", "thash_entries", CFG_INT, 0, 67108864, NULL, "0", "unused by boxes; accepted for symmetry" },
	{ "nat|firewall", "delay", CFG_TIME, 0, 10, NULL, "20us", "time a segment takes through the box" },
	{ "nat|firewall", "loss", CFG_DOUBLE, 0, 0.99, NULL, "0", "probability a segment is lost on the way into the box" },
	{ "nat|firewall", "sysctl_file", CFG_STRING, 0, 0, NULL, "", "sysctl file for the box (conntrack settings)" },
	{ "nat", "addresses", CFG_LIST, 0, 0, NULL, "203.0.113.1", "external addresses (MASQUERADE: one)" },
	{ "nat", "ports", CFG_RANGE, 1, 65535, NULL, NULL, "--to-ports low high (default: the kernel's port classes)" },
	{ "nat", "random", CFG_ENUM, 0, 0, "none|random|fully", "none", "--random or --random-fully" },
	{ "nat", "persistent", CFG_BOOL, 0, 0, NULL, "false", "--persistent" },
	{ "workload", "arrival", CFG_ENUM, 0, 0, "poisson|constant|onoff|diurnal", "poisson",
	  "arrival process (onoff: Poisson during on periods only; diurnal: Poisson at rate x (1 + amplitude "
	  "x sin(2 pi t / period)))" },
	{ "workload", "on", CFG_TIME, 1e-6, 0, NULL, "10s", "onoff: length of each on period (fixed; the first starts at start)" },
	{ "workload", "off", CFG_TIME, 0, 0, NULL, "10s", "onoff: length of each off period (fixed)" },
	{ "workload", "period", CFG_TIME, 1e-6, 0, NULL, "24h", "diurnal: period of the rate's sine (phase 0 at time 0)" },
	{ "workload", "amplitude", CFG_DOUBLE, 0, 1, NULL, "0.5", "diurnal: relative amplitude of the rate's sine" },
	{ "workload", "rate", CFG_DOUBLE, 0, 0, NULL, "100", "connections per second over all clients" },
	{ "workload", "rate_per_client", CFG_BOOL, 0, 0, NULL, "false",
	  "rate is per client host, so the total grows with client count (users behind a NAT)" },
	{ "workload", "start", CFG_TIME, 0, 0, NULL, "0s", "first arrival not before this time" },
	{ "workload", "stop", CFG_TIME, 0, 0, NULL, NULL, "no arrivals from this time (default: run end)" },
	{ "workload", "life", CFG_ENUM, 0, 0, "fixed|exponential|lognormal|pareto", "fixed",
	  "distribution of one request's duration (the whole data phase when requests = 1)" },
	{ "workload", "life_mean", CFG_TIME, 0, 0, NULL, "100ms", "mean duration of one request" },
	{ "workload", "life_sigma", CFG_DOUBLE, 0, 10, NULL, "1", "lognormal: sigma of the log" },
	{ "workload", "life_shape", CFG_DOUBLE, 0, 100, NULL, "2.5",
	  "pareto: shape alpha, > 1 (the minimum xm = life_mean (alpha - 1) / alpha)" },
	{ "workload", "requests", CFG_INT, 1, 1000000, NULL, "1",
	  "requests per connection (1: HTTP/1.0 style; more: kept alive)" },
	{ "workload", "think", CFG_TIME, 0, 0, NULL, "0s", "time between two requests of a connection" },
	{ "workload", "close", CFG_ENUM, 0, 0, "client|server|both", "client",
	  "who closes first (both: each after its own draw; FINs cross with a fixed life)" },
	{ "workload", "abort_fraction", CFG_DOUBLE, 0, 1, NULL, "0", "fraction of closes with SO_LINGER 0 (RST)" },
	{ "workload", "peer_close_delay", CFG_TIME, 0, 0, NULL, "0s",
	  "the other side's close() after the FIN (0: FIN rides on the ACK)" },
	{ "workload", "unseen_teardown", CFG_DOUBLE, 0, 1, NULL, "0",
	  "fraction of connections whose teardown (FIN/RST and all after) the boxes never see (asymmetric "
	  "routing, vanished peer): their conntrack entries stay ESTABLISHED until its timeout" },
	{ "workload", "bind", CFG_ENUM, 0, 0, "none|port0|address", "none",
	  "none: connect() picks address and port; port0: bind(0) first (the port is then global over "
	  "destinations); address: bind(addr, 0) with IP_BIND_ADDRESS_NO_PORT, addresses in turn" },
	{ "workload", "reuseaddr", CFG_BOOL, 0, 0, NULL, "false", "SO_REUSEADDR on client sockets" },
	{ "workload", "request_bytes", CFG_INT, 0, 4294967295.0, NULL, "1000", "bytes the client sends" },
	{ "workload", "response_bytes", CFG_INT, 0, 4294967295.0, NULL, "1000", "bytes the server sends" },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL },
};

struct world {
	tcp_net *tcp;
	wl *w;
	int *clients;
	unsigned nclients;
	uint32_t *caddrs;  /* nclients x addresses_per_host */
	int server;
	bool loopback;
	uint32_t *daddrs;
	unsigned ndaddrs;
	uint16_t *dports;
	unsigned ndports;
	probe_gauge *ports_in_use, *dest_ports, *nat_mappings;
	ev_loop *L;
	box *boxes[2];  /* on the path from the client side: NAT, then firewall */
	unsigned nboxes;
	uint32_t *nat_addrs;
	gsl_rng *box_rng[8];  /* conntrack, NAT, unseen-teardown and loss streams of each box */
	probe_gauge *ct_bytes[2];
};

static bool parse_addr(const cfg *c, const char *sec, const char *key, const char *text, uint32_t *out,
		       GError **err)
{
	struct in_addr a;
	if (inet_pton(AF_INET, text, &a) != 1) {
		cfg_error(c, sec, key, err, "'%s' is not an IPv4 address (expected e.g. 10.0.0.1)", text);
		return false;
	}
	*out = ntohl(a.s_addr);
	return true;
}

/* A box exists when its section (or its sysctl section) was given. */
static bool has_section(const cfg *c, const char *name)
{
	const GPtrArray *secs = cfg_sections(c);
	size_t n = strlen(name);
	for (guint i = 0; i < secs->len; i++) {
		const char *s = g_ptr_array_index(secs, i);
		if (!strcmp(s, name) || (!strncmp(s, name, n) && !strcmp(s + n, ".sysctl")))
			return true;
	}
	return false;
}

static bool add_box(world *W, const cfg *c, const char *name, ev_loop *L, probe_set *ps, uint64_t seed,
		    uint32_t rep, GError **err)
{
	kconf k;
	if (!kconf_resolve(&k, c, name, err))
		return false;
	nat_cfg nc = { 0 }, *ncp = NULL;
	if (!strcmp(name, "nat")) {
		char **a = cfg_list(c, "nat", "addresses");
		nc.naddrs = g_strv_length(a);
		W->nat_addrs = g_new(uint32_t, nc.naddrs ? nc.naddrs : 1);
		for (unsigned i = 0; i < nc.naddrs; i++)
			if (!parse_addr(c, "nat", "addresses", a[i], &W->nat_addrs[i], err)) {
				g_strfreev(a);
				return false;
			}
		g_strfreev(a);
		if (!nc.naddrs) {
			cfg_error(c, "nat", "addresses", err, "expected at least one external address");
			return false;
		}
		nc.addrs = W->nat_addrs;
		if (cfg_has(c, "nat", "ports")) {
			int64_t lo, hi;
			cfg_range(c, "nat", "ports", &lo, &hi);
			nc.port_lo = (uint16_t)lo;
			nc.port_hi = (uint16_t)hi;
		}
		unsigned r = cfg_enum(c, "nat", "random");  /* none|random|fully */
		nc.random = r == 1;
		nc.random_fully = r == 2;
		if (nc.random_fully && k.prof->version < 314) {
			cfg_error(c, "nat", "random", err,
				  "--random-fully exists from Linux 3.14; profile %s does not have it", k.prof->name);
			return false;
		}
		nc.persistent = cfg_bool(c, "nat", "persistent");
		ncp = &nc;
	}
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
	box *b = box_new(name, &k, ncp, L, ps, r[0], r[1], cfg_double(c, "workload", "unseen_teardown"), r[2]);
	snprintf(stream, sizeof stream, "%s.ct.kernel_bytes", name);
	W->ct_bytes[W->nboxes] = probe_gauge_get(ps, stream, "memory the kernel would use for the table");
	W->boxes[W->nboxes++] = b;
	tcp_add_hop(W->tcp, box_hop_tcp, box_hop_prefetch, b, cfg_time(c, name, "delay"), cfg_double(c, name, "loss"), r[3]);
	return true;
}

bool world_load_sysctl_files(cfg *c, GPtrArray *ignored, GError **err)
{
	static const char *hosts[] = { "client", "server", "nat", "firewall" };
	for (unsigned i = 0; i < G_N_ELEMENTS(hosts); i++) {
		const char *f = cfg_str(c, hosts[i], "sysctl_file");
		if (!*f)
			continue;
		char *path = g_path_is_absolute(f) ? g_strdup(f) : g_build_filename(cfg_base_dir(c), f, NULL);
		char *sec = g_strconcat(hosts[i], ".sysctl", NULL);
		GError *e = NULL;
		bool ok = cfg_load_sysctl_file(c, path, sec, false, ignored, &e);
		if (!ok) {
			/* name the key that pointed at the file */
			if (g_str_has_prefix(e->message, path) && strstr(e->message, "cannot read"))
				cfg_error(c, hosts[i], "sysctl_file", err, "%s", e->message);
			else
				g_propagate_error(err, g_steal_pointer(&e));
			g_clear_error(&e);
		}
		g_free(sec);
		g_free(path);
		if (!ok)
			return false;
	}
	return true;
}

static bool is_loopback(uint32_t a)
{
	return (a >> 24) == 127;
}

world *world_new(const cfg *c, ev_loop *L, probe_set *ps, uint64_t seed, uint32_t rep, ev_time stop,
		 GError **err)
{
	world *W = g_new0(world, 1);
	W->L = L;
	kconf kc, ks;
	if (!kconf_resolve(&kc, c, "client", err) || !kconf_resolve(&ks, c, "server", err))
		goto fail;

	/* addresses */
	uint32_t first;
	if (!parse_addr(c, "client", "address", cfg_str(c, "client", "address"), &first, err))
		goto fail;
	W->nclients = (unsigned)cfg_int(c, "client", "count");
	char **sa = cfg_list(c, "server", "addresses");
	W->ndaddrs = g_strv_length(sa);
	W->daddrs = g_new(uint32_t, W->ndaddrs ? W->ndaddrs : 1);
	bool all_lo = W->ndaddrs > 0;
	for (unsigned i = 0; i < W->ndaddrs; i++) {
		if (!parse_addr(c, "server", "addresses", sa[i], &W->daddrs[i], err)) {
			g_strfreev(sa);
			goto fail;
		}
		all_lo = all_lo && is_loopback(W->daddrs[i]);
	}
	g_strfreev(sa);
	if (!W->ndaddrs) {
		cfg_error(c, "server", "addresses", err, "expected at least one server address");
		goto fail;
	}
	uint8_t bm[8192];
	cfg_ports(c, "server", "ports", bm);
	W->dports = g_new(uint16_t, 65536);
	for (unsigned p = 1; p < 65536; p++)
		if (bm[p >> 3] & (1u << (p & 7)))
			W->dports[W->ndports++] = (uint16_t)p;
	if (!W->ndports) {
		cfg_error(c, "server", "ports", err, "expected at least one listening port");
		goto fail;
	}
	W->loopback = all_lo && is_loopback(first);
	if (W->loopback && W->nclients != 1) {
		cfg_error(c, "client", "count", err, "loopback (127.x server addresses) needs exactly one client host");
		goto fail;
	}
	if (!W->loopback && (all_lo || is_loopback(first))) {
		cfg_error(c, "server", "addresses", err,
			  "loopback needs both the client address and every server address in 127.0.0.0/8");
		goto fail;
	}

	/* workload */
	wl_spec s = { 0 };
	/* the enums list their values in the schema's order of choices */
	s.arrival = (wl_arrival)cfg_enum(c, "workload", "arrival");
	s.on = cfg_time(c, "workload", "on");
	s.off = cfg_time(c, "workload", "off");
	s.period = cfg_time(c, "workload", "period");
	s.amplitude = cfg_double(c, "workload", "amplitude");
	s.life_shape = cfg_double(c, "workload", "life_shape");
	if (s.life_shape <= 1) {
		cfg_error(c, "workload", "life_shape", err,
			  "expected a number > 1 (a Pareto life has a mean only for shape > 1)");
		goto fail;
	}
	s.requests = (unsigned)cfg_int(c, "workload", "requests");
	s.think = cfg_time(c, "workload", "think");
	s.rate = cfg_double(c, "workload", "rate");
	if (cfg_bool(c, "workload", "rate_per_client"))
		s.rate *= W->nclients;
	s.start = cfg_time(c, "workload", "start");
	s.stop = cfg_has(c, "workload", "stop") ? cfg_time(c, "workload", "stop") : stop;
	s.life = (wl_life)cfg_enum(c, "workload", "life");
	s.life_mean = cfg_time(c, "workload", "life_mean");
	s.life_sigma = cfg_double(c, "workload", "life_sigma");
	s.closer = (wl_closer)cfg_enum(c, "workload", "close");
	s.abort_fraction = cfg_double(c, "workload", "abort_fraction");
	s.peer_close_delay = cfg_time(c, "workload", "peer_close_delay");
	s.bind = (wl_bind)cfg_enum(c, "workload", "bind");
	unsigned per = (unsigned)cfg_int(c, "client", "addresses_per_host");
	if (per > 1 && s.bind != WL_BIND_ADDRESS) {
		cfg_error(c, "client", "addresses_per_host", err,
			  "more than one address per client needs [workload] bind = address (connect() alone "
			  "always uses the first)");
		goto fail;
	}
	s.addrs_per_client = per;
	s.reuseaddr = cfg_bool(c, "workload", "reuseaddr");
	s.daddrs = W->daddrs;
	s.ndaddrs = W->ndaddrs;
	s.dports = W->dports;
	s.ndports = W->ndports;
	W->clients = g_new(int, W->nclients);
	s.clients = W->clients;
	s.nclients = W->nclients;
	W->caddrs = NULL;

	s.client_addrs = &W->caddrs;
	W->w = wl_new(L, ps, &s, seed, rep);
	tcp_app app = wl_tcp_app(W->w);
	W->tcp = tcp_net_new(L, ps, seed, rep, &app);
	wl_attach(W->w, W->tcp);
	/* N exchanges advance each side's sequence N times (mod 2^32, as the
	 * sequence space wraps). */
	tcp_set_data_bytes(W->tcp, (uint32_t)((uint64_t)cfg_int(c, "workload", "request_bytes") * s.requests),
			   (uint32_t)((uint64_t)cfg_int(c, "workload", "response_bytes") * s.requests));

	W->caddrs = g_new(uint32_t, (size_t)W->nclients * per);
	for (unsigned i = 0; i < W->nclients; i++) {
		uint32_t *a = &W->caddrs[(size_t)i * per];
		for (unsigned k = 0; k < per; k++)
			a[k] = first + i * per + k;
		int id = tcp_host_add(W->tcp, "client", &kc, a, per, cfg_time(c, "client", "link_delay"),
				      cfg_double(c, "client", "loss"));
		if (id < 0) {
			cfg_error(c, "client", "address", err, "client addresses overlap the server's or each other");
			goto fail;
		}
		W->clients[i] = id;
	}
	if (W->loopback) {
		W->server = W->clients[0];
		for (unsigned i = 0; i < W->ndaddrs; i++)
			if (W->daddrs[i] != first) {
				cfg_error(c, "server", "addresses", err,
					  "loopback: give the client's own address (one host plays both roles)");
				goto fail;
			}
	} else {
		W->server = tcp_host_add(W->tcp, "server", &ks, W->daddrs, W->ndaddrs, cfg_time(c, "server", "link_delay"),
					 cfg_double(c, "server", "loss"));
		if (W->server < 0) {
			cfg_error(c, "server", "addresses", err, "a server address is also a client address or repeated");
			goto fail;
		}
	}
	for (unsigned i = 0; i < W->ndports; i++) {
		if (tcp_listen(W->tcp, W->server, W->dports[i]) < 0) {
			cfg_error(c, "server", "ports", err, "cannot listen on port %u (at most 16 listening ports)",
				  W->dports[i]);
			goto fail;
		}
	}
	if (!W->loopback) {
		if (has_section(c, "nat") && !add_box(W, c, "nat", L, ps, seed, rep, err))
			goto fail;
		if (has_section(c, "firewall") && !add_box(W, c, "firewall", L, ps, seed, rep, err))
			goto fail;
	}
	W->ports_in_use = probe_gauge_get(ps, "client.ports_in_use", "local ports with a bind bucket, all clients");
	W->dest_ports = probe_gauge_get(ps, "client.dest_ports",
					"4-tuples in the clients' ehash per (client host, destination address and port)");
	for (unsigned i = 0; i < W->nboxes; i++)
		if (box_nat(W->boxes[i]))
			W->nat_mappings = probe_gauge_get(ps, "nat.snat.mappings", "source-NAT mappings (bysource links)");
	return W;
fail:
	world_free(W);
	return NULL;
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
	g_free(W->nat_addrs);
	g_free(W->clients);
	g_free(W->caddrs);
	g_free(W->daddrs);
	g_free(W->dports);
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
	probe_gauge_set(W->dest_ports, tuples / ((int64_t)W->nclients * W->ndaddrs * W->ndports), ev_now(W->L));
	for (unsigned i = 0; i < W->nboxes; i++)
		if (box_nat(W->boxes[i]))
			probe_gauge_set(W->nat_mappings, nat_nlinks(box_nat(W->boxes[i])), ev_now(W->L));
	for (unsigned i = 0; i < W->nboxes; i++)
		probe_gauge_set(W->ct_bytes[i], (int64_t)box_ct_kernel_bytes(W->boxes[i]), ev_now(W->L));
}

unsigned world_nboxes(const world *W)
{
	return W->nboxes;
}

const box *world_box(const world *W, unsigned i)
{
	return W->boxes[i];
}

static void kmem_add(GArray *a, const char *name, const char *gauge, double per, double fixed)
{
	world_kmem k = { .per = per, .fixed = fixed };
	g_strlcpy(k.name, name, sizeof k.name);
	g_strlcpy(k.gauge, gauge, sizeof k.gauge);
	g_array_append_val(a, k);
}

/* Per role: timewait minisockets (tw_sock_TCP objects), ESTABLISHED sockets
 * (TCP objects), the established hash (struct inet_ehash_bucket: one
 * hlist_nulls_head, 8 B); per box: conntrack entries (nf_conn and its
 * extensions) and the bucket array (8 B per hlist_nulls_head). */
GArray *world_kmem_list(const world *W)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(world_kmem));
	for (int role = 0; role < 2 - W->loopback; role++) {
		const char *r = role ? "server" : "client";
		const kconf *k = tcp_host_kconf(W->tcp, role ? W->server : W->clients[0]);
		unsigned nh = role ? 1 : W->nclients;
		char name[64], gauge[64];
		snprintf(name, sizeof name, "kmem.%s.timewait", r);
		snprintf(gauge, sizeof gauge, "%s.timewait", r);
		kmem_add(a, name, gauge, k->prof->tw_sock_bytes, 0);
		snprintf(name, sizeof name, "kmem.%s.established", r);
		snprintf(gauge, sizeof gauge, "%s.established", r);
		kmem_add(a, name, gauge, k->prof->tcp_sock_bytes, 0);
		tcp_host_stats st;
		tcp_host_stats_get(W->tcp, role ? W->server : W->clients[0], &st);
		snprintf(name, sizeof name, "kmem.%s.ehash", r);
		kmem_add(a, name, "", 0, 8.0 * st.ehash_entries * nh);
	}
	for (unsigned i = 0; i < W->nboxes; i++) {
		const box *b = W->boxes[i];
		char name[64], gauge[64];
		snprintf(name, sizeof name, "kmem.%s.ct_entries", box_name(b));
		snprintf(gauge, sizeof gauge, "%s.ct.count", box_name(b));
		kmem_add(a, name, gauge, box_kconf(b)->prof->ct_entry_bytes, 0);
		snprintf(name, sizeof name, "kmem.%s.ct_hash", box_name(b));
		kmem_add(a, name, "", 0, 8.0 * ct_buckets(box_ct(b)));
	}
	return a;
}

unsigned world_port_pool(const world *W)
{
	tcp_host_stats st;
	tcp_host_stats_get(W->tcp, W->clients[0], &st);
	return st.port_usable;
}

void world_describe(const world *W, GString *o, const char *pre)
{
	char *p1 = g_strdup_printf("%sclient: ", pre), *p2 = g_strdup_printf("%sserver: ", pre);
	g_string_append_printf(o, "%sclients: %u host(s); server ports: %u; server addresses: %u%s\n", pre,
			       W->nclients, W->ndports, W->ndaddrs, W->loopback ? " (loopback: one host)" : "");
	kconf_describe(tcp_host_kconf(W->tcp, W->clients[0]), o, p1);
	if (!W->loopback)
		kconf_describe(tcp_host_kconf(W->tcp, W->server), o, p2);
	for (unsigned i = 0; i < W->nboxes; i++)
		box_describe(W->boxes[i], o, pre);
	g_free(p1);
	g_free(p2);
}
