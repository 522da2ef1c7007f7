/*
 * str.c — small string helpers shared across layers: the edit distance
 * behind every "did you mean ...?" hint (CLI options and commands, SQL
 * names and functions).
 *
 * Thread-safety: pure functions.
 */
#include <string.h>

#include "tarn.h"

int tarn_edit_distance(const char *a, const char *b, bool fold_case)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99; /* hints are for names, not text */
	int prev[64], cur[64];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			char x = a[i - 1], y = b[j - 1];
			if (fold_case) {
				x = (char)(x >= 'A' && x <= 'Z' ? x + 32 : x);
				y = (char)(y >= 'A' && y <= 'Z' ? y + 32 : y);
			}
			int sub = prev[j - 1] + (x != y);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *cur);
	}
	return prev[lb];
}
