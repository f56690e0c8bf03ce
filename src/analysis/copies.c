/*
 * Copies of one occurrence (include/tl/copies.h): decide which events can
 * have copies (every event of a file whose own records may be copies of each
 * other, else those in the time ranges where another file of its family
 * meets its span within 2 s), compute each one's key — the source's record
 * identity, else its normalized content — and link it to the events already
 * stored under the same key. Which ranges of each file are keyed is kept
 * (copy_ranges), so that a later file keys only what it adds. Reads and
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
#include "tl/grow.h"
#include "tl/json.h"
#include "tl/store-copies.h"
#include "tl/banned.h"

/* Distinct contents counted per read for the content ordinal (the k-th
 * equal record of one file pairs with the k-th of another). Equal records
 * share their time, so past this many only the contents of the current
 * instant are kept: exact for a read in time order (a range, or a file
 * whose records are in time order). Evidence is hostile: in a file out of
 * time order, equal records more than this many distinct records apart
 * may pair differently; nothing else changes. */
#define ORDINAL_MAX (1u << 22)
/* Keyed time ranges per file (docs/correlation.md#when-files-are-keyed):
 * past this many a file is keyed whole. */
#define RANGES_MAX 4096
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
	tl_us *ts;     /* the instant of each content */
	size_t cap, used;
	size_t *slots; /* the slots in use, to clear them */
};

static void ord_clear(struct ordinals *o)
{
	for (size_t i = 0; i < o->used; i++)
		o->counts[o->slots[i]] = 0;
	o->used = 0;
}

/* The slot of K in O: its own, or the empty one where it goes. */
static size_t ord_slot(const struct ordinals *o, uint64_t k)
{
	size_t j = (size_t)k & (o->cap - 1);
	while (o->counts[j] && o->keys[j] != k)
		j = (j + 1) & (o->cap - 1);
	return j;
}

/* Keep only the contents seen at instant TS (the only ones a later equal
 * record can share, when records come in time order). 0, -1 out of memory. */
static int ord_keep_instant(struct ordinals *o, tl_us ts)
{
	size_t kept = 0;
	for (size_t i = 0; i < o->used; i++)
		kept += o->ts[o->slots[i]] == ts;
	if (!kept || kept >= ORDINAL_MAX / 2) {
		ord_clear(o);
		return 0;
	}
	uint64_t *k = malloc(kept * sizeof(*k));
	uint32_t *c = malloc(kept * sizeof(*c));
	if (!k || !c) {
		free(k);
		free(c);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < o->used; i++) {
		size_t s = o->slots[i];
		if (o->ts[s] == ts) {
			k[n] = o->keys[s];
			c[n++] = o->counts[s];
		}
	}
	ord_clear(o);
	for (size_t i = 0; i < n; i++) {
		size_t j = ord_slot(o, k[i]);
		o->keys[j] = k[i];
		o->counts[j] = c[i];
		o->ts[j] = ts;
		o->slots[o->used++] = j;
	}
	free(k);
	free(c);
	return 0;
}

/* The ordinal of K, a content of instant TS (0 the first time), or -1 out
 * of memory. */
static long ord_next(struct ordinals *o, uint64_t k, tl_us ts)
{
	if (o->used >= ORDINAL_MAX && ord_keep_instant(o, ts))
		return -1;
	if (o->used * 2 >= o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 1024;
		uint64_t *keys = calloc(cap, sizeof(*keys));
		uint32_t *counts = calloc(cap, sizeof(*counts));
		tl_us *tss = calloc(cap, sizeof(*tss));
		size_t *slots = calloc(cap / 2 + 1, sizeof(*slots));
		if (!keys || !counts || !tss || !slots) {
			free(keys);
			free(counts);
			free(tss);
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
			tss[j] = o->ts[s];
			slots[used++] = j;
		}
		free(o->keys);
		free(o->counts);
		free(o->ts);
		free(o->slots);
		o->keys = keys;
		o->counts = counts;
		o->ts = tss;
		o->slots = slots;
		o->cap = cap;
		o->used = used;
	}
	size_t j = ord_slot(o, k);
	if (!o->counts[j]) {
		o->keys[j] = k;
		o->ts[j] = ts;
		o->slots[o->used++] = j;
	}
	return (long)o->counts[j]++;
}

