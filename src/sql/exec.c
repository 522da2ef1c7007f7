/*
 * exec.c — the query driver: cuts a plan into pipelines, runs each one's
 * morsels on the worker pool, merges their results in morsel order, and
 * hands out the result batches. Also the memory accounting and the small
 * helpers every operator file uses.
 *
 * Design notes
 *  1. Pipelines are found by a post-order walk (plan_walk): a breaker's
 *     input pipeline, or a join's build pipeline, is registered before the
 *     pipeline that reads the breaker or probes the join, so running the
 *     list in order respects every dependency. The last pipeline feeds the
 *     query's output.
 *  2. A pipeline keeps W = threads slots. Morsel s (the s-th source batch)
 *     runs in slot s % W; the slot's streaming-operator states and sink
 *     partial persist across the morsels it runs (scratch arrays are
 *     reused), but the partial is merged — and emptied — after every
 *     morsel, in morsel order, so results do not depend on W.
 *  3. States of a pipeline: filling (source not exhausted: submit while a
 *     slot is free, then wait for the oldest and handle it) → draining
 *     (handle the rest) → ending (stream_end of each streaming operator, on
 *     the driver, pushed through the rest of the chain) → finished (sink's
 *     finish()). An error or an ordered operator's done() stops submitting;
 *     the slots in flight are waited for before anything is freed.
 *  4. With threads = 1 every task runs inline on the caller — the same code
 *     path, so single- and multi-threaded runs merge identical partials.
 */
#include "sql/exec.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "base/pool.h"
#include "columnar/text.h"

/* ---- memory ------------------------------------------------------------------------------ */

static void fmt_bytes(char *buf, size_t cap, int64_t n)
{
	tarn_fmt_size(buf, cap, n, "bytes");
}

tarn_rc ex_mem_reserve(struct ex_ctx *q, const char *op, int64_t bytes, struct tarn_err *err)
{
	if (!q || bytes <= 0)
		return TARN_OK;
	int64_t now = atomic_fetch_add(&q->mem_used, bytes) + bytes;
	if (q->mem_limit > 0 && now > q->mem_limit) {
		atomic_fetch_sub(&q->mem_used, bytes);
		char lim[32], held[32], more[32];
		fmt_bytes(lim, sizeof lim, q->mem_limit);
		fmt_bytes(held, sizeof held, now - bytes);
		fmt_bytes(more, sizeof more, bytes);
		return tarn_err_set(err, TARN_ELIMIT,
				    "%s: query memory limit of %s exceeded (the query holds %s and "
				    "needs %s more); raise the memory limit or reduce the data",
				    op, lim, held, more);
	}
	int64_t peak = atomic_load(&q->mem_peak);
	while (now > peak && !atomic_compare_exchange_weak(&q->mem_peak, &peak, now))
		;
	return TARN_OK;
}

void ex_mem_release(struct ex_ctx *q, int64_t bytes)
{
	if (q && bytes > 0)
		atomic_fetch_sub(&q->mem_used, bytes);
}

/* ---- EXPLAIN ANALYZE statistics ---------------------------------------------------------------- */

/* Per-call clocks: read only when the query runs with analyze (one
 * clock_gettime per operator call per batch); summed with atomics, so
 * tasks on the pool never wait for each other. */
