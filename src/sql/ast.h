/*
 * ast.h — the syntax tree of tarn's SQL dialect: the contract between the
 * parser (parse.h) and the binder.
 *
 * The tree is purely syntactic: names are not resolved, types are spelled as
 * written (struct sql_type; sql_type_to_tarn maps them onto columnar/type.h),
 * and nothing is checked that needs a catalog. docs/sql.md describes the
 * accepted syntax; this header describes the shape it parses into.
 *
 * Conventions that hold for every node:
 *   1. Memory: every node, array and string lives in the struct tarn_arena
 *      passed to sql_parse; freeing the arena frees the whole tree. Nodes are
 *      immutable after parsing (the binder may annotate copies, not these).
 *   2. Strings are NUL-terminated UTF-8 with an explicit length; SQL text
 *      containing NUL bytes or invalid UTF-8 is rejected before parsing, and
 *      escape sequences that would produce either are errors.
 *   3. Locations: every node with syntax of its own (expression, type, name,
 *      query, FROM item, statement, ORDER BY item, window, frame bound, GROUP
 *      BY element) has `loc`, the byte offset of its first token in the
 *      script text (struct sql_script.text); pairs such as struct sql_arg or
 *      struct sql_when are located by their members. sql_loc_linecol turns
 *      a loc into line:column and sql_err_at formats an error with a caret
 *      snippet.
 *   4. Arrays are (count, pointer) pairs; a count of 0 comes with a NULL or
 *      dangling pointer that must not be read.
 *   5. Optional children are NULL when absent. Optional names have s == NULL.
 *   6. Depth: the parser refuses SQL nested more than SQL_MAX_DEPTH levels
 *      (operators, calls, subqueries; each link of a chain such as a + b + c
 *      or a JOIN chain counts one) or with more than SQL_MAX_PARENS levels of
 *      grouping parentheses, so a tree is at most about 3 * SQL_MAX_DEPTH
 *      nodes high and recursive walkers stay within a few thousand frames.
 *      Long AND/OR chains, runs of one set operation, lists and comma joins
 *      are flat arrays, so generated SQL with thousands of terms stays
 *      shallow. Printing never makes a tree deeper, so whatever parses,
 *      prints to text that parses again.
 *
 * Desugaring done by the parser (so the binder sees fewer forms):
 *   - Typed literals DATE 'x', TIMESTAMP 'x', INTEGER '5' ... become CAST.
 *   - EXTRACT(part FROM x)         -> date_part('part', x)
 *     SUBSTRING(x FROM a FOR b)    -> substring(x, a, b)   (FOR b alone: a = 1)
 *     POSITION(a IN b)             -> strpos(b, a)
 *     TRIM([BOTH|LEADING|TRAILING] [c] FROM x) -> trim|ltrim|rtrim(x [, c])
 *     x ISNULL / x NOTNULL         -> x IS [NOT] NULL
 *     x NOT IN / NOT LIKE / NOT BETWEEN set the node's `not` flag; a NOT
 *     written in front (NOT x IN ..., NOT EXISTS ...) stays a separate
 *     SQL_EXPR_UNARY.
 *   - Unary minus directly on a numeric literal folds into the literal
 *     (so -9223372036854775808 fits int64); `- (1)` folds too.
 *   - CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIME,
 *     LOCALTIMESTAMP are function calls with no_parens set.
 *
 * Thread-safety: a finished tree is read-only and may be shared.
 */
#ifndef TARN_SQL_AST_H
#define TARN_SQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "tarn.h"

/* Limits. Text over SQL_MAX_TEXT bytes, nesting over SQL_MAX_DEPTH and
 * grouping parentheses over SQL_MAX_PARENS are TARN_ELIMIT errors; $n
 * parameters run 1..SQL_MAX_PARAMS (the most a Postgres wire protocol Bind
 * message can carry). */
#define SQL_MAX_TEXT ((size_t)16 << 20)
#define SQL_MAX_DEPTH 1000
#define SQL_MAX_PARENS (2 * SQL_MAX_DEPTH + 100)
#define SQL_MAX_PARAMS 65535

typedef uint32_t sql_loc; /* byte offset into the script text */

