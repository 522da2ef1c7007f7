/*
 * format.c — the format registry, options, and the generic reader/writer
 * layer behind tarn_reader_* / tarn_writer_* (see format.h).
 */
#include "formats/format.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"

extern const struct tarn_format tarn_format_csv;
extern const struct tarn_format tarn_format_tsv;
extern const struct tarn_format tarn_format_json;
extern const struct tarn_format tarn_format_jsonl;
extern const struct tarn_format tarn_format_parquet;
extern const struct tarn_format tarn_format_orc;
extern const struct tarn_format tarn_format_avro;
extern const struct tarn_format tarn_format_arrow, tarn_format_arrows;
extern const struct tarn_format tarn_format_protobuf;
extern const struct tarn_format tarn_format_recordio;

static const struct tarn_format *const registry[] = {
	&tarn_format_csv,
	&tarn_format_tsv,
	&tarn_format_json,
	&tarn_format_jsonl,
	&tarn_format_parquet,
	&tarn_format_orc,
	&tarn_format_avro,
	&tarn_format_arrow, &tarn_format_arrows,
	&tarn_format_protobuf,
	&tarn_format_recordio,
};
#define N_FORMATS (int)(sizeof registry / sizeof registry[0])

const struct tarn_format *tarn_format_find(const char *name)
{
	for (int i = 0; i < N_FORMATS; i++)
		if (strcasecmp(registry[i]->name, name) == 0)
			return registry[i];
	if (strcasecmp(name, "ndjson") == 0)
		return &tarn_format_jsonl;
	return NULL;
}

const struct tarn_format *tarn_format_from_path(const char *path)
{
	size_t n = strlen(path) - tarn_codec_suffix_len(path);
	for (int i = 0; i < N_FORMATS; i++) {
		for (const char *const *e = registry[i]->extensions; e && *e; e++) {
			size_t el = strlen(*e);
			if (n > el && strncasecmp(path + n - el, *e, el) == 0)
				return registry[i];
		}
	}
	return NULL;
}

const char *tarn_format_for_path(const char *path)
{
	const struct tarn_format *f = tarn_format_from_path(path);
	return f ? f->name : NULL;
}

const struct tarn_format_info *tarn_format_info_at(int i)
{
	static struct tarn_format_info infos[N_FORMATS];
	if (i < 0 || i >= N_FORMATS)
		return NULL;
	const struct tarn_format *f = registry[i];
	infos[i] = (struct tarn_format_info){ f->name, f->summary, f->extensions,
					      f->open_reader != NULL, f->open_writer != NULL };
	return &infos[i];
}

bool tarn_format_has_option(const char *format, bool writer, const char *key)
{
	const struct tarn_format *f = format ? tarn_format_find(format) : NULL;
	if (!f)
		return false;
	if (writer && f->stream_compression && strcmp(key, "compression") == 0)
		return true;
	for (const struct tarn_optdesc *d = writer ? f->writer_options : f->reader_options;
	     d && d->name; d++)
		if (strcmp(d->name, key) == 0)
			return true;
	return false;
}

const char *tarn_format_options_help(const char *format, bool writer)
{
	/* Built once per (format, side) into a static buffer; formats are few. */
	static char bufs[N_FORMATS][2][4096];
	const struct tarn_format *f = tarn_format_find(format);
	if (!f)
		return NULL;
	int idx = 0;
	while (registry[idx] != f)
		idx++;
	char *b = bufs[idx][writer];
	if (b[0])
		return b;
	const struct tarn_optdesc *d = writer ? f->writer_options : f->reader_options;
	size_t len = 0;
	for (; d && d->name; d++) {
		int k = snprintf(b + len, sizeof bufs[0][0] - len, "  %-16s %s\n", d->name, d->help);
		if (k < 0 || (size_t)k >= sizeof bufs[0][0] - len)
			break;
		len += (size_t)k;
	}
	if (writer && f->stream_compression && len < sizeof bufs[0][0])
		snprintf(b + len, sizeof bufs[0][0] - len, "  %-16s %s\n", "compression",
			 "gzip|zstd|none  compress the whole file (default: from the .gz/.zst suffix)");
	if (!b[0])
		snprintf(b, sizeof bufs[0][0], "  (no options)\n");
	return b;
}

