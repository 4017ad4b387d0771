/*
 * scenario: the configuration read once into plain, typed structs (the
 * hosts with their resolved kernel settings, the boxes, the path and the
 * workload), with where every setting came from.
 *
 * This module owns the experiment schema, every check that involves more
 * than one key, and everything that knows the sysctl dialect: the
 * "[client.sysctl]" sections falling back to "[sysctl]", the sysctl.conf
 * grammar, bare sysctl names in --set, legacy names, --sysctl files and
 * --profile.  The world is wired from a scenario and checks nothing.
 * (scn_load.c loads an experiment and its sysctl files; scenario.c holds
 * the schema and turns what was loaded into a scenario.)
 *
 * Loading order (a later layer overrides an earlier one, whatever the order
 * of the calls): sysctl files named by the experiment < the experiment file
 * < --sysctl files < --set (and --profile, a sweep's settings).
 */
#ifndef CONNSIM_SCENARIO_H
#define CONNSIM_SCENARIO_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/kconf.h"
#include "models/wl.h"
#include "sim/cfg.h"
#include "sim/ev.h"

/* Priority layers of the sources the scenario parses itself (cfg.h's
 * CFG_LAYER_FILE is the experiment file, CFG_LAYER_SET --set). */
enum { SCN_LAYER_SYSCTL_FILE = CFG_LAYER_FILE - 10, SCN_LAYER_CLI_SYSCTL = CFG_LAYER_FILE + 10 };

/* A client or server role: its kernel and its link. */
typedef struct scn_host {
	kconf k;
	ev_time link_delay;
	double loss;
} scn_host;

/* A NAT box's MASQUERADE/SNAT rule (the box makes its nat_cfg of it). */
typedef struct scn_nat {
	uint32_t *addrs;           /* external addresses */
	unsigned naddrs;
	uint16_t port_lo, port_hi; /* --to-ports; 0, 0: the kernel's port classes */
	bool random, random_fully, persistent;
	unsigned kind;             /* SCN_NAT_* ([nat] kind) */
	uint32_t per_dest;         /* aws: connections_per_destination */
	ev_time idle_timeout, close_hold;  /* aws */
	struct {
		uint32_t min_ports_per_vm, max_ports_per_vm;
		bool dynamic, eim;
		ev_time established_idle, transitory_idle, time_wait;
	} gcp;                     /* gcp-cloud-nat (models/natgw_gcp.h) */
	struct {                   /* cilium (models/cilium.h) */
		uint32_t ct_max, nat_max;
		ev_time t_tcp, t_fin, t_syn, gc_interval, gc_max_interval, gc_pass;
		uint16_t port_min, port_max;  /* from node-port-range: its end + 1 .. 65535 */
		unsigned retries;
	} cil;
	struct {
		uint32_t ports_per_ip, per_dest;  /* snat_ports_per_ip, concurrent_connections_per_destination */
		ev_time idle_timeout;             /* idle_timeout_in_minutes */
		ev_time reuse_fin, reuse_rst, half_open;
	} azgw;                            /* azure-nat-gateway (models/natgw_azure.h) */
	struct {
		uint32_t allocated;               /* allocatedOutboundPorts; 0: the default table */
		ev_time idle_timeout;             /* idleTimeoutInMinutes */
		ev_time release_fin, release_rst;
	} azlb;                            /* azure-lb-outbound (models/lb_azure.h) */
} scn_nat;
enum { SCN_NAT_NETFILTER, SCN_NAT_AWS, SCN_NAT_GCP, SCN_NAT_CILIUM, SCN_NAT_AZURE_GW, SCN_NAT_AZURE_LB };
/* The most [nat] addresses a kind takes (its provider's limit, or the
 * model's); 0: no limit. */
unsigned scn_nat_max_addrs(int kind);

/* A middlebox on the path (conntrack, and SNAT for "nat"). */
typedef struct scn_box {
	char name[16];     /* "nat", "firewall" */
	kconf k;
	bool has_nat;
	scn_nat nat;
	ev_time delay;
	double loss;
	unsigned clients;  /* [nat] clients: the first this many client hosts are
			    * behind the NAT, the others direct; 0: all */
	char host[32];     /* [BOX] host: boxes naming the same host share its
			    * conntrack gc worker (ct_share_gc); "" alone */
	int on_host;       /* -1, or the box runs on the client (0) or server (1)
			    * machine: host = client/server, or a loopback path */
	bool own;          /* a [firewall] that is a host's own conntrack (its
			    * input and output hooks, no delay unless given):
			    * host = server or client, or any on a loopback path */
} scn_box;

