/*
 * Configuration loading and validation.
 *
 * GKeyFile parses experiment files; a line scan beside it records where each
 * group and key stands, because GKeyFile keeps no line numbers and every
 * message must name the line.  Other sources (files in a grammar of their
 * own, command-line overrides) are parsed by the caller and stored with
 * cfg_put, each value with its file, line and priority layer.
 */
#include "sim/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(connsim-cfg-error-quark, cfg_error)

typedef struct val {
	char *section, *key, *text;
	char *file;  /* "--set" for overrides */
	int line;
	int layer;
	unsigned order;
} val;

struct cfg {
	const cfg_key *keys;
	const cfg_alias *aliases;
	char *scope;           /* "S": section X.S reads schema [S], falls back to [S] */
	GHashTable *vals;      /* "section\nkey" -> val* */
	GPtrArray *sections;   /* char*, order of appearance */
	char *base_dir;
	unsigned order;
};

static void val_free(gpointer p)
{
	val *v = p;
	g_free(v->section);
	g_free(v->key);
	g_free(v->text);
	g_free(v->file);
	g_free(v);
}

cfg *cfg_new(const cfg_key *keys, const cfg_alias *aliases, const char *scope)
{
	cfg *c = g_new0(cfg, 1);
	c->keys = keys;
	c->aliases = aliases;
	c->scope = g_strdup(scope);
	c->vals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, val_free);
	c->sections = g_ptr_array_new_with_free_func(g_free);
	c->base_dir = g_strdup(".");
	return c;
}

void cfg_free(cfg *c)
{
	if (!c)
		return;
	g_hash_table_destroy(c->vals);
	g_ptr_array_free(c->sections, TRUE);
	g_free(c->base_dir);
	g_free(c->scope);
	g_free(c);
}

const cfg_key *cfg_schema(const cfg *c)
{
	return c->keys;
}

const char *cfg_base_dir(const cfg *c)
{
	return c->base_dir;
}

const GPtrArray *cfg_sections(const cfg *c)
{
	return c->sections;
}

/* Whether section is "X.S" for the scope S (not S itself). */
static bool is_scoped(const cfg *c, const char *section)
{
	size_t n = strlen(section), m = c->scope ? strlen(c->scope) : 0;
	return m && n > m + 1 && section[n - m - 1] == '.' && !strcmp(section + n - m, c->scope);
}

/* "X.S" and "S" both use the schema section "S". */
static const char *schema_section(const cfg *c, const char *section)
{
	return is_scoped(c, section) ? c->scope : section;
}

/* The section a scoped one falls back to, or NULL. */
static const char *fallback_of(const cfg *c, const char *section)
{
	return is_scoped(c, section) ? c->scope : NULL;
}

/* The position of word in list "a|b|c" (0, 1, 2), or -1. */
static int choice_index(const char *list, const char *word)
{
	size_t n = strlen(word);
	int i = 0;
	for (const char *p = list; *p; i++) {
		const char *e = strchr(p, '|');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, word, n))
			return i;
		if (!e)
			break;
		p = e + 1;
	}
	return -1;
}

static bool section_matches(const char *list, const char *section)
{
	return choice_index(list, section) >= 0;
}

static bool section_known(const cfg *c, const char *section)
{
	const char *s = schema_section(c, section);
	if (is_scoped(c, section)) {
		/* "X.S": X must be a section of its own, not itself scoped. */
		char *host = g_strndup(section, strlen(section) - strlen(c->scope) - 1);
		bool ok = strcmp(host, c->scope) && !is_scoped(c, host) && section_known(c, host);
		g_free(host);
		if (!ok)
			return false;
	}
	for (const cfg_key *k = c->keys; k->name; k++)
		if (section_matches(k->section, s))
			return true;
	return false;
}

const cfg_key *cfg_schema_find(const cfg *c, const char *section, const char *key)
{
	const char *s = schema_section(c, section);
	for (const cfg_key *k = c->keys; k->name; k++)
		if (section_matches(k->section, s) && !strcmp(k->name, key))
			return k;
	return NULL;
}

/* An alias applies where its new name is a key of the section. */
const char *cfg_alias_of(const cfg *c, const char *section, const char *key)
{
	if (!c->aliases)
		return key;
	for (const cfg_alias *a = c->aliases; a->old_name; a++)
		if (!strcmp(a->old_name, key))
			return cfg_schema_find(c, section, a->new_name) ? a->new_name : key;
	return key;
}

