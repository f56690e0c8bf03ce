/*
 * The base layer (src/base): helpers with no tl concepts in them. One header,
 * one section per source file, so a helper has one home:
 *   errors, buffers, arena ....... src/base/buf.c
 *   hashing ...................... src/base/hash.c
 *   text (UTF-8, escaping, ints, globs) src/base/text.c; JSON escaping json.c
 *   clock ........................ src/base/clock.c
 *   string lists ................. src/base/strlist.c
 *   files and folders (walk, read, atomic write, copy) src/base/fs.c
 * JSON reading and writing is tl/json.h (src/base/json.c).
 *
 * Ownership: a struct tl_buf owns its bytes (tl_buf_release frees them);
 * a struct tl_arena owns every block it handed out until tl_arena_reset/_release.
 */
#ifndef TL_UTIL_H
#define TL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- errors, buffers, arena (buf.c) ------------------------------------------ */

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
	/* Set when an append was refused (MAX or out of memory) and kept until
	 * tl_buf_release(): code that builds a record from many appends checks it
	 * once before using the record, so a refused append is an error and
	 * never a silently truncated line. */
	int failed;
};
#define TL_BUF_INIT { NULL, 0, 0, 0, 0 }

/* Append LEN bytes; keeps a NUL after the data. Returns -1 when MAX would be exceeded or on OOM
 * (and sets `failed`). */
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

/* ---- hashing (hash.c) --------------------------------------------------------- */

/* SHA-256 of a buffer as 64 lowercase hex chars + NUL. */
void tl_sha256_hex(const void *p, size_t len, char out[65]);

/* Incremental SHA-256 (libcrypto EVP underneath); _new returns NULL on OOM. */
struct tl_sha256;
struct tl_sha256 *tl_sha256_new(void);
void tl_sha256_update(struct tl_sha256 *h, const void *p, size_t len);
/* Finish, write hex digest, and free H. */
void tl_sha256_final_hex(struct tl_sha256 *h, char out[65]);
/* Finish, write the 32-byte digest and start H afresh: many short inputs
 * hashed without setting up a digest each (copies keys). 0, or -1 when the
 * digest failed (OUT is then zero). */
int tl_sha256_final_next(struct tl_sha256 *h, unsigned char out[32]);
/* Hex SHA-256 of P alone (H must have been given nothing since it was made or
 * last finished); H is ready for the next input after. tl_sha256_hex for many
 * short inputs (one per record) without setting a digest up for each. */
void tl_sha256_next_hex(struct tl_sha256 *h, const void *p, size_t len, char out[65]);
/* The same, also as the 32 bytes (BIN): 1, or 0 when only HEX could be made
 * (BIN is then zero). */
int tl_sha256_next_both(struct tl_sha256 *h, const void *p, size_t len, unsigned char bin[32], char hex[65]);
/* Free H without finishing it (accepts NULL). */
void tl_sha256_free(struct tl_sha256 *h);

/* Hex SHA-256 of the file at PATH (streamed); 0, or -1 with the reason. */
int tl_file_sha256(const char *path, char out[65], struct tl_err *err);

/* ---- text (text.c; tl_json_escape in json.c) ------------------------------------ */

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
/* The decimal text of V into BUF (at least 21 bytes), NUL-terminated, as printf's "%lld" writes
 * it; returns its length. For output loops, where snprintf's parsing of the format costs more
 * than the number. */
size_t tl_fmt_i64(int64_t v, char buf[21]);

/* Non-zero if S (NUL-terminated) matches glob PAT: '*' within a path segment,
 * '**' across segments, '?' one character. */
int tl_glob_match(const char *pat, const char *s);

/* ---- clock (clock.c) ------------------------------------------------------------ */

/* Monotonic seconds, for progress display only (never written into outputs). */
double tl_now_monotonic(void);

/* CPU seconds (user + system) this process has used so far, every thread
 * included; 0 if the system cannot say. For timings display only. */
double tl_now_cpu(void);

/* ---- string lists (strlist.c) ------------------------------------------------------ */

