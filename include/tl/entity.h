/*
 * Entities: the things an investigation pivots on (docs/correlation.md).
 * One canonical text per entity so that every source's spelling of the same
 * user, host, address or domain meets in one place:
 *   user     account name case-folded; DOMAIN\user, user@domain, UPNs and plain
 *            names give the same identity (the forms seen are kept as aliases)
 *   host     lower case; an FQDN and its first label are one host
 *   ip       canonical IPv4 / IPv6 text (inet_ntop), zone ids kept
 *   domain   lower case, trailing dot removed; registrable domain from the
 *            Public Suffix List (libpsl)
 *   url, file, process, hash, email, resource: see entity.c for each rule
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

#endif