static int64_t clock_ns(const struct ex_ctx *q)
{
	if (!q || !q->analyze)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void stat_add(struct ex_op *op, int64_t t0, int64_t rows)
{
	if (!op->q || !op->q->analyze)
		return;
	atomic_fetch_add(&op->stat_ns, clock_ns(op->q) - t0);
	if (rows)
		atomic_fetch_add(&op->stat_rows, rows);
}

/* ---- helpers ------------------------------------------------------------------------------- */

tarn_rc ex_emit_push(struct ex_emit *e, struct ex_batch *b)
{
	if (e->n == e->cap) {
		int cap = e->cap ? e->cap * 2 : 4;
		struct ex_batch **v = tarn_realloc(e->v, (size_t)cap * sizeof *v);
		if (!v) {
			ex_batch_free(b);
			return TARN_ENOMEM;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = b;
	return TARN_OK;
}

static void emit_clear(struct ex_emit *e)
{
	for (int i = 0; i < e->n; i++)
		ex_batch_free(e->v[i]);
	e->n = 0;
}

static void emit_free(struct ex_emit *e)
{
	emit_clear(e);
	tarn_free(e->v);
	e->v = NULL;
	e->cap = 0;
}

tarn_rc ex_schema_make(int n, const char *const *names, const struct tarn_type *const *types,
		       struct tarn_schema **out)
{
	*out = NULL;
	struct tarn_schema *s;
	TRY(tarn_schema_new(n, &s));
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < n && !rc; i++) {
		char tmp[32];
		const char *nm = names ? names[i] : NULL;
		if (!nm) {
			snprintf(tmp, sizeof tmp, "col%d", i);
			nm = tmp;
		}
		rc = tarn_field_set_name(&s->fields[i], nm, strlen(nm));
		if (!rc)
			rc = tarn_type_copy(&s->fields[i].type, types[i]);
		s->fields[i].nullable = true;
	}
	if (rc) {
		tarn_schema_unref(s);
		return rc;
	}
	*out = s;
	return TARN_OK;
}

tarn_rc ex_batch_compact(const struct ex_batch *b, const struct tarn_schema *s,
			 struct ex_batch **out, struct tarn_err *err)
{
	*out = NULL;
	struct ex_batch *c;
	if (ex_batch_new(b->n_cols, &c))
		return tarn_err_nomem(err, "batch");
	c->seq = b->seq;
	for (int i = 0; i < b->n_cols; i++) {
		struct tarn_array *a;
		tarn_rc rc = tarn_array_new(&s->fields[i].type, b->n_sel, &a);
		if (!rc)
			rc = ex_batch_hold_array(c, a);
		if (!rc)
			rc = ex_array_gather(a, b->cols[i], b->sel, 0, b->n_sel);
		if (rc) {
			ex_batch_free(c);
			return rc == TARN_ENOMEM ? tarn_err_nomem(err, "batch")
						 : tarn_err_set(err, rc, "column too large");
		}
		if (a->validity)
			a->null_count = -1;
		c->cols[i] = a;
	}
	c->n_rows = c->n_sel = b->n_sel;
	*out = c;
	return TARN_OK;
}

/* ---- operators: common ----------------------------------------------------------------------- */

void ex_op_free(struct ex_op *op)
{
	if (!op)
		return;
	ex_op_free(op->child[0]);
	ex_op_free(op->child[1]);
	ex_mem_release(op->q, op->mem_held);
	tarn_schema_unref(op->schema);
	op->vt->free(op);
}

const struct tarn_schema *ex_op_schema(const struct ex_op *op)
{
	return op->schema;
}

/* ---- pipelines ------------------------------------------------------------------------------- */

struct pipe;

struct slot {
	struct ex_query *qy;
	struct pipe *p;
	void **locals;  /* per chain operator (the parallel part) */
	void *part;     /* sink partial, when the sink runs in tasks */
	struct tarn_task task;
	struct ex_batch *in;
	struct ex_emit out;
	tarn_rc rc;
	struct tarn_err err;
	bool busy;
};

struct pipe {
	struct ex_op *source;
	struct ex_op **chain;
	int n_chain, cap_chain;
	int n_par;          /* chain[0..n_par) runs in tasks */
	struct ex_op *sink; /* NULL: the query output */
	struct slot *slots;
	int n_slots;
	void **drv_locals;  /* the driver's states for every chain operator */
	void *drv_part;     /* the driver's sink partial */
	int64_t seq_next, seq_done;
	bool source_done, stop, ended, finished;
};

struct ex_query {
	struct ex_ctx ctx;
	struct ex_op *root;
	struct pipe *pipes;
	int n_pipes, cap_pipes;
	int cur;            /* pipeline being run */
	struct ex_emit outq; /* output batches waiting */
	int outq_pos;
	tarn_rc fail;
	struct tarn_err fail_err;
	const _Atomic int *cancel;
};

static tarn_rc chain_push(struct pipe *p, struct ex_op *op)
{
	if (p->n_chain == p->cap_chain) {
		int cap = p->cap_chain ? p->cap_chain * 2 : 4;
		struct ex_op **v = tarn_realloc(p->chain, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		p->chain = v;
		p->cap_chain = cap;
	}
	p->chain[p->n_chain++] = op;
	return TARN_OK;
}

static tarn_rc pipe_add(struct ex_query *qy, struct ex_op *source, int *idx)
{
	if (qy->n_pipes == qy->cap_pipes) {
		int cap = qy->cap_pipes ? qy->cap_pipes * 2 : 4;
		struct pipe *v = tarn_realloc(qy->pipes, (size_t)cap * sizeof *v);
		if (!v)
			return TARN_ENOMEM;
		qy->pipes = v;
		qy->cap_pipes = cap;
	}
	memset(&qy->pipes[qy->n_pipes], 0, sizeof *qy->pipes);
	qy->pipes[qy->n_pipes].source = source;
	*idx = qy->n_pipes++;
	return TARN_OK;
}

/* Post-order walk (design note 1): returns the index of the pipeline whose
 * chain ends at op. */
static tarn_rc plan_walk(struct ex_query *qy, struct ex_op *op, int *idx)
{
	op->q = &qy->ctx;
	const struct ex_op_vt *vt = op->vt;
	if (vt->two_inputs) {
		int b;
		TRY(plan_walk(qy, op->child[1], &b));
		qy->pipes[b].sink = op;
		TRY(plan_walk(qy, op->child[0], idx));
		return chain_push(&qy->pipes[*idx], op);
	}
	if (vt->sink) {
		int c;
		TRY(plan_walk(qy, op->child[0], &c));
		qy->pipes[c].sink = op;
		return pipe_add(qy, op, idx);
	}
	if (vt->stream) {
		TRY(plan_walk(qy, op->child[0], idx));
		return chain_push(&qy->pipes[*idx], op);
	}
	return pipe_add(qy, op, idx);
}

static tarn_rc pipe_prepare(struct ex_query *qy, struct pipe *p)
{
	p->n_par = p->n_chain;
	for (int i = 0; i < p->n_chain; i++)
		if (p->chain[i]->vt->ordered) {
			p->n_par = i;
			break;
		}
	p->n_slots = qy->ctx.threads;
	p->slots = tarn_calloc((size_t)p->n_slots, sizeof *p->slots);
	p->drv_locals = tarn_calloc((size_t)(p->n_chain ? p->n_chain : 1), sizeof *p->drv_locals);
	if (!p->slots || !p->drv_locals)
		return TARN_ENOMEM;
	for (int s = 0; s < p->n_slots; s++) {
		struct slot *sl = &p->slots[s];
		sl->qy = qy;
		sl->p = p;
		sl->locals = tarn_calloc((size_t)(p->n_par ? p->n_par : 1), sizeof *sl->locals);
		if (!sl->locals)
			return TARN_ENOMEM;
		for (int i = 0; i < p->n_par; i++)
			if (p->chain[i]->vt->local_new)
				TRY(p->chain[i]->vt->local_new(p->chain[i], &sl->locals[i]));
		if (p->sink && p->n_par == p->n_chain)
			TRY(p->sink->vt->sink_new(p->sink, &sl->part));
	}
	for (int i = 0; i < p->n_chain; i++)
		if (p->chain[i]->vt->local_new)
			TRY(p->chain[i]->vt->local_new(p->chain[i], &p->drv_locals[i]));
	if (p->sink)
		TRY(p->sink->vt->sink_new(p->sink, &p->drv_part));
	return TARN_OK;
}

static void pipe_release(struct pipe *p)
{
	for (int s = 0; p->slots && s < p->n_slots; s++) {
		struct slot *sl = &p->slots[s];
		if (sl->busy)
			tarn_task_wait(&sl->task);
		ex_batch_free(sl->in);
		emit_free(&sl->out);
		for (int i = 0; sl->locals && i < p->n_par; i++)
			if (sl->locals[i] && p->chain[i]->vt->local_free)
				p->chain[i]->vt->local_free(p->chain[i], sl->locals[i]);
		tarn_free(sl->locals);
		if (sl->part)
			p->sink->vt->sink_free(p->sink, sl->part);
	}
	tarn_free(p->slots);
	p->slots = NULL;
	for (int i = 0; p->drv_locals && i < p->n_chain; i++)
		if (p->drv_locals[i] && p->chain[i]->vt->local_free)
			p->chain[i]->vt->local_free(p->chain[i], p->drv_locals[i]);
	tarn_free(p->drv_locals);
	p->drv_locals = NULL;
	if (p->drv_part)
		p->sink->vt->sink_free(p->sink, p->drv_part);
	p->drv_part = NULL;
	tarn_free(p->chain);
	p->chain = NULL;
}

/* Runs chain[from..to) on the batches of *cur (consumed), leaving the
 * results in *cur. */
static tarn_rc run_ops(struct pipe *p, int from, int to, void **locals, struct ex_emit *cur,
		       struct tarn_err *err)
{
	struct ex_emit next = { 0 };
	tarn_rc rc = TARN_OK;
	for (int i = from; i < to && !rc; i++) {
		struct ex_op *op = p->chain[i];
		int k = 0;
		int64_t t0 = clock_ns(op->q);
		for (; k < cur->n && !rc; k++) {
			struct ex_batch *b = cur->v[k];
			cur->v[k] = NULL;
			rc = op->vt->stream(op, locals[i], b, &next, err);
		}
		if (op->q && op->q->analyze) {
			int64_t rows = 0;
			for (int j = 0; j < next.n; j++)
				rows += next.v[j]->n_sel;
			stat_add(op, t0, rows);
		}
		for (; k < cur->n; k++)
			ex_batch_free(cur->v[k]);
		cur->n = 0;
		struct ex_emit t = *cur;
		*cur = next;
		next = t;
	}
	emit_free(&next);
	return rc;
}

static tarn_rc sink_all(struct ex_op *sink, void *part, struct ex_emit *cur, struct tarn_err *err)
{
	tarn_rc rc = TARN_OK;
	int k = 0;
	int64_t t0 = clock_ns(sink->q);
	for (; k < cur->n && !rc; k++) {
		struct ex_batch *b = cur->v[k];
		cur->v[k] = NULL;
		rc = sink->vt->sink(sink, part, b, err);
	}
	stat_add(sink, t0, 0);
	for (; k < cur->n; k++)
		ex_batch_free(cur->v[k]);
	cur->n = 0;
	return rc;
}

static void task_main(void *arg)
{
	struct slot *sl = arg;
	struct pipe *p = sl->p;
	tarn_err_clear(&sl->err);
	sl->out.n = 0;
	sl->rc = ex_emit_push(&sl->out, sl->in);
	sl->in = NULL;
	if (!sl->rc)
		sl->rc = run_ops(p, 0, p->n_par, sl->locals, &sl->out, &sl->err);
	if (!sl->rc && p->sink && p->n_par == p->n_chain)
		sl->rc = sink_all(p->sink, sl->part, &sl->out, &sl->err);
	if (sl->rc && !sl->err.rc)
		tarn_err_set(&sl->err, sl->rc, "%s", sl->rc == TARN_ENOMEM ? "out of memory" : "failed");
}

static bool pipe_stopped(const struct pipe *p)
{
	for (int i = p->n_par; i < p->n_chain; i++) {
		const struct ex_op *op = p->chain[i];
		if (op->vt->done && op->vt->done((struct ex_op *)op))
			return true;
	}
	return false;
}

/* The driver's part for one morsel's results (in order): ordered
 * operators, then the sink merge or the output queue. */
static tarn_rc deliver(struct ex_query *qy, struct pipe *p, struct ex_emit *cur, void *task_part,
		       struct tarn_err *err)
{
	TRY(run_ops(p, p->n_par, p->n_chain, p->drv_locals, cur, err));
	if (p->sink) {
		if (!task_part)
			TRY(sink_all(p->sink, p->drv_part, cur, err));
		int64_t t0 = clock_ns(&qy->ctx);
		tarn_rc rc = p->sink->vt->merge(p->sink, task_part ? task_part : p->drv_part, err);
		stat_add(p->sink, t0, 0);
		return rc;
	}
	for (int k = 0; k < cur->n; k++) {
		struct ex_batch *b = cur->v[k];
		cur->v[k] = NULL;
		if (b->n_sel == 0) {
			ex_batch_free(b);
			continue;
		}
		TRY(ex_emit_push(&qy->outq, b));
	}
	cur->n = 0;
	return TARN_OK;
}

static tarn_rc handle_oldest(struct ex_query *qy, struct pipe *p, struct tarn_err *err)
{
	struct slot *sl = &p->slots[p->seq_done % p->n_slots];
	if (sl->busy) {
		tarn_task_wait(&sl->task);
		sl->busy = false;
	}
	p->seq_done++;
	if (sl->rc) {
		tarn_err_set(err, sl->err.rc ? sl->err.rc : sl->rc, "%s", sl->err.msg);
		return sl->rc;
	}
	bool in_task = p->sink && p->n_par == p->n_chain;
	return deliver(qy, p, &sl->out, in_task ? sl->part : NULL, err);
}

/* Waits for every slot still running (after an error or an early stop). */
static void drain(struct pipe *p)
{
	for (; p->seq_done < p->seq_next; p->seq_done++) {
		struct slot *sl = &p->slots[p->seq_done % p->n_slots];
		if (sl->busy) {
			tarn_task_wait(&sl->task);
			sl->busy = false;
		}
		emit_clear(&sl->out);
	}
}

/* Advances pipeline p: returns when the output queue has batches (output
 * pipeline) or p is finished. */
static tarn_rc pipe_pump(struct ex_query *qy, struct pipe *p, struct tarn_err *err)
{
	while (!p->finished) {
		if (!p->source_done && !p->stop) {
			/* fill free slots */
			while (p->seq_next - p->seq_done < p->n_slots && !p->source_done) {
				if (qy->cancel && atomic_load(qy->cancel)) {
					drain(p);
					return tarn_err_set(err, TARN_ELIMIT, "interrupted");
				}
				struct ex_batch *b = NULL;
				int64_t t0 = clock_ns(&qy->ctx);
				TRY(p->source->vt->next(p->source, &b, err));
				stat_add(p->source, t0, b ? b->n_sel : 0);
				if (!b) {
					p->source_done = true;
					break;
				}
				b->seq = p->seq_next;
				struct slot *sl = &p->slots[p->seq_next % p->n_slots];
				sl->in = b;
				sl->task.fn = task_main;
				sl->task.arg = sl;
				p->seq_next++;
				if (qy->ctx.threads <= 1) {
					task_main(sl);
				} else {
					sl->busy = true;
					tarn_pool_submit(&sl->task);
				}
			}
		}
		if (p->seq_done < p->seq_next) {
			tarn_rc rc = handle_oldest(qy, p, err);
			if (rc) {
				drain(p);
				return rc;
			}
			if (pipe_stopped(p)) {
				p->stop = true;
				drain(p);
			}
			if (!p->sink && qy->outq.n > qy->outq_pos)
				return TARN_OK;
			continue;
		}
		if (!p->source_done && !p->stop)
			continue;
		/* ending: trailing batches of streaming operators (design note 3) */
		if (!p->ended) {
			p->ended = true;
			/* After an early stop, operators up to the last one that is
			 * done() have nothing to add; those after it still end
			 * (a UNION ALL above a LIMIT emits its other input). */
			int first = 0;
			for (int i = p->n_chain - 1; p->stop && i >= p->n_par && !first; i--)
				if (p->chain[i]->vt->done && p->chain[i]->vt->done(p->chain[i]))
					first = i + 1;
			for (int i = first; i < p->n_chain; i++) {
				struct ex_op *op = p->chain[i];
				if (!op->vt->stream_end)
					continue;
				struct ex_emit cur = { 0 };
				int64_t t0 = clock_ns(&qy->ctx);
				tarn_rc rc = op->vt->stream_end(op, &cur, err);
				int64_t rows = 0;
				for (int k = 0; k < cur.n; k++)
					rows += cur.v[k]->n_sel;
				stat_add(op, t0, rows);
				if (!rc)
					rc = run_ops(p, i + 1, p->n_chain, p->drv_locals, &cur, err);
				if (!rc && p->sink)
					rc = sink_all(p->sink, p->drv_part, &cur, err);
				if (!rc && p->sink)
					rc = p->sink->vt->merge(p->sink, p->drv_part, err);
				if (!rc && !p->sink) {
					for (int k = 0; k < cur.n && !rc; k++) {
						rc = ex_emit_push(&qy->outq, cur.v[k]);
						cur.v[k] = NULL;
					}
					cur.n = 0;
				}
				emit_free(&cur);
				if (rc)
					return rc;
			}
		}
		if (p->sink && p->sink->vt->finish) {
			int64_t t0 = clock_ns(&qy->ctx);
			TRY(p->sink->vt->finish(p->sink, err));
			stat_add(p->sink, t0, 0);
		}
		p->finished = true;
	}
	return TARN_OK;
}

tarn_rc ex_query_new(struct ex_op *root, const struct ex_opts *o, struct ex_query **out,
		     struct tarn_err *err)
{
	*out = NULL;
	struct ex_query *qy = tarn_calloc(1, sizeof *qy);
	if (!qy) {
		ex_op_free(root);
		return tarn_err_nomem(err, "query");
	}
	qy->root = root;
	int threads = o && o->threads > 0 ? o->threads : tarn_pool_size();
	qy->ctx.threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
	qy->ctx.mem_limit = o ? o->mem_limit : 0;
	int last;
	tarn_rc rc = plan_walk(qy, root, &last);
	for (int i = 0; !rc && i < qy->n_pipes; i++)
		rc = pipe_prepare(qy, &qy->pipes[i]);
	if (rc) {
		ex_query_free(qy);
		return rc == TARN_ENOMEM ? tarn_err_nomem(err, "query") : rc;
	}
	*out = qy;
	return TARN_OK;
}

const struct tarn_schema *ex_query_schema(const struct ex_query *q)
{
	return q->root->schema;
}

void ex_query_set_analyze(struct ex_query *q)
{
	q->ctx.analyze = true;
}

void ex_query_set_cancel(struct ex_query *q, const _Atomic int *flag)
{
	q->cancel = flag;
}

int ex_query_threads(const struct ex_query *q)
{
	return q->ctx.threads;
}

const struct ex_op *ex_query_plan(const struct ex_query *q)
{
	return q->root;
}

int64_t ex_query_mem_peak(const struct ex_query *q)
{
	return atomic_load(&q->ctx.mem_peak);
}

tarn_rc ex_query_next(struct ex_query *qy, struct tarn_batch **out, struct tarn_err *err)
{
	*out = NULL;
	if (qy->fail) {
		tarn_err_set(err, qy->fail, "%s", qy->fail_err.msg);
		return qy->fail;
	}
	tarn_rc rc = TARN_OK;
	while (qy->outq_pos >= qy->outq.n && qy->cur < qy->n_pipes) {
		qy->outq.n = 0;
		qy->outq_pos = 0;
		struct pipe *p = &qy->pipes[qy->cur];
		rc = pipe_pump(qy, p, &qy->fail_err);
		if (rc)
			break;
		if (p->finished) {
			pipe_release(p);
			qy->cur++;
		}
	}
	if (!rc && qy->outq_pos < qy->outq.n) {
		struct ex_batch *b = qy->outq.v[qy->outq_pos];
		qy->outq.v[qy->outq_pos++] = NULL;
		rc = ex_batch_to_tarn(b, qy->root->schema, out, &qy->fail_err);
		ex_batch_free(b);
	}
	if (rc) {
		if (!qy->fail_err.rc)
			tarn_err_set(&qy->fail_err, rc, "%s",
				     rc == TARN_ENOMEM ? "out of memory" : "query failed");
		qy->fail = rc;
		tarn_err_set(err, rc, "%s", qy->fail_err.msg);
	}
	return rc;
}

void ex_query_free(struct ex_query *qy)
{
	if (!qy)
		return;
	for (int i = 0; i < qy->n_pipes; i++) {
		struct pipe *p = &qy->pipes[i];
		if (p->slots)
			drain(p);
		pipe_release(p);
	}
	tarn_free(qy->pipes);
	for (int i = qy->outq_pos; i < qy->outq.n; i++)
		ex_batch_free(qy->outq.v[i]);
	qy->outq.n = 0;
	emit_free(&qy->outq);
	ex_op_free(qy->root);
	tarn_free(qy);
}
