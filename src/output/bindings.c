/*
 * tl bindings: the time-bounded bindings of a case and their conflicts, each
 * with the evidence that justifies it (include/tl/output.h). Bindings come in
 * (kind, subject, start) order, conflicts in the order correlation found
 * them; both orders are total, so the output is deterministic.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/output.h"

#include <stdlib.h>
#include <string.h>

#include "tl/bindings.h"
#include "tl/entity.h"
#include "tl/json.h"
#include "tl/banned.h"

static void when(struct tl_buf *b, int has, tl_us t, int json, const char *none)
{
	char iso[40];
	if (has && tl_time_format_iso(t, iso, sizeof(iso)))
		tl_buf_addf(b, json ? "\"%s\"" : "%s", iso);
	else
		tl_buf_adds(b, json ? "null" : none);
}

static void pad(struct tl_buf *b, size_t start, size_t width)
{
	while (b->len - start < width)
		tl_buf_addc(b, ' ');
	tl_buf_adds(b, "  ");
}

static void cell(struct tl_buf *b, const char *s, size_t width)
{
	size_t start = b->len;
	tl_term_escape(b, s, strlen(s));
	pad(b, start, width);
}

/* Text: "path:line, path:line" from the evidence JSON tl wrote. */
static void evidence_text(struct tl_buf *b, const char *json, int64_t events)
{
	const char *p = json;
	int n = 0;
	while ((p = strstr(p, "{\"path\":\""))) {
		p += 9;
		const char *end = p;
		while (*end && *end != '"')
			end += *end == '\\' && end[1] ? 2 : 1;
		const char *line = strstr(end, "\"line\":");
		tl_buf_adds(b, n++ ? ", " : "");
		tl_term_escape(b, p, (size_t)(end - p));
		if (line)
			tl_buf_addf(b, ":%lld", (long long)strtoll(line + 7, NULL, 10));
		p = end;
	}
	if (events > n && n)
		tl_buf_addf(b, " (+%lld more)", (long long)(events - n));
}

static void binding_text(struct tl_buf *b, const struct tl_binding_row *r)
{
	const struct tl_binding *x = &r->b;
	size_t start = b->len;
	tl_buf_addf(b, "%lld", (long long)x->id);
	pad(b, start, 4);
	cell(b, x->kind, 9);
	cell(b, x->subject, 15);
	cell(b, x->value, 12);
	start = b->len;
	when(b, x->has_start, x->start, 0, "(before the evidence)");
	pad(b, start, 27);
	start = b->len;
	when(b, x->has_end, x->end, 0, "(open)");
	pad(b, start, 27);
	cell(b, x->end_rule, 15);
	cell(b, x->source, 10);
	start = b->len;
	tl_buf_addf(b, "%lld", (long long)x->events);
	pad(b, start, 6);
	start = b->len;
	tl_buf_addf(b, "%lld", (long long)r->attributed);
	pad(b, start, 10);
	evidence_text(b, x->evidence, x->events);
	tl_buf_addc(b, '\n');
}

static void binding_json(struct tl_buf *b, const struct tl_binding_row *r)
{
	const struct tl_binding *x = &r->b;
	tl_buf_addf(b, "{\"type\":\"binding\",\"id\":%lld", (long long)x->id);
	const char *keys[3] = { "kind", "subject", "value" }, *vals[3] = { x->kind, x->subject, x->value };
	for (int i = 0; i < 3; i++) {
		tl_json_put_key(b, keys[i], 0);
		tl_json_put_str(b, vals[i]);
	}
	tl_buf_adds(b, ",\"start\":");
	when(b, x->has_start, x->start, 1, NULL);
	tl_buf_adds(b, ",\"end\":");
	when(b, x->has_end, x->end, 1, NULL);
	tl_json_put_key(b, "end_rule", 0);
	tl_json_put_str(b, x->end_rule);
	tl_json_put_key(b, "source", 0);
	tl_json_put_str(b, x->source);
	tl_buf_addf(b, ",\"events\":%lld,\"attributed\":%lld,\"evidence\":%s}\n", (long long)x->events,
		    (long long)r->attributed, x->evidence);
}

