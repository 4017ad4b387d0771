/*
 * exp: the steps every command that runs an experiment shares: its options,
 * loading the configuration (models/scenario.h says in which order), the
 * seed, the output directory and the provenance lines of output headers.
 */
#ifndef CONNSIM_CMD_EXP_H
#define CONNSIM_CMD_EXP_H

#include <glib.h>

#include "sim/cfg.h"

/* The options of every command that runs an experiment. */
typedef struct exp_opts {
	char *seed, *out, *profile;
	char **sets, **sysctls;
	gboolean quiet;
} exp_opts;
/* Adds --seed, --out, --set, --sysctl, --profile and --quiet to ctx's main
 * group, after the command's own; set_help says what --set overrides. */
void exp_opts_add(GOptionContext *ctx, exp_opts *o, const char *set_help);
void exp_opts_clear(exp_opts *o);

/* The experiment file, the sysctl files it names, o's --sysctl files and
 * --set overrides (scn_load); notes about sysctls connsim does not model go
 * to stderr. */
cfg *exp_load(const char *path, const exp_opts *o, GError **err);
/* o's --profile, if given, for every host and box (scn_set_profile). */
bool exp_profile(cfg *c, const exp_opts *o, GError **err);
/* --seed if given (an integer >= 0), else [experiment] seed. */
bool exp_seed(const cfg *c, const char *seed_opt, guint64 *seed, GError **err);
/* --out if given, else out/NAME for experiments/NAME.ini; newly allocated. */
char *exp_out_dir(const char *path, const char *out);
/* The first lines of every output header: "connsim VERSION: what" and the
 * whole command line as typed. */
void exp_provenance(GString *h, const char *what);

#endif
