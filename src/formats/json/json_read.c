/*
 * json_read.c — parsing JSON records straight into column builders.
 *
 * Owns the parse plan (a tree mirroring the schema, with per-struct key
 * lookup tables), the recursive-descent record parser that appends each
 * value to its column as it is read (strings are unescaped directly into the
 * string column's buffer), and json_parse_records, the loop over the
 * top-level shape: a sequence of values (JSON Lines) or one array of
 * records. The reader drivers (streaming, mapped, parallel) are in
 * json_reader.c. The same parser reads single values for other formats
 * (json_value.h: the CSV reader's nested cells).
 *
 * Relies on json_lex.c for tokens and on array.h's layout for direct
 * appends. Thread-safety: a plan and a struct jparse belong to one thread.
 *
 * Design notes
 *  1. A record is appended as it is parsed. When it cannot be finished (the
 *     window ends, JS_MORE) every column is truncated back to the row count
 *     before it (json_array_truncate), so a record is either fully in the
 *     batch or not at all. The same truncation implements "last duplicate
 *     key wins", and undoes a failed json_value_parse.
 *  2. Struct members are looked up by predicting the next key (records
 *     usually repeat the key order) and comparing raw bytes, falling back to
 *     a hash table; missing members get a null after the object closes,
 *     found by a per-object generation number.
 */
#include <stdio.h>

#include "columnar/text.h"
#include "formats/json/json_int.h"
#include "formats/json/json_value.h"

/* ---- plans -------------------------------------------------------------------- */

static void plan_clear(struct jcol *c)
{
	for (int i = 0; i < c->n_members; i++)
		plan_clear(&c->members[i]);
	tarn_free(c->members);
	tarn_free(c->index);
	tarn_free(c->seen);
	if (c->elem) {
		plan_clear(c->elem);
		tarn_free(c->elem);
	}
	if (c->key) {
		plan_clear(c->key);
		tarn_free(c->key);
	}
	memset(c, 0, sizeof *c);
}

void json_plan_free(struct jcol *plan)
{
	if (!plan)
		return;
	plan_clear(plan);
	tarn_free(plan);
}

static void set_name(struct jcol *c, const char *name)
{
	c->name = name ? name : "";
	c->name_len = strlen(c->name);
	c->hash = json_hash((const uint8_t *)c->name, c->name_len);
	c->fast_key = true;
	for (size_t i = 0; i < c->name_len; i++) {
		uint8_t b = (uint8_t)c->name[i];
		if (b < 0x20 || b == '"' || b == '\\')
			c->fast_key = false;
	}
}

static tarn_rc plan_type(struct jcol *c, const struct tarn_type *t, struct tarn_err *err);

/* Struct members from fields (the schema's top level or a struct type). */
static tarn_rc plan_members(struct jcol *c, const struct tarn_field *f, int n,
			    struct tarn_err *err)
{
	c->kind = JK_STRUCT;
	c->members = tarn_calloc((size_t)(n ? n : 1), sizeof *c->members);
	if (!c->members)
		return tarn_err_nomem(err, "JSON parse plan");
	c->n_members = n;
	c->seen = tarn_calloc((size_t)(n ? n : 1), sizeof *c->seen);
	uint32_t cap = 16;
	while (cap < (uint32_t)n * 2)
		cap *= 2;
	c->index = tarn_calloc(cap, sizeof *c->index);
	c->index_cap = cap;
	if (!c->seen || !c->index)
		return tarn_err_nomem(err, "JSON parse plan");
	for (int i = 0; i < n; i++) {
		set_name(&c->members[i], f[i].name);
		TRY(plan_type(&c->members[i], &f[i].type, err));
		/* The first of equal names wins the lookup (duplicate column names
		 * can come from a user's type overrides only). */
		uint32_t m = cap - 1, h = c->members[i].hash & m;
		bool dup = false;
		for (; c->index[h]; h = (h + 1) & m) {
			const struct jcol *o = &c->members[c->index[h] - 1];
			if (o->name_len == c->members[i].name_len &&
			    memcmp(o->name, c->members[i].name, o->name_len) == 0)
				dup = true;
		}
		if (!dup)
			c->index[h] = i + 1;
	}
	return TARN_OK;
}

static tarn_rc plan_type(struct jcol *c, const struct tarn_type *t, struct tarn_err *err)
{
	c->type = t;
	switch (t->id) {
	case TARN_T_NULL: c->kind = JK_NULL; break;
	case TARN_T_BOOL: c->kind = JK_BOOL; break;
	case TARN_T_INT8: c->kind = JK_INT; c->imin = INT8_MIN; c->imax = INT8_MAX; break;
	case TARN_T_INT16: c->kind = JK_INT; c->imin = INT16_MIN; c->imax = INT16_MAX; break;
	case TARN_T_INT32: c->kind = JK_INT; c->imin = INT32_MIN; c->imax = INT32_MAX; break;
	case TARN_T_INT64: c->kind = JK_INT; c->imin = INT64_MIN; c->imax = INT64_MAX; break;
	case TARN_T_UINT8: c->kind = JK_INT; c->imin = 0; c->imax = UINT8_MAX; break;
	case TARN_T_UINT16: c->kind = JK_INT; c->imin = 0; c->imax = UINT16_MAX; break;
	case TARN_T_UINT32: c->kind = JK_INT; c->imin = 0; c->imax = UINT32_MAX; break;
	case TARN_T_UINT64: c->kind = JK_UINT64; break;
	case TARN_T_FLOAT32: c->kind = JK_FLOAT32; break;
	case TARN_T_FLOAT64: c->kind = JK_FLOAT64; break;
	case TARN_T_DECIMAL128: c->kind = JK_DECIMAL; break;
	case TARN_T_STRING: c->kind = JK_STRING; break;
	case TARN_T_BINARY: c->kind = JK_BINARY; break;
	case TARN_T_DATE32: c->kind = JK_DATE; break;
	case TARN_T_TIME64: c->kind = JK_TIME; break;
	case TARN_T_TIMESTAMP: c->kind = JK_TIMESTAMP; break;
	case TARN_T_LIST:
		c->kind = JK_LIST;
		c->elem = tarn_calloc(1, sizeof *c->elem);
		if (!c->elem)
			return tarn_err_nomem(err, "JSON parse plan");
		set_name(c->elem, t->children[0].name);
		return plan_type(c->elem, &t->children[0].type, err);
	case TARN_T_STRUCT:
		return plan_members(c, t->children, t->n_children, err);
	case TARN_T_MAP: {
		/* Keys of any type: an object's keys are read as JSON strings of
		 * the key type, a list of {"key":..,"value":..} entries holds keys
		 * as any JSON value (text.c writes that for non-string keys). */
		const struct tarn_type *e = &t->children[0].type;
		if (e->n_children != 2)
			return tarn_err_set(err, TARN_EUNSUPPORTED,
					    "map column '%s' has no key and value fields", c->name);
		c->kind = JK_MAP;
		c->elem = tarn_calloc(1, sizeof *c->elem);
		c->key = tarn_calloc(1, sizeof *c->key);
		if (!c->elem || !c->key)
			return tarn_err_nomem(err, "JSON parse plan");
		set_name(c->key, e->children[0].name);
		TRY(plan_type(c->key, &e->children[0].type, err));
		set_name(c->elem, e->children[1].name);
		return plan_type(c->elem, &e->children[1].type, err);
	}
	default:
		return tarn_err_set(err, TARN_EUNSUPPORTED, "the JSON reader cannot read type %s",
				    tarn_type_id_name(t->id));
	}
	return TARN_OK;
}

