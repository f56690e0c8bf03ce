/*
 * windows-dhcp: the Windows DHCP Server audit log (%windir%\System32\dhcp\
 * DhcpSrvLog-Day.log, DhcpV6SrvLog-Day.log), docs/formats/windows-dhcp.md.
 *
 * Each file starts with a preamble the server writes for people: a title,
 * the table of event IDs ("10<TAB>A new IP address was leased to a client."),
 * a QResult legend, then the column header "ID,Date,Time,Description,IP
 * Address,...". Those lines are not records, and the definition language
 * cannot tell a preamble line from a garbled record, hence C: preamble lines
 * before the header are meta, the header names the columns (2003, 2008 and
 * 2012+ servers write 7, 13 and 19 of them), and every later line must be a
 * record. A record is one lease decision: the event ID says which (the
 * action, docs/event-model.md#sessions), the date and time are the server's
 * local time (MM/DD/YY), the MAC address is hex without separators.
 *
 * Not here: the DHCP server's event log channel (Microsoft-Windows-DHCP
 * Server Events), which is Windows event log evidence.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/registry.h"
#include "tl/banned.h"

#define MAX_COLUMNS 64   /* a header or record with more values keeps the rest as column_N */
#define MAX_NAME 64      /* of one column name */

struct state {
	int have_header;
	size_t ncols;
	char cols[MAX_COLUMNS][MAX_NAME];
};

/* Column layout of a file whose header is missing (cut by rotation or
 * copied without it): the 2012+ order, which extends the older ones. */
static const char *const default_cols[] = {
	"ID", "Date", "Time", "Description", "IP Address", "Host Name", "MAC Address", "User Name",
	"TransactionID", "QResult", "Probationtime", "CorrelationID", "Dhcid", "VendorClass(Hex)",
	"VendorClass(ASCII)", "UserClass(Hex)", "UserClass(ASCII)", "RelayAgentInformation", "DnsRegError",
};

/* What each event ID means for the bindings: action, whether the address is
 * the client's lease (assigned_ip), and failures. From the table the server
 * writes at the top of every file. */
struct id_info {
	int id;
	const char *action;
	int binds;  /* IP Address is the address leased or given back */
	int failed;
};
static const struct id_info ids[] = {
	{ 0, "log-start", 0, 0 },       { 1, "log-stop", 0, 0 },         { 2, "log-pause", 0, 1 },
	{ 10, "lease", 1, 0 },          { 11, "lease", 1, 0 },           { 12, "release", 1, 0 },
	{ 13, "conflict", 0, 1 },       { 14, "pool-exhausted", 0, 1 },  { 15, "nak", 0, 1 },
	{ 16, "release", 1, 0 },        { 17, "release", 1, 0 },         { 18, "release", 1, 0 },
	{ 20, "lease", 1, 0 },          { 21, "lease", 1, 0 },           { 22, "pool-exhausted", 0, 1 },
	{ 23, "release", 1, 0 },        { 24, "cleanup", 0, 0 },         { 25, "cleanup", 0, 0 },
	{ 30, "dns-update", 0, 0 },     { 31, "dns-update", 0, 1 },      { 32, "dns-update", 0, 0 },
	{ 33, "drop", 0, 1 },           { 34, "dns-update", 0, 1 },      { 35, "dns-update", 0, 1 },
	{ 36, "drop", 0, 1 },
	/* DHCPv6 (DhcpV6SrvLog) */
	{ 11000, "solicit", 0, 0 },     { 11001, "advertise", 0, 0 },    { 11002, "request", 0, 0 },
	{ 11003, "confirm", 0, 0 },     { 11004, "lease", 1, 0 },        { 11005, "lease", 1, 0 },
	{ 11006, "decline", 0, 1 },     { 11007, "release", 1, 0 },      { 11008, "inform", 0, 0 },
	{ 11009, "pool-exhausted", 0, 1 }, { 11010, "log-start", 0, 0 }, { 11011, "log-stop", 0, 0 },
	{ 11012, "log-pause", 0, 1 },   { 11014, "drop", 0, 1 },         { 11015, "conflict", 0, 1 },
	{ 11016, "release", 1, 0 },     { 11018, "release", 1, 0 },      { 11020, "cleanup", 0, 0 },
	{ 11021, "cleanup", 0, 0 },
};

static const struct id_info *find_id(long id)
{
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i].id == id)
			return &ids[i];
	return NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int starts(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && !memcmp(s, p, n);
}