static char *hkey(const char *section, const char *key)
{
	return g_strconcat(section, "\n", key, NULL);
}

static char *where(const char *file, int line)
{
	if (!file)
		return g_strdup("(default)");
	if (line > 0)
		return g_strdup_printf("%s:%d", file, line);
	return g_strdup(file);
}

/* ---- value parsing ---------------------------------------------------- */

/* Whether a number in s looks hexadecimal ("0x10", which strtod takes) or
 * octal ("010", which a C reader or the kernel's own parser would read as
 * 8): the format has decimal numbers only, and a reader that took either
 * silently would run an experiment other than the one meant.  A number
 * starts at the beginning of s, after a blank or a comma, or after the '-'
 * of a port range "a-b" (not the '-' of an exponent "1e-05"). */
static bool looks_nondecimal(const char *s)
{
	for (const char *p = s; *p; p++) {
		bool start;
		if (p == s)
			start = true;
		else if (p[-1] == ' ' || p[-1] == '\t' || p[-1] == ',')
			start = true;
		else if (p[-1] == '-' && p - s >= 2 && g_ascii_isdigit(p[-2]))
			start = true;
		else
			start = false;
		if (!start)
			continue;
		const char *q = p;
		if (*q == '+' || *q == '-')
			q++;
		if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X' || g_ascii_isdigit(q[1])))
			return true;
	}
	return false;
}

