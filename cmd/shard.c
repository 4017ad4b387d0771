#include "cmd/shard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/exp.h"
#include "cmd/replica.h"
#include "sim/cfg.h"
#include "sim/out.h"

char *shard_task_path(const char *dir, unsigned index)
{
	char name[32];
	snprintf(name, sizeof name, "task-%06u.csv", index);
	return g_build_filename(dir, "tasks", name, NULL);
}

/* Each line of text after "# KEY: " (an empty line as "# KEY:"). */
static void prefixed(GString *h, const char *key, const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	unsigned n = g_strv_length(lines);
	if (n && !*lines[n - 1])
		n--;  /* the text's final newline */
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(h, "%s:%s%s\n", key, *lines[i] ? " " : "", lines[i]);
	g_strfreev(lines);
}

bool shard_write(const shard_sweep *sw, unsigned index, const char *point, const GArray *metrics,
		 const char *path, GError **err)
{
	GString *h = g_string_new(NULL);
	exp_provenance(h, "sweep task");
	g_string_append_printf(h, "task: %u\npoint: %u\nreplication: %u\n", index, index / sw->R, index % sw->R);
	g_string_append_printf(h, "experiment: %s\ndigest: %s\nseed: %" PRIu64 "\nreps: %u\npoints: %u\n",
			       sw->experiment, sw->digest, sw->seed, sw->R, sw->npoints);
	prefixed(h, "grid", sw->grid);
	g_string_append_printf(h, "columns: %s\nvalues: %s\n", sw->columns, point);
	prefixed(h, "curve", sw->header);
	/* the lock of another process writing its task into the directory is
	 * held for one small write: wait for it, up to a minute */
	out_file *f = NULL;
	GError *e = NULL;
	for (unsigned tries = 0; !(f = out_open(path, &e)); tries++) {
		if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_EXIST) || tries >= 6000) {
			g_propagate_error(err, e);
			g_string_free(h, TRUE);
			return false;
		}
		g_clear_error(&e);
		g_usleep(10000);
	}
	FILE *fp = out_stream(f);
	out_comment_block(fp, h->str);
	g_string_free(h, TRUE);
	fputs("metric,value\n", fp);
	for (guint k = 0; k < metrics->len; k++) {
		const metric *m = &g_array_index(metrics, metric, k);
		fprintf(fp, "%s,%.17g\n", m->name, m->value);
	}
	return out_commit(f, err);
}

static bool bad(GError **err, const char *path, unsigned line, const char *what)
{
	g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s:%u: not a complete connsim task file: %s", path, line,
		    what);
	return false;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	errno = 0;
	guint64 x = g_ascii_strtoull(s, &end, 10);
	if (!g_ascii_isdigit(*s) || *end || errno || x > max)
		return false;
	*v = x;
	return true;
}