/* ---- options ----------------------------------------------------------------- */

struct tarn_opts {
	int n, cap;
	char **keys, **vals;
};

tarn_rc tarn_opts_new(struct tarn_opts **out)
{
	*out = tarn_calloc(1, sizeof **out);
	return *out ? TARN_OK : TARN_ENOMEM;
}

void tarn_opts_free(struct tarn_opts *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->n; i++) {
		tarn_free(o->keys[i]);
		tarn_free(o->vals[i]);
	}
	tarn_free(o->keys);
	tarn_free(o->vals);
	tarn_free(o);
}

tarn_rc tarn_opts_set(struct tarn_opts *o, const char *key, const char *value)
{
	char *v = tarn_strdup(value);
	if (!v)
		return TARN_ENOMEM;
	for (int i = 0; i < o->n; i++) {
		if (strcmp(o->keys[i], key) == 0) {
			tarn_free(o->vals[i]);
			o->vals[i] = v;
			return TARN_OK;
		}
	}
	if (o->n == o->cap) {
		int cap = o->cap ? o->cap * 2 : 8;
		char **k = tarn_realloc(o->keys, (size_t)cap * sizeof *k);
		if (!k)
			goto nomem;
		o->keys = k;
		char **vv = tarn_realloc(o->vals, (size_t)cap * sizeof *vv);
		if (!vv)
			goto nomem;
		o->vals = vv;
		o->cap = cap;
	}
	o->keys[o->n] = tarn_strdup(key);
	if (!o->keys[o->n])
		goto nomem;
	o->vals[o->n++] = v;
	return TARN_OK;
nomem:
	tarn_free(v);
	return TARN_ENOMEM;
}

tarn_rc tarn_opts_parse(struct tarn_opts *o, const char *kv, struct tarn_err *err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return tarn_err_set(err, TARN_EUSAGE, "option '%s' is not of the form key=value", kv);
	char *key = tarn_strndup(kv, (size_t)(eq - kv));
	if (!key)
		return tarn_err_nomem(err, "options");
	tarn_rc rc = tarn_opts_set(o, key, eq + 1);
	tarn_free(key);
	return rc ? tarn_err_nomem(err, "options") : TARN_OK;
}

const char *tarn_opts_get(const struct tarn_opts *o, const char *key)
{
	if (!o)
		return NULL;
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return o->vals[i];
	return NULL;
}

int tarn_opts_count(const struct tarn_opts *o)
{
	return o ? o->n : 0;
}

const char *tarn_opts_key_at(const struct tarn_opts *o, int i)
{
	return o->keys[i];
}

const char *tarn_opts_value_at(const struct tarn_opts *o, int i)
{
	return o->vals[i];
}

tarn_rc tarn_opts_int(const struct tarn_opts *o, const char *key, int64_t def, int64_t *out,
		      struct tarn_err *err)
{
	const char *v = tarn_opts_get(o, key);
	*out = def;
	if (!v)
		return TARN_OK;
	char *end;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end)
		return tarn_err_set(err, TARN_EUSAGE, "option %s: '%s' is not an integer", key, v);
	*out = x;
	return TARN_OK;
}

bool tarn_parse_size(const char *s, int64_t *out)
{
	char *end;
	double x = strtod(s, &end);
	if (end == s || !(x >= 0) || *s == '+' || *s == '-' || isspace((unsigned char)*s))
		return false;
	double mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1024.0; break;
	case 'm': case 'M': mul = 1024.0 * 1024; break;
	case 'g': case 'G': mul = 1024.0 * 1024 * 1024; break;
	case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; break;
	}
	if (mul > 1) {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || x * mul > 9.0e18)
		return false;
	*out = (int64_t)(x * mul);
	return true;
}