struct sql_expr;
struct sql_query;
struct sql_type;
struct sql_window;

/* ---- names ----------------------------------------------------------------- */

/* One identifier. `s` is the spelling with quotes removed and "" undoubled;
 * case is preserved. `quoted` records "..." in the source. tarn follows
 * DuckDB: identifiers match case-insensitively whether quoted or not, and the
 * spelling is kept for output column names. */
struct sql_name {
	const char *s; /* NULL = absent */
	uint32_t len;
	sql_loc loc;
	bool quoted;
};

/* A dotted name a.b.c (n >= 1). */
struct sql_qname {
	int n;
	struct sql_name *parts;
	sql_loc loc;
};

/* ---- types ----------------------------------------------------------------- */

/* Base type names, aliases folded (the spelling is kept in `name`):
 *   BOOLEAN   boolean bool logical
 *   TINYINT   tinyint int1          UTINYINT  utinyint
 *   SMALLINT  smallint int2 short   USMALLINT usmallint
 *   INTEGER   integer int int4 signed            UINTEGER uinteger
 *   BIGINT    bigint int8 long      UBIGINT   ubigint
 *   HUGEINT   hugeint int128        UHUGEINT  uhugeint
 *   FLOAT     real float4 float     (DuckDB: FLOAT is 32-bit)
 *   DOUBLE    double float8, DOUBLE PRECISION
 *   DECIMAL   decimal numeric dec   mods: (p) or (p, s)
 *   VARCHAR   varchar text string char bpchar character nvarchar,
 *             CHARACTER VARYING     mods: (n), kept but not enforced
 *   BLOB      blob bytea varbinary binary
 *   DATE      date
 *   TIME      time [(p)] [WITH|WITHOUT TIME ZONE]
 *   TIMESTAMP timestamp datetime [(p)] [WITH|WITHOUT TIME ZONE]; timestamptz
 *             (with_tz); timestamp_s / timestamp_ms / timestamp_us /
 *             timestamp_ns (unit)
 *   INTERVAL  interval
 *   UUID      uuid
 *   JSON      json
 *   NAMED     any other single name (with optional mods): the binder
 *             resolves it (user types) or reports it unknown.
 * Composite: LIST  T[] or T[n] (elem; fixed_len = n or 0)
 *            STRUCT(name T, ...) (fields), MAP(K, V) (key, value). */
enum sql_type_id {
	SQL_TYPE_NAMED = 0,
	SQL_TYPE_BOOLEAN,
	SQL_TYPE_TINYINT,
	SQL_TYPE_SMALLINT,
	SQL_TYPE_INTEGER,
	SQL_TYPE_BIGINT,
	SQL_TYPE_HUGEINT,
	SQL_TYPE_UTINYINT,
	SQL_TYPE_USMALLINT,
	SQL_TYPE_UINTEGER,
	SQL_TYPE_UBIGINT,
	SQL_TYPE_UHUGEINT,
	SQL_TYPE_FLOAT,
	SQL_TYPE_DOUBLE,
	SQL_TYPE_DECIMAL,
	SQL_TYPE_VARCHAR,
	SQL_TYPE_BLOB,
	SQL_TYPE_DATE,
	SQL_TYPE_TIME,
	SQL_TYPE_TIMESTAMP,
	SQL_TYPE_INTERVAL,
	SQL_TYPE_UUID,
	SQL_TYPE_JSON,
	SQL_TYPE_LIST,
	SQL_TYPE_STRUCT,
	SQL_TYPE_MAP,
};

/* Timestamp unit from the type name (TIMESTAMP_MS ...); DEFAULT = microseconds. */
enum sql_ts_unit { SQL_TS_DEFAULT = 0, SQL_TS_S, SQL_TS_MS, SQL_TS_US, SQL_TS_NS };

struct sql_type_field {
	struct sql_name name;
	struct sql_type *type;
};

