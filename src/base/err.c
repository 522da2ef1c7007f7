/*
 * err.c — error records and return-code names.
 *
 * First error wins: once a record holds an error, later sets are ignored, so a
 * cleanup path that fails after the real failure cannot hide the cause.
 */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tarn_err_clear(struct tarn_err *err)
{
	if (!err)
		return;
	err->rc = TARN_OK;
	err->msg[0] = '\0';
}

tarn_rc tarn_err_set(struct tarn_err *err, tarn_rc rc, const char *fmt, ...)
{
	if (!err || err->rc != TARN_OK)
		return rc;
	err->rc = rc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return rc;
}

tarn_rc tarn_err_nomem(struct tarn_err *err, const char *what)
{
	return tarn_err_set(err, TARN_ENOMEM, "out of memory (%s)", what);
}

const char *tarn_rc_name(tarn_rc rc)
{
	switch (rc) {
	case TARN_OK: return "ok";
	case TARN_EUSAGE: return "usage error";
	case TARN_EDATA: return "bad input data";
	case TARN_EIO: return "I/O error";
	case TARN_ENOMEM: return "out of memory";
	case TARN_EUNSUPPORTED: return "unsupported";
	case TARN_ELIMIT: return "limit exceeded";
	case TARN_EINTERNAL: return "internal error";
	case TARN_ENOTFOUND: return "not found";
	}
	return "unknown error";
}

int tarn_rc_exit_code(tarn_rc rc)
{
	switch (rc) {
	case TARN_OK: return 0;
	case TARN_EUSAGE: return 1;
	case TARN_EDATA: return 2;
	case TARN_ELIMIT: return 2;
	case TARN_EIO: return 3;
	case TARN_ENOMEM: return 4;
	case TARN_EUNSUPPORTED: return 5;
	case TARN_ENOTFOUND: return 6;
	case TARN_EINTERNAL: return 70;
	}
	return 70;
}