tarn_rc tarn_opts_size(const struct tarn_opts *o, const char *key, int64_t def, int64_t min,
		       int64_t max, int64_t *out, struct tarn_err *err)
{
	const char *v = tarn_opts_get(o, key);
	*out = def;
	if (!v)
		return TARN_OK;
	int64_t x;
	if (!tarn_parse_size(v, &x) || x < min || x > max)
		return tarn_err_set(err, TARN_EUSAGE,
				    "option %s: '%s' is not a size from %lld to %lld bytes (K, M, G "
				    "suffixes allowed)",
				    key, v, (long long)min, (long long)max);
	*out = x;
	return TARN_OK;
}

tarn_rc tarn_opts_copy(const struct tarn_opts *src, struct tarn_opts **out)
{
	TRY(tarn_opts_new(out));
	for (int i = 0; src && i < src->n; i++) {
		tarn_rc rc = tarn_opts_set(*out, src->keys[i], src->vals[i]);
		if (rc) {
			tarn_opts_free(*out);
			*out = NULL;
			return rc;
		}
	}
	return TARN_OK;
}

tarn_rc tarn_opts_bool(const struct tarn_opts *o, const char *key, bool def, bool *out,
		       struct tarn_err *err)
{
	const char *v = tarn_opts_get(o, key);
	*out = def;
	if (!v)
		return TARN_OK;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !*v)
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return tarn_err_set(err, TARN_EUSAGE, "option %s: '%s' is not true or false", key, v);
	return TARN_OK;
}

static tarn_rc check_opts(const struct tarn_format *f, const struct tarn_opts *o, bool writer,
			  struct tarn_err *err)
{
	const struct tarn_optdesc *table = writer ? f->writer_options : f->reader_options;
	for (int i = 0; i < tarn_opts_count(o); i++) {
		const char *k = o->keys[i];
		bool known = writer && f->stream_compression && strcmp(k, "compression") == 0;
		for (const struct tarn_optdesc *d = table; !known && d && d->name; d++)
			known = strcmp(d->name, k) == 0;
		if (!known) {
			char list[512] = "";
			size_t len = 0;
			for (const struct tarn_optdesc *d = table; d && d->name; d++) {
				int w = snprintf(list + len, sizeof list - len, "%s%s",
						 len ? ", " : "", d->name);
				if (w < 0 || (size_t)w >= sizeof list - len)
					break;
				len += (size_t)w;
			}
			return tarn_err_set(err, TARN_EUSAGE,
					    "the %s %s has no option '%s' (known: %s)", f->name,
					    writer ? "writer" : "reader", k, len ? list : "none");
		}
	}
	return TARN_OK;
}

static tarn_rc no_such_column(const struct tarn_schema *s, const char *name,
			      struct tarn_err *err)
{
	char list[400] = "";
	size_t len = 0;
	for (int c = 0; c < s->n_fields; c++) {
		int w = snprintf(list + len, sizeof list - len, "%s%s", c ? ", " : "",
				 s->fields[c].name);
		if (w < 0 || (size_t)w >= sizeof list - len) {
			snprintf(list + len, sizeof list - len, ", ...");
			break;
		}
		len += (size_t)w;
	}
	return tarn_err_set(err, TARN_EUSAGE, "types: no column named '%s' (columns: %s)", name,
			    s->n_fields ? list : "none");
}

tarn_rc tarn_parse_type_overrides(const char *text, const struct tarn_schema *s,
				  tarn_rc (*fn)(void *ctx, int col, struct tarn_type *type,
						struct tarn_err *err),
				  void *ctx, struct tarn_err *err)
{
	const char *p = text;
	while (*p) {
		const char *eq = strchr(p, '=');
		if (!eq)
			return tarn_err_set(err, TARN_EUSAGE,
					    "--types: expected col=type at '%s'", p);
		const char *t = eq + 1, *e = t;
		int depth = 0;
		while (*e && !(*e == ',' && depth == 0)) {
			if (*e == '<' || *e == '(' || *e == '[')
				depth++;
			else if (*e == '>' || *e == ')' || *e == ']')
				depth--;
			e++;
		}
		char *name = tarn_strndup(p, (size_t)(eq - p));
		char *ttext = tarn_strndup(t, (size_t)(e - t));
		tarn_rc rc = (!name || !ttext) ? tarn_err_nomem(err, "--types") : TARN_OK;
		int col = -1;
		if (rc == TARN_OK) {
			col = tarn_schema_find(s, name);
			if (col < 0)
				rc = no_such_column(s, name, err);
		}
		struct tarn_type type;
		if (rc == TARN_OK)
			rc = tarn_type_parse(ttext, &type, err);
		if (rc == TARN_OK) {
			rc = fn(ctx, col, &type, err);
			tarn_type_clear(&type);
		}
		tarn_free(name);
		tarn_free(ttext);
		if (rc)
			return rc;
		p = *e ? e + 1 : e;
	}
	return TARN_OK;
}

