/*
 * lake.h — SQL tables stored as Parquet part files under
 * $TARN_HOME/lake/tables/NAME/ (lake.c has the layout and its guarantees).
 */
#ifndef TARN_SQL_LAKE_H
#define TARN_SQL_LAKE_H

#include "sql/bind.h"

/* The lake root: env->home, else $TARN_HOME, else ./tarn-data. */
const char *sql_lake_home(const struct sql_env *e);
/* The directory of table `name` (lower-cased); TARN_EUSAGE for a name
 * that is not letters, digits, '_' and '-'. */
TARN_MUST_USE tarn_rc sql_lake_dir(const struct sql_env *e, const char *name, char *out,
				   size_t cap, struct tarn_err *err);
/* True when the table exists; its directory in out. */
bool sql_lake_exists(const struct sql_env *e, const char *name, char *out, size_t cap);
/* CREATE TABLE: the rows of plan (taken over; its output types are
 * schema's) become the table's first part, the directory swapped in
 * atomically (replacing an existing one when replace). */
TARN_MUST_USE tarn_rc sql_lake_create(const char *dir, struct ex_op *plan,
				      const struct ex_opts *xo, struct tarn_schema *schema,
				      bool replace, int64_t *rows, struct tarn_err *err);
/* INSERT: the rows of plan (taken over) as a new part file. */
TARN_MUST_USE tarn_rc sql_lake_insert(const char *dir, struct ex_op *plan,
				      const struct ex_opts *xo, struct tarn_schema *schema,
				      int64_t *rows, struct tarn_err *err);
/* DEFAULT values: the one-row result of plan (taken over; one column per
 * column with a default, named after it) kept beside the parts as
 * _defaults.parquet (hidden from reads of the table). */
TARN_MUST_USE tarn_rc sql_lake_set_defaults(const char *dir, struct ex_op *plan,
					    const struct ex_opts *xo, struct tarn_err *err);
/* That row, or *out = NULL when the table has no defaults. */
TARN_MUST_USE tarn_rc sql_lake_defaults(const char *dir, struct tarn_batch **out,
					struct tarn_err *err);
/* The table's schema (read from its part files). */
TARN_MUST_USE tarn_rc sql_lake_schema(const char *dir, struct tarn_schema **out,
				      struct tarn_err *err);
TARN_MUST_USE tarn_rc sql_lake_drop(const char *dir, struct tarn_err *err);
/* Names of the tables in the lake, sorted (each and the array: tarn_free). */
TARN_MUST_USE tarn_rc sql_lake_list(const struct sql_env *e, char ***out, int *n);

#endif
