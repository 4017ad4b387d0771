/*
 * connsim explain NAME: what a sysctl or a counter means, in connsim and in
 * the kernel.  The knowledge is models/lore.c's table; this file only prints
 * it, with each profile's default read from the profile table.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "models/kconf.h"
#include "models/scenario.h"
#include "models/lore.h"
#include "models/prof.h"
#include "sim/cfg.h"

#define WIDTH 78
#define INDENT "  "

/* Prints text wrapped at WIDTH: the first line indented by first, the others
 * by rest. */
static void para_hang(const char *text, const char *first, const char *rest)
{
	char **words = g_strsplit(text, " ", -1);
	size_t col = 0;
	const char *ind = first;
	for (char **w = words; *w; w++) {
		size_t len = strlen(*w);
		if (!len)
			continue;
		if (col && col + 1 + len > WIDTH) {
			fputc('\n', stdout);
			col = 0;
			ind = rest;
		}
		if (!col) {
			fputs(ind, stdout);
			col = strlen(ind);
		} else {
			fputc(' ', stdout);
			col++;
		}
		fputs(*w, stdout);
		col += len;
	}
	if (col)
		fputc('\n', stdout);
	g_strfreev(words);
}

static void para(const char *text)
{
	para_hang(text, INDENT, INDENT);
}

static void section(const char *title, const char *text)
{
	if (!text)
		return;
	printf("%s\n", title);
	para(text);
}

/* One myth a line, each as "- myth". */
static void myths(const char *text)
{
	if (!text)
		return;
	printf("Myths\n");
	char **items = g_strsplit(text, "\n", -1);
	for (char **m = items; *m; m++)
		para_hang(*m, INDENT "- ", INDENT "  ");
	g_strfreev(items);
}

static const char *type_name(const cfg_key *k)
{
	switch (k->type) {
	case CFG_BOOL: return "boolean 0/1";
	case CFG_RANGE: return "two ports, low high";
	case CFG_PORTS: return "port list, e.g. 8080,9000-9010";
	default: return NULL;
	}
}

static void explain_sysctl(const lore *l)
{
	printf("%s  (sysctl)\n\n", l->name);
	section("What it does", l->what);
	section("Kernel", l->kernel);

	printf("Default per profile (models/prof.c; connsim profiles)\n");
	size_t n;
	const prof *p = prof_all(&n);
	for (size_t i = 0; i < n; i++, p++) {
		char *d = lore_profile_default(l, p);
		printf("%s%-9s %s\n", INDENT, p->name, d ? d : "(not in this kernel: setting it is an input error)");
		g_free(d);
	}

	const cfg_key *k = lore_schema_key(l);
	if (k) {
		const char *t = type_name(k);
		char *v = t ? g_strdup(t) : g_strdup_printf("integer %.0f-%.0f", k->min, k->max);
		char *line = g_strdup_printf("%s; %s", v, k->help);
		section("Values (connsim keys)", line);
		g_free(line);
		g_free(v);
	}
	section("History", l->history);
	myths(l->myths);

	GString *legacy = g_string_new(NULL);
	for (const cfg_alias *a = scn_aliases(); a->old_name; a++)
		if (!strcmp(a->new_name, l->name))
			g_string_append_printf(legacy, "%s%s", legacy->len ? ", " : "", a->old_name);
	if (legacy->len)
		section("Also accepted as", legacy->str);
	g_string_free(legacy, TRUE);

	section("Shown by", l->shown_by ? l->shown_by : "no experiment in experiments/ varies it");
	section("See", l->rules);
}

static void explain_setting(const lore *l)
{
	printf("%s  (setting)\n\n", l->name);
	section("What it does (connsim)", l->what);
	section("Source", l->kernel);
	const cfg_key *k = lore_schema_key(l);
	if (k) {
		char *line = g_strdup_printf("default %s; %s", k->def ? k->def : "none", k->help);
		section("Values (connsim keys)", line);
		g_free(line);
	}
	myths(l->myths);
	section("Shown by", l->shown_by ? l->shown_by : "no experiment in experiments/ varies it");
}

static void explain_counter(const lore *l)
{
	printf("%s  (counter)\n\n", l->name);
	section("What counts it (connsim)", l->what);
	section("Kernel", l->kernel);
	if (l->nstat) {
		section("nstat", l->nstat);
		bool ext = g_str_has_prefix(l->nstat, "TcpExt");
		const char *field = l->nstat + (ext ? 6 : 3);
		char *s = l->netstat ? g_strdup_printf("\"%s\" (section %s:)", l->netstat, ext ? "TcpExt" : "Tcp")
				     : g_strdup_printf("no sentence of its own: printed as \"%s: N\" under TcpExt:", field);
		section("netstat -s", s);
		g_free(s);
	} else if (l->conntrack_s) {
		section("nstat", "none: conntrack statistics are per CPU in /proc/net/stat/nf_conntrack");
	} else {
		section("nstat", "none: connsim's own count, no kernel counter");
	}
	if (l->conntrack_s) {
		char *s = g_strdup_printf("%s (per CPU; connsim sums them per box)", l->conntrack_s);
		section("conntrack -S", s);
		g_free(s);
	}
	section("connsim columns", l->columns);
	section("History", l->history);
	myths(l->myths);
	section("Shown by", l->shown_by);
	section("See", l->rules);
}

