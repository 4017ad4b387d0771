/* connsim keys [--markdown]: the experiment-file schema, for humans and the README. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "models/scenario.h"

static const char *type_name(cfg_type t)
{
	switch (t) {
	case CFG_INT: return "integer";
	case CFG_DOUBLE: return "number";
	case CFG_TIME: return "duration";
	case CFG_BOOL: return "boolean";
	case CFG_ENUM: return "choice";
	case CFG_STRING: return "string";
	case CFG_RANGE: return "low high";
	case CFG_PORTS: return "port list";
	case CFG_LIST: return "list";
	}
	return "?";
}

int cmd_keys(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: connsim keys [--markdown]\n\nLists every key an experiment file may set, section by "
		       "section, with its type,\ndefault and meaning; --markdown prints a table.\n");
		return EXIT_OK;
	}
	bool md = argc == 2 && !strcmp(argv[1], "--markdown");
	if (argc > 2 || (argc == 2 && !md)) {
		fprintf(stderr, "usage: connsim keys [--markdown]\n");
		return EXIT_USAGE;
	}
	const char *last = "";
	if (md)
		printf("| section | key | type | default | meaning |\n|---|---|---|---|---|\n");
	for (const cfg_key *k = scn_schema(); k->name; k++) {
		char *def = g_strdup(k->def ? (*k->def ? k->def : "(empty)") : "(profile/derived)");
		char *type = k->type == CFG_ENUM ? g_strdelimit(g_strdup(k->choices), "|", '/') : g_strdup(type_name(k->type));
		if (md) {
			printf("| %s | `%s` | %s | %s | %s |\n", k->section, k->name, type, def, k->help);
		} else {
			if (strcmp(last, k->section))
				printf("%s[%s]\n", *last ? "\n" : "", k->section);
			printf("  %-36s %-16s default %-18s %s\n", k->name, type, def, k->help);
		}
		last = k->section;
		g_free(def);
		g_free(type);
	}
	if (!md)
		printf("\nSysctl keys also go in [client.sysctl] and [server.sysctl], which override [sysctl].\n");
	return EXIT_OK;
}
