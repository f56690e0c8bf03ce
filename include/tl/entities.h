/*
 * Entities of a case (docs/correlation.md#entities): every user, host,
 * address, domain, URL, file, process, hash, e-mail address and cloud
 * resource the events name, once each by its canonical text (the rules of
 * tl/entity.h), with the spellings seen and the aliases of the case config,
 * first and last seen and how many events name it.
 *
 * The counts are kept in the case database and brought up to date at the end
 * of every ingest, in proportion to the evidence files new since the last
 * refresh; a re-parsed or replaced file, or changed aliases in tl.json, make
 * the next refresh count every event again.
 *
 * Not here: bindings and attribution (who held an address when), which read
 * the entities and the inventory this module leaves in the case.
 */
#ifndef TL_ENTITIES_H
#define TL_ENTITIES_H

#include <stdio.h>

#include "tl/config.h"
#include "tl/store.h"
#include "tl/util.h"

/* Bring the entities of S up to date with its events and CFG's aliases
 * (one write transaction). S must be open for writing. */
int tl_entities_refresh(struct tl_store *s, const struct tl_config *cfg, struct tl_err *err);
/* tl_entities_refresh() in two steps, for a caller with a second core whose
 * connection to S is busy meanwhile with work that writes nothing the
 * refresh reads (tl ingest: the index build). _start counts the committed
 * events in a thread of its own on S's reader connection
 * (tl_store_read_ahead); its first write waits until _finish hands S over,
 * which then waits for the refresh to end. The counts, rows and ids are
 * those tl_entities_refresh() makes. S is not to be used between the two.
 * _start gives NULL when no thread could be started; _finish gives 0 or -1
 * (ERR set), 1 when nothing was done (S had no reader): the caller then
 * calls tl_entities_refresh(). WRITE 0: the caller gives up (its work
 * failed); nothing is written. */
struct tl_entities_early;
struct tl_entities_early *tl_entities_refresh_start(struct tl_store *s, const struct tl_config *cfg);
int tl_entities_refresh_finish(struct tl_entities_early *e, int write, struct tl_err *err);

/* The identity a user spelling stands for: CFG's aliases first (the spelling
 * as written, then its canonical form), else the user rule. 0 and *OUT
 * (malloc'd), or -1 when VALUE is not a user. */
int tl_entities_user_identity(const struct tl_config *cfg, const char *value, char **out, struct tl_err *err);

/* Pivots for tl timeline --entity: each of IN, and beside it every spelling
 * the case knows for the same entity (its canonical value, the forms seen in
 * events, the configured aliases), so that user:E10442 selects the events of
 * the account it is an alias of. A value that is no entity of its type (an
 * address block, a partial name) is passed on as given. At most
 * TL_PIVOTS_MAX pivots; OUT owns its strings. */
#define TL_PIVOTS_MAX 4096
struct tl_entity_pivots {
	struct tl_entity *v;
	size_t n;
	struct tl_strlist text;
};
#define TL_ENTITY_PIVOTS_INIT { NULL, 0, TL_STRLIST_INIT }
int tl_entities_expand(struct tl_store *s, const struct tl_config *cfg, const struct tl_entity *in, size_t n,
		       struct tl_entity_pivots *out, struct tl_err *err);
void tl_entity_pivots_release(struct tl_entity_pivots *p);

/* tl entities: the entities of TYPE (NULL: all) whose value, registrable
 * domain or an alias matches the PCRE2 pattern GREP (NULL: all, case
 * ignored), in (type, value) order, written to OUT. The count written goes
 * to *N (may be NULL). */
enum tl_entities_format { TL_ENTITIES_TEXT, TL_ENTITIES_CSV, TL_ENTITIES_JSONL };
int tl_entities_write(struct tl_store *s, const char *type, const char *grep, enum tl_entities_format fmt, FILE *out,
		      long *n, struct tl_err *err);

#endif
