/*
 * trace_scn: a trace scenario, read from its file format (documented in
 * trace_scn_format and doc/connsim.1): the world's settings, the
 * application's calls at given times, and faults staged on named segments.
 * The built-in scenarios are files in the same format.
 */
#ifndef CONNSIM_CMD_TRACE_SCN_H
#define CONNSIM_CMD_TRACE_SCN_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* A host named in a scenario: client i (from 0), or the server (-1). */
#define TSCN_SERVER (-1)

typedef enum tscn_call { TSCN_CONNECT, TSCN_CLOSE, TSCN_ABORT } tscn_call;

typedef struct tscn_at {
	int64_t t;          /* ns */
	int host;           /* client index or TSCN_SERVER */
	tscn_call call;
	unsigned conn;      /* close/abort: connection number from 1; 0: the host's latest */
	int line;
} tscn_at;

typedef enum tscn_fault { TSCN_DROP, TSCN_DELAY, TSCN_DUP } tscn_fault;

typedef struct tscn_stage {
	tscn_fault what;
	int host;           /* the sender */
	uint8_t flags;      /* exactly these (LADDER_* bits) */
	unsigned nth;       /* the nth such segment the host sends, from 1 */
	int64_t delay;      /* TSCN_DELAY: extra delay; TSCN_DUP: the copy's */
	int line;
} tscn_stage;

typedef struct tscn {
	char *name;         /* built-in name or file path */
	char *title;
	GPtrArray *about;   /* char*: the scenario's explanation lines */
	GPtrArray *sets;    /* char*: "KEY=VALUE" for scn_set_arg, in order */
	char *profile;      /* NULL: none */
	int64_t end;        /* ns */
	int64_t on_fin[2];  /* [0] clients, [1] server: close() this long after the peer's FIN; -1: never */
	GArray *ats;        /* tscn_at, in time order (stable) */
	GArray *stages;     /* tscn_stage */
	GArray *set_lines;  /* int: the line of each set */
} tscn;

/* Parses text (from path, for messages).  Errors: "PATH:LINE: ...". */
tscn *tscn_parse(const char *path, const char *text, GError **err);
tscn *tscn_load(const char *path, GError **err);
void tscn_free(tscn *s);

/* Built-ins: NULL-terminated names, and each one's text (NULL: none). */
const char *const *tscn_builtin_names(void);
const char *tscn_builtin_text(const char *name);
/* The format, for --help and the man page. */
const char *tscn_format(void);

#endif
