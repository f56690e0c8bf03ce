/*
 * auditd: raw Linux audit logs (/var/log/audit/audit.log), log_format RAW or
 * ENRICHED (docs/formats/auditd.md).
 *
 * One kernel audit event is written as several records (SYSCALL, EXECVE,
 * CWD, PATH..., PROCTITLE, then an EOE marker) sharing one stamp
 * "msg=audit(SECONDS.MILLIS:SERIAL)"; records of different events may
 * interleave. This parser groups records by that stamp (and node) into one
 * event. A group ends at its EOE; groups without one (older kernels, files
 * cut by rotation, logs that drop EOE) end when a record arrives more than
 * CLOSE_AFTER_US later or more than CLOSE_AFTER_SERIALS serials on, when more
 * than MAX_PENDING groups are open (the oldest goes), or at end of file.
 * User-space messages (USER_*, CRED_*, ADD_USER, SERVICE_START...) are
 * events of one record and come out at once.
 *
 * Not here: interpreting numbers the kernel writes for the machine (syscall
 * numbers, arch, mode bits); the ENRICHED names auditd adds are kept.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/registry.h"
#include "tl/banned.h"

#define MAX_PENDING 128            /* open groups; past this the oldest is closed */
#define MAX_GROUP_RECORDS 512      /* records kept per group; later ones count, unkept */
#define MAX_GROUP_BYTES (1u << 20) /* text kept per group */
#define MAX_FIELDS 1024            /* key=value pairs read from one record */
#define EXCERPT_BYTES 256          /* of a group's first record, for a reject row */
#define CLOSE_AFTER_US (2 * TL_US_PER_SEC) /* as auparse's eoe_timeout */
#define CLOSE_AFTER_SERIALS 1000
#define UNSET_ID "4294967295"      /* (uid_t)-1: auid/ses never set */

/* ---- one record's header ---- */

struct hdr {
	const char *node, *type, *stamp, *body, *names;
	size_t nnode, ntype, nstamp, nkey, nbody, nnames; /* nkey: stamp + ":SERIAL" */
	int64_t ts_us;
	uint64_t serial;
};

static size_t span_digits(const char *s, size_t i, size_t len)
{
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

static int starts(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && !memcmp(s, p, n);
}

static int parse_audit(const char *s, size_t len, struct hdr *h);

/* Programs that forward audit records to syslog: the audisp syslog plugin
 * (audispd before auditd 3.0, audisp-syslog since), auditd itself, and the
 * "audit" tag some relays give them. */
static int forwarder_tag(const char *t, size_t n)
{
	static const char *const tags[] = { "audispd", "audisp-syslog", "auditd", "audit", "audisp", NULL };
	const char *b = memchr(t, '[', n);
	if (b)
		n = (size_t)(b - t); /* auditd[812] */
	for (size_t k = 0; tags[k]; k++)
		if (strlen(tags[k]) == n && !memcmp(t, tags[k], n))
			return 1;
	return 0;
}

/* A record forwarded through syslog has an RFC 3164 header in front:
 * "[<PRI>]TIME [HOST ]TAG[PID]: [node=N ]type=...". Returns where the audit
 * text starts (0 when there is no such header) and the header's host, which
 * stands for the node when the record names none (audisp writes node= only
 * when name_format is set). RFC 5424 headers are not recognised. */
static size_t syslog_prefix(const char *s, size_t len, const char **host, size_t *nhost)
{
	*host = NULL;
	*nhost = 0;
	if (starts(s, len, "type=") || starts(s, len, "node="))
		return 0;
	size_t lim = len < 512 ? len : 512;
	for (size_t c = 1; c + 7 <= lim; c++) {
		if (s[c] != ':' || s[c + 1] != ' ' ||
		    (memcmp(s + c + 2, "type=", 5) && memcmp(s + c + 2, "node=", 5)))
			continue;
		size_t te = c, tb = c;
		while (tb > 0 && s[tb - 1] != ' ')
			tb--;
		if (!forwarder_tag(s + tb, te - tb))
			return 0;
		if (tb >= 2) {
			size_t he = tb - 1, hb = he;
			while (hb > 0 && s[hb - 1] != ' ')
				hb--;
			int clock = 1; /* "23:40:01": a local writer's header has no host */
			for (size_t k = hb; k < he; k++)
				if (!((s[k] >= '0' && s[k] <= '9') || s[k] == ':' || s[k] == '.'))
					clock = 0;
			if (he > hb && !clock && s[hb] != '<') {
				*host = s + hb;
				*nhost = he - hb;
			}
		}
		return c + 2;
	}
	return 0;
}

/* "[node=N ]type=T msg=audit(S.MMM:SERIAL):[ BODY][\x1dNAMES]", possibly
 * behind a syslog header (syslog_prefix) */
static int parse_header(const char *s, size_t len, struct hdr *h)
{
	const char *shost;
	size_t nshost, skip = syslog_prefix(s, len, &shost, &nshost);
	s += skip;
	len -= skip;
	int rc = parse_audit(s, len, h);
	if (!rc && !h->node && shost) {
		h->node = shost;
		h->nnode = nshost;
	}
	return rc;
}

static int parse_audit(const char *s, size_t len, struct hdr *h)
{
	size_t i = 0;
	memset(h, 0, sizeof(*h));
	if (starts(s, len, "node=")) {
		const char *sp = memchr(s, ' ', len);
		if (!sp)
			return -1;
		h->node = s + 5;
		h->nnode = (size_t)(sp - s) - 5;
		i = (size_t)(sp - s) + 1;
	}
	if (!starts(s + i, len - i, "type="))
		return -1;
	i += 5;
	h->type = s + i;
	while (i < len && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
			   s[i] == '[' || s[i] == ']'))
		i++;
	h->ntype = (size_t)(s + i - h->type);
	if (!h->ntype || !starts(s + i, len - i, " msg=audit("))
		return -1;
	i += 11;
	size_t a = i, e = span_digits(s, i, len);
	if (e == a || e - a > 12 || e >= len || s[e] != '.')
		return -1;
	int64_t sec = 0;
	for (size_t k = a; k < e; k++)
		sec = sec * 10 + (s[k] - '0');
	size_t f = e + 1, fe = span_digits(s, f, len);
	if (fe == f || fe - f > 6 || fe >= len || s[fe] != ':')
		return -1;
	int64_t frac = 0;
	for (size_t k = f; k < fe; k++)
		frac = frac * 10 + (s[k] - '0');
	for (size_t k = fe - f; k < 6; k++)
		frac *= 10;
	size_t sa = fe + 1, se = span_digits(s, sa, len);
	if (se == sa || se - sa > 18 || se + 1 >= len || s[se] != ')' || s[se + 1] != ':')
		return -1;
	uint64_t serial = 0;
	for (size_t k = sa; k < se; k++)
		serial = serial * 10 + (uint64_t)(s[k] - '0');
	h->stamp = s + a;
	h->nstamp = fe - a;
	h->nkey = se - a;
	h->ts_us = sec * TL_US_PER_SEC + frac;
	h->serial = serial;
	i = se + 2;
	if (i < len && s[i] == ' ')
		i++;
	h->body = s + i;
	h->nbody = len - i;
	/* ENRICHED: the names auditd resolved follow a group separator */
	const char *gs = memchr(h->body, 0x1d, h->nbody);
	if (gs) {
		h->names = gs + 1;
		h->nnames = (size_t)(h->body + h->nbody - h->names);
		h->nbody = (size_t)(gs - h->body);
	}
	return 0;
}

