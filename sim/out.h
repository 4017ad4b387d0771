/*
 * out: output files that appear whole or not at all.
 *
 * out_open() creates a temporary "<path>.XXXXXX.tmp" of its own (exclusively,
 * a unique name); out_commit() flushes, closes and renames it to <path>;
 * out_abort() removes it.  A run that fails half-way leaves no output file
 * behind, and never a truncated one under the final name.
 *
 * One run per directory: out_open() takes an advisory lock (flock) on the
 * directory of path, held until every file this process opened there is
 * committed or aborted.  A second process writing into the same directory
 * meanwhile fails at its out_open() ("another connsim run is writing into
 * this directory"), so two runs never mix their files or their temporaries.
 *
 * out_cleanup_on_signals(): SIGINT, SIGTERM and SIGHUP remove every
 * temporary still open, then kill the process with the signal's default
 * action (exit status 128 + signal in a shell).  The commands call it once,
 * from main(); a signal ignored at that time (nohup) stays ignored.
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

/* Installs the signal handlers that remove temporaries (see above). */
void out_cleanup_on_signals(void);

/* Creates dir and its parents. */
bool out_mkdir(const char *dir, GError **err);

/* Writes each line of text prefixed with "# ". */
void out_comment_block(FILE *fp, const char *text);

#endif