/* ---- readers ----------------------------------------------------------------- */

#define SNIFF_BYTES (64 * 1024)

static tarn_rc sniff_format(struct tarn_input *in, const struct tarn_format **out,
			    struct tarn_err *err)
{
	const uint8_t *p;
	size_t n;
	TRY(tarn_input_peek(in, SNIFF_BYTES, &p, &n, err));
	int best = 0;
	const struct tarn_format *bf = NULL;
	for (int i = 0; i < N_FORMATS; i++) {
		if (!registry[i]->sniff || !registry[i]->open_reader)
			continue;
		int s = registry[i]->sniff(p, n);
		if (s > best) {
			best = s;
			bf = registry[i];
		}
	}
	if (!bf)
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s: cannot tell the file's format; name it with --from FORMAT",
				    tarn_input_name(in));
	*out = bf;
	return TARN_OK;
}

tarn_rc tarn_reader_open_input(struct tarn_input *in, const struct tarn_format *fmt,
			       const struct tarn_opts *opts, struct tarn_reader **out,
			       struct tarn_err *err)
{
	*out = NULL;
	tarn_rc rc = TARN_OK;
	if (!fmt)
		TRY_OUT(sniff_format(in, &fmt, err));
	if (!fmt->open_reader) {
		rc = tarn_err_set(err, TARN_EUNSUPPORTED, "tarn cannot read %s yet", fmt->name);
		goto out;
	}
	TRY_OUT(check_opts(fmt, opts, false, err));
	struct tarn_reader *r = NULL;
	TRY_OUT(fmt->open_reader(in, opts, &r, err));
	r->format = fmt;
	r->in = in;
	*out = r;
	return TARN_OK;
out:
	tarn_input_close(in);
	return rc;
}

tarn_rc tarn_reader_open(const char *path, const char *format, const struct tarn_opts *opts,
			 struct tarn_reader **out, struct tarn_err *err)
{
	*out = NULL;
	const struct tarn_format *fmt = NULL;
	if (format) {
		fmt = tarn_format_find(format);
		if (!fmt)
			return tarn_err_set(err, TARN_EUSAGE,
					    "unknown format '%s' (see `tarn formats`)", format);
	}
	if (tarn_dataset_path(path))
		return tarn_dataset_open(path, fmt, opts, out, err);
	if (!fmt && strcmp(path, "-") != 0)
		fmt = tarn_format_from_path(path);
	struct tarn_input *in;
	TRY(tarn_input_open(path, &in, err));
	return tarn_reader_open_input(in, fmt, opts, out, err);
}

const struct tarn_schema *tarn_reader_schema(const struct tarn_reader *r)
{
	return r->schema;
}

const char *tarn_reader_format(const struct tarn_reader *r)
{
	return r->format->name;
}

tarn_rc tarn_reader_next(struct tarn_reader *r, struct tarn_batch **out, struct tarn_err *err)
{
	*out = NULL;
	return r->ops->next(r, out, err);
}

void tarn_reader_progress(const struct tarn_reader *r, int64_t *done, int64_t *total)
{
	if (r->ops->progress) {
		r->ops->progress(r, done, total);
		return;
	}
	tarn_input_progress(r->in, done, total);
}

