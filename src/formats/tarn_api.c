/*
 * tarn_api.c — small public functions the command-line tool needs that are
 * not part of one format: see the "added for the CLI" section of
 * include/tarn.h.
 *
 * Relies on base/io.h for atomic outputs. Thread-safety: none needed (no
 * shared state).
 */
#include "base/err.h"
#include "base/io.h"
#include "tarn.h"

tarn_rc tarn_file_write_atomic(const char *path, const void *data, size_t n, struct tarn_err *err)
{
	struct tarn_output *o;
	/* Codec NONE: the bytes are written as given, whatever the suffix. */
	TRY(tarn_output_open(path, TARN_CODEC_NONE, 0, &o, err));
	tarn_rc rc = tarn_output_write(o, data, n, err);
	if (rc == TARN_OK)
		rc = tarn_output_commit(o, err);
	tarn_output_close(o); /* unlinks the temporary if the commit did not happen */
	return rc;
}
