/*
 * exp: the steps every command that runs an experiment shares: its options,
 * loading the configuration (models/scenario.h says in which order), the
 * seed, the output directory and the provenance lines of output headers.
 */
#ifndef CONNSIM_CMD_EXP_H
#define CONNSIM_CMD_EXP_H

#include <glib.h>
#include <stdint.h>

#include "sim/cfg.h"

/* The options of every command that runs an experiment. */
typedef struct exp_opts {
	char *seed, *out, *profile, *max_memory;
	char **sets, **sysctls;
	gboolean quiet;
	/* set by exp_sweep_budget: replications run at once and the bytes the
	 * sweep holds besides them (its results), which exp_load's limit for
	 * one replication leaves out */
	unsigned concurrent;
	uint64_t reserved;
} exp_opts;
/* Adds --seed, --out, --set, --sysctl, --profile, --max-memory and --quiet
 * to ctx's main group, after the command's own; set_help says what --set
 * overrides. */
void exp_opts_add(GOptionContext *ctx, exp_opts *o, const char *set_help);
void exp_opts_clear(exp_opts *o);

/* The experiment file, the sysctl files it names, o's --sysctl files and
 * --set overrides (scn_load); notes about sysctls connsim does not model go
 * to stderr.  Also sets the memory limit scn_new checks a replication's
 * estimate against (models/budget.h): --max-memory, by default half of the
 * machine's available memory, shared by o->concurrent replications. */
cfg *exp_load(const char *path, const exp_opts *o, GError **err);
/* o's --profile, if given, for every host and box (scn_set_profile). */
bool exp_profile(cfg *c, const exp_opts *o, GError **err);
/* --max-memory's value in bytes, or half of the available memory (MemAvailable
 * in /proc/meminfo, else the physical memory) when not given. */
bool exp_max_memory(const exp_opts *o, uint64_t *bytes, GError **err);
/* Before a sweep allocates anything: npoints x reps results of
 * result_bytes each (plus their metrics) and one configuration and
 * scenario per point must fit the limit, else an error that says the
 * estimate and the limit.  Sets o->concurrent (jobs, 0: one per processor)
 * and o->reserved for exp_load. */
bool exp_sweep_budget(exp_opts *o, unsigned npoints, unsigned reps, size_t result_bytes, unsigned jobs,
		      GError **err);
/* Parses a command's options and its one experiment argument; on bad usage
 * prints one message naming the command (argv[0], "connsim run") and
 * returns NULL.  The options' values are set in ctx's entries. */
const char *exp_parse_args(GOptionContext *ctx, int *argc, char ***argv);
/* --seed if given (an integer >= 0), else [experiment] seed. */
bool exp_seed(const cfg *c, const char *seed_opt, guint64 *seed, GError **err);
/* --out if given, else out/NAME for experiments/NAME.ini; newly allocated. */
char *exp_out_dir(const char *path, const char *out);
/* The first lines of every output header: "connsim VERSION: what" and the
 * whole command line as typed. */
void exp_provenance(GString *h, const char *what);

#endif
