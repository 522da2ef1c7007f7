/*
 * pb_int.h — internals of the protobuf format (src/formats/protobuf/).
 *
 * The pieces, one file each:
 *   pb_wire.c     wire format helpers (pb_wire.h; also used by recordio/)
 *   pb_src.c      the input window of the record-framed readers (pb_src.h;
 *                 also used by recordio/)
 *   pb_desc.c     FileDescriptorSet bytes -> descriptor model (struct pb_descset),
 *                 decoded with pb_wire's cursor
 *   pb_protoc.c   runs `protoc --descriptor_set_out` on a .proto file
 *   pb_schema.c   descriptor model + message name -> compiled schema
 *                 (struct pb_schema): the column tree, a field-number lookup
 *                 per message, enum tables, defaults; and the tarn schema
 *   pb_read.c     the reader: varint-delimited framing, message decoding
 *                 straight into column builders
 *   pb_write.c    the writer: batches -> delimited messages
 *   protobuf.c    the format descriptor, options, sniffing
 *
 * Names: pb_* for everything shared between these files. Facts from the
 * protobuf encoding guide and google/protobuf/descriptor.proto (field
 * numbers of FileDescriptorSet and friends). Relies on base/ and columnar/.
 * A compiled schema is immutable once built and may be shared by threads;
 * readers, writers and decoders belong to one thread.
 */
#ifndef TARN_PROTOBUF_INT_H
#define TARN_PROTOBUF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"
#include "columnar/array.h"
#include "formats/format.h"
#include "formats/protobuf/pb_wire.h"

/* ---- descriptor model (descriptor.proto, decoded by pb_desc.c) --------------- */

/* FieldDescriptorProto.Type */
enum pb_type {
	PB_DOUBLE = 1,
	PB_FLOAT = 2,
	PB_INT64 = 3,
	PB_UINT64 = 4,
	PB_INT32 = 5,
	PB_FIXED64 = 6,
	PB_FIXED32 = 7,
	PB_BOOL = 8,
	PB_STRING = 9,
	PB_GROUP = 10,
	PB_MESSAGE = 11,
	PB_BYTES = 12,
	PB_UINT32 = 13,
	PB_ENUM = 14,
	PB_SFIXED32 = 15,
	PB_SFIXED64 = 16,
	PB_SINT32 = 17,
	PB_SINT64 = 18,
};

/* FieldDescriptorProto.Label */
enum pb_label { PB_LABEL_OPTIONAL = 1, PB_LABEL_REQUIRED = 2, PB_LABEL_REPEATED = 3 };

struct pbd_enum_value {
	const char *name;
	uint32_t len; /* of name */
	int32_t number;
};

struct pbd_enum {
	const char *full_name; /* without the leading dot */
	int n_values;
	struct pbd_enum_value *values;
};

struct pbd_field {
	const char *name;
	int32_t number;
	int label, type;
	const char *type_name;     /* ".pkg.Msg" for messages and enums, or NULL */
	const char *default_value; /* proto2 [default = ...] as protoc prints it, or NULL */
	int32_t oneof_index;       /* -1 when not in a oneof */
	bool proto3_optional;
	int packed; /* FieldOptions.packed: -1 unset, 0, 1 */
};

struct pbd_message {
	const char *full_name;
	const char *file; /* the .proto that defined it */
	int syntax;       /* 2 or 3 */
	bool map_entry;
	int n_fields;
	struct pbd_field *fields;
	int n_oneofs;
	const char **oneof_names;
};

struct pb_descset {
	struct tarn_arena arena; /* every string and array below */
	int n_messages, n_enums;
	struct pbd_message *messages;
	struct pbd_enum *enums;
	/* The last file in the set (protoc puts the named file last with
	 * --include_imports): its messages are the candidates when no message
	 * name is given. */
	const char *main_file;
};

/* Decodes a serialized FileDescriptorSet. `what` names it in errors. */
TARN_MUST_USE tarn_rc pb_descset_decode(const uint8_t *p, size_t n, const char *what,
					struct pb_descset **out, struct tarn_err *err);
void pb_descset_free(struct pb_descset *d);

/* Runs protoc on PROTO_PATH (import dirs: colon-separated IMPORT_PATH, may
 * be NULL) and returns the FileDescriptorSet bytes (free with tarn_free).
 * protoc comes from $PROTOC or PATH. */
TARN_MUST_USE tarn_rc pb_protoc_run(const char *proto_path, const char *import_path,
				    uint8_t **out, size_t *out_n, struct tarn_err *err);

/* ---- compiled schema (pb_schema.c) --------------------------------------------- */

enum pb_presence { PB_IMPLICIT = 0, PB_EXPLICIT = 1, PB_REQUIRED = 2 };

/* How a field's values become column values beyond its descriptor type. */
enum pb_kind {
	PB_K_SCALAR = 0, /* numbers, bool, string, bytes, enum */
	PB_K_MESSAGE,    /* struct column (also map entries and groups) */
	PB_K_TIMESTAMP,  /* google.protobuf.Timestamp -> timestamp[ns, UTC] */
	PB_K_WRAPPER,    /* google.protobuf.*Value -> nullable scalar of value_type */
	PB_K_RAW,        /* a message type that recurses: its encoded bytes */
};

