#include "sim/pool.h"

#include "sim/bigmem.h"
#include "sim/bug.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

void pool_init(pool *p, size_t elem_size, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->elem = elem_size < sizeof(uint32_t) ? sizeof(uint32_t) : elem_size;
	p->free_head = POOL_NONE;
	p->name = name;
}

void pool_destroy(pool *p)
{
	for (uint32_t i = 0; i < p->nchunks; i++)
		bigmem_free(p->chunks[i], (size_t)p->elem << POOL_CHUNK_BITS);
	g_free(p->chunks);
	memset(p, 0, sizeof(*p));
}

uint32_t pool_alloc_new(pool *p)
{
	BUG_ON(p->used == POOL_NONE - 1);  /* full: 2^32 - 1 records, POOL_NONE kept free */
	uint32_t idx = p->used++;
	if ((idx >> POOL_CHUNK_BITS) >= p->nchunks) {
		p->chunks = g_renew(char *, p->chunks, p->nchunks + 1);
		p->chunks[p->nchunks++] = bigmem_alloc((size_t)p->elem << POOL_CHUNK_BITS);
	}
	p->live++;
	void *r = pool_at(p, idx);
	memset(r, 0, p->elem);
	return idx;
}

size_t pool_bytes(const pool *p)
{
	return (size_t)p->nchunks * bigmem_size((size_t)p->elem << POOL_CHUNK_BITS) +
	       p->nchunks * sizeof(char *);
}
