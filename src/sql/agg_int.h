/*
 * agg_int.h — aggregate kernels op_agg.c shares with the window operator
 * (op_window.c), so both compute the same values the same way.
 */
#ifndef TARN_SQL_AGG_INT_H
#define TARN_SQL_AGG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sql/exec.h"

/* A number as a double (decimals scaled). */
double ex_agg_load_f64(const struct tarn_array *a, int64_t i);
/* An integer's 64-bit pattern (signed types sign-extended). */
uint64_t ex_agg_load_bits(const struct tarn_array *a, int64_t i);

/* The discrete quantile's position in a sorted slice of n: ceil(n * q) - 1
 * (at least 0), exact when q was written as q_num / q_den (q_den > 0). */
int64_t ex_agg_disc_pos(double q, tarn_i128 q_num, int64_t q_den, int64_t n);

/* A quantile fraction (row i of number array c): *q, and exactly as
 * *num / *den when it was an integer or a decimal (else *den = 0). */
void ex_agg_quantile_frac(const struct tarn_array *c, int64_t i, double *q, tarn_i128 *num,
			  int64_t *den);

/* Appends quantile_cont's interpolation between rows xr and yr of val
 * (the values at floor and ceil of (n - 1) * q), frac = the fractional
 * part, to dst: float64 for numbers, the same type for decimals, dates
 * and timestamps (integral representations rounded to the nearest). */
TARN_MUST_USE tarn_rc ex_agg_cont_append(const struct tarn_array *val, int64_t xr, int64_t yr,
					 double frac, struct tarn_array *dst);

/* corr, covar_pop/samp and regr_* of n pairs (a, v) from their co-moments:
 * means ma and mv, sums of squared deviations m2a, m2v and of cross
 * deviations cxy. False: the result is NULL. */
bool ex_agg_comoment_value(enum ex_agg_fn fn, double n, double ma, double mv, double m2a,
			   double m2v, double cxy, double *out);

#endif
