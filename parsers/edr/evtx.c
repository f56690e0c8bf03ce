/*
 * evtx: Windows XML Event Log files (.evtx) read through libevtx
 * (docs/formats/evtx.md).
 *
 * libevtx decodes the file (header, 64 KiB chunks, binary XML, templates).
 * This parser interprets no event content itself; the libevtx of Debian 12
 * (20181227) reports no record offsets, so for provenance only it walks the
 * record headers of each chunk ("**\0\0", size, record number) to find where
 * the record libevtx returned is stored.
 * Each event record libevtx lists (evtxexport's default "items" mode) is one
 * record: libevtx renders it as Event XML, and that XML goes through the
 * built-in `windows-event-xml` definition, so a record read from EVTX gives
 * the same normalized event as the same record exported as XML, Winlogbeat or
 * EvtxECmd JSON: the event-ID mapping is written once, in that definition.
 *
 * Provenance: line = the record's position in libevtx's list (1-based),
 * offset = the record's byte offset in the file, length = the record's size
 * from its header, sha256 = of those bytes as stored (binary XML). A record
 * whose header cannot be found has offset 0 and length 0.
 *
 * Not here: recovered records (slack space; evtxexport -m recovered) and
 * message rendering from resource files.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
/* Debian's libevtx-dev announces the libbfio entry points without depending
 * on libbfio-dev; this parser opens files by path and needs none of them */
#include <libevtx/features.h>
#undef LIBEVTX_HAVE_BFIO
#include <libevtx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl/registry.h"
#include "tl/banned.h"

#define MAX_XML (16u << 20)        /* rendered XML of one record */
#define MAX_RAW (16u << 20)        /* stored bytes of one record (a chunk is 64 KiB) */
#define EXCERPT 256                /* raw bytes kept with a reject */
#define FILE_HEADER 4096u          /* chunks start after the file header */
#define CHUNK_SIZE 65536u

struct loc {
	uint64_t id, off;
	uint32_t size;
	int used;    /* libevtx returned this record (or failed on it) */
	int partial; /* in a chunk the file ends inside */
};

struct evtx_state {
	libevtx_file_t *file;
	int fd;
	int count, idx;           /* records libevtx lists; next index */
	size_t left, nunread;     /* after them: next located record to check for being unread; how many were */
	uint64_t pos;             /* bytes of the file behind the records read */
	char *xml;                /* rendered XML of the current record */
	size_t xml_cap;
	unsigned char *raw;       /* its stored bytes */
	size_t raw_cap;
	char why[400];            /* the current record could not be read: the reason */
	struct loc *loc;          /* record headers found in the chunks */
	size_t nloc, cur;
	struct tl_format *def;    /* windows-event-xml */
	struct tl_parse *inner;   /* its parse state, created with the outer's time context */
};

static void lib_msg(libevtx_error_t **e, char *out, size_t cap)
{
	out[0] = 0;
	if (e && *e) {
		libevtx_error_sprint(*e, out, cap);
		libevtx_error_free(e);
	}
	/* libevtx joins a backtrace with newlines: keep its first line */
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	if (!out[0])
		snprintf(out, cap, "unknown libevtx error");
}

static int probe(const char *head, size_t len)
{
	return len >= 8 && !memcmp(head, "ElfFile\0", 8) ? 98 : 0;
}

static void *state_new(struct tl_err *err)
{
	struct evtx_state *s = calloc(1, sizeof(*s));
	if (!s) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->def = tl_registry_load_builtin("windows-event-xml", err);
	if (!s->def) {
		free(s);
		return NULL;
	}
	return s;
}

