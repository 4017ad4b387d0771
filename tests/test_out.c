/*
 * Output files (sim/out.c): whole or absent, a temporary of their own, one
 * process per directory, temporaries removed by SIGINT/SIGTERM/SIGHUP.
 * Processes are forked where the property is between processes (the
 * directory lock, the flock being per open file) or ends one (a signal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/out.h"

/* Files in dir whose name ends in suffix. */
static unsigned count_suffix(const char *dir, const char *suffix)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	assert_non_null(d);
	unsigned n = 0;
	for (const char *e; (e = g_dir_read_name(d));)
		n += g_str_has_suffix(e, suffix);
	g_dir_close(d);
	return n;
}

static char *read_all(const char *path)
{
	char *s = NULL;
	if (!g_file_get_contents(path, &s, NULL, NULL))
		return NULL;
	return s;
}

/* Two files open at once for the same target get two temporaries (the old
 * fixed "<path>.tmp" was shared); the last commit wins whole. */
static void test_unique_temporaries(void **st)
{
	(void)st;
	char *dir = g_dir_make_tmp("connsim-out-XXXXXX", NULL);
	assert_non_null(dir);
	char *path = g_build_filename(dir, "x.csv", NULL);
	GError *err = NULL;
	out_file *a = out_open(path, &err), *b = out_open(path, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(count_suffix(dir, ".tmp"), 2);
	fputs("from a\n", out_stream(a));
	fputs("from b, longer\n", out_stream(b));
	assert_true(out_commit(b, &err));
	assert_true(out_commit(a, &err));
	char *s = read_all(path);
	assert_string_equal(s, "from a\n");
	g_free(s);
	assert_int_equal(count_suffix(dir, ".tmp"), 0);
	/* abort removes its temporary and leaves the target alone */
	out_file *c = out_open(path, &err);
	fputs("aborted\n", out_stream(c));
	out_abort(c);
	s = read_all(path);
	assert_string_equal(s, "from a\n");
	g_free(s);
	assert_int_equal(count_suffix(dir, ".tmp"), 0);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

/* A file open in a directory locks it against other processes until the
 * process's last file there is committed; a child meanwhile fails with a
 * message, afterwards succeeds.  Another directory is not affected. */
static int child_open(const char *path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		GError *err = NULL;
		out_file *f = out_open(path, &err);
		if (!f) {
			int ok = err && strstr(err->message, "another connsim run is writing into this directory");
			_exit(ok ? 3 : 4);
		}
		fputs("child\n", out_stream(f));
		_exit(out_commit(f, &err) ? 0 : 5);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_directory_lock(void **st)
{
	(void)st;
	char *dir = g_dir_make_tmp("connsim-out-XXXXXX", NULL), *other = g_dir_make_tmp("connsim-out-XXXXXX", NULL);
	char *p1 = g_build_filename(dir, "a.csv", NULL), *p2 = g_build_filename(dir, "b.csv", NULL),
	     *p3 = g_build_filename(other, "c.csv", NULL);
	char *dotted = g_strdup_printf("%s/./a.csv", dir);  /* the same directory, spelt otherwise */
	GError *err = NULL;
	out_file *a = out_open(p1, &err), *b = out_open(dotted, &err);
	assert_non_null(a);
	assert_non_null(b);  /* this process holds the lock: it may open more */
	assert_int_equal(child_open(p2), 3);
	assert_int_equal(child_open(p3), 0);
	assert_true(out_commit(a, &err));
	assert_int_equal(child_open(p2), 3);  /* b still open */
	out_abort(b);
	assert_int_equal(child_open(p2), 0);
	char *s = read_all(p2);
	assert_string_equal(s, "child\n");
	g_free(s);
	assert_int_equal(count_suffix(dir, ".tmp"), 0);
	g_unlink(p1);
	g_unlink(p2);
	g_unlink(p3);
	g_rmdir(dir);
	g_rmdir(other);
	g_free(p1);
	g_free(p2);
	g_free(p3);
	g_free(dotted);
	g_free(dir);
	g_free(other);
}

/* A child with two temporaries open (in two directories) gets sig: both
 * temporaries are gone, and it died of sig (the shell's 128 + sig). */
static void signal_case(int sig)
{
	char *dir = g_dir_make_tmp("connsim-out-XXXXXX", NULL), *other = g_dir_make_tmp("connsim-out-XXXXXX", NULL);
	char *p1 = g_build_filename(dir, "a.csv", NULL), *p2 = g_build_filename(other, "b.csv", NULL);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		out_cleanup_on_signals();
		out_file *a = out_open(p1, NULL), *b = out_open(p2, NULL);
		if (!a || !b)
			_exit(4);
		fputs("partial\n", out_stream(a));
		fflush(out_stream(a));
		if (write(ready[1], "r", 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_int_equal(count_suffix(dir, ".tmp"), 1);
	assert_int_equal(count_suffix(other, ".tmp"), 1);
	assert_int_equal(kill(pid, sig), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
	assert_int_equal(count_suffix(dir, ".tmp"), 0);
	assert_int_equal(count_suffix(other, ".tmp"), 0);
	assert_false(g_file_test(p1, G_FILE_TEST_EXISTS));
	g_rmdir(dir);
	g_rmdir(other);
	g_free(p1);
	g_free(p2);
	g_free(dir);
	g_free(other);
}

static void test_signals_remove_temporaries(void **st)
{
	(void)st;
	signal_case(SIGINT);
	signal_case(SIGTERM);
	signal_case(SIGHUP);
}

/* A directory that does not exist: an error naming the file, no lock kept. */
static void test_open_fails(void **st)
{
	(void)st;
	GError *err = NULL;
	out_file *f = out_open("/nonexistent-connsim-dir/x.csv", &err);
	assert_null(f);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "/nonexistent-connsim-dir"));
	g_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unique_temporaries),
		cmocka_unit_test(test_directory_lock),
		cmocka_unit_test(test_signals_remove_temporaries),
		cmocka_unit_test(test_open_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
