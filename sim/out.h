/*
 * out: output files that appear whole or not at all.
 *
 * out_open() creates "<path>.tmp"; out_commit() flushes, closes and renames it
 * to <path>; out_abort() removes it.  A run that fails half-way leaves no
 * output file behind, and never a truncated one under the final name.
 *
 * Every CSV starts with '#' comment lines (gnuplot and most CSV readers skip
 * them) giving the connsim version, the command, the seed and the effective
 * configuration, so that a figure can be traced to what made it.
 */
#ifndef CONNSIM_OUT_H
#define CONNSIM_OUT_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct out_file out_file;

out_file *out_open(const char *path, GError **err);
FILE *out_stream(out_file *f);
bool out_commit(out_file *f, GError **err);
void out_abort(out_file *f);  /* NULL is fine */

/* Creates dir and its parents. */
bool out_mkdir(const char *dir, GError **err);

/* Writes each line of text prefixed with "# ". */
void out_comment_block(FILE *fp, const char *text);

#endif
