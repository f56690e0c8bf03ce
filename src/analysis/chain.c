/*
 * Causality chains (include/tl/chain.h, docs/correlation.md#chains).
 *
 * The walk: the events naming the pivot are seeds; each is explored both
 * ways, an event reached as a cause only backwards (its own causes), one
 * reached as an effect only forwards. Exploring an event asks each link rule
 * for candidates through the store (an indexed field where there is one,
 * always a time range) and keeps those for which the rule's one predicate,
 * holds(), is true: the lookups only narrow, holds() decides, so forwards and
 * backwards agree. Linked events are grouped into connected sets; each set
 * with two or more events is a chain.
 *
 * Rules read normalized fields only. What each one needs of the fields:
 *   process-tree      process starts: process_guid / parent_process_guid, else
 *                     host + process_pid / parent_pid (the latest start of that
 *                     pid on that host before the child: pid reuse)
 *   process-activity  a process start -> events carrying its process_guid
 *   executed          file written (file) -> process started from that path
 *   downloaded        browser connection -> file written by the same process;
 *                     web request whose URL ends in a name -> file of that name
 *                     written by the same user
 *   dlp-flagged       file written -> DLP finding on the same name or hash
 *   uploaded          DLP finding -> upload from the same address or user
 *   bulk-export       the last of a burst of downloads/exports by a user ->
 *                     upload by the same user or address
 *   export-burst      the first export of a burst -> the last of it
 *   bulk-archive      the last of a burst -> an archive (7-Zip/zip/RAR started,
 *                     .7z/.zip/.rar written) by the same user, or on a host
 *                     whose latest logon (in its session) is that user's
 *   resolved          DNS answer (extra answers) or query -> connection from
 *                     the same client to the address, or naming the domain
 *   same-connection   EDR network event <-> flow/firewall/proxy record of the
 *                     same 4-tuple within seconds (followed both ways)
 *   proxy-tunnel      flow/firewall/EDR connection <-> the proxy CONNECT that
 *                     carried it: same client, destination (upstream address
 *                     or a DNS answer) and port, begun while the tunnel was
 *                     open (followed both ways)
 *
 * "The same user" is the user an event names, else the one it is attributed
 * to (the attributions table, read with every row: q.attribution), and user
 * lookups take the attributed events in (q.attributed).
 *   service-started   service installed (file = its image path) -> a process
 *                     started from that image on that host
 *   process-access    Sysmon 8/10 (extra TargetProcessGuid) -> the target
 *                     process's actions after it
 *   logon-session     logon with a session_id -> events of that session on
 *                     that host (or of that user, for platforms)
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/chain.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tl/entity.h"
#include "tl/grow.h"
#include "tl/json.h"
#include "tl/banned.h"

enum { DIR_FWD = 1, DIR_BACK = 2 };

struct node {
	int64_t id;
	tl_us ts;
	char *path, *sha256, *family, *format, *extra_text;
	int64_t line, offset, length, seq;
	char *f[TL_F_COUNT];        /* text of each field (integers as text), NULL when absent */
	int64_t iv[TL_F_COUNT];
	unsigned char has_iv[TL_F_COUNT];
	struct tl_json *extra;      /* parsed on first use */
	int extra_tried;
	char *cu, *ch;              /* canonical user and host, "" when none */
	unsigned explored, queued;  /* DIR_* bits */
	int seed;
	int64_t burst;              /* exports by this user in the burst ending here (-1 not counted) */
	struct tl_store *lazy;      /* extra not read yet: read it from here by id when a rule asks */
	char *fpath;                /* file without an alternate data stream (":Zone.Identifier"), or NULL */
	char *au, *au_src, *au_subj; /* attributed user (canonical), its binding's source and subject, or NULL */
	int first;                  /* export-burst: the first export of a burst (-1 not known yet) */
};

struct edge {
	size_t from, to;
	const struct rule *rule;
	char *reason;
	size_t at;                  /* where the cause's step number goes in REASON */
};

struct cands {
	struct node **v;
	size_t n, cap;
};

/* host_answer remembers this many lookups (direct-mapped), holding at most
 * ANSWERS_KEPT DNS records in all (a lookup that would pass it is asked
 * again each time). */
#define ANSWERS_SLOTS 1024
#define ANSWERS_KEPT 20000

struct ctx {
	struct tl_store *s;
	const struct tl_chain_opts *o;
	tl_us window;
	struct tl_err *err;
	struct node **nodes;
	size_t n, cap;
	size_t *ht;                 /* id -> index + 1, open addressing */
	size_t hcap;
	struct edge *edges;
	size_t ne, ecap;
	struct { size_t node; unsigned dir; } *queue;
	size_t qh, qn, qcap;
	/* every distinct user value with its canonical form, for "same user" lookups */
	struct valset {
		const char *type;   /* "user", "host" */
		enum tl_entity_type et;
		char **raw, **canon;
		size_t n;
		int loaded;
	} users, hosts;
	int capped_events, capped_scan;
	unsigned capped_rules;      /* bit per rule whose forward fan-out was reached */
	size_t why_at;              /* set by REF() in a rule's holds() */
	struct keycache *cache;     /* events per looked-up key, read once (see lookup) */
	size_t n_cache, cache_nodes;
	struct tl_chain_set *out;
	struct tl_store_budget budget; /* the walk's work, counted by the store */
	struct answers {            /* host_answer's lookups: one tunnel is judged against many connections */
		char *host;         /* NULL: free */
		tl_us from, to;
		struct cands cs;    /* the DNS records among what the lookup found */
	} answers[ANSWERS_SLOTS];
	size_t answers_kept;
	struct empties {            /* lookups known to find nothing in a time range (see lookup) */
		struct empty *v;    /* open addressing on the lookup's text */
		size_t cap, n;
	} empties;
	signed char present[TL_F_COUNT]; /* 0 not asked, 1 some event has the field (or unknown), -1 none */
#define FAMS_MAX 16
	struct { const char *name; int present; } fams[FAMS_MAX]; /* families asked about, with evidence or not */
	size_t n_fams;
};

struct rule {
	const char *name;
	int (*cause)(struct ctx *c, struct node *n);
	int (*effect)(struct ctx *c, struct node *n);
	int (*holds)(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why);
	int (*fwd)(struct ctx *c, struct node *a, struct cands *out);
	int (*back)(struct ctx *c, struct node *b, struct cands *out);
	size_t fanout_fwd, fanout_back;
	int symmetric; /* the same occurrence seen twice: followed both ways in either direction */
};

/* ---- small helpers ------------------------------------------------------- */

static const char *F(const struct node *n, int id)
{
	return n->f[id];
}

/* The file an event wrote, without an NTFS stream name. */
static const char *file_of(const struct node *n)
{
	return n->fpath ? n->fpath : n->f[TL_F_file];
}

static int has(const struct node *n, int id)
{
	return n->f[id] && *n->f[id];
}

static int ieq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

static int in_list(const char *v, const char *const *list)
{
	for (; v && *list; list++)
		if (!strcasecmp(v, *list))
			return 1;
	return 0;
}

/* The first place NEEDLE occurs in HAY, ignoring ASCII case, or NULL. */
static const char *ci_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; p && *p; p++)
		if (!strncasecmp(p, needle, n))
			return p;
	return NULL;
}

/* A file path without its NTFS stream: Sysmon 15 logs the Zone.Identifier
 * written beside a download as "C:\x\a.exe:Zone.Identifier". NULL when it
 * has none. */
static char *strip_stream(const char *p)
{
	if (!p)
		return NULL;
	const char *last = p;
	for (const char *q = p; *q; q++)
		if (*q == '/' || *q == '\\')
			last = q + 1;
	const char *colon = strchr(last, ':');
	if (!colon || colon - p <= 1) /* none, or a drive letter */
		return NULL;
	return strndup(p, (size_t)(colon - p));
}

static const char *base_name(const char *p)
{
	if (!p)
		return NULL;
	const char *b = p;
	for (const char *q = p; *q; q++)
		if (*q == '/' || *q == '\\')
			b = q + 1;
	return b;
}

