/*
 * The entity rules (include/tl/entity.h, docs/correlation.md#entities): one
 * canonical text per user, host, address, domain, ... so that every source's
 * spelling of the same thing meets in one place. Pure functions over one
 * value; what they refuse (a placeholder such as "-", an address given as a
 * host) is said in ERR so the caller can file the value elsewhere.
 *
 * Not here: which event fields hold which entity (src/analysis/entities.c),
 * and the case's own aliases (tl.json), which override these rules.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/entity.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tl/banned.h"

/* Longer values are not names of anything; evidence is hostile. */
#define VALUE_MAX 4096

static const char *const type_names[TL_ENT_TYPES] = { "user", "host", "ip",    "domain", "url",
						      "file", "process", "hash", "email", "resource" };

const char *tl_entity_type_name(enum tl_entity_type t)
{
	return (unsigned)t < TL_ENT_TYPES ? type_names[t] : "?";
}

int tl_entity_type_parse(const char *name, enum tl_entity_type *t)
{
	for (int i = 0; i < TL_ENT_TYPES; i++)
		if (strcmp(name, type_names[i]) == 0) {
			*t = (enum tl_entity_type)i;
			return 0;
		}
	return -1;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void fold(char *s)
{
	for (; *s; s++)
		*s = (char)lower((unsigned char)*s);
}

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* VALUE without surrounding ASCII blanks, as a new string (NULL: out of memory). */
static char *trimmed(const char *value)
{
	while (*value == ' ' || *value == '\t')
		value++;
	size_t n = strlen(value);
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	return strndup(value, n);
}

/* Written by a source for "no value": never an entity of any type. */
static int placeholder(const char *s)
{
	/* the longest placeholder has 6 bytes: most values stop here */
	if (strnlen(s, 7) > 6)
		return 0;
	static const char *const none[] = { "", "-", "--", "n/a", "na", "(null)", "null", "<null>", "none", "(none)" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (ieq(s, none[i]))
			return 1;
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Windows' well-known principals: the system acting, not a person. */
static int system_account(const char *domain, const char *account)
{
	static const char *const accounts[] = { "system", "local service", "network service", "anonymous logon",
						"localsystem", "s-1-5-18", "s-1-5-19", "s-1-5-20", "s-1-5-7" };
	if (domain && (ieq(domain, "nt authority") || ieq(domain, "nt service") || ieq(domain, "font driver host") ||
		       ieq(domain, "window manager")))
		return 1;
	for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++)
		if (ieq(account, accounts[i]))
			return 1;
	return 0;
}

/* user: DOMAIN\account, account@domain (UPN, Kerberos principal, e-mail) and
 * a plain account are the same identity: the account, case-folded. A machine
 * account keeps its '$' (WS01$ is the computer, not a user named ws01). */
static int canon_user(char *s, char **out, struct tl_err *err)
{
	char *domain = NULL, *account = s;
	char *bs = strchr(s, '\\');
	if (bs) {
		*bs = 0;
		domain = s;
		account = bs + 1;
	} else {
		char *at = strrchr(s, '@');
		if (at) {
			*at = 0;
			domain = at + 1;
		}
	}
	if (placeholder(account) || strchr(account, '\\') || strchr(account, '@'))
		return tl_errf(err, "not a user name");
	if (system_account(domain, account))
		return tl_errf(err, "a system principal, not a user");
	fold(account);
	memmove(s, account, strlen(account) + 1);
	*out = s;
	return 0;
}

/* ip: canonical inet_ntop text; an IPv4-mapped IPv6 address is the IPv4
 * address; brackets are dropped and a zone id (fe80::1%eth0) kept as written. */
static int canon_ip(char *s, char **out, struct tl_err *err)
{
	char *p = s;
	size_t n = strlen(p);
	if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
		p[n - 1] = 0;
		p++;
	}
	char *zone = strchr(p, '%');
	if (zone)
		*zone++ = 0;
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	if (inet_pton(AF_INET, p, a) == 1) {
		if (zone)
			return tl_errf(err, "not an address");
		inet_ntop(AF_INET, a, text, sizeof(text));
	} else if (inet_pton(AF_INET6, p, a) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (!memcmp(a, mapped, 12) && !zone)
			inet_ntop(AF_INET, a + 12, text, sizeof(text));
		else
			inet_ntop(AF_INET6, a, text, sizeof(text));
	} else {
		return tl_errf(err, "not an address");
	}
	if (zone && (!*zone || has_control(zone) || strlen(zone) > 64))
		return tl_errf(err, "not an address");
	size_t len = strlen(text) + (zone ? strlen(zone) + 1 : 0) + 1;
	char *r = malloc(len);
	if (!r)
		return tl_errf(err, "out of memory");
	snprintf(r, len, "%s%s%s", text, zone ? "%" : "", zone ? zone : "");
	free(s);
	*out = r;
	return 0;
}

int tl_entity_is_ip(const char *value)
{
	/* without a ':' only digits, dots and blanks can make an address: most
	 * names are refused here, without a copy */
	if (!strchr(value, ':') && value[strspn(value, "0123456789. \t")])
		return 0;
	char *s = trimmed(value), *out = NULL;
	if (!s)
		return 0;
	struct tl_err e;
	int yes = canon_ip(s, &out, &e) == 0;
	free(yes ? out : s);
	return yes;
}

/* The characters of a DNS name as logs write them: letters, digits, '-', '_'
 * (SRV labels, Windows names) and non-ASCII bytes (IDNA left as written). */
static int name_ok(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 253)
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.' && p[1] == '.')
			return 0;
		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* domain: lower case, one trailing dot removed; an address is not a domain. */
static int canon_domain(char *s, char **out, struct tl_err *err)
{
	fold(s);
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		s[--n] = 0;
	if (tl_entity_is_ip(s))
		return tl_errf(err, "an address, not a domain");
	if (!name_ok(s))
		return tl_errf(err, "not a domain name");
	*out = s;
	return 0;
}

/* host: lower case; an FQDN and its first label are one host, named by the
 * first label (the FQDN is kept as an alias by whoever records the value). */
static int canon_host(char *s, char **out, struct tl_err *err)
{
	if (tl_entity_is_ip(s))
		return tl_errf(err, "an address, not a host name");
	fold(s);
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		s[--n] = 0;
	if (!name_ok(s))
		return tl_errf(err, "not a host name");
	char *dot = strchr(s, '.');
	if (dot)
		*dot = 0;
	*out = s;
	return 0;
}

static int canon_email(char *s, char **out, struct tl_err *err)
{
	fold(s);
	char *at = strrchr(s, '@');
	if (!at || at == s || strchr(s, '@') != at || strchr(s, ' ') || strchr(s, '\\') || !strchr(at + 1, '.') ||
	    !name_ok(at + 1))
		return tl_errf(err, "not an e-mail address");
	*out = s;
	return 0;
}

/* url: scheme and host lower case (both are case-insensitive, RFC 3986
 * 6.2.2.1); user info, port, path, query and fragment as written. */
static int canon_url(char *s, char **out, struct tl_err *err)
{
	char *auth = s;
	char *sep = strstr(s, "://");
	if (sep) {
		for (char *p = s; p < sep; p++) {
			int c = lower((unsigned char)*p);
			if (!((c >= 'a' && c <= 'z') || (p > s && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
				return tl_errf(err, "not a URL");
			*p = (char)c;
		}
		if (sep == s)
			return tl_errf(err, "not a URL");
		auth = sep + 3;
	} else {
		/* without a scheme only a CONNECT authority, host:port, is a URL
		 * ("error:transaction-end-before-headers" is Squid's, "/x" a path) */
		char *colon = strrchr(s, ':');
		if (!colon || colon == s || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    strcspn(s, "/?#@ ") != strlen(s))
			return tl_errf(err, "not a URL");
	}
	char *end = auth + strcspn(auth, "/?#");
	char *host = auth;
	for (char *p = auth; p < end; p++)
		if (*p == '@')
			host = p + 1;
	for (char *p = host; p < end; p++)
		*p = (char)lower((unsigned char)*p);
	*out = s;
	return 0;
}

/* One rule for "the host of a URL", used by the entities, the engine's
 * domain-from-url and the format language's url_host transform, so that the
 * three never disagree. Hostile text: the host is cut at the authority's end
 * ('/', '?', '#'), after the last '@' (user info may hold any byte but those),
 * before ':' (without a scheme, a port of 1-5 digits must follow); a bracketed
 * host (an IPv6 literal) must close its bracket. */
int tl_entity_url_host_span(const char *url, size_t len, unsigned flags, size_t *off, size_t *n)
{
	const char *end = url + len, *auth = url, *p;
	int scheme = 0;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), RFC 3986 3.1 */
	if (len && ((url[0] | 32) >= 'a' && (url[0] | 32) <= 'z')) {
		for (p = url + 1; p < end; p++) {
			int c = (unsigned char)*p | 32;
			if (!((c >= 'a' && c <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
				break;
		}
		if (end - p >= 3 && p[0] == ':' && p[1] == '/' && p[2] == '/') {
			auth = p + 3;
			scheme = 1;
		}
	}
	int bare = !scheme && (flags & TL_URL_HOST_BARE);
	const char *aend = auth;
	while (aend < end && *aend != '/' && *aend != '?' && *aend != '#')
		aend++;
	const char *host = auth;
	for (p = auth; p < aend; p++)
		if (*p == '@')
			host = p + 1;
	/* without a scheme (and without BARE) only a CONNECT authority, host:port */
	if (!scheme && !bare && (aend != end || host != auth))
		return 1;
	const char *hend, *rest;
	if (host < aend && *host == '[') {
		hend = memchr(host, ']', (size_t)(aend - host));
		if (!hend)
			return 1;
		rest = hend + 1;
		host++;
	} else {
		hend = memchr(host, ':', (size_t)(aend - host));
		if (!hend)
			hend = aend;
		rest = hend;
	}
	if (rest < aend) {
		/* after a scheme what follows ':' is not judged: a source's own
		 * join ("http://h:443h:443", Zeek's CONNECT) still names h */
		size_t digits = (size_t)(aend - rest - 1);
		if (*rest != ':' || (!scheme && (!digits || digits > 5)))
			return 1;
		for (p = rest + 1; !scheme && p < aend; p++)
			if (*p < '0' || *p > '9')
				return 1;
	} else if (!scheme && !bare) {
		return 1; /* "error:transaction-end-before-headers" is no authority */
	}
	if (hend == host || hend - host > 253)
		return 1;
	for (p = host; p < hend; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 1;
	*off = (size_t)(host - url);
	*n = (size_t)(hend - host);
	return 0;
}

int tl_entity_url_host(const char *url, char **out)
{
	size_t off, n;
	*out = NULL;
	if (tl_entity_url_host_span(url, strlen(url), 0, &off, &n))
		return 1;
	*out = strndup(url + off, n);
	return *out ? 0 : 1;
}

static int hexlen_ok(size_t n)
{
	return n == 32 || n == 40 || n == 64 || n == 128;
}

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = lower((unsigned char)s[i]);
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

const char *tl_entity_hash_kind(const char *hex)
{
	switch (strlen(hex)) {
	case 32: return "md5";
	case 40: return "sha1";
	case 64: return "sha256";
	case 128: return "sha512";
	}
	return "?";
}

/* hash: lower-case hex of a known length (MD5, SHA-1, SHA-256, SHA-512). A
 * list such as Sysmon's "SHA1=..,MD5=..,SHA256=.." names the file by its
 * longest digest. */
static int canon_hash(char *s, char **out, struct tl_err *err)
{
	const char *best = NULL;
	size_t best_n = 0;
	if (strchr(s, '=')) {
		for (char *p = s; *p;) {
			char *eq = strchr(p, '=');
			if (!eq)
				break;
			char *v = eq + 1;
			size_t n = strcspn(v, ",; ");
			if (hexlen_ok(n) && all_hex(v, n) && n > best_n)
				best = v, best_n = n;
			p = v + n;
			p += strspn(p, ",; ");
		}
	} else if (hexlen_ok(strlen(s)) && all_hex(s, strlen(s))) {
		best = s;
		best_n = strlen(s);
	}
	if (!best)
		return tl_errf(err, "not a hash (hex MD5, SHA-1, SHA-256 or SHA-512)");
	memmove(s, best, best_n);
	s[best_n] = 0;
	fold(s);
	*out = s;
	return 0;
}

/* A path Windows wrote: drive letter, UNC, or backslashes without slashes.
 * NTFS names compare without case, so these are case-folded (ASCII only);
 * POSIX paths are case-sensitive and kept as written. */
static int windows_path(const char *s)
{
	if (((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z') && s[1] == ':' && (s[2] == '\\' || s[2] == '/'))
		return 1;
	if (s[0] == '\\' && s[1] == '\\')
		return 1;
	return strchr(s, '\\') && !strchr(s, '/');
}

static int canon_path(char *s, char **out)
{
	if (windows_path(s))
		fold(s);
	*out = s;
	return 0;
}

int tl_entity_canon(enum tl_entity_type t, const char *value, char **out, struct tl_err *err)
{
	*out = NULL;
	if ((unsigned)t >= TL_ENT_TYPES)
		return tl_errf(err, "unknown entity type");
	if (value == NULL)
		return tl_errf(err, "empty %s", tl_entity_type_name(t));
	if (strlen(value) > VALUE_MAX)
		return tl_errf(err, "%s longer than %d bytes", tl_entity_type_name(t), VALUE_MAX);
	char *s = trimmed(value);
	if (s == NULL)
		return tl_errf(err, "out of memory");
	int rc;
	if (placeholder(s))
		rc = tl_errf(err, "empty %s", tl_entity_type_name(t));
	else if (has_control(s))
		rc = tl_errf(err, "%s with control characters", tl_entity_type_name(t));
	else
		switch (t) {
		case TL_ENT_USER: rc = canon_user(s, out, err); break;
		case TL_ENT_HOST: rc = canon_host(s, out, err); break;
		case TL_ENT_IP: rc = canon_ip(s, out, err); break;
		case TL_ENT_DOMAIN: rc = canon_domain(s, out, err); break;
		case TL_ENT_URL: rc = canon_url(s, out, err); break;
		case TL_ENT_FILE:
		case TL_ENT_PROCESS: rc = canon_path(s, out); break;
		case TL_ENT_HASH: rc = canon_hash(s, out, err); break;
		case TL_ENT_EMAIL: rc = canon_email(s, out, err); break;
		default: *out = s; rc = 0; break; /* resource: ARNs and ids are case-sensitive */
		}
	if (rc) {
		/* every rule refuses without taking S (canon_ip frees it only on success) */
		free(s);
		*out = NULL;
		return -1;
	}
	return 0;
}

static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static psl_ctx_t *psl;

/* The newer of libpsl's built-in list and the distribution's file
 * (/usr/share/publicsuffix), loaded once and kept for the process. */
static void psl_init(void)
{
	psl = psl_latest(NULL);
	if (!psl)
		psl = (psl_ctx_t *)psl_builtin();
}

int tl_entity_registrable(const char *domain, char **out)
{
	*out = NULL;
	if (!domain || !*domain || tl_entity_is_ip(domain))
		return 1;
	pthread_once(&psl_once, psl_init);
	if (!psl)
		return 1;
	const char *r = psl_registrable_domain(psl, domain);
	if (!r)
		return 1;
	*out = strdup(r);
	return *out ? 0 : 1;
}
