/*
 * Copies of one occurrence (include/tl/copies.h): decide which evidence files
 * can hold copies (their own records under a record identity, or another
 * file of their family within 2 s of their span), compute each of their
 * events' key — the source's record identity, else its normalized content —
 * and link it to the events already stored under the same key. Reads and
 * writes through include/tl/store-copies.h; no SQL here.
 *
 * Not here: how copies are shown (src/output), or files with identical bytes
 * (ingest reads those once and records them as `duplicate`).
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/copies.h"

#include <stdlib.h>
#include <string.h>

#include "tl/entity.h"
#include "tl/event.h"
#include "tl/json.h"
#include "tl/store-copies.h"
#include "tl/banned.h"

/* Distinct contents counted per file for the content ordinal (the k-th
 * equal record of one file pairs with the k-th of another). Evidence is
 * hostile: past this many the count starts afresh, so equal records more
 * than this many distinct records apart may pair differently; nothing else
 * changes. */
#define ORDINAL_MAX (1u << 22)
/* Keys are looked up and added in key order, a chunk of a file at a time:
 * neighbouring keys share index pages, random ones would not. */
#define CHUNK 65536
/* Candidates read per key: copies of one record are few; more under one key
 * are stale keys or a hash collision, and the first acceptable one decides. */
#define CANDIDATES 16
/* Two copies of a Windows or GCP record may be stamped with different
 * precision (EVTX 100 ns, a forwarder milliseconds or whole seconds). */
#define TOLERANCE_TRUNCATED (2 * TL_US_PER_SEC)

/* Where the string whose inside starts at S[I] ends (its closing quote), or
 * N and past when it does not: runs of plain bytes a word at a time. */
static size_t string_end(const char *s, size_t n, size_t i)
{
	for (;;) {
		if (i < n)
			i += tl_json_plain_len(s + i, n - i);
		if (i >= n || s[i] == '"')
			return i;
		i += s[i] == '\\' ? 2 : 1;
	}
}

/* A top-level member KEY of the flat JSON object EXTRA: its raw text (a
 * string's inside, escapes kept) into *V. 1 found, 0 not. Nested objects and
 * arrays (kept whole as values) are skipped, so a key inside them never
 * matches. */
static int extra_get(const char *s, size_t n, const char *key, const char **v, size_t *vn)
{
	size_t i = 0, klen = strlen(key);
#define WS() while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++
	WS();
	if (i >= n || s[i++] != '{')
		return 0;
	for (;;) {
		WS();
		if (i >= n || s[i] != '"')
			return 0;
		size_t ks = ++i;
		i = string_end(s, n, i);
		if (i >= n)
			return 0;
		size_t ke = i++;
		WS();
		if (i >= n || s[i++] != ':')
			return 0;
		WS();
		if (i >= n)
			return 0;
		size_t vs = i, ve;
		int str = s[i] == '"';
		if (str) {
			vs = ++i;
			i = string_end(s, n, i);
			if (i >= n)
				return 0;
			ve = i++;
		} else if (s[i] == '{' || s[i] == '[') {
			int depth = 0;
			do {
				if (s[i] == '"') {
					i = string_end(s, n, i + 1);
				} else if (s[i] == '{' || s[i] == '[') {
					depth++;
				} else if (s[i] == '}' || s[i] == ']') {
					depth--;
				}
				i++;
			} while (i < n && depth > 0);
			ve = i;
		} else {
			while (i < n && s[i] != ',' && s[i] != '}')
				i++;
			ve = i;
			while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\n' || s[ve - 1] == '\r' || s[ve - 1] == '\t'))
				ve--;
		}
		if (ke - ks == klen && !memcmp(s + ks, key, klen)) {
			if (!str && ve - vs == 4 && !memcmp(s + vs, "null", 4))
				return 0;
			*v = s + vs;
			*vn = ve - vs;
			return *vn > 0;
		}
		WS();
		if (i >= n || s[i] != ',')
			return 0;
		i++;
	}
#undef WS
}

