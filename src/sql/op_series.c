/*
 * op_series.c — the integer series source behind the table functions
 * range(start, stop[, step]) (stop excluded) and generate_series(start,
 * stop[, step]) (stop included), as DuckDB spells them.
 *
 * Produces one BIGINT column in batches of EX_BATCH_MAX rows, computed on
 * the driver's thread; nothing is held beyond the batch in flight. The
 * arithmetic is done so that no step overflows int64: the series ends
 * before a value would pass the bound.
 */
#include <string.h>

#include "base/mem.h"
#include "sql/exec.h"

struct series_op {
	struct ex_op base;
	int64_t next, stop, step;
	bool inclusive, done;
};

/* Whether v is still inside the series. */
static bool in_range(const struct series_op *s, int64_t v)
{
	if (s->step > 0)
		return s->inclusive ? v <= s->stop : v < s->stop;
	return s->inclusive ? v >= s->stop : v > s->stop;
}

static tarn_rc series_next(struct ex_op *op, struct ex_batch **out, struct tarn_err *err)
{
	struct series_op *s = (struct series_op *)op;
	*out = NULL;
	if (s->done || !in_range(s, s->next))
		return TARN_OK;
	struct tarn_array *a;
	if (tarn_array_new(&op->schema->fields[0].type, EX_BATCH_MAX, &a))
		return tarn_err_nomem(err, "range");
	if (tarn_array_reserve(a, EX_BATCH_MAX)) {
		tarn_array_free(a);
		return tarn_err_nomem(err, "range");
	}
	int64_t *v = (int64_t *)a->values;
	int64_t n = 0;
	int64_t x = s->next;
	while (n < EX_BATCH_MAX) {
		v[n++] = x;
		int64_t nx;
		if (__builtin_add_overflow(x, s->step, &nx) || !in_range(s, nx)) {
			s->done = true;
			break;
		}
		x = nx;
	}
	s->next = x; /* unless done: the first value of the next batch */
	a->length = n;
	a->null_count = 0;
	struct ex_batch *b;
	if (ex_batch_new(1, &b)) {
		tarn_array_free(a);
		return tarn_err_nomem(err, "range");
	}
	if (ex_batch_hold_array(b, a)) {
		ex_batch_free(b);
		return tarn_err_nomem(err, "range");
	}
	b->cols[0] = a;
	b->n_rows = b->n_sel = n;
	*out = b;
	return TARN_OK;
}

static void series_free(struct ex_op *op)
{
	tarn_free(op);
}

static const struct ex_op_vt series_vt = {
	.name = "range",
	.next = series_next,
	.free = series_free,
};

tarn_rc ex_op_series(int64_t start, int64_t stop, int64_t step, bool inclusive, const char *name,
		     struct ex_op **out, struct tarn_err *err)
{
	*out = NULL;
	if (step == 0)
		return tarn_err_set(err, TARN_EUSAGE, "%s: the step must not be 0", name);
	struct series_op *s = tarn_calloc(1, sizeof *s);
	if (!s)
		return tarn_err_nomem(err, name);
	s->base.vt = &series_vt;
	s->next = start;
	s->stop = stop;
	s->step = step;
	s->inclusive = inclusive;
	struct tarn_type t;
	tarn_type_init(&t, TARN_T_INT64);
	const struct tarn_type *tp = &t;
	if (ex_schema_make(1, &name, &tp, &s->base.schema)) {
		tarn_free(s);
		return tarn_err_nomem(err, name);
	}
	*out = &s->base;
	return TARN_OK;
}