/* "10,11/19/26,08:02:11," (the ID has 2 to 5 digits) */
static int is_record(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && i < 5 && is_digit(s[i]))
		i++;
	if (i < 2 || len < i + 19 || s[i] != ',')
		return 0;
	const char *d = s + i + 1; /* MM/DD/YY,HH:MM:SS */
	static const char shape[] = "dd/dd/dd,dd:dd:dd";
	for (size_t k = 0; k < sizeof(shape) - 1; k++)
		if (shape[k] == 'd' ? !is_digit(d[k]) : d[k] != shape[k])
			return 0;
	return 1;
}

static int is_header(const char *s, size_t len)
{
	return starts(s, len, "ID,Date,Time,Description");
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Next comma-separated value of S[*pos..len), spaces and a final '.' of the
 * header's last name trimmed by the caller. The log never quotes values. */
static void next_value(const char *s, size_t len, size_t *pos, const char **v, size_t *n)
{
	size_t i = *pos;
	const char *c = memchr(s + i, ',', len - i);
	size_t end = c ? (size_t)(c - s) : len;
	*v = s + i;
	*n = end - i;
	*pos = c ? end + 1 : len + 1;
}

static void trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t'))
		(*v)++, (*n)--;
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t' || (*v)[*n - 1] == '\r'))
		(*n)--;
}

static void read_header(struct state *st, const char *s, size_t len)
{
	size_t pos = 0;
	st->ncols = 0;
	while (pos <= len && st->ncols < MAX_COLUMNS) {
		const char *v;
		size_t n;
		next_value(s, len, &pos, &v, &n);
		trim(&v, &n);
		if (n && v[n - 1] == '.') /* "DnsRegError." */
			n--;
		if (n >= MAX_NAME)
			n = MAX_NAME - 1;
		memcpy(st->cols[st->ncols], v, n);
		st->cols[st->ncols][n] = '\0';
		if (!n)
			snprintf(st->cols[st->ncols], MAX_NAME, "column_%zu", st->ncols + 1);
		st->ncols++;
	}
	st->have_header = 1;
}

static const char *col_name(const struct state *st, size_t i, char *buf, size_t len)
{
	if (st->have_header && i < st->ncols)
		return st->cols[i];
	if (!st->have_header && i < sizeof(default_cols) / sizeof(default_cols[0]))
		return default_cols[i];
	snprintf(buf, len, "column_%zu", i + 1);
	return buf;
}

/* "001A2B3C4D5E" -> "00:1a:2b:3c:4d:5e"; other shapes (DHCPv6 DUIDs) stay as written */
static int mac_colons(const char *v, size_t n, char out[18])
{
	if (n != 12)
		return -1;
	for (size_t i = 0; i < 12; i++) {
		if (!is_hex(v[i]))
			return -1;
		char c = v[i];
		out[i / 2 * 3 + i % 2] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
		if (i % 2 && i < 11)
			out[i / 2 * 3 + 2] = ':';
	}
	out[17] = '\0';
	return 0;
}

static enum tl_parse_status wdhcp_parse(void *state, struct tl_parse *p, const struct tl_record *rec,
					struct tl_event *ev, struct tl_err *err)
{
	struct state *st = state;
	const char *s = rec->text;
	size_t len = rec->len;
	if (blank(s, len))
		return TL_PARSE_META;
	if (is_header(s, len)) {
		read_header(st, s, len);
		return TL_PARSE_META;
	}
	if (!is_record(s, len)) {
		if (!st->have_header) /* the title, the ID table, the QResult legend */
			return TL_PARSE_META;
		tl_errf(err, "not a DHCP audit record (expected 'ID,MM/DD/YY,HH:MM:SS,Description,...')");
		return TL_PARSE_REJECT;
	}

	const char *v[MAX_COLUMNS];
	size_t n[MAX_COLUMNS], nv = 0, pos = 0;
	while (pos <= len && nv < MAX_COLUMNS) {
		next_value(s, len, &pos, &v[nv], &n[nv]);
		trim(&v[nv], &n[nv]);
		nv++;
	}
	if (pos <= len) {
		tl_errf(err, "more than %d values in one record", MAX_COLUMNS);
		return TL_PARSE_REJECT;
	}

	/* time: "MM/DD/YY HH:MM:SS", the server's local time */
	char when[32], rule[128];
	snprintf(when, sizeof(when), "%.*s %.*s", (int)n[1], v[1], (int)n[2], v[2]);
	if (tl_time_parse(tl_parse_time(p), "%m/%d/%y %H:%M:%S", when, strlen(when), &ev->ts, rule, sizeof(rule))) {
		tl_errf(err, "date and time '%s' out of range", when);
		return TL_PARSE_REJECT;
	}
	struct tl_arena *a = tl_parse_arena(p);
	ev->ts_raw.s = tl_arena_strndup(a, when, strlen(when));
	ev->ts_raw.len = strlen(when);
	ev->ts_rule = tl_arena_strndup(a, rule, strlen(rule));
	if (!ev->ts_raw.s || !ev->ts_rule)
		goto oom;