static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	while (g_ascii_isspace(*s))
		s++;
	if (!*s || looks_nondecimal(s))
		return false;
	long long v = strtoll(s, &end, 10);
	while (g_ascii_isspace(*end))
		end++;
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	while (g_ascii_isspace(*s))
		s++;
	if (!*s || looks_nondecimal(s))
		return false;
	double v = g_ascii_strtod(s, &end);
	while (g_ascii_isspace(*end))
		end++;
	if (*end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* The largest duration (ns) a uint64_t holds with a margin: about 570 years. */
#define TIME_MAX_NS 1.8e19

/* A duration's number and unit: "2.5m" is 2.5 and 60e9 ns named "m".  A
 * bare number is in seconds. */
static bool split_time(const char *s, double *v, double *unit, const char **uname)
{
	char *end;
	while (g_ascii_isspace(*s))
		s++;
	if (!*s || looks_nondecimal(s))
		return false;
	*v = g_ascii_strtod(s, &end);
	if (end == s || !isfinite(*v) || *v < 0)
		return false;
	while (g_ascii_isspace(*end))
		end++;
	static const struct {
		const char *name;
		double ns;
	} units[] = { { "s", 1e9 },    { "ms", 1e6 },    { "us", 1e3 }, { "ns", 1 },
		      { "m", 60e9 },   { "min", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 } };
	if (!*end) {
		*unit = 1e9;
		*uname = "s";
		return true;
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(units); i++)
		if (!strcmp(end, units[i].name)) {
			*unit = units[i].ns;
			*uname = units[i].name;
			return true;
		}
	return false;
}

bool cfg_parse_time(const char *s, uint64_t *ns)
{
	double v, unit;
	const char *uname;
	if (!split_time(s, &v, &unit, &uname))
		return false;
	double t = v * unit;
	if (t > TIME_MAX_NS)
		return false;
	*ns = (uint64_t)round(t);  /* not llround: t may exceed LLONG_MAX */
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "1", "true", "yes", "on" }, *no[] = { "0", "false", "no", "off" };
	for (unsigned i = 0; i < 4; i++) {
		if (!g_ascii_strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!g_ascii_strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_range(const char *s, int64_t *lo, int64_t *hi)
{
	char **w = g_strsplit_set(s, " \t", -1);
	int64_t v[2];
	unsigned n = 0;
	bool ok = true;
	for (char **p = w; *p && ok; p++) {
		if (!**p)
			continue;
		if (n == 2 || !parse_int(*p, &v[n]))
			ok = false;
		else
			n++;
	}
	g_strfreev(w);
	if (!ok || n != 2)
		return false;
	*lo = v[0];
	*hi = v[1];
	return true;
}

/* Marks each "a" or "a-b" item in bitmap (if given); false on a bad item. */
static bool parse_ports(const char *s, double min, double max, uint8_t *bitmap, unsigned *count,
			char **bad)
{
	char **items = g_strsplit_set(s, ", \t", -1);
	bool ok = true;
	*count = 0;
	for (char **p = items; *p && ok; p++) {
		if (!**p)
			continue;
		int64_t a, b;
		char *dash = strchr(*p, '-');
		if (dash) {
			*dash = 0;
			ok = parse_int(*p, &a) && parse_int(dash + 1, &b) && a <= b;
			*dash = '-';
		} else {
			ok = parse_int(*p, &a);
			b = a;
		}
		if (ok && (a < min || b > max))
			ok = false;
		if (!ok) {
			*bad = g_strdup(*p);
			break;
		}
		for (int64_t x = a; x <= b; x++) {
			if (bitmap && !(bitmap[x >> 3] & (1u << (x & 7)))) {
				bitmap[x >> 3] |= (uint8_t)(1u << (x & 7));
				(*count)++;
			}
		}
	}
	g_strfreev(items);
	return ok;
}

static char *fmt_num(double x)
{
	if (x == floor(x) && fabs(x) < 1e15)
		return g_strdup_printf("%.0f", x);
	return g_strdup_printf("%g", x);
}

/* A duration in seconds with the largest unit that leaves a number >= 1:
 * "1 us", not "1e-06 s". */
static char *fmt_dur(double sec)
{
	static const struct {
		const char *name;
		double s;
	} units[] = { { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }, { "ms", 1e-3 }, { "us", 1e-6 },
		      { "ns", 1e-9 } };
	if (sec <= 0)
		return g_strdup("0 s");
	for (unsigned i = 0; i < G_N_ELEMENTS(units); i++) {
		double v = sec / units[i].s;
		if (v >= 1 && (v == floor(v) || units[i].s <= 1))
			return g_strdup_printf("%.6g %s", v, units[i].name);
	}
	return g_strdup_printf("%.6g ns", sec * 1e9);
}

/* What the key accepts, for messages: "an integer in [1, 65535]". */
static char *expected(const cfg_key *k)
{
	char *lo = fmt_num(k->min), *hi = fmt_num(k->max), *r;
	bool has_max = k->max > k->min;
	switch (k->type) {
	case CFG_INT:
		r = has_max ? g_strdup_printf("an integer in [%s, %s]", lo, hi)
			    : g_strdup_printf("an integer >= %s", lo);
		break;
	case CFG_DOUBLE:
		r = has_max ? g_strdup_printf("a number in [%s, %s]", lo, hi)
			    : g_strdup_printf("a number >= %s", lo);
		break;
	case CFG_TIME: {
		char *dlo = fmt_dur(k->min), *dhi = fmt_dur(k->max);
		r = has_max ? g_strdup_printf("a duration in [%s, %s] such as 60s, 250ms, 2m", dlo, dhi)
			    : g_strdup_printf("a duration >= %s such as 60s, 250ms, 2m", dlo);
		g_free(dlo);
		g_free(dhi);
		break;
	}
	case CFG_BOOL:
		r = g_strdup("true or false (also yes/no, on/off, 1/0)");
		break;
	case CFG_ENUM: {
		char *alts = g_strdup(k->choices);
		g_strdelimit(alts, "|", ',');
		r = g_strdup_printf("one of: %s", alts);
		g_free(alts);
		break;
	}
	case CFG_STRING:
		r = g_strdup("a string");
		break;
	case CFG_RANGE:
		r = g_strdup_printf("two integers 'low high' with %s <= low <= high <= %s", lo, hi);
		break;
	case CFG_PORTS:
		r = g_strdup_printf("a list of ports or ranges in [%s, %s] such as 8080,9000-9010", lo, hi);
		break;
	case CFG_LIST:
	default:
		r = g_strdup("a comma-separated list");
		break;
	}
	g_free(lo);
	g_free(hi);
	return r;
}

/* Checks text against k; on failure, a reason (else NULL). */
static char *check_value(const cfg_key *k, const char *text)
{
	int64_t i, lo, hi;
	double d;
	uint64_t ns;
	bool b;
	unsigned n;
	char *bad = NULL;
	bool has_max = k->max > k->min;
	if ((k->type == CFG_INT || k->type == CFG_DOUBLE || k->type == CFG_TIME || k->type == CFG_RANGE ||
	     k->type == CFG_PORTS) &&
	    looks_nondecimal(text)) {
		char *e = expected(k);
		char *r = g_strdup_printf("expected a decimal number (no 0x or leading 0): %s", e);
		g_free(e);
		return r;
	}
	if (k->type == CFG_TIME) {
		/* Over the limit: say the limit in the unit given ("<= 10 s" for
		 * "20s", "<= 1.8e+10 s" past what fits in 64 bits of ns). */
		double v, unit, lim = has_max ? k->max * 1e9 : TIME_MAX_NS;
		const char *uname;
		if (split_time(text, &v, &unit, &uname) && v * unit > lim)
			return g_strdup_printf("expected a duration <= %.6g %s", lim / unit, uname);
	}
	switch (k->type) {
	case CFG_INT:
		if (parse_int(text, &i) && i >= k->min && (!has_max || i <= k->max))
			return NULL;
		break;
	case CFG_DOUBLE:
		if (parse_double(text, &d) && d >= k->min && (!has_max || d <= k->max))
			return NULL;
		break;
	case CFG_TIME:
		if (cfg_parse_time(text, &ns) && ns >= k->min * 1e9 && (!has_max || ns <= k->max * 1e9))
			return NULL;
		break;
	case CFG_BOOL:
		if (parse_bool(text, &b))
			return NULL;
		break;
	case CFG_ENUM:
		if (*text && section_matches(k->choices, text))
			return NULL;
		break;
	case CFG_STRING:
	case CFG_LIST:
		return NULL;
	case CFG_RANGE:
		if (parse_range(text, &lo, &hi)) {
			if (lo > hi) {
				char *e = expected(k);
				char *r = g_strdup_printf("the range is upside down (%lld > %lld); expected %s",
							  (long long)lo, (long long)hi, e);
				g_free(e);
				return r;
			}
			if (lo >= k->min && hi <= k->max)
				return NULL;
		}
		break;
	case CFG_PORTS:
		if (parse_ports(text, k->min, k->max, NULL, &n, &bad))
			return NULL;
		{
			char *e = expected(k), *r = g_strdup_printf("bad item '%s'; expected %s", bad, e);
			g_free(e);
			g_free(bad);
			return r;
		}
	}
	char *e = expected(k), *r = g_strdup_printf("expected %s", e);
	g_free(e);
	return r;
}

/* ---- storing values --------------------------------------------------- */

static void note_section(cfg *c, const char *section)
{
	for (guint i = 0; i < c->sections->len; i++)
		if (!strcmp(g_ptr_array_index(c->sections, i), section))
			return;
	g_ptr_array_add(c->sections, g_strdup(section));
}

static bool same_ci(char x, char y)
{
	return g_ascii_tolower(x) == g_ascii_tolower(y);
}

unsigned cfg_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), w = m + 1;
	unsigned *d = g_new(unsigned, (n + 1) * w);
	for (size_t i = 0; i <= n; i++)
		for (size_t j = 0; j <= m; j++) {
			if (!i || !j) {
				d[i * w + j] = (unsigned)(i + j);
				continue;
			}
			unsigned best = MIN(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1);
			best = MIN(best, d[(i - 1) * w + j - 1] + !same_ci(a[i - 1], b[j - 1]));
			if (i > 1 && j > 1 && same_ci(a[i - 1], b[j - 2]) && same_ci(a[i - 2], b[j - 1]))
				best = MIN(best, d[(i - 2) * w + j - 2] + 1);
			d[i * w + j] = best;
		}
	unsigned r = d[n * w + m];
	g_free(d);
	return r;
}

static char *suggest_key(const cfg *c, const char *section, const char *key)
{
	const char *s = schema_section(c, section), *best = NULL;
	unsigned bd = 4;
	for (const cfg_key *k = c->keys; k->name; k++) {
		if (!section_matches(k->section, s))
			continue;
		unsigned d = cfg_edit_distance(k->name, key);
		if (d < bd) {
			bd = d;
			best = k->name;
		}
	}
	return best ? g_strdup_printf("; did you mean '%s'?", best) : g_strdup("");
}

static char *known_sections(const cfg *c)
{
	GString *s = g_string_new(NULL);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (const cfg_key *k = c->keys; k->name; k++) {
		char **parts = g_strsplit(k->section, "|", -1);
		for (char **p = parts; *p; p++) {
			if (g_hash_table_contains(seen, *p))
				continue;
			g_hash_table_add(seen, (char *)g_intern_string(*p));
			g_string_append_printf(s, "%s[%s]", s->len ? ", " : "", *p);
		}
		g_strfreev(parts);
	}
	g_hash_table_destroy(seen);
	return g_string_free(s, FALSE);
}

/* Validates and stores; file/line for provenance and messages. */
static bool store(cfg *c, const char *section, const char *key_in, const char *text, const char *file,
		  int line, int layer, GError **err)
{
	const char *key = section_known(c, section) ? cfg_alias_of(c, section, key_in) : key_in;
	char *at = where(file, line);
	if (!section_known(c, section)) {
		char *ks = known_sections(c);
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: unknown section [%s]; expected one of %s",
			    at, section, ks);
		g_free(ks);
		g_free(at);
		return false;
	}
	const cfg_key *k = cfg_schema_find(c, section, key);
	if (!k) {
		char *hint = suggest_key(c, section, key);
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: unknown key '%s' in [%s]%s", at, key_in,
			    section, hint);
		g_free(hint);
		g_free(at);
		return false;
	}
	char *why = check_value(k, text);
	if (why) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: [%s] %s = '%s': %s", at, section, key_in, text,
			    why);
		g_free(why);
		g_free(at);
		return false;
	}
	g_free(at);
	char *hk = hkey(section, key);
	val *old = g_hash_table_lookup(c->vals, hk);
	if (old && old->layer > layer) {
		g_free(hk);
		return true;
	}
	val *v = g_new0(val, 1);
	v->section = g_strdup(section);
	v->key = g_strdup(key);
	v->text = g_strstrip(g_strdup(text));
	v->file = g_strdup(file);
	v->line = line;
	v->layer = layer;
	v->order = old ? old->order : c->order++;
	g_hash_table_replace(c->vals, hk, v);
	note_section(c, section);
	return true;
}

