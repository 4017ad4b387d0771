#include "sim/out.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Temporaries a signal must remove.  The handler may run at any instant, in
 * any thread, so it reads only this fixed array (no allocation, no lock) and
 * calls only unlink() and raise(), which are async-signal-safe.  A slot is
 * filled before it is marked used and unmarked before it is reused; the
 * fences keep the compiler from reordering those stores around the flag.
 * Registration runs with the three signals blocked, so a temporary cannot
 * exist unregistered while a handler could run in this thread.
 */
enum { OUT_MAX_TMP = 64 };
static char tmp_path[OUT_MAX_TMP][PATH_MAX];
static volatile sig_atomic_t tmp_used[OUT_MAX_TMP];
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };

/*
 * Output directories this process holds an advisory lock on (flock on the
 * directory itself, so no lock file is left behind), by device and inode so
 * that two spellings of one directory are one lock.  The lock is taken by the
 * first out_open into a directory and released when the last file opened
 * there is committed or aborted: a run's files (opened together, committed
 * together) are written under it, and a second run into the same directory
 * fails at its first out_open instead of mixing its files with the first's.
 */
typedef struct dir_lock {
	dev_t dev;
	ino_t ino;
	int fd;
	unsigned refs;     /* out_files open in the directory; 0: slot free */
	pid_t pid;         /* the holder: a forked child is another run (the
	                    * inherited descriptor is the parent's lock) */
} dir_lock;
enum { OUT_MAX_DIRS = 16 };
static dir_lock dir_locks[OUT_MAX_DIRS];
static GMutex out_mutex;  /* slots and locks: sweeps run threads */

struct out_file {
	char *path, *tmp;
	FILE *fp;
	int slot;  /* in tmp_path */
	int lock;  /* in dir_locks */
};

static void block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < G_N_ELEMENTS(cleanup_signals); i++)
		sigaddset(&set, cleanup_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Locks the directory of path (or adds a reference to this process's lock);
 * the index in dir_locks, or -1 with err set.  Call with out_mutex held. */
static int lock_dir(const char *path, GError **err)
{
	char *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int found = -1, saved = 0;
	if (fd < 0 || fstat(fd, &st) != 0) {
		saved = errno;
		goto fail;
	}
	int free_slot = -1;
	pid_t me = getpid();
	for (int i = 0; i < OUT_MAX_DIRS; i++) {
		bool mine = dir_locks[i].refs && dir_locks[i].pid == me;
		if (mine && dir_locks[i].dev == st.st_dev && dir_locks[i].ino == st.st_ino)
			found = i;
		else if (!mine && free_slot < 0)
			free_slot = i;
	}
	if (found >= 0) {
		close(fd);
		dir_locks[found].refs++;
		g_free(dir);
		return found;
	}
	if (free_slot < 0) {
		saved = EMFILE;
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
				    "%s: another connsim run is writing into this directory; wait for it or "
				    "choose another --out", dir);
			close(fd);
			g_free(dir);
			return -1;
		}
		saved = errno;
		goto fail;
	}
	dir_locks[free_slot] = (dir_lock){ st.st_dev, st.st_ino, fd, 1, me };
	g_free(dir);
	return free_slot;
fail:
	g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: cannot lock: %s", dir,
		    g_strerror(saved));
	if (fd >= 0)
		close(fd);
	g_free(dir);
	return -1;
}

/* Call with out_mutex held. */
static void unlock_dir(int i)
{
	if (--dir_locks[i].refs == 0)
		close(dir_locks[i].fd);  /* releases the flock */
}

