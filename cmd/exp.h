/*
 * exp: loading an experiment the way every command does: the schema
 * ([experiment], hosts, workload, sysctls), the file, the sysctl files it
 * names, --sysctl files and --set overrides, in that order of precedence.
 */
#ifndef CONNSIM_CMD_EXP_H
#define CONNSIM_CMD_EXP_H

#include <glib.h>

#include "sim/cfg.h"

/* sysctls: "FILE" (every host) or "client:FILE" / "server:FILE".  Sysctl
 * names that connsim does not model are reported once on stderr. */
/* Every key of every section, terminated by name NULL. */
const cfg_key *exp_schema(void);

cfg *exp_load(const char *path, char **sysctls, char **sets, GError **err);

/* --profile: the kernel profile of every host and of every box the
 * experiment has (a box is not created by naming its profile). */
bool exp_set_profile(cfg *c, const char *profile, const char *origin, GError **err);
/* --seed if given (an integer >= 0), else [experiment] seed. */
bool exp_seed(const cfg *c, const char *seed_opt, guint64 *seed, GError **err);
/* --out if given, else out/NAME for experiments/NAME.ini; newly allocated. */
char *exp_out_dir(const char *path, const char *out);

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

#endif