/* ---- experiment files --------------------------------------------------- */

typedef struct linemap {
	GHashTable *keys;    /* "section\nkey" -> line (GINT_TO_POINTER) */
	GHashTable *groups;  /* section -> line */
} linemap;

static bool is_blank_or_comment(const char *l)
{
	while (g_ascii_isspace(*l))
		l++;
	return !*l || *l == '#' || *l == ';';
}

/* Scans the text once for line numbers and for the syntax errors GKeyFile
 * would report without a line. */
static bool scan_lines(const char *path, const char *text, linemap *m, GError **err)
{
	char **lines = g_strsplit(text, "\n", -1);
	char *group = NULL;
	bool ok = true;
	for (int i = 0; lines[i] && ok; i++) {
		char *l = g_strstrip(g_strdup(lines[i]));
		int ln = i + 1;
		if (is_blank_or_comment(l)) {
			/* nothing */
		} else if (*l == '[') {
			char *close = strchr(l, ']');
			if (!close || close[1] || close == l + 1) {
				g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
					    "%s:%d: malformed section header '%s'; expected [name]", path, ln, l);
				ok = false;
			} else {
				g_free(group);
				group = g_strndup(l + 1, (gsize)(close - l - 1));
				if (!g_hash_table_contains(m->groups, group))
					g_hash_table_insert(m->groups, g_strdup(group), GINT_TO_POINTER(ln));
			}
		} else {
			char *eq = strchr(l, '=');
			if (!eq || eq == l) {
				g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
					    "%s:%d: '%s' is not 'key = value', a [section] or a comment", path, ln, l);
				ok = false;
			} else if (!group) {
				char *key = g_strstrip(g_strndup(l, (gsize)(eq - l)));
				g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
					    "%s:%d: key '%s' outside any section; put it under a [section] header",
					    path, ln, key);
				g_free(key);
				ok = false;
			} else {
				char *key = g_strstrip(g_strndup(l, (gsize)(eq - l)));
				char *hk = hkey(group, key);
				int first = GPOINTER_TO_INT(g_hash_table_lookup(m->keys, hk));
				if (strchr(key, '[')) {
					/* GKeyFile's localised "key[de]": no such thing here,
					 * and GKeyFile would hide it from the key list. */
					g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
						    "%s:%d: [%s] %s: a localised key (key[locale]) is not part of the "
						    "format; write the key without brackets",
						    path, ln, group, key);
					ok = false;
					g_free(hk);
				} else if (first) {
					/* GKeyFile would keep the last silently. */
					g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
						    "%s:%d: [%s] %s is given twice (first at line %d); give each key once",
						    path, ln, group, key, first);
					ok = false;
					g_free(hk);
				} else {
					g_hash_table_insert(m->keys, hk, GINT_TO_POINTER(ln));
				}
				g_free(key);
			}
		}
		g_free(l);
	}
	g_free(group);
	g_strfreev(lines);
	return ok;
}

