/*
 * Fuzz target: the command line's value parsers.  The first byte picks the
 * parser, the rest is the argument as typed:
 *   0  a duration (--duration, cfg_parse_time)
 *   1  --set KEY=VALUE (scn_set_arg: section.key, scoped, bare sysctl names)
 *   2  --vary KEY=a,b,c / KEY=START:STOP:STEPS[:log] (grid_new), applied
 *   3  --variant "LABEL: KEY=VALUE & ..." (grid_new), applied
 *   4  a port range "lo hi" (net.ipv4.ip_local_port_range)
 *   5  a ports list "8080,9000-9010" ([server] ports, reserved ports)
 *   6  a [sweep] list "a; b; c" (grid_split_list)
 *   7  --seed (exp_seed)
 */
#include "tests/fuzz/fuzz_common.h"

#include "cmd/exp.h"
#include "cmd/grid.h"
#include "models/scenario.h"

static void try_grid(const char *arg, bool variant)
{
	char *list[] = { (char *)arg, NULL };
	GError *err = NULL;
	grid *g = grid_new(variant ? NULL : list, variant ? list : NULL, &err);
	if (g) {
		unsigned n = grid_npoints(g);
		if (!n)
			abort();  /* a grid has at least one point */
		cfg *c = scn_cfg_new();
		/* the first and the last point: applying may refuse the value */
		if (!grid_apply(g, 0, c, &err))
			g_clear_error(&err);
		if (!grid_apply(g, n - 1, c, &err))
			g_clear_error(&err);
		GString *d = g_string_new(NULL);
		grid_describe(g, d);
		g_string_free(d, TRUE);
		cfg_free(c);
		grid_free(g);
	}
	g_clear_error(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	char *arg = fuzz_str(data + 1, size - 1);
	GError *err = NULL;
	cfg *c = scn_cfg_new();
	switch (data[0] % 8) {
	case 0: {
		uint64_t ns;
		if (cfg_parse_time(arg, &ns) && ns > 18000000000000000000ull)
			abort();  /* past the documented limit */
		break;
	}
	case 1:
		if (scn_set_arg(c, arg, NULL, &err)) {
			scenario *s = scn_new(c, &err);
			scn_free(s);
		}
		break;
	case 2:
		try_grid(arg, false);
		break;
	case 3:
		try_grid(arg, true);
		break;
	case 4:
		if (cfg_set(c, "sysctl", "net.ipv4.ip_local_port_range", arg, NULL, &err)) {
			int64_t lo, hi;
			cfg_range(c, "sysctl", "net.ipv4.ip_local_port_range", &lo, &hi);
			if (lo > hi)
				abort();
		}
		break;
	case 5:
		if (cfg_set(c, "server", "ports", arg, NULL, &err)) {
			uint8_t bm[8192];
			cfg_ports(c, "server", "ports", bm);
		}
		g_clear_error(&err);
		if (cfg_set(c, "sysctl", "net.ipv4.ip_local_reserved_ports", arg, NULL, &err)) {
			uint8_t bm[8192];
			cfg_ports(c, "sysctl", "net.ipv4.ip_local_reserved_ports", bm);
		}
		break;
	case 6:
		g_strfreev(grid_split_list(arg));
		break;
	case 7: {
		guint64 seed;
		exp_seed(c, arg, &seed, &err);
		break;
	}
	}
	if (err && !*err->message)
		abort();
	g_clear_error(&err);
	cfg_free(c);
	g_free(arg);
	return 0;
}
