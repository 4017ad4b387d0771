/*
 * Provenance: what every output's '#' header says about where it came from.
 */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "cmd/cmd.h"

static char *command_line;

const char *connsim_version(void)
{
	return CONNSIM_VERSION;
}

void cmd_set_command_line(int argc, char **argv)
{
	GString *s = g_string_new(NULL);
	for (int i = 0; i < argc; i++) {
		/* quote only what a shell would split or expand */
		const char *a = argv[i];
		bool plain = *a != 0;
		for (const char *p = a; *p && plain; p++)
			plain = g_ascii_isalnum(*p) || strchr("-_./=:,+@%^", *p);
		char *q = plain ? g_strdup(a) : g_shell_quote(a);
		g_string_append_printf(s, "%s%s", i ? " " : "", q);
		g_free(q);
	}
	g_free(command_line);
	command_line = g_string_free(s, FALSE);
}

const char *cmd_command_line(void)
{
	return command_line ? command_line : "";
}
