/* Top-level members of a JSON object, as SQLite's json_extract reads them (json-members.h). */
#include "json-members.h"

#include <stdint.h>
#include <string.h>

#include "tl/json.h"

#include "tl/banned.h"

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Past the string opening at S[*I] into *I; *ESC set when it holds an
 * escape. -1 when it is no RFC 8259 string. */
static int skip_string(const char *s, size_t n, size_t *i, int *esc)
{
	size_t j = *i + 1;
	for (;;) {
		/* the runs of plain bytes first; DEL and bytes from 0x80 up are
		 * plain here too */
		while ((j += tl_json_plain_len(s + j, n - j)) < n && (unsigned char)s[j] >= 0x7f)
			j++;
		if (j >= n || (unsigned char)s[j] < 0x20)
			return -1;
		if (s[j] == '"')
			break;
		*esc = 1;
		if (j + 1 >= n)
			return -1;
		char c = s[j + 1];
		if (c == 'u') {
			if (j + 5 >= n || !is_hex(s[j + 2]) || !is_hex(s[j + 3]) || !is_hex(s[j + 4]) || !is_hex(s[j + 5]))
				return -1;
			j += 6;
		} else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
			j += 2;
		} else {
			return -1;
		}
	}
	*i = j + 1;
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Past the RFC 8259 number at S[*I]; -1 when there is none. */
static int skip_number(const char *s, size_t n, size_t *i)
{
	size_t j = *i;
	if (j < n && s[j] == '-')
		j++;
	if (j >= n || !is_digit(s[j]))
		return -1;
	if (s[j] == '0')
		j++;
	else
		while (j < n && is_digit(s[j]))
			j++;
	if (j < n && s[j] == '.') {
		if (++j >= n || !is_digit(s[j]))
			return -1;
		while (j < n && is_digit(s[j]))
			j++;
	}
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j >= n || !is_digit(s[j]))
			return -1;
		while (j < n && is_digit(s[j]))
			j++;
	}
	*i = j;
	return 0;
}

/* What a value is, for json_members. */
enum kind { PLAIN_STRING, NULL_VALUE, COMPACT, OTHER };

/* Past the scalar at S[*I] (string, number, true, false, null): its kind,
 * or -1 when it is none. */
static int skip_scalar(const char *s, size_t n, size_t *i)
{
	size_t j = *i;
	if (s[j] == '"') {
		int esc = 0;
		if (skip_string(s, n, i, &esc))
			return -1;
		return esc ? OTHER : PLAIN_STRING;
	}
	if (n - j >= 4 && !memcmp(s + j, "null", 4)) {
		*i = j + 4;
		return NULL_VALUE;
	}
	if (n - j >= 4 && !memcmp(s + j, "true", 4)) {
		*i = j + 4;
		return OTHER;
	}
	if (n - j >= 5 && !memcmp(s + j, "false", 5)) {
		*i = j + 5;
		return OTHER;
	}
	return skip_number(s, n, i) ? -1 : OTHER;
}

/* Past the value at S[*I] (J < N): its kind, or -1 when it is no RFC 8259
 * value nested at most JSON_MEMBERS_DEPTH deep. */
static int skip_value(const char *s, size_t n, size_t *i)
{
	if (s[*i] != '{' && s[*i] != '[')
		return skip_scalar(s, n, i);
	char close[JSON_MEMBERS_DEPTH];
	int depth = 0, spaced = 0, esc;
	size_t j = *i;
#define WS()                              \
	do {                              \
		if (j < n && is_ws(s[j])) \
			spaced = 1;       \
		while (j < n && is_ws(s[j])) \
			j++;              \
	} while (0)
open:
	if (depth == JSON_MEMBERS_DEPTH)
		return -1;
	close[depth++] = s[j] == '{' ? '}' : ']';
	j++;
	WS();
	if (j < n && s[j] == close[depth - 1])
		goto closed;
member:
	if (close[depth - 1] == '}') {
		if (j >= n || s[j] != '"' || skip_string(s, n, &j, &esc))
			return -1;
		WS();
		if (j >= n || s[j] != ':')
			return -1;
		j++;
		WS();
	}
	if (j >= n)
		return -1;
	if (s[j] == '{' || s[j] == '[')
		goto open;
	if (skip_scalar(s, n, &j) < 0)
		return -1;
after:
	WS();
	if (j < n && s[j] == ',') {
		j++;
		WS();
		goto member;
	}
	if (j >= n || s[j] != close[depth - 1])
		return -1;
closed:
	j++;
	if (--depth > 0)
		goto after;
#undef WS
	*i = j;
	return spaced ? OTHER : COMPACT;
}

int json_members(const char *s, size_t n, const char *const *keys, const size_t *key_lens, size_t nk,
		 struct json_member *out)
{
	uint64_t found = 0;
	size_t i = 0;
	if (nk > 64)
		return 0;
	for (size_t k = 0; k < nk; k++)
		out[k] = (struct json_member){ NULL, 0 };
	/* SQLite stops at a NUL; RFC 8259 has none */
	if (memchr(s, 0, n))
		return 0;
	while (i < n && is_ws(s[i]))
		i++;
	if (i >= n || s[i] != '{')
		return 0;
	i++;
	while (i < n && is_ws(s[i]))
		i++;
	if (i < n && s[i] == '}') {
		i++;
	} else {
		for (;;) {
			int esc = 0;
			if (i >= n || s[i] != '"')
				return 0;
			size_t ks = i + 1;
			if (skip_string(s, n, &i, &esc))
				return 0;
			size_t klen = i - 1 - ks;
			while (i < n && is_ws(s[i]))
				i++;
			if (i >= n || s[i] != ':')
				return 0;
			i++;
			while (i < n && is_ws(s[i]))
				i++;
			if (i >= n)
				return 0;
			size_t vs = i;
			int kind = skip_value(s, n, &i);
			if (kind < 0)
				return 0;
			for (size_t k = 0; k < nk; k++) {
				if ((found >> k & 1) || key_lens[k] != klen || memcmp(s + ks, keys[k], klen))
					continue;
				found |= (uint64_t)1 << k;
				if (kind == OTHER)
					return 0;
				if (kind == PLAIN_STRING)
					out[k] = (struct json_member){ s + vs + 1, i - vs - 2 };
				else if (kind == COMPACT)
					out[k] = (struct json_member){ s + vs, i - vs };
			}
			while (i < n && is_ws(s[i]))
				i++;
			if (i < n && s[i] == ',') {
				i++;
				while (i < n && is_ws(s[i]))
					i++;
				continue;
			}
			if (i < n && s[i] == '}') {
				i++;
				break;
			}
			return 0;
		}
	}
	while (i < n && is_ws(s[i]))
		i++;
	return i == n;
}