/* The total order of every output: ts, evidence path, offset. */
static int node_cmp(const struct node *a, const struct node *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	int c = strcmp(a->path, b->path);
	if (c)
		return c;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int before(const struct node *a, const struct node *b)
{
	return node_cmp(a, b) < 0;
}

static char *canon(enum tl_entity_type t, const char *v)
{
	char *out = NULL;
	struct tl_err e;
	if (!v || !*v || tl_entity_canon(t, v, &out, &e))
		return NULL;
	return out;
}

static int same_ip(const char *a, const char *b)
{
	if (!a || !b || !*a || !*b)
		return 0;
	if (!strcmp(a, b))
		return 1;
	char *x = canon(TL_ENT_IP, a), *y = canon(TL_ENT_IP, b);
	int r = x && y && !strcmp(x, y);
	free(x);
	free(y);
	return r;
}

static const char *user_of(struct node *n)
{
	if (!n->cu) {
		char *c = canon(TL_ENT_USER, F(n, TL_F_user));
		n->cu = c ? c : strdup("");
	}
	return n->cu ? n->cu : "";
}

static const char *host_of(struct node *n)
{
	if (!n->ch) {
		char *c = canon(TL_ENT_HOST, F(n, TL_F_host));
		n->ch = c ? c : strdup("");
	}
	return n->ch ? n->ch : "";
}

/* The user an event names, else the user it is attributed to (the
 * attributions table: a VPN session, DHCP lease, logon ... held its address). */
static const char *actor_of(struct node *n)
{
	return *user_of(n) ? user_of(n) : n->au ? n->au : "";
}

static int same_user(struct node *a, struct node *b)
{
	return *actor_of(a) && !strcmp(actor_of(a), actor_of(b));
}

/* After "same user X": which side's user was attributed, and by what binding. */
static void attributed_why(struct tl_buf *why, struct node *a, struct node *b)
{
	struct node *s[2] = { a, b };
	int n = 0;
	for (int k = 0; k < 2; k++) {
		if (*user_of(s[k]) || !s[k]->au)
			continue;
		tl_buf_addf(why, "%s%s attributed by the %s binding of %s", n++ ? "; " : " (", k ? "this record" : "the cause",
			    s[k]->au_src ? s[k]->au_src : "?", s[k]->au_subj ? s[k]->au_subj : "?");
	}
	if (n)
		tl_buf_adds(why, ")");
}

static int same_host(struct node *a, struct node *b)
{
	return *host_of(a) && !strcmp(host_of(a), host_of(b));
}

static char *dup_value(const struct tl_value *v);

static const struct tl_json *extra_get(struct node *n, const char *key)
{
	if (!n->extra_tried) {
		struct tl_err e;
		n->extra_tried = 1;
		if (n->lazy && !n->extra_text) {
			/* a cached candidate: its extra is read only when a rule needs it */
			struct tl_event_query q;
			memset(&q, 0, sizeof(q));
			q.event_id = n->id;
			struct tl_store_iter *it = tl_store_events(n->lazy, &q, &e);
			const struct tl_event_row *r;
			if (it && tl_store_next_event(it, &r, &e) == 1 && r->extra.len <= TL_CHAIN_EXTRA_MAX)
				n->extra_text = dup_value(&r->extra);
			tl_store_iter_free(it);
		}
		if (n->extra_text)
			n->extra = tl_json_parse("extra", n->extra_text, strlen(n->extra_text), &e);
	}
	if (!n->extra || n->extra->type != TL_JSON_OBJECT)
		return NULL;
	return tl_json_get(n->extra, key);
}

static const char *extra_str(struct node *n, const char *key)
{
	const struct tl_json *j = extra_get(n, key);
	return j && (j->type == TL_JSON_STRING || j->type == TL_JSON_NUMBER) ? j->str : NULL;
}

static void fmt_delta(struct tl_buf *b, tl_us d)
{
	int64_t s = d / TL_US_PER_SEC;
	if (d < TL_US_PER_SEC)
		tl_buf_addf(b, "%lldms", (long long)(d / 1000));
	else if (s < 60)
		tl_buf_addf(b, "%llds", (long long)s);
	else if (s < 3600 && s % 60 == 0)
		tl_buf_addf(b, "%lldm", (long long)(s / 60));
	else if (s < 3600)
		tl_buf_addf(b, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		tl_buf_addf(b, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		tl_buf_addf(b, "%lldd %lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

/* ---- what an event is ---------------------------------------------------- */

static int is_class(const struct node *n, const char *cls)
{
	return ieq(F(n, TL_F_class), cls);
}

static int is_process_start(struct ctx *c, struct node *n)
{
	(void)c;
	static const char *const starts[] = { "create", "execve", "exec", "processcreated", "processrollup2",
					      "syntheticprocessrollup2", "process-start", "start", "added", NULL };
	return is_class(n, "process_activity") && in_list(F(n, TL_F_action), starts) &&
	       (has(n, TL_F_process_guid) || (n->has_iv[TL_F_process_pid] && has(n, TL_F_host)));
}

static int is_file_write(struct ctx *c, struct node *n)
{
	(void)c;
	static const char *const writes[] = { "create", "created", "create-executable", "create-stream",
					      "filecreated", "filemodified", "filerenamed", "modified", "write",
					      "renamed", "newexecutablewritten", "moved_to", NULL };
	return is_class(n, "file_activity") && has(n, TL_F_file) && in_list(F(n, TL_F_action), writes);
}

static int is_dlp(struct ctx *c, struct node *n)
{
	(void)c;
	return (ieq(n->family, "dlp") || is_class(n, "data_security_finding")) &&
	       (has(n, TL_F_file) || has(n, TL_F_file_name) || has(n, TL_F_file_hash));
}

static int is_private(const char *ip)
{
	unsigned char a[16];
	if (ip && inet_pton(AF_INET, ip, a) == 1)
		return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 169 && a[1] == 254);
	if (ip && inet_pton(AF_INET6, ip, a) == 1)
		return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
		       !memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	return 0;
}

/* A transfer out: not DLP, EDR or DNS, to an address that is not private
 * (when known), not failed, from a known address or user; and a PUT or at
 * least TL_CHAIN_UPLOAD_BYTES sent (POST_OK: a POST too, which the caller
 * then ties to the file by its URL: forms and telemetry are POSTs as well). */
static int outbound(struct node *n, int post_ok)
{
	if (ieq(n->family, "dlp") || ieq(n->family, "edr") || is_class(n, "dns_activity"))
		return 0;
	if (has(n, TL_F_dst_ip) && is_private(F(n, TL_F_dst_ip)))
		return 0;
	if (ieq(F(n, TL_F_outcome), "failure"))
		return 0;
	int web = ieq(F(n, TL_F_http_method), "PUT") || (post_ok && ieq(F(n, TL_F_http_method), "POST"));
	int big = n->has_iv[TL_F_bytes_out] && n->iv[TL_F_bytes_out] >= TL_CHAIN_UPLOAD_BYTES;
	return (web || big) && (has(n, TL_F_src_ip) || has(n, TL_F_user));
}

static int is_upload(struct ctx *c, struct node *n)
{
	(void)c;
	return outbound(n, 0);
}

static int is_upload_or_post(struct ctx *c, struct node *n)
{
	(void)c;
	return outbound(n, 1);
}

static int is_export(struct ctx *c, struct node *n)
{
	(void)c;
	const char *a = F(n, TL_F_action);
	if (!ieq(n->family, "audit") || !a || ieq(F(n, TL_F_outcome), "failure") || !has(n, TL_F_user))
		return 0;
	static const char *const words[] = { "download", "export", "getobject", "get.object", "objects.get",
					     "clone", NULL };
	char low[128];
	size_t i;
	for (i = 0; a[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
	low[i] = 0;
	for (const char *const *w = words; *w; w++)
		if (strstr(low, *w))
			return 1;
	return 0;
}

static int is_conn(struct ctx *c, struct node *n)
{
	(void)c;
	if (is_class(n, "dns_activity") || ieq(n->family, "dns") || ieq(n->family, "dlp"))
		return 0;
	return is_class(n, "network_activity") || is_class(n, "http_activity") || ieq(n->family, "proxy") ||
	       ieq(n->family, "flow") || ieq(n->family, "firewall");
}

static int is_edr_conn(struct ctx *c, struct node *n)
{
	(void)c;
	return ieq(n->family, "edr") && is_class(n, "network_activity") && has(n, TL_F_src_ip) &&
	       n->has_iv[TL_F_src_port] && has(n, TL_F_dst_ip) && n->has_iv[TL_F_dst_port];
}

static int is_sensor_conn(struct ctx *c, struct node *n)
{
	return !ieq(n->family, "edr") && is_conn(c, n) && has(n, TL_F_src_ip) && n->has_iv[TL_F_src_port] &&
	       has(n, TL_F_dst_ip) && n->has_iv[TL_F_dst_port];
}

static int is_tuple(struct ctx *c, struct node *n)
{
	return is_edr_conn(c, n) || is_sensor_conn(c, n);
}

static int is_dns(struct ctx *c, struct node *n)
{
	(void)c;
	return is_class(n, "dns_activity") && has(n, TL_F_domain) && !ieq(F(n, TL_F_outcome), "failure") &&
	       (has(n, TL_F_src_ip) || has(n, TL_F_host));
}

/* The client that asked: the source, unless the record is the server's
 * answer travelling back (source port 53). */
static const char *dns_client(struct node *n)
{
	if (n->has_iv[TL_F_src_port] && n->iv[TL_F_src_port] == 53 && has(n, TL_F_dst_ip))
		return F(n, TL_F_dst_ip);
	return has(n, TL_F_src_ip) ? F(n, TL_F_src_ip) : NULL;
}

static int is_logon(struct ctx *c, struct node *n)
{
	(void)c;
	static const char *const logons[] = { "logon", "logonsuccess", "userlogon", "login", "sign-in",
					      "user.session.start", "consolelogin", NULL };
	/* the system's own sessions hold everything a service does */
	static const char *const system_ids[] = { "0x3e7", "0x3e4", "0x3e5", "0x0", "0", NULL };
	return is_class(n, "authentication") && in_list(F(n, TL_F_action), logons) &&
	       !ieq(F(n, TL_F_outcome), "failure") && has(n, TL_F_session_id) &&
	       !in_list(F(n, TL_F_session_id), system_ids);
}

static int is_service_install(struct ctx *c, struct node *n)
{
	(void)c;
	return (ieq(F(n, TL_F_action), "service-install") || ieq(F(n, TL_F_event_code), "7045") ||
		ieq(F(n, TL_F_event_code), "4697")) && has(n, TL_F_file) && has(n, TL_F_host);
}

static int is_access(struct ctx *c, struct node *n)
{
	(void)c;
	return (ieq(F(n, TL_F_action), "access") || ieq(F(n, TL_F_action), "create-remote-thread")) &&
	       is_class(n, "process_activity") && extra_str(n, "TargetProcessGuid");
}

static int is_browser(const char *process)
{
	static const char *const browsers[] = { "chrome.exe", "msedge.exe", "firefox.exe", "iexplore.exe", "brave.exe",
						"opera.exe", "safari", "chrome", "firefox", "chromium", NULL };
	return in_list(base_name(process), browsers);
}

/* The executable of a service's image path: "C:\x\a.exe" -k arg, or up to
 * the first space after ".exe". Into OUT (LEN bytes). */
static void service_exe(const char *img, char *out, size_t len)
{
	const char *s = img, *e;
	if (*s == '"') {
		s++;
		e = strchr(s, '"');
		if (!e)
			e = s + strlen(s);
	} else {
		const char *x = ci_find(s, ".exe");
		e = x ? x + 4 : s + strcspn(s, " ");
	}
	snprintf(out, len, "%.*s", (int)(e - s), s);
}

/* Last path segment of a URL, without query: "" when none. */
static void url_name(const char *url, char *out, size_t len)
{
	out[0] = 0;
	if (!url)
		return;
	size_t n = strcspn(url, "?#");
	const char *seg = url, *scheme = strstr(url, "://");
	const char *start = scheme && (size_t)(scheme - url) < n ? scheme + 3 : url;
	const char *slash = NULL;
	for (const char *p = start; p < url + n; p++)
		if (*p == '/')
			slash = p;
	if (!slash)
		return;
	seg = slash + 1;
	if ((size_t)(url + n - seg) < len && strchr(seg, '.') && (size_t)(url + n - seg) > 0)
		snprintf(out, len, "%.*s", (int)(url + n - seg), seg);
	if (!strchr(out, '.'))
		out[0] = 0;
}

/* ---- nodes and lookups --------------------------------------------------- */

static void node_free(struct node *n)
{
	if (!n)
		return;
	free(n->path);
	free(n->sha256);
	free(n->family);
	free(n->format);
	free(n->extra_text);
	for (int i = 0; i < TL_F_COUNT; i++)
		free(n->f[i]);
	tl_json_free(n->extra);
	free(n->cu);
	free(n->ch);
	free(n->fpath);
	free(n->au);
	free(n->au_src);
	free(n->au_subj);
	free(n);
}

static char *dup_value(const struct tl_value *v)
{
	if (v->type == TL_VALUE_NULL)
		return NULL;
	if (v->type == TL_VALUE_INT) {
		char b[32];
		snprintf(b, sizeof(b), "%lld", (long long)v->i);
		return strdup(b);
	}
	return strndup(v->s ? v->s : "", v->len);
}

static struct node *node_from_row(const struct tl_event_row *r)
{
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->id = r->id;
	n->ts = r->ts;
	n->path = dup_value(&r->path);
	n->sha256 = dup_value(&r->sha256);
	n->family = dup_value(&r->family);
	n->format = dup_value(&r->format);
	if (r->extra.len <= TL_CHAIN_EXTRA_MAX)
		n->extra_text = dup_value(&r->extra);
	n->line = r->line.i;
	n->offset = r->offset.i;
	n->length = r->length.i;
	n->seq = r->seq.type == TL_VALUE_INT ? r->seq.i : -1;
	n->burst = -1;
	int ok = n->path && n->sha256 && n->family && n->format;
	for (int i = 0; i < TL_F_COUNT && ok; i++) {
		if (r->f[i].type == TL_VALUE_NULL || r->f[i].len > TL_CHAIN_FIELD_MAX)
			continue;
		if (r->f[i].type == TL_VALUE_INT) {
			n->has_iv[i] = 1;
			n->iv[i] = r->f[i].i;
		}
		if (!(n->f[i] = dup_value(&r->f[i])))
			ok = 0;
	}
	if (!ok) {
		node_free(n);
		return NULL;
	}
	n->fpath = strip_stream(n->f[TL_F_file]);
	n->first = -1;
	if (r->attr_user.value.type == TL_VALUE_TEXT && r->attr_user.value.len <= TL_CHAIN_FIELD_MAX) {
		n->au = dup_value(&r->attr_user.value);
		n->au_src = dup_value(&r->attr_user.source);
		n->au_subj = dup_value(&r->attr_user.subject);
		if (!n->au) {
			node_free(n);
			return NULL;
		}
	}
	return n;
}

static void cands_release(struct cands *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		node_free(cs->v[i]);
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

static int cands_push(struct cands *cs, struct node *n)
{
	struct node **v = tl_grow(cs->v, &cs->cap, cs->n + 1, sizeof(*v), 16);
	if (!v)
		return -1;
	cs->v = v;
	cs->v[cs->n++] = n;
	return 0;
}

/* Events matching FIELDS (all of them), ENTITIES (any), FAMILY or FAMILY2
 * when set, with FROM <= ts < TO clipped to the range asked for, appended to
 * OUT in time order (latest first with REVERSE). */
struct look {
	const struct tl_field_match *fields;
	size_t n_fields;
	const struct tl_entity *entities;
	size_t n_entities;
	const char *family;
	tl_us from, to;
	int reverse;
	const char *family2;        /* or this one */
	const char *cache_user;     /* with ENTITIES: the canonical user or host they spell (the cache key) */
	const char *family3;        /* or this one (with FAMILY2) */
};

/* ---- the key cache -------------------------------------------------------
 * Rules look up the same address, host or user again and again (every event
 * of an address pivot asks about that address), each time with another time
 * window; the store's index on the address has no time in it, so each such
 * query reads every event of the address. So the events of such a key, over
 * the whole range of the walk, are read once (when there are at most
 * TL_CHAIN_KEY_EVENTS of them) and later lookups are answered from memory by
 * time, the remaining conditions checked the way SQL would. Nodes in the
 * cache keep no extra (read by id when a rule asks: extra_get). */
#define TL_CHAIN_KEY_EVENTS 20000
#define TL_CHAIN_CACHE_NODES 50000

struct keycache {
	int field;          /* TL_F_src_ip, TL_F_dst_ip, TL_F_host; -1: the user forms, -3: the host forms */
	char *value;        /* the value, or the canonical user */
	struct node **v;    /* timeline order */
	size_t n;
	int full;           /* 0: not read (yet), or more than TL_CHAIN_KEY_EVENTS: ask SQL */
	int tried;          /* read once already (a key asked about once is not worth reading whole) */
};

static void node_free(struct node *n);
static struct node *node_from_row(const struct tl_event_row *r);

static int cache_field(int f)
{
	return f == TL_F_src_ip || f == TL_F_dst_ip || f == TL_F_host;
}

/* The condition of L that names the key, or -1 (user forms: -2). */
static int cache_key_of(const struct look *l)
{
	for (size_t i = 0; i < l->n_fields; i++) {
		const struct tl_field_match *m = &l->fields[i];
		if ((m->op == TL_MATCH_EQ || m->op == TL_MATCH_EQ_BY_TIME) && m->value && !m->nocase &&
		    cache_field(m->field))
			return (int)i;
	}
	if (!l->n_fields && l->n_entities)
		return -2;
	return -1;
}

/* SQL's verdict on one condition, in memory (ASCII case folding as NOCASE). */
static int match_one(const struct node *n, const struct tl_field_match *m)
{
	const char *v = n->f[m->field];
	switch (m->op) {
	case TL_MATCH_SET: return v != NULL;
	case TL_MATCH_GE: return n->has_iv[m->field] && n->iv[m->field] >= m->ivalue;
	case TL_MATCH_EQ:
	case TL_MATCH_EQ_BY_TIME:
		if (!m->value)
			return n->has_iv[m->field] && n->iv[m->field] == m->ivalue;
		return v && !n->has_iv[m->field] && (m->nocase ? !strcasecmp(v, m->value) : !strcmp(v, m->value));
	case TL_MATCH_PATH_TAIL: {
		if (!v || !m->value)
			return 0;
		size_t lv = strlen(v), lm = strlen(m->value);
		int (*cmp)(const char *, const char *) = m->nocase ? strcasecmp : strcmp;
		if (!cmp(v, m->value))
			return 1;
		return lv > lm && (v[lv - lm - 1] == '\\' || v[lv - lm - 1] == '/') && !cmp(v + lv - lm, m->value);
	}
	}
	return 0;
}

static struct node *node_clone(const struct node *s, struct tl_store *store)
{
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	*n = (struct node){ .id = s->id, .ts = s->ts, .line = s->line, .offset = s->offset, .length = s->length,
			    .seq = s->seq, .burst = -1, .lazy = store };
	memcpy(n->iv, s->iv, sizeof(n->iv));
	memcpy(n->has_iv, s->has_iv, sizeof(n->has_iv));
	n->path = strdup(s->path);
	n->sha256 = strdup(s->sha256);
	n->family = strdup(s->family);
	n->format = strdup(s->format);
	int ok = n->path && n->sha256 && n->family && n->format;
	for (int i = 0; ok && i < TL_F_COUNT; i++)
		if (s->f[i] && !(n->f[i] = strdup(s->f[i])))
			ok = 0;
	if (ok && s->fpath && !(n->fpath = strdup(s->fpath)))
		ok = 0;
	if (ok && s->au && !(n->au = strdup(s->au)))
		ok = 0;
	if (ok && s->au_src && !(n->au_src = strdup(s->au_src)))
		ok = 0;
	if (ok && s->au_subj && !(n->au_subj = strdup(s->au_subj)))
		ok = 0;
	n->first = -1;
	if (!ok) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* The cache of L's key (read now when new); NULL when there is none. */
static struct keycache *cache_get(struct ctx *c, const struct look *l, int key, const char *canon_user)
{
	int field = key >= 0 ? l->fields[key].field : !strcmp(l->entities[0].type, "host") ? -3 : -1;
	const char *value = key >= 0 ? l->fields[key].value : canon_user;
	if (!value)
		return NULL;
	struct keycache *kc = NULL;
	for (size_t i = 0; i < c->n_cache && !kc; i++)
		if (c->cache[i].field == field && !strcmp(c->cache[i].value, value))
			kc = &c->cache[i];
	if (!kc) {
		/* first asked: remembered, answered by SQL */
		struct keycache *v = realloc(c->cache, (c->n_cache + 1) * sizeof(*v));
		if (!v)
			return NULL;
		c->cache = v;
		kc = &c->cache[c->n_cache];
		memset(kc, 0, sizeof(*kc));
		kc->field = field;
		if (!(kc->value = strdup(value)))
			return NULL;
		c->n_cache++;
		return kc;
	}
	if (kc->full || kc->tried)
		return kc;
	kc->tried = 1;
	/* a key with more events than are kept is not read at all: its index
	 * counts them without reading one (a busy NAT address has 100 000s) */
	if (key >= 0) {
		int64_t nk = tl_store_field_count(c->s, field, value, TL_CHAIN_KEY_EVENTS + 1, c->err);
		if (nk < 0)
			return NULL;
		/* full = 0: ask SQL (a key with none is always kept: it costs nothing) */
		if (nk > TL_CHAIN_KEY_EVENTS || (nk && c->cache_nodes + (size_t)nk > TL_CHAIN_CACHE_NODES))
			return kc;
	} else if (c->cache_nodes >= TL_CHAIN_CACHE_NODES) {
		return kc;
	}
	struct tl_event_query q;
	memset(&q, 0, sizeof(q));
	q.has_from = c->o->has_from;
	q.from = c->o->from;
	q.has_to = c->o->has_to;
	q.to = c->o->to;
	q.exact = 1;
	q.attribution = 1;
	q.limit = TL_CHAIN_KEY_EVENTS + 1;
	struct tl_field_match m = { field, TL_MATCH_EQ, value, 0, 0 };
	if (key >= 0) {
		q.fields = &m;
		q.n_fields = 1;
	} else {
		q.entities = l->entities;
		q.n_entities = l->n_entities;
		q.attributed = !strcmp(l->entities[0].type, "user");
	}
	struct tl_store_iter *it = tl_store_events(c->s, &q, c->err);
	const struct tl_event_row *r;
	size_t cap = 0;
	int rc = it ? 0 : -1, more;
	while (it && (more = tl_store_next_event(it, &r, c->err)) == 1) {
		if (kc->n >= TL_CHAIN_KEY_EVENTS) {
			rc = 1; /* too many: keep none */
			break;
		}
		struct node **nv = tl_grow(kc->v, &cap, kc->n + 1, sizeof(*nv), 64);
		if (!nv) {
			rc = -1;
			break;
		}
		kc->v = nv;
		/* the cache keeps no extra: candidates read it by id when asked */
		struct tl_event_row row = *r;
		row.extra.type = TL_VALUE_NULL;
		struct node *n = node_from_row(&row);
		if (!n) {
			rc = -1;
			break;
		}
		kc->v[kc->n++] = n;
	}
	if (it && more < 0)
		rc = -1;
	tl_store_iter_free(it);
	if (rc) {
		for (size_t i = 0; i < kc->n; i++)
			node_free(kc->v[i]);
		free(kc->v);
		kc->v = NULL;
		kc->n = 0;
		return rc < 0 ? NULL : kc; /* full = 0: ask SQL */
	}
	kc->full = 1;
	c->cache_nodes += kc->n;
	return kc;
}

/* Answer L from KC: events with FROM <= ts < TO in order, the other
 * conditions and the families checked here. */
static int cache_serve(struct ctx *c, const struct keycache *kc, const struct look *l, tl_us from, tl_us to,
		       struct cands *out)
{
	size_t lo = 0, hi = kc->n;
	while (lo < hi) { /* the first event at or after FROM */
		size_t mid = lo + (hi - lo) / 2;
		if (kc->v[mid]->ts < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < kc->n && kc->v[end]->ts < to)
		end++;
	size_t got = 0;
	for (size_t k = 0; k < end - lo; k++) {
		const struct node *n = kc->v[l->reverse ? end - 1 - k : lo + k];
		int ok = !l->family || !strcmp(n->family, l->family) || (l->family2 && !strcmp(n->family, l->family2)) ||
			 (l->family3 && !strcmp(n->family, l->family3));
		for (size_t i = 0; ok && i < l->n_fields; i++)
			ok = match_one(n, &l->fields[i]);
		if (!ok)
			continue;
		if (++got > TL_CHAIN_SCAN) {
			c->capped_scan = 1;
			break;
		}
		struct node *cl = node_clone(n, c->s);
		if (!cl || cands_push(out, cl)) {
			node_free(cl);
			return tl_errf(c->err, "out of memory");
		}
	}
	return 0;
}

/* Whether some event of the case has every field L asks for a value of: a
 * rule whose fields no event has (no file events in a proxy case) costs no
 * query, where its time window alone would read every event in it. */
static int fields_present(struct ctx *c, const struct look *l)
{
	/* the families asked for: one of them must have evidence in the case */
	const char *fam[3] = { l->family, l->family2, l->family3 };
	int any = !l->family;
	for (int k = 0; k < 3 && !any; k++) {
		if (!fam[k])
			continue;
		size_t j = 0;
		while (j < c->n_fams && strcmp(c->fams[j].name, fam[k]))
			j++;
		if (j == c->n_fams) {
			int p = tl_store_family_present(c->s, fam[k], c->err);
			if (p < 0)
				return -1;
			if (j < FAMS_MAX) {
				c->fams[j].name = fam[k]; /* static strings of the rules */
				c->fams[j].present = p;
				c->n_fams++;
			}
			any = p;
		} else {
			any = c->fams[j].present;
		}
	}
	if (!any)
		return 0;
	for (size_t i = 0; i < l->n_fields; i++) {
		int f = l->fields[i].field;
		if (f < 0 || f >= TL_F_COUNT || l->fields[i].op == TL_MATCH_GE)
			continue;
		if (!c->present[f]) {
			int p = tl_store_field_present(c->s, f, c->err);
			if (p < 0)
				return -1;
			c->present[f] = p ? 1 : -1;
		}
		if (c->present[f] < 0)
			return 0;
	}
	return 1;
}

/* ---- the empty-range cache ------------------------------------------------
 * Events of one pivot come in time order, and each asks the same rules about
 * the same client, host or user over a window sliding with it: "DNS answers
 * to 10.22.133.147 in the 10 minutes before" for each of its 900 requests,
 * each reading the client's thousands of events again to find none. A
 * lookup that found nothing in [lo, hi) is remembered; the next one with the
 * same conditions reads only the part of its range past what is known empty
 * (or nothing when all of it is), so a sliding window reads each event once. */
#define TL_CHAIN_EMPTIES_MAX 200000

struct empty {
	char *key;          /* the lookup without its time range; NULL: free slot */
	size_t len;
	uint64_t h;
	tl_us lo, hi;
};

static void look_key(const struct look *l, struct tl_buf *b)
{
	for (size_t i = 0; i < l->n_fields; i++) {
		const struct tl_field_match *m = &l->fields[i];
		tl_buf_addf(b, "f%d %d %d %lld ", m->field, (int)m->op, m->nocase, (long long)m->ivalue);
		if (m->value)
			tl_buf_add(b, m->value, strlen(m->value) + 1);
		else
			tl_buf_addc(b, 0);
	}
	for (size_t i = 0; i < l->n_entities; i++) {
		tl_buf_addf(b, "e%s:", l->entities[i].type);
		tl_buf_add(b, l->entities[i].value, strlen(l->entities[i].value) + 1);
	}
	tl_buf_addf(b, "F%s", l->family ? l->family : "");
	tl_buf_addc(b, 0);
	tl_buf_addf(b, "G%s", l->family2 ? l->family2 : "");
	tl_buf_addc(b, 0);
	tl_buf_addf(b, "H%s", l->family3 ? l->family3 : "");
}

static uint64_t key_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h ^ (h >> 31);
}

/* The slot of KEY (found, or the free one it would take); NULL when none. */
static struct empty *empty_slot(struct empties *e, const struct tl_buf *key, uint64_t h)
{
	if (!e->cap)
		return NULL;
	for (size_t i = h & (e->cap - 1);; i = (i + 1) & (e->cap - 1)) {
		struct empty *x = &e->v[i];
		if (!x->key || (x->h == h && x->len == key->len && !memcmp(x->key, key->data, key->len)))
			return x;
	}
}

/* Record that KEY finds nothing in [LO, HI). Memory is bounded: past
 * TL_CHAIN_EMPTIES_MAX keys nothing new is remembered. */
static void empty_put(struct empties *e, const struct tl_buf *key, uint64_t h, tl_us lo, tl_us hi)
{
	if ((e->n + 1) * 2 > e->cap) {
		if (e->n >= TL_CHAIN_EMPTIES_MAX)
			return;
		size_t cap = e->cap ? e->cap * 2 : 1024;
		struct empty *v = calloc(cap, sizeof(*v)), *old = e->v;
		if (!v)
			return;
		size_t ocap = e->cap;
		e->v = v;
		e->cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].key) {
				size_t k = old[i].h & (cap - 1);
				while (v[k].key)
					k = (k + 1) & (cap - 1);
				v[k] = old[i];
			}
		free(old);
	}
	struct empty *x = empty_slot(e, key, h);
	if (!x->key) {
		if (!(x->key = malloc(key->len + 1)))
			return;
		memcpy(x->key, key->data, key->len);
		x->key[key->len] = 0;
		x->len = key->len;
		x->h = h;
		x->lo = lo;
		x->hi = hi;
		e->n++;
		return;
	}
	/* one range per key: joined when they touch, else the later one */
	if (lo <= x->hi && hi >= x->lo) {
		x->lo = lo < x->lo ? lo : x->lo;
		x->hi = hi > x->hi ? hi : x->hi;
	} else if (lo > x->hi) {
		x->lo = lo;
		x->hi = hi;
	}
}

static void empties_release(struct empties *e)
{
	for (size_t i = 0; i < e->cap; i++)
		free(e->v[i].key);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int lookup(struct ctx *c, const struct look *l, struct cands *out)
{
	struct tl_event_query q;
	memset(&q, 0, sizeof(q));
	q.has_from = q.has_to = 1;
	q.from = l->from;
	q.to = l->to;
	if (c->o->has_from && q.from < c->o->from)
		q.from = c->o->from;
	if (c->o->has_to && q.to > c->o->to)
		q.to = c->o->to;
	if (q.from >= q.to)
		return 0;
	int present = fields_present(c, l);
	if (present <= 0)
		return present;
	int key = cache_key_of(l);
	if (key != -1) {
		struct keycache *kc = cache_get(c, l, key, key == -2 ? l->cache_user : NULL);
		if (kc && kc->full)
			return cache_serve(c, kc, l, q.from, q.to, out);
	}
	/* what is known empty of the range is not read again */
	struct tl_buf ekey = TL_BUF_INIT;
	ekey.max = 1u << 20;
	look_key(l, &ekey);
	uint64_t kh = ekey.data ? key_hash(ekey.data, ekey.len) : 0;
	struct empty *known = ekey.data ? empty_slot(&c->empties, &ekey, kh) : NULL;
	tl_us asked_from = q.from, asked_to = q.to;
	if (known && known->key && known->lo <= q.from && known->hi > q.from)
		q.from = known->hi;
	if (known && known->key && known->lo < q.to && known->hi >= q.to)
		q.to = known->lo;
	if (q.from >= q.to) {
		tl_buf_release(&ekey);
		return 0;
	}
	q.fields = l->fields;
	q.n_fields = l->n_fields;
	q.entities = l->entities;
	q.n_entities = l->n_entities;
	/* "the same user" takes in the events attributed to the user */
	q.attributed = l->n_entities && !strcmp(l->entities[0].type, "user");
	q.attribution = 1;
	q.exact = 1;
	q.reverse = l->reverse;
	q.limit = TL_CHAIN_SCAN + 1;
	const char *fam[3] = { l->family, l->family2, l->family3 };
	if (l->family) {
		q.families = fam;
		q.n_families = l->family2 ? l->family3 ? 3 : 2 : 1;
	}
	struct tl_store_iter *it = tl_store_events(c->s, &q, c->err);
	if (!it) {
		tl_buf_release(&ekey);
		return -1;
	}
	const struct tl_event_row *r;
	int rc;
	size_t got = 0;
	while ((rc = tl_store_next_event(it, &r, c->err)) == 1) {
		if (++got > TL_CHAIN_SCAN) {
			c->capped_scan = 1;
			break;
		}
		struct node *n = node_from_row(r);
		if (!n || cands_push(out, n)) {
			node_free(n);
			rc = tl_errf(c->err, "out of memory");
			break;
		}
	}
	tl_store_iter_free(it);
	/* read to the end and found nothing: the whole range asked is empty */
	if (rc == 0 && !got && ekey.data && !c->budget.spent)
		empty_put(&c->empties, &ekey, kh, asked_from, asked_to);
	tl_buf_release(&ekey);
	return rc < 0 ? -1 : 0;
}

/* Look up with one field condition. */
static int look1(struct ctx *c, int field, enum tl_match_op op, const char *value, int nocase, tl_us from, tl_us to,
		 int reverse, struct cands *out)
{
	struct tl_field_match m[2] = { { field, op, value, 0, nocase }, { 0 } };
	struct look l = { m, 1, NULL, 0, NULL, from, to, reverse, NULL, NULL , NULL};
	return lookup(c, &l, out);
}

/* Look up with two field conditions. */
static int look2(struct ctx *c, int f1, const char *v1, int f2, enum tl_match_op op2, const char *v2, int nocase2,
		 tl_us from, tl_us to, int reverse, struct cands *out)
{
	struct tl_field_match m[2] = { { f1, TL_MATCH_EQ, v1, 0, 0 }, { f2, op2, v2, 0, nocase2 } };
	struct look l = { m, 2, NULL, 0, NULL, from, to, reverse, NULL, NULL , NULL};
	return lookup(c, &l, out);
}

/* Every value of SET's type with its canonical form (read once). */
static int load_values(struct ctx *c, struct valset *set)
{
	if (set->loaded)
		return 0;
	set->loaded = 1;
	struct tl_store_iter *it = tl_store_entity_values(c->s, set->type, c->err);
	if (!it)
		return -1;
	const struct tl_entity_row *r;
	int rc;
	size_t cap = 0;
	while ((rc = tl_store_next_entity(it, &r, c->err)) == 1) {
		if (set->n == cap) {
			/* two arrays, one capacity: raised once both have grown */
			size_t ca = cap, cb = cap;
			char **a = tl_grow(set->raw, &ca, set->n + 1, sizeof(*a), 64);
			if (a)
				set->raw = a;
			char **b = a ? tl_grow(set->canon, &cb, set->n + 1, sizeof(*b), 64) : NULL;
			if (!b) {
				rc = tl_errf(c->err, "out of memory");
				break;
			}
			set->canon = b;
			cap = ca;
		}
		char *cn = canon(set->et, r->value);
		set->raw[set->n] = strdup(r->value);
		set->canon[set->n] = cn ? cn : strdup("");
		if (!set->raw[set->n] || !set->canon[set->n]) {
			free(set->raw[set->n]);
			free(set->canon[set->n]);
			rc = tl_errf(c->err, "out of memory");
			break;
		}
		set->n++;
	}
	tl_store_iter_free(it);
	return rc < 0 ? -1 : 0;
}

#define USER_FORMS_MAX 64
/* Entities TYPE:FORM for every stored spelling of canonical value CV. */
static size_t forms(struct ctx *c, struct valset *set, const char *cv, struct tl_entity *ents)
{
	size_t n = 0;
	if (!cv || !*cv || load_values(c, set))
		return 0;
	for (size_t i = 0; i < set->n && n < USER_FORMS_MAX; i++)
		if (!strcmp(set->canon[i], cv)) {
			ents[n].type = set->type;
			ents[n++].value = set->raw[i];
		}
	return n;
}

/* ENTS holds USER_FORMS_MAX + 1: the canonical form itself too, which is
 * what the attributions table holds (the lookups compare exactly). */
static size_t user_forms(struct ctx *c, const char *cu, struct tl_entity *ents)
{
	size_t n = forms(c, &c->users, cu, ents);
	int have = 0;
	for (size_t i = 0; i < n && !have; i++)
		have = !strcmp(ents[i].value, cu);
	if (cu && *cu && !have) {
		ents[n].type = "user";
		ents[n++].value = cu;
	}
	return n;
}

static int look_user(struct ctx *c, const char *cu, const char *family, tl_us from, tl_us to, int reverse,
		     struct cands *out)
{
	struct tl_entity ents[USER_FORMS_MAX + 1];
	size_t n = user_forms(c, cu, ents);
	if (!n)
		return 0;
	struct look l = { NULL, 0, ents, n, family, from, to, reverse, NULL, cu , NULL};
	return lookup(c, &l, out);
}

/* ---- the rules ----------------------------------------------------------- */

#define WHY(...) tl_buf_addf(why, __VA_ARGS__)
/* "step N": N, the cause's place in its chain, is known only when the
 * chain is built; the position is kept and the number put in then. */
#define REF() (tl_buf_adds(why, "step "), c->why_at = why->len)

/* process-tree: parent start -> child start */

/* The latest start of PID on HOST (raw) strictly before N: a fresh node or NULL. */
static int pid_parent(struct ctx *c, struct node *n, int64_t pid, struct node **found)
{
	*found = NULL;
	char p[32];
	snprintf(p, sizeof(p), "%lld", (long long)pid);
	struct cands cs = { 0 };
	struct tl_field_match m[2] = { { TL_F_host, TL_MATCH_EQ, F(n, TL_F_host), 0, 0 },
				       { TL_F_process_pid, TL_MATCH_EQ, NULL, pid, 0 } };
	struct look l = { m, 2, NULL, 0, NULL, n->ts - TL_CHAIN_SPAN_US, n->ts + 1, 1, NULL, NULL , NULL};
	if (lookup(c, &l, &cs))
		return -1;
	for (size_t i = 0; i < cs.n; i++)
		if (before(cs.v[i], n) && is_process_start(c, cs.v[i])) {
			*found = cs.v[i];
			cs.v[i] = NULL;
			break;
		}
	cands_release(&cs);
	return 0;
}

static int tree_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_process_start(c, a) || !is_process_start(c, b) || !before(a, b) || b->ts - a->ts > TL_CHAIN_SPAN_US)
		return 0;
	if (has(b, TL_F_parent_process_guid) && has(a, TL_F_process_guid)) {
		if (strcmp(F(b, TL_F_parent_process_guid), F(a, TL_F_process_guid)))
			return 0;
		WHY("its parent process GUID %s is the process started in ", F(a, TL_F_process_guid));
		REF();
		return 1;
	}
	if (!b->has_iv[TL_F_parent_pid] || !a->has_iv[TL_F_process_pid] ||
	    b->iv[TL_F_parent_pid] != a->iv[TL_F_process_pid] ||
	    !same_host(a, b) || !has(b, TL_F_host) || !has(a, TL_F_host) || strcmp(F(a, TL_F_host), F(b, TL_F_host)))
		return 0;
	/* pid reuse: only the latest start of that pid before the child is its parent */
	struct node *p;
	if (pid_parent(c, b, b->iv[TL_F_parent_pid], &p))
		return -1;
	int ok = p && p->id == a->id;
	node_free(p);
	if (ok)
		WHY("parent pid %lld on %s, the latest process started with that pid before it",
		    (long long)a->iv[TL_F_process_pid], F(a, TL_F_host));
	return ok;
}

static int tree_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	if (has(a, TL_F_process_guid)) {
		int rc = look1(c, TL_F_parent_process_guid, TL_MATCH_EQ, F(a, TL_F_process_guid), 0, a->ts,
			       a->ts + TL_CHAIN_SPAN_US, 0, out);
		if (rc)
			return rc;
	}
	if (a->has_iv[TL_F_process_pid] && has(a, TL_F_host)) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%lld", (long long)a->iv[TL_F_process_pid]);
		struct tl_field_match m[2] = { { TL_F_host, TL_MATCH_EQ, F(a, TL_F_host), 0, 0 },
					       { TL_F_parent_pid, TL_MATCH_EQ, NULL, a->iv[TL_F_process_pid], 0 } };
		struct look l = { m, 2, NULL, 0, NULL, a->ts, a->ts + TL_CHAIN_SPAN_US, 0, NULL, NULL , NULL};
		return lookup(c, &l, out);
	}
	return 0;
}

static int tree_back(struct ctx *c, struct node *b, struct cands *out)
{
	if (has(b, TL_F_parent_process_guid)) {
		int rc = look1(c, TL_F_process_guid, TL_MATCH_EQ, F(b, TL_F_parent_process_guid), 0,
			       b->ts - TL_CHAIN_SPAN_US, b->ts + 1, 1, out);
		if (rc || out->n)
			return rc;
	}
	if (b->has_iv[TL_F_parent_pid] && has(b, TL_F_host)) {
		struct node *p;
		if (pid_parent(c, b, b->iv[TL_F_parent_pid], &p))
			return -1;
		if (p && cands_push(out, p)) {
			node_free(p);
			return tl_errf(c->err, "out of memory");
		}
	}
	return 0;
}

/* process-activity: start -> what the process did */

static int is_activity(struct ctx *c, struct node *n)
{
	return has(n, TL_F_process_guid) && !is_process_start(c, n);
}

static int act_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_process_start(c, a) || !is_activity(c, b) || !before(a, b) || b->ts - a->ts > TL_CHAIN_SPAN_US ||
	    !has(a, TL_F_process_guid) || strcmp(F(a, TL_F_process_guid), F(b, TL_F_process_guid)))
		return 0;
	WHY("done by the process started in ");
	REF();
	WHY(" (process GUID %s)", F(a, TL_F_process_guid));
	return 1;
}

static int act_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	return look1(c, TL_F_process_guid, TL_MATCH_EQ, F(a, TL_F_process_guid), 0, a->ts, a->ts + TL_CHAIN_SPAN_US, 0,
		     out);
}