/* V in decimal, as "%lld" writes it, without printf's cost per field. */
static void put_i64(struct tl_buf *b, int64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--i] = '-';
	tl_buf_add(b, d + i, sizeof(d) - i);
}

static void put_val(struct tl_buf *b, const struct tl_value *v)
{
	if (v->type == TL_VALUE_INT)
		put_i64(b, v->i);
	else if (v->s)
		tl_buf_add(b, v->s, v->len);
}

/* Formats whose records carry a unique id of their own, in one extra key.
 * Forms of one source share a namespace so that they meet (M365 as API JSON
 * and as a Purview CSV export). */
static const struct {
	const char *format, *ns, *key;
	int64_t tolerance;
} id_rules[] = {
	{ "aws-cloudtrail", "cloudtrail", "eventID", -1 },
	{ "entra-id-audit", "entra-audit", "id", -1 },
	{ "entra-id-signin", "entra-signin", "id", -1 },
	{ "gcp-cloud-audit", "gcp", "insertId", TOLERANCE_TRUNCATED },
	{ "m365-audit", "m365", "Id", -1 },
	{ "m365-audit-csv", "m365", "Id", -1 },
	{ "okta-system-log", "okta", "uuid", -1 },
};

/* The id_rules entry of format FMT, or -1. */
static int id_rule(const char *fmt)
{
	for (size_t i = 0; i < sizeof(id_rules) / sizeof(id_rules[0]); i++)
		if (fmt[0] == id_rules[i].format[0] && !strcmp(fmt, id_rules[i].format))
			return (int)i;
	return -1;
}

int tl_copies_identity(const struct tl_event_row *r, struct tl_buf *out, int64_t *tolerance_us, int *other_file)
{
	const char *fmt = r->format.s ? r->format.s : "", *x = r->extra.s ? r->extra.s : "{}";
	size_t xn = r->extra.s ? r->extra.len : 2, vn;
	const char *v;
	tl_buf_reset(out);
	*tolerance_us = -1;
	*other_file = 0;
	int rule = id_rule(fmt);
	if (rule >= 0) {
		if (!extra_get(x, xn, id_rules[rule].key, &v, &vn))
			return 0;
		tl_buf_adds(out, id_rules[rule].ns);
		tl_buf_addc(out, '\x1f');
		tl_buf_add(out, v, vn);
		*tolerance_us = id_rules[rule].tolerance;
		return 0;
	}
	/* every Windows form (EVTX, XML, Winlogbeat, NXLog, EvtxECmd, Wazuh,
	 * Sysmon for Linux) keeps the channel in extra and the EventRecordID as
	 * the sequence; record ids restart when a log is cleared, hence the
	 * computer, the event ID and a time window too */
	const struct tl_value *host = &r->f[TL_F_host];
	if (r->seq.type != TL_VALUE_NULL && host->s && extra_get(x, xn, "System.Channel", &v, &vn)) {
		char *h = NULL;
		struct tl_err e;
		tl_buf_adds(out, "windows\x1f");
		for (size_t i = 0; i < vn; i++)
			tl_buf_addc(out, (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]));
		tl_buf_addc(out, '\x1f');
		if (tl_entity_canon(TL_ENT_HOST, host->s, &h, &e) == 0) {
			tl_buf_adds(out, h);
		} else {
			for (size_t i = 0; i < host->len; i++)
				tl_buf_addc(out, (char)(host->s[i] >= 'A' && host->s[i] <= 'Z' ? host->s[i] + 32 : host->s[i]));
		}
		free(h);
		tl_buf_addc(out, '\x1f');
		put_val(out, &r->seq);
		tl_buf_addc(out, '\x1f');
		put_val(out, &r->f[TL_F_event_code]);
		*tolerance_us = TOLERANCE_TRUNCATED;
		return 0;
	}
	/* Zeek: uid names a connection, which several logs and several records
	 * of one log share; with the class, action and the exact time it names
	 * one record, the same in TSV and JSON. Zeek does write identical lines
	 * into one log (a DNS query answered twice in the same microsecond), so
	 * only another file's record can be a copy */
	if (!strncmp(fmt, "zeek-", 5) && extra_get(x, xn, "uid", &v, &vn)) {
		tl_buf_adds(out, "zeek\x1f");
		put_val(out, &r->f[TL_F_class]);
		tl_buf_addc(out, '\x1f');
		put_val(out, &r->f[TL_F_action]);
		tl_buf_addc(out, '\x1f');
		tl_buf_add(out, v, vn);
		tl_buf_addc(out, '\x1f');
		put_i64(out, r->ts);
		*tolerance_us = 0;
		*other_file = 1;
	}
	return 0;
}

