/*
 * kconf: one host's kernel settings, resolved (by the scenario module) from
 * the configuration and the host's profile: the sysctls connsim models,
 * under their kernel names, with each profile's defaults and the defaults
 * the kernel derives from memory.  The derivations themselves are kernel
 * rules and live here.
 */
#ifndef CONNSIM_KCONF_H
#define CONNSIM_KCONF_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/prof.h"

/* Index of ct_timeout: the TCP conntrack states with a timeout, then the
 * two overrides (nf_conntrack_proto_tcp.c, tcp_timeouts[]). */
enum {
	KCONF_CT_SYN_SENT, KCONF_CT_SYN_RECV, KCONF_CT_ESTABLISHED, KCONF_CT_FIN_WAIT,
	KCONF_CT_CLOSE_WAIT, KCONF_CT_LAST_ACK, KCONF_CT_TIME_WAIT, KCONF_CT_CLOSE,
	KCONF_CT_MAX_RETRANS, KCONF_CT_UNACK, KCONF_CT_NTIMEOUTS
};

typedef struct kconf {
	const prof *prof;
	unsigned hz;               /* CONFIG_HZ */
	uint64_t mem_bytes;        /* usable RAM: sizes ehash and derived limits */
	uint32_t ehash_entries;    /* "TCP established hash table entries" */

	uint16_t port_lo, port_hi;         /* net.ipv4.ip_local_port_range */
	uint8_t reserved[8192];            /* net.ipv4.ip_local_reserved_ports (bitmap) */
	unsigned nreserved;
	bool autobind_reuse;               /* net.ipv4.ip_autobind_reuse */
	int tw_reuse;                      /* net.ipv4.tcp_tw_reuse */
	unsigned tw_reuse_delay_ms;        /* net.ipv4.tcp_tw_reuse_delay */
	bool tw_recycle;                   /* net.ipv4.tcp_tw_recycle */
	int timestamps;                    /* net.ipv4.tcp_timestamps */
	bool rfc1337;                      /* net.ipv4.tcp_rfc1337 */
	unsigned fin_timeout_s;            /* net.ipv4.tcp_fin_timeout */
	uint32_t max_tw_buckets;           /* net.ipv4.tcp_max_tw_buckets */
	unsigned syn_retries;              /* net.ipv4.tcp_syn_retries */
	unsigned syn_linear_timeouts;      /* net.ipv4.tcp_syn_linear_timeouts (6.5+; 0 before) */
	uint32_t port_step_width;          /* net.ipv4.ip_local_port_step_width (7.1+; 0 off) */
	unsigned synack_retries;           /* net.ipv4.tcp_synack_retries */
	unsigned orphan_retries;           /* net.ipv4.tcp_orphan_retries (0 means 8) */

	/* netfilter conntrack (a box that tracks or NATs) */
	uint32_t ct_buckets;               /* net.netfilter.nf_conntrack_buckets (hashsize) */
	uint32_t ct_max;                   /* net.netfilter.nf_conntrack_max */
	unsigned ct_timeout[KCONF_CT_NTIMEOUTS]; /* nf_conntrack_tcp_timeout_*, seconds */
	bool ct_loose;                     /* nf_conntrack_tcp_loose */
	bool ct_be_liberal;                /* nf_conntrack_tcp_be_liberal */
	unsigned ct_max_retrans;           /* nf_conntrack_tcp_max_retrans */
} kconf;

/* The established hash's entries: from memory, or thash_entries (0: none). */
uint32_t kconf_ehash_entries(uint64_t mem_bytes, uint64_t thash_entries);
/* The conntrack table's buckets and nf_conntrack_max at module load, from
 * memory or from the hashsize parameter (0: not given). */
void kconf_ct_size(const prof *p, uint64_t mem_bytes, uint64_t hashsize, uint32_t *buckets, uint32_t *max);

/* Lines "name = value" of every modelled setting, for output headers. */
void kconf_describe(const kconf *k, GString *out, const char *prefix);
/* The same for a netfilter box's conntrack settings. */
void kconf_describe_ct(const kconf *k, GString *out, const char *prefix);

#endif