static int act_back(struct ctx *c, struct node *b, struct cands *out)
{
	return look1(c, TL_F_process_guid, TL_MATCH_EQ, F(b, TL_F_process_guid), 0, b->ts - TL_CHAIN_SPAN_US, b->ts + 1,
		     1, out);
}

/* executed: file written -> started from that path */

static int exec_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_file_write(c, a) || !is_process_start(c, b) || !before(a, b) || b->ts - a->ts > TL_CHAIN_SPAN_US ||
	    !ieq(file_of(a), F(b, TL_F_process)) || !same_host(a, b))
		return 0;
	WHY("started from %s, the file written in ", file_of(a));
	REF();
	return 1;
}

static int exec_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	return look2(c, TL_F_host, F(a, TL_F_host), TL_F_process, TL_MATCH_EQ, file_of(a), 1, a->ts,
		     a->ts + TL_CHAIN_SPAN_US, 0, out);
}

static int exec_back(struct ctx *c, struct node *b, struct cands *out)
{
	if (!has(b, TL_F_process) || !has(b, TL_F_host))
		return 0;
	return look2(c, TL_F_host, F(b, TL_F_host), TL_F_file, TL_MATCH_EQ, F(b, TL_F_process), 1,
		     b->ts - TL_CHAIN_SPAN_US, b->ts + 1, 1, out);
}

