/*
 * pb_desc.c — decodes a serialized google.protobuf.FileDescriptorSet (what
 * `protoc --descriptor_set_out` writes) into the flat descriptor model of
 * pb_int.h: every message and enum of every file, with fully qualified names.
 *
 * Decoded with pb_wire.h's cursor, so the descriptor goes through the same
 * wire code as the data. Only what the compiler in pb_schema.c needs is
 * kept; services, extensions, source info and most options are skipped.
 * Field numbers from google/protobuf/descriptor.proto:
 *   FileDescriptorSet     file=1
 *   FileDescriptorProto   name=1 package=2 message_type=4 enum_type=5
 *                         syntax=12 edition=14
 *   DescriptorProto       name=1 field=2 nested_type=3 enum_type=4
 *                         options=7 (MessageOptions.map_entry=7) oneof_decl=8
 *   FieldDescriptorProto  name=1 number=3 label=4 type=5 type_name=6
 *                         default_value=7 options=8 (FieldOptions.packed=2)
 *                         oneof_index=9 proto3_optional=17
 *   OneofDescriptorProto  name=1
 *   EnumDescriptorProto   name=1 value=2; EnumValueDescriptorProto name=1 number=2
 *
 * The input is untrusted (a descriptor= file): every length is checked by
 * the cursor, nesting is capped, and counts grow with the bytes read.
 * Thread-safety: none needed; the result is immutable.
 */
#include <stdio.h>
#include <string.h>

#include "formats/protobuf/pb_int.h"

#define MAX_NESTING 64

struct vec {
	void *p;
	int n, cap;
};

static void *vec_push(struct vec *v, size_t elem)
{
	if (v->n == v->cap) {
		int cap = v->cap ? v->cap * 2 : 16;
		void *np = tarn_realloc(v->p, (size_t)cap * elem);
		if (!np)
			return NULL;
		v->p = np;
		v->cap = cap;
	}
	void *slot = (char *)v->p + (size_t)v->n++ * elem;
	memset(slot, 0, elem);
	return slot;
}

struct dec {
	struct pb_descset *d;
	struct vec msgs, enums;
	const char *what;
	struct tarn_err *err;
	tarn_rc rc;
};

static tarn_rc nomem(struct dec *x)
{
	if (!x->rc)
		x->rc = tarn_err_nomem(x->err, "protobuf descriptor");
	return x->rc;
}

static const char *str_of(struct dec *x, const uint8_t *p, size_t n)
{
	char *s = tarn_arena_strndup(&x->d->arena, (const char *)p, n);
	if (!s)
		nomem(x);
	return s;
}

/* prefix "." name, or name alone when prefix is empty. */
static const char *join_name(struct dec *x, const char *prefix, const uint8_t *p, size_t n)
{
	size_t pl = strlen(prefix);
	char *s = tarn_arena_alloc(&x->d->arena, pl + n + 2);
	if (!s) {
		nomem(x);
		return NULL;
	}
	size_t k = 0;
	if (pl) {
		memcpy(s, prefix, pl);
		s[pl] = '.';
		k = pl + 1;
	}
	if (n)
		memcpy(s + k, p, n);
	s[k + n] = 0;
	return s;
}

/* The bytes of field `num` (LEN) in a message, the last occurrence. */
static bool find_str(const struct pb_in *msg, uint32_t want, const uint8_t **p, size_t *n)
{
	struct pb_in in = *msg;
	uint32_t num;
	int wt;
	bool found = false;
	while (pb_in_tag(&in, &num, &wt)) {
		if (num == want && wt == PB_WT_LEN) {
			*p = pb_in_bytes(&in, n);
			found = true;
		} else {
			pb_in_skip(&in, num, wt);
		}
	}
	return found && !in.why;
}

