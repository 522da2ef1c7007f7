/*
 * err.h — the error model inside the library.
 *
 * Every fallible function returns tarn_rc and takes a nullable struct tarn_err *
 * that receives the first error's message (see include/tarn.h). TRY() keeps the
 * happy path readable; the goto-out pattern handles cleanup.
 */
#ifndef TARN_BASE_ERR_H
#define TARN_BASE_ERR_H

#include "tarn.h"

#define TRY(expr)                                 \
	do {                                      \
		tarn_rc try_rc_ = (expr);         \
		if (try_rc_ != TARN_OK)           \
			return try_rc_;           \
	} while (0)

/* Sets rc and jumps to out: requires a local `tarn_rc rc` and label `out`. */
#define TRY_OUT(expr)                    \
	do {                             \
		rc = (expr);             \
		if (rc != TARN_OK)       \
			goto out;        \
	} while (0)

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Out-of-memory error with where it happened. */
tarn_rc tarn_err_nomem(struct tarn_err *err, const char *what);

#endif