struct sql_type {
	enum sql_type_id id;
	sql_loc loc;
	const char *name;  /* the base name as written, lowercased unless quoted ("int4") */
	int n_mods;        /* 0..2 type modifiers: (p), (p, s), (n) */
	int64_t mods[2];
	bool with_tz;      /* TIME/TIMESTAMP WITH TIME ZONE, TIMESTAMPTZ */
	uint8_t ts_unit;   /* enum sql_ts_unit */
	struct sql_type *elem;   /* LIST */
	int64_t fixed_len;       /* LIST written T[n]: n; T[] : 0 */
	int n_fields;            /* STRUCT */
	struct sql_type_field *fields;
	struct sql_type *key, *value; /* MAP */
};

/* ---- expressions ----------------------------------------------------------- */

enum sql_expr_kind {
	SQL_EXPR_LITERAL,  /* lit */
	SQL_EXPR_NAME,     /* name: a, t.a, db.t.a, or struct field paths s.f.g;
			    * the binder decides where the table part ends */
	SQL_EXPR_STAR,     /* star: * or t.* (only as a select item or f(t.*)) */
	SQL_EXPR_PARAM,    /* param: ? or $n */
	SQL_EXPR_UNARY,    /* unary */
	SQL_EXPR_BINARY,   /* binary */
	SQL_EXPR_AND,      /* list: a AND b AND ... (n >= 2, flattened) */
	SQL_EXPR_OR,       /* list: a OR b OR ... (n >= 2, flattened) */
	SQL_EXPR_IS,       /* is: x IS [NOT] NULL|TRUE|FALSE|UNKNOWN */
	SQL_EXPR_BETWEEN,  /* between */
	SQL_EXPR_IN,       /* in: x [NOT] IN (list) or IN (subquery) */
	SQL_EXPR_LIKE,     /* like: [NOT] LIKE|ILIKE|SIMILAR TO|GLOB [ESCAPE] */
	SQL_EXPR_CAST,     /* cast: CAST, TRY_CAST, x::T, typed literals */
	SQL_EXPR_FUNC,     /* func: calls, aggregates, window functions */
	SQL_EXPR_CASE,     /* case_ */
	SQL_EXPR_EXISTS,   /* sub: EXISTS (query); NOT EXISTS is NOT applied to it */
	SQL_EXPR_SUBQUERY, /* sub: (query) as a scalar */
	SQL_EXPR_QUANTIFIED, /* quant: x op ANY|SOME|ALL (query or array expr) */
	SQL_EXPR_ROW,      /* list: (a, b) or ROW(a, ...) */
	SQL_EXPR_ARRAY,    /* list: [a, b] or ARRAY[a, b] list literal */
	SQL_EXPR_STRUCT,   /* struct_: {'k': v, ...} */
	SQL_EXPR_MAP,      /* map: MAP {k: v, ...} */
	SQL_EXPR_INDEX,    /* index: base[i] */
	SQL_EXPR_SLICE,    /* slice: base[lo:hi] (either bound may be NULL) */
	SQL_EXPR_FIELD,    /* field: (expr).name where expr is not a plain name */
	SQL_EXPR_INTERVAL, /* interval: INTERVAL 'text' [unit] | INTERVAL n unit */
};

enum sql_lit_kind {
	SQL_LIT_NULL,
	SQL_LIT_BOOL,
	SQL_LIT_INTEGER, /* text: [-]digits (hex literals converted to decimal) */
	SQL_LIT_DECIMAL, /* text: [-]digits.digits as written, no exponent */
	SQL_LIT_FLOAT,   /* text: with exponent as written ("1.5e-3") */
	SQL_LIT_STRING,  /* text: the decoded string */
};

struct sql_lit {
	enum sql_lit_kind kind;
	bool b;         /* BOOL */
	bool fits_i64;  /* INTEGER: i holds the value */
	int64_t i;
	const char *text;
	uint32_t len;
};