/* The bit of the families mask that Zeek identities use (tl_copies_scope). */
#define ZEEK_BIT ((uint64_t)1 << 63)

void tl_copies_scope_add(struct tl_copies_scope *sc, const struct tl_event *ev)
{
	const char *fam = ev->family ? ev->family : "", *fmt = ev->format ? ev->format : "";
	if (fam != sc->last_family || fmt != sc->last_format) {
		/* a content key holds the family: records of two families never meet */
		uint64_t h = UINT64_C(14695981039346656037);
		for (const char *p = fam; *p; p++)
			h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
		sc->families |= (uint64_t)1 << (h % 63);
		/* a Zeek identity holds no family, but only zeek-* formats have one */
		if (!strncmp(fmt, "zeek-", 5))
			sc->families |= ZEEK_BIT;
		/* the identities of tl_copies_identity() that one file may repeat:
		 * the id_rules formats ... */
		if (id_rule(fmt) >= 0)
			sc->self = 1;
		sc->last_family = fam;
		sc->last_format = fmt;
	}
	if (sc->self || !ev->has_seq)
		return;
	/* ... and a Windows record (a sequence and a channel) */
	for (size_t i = 0; i < ev->n_extra; i++)
		if (ev->extra[i].key && !strcmp(ev->extra[i].key, "System.Channel")) {
			sc->self = 1;
			return;
		}
}

/* The normalized content of R: ts, family and every field. Returns how many
 * fields are set. */
static int content_text(const struct tl_event_row *r, struct tl_buf *out)
{
	int set = 0;
	tl_buf_reset(out);
	put_i64(out, r->ts);
	tl_buf_addc(out, '\x1f');
	put_val(out, &r->family);
	for (int i = 0; i < TL_F_COUNT; i++) {
		/* a null is told apart from every value, the empty text included */
		if (r->f[i].type == TL_VALUE_NULL) {
			tl_buf_adds(out, "\x1e");
			continue;
		}
		tl_buf_addc(out, '\x1f');
		put_val(out, &r->f[i]);
		set++;
	}
	return set;
}

/* 128 bits of SHA-256(SALT || P) as two 64-bit halves. */
struct key128 {
	uint64_t k, check;
};

/* The digest H is reused for every key: setting one up costs more than
 * hashing a record. The first 16 bytes, big-endian, as the hex digits were
 * read before (keys stored by earlier versions still match). */
static int hash128(struct tl_sha256 *h, const void *p, size_t n, const char *salt, struct key128 *r)
{
	unsigned char md[32];
	tl_sha256_update(h, salt, strlen(salt));
	tl_sha256_update(h, p, n);
	if (tl_sha256_final_next(h, md))
		return -1;
	r->k = r->check = 0;
	for (int i = 0; i < 8; i++) {
		r->k = r->k << 8 | md[i];
		r->check = r->check << 8 | md[8 + i];
	}
	return 0;
}

/* How many times each content was seen at the current instant of a file. */
struct ordinals {
	uint64_t *keys;
	uint32_t *counts;
	size_t cap, used;
	size_t *slots; /* the slots in use, to clear them */
};

static void ord_clear(struct ordinals *o)
{
	for (size_t i = 0; i < o->used; i++)
		o->counts[o->slots[i]] = 0;
	o->used = 0;
}

