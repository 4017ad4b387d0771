/*
 * Fuzz target: a sysctl.conf(5) or `sysctl -a` file's bytes through the
 * scenario's sysctl parser (scn_load_sysctl_file, as --sysctl FILE and
 * [experiment] sysctl_files load it) into the client's section, then the
 * values it stored read back through the typed getters.
 */
#include "tests/fuzz/fuzz_common.h"

#include "models/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".conf");
	GError *err = NULL;
	GPtrArray *ign = g_ptr_array_new_with_free_func(g_free);
	cfg *c = scn_cfg_new();
	if (scn_load_sysctl_file(c, path, "client.sysctl", SCN_LAYER_CLI_SYSCTL, ign, &err)) {
		GString *out = g_string_new(NULL);
		cfg_dump(c, out, "# ");
		g_string_free(out, TRUE);
		/* the whole scenario from those settings: cross-key checks */
		scenario *s = scn_new(c, &err);
		scn_free(s);
	}
	if (err && (err->domain != CFG_ERROR || !*err->message))
		abort();
	g_clear_error(&err);
	cfg_free(c);
	g_ptr_array_free(ign, TRUE);
	return 0;
}