enum sql_op {
	/* unary */
	SQL_OP_NEG,      /* -x */
	SQL_OP_PLUS,     /* +x */
	SQL_OP_NOT,      /* NOT x */
	SQL_OP_BIT_NOT,  /* ~x */
	/* arithmetic */
	SQL_OP_ADD,
	SQL_OP_SUB,
	SQL_OP_MUL,
	SQL_OP_DIV,      /* / */
	SQL_OP_INT_DIV,  /* // */
	SQL_OP_MOD,      /* % */
	SQL_OP_POW,      /* ^ and ** (left-associative, as in Postgres/DuckDB) */
	/* comparison */
	SQL_OP_EQ,       /* = == */
	SQL_OP_NE,       /* <> != */
	SQL_OP_LT,
	SQL_OP_LE,
	SQL_OP_GT,
	SQL_OP_GE,
	SQL_OP_IS_DISTINCT,     /* IS DISTINCT FROM */
	SQL_OP_IS_NOT_DISTINCT, /* IS NOT DISTINCT FROM */
	/* "other operators" (one precedence level) */
	SQL_OP_CONCAT,   /* || */
	SQL_OP_BIT_AND,  /* & */
	SQL_OP_BIT_OR,   /* | */
	SQL_OP_BIT_XOR,  /* # */
	SQL_OP_SHL,      /* << */
	SQL_OP_SHR,      /* >> */
	SQL_OP_REGEX,    /* ~ */
	SQL_OP_IREGEX,   /* ~* */
	SQL_OP_NOT_REGEX,  /* !~ */
	SQL_OP_NOT_IREGEX, /* !~* */
	/* x AT TIME ZONE zone (Postgres: timezone(zone, x)) */
	SQL_OP_AT_TIME_ZONE,
};

enum sql_is_what { SQL_IS_NULL, SQL_IS_TRUE, SQL_IS_FALSE, SQL_IS_UNKNOWN };
enum sql_like_kind { SQL_LIKE, SQL_ILIKE, SQL_SIMILAR, SQL_GLOB };
enum sql_quantifier { SQL_QUANT_ANY, SQL_QUANT_ALL }; /* SOME = ANY */

enum sql_interval_unit {
	SQL_IV_NONE = 0, /* INTERVAL '1 day 2 hours': the text carries units */
	SQL_IV_YEAR,
	SQL_IV_QUARTER,
	SQL_IV_MONTH,
	SQL_IV_WEEK,
	SQL_IV_DAY,
	SQL_IV_HOUR,
	SQL_IV_MINUTE,
	SQL_IV_SECOND,
	SQL_IV_MILLISECOND,
	SQL_IV_MICROSECOND,
	SQL_IV_DECADE,
	SQL_IV_CENTURY,
	SQL_IV_MILLENNIUM,
};

enum sql_sort_dir { SQL_SORT_DEFAULT = 0, SQL_SORT_ASC, SQL_SORT_DESC };
enum sql_nulls_order { SQL_NULLS_DEFAULT = 0, SQL_NULLS_FIRST, SQL_NULLS_LAST };

/* ORDER BY item. In a query's ORDER BY, expr == NULL means ORDER BY ALL. */
struct sql_order_item {
	struct sql_expr *expr;
	enum sql_sort_dir dir;
	enum sql_nulls_order nulls;
	sql_loc loc;
};

/* A function or table-function argument: name.s == NULL for positional;
 * named with name := v, name => v, and (table functions only) name = v. */
struct sql_arg {
	struct sql_name name;
	struct sql_expr *value;
};

enum sql_null_treatment { SQL_NULLS_RESPECT_DEFAULT = 0, SQL_NULLS_IGNORE, SQL_NULLS_RESPECT };

struct sql_func {
	struct sql_qname name;
	int n_args;
	struct sql_arg *args;
	bool star;      /* f(*) (no args) */
	bool distinct;  /* f(DISTINCT ...); f(ALL ...) is the default */
	bool no_parens; /* CURRENT_DATE and friends */
	uint8_t nulls;  /* enum sql_null_treatment: IGNORE|RESPECT NULLS */
	int n_order;    /* f(x ORDER BY y) */
	struct sql_order_item *order;
	int n_within;   /* WITHIN GROUP (ORDER BY ...) */
	struct sql_order_item *within;
	struct sql_expr *filter;  /* FILTER (WHERE ...) */
	struct sql_window *over;  /* OVER ...; NULL when not a window call */
};

struct sql_when {
	struct sql_expr *cond, *result;
};