tarn_rc json_plan_new(const struct tarn_schema *s, bool value_mode, struct jcol **out,
		      struct tarn_err *err)
{
	*out = NULL;
	struct jcol *c = tarn_calloc(1, sizeof *c);
	if (!c)
		return tarn_err_nomem(err, "JSON parse plan");
	tarn_rc rc;
	if (value_mode) {
		set_name(c, s->fields[0].name);
		rc = plan_type(c, &s->fields[0].type, err);
	} else {
		set_name(c, "");
		rc = plan_members(c, s->fields, s->n_fields, err);
	}
	if (rc) {
		json_plan_free(c);
		return rc;
	}
	*out = c;
	return TARN_OK;
}

/* ---- direct appends ------------------------------------------------------------ */

/* Drops rows [len, length) (design note 1), and whatever the children hold
 * beyond those rows: a record cut short may have appended to a struct's
 * members or a list's items without ending the parent row, so children are
 * truncated even when the parent itself has no extra row. */
void json_array_truncate(struct tarn_array *a, int64_t len)
{
	if (len > a->length)
		return;
	if (a->validity) {
		int64_t nulls = 0;
		for (int64_t i = len; i < a->length; i++)
			nulls += !tarn_bit_get(a->validity, i);
		a->null_count -= nulls;
	} else if (a->type->id == TARN_T_NULL) {
		a->null_count = len;
	}
	switch (a->type->id) {
	case TARN_T_STRING:
	case TARN_T_BINARY:
		a->values_len = a->offsets[len];
		break;
	case TARN_T_LIST:
	case TARN_T_MAP:
		json_array_truncate(a->children[0], a->offsets[len]);
		break;
	case TARN_T_STRUCT:
		for (int i = 0; i < a->n_children; i++)
			json_array_truncate(a->children[i], len);
		break;
	default:
		break;
	}
	a->length = len;
}

static int sys_fail(struct jparse *ps, tarn_rc rc, const char *what)
{
	if (rc == TARN_ELIMIT)
		return json_fail_at(ps, TARN_ELIMIT, json_at(ps),
				    "%s: a column of one batch passed 2 GiB", what);
	return json_fail_at(ps, rc ? rc : TARN_ENOMEM, json_at(ps), "out of memory (%s)", what);
}

static int grow_rows(struct jparse *ps, struct tarn_array *a)
{
	tarn_rc rc = tarn_array_reserve(a, 1);
	return rc ? sys_fail(ps, rc, "growing a column") : JS_OK;
}

static inline int room(struct jparse *ps, struct tarn_array *a)
{
	if (LIKELY(a->length < a->cap))
		return JS_OK;
	return grow_rows(ps, a);
}

/* Room for n more payload bytes. Also allocates the payload buffer for a
 * first empty string, so readers of the column never meet a NULL buffer
 * under a valid row. */
static inline int room_bytes(struct jparse *ps, struct tarn_array *a, size_t n)
{
	if (LIKELY(a->values_len + (int64_t)n <= a->values_cap && a->values))
		return JS_OK;
	tarn_rc rc = tarn_array_reserve_bytes(a, n ? (int64_t)n : 1);
	return rc ? sys_fail(ps, rc, "growing a string column") : JS_OK;
}

/* Where the next string bytes go (NULL before the first byte is reserved:
 * then nothing is written there). */
static inline uint8_t *bytes_end(const struct tarn_array *a)
{
	return a->values ? a->values + a->values_len : NULL;
}

static inline void mark_valid(struct tarn_array *a)
{
	if (a->validity)
		tarn_bit_set(a->validity, a->length, true);
	a->length++;
}

static int put_null(struct jparse *ps, struct tarn_array *a)
{
	tarn_rc rc = tarn_array_append_null(a);
	return rc ? sys_fail(ps, rc, "appending a null") : JS_OK;
}

static int put_bytes(struct jparse *ps, struct tarn_array *a, const void *s, size_t n)
{
	int rc;
	if ((rc = room(ps, a)) || (rc = room_bytes(ps, a, n)))
		return rc;
	if (n)
		memcpy(a->values + a->values_len, s, n);
	a->values_len += (int64_t)n;
	a->offsets[a->length + 1] = (int32_t)a->values_len;
	mark_valid(a);
	return JS_OK;
}

/* ---- type errors ---------------------------------------------------------------- */

/* "record N, key "a.b[3]": found X where the column type is T (...)" — the
 * record number and location are added by json_err_report. */
static int type_error(struct jparse *ps, const struct jcol *col, struct tarn_array *a,
		      int64_t at, int depth, const char *found)
{
	if (ps->opt->bad == BAD_NULL_FILL) {
		/* The value becomes null: skip it (still checking it), then
		 * append the null. */
		ps->pos = (size_t)(at - ps->base);
		int rc = json_value_copy(ps, NULL, depth);
		if (rc)
			return rc;
		ps->repaired = true;
		return put_null(ps, a);
	}
	char path[256], type[128] = "?";
	json_path_text(ps, path, sizeof path);
	if (col->type) {
		struct tarn_buf b;
		tarn_buf_init(&b);
		if (tarn_type_to_text(col->type, &b) == TARN_OK) {
			size_t k = b.len < sizeof type - 1 ? b.len : sizeof type - 1;
			memcpy(type, b.data, k);
			type[k] = '\0';
		}
		tarn_buf_free(&b);
	}
	char hint[200];
	if (ps->value_only)
		hint[0] = '\0';
	else if (ps->sample_all)
		snprintf(hint, sizeof hint, "set the column's type with types=COLUMN=TYPE");
	else
		snprintf(hint, sizeof hint,
			 "the type was inferred from the first %lld records; use infer-rows=0 "
			 "to infer from all of them, or set it with types=COLUMN=TYPE",
			 (long long)ps->sample_records);
	json_fail_at(ps, TARN_EDATA, at, "%s%s%s: %s does not fit the column type %s%s%s%s",
		     path[0] ? "key \"" : "value", path, path[0] ? "\"" : "", found, type,
		     hint[0] ? " (" : "", hint, hint[0] ? ")" : "");
	ps->err.record = ps->records;
	return JS_ERR;
}

/* A short quoted rendering of raw token text for messages. */
static const char *token_text(const uint8_t *s, size_t n, bool quote, char *buf, size_t cap)
{
	size_t max = cap > 48 ? 40 : cap - 8;
	size_t k = n < max ? n : max;
	snprintf(buf, cap, "%s%.*s%s%s", quote ? "\"" : "", (int)k, (const char *)s,
		 n > k ? "..." : "", quote ? "\"" : "");
	for (char *q = buf; *q; q++)
		if ((unsigned char)*q < 0x20)
			*q = '?';
	return buf;
}

/* ---- values ---------------------------------------------------------------------- */

static int parse_value(struct jparse *ps, struct jcol *col, struct tarn_array *a, int depth);

