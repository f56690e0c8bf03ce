/*
 * openvpn-status: the OpenVPN server's status file (--status FILE [n],
 * --status-version 1, 2 or 3), docs/formats/openvpn-status.md.
 *
 * The file is a snapshot, rewritten every n seconds: the clients connected at
 * that moment, with their real and virtual addresses, bytes and the time each
 * connected, and the routing table (which virtual address belongs to which
 * client, last used when). Version 1 is sections ("OpenVPN CLIENT LIST",
 * "ROUTING TABLE", "GLOBAL STATS") each with a column line; versions 2 (comma)
 * and 3 (tab) tag every line (TITLE, TIME, HEADER, CLIENT_LIST,
 * ROUTING_TABLE, GLOBAL_STATS, END) and name the columns in HEADER lines.
 * Titles, column lines, statistics and END carry no time and are meta; the
 * snapshot time, each client and each route are events. A client is a
 * session-start (docs/event-model.md#sessions) at its "Connected Since"; a
 * route to a client's own address joins that session (it is where version 1
 * names the address).
 *
 * C, not a definition: the column names come from the file (HEADER lines),
 * and the lines without a time must be meta, not rejects.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/registry.h"
#include "tl/banned.h"

#define MAX_COLUMNS 32
#define MAX_NAME 48

struct cols {
	size_t n;
	char name[MAX_COLUMNS][MAX_NAME];
};

enum section { SEC_NONE, SEC_CLIENT, SEC_ROUTING, SEC_STATS };

struct span {
	const char *s;
	size_t n;
};

/* Routing rows name the client by certificate CN only; a client row may
 * give its auth user name too. Remembered per file so that both rows of one
 * client name the same account (and join the same session). */
#define MAX_CLIENTS 4096
#define MAX_ID 96
struct client {
	char cn[MAX_ID], real[MAX_ID], user[MAX_ID];
};

struct state {
	enum section v1; /* version 1: the section we are in */
	struct cols client, routing;
	struct client *clients;
	size_t nclients;
};

static void copy_id(char *dst, const struct span *v)
{
	size_t n = v && v->n < MAX_ID ? v->n : 0;
	if (n)
		memcpy(dst, v->s, n);
	dst[n] = '\0';
}

static void remember(struct state *st, const struct span *cn, const struct span *real, const struct span *user)
{
	if (!cn || !real || !user || st->nclients == MAX_CLIENTS || cn->n >= MAX_ID || real->n >= MAX_ID ||
	    user->n >= MAX_ID)
		return;
	struct client *c = &st->clients[st->nclients++];
	copy_id(c->cn, cn);
	copy_id(c->real, real);
	copy_id(c->user, user);
}

static const char *recall(const struct state *st, const struct span *cn, const struct span *real)
{
	for (size_t i = st->nclients; cn && real && i-- > 0;) {
		const struct client *c = &st->clients[i];
		if (strlen(c->cn) == cn->n && !memcmp(c->cn, cn->s, cn->n) && strlen(c->real) == real->n &&
		    !memcmp(c->real, real->s, real->n))
			return c->user;
	}
	return NULL;
}

static const char *const v1_client[] = { "Common Name", "Real Address", "Bytes Received", "Bytes Sent",
					 "Connected Since", NULL };
static const char *const v1_routing[] = { "Virtual Address", "Common Name", "Real Address", "Last Ref", NULL };
/* version 2/3 without a HEADER line (2.4+ layout) */
static const char *const v2_client[] = { "Common Name", "Real Address", "Virtual Address", "Virtual IPv6 Address",
					 "Bytes Received", "Bytes Sent", "Connected Since", "Connected Since (time_t)",
					 "Username", "Client ID", "Peer ID", "Data Channel Cipher", NULL };
static const char *const v2_routing[] = { "Virtual Address", "Common Name", "Real Address", "Last Ref",
					  "Last Ref (time_t)", NULL };

