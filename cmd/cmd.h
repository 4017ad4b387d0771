/*
 * The commands of connsim.  Each takes argv after the command name and
 * returns the process exit status.
 */
#ifndef CONNSIM_CMD_H
#define CONNSIM_CMD_H

/* Exit codes, documented in the README. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,   /* could not write output; internal error */
	EXIT_USAGE = 2,     /* bad command line or bad input file */
};

/* Provenance for output headers: the build's version, and the whole command
 * line as typed (options included, shell-quoted where needed), recorded by
 * main() before any option is parsed. */
const char *connsim_version(void);
void cmd_set_command_line(int argc, char **argv);
const char *cmd_command_line(void);

int cmd_run(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
