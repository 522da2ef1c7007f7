/*
 * mem.c — allocation hook with fault injection, aligned buffers, arenas.
 *
 * Thread-safety: the fault-injection counter is atomic; everything else is
 * the C library's allocator.
 */
#include "base/mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Atomic int64_t fail_countdown = -1;

/* Counts down to 0 and stays there: once injection triggers, every later
 * allocation fails too (until tarn_mem_fail_after(-1)), so error paths are
 * exercised with no memory at all. -1 means off. */
static int should_fail(void)
{
	int64_t v = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	while (v > 0) {
		if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1))
			return 0;
	}
	return v == 0;
}

int64_t tarn_mem_fail_after(int64_t n)
{
	return atomic_exchange(&fail_countdown, n);
}

void *tarn_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *tarn_calloc(size_t count, size_t size)
{
	if ((size && count > SIZE_MAX / size) || should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *tarn_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void tarn_free(void *p)
{
	free(p);
}

char *tarn_strndup(const char *s, size_t n)
{
	char *d = tarn_malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *tarn_strdup(const char *s)
{
	return tarn_strndup(s, strlen(s));
}

void *tarn_alloc_aligned(size_t n)
{
	if (n > SIZE_MAX - 63 || should_fail())
		return NULL;
	size_t rounded = (n + 63) & ~(size_t)63;
	return aligned_alloc(64, rounded ? rounded : 64);
}

void *tarn_realloc_aligned(void *p, size_t used, size_t n)
{
	void *q = tarn_alloc_aligned(n);
	if (!q)
		return NULL;
	if (p) {
		if (used)
			memcpy(q, p, used < n ? used : n);
		free(p);
	}
	return q;
}

void tarn_free_aligned(void *p)
{
	free(p);
}

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

void tarn_arena_init(struct tarn_arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
	a->total = 0;
}

void *tarn_arena_alloc(struct tarn_arena *a, size_t n)
{
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	struct arena_block *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > a->block_size ? n : a->block_size;
		b = tarn_malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
		a->total += cap;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

char *tarn_arena_strndup(struct tarn_arena *a, const char *s, size_t n)
{
	char *d = tarn_arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void tarn_arena_free(struct tarn_arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

void tarn_arena_reset(struct tarn_arena *a)
{
	tarn_arena_free(a);
}

int64_t tarn_physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psz <= 0)
		return (int64_t)4 << 30;
	return (int64_t)pages * psz;
}
