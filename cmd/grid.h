/*
 * grid: the points of a sweep.  A point is one value of every --vary key
 * (the grid's product) under one variant: a named set of settings, such as
 * "tw_reuse: net.ipv4.tcp_tw_reuse=1" or "old kernel: profile=4.4 &
 * net.ipv4.tcp_tw_recycle=1", so that one figure holds a family of curves.
 *
 * Points are numbered with the first --vary key varying fastest and the
 * variant slowest, so a curve.csv's rows come grouped by variant.
 */
#ifndef CONNSIM_CMD_GRID_H
#define CONNSIM_CMD_GRID_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "sim/cfg.h"

typedef struct grid grid;

/* varies: "KEY=a,b,c" or "KEY=START:STOP:STEPS[:log]"; variants: "LABEL" or
 * "LABEL: KEY=VALUE & KEY=VALUE ..." (either may be NULL).  The key
 * "profile" sets the kernel profile of every host, as --profile does. */
grid *grid_new(char *const *varies, char *const *variants, GError **err);
void grid_free(grid *g);
unsigned grid_npoints(const grid *g);

/* Applies point p's variant settings, then its varied values, to c; an
 * error names the setting. */
bool grid_apply(const grid *g, unsigned p, cfg *c, GError **err);

/* curve.csv: the leading column names ("variant," when there are variants,
 * then the varied keys) and point p's values in them. */
void grid_csv_header(const grid *g, FILE *fp);
void grid_csv_values(const grid *g, unsigned p, FILE *fp);
/* Header comment lines: "vary: KEY over N values", "variants: A|B|..." */
void grid_describe(const grid *g, GString *out);

/* Splits an experiment file's [sweep] list ("a; b; c") into its elements. */
char **grid_split_list(const char *s);

#endif
