/* Attribution in the timeline formats (see attribution.h). */
#define _POSIX_C_SOURCE 200809L
#include "attribution.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/json.h"
#include "tl/time.h"
#include "tl/banned.h"

static void jval(struct tl_buf *b, const struct tl_value *v)
{
	if (v->type == TL_VALUE_NULL)
		tl_buf_adds(b, "null");
	else if (v->type == TL_VALUE_INT)
		tl_buf_addf(b, "%lld", (long long)v->i);
	else
		tl_json_put_strn(b, v->s, v->len);
}

static void jtime(struct tl_buf *b, const struct tl_value *v)
{
	char iso[40];
	if (v->type == TL_VALUE_INT && tl_time_format_iso(v->i, iso, sizeof(iso)))
		tl_buf_addf(b, "\"%s\"", iso);
	else
		tl_buf_adds(b, "null");
}

int tl_attr_any(const struct tl_event_row *r)
{
	return r->attr_user.value.type != TL_VALUE_NULL || r->attr_host.value.type != TL_VALUE_NULL;
}

static void one(struct tl_buf *b, const struct tl_event_attribution *a)
{
	tl_buf_addc(b, '{');
	tl_json_put_key(b, "via", 1);
	jval(b, &a->via);
	if (a->via_binding.type != TL_VALUE_NULL) {
		tl_json_put_key(b, "via_binding", 0);
		jval(b, &a->via_binding);
	}
	tl_json_put_key(b, "binding", 0);
	tl_buf_addc(b, '{');
	tl_json_put_key(b, "id", 1);
	jval(b, &a->id);
	tl_json_put_key(b, "kind", 0);
	jval(b, &a->kind);
	tl_json_put_key(b, "subject", 0);
	jval(b, &a->subject);
	tl_json_put_key(b, "value", 0);
	jval(b, &a->bvalue);
	tl_json_put_key(b, "start", 0);
	jtime(b, &a->start);
	tl_json_put_key(b, "end", 0);
	jtime(b, &a->end);
	tl_json_put_key(b, "end_rule", 0);
	jval(b, &a->end_rule);
	tl_json_put_key(b, "source", 0);
	jval(b, &a->source);
	tl_buf_addc(b, '}');
	tl_json_put_key(b, "evidence", 0);
	/* written by tl itself (src/analysis/correlate.c): a JSON array already */
	if (a->evidence.s && a->evidence.len)
		tl_buf_add(b, a->evidence.s, a->evidence.len);
	else
		tl_buf_adds(b, "[]");
	tl_buf_addc(b, '}');
}

void tl_attr_object(struct tl_buf *b, const struct tl_event_row *r)
{
	if (!tl_attr_any(r))
		return;
	int first = 1;
	tl_buf_addc(b, '{');
	if (r->attr_user.value.type != TL_VALUE_NULL) {
		tl_json_put_key(b, "user", first);
		one(b, &r->attr_user);
		first = 0;
	}
	if (r->attr_host.value.type != TL_VALUE_NULL) {
		tl_json_put_key(b, "host", first);
		one(b, &r->attr_host);
	}
	tl_buf_addc(b, '}');
}

void tl_attr_jsonl(struct tl_buf *b, const struct tl_event_row *r)
{
	if (!tl_attr_any(r))
		return;
	if (r->attr_user.value.type != TL_VALUE_NULL) {
		tl_json_put_key(b, "attributed_user", 0);
		jval(b, &r->attr_user.value);
	}
	if (r->attr_host.value.type != TL_VALUE_NULL) {
		tl_json_put_key(b, "attributed_host", 0);
		jval(b, &r->attr_host.value);
	}
	tl_json_put_key(b, "attribution", 0);
	tl_attr_object(b, r);
}

static void text_one(struct tl_buf *b, const char *what, const struct tl_event_attribution *a)
{
	if (a->value.type == TL_VALUE_NULL)
		return;
	tl_buf_addf(b, "  ~%s ", what);
	tl_term_escape(b, a->value.s ? a->value.s : "", a->value.len > 64 ? 64 : a->value.len);
	tl_buf_adds(b, ": ");
	tl_term_escape(b, a->source.s ? a->source.s : "", a->source.len);
	tl_buf_addc(b, ' ');
	tl_term_escape(b, a->subject.s ? a->subject.s : "", a->subject.len > 128 ? 128 : a->subject.len);
	if (a->id.type == TL_VALUE_INT)
		tl_buf_addf(b, " #%lld", (long long)a->id.i);
	/* the first evidence line of the binding, as tl show takes it */
	const char *e = a->evidence.s ? strstr(a->evidence.s, "{\"path\":\"") : NULL;
	if (e) {
		e += 9;
		const char *end = e;
		while (*end && *end != '"')
			end += *end == '\\' && end[1] ? 2 : 1;
		const char *line = strstr(end, "\"line\":");
		tl_buf_addc(b, ' ');
		tl_term_escape(b, e, (size_t)(end - e));
		if (line)
			tl_buf_addf(b, ":%lld", (long long)strtoll(line + 7, NULL, 10));
	}
}

void tl_attr_text(struct tl_buf *b, const struct tl_event_row *r)
{
	text_one(b, "user", &r->attr_user);
	text_one(b, "host", &r->attr_host);
}
