#include "models/kconf.h"

#include <stdio.h>
#include <string.h>

static uint32_t roundup_pow2(uint64_t x)
{
	uint64_t p = 1;
	while (p < x)
		p <<= 1;
	return (uint32_t)p;
}

/* tcp_init -> alloc_large_system_hash("TCP established", scale 17): one
 * bucket per 128 KB of RAM, rounded to a power of two, at most 512K
 * (doc/kernel-rules.md §8.1); thash_entries= overrides. */
uint32_t kconf_ehash_entries(uint64_t mem_bytes, uint64_t thash_entries)
{
	uint32_t e;
	if (thash_entries > 0)
		e = roundup_pow2(thash_entries);
	else {
		e = roundup_pow2(mem_bytes / (128 * 1024));
		if (e > 524288)
			e = 524288;
	}
	return e < 16 ? 16 : e;
}

/*
 * nf_conntrack_init_start (doc/kernel-rules.md §6.1): buckets from usable RAM
 * (64-bit pointers), not rounded to a power of two; nf_conntrack_max from
 * them; the hashsize module parameter gives the buckets and max = 8 x.
 */
void kconf_ct_size(const prof *p, uint64_t ram, uint64_t hashsize, uint32_t *buckets, uint32_t *max)
{
	const uint64_t GiB = 1ull << 30;
	uint64_t b;
	uint32_t factor;
	if (p->ctsize == CTSIZE_515) {
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
		if (p->ctsize == CTSIZE_4G && ram > 4 * GiB)
			b = 65536;
		if (b < 32)
			b = 32;
		factor = 4;
	}
	if (hashsize) {
		b = hashsize;
		factor = 8;
	}
	*max = (uint32_t)(b * factor);
	*buckets = (uint32_t)b;
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