static void set_cols(struct cols *c, const char *const *names)
{
	c->n = 0;
	for (; *names && c->n < MAX_COLUMNS; names++, c->n++)
		snprintf(c->name[c->n], MAX_NAME, "%s", *names);
}

/* Split S at SEP into at most MAX values; returns the count, or MAX + 1 when
 * there were more. The status file never quotes values. */
static size_t split(const char *s, size_t len, char sep, struct span *v, size_t max)
{
	size_t nv = 0, i = 0;
	for (;;) {
		const char *c = memchr(s + i, sep, len - i);
		size_t end = c ? (size_t)(c - s) : len;
		if (nv == max)
			return max + 1;
		v[nv].s = s + i;
		v[nv].n = end - i;
		while (v[nv].n && v[nv].s[v[nv].n - 1] == '\r')
			v[nv].n--;
		nv++;
		if (!c)
			return nv;
		i = end + 1;
	}
}

static int is(const struct span *v, const char *lit)
{
	return v->n == strlen(lit) && !memcmp(v->s, lit, v->n);
}

static int starts(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && !memcmp(s, p, n);
}

static void cols_from(struct cols *c, const struct span *v, size_t n)
{
	c->n = 0;
	for (size_t i = 0; i < n && c->n < MAX_COLUMNS; i++, c->n++) {
		size_t k = v[i].n < MAX_NAME ? v[i].n : MAX_NAME - 1;
		memcpy(c->name[c->n], v[i].s, k);
		c->name[c->n][k] = '\0';
	}
}

