/*
 * trace_scn: reading a trace scenario (trace_scn.h).  One statement per line;
 * '#' starts a comment.  The words are checked here; the settings given with
 * `set` are checked by the scenario layer (models/scenario.c) when the
 * trace builds its world.
 */
#include "cmd/trace_scn.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/ladder.h"
#include "sim/cfg.h"

static const char format[] =
	"A trace scenario is a text file, one statement per line ('#' starts a comment):\n"
	"\n"
	"  title TEXT               the ladder's title\n"
	"  about TEXT               a line of explanation (printed under the title; repeatable)\n"
	"  profile NAME             kernel profile of every host and box (connsim profiles)\n"
	"  set KEY=VALUE            an experiment-file key or a sysctl, as `connsim run --set` takes\n"
	"                           it: client.count=2, nat.addresses=203.0.113.1 (adds the NAT box),\n"
	"                           firewall.memory=1 (adds the firewall), server.sysctl.net.ipv4.tcp_rfc1337=1,\n"
	"                           net.ipv4.ip_local_port_range=40000 40000\n"
	"  end TIME                 stop the trace at TIME (default 65s)\n"
	"  on_fin HOST close DELAY  HOST's application calls close() DELAY after the peer's FIN\n"
	"                           (default 0: at once, the FIN rides on the ACK); `never`: only\n"
	"                           when an `at` line says so\n"
	"  at TIME HOST connect     a client connects to the server's first address and port\n"
	"  at TIME HOST close [N]   close() on HOST's socket of connection N (default: its latest)\n"
	"  at TIME HOST abort [N]   close() with SO_LINGER {1, 0}: RST, no TIME_WAIT\n"
	"  drop HOST FLAGS [K]      HOST's K-th segment (default 1st) with exactly FLAGS is lost\n"
	"  delay HOST FLAGS [K] D   ... arrives D late\n"
	"  dup HOST FLAGS [K] D     ... arrives, and a copy of it D after\n"
	"\n"
	"HOST is client (the first client host), client1, client2, ... or server.  FLAGS are\n"
	"SYN, ACK, FIN, RST joined by '+', exactly as on the segment: SYN+ACK, ACK, FIN+ACK,\n"
	"RST, RST+ACK (every FIN here carries an ACK).  K counts HOST's segments with those\n"
	"flags from the start, over all connections, retransmissions included.  Times and\n"
	"durations: 100ms, 1.5s, 2m.  Connections are numbered from 1 in the order of their\n"
	"connect().\n";

const char *tscn_format(void)
{
	return format;
}

