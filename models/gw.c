/*
 * gw: which gateway a [nat] kind builds, and what its limit is.
 */
#include "models/gw.h"

#include <stdio.h>

#include "models/cilium.h"
#include "models/natgw_aws.h"
#include "sim/bug.h"

static bool aws_hop(void *g, tcp_hop_pkt *p, ev_time now)
{
	return awsgw_hop(g, p, now);
}

static void aws_free(void *g)
{
	awsgw_free(g);
}

static const gw_ops aws_ops = { "AWS NAT Gateway", aws_hop, aws_free };

static bool cil_hop_op(void *g, tcp_hop_pkt *p, ev_time now)
{
	return cil_hop(g, p, now);
}

static void cil_free_op(void *g)
{
	cil_free(g);
}

static const gw_ops cil_ops = { "Cilium eBPF masquerading", cil_hop_op, cil_free_op };

bool gw_make(const scn_nat *n, unsigned nclients, probe_set *ps, const char *prefix, gsl_rng *rng, gw *out)
{
	(void)nclients;
	(void)rng;
	switch (n->kind) {
	case SCN_NAT_NETFILTER:
		return false;
	case SCN_NAT_AWS: {
		awsgw_cfg c = { n->addrs, n->naddrs, n->per_dest, n->idle_timeout, n->close_hold };
		*out = (gw){ &aws_ops, awsgw_new(&c, ps, prefix) };
		return true;
	}
	case SCN_NAT_CILIUM: {
		cil_cfg c = { n->addrs[0], n->cil.ct_max, n->cil.nat_max, n->cil.t_tcp, n->cil.t_fin, n->cil.t_syn,
			      n->cil.gc_interval, n->cil.gc_max_interval, n->cil.gc_pass, n->cil.port_min,
			      n->cil.port_max, n->cil.retries };
		*out = (gw){ &cil_ops, cil_new(&c, rng, ps, prefix) };
		return true;
	}
	}
	BUG("unknown [nat] kind");
}

void gw_limit_of(const scn_nat *n, unsigned nclients, unsigned dests, double hold_s, gw_limit *out)
{
	(void)nclients;
	*out = (gw_limit){ .per = 1 };
	switch (n->kind) {
	case SCN_NAT_AWS: {
		/* models/natgw_aws.h: per_dest per address per destination; a
		 * port is held for the data phase and close_hold after it */
		snprintf(out->what, sizeof out->what, "AWS NAT Gateway ports per destination");
		snprintf(out->settings, sizeof out->settings, "[nat] connections_per_destination, addresses");
		out->limit = (double)n->naddrs * n->per_dest;
		snprintf(out->peak_probe, sizeof out->peak_probe, "ports_held");
		out->per = dests;
		snprintf(out->fail_probe, sizeof out->fail_probe, "ErrorPortAllocation");
		snprintf(out->fail_how, sizeof out->fail_how, "SYNs without a port (ErrorPortAllocation)");
		double hold = hold_s + (double)n->close_hold / 1e9;
		out->has_ceiling = true;
		out->ceiling = dests * out->limit / hold;
		snprintf(out->ceiling_how, sizeof out->ceiling_how, "%u x ports / (life + close_hold) = %u x %.0f / %.3g s",
			 dests, dests, out->limit, hold);
		return;
	}
	case SCN_NAT_CILIUM: {
		/* models/cilium.h: a connection holds its NAT port (its RevSNAT
		 * entry) for its life, the fin timeout after the close, then
		 * until the next GC pass: half an interval on average when the
		 * interval is fixed; a dynamic one is taken at its 10 s floor
		 * (fill-up signals drive it there near the limit), so the
		 * ceiling is then an upper bound */
		const scn_nat *x = n;
		double ports = (double)x->cil.port_max - x->cil.port_min + 1;
		snprintf(out->what, sizeof out->what, "Cilium NAT ports per destination");
		snprintf(out->settings, sizeof out->settings, "[nat] node-port-range, conntrack-gc-interval");
		out->limit = ports;
		snprintf(out->peak_probe, sizeof out->peak_probe, "ports_held");
		out->per = dests;
		snprintf(out->fail_probe, sizeof out->fail_probe, "drop_nat_no_mapping");
		snprintf(out->fail_how, sizeof out->fail_how, "port searches failed (DROP_NAT_NO_MAPPING)");
		double gc = (double)(x->cil.gc_interval ? x->cil.gc_interval : CIL_GC_MIN) / 1e9;
		double hold = hold_s + (double)x->cil.t_fin / 1e9 + gc / 2;
		out->has_ceiling = true;
		out->ceiling = dests * ports / hold;
		snprintf(out->ceiling_how, sizeof out->ceiling_how, "%u x ports / (life + fin + gc/2) = %u x %.0f / %.4g s",
			 dests, dests, ports, hold);
		return;
	}
	default:
		BUG("no limit for this [nat] kind");
	}
}
