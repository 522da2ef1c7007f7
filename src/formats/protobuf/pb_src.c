/*
 * pb_src.c — the byte window of pb_src.h.
 *
 * The window only grows to what a caller asks for (one record plus a read
 * chunk), and callers cap a record's size before asking, so memory stays
 * bounded by the largest allowed record.
 */
#include "formats/protobuf/pb_src.h"

#include <string.h>

#include "base/err.h"
#include "base/mem.h"

#define CHUNK ((size_t)1 << 20)

void pb_src_init(struct pb_src *s, struct tarn_input *in)
{
	memset(s, 0, sizeof *s);
	s->in = in;
	s->chunk = CHUNK;
	s->map = tarn_input_mapped(in, &s->map_n);
}

tarn_rc pb_src_fill(struct pb_src *s, size_t want, const uint8_t **p, size_t *n,
		    struct tarn_err *err)
{
	if (s->map) {
		*p = s->map + s->pos;
		*n = s->map_n - s->pos;
		return TARN_OK;
	}
	if (s->hi - s->lo < want && !s->eof) {
		if (s->lo > 0) {
			memmove(s->buf, s->buf + s->lo, s->hi - s->lo);
			s->hi -= s->lo;
			s->lo = 0;
		}
		size_t need = want > SIZE_MAX - s->chunk ? want : want + s->chunk;
		if (need > s->cap) {
			uint8_t *nb = tarn_realloc(s->buf, need);
			if (!nb)
				return tarn_err_nomem(err, "input window");
			s->buf = nb;
			s->cap = need;
		}
		while (s->hi < want) {
			size_t got;
			TRY(tarn_input_read(s->in, s->buf + s->hi, s->cap - s->hi, &got, err));
			if (got == 0) {
				s->eof = true;
				break;
			}
			s->hi += got;
		}
	}
	*p = s->buf + s->lo;
	*n = s->hi - s->lo;
	return TARN_OK;
}

void pb_src_consume(struct pb_src *s, size_t n)
{
	if (s->map)
		s->pos += n;
	else
		s->lo += n;
	s->off += (int64_t)n;
}

void pb_src_mark(struct pb_src *s)
{
	if (s->map) {
		tarn_input_set_consumed(s->in, s->off);
		tarn_input_release(s->in, s->pos);
	}
}

void pb_src_free(struct pb_src *s)
{
	tarn_free(s->buf);
	s->buf = NULL;
}
