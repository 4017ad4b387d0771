/*
 * Fuzz target: an experiment file's bytes through the loader every command
 * uses (scn_load: GKeyFile, the line scan, the schema's checks, the sysctl
 * files it names) and, when it loads, the scenario's cross-key checks
 * (scn_new) and the memory estimate made before anything is allocated
 * (scn_budget_check).  Any input must end in success or an input error:
 * never a crash, an abort, a leak (ASan) or undefined behaviour (UBSan).
 */
#include "tests/fuzz/fuzz_common.h"

#include "models/budget.h"
#include "models/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".ini");
	GError *err = NULL;
	GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
	cfg *c = scn_load(path, NULL, NULL, notes, &err);
	if (c) {
		scenario *s = scn_new(c, &err);
		if (s) {
			/* scn_new applied no memory limit (none set here); the
			 * estimate's message with a limit every input exceeds */
			budget b;
			scn_budget(s, &b);
			if (!(b.bytes > 0) || scn_budget_check(&b, 1, &err))
				abort();  /* every world takes some memory */
			g_clear_error(&err);
			GString *out = g_string_new(NULL);
			scn_print(s, out);
			g_string_free(out, TRUE);
			scn_free(s);
		}
		cfg_free(c);
	}
	if (err && (err->domain != CFG_ERROR || !*err->message))
		abort();  /* every refusal is an input error with a message */
	g_clear_error(&err);
	g_ptr_array_free(notes, TRUE);
	return 0;
}