static void conflict_line(struct tl_buf *b, const struct tl_binding_conflict *c, int json)
{
	if (json) {
		tl_buf_addf(b, "{\"type\":\"conflict\",\"id\":%lld", (long long)c->id);
		tl_json_put_key(b, "kind", 0);
		tl_json_put_str(b, c->kind);
		tl_json_put_key(b, "subject", 0);
		tl_json_put_str(b, c->subject);
		tl_buf_addf(b, ",\"bindings\":[%lld,%lld],\"start\":", (long long)c->binding_a, (long long)c->binding_b);
		when(b, c->has_start, c->start, 1, NULL);
		tl_buf_adds(b, ",\"end\":");
		when(b, c->has_end, c->end, 1, NULL);
		tl_buf_addf(b, ",\"events\":%lld}\n", (long long)c->events);
		return;
	}
	tl_buf_addf(b, "conflict %lld: ", (long long)c->id);
	tl_term_escape(b, c->kind, strlen(c->kind));
	tl_buf_addc(b, ' ');
	tl_term_escape(b, c->subject, strlen(c->subject));
	tl_buf_addf(b, " bound by #%lld and #%lld at once from ", (long long)c->binding_a, (long long)c->binding_b);
	when(b, c->has_start, c->start, 0, "(before the evidence)");
	tl_buf_adds(b, " to ");
	when(b, c->has_end, c->end, 0, "(open)");
	tl_buf_addf(b, ": %lld event%s in it left unattributed\n", (long long)c->events, c->events == 1 ? "" : "s");
}

static int flush(struct tl_buf *b, FILE *out, struct tl_err *err)
{
	if (b->len && fwrite(b->data, 1, b->len, out) != b->len)
		return tl_errf(err, "cannot write output");
	tl_buf_reset(b);
	return 0;
}

long tl_bindings_write(struct tl_store *s, const char *kind, const struct tl_entity *en, enum tl_out_format fmt,
		       FILE *out, struct tl_err *err)
{
	char *canon = NULL;
	struct tl_buf b = TL_BUF_INIT;
	struct tl_bind_iter *it = NULL;
	long n = -1, nc = 0;
	int json = fmt == TL_OUT_JSONL, rc;
	enum tl_entity_type t;
	if (en) {
		if (tl_entity_type_parse(en->type, &t) || (t != TL_ENT_USER && t != TL_ENT_HOST && t != TL_ENT_IP)) {
			tl_errf(err, "bindings: entity type '%s' has no bindings (user, host, ip)", en->type);
			goto cleanup;
		}
		/* a binding holds canonical texts */
		if (tl_entity_canon(t, en->value, &canon, err))
			goto cleanup;
	}
	const struct tl_binding_row *r;
	if (!(it = tl_store_bindings(s, kind, canon, err)))
		goto cleanup;
	n = 0;
	while ((rc = tl_store_next_binding(it, &r, err)) == 1) {
		if (!json && n == 0)
			tl_buf_adds(&b, "ID    KIND       SUBJECT          VALUE         START                        END                          "
				       "END RULE         SOURCE      EVENTS  ATTRIBUTED  EVIDENCE\n");
		if (json)
			binding_json(&b, r);
		else
			binding_text(&b, r);
		n++;
		if (flush(&b, out, err))
			rc = -1;
		if (rc < 0)
			break;
	}
	tl_bind_iter_free(it);
	it = NULL;
	if (rc < 0) {
		n = -1;
		goto cleanup;
	}
	const struct tl_binding_conflict *c;
	if (!(it = tl_store_conflicts(s, kind, canon, err))) {
		n = -1;
		goto cleanup;
	}
	while ((rc = tl_store_next_conflict(it, &c, err)) == 1) {
		if (!json && nc++ == 0)
			tl_buf_adds(&b, "\n");
		conflict_line(&b, c, json);
		if (flush(&b, out, err)) {
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		n = -1;
		goto cleanup;
	}
	if (!json && n == 0) {
		int64_t all = 0;
		if (tl_store_bindings_count(s, &all, err)) {
			n = -1;
			goto cleanup;
		}
		tl_buf_adds(&b, all ? "no binding matches\n"
				    : "attribution: none available (no VPN session, DHCP lease, logon, sign-in, proxy "
				      "authentication or inventory binding in this case)\n");
	}
	if (flush(&b, out, err))
		n = -1;
cleanup:
	tl_bind_iter_free(it);
	tl_buf_release(&b);
	free(canon);
	return n;
}