	long id = strtol(v[0], NULL, 10);
	const struct id_info *info = find_id(id);
	if (tl_parse_set(p, ev, TL_F_event_code, v[0], n[0]) < 0 ||
	    tl_parse_set(p, ev, TL_F_class, "dhcp_activity", 13) < 0)
		goto oom;
	const char *outcome = info && info->failed ? "failure" : "success";
	if (info && (tl_parse_set(p, ev, TL_F_action, info->action, strlen(info->action)) < 0 ||
		     tl_parse_set(p, ev, TL_F_outcome, outcome, strlen(outcome)) < 0))
		goto oom;

	for (size_t i = 3; i < nv; i++) {
		char buf[32];
		const char *name = col_name(st, i, buf, sizeof(buf));
		int took = 0;
		if (!n[i])
			continue;
		if (!strcmp(name, "Description")) {
			took = tl_parse_set(p, ev, TL_F_message, v[i], n[i]);
		} else if (!strcmp(name, "Host Name")) {
			took = tl_parse_set(p, ev, TL_F_src_host, v[i], n[i]);
		} else if (!strcmp(name, "User Name")) {
			took = tl_parse_set(p, ev, TL_F_user, v[i], n[i]);
		} else if (!strcmp(name, "IP Address") && info && info->binds) {
			/* the lease's address: the binding (docs/event-model.md#sessions) */
			if (tl_parse_extra(p, ev, "assigned_ip", v[i], n[i], TL_V_STR))
				goto oom;
			continue;
		} else if (!strcmp(name, "MAC Address")) {
			char mac[18];
			if (!mac_colons(v[i], n[i], mac) && tl_parse_set(p, ev, TL_F_src_mac, mac, 17) < 0)
				goto oom;
			took = 1; /* the text as written stays in extra too */
		} else {
			took = 1;
		}
		if (took < 0)
			goto oom;
		if (took && tl_parse_extra(p, ev, name, v[i], n[i], TL_V_STR))
			goto oom;
	}
	return TL_PARSE_EVENT;
oom:
	tl_errf(err, "out of memory");
	return TL_PARSE_REJECT;
}

static int wdhcp_probe(const char *head, size_t len)
{
	size_t i = 0, lines = 0, records = 0;
	int title = 0, header = 0;
	while (i < len && lines < 200) {
		const char *nl = memchr(head + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - head) - i : len - i;
		if (!nl && lines) /* a line cut by the end of the window */
			break;
		const char *s = head + i;
		size_t k = 0;
		while (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		title |= starts(s + k, n - k, "Microsoft DHCP Service Activity Log") ||
			 starts(s + k, n - k, "Microsoft DHCPv6 Service Activity Log");
		header |= is_header(s, n);
		records += is_record(s, n);
		lines++;
		i += n + 1;
	}
	if (title && header)
		return 95;
	if (header)
		return 90;
	return records ? 60 : 0;
}

static void *wdhcp_new(struct tl_err *err)
{
	struct state *st = calloc(1, sizeof(*st));
	if (!st)
		tl_errf(err, "out of memory");
	return st;
}

static void wdhcp_free(void *state)
{
	free(state);
}

static const char *const samples[] = {
	"\t\tMicrosoft DHCP Service Activity Log\n"
	"\n"
	"Event ID  Meaning\n"
	"00\tThe log was started.\n"
	"10\tA new IP address was leased to a client.\n"
	"\n"
	"ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, "
	"CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),"
	"RelayAgentInformation,DnsRegError.\n"
	"10,11/19/26,08:02:11,Assign,10.20.1.15,LT-MCHEN-01.acme.local,001A2B3C4D5E,,3411028601,0,,,,"
	"0x4D53465420352E30,MSFT 5.0,,,,0\n",
	NULL,
};

const struct tl_c_parser tl_parser_windows_dhcp = {
	.abi = TL_PARSER_ABI,
	.name = "windows-dhcp",
	.family = "dns",
	.version = "1.0.0",
	.title = "Windows DHCP Server audit log (DhcpSrvLog-*.log, DhcpV6SrvLog-*.log): leases by event ID",
	.source = "parsers/dns/windows-dhcp.c",
	.samples = samples,
	.ordered_within_us = 0,
	.max_record = 0,
	.probe = wdhcp_probe,
	.state_new = wdhcp_new,
	.state_free = wdhcp_free,
	.parse = wdhcp_parse,
};