static int is_addr(const struct span *v)
{
	char buf[64];
	unsigned char bin[16];
	if (!v->n || v->n >= sizeof(buf))
		return 0;
	memcpy(buf, v->s, v->n);
	buf[v->n] = '\0';
	return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

static int set_time(struct tl_parse *p, struct tl_event *ev, const struct span *epoch, const struct span *text)
{
	static const char *const formats[] = { "%Y-%m-%d %H:%M:%S", "%a %b %e %H:%M:%S %Y" };
	char rule[128];
	const struct span *used = NULL;
	if (epoch && epoch->n && !tl_time_parse(tl_parse_time(p), "epoch_s", epoch->s, epoch->n, &ev->ts, rule, sizeof(rule)))
		used = epoch;
	for (size_t i = 0; !used && text && text->n && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!tl_time_parse(tl_parse_time(p), formats[i], text->s, text->n, &ev->ts, rule, sizeof(rule)))
			used = text;
	if (!used)
		return 1;
	struct tl_arena *a = tl_parse_arena(p);
	ev->ts_raw.s = tl_arena_strndup(a, used->s, used->n);
	ev->ts_raw.len = used->n;
	ev->ts_rule = tl_arena_strndup(a, rule, strlen(rule));
	return ev->ts_raw.s && ev->ts_rule ? 0 : -1;
}

static int set(struct tl_parse *p, struct tl_event *ev, enum tl_field_id id, const char *s)
{
	return tl_parse_set(p, ev, id, s, strlen(s)) < 0 ? -1 : 0;
}

/* "198.51.100.44:51234", "[AF_INET]198.51.100.44:51234", "2001:db8::1:51234" */
static int set_real(struct tl_parse *p, struct tl_event *ev, struct span r)
{
	if (starts(r.s, r.n, "[AF_INET6]"))
		r.s += 10, r.n -= 10;
	else if (starts(r.s, r.n, "[AF_INET]"))
		r.s += 9, r.n -= 9;
	size_t c = r.n;
	while (c && r.s[c - 1] != ':')
		c--;
	struct span host = { r.s, c ? c - 1 : r.n };
	if (c && is_addr(&host)) {
		if (tl_parse_set(p, ev, TL_F_src_ip, host.s, host.n) < 0 ||
		    tl_parse_set(p, ev, TL_F_src_port, r.s + c, r.n - c) < 0)
			return -1;
		return 0;
	}
	return tl_parse_extra(p, ev, "Real Address", r.s, r.n, TL_V_STR) ? -1 : 0;
}

/* One CLIENT_LIST or ROUTING_TABLE row as an event. */
static enum tl_parse_status row(struct state *st, struct tl_parse *p, struct tl_event *ev, const struct cols *c,
				const struct span *v, size_t nv, int client, struct tl_err *err)
{
	const struct span *cn = NULL, *user = NULL, *real = NULL, *virt = NULL, *virt6 = NULL, *epoch = NULL,
			  *text = NULL;
	for (size_t i = 0; i < nv && i < c->n; i++) {
		const char *name = c->name[i];
		if (!strcmp(name, "Common Name"))
			cn = &v[i];
		else if (!strcmp(name, "Username"))
			user = &v[i];
		else if (!strcmp(name, "Real Address"))
			real = &v[i];
		else if (!strcmp(name, "Virtual Address"))
			virt = &v[i];
		else if (!strcmp(name, "Virtual IPv6 Address"))
			virt6 = &v[i];
		else if (!strcmp(name, "Connected Since (time_t)") || !strcmp(name, "Last Ref (time_t)"))
			epoch = &v[i];
		else if (!strcmp(name, "Connected Since") || !strcmp(name, "Last Ref"))
			text = &v[i];
	}
	int t = set_time(p, ev, epoch, text);
	if (t < 0)
		goto oom;
	if (t) {
		tl_errf(err, "%s row without a time it can be placed at", client ? "CLIENT_LIST" : "ROUTING_TABLE");
		return TL_PARSE_REJECT;
	}
	int own = virt && is_addr(virt); /* not a MAC (TAP) or an iroute subnet ("10.99.0.0/24") */
	if (set(p, ev, TL_F_class, "network_activity") || set(p, ev, TL_F_outcome, "success") ||
	    set(p, ev, TL_F_action, client || own ? "session-start" : "route") ||
	    set(p, ev, TL_F_event_code, client ? "CLIENT_LIST" : "ROUTING_TABLE"))
		goto oom;
	/* the account: the auth user name when there is one, else the certificate CN */
	const struct span *who = user && user->n && !is(user, "UNDEF") ? user : cn;
	const char *known = !client ? recall(st, cn, real) : NULL;
	if (client && who != cn)
		remember(st, cn, real, who);
	if (known ? tl_parse_set(p, ev, TL_F_user, known, strlen(known)) < 0
		  : who && who->n && tl_parse_set(p, ev, TL_F_user, who->s, who->n) < 0)
		goto oom;
	if (real && real->n && set_real(p, ev, *real))
		goto oom;
	if (own && tl_parse_extra(p, ev, memchr(virt->s, ':', virt->n) ? "assigned_ip6" : "assigned_ip", virt->s,
				  virt->n, TL_V_STR))
		goto oom;
	if (virt6 && virt6->n && tl_parse_extra(p, ev, "assigned_ip6", virt6->s, virt6->n, TL_V_STR))
		goto oom;
	for (size_t i = 0; i < nv; i++) {
		char buf[24];
		const char *name = i < c->n ? c->name[i] : (snprintf(buf, sizeof(buf), "column_%zu", i + 1), buf);
		const struct span *x = &v[i];
		if (!x->n || x == real || x == virt6 || (x == virt && own) || (x == who && !known) || x == epoch ||
		    (x == text && !epoch))
			continue;
		/* bytes as the server counts them: received from the client is what the client sent */
		if (!strcmp(name, "Bytes Received") && !tl_parse_set(p, ev, TL_F_bytes_out, x->s, x->n))
			continue;
		if (!strcmp(name, "Bytes Sent") && !tl_parse_set(p, ev, TL_F_bytes_in, x->s, x->n))
			continue;
		if (tl_parse_extra(p, ev, name, x->s, x->n, TL_V_STR))
			goto oom;
	}
	char msg[160];
	snprintf(msg, sizeof(msg), "%s %.*s %.*s -> %.*s", client ? "client" : "route", who ? (int)who->n : 0,
		 who ? who->s : "", real ? (int)real->n : 0, real ? real->s : "", virt ? (int)virt->n : 0,
		 virt ? virt->s : "");
	if (set(p, ev, TL_F_message, msg))
		goto oom;
	return TL_PARSE_EVENT;
oom:
	tl_errf(err, "out of memory");
	return TL_PARSE_REJECT;
}

static enum tl_parse_status snapshot(struct tl_parse *p, struct tl_event *ev, const struct span *epoch,
				     const struct span *text, struct tl_err *err)
{
	int t = set_time(p, ev, epoch, text);
	if (t < 0 || (!t && (set(p, ev, TL_F_class, "network_activity") || set(p, ev, TL_F_action, "status-snapshot") ||
			     set(p, ev, TL_F_message, "status written") ||
			     (epoch && text && text->n &&
			      tl_parse_extra(p, ev, "time", text->s, text->n, TL_V_STR))))) {
		tl_errf(err, "out of memory");
		return TL_PARSE_REJECT;
	}
	if (t) {
		tl_errf(err, "status time '%.*s' is not a time", text ? (int)text->n : 0, text ? text->s : "");
		return TL_PARSE_REJECT;
	}
	return TL_PARSE_EVENT;
}

static enum tl_parse_status status_parse(void *state, struct tl_parse *p, const struct tl_record *rec,
					 struct tl_event *ev, struct tl_err *err)
{
	struct state *st = state;
	const char *s = rec->text;
	size_t len = rec->len;
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (!len)
		return TL_PARSE_META;
	struct span v[MAX_COLUMNS + 2];
	size_t tag = strcspn(s, ",\t");
	char sep = tag < len ? s[tag] : ',';
	size_t nv = split(s, len, sep, v, MAX_COLUMNS + 1);
	if (nv > MAX_COLUMNS + 1) {
		tl_errf(err, "more than %d values in one line", MAX_COLUMNS);
		return TL_PARSE_REJECT;
	}

	/* versions 2 and 3: every line says what it is */
	if (is(&v[0], "TITLE") || is(&v[0], "GLOBAL_STATS") || is(&v[0], "END"))
		return TL_PARSE_META;
	if (is(&v[0], "HEADER") && nv >= 2) {
		if (is(&v[1], "CLIENT_LIST"))
			cols_from(&st->client, v + 2, nv - 2);
		else if (is(&v[1], "ROUTING_TABLE"))
			cols_from(&st->routing, v + 2, nv - 2);
		return TL_PARSE_META;
	}
	if (is(&v[0], "TIME") && nv >= 2)
		return snapshot(p, ev, nv >= 3 ? &v[2] : NULL, &v[1], err);
	if (is(&v[0], "CLIENT_LIST")) {
		if (!st->client.n || st->v1)
			set_cols(&st->client, v2_client), st->v1 = SEC_NONE;
		return row(st, p, ev, &st->client, v + 1, nv - 1, 1, err);
	}
	if (is(&v[0], "ROUTING_TABLE")) {
		if (!st->routing.n || st->v1)
			set_cols(&st->routing, v2_routing), st->v1 = SEC_NONE;
		return row(st, p, ev, &st->routing, v + 1, nv - 1, 0, err);
	}

	/* version 1: sections */
	if (starts(s, len, "OpenVPN CLIENT LIST")) {
		st->v1 = SEC_CLIENT;
		set_cols(&st->client, v1_client);
		return TL_PARSE_META;
	}
	if (starts(s, len, "ROUTING TABLE")) {
		st->v1 = SEC_ROUTING;
		set_cols(&st->routing, v1_routing);
		return TL_PARSE_META;
	}
	if (starts(s, len, "GLOBAL STATS")) {
		st->v1 = SEC_STATS;
		return TL_PARSE_META;
	}
	if (st->v1 == SEC_STATS)
		return TL_PARSE_META;
	if (is(&v[0], "Updated") && nv == 2)
		return snapshot(p, ev, NULL, &v[1], err);
	if (st->v1 == SEC_CLIENT && is(&v[0], "Common Name")) {
		cols_from(&st->client, v, nv);
		return TL_PARSE_META;
	}
	if (st->v1 == SEC_ROUTING && is(&v[0], "Virtual Address")) {
		cols_from(&st->routing, v, nv);
		return TL_PARSE_META;
	}
	if (st->v1 == SEC_CLIENT && nv == st->client.n)
		return row(st, p, ev, &st->client, v, nv, 1, err);
	if (st->v1 == SEC_ROUTING && nv == st->routing.n)
		return row(st, p, ev, &st->routing, v, nv, 0, err);
	tl_errf(err, "not an OpenVPN status line (version 1 section row, or TITLE/TIME/HEADER/CLIENT_LIST/"
		     "ROUTING_TABLE/GLOBAL_STATS/END)");
	return TL_PARSE_REJECT;
}

static int contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (!memcmp(s + i, needle, n))
			return 1;
	return 0;
}