/* SELECT-list star: [qualifier.]* [EXCLUDE (cols)] [REPLACE (expr AS col, ...)]. */
struct sql_star {
	struct sql_qname qualifier; /* n == 0 for a bare * */
	int n_exclude;
	struct sql_name *exclude;
	int n_replace;
	struct sql_expr **replace_exprs;
	struct sql_name *replace_names;
};

struct sql_expr {
	enum sql_expr_kind kind;
	sql_loc loc;
	union {
		struct sql_lit lit;
		struct sql_qname name;
		struct sql_star star;
		struct {
			int index;  /* 1-based */
			bool anon;  /* written `?` (numbered left to right) */
		} param;
		struct {
			enum sql_op op;
			struct sql_expr *arg;
		} unary;
		struct {
			enum sql_op op;
			struct sql_expr *l, *r;
		} binary;
		struct {       /* AND, OR, ROW, ARRAY */
			int n;
			struct sql_expr **items;
			bool explicit_row; /* ROW: written ROW(...) */
		} list;
		struct {
			enum sql_is_what what;
			bool not;
			struct sql_expr *arg;
		} is;
		struct {
			bool not, symmetric;
			struct sql_expr *arg, *lo, *hi;
		} between;
		struct {
			bool not;
			struct sql_expr *arg;
			int n;                   /* IN (list) */
			struct sql_expr **list;
			struct sql_query *query; /* IN (subquery); then n == 0 */
		} in;
		struct {
			enum sql_like_kind kind;
			bool not;
			struct sql_expr *arg, *pattern, *escape;
		} like;
		struct {
			bool try_;
			struct sql_expr *arg;
			struct sql_type *type;
		} cast;
		struct sql_func func;
		struct {
			struct sql_expr *operand; /* CASE x WHEN ...; NULL for searched CASE */
			int n;
			struct sql_when *whens;
			struct sql_expr *else_;
		} case_;
		struct {
			struct sql_query *query;
		} sub;
		struct {
			enum sql_op op; /* a comparison */
			enum sql_quantifier quant;
			struct sql_expr *arg;
			struct sql_query *query; /* op ANY (SELECT ...) */
			struct sql_expr *array;  /* op ANY (expr); one of query/array */
		} quant;
		struct {
			int n;
			struct sql_name *keys;
			struct sql_expr **values;
		} struct_;
		struct {
			int n;
			struct sql_expr **keys, **values;
		} map;
		struct {
			struct sql_expr *base, *index;
		} index;
		struct {
			struct sql_expr *base, *lo, *hi;
		} slice;
		struct {
			struct sql_expr *base;
			struct sql_name name;
		} field;
		struct {
			struct sql_expr *value; /* string or numeric literal, or any expr */
			enum sql_interval_unit unit;
		} interval;
	};
};

/* ---- windows --------------------------------------------------------------- */

enum sql_frame_unit { SQL_FRAME_DEFAULT = 0, SQL_FRAME_ROWS, SQL_FRAME_RANGE, SQL_FRAME_GROUPS };
enum sql_bound_kind {
	SQL_BOUND_UNBOUNDED_PRECEDING,
	SQL_BOUND_PRECEDING,  /* offset PRECEDING */
	SQL_BOUND_CURRENT_ROW,
	SQL_BOUND_FOLLOWING,  /* offset FOLLOWING */
	SQL_BOUND_UNBOUNDED_FOLLOWING,
};
enum sql_frame_exclude {
	SQL_EXCLUDE_DEFAULT = 0,
	SQL_EXCLUDE_NO_OTHERS,
	SQL_EXCLUDE_CURRENT_ROW,
	SQL_EXCLUDE_GROUP,
	SQL_EXCLUDE_TIES,
};

struct sql_frame_bound {
	enum sql_bound_kind kind;
	struct sql_expr *offset; /* PRECEDING / FOLLOWING only */
	sql_loc loc;
};

/* OVER (...) or a WINDOW clause definition. */
struct sql_window {
	struct sql_name ref; /* existing window name, or s == NULL */
	bool bare_ref;       /* OVER w, written without parentheses */
	int n_partition;
	struct sql_expr **partition;
	int n_order;
	struct sql_order_item *order;
	enum sql_frame_unit frame; /* DEFAULT: no frame clause */
	bool frame_between;        /* BETWEEN start AND end; else only start given */
	struct sql_frame_bound start, end;
	enum sql_frame_exclude exclude;
	sql_loc loc;
};