static int put_number(struct jparse *ps, struct jcol *col, struct tarn_array *a)
{
	struct jnum num;
	int64_t at = json_at(ps);
	int rc = json_num_scan(ps, &num);
	if (rc)
		return rc;
	const uint8_t *text = ps->p + num.start;
	char vb[64];
	switch (col->kind) {
	case JK_INT: {
		if (!num.is_int || !num.fits)
			break;
		int64_t v = num.neg ? (int64_t)(0 - num.mag) : (int64_t)num.mag;
		if (v < col->imin || v > col->imax)
			break;
		if ((rc = room(ps, a)))
			return rc;
		switch (a->type->id) {
		case TARN_T_INT8:
		case TARN_T_UINT8: ((int8_t *)a->values)[a->length] = (int8_t)v; break;
		case TARN_T_INT16:
		case TARN_T_UINT16: ((int16_t *)a->values)[a->length] = (int16_t)v; break;
		case TARN_T_INT32:
		case TARN_T_UINT32: ((int32_t *)a->values)[a->length] = (int32_t)v; break;
		default: ((int64_t *)a->values)[a->length] = v; break;
		}
		mark_valid(a);
		return JS_OK;
	}
	case JK_UINT64:
		if (!num.is_int || !(num.u_fits || (num.neg && num.fits && num.mag == 0)))
			break;
		if ((rc = room(ps, a)))
			return rc;
		((uint64_t *)a->values)[a->length] = num.mag;
		mark_valid(a);
		return JS_OK;
	case JK_FLOAT64:
		if ((rc = room(ps, a)))
			return rc;
		((double *)a->values)[a->length] = json_num_double(ps, &num);
		mark_valid(a);
		return JS_OK;
	case JK_FLOAT32: {
		/* From the text: through double it would round twice. */
		float f;
		char nb[JSON_NUM_BUF];
		size_t nl;
		const char *nt = json_num_text(ps, &num, nb, &nl);
		if (num.special)
			f = (float)num.special_value;
		else if (!tarn_parse_float(nt, nl, &f))
			break;
		if ((rc = room(ps, a)))
			return rc;
		((float *)a->values)[a->length] = f;
		mark_valid(a);
		return JS_OK;
	}
	case JK_DECIMAL: {
		tarn_i128 v;
		if (num.special || !tarn_parse_decimal((const char *)text, num.len,
						       col->type->precision, col->type->scale, &v))
			break;
		tarn_rc trc = tarn_array_append_decimal(a, v);
		return trc ? sys_fail(ps, trc, "appending a decimal") : JS_OK;
	}
	case JK_STRING:
		return put_bytes(ps, a, text, num.len);
	default:
		break;
	}
	return type_error(ps, col, a, at, 0, token_text(text, num.len, false, vb, sizeof vb));
}

static const double exact_pow10[23] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
					1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

enum { FAST_NO = -1 };

/* The common numbers, few digits and no exponent, into int64 and float64
 * columns without the general tokenizer; FAST_NO sends everything else
 * (and every error) to put_number. A float is m / 10^k with m < 2^63 and
 * k <= 19 here, m exact below 2^53: one correctly rounded division
 * (Clinger's fast path). */
static inline int fast_number(struct jparse *ps, const struct jcol *col, struct tarn_array *a)
{
	const uint8_t *p = ps->p;
	size_t i = ps->pos, n = ps->n, start = i;
	bool neg = p[i] == '-';
	i += neg;
	size_t d0 = i;
	uint64_t m = 0;
	while (i < n && (unsigned)(p[i] - '0') < 10)
		m = m * 10 + (unsigned)(p[i++] - '0');
	size_t nd = i - d0;
	if (nd == 0 || nd > 18 || (p[d0] == '0' && nd > 1))
		return FAST_NO;
	int frac = 0;
	if (i < n && p[i] == '.') {
		if (col->kind != JK_FLOAT64)
			return FAST_NO;
		size_t f0 = ++i;
		while (i < n && (unsigned)(p[i] - '0') < 10)
			m = m * 10 + (unsigned)(p[i++] - '0');
		frac = (int)(i - f0);
		if (frac == 0 || nd + (size_t)frac > 18 || m > (1ull << 53))
			return FAST_NO;
	}
	if (i >= n ? !ps->final : (p[i] == 'e' || p[i] == 'E'))
		return FAST_NO;
	if (UNLIKELY((int64_t)(i - start) > ps->opt->max_value))
		return FAST_NO;
	int rc = room(ps, a);
	if (rc)
		return rc;
	if (col->kind == JK_FLOAT64) {
		double d = (double)m;
		if (frac)
			d /= exact_pow10[frac];
		((double *)a->values)[a->length] = neg ? -d : d;
	} else {
		int64_t v = neg ? -(int64_t)m : (int64_t)m;
		if (v < col->imin || v > col->imax || a->type->id != TARN_T_INT64)
			return FAST_NO;
		((int64_t *)a->values)[a->length] = v;
	}
	mark_valid(a);
	ps->pos = i;
	return JS_OK;
}

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 (standard or URL alphabet, padding optional) s[0..n) into
 * d; returns the decoded length or -1. */
static int64_t base64_decode(const uint8_t *s, size_t n, uint8_t *d)
{
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (int64_t)o;
}

/* A string value into a string column, unescaped in place. */
static inline int put_string(struct jparse *ps, struct tarn_array *a)
{
	size_t s = 0, l = 0, dl = 0;
	unsigned fl = 0;
	int rc = json_str_scan(ps, &s, &l, &fl);
	if (rc)
		return rc;
	if ((rc = room(ps, a)) || (rc = room_bytes(ps, a, l)))
		return rc;
	if (LIKELY(!fl)) {
		if (l)
			memcpy(a->values + a->values_len, ps->p + s, l);
		dl = l;
	} else if ((rc = json_str_decode(ps, s, l, fl, bytes_end(a), &dl))) {
		return rc;
	}
	a->values_len += (int64_t)dl;
	a->offsets[a->length + 1] = (int32_t)a->values_len;
	mark_valid(a);
	return JS_OK;
}

/* Scans the string at ps->pos and decodes it into ps->scratch (*dl bytes),
 * for values read through the text kernels rather than stored as strings. */
static int string_to_scratch(struct jparse *ps, const char *what, size_t *dl)
{
	size_t s = 0, l = 0;
	unsigned fl = 0;
	int rc = json_str_scan(ps, &s, &l, &fl);
	if (rc)
		return rc;
	ps->scratch.len = 0;
	if (tarn_buf_reserve(&ps->scratch, l + 1) != TARN_OK)
		return sys_fail(ps, TARN_ENOMEM, what);
	return json_str_decode(ps, s, l, fl, (uint8_t *)ps->scratch.data, dl);
}

/* A string value into a column of another type: dates, times, timestamps,
 * base64 binary; anything else is a type error. */
static int put_string_value(struct jparse *ps, struct jcol *col, struct tarn_array *a)
{
	int64_t at = json_at(ps);
	size_t dl = 0;
	/* Other types read the decoded text. */
	int rc = string_to_scratch(ps, "decoding a string", &dl);
	if (rc)
		return rc;
	const char *t = ps->scratch.data;
	tarn_rc trc = TARN_OK;
	switch (col->kind) {
	case JK_DATE: {
		int32_t day;
		if (!tarn_parse_date(t, dl, &day))
			goto mismatch;
		if ((rc = room(ps, a)))
			return rc;
		((int32_t *)a->values)[a->length] = day;
		mark_valid(a);
		return JS_OK;
	}
	case JK_TIME: {
		int64_t v;
		if (!tarn_parse_time(t, dl, (enum tarn_time_unit)col->type->unit, &v))
			goto mismatch;
		trc = tarn_array_append_int(a, v);
		break;
	}
	case JK_TIMESTAMP: {
		int64_t v;
		bool off = false;
		enum tarn_time_unit u = (enum tarn_time_unit)col->type->unit;
		if (!tarn_parse_timestamp(t, dl, u, &v, &off)) {
			int32_t day;
			int64_t per = tarn_time_unit_per_second(u);
			if (!tarn_parse_date(t, dl, &day) ||
			    __builtin_mul_overflow((int64_t)day, 86400 * per, &v))
				goto mismatch;
		}
		trc = tarn_array_append_int(a, v);
		break;
	}
	case JK_BINARY: {
		if ((rc = room(ps, a)) || (rc = room_bytes(ps, a, dl)))
			return rc;
		int64_t k = base64_decode((const uint8_t *)t, dl, bytes_end(a));
		if (k < 0)
			goto mismatch;
		a->values_len += k;
		a->offsets[a->length + 1] = (int32_t)a->values_len;
		mark_valid(a);
		return JS_OK;
	}
	default:
		goto mismatch;
	}
	return trc ? sys_fail(ps, trc, "appending a value") : JS_OK;
mismatch:;
	char vb[64];
	return type_error(ps, col, a, at, 0,
			  token_text((const uint8_t *)t, dl, true, vb, sizeof vb));
}

