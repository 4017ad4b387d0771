/*
 * lore: what connsim knows about the kernel's names, for `connsim explain`:
 * every sysctl it models (what it does, the kernel function behind it, its
 * history and the myths about it) and every counter it reports (what
 * increments it, its nstat name, its `netstat -s` sentence or `conntrack -S`
 * field, connsim's column).  One table, in lore.c; this module prints
 * nothing.
 *
 * Defaults are not copied here: a sysctl's default in a profile comes from
 * the profile table (prof_all) or the sysctl schema (scn_schema()'s [sysctl] keys),
 * through lore_profile_default.  Facts cite doc/kernel-rules.md sections.
 */
#ifndef CONNSIM_LORE_H
#define CONNSIM_LORE_H

#include <stddef.h>

#include "models/prof.h"
#include "sim/cfg.h"

/* LORE_SETTING: an experiment setting that is no sysctl (a cloud gateway's,
 * named "section.key" as in the schema); its "kernel" is the document it
 * comes from. */
typedef enum lore_kind { LORE_SYSCTL, LORE_COUNTER, LORE_SETTING } lore_kind;

/* Where a sysctl's default in a profile comes from. */
typedef enum lore_def {
	LORE_DEF_SCHEMA,       /* the schema's default, the same in every profile */
	LORE_DEF_TW_REUSE,     /* prof.tw_reuse; values 0-2 if prof.reuse_has_loopback */
	LORE_DEF_PORT_RANGE,   /* prof.port_lo, prof.port_hi */
	LORE_DEF_SYN_RETRIES,  /* prof.syn_retries */
	LORE_DEF_SYN_LINEAR,   /* prof.syn_linear_timeouts */
	LORE_DEF_TIMESTAMPS,   /* the schema's; value 2 only if prof.has_ts_no_offset */
	LORE_DEF_MAX_TW,       /* derived: ehash entries / 2 */
	LORE_DEF_CT_MAX,       /* derived from the buckets, by prof.ctsize */
	LORE_DEF_CT_BUCKETS,   /* derived from memory, by prof.ctsize */
	LORE_DEF_UNSET,        /* a module parameter: unset unless given */
} lore_def;

/* Which profiles have a sysctl at all (an input error on the others). */
typedef enum lore_avail {
	LORE_AVAIL_ALL,
	LORE_AVAIL_RECYCLE,      /* prof.recycle != RECYCLE_NONE (<= 4.11) */
	LORE_AVAIL_REUSE_DELAY,  /* prof.reuse == REUSE_DELAY_MS (6.14+) */
	LORE_AVAIL_AUTOBIND,     /* prof.has_autobind_reuse (5.7+) */
	LORE_AVAIL_SYN_LINEAR,   /* prof.has_syn_linear_timeouts (6.5+) */
	LORE_AVAIL_STEP_WIDTH,   /* prof.has_port_step_width (7.1+) */
} lore_avail;

typedef struct lore {
	lore_kind kind;
	/* A sysctl's kernel name as in the schema; a counter's name as the
	 * models register it, without its ROLE./BOX. prefix ("TcpExtTW",
	 * "insert_failed", "conn.EADDRNOTAVAIL", "snat.searches"). */
	const char *name;
	/* A glob (g_pattern_match_simple) for counters registered under
	 * several names ("conn.hit.*"), else NULL. */
	const char *pattern;
	const char *what;     /* what it does / what counts it, in connsim */
	const char *kernel;   /* the kernel function(s), with their files */
	const char *history;  /* versions that added, changed or removed it */
	const char *myths;    /* common myths, one per line ("\n"), or NULL */
	const char *shown_by; /* experiments that show it, or NULL */
	const char *rules;    /* doc/kernel-rules.md sections */
	/* sysctls */
	lore_def def;
	lore_avail avail;
	/* counters */
	const char *nstat;        /* nstat name, or NULL */
	const char *netstat;      /* `netstat -s` line (N for the number), or NULL */
	const char *conntrack_s;  /* `conntrack -S` field, or NULL */
	const char *columns;      /* connsim's column names */
} lore;

/* The whole table, sysctls first, in a fixed order. */
const lore *lore_all(size_t *n);

/*
 * Finds NAME: a sysctl by its full name, without its net.ipv4. or
 * net.netfilter. prefix, with '/' for '.', or under a legacy name
 * (scn_aliases()); a counter by its name, its nstat name, its /proc name
 * ("TW"), or a column name with its prefix ("client.TcpExtTW",
 * "nat.ct.insert_failed").  NULL when unknown.
 */
const lore *lore_find(const char *name);

/* The schema row of a sysctl (scn_schema()'s [sysctl] keys) or of a
 * setting ("nat.kind": [nat] kind), or NULL. */
const cfg_key *lore_schema_key(const lore *l);

/* A sysctl's default in profile p, newly allocated (g_free), or NULL when
 * the profile does not have the sysctl. */
char *lore_profile_default(const lore *l, const prof *p);

#endif
