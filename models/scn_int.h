/*
 * What the scenario's two files share: scenario.c (the schema, resolution)
 * and scn_load.c (loading an experiment and its sysctl files).
 */
#ifndef CONNSIM_SCN_INT_H
#define CONNSIM_SCN_INT_H

#include <stdbool.h>

#include "sim/cfg.h"

/* The sections of kernel settings: [sysctl] for every host, [X.sysctl] for
 * X alone (cfg's scoped sections: X.sysctl falls back to [sysctl]). */
#define SCN_SYSCTL "sysctl"

/* "X.sysctl" for machine X (NULL: "sysctl"); newly allocated. */
char *scn__sysctl_section(const char *machine);

/* Hosts and boxes, in the order their sysctl files load. */
#define SCN_MACHINES 4
extern const char *const scn__machines[SCN_MACHINES];

/* A machine exists when its section (or its sysctl section) was given. */
bool scn__has_machine(const cfg *c, const char *name);

#endif