static int type_is(const struct hdr *h, const char *t)
{
	return strlen(t) == h->ntype && !memcmp(h->type, t, h->ntype);
}

/* Messages from user space (the 1100-1299 and 2100-2999 ranges): one record, one event. */
static int single_record_type(const char *t, size_t n)
{
	static const char *const prefixes[] = { "USER_", "CRED_", "DAEMON_", "SERVICE_", "SYSTEM_", "ADD_", "DEL_",
						"GRP_", "ACCT_", "ANOM_LOGIN_", "ROLE_", "CRYPTO_", "VIRT_", NULL };
	static const char *const names[] = { "USYS_CONFIG", "SOFTWARE_UPDATE", "TRUSTED_APP", "CHGRP_ID", "CHUSER_ID",
					     "MAC_CHECK", "DAC_CHECK", "TEST", "LABEL_OVERRIDE", "LABEL_LEVEL_CHANGE",
					     NULL };
	for (const char *const *p = prefixes; *p; p++)
		if (starts(t, n, *p))
			return 1;
	for (const char *const *p = names; *p; p++)
		if (strlen(*p) == n && !memcmp(*p, t, n))
			return 1;
	if (starts(t, n, "UNKNOWN[")) {
		long v = strtol(t + 8, NULL, 10);
		return (v >= 1100 && v < 1300) || (v >= 2100 && v < 3000);
	}
	return 0;
}

/* ---- key=value bodies ---- */

struct kv {
	const char *k, *v;
	size_t nk, nv;
	int quoted; /* "..." or '...': literal text, never hex */
	int taken;  /* went to a normalized field, so not to extra */
	int inner;  /* from inside msg='...' */
};

struct rec {
	struct hdr h;
	struct kv *kv;
	size_t n;
	int names_from; /* kv[names_from..] are the ENRICHED names */
	uint64_t line;
};

static int kv_add(struct kv *out, size_t *n, const char *k, size_t nk, const char *v, size_t nv, int q, int inner)
{
	if (*n >= MAX_FIELDS)
		return -1;
	struct kv *x = &out[(*n)++];
	x->k = k, x->nk = nk, x->v = v, x->nv = nv, x->quoted = q, x->taken = 0, x->inner = inner;
	return 0;
}

/* Split "k=v k="v w" msg='a=b c=d'" into pairs; bare words (old LOGIN's
 * "old auid=", USYS_CONFIG's prose) carry no value and are skipped. */
static void split_kv(const char *s, size_t len, struct kv *out, size_t *n, int inner)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		size_t ks = i;
		while (i < len && s[i] != '=' && s[i] != ' ')
			i++;
		if (i >= len || s[i] != '=') {
			continue; /* a bare word */
		}
		size_t nk = i - ks;
		i++;
		const char *v = s + i;
		size_t nv;
		int q = 0;
		if (i < len && (s[i] == '"' || s[i] == '\'')) {
			char quote = s[i];
			const char *e = memchr(s + i + 1, quote, len - i - 1);
			v = s + i + 1;
			nv = e ? (size_t)(e - v) : len - i - 1;
			i = e ? (size_t)(e - s) + 1 : len;
			q = 1;
			if (quote == '\'' && nk == 3 && !memcmp(s + ks, "msg", 3) && !inner) {
				split_kv(v, nv, out, n, 1);
				continue;
			}
		} else {
			const char *e = memchr(s + i, ' ', len - i);
			nv = e ? (size_t)(e - v) : len - i;
			i += nv;
		}
		if (nk && kv_add(out, n, s + ks, nk, v, nv, q, inner))
			return;
	}
}

static struct kv *find(struct rec *r, const char *k)
{
	size_t n = strlen(k);
	for (size_t i = 0; i < r->n; i++)
		if (r->kv[i].nk == n && !memcmp(r->kv[i].k, k, n))
			return &r->kv[i];
	return NULL;
}

static int is_hex(const char *v, size_t n)
{
	if (!n || n % 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'F')))
			return 0;
	return 1;
}