/* A nested value into a string column, as compact JSON text. */
static int put_json_text(struct jparse *ps, struct tarn_array *a, int depth)
{
	ps->scratch.len = 0;
	int rc = json_value_copy(ps, &ps->scratch, depth);
	if (rc)
		return rc;
	return put_bytes(ps, a, ps->scratch.data, ps->scratch.len);
}

static int expect_after(struct jparse *ps, uint8_t close, const char *what)
{
	char d[16];
	if (ps->pos >= ps->n)
		return json_eob(ps, close == '}' ? "inside an object" : "inside an array");
	return json_fail_at(ps, TARN_EDATA, json_at(ps), "expected ',' or '%c' after %s, found %s",
			    close, what, json_describe_char(ps->p[ps->pos], d, sizeof d));
}

static int too_deep(struct jparse *ps)
{
	return json_fail_at(ps, TARN_ELIMIT, json_at(ps), "nesting deeper than max-depth (%d)",
			    ps->opt->max_depth);
}

static inline bool bytes_eq(const uint8_t *a, const char *b, size_t n)
{
	for (; n >= 8; a += 8, b += 8, n -= 8) {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	if (n >= 4) {
		uint32_t x, y, x2, y2;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		memcpy(&x2, a + n - 4, 4);
		memcpy(&y2, b + n - 4, 4);
		return x == y && x2 == y2;
	}
	for (; n; a++, b++, n--)
		if (*a != (uint8_t)*b)
			return false;
	return true;
}

/* Finds the member for the key at pos ('"'), leaving pos after the key's
 * closing quote. *idx = -1 when the struct has no such member; the key's
 * text is then in ps->scratch. */
static inline int find_member(struct jparse *ps, struct jcol *s, int *idx)
{
	int c = s->cursor;
	if (c < s->n_members) {
		const struct jcol *m = &s->members[c];
		size_t at = ps->pos + 1, l = m->name_len;
		if (m->fast_key && at + l < ps->n && ps->p[at + l] == '"' &&
		    bytes_eq(ps->p + at, m->name, l)) {
			ps->pos = at + l + 1;
			s->cursor = c + 1 < s->n_members ? c + 1 : 0;
			*idx = c;
			return JS_OK;
		}
	}
	size_t ks = 0, kl = 0, dl = 0;
	unsigned fl = 0;
	int rc = json_str_scan(ps, &ks, &kl, &fl);
	if (rc)
		return rc;
	ps->scratch.len = 0;
	if (tarn_buf_reserve(&ps->scratch, kl + 1) != TARN_OK)
		return sys_fail(ps, TARN_ENOMEM, "decoding a key");
	if ((rc = json_str_decode(ps, ks, kl, fl, (uint8_t *)ps->scratch.data, &dl)))
		return rc;
	ps->scratch.len = dl;
	const uint8_t *key = (const uint8_t *)ps->scratch.data;
	uint32_t h = json_hash(key, dl), m = s->index_cap - 1;
	for (uint32_t k = h & m; s->index[k]; k = (k + 1) & m) {
		const struct jcol *mm = &s->members[s->index[k] - 1];
		if (mm->hash == h && mm->name_len == dl && memcmp(mm->name, key, dl) == 0) {
			int i = s->index[k] - 1;
			s->cursor = i + 1 < s->n_members ? i + 1 : 0;
			*idx = i;
			return JS_OK;
		}
	}
	*idx = -1;
	return JS_OK;
}

static int unknown_key(struct jparse *ps, int64_t at, int depth)
{
	if (ps->opt->unknown_ignore)
		return json_value_copy(ps, NULL, depth);
	if (ps->opt->bad == BAD_NULL_FILL) {
		ps->repaired = true;
		return json_value_copy(ps, NULL, depth);
	}
	char path[256], key[64];
	json_path_text(ps, path, sizeof path);
	token_text((const uint8_t *)ps->scratch.data, ps->scratch.len, false, key, sizeof key);
	if (ps->sample_all)
		json_fail_at(ps, TARN_EDATA, at, "key \"%s%s%s\" is not in the schema", path,
			     path[0] ? "." : "", key);
	else
		json_fail_at(ps, TARN_EDATA, at,
			     "key \"%s%s%s\" is not in the schema (it did not appear in the first "
			     "%lld records, which the schema was inferred from); use infer-rows=0 "
			     "to infer from every record, or unknown-keys=ignore to drop such keys",
			     path, path[0] ? "." : "", key, (long long)ps->sample_records);
	ps->err.record = ps->records;
	return JS_ERR;
}

/* The members of the object at pos into kids (the struct's children, or the
 * batch columns at the top level); the caller ends the struct row. */
static int parse_members(struct jparse *ps, struct jcol *s, struct tarn_array **kids, int depth)
{
	char d[16];
	int rc;
	if (depth >= ps->opt->max_depth)
		return too_deep(ps);
	ps->pos++;
	uint32_t gen = ++s->gen;
	if (UNLIKELY(gen == 0)) {
		memset(s->seen, 0, (size_t)s->n_members * sizeof *s->seen);
		gen = s->gen = 1;
	}
	int nset = 0;
	json_ws(ps);
	if (ps->pos >= ps->n)
		return json_eob(ps, "inside an object");
	if (ps->p[ps->pos] == '}') {
		ps->pos++;
		goto fill;
	}
	for (;;) {
		if (UNLIKELY(ps->p[ps->pos] != '"')) {
			if (ps->p[ps->pos] == '}')
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "trailing comma before '}'");
			return json_fail_at(ps, TARN_EDATA, json_at(ps),
					    "expected '\"' to start an object key, found %s",
					    json_describe_char(ps->p[ps->pos], d, sizeof d));
		}
		int64_t key_at = json_at(ps);
		int idx;
		if ((rc = find_member(ps, s, &idx)))
			return rc;
		if (LIKELY(ps->pos < ps->n && ps->p[ps->pos] == ':'))
			ps->pos++;
		else if ((rc = json_expect_colon(ps)))
			return rc;
		if (idx < 0) {
			if ((rc = unknown_key(ps, key_at, depth + 1)))
				return rc;
		} else {
			struct tarn_array *k = kids[idx];
			if (UNLIKELY(s->seen[idx] == gen))
				json_array_truncate(k, k->length - 1); /* last duplicate wins */
			else
				nset++;
			s->seen[idx] = gen;
			struct jcol *mc = &s->members[idx];
			uint8_t c = ps->pos < ps->n ? ps->p[ps->pos] : 0;
			rc = FAST_NO;
			if (c == '"' && mc->kind == JK_STRING)
				rc = put_string(ps, k);
			else if ((mc->kind == JK_INT || mc->kind == JK_FLOAT64) &&
				 (c == '-' || (c >= '0' && c <= '9')))
				rc = fast_number(ps, mc, k);
			if (rc == FAST_NO) {
				struct jpath *pe = &ps->path[ps->path_n++];
				pe->name = mc->name;
				pe->len = mc->name_len;
				rc = parse_value(ps, mc, k, depth + 1);
				ps->path_n--;
			}
			if (rc)
				return rc;
		}
		if (LIKELY(ps->pos < ps->n && ps->p[ps->pos] == ',')) {
			ps->pos++;
		} else {
			json_ws(ps);
			if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
				ps->pos++;
			} else if (ps->pos < ps->n && ps->p[ps->pos] == '}') {
				ps->pos++;
				break;
			} else {
				return expect_after(ps, '}', "object member");
			}
		}
		json_ws(ps);
		if (ps->pos >= ps->n)
			return json_eob(ps, "inside an object");
	}
fill:
	if (nset != s->n_members)
		for (int i = 0; i < s->n_members; i++)
			if (s->seen[i] != gen && (rc = put_null(ps, kids[i])))
				return rc;
	return JS_OK;
}