static void ord_release(struct ordinals *o)
{
	free(o->keys);
	free(o->counts);
	free(o->ts);
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
	size_t n; /* events waiting in P */
};

/* A closed range of instants FROM..TO (microseconds). */
struct span {
	tl_us from, to;
};

/* Whether TS lies in one of the N ranges S (sorted, disjoint). */
static int in_spans(const struct span *s, size_t n, tl_us ts)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].to < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && s[lo].from <= ts;
}

/* Key the events of the read begun on KR's handle (only those in the N_ONLY
 * ranges ONLY when ONLY is set) and link them a chunk at a time; the chunk
 * carries over to the file's next read. */
static int key_read(struct keyer *kr, int64_t file_id, const struct span *only, size_t n_only,
		    struct tl_copies_stats *st, struct tl_err *err)
{
	struct tl_copies_db *c = kr->c;
	struct tl_buf *text = &kr->text;
	const struct tl_event_row *r;
	int rc;
	/* the ordinal counts equal records of one read: they share their
	 * instant, so they are all in a read that has any of them */
	ord_clear(&kr->ord);
	while ((rc = tl_copies_events_next(c, &r, err)) == 1) {
		if (only && !in_spans(only, n_only, r->ts))
			continue;
		struct pending *e = &kr->p[kr->n];
		e->id = r->id;
		e->ts = r->ts;
		st->events++;
		tl_copies_identity(r, text, &e->tolerance, &e->other_file);
		if (text->len) {
			if (hash128(kr->h, text->data, text->len, "record-id\x1f", &e->key))
				goto hash_failed;
			e->content = 0;
			st->by_record++;
		} else {
			if (tl_copies_events_fields(c, err))
				return -1;
			/* content alone is thin evidence of a copy: a bare time and
			 * family with one field would link unrelated records */
			if (content_text(r, text) < 3)
				continue;
			struct key128 h;
			if (hash128(kr->h, text->data, text->len, "content\x1f", &h))
				goto hash_failed;
			long k = ord_next(&kr->ord, h.k, r->ts);
			if (k < 0)
				return tl_errf(err, "out of memory");
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
		if (++kr->n == CHUNK) {
			if (link_chunk(c, kr->p, kr->n, file_id, st, err))
				return -1;
			kr->n = 0;
		}
	}
	/* on an error the statement stays prepared; the next begin resets it */
	return rc;
hash_failed:
	return tl_errf(err, "copies: cannot hash a key");
}

/* How a file's events are read for keying. */
enum read_mode {
	READ_WHOLE,  /* every event, in record order (the file's own index) */
	READ_FILTER, /* in record order, only those in the ranges */
	READ_RANGES, /* range by range through the time index, in time order */
};

/* Key the events of FILE_ID that MODE reads (the N ranges TODO, sorted and
 * disjoint, unless READ_WHOLE) and link each to its copies. Events are keyed
 * and looked up a chunk at a time in key order. */
static int key_file(struct keyer *kr, int64_t file_id, enum read_mode mode, const struct span *todo, size_t n,
		    struct tl_copies_stats *st, struct tl_err *err)
{
	struct tl_copies_db *c = kr->c;
	kr->n = 0;
	if (mode == READ_RANGES) {
		for (size_t i = 0; i < n; i++)
			if (tl_copies_events_range(c, file_id, todo[i].from, todo[i].to, err) ||
			    key_read(kr, file_id, NULL, 0, st, err))
				return -1;
	} else {
		/* a file of a format with record ids reads the few columns an
		 * identity needs, and the rest only for a record without one */
		char fmt[64];
		if (tl_copies_file_format(c, file_id, fmt, sizeof(fmt), err) ||
		    tl_copies_events_begin(c, file_id, id_rule(fmt) >= 0, err) ||
		    key_read(kr, file_id, mode == READ_FILTER ? todo : NULL, n, st, err))
			return -1;
	}
	if (link_chunk(c, kr->p, kr->n, file_id, st, err))
		return -1;
	kr->n = 0;
	st->files++;
	return 0;
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

static tl_us sat_add(tl_us a, tl_us b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static tl_us sat_sub(tl_us a, tl_us b)
{
	return a < INT64_MIN + b ? INT64_MIN : a - b;
}

/* A set of ranges of one file: WHOLE, or V (N of them). */
struct spans {
	struct span *v;
	size_t n, cap;
	int whole;
};

static void spans_release(struct spans *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int by_from(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

/* Sort S and merge ranges that overlap or are adjacent (instants are whole
 * microseconds: ..5 and 6.. leave nothing between them). */
static void spans_norm(struct spans *s)
{
	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), by_from);
	size_t m = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[m].to == INT64_MAX || s->v[i].from <= s->v[m].to + 1) {
			if (s->v[i].to > s->v[m].to)
				s->v[m].to = s->v[i].to;
		} else {
			s->v[++m] = s->v[i];
		}
	}
	s->n = m + 1;
}

/* Add FROM..TO to S (never WHOLE). The callers bound the count. */
static int spans_add(struct spans *s, tl_us from, tl_us to)
{
	struct span *v = tl_grow(s->v, &s->cap, s->n + 1, sizeof(*v), 4);
	if (!v)
		return -1;
	s->v = v;
	s->v[s->n++] = (struct span){ from, to };
	return 0;
}

/* Add FROM..TO to the ranges a file needs. Past RANGES_MAX ranges that do
 * not merge it needs the whole file (a bound on hostile evidence: many small
 * files around one). */
static int need_add(struct spans *s, tl_us from, tl_us to)
{
	if (s->whole)
		return 0;
	if (s->n >= RANGES_MAX) {
		spans_norm(s);
		if (s->n >= RANGES_MAX / 2) {
			spans_release(s);
			s->whole = 1;
			return 0;
		}
	}
	return spans_add(s, from, to);
}

/* The ranges of A (NA, sorted, disjoint) that none of B (NB, likewise)
 * covers, added to OUT. */
static int spans_minus(const struct span *a, size_t na, const struct span *b, size_t nb, struct spans *out)
{
	size_t k = 0;
	for (size_t i = 0; i < na; i++) {
		tl_us cur = a[i].from;
		int done = 0;
		while (k < nb && b[k].to < cur)
			k++;
		for (size_t j = k; j < nb && b[j].from <= a[i].to; j++) {
			if (b[j].from > cur && spans_add(out, cur, b[j].from - 1))
				return -1;
			if (b[j].to >= a[i].to) {
				done = 1;
				break;
			}
			cur = b[j].to + 1;
		}
		if (!done && spans_add(out, cur, a[i].to))
			return -1;
	}
	return 0;
}

/* Into NEED[i] the time ranges of file F[i] (N, id order) whose events must
 * be keyed: the whole file when it may copy its own records, ingest did not
 * describe it, it has no span or shares a family with a file that has none;
 * else, for every other file sharing a bit of
 * its families whose span, widened by the tolerance, meets its own, the part
 * of its span that the other's widened span covers. A copy of an event
 * outside these ranges can only be in a file that is not in the case, so
 * keying them gives the keys and first copies of keying every file
 * (docs/correlation.md#when-files-are-keyed). Over the files in order of
 * first time, each meets the later-starting ones up to the first that starts
 * past its end and the tolerance. */
static int ranges_needed(const struct tl_copy_file *f, size_t n, struct spans *need, struct tl_err *err)
{
	const struct tl_copy_file **o = malloc((n ? n : 1) * sizeof(*o));
	if (!o)
		return tl_errf(err, "out of memory");
	size_t m = 0;
	uint64_t no_span = 0;
	for (size_t i = 0; i < n; i++) {
		need[i].whole = !f[i].scoped || f[i].self || !f[i].has_span;
		if (f[i].has_span)
			o[m++] = &f[i];
		else
			no_span |= f[i].scoped ? f[i].families : ~UINT64_C(0);
	}
	/* a file without a span (none is made today) can meet anything: the
	 * files sharing a bit with it are keyed whole */
	for (size_t i = 0; i < m; i++)
		if (no_span & (o[i]->scoped ? o[i]->families : ~UINT64_C(0)))
			need[o[i] - f].whole = 1;
	qsort(o, m, sizeof(*o), by_first);
	for (size_t i = 0; i < m; i++) {
		const struct tl_copy_file *a = o[i];
		struct spans *na = &need[a - f];
		uint64_t fa = a->scoped ? a->families : ~UINT64_C(0);
		for (size_t j = i + 1; j < m && within(a->last_ts, o[j]->first_ts); j++) {
			const struct tl_copy_file *b = o[j];
			struct spans *nb = &need[b - f];
			if (!(fa & (b->scoped ? b->families : ~UINT64_C(0))) || (na->whole && nb->whole))
				continue;
			tl_us a_from = a->first_ts > sat_sub(b->first_ts, MEET_TOLERANCE) ? a->first_ts
											   : sat_sub(b->first_ts, MEET_TOLERANCE);
			tl_us a_to = a->last_ts < sat_add(b->last_ts, MEET_TOLERANCE) ? a->last_ts
										     : sat_add(b->last_ts, MEET_TOLERANCE);
			tl_us b_to = b->last_ts < sat_add(a->last_ts, MEET_TOLERANCE) ? b->last_ts
										     : sat_add(a->last_ts, MEET_TOLERANCE);
			/* B starts no earlier than A: its part starts at its start */
			if (need_add(na, a_from, a_to) || need_add(nb, b->first_ts, b_to)) {
				free(o);
				return tl_errf(err, "out of memory");
			}
		}
	}
	free(o);
	/* ranges that cover the span are the whole file */
	for (size_t i = 0; i < n; i++) {
		spans_norm(&need[i]);
		if (!need[i].whole && need[i].n == 1 && need[i].v[0].from <= f[i].first_ts &&
		    need[i].v[0].to >= f[i].last_ts) {
			spans_release(&need[i]);
			need[i].whole = 1;
		}
	}
	return 0;
}

/* The file F's ranges keyed so far are K (NK); NEED what must be keyed now.
 * Into TODO what is left to key and into *MODE how to read it (nothing left:
 * TODO empty), and into KEYED the ranges keyed once it is done (whole:
 * INT64_MIN..INT64_MAX). */
static int plan_file(const struct tl_copy_file *f, const struct tl_copy_range *k, size_t nk,
		     const struct spans *need, struct spans *todo, enum read_mode *mode, struct spans *keyed)
{
	struct span span = { INT64_MIN, INT64_MAX };
	if (f->has_span)
		span = (struct span){ f->first_ts, f->last_ts };
	struct spans have = { 0 };
	int rc = -1;
	for (size_t i = 0; i < nk; i++)
		if (spans_add(&have, k[i].from, k[i].to))
			goto done;
	spans_norm(&have);
	*mode = READ_RANGES;
	if (need->whole && !nk) {
		*mode = READ_WHOLE;
		if (spans_add(todo, span.from, span.to))
			goto done;
	} else if (spans_minus(need->whole ? &span : need->v, need->whole ? 1 : need->n, have.v, have.n, todo)) {
		goto done;
	}
	spans_norm(todo);
	/* the keyed ranges, once these are */
	struct spans after = { 0 };
	for (size_t i = 0; i < have.n + todo->n; i++) {
		const struct span *x = i < have.n ? &have.v[i] : &todo->v[i - have.n];
		if (spans_add(&after, x->from, x->to)) {
			spans_release(&after);
			goto done;
		}
	}
	spans_norm(&after);
	if (after.n > RANGES_MAX) {
		/* too many pieces kept over the runs: key the rest of the file */
		todo->n = 0;
		after.n = 0;
		if (spans_minus(&span, 1, have.v, have.n, todo) || spans_add(&after, span.from, span.to)) {
			spans_release(&after);
			goto done;
		}
		spans_norm(todo);
	}
	spans_release(&have);
	have = after;
	struct spans left = { 0 };
	if (spans_minus(&span, 1, have.v, have.n, &left))
		goto done;
	int all = !left.n;
	spans_release(&left);
	if (all) {
		spans_release(&have);
		if (spans_add(&have, INT64_MIN, INT64_MAX))
			goto done;
	}
	*keyed = have;
	have = (struct spans){ 0 };
	/* through the time index a range reads every file's events in it: when
	 * the ranges are half the file's span or more, read the file once and
	 * skip the rest; a file whose own records may be copies of each other is
	 * read in record order, as when keying it whole, so that the first of
	 * them is the same */
	if (*mode == READ_RANGES && todo->n) {
		double d = 0, whole = (double)span.to - (double)span.from + 1;
		for (size_t i = 0; i < todo->n; i++)
			d += (double)todo->v[i].to - (double)todo->v[i].from + 1;
		if (f->self || !f->scoped || 2 * d >= whole)
			*mode = READ_FILTER;
	}
	rc = 0;
done:
	spans_release(&have);
	return rc;
}

int tl_copies_update(struct tl_store *s, struct tl_copies_stats *st, struct tl_err *err)
{
	memset(st, 0, sizeof(*st));
	struct keyer kr = { 0 };
	struct tl_copy_file *files = NULL;
	struct tl_copy_range *ranges = NULL;
	struct spans *need = NULL, todo = { 0 }, keyed = { 0 };
	size_t n = 0, nr = 0;
	int rc = -1;
	kr.c = tl_copies_db_open(s, err);
	kr.text = (struct tl_buf)TL_BUF_INIT;
	kr.p = malloc(CHUNK * sizeof(*kr.p));
	kr.h = tl_sha256_new();
	if (!kr.p || !kr.h)
		tl_errf(err, "out of memory");
	if (!kr.p || !kr.h || !kr.c || tl_store_begin(s, err))
		goto cleanup;
	if ((st->regrouped = tl_copies_regroup(kr.c, err)) < 0 || tl_copies_files(kr.c, &files, &n, err) ||
	    tl_copies_ranges(kr.c, &ranges, &nr, err))
		goto cleanup;
	if (!(need = calloc(n ? n : 1, sizeof(*need)))) {
		tl_errf(err, "out of memory");
		goto cleanup;
	}
	if (ranges_needed(files, n, need, err))
		goto cleanup;
	/* TL_COPIES_KEY_ALL=1 keys every file whole, as before keying was lazy:
	 * the tests compare the two (t1610, t1700) */
	const char *all = getenv("TL_COPIES_KEY_ALL");
	if (all && !strcmp(all, "1"))
		for (size_t i = 0; i < n; i++) {
			spans_release(&need[i]);
			need[i].whole = 1;
		}
	/* As if each file had been keyed whole by the run that stored it: first
	 * what files dealt with before need now (none of it can be a copy of
	 * anything in them: it would have been keyed with it), in id order;
	 * then this run's files in id order. */
	for (int pass = 0; pass < 2; pass++) {
		size_t r = 0;
		for (size_t i = 0; i < n; i++) {
			const struct tl_copy_range *k;
			size_t nk = 0;
			enum read_mode mode;
			while (r < nr && ranges[r].file_id < files[i].id)
				r++;
			for (k = ranges + r; r + nk < nr && k[nk].file_id == files[i].id; nk++)
				;
			if (files[i].seen != !pass)
				continue;
			todo.n = 0;
			todo.whole = 0;
			if (plan_file(&files[i], k, nk, &need[i], &todo, &mode, &keyed)) {
				tl_errf(err, "out of memory");
				goto cleanup;
			}
			if (!todo.n) {
				st->unkeyed += !files[i].seen && !nk;
			} else {
				struct tl_copy_range *w = malloc(keyed.n * sizeof(*w));
				if (!w) {
					tl_errf(err, "out of memory");
					goto cleanup;
				}
				for (size_t j = 0; j < keyed.n; j++)
					w[j] = (struct tl_copy_range){ files[i].id, keyed.v[j].from, keyed.v[j].to };
				int bad = key_file(&kr, files[i].id, mode, todo.v, todo.n, st, err) ||
					  tl_copies_ranges_set(kr.c, files[i].id, w, keyed.n, err);
				free(w);
				if (bad)
					goto cleanup;
			}
			spans_release(&keyed);
			if (!files[i].seen && tl_copies_file_seen(kr.c, files[i].id, err))
				goto cleanup;
		}
	}
	rc = tl_store_commit(s, err);
cleanup:
	free(kr.p);
	if (need)
		for (size_t i = 0; i < n; i++)
			spans_release(&need[i]);
	free(need);
	spans_release(&todo);
	spans_release(&keyed);
	free(files);
	free(ranges);
	tl_sha256_free(kr.h);
	ord_release(&kr.ord);
	tl_buf_release(&kr.text);
	tl_copies_db_free(kr.c);
	return rc;
}