/* Fields the kernel and the audit library write with audit_log_untrustedstring:
 * "quoted" when plain, bare hex when the text has spaces, quotes or control bytes. */
static int encoded_key(const struct rec *r, const struct kv *x)
{
	static const char *const keys[] = { "comm", "exe", "name", "cwd", "proctitle", "key", "path", "data",
					    "cmd", "acct", "vm", "sw", "root_dir", "new-name", "old-name", NULL };
	if (r->h.ntype == 6 && !memcmp(r->h.type, "EXECVE", 6) && x->nk >= 2 && x->k[0] == 'a' &&
	    span_digits(x->k, 1, x->nk) == x->nk)
		return 1;
	for (const char *const *k = keys; *k; k++)
		if (strlen(*k) == x->nk && !memcmp(*k, x->k, x->nk))
			return 1;
	return 0;
}

/* The value as text: hex decoded where the field is encoded (into the arena). */
static struct tl_val value(struct tl_parse *p, const struct rec *r, const struct kv *x)
{
	struct tl_val out = { x->v, x->nv };
	if (x->quoted || !encoded_key(r, x) || !is_hex(x->v, x->nv))
		return out;
	char *d = tl_arena_alloc(tl_parse_arena(p), x->nv / 2 + 1);
	if (!d)
		return out;
	for (size_t i = 0; i < x->nv; i += 2) {
		int hi = x->v[i] <= '9' ? x->v[i] - '0' : x->v[i] - 'A' + 10;
		int lo = x->v[i + 1] <= '9' ? x->v[i + 1] - '0' : x->v[i + 1] - 'A' + 10;
		d[i / 2] = (char)(hi << 4 | lo);
	}
	d[x->nv / 2] = 0;
	out.s = d;
	out.len = x->nv / 2;
	return out;
}

static int unset(const struct kv *x)
{
	return !x || !x->nv || (x->nv == 1 && x->v[0] == '?') || (x->nv == 6 && !memcmp(x->v, "(null)", 6)) ||
	       (x->nv == 6 && !memcmp(x->v, "(none)", 6)) || (x->nv == 10 && !memcmp(x->v, UNSET_ID, 10)) ||
	       (x->nv == 2 && !memcmp(x->v, "-1", 2)) || (x->nv == 5 && !memcmp(x->v, "unset", 5));
}

static int val_eq(struct tl_val a, struct tl_val b)
{
	return a.len == b.len && !memcmp(a.s, b.s, a.len);
}

/* ---- groups ---- */

struct line_text {
	char *text;
	size_t len;
	uint64_t line;
};

struct group {
	char key[160]; /* node + "S.MMM:SERIAL" */
	size_t nkey;
	int64_t ts_us;
	uint64_t serial;
	struct line_text *r;
	size_t n, cap, bytes, dropped;
	char host[128]; /* the syslog header's host, when no record names a node */
	size_t nhost;
	struct tl_record origin; /* the first record: the event's provenance */
	char excerpt[EXCERPT_BYTES + 1];
	const char *closed; /* why the group ended */
};

struct state {
	struct group *pending[MAX_PENDING];
	size_t npending;
	struct group **done; /* closed, in the order they closed */
	size_t ndone, capdone;
	struct group *out; /* the group whose event was handed out last */
	struct rec *recs;  /* scratch for building an event */
	size_t caprecs;
	struct kv *kvs;
	size_t capkvs;
};

static void group_free(struct group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->r[i].text);
	free(g->r);
	free(g);
}

static void *auditd_new(struct tl_err *err)
{
	struct state *st = calloc(1, sizeof(*st));
	if (!st)
		tl_errf(err, "out of memory");
	return st;
}

static void auditd_free(void *state)
{
	struct state *st = state;
	if (!st)
		return;
	for (size_t i = 0; i < st->npending; i++)
		group_free(st->pending[i]);
	for (size_t i = 0; i < st->ndone; i++)
		group_free(st->done[i]);
	group_free(st->out);
	free(st->done);
	free(st->recs);
	free(st->kvs);
	free(st);
}

static int group_key(const struct hdr *h, char *key, size_t cap, size_t *n)
{
	int k = snprintf(key, cap, "%.*s|%.*s", (int)(h->nnode < 100 ? h->nnode : 100), h->node ? h->node : "",
			 (int)h->nkey, h->stamp);
	if (k < 0 || (size_t)k >= cap)
		return -1;
	*n = (size_t)k;
	return 0;
}

static int group_add(struct group *g, const struct tl_record *rec)
{
	if (g->n >= MAX_GROUP_RECORDS || g->bytes + rec->len > MAX_GROUP_BYTES) {
		g->dropped++;
		return 0;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct line_text *v = realloc(g->r, cap * sizeof(*v));
		if (!v)
			return -1;
		g->r = v;
		g->cap = cap;
	}
	char *t = malloc(rec->len + 1);
	if (!t)
		return -1;
	memcpy(t, rec->text, rec->len);
	t[rec->len] = 0;
	g->r[g->n].text = t;
	g->r[g->n].len = rec->len;
	g->r[g->n].line = rec->line;
	g->n++;
	g->bytes += rec->len;
	return 0;
}

static struct group *group_new(const struct hdr *h, const struct tl_record *rec)
{
	struct group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	if (group_key(h, g->key, sizeof(g->key), &g->nkey) || group_add(g, rec)) {
		group_free(g);
		return NULL;
	}
	g->ts_us = h->ts_us;
	g->serial = h->serial;
	g->origin = *rec;
	size_t n = rec->raw_len < EXCERPT_BYTES ? rec->raw_len : EXCERPT_BYTES;
	memcpy(g->excerpt, rec->raw, n);
	g->excerpt[n] = 0;
	g->origin.raw = g->origin.text = g->excerpt;
	g->origin.raw_len = g->origin.len = n;
	return g;
}

