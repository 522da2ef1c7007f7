/*
 * mem.h — the allocation hook and arenas.
 *
 * All library memory goes through tarn_malloc/tarn_realloc/tarn_free so tests
 * can replace the allocator or fail the Nth allocation (tarn_mem_fail_after).
 * Column buffers use tarn_alloc_aligned (64-byte, as Arrow recommends).
 *
 * Arenas serve lifetimes that end together (a parse, a request): bump
 * allocation from chained blocks, freed at once.
 */
#ifndef TARN_BASE_MEM_H
#define TARN_BASE_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "tarn.h"

void *tarn_malloc(size_t n);
void *tarn_calloc(size_t count, size_t size);
void *tarn_realloc(void *p, size_t n);
char *tarn_strdup(const char *s);
char *tarn_strndup(const char *s, size_t n);
/* 64-byte aligned; release with tarn_free_aligned. */
void *tarn_alloc_aligned(size_t n);
/* Grows an aligned block, keeping the first `used` bytes. */
void *tarn_realloc_aligned(void *p, size_t used, size_t n);
void tarn_free_aligned(void *p);

/* Test hook: after N more successful allocations every allocation fails
 * (N < 0 turns injection off). Returns how many were left. */
int64_t tarn_mem_fail_after(int64_t n);

struct tarn_arena {
	struct arena_block *head;
	size_t block_size;
	size_t total;
};

void tarn_arena_init(struct tarn_arena *a, size_t block_size);
void *tarn_arena_alloc(struct tarn_arena *a, size_t n); /* 16-byte aligned; NULL on OOM */
char *tarn_arena_strndup(struct tarn_arena *a, const char *s, size_t n);
void tarn_arena_reset(struct tarn_arena *a); /* frees all but keeps nothing */
void tarn_arena_free(struct tarn_arena *a);

#endif
