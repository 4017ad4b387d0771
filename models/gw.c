/*
 * gw: which gateway a [nat] kind builds, and what its limit is.
 */
#include "models/gw.h"

#include <stdio.h>

#include "models/cilium.h"
#include "models/lb_azure.h"
#include "models/natgw_aws.h"
#include "models/natgw_azure.h"
#include "models/natgw_gcp.h"
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

static bool gcp_hop(void *g, tcp_hop_pkt *p, ev_time now)
{
	return gcpnat_hop(g, p, now);
}

static void gcp_free(void *g)
{
	gcpnat_free(g);
}

static const gw_ops gcp_ops = { "Google Cloud NAT", gcp_hop, gcp_free };
static bool cil_hop_op(void *g, tcp_hop_pkt *p, ev_time now)
{
	return cil_hop(g, p, now);
}

static void cil_free_op(void *g)
{
	cil_free(g);
}

static const gw_ops cil_ops = { "Cilium eBPF masquerading", cil_hop_op, cil_free_op };

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
	case SCN_NAT_GCP: {
		gcpnat_cfg c = { n->addrs,
				 n->naddrs,
				 n->gcp.min_ports_per_vm,
				 n->gcp.max_ports_per_vm,
				 n->gcp.dynamic,
				 n->gcp.eim,
				 n->gcp.established_idle,
				 n->gcp.transitory_idle,
				 n->gcp.time_wait };
		*out = (gw){ &gcp_ops, gcpnat_new(&c, ps, prefix) };
		return true;
	}
	case SCN_NAT_CILIUM: {
		cil_cfg c = { n->addrs[0], n->cil.ct_max, n->cil.nat_max, n->cil.t_tcp, n->cil.t_fin, n->cil.t_syn,
			      n->cil.gc_interval, n->cil.gc_max_interval, n->cil.gc_pass, n->cil.port_min,
			      n->cil.port_max, n->cil.retries };
		*out = (gw){ &cil_ops, cil_new(&c, rng, ps, prefix) };
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

/* Cloud NAT: the ports one VM has for one destination (models/natgw_gcp.h):
 * its first ports, or with dynamic allocation max_ports_per_vm; the VMs that
 * get ports at all: floor(64,512 / ports) per address ("IP addresses and
 * ports"); a closed connection's tuple is held for tcp_time_wait_timeout_sec. */
static void gcp_limit(const scn_nat *n, unsigned nclients, unsigned dests, double hold_s, gw_limit *out)
{
	uint32_t first = gcpnat_ports_per_vm(n->gcp.min_ports_per_vm);
	double ports = n->gcp.dynamic ? n->gcp.max_ports_per_vm : first;
	snprintf(out->what, sizeof out->what, "Cloud NAT ports per VM and destination");
	snprintf(out->settings, sizeof out->settings, "[nat] %s",
		 n->gcp.dynamic ? "max_ports_per_vm, dynamic allocation" : "min_ports_per_vm");
	out->limit = ports;
	snprintf(out->peak_probe, sizeof out->peak_probe, "port_usage");
	out->per = 1;
	snprintf(out->fail_probe, sizeof out->fail_probe, "dropped_sent_packets_count");
	snprintf(out->fail_how, sizeof out->fail_how, "SYNs without a port (OUT_OF_RESOURCES)");
	/* VMs that get their first ports; with dynamic allocation the address
	 * space is shared: at most naddrs x 64,512 ports over all VMs */
	double vms = MIN((double)nclients, (double)n->naddrs * (GCPNAT_PORTS_PER_ADDR / first));
	double total = vms * ports;
	if (n->gcp.dynamic)
		total = MIN(total, (double)n->naddrs * GCPNAT_PORTS_PER_ADDR);
	/* with endpoint-independent mapping a port serves one internal port
	 * for every destination: no more per destination */
	double per_dest = n->gcp.eim ? 1 : dests;
	double hold = hold_s + (double)n->gcp.time_wait / 1e9;
	out->has_ceiling = true;
	out->ceiling = per_dest * total / hold;
	snprintf(out->ceiling_how, sizeof out->ceiling_how,
		 "%.0f VMs x %.0f ports%s / (life + time_wait) = %.0f / %.3g s", vms, ports,
		 n->gcp.eim ? "" : " x destinations", per_dest * total, hold);
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
	case SCN_NAT_GCP:
		gcp_limit(n, nclients, dests, hold_s, out);
		return;
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
