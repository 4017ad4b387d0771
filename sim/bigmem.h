/*
 * bigmem: allocations for the large tables that models index at random (a
 * pool's chunks, hash bucket arrays), backed by transparent huge pages where
 * the host allows them.
 *
 * A lookup in a table of a million entries is a cache miss and, with 4 KiB
 * pages, a TLB miss too: the page walk comes before the data.  A block of
 * BIGMEM_MIN bytes or more is aligned to 2 MiB, rounded up to whole 2 MiB
 * pages when that adds less than an eighth, and advised MADV_HUGEPAGE, so
 * that the kernel may back it with 2 MiB pages (with THP "madvise" or
 * "always"; otherwise the advice is ignored and nothing changes).  Smaller
 * blocks come from g_malloc.  Speed only: contents are whatever the caller
 * writes.
 */
#ifndef CONNSIM_BIGMEM_H
#define CONNSIM_BIGMEM_H

#include <stddef.h>

#define BIGMEM_MIN ((size_t)2 << 20)

/* The bytes bigmem_alloc(size) takes (the rounding up), for memory reports. */
size_t bigmem_size(size_t size);
/* Aborts when out of memory, as g_malloc does. */
void *bigmem_alloc(size_t size);
/* size: as given to bigmem_alloc. */
void bigmem_free(void *p, size_t size);

#endif