/* What fstat says a file that is not a regular file is, for messages. */
static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

static bool read_error(const char *path, int e, GError **err)
{
	g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: cannot read: %s", path, g_strerror(e));
	return false;
}

/* Only regular files, checked with fstat before reading a byte: /dev/zero
 * would be read until memory ran out and a FIFO with no writer would block
 * for ever (O_NONBLOCK: opening it returns at once).  Then the size cap, and
 * a UTF-8 byte-order mark (Windows editors write one) skipped. */
bool cfg_read_text(const char *path, char **text, GError **err)
{
	*text = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return read_error(path, errno, err);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return read_error(path, e, err);
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return read_error(path, EISDIR, err);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: cannot read: %s, not a regular file", path,
			    file_kind(st.st_mode));
		return false;
	}
	if (st.st_size > CFG_MAX_FILE_BYTES) {
		close(fd);
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: %lld bytes: larger than the %d MiB an input file may have",
			    path, (long long)st.st_size, CFG_MAX_FILE_BYTES >> 20);
		return false;
	}
	/* The file may grow while read: read one byte past the cap at most. */
	size_t cap = (size_t)CFG_MAX_FILE_BYTES + 1, len = 0, size = (size_t)st.st_size + 1;
	char *buf = g_malloc(size + 1);
	for (;;) {
		if (len == size) {
			if (size >= cap)
				break;
			size = MIN(size * 2, cap);
			buf = g_realloc(buf, size + 1);
		}
		ssize_t r = read(fd, buf + len, size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			g_free(buf);
			return read_error(path, e, err);
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > (size_t)CFG_MAX_FILE_BYTES) {
		g_free(buf);
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: larger than the %d MiB an input file may have", path,
			    CFG_MAX_FILE_BYTES >> 20);
		return false;
	}
	buf[len] = 0;
	if (strlen(buf) != len) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: contains a NUL byte; not a text file", path);
		g_free(buf);
		return false;
	}
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		memmove(buf, buf + 3, len - 2);
	*text = buf;
	return true;
}