static bool fail(GError **err, const char *path, int line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static bool fail(GError **err, const char *path, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%d: %s", path, line, m);
	g_free(m);
	return false;
}

static bool parse_host(const char *w, int *host)
{
	if (!strcmp(w, "server")) {
		*host = TSCN_SERVER;
		return true;
	}
	if (!strcmp(w, "client")) {
		*host = 0;
		return true;
	}
	if (!strncmp(w, "client", 6) && w[6] >= '1' && w[6] <= '9') {
		char *end;
		long v = strtol(w + 6, &end, 10);
		if (*end || v < 1 || v > 64)
			return false;
		*host = (int)v - 1;
		return true;
	}
	return false;
}

static bool parse_flags(const char *w, uint8_t *flags)
{
	*flags = 0;
	gchar **parts = g_strsplit(w, "+", -1);
	bool ok = parts[0] != NULL;
	for (gchar **p = parts; *p && ok; p++) {
		uint8_t f = !strcmp(*p, "SYN") ? LADDER_SYN : !strcmp(*p, "ACK") ? LADDER_ACK
			    : !strcmp(*p, "FIN") ? LADDER_FIN : !strcmp(*p, "RST") ? LADDER_RST : 0;
		if (!f || (*flags & f))
			ok = false;
		*flags |= f;
	}
	g_strfreev(parts);
	return ok;
}

static bool parse_count(const char *w, unsigned *n)
{
	char *end;
	long v = strtol(w, &end, 10);
	if (*end || end == w || v < 1 || v > 1000000)
		return false;
	*n = (unsigned)v;
	return true;
}

static bool parse_time(const char *w, int64_t *t)
{
	uint64_t ns;
	if (!cfg_parse_time(w, &ns) || ns > (uint64_t)INT64_MAX / 2)
		return false;
	*t = (int64_t)ns;
	return true;
}

static int cmp_at(gconstpointer a, gconstpointer b)
{
	const tscn_at *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->line - y->line;  /* the file's order at one instant */
}

/* The rest of a line after its first word, trimmed. */
static const char *rest_of(const char *line, const char *word)
{
	const char *r = strstr(line, word) + strlen(word);
	while (*r == ' ' || *r == '\t')
		r++;
	return r;
}

static bool parse_line(tscn *s, const char *path, int ln, char *line, GError **err)
{
	gchar **w = g_strsplit_set(line, " \t", -1);
	/* drop empty words (runs of blanks) */
	unsigned n = 0;
	for (unsigned i = 0; w[i]; i++)
		if (*w[i])
			w[n++] = w[i];
		else
			g_free(w[i]);
	w[n] = NULL;
	bool ok = true;
	const char *k = w[0];
	if (!strcmp(k, "title") || !strcmp(k, "about")) {
		const char *r = rest_of(line, k);
		if (!*r) {
			ok = fail(err, path, ln, "%s needs a text", k);
		} else if (*k == 't') {
			g_free(s->title);
			s->title = g_strdup(r);
		} else {
			g_ptr_array_add(s->about, g_strdup(r));
		}
	} else if (!strcmp(k, "set")) {
		const char *r = rest_of(line, k);
		if (!strchr(r, '='))
			ok = fail(err, path, ln, "set needs KEY=VALUE");
		else
		{
			g_ptr_array_add(s->sets, g_strdup(r));
			g_array_append_val(s->set_lines, ln);
		}
	} else if (!strcmp(k, "profile")) {
		if (n != 2)
			ok = fail(err, path, ln, "profile needs one name");
		else {
			g_free(s->profile);
			s->profile = g_strdup(w[1]);
		}
	} else if (!strcmp(k, "end")) {
		if (n != 2 || !parse_time(w[1], &s->end) || s->end <= 0)
			ok = fail(err, path, ln, "end needs a positive time (e.g. 65s)");
	} else if (!strcmp(k, "on_fin")) {
		int host;
		int64_t d = -1;
		if (n != 4 || !parse_host(w[1], &host) || strcmp(w[2], "close") ||
		    (strcmp(w[3], "never") && !parse_time(w[3], &d)))
			ok = fail(err, path, ln, "expected: on_fin HOST close DELAY|never");
		else
			s->on_fin[host == TSCN_SERVER] = d;
	} else if (!strcmp(k, "at")) {
		tscn_at a = { .line = ln };
		if (n < 4 || !parse_time(w[1], &a.t) || !parse_host(w[2], &a.host)) {
			ok = fail(err, path, ln, "expected: at TIME HOST connect|close|abort [N]");
		} else if (!strcmp(w[3], "connect") && n == 4) {
			a.call = TSCN_CONNECT;
			if (a.host == TSCN_SERVER)
				ok = fail(err, path, ln, "the server does not connect: name a client");
		} else if ((!strcmp(w[3], "close") || !strcmp(w[3], "abort")) && n <= 5) {
			a.call = !strcmp(w[3], "close") ? TSCN_CLOSE : TSCN_ABORT;
			if (n == 5 && !parse_count(w[4], &a.conn))
				ok = fail(err, path, ln, "'%s': a connection number from 1", w[4]);
		} else {
			ok = fail(err, path, ln, "expected: at TIME HOST connect|close|abort [N]");
		}
		if (ok)
			g_array_append_val(s->ats, a);
	} else if (!strcmp(k, "drop") || !strcmp(k, "delay") || !strcmp(k, "dup")) {
		tscn_stage st = { .what = *k == 'd' && k[1] == 'r' ? TSCN_DROP : k[1] == 'e' ? TSCN_DELAY : TSCN_DUP,
				  .nth = 1, .line = ln };
		unsigned want = st.what == TSCN_DROP ? 0 : 1;  /* trailing duration */
		if (n < 3 + want || n > 4 + want || !parse_host(w[1], &st.host))
			ok = fail(err, path, ln, "expected: %s HOST FLAGS [K]%s", k, want ? " DURATION" : "");
		else if (!parse_flags(w[2], &st.flags))
			ok = fail(err, path, ln, "'%s': flags are SYN, ACK, FIN, RST joined by '+'", w[2]);
		else if (n == 4 + want && !parse_count(w[3], &st.nth))
			ok = fail(err, path, ln, "'%s': K counts from 1", w[3]);
		else if (want && (!parse_time(w[n - 1], &st.delay) || st.delay <= 0))
			ok = fail(err, path, ln, "'%s': a positive duration", w[n - 1]);
		if (ok)
			g_array_append_val(s->stages, st);
	} else {
		ok = fail(err, path, ln, "unknown statement '%s' (connsim trace --help lists them)", k);
	}
	g_strfreev(w);
	return ok;
}

tscn *tscn_parse(const char *path, const char *text, GError **err)
{
	tscn *s = g_new0(tscn, 1);
	s->name = g_strdup(path);
	s->about = g_ptr_array_new_with_free_func(g_free);
	s->sets = g_ptr_array_new_with_free_func(g_free);
	s->ats = g_array_new(FALSE, TRUE, sizeof(tscn_at));
	s->stages = g_array_new(FALSE, TRUE, sizeof(tscn_stage));
	s->set_lines = g_array_new(FALSE, TRUE, sizeof(int));
	s->end = 65 * (int64_t)1000000000;
	gchar **lines = g_strsplit(text, "\n", -1);
	bool ok = true;
	for (int i = 0; ok && lines[i]; i++) {
		char *c = strchr(lines[i], '#');
		if (c)
			*c = 0;
		g_strstrip(lines[i]);
		if (*lines[i])
			ok = parse_line(s, path, i + 1, lines[i], err);
	}
	g_strfreev(lines);
	if (ok && !s->ats->len)
		ok = fail(err, path, 1, "no `at TIME HOST connect` line: nothing to trace");
	if (!ok) {
		tscn_free(s);
		return NULL;
	}
	if (!s->title)
		s->title = g_path_get_basename(path);
	g_array_sort(s->ats, cmp_at);
	return s;
}

tscn *tscn_load(const char *path, GError **err)
{
	char *text;
	if (!cfg_read_text(path, &text, err))
		return NULL;
	tscn *s = tscn_parse(path, text, err);
	g_free(text);
	return s;
}

void tscn_free(tscn *s)
{
	if (!s)
		return;
	g_free(s->name);
	g_free(s->title);
	g_free(s->profile);
	g_ptr_array_free(s->about, TRUE);
	g_ptr_array_free(s->sets, TRUE);
	g_array_free(s->ats, TRUE);
	g_array_free(s->stages, TRUE);
	g_array_free(s->set_lines, TRUE);
	g_free(s);
}
