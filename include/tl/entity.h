/*
 * Entities: the things an investigation pivots on (docs/correlation.md).
 * One canonical text per entity so that every source's spelling of the same
 * user, host, address or domain meets in one place:
 *   user     account name case-folded; DOMAIN\user, user@domain, UPNs and plain
 *            names give the same identity (the forms seen are kept as aliases);
 *            a machine account keeps its '$' (ws01$ is not the user ws01);
 *            placeholders (-, N/A, (null)) and system principals
 *            (NT AUTHORITY\SYSTEM, S-1-5-18, ...) are not users
 *   host     lower case, trailing dot removed; an FQDN and its first label are
 *            one host, named by the first label; an address is not a host
 *   ip       canonical IPv4 / IPv6 text (inet_ntop); IPv4-mapped IPv6 is the
 *            IPv4 address; brackets dropped, zone ids kept; nothing else
 *   domain   lower case, trailing dot removed, IDNA left as written; registrable
 *            domain from the Public Suffix List (libpsl); an address is not one
 *   url      scheme and host lower case, the rest as written
 *   email    lower case; local@domain.tld
 *   hash     lower-case hex of 32/40/64/128 digits (tl_entity_hash_kind); from
 *            a list "SHA1=..,SHA256=.." the longest
 *   file, process  as written; a Windows path (C:\, \\server, backslashes only)
 *            case-folded (ASCII), since NTFS names ignore case
 *   resource as written (ARNs and cloud ids are case-sensitive)
 * Every type: surrounding blanks trimmed; placeholders, control characters
 * and values longer than 4096 bytes refused.
 * Pure functions: no I/O, no global state except the PSL libpsl holds.
 *
 * Ownership: every char * returned is malloc'd and freed by the caller.
 */
#ifndef TL_ENTITY_H
#define TL_ENTITY_H

#include "tl/util.h"

enum tl_entity_type {
	TL_ENT_USER,
	TL_ENT_HOST,
	TL_ENT_IP,
	TL_ENT_DOMAIN,
	TL_ENT_URL,
	TL_ENT_FILE,
	TL_ENT_PROCESS,
	TL_ENT_HASH,
	TL_ENT_EMAIL,
	TL_ENT_RESOURCE,
	TL_ENT_TYPES
};

/* "user", "host", ... */
const char *tl_entity_type_name(enum tl_entity_type t);
/* 0 and *T for a known NAME, -1 otherwise. */
int tl_entity_type_parse(const char *name, enum tl_entity_type *t);

/* The canonical text of VALUE as an entity of type T into *OUT: 0, or -1 with
 * ERR filled when VALUE is not one (an empty user, "300.1.2.3" as an ip). */
int tl_entity_canon(enum tl_entity_type t, const char *value, char **out, struct tl_err *err);

/* The registrable domain (eTLD+1) of a canonical domain or host name into
 * *OUT: 0, or 1 when it has none (a bare public suffix, an address). */
int tl_entity_registrable(const char *domain, char **out);

/* Non-zero when VALUE is an IPv4/IPv6 address (what tl_entity_canon accepts
 * as an ip): a host or domain field holding one names an ip entity. */
int tl_entity_is_ip(const char *value);

/* The host part of URL (a CONNECT authority "host:port" too) into *OUT, as
 * written: 0, or 1 when it names none (a bare path). */
int tl_entity_url_host(const char *url, char **out);

/* The same rule without a copy: where the host of URL (LEN bytes, not
 * necessarily NUL-terminated) lies, as written (brackets of an IPv6 literal
 * excluded): 0 with *OFF and *N, or 1 when it names none. A URL with a scheme
 * ("https://user@Host:8443/x") always qualifies; without one, only the
 * CONNECT authority "host:port", or with TL_URL_HOST_BARE also a bare
 * "[user@]host[:port][/path]" (Defender's RemoteUrl "transfer.sh"), whose
 * port must be 1-5 digits; a host is 1-253 bytes without blanks or control
 * bytes.
 * The caller decides about addresses (an IP host is a host). */
#define TL_URL_HOST_BARE 1u
int tl_entity_url_host_span(const char *url, size_t len, unsigned flags, size_t *off, size_t *n);

/* "md5", "sha1", "sha256", "sha512" for a canonical hash by its length; "?". */
const char *tl_entity_hash_kind(const char *hex);

#endif
