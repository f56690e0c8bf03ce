/*
 * Fuzz every parser with records: the first input byte picks a format from
 * the table below, the rest is an evidence file framed by that format's
 * framing and parsed record by record, as `tl ingest` does.
 *
 * Adding a parser (a built-in definition in parsers/ or a C parser registered
 * with the built-ins) = adding its name here, one line. Inline definitions
 * cover parse methods no built-in uses yet (W3C headers, key=value, CSV).
 */
#include "fuzz.h"

static const struct {
	const char *name; /* a built-in format */
	const char *def;  /* or an inline definition */
} table[] = {
	{ "squid-native", NULL },
	{ "zeek-conn", NULL },
	{ "zeek-conn-json", NULL },
	{ "aws-cloudtrail", NULL },
	{ "cef", NULL },
	{ "leef", NULL },
	{ "okta-system-log", NULL },
	{ "windows-event-xml", NULL },
	/* escape-aware kv with several quotes; selections and transforms in references */
	{ NULL, "{\"name\":\"fz-kv2\",\"family\":\"firewall\",\"version\":\"1\",\"parse\":{\"type\":\"kv\",\"values\":\"to-next-key\","
		"\"escapes\":true,\"quote\":\"\\\"'\",\"embedded_json\":[{\"field\":\"j\",\"prefix\":\"j\"}]},"
		"\"timestamp\":{\"field\":[\"t\",\"j.t\"],\"formats\":[\"epoch\",\"%a %b %d %I:%M:%S %p %Z %Y\",\"%Y-%j\"]},"
		"\"fields\":{\"user\":\"j.a[?type=User].id|lower\",\"process_cmdline\":[\"p|hex|nul_to_space\",\"p\"],"
		"\"url\":\"u|url|trim\",\"message\":\"{j.a[*].type} {m|base64|upper}\",\"host\":\"j.a[0].h\"},"
		"\"sniff\":[{\"regex\":\"t=\",\"score\":10}],\"samples\":[\"t=1 m=a b\"]}" },
	{ NULL, "{\"name\":\"fz-w3c\",\"family\":\"proxy\",\"version\":\"1\",\"parse\":{\"type\":\"delimited\",\"header\":\"w3c\",\"quote\":\"\\\"\"},"
		"\"null_values\":[\"-\"],\"timestamp\":{\"field\":\"{date} {time}\",\"formats\":[\"%Y-%m-%d %H:%M:%S\"]},"
		"\"fields\":{\"src_ip\":\"c-ip\",\"user\":\"cs-username\"},\"sniff\":[{\"regex\":\"^#Fields:\",\"score\":60}],"
		"\"samples\":[[\"#Fields: date time c-ip\",\"2026-11-19 23:00:00 10.0.0.1\"]]}" },
	{ NULL, "{\"name\":\"fz-kv\",\"family\":\"firewall\",\"version\":\"1\",\"parse\":{\"type\":\"kv\",\"prefix\":\"^<(?<pri>\\\\d+)>\"},"
		"\"timestamp\":{\"field\":\"{date} {time}\",\"formats\":[\"%Y-%m-%d %H:%M:%S\"]},\"fields\":{\"src_ip\":\"srcip\",\"message\":\"msg\"},"
		"\"sniff\":[{\"regex\":\"devid=\",\"score\":60}],\"samples\":[\"<189>date=2026-11-19 time=23:00:00 srcip=10.0.0.1\"]}" },
	{ NULL, "{\"name\":\"fz-csv\",\"family\":\"audit\",\"version\":\"1\",\"framing\":{\"type\":\"csv\"},"
		"\"parse\":{\"type\":\"delimited\",\"separator\":\",\",\"quote\":\"\\\"\",\"header\":\"first-line\",\"embedded_json\":[\"AuditData\"]},"
		"\"timestamp\":{\"field\":\"CreationDate\",\"formats\":[\"iso8601\",\"epoch\"]},\"fields\":{\"user\":\"UserIds\",\"src_ip\":\"ClientIP\"},"
		"\"sniff\":[{\"regex\":\"AuditData\",\"score\":60}],\"samples\":[[\"CreationDate,UserIds,AuditData\",\"2026-11-19T23:00:00Z,a,{}\"]]}" },
	{ NULL, "{\"name\":\"fz-multi\",\"family\":\"edr\",\"version\":\"1\",\"framing\":{\"type\":\"multiline\",\"start\":\"^\\\\d{4}-\"},"
		"\"parse\":{\"type\":\"regex\",\"patterns\":[\"(?s)^(?<t>\\\\S+) (?<level>\\\\w+) (?<message>.*)$\"]},"
		"\"timestamp\":{\"field\":\"t\",\"formats\":[\"iso8601\",\"bind\",\"rfc3164\"]},\"fields\":{\"message\":\"message\"},"
		"\"maps\":{\"action\":{\"from\":\"level\",\"values\":{\"WARN\":\"alert\"},\"match\":[[\"^E\",\"deny\"]],\"default\":\"other\"}},"
		"\"sniff\":[{\"regex\":\"^\\\\d{4}-\",\"score\":10}],\"samples\":[\"2026-11-19T23:00:00Z INFO x\\n  more\"]}" },
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tl_formats fs = TL_FORMATS_INIT;
	static struct tl_format *inline_f[NTABLE];
	static const struct tl_format *f_of[NTABLE];
	struct tl_err err;
	if (!fs.n) {
		if (tl_formats_add_builtin(&fs, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			abort();
		}
		for (size_t i = 0; i < NTABLE; i++) {
			f_of[i] = table[i].name ? tl_formats_find(&fs, table[i].name)
						: (inline_f[i] = tl_format_load("fuzz", table[i].def, strlen(table[i].def), &err));
			if (!f_of[i]) {
				fprintf(stderr, "fuzz-records: table entry %zu: %s\n", i, table[i].name ? "no such built-in" : err.msg);
				abort();
			}
		}
	}
	if (size < 1)
		return 0;
	const struct tl_format *f = f_of[data[0] % NTABLE];
	int score;
	(void)tl_formats_detect(&fs, (const char *)data + 1, size - 1, &score);
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, NULL, "default", 0, INT64_C(1795129200));
	struct tl_parse *p = tl_parse_new(f, &tctx, &err);
	if (!p)
		return 0;
	fuzz_read(fuzz_file(data + 1, size - 1), tl_format_framing(f), p, 100000);
	const struct tl_field *fields;
	(void)tl_parse_fields(p, &fields);
	tl_parse_free(p);
	return 0;
}