struct sql_window_def {
	struct sql_name name;
	struct sql_window *spec;
};

/* ---- FROM items ------------------------------------------------------------ */

enum sql_tref_kind {
	SQL_TREF_TABLE,    /* table: a qualified name */
	SQL_TREF_PATH,     /* path: FROM 'lake/x/part-1.parquet' or a glob */
	SQL_TREF_FUNC,     /* func: read_csv(...), range(...), unnest(...) */
	SQL_TREF_SUBQUERY, /* subquery: (SELECT ...), (VALUES ...), bare VALUES */
	SQL_TREF_JOIN,     /* join */
};

enum sql_join_kind {
	SQL_JOIN_INNER,
	SQL_JOIN_LEFT,
	SQL_JOIN_RIGHT,
	SQL_JOIN_FULL,
	SQL_JOIN_CROSS,
	SQL_JOIN_SEMI,
	SQL_JOIN_ANTI,
	SQL_JOIN_POSITIONAL,
};

/* [AS] name [(col, ...)] */
struct sql_alias {
	struct sql_name name; /* s == NULL: no alias */
	int n_cols;
	struct sql_name *cols;
};

struct sql_tref {
	enum sql_tref_kind kind;
	sql_loc loc;
	struct sql_alias alias;
	bool lateral;
	union {
		struct sql_qname table;
		struct {
			const char *s;
			uint32_t len;
		} path;
		struct {
			struct sql_qname name;
			int n_args;
			struct sql_arg *args;
		} func;
		struct sql_query *subquery;
		struct {
			enum sql_join_kind kind;
			bool natural;
			bool asof;
			struct sql_tref *left, *right;
			struct sql_expr *on; /* ON; NULL with USING, NATURAL, CROSS */
			int n_using;
			struct sql_name *using_cols;
		} join;
	};
};

/* ---- queries --------------------------------------------------------------- */

/* GROUP BY element. ROLLUP/CUBE arguments and GROUPING SETS members that are
 * SQL_EXPR_ROW written without ROW, e.g. ROLLUP(a, (b, c)), denote a
 * composite column set, as in Postgres. */
enum sql_group_kind {
	SQL_GROUP_EXPR,   /* expr */
	SQL_GROUP_EMPTY,  /* () */
	SQL_GROUP_ROLLUP, /* args */
	SQL_GROUP_CUBE,   /* args */
	SQL_GROUP_SETS,   /* sets: GROUPING SETS (...) */
};

struct sql_group_item {
	enum sql_group_kind kind;
	sql_loc loc;
	struct sql_expr *expr;
	int n_args;
	struct sql_expr **args;
	int n_sets;
	struct sql_group_item *sets;
};

struct sql_select_item {
	struct sql_expr *expr; /* SQL_EXPR_STAR for * and t.* */
	struct sql_name alias; /* s == NULL: none */
};

enum sql_distinct { SQL_DISTINCT_NONE = 0, SQL_DISTINCT_ALL, SQL_DISTINCT_ON };

struct sql_select {
	enum sql_distinct distinct; /* DISTINCT_ALL is SELECT DISTINCT */
	int n_distinct_on;
	struct sql_expr **distinct_on;
	int n_items;
	struct sql_select_item *items;
	int n_from; /* comma-separated FROM items; 0 = no FROM */
	struct sql_tref **from;
	struct sql_expr *where;
	bool group_all; /* GROUP BY ALL */
	int n_group;
	struct sql_group_item *group;
	struct sql_expr *having;
	int n_windows;
	struct sql_window_def *windows;
	struct sql_expr *qualify;
};

enum sql_query_kind { SQL_QUERY_SELECT, SQL_QUERY_VALUES, SQL_QUERY_SETOP };
enum sql_setop_kind { SQL_SETOP_UNION, SQL_SETOP_INTERSECT, SQL_SETOP_EXCEPT };
enum sql_cte_mat { SQL_CTE_DEFAULT = 0, SQL_CTE_MATERIALIZED, SQL_CTE_NOT_MATERIALIZED };