static void state_free(void *state)
{
	struct evtx_state *s = state;
	if (!s)
		return;
	if (s->file) {
		libevtx_file_close(s->file, NULL);
		libevtx_file_free(&s->file, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	tl_parse_free(s->inner);
	tl_format_free(s->def);
	free(s->loc);
	free(s->xml);
	free(s->raw);
	free(s);
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Where each record header sits: chunk by chunk, record by record, until a
 * chunk or record signature is missing. Only provenance depends on it. */
static int locate(struct evtx_state *s)
{
	unsigned char *chunk = malloc(CHUNK_SIZE);
	size_t cap = 0;
	if (!chunk)
		return -1;
	for (uint64_t c = FILE_HEADER;; c += CHUNK_SIZE) {
		ssize_t got = pread(s->fd, chunk, CHUNK_SIZE, (off_t)c);
		if (got < 512)
			break;
		if (memcmp(chunk, "ElfChnk\0", 8))
			continue;
		uint32_t have = (uint32_t)got;
		for (uint32_t o = 512; o + 24 <= have;) {
			uint32_t n = le32(chunk + o + 4);
			/* a record the file ends inside is still one: it becomes a reject */
			if (memcmp(chunk + o, "**\0\0", 4) || n < 24 || n > CHUNK_SIZE - o)
				break;
			if (s->nloc == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct loc *v = realloc(s->loc, nc * sizeof(*v));
				if (!v) {
					free(chunk);
					return -1;
				}
				s->loc = v;
				cap = nc;
			}
			s->loc[s->nloc].id = (uint64_t)le32(chunk + o + 8) | (uint64_t)le32(chunk + o + 12) << 32;
			s->loc[s->nloc].off = c + o;
			s->loc[s->nloc].size = n;
			s->loc[s->nloc].used = 0;
			s->loc[s->nloc].partial = have < CHUNK_SIZE;
			s->nloc++;
			o += n;
		}
		if (have < CHUNK_SIZE)
			break;
	}
	free(chunk);
	return 0;
}

/* The header of record number ID: from the last one found on (libevtx lists
 * records in file order). The search is bounded, so that a hostile file whose
 * numbers never match costs no more than a few thousand steps per record:
 * past the bound the record keeps no location. */
#define FIND_WINDOW 4096
static struct loc *find_loc(struct evtx_state *s, uint64_t id)
{
	for (size_t k = 0; k < s->nloc && k < FIND_WINDOW; k++) {
		size_t j = (s->cur + k) % s->nloc;
		if (s->loc[j].id == id && !s->loc[j].used) {
			s->cur = j + 1;
			s->loc[j].used = 1;
			return &s->loc[j];
		}
	}
	return NULL;
}

static int open_file(void *state, const char *path, struct tl_err *err)
{
	struct evtx_state *s = state;
	libevtx_error_t *e = NULL;
	char msg[300];
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return tl_errf(err, "cannot open '%s': %s", path, strerror(errno));
	if (libevtx_file_initialize(&s->file, &e) != 1 || libevtx_file_open(s->file, path, LIBEVTX_OPEN_READ, &e) != 1) {
		lib_msg(&e, msg, sizeof(msg));
		if (s->file)
			libevtx_file_free(&s->file, NULL);
		return tl_errf(err, "cannot read '%s' as EVTX: %s", path, msg);
	}
	if (libevtx_file_get_number_of_records(s->file, &s->count, &e) != 1) {
		lib_msg(&e, msg, sizeof(msg));
		return tl_errf(err, "cannot list the records of '%s': %s", path, msg);
	}
	if (locate(s))
		return tl_errf(err, "out of memory");
	return 1;
}

static int grow(void **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	void *n = realloc(*buf, need);
	if (!n)
		return -1;
	*buf = n;
	*cap = need;
	return 0;
}

/* The record's bytes as stored. */
static int read_raw(struct evtx_state *s, const struct loc *l)
{
	if (l->size > MAX_RAW || grow((void **)&s->raw, &s->raw_cap, l->size))
		return -1;
	return pread(s->fd, s->raw, l->size, (off_t)l->off) == (ssize_t)l->size ? 0 : -1;
}

/* libevtx writes string values as stored, and a value may hold control
 * characters XML 1.0 cannot carry (seen in a 4765 record's PrivilegeList):
 * each becomes U+FFFD in the rendering so the record still parses; the stored
 * bytes (provenance) are untouched. */
static int xml_clean(struct evtx_state *s, size_t *len)
{
	size_t bad = 0;
	for (size_t k = 0; k < *len; k++) {
		unsigned char c = (unsigned char)s->xml[k];
		bad += c < 0x20 && c != '\t' && c != '\n' && c != '\r';
	}
	if (!bad)
		return 0;
	size_t n = *len + 2 * bad;
	if (grow((void **)&s->xml, &s->xml_cap, n + 1))
		return -1;
	for (size_t k = *len, o = n; k-- > 0;) {
		unsigned char c = (unsigned char)s->xml[k];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			s->xml[--o] = (char)0xbd;
			s->xml[--o] = (char)0xbf;
			s->xml[--o] = (char)0xef;
		} else {
			s->xml[--o] = (char)c;
		}
	}
	s->xml[n] = 0;
	*len = n;
	return 0;
}

static int read_raw(struct evtx_state *s, const struct loc *l);

/* After libevtx's records: each stored record it never returned (in a chunk
 * it could not read: truncated, bad checksum) is a reject of its own. */
static int unread(struct evtx_state *s, struct tl_record *rec)
{
	while (s->left < s->nloc && s->loc[s->left].used)
		s->left++;
	if (s->left >= s->nloc)
		return 0;
	const struct loc *l = &s->loc[s->left++];
	memset(rec, 0, sizeof(*rec));
	rec->line = (uint64_t)s->count + ++s->nunread;
	rec->offset = l->off;
	snprintf(s->why, sizeof(s->why), "chunk %llu record %llu: %s", (unsigned long long)((l->off - FILE_HEADER) / CHUNK_SIZE),
		 (unsigned long long)l->id,
		 l->partial ? "the file ends inside its chunk (truncated): libevtx cannot read it"
			    : "libevtx does not list it (its chunk is corrupt)");
	struct loc cut = *l;
	struct stat st;
	if (l->partial && !fstat(s->fd, &st) && (uint64_t)st.st_size < l->off + l->size)
		cut.size = (uint32_t)((uint64_t)st.st_size - l->off);
	if (!read_raw(s, &cut)) {
		rec->length = cut.size;
		rec->raw = (const char *)s->raw;
		rec->raw_len = cut.size < EXCERPT ? cut.size : EXCERPT;
		tl_sha256_hex(s->raw, cut.size, rec->sha256);
		if (l->off + cut.size > s->pos)
			s->pos = l->off + cut.size;
	} else {
		tl_sha256_hex("", 0, rec->sha256);
	}
	rec->text = "";
	return 1;
}

static int next(void *state, struct tl_record *rec, struct tl_err *err)
{
	struct evtx_state *s = state;
	libevtx_record_t *r = NULL;
	libevtx_error_t *e = NULL;
	char msg[300];
	uint64_t id = 0;
	size_t xlen = 0;
	struct loc *l = NULL;
	(void)err;
	if (s->idx >= s->count)
		return unread(s, rec);
	int i = s->idx++;
	memset(rec, 0, sizeof(*rec));
	rec->line = (uint64_t)i + 1;
	s->why[0] = 0;
	if (libevtx_file_get_record_by_index(s->file, i, &r, &e) != 1) {
		lib_msg(&e, msg, sizeof(msg));
		/* records come in file order: the one failing is the next stored one */
		if (s->cur < s->nloc && !s->loc[s->cur].used) {
			l = &s->loc[s->cur++];
			l->used = 1;
			snprintf(s->why, sizeof(s->why), "chunk %llu record %llu: libevtx cannot read it: %s",
				 (unsigned long long)((l->off - FILE_HEADER) / CHUNK_SIZE), (unsigned long long)l->id, msg);
		} else {
			snprintf(s->why, sizeof(s->why), "record %d: libevtx cannot read it: %s", i + 1, msg);
		}
	} else {
		if (libevtx_record_get_identifier(r, &id, NULL) == 1)
			l = find_loc(s, id);
		if (libevtx_record_get_utf8_xml_string_size(r, &xlen, &e) != 1 || !xlen || xlen > MAX_XML ||
		    grow((void **)&s->xml, &s->xml_cap, xlen + 1) ||
		    libevtx_record_get_utf8_xml_string(r, (uint8_t *)s->xml, xlen, &e) != 1) {
			lib_msg(&e, msg, sizeof(msg));
			if (l)
				snprintf(s->why, sizeof(s->why), "chunk %llu record %llu: cannot render its XML: %s",
					 (unsigned long long)((l->off - FILE_HEADER) / CHUNK_SIZE), (unsigned long long)id,
					 xlen > MAX_XML ? "larger than 16 MiB" : msg);
			else
				snprintf(s->why, sizeof(s->why), "record %llu: cannot render its XML: %s",
					 (unsigned long long)id, xlen > MAX_XML ? "larger than 16 MiB" : msg);
		}
	}
	if (r)
		libevtx_record_free(&r, NULL);
	if (l && !read_raw(s, l)) {
		rec->offset = l->off;
		rec->length = l->size;
		rec->raw = (const char *)s->raw;
		rec->raw_len = l->size < EXCERPT || !s->why[0] ? l->size : EXCERPT;
		tl_sha256_hex(s->raw, l->size, rec->sha256);
		if (l->off + l->size > s->pos)
			s->pos = l->off + l->size;
	}
	if (s->why[0]) {
		rec->text = "";
		if (!rec->length)
			tl_sha256_hex("", 0, rec->sha256);
		return 1;
	}
	/* libevtx counts the terminating NUL in the size */
	while (xlen && !s->xml[xlen - 1])
		xlen--;
	s->xml[xlen] = 0;
	if (xml_clean(s, &xlen)) {
		snprintf(s->why, sizeof(s->why), "record %llu: out of memory", (unsigned long long)id);
		rec->text = "";
		return 1;
	}
	rec->text = s->xml;
	rec->len = xlen;
	if (!rec->length) {
		/* the stored record was not found: the rendering is all there is to hash */
		rec->raw = s->xml;
		rec->raw_len = xlen < EXCERPT ? xlen : EXCERPT;
		tl_sha256_hex(s->xml, xlen, rec->sha256);
	}
	return 1;
}

static uint64_t pos(const void *state)
{
	return ((const struct evtx_state *)state)->pos;
}

static enum tl_parse_status parse(void *state, struct tl_parse *p, const struct tl_record *rec, struct tl_event *ev,
				  struct tl_err *err)
{
	struct evtx_state *s = state;
	if (s->why[0]) {
		tl_errf(err, "%s", s->why);
		return TL_PARSE_REJECT;
	}
	if (!s->inner && !(s->inner = tl_parse_new(s->def, tl_parse_time(p), err)))
		return TL_PARSE_REJECT;
	struct tl_event iev;
	enum tl_parse_status st = tl_parse_record(s->inner, rec, &iev, err);
	if (st == TL_PARSE_META) {
		/* an event record is never a header or blank line */
		tl_errf(err, "record %llu: libevtx rendered it as XML without an event", (unsigned long long)rec->line);
		return TL_PARSE_REJECT;
	}
	if (st != TL_PARSE_EVENT)
		return st;
	/* the strings stay in the inner parse until the next record */
	const char *family = ev->family, *format = ev->format, *version = ev->parser_version;
	*ev = iev;
	ev->family = family;
	ev->format = format;
	ev->parser_version = version;
	return TL_PARSE_EVENT;
}

const struct tl_c_parser tl_parser_evtx = {
	.abi = TL_PARSER_ABI,
	.name = "evtx",
	.family = "edr",
	.version = "1.0.0",
	.title = "Windows XML Event Log files (.evtx), read with libevtx, mapped as windows-event-xml",
	.source = "parsers/edr/evtx.c",
	.samples = NULL,
	.ordered_within_us = 0,
	.max_record = 0,
	.probe = probe,
	.state_new = state_new,
	.state_free = state_free,
	.parse = parse,
	.flush = NULL,
	.open = open_file,
	.next = next,
	.pos = pos,
};