/* downloaded: a browser's connection -> a file it wrote; a URL naming a file
 * -> that file written by the same user */

static int is_dl_cause(struct ctx *c, struct node *n)
{
	char name[256];
	url_name(F(n, TL_F_url), name, sizeof(name));
	return (is_conn(c, n) && has(n, TL_F_process_guid) && is_browser(F(n, TL_F_process))) ||
	       (is_conn(c, n) && *name && *actor_of(n) && !ieq(F(n, TL_F_http_method), "PUT") &&
		!ieq(F(n, TL_F_http_method), "POST"));
}

static int dl_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_dl_cause(c, a) || !is_file_write(c, b) || !before(a, b) || b->ts - a->ts > c->window)
		return 0;
	if (has(a, TL_F_process_guid) && has(b, TL_F_process_guid) && is_browser(F(a, TL_F_process)) &&
	    !strcmp(F(a, TL_F_process_guid), F(b, TL_F_process_guid))) {
		WHY("written by the same browser process as the connection in ");
		REF();
		WHY(", ");
		fmt_delta(why, b->ts - a->ts);
		WHY(" later");
		return 1;
	}
	char name[256];
	url_name(F(a, TL_F_url), name, sizeof(name));
	if (*name && ieq(name, base_name(file_of(b))) && same_user(a, b)) {
		WHY("the URL fetched in ");
		REF();
		WHY(" names %s, written by the same user %s", name, actor_of(a));
		attributed_why(why, a, b);
		WHY(" ");
		fmt_delta(why, b->ts - a->ts);
		WHY(" later");
		return 1;
	}
	return 0;
}

static int dl_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	char name[256];
	url_name(F(a, TL_F_url), name, sizeof(name));
	if (has(a, TL_F_process_guid) && look1(c, TL_F_process_guid, TL_MATCH_EQ, F(a, TL_F_process_guid), 0, a->ts,
					       a->ts + c->window + 1, 0, out))
		return -1;
	if (*name && look1(c, TL_F_file, TL_MATCH_PATH_TAIL, name, 1, a->ts, a->ts + c->window + 1, 0, out))
		return -1;
	return 0;
}

static int dl_back(struct ctx *c, struct node *b, struct cands *out)
{
	if (has(b, TL_F_process_guid) && look1(c, TL_F_process_guid, TL_MATCH_EQ, F(b, TL_F_process_guid), 0,
					       b->ts - c->window, b->ts + 1, 1, out))
		return -1;
	if (*actor_of(b) && look_user(c, actor_of(b), NULL, b->ts - c->window, b->ts + 1, 1, out))
		return -1;
	return 0;
}

/* dlp-flagged: file written -> DLP finding on that file */

static const char *dlp_name(struct node *n)
{
	return has(n, TL_F_file_name) ? F(n, TL_F_file_name) : base_name(F(n, TL_F_file));
}

static int flag_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_file_write(c, a) || !is_dlp(c, b) || !before(a, b) || b->ts - a->ts > c->window)
		return 0;
	if (has(a, TL_F_file_hash) && ieq(F(a, TL_F_file_hash), F(b, TL_F_file_hash))) {
		WHY("same file hash %s as the file written in ", F(a, TL_F_file_hash));
		REF();
		return 1;
	}
	const char *n = dlp_name(b);
	if (n && *n && ieq(n, base_name(file_of(a)))) {
		WHY("same file name %s as the file written in ", n);
		REF();
		WHY(", ");
		fmt_delta(why, b->ts - a->ts);
		WHY(" earlier");
		return 1;
	}
	return 0;
}

static int flag_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	const char *name = base_name(file_of(a));
	tl_us to = a->ts + c->window + 1;
	if (look1(c, TL_F_file_name, TL_MATCH_EQ, name, 1, a->ts, to, 0, out) ||
	    look1(c, TL_F_file, TL_MATCH_PATH_TAIL, name, 1, a->ts, to, 0, out))
		return -1;
	if (has(a, TL_F_file_hash) && look1(c, TL_F_file_hash, TL_MATCH_EQ, F(a, TL_F_file_hash), 1, a->ts, to, 0, out))
		return -1;
	return 0;
}

static int flag_back(struct ctx *c, struct node *b, struct cands *out)
{
	const char *name = dlp_name(b);
	if (name && *name && look1(c, TL_F_file, TL_MATCH_PATH_TAIL, name, 1, b->ts - c->window, b->ts + 1, 1, out))
		return -1;
	if (has(b, TL_F_file_hash) &&
	    look1(c, TL_F_file_hash, TL_MATCH_EQ, F(b, TL_F_file_hash), 1, b->ts - c->window, b->ts + 1, 1, out))
		return -1;
	return 0;
}

/* uploaded: DLP finding -> upload by the same address or user */

/* How the sender of B is the actor of A, in order of preference. */
enum who { WHO_NONE, WHO_ADDRESS, WHO_USER, WHO_HOST_ADDRESS, WHO_USER_ADDRESS };

/* "same address X as step N, 1m 50s later" (WITH_REF) or without the step;
 * for an address the actor's host or user used, the EDR event EV that shows it. */
static void upload_by(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why, int with_ref, int who,
		      const struct node *ev)
{
	if (who == WHO_ADDRESS || who == WHO_USER) {
		if (who == WHO_ADDRESS)
			WHY("same address %s", F(b, TL_F_src_ip));
		else
			WHY("same user %s", actor_of(b));
		if (with_ref) {
			WHY(" as ");
			REF();
		}
		if (who == WHO_USER)
			attributed_why(why, a, b);
	} else {
		WHY("from %s, an address the %s %s", F(b, TL_F_src_ip), who == WHO_HOST_ADDRESS ? "host" : "user",
		    who == WHO_HOST_ADDRESS ? F(a, TL_F_host) : F(a, TL_F_user));
		if (with_ref) {
			WHY(" of ");
			REF();
		}
		WHY(" used (%s:%lld)", ev->path, (long long)ev->line);
	}
	WHY(", ");
	fmt_delta(why, b->ts - a->ts);
	WHY(" later");
}

/* The first EDR network event within TL_CHAIN_ADDR_SPAN_US of T showing
 * address IP used by A's host (BY_HOST) or by A's user: a fresh node in
 * *FOUND, or NULL. This is how a finding that names a workstation but no
 * address meets an upload that names an address but no workstation. */
static int addr_used_by(struct ctx *c, struct node *a, const char *ip, tl_us t, int by_host, struct node **found)
{
	*found = NULL;
	if (!ip || (by_host ? !*host_of(a) : !*user_of(a)))
		return 0;
	struct cands cs = { 0 };
	struct tl_field_match m[1] = { { TL_F_src_ip, TL_MATCH_EQ, ip, 0, 0 } };
	struct look l = { m, 1, NULL, 0, "edr", t - TL_CHAIN_ADDR_SPAN_US, t + TL_CHAIN_ADDR_SPAN_US, 0, NULL, NULL , NULL};
	if (lookup(c, &l, &cs))
		return -1;
	for (size_t i = 0; i < cs.n; i++) {
		struct node *x = cs.v[i];
		if (is_class(x, "network_activity") && (by_host ? same_host(a, x) : same_user(a, x))) {
			*found = x;
			cs.v[i] = NULL;
			break;
		}
	}
	cands_release(&cs);
	return 0;
}

/* WHO_* for A and B; *EV (freed by the caller) the EDR event behind
 * WHO_HOST_ADDRESS and WHO_USER_ADDRESS. -1 on error. */
static int who_matches(struct ctx *c, struct node *a, struct node *b, struct node **ev)
{
	*ev = NULL;
	if (same_ip(F(a, TL_F_src_ip), F(b, TL_F_src_ip)))
		return WHO_ADDRESS;
	if (same_user(a, b))
		return WHO_USER;
	if (has(a, TL_F_src_ip) || !has(b, TL_F_src_ip))
		return WHO_NONE;
	for (int by_host = 1; by_host >= 0; by_host--) {
		if (addr_used_by(c, a, F(b, TL_F_src_ip), b->ts, by_host, ev))
			return -1;
		if (*ev)
			return by_host ? WHO_HOST_ADDRESS : WHO_USER_ADDRESS;
	}
	return WHO_NONE;
}

static int up_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_dlp(c, a) || !is_upload_or_post(c, b) || !before(a, b) || b->ts - a->ts > c->window)
		return 0;
	const char *name = dlp_name(a);
	int named = name && *name && has(b, TL_F_url) && ci_find(F(b, TL_F_url), name);
	if (!named && !is_upload(c, b))
		return 0;
	struct node *ev;
	int who = who_matches(c, a, b, &ev);
	if (who > WHO_NONE) {
		upload_by(c, a, b, why, 1, who, ev);
		if (named)
			WHY("; the URL names %s", name);
	}
	node_free(ev);
	return who;
}

#define ADDRS_MAX 4
/* Events of canonical host or user CV (BY_HOST) of FAMILY (and FAMILY2)
 * with FROM <= ts < TO. */
static int look_actor(struct ctx *c, int by_host, const char *cv, const char *family, const char *family2, tl_us from,
		      tl_us to, int reverse, struct cands *out)
{
	struct tl_entity ents[USER_FORMS_MAX + 1];
	size_t n = by_host ? forms(c, &c->hosts, cv, ents) : user_forms(c, cv, ents);
	if (!n)
		return 0;
	struct look l = { NULL, 0, ents, n, family, from, to, reverse, family2, cv , NULL};
	return lookup(c, &l, out);
}

/* Up to ADDRS_MAX source addresses A's host, then A's user, used in EDR
 * network events within TL_CHAIN_ADDR_SPAN_US of it, into IPS. */
static int edr_addrs(struct ctx *c, struct node *a, struct tl_strlist *ips)
{
	for (int by_host = 1; by_host >= 0; by_host--) {
		struct cands cs = { 0 };
		if (look_actor(c, by_host, by_host ? host_of(a) : user_of(a), "edr", NULL, a->ts - TL_CHAIN_ADDR_SPAN_US,
			       a->ts + TL_CHAIN_ADDR_SPAN_US, 0, &cs))
			return -1;
		for (size_t i = 0; i < cs.n && ips->n < ADDRS_MAX; i++) {
			const char *ip = F(cs.v[i], TL_F_src_ip);
			int seen = !ip || !is_class(cs.v[i], "network_activity");
			for (size_t k = 0; k < ips->n && !seen; k++)
				seen = !strcmp(ips->v[k], ip);
			if (!seen && tl_strlist_add(ips, ip))
				seen = -1;
		}
		cands_release(&cs);
	}
	return 0;
}

static int up_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	tl_us to = a->ts + c->window + 1;
	if (has(a, TL_F_src_ip) && look1(c, TL_F_src_ip, TL_MATCH_EQ, F(a, TL_F_src_ip), 0, a->ts, to, 0, out))
		return -1;
	if (look_user(c, actor_of(a), NULL, a->ts, to, 0, out))
		return -1;
	if (has(a, TL_F_src_ip))
		return 0;
	/* no address in the finding: the addresses its host or user used */
	struct tl_strlist ips = TL_STRLIST_INIT;
	int rc = edr_addrs(c, a, &ips);
	for (size_t i = 0; !rc && i < ips.n; i++)
		rc = look1(c, TL_F_src_ip, TL_MATCH_EQ, ips.v[i], 0, a->ts, to, 0, out);
	tl_strlist_release(&ips);
	return rc;
}

/* DLP findings and audit exports before an upload, by its address or user,
 * or by the hosts and users that used its address (EDR network events) */
static int up_back(struct ctx *c, struct node *b, struct cands *out)
{
	tl_us from = b->ts - c->window;
	if (look_actor(c, 0, actor_of(b), "dlp", "audit", from, b->ts + 1, 1, out))
		return -1;
	if (!has(b, TL_F_src_ip))
		return 0;
	struct tl_field_match m[1] = { { TL_F_src_ip, TL_MATCH_EQ, F(b, TL_F_src_ip), 0, 0 } };
	struct look l = { m, 1, NULL, 0, "dlp", from, b->ts + 1, 1, "audit", NULL , NULL};
	if (lookup(c, &l, out))
		return -1;
	struct cands cs = { 0 };
	struct look e = { m, 1, NULL, 0, "edr", b->ts - TL_CHAIN_ADDR_SPAN_US, b->ts + TL_CHAIN_ADDR_SPAN_US, 0, NULL,
			  NULL , NULL};
	if (lookup(c, &e, &cs))
		return -1;
	struct tl_strlist seen = TL_STRLIST_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < cs.n && seen.n < 2 * ADDRS_MAX; i++) {
		if (!is_class(cs.v[i], "network_activity"))
			continue;
		for (int by_host = 1; !rc && by_host >= 0; by_host--) {
			const char *cv = by_host ? host_of(cs.v[i]) : user_of(cs.v[i]);
			char key[600];
			snprintf(key, sizeof(key), "%d:%.512s", by_host, cv);
			int dup = !*cv;
			for (size_t k = 0; k < seen.n && !dup; k++)
				dup = !strcmp(seen.v[k], key);
			if (dup)
				continue;
			tl_strlist_add(&seen, key);
			rc = look_actor(c, by_host, cv, "dlp", "audit", from, b->ts + 1, 1, out);
		}
	}
	tl_strlist_release(&seen);
	cands_release(&cs);
	return rc;
}

/* bulk-export: the last of a burst of downloads -> upload */

static int64_t burst_of(struct ctx *c, struct node *a)
{
	if (a->burst >= 0)
		return a->burst;
	struct cands cs = { 0 };
	a->burst = 0;
	if (look_user(c, user_of(a), "audit", a->ts - TL_CHAIN_BULK_SPAN_US, a->ts + 1, 0, &cs) == 0)
		for (size_t i = 0; i < cs.n; i++)
			a->burst += is_export(c, cs.v[i]) && !before(a, cs.v[i]);
	cands_release(&cs);
	return a->burst;
}

static int bulk_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_export(c, a) || !is_upload(c, b) || !before(a, b) || b->ts - a->ts > c->window)
		return 0;
	struct node *ev;
	int who = who_matches(c, a, b, &ev);
	if (who <= WHO_NONE) {
		node_free(ev);
		return who;
	}
	int64_t n = burst_of(c, a);
	if (n < TL_CHAIN_BULK_MIN) {
		node_free(ev);
		return 0;
	}
	/* only the last export of the burst before the upload links */
	struct cands cs = { 0 };
	int later = 0;
	if (look_user(c, user_of(a), "audit", a->ts, b->ts + 1, 0, &cs)) {
		node_free(ev);
		return -1;
	}
	for (size_t i = 0; i < cs.n && !later; i++)
		later = before(a, cs.v[i]) && before(cs.v[i], b) && is_export(c, cs.v[i]);
	cands_release(&cs);
	if (!later) {
		WHY("a bulk export of %lld downloads by %s within ", (long long)n, user_of(a));
		fmt_delta(why, TL_CHAIN_BULK_SPAN_US);
		WHY(" ends with ");
		REF();
		WHY("; ");
		upload_by(c, a, b, why, 0, who, ev);
	}
	node_free(ev);
	return !later;
}

/* export-burst: the first export of a burst -> the last of it, so that a
 * chain shows where the export began as well as where it ended */

/* A is an export with no export by its user in the TL_CHAIN_BULK_SPAN_US
 * before it: a burst begins there. 1, 0, or -1 on error. */
static int first_export(struct ctx *c, struct node *a)
{
	if (a->first >= 0)
		return a->first;
	struct cands cs = { 0 };
	if (look_user(c, user_of(a), "audit", a->ts - TL_CHAIN_BULK_SPAN_US, a->ts + 1, 0, &cs))
		return -1;
	int first = 1;
	for (size_t i = 0; i < cs.n && first; i++)
		first = !(before(cs.v[i], a) && is_export(c, cs.v[i]) && !strcmp(user_of(cs.v[i]), user_of(a)));
	cands_release(&cs);
	return a->first = first;
}

/* The last export by A's user within TL_CHAIN_BULK_SPAN_US from A (a fresh
 * node, or NULL when it is A itself) and how many there are from A to it. */
static int burst_last(struct ctx *c, struct node *a, struct node **last, int64_t *n)
{
	*last = NULL;
	*n = 0;
	struct cands cs = { 0 };
	if (look_user(c, user_of(a), "audit", a->ts, a->ts + TL_CHAIN_BULK_SPAN_US + 1, 0, &cs))
		return -1;
	size_t at = (size_t)-1;
	for (size_t i = 0; i < cs.n; i++)
		if (!before(cs.v[i], a) && is_export(c, cs.v[i]) && !strcmp(user_of(cs.v[i]), user_of(a))) {
			(*n)++;
			at = i; /* timeline order: the last one wins */
		}
	if (at != (size_t)-1 && cs.v[at]->id != a->id) {
		*last = cs.v[at];
		cs.v[at] = NULL;
	}
	cands_release(&cs);
	return 0;
}

