/*
 * The normalized event: one row of the case database and one line of the
 * timeline JSONL contract (docs/event-model.md). The list of fields below is
 * the single source of truth for the schema, the format-definition targets,
 * and every output; add a field here and it appears everywhere.
 *
 * Ownership: all strings an event points to live in the arena of the parse
 * that produced it; an event is valid until that arena is reset.
 */
#ifndef TL_EVENT_H
#define TL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "tl/time.h"
#include "tl/util.h"

/* X(name, kind): kind T = text, I = integer (stored as INTEGER when the text is one).
 * Fields from event_code on came with schema v3, chosen with the endpoint,
 * network and audit formats in view (docs/event-model.md): new fields go at
 * the end, as a migration, never in the middle. */
#define TL_EVENT_FIELDS(X) \
	X(class, T) \
	X(action, T) \
	X(outcome, T) \
	X(severity, T) \
	X(user, T) \
	X(user_domain, T) \
	X(host, T) \
	X(src_ip, T) \
	X(src_port, I) \
	X(dst_ip, T) \
	X(dst_port, I) \
	X(proto, T) \
	X(process, T) \
	X(process_pid, I) \
	X(process_cmdline, T) \
	X(parent_process, T) \
	X(parent_pid, I) \
	X(file, T) \
	X(file_name, T) \
	X(file_hash, T) \
	X(domain, T) \
	X(url, T) \
	X(http_method, T) \
	X(http_status, I) \
	X(bytes_in, I) \
	X(bytes_out, I) \
	X(rule, T) \
	X(message, T) \
	X(event_code, T) \
	X(session_id, T) \
	X(process_guid, T) \
	X(parent_process_guid, T) \
	X(src_host, T) \
	X(dst_host, T) \
	X(target_user, T) \
	X(target_user_domain, T) \
	X(src_nat_ip, T) \
	X(src_nat_port, I) \
	X(dst_nat_ip, T) \
	X(dst_nat_port, I) \
	X(src_mac, T) \
	X(dst_mac, T)

enum tl_field_id {
#define TL_X_ENUM(name, kind) TL_F_##name,
	TL_EVENT_FIELDS(TL_X_ENUM)
#undef TL_X_ENUM
	TL_F_COUNT
};

/* Name of field ID ("src_ip"); its kind 'T' or 'I'. */
const char *tl_field_name(enum tl_field_id id);
char tl_field_kind(enum tl_field_id id);
/* Field id for NAME, or -1. */
int tl_field_lookup(const char *name);

/* Map target beyond the normalized fields: the tamper indicator (see tl gaps). */
#define TL_F_INDICATOR TL_F_COUNT

/* Value kinds of parsed fields, kept so `extra` keeps JSON types. */
enum tl_val_kind { TL_V_STR, TL_V_NUM, TL_V_BOOL, TL_V_NULL, TL_V_JSON };

/* A value: bytes and length (may contain NUL), never NULL when set. */
struct tl_val {
	const char *s;
	size_t len;
};

/* A parsed field that no normalized field took: goes to `extra`. */
struct tl_extra {
	const char *key;
	struct tl_val v;
	enum tl_val_kind kind;
};

struct tl_event {
	tl_us ts;               /* UTC after skew correction */
	struct tl_val ts_raw;   /* original text */
	const char *ts_rule;    /* how zone/year were decided */
	int64_t ts_skew_us;     /* correction applied (0 if none) */
	const char *family;
	const char *format;
	const char *parser_version;
	struct tl_val f[TL_F_COUNT]; /* .s NULL when absent */
	struct tl_val indicator;     /* tamper indicator the format recognised ("log-tampering: ..."), or absent */
	int has_seq;
	int64_t seq;                 /* the source's own record sequence number (EventRecordID, auditd serial) */
	struct tl_extra *extra;
	size_t n_extra;
};

/* Provenance of one record in its evidence file. */
struct tl_prov {
	int64_t file_id;
	uint64_t line;          /* first line of the record, 1-based */
	uint64_t offset;        /* byte offset in the decompressed stream */
	uint64_t length;        /* bytes of the record in that stream */
	char sha256[65];        /* of those bytes */
	unsigned char sha_bin[32]; /* the same as bytes, when has_sha_bin (the store then need not unhex it) */
	int has_sha_bin;
};

/* Append EV's `extra` as a JSON object. */
int tl_event_extra_json(const struct tl_event *ev, struct tl_buf *out);

#endif