/* The ordinal of K (0 the first time), or -1 when full or out of memory. */
static long ord_next(struct ordinals *o, uint64_t k)
{
	if (o->used >= ORDINAL_MAX)
		ord_clear(o);
	if (o->used * 2 >= o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		uint64_t *keys = calloc(cap, sizeof(*keys));
		uint32_t *counts = calloc(cap, sizeof(*counts));
		size_t *slots = calloc(cap / 2 + 1, sizeof(*slots));
		if (!keys || !counts || !slots) {
			free(keys);
			free(counts);
			free(slots);
			return -1;
		}
		size_t used = 0;
		for (size_t i = 0; i < o->used; i++) {
			size_t s = o->slots[i], j = (size_t)o->keys[s] & (cap - 1);
			while (counts[j])
				j = (j + 1) & (cap - 1);
			keys[j] = o->keys[s];
			counts[j] = o->counts[s];
			slots[used++] = j;
		}
		free(o->keys);
		free(o->counts);
		free(o->slots);
		o->keys = keys;
		o->counts = counts;
		o->slots = slots;
		o->cap = cap;
		o->used = used;
	}
	size_t j = (size_t)k & (o->cap - 1);
	while (o->counts[j] && o->keys[j] != k)
		j = (j + 1) & (o->cap - 1);
	if (!o->counts[j]) {
		o->keys[j] = k;
		o->slots[o->used++] = j;
	}
	return (long)o->counts[j]++;
}

static void ord_release(struct ordinals *o)
{
	free(o->keys);
	free(o->counts);
	free(o->slots);
}

/* A keyed event waiting for its look-up, and what the look-up decided. */
struct pending {
	struct key128 key;
	int64_t id;
	tl_us ts;
	int64_t tolerance; /* -1 none */
	int content;
	int other_file;    /* a copy only in another evidence file */
	int64_t copy_of;   /* the earlier event it is a copy of; 0 none */
};

