/*
 * Loading an experiment (scenario.h, scn_load): its file, the hosts' sysctl
 * files and --set, and what a host's `sysctl -a` tells beyond the sysctls
 * (its release, RAM and ehash size: the profile, memory and table sizes
 * they imply, unless given).
 *
 * Sysctl files follow sysctl.conf(5): "key = value", "key=value", '#' and
 * ';' comments, a leading '-' meaning "ignore failure", '/' as well as '.'
 * separators; `sysctl -a` output is the same grammar.
 */
#include "models/scenario.h"

#include <stdio.h>
#include <string.h>

#include "models/scn_int.h"
#include "sim/bug.h"


/*
 * What a host's sysctl file tells of the host beyond the sysctls connsim
 * models (a `sysctl -a` of the host has all of these): its release, its
 * RAM, its ehash size, and whether it carries conntrack settings.
 */
typedef struct host_facts {
	char *path;
	int layer;
	const char *machine;       /* a scn__machines[] entry; NULL: every host */
	char *osrelease;           /* kernel.osrelease, NULL: absent */
	int osrelease_line;
	int64_t threads_max;       /* kernel.threads-max, -1: absent */
	int threads_line;
	int64_t tw_buckets;        /* net.ipv4.tcp_max_tw_buckets, -1: absent */
	int tw_line;
	char *ct_key;              /* the first conntrack setting, NULL: none */
	int ct_line;
} host_facts;

static void host_facts_free(gpointer p)
{
	host_facts *f = p;
	g_free(f->path);
	g_free(f->osrelease);
	g_free(f->ct_key);
	g_free(f);
}

/* Conntrack settings: those of boxes only (ct_resolve). */
static bool is_conntrack_key(const char *name)
{
	return g_str_has_prefix(name, "net.netfilter.") || g_str_has_prefix(name, "nf_conntrack.");
}

/* Notes what facts needs of a name = value line (name after aliases). */
static void note_fact(host_facts *f, const char *name, const char *value, int ln, bool modelled)
{
	if (!f)
		return;
	if (!strcmp(name, "kernel.osrelease") && !f->osrelease) {
		f->osrelease = g_strdup(value);
		f->osrelease_line = ln;
	} else if (!strcmp(name, "kernel.threads-max")) {
		f->threads_max = g_ascii_strtoll(value, NULL, 10);
		f->threads_line = ln;
	} else if (!strcmp(name, "net.ipv4.tcp_max_tw_buckets")) {
		f->tw_buckets = g_ascii_strtoll(value, NULL, 10);
		f->tw_line = ln;
	} else if (modelled && is_conntrack_key(name) && !f->ct_key) {
		f->ct_key = g_strdup(name);
		f->ct_line = ln;
	}
}

static bool load_sysctl_file(cfg *c, const char *path, const char *section, int layer, GPtrArray *ignored,
			     host_facts *facts, GError **err)
{
	char *text;
	if (!cfg_read_text(path, &text, err))
		return false;
	char **lines = g_strsplit(text, "\n", -1);
	g_free(text);
	bool ok = true;
	for (int i = 0; lines[i] && ok; i++) {
		int ln = i + 1;
		char *l = g_strstrip(lines[i]);
		if (!*l || *l == '#' || *l == ';')
			continue;
		/* sysctl(8)'s own complaints, in a `sysctl -a 2>&1` capture
		 * ("sysctl: reading key "net.ipv6.conf.all.stable_secret"") */
		if (g_str_has_prefix(l, "sysctl: "))
			continue;
		if (*l == '-')  /* sysctl.d: "-key = value" ignores failures to set it */
			l++;
		char *eq = strchr(l, '=');
		if (!eq) {
			g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
				    "%s:%d: '%s' is not 'name = value' (sysctl.conf syntax)", path, ln, l);
			ok = false;
			break;
		}
		*eq = 0;
		char *key = g_strstrip(l), *value = g_strstrip(eq + 1);
		if (!*key) {
			g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
				    "%s:%d: '= %s' has no name; expected 'name = value' (sysctl.conf syntax)", path,
				    ln, value);
			ok = false;
			break;
		}
		g_strdelimit(key, "/", '.');
		const char *name = cfg_alias_of(c, section, key);
		bool modelled = cfg_schema_find(c, section, name) != NULL;
		note_fact(facts, name, value, ln, modelled);
		if (!modelled) {
			if (ignored)
				g_ptr_array_add(ignored, g_strdup(key));
			continue;
		}
		ok = cfg_put(c, section, key, value, path, ln, layer, err);
	}
	g_strfreev(lines);
	return ok;
}

