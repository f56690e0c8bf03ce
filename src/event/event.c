/* Field table and `extra` serialization for the normalized event. */
#include "tl/event.h"

#include <string.h>

#include "tl/json.h"
#include "tl/banned.h"

static const char *const names[] = {
#define TL_X_NAME(name, kind) #name,
	TL_EVENT_FIELDS(TL_X_NAME)
#undef TL_X_NAME
};

static const char kinds[] = {
#define TL_X_KIND(name, kind) #kind[0],
	TL_EVENT_FIELDS(TL_X_KIND)
#undef TL_X_KIND
};

const char *tl_field_name(enum tl_field_id id)
{
	return names[id];
}

char tl_field_kind(enum tl_field_id id)
{
	return kinds[id];
}

int tl_field_lookup(const char *name)
{
	for (int i = 0; i < TL_F_COUNT; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* Append PRE, then S quoted, then POST (each of PRE and POST at most one
 * byte, 0 for none); a string that needs escaping goes through
 * tl_json_escape, the rest is copied at once. The same bytes as
 * tl_json_put_key / tl_json_put_strn, without their per-byte appends: this
 * runs for every key and value of every event. */
static int put_quoted(struct tl_buf *out, char pre, const char *s, size_t len, char post)
{
	if (tl_json_plain_len(s, len) == len) {
		if (tl_buf_grow(out, len + 4))
			return -1;
		char *d = out->data + out->len;
		if (pre)
			*d++ = pre;
		*d++ = '"';
		if (len)
			memcpy(d, s, len);
		d += len;
		*d++ = '"';
		if (post)
			*d++ = post;
		*d = 0;
		out->len = (size_t)(d - out->data);
		return 0;
	}
	return (pre && tl_buf_addc(out, pre)) || tl_buf_addc(out, '"') || tl_json_escape(out, s, len) ||
			       tl_buf_addc(out, '"') || (post && tl_buf_addc(out, post))
		       ? -1
		       : 0;
}

int tl_event_extra_json(const struct tl_event *ev, struct tl_buf *out)
{
	if (tl_buf_addc(out, '{'))
		return -1;
	for (size_t i = 0; i < ev->n_extra; i++) {
		const struct tl_extra *x = &ev->extra[i];
		if (put_quoted(out, i == 0 ? 0 : ',', x->key ? x->key : "", x->key ? strlen(x->key) : 0, ':'))
			return -1;
		int rc;
		switch (x->kind) {
		case TL_V_NUM:
		case TL_V_BOOL:
		case TL_V_NULL:
		case TL_V_JSON:
			rc = tl_buf_add(out, x->v.s, x->v.len);
			break;
		default:
			rc = put_quoted(out, 0, x->v.s, x->v.len, 0);
		}
		if (rc)
			return -1;
	}
	return tl_buf_addc(out, '}');
}
