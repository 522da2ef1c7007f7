/*
 * csv_tok.h — the tokenizer body, a template included by csv_scan.c once per
 * instruction set with these macros defined:
 *
 *   TOK_FN          name of the function to define
 *   TOK_CONSTS(k)   declares the mask constants `k` from `kd` (struct tok_needles)
 *   TOK_MASKS(bp, k, um, qm, hi)
 *                   for the 64 bytes at bp: um = bits of delimiter, quote, LF,
 *                   CR; qm = bits of quote and escape; hi |= nonzero if any
 *                   byte >= 0x80
 *
 * The state machine (RFC 4180 plus the options):
 *   - a quote opens a quoted field only as the first byte of a field;
 *     elsewhere in an unquoted field it is an ordinary byte;
 *   - inside quotes, the escape (a doubled quote, or a backslash before any
 *     byte) keeps the next byte literal; delimiters and line breaks are data;
 *   - the closing quote must be followed by a delimiter, a line break or the
 *     end of input (CSV_FAIL_AFTER_QUOTE otherwise);
 *   - rows end at LF, CRLF or a lone CR; a comment character at a row start
 *     skips the line; an empty line is skipped when rows have several
 *     fields (with one column it is a row holding one null).
 *
 * Only bytes flagged in the masks are visited, 64 at a time: the common case
 * costs one bit-scan per delimiter. Rows are only ever cut at row boundaries,
 * so a call starts with no state besides its position.
 */

static enum csv_tok_status TOK_FN(struct csv_tok *t)
{
	const uint8_t *p = t->base;
	const size_t end = t->end;
	const bool final = t->final;
	const uint8_t delim = t->d.delim, quote = t->d.quote, comment = t->d.comment;
	const bool doubled = t->d.escape == CSV_ESC_DOUBLE && quote;
	const uint32_t ncols = (uint32_t)t->ncols;
	const size_t stop = t->stop, max_field = t->max_field, max_row = t->max_row;
	const int64_t max_rows = t->max_rows;
	struct csv_field *F = t->f;
	struct tok_needles kd;
	kd.delim = delim;
	kd.quote = quote ? quote : delim;
	kd.esc = (quote && t->d.escape == CSV_ESC_BACKSLASH) ? (uint8_t)'\\' : kd.quote;
	TOK_CONSTS(k);

	const size_t origin = t->pos;
	t->origin = origin;
	uint32_t nf = 0, row_first = 0, extra = 0, nrows = 0;
	uint64_t hi = 0;
	size_t rs = origin, fs = origin, qend = 0;
	uint32_t flags = 0;
	bool inq = false;
	enum csv_tok_status st = CSV_TOK_END;

#define TOK_FAIL(kind_, pos_)                      \
	do {                                       \
		t->fail.kind = (kind_);            \
		t->fail.pos = (int64_t)(pos_);     \
		t->fail.row_pos = (int64_t)rs;     \
		t->fail.col = (int)(nf - row_first); \
		nf = row_first;                    \
		st = CSV_TOK_FAIL;                 \
		goto done;                         \
	} while (0)

	/* One field ends at `at` (its delimiter or line break). */
#define TOK_EMIT(at_)                                                          \
	do {                                                                   \
		size_t fst_, fl_;                                              \
		if (flags & CSV_F_QUOTED) {                                    \
			fst_ = fs + 1;                                         \
			fl_ = qend - fs - 1;                                   \
		} else {                                                       \
			fst_ = fs;                                             \
			fl_ = (at_) - fs;                                      \
		}                                                              \
		if (UNLIKELY(fl_ > max_field))                                 \
			TOK_FAIL(CSV_FAIL_FIELD_SIZE, fs);                     \
		if (LIKELY(nf - row_first < ncols)) {                          \
			F[nf].start = (uint32_t)(fst_ - origin);               \
			F[nf].len = (uint32_t)fl_ | flags;                     \
			nf++;                                                  \
		} else {                                                       \
			extra++;                                               \
		}                                                              \
	} while (0)

	/* The row that started at rs ends at `at`. */
#define TOK_ROW_END(at_)                                                       \
	do {                                                                   \
		uint32_t got_ = nf - row_first + extra;                        \
		if (UNLIKELY((at_) - rs > max_row))                            \
			TOK_FAIL(CSV_FAIL_ROW_SIZE, rs);                       \
		if (LIKELY(got_ == ncols)) {                                   \
			nrows++;                                               \
		} else if (got_ == 1 && F[row_first].len == 0) {               \
			nf = row_first; /* empty line */                       \
		} else if (t->bad == CSV_BAD_SKIP) {                           \
			nf = row_first;                                        \
			t->bad_rows++;                                         \
		} else if (t->bad == CSV_BAD_NULL && got_ < ncols) {           \
			while (nf - row_first < ncols) {                       \
				F[nf].start = 0;                               \
				F[nf].len = 0;                                 \
				nf++;                                          \
			}                                                      \
			t->bad_rows++;                                         \
			nrows++;                                               \
		} else {                                                       \
			t->fail.nfields = (int)got_;                           \
			TOK_FAIL(CSV_FAIL_RAGGED, rs);                         \
		}                                                              \
		row_first = nf;                                                \
		extra = 0;                                                     \
	} while (0)

