#include "sim/bigmem.h"

#include "sim/bug.h"

#include <glib.h>
#include <stdlib.h>
#include <sys/mman.h>

size_t bigmem_size(size_t size)
{
	if (size < BIGMEM_MIN)
		return size;
	/* Only whole 2 MiB pages become huge: round the block up to them when
	 * that costs less than an eighth more (a pool chunk of 5.5 MiB:
	 * 6 MiB), else leave the tail on small pages. */
	size_t whole = (size + BIGMEM_MIN - 1) & ~(BIGMEM_MIN - 1);
	return whole - size < size / 8 ? whole : size;
}

void *bigmem_alloc(size_t size)
{
	if (size < BIGMEM_MIN)
		return g_malloc(size);
	size = bigmem_size(size);
	void *p = NULL;
	if (posix_memalign(&p, BIGMEM_MIN, size))
		BUG("out of memory: posix_memalign of a large table failed");
#ifdef MADV_HUGEPAGE
	(void)madvise(p, size, MADV_HUGEPAGE);  /* advice: failure changes nothing */
#endif
	return p;
}

void bigmem_free(void *p, size_t size)
{
	if (size < BIGMEM_MIN)
		g_free(p);
	else
		free(p);
}
