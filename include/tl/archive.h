/*
 * Evidence as delivered: archives (zip, tar and compressed tar, 7z, rar) whose
 * members are evidence files in their own right, each with its own
 * provenance: the evidence path "ARCHIVE!/MEMBER", the member's size and
 * SHA-256 (of its decompressed bytes), beside the archive's path and hash.
 *
 * Nothing is extracted: members are read as streams straight out of the
 * archive, through libarchive. A member that is itself compressed (access.log.gz
 * in a zip) is decompressed with the same decoders as a single file
 * (tl_stream_filters(); gzip, here as there, through zlib, which checks the
 * CRC-32 libarchive does not); a member that is itself an archive is refused,
 * not opened (no recursion: one level, bounded).
 *
 * Archives are hostile. A member is refused - never read, or not ingested -
 * with a reason naming archive and member when its path is absolute or climbs
 * out with "..", when it is a link or a device, encrypted, larger than
 * limits.gzip_max_bytes, expands more than limits.gzip_max_ratio per byte of
 * the archive file, repeats an earlier member's name, or is an archive. The
 * rest of the archive is still read.
 *
 * Cost: an archive is read twice at ingest (a scan that hashes every member,
 * so a member's hash is known before its rows are written; then the members
 * in order, each framed as it streams by) and once by verify. Memory holds one
 * record window plus one entry per member (name and hash), at most
 * TL_ARCHIVE_MAX_MEMBERS of them.
 *
 * Ownership: a struct tl_archive handed to a callback is borrowed for that call.
 */
#ifndef TL_ARCHIVE_H
#define TL_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "tl/util.h"

#define TL_ARCHIVE_MAX_MEMBERS 100000 /* members past this are not read: the archive is reported damaged */
#define TL_ARCHIVE_MAX_NAME 1024      /* longer member names are refused (and cut short in the record) */

struct tl_archive_limits {
	uint32_t max_ratio; /* decompressed bytes of a member per byte of the archive file, checked past
			       TL_GZIP_RATIO_AFTER; 0: TL_GZIP_MAX_RATIO; UINT32_MAX: none */
	uint64_t max_bytes; /* decompressed bytes of one member; 0: no limit */
};

/* 1 if PATH is an archive of members (zip, tar, 7z, rar, cpio; the format's
 * name in FORMAT), 0 if it is one stream (plain or compressed), -1 if it
 * cannot be read. */
int tl_archive_probe(const char *path, char *format, size_t len, struct tl_err *err);

struct tl_member {
	const char *name;        /* as stored in the archive (hostile: escape it before showing it) */
	uint64_t size;           /* decompressed bytes; the declared size when refused before reading */
	int64_t mtime;           /* seconds; the archive file's mtime when the member has none */
	char sha256[65];         /* of the decompressed bytes; "" when refused before being read whole */
	const char *compression; /* layers from the archive file in: "none", "deflate", "gzip", "7z+gzip" */
	const char *refused;     /* NULL, or why the member is not ingested */
	const char *status;      /* when refused: "failed" (unsafe, bomb, unreadable) or "unsupported" */
};

struct tl_archive;

/* Called once per member, in archive order. A is NULL for a refused member;
 * otherwise it is open at the member's first byte (tl_archive_peek(),
 * tl_archive_read()). Return -1 to stop everything (ERR set). */
typedef int (*tl_archive_fn)(void *ctx, const struct tl_member *m, struct tl_archive *a, struct tl_err *err);

/* Scan PATH (shown as LABEL in messages), hashing every member, then hand the
 * members to FN one by one. Returns 0; 1 when the archive is damaged or
 * changed between the reads (ERR says where; members before that point were
 * handed to FN); -1 when PATH cannot be read at all or FN failed. */
int tl_archive_each(const char *path, const char *label, const struct tl_archive_limits *lim, tl_archive_fn fn,
		    void *ctx, struct tl_err *err);

/* The scan alone (what verify needs): FN sees each member with A == NULL.
 * Returns as tl_archive_each(). */
int tl_archive_scan(const char *path, const char *label, const struct tl_archive_limits *lim, tl_archive_fn fn,
		    void *ctx, struct tl_err *err);

/* Up to CAP bytes of the current member's start, for detection; later reads
 * start again at its first byte. Call before tl_archive_read(). Returns the
 * count or -1. */
long tl_archive_peek(struct tl_archive *a, char *buf, size_t cap, struct tl_err *err);

/* The current member's decompressed bytes: the count, 0 at its end, -1 on an
 * error (a bomb guard, a corrupt stream). CTX is the struct tl_archive, so that
 * this is a struct tl_source read function. */
long tl_archive_read(void *ctx, void *buf, size_t cap, struct tl_err *err);

#endif
