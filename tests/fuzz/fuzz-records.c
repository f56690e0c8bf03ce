/*
 * Fuzz every parser with records: the first input byte picks a format from
 * the table below followed by every registered C parser (include/tl/registry.h),
 * or the input starts with "@NAME\n" naming one (stable seeds). The rest is
 * an evidence file framed by that format's framing (or read by the C parser
 * itself) and parsed record by record, groups drained and flushed, as
 * `tl ingest` does.
 *
 * Adding a definition = adding its name here, one line. A C parser needs no
 * line: the registry is the table, so it is fuzzed the day it lands
 * (tests/unit/test-registry.c checks it has a seed in regressions/records/).
 * Inline definitions cover parse methods no built-in uses yet (W3C headers,
 * key=value, CSV).
 */
#include "fuzz.h"
#include "tl/detect.h"
#include "tl/registry.h"

static const struct {
	const char *name; /* a built-in format */
	const char *def;  /* or an inline definition */
} table[] = {
	{ "squid-native", NULL },
	{ "zeek-conn", NULL },
	{ "zeek-conn-json", NULL },
	{ "aws-cloudtrail", NULL },
	{ "zeek-dns", NULL },
	{ "zeek-dns-json", NULL },
	{ "zeek-http", NULL },
	{ "zeek-http-json", NULL },
	{ "zeek-tsv", NULL },
	{ "cef", NULL },
	{ "leef", NULL },
	{ "okta-system-log", NULL },
	{ "windows-event-xml", NULL },
	{ "crowdstrike-fdr", NULL },
	{ "mde-advanced-hunting", NULL },
	{ "mde-advanced-hunting-csv", NULL },
	{ "mde-alerts", NULL },
	{ "mde-streaming-api", NULL },
	{ "osquery-results", NULL },
	{ "wazuh-alerts-json", NULL },
	{ "wazuh-alerts-log", NULL },
	{ "auoms-syslog-json", NULL },
	{ "openvpn", NULL },
	{ "openvpn-syslog", NULL },
	{ "strongswan-charon", NULL },
	{ "isc-dhcpd", NULL },
	{ "dnsmasq-dhcp", NULL },
	{ "zeek-dhcp", NULL },
	{ "zeek-dhcp-json", NULL },
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
	/* envelopes and dispatch: first byte 'I' syslog, 'J' zeek-json, 'K' cisco-asa, 'L' pfsense-filterlog, 'M' panos-csv */
	{ "syslog", NULL },
	{ "zeek-json", NULL },
	{ "cisco-asa", NULL },
	{ "pfsense-filterlog", NULL },
	{ "panos-csv", NULL },
	/* DLP and cloud/platform audit formats (issue 13) */
	{ "m365-audit", NULL },
	{ "m365-audit-csv", NULL },
	{ "entra-id-audit", NULL },
	{ "entra-id-signin", NULL },
	{ "azure-activity", NULL },
	{ "gcp-cloud-audit", NULL },
	{ "github-audit", NULL },
	{ "google-workspace-reports", NULL },
	{ "k8s-audit", NULL },
	{ "aws-s3-access-log", NULL },
	{ "aws-honeybucket-csv", NULL },
	{ "netskope", NULL },
	{ "symantec-dlp-cef", NULL },
	{ "forcepoint-dlp-cef", NULL },
	{ "trellix-dlp-cef", NULL },
	{ "digital-guardian-cef", NULL },
	{ "checkpoint-dlp-cef", NULL },
	{ "iptables", NULL },
	{ "fortigate", NULL },
	{ "windows-firewall", NULL },
	{ "netscreen", NULL },
	{ "suricata-eve-alert", NULL },
	{ "bind-query", NULL },
	{ "dnsmasq", NULL },
	{ "unbound", NULL },
	{ "windows-dns-debug", NULL },
	{ "suricata-eve-dns", NULL },
	{ "aws-vpc-flow", NULL },
	{ "nfdump-csv", NULL },
	{ "suricata-eve", NULL },
	{ "suricata-eve-flow", NULL },
	{ "suricata-eve-tls", NULL },
	{ "suricata-eve-fileinfo", NULL },
	{ "bluecoat-elff", NULL },
	{ "apache-access", NULL },
	{ "squid-common", NULL },
	{ "zscaler-nss-web", NULL },
	{ "suricata-eve-http", NULL },
	{ "zeek-ssl", NULL },
	{ "zeek-ssl-json", NULL },
	{ "zeek-files", NULL },
	{ "zeek-files-json", NULL },
	{ "zeek-x509", NULL },
	{ "zeek-x509-json", NULL },
	{ "zeek-kerberos", NULL },
	{ "zeek-kerberos-json", NULL },
	{ "zeek-ntlm", NULL },
	{ "zeek-ntlm-json", NULL },
	{ "zeek-smb-files", NULL },
	{ "zeek-smb-files-json", NULL },
	{ "zeek-ssh", NULL },
	{ "zeek-ssh-json", NULL },
	{ "zeek-notice", NULL },
	{ "zeek-notice-json", NULL },
	{ "zeek-weird", NULL },
	{ "zeek-weird-json", NULL },
	/* Windows events in their shipping forms (one mapping: windows-event-xml) */
	{ "winlogbeat-json", NULL },
	{ "nxlog-windows-json", NULL },
	{ "evtxecmd-json", NULL },
	{ "wazuh-eventchannel-json", NULL },
	{ "sysmon-linux-syslog", NULL },
	{ "azure-windows-event-json", NULL },
	{ "ossec-winevtlog", NULL },
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Parse a whole file as ingest does: records, ready groups, end-of-file flush. */
static void parse_file(const struct tl_format *f, struct tl_parse *p, const char *path)
{
	struct tl_err err;
	struct tl_event ev;
	struct tl_record origin;
	struct tl_buf b = TL_BUF_INIT;
	int own = tl_parse_open(p, path, &err);
	if (own == 0) {
		fuzz_read(path, tl_format_framing(f), p, 100000);
	} else if (own > 0) {
		struct tl_record rec;
		for (size_t n = 0; n < 100000 && tl_parse_next(p, &rec, &err) == 1; n++) {
			if (tl_parse_record(p, &rec, &ev, &err) == TL_PARSE_EVENT) {
				tl_buf_reset(&b);
				tl_event_extra_json(&ev, &b);
			}
			while (tl_parse_ready(p, &ev, &origin, &err) != TL_PARSE_META)
				;
		}
		(void)tl_parse_pos(p);
	}
	tl_parse_finish(p);
	enum tl_parse_status st;
	while ((st = tl_parse_ready(p, &ev, &origin, &err)) != TL_PARSE_META) {
		tl_buf_reset(&b);
		if (st == TL_PARSE_EVENT)
			tl_event_extra_json(&ev, &b);
	}
	tl_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tl_formats fs = TL_FORMATS_INIT;
	static struct tl_format *inline_f[NTABLE];
	static const struct tl_format *f_of[NTABLE + 64];
	static size_t nf;
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
		nf = NTABLE;
		for (size_t i = 0; i < tl_c_parser_count && nf < sizeof(f_of) / sizeof(f_of[0]); i++)
			if (!(f_of[nf++] = tl_formats_find(&fs, tl_c_parsers[i]->name)))
				abort();
	}
	if (size < 1)
		return 0;
	const struct tl_format *f = f_of[data[0] % nf];
	size_t skip = 1;
	const uint8_t *nl = data[0] == '@' ? memchr(data, '\n', size < 64 ? size : 64) : NULL;
	if (nl) {
		char name[64];
		size_t n = (size_t)(nl - data) - 1;
		memcpy(name, data + 1, n);
		name[n] = 0;
		if (tl_formats_find(&fs, name))
			f = tl_formats_find(&fs, name), skip = n + 2;
	}
	int score;
	(void)tl_formats_detect(&fs, (const char *)data + skip, size - skip, &score);
	struct tl_time_ctx tctx;
	tl_time_ctx_init(&tctx, NULL, "default", 0, INT64_C(1795129200));
	struct tl_parse *p = tl_parse_new(f, &tctx, &err);
	if (!p)
		return 0;
	const char *path = fuzz_file(data + skip, size - skip);
	/* detection samples records with every nominated format: hostile input for all of them */
	struct tl_detection d;
	if (tl_detect_file(&fs, path, &d, &err) == 0 && d.format && !d.json)
		abort(); /* a claim always comes with its account */
	tl_detection_release(&d);
	parse_file(f, p, path);
	const struct tl_field *fields;
	(void)tl_parse_fields(p, &fields);
	tl_parse_free(p);
	return 0;
}
