/*
 * explain.c — EXPLAIN text for a physical plan: the operator tree, one
 * operator per line indented by depth, each with what its describe hook
 * (struct ex_op_vt) says about it, and for EXPLAIN ANALYZE the statistics
 * the driver gathered (exec.c: rows out and time per operator, summed over
 * all tasks with atomics; the operator's reserved bytes as its memory).
 *
 * Also the compact expression printer the describe hooks use. Expressions
 * are printed from the bound tree (not the SQL text), so what EXPLAIN shows
 * is what runs: implicit casts, folded constants, lowered BETWEEN.
 *
 * Relies on exec.h and expr.h only. Thread-safety: reads a plan that is
 * not running (before ex_query_new, or after its last batch).
 */
#include <stdio.h>
#include <string.h>

#include "columnar/text.h"
#include "columnar/type.h"
#include "sql/exec.h"
#include "sql/expr_int.h"

static const char *arith_op(int op)
{
	static const char *const s[] = { "+", "-", "*", "/", "%", "//" };
	return op >= 0 && op < 6 ? s[op] : "?";
}

static const char *cmp_op(int op)
{
	static const char *const s[] = { "=", "<>", "<", "<=", ">", ">=" };
	return op >= 0 && op < 6 ? s[op] : "?";
}

static tarn_rc args_list(const struct ex_expr *e, int from, const char *sep,
			 const struct tarn_schema *in, struct tarn_buf *out)
{
	for (int i = from; i < e->n_args; i++) {
		if (i > from)
			TRY(tarn_buf_printf(out, "%s", sep));
		TRY(ex_expr_describe(e->args[i], in, out));
	}
	return TARN_OK;
}

static tarn_rc const_text(const struct tarn_array *v, struct tarn_buf *out)
{
	if (!v || v->type->id == TARN_T_NULL || ex_is_null(v, 0))
		return tarn_buf_printf(out, "NULL");
	char buf[128];
	ex_value_text(v, 0, buf, sizeof buf); /* strings come quoted */
	return tarn_buf_printf(out, "%s", buf);
}