/* scan_lines takes ';' lines for comments as INI files often do; GKeyFile knows
 * only '#', so it would reject them (without a line number) or read
 * "; a = b" as a key.  Make them '#' comments before GKeyFile sees them. */
static void semicolon_comments(char *text)
{
	bool bol = true;
	for (char *p = text; *p; p++) {
		if (*p == '\n') {
			bol = true;
			continue;
		}
		if (bol && *p == ';')
			*p = '#';
		if (!g_ascii_isspace(*p))
			bol = false;
	}
}

bool cfg_load_file(cfg *c, const char *path, int layer, GError **err)
{
	char *text;
	if (!cfg_read_text(path, &text, err))
		return false;
	bool ok = false;
	linemap m = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
	GKeyFile *kf = g_key_file_new();
	GError *e = NULL;
	char **groups = NULL;

	if (!scan_lines(path, text, &m, err))
		goto out;
	if (!g_hash_table_size(m.groups)) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
			    "%s: no sections: the file is empty or has only comments; an experiment needs at "
			    "least an [experiment] section",
			    path);
		goto out;
	}
	semicolon_comments(text);
	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &e)) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: %s", path, e->message);
		g_error_free(e);
		goto out;
	}
	g_free(c->base_dir);
	c->base_dir = g_path_get_dirname(path);

	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		int gline = GPOINTER_TO_INT(g_hash_table_lookup(m.groups, *g));
		if (!section_known(c, *g)) {
			char *ks = known_sections(c);
			g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s:%d: unknown section [%s]; expected one of %s",
				    path, gline, *g, ks);
			g_free(ks);
			goto out;
		}
		note_section(c, *g);
		char **keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; *k; k++) {
			char *hk = hkey(*g, *k);
			int line = GPOINTER_TO_INT(g_hash_table_lookup(m.keys, hk));
			g_free(hk);
			char *v = g_key_file_get_value(kf, *g, *k, &e);
			if (!v) {
				g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s:%d: [%s] %s: %s", path, line, *g, *k,
					    e->message);
				g_error_free(e);
				g_strfreev(keys);
				goto out;
			}
			/* GKeyFile keeps trailing blanks; "mode = open  " must be "open". */
			bool stored = store(c, *g, *k, g_strstrip(v), path, line, layer, err);
			g_free(v);
			if (!stored) {
				g_strfreev(keys);
				goto out;
			}
		}
		g_strfreev(keys);
	}
	ok = true;
