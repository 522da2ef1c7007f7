/*
 * pb_wire.c — the out-of-line parts of the protobuf wire layer (see
 * pb_wire.h): slow varints, skipping fields and groups, the sticky-error
 * cursor, and the length-prefix fix-up of the writer.
 */
#include "formats/protobuf/pb_wire.h"

const uint8_t *pb_varint_slow(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int i = 0; i < 10; i++) {
		if (UNLIKELY(p >= end))
			return NULL;
		uint8_t b = *p++;
		/* The tenth byte carries bit 63; higher bits are dropped. */
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return p;
		}
	}
	return NULL;
}

const uint8_t *pb_skip(const uint8_t *p, const uint8_t *end, uint32_t num, int wt,
		       const uint8_t **group_end, const char **why)
{
	const uint8_t *tag_at = p;
	/* Groups: a stack of open group numbers, so each EGROUP must match. */
	uint32_t open[PB_MAX_GROUP_DEPTH];
	int depth = 0;
	for (;;) {
		uint64_t v;
		switch (wt) {
		case PB_WT_VARINT:
			p = pb_get_varint(p, end, &v);
			if (!p) {
				*why = "truncated or overlong varint";
				return NULL;
			}
			break;
		case PB_WT_I64:
			if (end - p < 8) {
				*why = "truncated 8-byte value";
				return NULL;
			}
			p += 8;
			break;
		case PB_WT_I32:
			if (end - p < 4) {
				*why = "truncated 4-byte value";
				return NULL;
			}
			p += 4;
			break;
		case PB_WT_LEN:
			p = pb_get_varint(p, end, &v);
			if (!p) {
				*why = "truncated length";
				return NULL;
			}
			if (v > (uint64_t)(end - p)) {
				*why = "length runs past the end of the message";
				return NULL;
			}
			p += v;
			break;
		case PB_WT_SGROUP:
			if (depth == PB_MAX_GROUP_DEPTH) {
				*why = "groups nested too deeply";
				return NULL;
			}
			open[depth++] = num;
			break;
		case PB_WT_EGROUP:
			if (depth == 0 || open[depth - 1] != num) {
				*why = "end-group tag without a matching start-group";
				return NULL;
			}
			depth--;
			if (depth == 0 && group_end)
				*group_end = tag_at;
			break;
		default:
			*why = "invalid wire type";
			return NULL;
		}
		if (depth == 0)
			return p;
		/* Inside a group: the next field's tag. */
		uint64_t tag;
		tag_at = p;
		p = pb_get_varint(p, end, &tag);
		if (!p) {
			*why = "group not closed before the end of the message";
			return NULL;
		}
		num = (uint32_t)(tag >> 3);
		wt = (int)(tag & 7);
		if (num == 0 || tag >> 32) {
			*why = "invalid field number";
			return NULL;
		}
	}
}

void pb_in_init(struct pb_in *in, const void *p, size_t n)
{
	in->start = p;
	in->p = p;
	in->end = in->start + n;
	in->why = NULL;
	in->bad_at = 0;
}

void pb_in_fail(struct pb_in *in, const char *why)
{
	if (in->why)
		return;
	in->why = why;
	in->bad_at = pb_in_offset(in);
	in->p = in->end;
}

bool pb_in_tag(struct pb_in *in, uint32_t *num, int *wt)
{
	if (in->why || in->p >= in->end)
		return false;
	uint64_t tag;
	const uint8_t *q = pb_get_varint(in->p, in->end, &tag);
	if (!q) {
		pb_in_fail(in, "truncated tag");
		return false;
	}
	uint64_t n = tag >> 3;
	int t = (int)(tag & 7);
	if (n == 0 || n > PB_MAX_FIELD_NUMBER) {
		pb_in_fail(in, "invalid field number");
		return false;
	}
	if (t == PB_WT_EGROUP || t > PB_WT_I32) {
		pb_in_fail(in, t == PB_WT_EGROUP ? "end-group tag without a start-group"
						 : "invalid wire type");
		return false;
	}
	in->p = q;
	*num = (uint32_t)n;
	*wt = t;
	return true;
}

uint64_t pb_in_varint(struct pb_in *in)
{
	uint64_t v = 0;
	const uint8_t *q = pb_get_varint(in->p, in->end, &v);
	if (!q) {
		pb_in_fail(in, "truncated or overlong varint");
		return 0;
	}
	in->p = q;
	return v;
}

uint32_t pb_in_fixed32(struct pb_in *in)
{
	if (in->end - in->p < 4) {
		pb_in_fail(in, "truncated 4-byte value");
		return 0;
	}
	uint32_t v = pb_le32(in->p);
	in->p += 4;
	return v;
}

uint64_t pb_in_fixed64(struct pb_in *in)
{
	if (in->end - in->p < 8) {
		pb_in_fail(in, "truncated 8-byte value");
		return 0;
	}
	uint64_t v = pb_le64(in->p);
	in->p += 8;
	return v;
}

const uint8_t *pb_in_bytes(struct pb_in *in, size_t *n)
{
	*n = 0;
	uint64_t len = pb_in_varint(in);
	if (in->why)
		return in->end;
	if (len > (uint64_t)(in->end - in->p)) {
		pb_in_fail(in, "length runs past the end of the message");
		return in->end;
	}
	const uint8_t *p = in->p;
	in->p += len;
	*n = (size_t)len;
	return p;
}

void pb_in_sub(struct pb_in *in, struct pb_in *sub)
{
	size_t n;
	const uint8_t *p = pb_in_bytes(in, &n);
	sub->start = in->start;
	sub->p = p;
	sub->end = p + n;
	sub->why = NULL;
	sub->bad_at = 0;
}

void pb_in_join(struct pb_in *in, const struct pb_in *sub)
{
	if (sub->why && !in->why) {
		in->why = sub->why;
		in->bad_at = sub->bad_at;
		in->p = in->end;
	}
}

void pb_in_skip(struct pb_in *in, uint32_t num, int wt)
{
	if (in->why)
		return;
	const char *why = NULL;
	const uint8_t *q = pb_skip(in->p, in->end, num, wt, NULL, &why);
	if (!q) {
		pb_in_fail(in, why);
		return;
	}
	in->p = q;
}

tarn_rc pb_w_bytes(struct tarn_buf *b, uint32_t num, const void *p, size_t n)
{
	TRY(pb_room(b, 20 + n));
	uint8_t *o = (uint8_t *)b->data + b->len;
	size_t k = pb_put_varint(o, (uint64_t)num << 3 | PB_WT_LEN);
	k += pb_put_varint(o + k, n);
	if (n)
		memcpy(o + k, p, n);
	b->len += k + n;
	return TARN_OK;
}

tarn_rc pb_w_end(struct tarn_buf *b, size_t mark)
{
	size_t n = b->len - mark;
	size_t k = pb_varint_len(n);
	if (k > 1) {
		TRY(pb_room(b, k - 1));
		memmove(b->data + mark + k - 1, b->data + mark, n);
		b->len += k - 1;
	}
	pb_put_varint((uint8_t *)b->data + mark - 1, n);
	return TARN_OK;
}