static int by_key(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->key.k != y->key.k)
		return x->key.k < y->key.k ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_id(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int acceptable(const struct pending *e, int64_t id, int64_t check, int64_t file, tl_us ts, int64_t file_id)
{
	int64_t dt = ts > e->ts ? ts - e->ts : e->ts - ts;
	return id != e->id && check == (int64_t)e->key.check && !(e->other_file && file == file_id) &&
	       !(e->tolerance >= 0 && dt > e->tolerance);
}

/* Look up the keys of P (N events of FILE_ID, a chunk in record order) in
 * key order, so that neighbouring look-ups share index pages; then store keys
 * and links in event id order, so that the writes append. Each event is a copy
 * of the first earlier event under its key that passes the rules: one stored
 * before (a lower id), else one earlier in this chunk. */
static int link_chunk(struct tl_copies_db *c, struct pending *p, size_t n, int64_t file_id,
		      struct tl_copies_stats *st, struct tl_err *err)
{
	qsort(p, n, sizeof(*p), by_key);
	for (size_t i = 0; i < n; i++) {
		struct pending *e = &p[i];
		struct tl_copy_cand cand[CANDIDATES];
		size_t nc;
		int64_t low = 0;
		e->copy_of = 0;
		if (tl_copies_key_find(c, (int64_t)e->key.k, cand, CANDIDATES, &nc, err))
			return -1;
		for (size_t j = 0; j < nc && !e->copy_of; j++)
			if (acceptable(e, cand[j].event_id, cand[j].check, cand[j].file_id, cand[j].ts, file_id))
				e->copy_of = cand[j].event_id;
		/* events of this chunk are not stored under their keys yet: the
		 * lowest id among those before it under the same key */
		for (size_t j = i; !e->copy_of && j-- > 0 && p[j].key.k == e->key.k;)
			if (acceptable(e, p[j].id, (int64_t)p[j].key.check, file_id, p[j].ts, file_id))
				low = p[j].id;
		if (!e->copy_of)
			e->copy_of = low;
	}
	qsort(p, n, sizeof(*p), by_id);
	for (size_t i = 0; i < n; i++) {
		const struct pending *e = &p[i];
		if (tl_copies_key_add(c, (int64_t)e->key.k, (int64_t)e->key.check, e->id, err))
			return -1;
		if (!e->copy_of)
			continue;
		const char *basis = e->content ? "content" : "record-id";
		int64_t occ;
		int g = tl_copies_group_of(c, e->copy_of, &occ, err);
		if (g < 0)
			return -1;
		if (!g && tl_copies_link(c, e->copy_of, occ = e->copy_of, basis, err))
			return -1;
		if (tl_copies_link(c, e->id, occ, basis, err))
			return -1;
		st->linked++;
	}
	return 0;
}

/* What keying needs while it works: the digest, the ordinals, the text of a
 * key and the chunk of events waiting for their look-ups. */
struct keyer {
	struct tl_copies_db *c;
	struct tl_sha256 *h;
	struct ordinals ord;
	struct tl_buf text;
	struct pending *p;
};

/* Key every event of FILE_ID and link it to its copies. Events are read in
 * record order (the file's own index, no sort), keyed, and looked up a chunk
 * at a time in key order. */
static int key_file(struct keyer *kr, int64_t file_id, struct tl_copies_stats *st, struct tl_err *err)
{
	struct tl_copies_db *c = kr->c;
	struct tl_buf *text = &kr->text;
	struct pending *p = kr->p;
	/* a file of a format with record ids reads the few columns an identity
	 * needs, and the rest only for a record without one */
	char fmt[64];
	if (tl_copies_file_format(c, file_id, fmt, sizeof(fmt), err) ||
	    tl_copies_events_begin(c, file_id, id_rule(fmt) >= 0, err))
		return -1;
	const struct tl_event_row *r;
	int64_t first = INT64_MAX, last = INT64_MIN;
	size_t n = 0;
	int rc;
	ord_clear(&kr->ord);
	while ((rc = tl_copies_events_next(c, &r, err)) == 1) {
		struct pending *e = &p[n];
		e->id = r->id;
		e->ts = r->ts;
		first = r->id < first ? r->id : first;
		last = r->id > last ? r->id : last;
		st->events++;
		tl_copies_identity(r, text, &e->tolerance, &e->other_file);
		if (text->len) {
			if (hash128(kr->h, text->data, text->len, "record-id\x1f", &e->key))
				goto hash_failed;
			e->content = 0;
			st->by_record++;
		} else {
			if (tl_copies_events_fields(c, err)) {
				rc = -1;
				break;
			}
			/* content alone is thin evidence of a copy: a bare time and
			 * family with one field would link unrelated records */
			if (content_text(r, text) < 3)
				continue;
			struct key128 h;
			if (hash128(kr->h, text->data, text->len, "content\x1f", &h))
				goto hash_failed;
			long k = ord_next(&kr->ord, h.k);
			if (k < 0) {
				rc = tl_errf(err, "out of memory");
				break;
			}
			/* the first of equal records in a file is keyed by its content
			 * alone (one hash: the common case); the k-th by content and k */
			e->key = h;
			if (k > 0) {
				char salt[48];
				snprintf(salt, sizeof(salt), "content#%ld\x1f", k);
				if (hash128(kr->h, &h, sizeof(h), salt, &e->key))
					goto hash_failed;
			}
			e->content = 1;
			e->other_file = 1;
			e->tolerance = 0;
			st->by_content++;
		}
		if (++n == CHUNK) {
			if (link_chunk(c, p, n, file_id, st, err))
				goto fail;
			n = 0;
		}
	}
	if (rc < 0 || link_chunk(c, p, n, file_id, st, err))
		goto fail;
	st->files++;
	return first <= last ? tl_copies_file_done(c, file_id, first, last, err) : 0;
hash_failed:
	tl_errf(err, "copies: cannot hash a key");
fail:
	/* the statement stays prepared; the next begin resets it */
	return -1;
}

/* How far apart two files' spans may be and their events still be copies:
 * the widest tolerance of any basis but the record identities that match at
 * any time, whose files are always keyed (they are self). */
#define MEET_TOLERANCE TOLERANCE_TRUNCATED

static int by_first(const void *a, const void *b)
{
	const struct tl_copy_file *x = *(const struct tl_copy_file *const *)a, *y = *(const struct tl_copy_file *const *)b;
	if (x->first_ts != y->first_ts)
		return x->first_ts < y->first_ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Whether a span ending at END and one starting at START (not before the
 * other's start) are within the tolerance; no overflow at extreme times. */
static int within(tl_us end, tl_us start)
{
	return start <= end || (uint64_t)start - (uint64_t)end <= (uint64_t)MEET_TOLERANCE;
}

/* Mark in NEED[i] the files of F (N, id order) that must be keyed: a file
 * that may copy its own records, one ingest did not describe, and one whose
 * span, widened by the tolerance, meets the span of another file sharing a
 * bit of its families. Any two events that can be copies are then in keyed
 * files, and keyed together with every file whose events could sit under
 * their keys, so the keys and the first copies are those of keying every
 * file. Per bit, over the files holding it in order of first time: a file
 * meets an earlier-starting one when the latest end before it comes within
 * the tolerance of its start, a later-starting one when the next start does
 * of its end. */
static int files_to_key(struct tl_copy_file *f, size_t n, unsigned char *need, struct tl_err *err)
{
	struct tl_copy_file **o = malloc((n ? n : 1) * sizeof(*o)), **l = malloc((n ? n : 1) * sizeof(*l));
	if (!o || !l) {
		free(o);
		free(l);
		return tl_errf(err, "out of memory");
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		need[i] = !f[i].scoped || f[i].self || !f[i].has_span;
		if (f[i].has_span)
			o[m++] = &f[i];
	}
	qsort(o, m, sizeof(*o), by_first);
	for (int bit = 0; bit < 64; bit++) {
		uint64_t mask = (uint64_t)1 << bit;
		size_t k = 0;
		for (size_t i = 0; i < m; i++)
			if (!o[i]->scoped || (o[i]->families & mask))
				l[k++] = o[i];
		tl_us max_last = 0;
		for (size_t i = 0; i < k; i++) {
			if ((i > 0 && within(max_last, l[i]->first_ts)) || (i + 1 < k && within(l[i]->last_ts, l[i + 1]->first_ts)))
				need[l[i] - f] = 1;
			if (i == 0 || l[i]->last_ts > max_last)
				max_last = l[i]->last_ts;
		}
	}
	free(o);
	free(l);
	return 0;
}

int tl_copies_update(struct tl_store *s, struct tl_copies_stats *st, struct tl_err *err)
{
	memset(st, 0, sizeof(*st));
	struct keyer kr = { 0 };
	struct tl_copy_file *files = NULL;
	unsigned char *need = NULL;
	size_t n = 0;
	int rc = -1;
	kr.c = tl_copies_db_open(s, err);
	kr.text = (struct tl_buf)TL_BUF_INIT;
	kr.p = malloc(CHUNK * sizeof(*kr.p));
	kr.h = tl_sha256_new();
	if (!kr.p || !kr.h)
		tl_errf(err, "out of memory");
	if (!kr.p || !kr.h || !kr.c || tl_store_begin(s, err))
		goto cleanup;
	if ((st->regrouped = tl_copies_regroup(kr.c, err)) < 0 || tl_copies_files(kr.c, &files, &n, err))
		goto cleanup;
	if (!(need = calloc(n ? n : 1, 1))) {
		tl_errf(err, "out of memory");
		goto cleanup;
	}
	if (files_to_key(files, n, need, err))
		goto cleanup;
	/* TL_COPIES_KEY_ALL=1 keys every file, as before keying was lazy: the
	 * tests compare the two (t1610) */
	const char *all = getenv("TL_COPIES_KEY_ALL");
	if (all && !strcmp(all, "1"))
		memset(need, 1, n);
	/* in id order, as if each file had been keyed when it was stored */
	for (size_t i = 0; i < n; i++) {
		if (files[i].keyed)
			continue;
		if (!need[i]) {
			st->unkeyed++;
			continue;
		}
		if (key_file(&kr, files[i].id, st, err))
			goto cleanup;
	}
	rc = tl_store_commit(s, err);
cleanup:
	free(kr.p);
	free(files);
	free(need);
	tl_sha256_free(kr.h);
	ord_release(&kr.ord);
	tl_buf_release(&kr.text);
	tl_copies_db_free(kr.c);
	return rc;
}