static int burst_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_export(c, a) || !is_export(c, b) || !before(a, b) || b->ts - a->ts > TL_CHAIN_BULK_SPAN_US ||
	    strcmp(user_of(a), user_of(b)))
		return 0;
	int f = first_export(c, a);
	if (f <= 0)
		return f;
	struct node *last;
	int64_t n;
	if (burst_last(c, a, &last, &n))
		return -1;
	int ok = last && last->id == b->id && n >= TL_CHAIN_BULK_MIN;
	node_free(last);
	if (!ok)
		return 0;
	WHY("the last of %lld downloads by %s in ", (long long)n, user_of(a));
	fmt_delta(why, b->ts - a->ts);
	WHY(" (a bulk export: %d or more within ", TL_CHAIN_BULK_MIN);
	fmt_delta(why, TL_CHAIN_BULK_SPAN_US);
	WHY("), the first in ");
	REF();
	WHY(" (%s:%lld)", a->path, (long long)a->line);
	return 1;
}

static int burst_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	int f = first_export(c, a);
	if (f <= 0)
		return f;
	struct node *last;
	int64_t n;
	if (burst_last(c, a, &last, &n))
		return -1;
	if (last && cands_push(out, last)) {
		node_free(last);
		return tl_errf(c->err, "out of memory");
	}
	return 0;
}

static int burst_back(struct ctx *c, struct node *b, struct cands *out)
{
	/* the earliest export of the user in the span before B: the only
	 * candidate that can be the first of B's burst */
	struct cands cs = { 0 };
	if (look_user(c, user_of(b), "audit", b->ts - TL_CHAIN_BULK_SPAN_US, b->ts + 1, 0, &cs))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < cs.n; i++)
		if (is_export(c, cs.v[i]) && before(cs.v[i], b) && !strcmp(user_of(cs.v[i]), user_of(b))) {
			rc = cands_push(out, cs.v[i]) ? tl_errf(c->err, "out of memory") : 0;
			if (!rc)
				cs.v[i] = NULL;
			break;
		}
	cands_release(&cs);
	return rc;
}

/* bulk-archive: the last of a burst of downloads -> an archive made by the
 * same user (or on a host where that user is logged on) */

static int is_archive(struct ctx *c, struct node *n)
{
	static const char *const tools[] = { "7z.exe", "7za.exe", "7zr.exe", "7zg.exe", "7z", "7za", "7zr", "7zz",
					     "zip", "zip.exe", "wzzip.exe", "rar", "rar.exe", "winrar.exe", NULL };
	if (is_process_start(c, n))
		return in_list(base_name(F(n, TL_F_process)), tools);
	if (!is_file_write(c, n))
		return 0;
	const char *dot = strrchr(base_name(file_of(n)), '.');
	static const char *const exts[] = { ".7z", ".zip", ".rar", NULL };
	return dot && in_list(dot, exts);
}

/* The latest logon on B's host before it, within TL_CHAIN_LOGON_SPAN_US (in
 * B's logon session when B names one): a fresh node or NULL. */
static int host_logon(struct ctx *c, struct node *b, struct node **found)
{
	*found = NULL;
	if (!has(b, TL_F_host))
		return 0;
	struct cands cs = { 0 };
	if (look_actor(c, 1, host_of(b), NULL, NULL, b->ts - TL_CHAIN_LOGON_SPAN_US, b->ts + 1, 1, &cs))
		return -1;
	for (size_t i = 0; i < cs.n; i++) {
		struct node *x = cs.v[i];
		if (!is_logon(c, x) || !before(x, b) || !*user_of(x))
			continue;
		if (has(b, TL_F_session_id) && !ieq(F(x, TL_F_session_id), F(b, TL_F_session_id)))
			continue;
		*found = x;
		cs.v[i] = NULL;
		break;
	}
	cands_release(&cs);
	return 0;
}

/* The last directory of the export's file or URL ("Compensation" of
 * ".../Compensation/Q4.xlsx") when the archive's command line or file names
 * it: into OUT, else "". */
static void shared_folder(struct node *a, struct node *b, char *out, size_t len)
{
	out[0] = 0;
	const char *p = has(a, TL_F_file) ? F(a, TL_F_file) : F(a, TL_F_url);
	const char *name = base_name(p);
	if (!p || name == p)
		return;
	const char *end = name - 1, *start = end;
	while (start > p && start[-1] != '/' && start[-1] != '\\')
		start--;
	if (end - start < 3 || (size_t)(end - start) >= len)
		return;
	snprintf(out, len, "%.*s", (int)(end - start), start);
	const char *hay = has(b, TL_F_process_cmdline) ? F(b, TL_F_process_cmdline) : file_of(b);
	size_t n = strlen(out);
	/* a whole path component: "\\Budget\\", not "budget-copy.zip" */
	for (const char *p2 = hay ? ci_find(hay, out) : NULL; p2; p2 = ci_find(p2 + 1, out))
		if ((p2 == hay || strchr("\\/ \"'", p2[-1])) && strchr("\\/ \"'*", p2[n]))
			return;
	out[0] = 0;
}

static int archive_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_export(c, a) || !is_archive(c, b) || !before(a, b) || b->ts - a->ts > TL_CHAIN_ARCHIVE_US)
		return 0;
	struct node *logon = NULL;
	if (!same_user(a, b)) {
		if (*actor_of(b) || host_logon(c, b, &logon))
			return *actor_of(b) ? 0 : -1;
		if (!logon || strcmp(user_of(logon), user_of(a))) {
			node_free(logon);
			return 0;
		}
	}
	int64_t n = burst_of(c, a);
	struct cands cs = { 0 };
	int later = n < TL_CHAIN_BULK_MIN;
	/* only the last export of the burst before the archive links */
	if (!later && look_user(c, user_of(a), "audit", a->ts, b->ts + 1, 0, &cs)) {
		node_free(logon);
		return -1;
	}
	for (size_t i = 0; i < cs.n && !later; i++)
		later = before(a, cs.v[i]) && before(cs.v[i], b) && is_export(c, cs.v[i]) &&
			!strcmp(user_of(cs.v[i]), user_of(a));
	cands_release(&cs);
	if (!later) {
		WHY("a bulk export of %lld downloads by %s within ", (long long)n, user_of(a));
		fmt_delta(why, TL_CHAIN_BULK_SPAN_US);
		WHY(" ends with ");
		REF();
		WHY("; %s %s ", is_process_start(c, b) ? base_name(F(b, TL_F_process)) : base_name(file_of(b)),
		    is_process_start(c, b) ? "started" : "written");
		if (logon)
			WHY("on %s in the logon session %s of %s (%s:%lld) ", F(b, TL_F_host),
			    has(logon, TL_F_session_id) ? F(logon, TL_F_session_id) : "?", user_of(logon), logon->path,
			    (long long)logon->line);
		else {
			WHY("by the same user %s", actor_of(b));
			attributed_why(why, a, b);
			WHY(" ");
		}
		fmt_delta(why, b->ts - a->ts);
		WHY(" later");
		char folder[256];
		shared_folder(a, b, folder, sizeof(folder));
		if (*folder)
			WHY("; its %s names %s, the folder of the downloads",
			    has(b, TL_F_process_cmdline) ? "command line" : "path", folder);
	}
	node_free(logon);
	return !later;
}

static int archive_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	tl_us to = a->ts + TL_CHAIN_ARCHIVE_US + 1;
	if (look_user(c, user_of(a), NULL, a->ts, to, 0, out))
		return -1;
	/* archives that name no user: on the hosts the user logged on to */
	struct cands cs = { 0 };
	if (look_user(c, user_of(a), NULL, a->ts - TL_CHAIN_LOGON_SPAN_US, to, 0, &cs))
		return -1;
	struct tl_strlist hosts = TL_STRLIST_INIT;
	int rc = 0;
	for (size_t i = 0; !rc && i < cs.n && hosts.n < ADDRS_MAX; i++) {
		if (!is_logon(c, cs.v[i]) || !*host_of(cs.v[i]))
			continue;
		int seen = 0;
		for (size_t k = 0; k < hosts.n && !seen; k++)
			seen = !strcmp(hosts.v[k], host_of(cs.v[i]));
		if (!seen && !(rc = tl_strlist_add(&hosts, host_of(cs.v[i])) ? tl_errf(c->err, "out of memory") : 0))
			rc = look_actor(c, 1, host_of(cs.v[i]), NULL, NULL, a->ts, to, 0, out);
	}
	tl_strlist_release(&hosts);
	cands_release(&cs);
	return rc;
}

static int archive_back(struct ctx *c, struct node *b, struct cands *out)
{
	tl_us from = b->ts - TL_CHAIN_ARCHIVE_US;
	if (*actor_of(b))
		return look_user(c, actor_of(b), "audit", from, b->ts + 1, 1, out);
	struct node *logon;
	if (host_logon(c, b, &logon))
		return -1;
	int rc = logon ? look_user(c, user_of(logon), "audit", from, b->ts + 1, 1, out) : 0;
	node_free(logon);
	return rc;
}

/* resolved: DNS -> connection */

/* Addresses in the DNS event's answers (extra: answers, dns.grouped.A,
 * QueryResults, ...), tested against ADDR. */
static int answer_has(const struct tl_json *j, const char *addr, int depth)
{
	if (!j || depth > 4)
		return 0;
	if (j->type == TL_JSON_ARRAY || j->type == TL_JSON_OBJECT) {
		for (size_t i = 0; i < j->n; i++)
			if (answer_has(j->kids[i], addr, depth + 1))
				return 1;
		return 0;
	}
	if (j->type != TL_JSON_STRING)
		return 0;
	const char *p = j->str;
	while (*p) {
		size_t n = strspn(p, "0123456789abcdefABCDEF.:");
		if (n && n < 64) {
			char tok[64];
			snprintf(tok, sizeof(tok), "%.*s", (int)n, p);
			const char *t = !strncasecmp(tok, "::ffff:", 7) && strchr(tok + 7, '.') ? tok + 7 : tok;
			unsigned char bin[16];
			if ((inet_pton(AF_INET, t, bin) == 1 || inet_pton(AF_INET6, t, bin) == 1) && same_ip(t, addr))
				return 1;
		}
		p += n ? n : 1;
	}
	return 0;
}

static int answers_include(struct node *d, const char *addr)
{
	static const char *const keys[] = { "answers", "dns.grouped.A", "dns.grouped.AAAA", "dns.answers", "QueryResults",
					     "answer", "dns.answers.rdata", NULL };
	if (!addr)
		return 0;
	for (const char *const *k = keys; *k; k++)
		if (answer_has(extra_get(d, *k), addr, 0))
			return 1;
	return 0;
}

static int dns_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_dns(c, a) || !is_conn(c, b) || !before(a, b) || b->ts - a->ts > c->window)
		return 0;
	const char *client = dns_client(a);
	int by_client = client ? same_ip(client, F(b, TL_F_src_ip)) : same_host(a, b);
	if (!by_client)
		return 0;
	const char *who = client ? client : F(a, TL_F_host);
	if (has(b, TL_F_dst_ip) && answers_include(a, F(b, TL_F_dst_ip))) {
		WHY("%s resolved %s to %s in ", who, F(a, TL_F_domain), F(b, TL_F_dst_ip));
	} else if (ieq(F(b, TL_F_domain), F(a, TL_F_domain)) || ieq(F(b, TL_F_dst_host), F(a, TL_F_domain))) {
		WHY("%s looked up %s in ", who, F(a, TL_F_domain));
	} else {
		return 0;
	}
	REF();
	WHY(", ");
	fmt_delta(why, b->ts - a->ts);
	WHY(" before");
	return 1;
}

static int dns_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	const char *client = dns_client(a);
	if (client)
		return look1(c, TL_F_src_ip, TL_MATCH_EQ, client, 0, a->ts, a->ts + c->window + 1, 0, out);
	return look1(c, TL_F_host, TL_MATCH_EQ, F(a, TL_F_host), 0, a->ts, a->ts + c->window + 1, 0, out);
}

static int dns_back(struct ctx *c, struct node *b, struct cands *out)
{
	tl_us from = b->ts - c->window, to = b->ts + 1;
	static const char *const cls = "dns_activity";
	if (has(b, TL_F_src_ip) &&
	    (look2(c, TL_F_src_ip, F(b, TL_F_src_ip), TL_F_class, TL_MATCH_EQ, cls, 0, from, to, 1, out) ||
	     look2(c, TL_F_dst_ip, F(b, TL_F_src_ip), TL_F_class, TL_MATCH_EQ, cls, 0, from, to, 1, out)))
		return -1;
	if (has(b, TL_F_host) && look2(c, TL_F_host, F(b, TL_F_host), TL_F_class, TL_MATCH_EQ, cls, 0, from, to, 1, out))
		return -1;
	return 0;
}

/* same-connection: the host's record and a sensor's of one connection */

static int conn_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!before(a, b) || b->ts - a->ts > TL_CHAIN_SAME_CONN_US)
		return 0;
	if (!((is_edr_conn(c, a) && is_sensor_conn(c, b)) || (is_sensor_conn(c, a) && is_edr_conn(c, b))))
		return 0;
	if (!same_ip(F(a, TL_F_src_ip), F(b, TL_F_src_ip)) || !same_ip(F(a, TL_F_dst_ip), F(b, TL_F_dst_ip)) ||
	    a->iv[TL_F_src_port] != b->iv[TL_F_src_port] || a->iv[TL_F_dst_port] != b->iv[TL_F_dst_port])
		return 0;
	if (has(a, TL_F_proto) && has(b, TL_F_proto) && !ieq(F(a, TL_F_proto), F(b, TL_F_proto)))
		return 0;
	WHY("the same connection as ");
	REF();
	WHY(" (%s:%lld -> %s:%lld), seen by %s and by %s %.3fs apart",
	    F(a, TL_F_src_ip), (long long)a->iv[TL_F_src_port], F(a, TL_F_dst_ip), (long long)a->iv[TL_F_dst_port],
	    ieq(a->family, "edr") ? "the host" : a->format, ieq(b->family, "edr") ? "the host" : b->format,
	    (double)(b->ts - a->ts) / TL_US_PER_SEC);
	return 1;
}

static int conn_look(struct ctx *c, struct node *n, tl_us from, tl_us to, int reverse, struct cands *out)
{
	/* seconds apart: the time index narrows more than the address's */
	struct tl_field_match m[2] = { { TL_F_src_ip, TL_MATCH_EQ_BY_TIME, F(n, TL_F_src_ip), 0, 0 },
				       { TL_F_src_port, TL_MATCH_EQ_BY_TIME, NULL, n->iv[TL_F_src_port], 0 } };
	struct look l = { m, 2, NULL, 0, NULL, from, to, reverse, NULL, NULL , NULL};
	return lookup(c, &l, out);
}

static int conn_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	return conn_look(c, a, a->ts, a->ts + TL_CHAIN_SAME_CONN_US + 1, 0, out);
}

static int conn_back(struct ctx *c, struct node *b, struct cands *out)
{
	return conn_look(c, b, b->ts - TL_CHAIN_SAME_CONN_US, b->ts + 1, 1, out);
}

/* proxy-tunnel: a connection -> the proxy's CONNECT tunnel that carried it.
 * The proxy logs the tunnel when it closes, with its duration, the client's
 * address but not its port, so the tunnel is matched by client, destination
 * and time: the connection began while the tunnel was open. */

static int is_tunnel(struct ctx *c, struct node *n)
{
	(void)c;
	return ieq(F(n, TL_F_http_method), "CONNECT") && has(n, TL_F_src_ip) && !ieq(F(n, TL_F_outcome), "failure") &&
	       (has(n, TL_F_url) || n->has_iv[TL_F_dst_port]);
}

/* A flow, firewall or EDR record of a connection with its destination port. */
static int is_tunnel_conn(struct ctx *c, struct node *n)
{
	return (ieq(n->family, "flow") || ieq(n->family, "firewall") || ieq(n->family, "edr")) && is_conn(c, n) &&
	       has(n, TL_F_src_ip) && has(n, TL_F_dst_ip) && n->has_iv[TL_F_dst_port];
}

static int tunnel_or_conn(struct ctx *c, struct node *n)
{
	return is_tunnel(c, n) || is_tunnel_conn(c, n);
}

/* The CONNECT's host and port ("transfer.sh:443", "[2001:db8::1]:443"): the
 * port, or -1; the host into HOST. */
static int64_t tunnel_target(struct node *t, char *host, size_t len)
{
	host[0] = 0;
	const char *u = F(t, TL_F_url);
	int64_t port = t->has_iv[TL_F_dst_port] ? t->iv[TL_F_dst_port] : -1;
	if (u && !strstr(u, "://")) {
		const char *colon = strrchr(u, ':'), *h = u, *e = colon ? colon : u + strlen(u);
		if (*h == '[' && e > h && e[-1] == ']') {
			h++;
			e--;
		}
		if (e > h && (size_t)(e - h) < len)
			snprintf(host, len, "%.*s", (int)(e - h), h);
		if (port < 0 && colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
		    strlen(colon + 1) <= 5)
			port = strtol(colon + 1, NULL, 10);
	}
	if (!*host && has(t, TL_F_domain) && strlen(F(t, TL_F_domain)) < len)
		snprintf(host, len, "%s", F(t, TL_F_domain));
	return port;
}

/* How long the tunnel was open: squid's elapsed_ms, Blue Coat's time-taken
 * (both milliseconds); 0 when the record does not say. */
