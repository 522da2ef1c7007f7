/*
 * csv_speed.c — times the CSV reader and writer separately on one file.
 *
 *   cc -O2 -Iinclude -Isrc bench/csv_speed.c build/libtarn.a $(LIBS) -o build/bench/csv_speed
 *   build/bench/csv_speed FILE.csv [threads...]
 *
 * For each thread count: parse-only (read every batch, free it), then
 * write-only (all batches held in memory first, then written to /dev/null
 * through the CSV writer, so formatting is measured, not the disk).
 * Prints MB/s of input text for both. Not part of the test suite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/io.h"
#include "formats/format.h"

extern const struct tarn_format tarn_format_csv;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (all threads): steadier than wall time
 * on a shared machine. */
static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, struct tarn_err *e)
{
	fprintf(stderr, "%s: %s\n", what, e->msg);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: csv_speed FILE.csv [threads...]\n");
		return 2;
	}
	const char *path = argv[1];
	int nthreads = argc > 2 ? argc - 2 : 2;
	int tlist[8] = { 1, 2 };
	for (int i = 0; i < nthreads && i < 8 && argc > 2; i++)
		tlist[i] = atoi(argv[2 + i]);
	struct tarn_err e;
	tarn_err_clear(&e);
	for (int ti = 0; ti < nthreads && ti < 8; ti++) {
		int t = tlist[ti];
		char tv[16];
		snprintf(tv, sizeof tv, "%d", t);
		struct tarn_opts *o;
		if (tarn_opts_new(&o) || tarn_opts_set(o, "threads", tv))
			return 1;
		/* parse only */
		struct tarn_input *in;
		if (tarn_input_open(path, &in, &e))
			return die("open", &e);
		int64_t total = 0;
		tarn_input_progress(in, &(int64_t){ 0 }, &total);
		double t0 = now(), c0 = cpu();
		struct tarn_reader *r;
		if (tarn_reader_open_input(in, &tarn_format_csv, o, &r, &e))
			return die("reader", &e);
		int64_t rows = 0;
		for (;;) {
			struct tarn_batch *b;
			if (tarn_reader_next(r, &b, &e))
				return die("next", &e);
			if (!b)
				break;
			rows += b->n_rows;
			tarn_batch_free(b);
		}
		double tp = now() - t0, cp = cpu() - c0;
		tarn_reader_close(r);

		/* write only: hold all batches, then format them to /dev/null */
		if (tarn_input_open(path, &in, &e))
			return die("open", &e);
		if (tarn_reader_open_input(in, &tarn_format_csv, o, &r, &e))
			return die("reader", &e);
		size_t nb = 0, cap = 64;
		struct tarn_batch **bv = malloc(cap * sizeof *bv);
		for (;;) {
			struct tarn_batch *b;
			if (tarn_reader_next(r, &b, &e))
				return die("next", &e);
			if (!b)
				break;
			if (nb == cap)
				bv = realloc(bv, (cap *= 2) * sizeof *bv);
			bv[nb++] = b;
		}
		struct tarn_output *out;
		if (tarn_output_open("/dev/null", 0, 0, &out, &e))
			return die("output", &e);
		struct tarn_opts *wo;
		if (tarn_opts_new(&wo) || tarn_opts_set(wo, "threads", tv))
			return 1;
		struct tarn_writer *w;
		double t1 = now(), c1 = cpu();
		if (tarn_writer_open_output(out, &tarn_format_csv, tarn_reader_schema(r), wo, &w, &e))
			return die("writer", &e);
		for (size_t i = 0; i < nb; i++)
			if (tarn_writer_write(w, bv[i], &e))
				return die("write", &e);
		if (tarn_writer_finish(w, &e))
			return die("finish", &e);
		double tw = now() - t1, cw = cpu() - c1;
		int64_t wrote = tarn_output_bytes(out);
		tarn_writer_close(w);
		for (size_t i = 0; i < nb; i++)
			tarn_batch_free(bv[i]);
		free(bv);
		tarn_reader_close(r);
		tarn_opts_free(o);
		tarn_opts_free(wo);
		double mb = (double)total / 1e6;
		printf("threads=%d rows=%lld  parse %.3f s %.0f MB/s (cpu %.3f s)   write %.3f s "
		       "%.0f MB/s (cpu %.3f s, %lld bytes)\n",
		       t, (long long)rows, tp, mb / tp, cp, tw, (double)wrote / 1e6 / tw, cw,
		       (long long)wrote);
	}
	return 0;
}
