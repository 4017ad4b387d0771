#include "sim/out.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

struct out_file {
	char *path, *tmp;
	FILE *fp;
};

out_file *out_open(const char *path, GError **err)
{
	out_file *f = g_new0(out_file, 1);
	f->path = g_strdup(path);
	f->tmp = g_strconcat(path, ".tmp", NULL);
	f->fp = fopen(f->tmp, "w");
	if (!f->fp) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot write: %s", f->tmp,
			    g_strerror(errno));
		g_free(f->path);
		g_free(f->tmp);
		g_free(f);
		return NULL;
	}
	return f;
}

FILE *out_stream(out_file *f)
{
	return f->fp;
}

static void out_release(out_file *f)
{
	g_free(f->path);
	g_free(f->tmp);
	g_free(f);
}

bool out_commit(out_file *f, GError **err)
{
	bool ok = !ferror(f->fp);
	int saved = ok ? 0 : EIO;
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
	fclose(f->fp);
	g_unlink(f->tmp);
	out_release(f);
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
