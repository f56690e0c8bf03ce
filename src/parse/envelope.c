/*
 * Envelopes: the header a transport wraps around a record, read once so every
 * payload definition can use its fields (docs/format-definitions.md#envelope).
 * Today the one envelope is syslog: RFC 3164 (PRI optional, yearless, year-ful
 * and RFC 3339 times, host and tag optional), RFC 5424 with structured data, and
 * a relay's header in front of the origin's. This file only finds the pieces;
 * engine.c turns them into fields. It is a hand-written scanner, not a regex:
 * it runs on every record of every syslog file.
 */
#include "format-internal.h"

#include <string.h>

#include "tl/banned.h"

static int digit(char c) { return c >= '0' && c <= '9'; }

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* "hh:mm:ss" with optional ".frac" at S; returns its length or 0. */
static size_t clock_len(const char *s, size_t len)
{
	if (len < 8 || !digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) || !digit(s[4]) || s[5] != ':' ||
	    !digit(s[6]) || !digit(s[7]))
		return 0;
	size_t i = 8;
	if (i + 1 < len && s[i] == '.' && digit(s[i + 1]))
		for (i++; i < len && digit(s[i]); i++)
			;
	return i;
}

/* A BSD time ("Nov  3 21:42:57", "Apr 15 2013 09:36:50") or an RFC 3339 one
 * (rsyslog's RFC3339 template, RFC 5424). Returns its length or 0. */
static size_t time_len(const char *s, size_t len)
{
	if (len >= 15) {
		int mon = 0;
		for (size_t m = 0; m < 12 && !mon; m++)
			mon = !memcmp(s, months[m], 3);
		if (mon && s[3] == ' ' && (digit(s[4]) || s[4] == ' ') && digit(s[5]) && s[6] == ' ') {
			size_t i = 7, c;
			if (len >= 20 && digit(s[7]) && digit(s[8]) && digit(s[9]) && digit(s[10]) && s[11] == ' ')
				i = 12; /* a year (Cisco "logging timestamp" with year) */
			c = clock_len(s + i, len - i);
			return c ? i + c : 0;
		}
	}
	if (len >= 19 && digit(s[0]) && digit(s[1]) && digit(s[2]) && digit(s[3]) && s[4] == '-' && digit(s[5]) &&
	    digit(s[6]) && s[7] == '-' && digit(s[8]) && digit(s[9]) && (s[10] == 'T' || s[10] == ' ')) {
		size_t c = clock_len(s + 11, len - 11);
		if (!c || s[10] == ' ')
			return 0;
		size_t i = 11 + c;
		if (i < len && s[i] == 'Z')
			return i + 1;
		if (i + 6 <= len && (s[i] == '+' || s[i] == '-') && digit(s[i + 1]) && digit(s[i + 2]) && s[i + 3] == ':' &&
		    digit(s[i + 4]) && digit(s[i + 5]))
			return i + 6;
		return i;
	}
	return 0;
}

static size_t token(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != ' ')
		i++;
	return i;
}

/* "prog[pid]:" or "prog:" at S..E (E is the token end). */
static int tag(const char *s, size_t b, size_t e, struct tl_syslog_hdr *h)
{
	if (e - b < 2 || s[e - 1] != ':')
		return 0;
	size_t end = e - 1;
	if (s[end - 1] == ']') {
		size_t o = end - 1;
		while (o > b && s[o] != '[')
			o--;
		if (o == b || o + 1 >= end - 1)
			return 0;
		for (size_t k = o + 1; k < end - 1; k++)
			if (!digit(s[k]))
				return 0;
		h->pid.s = s + o + 1;
		h->pid.len = end - 1 - o - 1;
		end = o;
	}
	h->program.s = s + b;
	h->program.len = end - b;
	return 1;
}

static int parse_5424(const char *s, size_t len, size_t i, struct tl_syslog_hdr *h)
{
	struct tl_val *parts[] = { &h->ts, &h->host, &h->program, &h->pid, &h->msgid };
	h->version.s = s + i;
	h->version.len = 1;
	i += 2;
	for (size_t k = 0; k < 5; k++) {
		size_t e = token(s, len, i);
		if (e == i || e >= len)
			return -1;
		/* "-" is RFC 5424's NILVALUE: the part is absent */
		if (!(e - i == 1 && s[i] == '-')) {
			parts[k]->s = s + i;
			parts[k]->len = e - i;
		}
		i = e + 1;
	}
	if (h->ts.s && time_len(h->ts.s, h->ts.len) != h->ts.len)
		return -1;
	/* STRUCTURED-DATA: "-" or one or more [id param="value"...], values escape \" \\ \] */
	if (i < len && s[i] == '-') {
		i++;
	} else if (i < len && s[i] == '[') {
		size_t b = i;
		while (i < len && s[i] == '[') {
			int q = 0;
			for (i++; i < len; i++) {
				if (q && s[i] == '\\')
					i++;
				else if (s[i] == '"')
					q = !q;
				else if (!q && s[i] == ']')
					break;
			}
			if (i >= len)
				return -1;
			i++;
		}
		h->sd.s = s + b;
		h->sd.len = i - b;
	} else {
		return -1;
	}
	if (i < len && s[i] == ' ')
		i++;
	/* RFC 5424 6.4: a UTF-8 message may start with a byte order mark */
	if (i + 3 <= len && !memcmp(s + i, "\xEF\xBB\xBF", 3))
		i += 3;
	h->rfc5424 = 1;
	h->body = i;
	return 0;
}

int tl_syslog_header(const char *s, size_t len, struct tl_syslog_hdr *h)
{
	size_t i = 0;
	memset(h, 0, sizeof(*h));
	if (len > 2 && s[0] == '<') {
		size_t k = 1;
		int pri = 0;
		while (k < len && k < 4 && digit(s[k]))
			pri = pri * 10 + (s[k++] - '0');
		/* PRI is facility * 8 + severity: at most 23 * 8 + 7 */
		if (k == 1 || k >= len || s[k] != '>' || pri > 191)
			return -1;
		h->pri.s = s + 1;
		h->pri.len = k - 1;
		i = k + 1;
	}
	if (i + 2 < len && digit(s[i]) && s[i] != '0' && s[i + 1] == ' ' && h->pri.s)
		return parse_5424(s, len, i, h);
	size_t t = time_len(s + i, len - i);
	if (!t)
		return -1;
	h->ts.s = s + i;
	h->ts.len = t;
	i += t;
	if (i < len && s[i] == ':') /* Cisco: "Apr 15 2013 09:36:50: %ASA-..." */
		i++;
	while (i < len && s[i] == ' ')
		i++;
	/* HOSTNAME is optional (a local writer omits it); a token ending in ':' is the tag */
	size_t e = token(s, len, i);
	if (e > i && !tag(s, i, e, h)) {
		h->host.s = s + i;
		h->host.len = e - i;
		i = e < len ? e + 1 : e;
		e = token(s, len, i);
		if (e > i && tag(s, i, e, h))
			i = e;
	} else if (e > i) {
		i = e;
	}
	if (i < len && s[i] == ' ')
		i++;
	h->body = i;
	return 0;
}