struct sql_cte {
	struct sql_name name;
	int n_cols;
	struct sql_name *cols;
	enum sql_cte_mat materialized;
	struct sql_query *query;
};

struct sql_with {
	bool recursive;
	int n;
	struct sql_cte *ctes;
};

/* A query expression. A parenthesized query with its own WITH, ORDER BY or
 * LIMIT is simply a node carrying them; parentheses leave no trace. */
struct sql_query {
	enum sql_query_kind kind;
	sql_loc loc;
	struct sql_with *with; /* NULL: none */
	/* SQL_QUERY_SELECT */
	struct sql_select *select;
	/* SQL_QUERY_VALUES: n_rows rows of n_cols expressions, row-major */
	int n_rows, n_cols;
	struct sql_expr **values;
	/* SQL_QUERY_SETOP: a left fold, args[0] op args[1] op ... (n_args >= 2);
	 * one node holds a whole chain of the same op, quantifier and BY NAME.
	 * INTERSECT binds tighter than UNION and EXCEPT. */
	enum sql_setop_kind op;
	bool all;     /* UNION ALL; the default (and DISTINCT) dedupes */
	bool by_name; /* UNION [ALL] BY NAME */
	int n_args;
	struct sql_query **args;
	/* ORDER BY / LIMIT / OFFSET of this node */
	int n_order;
	struct sql_order_item *order;
	struct sql_expr *limit;  /* LIMIT n, FETCH FIRST n ROWS ONLY; NULL: none or LIMIT ALL */
	struct sql_expr *offset;
};

/* ---- statements ------------------------------------------------------------ */

enum sql_stmt_kind {
	SQL_STMT_QUERY,        /* query */
	SQL_STMT_EXPLAIN,      /* explain */
	SQL_STMT_COPY,         /* copy */
	SQL_STMT_CREATE_VIEW,  /* create */
	SQL_STMT_CREATE_TABLE, /* create: AS query, or column definitions */
	SQL_STMT_INSERT,       /* insert */
	SQL_STMT_DROP,         /* drop */
	SQL_STMT_SET,          /* set: SET and RESET */
	SQL_STMT_SHOW,         /* show */
	SQL_STMT_DESCRIBE,     /* describe */
};

/* COPY / generic option: KEY [value] or KEY (v, ...). Keys are kept as
 * written; a bare word value (FORMAT parquet) is a one-part SQL_EXPR_NAME. */
struct sql_option {
	struct sql_name key;
	struct sql_expr *value; /* NULL for a bare flag or a list */
	bool is_list;
	int n_list;
	struct sql_expr **list;
};

struct sql_column_def {
	struct sql_name name;
	struct sql_type *type;
	bool not_null, primary_key, unique;
	struct sql_expr *default_value;
};

enum sql_set_scope { SQL_SET_DEFAULT = 0, SQL_SET_SESSION, SQL_SET_LOCAL, SQL_SET_GLOBAL };
enum sql_object_kind { SQL_OBJECT_TABLE, SQL_OBJECT_VIEW };
enum sql_show_kind { SQL_SHOW_TABLES, SQL_SHOW_ALL_TABLES, SQL_SHOW_DATABASES, SQL_SHOW_NAME };

