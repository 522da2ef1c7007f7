/*
 * buf.h — growable byte buffer with a hard cap.
 *
 * Every buffer that grows from untrusted input has a cap (default 2 GiB - 1,
 * the largest Arrow int32-offset payload); growing past it is TARN_ELIMIT.
 */
#ifndef TARN_BASE_BUF_H
#define TARN_BASE_BUF_H

#include <stddef.h>
#include <string.h>

#include "tarn.h"

struct tarn_buf {
	char *data;
	size_t len, cap;
	size_t limit; /* 0 = default cap */
};

#define TARN_BUF_DEFAULT_LIMIT ((size_t)0x7fffffff)

void tarn_buf_init(struct tarn_buf *b);
void tarn_buf_free(struct tarn_buf *b);
TARN_MUST_USE tarn_rc tarn_buf_reserve(struct tarn_buf *b, size_t extra);
TARN_MUST_USE tarn_rc tarn_buf_append(struct tarn_buf *b, const void *p, size_t n);
TARN_MUST_USE tarn_rc tarn_buf_printf(struct tarn_buf *b, const char *fmt, ...) TARN_PRINTF(2, 3);
/* Appends a NUL without counting it in len. */
TARN_MUST_USE tarn_rc tarn_buf_cstr(struct tarn_buf *b);
/* Hands the data to the caller (free with tarn_free) and resets b. */
char *tarn_buf_steal(struct tarn_buf *b);

static inline tarn_rc tarn_buf_putc(struct tarn_buf *b, char c)
{
	if (b->len + 1 > b->cap) {
		tarn_rc rc = tarn_buf_reserve(b, 1);
		if (rc)
			return rc;
	}
	b->data[b->len++] = c;
	return TARN_OK;
}

#endif
