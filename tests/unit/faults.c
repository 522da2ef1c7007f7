/*
 * faults.c — allocation fault injection over the columnar and Arrow paths.
 *
 * One pipeline — parse nested types into a schema, build a batch through the
 * builders, export schema and batch through the Arrow C interface, import
 * them back, import a hand-built dictionary-encoded and large_utf8 column,
 * and run the batch through an ArrowArrayStream — is run with the Nth
 * allocation failing (and every one after it, see tarn_mem_fail_after) for
 * N = 0, 1, 2, ... until it succeeds. Every failing run must return
 * TARN_ENOMEM (or the stream's ENOMEM) and clean up; the ASan build's leak
 * check at exit catches anything a failure path forgot to free, and ASan
 * itself any double free or use after free.
 */
#include <errno.h>

#include "base/err.h"
#include "base/mem.h"
#include "columnar/array.h"
#include "columnar/type.h"
#include "formats/format.h"
#include "tarn.h"
#include "unit.h"

static tarn_rc make_schema(struct tarn_schema **out, struct tarn_err *err)
{
	static const char *const names[] = { "id", "name", "tags", "nested", "attrs", "when", "t" };
	static const char *const types[] = {
		"int64",
		"string",
		"list<list<string>>",
		"struct<\"A b\": decimal(20,3), inner: list<struct<x: int8, y: binary>>>",
		"map<string, float64>",
		"timestamp[ns, Europe/Paris]",
		"time64[ms]",
	};
	struct tarn_schema *s;
	TRY(tarn_schema_new(7, &s));
	tarn_rc rc = TARN_OK;
	for (int i = 0; i < 7 && !rc; i++) {
		rc = tarn_field_set_name(&s->fields[i], names[i], strlen(names[i]));
		if (!rc)
			rc = tarn_type_parse(types[i], &s->fields[i].type, err);
	}
	if (!rc)
		rc = tarn_field_set_note(&s->fields[1], "inferred");
	if (rc) {
		tarn_schema_unref(s);
		return rc;
	}
	*out = s;
	return TARN_OK;
}

static tarn_rc fill_row(struct tarn_batch *b, int r)
{
	char t[32];
	TRY(tarn_array_append_int(b->cols[0], r));
	int n = snprintf(t, sizeof t, "name-%d-é", r);
	TRY(r % 4 == 3 ? tarn_array_append_null(b->cols[1])
		       : tarn_array_append_bytes(b->cols[1], t, (size_t)n));
	struct tarn_array *tags = b->cols[2], *inner = tags->children[0];
	for (int k = 0; k < r % 3; k++) {
		for (int q = 0; q <= k; q++)
			TRY(tarn_array_append_bytes(inner->children[0], "tag", 3));
		TRY(tarn_array_list_end(inner, k != 1));
	}
	TRY(tarn_array_list_end(tags, r % 5 != 4));
	struct tarn_array *st = b->cols[3];
	if (r % 6 == 5) {
		TRY(tarn_array_append_null(st));
	} else {
		TRY(tarn_array_append_decimal(st->children[0], (tarn_i128)r * 1000 + 5));
		struct tarn_array *li = st->children[1], *ps = li->children[0];
		for (int k = 0; k < r % 4; k++) {
			TRY(tarn_array_append_int(ps->children[0], k - r));
			TRY(k == 2 ? tarn_array_append_null(ps->children[1])
				   : tarn_array_append_bytes(ps->children[1], "\x00\x01", 2));
			TRY(tarn_array_struct_end(ps, true));
		}
		TRY(tarn_array_list_end(li, true));
		TRY(tarn_array_struct_end(st, true));
	}
	struct tarn_array *m = b->cols[4], *e = m->children[0];
	for (int k = 0; k < r % 3; k++) {
		n = snprintf(t, sizeof t, "k%d", k);
		TRY(tarn_array_append_bytes(e->children[0], t, (size_t)n));
		TRY(tarn_array_append_double(e->children[1], k * 0.5));
		TRY(tarn_array_struct_end(e, true));
	}
	TRY(tarn_array_list_end(m, true));
	TRY(tarn_array_append_int(b->cols[5], (int64_t)r * 1000000007));
	TRY(tarn_array_append_int(b->cols[6], r * 1000));
	return TARN_OK;
}

static int released;
static void man_release(struct ArrowArray *a)
{
	for (int64_t i = 0; i < a->n_children; i++)
		if (a->children[i]->release)
			a->children[i]->release(a->children[i]);
	if (a->dictionary && a->dictionary->release)
		a->dictionary->release(a->dictionary);
	released++;
	a->release = NULL;
}
static void man_schema_release(struct ArrowSchema *s)
{
	for (int64_t i = 0; i < s->n_children; i++)
		if (s->children[i]->release)
			s->children[i]->release(s->children[i]);
	if (s->dictionary && s->dictionary->release)
		s->dictionary->release(s->dictionary);
	s->release = NULL;
}

