/*
 * unit.h — a minimal unit-test harness. Each tests/unit/<name>.c is one
 * binary: define tests with TEST(name) { ... }, list them in main with
 * RUN(name), end with return unit_done(). CHECK records a failure and goes
 * on; REQUIRE stops the current test.
 *
 * Output: one line per failed check, then "<file>: N passed, N failed".
 */
#ifndef TARN_TESTS_UNIT_H
#define TARN_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_checks, unit_tests_passed, unit_tests_failed, unit_cur_failed;

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                        \
	do {                                                             \
		unit_cur_failed = 0;                                     \
		test_##name();                                           \
		if (unit_cur_failed) {                                   \
			unit_tests_failed++;                             \
			fprintf(stderr, "FAIL %s\n", #name);             \
		} else {                                                 \
			unit_tests_passed++;                             \
		}                                                        \
	} while (0)

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,     \
				__LINE__, #cond);                                  \
			unit_cur_failed = 1;                                       \
			unit_failed_checks++;                                      \
		}                                                                  \
	} while (0)

#define REQUIRE(cond)                                                              \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, \
				__LINE__, #cond);                                  \
			unit_cur_failed = 1;                                       \
			unit_failed_checks++;                                      \
			return;                                                    \
		}                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                             \
	do {                                                                        \
		const char *ca_ = (a), *cb_ = (b);                                  \
		if (!ca_ || !cb_ || strcmp(ca_, cb_) != 0) {                        \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
				ca_ ? ca_ : "(null)", cb_ ? cb_ : "(null)");        \
			unit_cur_failed = 1;                                        \
			unit_failed_checks++;                                       \
		}                                                                   \
	} while (0)

/* Checks that haystack contains needle (error-message tests). */
#define CHECK_CONTAINS(hay, needle)                                                 \
	do {                                                                        \
		const char *h_ = (hay), *n_ = (needle);                             \
		if (!h_ || !strstr(h_, n_)) {                                       \
			fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n",  \
				__FILE__, __LINE__, h_ ? h_ : "(null)", n_);        \
			unit_cur_failed = 1;                                        \
			unit_failed_checks++;                                       \
		}                                                                   \
	} while (0)

static inline int unit_done(void)
{
	printf("%d passed, %d failed\n", unit_tests_passed, unit_tests_failed);
	return unit_tests_failed ? 1 : 0;
}

#endif
