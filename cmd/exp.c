#include "cmd/exp.h"

#include <stdio.h>
#include <string.h>

#include "models/kconf.h"
#include "models/world.h"

/* The [experiment] section: how a run is driven. */
static const cfg_key run_keys[] = {
	{ "experiment", "question", CFG_STRING, 0, 0, NULL, "", "the question the experiment answers" },
	{ "experiment", "duration", CFG_TIME, 0.000001, 0, NULL, "120s", "simulated time to run" },
	{ "experiment", "warmup", CFG_TIME, 0, 0, NULL, "0s",
	  "summary metrics count from this time (time series start at 0)" },
	{ "experiment", "sample", CFG_TIME, 0.000001, 0, NULL, "1s", "time-series sampling interval" },
	{ "experiment", "seed", CFG_INT, 0, 9.2e18, NULL, "1", "master seed (overridden by --seed)" },
	{ "sweep", "vary", CFG_STRING, 0, 0, NULL, "",
	  "the curve's grid, as --vary takes it; several separated by ';' (connsim sweep without --vary)" },
	{ "sweep", "reps", CFG_INT, 2, 100000, NULL, "10", "replications per point (connsim sweep without --reps)" },
	{ "sweep", "variants", CFG_STRING, 0, 0, NULL, "",
	  "curves of one figure, as --variant takes them: LABEL: KEY=VALUE & KEY=VALUE; several separated by ';'" },
	{ "sweep", "plot", CFG_STRING, 0, 0, NULL, "conn.fail_fraction",
	  "the metric plots/curve.gp draws against the first varied key (several, comma-separated: one curve each)" },
	{ "sweep", "plot_y2", CFG_STRING, 0, 0, NULL, "",
	  "metrics drawn dashed against a right-hand axis (comma-separated), e.g. a latency beside a fraction" },
	{ "sweep", "x", CFG_STRING, 0, 0, NULL, "",
	  "plot against this metric's mean instead of the first varied key (e.g. a measured load factor)" },
	{ "sweep", "x_label", CFG_STRING, 0, 0, NULL, "", "the curve's x axis, in the users' units" },
	{ "sweep", "y_label", CFG_STRING, 0, 0, NULL, "", "the curve's y axis" },
	{ "sweep", "y2_label", CFG_STRING, 0, 0, NULL, "", "the right-hand axis (with plot_y2)" },
	{ "sweep", "x_log", CFG_BOOL, 0, 0, NULL, "false", "logarithmic x axis" },
	{ "sweep", "y_log", CFG_BOOL, 0, 0, NULL, "false", "logarithmic y axis" },
	{ "sweep", "capacity", CFG_DOUBLE, 0, 0, NULL, "0",
	  "an analytical capacity to mark on the x axis (0: none), e.g. N / H connections per second" },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL },
};

const cfg_key *exp_schema(void)
{
	static cfg_key *all;
	if (all)
		return all;
	const cfg_key *parts[] = { run_keys, world_keys, kconf_sysctl_keys };
	size_t n = 0;
	for (unsigned p = 0; p < G_N_ELEMENTS(parts); p++)
		for (const cfg_key *k = parts[p]; k->name; k++)
			n++;
	all = g_new0(cfg_key, n + 1);
	n = 0;
	for (unsigned p = 0; p < G_N_ELEMENTS(parts); p++)
		for (const cfg_key *k = parts[p]; k->name; k++)
			all[n++] = *k;
	return all;
}

static void report_ignored(const char *what, GPtrArray *ign)
{
	if (!ign->len)
		return;
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < ign->len && i < 4; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(ign, i));
	fprintf(stderr, "connsim: note: %s: ignored %u sysctl%s that connsim does not model (%s%s)\n", what,
		ign->len, ign->len == 1 ? "" : "s", s->str, ign->len > 4 ? ", ..." : "");
	g_string_free(s, TRUE);
}

cfg *exp_load(const char *path, char **sysctls, char **sets, GError **err)
{
	cfg *c = cfg_new(exp_schema(), kconf_aliases);
	GPtrArray *ign = g_ptr_array_new_with_free_func(g_free);
	if (!cfg_load_file(c, path, err))
		goto fail;
	if (!world_load_sysctl_files(c, ign, err))
		goto fail;
	report_ignored("sysctl files named by the experiment", ign);
	for (char **f = sysctls; f && *f; f++) {
		const char *file = *f, *section = "sysctl";
		char *sec = NULL;
		const char *colon = strchr(file, ':');
		if (colon && (g_str_has_prefix(file, "client:") || g_str_has_prefix(file, "server:"))) {
			sec = g_strdup_printf("%.*s.sysctl", (int)(colon - file), file);
			section = sec;
			file = colon + 1;
		}
		g_ptr_array_set_size(ign, 0);
		bool ok = cfg_load_sysctl_file(c, file, section, true, ign, err);
		g_free(sec);
		if (!ok)
			goto fail;
		report_ignored(file, ign);
	}
	for (char **s = sets; s && *s; s++)
		if (!cfg_set_arg(c, *s, NULL, err))
			goto fail;
	g_ptr_array_free(ign, TRUE);
	return c;
fail:
	g_ptr_array_free(ign, TRUE);
	cfg_free(c);
	return NULL;
}

bool exp_set_profile(cfg *c, const char *profile, const char *origin, GError **err)
{
	static const char *const hosts[] = { "client", "server", "nat", "firewall" };
	const GPtrArray *secs = cfg_sections(c);
	for (unsigned i = 0; i < G_N_ELEMENTS(hosts); i++) {
		bool present = i < 2;  /* boxes only when the experiment has them */
		for (guint k = 0; !present && k < secs->len; k++) {
			const char *sec = g_ptr_array_index(secs, k);
			present = g_str_has_prefix(sec, hosts[i]) &&
				  (!sec[strlen(hosts[i])] || !strcmp(sec + strlen(hosts[i]), ".sysctl"));
		}
		if (present && !cfg_set(c, hosts[i], "profile", profile, origin, err))
			return false;
	}
	return true;
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

void exp_opts_add(GOptionContext *ctx, exp_opts *o, const char *set_help)
{
	const GOptionEntry entries[] = {
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &o->seed, "Master seed (default: [experiment] seed)", "N" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out, "Output directory (default: out/NAME)", "DIR" },
		{ "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o->sets, set_help, "KEY=VALUE" },
		{ "sysctl", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->sysctls,
		  "Load a sysctl.conf or `sysctl -a` file for every host, or client:FILE / server:FILE", "FILE" },
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
