/*
 * progress.c — the one-line progress bar on stderr.
 *
 * Shown only when stderr is a terminal and --quiet is off, and only once the
 * work has run for a second, so quick commands and pipelines never see it.
 * Redrawn at most ten times a second: bar and percentage when the input size
 * is known (bytes from tarn_reader_progress, compressed bytes for compressed
 * files), bytes, rows and rate. cli_progress_end erases the line so the
 * summary or an error message starts on a clean line.
 */
#include "cli/cli.h"

#include <string.h>

#define SHOW_AFTER 1.0
#define REDRAW_EVERY 0.1
#define BAR_WIDTH 24

void cli_progress_begin(struct cli_progress *p, const struct tarn_reader *r)
{
	memset(p, 0, sizeof *p);
	p->reader = r;
	p->enabled = cli.stderr_tty && !cli.quiet;
	p->start = p->enabled ? cli_now() : 0;
}

void cli_progress_update(struct cli_progress *p, int64_t rows)
{
	if (!p->enabled)
		return;
	double now = cli_now();
	if (now - p->start < SHOW_AFTER || now - p->last_draw < REDRAW_EVERY)
		return;
	p->last_draw = now;
	int64_t done = 0, total = -1;
	if (p->reader)
		tarn_reader_progress(p->reader, &done, &total);
	double secs = now - p->start;
	char b1[32], b2[32], b3[32], rbuf[32];
	char line[160];
	int k = 0;
	if (total > 0) {
		double f = (double)done / (double)total;
		if (f > 1)
			f = 1;
		int fill = (int)(f * BAR_WIDTH);
		char bar[BAR_WIDTH + 1];
		for (int i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '-';
		bar[BAR_WIDTH] = '\0';
		k = snprintf(line, sizeof line, "[%s] %3d%%  %s / %s", bar, (int)(f * 100),
			     cli_fmt_bytes(done, b1, sizeof b1), cli_fmt_bytes(total, b2, sizeof b2));
	} else {
		k = snprintf(line, sizeof line, "%s read", cli_fmt_bytes(done, b1, sizeof b1));
	}
	if (k > 0 && (size_t)k < sizeof line)
		snprintf(line + k, sizeof line - (size_t)k, "  %s rows  %s/s",
			 cli_fmt_count(rows, rbuf, sizeof rbuf),
			 cli_fmt_bytes((int64_t)((double)done / secs), b3, sizeof b3));
	/* \r + erase-to-end keeps a shorter line from leaving debris. */
	fprintf(stderr, "\r%s\x1b[K", line);
	fflush(stderr);
	p->drawn = true;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->drawn) {
		fputs("\r\x1b[K", stderr);
		fflush(stderr);
	}
	p->drawn = false;
	p->enabled = false;
}
