/*
 * sample.c — unit tests for tarn_sample (src/prep/sample.c) over an
 * in-memory reader and a capturing writer, so every method is checked
 * independently of the file formats: exact counts, input order,
 * determinism per seed, uniformity, stratified allocation, the compaction
 * paths, argument errors, and allocation failures at every step.
 */
#include <math.h>
#include <stdio.h>

#include "base/mem.h"
#include "columnar/array.h"
#include "formats/format.h"
#include "unit.h"

/* ---- an in-memory table: id int64, cls string|null, payload string ---- */

typedef const char *(*class_fn)(int64_t row);

struct fake_reader {
	struct tarn_reader base;
	int64_t rows, next, batch;
	class_fn cls;
	int64_t batches_read;
};

static tarn_rc fake_next(struct tarn_reader *r0, struct tarn_batch **out, struct tarn_err *err)
{
	struct fake_reader *r = (struct fake_reader *)r0;
	*out = NULL;
	if (r->next >= r->rows)
		return TARN_OK;
	int64_t n = r->rows - r->next < r->batch ? r->rows - r->next : r->batch;
	struct tarn_batch *b;
	if (tarn_batch_new(r->base.schema, n, &b))
		return tarn_err_set(err, TARN_ENOMEM, "fake reader: out of memory");
	tarn_rc rc = TARN_OK;
	for (int64_t i = 0; i < n && rc == TARN_OK; i++) {
		int64_t id = r->next + i;
		char p[32];
		int k = snprintf(p, sizeof p, "p%lld", (long long)id);
		const char *c = r->cls ? r->cls(id) : "x";
		rc = tarn_array_append_int(b->cols[0], id);
		if (rc == TARN_OK)
			rc = c ? tarn_array_append_bytes(b->cols[1], c, strlen(c))
			       : tarn_array_append_null(b->cols[1]);
		if (rc == TARN_OK)
			rc = tarn_array_append_bytes(b->cols[2], p, (size_t)k);
	}
	if (rc == TARN_OK)
		rc = tarn_batch_seal(b, err);
	if (rc) {
		tarn_batch_free(b);
		return tarn_err_set(err, rc, "fake reader: cannot build a batch");
	}
	r->next += n;
	r->batches_read++;
	*out = b;
	return TARN_OK;
}

static void fake_close(struct tarn_reader *r)
{
	tarn_free(r);
}

static const struct tarn_reader_ops fake_ops = { .next = fake_next, .close = fake_close };

static struct tarn_schema *make_schema(void)
{
	struct tarn_schema *s;
	if (tarn_schema_new(3, &s))
		return NULL;
	static const char *const names[] = { "id", "cls", "payload" };
	for (int i = 0; i < 3; i++)
		if (tarn_field_set_name(&s->fields[i], names[i], strlen(names[i]))) {
			tarn_schema_unref(s);
			return NULL;
		}
	tarn_type_init(&s->fields[0].type, TARN_T_INT64);
	tarn_type_init(&s->fields[1].type, TARN_T_STRING);
	tarn_type_init(&s->fields[2].type, TARN_T_STRING);
	return s;
}

static struct fake_reader *fake_open(struct tarn_schema *s, int64_t rows, int64_t batch,
				     class_fn cls)
{
	struct fake_reader *r = tarn_calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->base.ops = &fake_ops;
	tarn_schema_ref(s);
	r->base.schema = s;
	r->rows = rows;
	r->batch = batch;
	r->cls = cls;
	return r;
}

/* ---- a writer that records ids and checks each row's payload ---- */

struct cap_writer {
	struct tarn_writer base;
	int64_t *ids;
	int64_t n, cap;
	bool payload_ok, ordered;
};