struct pb_enum_map {
	const char *full_name;
	int n;
	/* Names by number: dense when the numbers span a small range. */
	int32_t lo;
	uint32_t span;        /* 0 = not dense */
	int32_t *dense;       /* span entries: index into values, or -1 */
	int32_t *sorted_nums; /* n numbers ascending (sparse lookup) */
	int32_t *sorted_idx;
	struct pbd_enum_value *values; /* in declaration order */
	int32_t *by_name;              /* indexes of values sorted by name */
};

struct pb_msg;

struct pb_field {
	const char *name;
	uint32_t number;
	uint8_t type;       /* enum pb_type (for wrappers: the wrapped value's type) */
	uint8_t kind;       /* enum pb_kind */
	uint8_t presence;   /* enum pb_presence */
	uint8_t wt;         /* wire type of one value */
	bool repeated;
	bool is_map;
	bool packed;        /* write packed */
	bool is_group;      /* PB_GROUP: SGROUP/EGROUP delimited */
	bool nullable;      /* the column may hold nulls */
	int16_t oneof;      /* index in the message's oneofs, or -1 */
	int col;            /* array index in a decoder's table (pre-order) */
	int item;           /* repeated: the list child's / map entries' index */
	struct pb_msg *msg; /* MESSAGE, map entry, group */
	struct pb_enum_map *en;
	bool has_default; /* proto2 [default = ...] */
	union {
		int64_t i;
		uint64_t u;
		double d;
		bool b;
	} def;
	const char *def_bytes; /* string/bytes/enum-name default */
	size_t def_len;
};

struct pb_msg {
	const char *full_name;
	int syntax;
	bool map_entry;
	int n_fields;
	struct pb_field *fields; /* declaration order = column order */
	int n_oneofs;
	const char **oneof_names;
	/* Field number -> index + 1 (0 = unknown) for numbers below dense_n;
	 * larger numbers by binary search over sorted_nums. */
	uint32_t dense_n;
	uint16_t *dense;
	int n_sorted;
	uint32_t *sorted_nums;
	uint16_t *sorted_idx;
	int slot_base;  /* this message's slots in a decoder */
	int oneof_base; /* its oneof winners in a decoder */
};

struct pb_schema_opts {
	bool enums_as_int;   /* enums=int */
	bool absent_default; /* absent=default: fill defaults for explicit presence */
};

struct pb_schema {
	struct tarn_arena arena;
	struct pb_descset *desc; /* owned */
	struct pb_msg *root;
	struct tarn_schema *schema; /* one column per root field */
	struct pb_schema_opts opts;
	int n_arrays, n_slots, n_oneofs;
	int max_depth; /* deepest message nesting in the tree */
};

/* Compiles MESSAGE ("pkg.Msg", a leading dot allowed; NULL = the only
 * message of the main file) from DESC (owned by the schema afterwards, also
 * on failure). */
TARN_MUST_USE tarn_rc pb_schema_compile(struct pb_descset *desc, const char *message,
					const struct pb_schema_opts *o, struct pb_schema **out,
					struct tarn_err *err);
void pb_schema_free(struct pb_schema *s);

/* Enum lookups: the name of a number (NULL if unknown) and the number of a
 * name (false if unknown). */
const struct pbd_enum_value *pb_enum_by_number(const struct pb_enum_map *e, int32_t num);
bool pb_enum_by_name(const struct pb_enum_map *e, const char *name, size_t n, int32_t *out);

static inline int pb_msg_lookup(const struct pb_msg *m, uint32_t num)
{
	if (num < m->dense_n)
		return (int)m->dense[num] - 1;
	int lo = 0, hi = m->n_sorted - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (m->sorted_nums[mid] == num)
			return m->sorted_idx[mid];
		if (m->sorted_nums[mid] < num)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Loads a schema from reader/writer options: proto= (run protoc) or
 * descriptor= (a FileDescriptorSet file), message=, import-path=, enums=,
 * absent=. */
TARN_MUST_USE tarn_rc pb_schema_from_opts(const struct tarn_opts *o, bool writer,
					  struct pb_schema **out, struct tarn_err *err);

/* ---- reader / writer ---------------------------------------------------------- */

TARN_MUST_USE tarn_rc pb_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
				     struct tarn_reader **out, struct tarn_err *err);
/* A reader over a compiled schema (taken over, also on failure; the input
 * is taken over only on success); for tests and the fuzz target.
 * batch_rows / max_message = 0 use the defaults. */
TARN_MUST_USE tarn_rc pb_reader_open_schema(struct tarn_input *in, struct pb_schema *s,
					    int64_t batch_rows, int64_t max_message,
					    struct tarn_reader **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc pb_open_writer(struct tarn_output *out, struct tarn_schema *schema,
				     const struct tarn_opts *opts, struct tarn_writer **w,
				     struct tarn_err *err);
/* A writer over a compiled schema (taken over, also on failure). */
TARN_MUST_USE tarn_rc pb_writer_open_schema(struct tarn_output *out,
					    struct tarn_schema *schema, struct pb_schema *s,
					    struct tarn_writer **w, struct tarn_err *err);

#define PB_DEFAULT_MAX_MESSAGE ((int64_t)64 << 20)

#endif
