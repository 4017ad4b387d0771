#include "cmd/verdict.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/replica.h"
#include "models/gw.h"
#include "models/meter.h"
#include "sim/bug.h"

/*
 * The resources a world has, in a fixed order: the client's ports, the
 * TIME_WAIT buckets of each role, each box's conntrack table, the NAT box's
 * tuples; each with the run's counters that say it ran out.
 */
typedef struct layout {
	verdict_kind kind;
	char id[32];
	char counters[2][64];  /* "" when unused */
	int box;               /* box index, or -1 */
} layout;

/* The boxes are the scenario's, in its order (world_new wires them so). */
static unsigned layout_get(const scenario *sc, layout *out)
{
	unsigned n = 0;
	out[n++] = (layout){ VERDICT_PORTS, "ports", { "conn.EADDRNOTAVAIL", "conn.EADDRINUSE" }, -1 };
	out[n++] = (layout){ VERDICT_TIMEWAIT, "timewait.client", { "client.TcpExtTCPTimeWaitOverflow", "" }, -1 };
	out[n++] = (layout){ VERDICT_TIMEWAIT, "timewait.server", { "server.TcpExtTCPTimeWaitOverflow", "" }, -1 };
	for (unsigned b = 0; b < sc->nboxes && n + 2 <= VERDICT_MAX_RES; b++) {
		const scn_box *x = &sc->boxes[b];
		if (x->has_nat && x->nat.kind != SCN_NAT_NETFILTER) {
			/* a gateway (models/gw.h): no conntrack table, its own limit */
			gw_limit g;
			gw_limit_of(&x->nat, 1, 1, 1, &g);
			layout m = { VERDICT_NAT, "", { "", "" }, (int)b };
			snprintf(m.id, sizeof m.id, "nat.%s", x->name);
			snprintf(m.counters[0], sizeof m.counters[0], "%s.%s", x->name, g.fail_probe);
			out[n++] = m;
			continue;
		}
		layout l = { VERDICT_CONNTRACK, "", { "", "" }, (int)b };
		snprintf(l.id, sizeof l.id, "conntrack.%s", x->name);
		snprintf(l.counters[0], sizeof l.counters[0], "%s.ct.drop", x->name);
		out[n++] = l;
		if (x->has_nat) {
			layout m = { VERDICT_NAT, "", { "", "" }, (int)b };
			snprintf(m.id, sizeof m.id, "nat.%s", x->name);
			snprintf(m.counters[0], sizeof m.counters[0], "%s.snat.failed", x->name);
			out[n++] = m;
		}
	}
	return n;
}

struct verdict_watch {
	probe_set *ps;
	layout l[VERDICT_MAX_RES];
	unsigned n;
	size_t idx[VERDICT_MAX_RES][2];  /* counter index, SIZE_MAX: none */
	double first[VERDICT_MAX_RES];   /* < 0: not yet */
};

static size_t counter_index(const probe_set *ps, const char *name)
{
	for (size_t i = 0; *name && i < probe_ncounters(ps); i++)
		if (!strcmp(probe_counter_name(ps, i), name))
			return i;
	return SIZE_MAX;
}

/* The resource's exhaustion counters over the whole run. */
static uint64_t watch_total(const verdict_watch *vw, unsigned r)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < 2; k++)
		if (vw->idx[r][k] != SIZE_MAX)
			v += probe_counter_value(vw->ps, vw->idx[r][k]);
	return v;
}

verdict_watch *verdict_watch_new(const scenario *sc, probe_set *ps)
{
	verdict_watch *vw = g_new0(verdict_watch, 1);
	vw->ps = ps;
	vw->n = layout_get(sc, vw->l);
	for (unsigned r = 0; r < vw->n; r++) {
		for (unsigned k = 0; k < 2; k++)
			vw->idx[r][k] = counter_index(ps, vw->l[r].counters[k]);
		vw->first[r] = -1;
	}
	return vw;
}

void verdict_watch_sample(verdict_watch *vw, ev_time now)
{
	for (unsigned r = 0; r < vw->n; r++)
		if (vw->first[r] < 0 && watch_total(vw, r) > 0)
			vw->first[r] = (double)now / 1e9;
}

void verdict_watch_free(verdict_watch *vw)
{
	g_free(vw);
}