static int parse_list(struct jparse *ps, struct jcol *col, struct tarn_array *a, int depth)
{
	int rc;
	if (depth >= ps->opt->max_depth)
		return too_deep(ps);
	ps->pos++;
	struct tarn_array *items = a->children[0];
	json_ws(ps);
	if (ps->pos >= ps->n)
		return json_eob(ps, "inside an array");
	if (ps->p[ps->pos] != ']') {
		struct jpath *pe = &ps->path[ps->path_n++];
		pe->name = NULL;
		pe->index = 0;
		for (;;) {
			if ((rc = parse_value(ps, col->elem, items, depth + 1)))
				return rc;
			json_ws(ps);
			if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
				ps->pos++;
				pe->index++;
				json_ws(ps);
				if (ps->pos < ps->n && ps->p[ps->pos] == ']')
					return json_fail_at(ps, TARN_EDATA, json_at(ps),
							    "trailing comma before ']'");
				continue;
			}
			if (ps->pos < ps->n && ps->p[ps->pos] == ']')
				break;
			return expect_after(ps, ']', "array element");
		}
		ps->path_n--;
	}
	ps->pos++;
	tarn_rc trc = tarn_array_list_end(a, true);
	return trc ? sys_fail(ps, trc, "ending a list") : JS_OK;
}

/* ---- maps ------------------------------------------------------------------------ */

/* Maps come in the two spellings text.c writes: an object (keys are JSON
 * strings; a key type other than string reads them in its text spelling:
 * numbers, dates, ...) or a list of {"key":..,"value":..} objects (keys of
 * any type, as JSON values). Keys must not be null. */

/* Where a map value starts, to null it as a whole. */
struct map_start {
	int64_t at, line, line_start;
	int path_n;
};

static inline struct map_start map_start(const struct jparse *ps)
{
	return (struct map_start){ json_at(ps), ps->line, ps->line_start, ps->path_n };
}

/* A map that is valid JSON but not a map of the column's type. null-fill
 * makes the whole map null (dropping the entries appended so far, and
 * scanning it again from its start); otherwise the record fails with msg at
 * `at`. */
static int bad_map(struct jparse *ps, struct jcol *col, struct tarn_array *a,
		   const struct map_start *m, int depth, int64_t at, const char *msg)
{
	if (ps->opt->bad == BAD_NULL_FILL) {
		json_array_truncate(a->children[0], a->offsets[a->length]);
		ps->path_n = m->path_n;
		ps->line = m->line;
		ps->line_start = m->line_start;
		return type_error(ps, col, a, m->at, depth, "a map");
	}
	char path[256];
	json_path_text(ps, path, sizeof path);
	json_fail_at(ps, TARN_EDATA, at, "%s%s%s: %s", path[0] ? "key \"" : "value", path,
		     path[0] ? "\"" : "", msg);
	ps->err.record = ps->records;
	return JS_ERR;
}

/* An object key of a number or bool key type: the key's text in the text
 * kernels' spelling ({"7":..} for int keys, as JSON writers spell maps with
 * integer keys). */
static int put_key_text(struct jparse *ps, struct jcol *kc, struct tarn_array *keys)
{
	int64_t at = json_at(ps);
	size_t dl = 0;
	int rc = string_to_scratch(ps, "decoding a key", &dl);
	if (rc)
		return rc;
	const char *t = ps->scratch.data;
	tarn_rc trc = TARN_OK;
	int64_t i;
	uint64_t u;
	double d;
	float f;
	tarn_i128 dec;
	switch (kc->kind) {
	case JK_INT:
		if (!tarn_parse_int64(t, dl, &i) || i < kc->imin || i > kc->imax)
			goto mismatch;
		trc = tarn_array_append_int(keys, i);
		break;
	case JK_UINT64:
		if (!tarn_parse_uint64(t, dl, &u))
			goto mismatch;
		trc = tarn_array_append_uint(keys, u);
		break;
	case JK_FLOAT64:
		if (!tarn_parse_double(t, dl, &d))
			goto mismatch;
		trc = tarn_array_append_double(keys, d);
		break;
	case JK_FLOAT32:
		if (!tarn_parse_float(t, dl, &f))
			goto mismatch;
		trc = tarn_array_append_double(keys, f);
		break;
	case JK_DECIMAL:
		if (!tarn_parse_decimal(t, dl, kc->type->precision, kc->type->scale, &dec))
			goto mismatch;
		trc = tarn_array_append_decimal(keys, dec);
		break;
	case JK_BOOL:
		if (!(dl == 4 && !memcmp(t, "true", 4)) && !(dl == 5 && !memcmp(t, "false", 5)))
			goto mismatch;
		trc = tarn_array_append_bool(keys, dl == 4);
		break;
	default:
		goto mismatch;
	}
	return trc ? sys_fail(ps, trc, "appending a map key") : JS_OK;
mismatch:;
	char vb[64];
	return type_error(ps, kc, keys, at, 0,
			  token_text((const uint8_t *)t, dl, true, vb, sizeof vb));
}

/* An object key (the JSON string at pos) into keys; *pe gets its text for
 * messages. String keys are unescaped straight into the key column; other
 * key types read the key's text in their spelling. */
static int put_map_key(struct jparse *ps, struct jcol *col, struct tarn_array *keys,
		       struct jpath *pe)
{
	int rc;
	if (col->key->kind != JK_STRING) {
		size_t at = ps->pos;
		enum jkind k = col->key->kind;
		if (k == JK_INT || k == JK_UINT64 || k == JK_FLOAT32 || k == JK_FLOAT64 ||
		    k == JK_DECIMAL || k == JK_BOOL)
			rc = put_key_text(ps, col->key, keys);
		else
			rc = put_string_value(ps, col->key, keys);
		if (rc)
			return rc;
		pe->name = (const char *)ps->p + at + 1;
		pe->len = ps->pos - at - 2;
		return JS_OK;
	}
	size_t ks = 0, kl = 0, dl = 0;
	unsigned fl = 0;
	if ((rc = json_str_scan(ps, &ks, &kl, &fl)))
		return rc;
	if ((rc = room(ps, keys)) || (rc = room_bytes(ps, keys, kl)))
		return rc;
	if ((rc = json_str_decode(ps, ks, kl, fl, bytes_end(keys), &dl)))
		return rc;
	pe->name = dl ? (const char *)bytes_end(keys) : "";
	pe->len = dl;
	keys->values_len += (int64_t)dl;
	keys->offsets[keys->length + 1] = (int32_t)keys->values_len;
	mark_valid(keys);
	return JS_OK;
}

static int parse_map(struct jparse *ps, struct jcol *col, struct tarn_array *a, int depth)
{
	char d[16];
	int rc;
	if (depth >= ps->opt->max_depth)
		return too_deep(ps);
	struct map_start m = map_start(ps);
	ps->pos++;
	struct tarn_array *entries = a->children[0];
	struct tarn_array *keys = entries->children[0], *vals = entries->children[1];
	json_ws(ps);
	if (ps->pos >= ps->n)
		return json_eob(ps, "inside an object");
	if (ps->p[ps->pos] != '}') {
		for (;;) {
			json_ws(ps);
			if (ps->pos >= ps->n)
				return json_eob(ps, "inside an object");
			if (ps->p[ps->pos] != '"') {
				if (ps->p[ps->pos] == '}')
					return json_fail_at(ps, TARN_EDATA, json_at(ps),
							    "trailing comma before '}'");
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "expected '\"' to start an object key, found %s",
						    json_describe_char(ps->p[ps->pos], d, sizeof d));
			}
			int64_t key_at = json_at(ps);
			struct jpath key = { NULL, 0, 0 };
			if ((rc = put_map_key(ps, col, keys, &key)))
				return rc;
			if (UNLIKELY(tarn_array_is_null(keys, keys->length - 1)))
				return bad_map(ps, col, a, &m, depth, key_at,
					       "a map key cannot be null");
			ps->path[ps->path_n++] = key;
			if ((rc = json_expect_colon(ps)))
				return rc;
			rc = parse_value(ps, col->elem, vals, depth + 1);
			ps->path_n--;
			if (rc)
				return rc;
			tarn_rc trc = tarn_array_struct_end(entries, true);
			if (trc)
				return sys_fail(ps, trc, "appending a map entry");
			json_ws(ps);
			if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
				ps->pos++;
				continue;
			}
			if (ps->pos < ps->n && ps->p[ps->pos] == '}')
				break;
			return expect_after(ps, '}', "object member");
		}
	}
	ps->pos++;
	tarn_rc trc = tarn_array_list_end(a, true);
	return trc ? sys_fail(ps, trc, "ending a map") : JS_OK;
}

