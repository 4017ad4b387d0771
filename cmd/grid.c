#include "cmd/grid.h"

#include <math.h>
#include <string.h>

#include "models/scenario.h"

typedef struct vary {
	char *key;     /* as --set takes it */
	char **values; /* NULL-terminated */
	unsigned n;
} vary;

typedef struct variant {
	char *label;
	char **sets;   /* KEY=VALUE, NULL-terminated */
} variant;

struct grid {
	vary *vs;
	unsigned nv;
	variant *vars;
	unsigned nvars;
	unsigned npoints;
};

/* KEY=a,b,c  or  KEY=START:STOP:STEPS[:log] (STEPS values, ends included). */
static bool parse_vary(const char *spec, vary *v, GError **err)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		return cfg_fail(err, "--vary '%s': expected KEY=a,b,c or KEY=START:STOP:STEPS[:log]", spec);
	v->key = g_strstrip(g_strndup(spec, (gsize)(eq - spec)));
	const char *rhs = eq + 1;
	if (strchr(rhs, ':')) {
		char **p = g_strsplit(rhs, ":", -1);
		unsigned np = g_strv_length(p);
		char *e1 = NULL, *e2 = NULL, *e3 = NULL;
		double a = np >= 3 ? g_ascii_strtod(p[0], &e1) : 0, b = np >= 3 ? g_ascii_strtod(p[1], &e2) : 0;
		gint64 steps = np >= 3 ? g_ascii_strtoll(p[2], &e3, 10) : 0;
		bool logscale = np == 4 && !strcmp(p[3], "log");
		bool ok = (np == 3 || logscale) && e1 && !*e1 && e2 && !*e2 && e3 && !*e3 && steps >= 2 && steps <= 10000 &&
			  (!logscale || (a > 0 && b > 0));
		g_strfreev(p);
		if (!ok)
			return cfg_fail(err, "--vary '%s': expected START:STOP:STEPS[:log] with numbers, "
					   "2 <= STEPS <= 10000%s", spec, logscale ? " and START, STOP > 0" : "");
		v->n = (unsigned)steps;
		v->values = g_new0(char *, v->n + 1);
		for (unsigned i = 0; i < v->n; i++) {
			double f = (double)i / (double)(v->n - 1);
			double x = logscale ? exp(log(a) + f * (log(b) - log(a))) : a + f * (b - a);
			v->values[i] = g_strdup_printf("%.6g", x);
		}
		return true;
	}
	v->values = g_strsplit(rhs, ",", -1);
	v->n = g_strv_length(v->values);
	for (unsigned i = 0; i < v->n; i++)
		if (!*g_strstrip(v->values[i]))
			return cfg_fail(err, "--vary '%s': empty value in the list", spec);
	return true;
}

/* LABEL  or  LABEL: KEY=VALUE & KEY=VALUE ... */
static bool parse_variant(const char *spec, variant *v, GError **err)
{
	const char *colon = strchr(spec, ':');
	v->label = g_strstrip(g_strndup(spec, colon ? (gsize)(colon - spec) : strlen(spec)));
	if (!*v->label || strpbrk(v->label, ",\"\n|"))
		return cfg_fail(err, "--variant '%s': expected LABEL or LABEL: KEY=VALUE & KEY=VALUE, with a "
				   "non-empty LABEL free of , \" and |", spec);
	v->sets = colon ? g_strsplit(colon + 1, "&", -1) : g_new0(char *, 1);
	for (char **s = v->sets; *s; s++) {
		g_strstrip(*s);
		const char *eq = strchr(*s, '=');
		if (!eq || eq == *s || !eq[1])
			return cfg_fail(err, "--variant '%s': '%s' is not KEY=VALUE", spec, *s);
	}
	return true;
}

grid *grid_new(char *const *varies, char *const *variants, GError **err)
{
	grid *g = g_new0(grid, 1);
	g->nv = varies ? g_strv_length((char **)varies) : 0;
	g->nvars = variants ? g_strv_length((char **)variants) : 0;
	g->vs = g_new0(vary, g->nv);
	g->vars = g_new0(variant, g->nvars);
	g->npoints = 1;
	for (unsigned i = 0; i < g->nv; i++) {
		if (!parse_vary(varies[i], &g->vs[i], err))
			goto fail;
		g->npoints *= g->vs[i].n;
		if (g->npoints > 100000) {
			cfg_fail(err, "the --vary grid has over 100000 points");
			goto fail;
		}
	}
	for (unsigned i = 0; i < g->nvars; i++) {
		if (!parse_variant(variants[i], &g->vars[i], err))
			goto fail;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(g->vars[j].label, g->vars[i].label)) {
				cfg_fail(err, "--variant '%s': the label is used twice", g->vars[i].label);
				goto fail;
			}
	}
	if (g->nvars)
		g->npoints *= g->nvars;
	return g;
