/*
 * pool.c — a fixed set of worker threads taking tasks from one FIFO queue.
 *
 * Design notes
 *  1. A task moves idle → queued (submit) → running (a worker or a waiter
 *     dequeued it) → done. Only the thread that moves it to running runs it.
 *  2. tarn_task_wait steals a still-queued task and runs it itself, so a
 *     waiter never sleeps on work nobody has started; this also makes a pool
 *     of zero started threads behave like sequential execution.
 *  3. One mutex guards the queue and task states; tasks are coarse (MBs of
 *     input), so contention is negligible.
 */
#include "base/pool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static struct tarn_task *q_head, *q_tail;
static int n_workers;
static bool started;
static int configured_threads;

int tarn_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

void tarn_config_set_threads(int n)
{
	configured_threads = n < 0 ? 0 : n;
}

int tarn_config_threads(void)
{
	const char *env = getenv("TARN_THREADS");
	if (configured_threads > 0)
		return configured_threads;
	if (env && atoi(env) > 0)
		return atoi(env);
	return tarn_cpu_count();
}

static void run_task(struct tarn_task *t)
{
	t->fn(t->arg);
	pthread_mutex_lock(&mu);
	t->state = 3;
	pthread_cond_broadcast(&done_cv);
	pthread_mutex_unlock(&mu);
}

static struct tarn_task *dequeue_locked(void)
{
	struct tarn_task *t = q_head;
	if (t) {
		q_head = t->next;
		if (!q_head)
			q_tail = NULL;
		t->next = NULL;
		t->state = 2;
	}
	return t;
}

static void *worker(void *unused)
{
	(void)unused;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!q_head)
			pthread_cond_wait(&work_cv, &mu);
		struct tarn_task *t = dequeue_locked();
		pthread_mutex_unlock(&mu);
		run_task(t);
	}
	return NULL;
}

static void start_locked(void)
{
	if (started)
		return;
	started = true;
	int want = tarn_config_threads();
	for (int i = 0; i < want; i++) {
		pthread_t th;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 8u << 20);
		if (pthread_create(&th, &attr, worker, NULL) == 0)
			n_workers++;
		pthread_attr_destroy(&attr);
	}
}

int tarn_pool_size(void)
{
	pthread_mutex_lock(&mu);
	start_locked();
	int n = n_workers > 0 ? n_workers : 1;
	pthread_mutex_unlock(&mu);
	return n;
}

void tarn_pool_submit(struct tarn_task *t)
{
	pthread_mutex_lock(&mu);
	start_locked();
	if (n_workers == 0) {
		/* No thread could be started: run it now, as pool.h promises,
		 * rather than leave it queued for a wait that may never come. */
		t->next = NULL;
		t->state = 2;
		pthread_mutex_unlock(&mu);
		run_task(t);
		return;
	}
	t->next = NULL;
	t->state = 1;
	if (q_tail)
		q_tail->next = t;
	else
		q_head = t;
	q_tail = t;
	pthread_cond_signal(&work_cv);
	pthread_mutex_unlock(&mu);
}

void tarn_task_wait(struct tarn_task *t)
{
	pthread_mutex_lock(&mu);
	if (t->state == 1) {
		/* Still queued: unlink it and run it here. */
		struct tarn_task **pp = &q_head, *prev = NULL;
		while (*pp && *pp != t) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp) {
			*pp = t->next;
			if (q_tail == t)
				q_tail = prev;
			t->next = NULL;
			t->state = 2;
			pthread_mutex_unlock(&mu);
			run_task(t);
			return;
		}
	}
	while (t->state != 3 && t->state != 0)
		pthread_cond_wait(&done_cv, &mu);
	pthread_mutex_unlock(&mu);
}
