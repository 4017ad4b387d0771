/*
 * connsim: what happens to my connections if...
 * The command dispatcher: connsim COMMAND [options].
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "sim/out.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "run one experiment; write its time series and summary" },
	{ "sweep", cmd_sweep, "a curve: replications over a grid of settings, means and 95 % CIs" },
	{ "compare", cmd_compare, "the same workload under two settings: paired differences and 95 % CIs" },
	{ "merge", cmd_merge, "the curve of a sweep run in shards (sweep --shard / --task), from its task files" },
	{ "trace", cmd_trace, "one or a few connections, segment by segment, with the kernel's rules" },
	{ "check", cmd_check, "does the host hold a workload? headroom per limit, the rate it runs out at, remedies" },
	{ "profiles", cmd_profiles, "list kernel profiles, their rule variants and defaults" },
	{ "keys", cmd_keys, "list every experiment-file key and sysctl, with type, default and meaning" },
	{ "explain", cmd_explain, "what a sysctl or a counter means, in connsim and in the kernel" },
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: connsim COMMAND [OPTIONS]\n"
		"\n"
		"A discrete-event simulator of the Linux kernel's connection lifecycle: TIME_WAIT,\n"
		"ephemeral ports, tcp_tw_reuse/tcp_tw_recycle, under synthetic workloads.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(fp,
		"\n"
		"connsim COMMAND --help shows a command's options.\n"
		"connsim --version prints the version.\n"
		"Exit status: 0 success, 1 output could not be written, 2 usage or input error.\n");
}

int main(int argc, char **argv)
{
	cmd_set_command_line(argc, argv);
	out_cleanup_on_signals();  /* a killed run leaves no temporary */
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("connsim %s\n", connsim_version());
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			char *name = g_strdup_printf("connsim %s", argv[1]);
			argv[1] = name;
			int rc = commands[i].fn(argc - 1, argv + 1);
			g_free(name);
			return rc;
		}
	fprintf(stderr, "connsim: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