static tarn_rc cap_write(struct tarn_writer *w0, const struct tarn_batch *b, struct tarn_err *err)
{
	struct cap_writer *w = (struct cap_writer *)w0;
	for (int64_t i = 0; i < b->n_rows; i++) {
		if (w->n == w->cap) {
			int64_t cap = w->cap ? w->cap * 2 : 256;
			int64_t *ids = tarn_realloc(w->ids, (size_t)cap * sizeof *ids);
			if (!ids)
				return tarn_err_set(err, TARN_ENOMEM, "capture: out of memory");
			w->ids = ids;
			w->cap = cap;
		}
		int64_t id = tarn_array_get_int(b->cols[0], i);
		char want[32];
		int k = snprintf(want, sizeof want, "p%lld", (long long)id);
		size_t n;
		const uint8_t *p = tarn_array_get_bytes(b->cols[2], i, &n);
		if (n != (size_t)k || memcmp(p, want, n) != 0)
			w->payload_ok = false;
		if (w->n > 0 && w->ids[w->n - 1] >= id)
			w->ordered = false;
		w->ids[w->n++] = id;
	}
	return TARN_OK;
}

static tarn_rc cap_finish(struct tarn_writer *w, struct tarn_err *err)
{
	return TARN_OK;
}

static void cap_close(struct tarn_writer *w0)
{
	struct cap_writer *w = (struct cap_writer *)w0;
	tarn_free(w->ids);
	tarn_free(w);
}

static const struct tarn_writer_ops cap_ops = { cap_write, cap_finish, cap_close };

static struct cap_writer *cap_open(struct tarn_schema *s)
{
	struct cap_writer *w = tarn_calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->base.ops = &cap_ops;
	tarn_schema_ref(s);
	w->base.schema = s;
	w->payload_ok = w->ordered = true;
	return w;
}

/* One sampling run. Returns the rc; *out holds the writer (caller closes). */
struct result {
	tarn_rc rc;
	struct cap_writer *w;
	int64_t rows, batches_read;
	char msg[TARN_ERR_MSG_MAX];
};

static struct result run(int64_t rows, int64_t batch, class_fn cls, struct tarn_sample_spec spec)
{
	struct result res = { 0 };
	struct tarn_schema *s = make_schema();
	struct fake_reader *r = s ? fake_open(s, rows, batch, cls) : NULL;
	res.w = s ? cap_open(s) : NULL;
	if (!r || !res.w) {
		res.rc = TARN_ENOMEM;
		if (r)
			tarn_reader_close(&r->base);
		tarn_schema_unref(s);
		return res;
	}
	struct tarn_err err;
	tarn_err_clear(&err);
	res.rc = tarn_sample(&r->base, &res.w->base, &spec, &res.rows, &err);
	memcpy(res.msg, err.msg, sizeof res.msg);
	res.batches_read = r->batches_read;
	tarn_reader_close(&r->base);
	tarn_schema_unref(s);
	return res;
}

static void done(struct result *res)
{
	if (res->w)
		tarn_writer_close(&res->w->base);
	res->w = NULL;
}

static bool same_ids(const struct result *a, const struct result *b)
{
	return a->w->n == b->w->n && memcmp(a->w->ids, b->w->ids, (size_t)a->w->n * 8) == 0;
}

/* Classes 90% "a", 9% "b", 1% "c" by row index. */
static const char *cls_90_9_1(int64_t row)
{
	int64_t m = row % 100;
	return m < 90 ? "a" : m < 99 ? "b" : "c";
}

/* Sorted by class: the first 80% "lo", then 15% "mid", then 5% "hi" of 1e6. */
static const char *cls_sorted(int64_t row)
{
	return row < 800000 ? "lo" : row < 950000 ? "mid" : "hi";
}

static const char *cls_with_null(int64_t row)
{
	return row % 4 == 0 ? NULL : row % 4 == 1 ? "" : "z";
}

static int64_t count_class(const struct result *r, class_fn cls, const char *want)
{
	int64_t n = 0;
	for (int64_t i = 0; i < r->w->n; i++) {
		const char *c = cls(r->w->ids[i]);
		if ((!c && !want) || (c && want && strcmp(c, want) == 0))
			n++;
	}
	return n;
}