bool scn_load_sysctl_file(cfg *c, const char *path, const char *section, int layer, GPtrArray *ignored,
			  GError **err)
{
	return load_sysctl_file(c, path, section, layer, ignored, NULL, err);
}

bool scn_set_arg(cfg *c, const char *arg, const char *origin, GError **err)
{
	/* a bare sysctl name sets it for every host, as sysctl -w would on each */
	static const char *const roots[] = { "net.", "kernel.", "nf_conntrack." };
	const char *eq = strchr(arg, '=');
	if (!eq)
		return cfg_set_arg(c, arg, origin, err);
	char *key = g_strstrip(g_strndup(arg, (gsize)(eq - arg)));
	bool bare = false;
	for (unsigned i = 0; i < G_N_ELEMENTS(roots); i++)
		bare = bare || g_str_has_prefix(key, roots[i]);
	bool ok = bare ? cfg_set(c, SCN_SYSCTL, key, eq + 1, origin, err) : cfg_set_arg(c, arg, origin, err);
	g_free(key);
	return ok;
}

bool scn_set_profile(cfg *c, const char *profile, const char *origin, GError **err)
{
	for (unsigned i = 0; i < SCN_MACHINES; i++) {
		bool present = i < 2 || scn__has_machine(c, scn__machines[i]);  /* boxes only when the experiment has them */
		if (present && !cfg_set(c, scn__machines[i], "profile", profile, origin, err))
			return false;
	}
	return true;
}

static host_facts *host_facts_new(GPtrArray *all, const char *path, int layer, const char *machine)
{
	host_facts *f = g_new0(host_facts, 1);
	f->path = g_strdup(path);
	f->layer = layer;
	f->machine = machine;
	f->threads_max = f->tw_buckets = -1;
	g_ptr_array_add(all, f);
	return f;
}

/* The sysctl files that [client], [server] and the boxes name (sysctl_file). */
static bool load_named_sysctl_files(cfg *c, GPtrArray *ignored, GPtrArray *facts, GError **err)
{
	for (unsigned i = 0; i < SCN_MACHINES; i++) {
		const char *f = cfg_str(c, scn__machines[i], "sysctl_file");
		if (!*f)
			continue;
		char *path = g_path_is_absolute(f) ? g_strdup(f) : g_build_filename(cfg_base_dir(c), f, NULL);
		char *sec = scn__sysctl_section(scn__machines[i]);
		GError *e = NULL;
		host_facts *hf = host_facts_new(facts, path, SCN_LAYER_SYSCTL_FILE, scn__machines[i]);
		bool ok = load_sysctl_file(c, path, sec, SCN_LAYER_SYSCTL_FILE, ignored, hf, &e);
		if (!ok) {
			/* name the key that pointed at the file */
			if (g_str_has_prefix(e->message, path) && strstr(e->message, "cannot read"))
				cfg_error(c, scn__machines[i], "sysctl_file", err, "%s", e->message);
			else
				g_propagate_error(err, g_steal_pointer(&e));
			g_clear_error(&e);
		}
		g_free(sec);
		g_free(path);
		if (!ok)
			return false;
	}
	return true;
}

static void note_ignored(GPtrArray *notes, const char *what, GPtrArray *ign)
{
	if (!notes || !ign->len)
		return;
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < ign->len && i < 4; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(ign, i));
	g_ptr_array_add(notes, g_strdup_printf("note: %s: ignored %u sysctl%s that connsim does not model (%s%s)", what,
					       ign->len, ign->len == 1 ? "" : "s", s->str, ign->len > 4 ? ", ..." : ""));
	g_string_free(s, TRUE);
}

static void add_note(GPtrArray *notes, char *line)
{
	if (notes)
		g_ptr_array_add(notes, line);
	else
		g_free(line);
}

