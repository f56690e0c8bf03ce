/*
 * Causality chains (tl chain, docs/correlation.md#chains): starting from a
 * pivot entity (a user, host, address, domain, file, process or hash), follow
 * the links that make one event the cause of another — a process started
 * another, wrote a file later executed, a file was flagged by DLP and then
 * uploaded — and return each connected set of linked events as a chain in
 * time order, every step naming the evidence it came from and the reason its
 * link holds.
 *
 * A chain is selective: from the events that name the pivot it walks causes
 * backwards and effects forwards (never backwards then forwards again, which
 * would bring in every sibling of a shared parent), and only along the link
 * rules below, never "same host" or "same user" alone. Rules read normalized
 * fields (docs/event-model.md), not formats; values of users, hosts,
 * addresses and domains are compared in their canonical form
 * (tl_entity_canon, include/tl/entity.h).
 *
 * Bounded work: at most TL_CHAIN_SEEDS events naming the pivot are followed,
 * TL_CHAIN_EVENTS events are looked at in all, a rule links one event to at
 * most TL_CHAIN_FANOUT others (TL_CHAIN_SESSION_FANOUT for a logon session),
 * and a chain shows at most opts.max_steps steps; each cap reached is
 * reported in the result (capped, notes). Every link goes from an event to
 * one strictly later in the total order (ts, evidence path, offset), and each
 * event is visited once per direction, so cycles in parent data (pid reuse)
 * cannot loop.
 *
 * Ownership: tl_chain_build() fills a struct tl_chain_set whose every string
 * it owns; tl_chain_set_release() frees them.
 */
#ifndef TL_CHAIN_H
#define TL_CHAIN_H

#include <stdint.h>

#include "tl/store.h"
#include "tl/time.h"
#include "tl/util.h"

/* "Within a window": DLP finding -> upload, bulk export -> upload, DNS answer
 * -> connection, download -> file written, process access -> the target's
 * actions (--window changes it). */
#define TL_CHAIN_WINDOW_DEFAULT (10 * 60 * TL_US_PER_SEC)
/* The same connection seen by the host and by a network sensor: start times
 * at most this far apart. */
#define TL_CHAIN_SAME_CONN_US (5 * TL_US_PER_SEC)
/* Parent -> child, process -> its actions, file written -> executed, service
 * installed -> started, logon -> actions in the session: at most this long
 * after (processes and sessions live long; the rules themselves are exact). */
#define TL_CHAIN_SPAN_US (7LL * 86400 * TL_US_PER_SEC)
/* An address a host or user used, by its EDR network events: an upload from
 * it within this long of them is theirs (for findings that name no address). */
#define TL_CHAIN_ADDR_SPAN_US (12LL * 3600 * TL_US_PER_SEC)
/* A bulk export: at least this many downloads/exports by one user within
 * TL_CHAIN_BULK_SPAN_US before the last of them. */
#define TL_CHAIN_BULK_MIN 10
#define TL_CHAIN_BULK_SPAN_US (15 * 60 * TL_US_PER_SEC)
/* A bulk export -> an archive (7-Zip, zip, RAR started, or a .7z/.zip/.rar
 * written) by the same user, or on a host where that user is logged on: at
 * most this long after the last download (people archive what they just
 * took, but not always within the minute). */
#define TL_CHAIN_ARCHIVE_US (30 * 60 * TL_US_PER_SEC)
/* An archive that names no user is the user's when the latest logon on its
 * host (in its logon session, when it has one) is theirs, at most this long
 * before it. */
#define TL_CHAIN_LOGON_SPAN_US (8LL * 3600 * TL_US_PER_SEC)
/* A proxy CONNECT tunnel is logged when it closes, with its duration: a
 * connection from the same client to the same destination that started in
 * [close - duration - slack, close] is the same transfer. The slack absorbs
 * the clocks of two machines and the client's SYN before the proxy's accept. */
#define TL_CHAIN_TUNNEL_SLACK_US (2 * TL_US_PER_SEC)
/* The longest tunnel looked for after a connection. */
#define TL_CHAIN_TUNNEL_MAX_US (24LL * 3600 * TL_US_PER_SEC)
/* A DNS answer at most this long before a tunnel opened still says where its
 * host name pointed (resolvers and clients cache). */