enum { ENTRY_BAD = 3 }; /* valid JSON, but not a map entry: see *why */

/* One {"key":..,"value":..} object at pos into entries. A missing "value"
 * is null; a repeated member's last value wins, as in structs. */
static int parse_entry(struct jparse *ps, struct jcol *col, struct tarn_array *entries,
		       int depth, int64_t *bad_at, char *why, size_t why_cap)
{
	char d[16];
	int rc;
	if (depth >= ps->opt->max_depth)
		return too_deep(ps);
	struct tarn_array *keys = entries->children[0], *vals = entries->children[1];
	int64_t rows = entries->length, obj_at = json_at(ps);
	ps->pos++;
	json_ws(ps);
	if (ps->pos >= ps->n)
		return json_eob(ps, "inside an object");
	if (ps->p[ps->pos] != '}') {
		for (;;) {
			json_ws(ps);
			if (ps->pos >= ps->n)
				return json_eob(ps, "inside an object");
			if (ps->p[ps->pos] != '"') {
				if (ps->p[ps->pos] == '}')
					return json_fail_at(ps, TARN_EDATA, json_at(ps),
							    "trailing comma before '}'");
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "expected '\"' to start an object key, found %s",
						    json_describe_char(ps->p[ps->pos], d, sizeof d));
			}
			int64_t key_at = json_at(ps);
			size_t ks = 0, kl = 0, dl = 0;
			unsigned fl = 0;
			if ((rc = json_str_scan(ps, &ks, &kl, &fl)))
				return rc;
			ps->scratch.len = 0;
			if (tarn_buf_reserve(&ps->scratch, kl + 1) != TARN_OK)
				return sys_fail(ps, TARN_ENOMEM, "decoding a key");
			if ((rc = json_str_decode(ps, ks, kl, fl, (uint8_t *)ps->scratch.data, &dl)))
				return rc;
			const char *k = ps->scratch.data;
			bool is_key = dl == 3 && memcmp(k, "key", 3) == 0;
			if (!is_key && !(dl == 5 && memcmp(k, "value", 5) == 0)) {
				char kb[64];
				snprintf(why, why_cap,
					 "member %s in a map entry (an entry has \"key\" and \"value\")",
					 token_text((const uint8_t *)k, dl, true, kb, sizeof kb));
				*bad_at = key_at;
				return ENTRY_BAD;
			}
			if ((rc = json_expect_colon(ps)))
				return rc;
			struct tarn_array *dst = is_key ? keys : vals;
			if (dst->length > rows)
				json_array_truncate(dst, rows); /* last duplicate wins */
			struct jpath *pe = &ps->path[ps->path_n++];
			pe->name = is_key ? "key" : "value";
			pe->len = is_key ? 3 : 5;
			json_ws(ps);
			int64_t val_at = json_at(ps);
			rc = parse_value(ps, is_key ? col->key : col->elem, dst, depth + 1);
			ps->path_n--;
			if (rc)
				return rc;
			if (is_key && tarn_array_is_null(keys, rows)) {
				snprintf(why, why_cap, "a map key cannot be null");
				*bad_at = val_at;
				return ENTRY_BAD;
			}
			json_ws(ps);
			if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
				ps->pos++;
				continue;
			}
			if (ps->pos < ps->n && ps->p[ps->pos] == '}')
				break;
			return expect_after(ps, '}', "object member");
		}
	}
	ps->pos++;
	if (keys->length == rows) {
		snprintf(why, why_cap, "a map entry without \"key\"");
		*bad_at = obj_at;
		return ENTRY_BAD;
	}
	if (vals->length == rows && (rc = put_null(ps, vals)))
		return rc;
	tarn_rc trc = tarn_array_struct_end(entries, true);
	return trc ? sys_fail(ps, trc, "appending a map entry") : JS_OK;
}

static int parse_map_entries(struct jparse *ps, struct jcol *col, struct tarn_array *a, int depth)
{
	int rc;
	if (depth >= ps->opt->max_depth)
		return too_deep(ps);
	struct map_start m = map_start(ps);
	ps->pos++;
	struct tarn_array *entries = a->children[0];
	json_ws(ps);
	if (ps->pos >= ps->n)
		return json_eob(ps, "inside an array");
	if (ps->p[ps->pos] != ']') {
		struct jpath *pe = &ps->path[ps->path_n++];
		pe->name = NULL;
		pe->index = 0;
		for (;;) {
			json_ws(ps);
			if (ps->pos >= ps->n)
				return json_eob(ps, "inside an array");
			int64_t at = json_at(ps);
			char why[160];
			int64_t bad_at = at;
			if (ps->p[ps->pos] == '{') {
				rc = parse_entry(ps, col, entries, depth + 1, &bad_at, why, sizeof why);
			} else {
				/* Check the element first, so bad JSON is reported as such. */
				uint8_t c = ps->p[ps->pos];
				if ((rc = json_value_copy(ps, NULL, depth + 1)))
					return rc;
				const char *what = c == '[' ? "an array"
						   : c == '"' ? "a string"
						   : c == 'n' ? "null"
						   : c == 't' || c == 'f' ? "a boolean"
									  : "a number";
				snprintf(why, sizeof why,
					 "%s where a map entry {\"key\":..,\"value\":..} was expected",
					 what);
				rc = ENTRY_BAD;
			}
			if (rc == ENTRY_BAD)
				return bad_map(ps, col, a, &m, depth, bad_at, why);
			if (rc)
				return rc;
			json_ws(ps);
			if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
				ps->pos++;
				pe->index++;
				json_ws(ps);
				if (ps->pos < ps->n && ps->p[ps->pos] == ']')
					return json_fail_at(ps, TARN_EDATA, json_at(ps),
							    "trailing comma before ']'");
				continue;
			}
			if (ps->pos < ps->n && ps->p[ps->pos] == ']')
				break;
			return expect_after(ps, ']', "array element");
		}
		ps->path_n--;
	}
	ps->pos++;
	tarn_rc trc = tarn_array_list_end(a, true);
	return trc ? sys_fail(ps, trc, "ending a map") : JS_OK;
}

