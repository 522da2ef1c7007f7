/*
 * demo_data.c — the synthetic tables behind `tarn demo`, as raw text the way
 * they would arrive from upstream systems (CSV export, JSON Lines API dump).
 *
 * Deterministic: a fixed seed and integer arithmetic only (no libm, no
 * locale), so every machine generates byte-identical files. The tables carry
 * realistic traps on purpose:
 *   customers (churn): zip codes with leading zeros; a few blank
 *     support_calls; account_cancel_date is set only for churned customers,
 *     and retention_offer_accepted is recorded only around churn decisions —
 *     both leak the target `churned`.
 *   transactions (fraud): about 3% fraud; recovery_ticket_id is non-null
 *     only for fraud and chargeback_amount is almost always the amount for
 *     fraud and 0 otherwise — both leak the target `is_fraud`.
 *
 * Part of the CLI (demo content, not library logic); memory from libc.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo.h"

/* splitmix64: plenty for demo content, and its output never changes. */
static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t pick(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next_u64(s) % (uint64_t)(hi - lo + 1));
}

/* True with probability permille / 1000. */
static bool chance(uint64_t *s, int64_t permille)
{
	return pick(s, 0, 999) < permille;
}

static void put(struct demo_text *t, const char *fmt, ...) TARN_PRINTF(2, 3);
static void put(struct demo_text *t, const char *fmt, ...)
{
	if (t->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = t->cap - t->len;
		int k = vsnprintf(t->data ? t->data + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (k < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)k < room) {
			t->len += (size_t)k;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 65536;
		while (cap - t->len <= (size_t)k)
			cap *= 2;
		char *d = realloc(t->data, cap);
		if (!d) {
			t->failed = true;
			return;
		}
		t->data = d;
		t->cap = cap;
	}
}

void demo_text_free(struct demo_text *t)
{
	free(t->data);
	memset(t, 0, sizeof *t);
}

/* Days since 1970-01-01 <-> civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void put_date(struct demo_text *t, int64_t days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	put(t, "%04d-%02d-%02d", y, m, d);
}

static void put_money(struct demo_text *t, int64_t cents)
{
	put(t, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

void demo_customers_csv(uint64_t seed, int rows, struct demo_text *t)
{
	static const char *const regions[] = { "north", "east", "south", "central", "west" };
	/* zip ranges per region: the north and part of the east start with 0. */
	static const int zip_lo[] = { 1001, 6001, 20001, 40001, 80001 };
	static const int zip_hi[] = { 5999, 19999, 39999, 69999, 99950 };
	const int64_t first = days_from_civil(2019, 1, 1), today = days_from_civil(2024, 12, 31);
	uint64_t s = seed;
	put(t, "customer_id,signup_date,plan,monthly_charges,tenure_months,support_calls,"
	       "region,zip,churned,account_cancel_date,retention_offer_accepted\n");
	for (int i = 0; i < rows; i++) {
		int64_t signup = pick(&s, first, today - 60);
		int64_t plan_roll = pick(&s, 0, 99);
		int plan = plan_roll < 50 ? 0 : plan_roll < 85 ? 1 : 2;
		static const char *const plans[] = { "basic", "standard", "premium" };
		static const int64_t lo[] = { 1999, 4999, 8999 }, hi[] = { 3499, 6999, 11999 };
		int64_t cents = pick(&s, lo[plan], hi[plan]);
		int calls = 0;
		while (calls < 12 && chance(&s, calls < 2 ? 550 : 350))
			calls++;
		int region = (int)pick(&s, 0, 4);
		int zip = (int)pick(&s, zip_lo[region], zip_hi[region]);
		int64_t months_possible = (today - signup) / 30;
		/* Churn risk in permille: support pain, cheap plans, short tenure. */
		int64_t risk = 150 + 60 * calls + (plan == 0 ? 80 : plan == 2 ? -40 : 0) -
			       2 * (months_possible < 36 ? months_possible : 36) +
			       (cents > 10000 ? 40 : 0);
		risk = risk < 20 ? 20 : risk > 900 ? 900 : risk;
		bool churned = chance(&s, risk);
		int64_t tenure = months_possible, cancel = -1;
		if (churned) {
			tenure = months_possible > 1 ? pick(&s, 1, months_possible) : 1;
			cancel = signup + tenure * 30 + pick(&s, 0, 20);
			if (cancel > today)
				cancel = today;
		}
		put(t, "%d,", 10001 + i);
		put_date(t, signup);
		put(t, ",%s,", plans[plan]);
		put_money(t, cents);
		put(t, ",%lld,", (long long)tenure);
		if (chance(&s, 10))
			put(t, ","); /* not captured by the support system */
		else
			put(t, "%d,", calls);
		put(t, "%s,%05d,%s,", regions[region], zip, churned ? "true" : "false");
		if (cancel >= 0)
			put_date(t, cancel);
		put(t, ",");
		if (churned)
			put(t, "%s", chance(&s, 900) ? "false" : "");
		else
			put(t, "%s", chance(&s, 80) ? "true" : "");
		put(t, "\n");
	}
}