/* Move pending[i] to the done queue. */
static int close_group(struct state *st, size_t i, const char *why)
{
	if (st->ndone == st->capdone) {
		size_t cap = st->capdone ? st->capdone * 2 : 16;
		struct group **v = realloc(st->done, cap * sizeof(*v));
		if (!v)
			return -1;
		st->done = v;
		st->capdone = cap;
	}
	struct group *g = st->pending[i];
	g->closed = why;
	st->done[st->ndone++] = g;
	memmove(&st->pending[i], &st->pending[i + 1], (st->npending - i - 1) * sizeof(*st->pending));
	st->npending--;
	return 0;
}

/* ---- one event from a group ---- */

static int extra(size_t *unkept_fields, struct tl_parse *p, struct tl_event *ev, const struct rec *r,
		 const char *prefix, const struct kv *x, struct tl_val v)
{
	char key[256];
	/* a group of hundreds of records can hold more fields than extra can: the
	 * rest are counted (audit.unkept_fields), never the event lost for it */
	if (ev->n_extra + 8 >= TL_PARSE_MAX_EXTRA) {
		(*unkept_fields)++;
		return 0;
	}
	snprintf(key, sizeof(key), "%s.%s%.*s", prefix, x->inner ? "msg." : "", (int)(x->nk < 200 ? x->nk : 200), x->k);
	/* numbers stay numbers in extra; ids like 0100755 or 00:00 stay text */
	int num = !x->quoted && v.s == x->v && v.len && v.len < 19 && span_digits(v.s, 0, v.len) == v.len &&
		  (v.len == 1 || v.s[0] != '0');
	/* SYSCALL's a0..a3 are registers in hex, whatever their digits look like */
	if (num && type_is(&r->h, "SYSCALL") && x->nk == 2 && x->k[0] == 'a')
		num = 0;
	return tl_parse_extra(p, ev, key, v.s, v.len, num ? TL_V_NUM : TL_V_STR);
}

/* 0 set (or already set), 1 the value does not fit the field, -1 out of memory */
static int set(struct tl_parse *p, struct tl_event *ev, enum tl_field_id id, struct tl_val v)
{
	return ev->f[id].s ? 0 : tl_parse_set(p, ev, id, v.s, v.len);
}

/* A field that does not fit (pid=abc) stays in extra, untaken. */
static int set_kv(struct tl_parse *p, struct tl_event *ev, enum tl_field_id id, struct rec *r, struct kv *x)
{
	if (!x || unset(x) || ev->f[id].s)
		return 0;
	int rc = set(p, ev, id, value(p, r, x));
	x->taken = rc == 0;
	return rc < 0 ? -1 : 0;
}

/* Where an ENRICHED name from winbind (DOMAIN\\user) or sssd (user@domain)
 * splits, as the account_name/account_domain transforms split it
 * (docs/format-definitions.md); NULL for a whole name. */
static const char *account_sep(struct tl_val v)
{
	const char *bs = memchr(v.s, '\\', v.len), *sep = bs ? bs : memchr(v.s, '@', v.len);
	return sep && sep != v.s && sep != v.s + v.len - 1 ? sep : NULL;
}

/* The account of V without its domain. */
static struct tl_val account_user(struct tl_val v)
{
	const char *sep = account_sep(v);
	if (!sep)
		return v;
	return *sep == '\\' ? (struct tl_val){ sep + 1, v.len - (size_t)(sep + 1 - v.s) } : (struct tl_val){ v.s, (size_t)(sep - v.s) };
}

/* An account into FIELD and its domain, if it names one, into DOM_FIELD: so
 * every source's user and user_domain meet. A split name stays in extra as
 * written (an interpretation takes nothing); a whole one is taken. */
static int set_account(struct tl_parse *p, struct tl_event *ev, enum tl_field_id field, enum tl_field_id dom_field,
		       struct rec *r, struct kv *x)
{
	struct tl_val v = value(p, r, x);
	const char *sep = account_sep(v);
	if (!sep) {
		int rc = set(p, ev, field, v);
		x->taken = rc == 0;
		return rc < 0 ? -1 : 0;
	}
	struct tl_val dom = *sep == '\\' ? (struct tl_val){ v.s, (size_t)(sep - v.s) }
					: (struct tl_val){ sep + 1, v.len - (size_t)(sep + 1 - v.s) };
	if (set(p, ev, field, account_user(v)) < 0 || set(p, ev, dom_field, dom) < 0)
		return -1;
	x->taken = 0;
	return 0;
}

static int valid_ip(struct tl_val v)
{
	char tmp[64];
	unsigned char out[16];
	if (!v.len || v.len >= sizeof(tmp))
		return 0;
	memcpy(tmp, v.s, v.len);
	tmp[v.len] = 0;
	return inet_pton(AF_INET, tmp, out) == 1 || inet_pton(AF_INET6, tmp, out) == 1;
}

static const char *class_of(const struct rec *r, size_t n)
{
	static const char *const auth[] = { "USER_AUTH", "USER_LOGIN", "USER_LOGOUT", "USER_ERR", "USER_START",
					    "USER_END", "USER_ACCT", "CRED_ACQ", "CRED_DISP", "CRED_REFR", NULL };
	static const char *const acct[] = { "ADD_USER", "DEL_USER", "ADD_GROUP", "DEL_GROUP", "USER_MGMT",
					    "GRP_MGMT", "USER_CHAUTHTOK", "GRP_CHAUTHTOK", "ACCT_LOCK", "ACCT_UNLOCK",
					    "CHUSER_ID", "CHGRP_ID", "ROLE_ASSIGN", "ROLE_REMOVE", NULL };
	int syscall = 0, path = 0;
	for (size_t i = 0; i < n; i++) {
		if (type_is(&r[i].h, "EXECVE") || type_is(&r[i].h, "USER_CMD"))
			return "process_activity";
		syscall |= type_is(&r[i].h, "SYSCALL");
		path |= type_is(&r[i].h, "PATH");
		for (const char *const *t = auth; *t; t++)
			if (type_is(&r[i].h, *t) || starts(r[i].h.type, r[i].h.ntype, "ANOM_LOGIN_"))
				return "authentication";
		for (const char *const *t = acct; *t; t++)
			if (type_is(&r[i].h, *t))
				return "account_change";
	}
	return syscall && path ? "file_activity" : NULL;
}