/*
 * --sysctl's "HOST:FILE": the machine (NULL: every host) and the file.  A
 * prefix must name a host or a box the experiment has (a box is not created
 * by naming its sysctl file); a word before ':' that names neither is an
 * error unless the whole argument is a file.
 */
static bool split_sysctl_arg(const cfg *c, const char *arg, const char **machine, const char **file, GError **err)
{
	*machine = NULL;
	*file = arg;
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg)
		return true;
	for (unsigned i = 0; i < SCN_MACHINES; i++) {
		size_t n = strlen(scn__machines[i]);
		if ((size_t)(colon - arg) == n && !strncmp(arg, scn__machines[i], n)) {
			*machine = scn__machines[i];
			*file = colon + 1;
			if (i >= 2 && !scn__has_machine(c, scn__machines[i])) {
				g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
					    "--sysctl %s: the experiment has no [%s] box; add a [%s] section to the "
					    "experiment (naming its sysctl file does not create the box)",
					    arg, scn__machines[i], scn__machines[i]);
				return false;
			}
			return true;
		}
	}
	bool word = true;
	for (const char *p = arg; p < colon; p++)
		word = word && (g_ascii_isalnum(*p) || *p == '_' || *p == '-');
	if (word && !g_file_test(arg, G_FILE_TEST_EXISTS)) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
			    "--sysctl %s: unknown host '%.*s' (expected FILE, or client:, server:, nat: or firewall: "
			    "before it)", arg, (int)(colon - arg), arg);
		return false;
	}
	return true;
}

/* The scn__machines a file is for: its own, or every host and box the experiment has. */
static unsigned facts_targets(const cfg *c, const host_facts *f, const char *out[4])
{
	if (f->machine) {
		out[0] = f->machine;
		return 1;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < SCN_MACHINES; i++)
		if (i < 2 || scn__has_machine(c, scn__machines[i]))
			out[n++] = scn__machines[i];
	return n;
}

static bool is_box(const char *machine)
{
	return !strcmp(machine, "nat") || !strcmp(machine, "firewall");
}

/* "client", "client and server", "every host and box"; for messages. */
static char *targets_text(const host_facts *f, unsigned n)
{
	if (f->machine)
		return g_strdup(f->machine);
	return g_strdup(n > 2 ? "every host and box" : "client and server");
}

/* kernel.osrelease -> the nearest profile (prof_for_release), unless the
 * experiment or --set gives one. */
static bool infer_profile(cfg *c, const host_facts *f, const char *const *t, unsigned n, const bool *given,
			  GPtrArray *notes, GError **err)
{
	unsigned v;
	if (!prof_parse_release(f->osrelease, &v)) {
		g_set_error(err, CFG_ERROR, CFG_ERROR_INPUT,
			    "%s:%d: kernel.osrelease = '%s': expected a kernel release such as 4.15.0-213-generic",
			    f->path, f->osrelease_line, f->osrelease);
		return false;
	}
	const prof *p = prof_for_release(v);
	GString *set = g_string_new(NULL), *kept = g_string_new(NULL);
	bool ok = true;
	for (unsigned i = 0; i < n && ok; i++) {
		g_string_append_printf(given[i] ? kept : set, "%s%s", (given[i] ? kept : set)->len ? ", " : "", t[i]);
		if (!given[i])
			ok = cfg_put(c, t[i], "profile", p->name, f->path, f->osrelease_line, f->layer, err);
	}
	if (ok && set->len) {
		char *who = kept->len ? g_strdup(set->str) : targets_text(f, n);
		add_note(notes, g_strdup_printf("%s: kernel.osrelease %s: profile %s for %s (override with --profile or "
						"[%.*s] profile)", f->path, f->osrelease, p->name, who,
						(int)strcspn(set->str, ","), set->str));
		g_free(who);
	}
	if (ok && kept->len)
		add_note(notes, g_strdup_printf("note: %s: kernel.osrelease %s would select profile %s; the profile "
						"given for %s wins", f->path, f->osrelease, p->name, kept->str));
	g_string_free(set, TRUE);
	g_string_free(kept, TRUE);
	return ok;
}