/* A foreign producer's batch: dictionary<int16, utf8> and large_utf8. */
static tarn_rc import_foreign(struct tarn_err *err, int64_t *rows)
{
	struct ArrowSchema vs = { .format = "u", .release = man_schema_release };
	struct ArrowSchema f0 = { .format = "s", .name = "dict", .flags = ARROW_FLAG_NULLABLE,
				  .dictionary = &vs, .release = man_schema_release };
	struct ArrowSchema f1 = { .format = "U", .name = "big", .flags = ARROW_FLAG_NULLABLE,
				  .release = man_schema_release };
	struct ArrowSchema *fk[2] = { &f0, &f1 };
	struct ArrowSchema top = { .format = "+s", .name = "", .n_children = 2, .children = fk,
				   .release = man_schema_release };
	int32_t vo[] = { 0, 1, 3, 6 };
	const void *vb[3] = { NULL, vo, "abbccc" };
	struct ArrowArray dict = { .length = 3, .n_buffers = 3, .buffers = vb,
				   .release = man_release };
	int16_t idx[] = { 2, 0, 1, 1, 2 };
	uint8_t iv[] = { 0x1d };
	const void *ib[2] = { iv, idx };
	struct ArrowArray c0 = { .length = 5, .null_count = 1, .n_buffers = 2, .buffers = ib,
				 .dictionary = &dict, .release = man_release };
	int64_t lo[] = { 0, 2, 2, 5, 5, 9 };
	const void *lb[3] = { NULL, lo, "xyzzyplugh" };
	struct ArrowArray c1 = { .length = 5, .n_buffers = 3, .buffers = lb,
				 .release = man_release };
	struct ArrowArray *ck[2] = { &c0, &c1 };
	const void *tb[1] = { NULL };
	struct ArrowArray ta = { .length = 5, .n_buffers = 1, .n_children = 2, .buffers = tb,
				 .children = ck, .release = man_release };
	struct tarn_schema *s;
	tarn_rc rc = tarn_schema_import(&top, &s, err);
	top.release(&top);
	if (rc) {
		ta.release(&ta);
		return rc;
	}
	struct tarn_batch *b;
	rc = tarn_batch_import(&ta, s, &b, err);
	tarn_schema_unref(s);
	if (ta.release)
		return TARN_EINTERNAL;
	if (rc)
		return rc;
	*rows = b->n_rows;
	size_t n;
	const uint8_t *p = tarn_array_get_bytes(b->cols[0], 0, &n);
	if (n != 3 || memcmp(p, "ccc", 3) != 0 || !tarn_array_is_null(b->cols[0], 1))
		rc = TARN_EINTERNAL;
	tarn_batch_free(b);
	return rc;
}

/* A reader over one prepared batch, for the stream path. */
struct one_reader {
	struct tarn_reader base;
	struct tarn_batch *b;
};
static tarn_rc one_next(struct tarn_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	struct one_reader *o = (struct one_reader *)r;
	*out = o->b;
	o->b = NULL;
	return TARN_OK;
}
static void one_close(struct tarn_reader *r)
{
	struct one_reader *o = (struct one_reader *)r;
	tarn_batch_free(o->b);
	tarn_free(o);
}
static const struct tarn_reader_ops one_ops = { .next = one_next, .close = one_close };

static tarn_rc rc_of_errno(int e)
{
	return e == 0 ? TARN_OK : e == ENOMEM ? TARN_ENOMEM : TARN_EINTERNAL;
}

static tarn_rc stream_once(struct tarn_batch *b, struct tarn_err *err)
{
	struct one_reader *o = tarn_calloc(1, sizeof *o);
	if (!o) {
		tarn_batch_free(b);
		return TARN_ENOMEM;
	}
	o->base.ops = &one_ops;
	tarn_schema_ref(b->schema);
	o->base.schema = b->schema;
	o->b = b;
	struct ArrowArrayStream st;
	TRY(tarn_reader_export_stream(&o->base, &st, err));
	struct ArrowSchema as;
	tarn_rc rc = rc_of_errno(st.get_schema(&st, &as));
	if (!rc)
		as.release(&as);
	struct ArrowArray aa;
	if (!rc) {
		rc = rc_of_errno(st.get_next(&st, &aa));
		if (!rc && aa.release)
			aa.release(&aa);
		else if (!rc)
			rc = TARN_EINTERNAL;
	}
	if (rc == TARN_ENOMEM && !st.get_last_error(&st))
		rc = TARN_EINTERNAL; /* a failure must leave a message */
	st.release(&st);
	return rc;
}