void demo_transactions_jsonl(uint64_t seed, int rows, struct demo_text *t)
{
	static const char *const cats[] = { "grocery",    "restaurants", "gas",    "online_retail",
					    "electronics", "travel",     "jewelry" };
	static const int64_t amt_lo[] = { 300, 800, 1500, 500, 3000, 5000, 8000 };
	static const int64_t amt_hi[] = { 18000, 22000, 9000, 60000, 250000, 400000, 600000 };
	static const int cat_weight[] = { 30, 22, 15, 18, 7, 5, 3 }; /* percent */
	static const char *const countries[] = { "US", "US", "US", "US", "US", "US", "US",
						 "CA", "GB", "DE", "FR", "BR", "NG", "IN" };
	uint64_t s = seed;
	int64_t ts = days_from_civil(2024, 3, 1) * 86400;
	for (int i = 0; i < rows; i++) {
		ts += pick(&s, 5, 1000);
		int64_t roll = pick(&s, 0, 99), acc = 0;
		int cat = 0;
		for (; cat < 6; cat++) {
			acc += cat_weight[cat];
			if (roll < acc)
				break;
		}
		int64_t cents = pick(&s, amt_lo[cat], amt_hi[cat]);
		/* Most purchases are small: fold large draws back down. */
		if (chance(&s, 700))
			cents = amt_lo[cat] + (cents - amt_lo[cat]) / 8;
		bool present = cat != 3 && chance(&s, 820);
		const char *country = countries[pick(&s, 0, 13)];
		bool foreign = strcmp(country, "US") != 0;
		int64_t risk = 4 + (present ? 0 : 25) + (foreign ? 30 : 0) +
			       (cents > 100000 ? 40 : 0) + (cat >= 4 ? 20 : 0);
		bool fraud = chance(&s, risk);
		int64_t day = ts / 86400, sec = ts % 86400;
		int y, m, d;
		civil_from_days(day, &y, &m, &d);
		put(t,
		    "{\"txn_id\":%d,\"ts\":\"%04d-%02d-%02dT%02lld:%02lld:%02lldZ\",\"amount\":",
		    900001 + i, y, m, d, (long long)(sec / 3600), (long long)(sec / 60 % 60),
		    (long long)(sec % 60));
		put_money(t, cents);
		put(t,
		    ",\"merchant_category\":\"%s\",\"card_present\":%s,\"country\":\"%s\","
		    "\"is_fraud\":%s,\"recovery_ticket_id\":",
		    cats[cat], present ? "true" : "false", country, fraud ? "true" : "false");
		if (fraud)
			put(t, "\"RT-%06lld\"", (long long)pick(&s, 0, 999999));
		else
			put(t, "null");
		put(t, ",\"chargeback_amount\":");
		if (fraud)
			put_money(t, chance(&s, 850) ? cents : cents / 2);
		else if (chance(&s, 15))
			put_money(t, pick(&s, 100, cents)); /* an ordinary dispute */
		else
			put(t, "0.00");
		put(t, "}\n");
	}
}