fail:
	grid_free(g);
	return NULL;
}

void grid_free(grid *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->nv; i++) {
		g_free(g->vs[i].key);
		g_strfreev(g->vs[i].values);
	}
	for (unsigned i = 0; i < g->nvars; i++) {
		g_free(g->vars[i].label);
		g_strfreev(g->vars[i].sets);
	}
	g_free(g->vs);
	g_free(g->vars);
	g_free(g);
}

unsigned grid_npoints(const grid *g) { return g->npoints; }

/* The value of --vary key i at point p (the first key varies fastest). */
static const char *vary_value(const grid *g, unsigned i, unsigned p)
{
	for (unsigned j = 0; j < i; j++)
		p /= g->vs[j].n;
	return g->vs[i].values[p % g->vs[i].n];
}

/* The variant of point p, the slowest dimension (NULL when there are none). */
static const variant *variant_of(const grid *g, unsigned p)
{
	return g->nvars ? &g->vars[p / (g->npoints / g->nvars)] : NULL;
}

/* KEY=VALUE as --set takes it, or profile=NAME for every host; origin names
 * the setting in errors and in the dump of values given. */
static bool apply_one(cfg *c, const char *arg, const char *origin, GError **err)
{
	if (g_str_has_prefix(arg, "profile=") || g_str_has_prefix(arg, "profile ")) {
		char *name = g_strstrip(g_strdup(strchr(arg, '=') + 1));
		bool ok = scn_set_profile(c, name, origin, err);
		g_free(name);
		return ok;
	}
	return scn_set_arg(c, arg, origin, err);
}

bool grid_apply(const grid *g, unsigned p, cfg *c, GError **err)
{
	const variant *v = variant_of(g, p);
	bool ok = true;
	if (v) {
		char *origin = g_strdup_printf("variant '%s'", v->label);
		for (char **s = v->sets; ok && *s; s++)
			ok = apply_one(c, *s, origin, err);
		g_free(origin);
	}
	for (unsigned i = 0; ok && i < g->nv; i++) {
		char *origin = g_strdup_printf("--vary %s", g->vs[i].key);
		char *arg = g_strdup_printf("%s=%s", g->vs[i].key, vary_value(g, i, p));
		ok = apply_one(c, arg, origin, err);
		g_free(arg);
		g_free(origin);
	}
	return ok;
}

void grid_csv_header(const grid *g, FILE *fp)
{
	fputs(g->nvars ? "variant" : "", fp);
	for (unsigned i = 0; i < g->nv; i++)
		fprintf(fp, "%s%s", i || g->nvars ? "," : "", g->vs[i].key);
}

void grid_csv_values(const grid *g, unsigned p, FILE *fp)
{
	const variant *v = variant_of(g, p);
	if (v)
		fputs(v->label, fp);
	for (unsigned i = 0; i < g->nv; i++)
		fprintf(fp, "%s%s", i || v ? "," : "", vary_value(g, i, p));
}

void grid_describe(const grid *g, GString *out)
{
	for (unsigned i = 0; i < g->nv; i++)
		g_string_append_printf(out, "vary: %s over %u values\n", g->vs[i].key, g->vs[i].n);
	if (!g->nvars)
		return;
	g_string_append(out, "variants: ");
	for (unsigned i = 0; i < g->nvars; i++)
		g_string_append_printf(out, "%s%s", i ? "|" : "", g->vars[i].label);
	g_string_append_c(out, '\n');
	for (unsigned i = 0; i < g->nvars; i++) {
		char *sets = g_strjoinv(" & ", g->vars[i].sets);
		g_string_append_printf(out, "variant %s: %s\n", g->vars[i].label, *sets ? sets : "(as the experiment)");
		g_free(sets);
	}
}

char **grid_split_list(const char *s)
{
	char **parts = g_strsplit(s, ";", -1);
	GPtrArray *a = g_ptr_array_new();
	for (char **q = parts; *q; q++)
		if (*g_strstrip(*q))
			g_ptr_array_add(a, g_strdup(*q));
	g_ptr_array_add(a, NULL);
	g_strfreev(parts);
	return (char **)g_ptr_array_free(a, FALSE);
}