#define TL_CHAIN_ANSWER_SPAN_US (3600LL * TL_US_PER_SEC)
/* An upload: an HTTP PUT or POST, or at least this many bytes sent. */
#define TL_CHAIN_UPLOAD_BYTES (1024 * 1024)
#define TL_CHAIN_SEEDS 2000
#define TL_CHAIN_EVENTS 20000
#define TL_CHAIN_FANOUT 4
#define TL_CHAIN_SESSION_FANOUT 16
#define TL_CHAIN_STEPS_DEFAULT 200
/* Rows a single rule's lookup reads before it stops (reported as a note). */
#define TL_CHAIN_SCAN 5000
/* Evidence is hostile: a field longer than this takes no part in a rule (nor
 * in a summary), an `extra` longer than TL_CHAIN_EXTRA_MAX is not read; so
 * the walk's memory is bounded by TL_CHAIN_EVENTS times these. */
#define TL_CHAIN_FIELD_MAX 8192
/* The store's page cache while chains are built (tl_store_read_cache). */
#define TL_CHAIN_CACHE_BYTES (64LL * 1024 * 1024)
#define TL_CHAIN_EXTRA_MAX 65536
/* The walk's work: database pages read by all its lookups (a row read
 * through an index reads 3 or 4; tl_store_budget_begin). The caps above
 * bound how many events are looked at, not what finding them costs: a
 * lookup narrowed only by time reads every event of its window, for every
 * event it is asked about. Past the budget the walk stops, keeps the chains
 * it found and says what it did not explore (--budget changes it). On a
 * 2-core machine a page costs 0.5-2 us: the default is a few seconds. */
#define TL_CHAIN_BUDGET_DEFAULT (2000LL * 1000)

struct tl_chain_opts {
	const char *type;   /* user host ip domain file process hash url */
	const char *value;
	int has_from, has_to;
	tl_us from, to;     /* only events in [from, to) take part */
	tl_us window_us;    /* 0: TL_CHAIN_WINDOW_DEFAULT */
	size_t max_steps;   /* per chain; 0: TL_CHAIN_STEPS_DEFAULT */
	int64_t budget;     /* database pages for the walk; 0: TL_CHAIN_BUDGET_DEFAULT */
};

/* One incoming link of a step: the earlier step it follows from. */
struct tl_chain_link {
	size_t from;        /* 0-based index of the cause in the chain's steps */
	const char *type;   /* rule name: "process-tree", "dlp-flagged", ... (static) */
	char *reason;       /* why it holds, one line of facts */
};

struct tl_chain_step {
	tl_us ts;
	char *path;         /* evidence file, relative to the case */
	int64_t line, offset, length, seq; /* seq -1 when the source has none */
	char *sha256;
	char *family, *format, *cls, *action, *user, *host; /* NULL when absent */
	char *source;       /* what logged it: "Sysmon 11", "Security 4624", "squid-native" */
	char *summary;      /* what happened, one line of facts */
	int pivot;          /* the event names the pivot itself */
	struct tl_chain_link *links; /* every link into it, the primary (latest cause) first */
	size_t n_links;
};

struct tl_chain {
	struct tl_chain_step *steps; /* in total order */
	size_t n;
	size_t total;                /* steps found; more than n when capped */
};

struct tl_chain_set {
	char *pivot;                 /* "user:mchen" as canonical text */
	struct tl_chain *v;          /* ordered by their first step */
	size_t n;
	size_t seeds;                /* events naming the pivot that were followed */
	struct tl_strlist notes;     /* caps reached, lines for people */
	tl_us window_us;
	int budget_spent;            /* the walk stopped at its budget (said in notes) */
	int64_t pages_used;          /* database pages the walk read */
};

/* Check OPTS->type and value: 0, or -1 with ERR naming the bad value. */
int tl_chain_pivot_check(const struct tl_chain_opts *opts, struct tl_err *err);

/* Build the chains of OPTS's pivot into OUT (zeroed by the caller or
 * released). 0, or -1 with ERR filled. */
int tl_chain_build(struct tl_store *s, const struct tl_chain_opts *opts, struct tl_chain_set *out,
		   struct tl_err *err);
void tl_chain_set_release(struct tl_chain_set *cs);

#endif