out_file *out_open(const char *path, GError **err)
{
	out_file *f = g_new0(out_file, 1);
	f->path = g_strdup(path);
	/* unique, created exclusively (O_EXCL) beside the target, so that the
	 * rename stays in one file system and two runs never share a temporary */
	f->tmp = g_strconcat(path, ".XXXXXX.tmp", NULL);
	f->slot = f->lock = -1;
	int fd = -1, saved = 0;
	sigset_t old;
	if (strlen(f->tmp) >= PATH_MAX) {
		saved = ENAMETOOLONG;
		goto fail;
	}
	block_signals(&old);
	g_mutex_lock(&out_mutex);
	f->lock = lock_dir(path, err);
	if (f->lock < 0) {
		g_mutex_unlock(&out_mutex);
		restore_signals(&old);
		goto fail_set;
	}
	for (int i = 0; i < OUT_MAX_TMP && f->slot < 0; i++)
		if (!tmp_used[i])
			f->slot = i;
	if (f->slot < 0) {
		saved = EMFILE;
	} else {
		fd = g_mkstemp_full(f->tmp, O_WRONLY | O_CLOEXEC, 0666);  /* the umask applies, as with fopen */
		if (fd < 0) {
			saved = errno;
			f->slot = -1;
		} else {
			memcpy(tmp_path[f->slot], f->tmp, strlen(f->tmp) + 1);
			atomic_signal_fence(memory_order_seq_cst);
			tmp_used[f->slot] = 1;
		}
	}
	if (fd < 0) {
		unlock_dir(f->lock);
		f->lock = -1;
	}
	g_mutex_unlock(&out_mutex);
	restore_signals(&old);
	if (fd < 0)
		goto fail;
	f->fp = fdopen(fd, "w");
	if (!f->fp) {
		saved = errno;
		close(fd);
		out_abort(f);
		f = NULL;
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: cannot write: %s", path,
			    g_strerror(saved));
		return NULL;
	}
	return f;
fail:
	g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: cannot write: %s", path,
		    g_strerror(saved));
fail_set:
	g_free(f->path);
	g_free(f->tmp);
	g_free(f);
	return NULL;
}

FILE *out_stream(out_file *f)
{
	return f->fp;
}

/* Forgets the temporary (gone: renamed or removed) and the directory lock. */
static void out_release(out_file *f)
{
	g_mutex_lock(&out_mutex);
	if (f->slot >= 0) {
		tmp_used[f->slot] = 0;
		atomic_signal_fence(memory_order_seq_cst);
	}
	if (f->lock >= 0)
		unlock_dir(f->lock);
	g_mutex_unlock(&out_mutex);
	g_free(f->path);
	g_free(f->tmp);
	g_free(f);
}

/* A stream whose error flag is set no longer knows why (stdio keeps no
 * errno): write to it again to find out.  The temporary is about to be
 * removed, so a probe costs nothing; a full disk then says "No space left
 * on device" instead of a made-up EIO. */
static int stream_errno(FILE *fp)
{
	clearerr(fp);
	errno = 0;
	if ((fputc('\n', fp) == EOF || fflush(fp) == EOF) && errno)
		return errno;
	return EIO;
}

bool out_commit(out_file *f, GError **err)
{
	bool ok = !ferror(f->fp);
	int saved = 0;
	if (!ok)
		saved = stream_errno(f->fp);
	else if (fflush(f->fp) != 0) {
		ok = false;
		saved = errno;
	}
	if (fclose(f->fp) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && g_rename(f->tmp, f->path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: cannot write: %s", f->path,
			    g_strerror(saved));
		g_unlink(f->tmp);
	}
	out_release(f);
	return ok;
}

void out_abort(out_file *f)
{
	if (!f)
		return;
	if (f->fp)
		fclose(f->fp);
	g_unlink(f->tmp);
	out_release(f);
}

/* Removes every registered temporary, then dies of the signal with its
 * default action, so the parent sees the conventional status (128 + sig in
 * a shell).  The other cleanup signals are blocked while it runs. */
static void on_cleanup_signal(int sig)
{
	for (int i = 0; i < OUT_MAX_TMP; i++)
		if (tmp_used[i])
			unlink(tmp_path[i]);
	signal(sig, SIG_DFL);
	raise(sig);  /* delivered when the handler returns, as sig is blocked until then */
}

void out_cleanup_on_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_cleanup_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < G_N_ELEMENTS(cleanup_signals); i++)
		sigaddset(&sa.sa_mask, cleanup_signals[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(cleanup_signals); i++) {
		struct sigaction old;
		/* a signal ignored at start stays ignored (nohup, a background
		 * job of a shell without job control) */
		if (sigaction(cleanup_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

bool out_mkdir(const char *dir, GError **err)
{
	if (g_mkdir_with_parents(dir, 0755) != 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot create directory: %s",
			    dir, g_strerror(errno));
		return false;
	}
	return true;
}

void out_comment_block(FILE *fp, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(fp, "# %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}