static tl_us tunnel_duration(struct node *t)
{
	static const char *const keys[] = { "elapsed_ms", "time-taken", NULL };
	for (const char *const *k = keys; *k; k++) {
		const char *v = extra_str(t, *k);
		/* evidence is hostile: no tunnel is taken to be open longer than
		 * the longest one looked for */
		if (v && *v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 12) {
			tl_us d = (tl_us)strtoll(v, NULL, 10) * 1000;
			return d > TL_CHAIN_TUNNEL_MAX_US ? TL_CHAIN_TUNNEL_MAX_US : d;
		}
	}
	return 0;
}

/* The proxy's upstream address is the destination only when it went there
 * itself: squid HIER_DIRECT (or ORIGINAL_DST), Blue Coat DIRECT; a parent
 * proxy's address is not. */
static int upstream_is_destination(struct node *t)
{
	const char *h = extra_str(t, "hierarchy") ? extra_str(t, "hierarchy") : extra_str(t, "s-hierarchy");
	static const char *const direct[] = { "HIER_DIRECT", "ORIGINAL_DST", "DIRECT", NULL };
	return !h || in_list(h, direct);
}

/* A DNS answer shortly before FROM saying HOST is ADDR: a fresh node or NULL.
 * The name is looked up by its spellings (as written, canonical, and those
 * the entities table has seen), each through the domain's index: a lookup
 * ignoring case could use no index and would read every event of the hour. */
#define HOST_FORMS_MAX 8
static int host_answer(struct ctx *c, const char *host, const char *addr, tl_us from, tl_us to, struct node **found)
{
	*found = NULL;
	if (!*host)
		return 0;
	uint64_t h = key_hash(host, strlen(host)) ^ ((uint64_t)from * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)to;
	struct answers *a = &c->answers[h % ANSWERS_SLOTS];
	struct cands fresh = { 0 }, *cs = &a->cs;
	if (!a->host || strcmp(a->host, host) || a->from != from || a->to != to) {
		struct tl_strlist forms = TL_STRLIST_INIT;
		char *cn = canon(TL_ENT_DOMAIN, host);
		int rc = tl_strlist_add(&forms, host) || (cn && tl_strlist_add(&forms, cn)) ? tl_errf(c->err, "out of memory")
											  : 0;
		if (!rc && cn && tl_store_entity_aliases(c->s, "domain", cn, &forms, c->err) < 0)
			rc = -1;
		for (size_t i = 0; !rc && i < forms.n && i < HOST_FORMS_MAX; i++) {
			int dup = 0;
			for (size_t k = 0; k < i && !dup; k++)
				dup = !strcmp(forms.v[k], forms.v[i]);
			if (!dup)
				rc = look1(c, TL_F_domain, TL_MATCH_EQ, forms.v[i], 0, from - TL_CHAIN_ANSWER_SPAN_US, to, 1,
					   &fresh);
		}
		tl_strlist_release(&forms);
		free(cn);
		/* only the DNS records can answer */
		size_t k = 0;
		for (size_t i = 0; i < fresh.n; i++) {
			if (is_class(fresh.v[i], "dns_activity"))
				fresh.v[k++] = fresh.v[i];
			else
				node_free(fresh.v[i]);
		}
		fresh.n = k;
		if (rc) {
			cands_release(&fresh);
			return -1;
		}
		cs = &fresh;
		if (c->answers_kept - a->cs.n + fresh.n <= ANSWERS_KEPT) {
			char *keep = strdup(host);
			if (keep) {
				c->answers_kept = c->answers_kept - a->cs.n + fresh.n;
				cands_release(&a->cs);
				free(a->host);
				*a = (struct answers){ keep, from, to, fresh };
				fresh = (struct cands){ 0 };
				cs = &a->cs;
			}
		}
	}
	/* the latest answer that says so */
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < cs->n; i++)
		if (answers_include(cs->v[i], addr) && (best == SIZE_MAX || node_cmp(cs->v[i], cs->v[best]) > 0))
			best = i;
	int rc = 0;
	if (best != SIZE_MAX && !(*found = node_clone(cs->v[best], c->s)))
		rc = tl_errf(c->err, "out of memory");
	cands_release(&fresh);
	return rc;
}

static int tun_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!before(a, b) || !is_tunnel_conn(c, a) || !is_tunnel(c, b))
		return 0;
	tl_us dur = tunnel_duration(b), open = b->ts - dur;
	if (a->ts < open - TL_CHAIN_TUNNEL_SLACK_US || a->ts > b->ts || !same_ip(F(a, TL_F_src_ip), F(b, TL_F_src_ip)))
		return 0;
	char host[256];
	int64_t port = tunnel_target(b, host, sizeof(host));
	if (port < 0 || a->iv[TL_F_dst_port] != port)
		return 0;
	struct node *dns = NULL;
	int direct = upstream_is_destination(b) && same_ip(F(a, TL_F_dst_ip), F(b, TL_F_dst_ip));
	if (!direct && host_answer(c, host, F(a, TL_F_dst_ip), open - TL_CHAIN_TUNNEL_SLACK_US, b->ts + 1, &dns))
		return -1;
	if (!direct && !dns)
		return 0;
	WHY("the same transfer as ");
	REF();
	WHY(": a CONNECT tunnel to %s:%lld from %s, open %.3fs until the proxy logged it; the connection began ",
	    *host ? host : "?", (long long)port, F(b, TL_F_src_ip), (double)dur / TL_US_PER_SEC);
	WHY("%.3fs %s it opened", (double)(a->ts > open ? a->ts - open : open - a->ts) / TL_US_PER_SEC,
	    a->ts > open ? "after" : "before");
	if (direct)
		WHY("; the proxy's upstream address %s is its destination", F(b, TL_F_dst_ip));
	else
		WHY("; %s is %s by the DNS answer %s:%lld", host, F(a, TL_F_dst_ip), dns->path, (long long)dns->line);
	node_free(dns);
	return 1;
}

static int tun_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	if (!is_tunnel_conn(c, a))
		return 0;
	return look2(c, TL_F_src_ip, F(a, TL_F_src_ip), TL_F_http_method, TL_MATCH_EQ, "CONNECT", 1, a->ts,
		     a->ts + TL_CHAIN_TUNNEL_MAX_US + 1, 0, out);
}

static int tun_back(struct ctx *c, struct node *b, struct cands *out)
{
	if (!is_tunnel(c, b))
		return 0;
	/* only a flow, firewall or EDR record can be the tunnel's connection
	 * (is_tunnel_conn): the client's other proxy requests are not read */
	struct tl_field_match m[1] = { { TL_F_src_ip, TL_MATCH_EQ, F(b, TL_F_src_ip), 0, 0 } };
	struct look l = { m, 1, NULL, 0, "flow", b->ts - tunnel_duration(b) - TL_CHAIN_TUNNEL_SLACK_US, b->ts + 1, 1,
			  "firewall", NULL, "edr" };
	return lookup(c, &l, out);
}

/* service-started: service installed -> its image started */

static int svc_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_service_install(c, a) || !is_process_start(c, b) || !before(a, b) || b->ts - a->ts > TL_CHAIN_SPAN_US ||
	    !same_host(a, b))
		return 0;
	char exe[1024];
	service_exe(F(a, TL_F_file), exe, sizeof(exe));
	int match = strpbrk(exe, "\\/") ? ieq(exe, F(b, TL_F_process)) : ieq(exe, base_name(F(b, TL_F_process)));
	if (!match)
		return 0;
	WHY("started from %s, the image of the service installed in ", exe);
	REF();
	if (has(a, TL_F_rule))
		WHY(" ('%s')", F(a, TL_F_rule));
	return 1;
}

static int svc_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	char exe[1024];
	service_exe(F(a, TL_F_file), exe, sizeof(exe));
	return look2(c, TL_F_host, F(a, TL_F_host), TL_F_process, TL_MATCH_PATH_TAIL, base_name(exe), 1, a->ts,
		     a->ts + TL_CHAIN_SPAN_US, 0, out);
}

static int svc_back(struct ctx *c, struct node *b, struct cands *out)
{
	return look2(c, TL_F_host, F(b, TL_F_host), TL_F_action, TL_MATCH_EQ, "service-install", 1,
		     b->ts - TL_CHAIN_SPAN_US, b->ts + 1, 1, out);
}

/* process-access: Sysmon 8/10 -> the target's actions */

static int acc_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_access(c, a) || !has(b, TL_F_process_guid) || !before(a, b) || b->ts - a->ts > c->window ||
	    strcmp(extra_str(a, "TargetProcessGuid"), F(b, TL_F_process_guid)))
		return 0;
	WHY("done by the process %s %s in ", extra_str(a, "TargetImage") ? extra_str(a, "TargetImage") : "",
	    ieq(F(a, TL_F_action), "access") ? "opened" : "injected into");
	REF();
	WHY(" (process GUID %s), ", F(b, TL_F_process_guid));
	fmt_delta(why, b->ts - a->ts);
	WHY(" later");
	return 1;
}

static int acc_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	return look1(c, TL_F_process_guid, TL_MATCH_EQ, extra_str(a, "TargetProcessGuid"), 0, a->ts,
		     a->ts + c->window + 1, 0, out);
}

static int acc_back(struct ctx *c, struct node *b, struct cands *out)
{
	if (!has(b, TL_F_host))
		return 0;
	return look2(c, TL_F_host, F(b, TL_F_host), TL_F_class, TL_MATCH_EQ, "process_activity", 0, b->ts - c->window,
		     b->ts + 1, 1, out);
}

/* logon-session: logon -> what happened in that session */

static int ses_holds(struct ctx *c, struct node *a, struct node *b, struct tl_buf *why)
{
	if (!is_logon(c, a) || is_logon(c, b) || !before(a, b) || b->ts - a->ts > TL_CHAIN_SPAN_US ||
	    !ieq(F(a, TL_F_session_id), F(b, TL_F_session_id)))
		return 0;
	if (has(a, TL_F_host) ? !same_host(a, b) : !same_user(a, b))
		return 0;
	if (has(a, TL_F_host))
		{
		WHY("in logon session %s on %s opened in ", F(a, TL_F_session_id), F(a, TL_F_host));
		REF();
	}
	else
		{
		WHY("in session %s of %s opened in ", F(a, TL_F_session_id), user_of(a));
		REF();
	}
	return 1;
}

static int ses_fwd(struct ctx *c, struct node *a, struct cands *out)
{
	if (has(a, TL_F_host))
		return look2(c, TL_F_host, F(a, TL_F_host), TL_F_session_id, TL_MATCH_EQ, F(a, TL_F_session_id), 0, a->ts,
			     a->ts + TL_CHAIN_SPAN_US, 0, out);
	return look1(c, TL_F_session_id, TL_MATCH_EQ, F(a, TL_F_session_id), 0, a->ts, a->ts + TL_CHAIN_SPAN_US, 0, out);
}

static int ses_back(struct ctx *c, struct node *b, struct cands *out)
{
	if (!has(b, TL_F_session_id))
		return 0;
	if (has(b, TL_F_host)) {
		struct tl_field_match m[3] = { { TL_F_host, TL_MATCH_EQ, F(b, TL_F_host), 0, 0 },
					       { TL_F_session_id, TL_MATCH_EQ, F(b, TL_F_session_id), 0, 0 },
					       { TL_F_class, TL_MATCH_EQ, "authentication", 0, 0 } };
		struct look l = { m, 3, NULL, 0, NULL, b->ts - TL_CHAIN_SPAN_US, b->ts + 1, 1, NULL, NULL , NULL};
		return lookup(c, &l, out);
	}
	return look2(c, TL_F_session_id, F(b, TL_F_session_id), TL_F_class, TL_MATCH_EQ, "authentication", 0,
		     b->ts - TL_CHAIN_SPAN_US, b->ts + 1, 1, out);
}

static int any_session(struct ctx *c, struct node *n)
{
	(void)c;
	return has(n, TL_F_session_id);
}

static int any_guid(struct ctx *c, struct node *n)
{
	(void)c;
	return has(n, TL_F_process_guid);
}

static int any_start_child(struct ctx *c, struct node *n)
{
	return is_process_start(c, n) && (has(n, TL_F_parent_process_guid) || n->has_iv[TL_F_parent_pid]);
}

static int dlp_effect(struct ctx *c, struct node *n)
{
	return is_dlp(c, n);
}