static enum tl_parse_status build(struct state *st, struct tl_parse *p, const struct group *g,
				  struct tl_event *ev, struct tl_err *err)
{
	struct tl_arena *a = tl_parse_arena(p);
	if (g->n > st->caprecs) {
		struct rec *v = realloc(st->recs, g->n * sizeof(*v));
		if (!v)
			goto oom;
		st->recs = v;
		st->caprecs = g->n;
	}
	struct rec *r = st->recs;
	size_t nkv = 0, unkept_fields = 0;
	if (!g->n)
		return tl_errf(err, "empty audit group"), TL_PARSE_REJECT;
	for (size_t i = 0; i < g->n; i++) {
		if (parse_header(g->r[i].text, g->r[i].len, &r[i].h))
			return tl_errf(err, "line %llu is no longer an audit record", (unsigned long long)g->r[i].line),
			       TL_PARSE_REJECT;
		r[i].line = g->r[i].line;
		if (st->capkvs < nkv + 2 * MAX_FIELDS) {
			/* room for this record's body and names; doubling keeps a big group linear */
			size_t cap = st->capkvs * 2 > nkv + 2 * MAX_FIELDS ? st->capkvs * 2 : nkv + 2 * MAX_FIELDS;
			struct kv *v = realloc(st->kvs, cap * sizeof(*v));
			if (!v)
				goto oom;
			st->kvs = v;
			st->capkvs = cap;
		}
		size_t n = 0;
		split_kv(r[i].h.body, r[i].h.nbody, st->kvs + nkv, &n, 0);
		r[i].names_from = (int)n;
		if (r[i].h.names && n < MAX_FIELDS) {
			size_t k = 0;
			split_kv(r[i].h.names, r[i].h.nnames, st->kvs + nkv + n, &k, 0);
			n += k;
		}
		r[i].n = n;
		nkv += n;
	}
	/* pointers into kvs only now: realloc above may have moved it */
	for (size_t i = 0, off = 0; i < g->n; off += r[i].n, i++)
		r[i].kv = st->kvs + off;

	/* time: the kernel's stamp, seconds since 1970 UTC with milliseconds */
	char rule[96];
	const struct hdr *h0 = &r[0].h;
	if (tl_time_parse(tl_parse_time(p), "epoch_s", h0->stamp, h0->nstamp, &ev->ts, rule, sizeof(rule)))
		return tl_errf(err, "audit stamp '%.*s' out of range", (int)h0->nstamp, h0->stamp), TL_PARSE_REJECT;
	ev->ts_raw.s = tl_arena_strndup(a, h0->stamp, h0->nstamp);
	ev->ts_raw.len = h0->nstamp;
	ev->ts_rule = tl_arena_strndup(a, rule, strlen(rule));
	ev->has_seq = 1;
	ev->seq = (int64_t)g->serial;
	if (!ev->ts_raw.s || !ev->ts_rule)
		goto oom;

	/* event_code: the record types, each once, in the order written */
	struct tl_buf codes = TL_BUF_INIT;
	codes.max = 4096;
	for (size_t i = 0; i < g->n; i++) {
		int seen = type_is(&r[i].h, "EOE");
		for (size_t k = 0; k < i && !seen; k++)
			seen = r[k].h.ntype == r[i].h.ntype && !memcmp(r[k].h.type, r[i].h.type, r[i].h.ntype);
		if (!seen && (codes.len ? tl_buf_addc(&codes, ',') : 0) == 0)
			tl_buf_add(&codes, r[i].h.type, r[i].h.ntype);
	}
	if (codes.len && tl_parse_set(p, ev, TL_F_event_code, codes.data, codes.len) < 0) {
		tl_buf_release(&codes);
		goto oom;
	}
	tl_buf_release(&codes);
	if (h0->node && h0->nnode)
		set(p, ev, TL_F_host, (struct tl_val){ h0->node, h0->nnode });
	else if (g->nhost)
		set(p, ev, TL_F_host, (struct tl_val){ g->host, g->nhost });