out:
	g_strfreev(groups);
	g_key_file_free(kf);
	g_hash_table_destroy(m.keys);
	g_hash_table_destroy(m.groups);
	g_free(text);
	return ok;
}

/* ---- values from other sources ----------------------------------------- */

bool cfg_put(cfg *c, const char *section, const char *key, const char *value, const char *file, int line,
	     int layer, GError **err)
{
	char *text = g_strstrip(g_strdup(value));
	bool ok = store(c, section, key, text, file, line, layer, err);
	g_free(text);
	return ok;
}

bool cfg_set(cfg *c, const char *section, const char *key, const char *value, const char *origin, GError **err)
{
	return cfg_put(c, section, key, value, origin ? origin : "--set", 0, CFG_LAYER_SET, err);
}

bool cfg_set_arg(cfg *c, const char *arg, const char *origin, GError **err)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
			    "%s '%s': expected section.key=value, e.g. workload.rate=500", origin ? origin : "--set", arg);
		return false;
	}
	char *lhs = g_strstrip(g_strndup(arg, (gsize)(eq - arg)));
	char *section = NULL, *key = NULL;
	/* "S.key" and "X.S.key" for the scope S: the key itself may hold dots */
	char *mid = c->scope ? g_strdup_printf(".%s.", c->scope) : NULL;
	const char *in = mid ? strstr(lhs, mid) : NULL;
	if (mid && g_str_has_prefix(lhs, mid + 1)) {
		section = g_strdup(c->scope);
		key = g_strdup(lhs + strlen(mid) - 1);
	} else if (in) {
		section = g_strndup(lhs, (gsize)(in - lhs) + strlen(mid) - 1);
		key = g_strdup(in + strlen(mid));
	} else {
		const char *dot = strchr(lhs, '.');
		if (dot) {
			section = g_strndup(lhs, (gsize)(dot - lhs));
			key = g_strdup(dot + 1);
		}
	}
	g_free(mid);
	bool ok = false;
	if (!section)
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
			    "%s '%s': expected section.key=value, e.g. workload.rate=500", origin ? origin : "--set", arg);
	else
		ok = cfg_set(c, section, key, eq + 1, origin, err);
	g_free(section);
	g_free(key);
	g_free(lhs);
	return ok;
}

/* ---- reading ---------------------------------------------------------- */

static const cfg_key *need_key(const cfg *c, const char *section, const char *key)
{
	const cfg_key *k = cfg_schema_find(c, section, key);
	if (!k) {
		fprintf(stderr, "connsim: bug: key [%s] %s is not in the schema\n", section, key);
		abort();
	}
	return k;
}

static const val *lookup_own(const cfg *c, const char *section, const char *key)
{
	char *hk = hkey(section, key);
	const val *v = g_hash_table_lookup(c->vals, hk);
	g_free(hk);
	return v;
}

/* A scoped section X.S falls back to [S], which holds the values for every X. */
static const val *lookup(const cfg *c, const char *section, const char *key)
{
	const val *v = lookup_own(c, section, key);
	const char *fb = fallback_of(c, section);
	return v || !fb ? v : lookup_own(c, fb, key);
}

/* The text in force: given, else the schema default, else "". */
static const char *text_of(const cfg *c, const char *section, const char *key)
{
	const cfg_key *k = need_key(c, section, key);
	const val *v = lookup(c, section, key);
	if (v)
		return v->text;
	return k->def ? k->def : "";
}

