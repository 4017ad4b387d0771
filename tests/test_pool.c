/*
 * Tests for sim/pool.c: zeroed records, LIFO reuse of freed indices, pointers
 * that survive growth past one chunk (2^POOL_CHUNK_BITS records), live counts
 * and the memory figure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sim/bigmem.h"
#include "sim/pool.h"

typedef struct rec {
	uint32_t self;   /* overwritten by the free list while free */
	uint32_t a;
	uint64_t b;
	char pad[40];
} rec;

#define CHUNK (1u << POOL_CHUNK_BITS)

static void test_alloc_zeroed(void **state)
{
	pool p;
	pool_init(&p, sizeof(rec), "rec");
	assert_int_equal(pool_live(&p), 0);
	assert_int_equal(pool_bytes(&p), 0);

	uint32_t i = pool_alloc(&p);
	assert_int_equal(i, 0);
	rec *r = pool_at(&p, i);
	static const rec zero;
	assert_memory_equal(r, &zero, sizeof(rec));
	/* Dirty the record, free it, and get it back zeroed. */
	memset(r, 0xa5, sizeof(*r));
	pool_free(&p, i);
	uint32_t j = pool_alloc(&p);
	assert_int_equal(j, i);
	assert_memory_equal(pool_at(&p, j), &zero, sizeof(rec));
	pool_destroy(&p);
}

static void test_lifo_reuse(void **state)
{
	pool p;
	pool_init(&p, sizeof(rec), "rec");
	uint32_t idx[10];
	for (uint32_t i = 0; i < 10; i++) {
		idx[i] = pool_alloc(&p);
		assert_int_equal(idx[i], i);  /* fresh indices are dense */
	}
	assert_int_equal(pool_live(&p), 10);
	pool_free(&p, idx[3]);
	pool_free(&p, idx[7]);
	pool_free(&p, idx[5]);
	assert_int_equal(pool_live(&p), 7);
	/* Last freed, first reused. */
	assert_int_equal(pool_alloc(&p), 5);
	assert_int_equal(pool_alloc(&p), 7);
	assert_int_equal(pool_alloc(&p), 3);
	/* Free list empty: the next index is fresh. */
	assert_int_equal(pool_alloc(&p), 10);
	assert_int_equal(pool_live(&p), 11);
	pool_destroy(&p);
}

static void test_small_records(void **state)
{
	/* Records smaller than the 4-byte free link are rounded up. */
	pool p;
	pool_init(&p, 1, "byte");
	uint32_t a = pool_alloc(&p), b = pool_alloc(&p);
	*(uint8_t *)pool_at(&p, a) = 0xff;
	*(uint8_t *)pool_at(&p, b) = 0xee;
	pool_free(&p, a);
	assert_int_equal(*(uint8_t *)pool_at(&p, b), 0xee);
	assert_int_equal(pool_alloc(&p), a);
	assert_int_equal(*(uint8_t *)pool_at(&p, a), 0);
	pool_destroy(&p);
}

/* bigmem: a block of BIGMEM_MIN or more is 2 MiB-aligned (so that huge
 * pages can back it) and usable to its last byte; a smaller one is usable. */
static void test_bigmem(void **state)
{
	(void)state;
	size_t sizes[] = { 100, BIGMEM_MIN - 1, BIGMEM_MIN, 3 * BIGMEM_MIN + 12345, 3 * BIGMEM_MIN - 12345 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		unsigned char *p = bigmem_alloc(sizes[i]);
		assert_non_null(p);
		if (sizes[i] >= BIGMEM_MIN)
			assert_int_equal((uintptr_t)p % BIGMEM_MIN, 0);
		/* rounded up to whole 2 MiB pages only when that adds < 1/8 */
		size_t got = bigmem_size(sizes[i]);
		assert_true(got >= sizes[i] && got - sizes[i] < sizes[i] / 8 + 1);
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		assert_int_equal(p[0] + p[sizes[i] - 1], 3);
		bigmem_free(p, sizes[i]);
	}
	assert_int_equal(bigmem_size(3 * BIGMEM_MIN - 12345), 3 * BIGMEM_MIN);  /* + 0.2 %: rounded */
	assert_int_equal(bigmem_size(3 * BIGMEM_MIN + 12345), 3 * BIGMEM_MIN + 12345);  /* + 33 %: not */
	assert_int_equal(bigmem_size(BIGMEM_MIN - 1), BIGMEM_MIN - 1);  /* small: g_malloc */
}

static void test_growth_keeps_pointers(void **state)
{
	pool p;
	pool_init(&p, sizeof(rec), "rec");
	const uint32_t n = 3 * CHUNK + 123;
	rec **ptr = test_malloc(n * sizeof(*ptr));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = pool_alloc(&p);
		assert_int_equal(k, i);
		ptr[i] = pool_at(&p, k);
		ptr[i]->self = k;
		ptr[i]->a = ~k;
		ptr[i]->b = (uint64_t)k * 0x9e3779b97f4a7c15ULL;
	}
	assert_int_equal(pool_live(&p), n);
	/* Four chunks of 2^16 records, plus the chunk table. */
	assert_int_equal(pool_bytes(&p), 4 * (size_t)CHUNK * sizeof(rec) + 4 * sizeof(char *));
	/* Pointers taken before growth still address the same records. */
	for (uint32_t i = 0; i < n; i++) {
		assert_ptr_equal(ptr[i], pool_at(&p, i));
		assert_int_equal(ptr[i]->self, i);
		assert_int_equal(ptr[i]->a, ~i);
		assert_int_equal(ptr[i]->b, (uint64_t)i * 0x9e3779b97f4a7c15ULL);
	}
	/* Records on either side of a chunk boundary are distinct. */
	assert_ptr_not_equal(pool_at(&p, CHUNK - 1), pool_at(&p, CHUNK));

	/* Free every other record, then allocate as many again: all come from
	 * the free list (no new chunk), and untouched records keep their data. */
	for (uint32_t i = 0; i < n; i += 2)
		pool_free(&p, i);
	assert_int_equal(pool_live(&p), n - (n + 1) / 2);
	size_t bytes = pool_bytes(&p);
	for (uint32_t i = 0; i < (n + 1) / 2; i++) {
		uint32_t k = pool_alloc(&p);
		assert_true(k < n && k % 2 == 0);
		assert_int_equal(((rec *)pool_at(&p, k))->self, 0);
	}
	assert_int_equal(pool_bytes(&p), bytes);
	assert_int_equal(pool_live(&p), n);
	for (uint32_t i = 1; i < n; i += 2)
		assert_int_equal(ptr[i]->self, i);
	assert_int_equal(pool_alloc(&p), n);

	test_free(ptr);
	pool_destroy(&p);
	assert_int_equal(pool_live(&p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_zeroed),
		cmocka_unit_test(test_lifo_reuse),
		cmocka_unit_test(test_small_records),
		cmocka_unit_test(test_growth_keeps_pointers),
		cmocka_unit_test(test_bigmem),
	};
	return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