static const struct rule rules[] = {
	{ "process-tree", is_process_start, any_start_child, tree_holds, tree_fwd, tree_back,
	  TL_CHAIN_SESSION_FANOUT, 1, 0 },
	{ "process-activity", is_process_start, is_activity, act_holds, act_fwd, act_back,
	  TL_CHAIN_SESSION_FANOUT, 1, 0 },
	{ "executed", is_file_write, is_process_start, exec_holds, exec_fwd, exec_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "downloaded", is_dl_cause, is_file_write, dl_holds, dl_fwd, dl_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "dlp-flagged", is_file_write, dlp_effect, flag_holds, flag_fwd, flag_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "uploaded", is_dlp, is_upload_or_post, up_holds, up_fwd, up_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "bulk-export", is_export, is_upload, bulk_holds, up_fwd, up_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "export-burst", is_export, is_export, burst_holds, burst_fwd, burst_back,
	  1, 1, 0 },
	{ "bulk-archive", is_export, is_archive, archive_holds, archive_fwd, archive_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "resolved", is_dns, is_conn, dns_holds, dns_fwd, dns_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "same-connection", is_tuple, is_tuple, conn_holds, conn_fwd, conn_back,
	  TL_CHAIN_FANOUT, TL_CHAIN_FANOUT, 1 },
	{ "proxy-tunnel", tunnel_or_conn, tunnel_or_conn, tun_holds, tun_fwd, tun_back,
	  TL_CHAIN_FANOUT, TL_CHAIN_FANOUT, 1 },
	{ "service-started", is_service_install, is_process_start, svc_holds, svc_fwd, svc_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "process-access", is_access, any_guid, acc_holds, acc_fwd, acc_back,
	  TL_CHAIN_FANOUT, 1, 0 },
	{ "logon-session", is_logon, any_session, ses_holds, ses_fwd, ses_back,
	  TL_CHAIN_SESSION_FANOUT, 1, 0 },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

/* ---- the walk ------------------------------------------------------------ */

/* Fibonacci hashing of a row id */
static size_t id_hash(int64_t id)
{
	return (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL);
}

static size_t ht_find(struct ctx *c, int64_t id)
{
	if (!c->hcap)
		return 0;
	size_t i = id_hash(id) & (c->hcap - 1);
	while (c->ht[i]) {
		if (c->nodes[c->ht[i] - 1]->id == id)
			return c->ht[i];
		i = (i + 1) & (c->hcap - 1);
	}
	return 0;
}

static int ht_put(struct ctx *c, size_t idx)
{
	if ((c->n + 1) * 2 > c->hcap) {
		size_t cap = c->hcap ? c->hcap * 2 : 1024;
		size_t *ht = calloc(cap, sizeof(size_t));
		if (!ht)
			return -1;
		for (size_t k = 0; k < c->hcap; k++)
			if (c->ht[k]) {
				size_t i = id_hash(c->nodes[c->ht[k] - 1]->id) & (cap - 1);
				while (ht[i])
					i = (i + 1) & (cap - 1);
				ht[i] = c->ht[k];
			}
		free(c->ht);
		c->ht = ht;
		c->hcap = cap;
	}
	size_t i = id_hash(c->nodes[idx]->id) & (c->hcap - 1);
	while (c->ht[i])
		i = (i + 1) & (c->hcap - 1);
	c->ht[i] = idx + 1;
	return 0;
}

/* The index of N's event among the nodes, taking N over when it is new
 * (*N is then NULL); (size_t)-1 when the walk is full or out of memory. */
static size_t intern(struct ctx *c, struct node **np)
{
	size_t have = ht_find(c, (*np)->id);
	if (have)
		return have - 1;
	if (c->n >= TL_CHAIN_EVENTS) {
		c->capped_events = 1;
		return (size_t)-1;
	}
	struct node **v = tl_grow(c->nodes, &c->cap, c->n + 1, sizeof(*v), 256);
	if (!v)
		return (size_t)-1;
	c->nodes = v;
	c->nodes[c->n] = *np;
	*np = NULL;
	if (ht_put(c, c->n)) {
		*np = c->nodes[c->n];
		return (size_t)-1;
	}
	return c->n++;
}

static int enqueue(struct ctx *c, size_t idx, unsigned dir)
{
	struct node *n = c->nodes[idx];
	dir &= ~n->queued;
	if (!dir)
		return 0;
	n->queued |= dir;
	void *v = tl_grow(c->queue, &c->qcap, c->qn + 1, sizeof(*c->queue), 256);
	if (!v)
		return tl_errf(c->err, "out of memory");
	c->queue = v;
	c->queue[c->qn].node = idx;
	c->queue[c->qn++].dir = dir;
	return 0;
}

static int add_edge(struct ctx *c, size_t from, size_t to, const struct rule *r, struct tl_buf *why, size_t at)
{
	struct edge *v = tl_grow(c->edges, &c->ecap, c->ne + 1, sizeof(*v), 256);
	if (!v)
		return tl_errf(c->err, "out of memory");
	c->edges = v;
	char *reason = strdup(why->data ? why->data : "");
	if (!reason)
		return tl_errf(c->err, "out of memory");
	c->edges[c->ne++] = (struct edge){ from, to, r, reason, at };
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	return node_cmp(*(struct node *const *)a, *(struct node *const *)b);
}

static int cand_cmp_rev(const void *a, const void *b)
{
	return -cand_cmp(a, b);
}

/* Run rule R from node IDX: forwards (IDX the cause) or backwards. */
static int follow(struct ctx *c, size_t idx, const struct rule *r, int forwards, unsigned push_dir)
{
	struct node *x = c->nodes[idx];
	if (forwards ? !r->cause(c, x) : !r->effect(c, x))
		return 0;
	struct cands cs = { 0 };
	int rc = forwards ? r->fwd(c, x, &cs) : r->back(c, x, &cs);
	/* lookups cut short by the budget: no link from what they half read */
	if (c->budget.spent) {
		cands_release(&cs);
		return -1;
	}
	/* several lookups may feed one rule: one total order (latest first
	 * backwards), each event once */
	if (!rc && cs.n > 1) {
		qsort(cs.v, cs.n, sizeof(cs.v[0]), forwards ? cand_cmp : cand_cmp_rev);
		size_t k = 1;
		for (size_t i = 1; i < cs.n; i++) {
			if (cs.v[i]->id == cs.v[k - 1]->id)
				node_free(cs.v[i]);
			else
				cs.v[k++] = cs.v[i];
		}
		cs.n = k;
	}
	size_t linked = 0, cap = forwards ? r->fanout_fwd : r->fanout_back;
	struct tl_buf why = TL_BUF_INIT;
	why.max = 4096;
	for (size_t i = 0; !rc && i < cs.n; i++) {
		struct node *y = cs.v[i];
		x = c->nodes[idx];
		if (y->id == x->id)
			continue;
		/* a candidate already known is judged on the known node (its caches) */
		size_t have = ht_find(c, y->id);
		struct node *yy = have ? c->nodes[have - 1] : y;
		tl_buf_reset(&why);
		c->why_at = (size_t)-1;
		int h = forwards ? r->holds(c, x, yy, &why) : r->holds(c, yy, x, &why);
		if (c->budget.spent)
			h = -1; /* a condition checked on half-read events proves nothing */
		if (h < 0) {
			rc = -1;
			break;
		}
		if (!h)
			continue;
		if (linked == cap) {
			/* backwards, the latest cause is the one kept by design */
			if (forwards)
				c->capped_rules |= 1u << (r - rules);
			break;
		}
		size_t j = have ? have - 1 : intern(c, &cs.v[i]);
		if (j == (size_t)-1)
			break;
		linked++;
		rc = forwards ? add_edge(c, idx, j, r, &why, c->why_at) : add_edge(c, j, idx, r, &why, c->why_at);
		if (!rc)
			rc = enqueue(c, j, push_dir);
	}
	tl_buf_release(&why);
	cands_release(&cs);
	return rc;
}

static int explore(struct ctx *c, size_t idx, unsigned dir)
{
	for (size_t k = 0; k < N_RULES; k++) {
		const struct rule *r = &rules[k];
		int rc = 0;
		if (r->symmetric) {
			rc = follow(c, idx, r, 1, dir);
			if (!rc)
				rc = follow(c, idx, r, 0, dir);
		} else {
			if (dir & DIR_FWD)
				rc = follow(c, idx, r, 1, DIR_FWD);
			if (!rc && (dir & DIR_BACK))
				rc = follow(c, idx, r, 0, DIR_BACK);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- describing an event ------------------------------------------------- */

static void source_label(struct node *n, struct tl_buf *b)
{
	const char *prov = extra_str(n, "System.Provider.Name");
	const char *code = F(n, TL_F_event_code);
	if (prov && code) {
		const char *name = strstr(prov, "Sysmon") ? "Sysmon" : strstr(prov, "Security-Auditing") ? "Security"
				 : !strcmp(prov, "Service Control Manager") ? "System" : prov;
		tl_buf_addf(b, "%s %s", name, code);
	} else {
		tl_buf_adds(b, n->format);
	}
}

/* ", 48213994 bytes out (46.0 MiB)": the exact count, and a size people read */
static void bytes_out(struct tl_buf *b, int64_t n)
{
	tl_buf_addf(b, ", %lld bytes out", (long long)n);
	if (n >= 1024 * 1024)
		tl_buf_addf(b, " (%.1f MiB)", (double)n / (1024.0 * 1024.0));
}

static void summarize(struct ctx *c, struct node *n, struct tl_buf *b)
{
	const char *user = has(n, TL_F_user) ? F(n, TL_F_user) : NULL;
	const char *act = F(n, TL_F_action);
	if (has(n, TL_F_host))
		tl_buf_addf(b, "%s: ", F(n, TL_F_host));
	if (is_process_start(c, n)) {
		tl_buf_addf(b, "%s%sstarted %s", user ? user : "", user ? " " : "",
			    F(n, TL_F_process) ? F(n, TL_F_process) : "a process");
		if (n->has_iv[TL_F_process_pid])
			tl_buf_addf(b, " (pid %lld)", (long long)n->iv[TL_F_process_pid]);
		if (has(n, TL_F_process_cmdline))
			tl_buf_addf(b, ": %s", F(n, TL_F_process_cmdline));
	} else if (is_file_write(c, n)) {
		tl_buf_addf(b, "%s%s%s %s", user ? user : "", user ? " " : "",
			    ieq(act, "create") || ieq(act, "created") || ieq(act, "filecreated") ? "created" : act,
			    F(n, TL_F_file));
		if (has(n, TL_F_process))
			tl_buf_addf(b, " with %s", base_name(F(n, TL_F_process)));
	} else if (is_dlp(c, n)) {
		tl_buf_addf(b, "DLP flagged %s", dlp_name(n));
		if (act)
			tl_buf_addf(b, " (%s)", act);
		if (has(n, TL_F_rule))
			tl_buf_addf(b, ", policy '%s'", F(n, TL_F_rule));
		if (user)
			tl_buf_addf(b, ", user %s", user);
		if (has(n, TL_F_src_ip))
			tl_buf_addf(b, " at %s", F(n, TL_F_src_ip));
	} else if (is_class(n, "dns_activity")) {
		const char *client = dns_client(n);
		tl_buf_addf(b, "%s looked up %s", client ? client : has(n, TL_F_process) ? base_name(F(n, TL_F_process))
								    : user ? user : "the host",
			    F(n, TL_F_domain) ? F(n, TL_F_domain) : "?");
		const char *ans = extra_str(n, "answers") ? extra_str(n, "answers") : extra_str(n, "QueryResults");
		if (ans)
			tl_buf_addf(b, " -> %.*s", (int)strcspn(ans, ";"), ans);
	} else if (is_logon(c, n) || is_class(n, "authentication")) {
		tl_buf_addf(b, "%s %s", user ? user : "someone", is_logon(c, n) ? "logged on" : act ? act : "authenticated");
		if (has(n, TL_F_session_id))
			tl_buf_addf(b, " (session %s)", F(n, TL_F_session_id));
		if (has(n, TL_F_src_ip))
			tl_buf_addf(b, " from %s", F(n, TL_F_src_ip));
	} else if (is_class(n, "process_activity") && ieq(act, "terminate")) {
		tl_buf_addf(b, "%s", F(n, TL_F_process) ? F(n, TL_F_process) : "a process");
		if (n->has_iv[TL_F_process_pid])
			tl_buf_addf(b, " (pid %lld)", (long long)n->iv[TL_F_process_pid]);
		tl_buf_adds(b, " exited");
	} else if (is_access(c, n)) {
		tl_buf_addf(b, "%s %s %s", F(n, TL_F_process) ? F(n, TL_F_process) : "a process",
			    ieq(act, "access") ? "opened" : "injected a thread into",
			    extra_str(n, "TargetImage") ? extra_str(n, "TargetImage") : extra_str(n, "TargetProcessGuid"));
		if (extra_str(n, "GrantedAccess"))
			tl_buf_addf(b, " (access %s)", extra_str(n, "GrantedAccess"));
	} else if (is_service_install(c, n)) {
		tl_buf_addf(b, "service %s%s%sinstalled: %s", has(n, TL_F_rule) ? "'" : "",
			    has(n, TL_F_rule) ? F(n, TL_F_rule) : "",
			    has(n, TL_F_rule) ? "' " : "", F(n, TL_F_file));
	} else if (is_class(n, "http_activity") || has(n, TL_F_url)) {
		if (user)
			tl_buf_addf(b, "%s ", user);
		tl_buf_addf(b, "%s %s", has(n, TL_F_http_method) ? F(n, TL_F_http_method) : "request",
			    has(n, TL_F_url) ? F(n, TL_F_url) : has(n, TL_F_domain) ? F(n, TL_F_domain) : "?");
		if (has(n, TL_F_src_ip))
			tl_buf_addf(b, " from %s", F(n, TL_F_src_ip));
		if (n->has_iv[TL_F_bytes_out])
			bytes_out(b, n->iv[TL_F_bytes_out]);
		if (n->has_iv[TL_F_http_status])
			tl_buf_addf(b, ", status %lld", (long long)n->iv[TL_F_http_status]);
	} else if (is_conn(c, n) && has(n, TL_F_src_ip) && has(n, TL_F_dst_ip)) {
		if (has(n, TL_F_process))
			tl_buf_addf(b, "%s ", base_name(F(n, TL_F_process)));
		tl_buf_addf(b, "connection %s", F(n, TL_F_src_ip));
		if (n->has_iv[TL_F_src_port])
			tl_buf_addf(b, ":%lld", (long long)n->iv[TL_F_src_port]);
		tl_buf_addf(b, " -> %s", F(n, TL_F_dst_ip));
		if (n->has_iv[TL_F_dst_port])
			tl_buf_addf(b, ":%lld", (long long)n->iv[TL_F_dst_port]);
		if (has(n, TL_F_proto))
			tl_buf_addf(b, "/%s", F(n, TL_F_proto));
		if (has(n, TL_F_domain))
			tl_buf_addf(b, " (%s)", F(n, TL_F_domain));
		if (n->has_iv[TL_F_bytes_out])
			bytes_out(b, n->iv[TL_F_bytes_out]);
	} else {
		if (user)
			tl_buf_addf(b, "%s ", user);
		tl_buf_adds(b, act ? act : F(n, TL_F_class) ? F(n, TL_F_class) : n->family);
		if (has(n, TL_F_file))
			tl_buf_addf(b, " %s", F(n, TL_F_file));
		else if (has(n, TL_F_url))
			tl_buf_addf(b, " %s", F(n, TL_F_url));
		else if (has(n, TL_F_target_user))
			tl_buf_addf(b, " %s", F(n, TL_F_target_user));
		else if (has(n, TL_F_process))
			tl_buf_addf(b, " by %s", F(n, TL_F_process));
		if (has(n, TL_F_src_ip))
			tl_buf_addf(b, " from %s", F(n, TL_F_src_ip));
		if (!act && has(n, TL_F_message))
			tl_buf_addf(b, ": %s", F(n, TL_F_message));
	}
}

/* ---- building the result ------------------------------------------------- */

static size_t uf_find(size_t *p, size_t i)
{
	while (p[i] != i) {
		p[i] = p[p[i]];
		i = p[i];
	}
	return i;
}

/* qsort has no context argument: the node table is set for the duration of
 * one sort (one thread per store). */
static struct node **sort_nodes;
static int idx_cmp(const void *a, const void *b)
{
	return node_cmp(sort_nodes[*(const size_t *)a], sort_nodes[*(const size_t *)b]);
}

static int link_cmp(const void *a, const void *b)
{
	const struct tl_chain_link *x = a, *y = b;
	if (x->from != y->from)
		return x->from > y->from ? -1 : 1; /* the latest cause first */
	return strcmp(x->type, y->type);
}

static int chain_cmp(const void *a, const void *b)
{
	const struct tl_chain *x = a, *y = b;
	const struct tl_chain_step *s = &x->steps[0], *t = &y->steps[0];
	if (s->ts != t->ts)
		return s->ts < t->ts ? -1 : 1;
	int c = strcmp(s->path, t->path);
	if (c)
		return c;
	if (s->offset != t->offset)
		return s->offset < t->offset ? -1 : 1;
	return x->total < y->total ? -1 : x->total > y->total;
}

static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* REASON with the cause's step number put in at AT (see REF()). */
static char *reason_text(const char *r, size_t at, size_t step_no)
{
	struct tl_buf b = TL_BUF_INIT;
	if (at > strlen(r))
		return strdup(r);
	tl_buf_add(&b, r, at);
	tl_buf_addf(&b, "%zu", step_no);
	tl_buf_adds(&b, r + at);
	return b.data ? b.data : strdup("");
}

static int make_step(struct ctx *c, struct node *n, struct tl_chain_step *st)
{
	struct tl_buf b = TL_BUF_INIT;
	st->ts = n->ts;
	st->path = xdup(n->path);
	st->sha256 = xdup(n->sha256);
	st->line = n->line;
	st->offset = n->offset;
	st->length = n->length;
	st->seq = n->seq;
	st->family = xdup(n->family);
	st->format = xdup(n->format);
	st->cls = xdup(F(n, TL_F_class));
	st->action = xdup(F(n, TL_F_action));
	st->user = xdup(F(n, TL_F_user));
	st->host = xdup(F(n, TL_F_host));
	st->pivot = n->seed;
	source_label(n, &b);
	st->source = b.data ? b.data : strdup("");
	b = (struct tl_buf)TL_BUF_INIT;
	b.max = 4096;
	summarize(c, n, &b);
	st->summary = b.data ? b.data : strdup("");
	return st->path && st->sha256 && st->family && st->format && st->source && st->summary ? 0 : -1;
}

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* A link found forwards from its cause and again backwards from its effect
 * is one link. */
static void edges_dedupe(struct ctx *c)
{
	if (c->ne < 2)
		return;
	qsort(c->edges, c->ne, sizeof(c->edges[0]), edge_cmp);
	size_t k = 1;
	for (size_t i = 1; i < c->ne; i++) {
		if (!edge_cmp(&c->edges[i], &c->edges[k - 1]))
			free(c->edges[i].reason);
		else
			c->edges[k++] = c->edges[i];
	}
	c->ne = k;
}

static int build_chains(struct ctx *c)
{
	edges_dedupe(c);
	size_t *parent = malloc((c->n ? c->n : 1) * sizeof(size_t));
	size_t *order = malloc((c->n ? c->n : 1) * sizeof(size_t));
	size_t *step_of = malloc((c->n ? c->n : 1) * sizeof(size_t));
	unsigned char *linked = calloc(c->n ? c->n : 1, 1);
	int rc = parent && order && step_of && linked ? 0 : tl_errf(c->err, "out of memory");
	size_t max_steps = c->o->max_steps ? c->o->max_steps : TL_CHAIN_STEPS_DEFAULT;
	for (size_t i = 0; !rc && i < c->n; i++)
		parent[i] = i;
	for (size_t i = 0; !rc && i < c->ne; i++) {
		size_t a = uf_find(parent, c->edges[i].from), b = uf_find(parent, c->edges[i].to);
		linked[c->edges[i].from] = linked[c->edges[i].to] = 1;
		if (a != b)
			parent[a < b ? b : a] = a < b ? a : b;
	}
	/* nodes in total order, grouped by component in one pass per root */
	size_t no = 0;
	for (size_t i = 0; !rc && i < c->n; i++)
		if (linked[i])
			order[no++] = i;
	sort_nodes = c->nodes;
	if (!rc)
		qsort(order, no, sizeof(size_t), idx_cmp);
	sort_nodes = NULL;
	struct tl_chain_set *out = c->out;
	/* assign each component a chain in the order its first node appears */
	size_t *chain_of = calloc(c->n ? c->n : 1, sizeof(size_t));
	if (!chain_of && !rc)
		rc = tl_errf(c->err, "out of memory");
	for (size_t k = 0; !rc && k < no; k++) {
		size_t root = uf_find(parent, order[k]);
		if (!chain_of[root]) {
			struct tl_chain *v = realloc(out->v, (out->n + 1) * sizeof(*v));
			if (!v) {
				rc = tl_errf(c->err, "out of memory");
				break;
			}
			out->v = v;
			memset(&out->v[out->n], 0, sizeof(out->v[0]));
			chain_of[root] = ++out->n;
		}
		struct tl_chain *ch = &out->v[chain_of[root] - 1];
		step_of[order[k]] = ch->total++;
		if (ch->n >= max_steps) {
			step_of[order[k]] = (size_t)-1;
			continue;
		}
		struct tl_chain_step *v = realloc(ch->steps, (ch->n + 1) * sizeof(*v));
		if (!v) {
			rc = tl_errf(c->err, "out of memory");
			break;
		}
		ch->steps = v;
		memset(&ch->steps[ch->n], 0, sizeof(ch->steps[0]));
		if (make_step(c, c->nodes[order[k]], &ch->steps[ch->n++]))
			rc = tl_errf(c->err, "out of memory");
	}
	for (size_t i = 0; !rc && i < c->ne; i++) {
		struct edge *e = &c->edges[i];
		size_t root = uf_find(parent, e->to);
		struct tl_chain *ch = &out->v[chain_of[root] - 1];
		size_t from = step_of[e->from], to = step_of[e->to];
		if (to == (size_t)-1 || from == (size_t)-1)
			continue;
		struct tl_chain_step *st = &ch->steps[to];
		struct tl_chain_link *l = realloc(st->links, (st->n_links + 1) * sizeof(*l));
		if (!l) {
			rc = tl_errf(c->err, "out of memory");
			break;
		}
		st->links = l;
		l[st->n_links].from = from;
		l[st->n_links].type = e->rule->name;
		l[st->n_links].reason = reason_text(e->reason, e->at, from + 1);
		if (!l[st->n_links++].reason)
			rc = tl_errf(c->err, "out of memory");
	}
	for (size_t k = 0; !rc && k < out->n; k++)
		for (size_t s = 0; s < out->v[k].n; s++)
			if (out->v[k].steps[s].n_links > 1)
				qsort(out->v[k].steps[s].links, out->v[k].steps[s].n_links, sizeof(struct tl_chain_link),
				      link_cmp);
	if (!rc && out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), chain_cmp);
	free(chain_of);
	free(parent);
	free(order);
	free(step_of);
	free(linked);
	return rc;
}

/* ---- the pivot ----------------------------------------------------------- */

static const char *const pivot_types[] = { "user", "host", "ip", "domain", "file", "process", "hash", "url", NULL };

int tl_chain_pivot_check(const struct tl_chain_opts *o, struct tl_err *err)
{
	if (!o->type || !in_list(o->type, pivot_types) || strcmp(o->type, "") == 0)
		return tl_errf(err, "unknown entity type '%s' (user host ip domain file process hash url)",
			       o->type ? o->type : "");
	if (!o->value || !*o->value)
		return tl_errf(err, "empty %s value in '%s:'", o->type, o->type);
	enum tl_entity_type t;
	char *cn = NULL;
	if (tl_entity_type_parse(o->type, &t) == 0 && (t == TL_ENT_USER || t == TL_ENT_HOST || t == TL_ENT_IP ||
							 t == TL_ENT_DOMAIN)) {
		struct tl_err e;
		if (tl_entity_canon(t, o->value, &cn, &e))
			return tl_errf(err, "'%s' is not a valid %s: %s", o->value, o->type, e.msg);
	}
	unsigned char bin[16];
	int bad_ip = !strcmp(o->type, "ip") && inet_pton(AF_INET, cn ? cn : o->value, bin) != 1 &&
		     inet_pton(AF_INET6, cn ? cn : o->value, bin) != 1;
	free(cn);
	if (bad_ip)
		return tl_errf(err, "'%s' is not a valid ip address", o->value);
	return 0;
}

/* Node N (taken over; NULL when it could not be made) as a seed of the walk:
 * 0 done, -1 the walk is full (stop quietly), -2 out of memory (error set). */
static int add_seed(struct ctx *c, struct node *n, size_t *seeds)
{
	if (!n)
		return tl_errf(c->err, "out of memory"), -2;
	size_t i = intern(c, &n);
	node_free(n);
	if (i == (size_t)-1)
		return -1;
	if (!c->nodes[i]->seed) {
		c->nodes[i]->seed = 1;
		(*seeds)++;
	}
	return 0;
}

static int add_seeds(struct ctx *c, struct tl_event_query *q, size_t *seeds)
{
	q->has_from = c->o->has_from;
	q->from = c->o->from;
	q->has_to = c->o->has_to;
	q->to = c->o->to;
	q->limit = TL_CHAIN_SEEDS + 1;
	q->attribution = 1;
	struct tl_store_iter *it = tl_store_events(c->s, q, c->err);
	if (!it)
		return -1;
	const struct tl_event_row *r;
	int rc;
	while ((rc = tl_store_next_event(it, &r, c->err)) == 1) {
		if (*seeds >= TL_CHAIN_SEEDS) {
			if (!ht_find(c, r->id))
				tl_strlist_add(&c->out->notes, "more events name the pivot than are followed: narrow it with "
								"--from/--to");
			break;
		}
		int added = add_seed(c, node_from_row(r), seeds);
		if (added) {
			if (added == -2)
				rc = -1;
			break;
		}
	}
	tl_store_iter_free(it);
	return rc < 0 ? -1 : 0;
}

/* A domain pivot names the domain and its subdomains, which no index finds
 * by suffix: the spellings the entities table has seen of them (at most
 * DOMAIN_FORMS_MAX) are looked up one by one through events_domain instead,
 * and the earliest TL_CHAIN_SEEDS of all kept. */
#define DOMAIN_FORMS_MAX 16
struct dforms {
	const char *cv;
	size_t cvlen;
	struct tl_strlist *out;
	int over;
};

static int dform_one(void *ctx, const struct tl_entity_rec *r, struct tl_err *err)
{
	struct dforms *d = ctx;
	size_t n = strlen(r->value);
	if (d->over || !(!strcmp(r->value, d->cv) || (n > d->cvlen && r->value[n - d->cvlen - 1] == '.' &&
							   !strcmp(r->value + n - d->cvlen, d->cv))))
		return 0;
	if (tl_strlist_add(d->out, r->value))
		return tl_errf(err, "out of memory");
	struct tl_json *al = tl_json_parse("aliases", r->aliases, strlen(r->aliases), err);
	if (!al)
		return -1;
	for (size_t i = 0; al->type == TL_JSON_ARRAY && i < al->n; i++) {
		const struct tl_json *a = tl_json_get(al->kids[i], "alias");
		if (a && a->type == TL_JSON_STRING && tl_strlist_add(d->out, a->str)) {
			tl_json_free(al);
			return tl_errf(err, "out of memory");
		}
	}
	tl_json_free(al);
	if (d->out->n > DOMAIN_FORMS_MAX)
		d->over = 1;
	return 0;
}

/* 1 when the seeds of domain CV were found by its spellings, 0 when the
 * caller must scan (no entities counted, or too many spellings). */
static int domain_seeds(struct ctx *c, const char *cv, size_t *seeds)
{
	struct tl_strlist forms = TL_STRLIST_INIT;
	struct dforms d = { cv, strlen(cv), &forms, 0 };
	int rc = tl_store_entities_each(c->s, "domain", NULL, NULL, dform_one, &d, c->err);
	if (rc || d.over || !forms.n) {
		tl_strlist_release(&forms);
		return rc ? -1 : 0;
	}
	struct cands cs = { 0 };
	for (size_t i = 0; !rc && i < forms.n; i++) {
		struct tl_field_match m = { TL_F_domain, TL_MATCH_EQ, forms.v[i], 0, 0 };
		struct tl_event_query q;
		memset(&q, 0, sizeof(q));
		q.fields = &m;
		q.n_fields = 1;
		q.exact = 1;
		q.has_from = c->o->has_from;
		q.from = c->o->from;
		q.has_to = c->o->has_to;
		q.to = c->o->to;
		q.limit = TL_CHAIN_SEEDS + 1;
		q.attribution = 1;
		struct tl_store_iter *it = tl_store_events(c->s, &q, c->err);
		const struct tl_event_row *r;
		int more = 0;
		if (!it)
			rc = -1;
		while (it && (more = tl_store_next_event(it, &r, c->err)) == 1) {
			/* no extra kept: a seed reads it by id when a rule asks */
			struct tl_event_row row = *r;
			row.extra.type = TL_VALUE_NULL;
			struct node *n = node_from_row(&row);
			if (!n || cands_push(&cs, n)) {
				node_free(n);
				rc = tl_errf(c->err, "out of memory");
				break;
			}
		}
		if (more < 0)
			rc = -1;
		tl_store_iter_free(it);
	}
	/* the earliest of all, in the timeline's order, each event once */
	if (!rc && cs.n > 1)
		qsort(cs.v, cs.n, sizeof(cs.v[0]), cand_cmp);
	for (size_t i = 0; !rc && i < cs.n; i++) {
		if (i && cs.v[i]->id == cs.v[i - 1]->id)
			continue;
		if (*seeds >= TL_CHAIN_SEEDS) {
			tl_strlist_add(&c->out->notes, "more events name the pivot than are followed: narrow it with --from/--to");
			break;
		}
		int added = add_seed(c, node_clone(cs.v[i], c->s), seeds);
		if (added) {
			if (added == -2)
				rc = -1;
			break;
		}
	}
	cands_release(&cs);
	tl_strlist_release(&forms);
	return rc ? -1 : 1;
}

static int seeds_find(struct ctx *c, char **pivot_text)
{
	const struct tl_chain_opts *o = c->o;
	enum tl_entity_type t;
	char *cn = NULL;
	struct tl_err e;
	if (tl_entity_type_parse(o->type, &t) == 0 && tl_entity_canon(t, o->value, &cn, &e))
		cn = NULL;
	const char *v = cn ? cn : o->value;
	struct tl_buf pt = TL_BUF_INIT;
	tl_buf_addf(&pt, "%s:%s", o->type, v);
	*pivot_text = pt.data;
	struct tl_event_query q;
	size_t seeds = 0;
	int rc = 0;
	struct tl_entity ents[USER_FORMS_MAX + 1];
	memset(&q, 0, sizeof(q));
	q.exact = 1;
	if (!strcmp(o->type, "user")) {
		q.entities = ents;
		q.n_entities = user_forms(c, v, ents);
		rc = q.n_entities ? add_seeds(c, &q, &seeds) : 0;
	} else if (!strcmp(o->type, "host")) {
		/* every stored spelling of the host */
		q.entities = ents;
		q.n_entities = forms(c, &c->hosts, v, ents);
		rc = q.n_entities ? add_seeds(c, &q, &seeds) : 0;
	} else if (!strcmp(o->type, "file")) {
		struct tl_field_match m = { TL_F_file, TL_MATCH_PATH_TAIL, o->value, 0, 1 };
		struct tl_field_match m2 = { TL_F_file_name, TL_MATCH_EQ, o->value, 0, 1 };
		q.fields = &m;
		q.n_fields = 1;
		rc = add_seeds(c, &q, &seeds);
		q.fields = &m2;
		if (!rc)
			rc = add_seeds(c, &q, &seeds);
	} else if (!strcmp(o->type, "hash")) {
		struct tl_field_match m = { TL_F_file_hash, TL_MATCH_EQ, o->value, 0, 1 };
		q.fields = &m;
		q.n_fields = 1;
		rc = add_seeds(c, &q, &seeds);
	} else if (!strcmp(o->type, "domain") && (rc = domain_seeds(c, v, &seeds)) != 0) {
		rc = rc < 0 ? -1 : 0;
	} else {
		ents[0].type = o->type;
		ents[0].value = v;
		q.entities = ents;
		q.n_entities = 1;
		q.exact = strcmp(o->type, "domain") != 0;
		rc = add_seeds(c, &q, &seeds);
	}
	free(cn);
	c->out->seeds = seeds;
	return rc;
}

int tl_chain_build(struct tl_store *s, const struct tl_chain_opts *opts, struct tl_chain_set *out, struct tl_err *err)
{
	if (tl_chain_pivot_check(opts, err))
		return -1;
	struct ctx c;
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.o = opts;
	c.err = err;
	c.out = out;
	c.window = opts->window_us > 0 ? opts->window_us : TL_CHAIN_WINDOW_DEFAULT;
	c.users = (struct valset){ "user", TL_ENT_USER, NULL, NULL, 0, 0 };
	c.hosts = (struct valset){ "host", TL_ENT_HOST, NULL, NULL, 0, 0 };
	/* thousands of small lookups over the same pages */
	tl_store_read_cache(s, TL_CHAIN_CACHE_BYTES);
	out->window_us = c.window;
	c.budget.max = opts->budget > 0 ? opts->budget : TL_CHAIN_BUDGET_DEFAULT;
	tl_store_budget_begin(s, &c.budget);
	int rc = seeds_find(&c, &out->pivot);
	int seeds_cut = c.budget.spent;
	/* seeds in total order, then breadth first */
	size_t nseeds = c.n;
	size_t *order = malloc((nseeds ? nseeds : 1) * sizeof(size_t));
	if (!order && !rc)
		rc = tl_errf(err, "out of memory");
	for (size_t i = 0; order && i < nseeds; i++)
		order[i] = i;
	sort_nodes = c.nodes;
	if (!rc && nseeds)
		qsort(order, nseeds, sizeof(size_t), idx_cmp);
	sort_nodes = NULL;
	size_t seeds_done = 0;
	for (size_t i = 0; !rc && i < nseeds; i++) {
		rc = enqueue(&c, order[i], DIR_FWD | DIR_BACK);
		while (!rc && c.qh < c.qn) {
			size_t idx = c.queue[c.qh].node;
			unsigned dir = c.queue[c.qh++].dir & ~c.nodes[idx]->explored;
			c.nodes[idx]->explored |= dir;
			if (dir)
				rc = explore(&c, idx, dir);
		}
		if (!rc)
			seeds_done++;
	}
	/* out of budget: what was linked stands, the rest is said to be unexplored */
	int spent = c.budget.spent;
	tl_store_budget_end(s, &c.budget);
	if (spent) {
		rc = 0;
		char note[512], at[40] = "";
		tl_us first = 0;
		size_t unexplored = c.qn > c.qh ? c.qn - c.qh : 0;
		/* the earliest of the seeds not done (they are done in time order,
		 * unless the budget ran out while they were still being found) */
		for (size_t k = seeds_done; order && k < nseeds; k++)
			if (k == seeds_done || c.nodes[order[k]]->ts < first)
				first = c.nodes[order[k]]->ts;
		if (seeds_done < nseeds)
			tl_time_format_iso(first, at, sizeof(at));
		if (seeds_cut)
			snprintf(note, sizeof(note),
				 "the walk stopped at its budget of %lld database pages while finding the events that name "
				 "the pivot (%zu found): narrow it with --from/--to, or raise --budget",
				 (long long)c.budget.max, nseeds);
		else
			snprintf(note, sizeof(note),
			 "the walk stopped at its budget of %lld database pages: %zu of %zu events naming the pivot "
			 "(from %s on) were not followed, or only in part, and %zu linked events were not explored; "
			 "narrow it with --from/--to, or raise --budget",
			 (long long)c.budget.max, nseeds - seeds_done, nseeds, *at ? at : "-", unexplored);
		tl_strlist_add(&out->notes, note);
		out->budget_spent = 1;
	}
	free(order);
	out->pages_used = c.budget.used;
	if (!rc)
		rc = build_chains(&c);
	if (!rc) {
		size_t max_steps = opts->max_steps ? opts->max_steps : TL_CHAIN_STEPS_DEFAULT;
		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].total > out->v[i].n) {
				char note[160];
				snprintf(note, sizeof(note), "chain %zu has %zu steps; the first %zu are shown", i + 1,
					 out->v[i].total, max_steps);
				tl_strlist_add(&out->notes, note);
			}
		char note[256];
		if (c.capped_events) {
			snprintf(note, sizeof(note), "the walk stopped at %d events: narrow it with --from/--to",
				 TL_CHAIN_EVENTS);
			tl_strlist_add(&out->notes, note);
		}
		if (c.capped_scan) {
			snprintf(note, sizeof(note), "a lookup read its maximum of %d candidate events: some links may be "
				 "missing", TL_CHAIN_SCAN);
			tl_strlist_add(&out->notes, note);
		}
		for (size_t k = 0; k < N_RULES; k++)
			if (c.capped_rules & (1u << k)) {
				snprintf(note, sizeof(note), "%s: an event had more than %zu linked events; the earliest %zu are "
					 "kept", rules[k].name, rules[k].fanout_fwd, rules[k].fanout_fwd);
				tl_strlist_add(&out->notes, note);
			}
	}
	for (size_t i = 0; i < c.n; i++)
		node_free(c.nodes[i]);
	free(c.nodes);
	free(c.ht);
	for (size_t i = 0; i < c.ne; i++)
		free(c.edges[i].reason);
	free(c.edges);
	free(c.queue);
	struct valset *sets[2] = { &c.users, &c.hosts };
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sets[k]->n; i++) {
			free(sets[k]->raw[i]);
			free(sets[k]->canon[i]);
		}
		free(sets[k]->raw);
		free(sets[k]->canon);
	}
	for (size_t i = 0; i < c.n_cache; i++) {
		for (size_t k = 0; k < c.cache[i].n; k++)
			node_free(c.cache[i].v[k]);
		free(c.cache[i].v);
		free(c.cache[i].value);
	}
	free(c.cache);
	empties_release(&c.empties);
	for (size_t i = 0; i < ANSWERS_SLOTS; i++) {
		cands_release(&c.answers[i].cs);
		free(c.answers[i].host);
	}
	return rc ? -1 : 0;
}

void tl_chain_set_release(struct tl_chain_set *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->n; i++) {
		struct tl_chain *ch = &cs->v[i];
		for (size_t k = 0; k < ch->n; k++) {
			struct tl_chain_step *st = &ch->steps[k];
			free(st->path);
			free(st->sha256);
			free(st->family);
			free(st->format);
			free(st->cls);
			free(st->action);
			free(st->user);
			free(st->host);
			free(st->source);
			free(st->summary);
			for (size_t l = 0; l < st->n_links; l++)
				free(st->links[l].reason);
			free(st->links);
		}
		free(ch->steps);
	}
	free(cs->v);
	free(cs->pivot);
	tl_strlist_release(&cs->notes);
	memset(cs, 0, sizeof(*cs));
}
