/*
 * The C parser registry: formats the declarative language cannot express —
 * many records making one event (auditd), per-file state (OpenVPN sessions),
 * files a library must read (EVTX through libevtx).
 *
 * Every C parser is one row of tl_c_parsers[], a static table sorted by
 * name (src/parse/registry.c). Each row becomes a struct tl_format when the
 * built-ins load, so a C parser is listed by `tl formats`, found by name,
 * detected by its probe and parsed through tl_parse_new()/tl_parse_record()
 * exactly like a definition: the declarative engine and the C parsers are two
 * implementations of one interface (struct tl_parser_ops in tl/format.h).
 *
 * tests/unit/test-registry.c checks the whole table: names unique, sorted and
 * [a-z0-9-]; every sample parses; every parser has fixtures/<family>/<name>/,
 * docs/formats/<name>.md and a row in the fuzz-records harness (which covers
 * every registered parser by construction).
 *
 * Adding a C parser:
 *   1. parsers/<family>/<name>.c defining `const struct tl_c_parser tl_parser_<name>`
 *      (name with '-' as '_'), added to TL_CORE_SOURCES in CMakeLists.txt;
 *   2. its row in tl_c_parsers[] (registry.c), in name order;
 *   3. fixtures/<family>/<name>/, docs/formats/<name>.md, seeds in
 *      tests/fuzz/regressions/records/.
 *
 * Ownership and lifetimes: the parser's state (state_new) lives for one file
 * and is owned by the struct tl_parse that wraps it. Strings an event points
 * to must live in the parse's arena (tl_parse_arena(): reset before every
 * parse and ready call) or in the parser's state until its next call. A
 * record is borrowed for the call: a grouping parser copies what it keeps.
 */
#ifndef TL_REGISTRY_H
#define TL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "tl/event.h"
#include "tl/format.h"
#include "tl/reader.h"
#include "tl/time.h"
#include "tl/util.h"

#define TL_PARSER_ABI 1 /* bump when struct tl_c_parser changes */

struct tl_c_parser {
	unsigned abi;                 /* TL_PARSER_ABI */
	const char *name;             /* unique, [a-z0-9-]+, used on the command line */
	const char *family;           /* edr, hids, firewall, proxy, vpn, dns, flow, dlp, audit */
	const char *version;          /* of the parser: in every event's parser_version */
	const char *title;
	const char *source;           /* "parsers/hids/auditd.c": shown as its origin */
	/* NULL-terminated; each is the text of a small file ('\n' between records)
	 * that must yield at least one event and no reject, end-of-file flush
	 * included. Required for parsers of framed text; a parser that reads its
	 * own (binary) files may have none: its fixtures prove it instead. */
	const char *const *samples;
	int64_t ordered_within_us;    /* as a definition's ordered_within; 0: no promise */
	size_t max_record;            /* line framing limit in bytes; 0: the default (64 KiB) */
	/* 0..100: how sure the parser is that HEAD (the decompressed start of a
	 * file, not NUL-terminated) is its format. No allocation, no state. */
	int (*probe)(const char *head, size_t len);
	void *(*state_new)(struct tl_err *err);
	void (*state_free)(void *state); /* accepts NULL */
	/* One record: TL_PARSE_EVENT (*ev filled), _REJECT (reason in err), _META,
	 * or, for grouping parsers, _PENDING (opened a group) / _MERGED (joined one). */
	enum tl_parse_status (*parse)(void *state, struct tl_parse *p, const struct tl_record *rec,
				      struct tl_event *ev, struct tl_err *err);
	/* Grouping parsers (else NULL): the next finished group as TL_PARSE_EVENT
	 * or _REJECT with *origin its first record, or TL_PARSE_META when none is
	 * finished. FINAL: end of file, every pending group is finished. */
	enum tl_parse_status (*flush)(void *state, struct tl_parse *p, int final, struct tl_event *ev,
				      struct tl_record *origin, struct tl_err *err);
	/* Parsers that read the file themselves (else NULL): open PATH (1, or -1
	 * with err), then next() as tl_reader_next(): 1 record, 0 end, -1 read error.
	 * Records carry their own provenance (line = record number, offset, length,
	 * sha256 of the bytes the record came from). pos: bytes read so far. */
	int (*open)(void *state, const char *path, struct tl_err *err);
	int (*next)(void *state, struct tl_record *rec, struct tl_err *err);
	uint64_t (*pos)(const void *state);
};

/* The registry: sorted by name. */
extern const struct tl_c_parser *const tl_c_parsers[];
extern const size_t tl_c_parser_count;

/* Helpers for parsers filling an event. Both copy into the parse's arena;
 * they return 0, or -1 when out of memory or past the limits (the parser
 * then rejects the record). */
struct tl_arena *tl_parse_arena(struct tl_parse *p);
/* The built-in definition NAME (parsers/FAMILY/NAME.json) loaded on its own,
 * for a C parser that hands what it decoded to a definition's mapping (EVTX
 * records as Event XML to windows-event-xml). NAME must not use `extends`.
 * The caller frees it with tl_format_free(). NULL with ERR when unknown. */
struct tl_format *tl_registry_load_builtin(const char *name, struct tl_err *err);
struct tl_time_ctx *tl_parse_time(struct tl_parse *p);
/* Set field ID to S. As for definitions (docs/event-model.md), an integer
 * field takes only a whole number and an address field only an IPv4/IPv6
 * address: otherwise nothing is set and 1 is returned, so the parser keeps
 * the text in extra. */
int tl_parse_set(struct tl_parse *p, struct tl_event *ev, enum tl_field_id id, const char *s, size_t len);
/* Append KEY = S to ev->extra (at most TL_PARSE_MAX_EXTRA keys). KEY is copied
 * too; a key already in this event's extra is stored as KEY#2, KEY#3 ... so
 * extra never holds a key twice, whatever the evidence does. */
int tl_parse_extra(struct tl_parse *p, struct tl_event *ev, const char *key, const char *s, size_t len,
		   enum tl_val_kind kind);
#define TL_PARSE_MAX_EXTRA 65536

/* For a C parser that is the dispatch target of an enveloped definition (the
 * syslog dispatcher): the envelope's field NAME ("syslog.host") of the record
 * being parsed, which the parser's record (the message) no longer holds.
 * Returns 1 and sets S/LEN (valid until parse returns), or 0 when there is no
 * such field or no envelope. */
int tl_parse_envelope(struct tl_parse *p, const char *name, const char **s, size_t *len);

#endif