/* ---- tests ---- */

TEST(topk_exact_and_stops_early)
{
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_TOPK, .n = 25 };
	struct result r = run(1000000, 10, NULL, spec);
	REQUIRE(r.rc == TARN_OK);
	CHECK(r.rows == 25 && r.w->n == 25);
	for (int64_t i = 0; i < r.w->n; i++)
		CHECK(r.w->ids[i] == i);
	CHECK(r.w->payload_ok && r.w->ordered);
	CHECK(r.batches_read == 3); /* 10 + 10 + 5 of the third */
	done(&r);

	spec.n = 5000;
	r = run(300, 64, NULL, spec);
	CHECK(r.rc == TARN_OK && r.w->n == 300 && r.w->ids[299] == 299);
	done(&r);

	spec.n = 0;
	r = run(300, 64, NULL, spec);
	CHECK(r.rc == TARN_OK && r.w->n == 0 && r.batches_read == 0);
	done(&r);
}

TEST(reservoir_exact_ordered_deterministic)
{
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_RANDOM, .n = 100, .seed = 7 };
	struct result a = run(100000, 1000, NULL, spec);
	struct result b = run(100000, 333, NULL, spec); /* batch size must not matter */
	spec.seed = 8;
	struct result c = run(100000, 1000, NULL, spec);
	REQUIRE(a.rc == TARN_OK && b.rc == TARN_OK && c.rc == TARN_OK);
	CHECK(a.w->n == 100 && a.rows == 100);
	CHECK(a.w->ordered && a.w->payload_ok);
	CHECK(same_ids(&a, &b));
	CHECK(!same_ids(&a, &c));
	done(&a);
	done(&b);
	done(&c);

	spec.n = 500; /* more than the input: everything */
	a = run(321, 50, NULL, spec);
	CHECK(a.rc == TARN_OK && a.w->n == 321 && a.w->ordered);
	done(&a);
}

TEST(reservoir_compacts)
{
	/* ~k ln(N/k) = 46,000 replacements > k + one store chunk: compaction runs. */
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_RANDOM, .n = 20000, .seed = 1 };
	struct result a = run(200000, 4096, NULL, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(a.w->n == 20000 && a.w->ordered && a.w->payload_ok);
	/* Each tenth of the input holds about a tenth of the sample. */
	int64_t dec[10] = { 0 };
	for (int64_t i = 0; i < a.w->n; i++)
		dec[a.w->ids[i] / 20000]++;
	for (int d = 0; d < 10; d++)
		CHECK(dec[d] > 1700 && dec[d] < 2300);
	done(&a);
}

TEST(reservoir_uniform)
{
	/* 4,000 runs of 10 from 50: each row expected 800 times, sd ~25.3. */
	int64_t hits[50] = { 0 };
	for (uint64_t seed = 0; seed < 4000; seed++) {
		struct tarn_sample_spec spec = { .method = TARN_SAMPLE_RANDOM, .n = 10,
						 .seed = seed };
		struct result a = run(50, 7, NULL, spec);
		REQUIRE(a.rc == TARN_OK && a.w->n == 10);
		for (int64_t i = 0; i < a.w->n; i++)
			hits[a.w->ids[i]]++;
		done(&a);
	}
	double chi = 0;
	for (int i = 0; i < 50; i++) {
		CHECK(hits[i] > 700 && hits[i] < 900);
		chi += (hits[i] - 800.0) * (hits[i] - 800.0) / 800.0;
	}
	/* 49 degrees of freedom; p = 0.0001 is at about 90 (scaled by 1 - 10/50). */
	CHECK(chi < 90);
}