tarn_rc ex_expr_describe(const struct ex_expr *e, const struct tarn_schema *in,
			 struct tarn_buf *out)
{
	switch (e->kind) {
	case EX_E_COLUMN:
		if (e->name)
			return tarn_buf_printf(out, "%s", e->name);
		if (in && e->col >= 0 && e->col < in->n_fields)
			return tarn_buf_printf(out, "%s", in->fields[e->col].name);
		return tarn_buf_printf(out, "#%d", e->col);
	case EX_E_CONST:
		return const_text(e->value, out);
	case EX_E_ARITH:
	case EX_E_CMP:
		TRY(tarn_buf_putc(out, '('));
		TRY(ex_expr_describe(e->args[0], in, out));
		TRY(tarn_buf_printf(out, " %s ",
				    e->kind == EX_E_ARITH ? arith_op(e->op) : cmp_op(e->op)));
		TRY(ex_expr_describe(e->args[1], in, out));
		return tarn_buf_putc(out, ')');
	case EX_E_NEG:
		TRY(tarn_buf_putc(out, '-'));
		return ex_expr_describe(e->args[0], in, out);
	case EX_E_AND:
	case EX_E_OR:
		TRY(tarn_buf_putc(out, '('));
		TRY(args_list(e, 0, e->kind == EX_E_AND ? " AND " : " OR ", in, out));
		return tarn_buf_putc(out, ')');
	case EX_E_NOT:
		TRY(tarn_buf_printf(out, "NOT "));
		return ex_expr_describe(e->args[0], in, out);
	case EX_E_IS_NULL:
		TRY(ex_expr_describe(e->args[0], in, out));
		return tarn_buf_printf(out, e->negate ? " IS NOT NULL" : " IS NULL");
	case EX_E_DISTINCT:
		TRY(ex_expr_describe(e->args[0], in, out));
		TRY(tarn_buf_printf(out, e->negate ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM "));
		return ex_expr_describe(e->args[1], in, out);
	case EX_E_IN:
		TRY(ex_expr_describe(e->args[0], in, out));
		return tarn_buf_printf(out, e->negate ? " NOT IN (...)" : " IN (...)");
	case EX_E_LIKE:
		TRY(ex_expr_describe(e->args[0], in, out));
		TRY(tarn_buf_printf(out, "%s%s ", e->negate ? " NOT" : "", e->ci ? " ILIKE" : " LIKE"));
		if (e->n_args > 1)
			return ex_expr_describe(e->args[1], in, out);
		return tarn_buf_printf(out, "<pattern>");
	case EX_E_CASE:
		TRY(tarn_buf_printf(out, "CASE"));
		for (int i = 0; i + 1 < e->n_args; i += 2) {
			TRY(tarn_buf_printf(out, " WHEN "));
			TRY(ex_expr_describe(e->args[i], in, out));
			TRY(tarn_buf_printf(out, " THEN "));
			TRY(ex_expr_describe(e->args[i + 1], in, out));
		}
		if (e->n_args % 2) {
			TRY(tarn_buf_printf(out, " ELSE "));
			TRY(ex_expr_describe(e->args[e->n_args - 1], in, out));
		}
		return tarn_buf_printf(out, " END");
	case EX_E_CAST: {
		TRY(tarn_buf_printf(out, "%s(", e->try_cast ? "TRY_CAST" : "CAST"));
		TRY(ex_expr_describe(e->args[0], in, out));
		TRY(tarn_buf_printf(out, " AS "));
		TRY(tarn_type_to_text(&e->type, out));
		return tarn_buf_putc(out, ')');
	}
	case EX_E_COALESCE:
	case EX_E_NULLIF:
	case EX_E_FUNC:
		TRY(tarn_buf_printf(out, "%s(", e->kind == EX_E_COALESCE ? "coalesce"
						: e->kind == EX_E_NULLIF ? "nullif"
						: e->fn ? e->fn->name : "?"));
		TRY(args_list(e, 0, ", ", in, out));
		return tarn_buf_putc(out, ')');
	case EX_E_DATE_ADD:
		TRY(ex_expr_describe(e->args[0], in, out));
		return tarn_buf_printf(out, " + INTERVAL '%d months %d days %lld us'", e->months,
				       e->days, (long long)e->micros);
	}
	return tarn_buf_printf(out, "<expr>");
}

static void fmt_ns(char *buf, size_t cap, int64_t ns)
{
	if (ns >= 1000000000)
		snprintf(buf, cap, "%.2f s", (double)ns / 1e9);
	else
		snprintf(buf, cap, "%.3f ms", (double)ns / 1e6);
}

static tarn_rc explain_op(const struct ex_op *op, int depth, bool analyze, struct tarn_buf *out)
{
	for (int i = 0; i < depth; i++)
		TRY(tarn_buf_printf(out, "  "));
	TRY(tarn_buf_printf(out, "%s", op->vt->name));
	if (op->vt->describe) {
		size_t at = out->len;
		TRY(tarn_buf_printf(out, "  "));
		size_t body = out->len;
		TRY(op->vt->describe(op, out));
		if (out->len == body)
			out->len = at;
	}
	if (analyze) {
		char t[32], m[32];
		fmt_ns(t, sizeof t, atomic_load(&op->stat_ns));
		tarn_fmt_size(m, sizeof m, op->mem_held, "B");
		TRY(tarn_buf_printf(out, "  [rows=%lld time=%s mem=%s]",
				    (long long)atomic_load(&op->stat_rows), t, m));
	}
	TRY(tarn_buf_putc(out, '\n'));
	/* a join prints its probe side first, then its build side */
	for (int c = 0; c < 2; c++)
		if (op->child[c])
			TRY(explain_op(op->child[c], depth + 1, analyze, out));
	return TARN_OK;
}

tarn_rc ex_plan_explain(const struct ex_op *root, bool analyze, struct tarn_buf *out)
{
	return explain_op(root, 0, analyze, out);
}