static void decode_enum(struct dec *x, struct pb_in *in, const char *prefix)
{
	const uint8_t *np = NULL;
	size_t nn = 0;
	if (!find_str(in, 1, &np, &nn)) {
		pb_in_fail(in, "enum without a name");
		return;
	}
	const char *full = join_name(x, prefix, np, nn);
	struct vec vals = { 0 };
	uint32_t num;
	int wt;
	while (!x->rc && pb_in_tag(in, &num, &wt)) {
		if (num == 2 && wt == PB_WT_LEN) {
			struct pb_in v;
			pb_in_sub(in, &v);
			struct pbd_enum_value *ev = vec_push(&vals, sizeof *ev);
			if (!ev) {
				nomem(x);
				break;
			}
			uint32_t f;
			int fwt;
			while (pb_in_tag(&v, &f, &fwt)) {
				if (f == 1 && fwt == PB_WT_LEN) {
					size_t k;
					const uint8_t *s = pb_in_bytes(&v, &k);
					ev->name = str_of(x, s, k);
					ev->len = (uint32_t)k;
				} else if (f == 2 && fwt == PB_WT_VARINT) {
					ev->number = (int32_t)pb_in_varint(&v);
				} else {
					pb_in_skip(&v, f, fwt);
				}
			}
			if (!ev->name && !v.why)
				pb_in_fail(&v, "enum value without a name");
			pb_in_join(in, &v);
		} else {
			pb_in_skip(in, num, wt);
		}
	}
	struct pbd_enum *e = x->rc || in->why ? NULL : vec_push(&x->enums, sizeof *e);
	if (e) {
		e->full_name = full;
		e->n_values = vals.n;
		e->values = tarn_arena_alloc(&x->d->arena, sizeof *e->values * (size_t)(vals.n + 1));
		if (e->values && vals.n)
			memcpy(e->values, vals.p, sizeof *e->values * (size_t)vals.n);
		else if (!e->values)
			nomem(x);
	} else if (!x->rc && !in->why) {
		nomem(x);
	}
	tarn_free(vals.p);
}

static void decode_field(struct dec *x, struct pb_in *in, struct pbd_field *f)
{
	f->oneof_index = -1;
	f->packed = -1;
	uint32_t num;
	int wt;
	while (pb_in_tag(in, &num, &wt)) {
		size_t k;
		const uint8_t *s;
		if (wt == PB_WT_LEN && (num == 1 || num == 6 || num == 7)) {
			s = pb_in_bytes(in, &k);
			const char *v = str_of(x, s, k);
			if (num == 1)
				f->name = v;
			else if (num == 6)
				f->type_name = v;
			else
				f->default_value = v;
		} else if (wt == PB_WT_VARINT && num == 3) {
			f->number = (int32_t)pb_in_varint(in);
		} else if (wt == PB_WT_VARINT && num == 4) {
			f->label = (int)pb_in_varint(in);
		} else if (wt == PB_WT_VARINT && num == 5) {
			f->type = (int)pb_in_varint(in);
		} else if (wt == PB_WT_VARINT && num == 9) {
			f->oneof_index = (int32_t)pb_in_varint(in);
		} else if (wt == PB_WT_VARINT && num == 17) {
			f->proto3_optional = pb_in_varint(in) != 0;
		} else if (wt == PB_WT_LEN && num == 8) {
			struct pb_in o;
			pb_in_sub(in, &o);
			uint32_t on;
			int owt;
			while (pb_in_tag(&o, &on, &owt)) {
				if (on == 2 && owt == PB_WT_VARINT)
					f->packed = pb_in_varint(&o) != 0;
				else
					pb_in_skip(&o, on, owt);
			}
			pb_in_join(in, &o);
		} else {
			pb_in_skip(in, num, wt);
		}
	}
	if (!in->why && !f->name)
		pb_in_fail(in, "field without a name");
}

static void decode_message(struct dec *x, struct pb_in *in, const char *prefix,
			   const char *file, int syntax, int depth)
{
	if (depth > MAX_NESTING) {
		pb_in_fail(in, "messages nested too deeply");
		return;
	}
	const uint8_t *np = NULL;
	size_t nn = 0;
	if (!find_str(in, 1, &np, &nn)) {
		pb_in_fail(in, "message without a name");
		return;
	}
	const char *full = join_name(x, prefix, np, nn);
	if (!full)
		return;
	struct vec fields = { 0 }, oneofs = { 0 };
	bool map_entry = false;
	uint32_t num;
	int wt;
	while (!x->rc && pb_in_tag(in, &num, &wt)) {
		struct pb_in sub;
		if (wt != PB_WT_LEN || (num != 2 && num != 3 && num != 4 && num != 7 && num != 8)) {
			pb_in_skip(in, num, wt);
			continue;
		}
		pb_in_sub(in, &sub);
		if (num == 2) {
			struct pbd_field *f = vec_push(&fields, sizeof *f);
			if (!f) {
				nomem(x);
				break;
			}
			decode_field(x, &sub, f);
		} else if (num == 3) {
			decode_message(x, &sub, full, file, syntax, depth + 1);
		} else if (num == 4) {
			decode_enum(x, &sub, full);
		} else if (num == 7) {
			uint32_t on;
			int owt;
			while (pb_in_tag(&sub, &on, &owt)) {
				if (on == 7 && owt == PB_WT_VARINT)
					map_entry = pb_in_varint(&sub) != 0;
				else
					pb_in_skip(&sub, on, owt);
			}
		} else {
			const uint8_t *op = NULL;
			size_t on = 0;
			const char **slot = vec_push(&oneofs, sizeof *slot);
			if (!slot) {
				nomem(x);
				break;
			}
			*slot = find_str(&sub, 1, &op, &on) ? str_of(x, op, on) : "";
		}
		pb_in_join(in, &sub);
	}
	if (!x->rc && !in->why) {
		struct pbd_message *m = vec_push(&x->msgs, sizeof *m);
		if (!m) {
			nomem(x);
		} else {
			m->full_name = full;
			m->file = file;
			m->syntax = syntax;
			m->map_entry = map_entry;
			m->n_fields = fields.n;
			m->n_oneofs = oneofs.n;
			m->fields = tarn_arena_alloc(&x->d->arena,
						     sizeof *m->fields * (size_t)(fields.n + 1));
			m->oneof_names = tarn_arena_alloc(&x->d->arena,
							  sizeof *m->oneof_names *
								  (size_t)(oneofs.n + 1));
			if (!m->fields || !m->oneof_names) {
				nomem(x);
			} else {
				if (fields.n)
					memcpy(m->fields, fields.p,
					       sizeof *m->fields * (size_t)fields.n);
				if (oneofs.n)
					memcpy(m->oneof_names, oneofs.p,
					       sizeof *m->oneof_names * (size_t)oneofs.n);
			}
		}
	}
	tarn_free(fields.p);
	tarn_free(oneofs.p);
}