/*
 * kernel.threads-max -> RAM.  set_max_threads (kernel/fork.c) makes it
 * totalram_pages * PAGE_SIZE / (8 * THREAD_SIZE); THREAD_SIZE is 16 KiB on
 * x86_64 from 3.15 (8 KiB before), so RAM = threads-max x 128 KiB.  Only the
 * default tells RAM: a host that raised threads-max reads as larger.
 */
static bool infer_memory(cfg *c, const host_facts *f, const char *const *t, unsigned n, const bool *given,
			 GPtrArray *notes, GError **err)
{
	unsigned v = 0;
	bool old = f->osrelease && prof_parse_release(f->osrelease, &v) && v < 315;
	double per = old ? 65536.0 : 131072.0;
	double gib = (double)f->threads_max * per / 1073741824.0;
	const cfg_key *k = cfg_schema_find(c, "client", "memory");
	if (f->threads_max < 0 || gib < k->min || gib > k->max) {
		add_note(notes, g_strdup_printf("note: %s:%d: kernel.threads-max %lld gives no memory in [%g, %g] GiB: "
						"memory not inferred", f->path, f->threads_line,
						(long long)f->threads_max, k->min, k->max));
		return true;
	}
	char *text = g_strdup_printf("%.17g", gib);
	unsigned set = 0;
	for (unsigned i = 0; i < n; i++)
		if (!given[i]) {
			if (!cfg_put(c, t[i], "memory", text, f->path, f->threads_line, f->layer, err)) {
				g_free(text);
				return false;
			}
			set++;
		}
	g_free(text);
	char *who = targets_text(f, n);
	if (set)
		add_note(notes, g_strdup_printf("%s: kernel.threads-max %lld: memory %.1f GiB for %s (RAM / %.0f KiB, "
						"set_max_threads on x86_64; override with [%s] memory)", f->path,
						(long long)f->threads_max, gib, who, per / 1024, t[0]));
	g_free(who);
	return true;
}

/*
 * net.ipv4.tcp_max_tw_buckets -> ehash entries: tcp_sk_init sets it to ehash
 * entries / 2 (doc/kernel-rules.md §8.1), a power of two.  When memory gives
 * that ehash already nothing is set (so that varying memory still sizes
 * ehash); else thash_entries takes the file's size.
 */
static bool infer_ehash(cfg *c, const host_facts *f, const char **t, unsigned n, const bool *given_thash,
			const bool *given_mem, GPtrArray *notes, GError **err)
{
	uint64_t tw = (uint64_t)f->tw_buckets;
	if (tw < 8 || (tw & (tw - 1))) {
		add_note(notes, g_strdup_printf("note: %s:%d: net.ipv4.tcp_max_tw_buckets %llu is not a kernel default "
						"(ehash entries / 2, a power of two): ehash size from memory",
						f->path, f->tw_line, (unsigned long long)tw));
		return true;
	}
	uint64_t want = 2 * tw;
	/* per host: 0 memory gives it, 1 memory given says otherwise, 2 set */
	int what[4];
	uint32_t have[4];
	unsigned nh = 0;
	for (unsigned i = 0; i < n; i++) {
		if (is_box(t[i]) || given_thash[i])
			continue;
		uint64_t mem = (uint64_t)(cfg_double(c, t[i], "memory") * 1073741824.0);
		have[nh] = kconf_ehash_entries(mem, 0);
		what[nh] = have[nh] == want ? 0 : given_mem[i] ? 1 : 2;
		if (what[nh] == 2) {
			char *text = g_strdup_printf("%llu", (unsigned long long)want);
			bool ok = cfg_put(c, t[i], "thash_entries", text, f->path, f->tw_line, f->layer, err);
			g_free(text);
			if (!ok)
				return false;
		}
		t[nh] = t[i];  /* the hosts, in front */
		nh++;
	}
	/* one line when the hosts agree */
	bool same = true;
	for (unsigned i = 1; i < nh; i++)
		same = same && what[i] == what[0] && have[i] == have[0];
	for (unsigned i = 0; i < nh; i++) {
		if (same && i)
			break;
		char *who = same && nh > 1 ? g_strdup("client and server") : g_strdup(t[i]);
		unsigned long long tw_ = (unsigned long long)tw, want_ = (unsigned long long)want;
		if (what[i] == 0)
			add_note(notes, g_strdup_printf("%s: net.ipv4.tcp_max_tw_buckets %llu: ehash %llu entries for %s, "
							"as memory gives", f->path, tw_, want_, who));
		else if (what[i] == 1)
			add_note(notes, g_strdup_printf("note: %s: net.ipv4.tcp_max_tw_buckets %llu says ehash %llu "
							"entries; the memory given for %s gives %u", f->path, tw_, want_,
							who, have[i]));
		else
			add_note(notes, g_strdup_printf("%s: net.ipv4.tcp_max_tw_buckets %llu: ehash %llu entries for %s "
							"(as thash_entries: memory alone gives %u; override with [%s] "
							"thash_entries)", f->path, tw_, want_, who, have[i], t[i]));
		g_free(who);
	}
	return true;
}

