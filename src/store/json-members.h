/*
 * Top-level members of a JSON object read in C, with the result SQLite's
 * `CASE WHEN json_valid(X) THEN json_extract(X, '$."KEY"') END` would give,
 * so that a reader can take values out of `extra` without SQLite parsing the
 * whole text once per key (src/store/entities.c).
 *
 * The answer is given only where it is certain for every SQLite version:
 * X strict RFC 8259 JSON (no NUL byte, nesting at most JSON_MEMBERS_DEPTH),
 * and each value found a string without escapes (its bytes), null, an
 * object or array with no white space outside its strings (its bytes: what
 * SQLite renders), or absent (NULL). Anything else (escapes, numbers,
 * true/false, spaced containers, text SQLite may judge otherwise) is "not
 * sure" and the caller asks SQLite.
 *
 * Internal to src/store; no SQL here.
 */
#ifndef TL_STORE_JSON_MEMBERS_H
#define TL_STORE_JSON_MEMBERS_H

#include <stddef.h>

#define JSON_MEMBERS_DEPTH 64

/* One value found: START/LEN into the text; START NULL for SQL NULL. */
struct json_member {
	const char *start;
	size_t len;
};

/* The members KEYS[0..NK-1] (compared byte for byte with the raw key text,
 * as SQLite does, the first of equal keys winning) of the object S (N bytes)
 * into OUT. 1 when every answer is certain, 0 when the caller must ask
 * SQLite. */
int json_members(const char *s, size_t n, const char *const *keys, const size_t *key_lens, size_t nk,
		 struct json_member *out);

#endif