/* A growable list of strings it owns. */
struct tl_strlist {
	char **v;
	size_t n, cap;
};
#define TL_STRLIST_INIT { NULL, 0, 0 }
int tl_strlist_add(struct tl_strlist *l, const char *s);
void tl_strlist_sort(struct tl_strlist *l);
void tl_strlist_release(struct tl_strlist *l);

/* ---- files and folders (fs.c) ------------------------------------------------------ */

/*
 * The one directory walker (fts(3)): regular files below START, as paths
 * relative to ROOT, sorted bytewise. Symbolic links follow ingest's policy:
 * a link whose target stays inside BOUNDARY is followed, one leading out of it
 * is reported and not followed unless FOLLOW_OUTSIDE; a broken link, an
 * unreadable folder, a folder already being walked (a link loop) and folders
 * nested deeper than TL_WALK_MAX_DEPTH are reported and skipped. Reports go to
 * REPORT (may be NULL: skipped silently); the walk itself never fails.
 */
#define TL_WALK_MAX_DEPTH 256
enum tl_walk_problem {
	TL_WALK_UNREADABLE,     /* cannot stat START or an entry (errno in ERRNUM) */
	TL_WALK_DIR_UNREADABLE, /* cannot list a folder (ERRNUM) */
	TL_WALK_BROKEN_LINK,
	TL_WALK_LINK_OUTSIDE,   /* not followed */
	TL_WALK_LOOP,           /* a folder already being walked */
	TL_WALK_TOO_DEEP
};
struct tl_walk_opts {
	int recurse;         /* into folders below START */
	int skip_hidden;     /* names starting with '.' (temporaries of commands in progress) */
	int follow_outside;  /* follow links that lead out of BOUNDARY too */
	const char *boundary; /* absolute, resolved; NULL: ROOT */
	void (*report)(void *ctx, enum tl_walk_problem what, const char *rel, int errnum);
	void *ctx;
};
/* START is relative to ROOT ("" for ROOT itself); results are added to OUT. */
void tl_walk(const char *root, const char *start, const struct tl_walk_opts *o, struct tl_strlist *out);

/* Regular files below DIR as names relative to it, sorted; hidden entries
 * skipped; RECURSE into folders. tl_walk() with no reports. */
void tl_dir_files(const char *dir, int recurse, struct tl_strlist *out);

/* Read a file of at most MAX bytes into B (appended); 0, -1 on error, -2 when
 * it is larger than MAX (B then holds what fitted). */
int tl_read_file(const char *path, size_t max, struct tl_buf *b, struct tl_err *err);
/* The same from an open FD (from where it stands) to its end; NAME is for messages. */
int tl_read_fd(int fd, const char *name, size_t max, struct tl_buf *b, struct tl_err *err);

/* A file written under a hidden temporary name beside PATH (".NAME.tmp-PID",
 * so folder listings pass over it) and renamed into place only on commit:
 * readers see the old file or the new one, never half of one. */
struct tl_atomic_file {
	FILE *fp;
	char tmp[4200];
	char path[4200];
};
int tl_atomic_open(struct tl_atomic_file *af, const char *path, struct tl_err *err);
/* Flush, fsync and rename into place; SHA256 (may be NULL) gets the hash of
 * what landed. On failure the temporary is removed. */
int tl_atomic_commit(struct tl_atomic_file *af, char sha256[65], struct tl_err *err);
/* Throw the temporary away; accepts a file never opened or already done. */
void tl_atomic_abort(struct tl_atomic_file *af);

/* Write LEN bytes to PATH through a tl_atomic_file. */
int tl_write_atomic(const char *path, const void *data, size_t len, struct tl_err *err);

/* mkdir -p */
int tl_mkdirs(const char *path, struct tl_err *err);

/* snprintf for paths: 0, or -1 with ERR saying the path would not fit in
 * LEN bytes (a cut path names another file: never use it). */
int tl_pathf(char *buf, size_t len, struct tl_err *err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Copy SRC to DST (created; its folders too), keeping SRC's mtime. */
int tl_file_copy(const char *src, const char *dst, struct tl_err *err);

#endif