/* A summary metric by name (0 when the run has none). */
static double M(GArray *m, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static double M(GArray *m, const char *fmt, ...)
{
	char name[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	for (guint i = 0; i < m->len; i++) {
		const metric *x = &g_array_index(m, metric, i);
		if (!strcmp(x->name, name))
			return x->value;
	}
	return 0;
}

/*
 * A 60 s TIME_WAIT timer's mean life (doc/kernel-rules.md §2.6; models/tw.c
 * tw_expiry): 4.8+ rounds it up to its wheel level's granularity
 * (calc_wheel_index: level n holds delays below 63 << 3n jiffies), half a
 * slot late on average: 61.024 s at HZ 250, 62.048 s at HZ 1000; 4.1-4.7's
 * slack is at most 0.4 % (half of it on average); the death row (<= 4.0)
 * reaps a 60 s entry in (52.5, 60] s.
 */
double verdict_tw_lifetime(const kconf *k)
{
	double hz = k->hz;
	switch (k->prof->twtimer) {
	case TWT_DEATHROW:
		return 56.25;
	case TWT_OLDWHEEL:
		return 60.0 * (1 + 1.0 / 512);
	case TWT_WHEEL:
	default: {
		uint64_t d = 60 * (uint64_t)k->hz;
		unsigned lvl = 0;
		while (lvl < 8 && d >= (63ULL << (3 * lvl)))
			lvl++;
		double gran = lvl ? (double)(1ULL << (3 * lvl)) : 0;
		return ((double)d + gran / 2) / hz;
	}
	}
}

/* The mean time from connect() to close(): the workload's data phase. */
static double data_phase_s(const wl_spec *w)
{
	return ((double)w->requests * (double)w->life_mean + (double)(w->requests - 1) * (double)w->think) / 1e9;
}

/* Does tcp_tw_reuse let connect() take TIME_WAIT ports back here? */
static bool reuse_applies(const scenario *sc)
{
	const kconf *k = &sc->client.k;
	return k->tw_recycle || k->tw_reuse == 1 || (k->tw_reuse == 2 && sc->path.loopback);
}

static void fill_ports(verdict_res *r, const scenario *sc, const world *W, GArray *m)
{
	const wl_spec *w = &sc->workload;
	unsigned dests = sc->path.ndaddrs * sc->path.ndports, clients = sc->path.nclients;
	/* bind(addr, 0) with IP_BIND_ADDRESS_NO_PORT leaves the port to
	 * connect(), which picks it per 4-tuple as without bind: each address
	 * has the range towards each destination (__inet_hash_connect); bind(0)
	 * takes a port for every destination at once */
	unsigned addrs = w->bind == WL_BIND_ADDRESS ? sc->path.addrs_per_client : 1;
	snprintf(r->what, sizeof r->what, "%s",
		 w->bind == WL_BIND_NONE    ? "ephemeral ports per destination"
		 : w->bind == WL_BIND_ADDRESS ? "ephemeral ports per destination, all addresses"
					      : "ephemeral ports (bind before connect)");
	snprintf(r->sysctl, sizeof r->sysctl, "net.ipv4.ip_local_port_range");
	r->limit = (double)meter_port_pool(W) * addrs;
	r->peak = w->bind == WL_BIND_PORT0 ? M(m, "client.ports_in_use.peak") : M(m, "client.dest_ports.peak");
	r->failures = M(m, "conn.EADDRNOTAVAIL") + M(m, "conn.EADDRINUSE");
	snprintf(r->failures_how, sizeof r->failures_how, "connects failed (EADDRNOTAVAIL)");
	/* Little's law for the client's ports (doc/kernel-rules.md §9.1, §9.2):
	 * each connection holds its port for its data phase plus TIME_WAIT. */
	if (w->closer == WL_CLIENT && w->bind != WL_BIND_PORT0 && !reuse_applies(sc)) {
		double H = data_phase_s(w) + verdict_tw_lifetime(&sc->client.k);
		r->has_ceiling = true;
		r->ceiling = (double)clients * dests * r->limit / H;
		if (clients * dests == 1)
			snprintf(r->ceiling_how, sizeof r->ceiling_how, "N / H = %.0f / %.2f s", r->limit, H);
		else
			snprintf(r->ceiling_how, sizeof r->ceiling_how, "%u x %u x N / H = %u x %u x %.0f / %.2f s",
				 clients, dests, clients, dests, r->limit, H);
	}
}

static void fill_timewait(verdict_res *r, const scenario *sc, GArray *m, bool client)
{
	const char *role = client ? "client" : "server";
	const kconf *k = client ? &sc->client.k : &sc->server.k;
	unsigned hosts = client ? sc->path.nclients : 1;
	snprintf(r->what, sizeof r->what, "TIME_WAIT buckets (%s)", role);
	snprintf(r->sysctl, sizeof r->sysctl, "net.ipv4.tcp_max_tw_buckets");
	r->limit = (double)k->max_tw_buckets * hosts;
	r->peak = M(m, "%s.timewait.peak", role);
	r->failures = M(m, "%s.TcpExtTCPTimeWaitOverflow", role);
	snprintf(r->failures_how, sizeof r->failures_how, "TIME_WAITs skipped (TCPTimeWaitOverflow)");
	wl_closer c = sc->workload.closer;
	if ((client && c == WL_CLIENT) || (!client && c == WL_SERVER)) {
		double H = verdict_tw_lifetime(k);
		r->has_ceiling = true;
		r->ceiling = r->limit / H;
		snprintf(r->ceiling_how, sizeof r->ceiling_how, "max / H = %.0f / %.2f s", r->limit, H);
	}
}

static void fill_conntrack(verdict_res *r, const scenario *sc, int b, GArray *m)
{
	const scn_box *x = &sc->boxes[b];
	const kconf *k = &x->k;
	snprintf(r->what, sizeof r->what, "conntrack entries (%s)", x->name);
	snprintf(r->sysctl, sizeof r->sysctl, "net.netfilter.nf_conntrack_max");
	r->limit = k->ct_max;
	r->peak = M(m, "%s.ct.count.peak", x->name);
	r->failures = M(m, "%s.ct.drop", x->name);
	snprintf(r->failures_how, sizeof r->failures_how, "packets dropped (drop)");
	/* Little's law (doc/kernel-rules.md §9.2): an entry lives for the data
	 * phase, then nf_conntrack_tcp_timeout_time_wait after the close.  Not
	 * when teardowns go unseen: those entries wait out the established
	 * timeout instead. */
	if (sc->unseen_teardown == 0) {
		double life = data_phase_s(&sc->workload), tw = k->ct_timeout[KCONF_CT_TIME_WAIT];
		r->has_ceiling = true;
		r->ceiling = r->limit / (life + tw);
		snprintf(r->ceiling_how, sizeof r->ceiling_how, "max / (life + time_wait) = %.0f / (%.3g + %.0f) s",
			 r->limit, life, tw);
	}
}

static void fill_nat(verdict_res *r, const scenario *sc, int b, GArray *m)
{
	const scn_box *x = &sc->boxes[b];
	const scn_nat *rule = &x->nat;
	BUG_ON(!x->has_nat);
	unsigned dests = sc->path.ndaddrs * sc->path.ndports;
	if (rule->kind != SCN_NAT_NETFILTER) {
		gw_limit g;
		gw_limit_of(rule, x->clients ? x->clients : sc->path.nclients, dests, data_phase_s(&sc->workload), &g);
		snprintf(r->what, sizeof r->what, "%s (%s)", g.what, x->name);
		snprintf(r->sysctl, sizeof r->sysctl, "%s", g.settings);
		r->limit = g.limit;
		r->peak = M(m, "%s.%s.peak", x->name, g.peak_probe) / g.per;
		r->failures = M(m, "%s.%s", x->name, g.fail_probe);
		snprintf(r->failures_how, sizeof r->failures_how, "%s", g.fail_how);
		if (sc->unseen_teardown == 0 && g.has_ceiling) {
			r->has_ceiling = true;
			r->ceiling = g.ceiling;
			snprintf(r->ceiling_how, sizeof r->ceiling_how, "%s", g.ceiling_how);
		}
		return;
	}
	/* --to-ports, else the class of the client's ports: 1024-65535
	 * (nf_nat_l4proto_unique_tuple, doc/kernel-rules.md §7.2) */
	double ports = rule->port_hi ? (double)(rule->port_hi - rule->port_lo + 1) : 64512;
	snprintf(r->what, sizeof r->what, "NAT tuples per destination (%s)", x->name);
	snprintf(r->sysctl, sizeof r->sysctl, "MASQUERADE/SNAT --to-ports, addresses");
	r->limit = rule->naddrs * ports;
	r->peak = M(m, "%s.snat.mappings.peak", x->name) / dests;
	r->failures = M(m, "%s.snat.failed", x->name);
	snprintf(r->failures_how, sizeof r->failures_how, "tuple searches failed (insert_failed)");
	if (sc->unseen_teardown == 0) {
		double life = data_phase_s(&sc->workload), tw = x->k.ct_timeout[KCONF_CT_TIME_WAIT];
		r->has_ceiling = true;
		r->ceiling = dests * r->limit / (life + tw);
		snprintf(r->ceiling_how, sizeof r->ceiling_how, "%u x tuples / (life + time_wait) = %u x %.0f / %.3g s",
			 dests, dests, r->limit, life + tw);
	}
}

static void choose_binding(verdict *v)
{
	v->binding = -1;
	double best = 0;
	/* The first to run out; between two seen at the same sample (or
	 * without samples), the fuller. */
	for (unsigned i = 0; i < v->nres; i++) {
		const verdict_res *r = &v->res[i];
		if (!r->ran_out)
			continue;
		double t = r->first_out_s < 0 ? 1e300 : r->first_out_s;
		const verdict_res *b = v->binding < 0 ? NULL : &v->res[v->binding];
		double bt = !b ? 0 : b->first_out_s < 0 ? 1e300 : b->first_out_s;
		if (!b || t < bt || (t == bt && r->peak / r->limit > b->peak / b->limit))
			v->binding = (int)i;
	}
	if (v->binding >= 0) {
		const verdict_res *r = &v->res[v->binding];
		if (r->first_out_s >= 0)
			snprintf(v->binding_why, sizeof v->binding_why, "ran out first, by %.0f s", r->first_out_s);
		else
			snprintf(v->binding_why, sizeof v->binding_why, "ran out");
		return;
	}
	/* Nothing ran out: the lowest ceiling binds first as the rate grows. */
	for (unsigned i = 0; i < v->nres; i++)
		if (v->res[i].has_ceiling && (v->binding < 0 || v->res[i].ceiling < best)) {
			v->binding = (int)i;
			best = v->res[i].ceiling;
		}
	if (v->binding >= 0) {
		snprintf(v->binding_why, sizeof v->binding_why, "lowest ceiling, %.0f/s (offered %.0f/s)", best,
			 v->rate);
		return;
	}
	for (unsigned i = 0; i < v->nres; i++) {
		double u = v->res[i].limit > 0 ? v->res[i].peak / v->res[i].limit : 0;
		if (v->binding < 0 || u > best) {
			v->binding = (int)i;
			best = u;
		}
	}
	snprintf(v->binding_why, sizeof v->binding_why, "closest to its limit, %.0f %%", 100 * best);
}

void verdict_build(verdict *v, const char *experiment, uint64_t seed, const scenario *sc, const world *W,
		   const verdict_watch *vw, GArray *m)
{
	memset(v, 0, sizeof *v);
	v->experiment = experiment;
	v->seed = seed;
	v->hz = sc->client.k.hz;
	v->profile = sc->client.k.prof->name;
	v->tw_s = verdict_tw_lifetime(&sc->client.k);
	v->duration_s = M(m, "duration_s");
	v->warmup_s = M(m, "warmup_s");
	v->attempts = M(m, "conn.attempts");
	v->rate = M(m, "conn.rate");
	v->fail_fraction = M(m, "conn.fail_fraction");
	v->f_addrnotavail = M(m, "conn.EADDRNOTAVAIL.fraction") + M(m, "conn.EADDRINUSE.fraction");
	v->f_ct_drop = M(m, "conn.ct_drop.fraction");
	v->f_nat_fail = M(m, "conn.nat_fail.fraction");
	v->f_paws = M(m, "conn.paws_drop.fraction");
	v->f_timedout = M(m, "conn.ETIMEDOUT.fraction");
	v->first_failure_seen = M(m, "conn.first_failure_seen") > 0;
	v->first_failure_s = M(m, "conn.first_failure_s");
	BUG_ON(vw->n > VERDICT_MAX_RES);
	for (unsigned i = 0; i < vw->n; i++) {
		const layout *l = &vw->l[i];
		verdict_res *r = &v->res[v->nres];
		memset(r, 0, sizeof *r);
		r->kind = l->kind;
		snprintf(r->id, sizeof r->id, "%s", l->id);
		switch (l->kind) {
		case VERDICT_PORTS:
			fill_ports(r, sc, W, m);
			break;
		case VERDICT_TIMEWAIT:
			fill_timewait(r, sc, m, !strcmp(l->id, "timewait.client"));
			break;
		case VERDICT_CONNTRACK:
			fill_conntrack(r, sc, l->box, m);
			break;
		case VERDICT_NAT:
			fill_nat(r, sc, l->box, m);
			break;
		}
		r->ran_out = watch_total(vw, i) > 0;
		r->first_out_s = vw->first[i];
		/* A role that never held a TIME_WAIT did not touch its buckets. */
		if (l->kind == VERDICT_TIMEWAIT && r->peak == 0 && !r->ran_out)
			continue;
		v->nres++;
	}
	choose_binding(v);
}

/* ---- text ---------------------------------------------------------------- */

static void fmt_count(char *buf, size_t n, double x)
{
	snprintf(buf, n, "%.0f", x);
}

void verdict_text(const verdict *v, GString *o)
{
	g_string_append_printf(o, "verdict: %s, seed %" PRIu64 ", %.0f s simulated, window %.0f-%.0f s\n",
			       v->experiment, v->seed, v->duration_s, v->warmup_s, v->duration_s);
	g_string_append_printf(o,
			       "assumed: HZ=%u on the client (profile %s): a 60 s TIME_WAIT lasts %.3f s on average\n"
			       "         (its timer's rounding, doc/kernel-rules.md §2.6)\n",
			       v->hz, v->profile, v->tw_s);
	g_string_append_printf(o, "offered: %.1f connect()/s in the window; %.2f %% failed\n\n", v->rate,
			       100 * v->fail_fraction);
	/* the limit's column: 46 wide, wider for a gateway's longer name */
	int w = 46;
	for (unsigned i = 0; i < v->nres; i++) {
		int len = (int)strlen(v->res[i].what) + ((int)i == v->binding ? 2 : 0);
		if (len > w)
			w = len;
	}
	g_string_append_printf(o, "  %-*s %9s %9s %5s  %-9s  %9s\n", w, "limit (sysctl)", "limit", "peak", "use",
			       "ran out", "ceiling");
	for (unsigned i = 0; i < v->nres; i++) {
		const verdict_res *r = &v->res[i];
		char lim[32], peak[32], out[32], ceil[48], name[128];
		fmt_count(lim, sizeof lim, r->limit);
		fmt_count(peak, sizeof peak, r->peak);
		if (!r->ran_out)
			snprintf(out, sizeof out, "no");
		else if (r->first_out_s >= 0)
			snprintf(out, sizeof out, "by %.0f s", r->first_out_s);
		else
			snprintf(out, sizeof out, "yes");
		if (r->has_ceiling)
			snprintf(ceil, sizeof ceil, "%.0f/s", r->ceiling);
		else
			snprintf(ceil, sizeof ceil, "-");
		snprintf(name, sizeof name, "%s%s", r->what, (int)i == v->binding ? " *" : "");
		g_string_append_printf(o, "  %-*s %9s %9s %4.0f%%  %-9s  %9s\n", w, name, lim, peak,
				       r->limit > 0 ? 100 * r->peak / r->limit : 0, out, ceil);
		g_string_append_printf(o, "    %-*s", w - 2, r->sysctl);
		if (r->has_ceiling)
			g_string_append_printf(o, " ceiling %s", r->ceiling_how);
		g_string_append_c(o, '\n');
		if (r->failures > 0)
			g_string_append_printf(o, "    in the window: %.0f %s\n", r->failures, r->failures_how);
	}
	/* A dropped SYN is retransmitted (1 s, 3 s, ...): the connect() is
	 * slowed, and fails only as ETIMEDOUT once tcp_syn_retries run out. */
	g_string_append(o, "\nconnects in the window, share of attempts:\n");
	struct { const char *what; double f; } f[] = {
		{ "failed, EADDRNOTAVAIL: no free local port", v->f_addrnotavail },
		{ "SYN dropped by a full conntrack table, retransmitted", v->f_ct_drop },
		{ "SYN dropped, NAT found no free tuple, retransmitted", v->f_nat_fail },
		{ "SYN dropped by the server's PAWS check (tw_recycle)", v->f_paws },
		{ "failed, ETIMEDOUT: every SYN retransmission lost", v->f_timedout },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(f); i++)
		g_string_append_printf(o, "  %-56s %8.3f %%\n", f[i].what, 100 * f[i].f);
	if (v->first_failure_seen)
		g_string_append_printf(o, "first failed connect(): at %.3f s\n", v->first_failure_s);
	else
		g_string_append(o, "first failed connect(): none\n");
	if (v->binding >= 0)
		g_string_append_printf(o, "binds first (*): %s, %s: %s\n", v->res[v->binding].what,
				       v->res[v->binding].sysctl, v->binding_why);
}

/* ---- JSON ---------------------------------------------------------------- */

void verdict_json_string(GString *o, const char *s)
{
	g_string_append_c(o, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(o, "\\%c", *p);
		else if (*p < 0x20)
			g_string_append_printf(o, "\\u%04x", *p);
		else
			g_string_append_c(o, (char)*p);
	}
	g_string_append_c(o, '"');
}

/* Numbers as summary.csv prints them (%.6g, finite). */
static void json_num(GString *o, double x)
{
	if (!isfinite(x))
		g_string_append(o, "null");
	else
		g_string_append_printf(o, "%.10g", x);
}

static void json_key(GString *o, const char *indent, const char *k, bool comma)
{
	g_string_append_printf(o, "%s%s", comma ? ",\n" : "", indent);
	verdict_json_string(o, k);
	g_string_append(o, ": ");
}

void verdict_json(const verdict *v, GString *o)
{
	g_string_append(o, "{\n");
	json_key(o, "  ", "experiment", false);
	verdict_json_string(o, v->experiment);
	json_key(o, "  ", "seed", true);
	g_string_append_printf(o, "%" PRIu64, v->seed);
	json_key(o, "  ", "hz", true);
	g_string_append_printf(o, "%u", v->hz);
	json_key(o, "  ", "profile", true);
	verdict_json_string(o, v->profile);
	json_key(o, "  ", "timewait_s", true);
	json_num(o, v->tw_s);
	struct { const char *k; double x; } nums[] = {
		{ "duration_s", v->duration_s },
		{ "warmup_s", v->warmup_s },
		{ "attempts", v->attempts },
		{ "rate", v->rate },
		{ "fail_fraction", v->fail_fraction },
		{ "EADDRNOTAVAIL_fraction", v->f_addrnotavail },
		{ "ct_drop_fraction", v->f_ct_drop },
		{ "nat_fail_fraction", v->f_nat_fail },
		{ "paws_drop_fraction", v->f_paws },
		{ "ETIMEDOUT_fraction", v->f_timedout },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(nums); i++) {
		json_key(o, "  ", nums[i].k, true);
		json_num(o, nums[i].x);
	}
	json_key(o, "  ", "first_failure_s", true);
	if (v->first_failure_seen)
		json_num(o, v->first_failure_s);
	else
		g_string_append(o, "null");
	json_key(o, "  ", "resources", true);
	g_string_append(o, "[");
	for (unsigned i = 0; i < v->nres; i++) {
		const verdict_res *r = &v->res[i];
		g_string_append(o, i ? ",\n    {\n" : "\n    {\n");
		json_key(o, "      ", "id", false);
		verdict_json_string(o, r->id);
		json_key(o, "      ", "what", true);
		verdict_json_string(o, r->what);
		json_key(o, "      ", "sysctl", true);
		verdict_json_string(o, r->sysctl);
		json_key(o, "      ", "limit", true);
		json_num(o, r->limit);
		json_key(o, "      ", "peak", true);
		json_num(o, r->peak);
		json_key(o, "      ", "ran_out", true);
		g_string_append(o, r->ran_out ? "true" : "false");
		json_key(o, "      ", "first_out_s", true);
		if (r->ran_out && r->first_out_s >= 0)
			json_num(o, r->first_out_s);
		else
			g_string_append(o, "null");
		json_key(o, "      ", "failures", true);
		json_num(o, r->failures);
		json_key(o, "      ", "failures_how", true);
		verdict_json_string(o, r->failures_how);
		json_key(o, "      ", "ceiling_per_s", true);
		if (r->has_ceiling)
			json_num(o, r->ceiling);
		else
			g_string_append(o, "null");
		json_key(o, "      ", "ceiling_how", true);
		if (r->has_ceiling)
			verdict_json_string(o, r->ceiling_how);
		else
			g_string_append(o, "null");
		g_string_append(o, "\n    }");
	}
	g_string_append(o, v->nres ? "\n  ]" : "]");
	json_key(o, "  ", "binding", true);
	if (v->binding >= 0)
		verdict_json_string(o, v->res[v->binding].id);
	else
		g_string_append(o, "null");
	json_key(o, "  ", "binding_why", true);
	verdict_json_string(o, v->binding >= 0 ? v->binding_why : "");
	g_string_append(o, "\n}\n");
}
