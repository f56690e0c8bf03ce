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

int tl_event_extra_json(const struct tl_event *ev, struct tl_buf *out)
{
	if (tl_buf_addc(out, '{'))
		return -1;
	for (size_t i = 0; i < ev->n_extra; i++) {
		const struct tl_extra *x = &ev->extra[i];
		int raw = x->kind == TL_V_NUM || x->kind == TL_V_BOOL || x->kind == TL_V_NULL || x->kind == TL_V_JSON;
		size_t kl = x->key ? strlen(x->key) : 0;
		/* the common member, a key and a value with nothing to escape: written
		 * in one piece, as the calls below would write it */
		if (x->key && tl_json_plain_len(x->key, kl) == kl &&
		    (raw || tl_json_plain_len(x->v.s, x->v.len) == x->v.len)) {
			if (tl_buf_grow(out, kl + x->v.len + 6))
				return -1;
			char *d = out->data + out->len;
			if (i)
				*d++ = ',';
			*d++ = '"';
			memcpy(d, x->key, kl);
			d += kl;
			*d++ = '"';
			*d++ = ':';
			if (!raw)
				*d++ = '"';
			if (x->v.len)
				memcpy(d, x->v.s, x->v.len);
			d += x->v.len;
			if (!raw)
				*d++ = '"';
			out->len = (size_t)(d - out->data);
			out->data[out->len] = 0;
			continue;
		}
		if (tl_json_put_key(out, x->key, i == 0))
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
			rc = tl_json_put_strn(out, x->v.s, x->v.len);
		}
		if (rc)
			return -1;
	}
	return tl_buf_addc(out, '}');
}
