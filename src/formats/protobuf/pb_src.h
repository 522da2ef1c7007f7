/*
 * pb_src.h — a byte window over a tarn_input for record-framed binary
 * formats (varint-delimited protobuf, RecordIO). A mapped input (plain
 * regular file or memory) is read in place with no copy; anything else
 * (gzip/zstd, stdin, pipes) is read in chunks into a window that grows to
 * hold the largest record asked for.
 *
 * The reader asks for `want` bytes from the current position (pb_src_fill),
 * decodes them, and consumes what it used. Progress and page release of a
 * mapped file follow pb_src_mark, called once per batch.
 *
 * Thread-safety: one reader thread.
 */
#ifndef TARN_PROTOBUF_SRC_H
#define TARN_PROTOBUF_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/io.h"
#include "tarn.h"

struct pb_src {
	struct tarn_input *in;
	const uint8_t *map; /* whole input when mapped, else NULL */
	size_t map_n;
	uint8_t *buf; /* streaming window: valid bytes [lo, hi) */
	size_t cap, lo, hi;
	size_t pos;  /* mapped: current position */
	int64_t off; /* offset of the current position in the (decompressed) stream */
	bool eof;
	size_t chunk; /* bytes read at a time when streaming */
};

void pb_src_init(struct pb_src *s, struct tarn_input *in);
/* Makes at least `want` bytes from the current position visible at *p (*n bytes)
 * (fewer only at the end of the input). */
TARN_MUST_USE tarn_rc pb_src_fill(struct pb_src *s, size_t want, const uint8_t **p, size_t *n,
				  struct tarn_err *err);
void pb_src_consume(struct pb_src *s, size_t n);
/* Reports progress to the input and lets a mapped file drop consumed pages. */
void pb_src_mark(struct pb_src *s);
void pb_src_free(struct pb_src *s);

#endif
