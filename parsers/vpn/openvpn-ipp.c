/*
 * openvpn-ipp: the OpenVPN server's pool persistence file
 * (--ifconfig-pool-persist FILE [seconds]), docs/formats/openvpn-ipp.md.
 *
 * One line per pool address the server holds for a client:
 * "common_name,ipv4" (2.3 and older), "common_name,ipv4," or
 * "common_name,ipv4,ipv6" (2.4+). The server rewrites the whole file every
 * n seconds (default 600) and at exit. No line carries a time: the only
 * time there is, is when the file was written, i.e. its modification time.
 * So every line is a pool-assignment event (docs/event-model.md#sessions)
 * at the file's mtime, with ts_rule "file-mtime" so that nobody mistakes
 * it for a time the server logged: a copy that did not keep the mtime says
 * when it was copied.
 *
 * C, not a definition: the event time comes from the file system, which
 * the declarative language cannot name.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/registry.h"
#include "tl/banned.h"

struct span {
	const char *s;
	size_t n;
};

/* AF (AF_INET or AF_INET6) address in V, nothing else. */
static int is_addr(const struct span *v, int af)
{
	char buf[64];
	unsigned char bin[16];
	if (!v->n || v->n >= sizeof(buf))
		return 0;
	memcpy(buf, v->s, v->n);
	buf[v->n] = '\0';
	return inet_pton(af, buf, bin) == 1;
}

/* Split one line into its columns: returns 2 or 3 (name, ipv4[, ipv6]) and
 * fills V, or 0 when the line has another shape. */
static size_t columns(const char *s, size_t len, struct span v[3])
{
	size_t nv = 0, i = 0;
	for (;;) {
		const char *c = memchr(s + i, ',', len - i);
		size_t end = c ? (size_t)(c - s) : len;
		if (nv == 3)
			return 0;
		v[nv].s = s + i;
		v[nv].n = end - i;
		nv++;
		if (!c)
			break;
		i = end + 1;
	}
	return nv >= 2 ? nv : 0;
}

/* The line's shape is a pool entry: a name, then an IPv4 address (or none,
 * for an IPv6-only pool), then optionally an IPv6 address or nothing.
 * Returns NULL when it fits, else why not (with the value in *BAD, if any). */
static const char *misfit(const struct span *v, size_t nv, const struct span **bad)
{
	*bad = NULL;
	if (!nv)
		return "expected 2 or 3 comma-separated values (common_name,IPv4[,IPv6])";
	if (!v[0].n)
		return "empty common name";
	int v6 = nv == 3 && is_addr(&v[2], AF_INET6);
	if (nv == 3 && v[2].n && !v6)
		return *bad = &v[2], "third value is not an IPv6 address";
	if (!is_addr(&v[1], AF_INET) && (v[1].n || !v6))
		return *bad = &v[1], v[1].n ? "second value is not an IPv4 address" : "no pool address";
	return NULL;
}

static int fits(const struct span *v, size_t nv)
{
	const struct span *bad;
	return !misfit(v, nv, &bad);
}

static size_t trim(const char *s, size_t len)
{
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	return len;
}

static int set(struct tl_parse *p, struct tl_event *ev, enum tl_field_id id, const char *s)
{
	return tl_parse_set(p, ev, id, s, strlen(s)) < 0 ? -1 : 0;
}