bool cfg_has(const cfg *c, const char *section, const char *key)
{
	return lookup(c, section, key) != NULL;
}

int64_t cfg_int(const cfg *c, const char *section, const char *key)
{
	int64_t v = 0;
	parse_int(text_of(c, section, key), &v);
	return v;
}

double cfg_double(const cfg *c, const char *section, const char *key)
{
	double v = 0;
	parse_double(text_of(c, section, key), &v);
	return v;
}

uint64_t cfg_time(const cfg *c, const char *section, const char *key)
{
	uint64_t v = 0;
	cfg_parse_time(text_of(c, section, key), &v);
	return v;
}

bool cfg_bool(const cfg *c, const char *section, const char *key)
{
	bool v = false;
	parse_bool(text_of(c, section, key), &v);
	return v;
}

const char *cfg_str(const cfg *c, const char *section, const char *key)
{
	return text_of(c, section, key);
}

unsigned cfg_enum(const cfg *c, const char *section, const char *key)
{
	const cfg_key *k = need_key(c, section, key);
	const char *text = text_of(c, section, key);
	int i = k->type == CFG_ENUM ? choice_index(k->choices, text) : -1;
	if (i < 0) {
		fprintf(stderr, "connsim: bug: [%s] %s = '%s' is not one of its choices\n", section, key, text);
		abort();
	}
	return (unsigned)i;
}

void cfg_range(const cfg *c, const char *section, const char *key, int64_t *lo, int64_t *hi)
{
	*lo = *hi = 0;
	parse_range(text_of(c, section, key), lo, hi);
}

unsigned cfg_ports(const cfg *c, const char *section, const char *key, uint8_t bitmap[8192])
{
	const cfg_key *k = need_key(c, section, key);
	unsigned n = 0;
	char *bad = NULL;
	memset(bitmap, 0, 8192);
	parse_ports(text_of(c, section, key), k->min, k->max, bitmap, &n, &bad);
	g_free(bad);
	return n;
}

char **cfg_list(const cfg *c, const char *section, const char *key)
{
	char **parts = g_strsplit_set(text_of(c, section, key), ", \t", -1);
	GPtrArray *a = g_ptr_array_new();
	for (char **p = parts; *p; p++)
		if (**p)
			g_ptr_array_add(a, g_strdup(*p));
	g_ptr_array_add(a, NULL);
	g_strfreev(parts);
	return (char **)g_ptr_array_free(a, FALSE);
}

bool cfg_fail(GError **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(err, CFG_ERROR, CFG_ERROR_INPUT, msg);
	g_free(msg);
	return false;
}

void cfg_error(const cfg *c, const char *section, const char *key, GError **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	const val *v = lookup(c, section, key);
	char *at = v ? where(v->file, v->line) : g_strdup("(default)");
	g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "%s: [%s] %s = '%s': %s", at, v ? v->section : section,
		    key, v ? v->text : text_of(c, section, key), msg);
	g_free(at);
	g_free(msg);
}

bool cfg_origin(const cfg *c, const char *section, const char *key, const char **file, int *line, int *layer)
{
	const val *v = lookup(c, section, key);
	if (!v)
		return false;
	*file = v->file;
	*line = v->line;
	*layer = v->layer;
	return true;
}

static gint by_order(gconstpointer a, gconstpointer b)
{
	const val *x = *(const val *const *)a, *y = *(const val *const *)b;
	return x->order < y->order ? -1 : x->order > y->order;
}

void cfg_dump(const cfg *c, GString *out, const char *prefix)
{
	GPtrArray *all = g_ptr_array_new();
	GList *vs = g_hash_table_get_values(c->vals);
	for (GList *l = vs; l; l = l->next)
		g_ptr_array_add(all, l->data);
	g_list_free(vs);
	g_ptr_array_sort(all, by_order);
	for (guint i = 0; i < all->len; i++) {
		const val *v = g_ptr_array_index(all, i);
		char *at = where(v->file, v->line);
		g_string_append_printf(out, "%s%s.%s = %s   (%s)\n", prefix, v->section, v->key, v->text, at);
		g_free(at);
	}
	g_ptr_array_free(all, TRUE);
}
