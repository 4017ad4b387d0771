/*
 * connsim merge: the curve of a sweep run in shares (connsim sweep --shard
 * / --task), from the task files in one or more output directories.  It
 * writes the curve.csv the unsharded sweep writes, byte for byte apart from
 * the provenance lines (version, command): the same header, and the rows
 * computed by the same code (cmd/curve.c) from the same metric values (task
 * files keep them exactly).  Tasks of different sweeps (experiment, seed,
 * reps, grid, settings: cmd/shard.h) and incomplete sets are refused.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/curve.h"
#include "cmd/exp.h"
#include "cmd/replica.h"
#include "cmd/shard.h"
#include "sim/cfg.h"
#include "sim/out.h"

typedef struct merge {
	shard_task *tasks;    /* by index, once the first file says how many */
	char **from;          /* the file each came from */
	unsigned n, have;
	char *first;          /* the file that set the sweep's identity */
} merge;

/* task-NNNNNN.csv: its number, or -1. */
static gint64 task_name(const char *name)
{
	if (!g_str_has_prefix(name, "task-") || !g_str_has_suffix(name, ".csv"))
		return -1;
	const char *d = name + 5;
	size_t len = strlen(d) - 4;
	if (len < 6 || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isdigit(d[i]))
			return -1;
	return g_ascii_strtoll(d, NULL, 10);
}

static bool same_metrics(const GArray *a, const GArray *b)
{
	if (a->len != b->len)
		return false;
	for (guint k = 0; k < a->len; k++) {
		const metric *x = &g_array_index(a, metric, k), *y = &g_array_index(b, metric, k);
		if (strcmp(x->name, y->name) || memcmp(&x->value, &y->value, sizeof x->value))
			return false;
	}
	return true;
}

/* Takes one task file into M. */
static bool merge_add(merge *M, const char *path, gint64 named, GError **err)
{
	shard_task t;
	if (!shard_read(path, &t, err))
		return false;
	if (t.index != named) {
		cfg_fail(err, "%s: holds task %u, not the task its name says", path, t.index);
		goto fail;
	}
	if (!M->tasks) {
		M->n = t.sw.npoints * t.sw.R;
		M->tasks = g_new0(shard_task, M->n);
		M->from = g_new0(char *, M->n + 1);
		M->first = g_strdup(path);
	}
	/* the identity to compare with: any task already taken */
	const shard_sweep *ref = NULL;
	for (unsigned i = 0; i < M->n && !ref; i++)
		if (M->from[i])
			ref = &M->tasks[i].sw;
	if (ref) {
		char *why = shard_mismatch(ref, &t.sw);
		if (why) {
			cfg_fail(err, "%s and %s: tasks of different sweeps (%s); merge the tasks of one sweep", M->first,
				    path, why);
			g_free(why);
			goto fail;
		}
	}
	if (M->from[t.index]) {
		/* the same task in two directories (a shard run twice): the
		 * seed makes it the same result, or the builds differ */
		if (!same_metrics(M->tasks[t.index].metrics, t.metrics)) {
			cfg_fail(err, "%s and %s: the same task with different results (two connsim versions?)",
				    M->from[t.index], path);
			goto fail;
		}
		shard_task_clear(&t);
		return true;
	}
	M->tasks[t.index] = t;
	M->from[t.index] = g_strdup(path);
	M->have++;
	return true;
fail:
	shard_task_clear(&t);
	return false;
}

/* Every task file in DIR/tasks (or in DIR itself). */
static bool merge_dir(merge *M, const char *dir, GError **err)
{
	char *tdir = g_build_filename(dir, "tasks", NULL);
	if (!g_file_test(tdir, G_FILE_TEST_IS_DIR)) {
		g_free(tdir);
		tdir = g_strdup(dir);
	}
	GDir *d = g_dir_open(tdir, 0, err);
	bool ok = d != NULL;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	for (const char *name; ok && (name = g_dir_read_name(d));)
		if (task_name(name) >= 0)
			g_ptr_array_add(names, g_strdup(name));
	if (d)
		g_dir_close(d);
	/* in order, so that messages do not depend on the directory's */
	g_ptr_array_sort(names, (GCompareFunc)(void (*)(void))g_strcmp0);
	if (ok && !names->len)
		ok = cfg_fail(err, "%s: no task files (task-NNNNNN.csv, written by connsim sweep --shard or --task)",
				 tdir);
	for (guint i = 0; ok && i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		char *path = g_build_filename(tdir, name, NULL);
		ok = merge_add(M, path, task_name(name), err);
		g_free(path);
	}
	g_ptr_array_free(names, TRUE);
	g_free(tdir);
	return ok;
}

