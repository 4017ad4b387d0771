/*
 * gw: which gateway a [nat] kind builds, and what its limit is.
 */
#include "models/gw.h"

#include <stdio.h>

#include "models/natgw_aws.h"
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
	default:
		BUG("no limit for this [nat] kind");
	}
}
