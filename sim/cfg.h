/*
 * cfg: configuration from INI files, values the caller parses from other
 * sources, and --set overrides.
 *
 * A schema (a table of cfg_key, owned by whoever defines the keys) says which
 * sections and keys exist, their types, ranges and defaults.  Every value is
 * validated as it is loaded; errors are GErrors whose message names the file,
 * the line, the section and key, the bad value and what is accepted:
 *
 *	experiments/lb.ini:12: [workload] rate = '-5': expected a number >= 0
 *
 * Every value is stored with its origin (file and line, or a name such as
 * "--set") and a priority layer: a value from a higher layer overrides one
 * from a lower layer whatever the order of loading; within a layer the later
 * wins.  INI files load at CFG_LAYER_FILE, cfg_set at CFG_LAYER_SET; a caller
 * that parses a source of its own picks a layer between or below them.
 *
 * Scoped sections: with scope S (cfg_new), a section "X.S" (X a section of
 * the schema) uses the schema's section [S] and falls back to [S] for every
 * key it does not give, so that [S] holds what every X shares.
 */
#ifndef CONNSIM_CFG_H
#define CONNSIM_CFG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define CFG_ERROR (cfg_error_quark())
GQuark cfg_error_quark(void);
enum { CFG_ERROR_INPUT = 1 };

typedef enum cfg_type {
	CFG_INT,     /* integer in [min, max] */
	CFG_DOUBLE,  /* real in [min, max] */
	CFG_TIME,    /* duration: 60s, 250ms, 1.5s, 2m, 1h, 10us, 5ns; bare = seconds */
	CFG_BOOL,    /* true/false, yes/no, on/off, 1/0 */
	CFG_ENUM,    /* one of choices, "a|b|c" */
	CFG_STRING,
	CFG_RANGE,   /* two integers "lo hi" (spaces or tabs), min <= lo <= hi <= max */
	CFG_PORTS,   /* list "8080,9000-9010" of ports/ranges in [min, max]; may be empty */
	CFG_LIST,    /* comma- or space-separated words */
} cfg_type;

typedef struct cfg_key {
	const char *section;  /* "workload", or several: "client|server" */
	const char *name;
	cfg_type type;
	double min, max;      /* INT, DOUBLE, TIME (seconds), RANGE, PORTS */
	const char *choices;  /* ENUM */
	const char *def;      /* default as text; NULL = no default (unset) */
	const char *help;     /* one line, with the unit */
} cfg_key;

typedef struct cfg_alias {
	const char *old_name, *new_name;  /* legacy key names, in any section that has new_name */
} cfg_alias;

enum { CFG_LAYER_DEFAULT = 0, CFG_LAYER_FILE = 20, CFG_LAYER_SET = 40 };

typedef struct cfg cfg;

/* keys: terminated by an entry with name NULL.  aliases: likewise (may be
 * NULL).  scope: the scoped sections' schema section (may be NULL: none). */
cfg *cfg_new(const cfg_key *keys, const cfg_alias *aliases, const char *scope);
void cfg_free(cfg *c);

/* An INI file, every value at layer (normally CFG_LAYER_FILE). */
bool cfg_load_file(cfg *c, const char *path, int layer, GError **err);
/* The largest input file (an experiment or a settings file): 16 MiB. */
#define CFG_MAX_FILE_BYTES (16 << 20)

/* A whole text file, for a caller parsing its own grammar; errors say
 * "PATH: cannot read: REASON" (also for what is not a regular file: a FIFO,
 * a device, a directory), that it is larger than CFG_MAX_FILE_BYTES or that
 * it holds a NUL byte.  A UTF-8 byte-order mark at the start is skipped. */
bool cfg_read_text(const char *path, char **text, GError **err);
/* Validates and stores one value parsed elsewhere; file and line (0: none)
 * name its origin in messages and in cfg_dump. */
bool cfg_put(cfg *c, const char *section, const char *key, const char *value, const char *file, int line,
	     int layer, GError **err);
/* "section.key=value", "S.key=value" or "X.S.key=value" (S the scope; the key
 * may hold dots).  origin names where the override came from in errors and
 * in the dump of values given ("--set" when NULL; a sweep says "variant
 * 'reuse'"). */
bool cfg_set_arg(cfg *c, const char *arg, const char *origin, GError **err);
/* Programmatic override at CFG_LAYER_SET (origin as above). */
bool cfg_set(cfg *c, const char *section, const char *key, const char *value, const char *origin, GError **err);
/* The key an alias stands for in section (key itself when none). */
const char *cfg_alias_of(const cfg *c, const char *section, const char *key);

/* The directory of the experiment file, for resolving relative paths. */
const char *cfg_base_dir(const cfg *c);
/* Whether a value was given (not merely defaulted); a scoped section counts
 * what its fallback [S] gives. */
bool cfg_has(const cfg *c, const char *section, const char *key);
/* Where the value in force came from; false when none was given. */
bool cfg_origin(const cfg *c, const char *section, const char *key, const char **file, int *line, int *layer);
/* Sections present in the loaded files, in order of first appearance. */
const GPtrArray *cfg_sections(const cfg *c);

/* Typed getters.  The key must be in the schema (else abort: a bug); values
 * were validated on load; an unset key without default reads as 0/""/false. */
int64_t cfg_int(const cfg *c, const char *section, const char *key);
double cfg_double(const cfg *c, const char *section, const char *key);
uint64_t cfg_time(const cfg *c, const char *section, const char *key);  /* ns */
bool cfg_bool(const cfg *c, const char *section, const char *key);
const char *cfg_str(const cfg *c, const char *section, const char *key);
/* A CFG_ENUM's value as the index of its choice ("a|b|c": 0, 1, 2), so that a
 * model's enum listed in the same order maps without string compares. */
unsigned cfg_enum(const cfg *c, const char *section, const char *key);
void cfg_range(const cfg *c, const char *section, const char *key, int64_t *lo, int64_t *hi);
/* Fills a bitmap of 65536 bits (8192 bytes); returns the number of ports set. */
unsigned cfg_ports(const cfg *c, const char *section, const char *key, uint8_t bitmap[8192]);
/* NULL-terminated; free with g_strfreev. */
char **cfg_list(const cfg *c, const char *section, const char *key);

/* Sets an input error (CFG_ERROR_INPUT) from a format and returns false, for
 * checks written as `return cfg_fail(err, "...", ...);`. */
bool cfg_fail(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* An error about a value that parsed but is wrong in context (cross-key
 * checks done by the models): prefixed with the value's file:line. */
void cfg_error(const cfg *c, const char *section, const char *key, GError **err,
	       const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* "# section.key = value   (file:line)" lines of every value given, in order. */
void cfg_dump(const cfg *c, GString *out, const char *prefix);

const cfg_key *cfg_schema_find(const cfg *c, const char *section, const char *key);
/* Optimal string alignment distance, ignoring ASCII case: insertions,
 * deletions, substitutions and swaps of two neighbours each cost 1 (a swap
 * is the commonest typo: "hots" is one from "host", two from "loss").  What
 * the "did you mean" hints rank by. */
unsigned cfg_edit_distance(const char *a, const char *b);
/* For help text: the schema. */
const cfg_key *cfg_schema(const cfg *c);

/* Duration parsing shared with the command line ("--duration 10m"). */
bool cfg_parse_time(const char *s, uint64_t *ns);

#endif
