/*
 * Shared helpers for the libFuzzer harnesses (tests/fuzz/fuzz-*.c). Each
 * harness defines LLVMFuzzerTestOneInput; it is linked either with libFuzzer
 * (TL_FUZZ build, clang) or with driver.c, which replays files given on the
 * command line (every normal build: the regression inputs run under ctest).
 */
#ifndef TL_FUZZ_H
#define TL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl/format.h"
#include "tl/reader.h"
#include "tl/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A per-process scratch file holding DATA; the reader only opens paths. */
static inline const char *fuzz_file(const void *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	if (fd < 0) {
		const char *dir = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/tl-fuzz-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		unlink(path); /* reopened through /proc: nothing to clean up */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

/* Frame the file at PATH with SPEC; parse every record with P (may be NULL). */
static inline void fuzz_read(const char *path, const struct tl_framing_spec *spec, struct tl_parse *p, size_t max_records)
{
	struct tl_err err;
	struct tl_reader *r = tl_reader_open(path, spec, &err);
	if (!r)
		return;
	struct tl_record rec;
	struct tl_event ev;
	struct tl_buf b = TL_BUF_INIT;
	size_t n = 0;
	(void)tl_reader_encoding(r);
	while (n++ < max_records && tl_reader_next(r, &rec, &err) == 1) {
		if (!rec.oversize && rec.text[rec.len] != '\0')
			abort(); /* the contract: text is NUL-terminated */
		if (p && tl_parse_record(p, &rec, &ev, &err) == TL_PARSE_EVENT) {
			tl_buf_reset(&b);
			tl_event_extra_json(&ev, &b);
		}
		/* grouping parsers hand finished groups out after the record that ended them */
		struct tl_record origin;
		enum tl_parse_status st;
		while (p && (st = tl_parse_ready(p, &ev, &origin, &err)) != TL_PARSE_META) {
			tl_buf_reset(&b);
			if (st == TL_PARSE_EVENT)
				tl_event_extra_json(&ev, &b);
		}
	}
	(void)tl_reader_pos(r);
	(void)tl_reader_compressed_pos(r);
	tl_buf_release(&b);
	tl_reader_free(r);
}

#endif
