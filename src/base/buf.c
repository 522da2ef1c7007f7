/* buf.c — growable byte buffer (see buf.h). */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/mem.h"

void tarn_buf_init(struct tarn_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->limit = 0;
}

void tarn_buf_free(struct tarn_buf *b)
{
	tarn_free(b->data);
	tarn_buf_init(b);
}

tarn_rc tarn_buf_reserve(struct tarn_buf *b, size_t extra)
{
	size_t limit = b->limit ? b->limit : TARN_BUF_DEFAULT_LIMIT;
	if (extra > limit || b->len > limit - extra)
		return TARN_ELIMIT;
	size_t need = b->len + extra;
	if (need <= b->cap)
		return TARN_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap < ((size_t)1 << 62) ? cap * 2 : need;
	if (cap > limit)
		cap = limit; /* tarn_buf_putc checks only cap: cap never exceeds the limit */
	char *p = tarn_realloc(b->data, cap);
	if (!p)
		return TARN_ENOMEM;
	b->data = p;
	b->cap = cap;
	return TARN_OK;
}

tarn_rc tarn_buf_append(struct tarn_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return TARN_OK;
	tarn_rc rc = tarn_buf_reserve(b, n);
	if (rc)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return TARN_OK;
}

tarn_rc tarn_buf_printf(struct tarn_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TARN_EINTERNAL;
	/* Room for the text only: vsnprintf's NUL must not count against the
	 * limit, so text that exactly fills the buffer goes through a copy. */
	tarn_rc rc = tarn_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	if (b->cap - b->len > (size_t)n) {
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	} else {
		char *tmp = tarn_malloc((size_t)n + 1);
		if (!tmp) {
			va_end(ap);
			return TARN_ENOMEM;
		}
		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		memcpy(b->data + b->len, tmp, (size_t)n);
		tarn_free(tmp);
	}
	va_end(ap);
	b->len += (size_t)n;
	return TARN_OK;
}

tarn_rc tarn_buf_cstr(struct tarn_buf *b)
{
	if (b->len < b->cap) {
		b->data[b->len] = '\0';
		return TARN_OK;
	}
	size_t limit = b->limit ? b->limit : TARN_BUF_DEFAULT_LIMIT;
	if (b->len < limit) {
		tarn_rc rc = tarn_buf_reserve(b, 1);
		if (rc)
			return rc;
	} else {
		/* A buffer filled to its limit still takes its terminator, which
		 * is not part of len; cap stays len, so appends remain refused. */
		char *p = tarn_realloc(b->data, b->len + 1);
		if (!p)
			return TARN_ENOMEM;
		b->data = p;
	}
	b->data[b->len] = '\0';
	return TARN_OK;
}

char *tarn_buf_steal(struct tarn_buf *b)
{
	if (tarn_buf_cstr(b) != TARN_OK) {
		tarn_buf_free(b);
		return NULL;
	}
	char *d = b->data;
	tarn_buf_init(b);
	return d;
}