struct sql_stmt {
	enum sql_stmt_kind kind;
	sql_loc loc;
	sql_loc end;     /* byte offset just past the statement's last token */
	int n_params;    /* highest parameter number used */
	union {
		struct sql_query *query;
		struct {
			bool analyze;
			struct sql_stmt *stmt;
		} explain;
		struct {
			/* COPY (query) TO | COPY table [(cols)] FROM|TO */
			struct sql_query *query; /* NULL when a table is named */
			struct sql_qname table;
			int n_cols;
			struct sql_name *cols;
			bool from;   /* COPY ... FROM (import); false: TO */
			bool stdio;  /* FROM STDIN / TO STDOUT; path is NULL */
			const char *path;
			uint32_t path_len;
			int n_opts;
			struct sql_option *opts;
		} copy;
		struct {
			bool or_replace, if_not_exists, temporary;
			struct sql_qname name;
			int n_cols; /* view column names; CREATE TABLE AS column names */
			struct sql_name *cols;
			struct sql_query *query; /* AS query */
			int n_defs;              /* CREATE TABLE t (col type, ...) */
			struct sql_column_def *defs;
		} create;
		struct {
			struct sql_qname table;
			int n_cols;
			struct sql_name *cols;
			struct sql_query *query; /* VALUES is a query too; NULL: DEFAULT VALUES */
		} insert;
		struct {
			enum sql_object_kind object;
			bool if_exists, cascade;
			int n;
			struct sql_qname *names;
		} drop;
		struct {
			struct sql_qname name;     /* n == 0 for RESET ALL */
			bool reset;                /* RESET name / RESET ALL */
			bool to_default;           /* SET x = DEFAULT */
			enum sql_set_scope scope;  /* SET [SESSION|LOCAL|GLOBAL] */
			int n_values;
			struct sql_expr **values;  /* SET x = a, b */
		} set;
		struct {
			enum sql_show_kind what;
			struct sql_qname name; /* SQL_SHOW_NAME */
		} show;
		struct {
			struct sql_qname name;   /* DESCRIBE t */
			struct sql_query *query; /* DESCRIBE SELECT ...; or NULL */
		} describe;
	};
};

/* The result of sql_parse: statements in order (empty statements between
 * semicolons are dropped). text is the arena's copy of the parsed text. */
struct sql_script {
	int n;
	struct sql_stmt **stmts;
	const char *text;
	size_t len;
};

/* ---- printing (ast_print.c) -------------------------------------------------- */

/* Normalized SQL: keywords upper-case, every operator application in
 * parentheses (a run of prefix operators shares one pair: (- - x)), set
 * operation operands in parentheses, identifiers quoted when they are
 * keywords or not plain words, aliases with AS, a CAST of a string literal
 * to a one-word type as a typed literal (DATE '2020-01-01'), desugared forms
 * as the calls they became. Parsing the output gives a tree that prints to
 * the same text, and is never nested deeper than the text that was parsed.
 * Statements end with ";\n" in a script. */
TARN_MUST_USE tarn_rc sql_print_script(const struct sql_script *s, struct tarn_buf *out);
TARN_MUST_USE tarn_rc sql_print_stmt(const struct sql_stmt *s, struct tarn_buf *out);
TARN_MUST_USE tarn_rc sql_print_query(const struct sql_query *q, struct tarn_buf *out);
TARN_MUST_USE tarn_rc sql_print_expr(const struct sql_expr *e, struct tarn_buf *out);
TARN_MUST_USE tarn_rc sql_print_type(const struct sql_type *t, struct tarn_buf *out);
/* An identifier as SQL would need it written: bare or "quoted". */
TARN_MUST_USE tarn_rc sql_print_name(const struct sql_name *n, struct tarn_buf *out);

/* The tarn column type a SQL type denotes (sql_type.c): INTEGER -> int32,
 * FLOAT -> float32, DECIMAL(p,s) -> decimal(p,s) (no modifiers: 18,3 as in
 * DuckDB), VARCHAR and JSON -> string, BLOB -> binary, TIME -> time64[us],
 * TIMESTAMP -> timestamp[us] (_S/_MS/_NS or (p) pick the unit; WITH TIME
 * ZONE adds tz "UTC"), lists (T[n] as a plain list), structs and maps
 * recursively. HUGEINT, UHUGEINT, INTERVAL, UUID and TIME WITH TIME ZONE are
 * TARN_EUNSUPPORTED; NAMED types are TARN_ENOTFOUND. With `text` (the script
 * text) the error carries line:column. out must be cleared by the caller
 * with tarn_type_clear. */
struct tarn_type;
TARN_MUST_USE tarn_rc sql_type_to_tarn(const struct sql_type *t, const char *text, size_t len,
				       struct tarn_type *out, struct tarn_err *err);

/* Names of enum values for messages and the printer. */
const char *sql_op_text(enum sql_op op);           /* "+", "IS DISTINCT FROM", "||" */
const char *sql_interval_unit_text(enum sql_interval_unit u); /* "DAY" */

#endif
