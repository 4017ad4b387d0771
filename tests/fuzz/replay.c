/*
 * Replays inputs through a fuzz target's entry point without libFuzzer, so
 * that `make check` (any compiler, and under SANITIZE=1 with ASan and UBSan)
 * runs every crash or hang ever found, kept under tests/fuzz/regress/TARGET/,
 * and the seed corpus.  Arguments: files or directories (every regular file
 * in them).  An input that takes longer than 20 s counts as a hang: SIGALRM
 * ends the process with the input's name on stderr.
 */
#include "tests/fuzz/fuzz.h"

#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *current;

static void on_alarm(int sig)
{
	static const char msg[] = "replay: hang (over 20 s) on input ";
	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0 || write(2, current, strlen(current)) < 0 || write(2, "\n", 1) < 0)
		_exit(3);
	_exit(3);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_file(const char *path)
{
	char *data;
	gsize len;
	GError *e = NULL;
	if (!g_file_get_contents(path, &data, &len, &e)) {
		fprintf(stderr, "replay: %s\n", e->message);
		g_error_free(e);
		return 1;
	}
	current = path;
	alarm(20);
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	alarm(0);
	g_free(data);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGALRM, on_alarm);
	unsigned n = 0;
	int fail = 0;
	for (int i = 1; i < argc; i++) {
		if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
			fail |= replay_file(argv[i]);
			n++;
			continue;
		}
		GDir *d = g_dir_open(argv[i], 0, NULL);
		if (!d)
			continue;
		GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
		for (const char *f; (f = g_dir_read_name(d));)
			if (*f != '.')
				g_ptr_array_add(names, g_build_filename(argv[i], f, NULL));
		g_dir_close(d);
		g_ptr_array_sort(names, by_name);
		for (guint j = 0; j < names->len; j++) {
			const char *p = g_ptr_array_index(names, j);
			if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
				fail |= replay_file(p);
				n++;
			}
		}
		g_ptr_array_free(names, TRUE);
	}
	printf("replayed %u inputs through %s\n", n, argv[0]);
	return fail;
}