static int status_probe(const char *head, size_t len)
{
	if (starts(head, len, "OpenVPN CLIENT LIST\n") || starts(head, len, "OpenVPN CLIENT LIST\r\n"))
		return 95;
	if ((starts(head, len, "TITLE,OpenVPN ") || starts(head, len, "TITLE\tOpenVPN ")) ||
	    (starts(head, len, "TITLE,") && contains(head, len, "\nHEADER,CLIENT_LIST,")) ||
	    (starts(head, len, "TITLE\t") && contains(head, len, "\nHEADER\tCLIENT_LIST\t")))
		return 95;
	return 0;
}

static void *status_new(struct tl_err *err)
{
	struct state *st = calloc(1, sizeof(*st));
	if (st)
		st->clients = calloc(MAX_CLIENTS, sizeof(*st->clients));
	if (!st || !st->clients) {
		free(st);
		tl_errf(err, "out of memory");
		return NULL;
	}
	return st;
}

static void status_free(void *state)
{
	struct state *st = state;
	if (st)
		free(st->clients);
	free(st);
}

static const char *const samples[] = {
	"TITLE,OpenVPN 2.6.8 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [MH/PKTINFO] [AEAD]\n"
	"TIME,2026-11-19 10:00:00,1795082400\n"
	"HEADER,CLIENT_LIST,Common Name,Real Address,Virtual Address,Virtual IPv6 Address,Bytes Received,"
	"Bytes Sent,Connected Since,Connected Since (time_t),Username,Client ID,Peer ID,Data Channel Cipher\n"
	"CLIENT_LIST,mchen,198.51.100.44:51234,10.8.0.6,,402113,1834231,2026-11-19 08:02:11,1795071731,UNDEF,0,0,"
	"AES-256-GCM\n"
	"END\n",
	"OpenVPN CLIENT LIST\n"
	"Updated,2026-11-19 10:00:00\n"
	"Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since\n"
	"mchen,198.51.100.44:51234,402113,1834231,2026-11-19 08:02:11\n"
	"ROUTING TABLE\n"
	"Virtual Address,Common Name,Real Address,Last Ref\n"
	"10.8.0.6,mchen,198.51.100.44:51234,2026-11-19 09:59:58\n"
	"GLOBAL STATS\n"
	"Max bcast/mcast queue length,1\n"
	"END\n",
	NULL,
};

const struct tl_c_parser tl_parser_openvpn_status = {
	.abi = TL_PARSER_ABI,
	.name = "openvpn-status",
	.family = "vpn",
	.version = "1.0.0",
	.title = "OpenVPN server status file (--status, versions 1, 2 and 3): connected clients as session evidence",
	.source = "parsers/vpn/openvpn-status.c",
	.samples = samples,
	.ordered_within_us = 0,
	.max_record = 0,
	.probe = status_probe,
	.state_new = status_new,
	.state_free = status_free,
	.parse = status_parse,
};
