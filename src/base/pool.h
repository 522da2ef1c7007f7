/*
 * pool.h — the process-wide worker pool.
 *
 * Work is split into morsels (file chunks, row ranges) submitted as tasks. A
 * task is a caller-owned struct; tarn_task_wait blocks until it has run. The
 * pool is created on first use with tarn_config_threads() workers (the
 * configured count, default one per core) and lives until exit — it and the
 * allocator hook are the library's only global state.
 *
 * Thread-safety: all functions may be called from any thread. Tasks must not
 * wait on tasks submitted after them from inside a worker (no nested waits).
 */
#ifndef TARN_BASE_POOL_H
#define TARN_BASE_POOL_H

#include <pthread.h>
#include <stdbool.h>

#include "tarn.h"

struct tarn_task {
	void (*fn)(void *arg);
	void *arg;
	/* private */
	struct tarn_task *next;
	int state; /* 0 idle, 1 queued, 2 running, 3 done */
};

/* Queues t (fn and arg set by the caller). Falls back to running t inline
 * when no worker thread could be started. */
void tarn_pool_submit(struct tarn_task *t);
/* Blocks until t has run. If t is still queued, runs it on this thread. */
void tarn_task_wait(struct tarn_task *t);
/* Number of worker threads (>= 1). */
int tarn_pool_size(void);
/* Number of online CPUs. */
int tarn_cpu_count(void);

#endif