static int parse_value(struct jparse *ps, struct jcol *col, struct tarn_array *a, int depth)
{
	json_ws(ps);
	if (UNLIKELY(ps->pos >= ps->n))
		return json_eob(ps, "where a value was expected");
	uint8_t c = ps->p[ps->pos];
	int64_t at = json_at(ps);
	int rc;
	switch (c) {
	case '"':
		if (col->kind == JK_STRING)
			return put_string(ps, a);
		return put_string_value(ps, col, a);
	case '{':
		if (col->kind == JK_STRUCT) {
			if ((rc = parse_members(ps, col, a->children, depth)))
				return rc;
			tarn_rc trc = tarn_array_struct_end(a, true);
			return trc ? sys_fail(ps, trc, "ending a struct") : JS_OK;
		}
		if (col->kind == JK_MAP)
			return parse_map(ps, col, a, depth);
		if (col->kind == JK_STRING)
			return put_json_text(ps, a, depth);
		return type_error(ps, col, a, at, depth, "an object");
	case '[':
		if (col->kind == JK_LIST)
			return parse_list(ps, col, a, depth);
		if (col->kind == JK_MAP)
			return parse_map_entries(ps, col, a, depth);
		if (col->kind == JK_STRING)
			return put_json_text(ps, a, depth);
		return type_error(ps, col, a, at, depth, "an array");
	case 'n':
		if ((rc = json_literal(ps, "null", 4)))
			return rc;
		return put_null(ps, a);
	case 't':
	case 'f': {
		bool v = c == 't';
		if ((rc = json_literal(ps, v ? "true" : "false", v ? 4 : 5)))
			return rc;
		if (col->kind == JK_BOOL) {
			if ((rc = room(ps, a)))
				return rc;
			tarn_bit_set(a->values, a->length, v);
			mark_valid(a);
			return JS_OK;
		}
		if (col->kind == JK_STRING)
			return put_bytes(ps, a, v ? "true" : "false", v ? 4 : 5);
		return type_error(ps, col, a, at, depth, v ? "true" : "false");
	}
	default:
		break;
	}
	if (c == '-' || (c >= '0' && c <= '9') || (ps->opt->allow_nan && (c == 'N' || c == 'I')))
		return put_number(ps, col, a);
	char d[16];
	return json_fail_at(ps, TARN_EDATA, at, "unexpected %s where a value was expected",
			    json_describe_char(c, d, sizeof d));
}

/* ---- records --------------------------------------------------------------------- */

static int parse_record(struct jparse *ps)
{
	if (ps->inf)
		return json_infer_record(ps);
	if (ps->value_mode)
		return parse_value(ps, ps->plan, ps->cols[0], 0);
	uint8_t c = ps->p[ps->pos];
	if (LIKELY(c == '{'))
		return parse_members(ps, ps->plan, ps->cols, 0);
	int64_t at = json_at(ps);
	int rc;
	if (c == 'n') {
		/* A null record is a row of nulls. */
		if ((rc = json_literal(ps, "null", 4)))
			return rc;
		for (int i = 0; i < ps->plan->n_members; i++)
			if ((rc = put_null(ps, ps->cols[i])))
				return rc;
		return JS_OK;
	}
	/* Check the value first, so a syntax error is reported as such. */
	if ((rc = json_value_copy(ps, NULL, 0)))
		return rc;
	if (ps->opt->bad == BAD_NULL_FILL) {
		ps->repaired = true;
		for (int i = 0; i < ps->plan->n_members; i++)
			if ((rc = put_null(ps, ps->cols[i])))
				return rc;
		return JS_OK;
	}
	const char *what = c == '[' ? "an array" : c == '"' ? "a string" : c == 't' || c == 'f' ? "a boolean" : "a number";
	json_fail_at(ps, TARN_EDATA, at,
		     "the record is %s, but the records the schema was inferred from were objects",
		     what);
	ps->err.record = ps->records;
	return JS_ERR;
}

static void rollback(struct jparse *ps)
{
	if (ps->inf)
		return;
	int n = ps->value_mode ? 1 : ps->plan->n_members;
	for (int i = 0; i < n; i++)
		json_array_truncate(ps->cols[i], ps->rows);
}

/* Counts the newlines in p[from, to) into the line state. */
static void count_lines(struct jparse *ps, size_t from, size_t to)
{
	for (const uint8_t *q = ps->p + from, *e = ps->p + to;
	     (q = memchr(q, '\n', (size_t)(e - q))); q++) {
		ps->line++;
		ps->line_start = ps->base + (q - ps->p) + 1;
	}
}

/*
 * on-bad-row=skip (or a record null-fill cannot repair): drops the record
 * that failed at ps->err. A record whose JSON is valid but does not fit the
 * schema is skipped as a whole; after a syntax error in a sequence of
 * values the input resumes after the next newline (the JSON Lines unit).
 * A syntax error inside a top-level array cannot be resynchronised and
 * stays an error. rec_pos/line/line_start: the state at the record start.
 */
static int skip_bad_record(struct jparse *ps, size_t rec_pos, int64_t line, int64_t line_start)
{
	rollback(ps);
	ps->repaired = false;
	ps->pos = rec_pos;
	ps->line = line;
	ps->line_start = line_start;
	int64_t err_at = ps->err.at;
	if (ps->err.record >= 0) {
		int rc = json_value_copy(ps, NULL, 0);
		if (rc != JS_ERR)
			return rc;
		if (ps->err.rc != TARN_EDATA)
			return JS_ERR;
		err_at = ps->err.at;
		ps->pos = rec_pos;
		ps->line = line;
		ps->line_start = line_start;
	}
	if (ps->state != ST_SEQ)
		return JS_ERR;
	size_t from = err_at - ps->base < (int64_t)ps->n ? (size_t)(err_at - ps->base) : ps->n;
	if (from < rec_pos)
		from = rec_pos;
	const uint8_t *nl = memchr(ps->p + from, '\n', ps->n - from);
	if (!nl && !ps->final)
		return JS_MORE;
	size_t to = nl ? (size_t)(nl - ps->p) + 1 : ps->n;
	count_lines(ps, rec_pos, to);
	ps->pos = to;
	return JS_OK;
}

/* Skips whitespace but not past global offset lim (a chunk boundary). */
static void ws_until(struct jparse *ps, int64_t lim)
{
	if (lim - ps->base < (int64_t)ps->n) {
		size_t n = ps->n;
		ps->n = lim <= ps->base ? 0 : (size_t)(lim - ps->base);
		if (ps->n < ps->pos)
			ps->n = ps->pos;
		json_ws(ps);
		ps->n = n;
	} else {
		json_ws(ps);
	}
}