TEST(random_fraction_exact)
{
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_RANDOM, .n = -1,
					 .fraction = 0.1, .seed = 3 };
	struct result a = run(12345, 1000, NULL, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(a.w->n == 1235); /* round(1234.5) */
	CHECK(a.w->ordered && a.w->payload_ok);
	struct result b = run(12345, 77, NULL, spec);
	CHECK(b.rc == TARN_OK && same_ids(&a, &b));
	done(&a);
	done(&b);

	spec.fraction = 0.0001; /* round to 0, raised to 1 */
	a = run(100, 10, NULL, spec);
	CHECK(a.rc == TARN_OK && a.w->n == 1);
	done(&a);

	spec.fraction = 1;
	a = run(999, 100, NULL, spec);
	CHECK(a.rc == TARN_OK && a.w->n == 999);
	done(&a);

	a = run(0, 100, NULL, spec);
	CHECK(a.rc == TARN_OK && a.w->n == 0);
	done(&a);
}

TEST(stratified_shares)
{
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_STRATIFIED, .n = -1,
					 .fraction = 0.1, .by = "cls", .seed = 42 };
	struct result a = run(1000, 64, cls_90_9_1, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(a.w->n == 100);
	CHECK(count_class(&a, cls_90_9_1, "a") == 90);
	CHECK(count_class(&a, cls_90_9_1, "b") == 9);
	CHECK(count_class(&a, cls_90_9_1, "c") == 1);
	CHECK(a.w->ordered && a.w->payload_ok);
	done(&a);

	/* 1%: quotas 9, 0.9, 0.1 → 9/1/0 by remainders, then "c" gets its row. */
	spec.fraction = 0.01;
	a = run(1000, 64, cls_90_9_1, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(a.w->n == 10);
	CHECK(count_class(&a, cls_90_9_1, "a") == 8);
	CHECK(count_class(&a, cls_90_9_1, "b") == 1);
	CHECK(count_class(&a, cls_90_9_1, "c") == 1);
	done(&a);

	/* --n: the same allocation from a row count. */
	spec.n = 200;
	a = run(1000, 64, cls_90_9_1, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(count_class(&a, cls_90_9_1, "a") == 180);
	CHECK(count_class(&a, cls_90_9_1, "b") == 18);
	CHECK(count_class(&a, cls_90_9_1, "c") == 2);
	done(&a);

	/* Fewer rows asked than classes: one per class. */
	spec.n = 2;
	a = run(1000, 64, cls_90_9_1, spec);
	CHECK(a.rc == TARN_OK && a.w->n == 3);
	done(&a);
}

TEST(stratified_null_and_empty_classes)
{
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_STRATIFIED, .n = 40,
					 .fraction = 0, .by = "cls", .seed = 5 };
	struct result a = run(400, 33, cls_with_null, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(count_class(&a, cls_with_null, NULL) == 10);
	CHECK(count_class(&a, cls_with_null, "") == 10);
	CHECK(count_class(&a, cls_with_null, "z") == 20);
	done(&a);
}

TEST(stratified_sorted_input_large)
{
	/* Classes arrive one after another: the thresholds must not have
	 * dropped rows a later class share needs. 1% of 1e6 = 10,000. */
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_STRATIFIED, .n = -1,
					 .fraction = 0.01, .by = "cls", .seed = 9 };
	struct result a = run(1000000, 65536, cls_sorted, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(a.w->n == 10000);
	CHECK(count_class(&a, cls_sorted, "lo") == 8000);
	CHECK(count_class(&a, cls_sorted, "mid") == 1500);
	CHECK(count_class(&a, cls_sorted, "hi") == 500);
	CHECK(a.w->ordered && a.w->payload_ok);
	done(&a);

	spec.n = 1000; /* --n with shares only known at the end */
	a = run(1000000, 65536, cls_sorted, spec);
	REQUIRE(a.rc == TARN_OK);
	CHECK(count_class(&a, cls_sorted, "lo") == 800);
	CHECK(count_class(&a, cls_sorted, "mid") == 150);
	CHECK(count_class(&a, cls_sorted, "hi") == 50);
	done(&a);
}

TEST(stratified_uniform_within_class)
{
	/* 3,000 runs: 2 of the 10 "c" rows (rows 99, 199, ...) among 1,000. */
	int64_t hits[10] = { 0 };
	for (uint64_t seed = 0; seed < 3000; seed++) {
		struct tarn_sample_spec spec = { .method = TARN_SAMPLE_STRATIFIED, .n = 200,
						 .by = "cls", .seed = seed };
		struct result a = run(1000, 128, cls_90_9_1, spec);
		REQUIRE(a.rc == TARN_OK);
		for (int64_t i = 0; i < a.w->n; i++)
			if (a.w->ids[i] % 100 == 99)
				hits[a.w->ids[i] / 100]++;
		done(&a);
	}
	for (int i = 0; i < 10; i++) /* expected 600, sd ~22 */
		CHECK(hits[i] > 500 && hits[i] < 700);
}

TEST(spec_errors)
{
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_STRATIFIED, .n = 10 };
	struct result a = run(10, 10, NULL, spec);
	CHECK(a.rc == TARN_EUSAGE && strstr(a.msg, "--by"));
	done(&a);
	spec.by = "nope";
	a = run(10, 10, NULL, spec);
	CHECK(a.rc == TARN_ENOTFOUND && strstr(a.msg, "nope") && strstr(a.msg, "payload"));
	done(&a);
	spec = (struct tarn_sample_spec){ .method = TARN_SAMPLE_RANDOM, .n = -1, .fraction = 0 };
	a = run(10, 10, NULL, spec);
	CHECK(a.rc == TARN_EUSAGE);
	done(&a);
	spec.fraction = 1.5;
	a = run(10, 10, NULL, spec);
	CHECK(a.rc == TARN_EUSAGE);
	done(&a);
	spec = (struct tarn_sample_spec){ .method = TARN_SAMPLE_TOPK, .n = -1, .fraction = 0.5 };
	a = run(10, 10, NULL, spec);
	CHECK(a.rc == TARN_EUSAGE && strstr(a.msg, "topk"));
	done(&a);
}

static int64_t progress_last;
static void on_progress(void *ctx, int64_t rows)
{
	(void)ctx;
	progress_last = rows;
}

TEST(progress_callback)
{
	struct tarn_sample_spec spec = { .method = TARN_SAMPLE_RANDOM, .n = 5, .seed = 1,
					 .progress = on_progress };
	progress_last = 0;
	struct result a = run(1234, 100, NULL, spec);
	CHECK(a.rc == TARN_OK && progress_last == 1234);
	done(&a);
}

TEST(allocation_failures)
{
	/* Every method, failing the k-th allocation for each k until a run
	 * succeeds: an error code each time (never a crash; ASan checks leaks). */
	struct tarn_sample_spec specs[] = {
		{ .method = TARN_SAMPLE_TOPK, .n = 150 },
		{ .method = TARN_SAMPLE_RANDOM, .n = 50, .seed = 2 },
		{ .method = TARN_SAMPLE_RANDOM, .n = -1, .fraction = 0.3, .seed = 2 },
		{ .method = TARN_SAMPLE_STRATIFIED, .n = -1, .fraction = 0.2, .by = "cls" },
	};
	for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
		bool ok = false;
		for (int64_t k = 0; k < 5000 && !ok; k++) {
			tarn_mem_fail_after(k);
			struct result a = run(500, 64, cls_90_9_1, specs[s]);
			tarn_mem_fail_after(-1);
			if (a.rc == TARN_OK)
				ok = true;
			else
				CHECK(a.rc == TARN_ENOMEM);
			done(&a);
		}
		CHECK(ok);
	}
}

int main(void)
{
	RUN(topk_exact_and_stops_early);
	RUN(reservoir_exact_ordered_deterministic);
	RUN(reservoir_compacts);
	RUN(reservoir_uniform);
	RUN(random_fraction_exact);
	RUN(stratified_shares);
	RUN(stratified_null_and_empty_classes);
	RUN(stratified_sorted_input_large);
	RUN(stratified_uniform_within_class);
	RUN(spec_errors);
	RUN(progress_callback);
	RUN(allocation_failures);
	return unit_done();
}
