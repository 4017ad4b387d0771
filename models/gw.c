/*
 * gw: which gateway a [nat] kind builds, and what its limit is.
 */
#include "models/gw.h"

#include <stdio.h>

#include "models/lb_azure.h"
#include "models/natgw_aws.h"
#include "models/natgw_azure.h"
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

static bool azgw_hop_(void *g, tcp_hop_pkt *p, ev_time now)
{
	return azgw_hop(g, p, now);
}

static void azgw_free_(void *g)
{
	azgw_free(g);
}

static const gw_ops azgw_ops = { "Azure NAT Gateway", azgw_hop_, azgw_free_ };

static bool azlb_hop_(void *g, tcp_hop_pkt *p, ev_time now)
{
	return azlb_hop(g, p, now);
}

static void azlb_free_(void *g)
{
	azlb_free(g);
}

static const gw_ops azlb_ops = { "Azure load balancer outbound", azlb_hop_, azlb_free_ };

/* An instance's ports: allocatedOutboundPorts, or the default table's. */
static uint32_t azlb_per_inst(const scn_nat *n, unsigned nclients)
{
	return n->azlb.allocated ? n->azlb.allocated : azlb_default_ports(nclients);
}

bool gw_make(const scn_nat *n, unsigned nclients, probe_set *ps, const char *prefix, gsl_rng *rng, gw *out)
{
	switch (n->kind) {
	case SCN_NAT_NETFILTER:
		return false;
	case SCN_NAT_AWS: {
		awsgw_cfg c = { n->addrs, n->naddrs, n->per_dest, n->idle_timeout, n->close_hold };
		*out = (gw){ &aws_ops, awsgw_new(&c, ps, prefix) };
		return true;
	}
	case SCN_NAT_AZURE_GW: {
		azgw_cfg c = { n->addrs, n->naddrs, n->azgw.ports_per_ip, n->azgw.per_dest, n->azgw.idle_timeout,
			       n->azgw.reuse_fin, n->azgw.reuse_rst, n->azgw.half_open };
		*out = (gw){ &azgw_ops, azgw_new(&c, ps, prefix, rng) };
		return true;
	}
	case SCN_NAT_AZURE_LB: {
		azlb_cfg c = { n->addrs, n->naddrs, nclients, azlb_per_inst(n, nclients), AZLB_PORTS_PER_IP,
			       n->azlb.idle_timeout, n->azlb.release_fin, n->azlb.release_rst };
		*out = (gw){ &azlb_ops, azlb_new(&c, ps, prefix) };
		return true;
	}
	}
	BUG("unknown [nat] kind");
}

void gw_limit_of(const scn_nat *n, unsigned nclients, unsigned dests, double hold_s, gw_limit *out)
{
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
	case SCN_NAT_AZURE_GW: {
		/* models/natgw_azure.h: per IP and destination, per_dest open
		 * connections and ports_per_ip ports, a port held for the
		 * connection's life and the FIN reuse timer after it */
		snprintf(out->what, sizeof out->what, "Azure NAT Gateway SNAT ports per destination");
		snprintf(out->settings, sizeof out->settings, "[nat] addresses, snat_ports_per_ip");
		out->limit = (double)n->naddrs * n->azgw.ports_per_ip;
		snprintf(out->peak_probe, sizeof out->peak_probe, "ports_held");
		out->per = dests;
		snprintf(out->fail_probe, sizeof out->fail_probe, "SNATConnectionCount.Failed");
		snprintf(out->fail_how, sizeof out->fail_how,
			 "SYNs without a SNAT port (SNAT Connection Count, Failed)");
		double hold = hold_s + (double)n->azgw.reuse_fin / 1e9;
		double by_ports = n->azgw.ports_per_ip / hold;
		double by_open = hold_s > 0 ? n->azgw.per_dest / hold_s : by_ports;
		out->has_ceiling = true;
		out->ceiling = (double)dests * n->naddrs * (by_ports < by_open ? by_ports : by_open);
		if (by_ports <= by_open)
			snprintf(out->ceiling_how, sizeof out->ceiling_how,
				 "%u dest x %u IP x %u ports / %.3g s (life + FIN reuse timer)", dests, n->naddrs,
				 n->azgw.ports_per_ip, hold);
		else
			snprintf(out->ceiling_how, sizeof out->ceiling_how, "%u dest x %u IP x %u open / %.3g s (life)",
				 dests, n->naddrs, n->azgw.per_dest, hold_s);
		return;
	}
	case SCN_NAT_AZURE_LB: {
		/* models/lb_azure.h: an instance's ports, each once per
		 * destination, held for the flow's life and the FIN release
		 * timer after it */
		uint32_t per = azlb_per_inst(n, nclients);
		snprintf(out->what, sizeof out->what, "Azure LB SNAT ports per instance and destination");
		snprintf(out->settings, sizeof out->settings, "[nat] allocatedOutboundPorts (%s)",
			 n->azlb.allocated ? "manual" : "default table");
		out->limit = per;
		snprintf(out->peak_probe, sizeof out->peak_probe, "ports_held");
		out->per = (double)nclients * dests;
		snprintf(out->fail_probe, sizeof out->fail_probe, "SnatConnectionCount.Failed");
		snprintf(out->fail_how, sizeof out->fail_how,
			 "SYNs without a SNAT port (SNAT Connection Count, failed)");
		double hold = hold_s + (double)n->azlb.release_fin / 1e9;
		out->has_ceiling = true;
		out->ceiling = (double)nclients * dests * per / hold;
		snprintf(out->ceiling_how, sizeof out->ceiling_how,
			 "%u inst x %u dest x %u ports / %.3g s (life + FIN release)", nclients, dests, per, hold);
		return;
	}
	default:
		BUG("no limit for this [nat] kind");
	}
}