int json_parse_records(struct jparse *ps, int64_t stop_at, int64_t max_rows)
{
	char d[16];
	ps->at_end = false;
	ps->after_array_data = false;
	for (;;) {
		size_t save_pos = ps->pos;
		int64_t save_line = ps->line, save_ls = ps->line_start;
		int64_t save_rows = ps->rows, save_records = ps->records, save_bad = ps->bad_rows;
		enum jstate save_state = ps->state;
		int rc = JS_OK;
		switch (ps->state) {
		case ST_SEQ:
		case ST_ARR_ELEM: {
			if (ps->rows >= max_rows)
				return JS_OK;
			ws_until(ps, stop_at);
			if (json_at(ps) >= stop_at)
				return JS_OK;
			if (ps->pos >= ps->n) {
				if (!ps->final)
					return JS_MORE;
				if (ps->state == ST_SEQ) {
					ps->at_end = true;
					return JS_OK;
				}
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "unexpected end of input inside the top-level "
						    "array (missing ']')");
			}
			if (ps->state == ST_ARR_ELEM && ps->p[ps->pos] == ']')
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "trailing comma before ']'");
			int64_t rec_at = json_at(ps);
			size_t rec_pos = ps->pos;
			int64_t rec_line = ps->line, rec_ls = ps->line_start;
			ps->path_n = 0;
			ps->repaired = false;
			rc = parse_record(ps);
			if (rc == JS_OK && json_at(ps) - rec_at > ps->opt->max_record)
				return json_fail_at(ps, TARN_ELIMIT, rec_at,
						    "record longer than max-record-size (%lld bytes)",
						    (long long)ps->opt->max_record);
			if (rc == JS_ERR && ps->opt->bad != BAD_ERROR && ps->err.rc == TARN_EDATA) {
				rc = skip_bad_record(ps, rec_pos, rec_line, rec_ls);
				if (rc == JS_OK) {
					ps->records++;
					ps->bad_rows++;
					if (ps->state == ST_ARR_ELEM)
						ps->state = ST_ARR_AFTER;
					break;
				}
			}
			if (rc == JS_OK) {
				ps->records++;
				ps->rows++;
				if (ps->repaired)
					ps->bad_rows++;
				if (ps->state == ST_ARR_ELEM)
					ps->state = ST_ARR_AFTER;
				else if (ps->pos < ps->n && ps->p[ps->pos] > ' ') {
					/* Values of a sequence need whitespace between them
					 * unless one ends in a bracket or quote. */
					uint8_t prev = ps->p[ps->pos - 1];
					if (prev != '}' && prev != ']' && prev != '"') {
						json_fail_at(ps, TARN_EDATA, json_at(ps),
							     "expected whitespace or a newline after "
							     "the record, found %s",
							     json_describe_char(ps->p[ps->pos], d,
										sizeof d));
						if (ps->opt->bad == BAD_ERROR)
							return JS_ERR;
						/* The record stands; the rest of the line goes. */
						const uint8_t *nl = memchr(ps->p + ps->pos, '\n',
									   ps->n - ps->pos);
						if (!nl && !ps->final) {
							rc = JS_MORE;
							break;
						}
						size_t to = nl ? (size_t)(nl - ps->p) + 1 : ps->n;
						count_lines(ps, ps->pos, to);
						ps->pos = to;
						ps->bad_rows++;
					}
				}
			}
			break;
		}
		case ST_ARR_OPEN:
			json_ws(ps);
			if (ps->pos >= ps->n) {
				rc = json_eob(ps, "where '[' was expected");
				break;
			}
			if (ps->p[ps->pos] != '[')
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "expected '[' to start the top-level array, found %s",
						    json_describe_char(ps->p[ps->pos], d, sizeof d));
			ps->pos++;
			ps->state = ST_ARR_FIRST;
			break;
		case ST_ARR_FIRST:
			json_ws(ps);
			if (ps->pos >= ps->n) {
				rc = json_eob(ps, "inside the top-level array (missing ']')");
				break;
			}
			if (ps->p[ps->pos] == ']') {
				ps->pos++;
				ps->state = ST_ARR_DONE;
			} else {
				ps->state = ST_ARR_ELEM;
			}
			break;
		case ST_ARR_AFTER:
			json_ws(ps);
			if (ps->pos >= ps->n) {
				rc = json_eob(ps, "inside the top-level array (missing ']')");
				break;
			}
			if (ps->p[ps->pos] == ',') {
				ps->pos++;
				ps->state = ST_ARR_ELEM;
			} else if (ps->p[ps->pos] == ']') {
				ps->pos++;
				ps->state = ST_ARR_DONE;
			} else {
				return json_fail_at(ps, TARN_EDATA, json_at(ps),
						    "expected ',' or ']' after array element, found %s",
						    json_describe_char(ps->p[ps->pos], d, sizeof d));
			}
			break;
		case ST_ARR_DONE:
			json_ws(ps);
			if (ps->pos >= ps->n) {
				if (!ps->final)
					return JS_MORE;
				ps->at_end = true;
				return JS_OK;
			}
			ps->after_array_data = true;
			return json_fail_at(ps, TARN_EDATA, json_at(ps),
					    "unexpected %s after the end of the top-level array",
					    json_describe_char(ps->p[ps->pos], d, sizeof d));
		}
		if (rc == JS_MORE) {
			ps->rows = save_rows;
			ps->records = save_records;
			ps->bad_rows = save_bad;
			ps->repaired = false;
			rollback(ps);
			ps->pos = save_pos;
			ps->line = save_line;
			ps->line_start = save_ls;
			ps->state = save_state;
			return JS_MORE;
		}
		if (rc)
			return rc;
	}
}

/* ---- one value for other formats (json_value.h) ------------------------------------ */

struct json_value_parser {
	struct jopts opt;
	struct jparse ps;
	struct jcol *plan;
};

void json_limits_default(struct json_limits *lim)
{
	lim->max_depth = JSON_DEFAULT_MAX_DEPTH;
	lim->max_value = JSON_DEFAULT_MAX_VALUE;
	lim->allow_nan = false;
}

void json_value_parser_free(struct json_value_parser *vp)
{
	if (!vp)
		return;
	json_parse_free(&vp->ps);
	json_plan_free(vp->plan);
	tarn_free(vp);
}

tarn_rc json_value_parser_new(const struct tarn_type *t, const struct json_limits *lim,
			      struct json_value_parser **out, struct tarn_err *err)
{
	*out = NULL;
	struct json_limits def;
	if (!lim) {
		json_limits_default(&def);
		lim = &def;
	}
	if (lim->max_depth < 1 || lim->max_depth > JSON_MAX_DEPTH_CAP || lim->max_value < 1)
		return tarn_err_set(err, TARN_EUSAGE, "JSON value limits out of range");
	struct json_value_parser *vp = tarn_calloc(1, sizeof *vp);
	if (!vp)
		return tarn_err_nomem(err, "JSON value parser");
	/* The reader's options with every misfit an error: the caller decides
	 * what a bad value costs (the CSV reader's on-bad-row). */
	vp->opt.bad = BAD_ERROR;
	vp->opt.max_depth = lim->max_depth;
	vp->opt.max_value = lim->max_value;
	vp->opt.max_record = INT64_MAX;
	vp->opt.allow_nan = lim->allow_nan;
	tarn_rc rc = json_parse_init(&vp->ps, &vp->opt, err);
	if (rc == TARN_OK) {
		vp->plan = tarn_calloc(1, sizeof *vp->plan);
		if (!vp->plan)
			rc = tarn_err_nomem(err, "JSON value parser");
	}
	if (rc == TARN_OK) {
		set_name(vp->plan, "");
		rc = plan_type(vp->plan, t, err);
	}
	if (rc) {
		json_value_parser_free(vp);
		return rc;
	}
	vp->ps.sample_all = true;
	vp->ps.value_only = true;
	*out = vp;
	return TARN_OK;
}

tarn_rc json_value_parse(struct json_value_parser *vp, const uint8_t *p, size_t n,
			 struct tarn_array *dst, size_t *err_at, struct tarn_err *err)
{
	struct jparse *ps = &vp->ps;
	ps->p = p;
	ps->n = n;
	ps->pos = 0;
	ps->base = 0;
	ps->final = true;
	ps->line = ps->line_start = 0;
	ps->path_n = 0;
	ps->records = 0;
	ps->repaired = false;
	int64_t rows = dst->length;
	int rc = parse_value(ps, vp->plan, dst, 0);
	if (rc == JS_OK) {
		json_ws(ps);
		if (ps->pos < ps->n) {
			char d[16];
			rc = json_fail_at(ps, TARN_EDATA, json_at(ps), "unexpected %s after the value",
					  json_describe_char(ps->p[ps->pos], d, sizeof d));
		}
	} else if (rc != JS_ERR) {
		/* JS_MORE cannot happen on a final window. */
		rc = json_fail_at(ps, TARN_EINTERNAL, json_at(ps), "JSON value parser: unexpected "
								   "end of input state");
	}
	if (rc == JS_OK)
		return TARN_OK;
	json_array_truncate(dst, rows);
	if (err_at)
		*err_at = ps->err.at < 0 ? 0 : ps->err.at > (int64_t)n ? n : (size_t)ps->err.at;
	return tarn_err_set(err, ps->err.rc ? ps->err.rc : TARN_EINTERNAL, "%s", ps->err.msg);
}

tarn_rc json_value_append(const uint8_t *p, size_t n, struct tarn_array *dst,
			  const struct json_limits *lim, struct tarn_err *err)
{
	struct json_value_parser *vp;
	TRY(json_value_parser_new(dst->type, lim, &vp, err));
	size_t at = 0;
	struct tarn_err e;
	tarn_err_clear(&e);
	tarn_rc rc = json_value_parse(vp, p, n, dst, &at, &e);
	json_value_parser_free(vp);
	if (rc)
		return tarn_err_set(err, rc, "byte %zu: %s", at, e.msg);
	return TARN_OK;
}
