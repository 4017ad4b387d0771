#include "sim/pool.h"

#include <glib.h>
#include <stdio.h>
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
		g_free(p->chunks[i]);
	g_free(p->chunks);
	memset(p, 0, sizeof(*p));
}

uint32_t pool_alloc(pool *p)
{
	uint32_t idx;
	if (p->free_head != POOL_NONE) {
		idx = p->free_head;
		memcpy(&p->free_head, pool_at(p, idx), sizeof(uint32_t));
		/* the next allocation's record: freed records are cold by the
		 * time they are reused, and reading its link is a cache miss */
		if (p->free_head != POOL_NONE)
			__builtin_prefetch(pool_at(p, p->free_head), 1);
	} else {
		if (p->used == POOL_NONE - 1) {
			fprintf(stderr, "connsim: pool %s is full (2^32 records)\n", p->name);
			abort();
		}
		idx = p->used++;
		if ((idx >> POOL_CHUNK_BITS) >= p->nchunks) {
			p->chunks = g_renew(char *, p->chunks, p->nchunks + 1);
			p->chunks[p->nchunks++] = g_malloc((size_t)p->elem << POOL_CHUNK_BITS);
		}
	}
	p->live++;
	void *r = pool_at(p, idx);
	memset(r, 0, p->elem);
	return idx;
}

void pool_free(pool *p, uint32_t idx)
{
	memcpy(pool_at(p, idx), &p->free_head, sizeof(uint32_t));
	p->free_head = idx;
	p->live--;
}

size_t pool_bytes(const pool *p)
{
	return (size_t)p->nchunks * ((size_t)p->elem << POOL_CHUNK_BITS) +
	       p->nchunks * sizeof(char *);
}