static void decode_file(struct dec *x, struct pb_in *in)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	const char *name = find_str(in, 1, &p, &n) ? str_of(x, p, n) : "(unnamed .proto)";
	const char *package = find_str(in, 2, &p, &n) ? str_of(x, p, n) : "";
	int syntax = 2;
	if (find_str(in, 12, &p, &n)) {
		if (n == 6 && memcmp(p, "proto3", 6) == 0) {
			syntax = 3;
		} else if (!(n == 6 && memcmp(p, "proto2", 6) == 0) && n != 0) {
			if (!x->rc)
				x->rc = tarn_err_set(x->err, TARN_EUNSUPPORTED,
						     "%s: %s uses syntax \"%.*s\"; tarn reads proto2 "
						     "and proto3 definitions",
						     x->what, name ? name : "?", (int)(n > 40 ? 40 : n),
						     (const char *)p);
			return;
		}
	}
	if (!name || !package)
		return;
	x->d->main_file = name;
	uint32_t num;
	int wt;
	while (!x->rc && pb_in_tag(in, &num, &wt)) {
		if (wt == PB_WT_LEN && (num == 4 || num == 5)) {
			struct pb_in sub;
			pb_in_sub(in, &sub);
			if (num == 4)
				decode_message(x, &sub, package, name, syntax, 0);
			else
				decode_enum(x, &sub, package);
			pb_in_join(in, &sub);
		} else {
			pb_in_skip(in, num, wt);
		}
	}
}

void pb_descset_free(struct pb_descset *d)
{
	if (!d)
		return;
	tarn_free(d->messages);
	tarn_free(d->enums);
	tarn_arena_free(&d->arena);
	tarn_free(d);
}

tarn_rc pb_descset_decode(const uint8_t *p, size_t n, const char *what, struct pb_descset **out,
			  struct tarn_err *err)
{
	*out = NULL;
	struct dec x = { 0 };
	x.what = what;
	x.err = err;
	x.d = tarn_calloc(1, sizeof *x.d);
	if (!x.d)
		return tarn_err_nomem(err, "protobuf descriptor");
	tarn_arena_init(&x.d->arena, 16384);
	struct pb_in in;
	pb_in_init(&in, p, n);
	uint32_t num;
	int wt;
	while (!x.rc && pb_in_tag(&in, &num, &wt)) {
		if (num == 1 && wt == PB_WT_LEN) {
			struct pb_in f;
			pb_in_sub(&in, &f);
			decode_file(&x, &f);
			pb_in_join(&in, &f);
		} else {
			pb_in_skip(&in, num, wt);
		}
	}
	x.d->messages = x.msgs.p;
	x.d->n_messages = x.msgs.n;
	x.d->enums = x.enums.p;
	x.d->n_enums = x.enums.n;
	if (!x.rc && in.why)
		x.rc = tarn_err_set(err, TARN_EDATA,
				    "%s: not a valid FileDescriptorSet: %s at byte %zu", what, in.why,
				    in.bad_at);
	if (!x.rc && x.d->n_messages == 0)
		x.rc = tarn_err_set(err, TARN_EUSAGE, "%s: the descriptor set defines no messages",
				    what);
	if (x.rc) {
		pb_descset_free(x.d);
		return x.rc;
	}
	*out = x.d;
	return TARN_OK;
}
