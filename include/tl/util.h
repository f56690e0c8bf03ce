/*
 * Small shared helpers: the error buffer every library call reports into,
 * growable byte buffers with a hard maximum (evidence is hostile), a per-record
 * arena, SHA-256 through libcrypto, and escaping for JSON and terminals.
 *
 * Ownership: a struct tl_buf owns its bytes (tl_buf_release frees them);
 * a struct tl_arena owns every block it handed out until tl_arena_reset/_release.
 */
#ifndef TL_UTIL_H
#define TL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed-size so that it can always be filled, even when memory ran out. */
struct tl_err {
	char msg[512];
};

/* Format a message into ERR (may be NULL); always returns -1 for `return tl_errf(...)`. */
int tl_errf(struct tl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct tl_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 means no limit beyond size_t */
};
#define TL_BUF_INIT { NULL, 0, 0, 0 }

/* Append LEN bytes; keeps a NUL after the data. Returns -1 when MAX would be exceeded or on OOM. */
int tl_buf_add(struct tl_buf *b, const void *p, size_t len);
int tl_buf_addc(struct tl_buf *b, char c);
int tl_buf_adds(struct tl_buf *b, const char *s);
int tl_buf_addf(struct tl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ensure room for N more bytes. */
int tl_buf_grow(struct tl_buf *b, size_t n);
void tl_buf_reset(struct tl_buf *b);
void tl_buf_release(struct tl_buf *b);

/* A bump allocator, reset once per record so parsing allocates nothing per field. */
struct tl_arena {
	struct tl_arena_block *head;
	size_t used; /* bytes handed out since the last reset */
};
#define TL_ARENA_INIT { NULL, 0 }
void *tl_arena_alloc(struct tl_arena *a, size_t n);
/* Copy LEN bytes and add a NUL. */
char *tl_arena_strndup(struct tl_arena *a, const char *s, size_t len);
void tl_arena_reset(struct tl_arena *a);
void tl_arena_release(struct tl_arena *a);

/* SHA-256 of a buffer as 64 lowercase hex chars + NUL. */
void tl_sha256_hex(const void *p, size_t len, char out[65]);

/* Incremental SHA-256 (libcrypto EVP underneath); _new returns NULL on OOM. */
struct tl_sha256;
struct tl_sha256 *tl_sha256_new(void);
void tl_sha256_update(struct tl_sha256 *h, const void *p, size_t len);
/* Finish, write hex digest, and free H. */
void tl_sha256_final_hex(struct tl_sha256 *h, char out[65]);

/*
 * Append S as the inside of a JSON string: quotes, backslashes and control bytes
 * escaped; valid UTF-8 kept; each byte of invalid UTF-8 written as "\udcNN"
 * (U+DC80 + byte, Python's surrogateescape), so output is always JSON and the
 * original bytes can be recovered exactly.
 */
int tl_json_escape(struct tl_buf *b, const char *s, size_t len);

/* Append S for a terminal: control bytes, DEL, ESC and invalid UTF-8 as \xNN. */
int tl_term_escape(struct tl_buf *b, const char *s, size_t len);

/* Length of the valid UTF-8 sequence starting at S (1..4), or 0 if invalid. */
size_t tl_utf8_seq(const unsigned char *s, size_t len);

/* Parse a decimal integer of LEN bytes exactly (optional sign); 0 ok, -1 otherwise. */
int tl_parse_i64(const char *s, size_t len, int64_t *out);

/* Non-zero if S (NUL-terminated) matches glob PAT: '*' within a path segment,
 * '**' across segments, '?' one character. */
int tl_glob_match(const char *pat, const char *s);

/* Monotonic seconds, for progress display only (never written into outputs). */
double tl_now_monotonic(void);

/* A growable list of strings it owns. */
struct tl_strlist {
	char **v;
	size_t n, cap;
};
#define TL_STRLIST_INIT { NULL, 0, 0 }
int tl_strlist_add(struct tl_strlist *l, const char *s);
void tl_strlist_sort(struct tl_strlist *l);
void tl_strlist_release(struct tl_strlist *l);

/* Regular files below DIR as names relative to it, sorted; hidden entries
 * (temporaries of commands in progress) skipped; RECURSE into folders. */
void tl_dir_files(const char *dir, int recurse, struct tl_strlist *out);

/* Hex SHA-256 of the file at PATH (streamed); 0, or -1 with the reason. */
int tl_file_sha256(const char *path, char out[65], struct tl_err *err);

/* Read a file of at most MAX bytes into B; 0 or -1. */
int tl_read_file(const char *path, size_t max, struct tl_buf *b, struct tl_err *err);

/* Write LEN bytes to PATH through a temporary file renamed into place, so
 * readers see the old file or the new one, never half of one. */
int tl_write_atomic(const char *path, const void *data, size_t len, struct tl_err *err);

#endif
