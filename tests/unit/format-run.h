/*
 * Test helpers shared by the format unit tests (test-format.c,
 * test-format-lang.c): feed one record text to a parse and read back the
 * normalized fields and `extra` of the event it made. Include after cmocka.h.
 */
#ifndef TL_TEST_FORMAT_RUN_H
#define TL_TEST_FORMAT_RUN_H

#include <stdio.h>
#include <string.h>

#include "tl/format.h"

struct run {
	struct tl_time_ctx tctx;
	struct tl_parse *p;
	struct tl_event ev;
	struct tl_err err;
};

/* Parse LINE as one record; its status (the event in r->ev, a reason in r->err). */
static inline enum tl_parse_status feed(struct run *r, const char *line)
{
	struct tl_record rec;
	memset(&rec, 0, sizeof(rec));
	rec.text = rec.raw = line;
	rec.len = rec.raw_len = rec.length = strlen(line);
	return tl_parse_record(r->p, &rec, &r->ev, &r->err);
}

/* The normalized field NAME of EV as text, "(null)" when absent. */
static inline const char *field(const struct tl_event *ev, const char *name)
{
	static char buf[512];
	int id = tl_field_lookup(name);
	if (id < 0 || !ev->f[id].s)
		return "(null)";
	snprintf(buf, sizeof(buf), "%.*s", (int)ev->f[id].len, ev->f[id].s);
	return buf;
}

/* EV's `extra` as its JSON text. */
static inline const char *extra(const struct tl_event *ev)
{
	static struct tl_buf b = TL_BUF_INIT;
	tl_buf_reset(&b);
	tl_event_extra_json(ev, &b);
	return b.data;
}

#endif