/*
 * What the hosts' sysctl files reveal, for each file's scn__machines: the
 * profile, memory and ehash size, each unless the experiment or --set gives
 * it (checked before any file is applied, so a first file does not hide a
 * second); the values go in at the file's layer with its file and line, so
 * that --profile and a sweep's settings still win.  HZ is not in sysctl:
 * say what is assumed.
 */
static bool apply_host_facts(cfg *c, GPtrArray *facts, GPtrArray *notes, GError **err)
{
	enum { NM = SCN_MACHINES };
	bool g_prof[NM], g_mem[NM], g_thash[NM], g_hz[NM];
	for (unsigned i = 0; i < NM; i++) {
		g_prof[i] = cfg_has(c, scn__machines[i], "profile");
		g_mem[i] = cfg_has(c, scn__machines[i], "memory");
		g_thash[i] = cfg_has(c, scn__machines[i], "thash_entries");
		g_hz[i] = cfg_has(c, scn__machines[i], "hz");
	}
	for (guint j = 0; j < facts->len; j++) {
		const host_facts *f = g_ptr_array_index(facts, j);
		const char *t[NM];
		unsigned n = facts_targets(c, f, t);
		bool gp[NM], gm[NM], gt[NM];
		GString *hz_free = g_string_new(NULL);  /* the scn__machines whose HZ is assumed */
		unsigned nfree = 0;
		for (unsigned i = 0; i < n; i++) {
			unsigned m = 0;
			while (strcmp(scn__machines[m], t[i]))
				m++;
			gp[i] = g_prof[m];
			gm[i] = g_mem[m];
			gt[i] = g_thash[m];
			if (!g_hz[m]) {
				g_string_append_printf(hz_free, "%s%s", hz_free->len ? ", " : "", t[i]);
				nfree++;
			}
		}
		bool ok = (!f->osrelease || infer_profile(c, f, t, n, gp, notes, err)) &&
			  (f->threads_max < 0 || infer_memory(c, f, t, n, gm, notes, err));
		/* the default, which a host whose HZ was not given has */
		if (ok && f->osrelease && nfree) {
			char *who = nfree == n ? targets_text(f, n) : g_strdup(hz_free->str);
			int first = (int)strcspn(hz_free->str, ",");
			add_note(notes, g_strdup_printf("note: %s: CONFIG_HZ is not in sysctl: HZ %s assumed for %s (set "
							"[%.*s] hz or --set %.*s.hz=N)", f->path,
							cfg_schema_find(c, "client", "hz")->def, who, first, hz_free->str,
							first, hz_free->str));
			g_free(who);
		}
		g_string_free(hz_free, TRUE);
		if (!ok)
			return false;
		if (f->tw_buckets >= 0 && !infer_ehash(c, f, t, n, gt, gm, notes, err))  /* reorders t */
			return false;
	}
	return true;
}

#define NO_BOX_FIX "the experiment has no [firewall] or [nat] box; add a [firewall] section"

/*
 * Conntrack settings only act in a box (ct_resolve), so those given for the
 * hosts of an experiment without one change nothing: a warning per file (a
 * `sysctl -a` has dozens), naming the first.  A host-only file (client:) is
 * no box's even when there is one.
 */
