/*
 * pool: fixed-size records addressed by a 32-bit index.
 *
 * Models keep their records (one per connection, per timer, per table entry)
 * in pools and link them by index (4 bytes instead of an 8-byte pointer, and nothing to fix
 * up when the pool grows).  Storage is a list of chunks of 2^16 records that
 * never move, so a pointer from pool_at() stays valid until that record is
 * freed, even across later allocations.  Freed records go on an intrusive free
 * list (the first 4 bytes of a free record hold the next free index), so a
 * record must be at least 4 bytes.
 *
 * The struct is public so that pool_at() inlines on the hot path; treat its
 * fields as private.
 */
#ifndef CONNSIM_POOL_H
#define CONNSIM_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define POOL_CHUNK_BITS 16
#define POOL_NONE UINT32_MAX

typedef struct pool {
	char **chunks;
	uint32_t nchunks;
	uint32_t used;       /* records ever handed out (high-water mark) */
	uint32_t live;
	uint32_t free_head;  /* POOL_NONE when empty */
	size_t elem;
	const char *name;
} pool;

void pool_init(pool *p, size_t elem_size, const char *name);
void pool_destroy(pool *p);
size_t pool_bytes(const pool *p);
/* pool_alloc when the free list is empty. */
uint32_t pool_alloc_new(pool *p);

static inline void *pool_at(const pool *p, uint32_t idx)
{
	return p->chunks[idx >> POOL_CHUNK_BITS] +
	       (size_t)(idx & ((1u << POOL_CHUNK_BITS) - 1)) * p->elem;
}

/* A zeroed record.  Inline: the models' hot paths take one per event. */
static inline uint32_t pool_alloc(pool *p)
{
	uint32_t idx = p->free_head;
	if (idx == POOL_NONE)
		return pool_alloc_new(p);
	void *r = pool_at(p, idx);
	memcpy(&p->free_head, r, sizeof(uint32_t));
	/* the next allocation's record: freed records are cold by the time
	 * they are reused, and reading its link is a cache miss */
	if (p->free_head != POOL_NONE)
		__builtin_prefetch(pool_at(p, p->free_head), 1);
	p->live++;
	memset(r, 0, p->elem);
	return idx;
}

static inline void pool_free(pool *p, uint32_t idx)
{
	memcpy(pool_at(p, idx), &p->free_head, sizeof(uint32_t));
	p->free_head = idx;
	p->live--;
}

static inline uint32_t pool_live(const pool *p)
{
	return p->live;
}

#endif
