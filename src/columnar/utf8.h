/*
 * utf8.h — UTF-8 validation (RFC 3629: no overlongs, no surrogates, max
 * U+10FFFF). The ASCII fast path checks 8 bytes at a time.
 */
#ifndef TARN_COLUMNAR_UTF8_H
#define TARN_COLUMNAR_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if p[0..n) is valid UTF-8; otherwise *bad_at = offset of the first
 * invalid byte. */
bool tarn_utf8_valid(const uint8_t *p, size_t n, size_t *bad_at);

#endif
