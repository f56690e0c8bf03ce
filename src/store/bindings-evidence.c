/*
 * A binding's evidence, stored compactly (schema v12, docs/schema.md).
 *
 * Correlation gives each binding the JSON array of its first evidence
 * records, [{"path":"evidence/sq.log","line":8140},...]: 40 bytes and more
 * an entry, the path repeated in every one (24 of 53 MB of bindings on 1 M
 * Squid lines). binding_rows.evidence keeps [P,8140,17961,...] instead when
 * every entry names one path (the usual binding), [[P,8140],[Q,12],...]
 * when they name several, P and Q naming binding_paths rows; the view
 * bindings turns it back into the same text, byte for byte, for tl sql,
 * SQLite clients and tl's readers.
 *
 * Only the exact form correlation writes is packed: entries of a path with
 * nothing JSON would escape (printable ASCII but '"' and '\') and a line in
 * plain digits, no spaces. Anything else is stored as given and shown as
 * stored, so what the view rebuilds is always what was written.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/banned.h"

/* paths looked up once per writer: the evidence of a case names few files */
#define PATHS_MAX 256
#define PATH_MAX_LEN 4096

struct path_id {
	char *path;
	int64_t id;
};

struct tl_bind_paths {
	sqlite3 *db;
	sqlite3_stmt *get, *add;
	struct path_id p[PATHS_MAX];
	size_t n, last;
	struct tl_buf lines; /* the lines of the entries, for the one-path form */
};

void tl_bind_paths_free(struct tl_bind_paths *x)
{
	if (!x)
		return;
	sqlite3_finalize(x->get);
	sqlite3_finalize(x->add);
	for (size_t i = 0; i < x->n; i++)
		free(x->p[i].path);
	tl_buf_release(&x->lines);
	free(x);
}

struct tl_bind_paths *tl_bind_paths_new(sqlite3 *db, struct tl_err *err)
{
	struct tl_bind_paths *x = calloc(1, sizeof(*x));
	if (!x) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	x->db = db;
	if (sqlite3_prepare_v2(db, "SELECT id FROM binding_paths WHERE path = ?1", -1, &x->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO binding_paths (path) VALUES (?1)", -1, &x->add, NULL) != SQLITE_OK) {
		tl_errf(err, "case database: preparing the evidence paths: %s", sqlite3_errmsg(db));
		tl_bind_paths_free(x);
		return NULL;
	}
	return x;
}

/* The binding_paths id of PATH (LEN bytes), added when new. */
static int path_id(struct tl_bind_paths *x, const char *path, size_t len, int64_t *id, struct tl_err *err)
{
	if (x->n && strlen(x->p[x->last].path) == len && !memcmp(x->p[x->last].path, path, len)) {
		*id = x->p[x->last].id;
		return 0;
	}
	for (size_t i = 0; i < x->n; i++)
		if (strlen(x->p[i].path) == len && !memcmp(x->p[i].path, path, len)) {
			x->last = i;
			*id = x->p[i].id;
			return 0;
		}
	sqlite3_stmt *st = x->get;
	sqlite3_bind_text(st, 1, path, (int)len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = x->add;
		sqlite3_bind_text(st, 1, path, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return tl_errf(err, "case database: recording an evidence path: %s", sqlite3_errmsg(x->db));
		*id = sqlite3_last_insert_rowid(x->db);
	} else if (rc != SQLITE_ROW) {
		return tl_errf(err, "case database: looking up an evidence path: %s", sqlite3_errmsg(x->db));
	}
	if (x->n < PATHS_MAX) {
		char *copy = malloc(len + 1);
		if (!copy)
			return tl_errf(err, "out of memory");
		memcpy(copy, path, len);
		copy[len] = 0;
		x->p[x->n].path = copy;
		x->p[x->n].id = *id;
		x->last = x->n++;
	}
	return 0;
}

/* Whether S starts with the literal LIT; advances S past it. */
static int lit(const char **s, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*s, lit, n))
		return 0;
	*s += n;
	return 1;
}