/* Who talks to whom. */
typedef struct scn_path {
	unsigned nclients;        /* client hosts */
	uint32_t first_client;    /* address of the first; the next ones follow */
	unsigned addrs_per_client;
	bool loopback;            /* one host plays client and server */
	uint32_t *daddrs;         /* server addresses */
	unsigned ndaddrs;
	uint16_t *dports;         /* listening ports */
	unsigned ndports;
} scn_path;

typedef struct scn_item scn_item;

typedef struct scenario {
	ev_time duration, warmup, sample;
	scn_host client, server;
	scn_path path;
	scn_box boxes[2];         /* from the client side: NAT, then firewall (a
				   * firewall with host = client first) */
	unsigned nboxes;          /* a loopback path: at most the host's own firewall */
	/* addresses, ports and client hosts are the path's; stop is the end of
	 * arrivals ([workload] stop, else the duration) */
	wl_spec workload;
	uint32_t request_bytes, response_bytes;  /* per connection: x requests, mod 2^32 */
	double unseen_teardown;
	GPtrArray *items;         /* scn_item*, for printing and comparing */
} scenario;

/* The schema of an experiment file, terminated by name NULL. */
const cfg_key *scn_schema(void);
/* An empty configuration with the schema, the legacy names and the
 * sysctl sections' scope. */
cfg *scn_cfg_new(void);
/* Legacy sysctl names and the names they stand for, terminated by NULL. */
const cfg_alias *scn_aliases(void);

/* Loads an experiment: the file (NULL: none, every key at its default),
 * the sysctl files its hosts name, --sysctl files ("FILE" for every host
 * and box, "client:FILE" / "server:FILE", and "nat:FILE" / "firewall:FILE"
 * for a box the experiment has) and --set
 * overrides.  A host's file is read as the host: kernel.osrelease selects
 * the profile (prof_for_release), kernel.threads-max the memory and
 * net.ipv4.tcp_max_tw_buckets the ehash size, for the file's machines and
 * only where the experiment and --set give none (at the file's layer, so
 * --profile still wins).  notes receives whole lines for stderr, minus the
 * "connsim: " (may be NULL): "note: ..." about sysctls connsim does not
 * model and HZ, "warning: ..." about conntrack settings no box takes, and
 * unprefixed lines saying what a file set. */
cfg *scn_load(const char *path, char *const *sysctls, char *const *sets, GPtrArray *notes, GError **err);
/* A sysctl.conf(5) or `sysctl -a` file into section ("sysctl",
 * "client.sysctl", ...) at layer; names connsim does not model go to
 * *ignored (may be NULL) instead of being errors. */
bool scn_load_sysctl_file(cfg *c, const char *path, const char *section, int layer, GPtrArray *ignored,
			  GError **err);
/* --set: "section.key=value", or a bare sysctl name ("net.ipv4.tcp_tw_reuse=1")
 * for every host; origin as cfg_set_arg's. */
bool scn_set_arg(cfg *c, const char *arg, const char *origin, GError **err);
/* --profile: the kernel profile of every host and of every box the
 * experiment has (a box is not created by naming its profile). */
bool scn_set_profile(cfg *c, const char *profile, const char *origin, GError **err);

/* Resolves and checks everything; errors name the file, line and key. */
scenario *scn_new(const cfg *c, GError **err);
void scn_free(scenario *s);

/* Every resolved setting, host by host and box by box, one per line:
 * "  name = value   (source)" under "[section]" lines. */
void scn_print(const scenario *s, GString *out);

/* A setting whose value differs between two scenarios (NULL: absent). */
typedef struct scn_change {
	const char *section, *name;
	const char *a_value, *a_source, *b_value, *b_source;
} scn_change;
/* The settings that differ, in a's order then b's extras; free with
 * g_array_unref (the strings belong to the scenarios). */
GArray *scn_diff(const scenario *a, const scenario *b);

#endif