	/* the subject: the SYSCALL record, else the (user-space) first record */
	struct rec *subj = &r[0], *execve = NULL, *cwd = NULL, *proctitle = NULL, *syscall = NULL;
	for (size_t i = 0; i < g->n; i++) {
		if (!syscall && type_is(&r[i].h, "SYSCALL"))
			syscall = subj = &r[i];
		if (!execve && type_is(&r[i].h, "EXECVE"))
			execve = &r[i];
		if (!cwd && type_is(&r[i].h, "CWD"))
			cwd = &r[i];
		if (!proctitle && type_is(&r[i].h, "PROCTITLE"))
			proctitle = &r[i];
	}
	const char *cls = class_of(r, g->n);
	if (cls)
		set(p, ev, TL_F_class, (struct tl_val){ cls, strlen(cls) });
	struct kv *x;
	if (set_kv(p, ev, TL_F_process, subj, find(subj, "exe")) ||
	    set_kv(p, ev, TL_F_process_pid, subj, find(subj, "pid")) ||
	    set_kv(p, ev, TL_F_parent_pid, subj, find(subj, "ppid")) ||
	    set_kv(p, ev, TL_F_session_id, subj, find(subj, "ses")) ||
	    set_kv(p, ev, TL_F_rule, subj, find(subj, "key")))
		goto oom;
	/* The actor: the login identity (auid: who logged in, kept across su and
	 * sudo); when auid is unset (a daemon such as smbd or sshd acting for an
	 * account, a cron job, a service), the account the process runs as,
	 * uid. For a message without a login identity the account it names,
	 * acct=, comes first (sshd's USER_AUTH runs as root for "mallory"). The
	 * process's account is target_user when it differs from user. The text
	 * that became user is taken; the other ids stay in extra. */
	struct kv *auid = find(subj, "auid"), *uid = find(subj, "uid"), *acct = find(subj, "acct");
	struct kv *auid_name = find(subj, "AUID"), *uid_name = find(subj, "UID");
	struct kv *who = NULL, *target = NULL;
	if (!unset(auid)) {
		who = auid_name && !unset(auid_name) ? auid_name : auid;
		if (syscall && !unset(uid))
			target = uid_name && !unset(uid_name) ? uid_name : uid;
		else if (!syscall && !unset(acct))
			target = acct;
	} else if (!syscall && !unset(acct)) {
		who = acct;
	} else if (!unset(uid)) {
		who = uid_name && !unset(uid_name) ? uid_name : uid;
	}
	if (who && set_account(p, ev, TL_F_user, TL_F_user_domain, subj, who) < 0)
		goto oom;
	if (target && !(who && val_eq(account_user(value(p, subj, who)), account_user(value(p, subj, target))))) {
		if (set_account(p, ev, TL_F_target_user, TL_F_target_user_domain, subj, target) < 0)
			goto oom;
		if (target != acct)
			target->taken = 0; /* the process's account: also kept in extra */
	}
	/* outcome: success= of a syscall, res= of a message */
	x = syscall ? find(subj, "success") : find(subj, "res");
	if (x && x->nv) {
		struct tl_val v = value(p, subj, x);
		const char *o = val_eq(v, (struct tl_val){ "yes", 3 }) || val_eq(v, (struct tl_val){ "success", 7 }) ||
					val_eq(v, (struct tl_val){ "1", 1 })
				? "success"
			: val_eq(v, (struct tl_val){ "no", 2 }) || val_eq(v, (struct tl_val){ "failed", 6 }) ||
					val_eq(v, (struct tl_val){ "0", 1 })
				? "failure"
				: "unknown";
		if (set(p, ev, TL_F_outcome, (struct tl_val){ o, strlen(o) }) < 0)
			goto oom;
	}
	/* action: the vendor's operation name */
	if (syscall && (x = find(syscall, "SYSCALL")) && !unset(x))
		set(p, ev, TL_F_action, value(p, syscall, x));
	else if (execve)
		set(p, ev, TL_F_action, (struct tl_val){ "execve", 6 });
	else if (!syscall && (x = find(subj, "op")) && !unset(x))
		x->taken = 1, set(p, ev, TL_F_action, value(p, subj, x));
	if (!syscall && (x = find(subj, "addr")) && !unset(x) && valid_ip(value(p, subj, x)))
		set_kv(p, ev, TL_F_src_ip, subj, x);
	if (!syscall && (x = find(subj, "hostname")) && !unset(x) && !valid_ip(value(p, subj, x)))
		set_kv(p, ev, TL_F_src_host, subj, x);

	/* command line: EXECVE's arguments (decoded), else PROCTITLE, else sudo's cmd= */
	struct tl_buf cmd = TL_BUF_INIT;
	cmd.max = 1u << 20;
	if (execve && (x = find(execve, "argc"))) {
		long argc = strtol(x->v, NULL, 10);
		int whole = argc > 0 && argc <= 100000;
		for (long i = 0; whole && i < argc; i++) {
			char k[32];
			snprintf(k, sizeof(k), "a%ld", i);
			struct kv *ai = find(execve, k);
			if (!ai) {
				whole = 0;
				break;
			}
			struct tl_val v = value(p, execve, ai);
			if ((i && tl_buf_addc(&cmd, ' ')) || tl_buf_add(&cmd, v.s, v.len))
				whole = 0;
		}
		if (!whole)
			tl_buf_reset(&cmd);
	}
	if (!cmd.len && proctitle && (x = find(proctitle, "proctitle")) && !unset(x)) {
		struct tl_val v = value(p, proctitle, x);
		size_t n = v.len;
		while (n && v.s[n - 1] == 0)
			n--;
		for (size_t i = 0; i < n; i++)
			tl_buf_addc(&cmd, v.s[i] ? v.s[i] : ' '); /* NUL separates the arguments */
		x->taken = 1;
	}
	if (!cmd.len && !syscall && (x = find(subj, "cmd")) && !unset(x)) {
		struct tl_val v = value(p, subj, x);
		tl_buf_add(&cmd, v.s, v.len);
		x->taken = 1;
	}
	if (cmd.len && tl_parse_set(p, ev, TL_F_process_cmdline, cmd.data, cmd.len) < 0) {
		tl_buf_release(&cmd);
		goto oom;
	}
	tl_buf_release(&cmd);