int tl_bind_evidence_pack(struct tl_bind_paths *x, const char *json, struct tl_buf *out, struct tl_err *err)
{
	tl_buf_reset(out);
	tl_buf_reset(&x->lines);
	const char *s = json;
	int64_t first_id = 0;
	int same = 1;
	if (!lit(&s, "[") || !*s || !strcmp(s, "]"))
		goto verbatim;
	tl_buf_addc(out, '[');
	for (int first = 1;; first = 0) {
		if (!first && !lit(&s, ","))
			goto verbatim;
		if (!lit(&s, "{\"path\":\""))
			goto verbatim;
		const char *p = s;
		while (*s && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
			s++;
		size_t plen = (size_t)(s - p);
		if (*s != '"' || !plen || plen > PATH_MAX_LEN)
			goto verbatim;
		s++;
		if (!lit(&s, ",\"line\":"))
			goto verbatim;
		const char *d = s;
		while (*s >= '0' && *s <= '9')
			s++;
		size_t dlen = (size_t)(s - d);
		/* plain digits as tl writes them: no sign, no leading zero, fits 18 digits */
		if (!dlen || dlen > 18 || (dlen > 1 && *d == '0') || !lit(&s, "}"))
			goto verbatim;
		int64_t id = 0;
		if (path_id(x, p, plen, &id, err))
			return -1;
		if (first)
			first_id = id;
		else if (id != first_id)
			same = 0;
		tl_buf_addf(out, "%s[%lld,", first ? "" : ",", (long long)id);
		tl_buf_add(out, d, dlen);
		tl_buf_addc(out, ']');
		tl_buf_addc(&x->lines, ',');
		tl_buf_add(&x->lines, d, dlen);
		if (lit(&s, "]")) {
			if (*s)
				goto verbatim;
			break;
		}
	}
	tl_buf_addc(out, ']');
	if (same) {
		/* one path (the usual binding): [P,L1,L2,...] */
		tl_buf_reset(out);
		tl_buf_addf(out, "[%lld", (long long)first_id);
		tl_buf_add(out, x->lines.data, x->lines.len);
		tl_buf_addc(out, ']');
	}
	if (out->failed || x->lines.failed)
		return tl_errf(err, "out of memory");
	return 0;
verbatim:
	tl_buf_reset(out);
	tl_buf_adds(out, json);
	return out->failed ? tl_errf(err, "out of memory") : 0;
}

/* ---- the migration ------------------------------------------------------- */

const char tl_bind_evidence_view[] =
	"CREATE VIEW bindings AS SELECT b.id, b.kind, b.subject, b.value, b.start_ts, b.end_ts, b.end_rule, b.source,\n"
	"  b.start_event_id, b.end_event_id, b.events,\n"
	/* [P,L1,L2,...]: string operations only, about as cheap as reading the text */
	"  CASE WHEN b.evidence GLOB '[[][0-9]*' THEN (SELECT '[{\"path\":' || q || ',\"line\":' ||\n"
	"      replace(substr(b.evidence, instr(b.evidence, ',') + 1, length(b.evidence) - instr(b.evidence, ',') - 1),\n"
	"        ',', '},{\"path\":' || q || ',\"line\":') || '}]'\n"
	"    FROM (SELECT json_quote(p.path) AS q FROM binding_paths p\n"
	"          WHERE p.id = CAST(substr(b.evidence, 2, instr(b.evidence, ',') - 2) AS INTEGER)))\n"
	/* [[P,L],...]: entries of several paths */
	"    WHEN substr(b.evidence, 1, 2) = '[[' THEN (SELECT '[' || group_concat('{\"path\":' ||\n"
	"      json_quote((SELECT p.path FROM binding_paths p WHERE p.id = json_extract(j.value, '$[0]'))) ||\n"
	"      ',\"line\":' || json_extract(j.value, '$[1]') || '}', ',') || ']' FROM json_each(b.evidence) j)\n"
	"    ELSE b.evidence END AS evidence\n"
	"FROM binding_rows b;\n";

int tl_bind_evidence_migrate(sqlite3 *db, struct tl_err *err)
{
	sqlite3_stmt *sel = NULL, *ins = NULL;
	struct tl_bind_paths *x = tl_bind_paths_new(db, err);
	struct tl_buf ev = TL_BUF_INIT;
	int rc = -1, step;
	if (!x)
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, kind, subject, value, start_ts, end_ts, end_rule, source, start_event_id, "
			       "end_event_id, events, evidence FROM bindings ORDER BY id",
			       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO binding_rows (id, kind, subject, value, start_ts, end_ts, end_rule, source, "
			       "start_event_id, end_event_id, events, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &ins, NULL) != SQLITE_OK) {
		tl_errf(err, "case database: migrating the bindings: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
		for (int i = 0; i < 11; i++)
			sqlite3_bind_value(ins, i + 1, sqlite3_column_value(sel, i));
		const char *e = (const char *)sqlite3_column_text(sel, 11);
		if (tl_bind_evidence_pack(x, e ? e : "[]", &ev, err))
			goto cleanup;
		sqlite3_bind_text(ins, 12, ev.data ? ev.data : "[]", -1, SQLITE_STATIC);
		int r = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (r != SQLITE_DONE) {
			tl_errf(err, "case database: migrating the bindings: %s", sqlite3_errmsg(db));
			goto cleanup;
		}
	}
	if (step != SQLITE_DONE) {
		tl_errf(err, "case database: migrating the bindings: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	rc = 0;
cleanup:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	tl_bind_paths_free(x);
	tl_buf_release(&ev);
	return rc;
}