static void list_all(void)
{
	size_t n;
	const lore *all = lore_all(&n);
	printf("Sysctls:\n");
	for (size_t i = 0; i < n; i++)
		if (all[i].kind == LORE_SYSCTL)
			printf("%s%s\n", INDENT, all[i].name);
	printf("\nLegacy sysctl names:\n");
	for (const cfg_alias *a = scn_aliases(); a->old_name; a++)
		printf("%s%s -> %s\n", INDENT, a->old_name, a->new_name);
	printf("\nCounters:\n");
	for (size_t i = 0; i < n; i++)
		if (all[i].kind == LORE_COUNTER)
			printf("%s%s\n", INDENT, all[i].name);
	printf("\nGateway settings:\n");
	for (size_t i = 0; i < n; i++)
		if (all[i].kind == LORE_SETTING)
			printf("%s%s\n", INDENT, all[i].name);
	printf("\nSysctls are also found without their net.ipv4. or net.netfilter. prefix, counters\n"
	       "under their column names (client.TcpExtTW, nat.ct.insert_failed) and /proc names (TW).\n");
}

/* The distance from name to an entry: to its full name, or to its last
 * dotted component (so "tcp_tw_reus" is near net.ipv4.tcp_tw_reuse). */
static size_t entry_distance(const char *name, const lore *l)
{
	size_t d = cfg_edit_distance(name, l->name);
	const char *dot = strrchr(l->name, '.');
	if (dot && l->kind == LORE_SYSCTL) {
		size_t d2 = cfg_edit_distance(name, dot + 1);
		if (d2 < d)
			d = d2;
	}
	return d;
}

static void unknown(const char *name)
{
	size_t n;
	const lore *all = lore_all(&n);
	size_t best = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size_t d = entry_distance(name, &all[i]);
		if (d < best)
			best = d;
	}
	size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
	GString *msg = g_string_new(NULL);
	g_string_printf(msg, "connsim explain: unknown name '%s'", name);
	if (best <= limit) {
		unsigned shown = 0;
		g_string_append(msg, "; did you mean ");
		for (size_t i = 0; i < n && shown < 3; i++)
			if (entry_distance(name, &all[i]) == best)
				g_string_append_printf(msg, "%s%s", shown++ ? ", " : "", all[i].name);
		g_string_append(msg, "?");
	}
	g_string_append(msg, " (connsim explain --list shows every name)");
	fprintf(stderr, "%s\n", msg->str);
	g_string_free(msg, TRUE);
}

int cmd_explain(int argc, char **argv)
{
	gboolean list = FALSE;
	GOptionEntry entries[] = {
		{ "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List every name connsim can explain, grouped", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("NAME - what a sysctl or a counter means");
	g_option_context_set_summary(ctx,
		"Explains a sysctl connsim models (what it does, the kernel function behind it, its\n"
		"default in every profile, its history, the myths about it, the experiments that\n"
		"show it) or a counter it reports (what increments it, in connsim and in the kernel,\n"
		"its nstat name, its netstat -s sentence or conntrack -S field, connsim's column).");
	g_option_context_set_description(ctx,
		"Examples:\n"
		"  connsim explain net.ipv4.tcp_tw_reuse\n"
		"  connsim explain tcp_fin_timeout\n"
		"  connsim explain net.ipv4.netfilter.ip_conntrack_max\n"
		"  connsim explain TcpExtTWRecycled\n"
		"  connsim explain insert_failed\n"
		"  connsim explain --list\n"
		"\nExit status: 0 success, 2 usage error or unknown name.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *err = NULL;
	int rc = EXIT_USAGE;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "connsim explain: %s (see connsim explain --help)\n", err->message);
		g_error_free(err);
		goto done;
	}
	if (list && argc == 1) {
		list_all();
		rc = EXIT_OK;
		goto done;
	}
	if (list || argc != 2) {
		fprintf(stderr, "usage: connsim explain NAME | --list (see connsim explain --help)\n");
		goto done;
	}
	const lore *l = lore_find(argv[1]);
	if (!l) {
		unknown(argv[1]);
		goto done;
	}
	if (l->kind == LORE_SYSCTL)
		explain_sysctl(l);
	else if (l->kind == LORE_SETTING)
		explain_setting(l);
	else
		explain_counter(l);
	rc = EXIT_OK;
done:
	g_option_context_free(ctx);
	return rc;
}
