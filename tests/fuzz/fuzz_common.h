/*
 * The definitions behind fuzz.h, included by every target once: each target
 * links alone (libFuzzer's main or replay.c's) and needs no common object.
 */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
	static char *path;
	static int fd = -1;
	if (fd < 0) {
		path = g_strdup_printf("%s/connsim-fuzz-%ld%s", g_get_tmp_dir(), (long)getpid(), suffix);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			perror(path);
			abort();
		}
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror(path);
		abort();
	}
	return path;
}

char *fuzz_str(const uint8_t *data, size_t size)
{
	return g_strndup((const char *)data, size);
}

/* The temporary goes with the process (libFuzzer ends by exit()). */
__attribute__((destructor)) static void fuzz_cleanup(void)
{
	char *p = g_strdup_printf("%s/connsim-fuzz-%ld", g_get_tmp_dir(), (long)getpid());
	const char *sfx[] = { ".ini", ".conf" };
	for (unsigned i = 0; i < 2; i++) {
		char *f = g_strconcat(p, sfx[i], NULL);
		unlink(f);
		g_free(f);
	}
	g_free(p);
}
