#include "cmd/exp.h"

#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "models/scenario.h"

cfg *exp_load(const char *path, const exp_opts *o, GError **err)
{
	GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
	cfg *c = scn_load(path, o->sysctls, o->sets, notes, err);
	bool chose = false;  /* a host file chose a profile */
	for (guint i = 0; c && i < notes->len; i++) {  /* bad input: its one message only */
		const char *n = g_ptr_array_index(notes, i);
		fprintf(stderr, "connsim: %s\n", n);
		chose = chose || (strstr(n, ": kernel.osrelease ") && strstr(n, "(override with --profile"));
	}
	/* exp_profile applies it later, over what the files chose */
	if (chose && o->profile)
		fprintf(stderr, "connsim: --profile %s wins over the profiles the sysctl files select\n", o->profile);
	g_ptr_array_free(notes, TRUE);
	return c;
}

bool exp_profile(cfg *c, const exp_opts *o, GError **err)
{
	return !o->profile || scn_set_profile(c, o->profile, "--profile", err);
}

bool exp_seed(const cfg *c, const char *seed_opt, guint64 *seed, GError **err)
{
	*seed = (guint64)cfg_int(c, "experiment", "seed");
	if (seed_opt && !g_ascii_string_to_unsigned(seed_opt, 10, 0, G_MAXUINT64, seed, NULL)) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT, "--seed '%s': expected an integer >= 0", seed_opt);
		return false;
	}
	return true;
}

char *exp_out_dir(const char *path, const char *out)
{
	if (out)
		return g_strdup(out);
	char *base = g_path_get_basename(path), *dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = 0;
	char *dir = g_build_filename("out", base, NULL);
	g_free(base);
	return dir;
}

void exp_provenance(GString *h, const char *what)
{
	g_string_append_printf(h, "connsim %s: %s\ncommand: %s\n", connsim_version(), what, cmd_command_line());
}

void exp_opts_add(GOptionContext *ctx, exp_opts *o, const char *set_help)
{
	const GOptionEntry entries[] = {
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &o->seed, "Master seed (default: [experiment] seed)", "N" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out, "Output directory (default: out/NAME)", "DIR" },
		{ "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o->sets, set_help, "KEY=VALUE" },
		{ "sysctl", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->sysctls,
		  "Load a sysctl.conf or `sysctl -a` file for every host, or for one: client:FILE, server:FILE, nat:FILE, firewall:FILE (a `sysctl -a` also sets the profile, memory and ehash size)", "FILE" },
		{ "profile", 'p', 0, G_OPTION_ARG_STRING, &o->profile,
		  "Kernel profile of every host (connsim profiles lists them)", "NAME" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress on stderr", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_option_context_add_main_entries(ctx, entries, NULL);  /* copies the entries */
}

void exp_opts_clear(exp_opts *o)
{
	g_free(o->seed);
	g_free(o->out);
	g_free(o->profile);
	g_strfreev(o->sets);
	g_strfreev(o->sysctls);
	*o = (exp_opts){ 0 };
}
