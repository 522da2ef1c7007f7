/* utf8.c — UTF-8 validation (see utf8.h). */
#include "columnar/utf8.h"

#include <string.h>

bool tarn_utf8_valid(const uint8_t *p, size_t n, size_t *bad_at)
{
	size_t i = 0;
	while (i < n) {
		/* ASCII fast path, 8 bytes at a time. */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		if (i + len > n)
			goto bad;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			goto bad;
		i += len;
	}
	return true;
bad:
	if (bad_at)
		*bad_at = i;
	return false;
}
