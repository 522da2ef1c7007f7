/*
 * sql_type.c — maps a SQL type as written (struct sql_type) onto tarn's
 * column type tree (columnar/type.h), for the binder and for CREATE TABLE.
 *
 * The mapping follows DuckDB where the two differ from Postgres (FLOAT is
 * 32-bit, DECIMAL without modifiers is DECIMAL(18,3), JSON is text). Types
 * tarn's columns cannot hold are reported, not approximated.
 *
 * Relies on columnar/type.h. Thread-safety: pure function of its inputs.
 */
#include <string.h>

#include "base/err.h"
#include "columnar/type.h"
#include "sql/ast.h"
#include "sql/parse.h"

static tarn_rc type_error(struct tarn_err *err, tarn_rc rc, const char *text, size_t len,
			  const struct sql_type *t, const char *msg)
{
	if (text)
		return sql_err_at(err, rc, text, len, t->loc, "type error", "%s", msg);
	return tarn_err_set(err, rc, "type error: %s", msg);
}

static enum tarn_time_unit precision_unit(int64_t p)
{
	return p == 0 ? TARN_UNIT_S : p <= 3 ? TARN_UNIT_MS : p <= 6 ? TARN_UNIT_US : TARN_UNIT_NS;
}

tarn_rc sql_type_to_tarn(const struct sql_type *t, const char *text, size_t len,
			 struct tarn_type *out, struct tarn_err *err)
{
	static const enum tarn_type_id simple[] = {
		[SQL_TYPE_BOOLEAN] = TARN_T_BOOL,     [SQL_TYPE_TINYINT] = TARN_T_INT8,
		[SQL_TYPE_SMALLINT] = TARN_T_INT16,   [SQL_TYPE_INTEGER] = TARN_T_INT32,
		[SQL_TYPE_BIGINT] = TARN_T_INT64,     [SQL_TYPE_UTINYINT] = TARN_T_UINT8,
		[SQL_TYPE_USMALLINT] = TARN_T_UINT16, [SQL_TYPE_UINTEGER] = TARN_T_UINT32,
		[SQL_TYPE_UBIGINT] = TARN_T_UINT64,   [SQL_TYPE_FLOAT] = TARN_T_FLOAT32,
		[SQL_TYPE_DOUBLE] = TARN_T_FLOAT64,   [SQL_TYPE_VARCHAR] = TARN_T_STRING,
		[SQL_TYPE_JSON] = TARN_T_STRING,      [SQL_TYPE_BLOB] = TARN_T_BINARY,
		[SQL_TYPE_DATE] = TARN_T_DATE32,
	};
	memset(out, 0, sizeof *out);
	switch (t->id) {
	case SQL_TYPE_BOOLEAN:
	case SQL_TYPE_TINYINT:
	case SQL_TYPE_SMALLINT:
	case SQL_TYPE_INTEGER:
	case SQL_TYPE_BIGINT:
	case SQL_TYPE_UTINYINT:
	case SQL_TYPE_USMALLINT:
	case SQL_TYPE_UINTEGER:
	case SQL_TYPE_UBIGINT:
	case SQL_TYPE_FLOAT:
	case SQL_TYPE_DOUBLE:
	case SQL_TYPE_VARCHAR:
	case SQL_TYPE_JSON:
	case SQL_TYPE_BLOB:
	case SQL_TYPE_DATE:
		tarn_type_init(out, simple[t->id]);
		return TARN_OK;
	case SQL_TYPE_DECIMAL: {
		int64_t p = t->n_mods ? t->mods[0] : 18, s = t->n_mods == 2 ? t->mods[1] : t->n_mods ? 0 : 3;
		if (p < 1 || p > 38 || s < 0 || s > p)
			return type_error(err, TARN_EDATA, text, len, t,
					  "DECIMAL(p, s) needs 1 <= p <= 38 and 0 <= s <= p");
		tarn_type_init_decimal(out, (int)p, (int)s);
		return TARN_OK;
	}
	case SQL_TYPE_TIME:
		if (t->with_tz)
			return type_error(err, TARN_EUNSUPPORTED, text, len, t,
					  "TIME WITH TIME ZONE is not supported; use TIME or "
					  "TIMESTAMP WITH TIME ZONE");
		tarn_type_init_time(out, TARN_UNIT_US);
		return TARN_OK;
	case SQL_TYPE_TIMESTAMP: {
		enum tarn_time_unit u = TARN_UNIT_US;
		switch (t->ts_unit) {
		case SQL_TS_S: u = TARN_UNIT_S; break;
		case SQL_TS_MS: u = TARN_UNIT_MS; break;
		case SQL_TS_NS: u = TARN_UNIT_NS; break;
		default: break;
		}
		if (t->n_mods) {
			if (t->n_mods > 1 || t->mods[0] > 9)
				return type_error(err, TARN_EDATA, text, len, t,
						  "TIMESTAMP(p) needs a precision 0..9");
			u = precision_unit(t->mods[0]);
		}
		if (tarn_type_init_timestamp(out, u, t->with_tz ? "UTC" : NULL) != TARN_OK)
			return tarn_err_nomem(err, "SQL type");
		return TARN_OK;
	}
	case SQL_TYPE_LIST: {
		struct tarn_type item;
		TRY(sql_type_to_tarn(t->elem, text, len, &item, err));
		if (tarn_type_init_list(out, &item, true) != TARN_OK) {
			tarn_type_clear(&item);
			return tarn_err_nomem(err, "SQL type");
		}
		return TARN_OK;
	}
	case SQL_TYPE_STRUCT: {
		if (tarn_type_init_struct(out, t->n_fields) != TARN_OK)
			return tarn_err_nomem(err, "SQL type");
		for (int i = 0; i < t->n_fields; i++) {
			struct tarn_field *f = &out->children[i];
			tarn_rc rc = tarn_field_set_name(f, t->fields[i].name.s, t->fields[i].name.len);
			if (rc != TARN_OK)
				rc = tarn_err_nomem(err, "SQL type");
			else
				rc = sql_type_to_tarn(t->fields[i].type, text, len, &f->type, err);
			if (rc != TARN_OK) {
				tarn_type_clear(out);
				return rc;
			}
		}
		return TARN_OK;
	}
	case SQL_TYPE_MAP: {
		struct tarn_type k, v;
		TRY(sql_type_to_tarn(t->key, text, len, &k, err));
		tarn_rc rc = sql_type_to_tarn(t->value, text, len, &v, err);
		if (rc != TARN_OK) {
			tarn_type_clear(&k);
			return rc;
		}
		if (tarn_type_init_map(out, &k, &v, true) != TARN_OK) {
			tarn_type_clear(&k);
			tarn_type_clear(&v);
			return tarn_err_nomem(err, "SQL type");
		}
		return TARN_OK;
	}
	case SQL_TYPE_INTERVAL:
		tarn_type_init(out, TARN_T_INTERVAL);
		return TARN_OK;
	case SQL_TYPE_HUGEINT:
	case SQL_TYPE_UHUGEINT:
	case SQL_TYPE_UUID:
		return type_error(err, TARN_EUNSUPPORTED, text, len, t,
				  "this type cannot be stored in tarn's columns (HUGEINT, "
				  "UHUGEINT and UUID are not supported)");
	case SQL_TYPE_NAMED:
		break;
	}
	if (text)
		return sql_err_at(err, TARN_ENOTFOUND, text, len, t->loc, "type error",
				  "unknown type '%s'", t->name);
	return tarn_err_set(err, TARN_ENOTFOUND, "type error: unknown type '%s'", t->name);
}
