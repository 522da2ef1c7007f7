/*
 * demo.h — the synthetic raw tables `tarn demo` writes (demo_data.c).
 */
#ifndef TARN_CLI_DEMO_H
#define TARN_CLI_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tarn.h"

/* Text grown with realloc; failed is set (and the text incomplete) when
 * memory ran out. */
struct demo_text {
	char *data;
	size_t len, cap;
	bool failed;
};

void demo_text_free(struct demo_text *t);
/* A churn table: header + ROWS lines of CSV. */
void demo_customers_csv(uint64_t seed, int rows, struct demo_text *t);
/* A card-fraud table: ROWS JSON Lines records. */
void demo_transactions_jsonl(uint64_t seed, int rows, struct demo_text *t);

#endif