	/* At a row start: stop, block full, or comment lines to skip. Sets
	 * `jumped` when rs moved past comment lines. */
#define TOK_ROW_START(jumped_)                                                 \
	do {                                                                   \
		fs = rs;                                                       \
		flags = 0;                                                     \
		for (;;) {                                                     \
			if (rs >= stop) {                                      \
				st = CSV_TOK_STOP;                             \
				goto done;                                     \
			}                                                      \
			if ((int64_t)nrows >= max_rows || nf >= CSV_BLOCK_FIELDS ||   \
			    rs - origin > CSV_BLOCK_SPAN) {                        \
				st = CSV_TOK_BLOCK;                            \
				goto done;                                     \
			}                                                      \
			if (!comment || rs >= end || p[rs] != comment)         \
				break;                                         \
			size_t e_ = rs;                                        \
			while (e_ < end && p[e_] != '\n' && p[e_] != '\r')     \
				e_++;                                          \
			if (e_ >= end) {                                       \
				if (!final)                                    \
					goto more;                             \
				rs = end;                                      \
			} else {                                               \
				size_t nx_ = e_ + 1;                           \
				if (p[e_] == '\r') {                           \
					if (nx_ >= end && !final)              \
						goto more;                     \
					if (nx_ < end && p[nx_] == '\n')       \
						nx_++;                         \
				}                                              \
				rs = nx_;                                      \
			}                                                      \
			fs = rs;                                               \
			(jumped_) = true;                                      \
		}                                                              \
	} while (0)

	bool jumped0 = false;
	TOK_ROW_START(jumped0);
	(void)jumped0;

	size_t blk = rs;
	while (blk < end) {
		const uint8_t *bp = p + blk;
		uint8_t pad[64];
		if (end - blk < 64) {
			memset(pad, 0, sizeof pad);
			memcpy(pad, bp, end - blk);
			bp = pad;
		}
		uint64_t um, qm;
		TOK_MASKS(bp, k, um, qm, hi);
		uint64_t m = inq ? qm : um;
		size_t next_blk = blk + 64;
		while (m) {
			unsigned i = (unsigned)__builtin_ctzll(m);
			size_t at = blk + i;
			uint8_t c = p[at];
			if (!inq) {
				if (c == delim) {
					TOK_EMIT(at);
					fs = at + 1;
					flags = 0;
				} else if (c == '\n' || c == '\r') {
					size_t nx = at + 1;
					if (c == '\r') {
						if (nx >= end) {
							if (!final)
								goto more;
						} else if (p[nx] == '\n') {
							nx++;
						}
					}
					TOK_EMIT(at);
					TOK_ROW_END(at);
					rs = nx;
					bool jumped = false;
					TOK_ROW_START(jumped);
					if (jumped || nx > blk + 64) {
						next_blk = rs;
						break;
					}
					if (nx == at + 2)
						m &= ~(2ull << i); /* the LF of CRLF */
				} else if (at == fs) {
					/* quote opening a field */
					inq = true;
					flags = CSV_F_QUOTED;
					m = i >= 63 ? 0 : qm & (~0ull << (i + 1));
					continue;
				}
			} else if (c == quote) {
				if (doubled && at + 1 < end && p[at + 1] == quote) {
					flags |= CSV_F_ESCAPED;
					if (i >= 63) {
						next_blk = at + 2;
						break;
					}
					m &= ~(2ull << i);
				} else {
					if (at + 1 >= end) {
						if (!final)
							goto more;
					} else {
						uint8_t nc = p[at + 1];
						if (nc != delim && nc != '\n' && nc != '\r') {
							t->fail.byte = nc;
							TOK_FAIL(CSV_FAIL_AFTER_QUOTE, at + 1);
						}
					}
					qend = at;
					inq = false;
					m = i >= 63 ? 0 : um & (~0ull << (i + 1));
					continue;
				}
			} else {
				/* backslash escape inside quotes */
				flags |= CSV_F_ESCAPED;
				if (at + 1 >= end) {
					if (!final)
						goto more;
				} else if (i >= 63) {
					next_blk = at + 2;
					break;
				} else {
					m &= ~(2ull << i);
				}
			}
			m &= m - 1;
		}
		blk = next_blk;
	}
	/* All available bytes seen. */
	if (!final)
		goto more;
	if (inq)
		TOK_FAIL(CSV_FAIL_UNTERMINATED, fs);
	if (fs < end || nf > row_first || extra) {
		TOK_EMIT(end);
		TOK_ROW_END(end);
	}
	rs = end;
	st = CSV_TOK_END;
	goto done;

more:
	if (end - rs > max_row && max_row)
		TOK_FAIL(CSV_FAIL_ROW_SIZE, rs);
	if (end - fs > max_field + 2 && end > fs)
		TOK_FAIL(CSV_FAIL_FIELD_SIZE, fs);
	nf = row_first;
	st = CSV_TOK_MORE;
done:
	t->pos = rs;
	t->nrows = nrows;
	t->hi |= hi;
	(void)nf;
	return st;
#undef TOK_FAIL
#undef TOK_EMIT
#undef TOK_ROW_END
#undef TOK_ROW_START
}