/* "3, 7-9, 12" for the missing tasks, at most about 20 ranges. */
static char *missing_list(const merge *M)
{
	GString *s = g_string_new(NULL);
	unsigned ranges = 0;
	for (unsigned i = 0; i < M->n; i++) {
		if (M->from[i])
			continue;
		unsigned j = i;
		while (j + 1 < M->n && !M->from[j + 1])
			j++;
		if (++ranges > 20) {
			g_string_append(s, ", ...");
			break;
		}
		g_string_append_printf(s, "%s%u", s->len ? ", " : "", i);
		if (j > i)
			g_string_append_printf(s, "-%u", j);
		i = j;
	}
	return g_string_free(s, FALSE);
}

static bool merge_write(const merge *M, FILE *fp)
{
	const shard_sweep *sw = &M->tasks[0].sw;
	GString *h = g_string_new(NULL);
	exp_provenance(h, "merge");
	g_string_append(h, sw->header);
	char **values = g_new0(char *, sw->npoints + 1);
	GArray **m = g_new(GArray *, M->n);
	for (unsigned p = 0; p < sw->npoints; p++)
		values[p] = M->tasks[(size_t)p * sw->R].point;
	for (unsigned i = 0; i < M->n; i++)
		m[i] = M->tasks[i].metrics;
	curve_in in = { h->str, sw->columns, values, sw->npoints, sw->R, m };
	curve_write(&in, fp);
	g_free(m);
	g_free(values);
	g_string_free(h, TRUE);
	return true;
}

int cmd_merge(int argc, char **argv)
{
	char *out = NULL;
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write DIR/curve.csv (default: the first directory)",
		  "DIR" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No message on success", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("DIR... - the curve of a sweep run in shards");
	g_option_context_set_summary(ctx,
		"Reads the task files (DIR/tasks/task-NNNNNN.csv) that connsim sweep --shard or --task\n"
		"wrote into each DIR, and writes curve.csv: the curve the unsharded sweep writes,\n"
		"identical apart from its provenance lines (version and command).  Tasks of different\n"
		"sweeps (experiment, seed, reps, grid, settings) and incomplete sets are refused,\n"
		"naming the files or the missing tasks.");
	g_option_context_set_description(ctx,
		"Examples:\n"
		"  connsim sweep lb.ini --reps 5 --out out/lb --shard 0/3    (and 1/3, 2/3 elsewhere)\n"
		"  connsim merge out/lb\n"
		"  connsim merge node1/lb node2/lb --out out/lb\n"
		"\nExit status: 0 success, 1 output could not be written, 2 usage error, tasks of different\n"
		"sweeps, or tasks missing.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *err = NULL;
	merge M = { 0 };
	int rc = EXIT_USAGE;
	out_file *fo = NULL;
	char *path = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "connsim merge: %s (see connsim merge --help)\n", err->message);
		goto done;
	}
	if (argc < 2) {
		fprintf(stderr, "connsim merge: expected at least one directory of task files (see connsim merge --help)\n");
		goto done;
	}
	for (int i = 1; i < argc; i++)
		if (!merge_dir(&M, argv[i], &err))
			goto fail;
	if (M.have < M.n) {
		char *miss = missing_list(&M);
		g_set_error(&err, CFG_ERROR, CFG_ERROR_INPUT,
			    "%u of %u tasks missing: %s (run them with connsim sweep --task I, counted from 0, and merge "
			    "again)", M.n - M.have, M.n, miss);
		g_free(miss);
		goto fail;
	}
	rc = EXIT_RUNTIME;
	const char *dir = out ? out : argv[1];
	path = g_build_filename(dir, "curve.csv", NULL);
	if (!out_mkdir(dir, &err) || !(fo = out_open(path, &err)))
		goto fail;
	merge_write(&M, out_stream(fo));
	out_file *f = fo;
	fo = NULL;
	if (!out_commit(f, &err))
		goto fail;
	if (!quiet)
		fprintf(stderr, "connsim: %s: %u points x %u replications from %u task files; wrote %s\n",
			M.tasks[0].sw.experiment, M.tasks[0].sw.npoints, M.tasks[0].sw.R, M.n, path);
	rc = EXIT_OK;
	goto done;
fail:
	fprintf(stderr, "connsim merge: %s\n", err->message);
done:
	out_abort(fo);
	for (unsigned i = 0; i < M.n; i++) {
		shard_task_clear(&M.tasks[i]);
		g_free(M.from[i]);
	}
	g_free(M.tasks);
	g_free(M.from);
	g_free(M.first);
	g_free(path);
	g_free(out);
	g_clear_error(&err);
	g_option_context_free(ctx);
	return rc;
}