	/* file: the first PATH item that is not a parent directory, made absolute with CWD */
	if (syscall && !execve) {
		for (size_t i = 0; i < g->n && !ev->f[TL_F_file].s; i++) {
			struct kv *nm = find(&r[i], "name"), *nt = find(&r[i], "nametype");
			if (!type_is(&r[i].h, "PATH") || unset(nm) || (nt && nt->nv == 6 && !memcmp(nt->v, "PARENT", 6)))
				continue;
			struct tl_val v = value(p, &r[i], nm);
			struct kv *cw = cwd ? find(cwd, "cwd") : NULL;
			struct tl_buf f = TL_BUF_INIT;
			f.max = 1u << 16;
			if (v.len && v.s[0] != '/' && cw && !unset(cw)) {
				struct tl_val c = value(p, cwd, cw);
				tl_buf_add(&f, c.s, c.len);
				if (c.len && c.s[c.len - 1] != '/')
					tl_buf_addc(&f, '/');
			}
			tl_buf_add(&f, v.s, v.len);
			const char *base = f.data ? f.data : "";
			size_t off = f.len;
			while (off && base[off - 1] != '/')
				off--;
			int bad = tl_parse_set(p, ev, TL_F_file, base, f.len) < 0 ||
				  (f.len > off && tl_parse_set(p, ev, TL_F_file_name, base + off, f.len - off) < 0);
			tl_buf_release(&f);
			if (bad)
				goto oom;
			nm->taken = 1;
		}
	}

	/* everything else goes to extra, each record under its own prefix */
	for (size_t i = 0; i < g->n; i++) {
		char prefix[64], type[40];
		size_t tn = r[i].h.ntype < sizeof(type) - 1 ? r[i].h.ntype : sizeof(type) - 1;
		for (size_t k = 0; k < tn; k++)
			type[k] = (char)(r[i].h.type[k] >= 'A' && r[i].h.type[k] <= 'Z' ? r[i].h.type[k] + 32 : r[i].h.type[k]);
		type[tn] = 0;
		if (type_is(&r[i].h, "EOE"))
			continue;
		if (!strcmp(type, "audit")) /* audit.* is the parser's own (serial, lines): no record may speak for it */
			snprintf(type, sizeof(type), "audit-record");
		size_t same = 0, before = 0;
		for (size_t k = 0; k < g->n; k++)
			if (r[k].h.ntype == r[i].h.ntype && !memcmp(r[k].h.type, r[i].h.type, r[i].h.ntype))
				same++, before += k < i;
		struct kv *item = type_is(&r[i].h, "PATH") ? find(&r[i], "item") : NULL;
		if (item && item->nv && item->nv < 8 && span_digits(item->v, 0, item->nv) == item->nv) {
			/* two PATH records claiming one item number are both kept */
			size_t dup = 0;
			for (size_t k = 0; k < i; k++) {
				struct kv *ik = type_is(&r[k].h, "PATH") ? find(&r[k], "item") : NULL;
				dup += ik && ik->nv == item->nv && !memcmp(ik->v, item->v, item->nv);
			}
			if (dup)
				snprintf(prefix, sizeof(prefix), "%s.%.*s.%zu", type, (int)item->nv, item->v, dup);
			else
				snprintf(prefix, sizeof(prefix), "%s.%.*s", type, (int)item->nv, item->v);
			item->taken = 1;
		} else if (same > 1) {
			snprintf(prefix, sizeof(prefix), "%s.%zu", type, before);
		} else {
			snprintf(prefix, sizeof(prefix), "%s", type);
		}
		for (size_t k = 0; k < r[i].n; k++) {
			struct kv *kx = &r[i].kv[k];
			if (kx->taken)
				continue;
			/* a key repeated inside one record: tl_parse_extra() keeps it as KEY#2 */
			if (extra(&unkept_fields, p, ev, &r[i], prefix, kx, value(p, &r[i], kx)))
				goto oom;
		}
	}
	/* provenance of the whole group: the event's own row points at its first record */
	char num[64];
	struct tl_buf lines = TL_BUF_INIT;
	lines.max = 1u << 20;
	tl_buf_addc(&lines, '[');
	for (size_t i = 0; i < g->n; i++)
		tl_buf_addf(&lines, "%s%llu", i ? "," : "", (unsigned long long)g->r[i].line);
	tl_buf_addc(&lines, ']');
	snprintf(num, sizeof(num), "%llu", (unsigned long long)g->serial);
	int bad = tl_parse_extra(p, ev, "audit.serial", num, strlen(num), TL_V_NUM) ||
		  tl_parse_extra(p, ev, "audit.lines", lines.data, lines.len, TL_V_JSON);
	tl_buf_release(&lines);
	if (!bad && g->closed)
		bad = tl_parse_extra(p, ev, "audit.closed", g->closed, strlen(g->closed), TL_V_STR);
	if (!bad && g->dropped) {
		snprintf(num, sizeof(num), "%zu", g->dropped);
		bad = tl_parse_extra(p, ev, "audit.unkept_records", num, strlen(num), TL_V_NUM);
	}
	if (!bad && unkept_fields) {
		snprintf(num, sizeof(num), "%zu", unkept_fields);
		bad = tl_parse_extra(p, ev, "audit.unkept_fields", num, strlen(num), TL_V_NUM);
	}
	if (bad)
		goto oom;
	return TL_PARSE_EVENT;
oom:
	tl_errf(err, "out of memory or past the limits building the audit event");
	return TL_PARSE_REJECT;
}

