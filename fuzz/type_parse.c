/*
 * type_parse.c — fuzz target for the type-text parser (tarn_type_parse), the
 * parser behind --types and schema files. Every type that parses must print
 * to text that parses back to an equal type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "columnar/type.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = tarn_strndup((const char *)data, size);
	if (!text)
		return 0;
	struct tarn_err err;
	tarn_err_clear(&err);
	struct tarn_type t;
	if (tarn_type_parse(text, &t, &err) == TARN_OK) {
		struct tarn_buf b;
		tarn_buf_init(&b);
		if (tarn_type_to_text(&t, &b) == TARN_OK && tarn_buf_cstr(&b) == TARN_OK) {
			struct tarn_type t2;
			tarn_err_clear(&err);
			if (tarn_type_parse(b.data, &t2, &err) != TARN_OK)
				abort(); /* printed text must parse */
			if (!tarn_type_equal(&t, &t2))
				abort(); /* and mean the same type */
			tarn_type_clear(&t2);
		}
		tarn_buf_free(&b);
		tarn_type_clear(&t);
	}
	tarn_free(text);
	return 0;
}