static void warn_conntrack_without_box(const cfg *c, const GPtrArray *facts, GPtrArray *notes)
{
	bool boxed = scn__has_machine(c, "nat") || scn__has_machine(c, "firewall");
	for (guint j = 0; j < facts->len; j++) {
		const host_facts *f = g_ptr_array_index(facts, j);
		if (!f->ct_key || (f->machine && is_box(f->machine)) || (boxed && !f->machine))
			continue;
		if (boxed)
			add_note(notes, g_strdup_printf("warning: %s:%d: %s: nf_conntrack settings have no effect on a "
							"host (only boxes track connections); load the file with "
							"--sysctl firewall:%s", f->path, f->ct_line, f->ct_key, f->path));
		else
			add_note(notes, g_strdup_printf("warning: %s:%d: %s: nf_conntrack settings have no effect: "
							NO_BOX_FIX ", or load the file with --sysctl firewall:%s",
							f->path, f->ct_line, f->ct_key, f->path));
	}
	if (boxed)
		return;
	/* [sysctl], [client.sysctl], [server.sysctl] in the experiment or --set */
	GPtrArray *warned = g_ptr_array_new();
	static const char *const secs[] = { SCN_SYSCTL, "client." SCN_SYSCTL, "server." SCN_SYSCTL };
	for (const cfg_key *k = scn_schema(); k->name; k++) {
		if (strcmp(k->section, SCN_SYSCTL) || !is_conntrack_key(k->name))
			continue;
		for (unsigned i = 0; i < G_N_ELEMENTS(secs); i++) {
			const char *file;
			int line, layer;
			if (!cfg_origin(c, secs[i], k->name, &file, &line, &layer) || layer == SCN_LAYER_SYSCTL_FILE ||
			    layer == SCN_LAYER_CLI_SYSCTL)
				continue;
			bool seen = false;
			for (guint w = 0; w < warned->len && !seen; w++)
				seen = !strcmp(g_ptr_array_index(warned, w), file);
			if (seen)
				continue;
			g_ptr_array_add(warned, (gpointer)file);
			char *at = line > 0 ? g_strdup_printf("%s:%d", file, line) : g_strdup(file);
			add_note(notes, g_strdup_printf("warning: %s: %s: nf_conntrack settings have no effect: " NO_BOX_FIX
							" (its settings go in [firewall.sysctl])", at, k->name));
			g_free(at);
		}
	}
	g_ptr_array_free(warned, TRUE);
}

cfg *scn_load(const char *path, char *const *sysctls, char *const *sets, GPtrArray *notes, GError **err)
{
	cfg *c = scn_cfg_new();
	GPtrArray *ign = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *facts = g_ptr_array_new_with_free_func(host_facts_free);
	/* path NULL: no experiment file, the schema's defaults (connsim check's
	 * built-in workload) */
	if ((path && !cfg_load_file(c, path, CFG_LAYER_FILE, err)) || !load_named_sysctl_files(c, ign, facts, err))
		goto fail;
	note_ignored(notes, "sysctl files named by the experiment", ign);
	for (char *const *f = sysctls; f && *f; f++) {
		const char *file, *host;
		if (!split_sysctl_arg(c, *f, &host, &file, err))
			goto fail;
		char *sec = scn__sysctl_section(host);
		g_ptr_array_set_size(ign, 0);
		host_facts *hf = host_facts_new(facts, file, SCN_LAYER_CLI_SYSCTL, host);
		bool ok = load_sysctl_file(c, file, sec, SCN_LAYER_CLI_SYSCTL, ign, hf, err);
		g_free(sec);
		if (!ok)
			goto fail;
		note_ignored(notes, file, ign);
	}
	for (char *const *s = sets; s && *s; s++)
		if (!scn_set_arg(c, *s, NULL, err))
			goto fail;
	if (!apply_host_facts(c, facts, notes, err))
		goto fail;
	warn_conntrack_without_box(c, facts, notes);
	g_ptr_array_free(facts, TRUE);
	g_ptr_array_free(ign, TRUE);
	return c;
fail:
	g_ptr_array_free(facts, TRUE);
	g_ptr_array_free(ign, TRUE);
	cfg_free(c);
	return NULL;
}
