/*
 * type.h — logical types, fields and schemas.
 *
 * A type is a tree: list has one child field ("item"), struct has one per
 * member, map has one child "entries" of type struct<key, value> (Arrow's
 * layout, so export is direct). A schema is the list of top-level fields; it
 * is immutable once built and shared by reference count between a reader and
 * every batch it produces.
 *
 * Physical storage per type (see array.h): bool bits; int8..64 and uint8..64
 * native little-endian; float32/64 IEEE; decimal128 16-byte two's complement;
 * string/binary int32 offsets + bytes; date32 int32 days since 1970-01-01;
 * time64 int64 in `unit` since midnight; timestamp int64 in `unit` since the
 * epoch (UTC when tz is set, wall-clock when tz is NULL); interval 16 bytes,
 * struct tarn_interval (months, days, microseconds: DuckDB's parts, each
 * signed and kept apart because a month and a day have no fixed length).
 */
#ifndef TARN_COLUMNAR_TYPE_H
#define TARN_COLUMNAR_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "tarn.h"

enum tarn_type_id {
	TARN_T_NULL = 0,
	TARN_T_BOOL,
	TARN_T_INT8,
	TARN_T_INT16,
	TARN_T_INT32,
	TARN_T_INT64,
	TARN_T_UINT8,
	TARN_T_UINT16,
	TARN_T_UINT32,
	TARN_T_UINT64,
	TARN_T_FLOAT32,
	TARN_T_FLOAT64,
	TARN_T_DECIMAL128,
	TARN_T_STRING,
	TARN_T_BINARY,
	TARN_T_DATE32,
	TARN_T_TIME64,
	TARN_T_TIMESTAMP,
	TARN_T_LIST,
	TARN_T_STRUCT,
	TARN_T_MAP,
	TARN_T_INTERVAL,
	TARN_T__COUNT
};

enum tarn_time_unit { TARN_UNIT_S = 0, TARN_UNIT_MS, TARN_UNIT_US, TARN_UNIT_NS };

/* How an Arrow producer stores a type whose tarn layout differs (see
 * struct tarn_type.arrow_storage). */
enum tarn_arrow_storage {
	TARN_ARROW_NATIVE = 0,  /* tarn's own layout */
	TARN_ARROW_LARGE,       /* int64 offsets: large_utf8, large_binary, large_list */
	TARN_ARROW_DATE64,      /* date32 arriving as int64 milliseconds */
};

struct tarn_field;

struct tarn_type {
	enum tarn_type_id id;
	uint8_t unit;      /* TIME64, TIMESTAMP: enum tarn_time_unit */
	uint8_t precision; /* DECIMAL128: 1..38 */
	uint8_t scale;     /* DECIMAL128: 0..precision */
	/* Set only by tarn_schema_import, read by tarn_batch_import: the
	 * producer's storage when it differs from tarn's (enum
	 * tarn_arrow_storage), and for a dictionary-encoded field the type id
	 * of its indices (0 = not encoded; values are materialised on import).
	 * tarn_type_equal ignores both; all other code leaves them 0. */
	uint8_t arrow_storage;
	uint8_t arrow_dict_index;
	char *tz;          /* TIMESTAMP: NULL = no time zone */
	int n_children;
	struct tarn_field *children;
};

struct tarn_field {
	char *name;
	bool nullable;
	struct tarn_type type;
	char *note; /* inference remark shown by `tarn schema`, or NULL */
};

struct tarn_schema {
	int refs;
	int n_fields;
	struct tarn_field *fields;
};

typedef __int128 tarn_i128;

/* One TARN_T_INTERVAL value as stored (16 bytes, little-endian). */
struct tarn_interval {
	int32_t months;
	int32_t days;
	int64_t micros;
};

/* Bytes per value for fixed-width types; 0 for bool (bits) and
 * variable-width/nested types. */
int tarn_type_width(enum tarn_type_id id);
bool tarn_type_is_integer(enum tarn_type_id id);
bool tarn_type_is_signed(enum tarn_type_id id);
/* Integers, date32, time64 and timestamp but not uint64: every value is
 * exactly an int64, read with tarn_array_get_int and ordered as one. */
bool tarn_type_is_int64_exact(enum tarn_type_id id);
bool tarn_type_is_nested(enum tarn_type_id id);
const char *tarn_type_id_name(enum tarn_type_id id);
const char *tarn_time_unit_name(enum tarn_time_unit u); /* "s","ms","us","ns" */
int64_t tarn_time_unit_per_second(enum tarn_time_unit u);

/* Simple types; nested types are built with tarn_type_init_list etc. */
void tarn_type_init(struct tarn_type *t, enum tarn_type_id id);
void tarn_type_init_decimal(struct tarn_type *t, int precision, int scale);
TARN_MUST_USE tarn_rc tarn_type_init_timestamp(struct tarn_type *t, enum tarn_time_unit u,
					       const char *tz);
void tarn_type_init_time(struct tarn_type *t, enum tarn_time_unit u);
/* item is moved into the new list type (the caller's copy is cleared). */
TARN_MUST_USE tarn_rc tarn_type_init_list(struct tarn_type *t, struct tarn_type *item,
					  bool item_nullable);
/* Struct with n (initially unnamed, null-typed, nullable) members to fill in. */
TARN_MUST_USE tarn_rc tarn_type_init_struct(struct tarn_type *t, int n);
/* Map; key and value moved in. */
TARN_MUST_USE tarn_rc tarn_type_init_map(struct tarn_type *t, struct tarn_type *key,
					 struct tarn_type *value, bool value_nullable);
TARN_MUST_USE tarn_rc tarn_type_copy(struct tarn_type *dst, const struct tarn_type *src);
void tarn_type_clear(struct tarn_type *t);
bool tarn_type_equal(const struct tarn_type *a, const struct tarn_type *b);

/* Canonical text: "int64", "decimal(15,2)", "timestamp[us, UTC]",
 * "list<string>", "struct<a: int64, b: string>", "map<string, int64>". */
TARN_MUST_USE tarn_rc tarn_type_to_text(const struct tarn_type *t, struct tarn_buf *out);
/* Parses the text above (also accepts aliases: int, bigint, integer, float,
 * double, real, bool, boolean, varchar, text, str, bytes, date, time,
 * timestamp, timestamptz, datetime). */
TARN_MUST_USE tarn_rc tarn_type_parse(const char *text, struct tarn_type *out,
				      struct tarn_err *err);

/* Field helpers. name is copied. */
TARN_MUST_USE tarn_rc tarn_field_set_name(struct tarn_field *f, const char *name, size_t n);
TARN_MUST_USE tarn_rc tarn_field_set_note(struct tarn_field *f, const char *note);
TARN_MUST_USE tarn_rc tarn_field_copy(struct tarn_field *dst, const struct tarn_field *src);
void tarn_field_clear(struct tarn_field *f);

/* A schema with n zeroed fields (refs = 1); fill them in, then share. */
TARN_MUST_USE tarn_rc tarn_schema_new(int n, struct tarn_schema **out);
TARN_MUST_USE tarn_rc tarn_schema_copy(const struct tarn_schema *s, struct tarn_schema **out);
bool tarn_schema_equal(const struct tarn_schema *a, const struct tarn_schema *b);

#endif
