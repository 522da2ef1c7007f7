/*
 * recordio_int.h — internals of the RecordIO-protobuf format
 * (src/formats/recordio/): SageMaker's training data format, a dmlc RecordIO
 * stream whose records are aialgs.data.Record protobuf messages
 * (docs/formats/recordio-protobuf.proto).
 *
 *   recordio.c        descriptor, options, sniffing
 *   recordio_read.c   framing (multi-part records reassembled), Record
 *                     decoding, schema inference over the first records
 *   recordio_write.c  tables -> Records (dense or sparse Float32Tensor
 *                     features, label) -> RecordIO framing
 *
 * Protobuf wire work goes through formats/protobuf/pb_wire.h and the input
 * window of formats/protobuf/pb_src.h (same owner). Thread-safety: a reader
 * or writer belongs to one thread.
 */
#ifndef TARN_RECORDIO_INT_H
#define TARN_RECORDIO_INT_H

#include "formats/format.h"
#include "formats/protobuf/pb_wire.h"

/* dmlc RecordIO (dmlc-core include/dmlc/recordio.h): each part is
 * magic, lrecord = cflag << 29 | length, payload, zero padding to 4 bytes.
 * On disk (little-endian) the magic is 0a 23 d7 ce. */
#define RIO_MAGIC 0xced7230au
#define RIO_LEN_MASK ((1u << 29) - 1)
enum rio_cflag { RIO_WHOLE = 0, RIO_FIRST = 1, RIO_MIDDLE = 2, RIO_LAST = 3 };

/* aialgs.data field numbers. */
enum {
	REC_FEATURES = 1,
	REC_LABEL = 2,
	REC_UID = 3,
	REC_METADATA = 4,
	REC_CONFIGURATION = 5,
	VAL_F32 = 2,
	VAL_F64 = 3,
	VAL_I32 = 7,
	VAL_BYTES = 9,
	TENSOR_VALUES = 1,
	TENSOR_KEYS = 2,
	TENSOR_SHAPE = 3,
};

#define RIO_DEFAULT_MAX_RECORD ((int64_t)64 << 20)

TARN_MUST_USE tarn_rc rio_open_reader(struct tarn_input *in, const struct tarn_opts *opts,
				      struct tarn_reader **out, struct tarn_err *err);
TARN_MUST_USE tarn_rc rio_open_writer(struct tarn_output *out, struct tarn_schema *schema,
				      const struct tarn_opts *opts, struct tarn_writer **w,
				      struct tarn_err *err);

#endif
