/*
 * Correlation: time-bounded bindings and the attribution of events that carry
 * only an address (docs/correlation.md#bindings-and-attribution).
 *
 * tl_correlate() reads the case through the store, derives every binding
 *   ip -> user    VPN sessions, logons with a source address, SSO sign-ins
 *                 from an inside address, proxy authentication
 *   ip -> host    DHCP leases, EDR network events, the inventory
 *   host -> user  interactive logons, process owners, the inventory
 * with its start, its end and the rule that decided the end, finds the
 * conflicts (one subject bound to two values at once), and attributes each
 * event that names no user (host) to the binding that covers its time. The
 * result replaces the previous one whole, in one transaction: running it
 * twice gives the same rows, ids included. Events are never changed.
 *
 * Binding ids are stable: a binding a later run leaves unchanged keeps its
 * id; one it changes or removes is deleted and its successor gets a new id,
 * above every id ever given (ids are never reused). A single run over a case
 * numbers its bindings 1..N in (kind, subject, tier, start, value, source,
 * evidence) order.
 *
 * Incremental: when the options, the sessions and every earlier file are
 * unchanged, only the subjects the new files bring binding candidates for
 * are rebuilt, over the time their new candidates can reach, and only the
 * events whose attribution that can change are attributed again (with the
 * new files' events). The contents (bindings, attributions, conflicts) are
 * those a whole run would give; the ids of what changed may differ.
 * TL_CORR_FULL=1 in the environment forces the whole run. Memory is bounded:
 * candidates are sorted by the store, one subject's bindings are made at a
 * time, and attribution holds at most 512 k bindings.
 *
 * It is run at the end of every tl ingest. Library code: no printing; errors
 * fill ERR.
 */
#ifndef TL_CORRELATE_H
#define TL_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "tl/store.h"
#include "tl/util.h"

/* One row of an asset inventory: a host, its owner (NULL: none) and its fixed
 * addresses. Gives open-ended bindings of source "inventory", which evidence
 * overrides (docs/correlation.md). Strings are borrowed for the call. */
struct tl_inventory_entry {
	const char *host;
	const char *owner;
	const char *const *ips;
	size_t n_ips;
};

/* Windows of the bindings whose end the evidence does not say. 0: default. */
#define TL_LOGON_WINDOW_DEFAULT (8LL * 3600 * 1000000)  /* logons, sign-ins, process owners */
#define TL_PROXY_WINDOW_DEFAULT (15LL * 60 * 1000000)   /* proxy authentication */
#define TL_EDR_WINDOW_DEFAULT (1LL * 3600 * 1000000)    /* a host seen with an address */

struct tl_correlate_opts {
	int64_t logon_window_us, proxy_window_us, edr_window_us;
	const struct tl_inventory_entry *inventory;
	size_t n_inventory;
};

struct tl_correlate_summary {
	int64_t bindings, conflicts;
	int64_t attributed_user, attributed_host; /* attributions written */
	int64_t conflicted;                        /* events left unattributed by a conflict */
	int64_t skipped;                           /* evidence beyond the limits, not used */
	const char *mode;   /* how the run went: "full", "incremental", "unchanged" (static text) */
	int64_t rebuilt;    /* incremental: the (kind, subject)s whose bindings were rebuilt */
	const char *why;    /* full after an incremental try: what needed it (static text), else NULL */
	int64_t kept, added, deleted; /* bindings kept with their ids, given new ids, deleted */
	char skipped_at[192]; /* "KIND SUBJECT" of the first subject past a per-subject limit, "" none */
};

/* Recompute bindings, conflicts and attributions of the case in S (opened
 * for writing). OPTS may be NULL (defaults, no inventory); SUM may be NULL. */
int tl_correlate(struct tl_store *s, const struct tl_correlate_opts *opts, struct tl_correlate_summary *sum,
		 struct tl_err *err);

#endif
