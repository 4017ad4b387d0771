#include "models/kconf.h"

#include <stdio.h>
#include <string.h>

/* Profile-dependent defaults are NULL here and filled by kconf_resolve. */
const cfg_key kconf_sysctl_keys[] = {
	{ "sysctl", "net.ipv4.ip_local_port_range", CFG_RANGE, 1, 65535, NULL, NULL,
	  "ephemeral ports for connect(), inclusive (32768 60999; 32768 61000 before 4.2)" },
	{ "sysctl", "net.ipv4.ip_local_reserved_ports", CFG_PORTS, 1, 65535, NULL, "",
	  "ports skipped by automatic selection, e.g. 8080,9000-9010" },
	{ "sysctl", "net.ipv4.ip_autobind_reuse", CFG_BOOL, 0, 0, NULL, "0",
	  "bind(0) may share a port with SO_REUSEADDR owners once the range is full (5.7+)" },
	{ "sysctl", "net.ipv4.tcp_tw_reuse", CFG_INT, 0, 2, NULL, NULL,
	  "0 off, 1 on, 2 loopback only (2 from 4.19, the default there; 0 before)" },
	{ "sysctl", "net.ipv4.tcp_tw_reuse_delay", CFG_INT, 1, 60000, NULL, "1000",
	  "ms after entering TIME_WAIT before connect() may reuse it (6.14+)" },
	{ "sysctl", "net.ipv4.tcp_tw_recycle", CFG_BOOL, 0, 0, NULL, "0",
	  "shortened TIME_WAIT and per-peer PAWS on SYNs (removed in 4.12)" },
	{ "sysctl", "net.ipv4.tcp_timestamps", CFG_INT, 0, 2, NULL, "1",
	  "0 off, 1 on with random offsets, 2 on without offsets (4.10+)" },
	{ "sysctl", "net.ipv4.tcp_rfc1337", CFG_BOOL, 0, 0, NULL, "0",
	  "1: ignore RST in TIME_WAIT (no assassination)" },
	{ "sysctl", "net.ipv4.tcp_fin_timeout", CFG_INT, 1, 2147483, NULL, "60",
	  "seconds an orphaned FIN_WAIT2 socket waits (not TIME_WAIT)" },
	{ "sysctl", "net.ipv4.tcp_max_tw_buckets", CFG_INT, 0, 4294967295.0, NULL, NULL,
	  "cap on timewait minisockets (default: ehash entries / 2)" },
	{ "sysctl", "net.ipv4.tcp_syn_retries", CFG_INT, 1, 127, NULL, NULL,
	  "SYN retransmissions before ETIMEDOUT (6)" },
	{ "sysctl", "net.ipv4.tcp_synack_retries", CFG_INT, 1, 255, NULL, "5",
	  "SYN-ACK retransmissions of a request socket" },
	{ "sysctl", "net.ipv4.tcp_orphan_retries", CFG_INT, 0, 255, NULL, "0",
	  "FIN retransmissions of an orphan (0 means 8)" },
	{ "sysctl", "net.netfilter.nf_conntrack_max", CFG_INT, 1, 2147483647, NULL, NULL,
	  "conntrack entries (default: buckets on 5.15+, 4 x buckets before, 8 x hashsize if given)" },
	{ "sysctl", "net.netfilter.nf_conntrack_buckets", CFG_INT, 1, 67108864, NULL, NULL,
	  "conntrack hash buckets at run time (default from memory; does not change nf_conntrack_max)" },
	{ "sysctl", "nf_conntrack.hashsize", CFG_INT, 1, 67108864, NULL, NULL,
	  "module parameter at load: buckets, and nf_conntrack_max = 8 x hashsize" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_syn_sent", CFG_INT, 1, 2147483, NULL, "120", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_syn_recv", CFG_INT, 1, 2147483, NULL, "60", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_established", CFG_INT, 1, 2147483, NULL, "432000",
	  "s (5 days)" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_fin_wait", CFG_INT, 1, 2147483, NULL, "120", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_close_wait", CFG_INT, 1, 2147483, NULL, "60", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_last_ack", CFG_INT, 1, 2147483, NULL, "30", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_time_wait", CFG_INT, 1, 2147483, NULL, "120", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_close", CFG_INT, 1, 2147483, NULL, "10", "s" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_max_retrans", CFG_INT, 1, 2147483, NULL, "300",
	  "s, after nf_conntrack_tcp_max_retrans retransmissions" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_timeout_unacknowledged", CFG_INT, 1, 2147483, NULL, "300",
	  "s, cap while data is unacknowledged" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_loose", CFG_BOOL, 0, 0, NULL, "1",
	  "pick up connections from mid-stream packets" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_be_liberal", CFG_BOOL, 0, 0, NULL, "0",
	  "only out-of-window RSTs are INVALID" },
	{ "sysctl", "net.netfilter.nf_conntrack_tcp_max_retrans", CFG_INT, 0, 255, NULL, "3",
	  "retransmissions before the max_retrans timeout applies" },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* Compat names (CONFIG_NF_CONNTRACK_PROC_COMPAT and older layouts). */
const cfg_alias kconf_aliases[] = {
	{ "net.ipv4.netfilter.ip_conntrack_max", "net.netfilter.nf_conntrack_max" },
	{ "net.nf_conntrack_max", "net.netfilter.nf_conntrack_max" },
	{ "net.ipv4.netfilter.ip_conntrack_buckets", "net.netfilter.nf_conntrack_buckets" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_syn_sent", "net.netfilter.nf_conntrack_tcp_timeout_syn_sent" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_syn_recv", "net.netfilter.nf_conntrack_tcp_timeout_syn_recv" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established", "net.netfilter.nf_conntrack_tcp_timeout_established" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_fin_wait", "net.netfilter.nf_conntrack_tcp_timeout_fin_wait" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_close_wait", "net.netfilter.nf_conntrack_tcp_timeout_close_wait" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_last_ack", "net.netfilter.nf_conntrack_tcp_timeout_last_ack" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_time_wait", "net.netfilter.nf_conntrack_tcp_timeout_time_wait" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_close", "net.netfilter.nf_conntrack_tcp_timeout_close" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_max_retrans", "net.netfilter.nf_conntrack_tcp_timeout_max_retrans" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_loose", "net.netfilter.nf_conntrack_tcp_loose" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_be_liberal", "net.netfilter.nf_conntrack_tcp_be_liberal" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_max_retrans", "net.netfilter.nf_conntrack_tcp_max_retrans" },
	{ "net.ipv4.netfilter.ip_conntrack_tcp_timeout_unacknowledged", "net.netfilter.nf_conntrack_tcp_timeout_unacknowledged" },
	{ "net.nf_conntrack_buckets", "net.netfilter.nf_conntrack_buckets" },
	{ "hashsize", "nf_conntrack.hashsize" },
	{ NULL, NULL },
};

#define SYS(name) sysctl_section, "net.ipv4." name

static uint32_t roundup_pow2(uint64_t x)
{
	uint64_t p = 1;
	while (p < x)
		p <<= 1;
	return (uint32_t)p;
}

#define NF(name) sec, "net.netfilter." name

/*
 * nf_conntrack_init_start (linux-rules.md §6.1): buckets from usable RAM
 * (64-bit pointers), not rounded to a power of two; nf_conntrack_max from
 * them; the hashsize module parameter gives the buckets and max = 8 x.
 * Writing nf_conntrack_buckets later resizes the table but leaves the max.
 */
static void ct_resolve(kconf *k, const cfg *c, const char *sec)
{
	const uint64_t ram = k->mem_bytes, GiB = 1ull << 30;
	uint64_t b;
	uint32_t factor;
	if (k->prof->ctsize == CTSIZE_515) {
		b = ram / 131072;
		if (ram > 4 * GiB)
			b = 262144;
		else if (ram > GiB)
			b = 65536;
		if (b < 1024)
			b = 1024;
		factor = 1;
	} else {
		b = ram / 16384 / sizeof(void *);
		if (ram > GiB)
			b = 16384;
		if (k->prof->ctsize == CTSIZE_4G && ram > 4 * GiB)
			b = 65536;
		if (b < 32)
			b = 32;
		factor = 4;
	}
	if (cfg_has(c, sec, "nf_conntrack.hashsize")) {
		b = (uint64_t)cfg_int(c, sec, "nf_conntrack.hashsize");
		factor = 8;
	}
	k->ct_max = (uint32_t)(b * factor);
	k->ct_buckets = (uint32_t)b;
	if (cfg_has(c, NF("nf_conntrack_buckets")))
		k->ct_buckets = (uint32_t)cfg_int(c, NF("nf_conntrack_buckets"));
	if (cfg_has(c, NF("nf_conntrack_max")))
		k->ct_max = (uint32_t)cfg_int(c, NF("nf_conntrack_max"));
	static const char *const names[KCONF_CT_NTIMEOUTS] = {
		"syn_sent", "syn_recv", "established", "fin_wait", "close_wait", "last_ack", "time_wait", "close",
		"max_retrans", "unacknowledged",
	};
	for (unsigned i = 0; i < KCONF_CT_NTIMEOUTS; i++) {
		char key[96];
		snprintf(key, sizeof key, "net.netfilter.nf_conntrack_tcp_timeout_%s", names[i]);
		k->ct_timeout[i] = (unsigned)cfg_int(c, sec, key);
	}
	k->ct_loose = cfg_bool(c, NF("nf_conntrack_tcp_loose"));
	k->ct_be_liberal = cfg_bool(c, NF("nf_conntrack_tcp_be_liberal"));
	k->ct_max_retrans = (unsigned)cfg_int(c, NF("nf_conntrack_tcp_max_retrans"));
}

bool kconf_resolve(kconf *k, const cfg *c, const char *host, GError **err)
{
	char *sysctl_section = g_strconcat(host, ".sysctl", NULL);
	const char *pname = cfg_str(c, host, "profile");
	bool ok = false;
	memset(k, 0, sizeof(*k));
	k->prof = prof_find(pname);
	if (!k->prof) {  /* the schema's enum already rejects this; keep a guard */
		cfg_error(c, host, "profile", err, "unknown kernel profile");
		goto out;
	}
	const prof *p = k->prof;
	k->hz = (unsigned)cfg_int(c, host, "hz");
	k->mem_bytes = (uint64_t)(cfg_double(c, host, "memory") * 1073741824.0);

	/* tcp_init -> alloc_large_system_hash("TCP established", scale 17):
	 * one bucket per 128 KB of RAM, rounded to a power of two, at most 512K
	 * (linux-rules.md §8.1); thash_entries= overrides. */
	if (cfg_has(c, host, "thash_entries") && cfg_int(c, host, "thash_entries") > 0)
		k->ehash_entries = roundup_pow2((uint64_t)cfg_int(c, host, "thash_entries"));
	else {
		k->ehash_entries = roundup_pow2(k->mem_bytes / (128 * 1024));
		if (k->ehash_entries > 524288)
			k->ehash_entries = 524288;
	}
	if (k->ehash_entries < 16)
		k->ehash_entries = 16;

	int64_t lo, hi;
	if (cfg_has(c, SYS("ip_local_port_range"))) {
		cfg_range(c, SYS("ip_local_port_range"), &lo, &hi);
	} else {
		lo = p->port_lo;
		hi = p->port_hi;
	}
	k->port_lo = (uint16_t)lo;
	k->port_hi = (uint16_t)hi;
	k->nreserved = cfg_ports(c, SYS("ip_local_reserved_ports"), k->reserved);
	k->autobind_reuse = cfg_bool(c, SYS("ip_autobind_reuse"));
	if (k->autobind_reuse && p->version < 507 && cfg_has(c, SYS("ip_autobind_reuse"))) {
		cfg_error(c, SYS("ip_autobind_reuse"), err, "exists from Linux 5.7; profile %s does not have it",
			  p->name);
		goto out;
	}

	k->tw_reuse = cfg_has(c, SYS("tcp_tw_reuse")) ? (int)cfg_int(c, SYS("tcp_tw_reuse")) : p->tw_reuse;
	if (k->tw_reuse == 2 && !p->reuse_has_loopback) {
		cfg_error(c, SYS("tcp_tw_reuse"), err,
			  "value 2 (loopback only) exists from Linux 4.19; profile %s accepts 0 or 1", p->name);
		goto out;
	}
	k->tw_reuse_delay_ms = (unsigned)cfg_int(c, SYS("tcp_tw_reuse_delay"));
	if (p->reuse != REUSE_DELAY_MS && cfg_has(c, SYS("tcp_tw_reuse_delay"))) {
		cfg_error(c, SYS("tcp_tw_reuse_delay"), err,
			  "exists from Linux 6.14; profile %s has no such sysctl (use profile current)", p->name);
		goto out;
	}
	k->tw_recycle = cfg_bool(c, SYS("tcp_tw_recycle"));
	if (k->tw_recycle && p->recycle == RECYCLE_NONE) {
		cfg_error(c, SYS("tcp_tw_recycle"), err,
			  "tcp_tw_recycle was removed in Linux 4.12; profile %s does not have it (use 3.10 or 4.4)",
			  p->name);
		goto out;
	}
	k->timestamps = (int)cfg_int(c, SYS("tcp_timestamps"));
	if (k->timestamps == 2 && p->version < 410) {
		cfg_error(c, SYS("tcp_timestamps"), err, "value 2 exists from Linux 4.10; profile %s accepts 0 or 1",
			  p->name);
		goto out;
	}
	k->rfc1337 = cfg_bool(c, SYS("tcp_rfc1337"));
	k->fin_timeout_s = (unsigned)cfg_int(c, SYS("tcp_fin_timeout"));
	/* tcp_sk_init: max_tw_buckets = ehash entries / 2 (linux-rules.md §8.1). */
	k->max_tw_buckets = cfg_has(c, SYS("tcp_max_tw_buckets"))
				    ? (uint32_t)cfg_int(c, SYS("tcp_max_tw_buckets"))
				    : k->ehash_entries / 2;
	k->syn_retries = cfg_has(c, SYS("tcp_syn_retries")) ? (unsigned)cfg_int(c, SYS("tcp_syn_retries"))
							    : p->syn_retries;
	k->synack_retries = (unsigned)cfg_int(c, SYS("tcp_synack_retries"));
	k->orphan_retries = (unsigned)cfg_int(c, SYS("tcp_orphan_retries"));
	ct_resolve(k, c, sysctl_section);
	ok = true;
out:
	g_free(sysctl_section);
	return ok;
}

void kconf_describe(const kconf *k, GString *o, const char *pre)
{
	g_string_append_printf(o, "%sprofile = %s (%s), HZ = %u, memory = %.1f GiB, ehash entries = %u\n", pre,
			       k->prof->name, k->prof->kernels, k->hz, (double)k->mem_bytes / 1073741824.0,
			       k->ehash_entries);
	g_string_append_printf(o, "%snet.ipv4.ip_local_port_range = %u %u (%u reserved in range)\n", pre,
			       k->port_lo, k->port_hi, k->nreserved);
	g_string_append_printf(o, "%snet.ipv4.tcp_tw_reuse = %d, tcp_tw_reuse_delay = %u ms, tcp_tw_recycle = %d\n",
			       pre, k->tw_reuse, k->tw_reuse_delay_ms, k->tw_recycle);
	g_string_append_printf(o, "%snet.ipv4.tcp_timestamps = %d, tcp_rfc1337 = %d, tcp_fin_timeout = %u\n", pre,
			       k->timestamps, k->rfc1337, k->fin_timeout_s);
	g_string_append_printf(o, "%snet.ipv4.tcp_max_tw_buckets = %u, tcp_syn_retries = %u, tcp_synack_retries = %u\n",
			       pre, k->max_tw_buckets, k->syn_retries, k->synack_retries);
}

void kconf_describe_ct(const kconf *k, GString *o, const char *pre)
{
	g_string_append_printf(o, "%sprofile = %s, memory = %.1f GiB, net.netfilter.nf_conntrack_buckets = %u, "
			       "nf_conntrack_max = %u, tcp_timeout_established = %u, tcp_timeout_time_wait = %u, "
			       "tcp_loose = %d, tcp_be_liberal = %d\n",
			       pre, k->prof->name, (double)k->mem_bytes / 1073741824.0, k->ct_buckets, k->ct_max,
			       k->ct_timeout[KCONF_CT_ESTABLISHED], k->ct_timeout[KCONF_CT_TIME_WAIT], k->ct_loose,
			       k->ct_be_liberal);
}