/* The whole pipeline. Returns the first failure's code. */
static tarn_rc pipeline(struct tarn_err *err, int64_t *checksum)
{
	struct tarn_schema *s = NULL, *s2 = NULL;
	struct tarn_batch *b = NULL, *b2 = NULL, *back = NULL;
	struct ArrowSchema as = { 0 };
	struct ArrowArray aa = { 0 };
	tarn_rc rc = TARN_OK;
	TRY_OUT(make_schema(&s, err));
	TRY_OUT(tarn_batch_new(s, 4, &b));
	TRY_OUT(tarn_batch_new(s, 0, &b2));
	for (int r = 0; r < 40; r++)
		TRY_OUT(fill_row(b, r));
	TRY_OUT(tarn_batch_seal(b, err));
	/* b2: a copy via append_from, later handed to the stream */
	for (int c = 0; c < b->n_cols; c++)
		for (int64_t r = 0; r < b->n_rows; r++)
			TRY_OUT(tarn_array_append_from(b2->cols[c], b->cols[c], r));
	TRY_OUT(tarn_batch_seal(b2, err));
	TRY_OUT(tarn_schema_export(s, &as, err));
	rc = tarn_schema_import(&as, &s2, err);
	as.release(&as);
	if (rc)
		goto out;
	rc = tarn_batch_export(b, &aa, err);
	b = NULL; /* consumed either way */
	if (rc)
		goto out;
	rc = tarn_batch_import(&aa, s2, &back, err);
	if (aa.release) {
		rc = TARN_EINTERNAL;
		goto out;
	}
	if (rc)
		goto out;
	for (int c = 0; c < back->n_cols; c++)
		TRY_OUT(tarn_array_validate(back->cols[c], true, err));
	int64_t rows = 0;
	TRY_OUT(import_foreign(err, &rows));
	rc = stream_once(b2, err);
	b2 = NULL;
	if (rc)
		goto out;
	*checksum = back->n_rows * 1000 + rows + tarn_array_get_int(back->cols[0], 39) +
		    back->cols[2]->children[0]->children[0]->length +
		    tarn_array_get_int(back->cols[6], 7);
out:
	tarn_batch_free(back);
	tarn_batch_free(b);
	tarn_batch_free(b2);
	tarn_schema_unref(s);
	tarn_schema_unref(s2);
	return rc;
}

TEST(fault_injection_every_allocation)
{
	struct tarn_err err;
	tarn_err_clear(&err);
	int64_t want = 0;
	REQUIRE(pipeline(&err, &want) == TARN_OK);
	CHECK(want == 40 * 1000 + 5 + 39 + 52 + 7000); /* 52 strings in tags, null lists keep theirs */
	int64_t n, failures = 0;
	for (n = 0; n < 200000; n++) {
		tarn_err_clear(&err);
		tarn_mem_fail_after(n);
		int64_t sum = 0;
		tarn_rc rc = pipeline(&err, &sum);
		tarn_mem_fail_after(-1);
		if (rc == TARN_OK) {
			CHECK(sum == want);
			break;
		}
		failures++;
		if (rc != TARN_ENOMEM) {
			fprintf(stderr, "N=%lld: rc %d (%s): %s\n", (long long)n, rc,
				tarn_rc_name(rc), err.msg);
			CHECK(rc == TARN_ENOMEM);
			break;
		}
		/* functions that take an error record fill it (the builders take
		 * none, so a bare code is fine when err is still clear) */
		CHECK(err.rc == TARN_OK || err.rc == TARN_ENOMEM);
	}
	CHECK(n < 200000);
	CHECK(failures > 100); /* the pipeline really allocates along the way */
	printf("fault injection: %lld failing runs, success at N=%lld\n", (long long)failures,
	       (long long)n);
}

TEST(fault_injection_is_persistent)
{
	tarn_mem_fail_after(2);
	void *a = tarn_malloc(8), *b = tarn_malloc(8);
	void *c = tarn_malloc(8), *d = tarn_calloc(1, 8), *e = tarn_alloc_aligned(8);
	CHECK(a && b && !c && !d && !e);
	CHECK(tarn_mem_fail_after(-1) == 0);
	void *f = tarn_malloc(8);
	CHECK(f != NULL);
	tarn_free(a);
	tarn_free(b);
	tarn_free(f);
}

int main(void)
{
	RUN(fault_injection_is_persistent);
	RUN(fault_injection_every_allocation);
	return unit_done();
}
