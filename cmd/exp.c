#include "cmd/exp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/replica.h"
#include "models/budget.h"
#include "models/scenario.h"

/* The metrics of one replication's result (about 150 summary metrics, each
 * a struct, a name and the allocator's overhead), for a sweep's estimate. */
#define RESULT_METRICS_BYTES (160.0 * (sizeof(metric) + 48))
/* One point's configuration and scenario (kernel settings of up to four
 * machines, their 8 KiB reserved-port bitmaps, the printed items). */
#define POINT_BYTES (sizeof(scenario) + 64.0 * 1024)

/* MemAvailable (kB) in /proc/meminfo, else 0. */
static uint64_t mem_available(void)
{
	char *text = NULL;
	uint64_t kb = 0;
	if (g_file_get_contents("/proc/meminfo", &text, NULL, NULL)) {
		const char *p = strstr(text, "MemAvailable:");
		if (p)
			kb = g_ascii_strtoull(p + strlen("MemAvailable:"), NULL, 10);
	}
	g_free(text);
	return kb * 1024;
}

/* "4G", "512M", "1.5GiB", "2048" (bytes): binary units. */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || !g_ascii_isdigit(*s) || (s[0] == '0' && g_ascii_isdigit(s[1])) ||
	    s[strspn(s, "0123456789.")] == 'x' || s[strspn(s, "0123456789.")] == 'X')
		return false;  /* decimal only: strtod would take "0x10" */
	double v = g_ascii_strtod(s, &end);
	static const char *units = "KMGTP";
	double mul = 1;
	if (*end) {
		const char *u = strchr(units, g_ascii_toupper(*end));
		if (!u)
			return false;
		mul = pow(1024, (double)(u - units + 1));
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	}
	if (*end || !isfinite(v) || v * mul < 1 << 20 || v * mul > 1e18)
		return false;
	*out = (uint64_t)(v * mul);
	return true;
}

bool exp_max_memory(const exp_opts *o, uint64_t *bytes, GError **err)
{
	if (o->max_memory) {
		if (!parse_size(o->max_memory, bytes)) {
			g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
				    "--max-memory '%s': expected a size of at least 1M such as 512M, 4G or 1.5T "
				    "(binary units)",
				    o->max_memory);
			return false;
		}
		return true;
	}
	uint64_t avail = mem_available();
	if (!avail) {
		long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
		avail = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : (uint64_t)4 << 30;
	}
	*bytes = avail / 2;
	return true;
}

/* What budget_refusal calls the limit: the option as given, or the default. */
static void limit_name(const exp_opts *o, char *buf, size_t n)
{
	if (o->max_memory)
		g_snprintf(buf, n, "--max-memory %s", o->max_memory);
	else
		g_strlcpy(buf, "the memory limit (half the available memory; --max-memory)", n);
}

bool exp_sweep_budget(exp_opts *o, unsigned npoints, unsigned reps, size_t result_bytes, unsigned jobs,
		      GError **err)
{
	uint64_t max;
	if (!exp_max_memory(o, &max, err))
		return false;
	double n = (double)npoints * reps;
	double need = n * ((double)result_bytes + RESULT_METRICS_BYTES) + npoints * POINT_BYTES;
	o->concurrent = (unsigned)MIN(jobs ? jobs : g_get_num_processors(), n);
	if (need > (double)max) {
		char name[128];
		limit_name(o, name, sizeof name);
		char *a = budget_fmt_bytes(need), *b = budget_fmt_bytes((double)max);
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
			    "%u points x %u replications: an estimated %s for the results and the points' "
			    "configurations is over %s of %s; fewer points (--vary) or replications (--reps)",
			    npoints, reps, a, name, b);
		g_free(a);
		g_free(b);
		return false;
	}
	o->reserved = (uint64_t)need;
	return true;
}

cfg *exp_load(const char *path, const exp_opts *o, GError **err)
{
	uint64_t max;
	if (!exp_max_memory(o, &max, err))
		return NULL;
	/* each of the replications at once gets its share of what the sweep's
	 * results leave */
	char name[128];
	limit_name(o, name, sizeof name);
	unsigned k = o->concurrent ? o->concurrent : 1;
	if (k > 1) {
		char *share = g_strdup_printf(" shared by %u jobs", k);
		g_strlcat(name, share, sizeof name);
		g_free(share);
	}
	budget_set_limit(MAX((max - MIN(o->reserved, max)) / k, 1), name);
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
		{ "max-memory", 0, 0, G_OPTION_ARG_STRING, &o->max_memory,
		  "Refuse an experiment estimated to need more memory, before allocating (default: half the "
		  "available memory; 512M, 4G, ...)",
		  "SIZE" },
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
	g_free(o->max_memory);
	g_strfreev(o->sets);
	g_strfreev(o->sysctls);
	*o = (exp_opts){ 0 };
}

const char *exp_parse_args(GOptionContext *ctx, int *argc, char ***argv)
{
	const char *cmd = (*argv)[0];
	GError *err = NULL;
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		fprintf(stderr, "%s: %s (see %s --help)\n", cmd, err->message, cmd);
		g_error_free(err);
		return NULL;
	}
	if (*argc != 2) {
		fprintf(stderr, "%s: expected one experiment file, got %d (see %s --help)\n", cmd, *argc - 1, cmd);
		return NULL;
	}
	return (*argv)[1];
}