bool shard_read(const char *path, shard_task *t, GError **err)
{
	memset(t, 0, sizeof *t);
	char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, err))
		return false;
	char **lines = g_strsplit(text, "\n", -1);
	g_free(text);
	GString *grid = g_string_new(NULL), *curve = g_string_new(NULL);
	bool ok = false, in_metrics = false;
	unsigned have = 0;  /* bits: task, experiment, digest, seed, reps, points, columns, values */
	uint64_t v, point = 0, rep = 0;
	unsigned ln = 0;
	for (char **l = lines; *l; l++) {
		ln++;
		char *s = *l;
		if (in_metrics) {
			if (!*s && !l[1])
				break;  /* the final newline */
			char *comma = strrchr(s, ',');
			char *end = NULL;
			double x = comma ? g_ascii_strtod(comma + 1, &end) : 0;
			if (!comma || comma == s || end == comma + 1 || *end) {
				bad(err, path, ln, "expected METRIC,VALUE");
				goto done;
			}
			metric m = { g_strndup(s, (gsize)(comma - s)), x, METRIC_G6 };
			g_array_append_val(t->metrics, m);
			continue;
		}
		if (!strcmp(s, "metric,value")) {
			in_metrics = true;
			t->metrics = g_array_new(FALSE, FALSE, sizeof(metric));
			continue;
		}
		if (strncmp(s, "# ", 2)) {
			bad(err, path, ln, "expected a '# KEY: VALUE' line or 'metric,value'");
			goto done;
		}
		s += 2;
		char *colon = strchr(s, ':');
		if (!colon)
			continue;  /* the provenance's first line has one; others need none */
		*colon = 0;
		const char *val = colon[1] == ' ' ? colon + 2 : colon + 1;
		if (!strcmp(s, "grid") || !strcmp(s, "curve")) {
			GString *to = *s == 'g' ? grid : curve;
			g_string_append_printf(to, "%s\n", val);
			continue;
		}
		static const char *const keys[] = { "task", "experiment", "digest", "seed", "reps", "points", "columns",
						    "values", "point", "replication" };
		unsigned k = 0;
		while (k < G_N_ELEMENTS(keys) && strcmp(s, keys[k]))
			k++;
		bool good = true;
		switch (k) {
		case 0: good = parse_uint(val, UINT32_MAX, &v); t->index = (unsigned)v; break;
		case 1: t->sw.experiment = g_strdup(val); break;
		case 2: t->sw.digest = g_strdup(val); break;
		case 3: good = parse_uint(val, UINT64_MAX, &t->sw.seed); break;
		case 4: good = parse_uint(val, 100000, &v) && v >= 2; t->sw.R = (unsigned)v; break;
		case 5: good = parse_uint(val, UINT32_MAX, &v) && v >= 1; t->sw.npoints = (unsigned)v; break;
		case 6: t->sw.columns = g_strdup(val); break;
		case 7: t->point = g_strdup(val); break;
		case 8: good = parse_uint(val, UINT32_MAX, &point); break;
		case 9: good = parse_uint(val, UINT32_MAX, &rep); break;
		default: continue;  /* command: and the like */
		}
		if (!good) {
			*colon = ':';
			bad(err, path, ln, "a number out of range");
			goto done;
		}
		have |= 1u << k;
	}
	if ((have & 0x3ff) != 0x3ff || !t->metrics || !t->metrics->len) {
		bad(err, path, ln, "a key or the metrics are missing");
		goto done;
	}
	if ((uint64_t)t->sw.npoints * t->sw.R > SHARD_MAX_TASKS || (uint64_t)t->sw.npoints * t->sw.R <= t->index ||
	    point != t->index / t->sw.R ||
	    rep != t->index % t->sw.R) {
		bad(err, path, ln, "its task, point and replication do not agree with points and reps");
		goto done;
	}
	ok = true;
done:
	t->sw.grid = g_string_free(grid, FALSE);
	t->sw.header = g_string_free(curve, FALSE);
	g_strfreev(lines);
	if (!ok)
		shard_task_clear(t);
	return ok;
}

void shard_sweep_clear(shard_sweep *sw)
{
	g_free(sw->experiment);
	g_free(sw->digest);
	g_free(sw->grid);
	g_free(sw->columns);
	g_free(sw->header);
	memset(sw, 0, sizeof *sw);
}

void shard_task_clear(shard_task *t)
{
	shard_sweep_clear(&t->sw);
	g_free(t->point);
	if (t->metrics)
		replica_metrics_free(t->metrics);
	memset(t, 0, sizeof *t);
}

char *shard_mismatch(const shard_sweep *a, const shard_sweep *b)
{
	if (strcmp(a->experiment, b->experiment))
		return g_strdup_printf("experiment %s vs %s", a->experiment, b->experiment);
	if (a->seed != b->seed)
		return g_strdup_printf("seed %" PRIu64 " vs %" PRIu64, a->seed, b->seed);
	if (a->R != b->R)
		return g_strdup_printf("reps %u vs %u", a->R, b->R);
	if (a->npoints != b->npoints || strcmp(a->grid, b->grid) || strcmp(a->columns, b->columns))
		return g_strdup_printf("grid of %u points vs %u points (or other --vary / --variant values)",
				       a->npoints, b->npoints);
	if (strcmp(a->digest, b->digest) || strcmp(a->header, b->header))
		return g_strdup_printf("settings (digest %.19s... vs %.19s...)", a->digest, b->digest);
	return NULL;
}