int64_t tarn_reader_bad_rows(const struct tarn_reader *r)
{
	return r->bad_rows;
}

void tarn_reader_close(struct tarn_reader *r)
{
	if (!r)
		return;
	struct tarn_input *in = r->in;
	struct tarn_schema *s = r->schema;
	r->ops->close(r);
	tarn_schema_unref(s);
	tarn_input_close(in);
}

/* ---- writers ----------------------------------------------------------------- */

tarn_rc tarn_writer_open_output(struct tarn_output *o, const struct tarn_format *fmt,
				const struct tarn_schema *schema, const struct tarn_opts *opts,
				struct tarn_writer **out, struct tarn_err *err)
{
	*out = NULL;
	tarn_rc rc = TARN_OK;
	if (!fmt->open_writer) {
		rc = tarn_err_set(err, TARN_EUNSUPPORTED, "tarn cannot write %s yet", fmt->name);
		goto out;
	}
	TRY_OUT(check_opts(fmt, opts, true, err));
	struct tarn_writer *w = NULL;
	/* Formats get a schema they may keep a reference to. */
	TRY_OUT(fmt->open_writer(o, (struct tarn_schema *)schema, opts, &w, err));
	w->format = fmt;
	w->out = o;
	*out = w;
	return TARN_OK;
out:
	tarn_output_close(o);
	return rc;
}

tarn_rc tarn_writer_open(const char *path, const char *format, const struct tarn_schema *schema,
			 const struct tarn_opts *opts, struct tarn_writer **out,
			 struct tarn_err *err)
{
	*out = NULL;
	const struct tarn_format *fmt = NULL;
	if (format) {
		fmt = tarn_format_find(format);
		if (!fmt)
			return tarn_err_set(err, TARN_EUSAGE,
					    "unknown format '%s' (see `tarn formats`)", format);
	} else if (strcmp(path, "-") != 0) {
		fmt = tarn_format_from_path(path);
	}
	if (!fmt)
		return tarn_err_set(err, TARN_EUSAGE,
				    "cannot tell the output format of '%s' from its name; "
				    "name it with --to FORMAT",
				    path);
	int codec = -1;
	const char *c = tarn_opts_get(opts, "compression");
	if (c && fmt->stream_compression) {
		codec = tarn_codec_parse(c);
		if (codec < 0)
			return tarn_err_set(err, TARN_EUSAGE,
					    "unknown compression '%s' for %s (gzip, zstd or none)", c,
					    fmt->name);
	} else if (!fmt->stream_compression && strcmp(path, "-") != 0 &&
		   tarn_codec_for_path(path) != TARN_CODEC_NONE) {
		return tarn_err_set(err, TARN_EUSAGE,
				    "%s files are not compressed as a whole; drop the suffix "
				    "and use --compression",
				    fmt->name);
	}
	if (!fmt->stream_compression)
		codec = TARN_CODEC_NONE;
	struct tarn_output *o;
	TRY(tarn_output_open(path, codec, 0, &o, err));
	return tarn_writer_open_output(o, fmt, schema, opts, out, err);
}

tarn_rc tarn_writer_write(struct tarn_writer *w, const struct tarn_batch *b, struct tarn_err *err)
{
	if (w->finished)
		return tarn_err_set(err, TARN_EUSAGE, "write after finish");
	if (b->schema != w->schema && !tarn_schema_equal(b->schema, w->schema))
		return tarn_err_set(err, TARN_EUSAGE,
				    "batch schema does not match the writer's schema");
	return w->ops->write(w, b, err);
}

tarn_rc tarn_writer_finish(struct tarn_writer *w, struct tarn_err *err)
{
	if (w->finished)
		return TARN_OK;
	TRY(w->ops->finish(w, err));
	TRY(tarn_output_commit(w->out, err));
	w->finished = true;
	return TARN_OK;
}

void tarn_writer_close(struct tarn_writer *w)
{
	if (!w)
		return;
	struct tarn_output *o = w->out;
	struct tarn_schema *s = w->schema;
	w->ops->close(w);
	tarn_schema_unref(s);
	tarn_output_close(o);
}