/* ---- the parser interface ---- */

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static enum tl_parse_status auditd_parse(void *state, struct tl_parse *p, const struct tl_record *rec,
					 struct tl_event *ev, struct tl_err *err)
{
	struct state *st = state;
	struct hdr h;
	if (blank(rec->text, rec->len))
		return TL_PARSE_META;
	if (parse_header(rec->text, rec->len, &h)) {
		tl_errf(err, "not an audit record (expected 'type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): ...')");
		return TL_PARSE_REJECT;
	}
	/* reached through the syslog dispatcher, the record is the message alone:
	 * the header's host stands for the node, as when this parser reads the
	 * header itself (syslog_prefix) */
	const char *ehost = NULL;
	size_t nehost = 0;
	if (!h.node && tl_parse_envelope(p, "syslog.host", &ehost, &nehost) && nehost < 128) {
		h.node = ehost;
		h.nnode = nehost;
	} else {
		ehost = NULL;
	}
	char key[160];
	size_t nkey;
	if (group_key(&h, key, sizeof(key), &nkey)) {
		tl_errf(err, "audit node name too long");
		return TL_PARSE_REJECT;
	}
	/* groups left behind by time or serial are over: auditd writes an event's
	 * records together, whatever interleaves with them */
	for (size_t i = 0; i < st->npending;) {
		struct group *g = st->pending[i];
		const char *why = h.ts_us - g->ts_us > CLOSE_AFTER_US ? "time"
				  : h.serial > g->serial + CLOSE_AFTER_SERIALS ? "serial" : NULL;
		if (why && (g->nkey != nkey || memcmp(g->key, key, nkey))) {
			if (close_group(st, i, why))
				return tl_errf(err, "out of memory"), TL_PARSE_REJECT;
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < st->npending; i++) {
		struct group *g = st->pending[i];
		if (g->nkey != nkey || memcmp(g->key, key, nkey))
			continue;
		if (group_add(g, rec) || (type_is(&h, "EOE") && close_group(st, i, "eoe")))
			return tl_errf(err, "out of memory"), TL_PARSE_REJECT;
		return TL_PARSE_MERGED;
	}
	if (type_is(&h, "EOE")) {
		tl_errf(err, "end-of-event marker without its records (serial %llu; the file may start mid-event)",
			(unsigned long long)h.serial);
		return TL_PARSE_REJECT;
	}
	struct group *g = group_new(&h, rec);
	if (!g)
		return tl_errf(err, "out of memory"), TL_PARSE_REJECT;
	if (ehost) {
		memcpy(g->host, ehost, nehost);
		g->nhost = nehost;
	}
	if (single_record_type(h.type, h.ntype)) {
		enum tl_parse_status s = build(st, p, g, ev, err);
		group_free(g);
		return s;
	}
	if (st->npending == MAX_PENDING && close_group(st, 0, "pending-limit")) {
		group_free(g);
		return tl_errf(err, "out of memory"), TL_PARSE_REJECT;
	}
	st->pending[st->npending++] = g;
	return TL_PARSE_PENDING;
}

static enum tl_parse_status auditd_flush(void *state, struct tl_parse *p, int final, struct tl_event *ev,
					 struct tl_record *origin, struct tl_err *err)
{
	struct state *st = state;
	group_free(st->out);
	st->out = NULL;
	if (!st->ndone && final && st->npending && close_group(st, 0, "end-of-file"))
		return tl_errf(err, "out of memory"), TL_PARSE_META;
	if (!st->ndone)
		return TL_PARSE_META;
	st->out = st->done[0];
	memmove(&st->done[0], &st->done[1], (st->ndone - 1) * sizeof(*st->done));
	st->ndone--;
	*origin = st->out->origin;
	return build(st, p, st->out, ev, err);
}

/* Sure when the first lines are audit records. */
static int auditd_probe(const char *head, size_t len)
{
	size_t i = 0, lines = 0, good = 0;
	while (i < len && lines < 20) {
		const char *nl = memchr(head + i, '\n', len - i);
		if (!nl)
			break; /* a cut last line proves nothing */
		size_t n = (size_t)(nl - head) - i;
		struct hdr h;
		if (!blank(head + i, n)) {
			lines++;
			good += parse_header(head + i, n, &h) == 0;
		}
		i += n + 1;
	}
	if (!lines && i < len) { /* one unterminated line */
		struct hdr h;
		lines = 1;
		good = parse_header(head + i, len - i, &h) == 0;
	}
	if (!lines || !good)
		return 0;
	return good == lines ? 95 : good * 2 > lines ? 75 : 30;
}

static const char *const samples[] = {
	"type=SYSCALL msg=audit(1783414661.335:485): arch=c000003e syscall=59 success=yes exit=0 a0=56111137e810 "
	"a1=561111382480 a2=561111385020 a3=21 items=2 ppid=2176 pid=2219 auid=1000 uid=0 gid=0 euid=0 suid=0 "
	"fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=8 comm=\"id\" exe=\"/usr/bin/id\" key=\"exec\"\n"
	"type=EXECVE msg=audit(1783414661.335:485): argc=1 a0=\"id\"\n"
	"type=CWD msg=audit(1783414661.335:485): cwd=\"/root\"\n"
	"type=PATH msg=audit(1783414661.335:485): item=0 name=\"/usr/bin/id\" inode=8633562 dev=fc:00 "
	"mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n"
	"type=PROCTITLE msg=audit(1783414661.335:485): proctitle=\"id\"\n"
	"type=EOE msg=audit(1783414661.335:485): \n",
	"type=USER_AUTH msg=audit(1783414613.119:441): pid=2124 uid=0 auid=4294967295 ses=4294967295 "
	"msg='op=PAM:authentication grantors=pam_unix acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=172.23.112.1 "
	"addr=172.23.112.1 terminal=ssh res=success'\x1dUID=\"root\" AUID=\"unset\"\n",
	NULL,
};

const struct tl_c_parser tl_parser_auditd = {
	.abi = TL_PARSER_ABI,
	.name = "auditd",
	.family = "hids",
	.version = "1.1.0",
	.title = "Linux audit log (auditd RAW/ENRICHED), records grouped into events",
	.source = "parsers/hids/auditd.c",
	.samples = samples,
	.ordered_within_us = 0,
	.max_record = 1u << 20,
	.probe = auditd_probe,
	.state_new = auditd_new,
	.state_free = auditd_free,
	.parse = auditd_parse,
	.flush = auditd_flush,
};
