/*
 * Reading: a small JSON document tree with source positions, for configuration
 * and format definitions (not for records: those are flattened by the format
 * engine as they stream). Built on yajl; comments are allowed so that the
 * case config template can explain itself.
 *
 * Writing: every JSON tl writes (timeline JSONL, manifest, custody log,
 * CASE/UCO, package index) is appended to a struct tl_buf with the calls at
 * the end of this header; the layout (spaces, newlines) stays the caller's.
 *
 * Ownership: tl_json_parse() returns a tree the caller frees with tl_json_free().
 * Strings and keys inside are owned by the tree.
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stddef.h>

#include "tl/util.h"

enum tl_json_type { TL_JSON_NULL, TL_JSON_BOOL, TL_JSON_NUMBER, TL_JSON_STRING, TL_JSON_ARRAY, TL_JSON_OBJECT };

struct tl_json {
	enum tl_json_type type;
	unsigned line, col;     /* where the value starts, 1-based */
	char *str;              /* STRING text, NUMBER text */
	size_t len;
	int boolean;
	char **keys;            /* OBJECT: keys[i] names kids[i] */
	struct tl_json **kids;  /* OBJECT and ARRAY members */
	size_t n;
};

/* Parse TEXT; on error fill ERR with "NAME:LINE:COL: reason" and return NULL. */
struct tl_json *tl_json_parse(const char *name, const char *text, size_t len, struct tl_err *err);

/* Release a tree; accepts NULL. */
void tl_json_free(struct tl_json *j);

/* Member KEY of an OBJECT, or NULL. */
const struct tl_json *tl_json_get(const struct tl_json *obj, const char *key);

/* How many bytes from S (at most N) are plain inside a JSON string: printable
 * ASCII (0x20-0x7e) other than the quote and the backslash, the bytes every
 * JSON reader and writer copies as they are. Eight bytes at a time. */
size_t tl_json_plain_len(const char *s, size_t n);

/* Append "S" with its inside escaped by tl_json_escape() (tl/util.h): LEN
 * bytes, or a C string where NULL writes "". 0, or -1 when B is full. */
int tl_json_put_strn(struct tl_buf *b, const char *s, size_t len);
int tl_json_put_str(struct tl_buf *b, const char *s);
/* Append "KEY": preceded by a comma unless FIRST. */
int tl_json_put_key(struct tl_buf *b, const char *key, int first);

#endif