static enum tl_parse_status ipp_parse(void *state, struct tl_parse *p, const struct tl_record *rec,
				      struct tl_event *ev, struct tl_err *err)
{
	(void)state;
	size_t len = trim(rec->text, rec->len);
	if (!len)
		return TL_PARSE_META;
	struct span v[3];
	size_t nv = columns(rec->text, len, v);
	const struct span *bad;
	const char *why = misfit(v, nv, &bad);
	if (why) {
		if (bad)
			tl_errf(err, "%s: '%.*s'", why, (int)(bad->n < 64 ? bad->n : 64), bad->s);
		else
			tl_errf(err, "%s", why);
		return TL_PARSE_REJECT;
	}
	const struct tl_time_ctx *t = tl_parse_time(p);
	char iso[32], msg[256];
	if (t->ref_utc > INT64_MAX / TL_US_PER_SEC || t->ref_utc < INT64_MIN / TL_US_PER_SEC ||
	    !tl_time_format_iso(t->ref_utc * TL_US_PER_SEC, iso, sizeof(iso))) {
		tl_errf(err, "file modification time %lld cannot be placed", (long long)t->ref_utc);
		return TL_PARSE_REJECT;
	}
	ev->ts = t->ref_utc * TL_US_PER_SEC;
	struct tl_arena *a = tl_parse_arena(p);
	ev->ts_raw.s = tl_arena_strndup(a, iso, strlen(iso));
	ev->ts_raw.len = strlen(iso);
	ev->ts_rule = tl_arena_strndup(a, "file-mtime", 10);
	const struct span *v6 = nv == 3 && v[2].n ? &v[2] : NULL;
	snprintf(msg, sizeof(msg), "pool assignment %.*s -> %.*s%s%.*s", (int)(v[0].n < 96 ? v[0].n : 96), v[0].s,
		 (int)v[1].n, v[1].s, v6 && v[1].n ? " " : "", v6 ? (int)v6->n : 0, v6 ? v6->s : "");
	if (!ev->ts_raw.s || !ev->ts_rule || set(p, ev, TL_F_class, "network_activity") ||
	    set(p, ev, TL_F_action, "pool-assignment") || tl_parse_set(p, ev, TL_F_user, v[0].s, v[0].n) < 0 ||
	    (v[1].n && tl_parse_extra(p, ev, "assigned_ip", v[1].s, v[1].n, TL_V_STR)) ||
	    (v6 && tl_parse_extra(p, ev, "assigned_ip6", v6->s, v6->n, TL_V_STR)) || set(p, ev, TL_F_message, msg)) {
		tl_errf(err, "out of memory");
		return TL_PARSE_REJECT;
	}
	return TL_PARSE_EVENT;
}

/* Content only, and strict: the file is a bare CSV, so every complete line
 * of the head must be a pool entry (a valid address in its place), and the
 * score stays below any format with a signature of its own. */
static int ipp_probe(const char *head, size_t len)
{
	size_t i = 0, lines = 0;
	while (i < len) {
		const char *nl = memchr(head + i, '\n', len - i);
		size_t n = trim(head + i, nl ? (size_t)(nl - (head + i)) : len - i);
		struct span v[3];
		int ok = !n || fits(v, columns(head + i, n, v));
		/* a last line without its newline may be cut by the head's end:
		 * it counts only for a file that has no other line */
		if (!ok && (nl || !lines))
			return 0;
		lines += n && ok;
		if (!nl)
			break;
		i = (size_t)(nl - head) + 1;
	}
	return lines ? 60 : 0;
}

static void *ipp_new(struct tl_err *err)
{
	(void)err;
	static char none; /* stateless: any non-NULL pointer */
	return &none;
}

static void ipp_free(void *state)
{
	(void)state;
}

static const char *const samples[] = {
	"mchen,10.8.0.6,\n"
	"alice.r,10.8.0.10,fd00:8::1000\n",
	"mchen,10.8.0.6\n",
	NULL,
};

const struct tl_c_parser tl_parser_openvpn_ipp = {
	.abi = TL_PARSER_ABI,
	.name = "openvpn-ipp",
	.family = "vpn",
	.version = "1.0.0",
	.title = "OpenVPN ifconfig-pool-persist file: pool assignments at the file's modification time",
	.source = "parsers/vpn/openvpn-ipp.c",
	.samples = samples,
	.ordered_within_us = 0,
	.max_record = 0,
	.probe = ipp_probe,
	.state_new = ipp_new,
	.state_free = ipp_free,
	.parse = ipp_parse,
};
