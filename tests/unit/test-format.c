/* Unit tests: loading format definitions (src/parse/format.c) and the parse engine (src/parse/engine.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tl/format.h"
#include "format-run.h"

static struct tl_format *load(const char *text, struct tl_err *err)
{
	return tl_format_load("def.json", text, strlen(text), err);
}

static void start(struct run *r, const struct tl_format *f)
{
	tl_time_ctx_init(&r->tctx, NULL, "default", 2026, 0);
	r->p = tl_parse_new(f, &r->tctx, &r->err);
	assert_non_null(r->p);
}

#define REGEX_DEF \
	"{\"name\":\"t-regex\",\"family\":\"firewall\",\"version\":\"1\",\"framing\":{\"type\":\"lines\"}," \
	"\"parse\":{\"type\":\"regex\",\"patterns\":[\"^(?<t>\\\\S+) (?<src>\\\\S+) (?<act>\\\\w+) (?<rest>.*)$\"]}," \
	"\"null_values\":[\"-\"],\"timestamp\":{\"field\":\"t\",\"formats\":[\"iso8601\"]}," \
	"\"fields\":{\"src_ip\":\"src\",\"message\":\"{act}: {rest}\",\"proto\":\"=tcp\"}," \
	"\"maps\":{\"action\":{\"from\":\"act\",\"values\":{\"ACCEPT\":\"allow\"},\"match\":[[\"^DR\",\"deny\"]],\"default\":\"other\"}," \
	"\"outcome\":{\"from\":\"nothing\",\"missing\":\"unknown\"}}," \
	"\"sniff\":[{\"regex\":\"^\\\\d{4}-\",\"score\":60}],\"samples\":[\"2026-11-19T23:00:00Z 10.0.0.1 ACCEPT x\"]}"

static void test_regex_mapping(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(REGEX_DEF, &r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "2026-11-19T23:00:01.5Z 10.0.0.1 DROP port 22"), TL_PARSE_EVENT);
	assert_int_equal(r.ev.ts, INT64_C(1795129201500000));
	assert_string_equal(field(&r.ev, "src_ip"), "10.0.0.1");
	assert_string_equal(field(&r.ev, "action"), "deny");
	assert_string_equal(field(&r.ev, "outcome"), "unknown");
	assert_string_equal(field(&r.ev, "proto"), "tcp");
	assert_string_equal(field(&r.ev, "message"), "DROP: port 22");
	/* a template renders a message but keeps its parts in extra */
	assert_string_equal(extra(&r.ev), "{\"act\":\"DROP\",\"rest\":\"port 22\"}");
	/* a non-address in an address field goes to extra, not to src_ip */
	assert_int_equal(feed(&r, "2026-11-19T23:00:01Z gateway.example.com ACCEPT -"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "src_ip"), "(null)");
	assert_string_equal(field(&r.ev, "action"), "allow");
	assert_string_equal(extra(&r.ev), "{\"act\":\"ACCEPT\",\"src\":\"gateway.example.com\"}");
	assert_int_equal(feed(&r, "garbage"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "does not match any pattern of t-regex"));
	assert_int_equal(feed(&r, "yesterday 10.0.0.1 ACCEPT x"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "timestamp 'yesterday' does not match iso8601"));
	assert_int_equal(feed(&r, "   "), TL_PARSE_META);
	tl_parse_free(r.p);
	tl_format_free(f);
}

static void test_json_flatten_and_embedded(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		"{\"name\":\"t-json\",\"family\":\"audit\",\"version\":\"1\",\"parse\":{\"type\":\"json\",\"embedded_json\":[\"inner\"]},"
		"\"timestamp\":{\"field\":[\"when\",\"time\"],\"formats\":[\"epoch\"]},"
		"\"fields\":{\"user\":[\"who.name\",\"who.id\"],\"src_port\":\"port\"},"
		"\"sniff\":[{\"regex\":\"^\\\\{\",\"score\":10}],\"samples\":[\"{\\\"time\\\":1,\\\"who\\\":{\\\"id\\\":\\\"u\\\"}}\"]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "{\"time\":1795129200.25,\"who\":{\"id\":\"u1\",\"tags\":[\"a\",{\"b\":1}]},\"port\":443,\"ok\":true,\"n\":null}"),
			 TL_PARSE_EVENT);
	assert_int_equal(r.ev.ts, INT64_C(1795129200250000));
	assert_string_equal(field(&r.ev, "user"), "u1");
	assert_string_equal(field(&r.ev, "src_port"), "443");
	assert_string_equal(extra(&r.ev), "{\"who.tags\":[\"a\",{\"b\":1}],\"ok\":true,\"n\":null}");
	assert_int_equal(feed(&r, "{\"inner\":\"{\\\"when\\\":5,\\\"who\\\":{\\\"name\\\":\\\"x\\\"}}\",\"outer\":1}"), TL_PARSE_EVENT);
	assert_int_equal(r.ev.ts, 5 * INT64_C(1000000));
	assert_string_equal(field(&r.ev, "user"), "x");
	assert_string_equal(extra(&r.ev), "{\"outer\":1}");
	assert_int_equal(feed(&r, "{\"time\":1,"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "invalid JSON"));
	assert_int_equal(feed(&r, "[1,2]"), TL_PARSE_REJECT);
	assert_int_equal(feed(&r, "{\"who\":{\"id\":\"u\"}}"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "no timestamp"));
	tl_parse_free(r.p);
	tl_format_free(f);
}

static void test_delimited_headers(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		"{\"name\":\"t-w3c\",\"family\":\"proxy\",\"version\":\"1\",\"parse\":{\"type\":\"delimited\",\"header\":\"w3c\",\"quote\":\"\\\"\"},"
		"\"null_values\":[\"-\"],\"timestamp\":{\"field\":\"{date} {time}\",\"formats\":[\"%Y-%m-%d %H:%M:%S\"]},"
		"\"fields\":{\"src_ip\":\"c-ip\",\"user\":\"cs-username\"},"
		"\"sniff\":[{\"regex\":\"^#Fields:\",\"score\":60}],"
		"\"samples\":[[\"#Fields: date time c-ip\",\"2026-11-19 23:00:00 10.0.0.1\"]]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "#Software: SGOS 6.7"), TL_PARSE_META);
	assert_int_equal(feed(&r, "2026-11-19 23:00:00 10.0.0.1"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "before any fields header"));
	assert_int_equal(feed(&r, "#Fields: date time c-ip cs-username"), TL_PARSE_META);
	assert_int_equal(feed(&r, "2026-11-19 23:00:00  10.0.0.1 \"EXAMPLE\\\\jdoe\""), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "EXAMPLE\\\\jdoe");
	assert_string_equal(extra(&r.ev), "{}");
	/* the header changes mid-file: the new one is followed */
	assert_int_equal(feed(&r, "#Fields: date time cs-username c-ip"), TL_PARSE_META);
	assert_int_equal(feed(&r, "2026-11-19 23:00:01 - 10.0.0.2"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "src_ip"), "10.0.0.2");
	assert_string_equal(field(&r.ev, "user"), "(null)");
	assert_int_equal(feed(&r, "2026-11-19 23:00:01 a b c"), TL_PARSE_REJECT);
	assert_string_equal(r.err.msg, "expected 4 fields, found 5");
	tl_parse_free(r.p);
	tl_format_free(f);
}

static void test_kv(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		"{\"name\":\"t-kv\",\"family\":\"firewall\",\"version\":\"1\",\"parse\":{\"type\":\"kv\",\"prefix\":\"^<(?<pri>\\\\d+)>\"},"
		"\"timestamp\":{\"field\":\"{date} {time}\",\"formats\":[\"%Y-%m-%d %H:%M:%S\"]},"
		"\"fields\":{\"src_ip\":\"srcip\",\"message\":\"msg\"},"
		"\"sniff\":[{\"regex\":\"devid=\",\"score\":60}],\"samples\":[\"<189>date=2026-11-19 time=23:00:00 srcip=10.0.0.1\"]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "<189>date=2026-11-19 time=23:00:00 devname=\"FG 1\" srcip=10.0.0.1 msg=\"a b=c\""), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "a b=c");
	assert_string_equal(extra(&r.ev), "{\"pri\":\"189\",\"devname\":\"FG 1\"}");
	assert_int_equal(feed(&r, "no prefix"), TL_PARSE_REJECT);
	tl_parse_free(r.p);
	tl_format_free(f);
}

static void test_prefix_flags_and_embedded_json(void **state)
{
	(void)state;
	struct run r;
	/* a CSV export whose AuditData column is JSON (Microsoft Purview) behind a syslog header */
	struct tl_format *f = load(
		"{\"name\":\"t-csv\",\"family\":\"audit\",\"version\":\"1\",\"framing\":{\"type\":\"csv\"},"
		"\"parse\":{\"type\":\"delimited\",\"separator\":\",\",\"quote\":\"\\\"\",\"header\":\"none\","
		"\"columns\":[\"CreationDate\",\"UserIds\",\"AuditData\"],\"prefix\":\"^<(?<pri>\\\\d+)>\",\"embedded_json\":[\"AuditData\"]},"
		"\"timestamp\":{\"field\":\"CreationDate\",\"formats\":[\"iso8601\"]},"
		"\"fields\":{\"user\":\"UserIds\",\"src_ip\":\"ClientIP\"},"
		"\"sniff\":[{\"regex\":\"AuditData\",\"score\":60}],\"samples\":[\"<1>2026-11-19T23:00:00Z,a,{}\"]}",
		&r.err);
	if (!f)
		fail_msg("%s", r.err.msg);
	start(&r, f);
	assert_int_equal(feed(&r, "<14>2026-11-19T23:00:00Z,mchen@example.com,\"{\"\"ClientIP\"\":\"\"192.0.2.9\"\",\"\"Operation\"\":\"\"FileDownloaded\"\"}\""),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "mchen@example.com");
	assert_string_equal(field(&r.ev, "src_ip"), "192.0.2.9");
	assert_string_equal(extra(&r.ev), "{\"pri\":\"14\",\"Operation\":\"FileDownloaded\"}");
	assert_int_equal(feed(&r, "2026-11-19T23:00:00Z,a,{}"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "prefix pattern"));
	assert_int_equal(feed(&r, "<14>2026-11-19T23:00:00Z,a,\"{not json\""), TL_PARSE_REJECT);
	tl_parse_free(r.p);
	tl_format_free(f);

	/* netfilter: key=value with bare flags */
	f = load("{\"name\":\"t-nf\",\"family\":\"firewall\",\"version\":\"1\",\"parse\":{\"type\":\"kv\",\"prefix\":\"^(?<t>\\\\d+) \"},"
		 "\"timestamp\":{\"field\":\"t\",\"formats\":[\"epoch\"]},\"fields\":{\"src_ip\":\"SRC\"},"
		 "\"sniff\":[{\"regex\":\"SRC=\",\"score\":60}],\"samples\":[\"1 SRC=10.0.0.1\"]}",
		 &r.err);
	if (!f)
		fail_msg("%s", r.err.msg);
	start(&r, f);
	assert_int_equal(feed(&r, "1795129200 IN=eth0 OUT= SRC=10.0.0.1 DF PROTO=TCP SYN"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "src_ip"), "10.0.0.1");
	assert_string_equal(extra(&r.ev), "{\"IN\":\"eth0\",\"OUT\":\"\",\"DF\":true,\"PROTO\":\"TCP\",\"SYN\":true}");
	tl_parse_free(r.p);
	tl_format_free(f);
}

static void test_definition_errors_have_positions(void **state)
{
	(void)state;
	struct tl_err err;
	assert_null(load("{\"name\":\"x\",\"family\":\"nope\",\"version\":\"1\"}", &err));
	assert_non_null(strstr(err.msg, "def.json:1:"));
	assert_non_null(strstr(err.msg, "unknown family"));
	assert_null(load("{\"name\":\"x\",\"family\":\"dns\",\"version\":\"1\",\n\"parse\":{\"type\":\"regex\",\"patterns\":[\"(unclosed\"]}}", &err));
	assert_non_null(strstr(err.msg, "def.json:2:"));
	assert_non_null(strstr(err.msg, "bad pattern"));
	assert_null(load("{\"name\":\"x\",\"family\":\"dns\",\"version\":\"1\",\"feilds\":{}}", &err));
	assert_non_null(strstr(err.msg, "unknown key \"feilds\""));
	/* a sample that does not parse is refused at load */
	char *bad = strdup(REGEX_DEF);
	char *s = strstr(bad, "\"samples\":[\"2026");
	memcpy(s + 12, "X", 1);
	assert_null(load(bad, &err));
	assert_non_null(strstr(err.msg, "sample does not parse"));
	free(bad);
}

static void test_catastrophic_regex_is_a_reject_not_a_hang(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		"{\"name\":\"t-evil\",\"family\":\"dns\",\"version\":\"1\",\"parse\":{\"type\":\"regex\",\"patterns\":[\"^(?<t>\\\\d+) (a|aa)+$\"]},"
		"\"timestamp\":{\"field\":\"t\",\"formats\":[\"epoch\"]},\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"1 aa\"]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	char line[200] = "1 ";
	memset(line + 2, 'a', 120);
	line[122] = 'b';
	assert_int_equal(feed(&r, line), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "match limit"));
	tl_parse_free(r.p);
	tl_format_free(f);
}


/* A definition with an envelope needs neither parse nor timestamp; the new keys
 * refuse mistakes at load with the position of the offending value. */
#define ENV_HEAD "{\"name\":\"t-env\",\"family\":\"hids\",\"version\":\"1\",\"envelope\":\"syslog\",\n"
#define ENV_TAIL ",\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"<13>Nov 19 23:00:00 h p[1]: m\"]}"

static void expect_error(const char *def, const char *where, const char *what)
{
	struct tl_err err;
	struct tl_format *f = load(def, &err);
	if (f)
		fail_msg("definition loaded but should fail with '%s': %s", what, def);
	if (!strstr(err.msg, where) || !strstr(err.msg, what))
		fail_msg("error '%s' lacks '%s' or '%s'", err.msg, where, what);
}

static void test_new_constructs_load_errors(void **state)
{
	(void)state;
	expect_error("{\"name\":\"x\",\"family\":\"hids\",\"version\":\"1\",\n\"envelope\":\"gelf\"}", "def.json:2:12:",
		     "unknown envelope");
	expect_error(ENV_HEAD "\"dispatch\":{\"to\":{}}" ENV_TAIL, "def.json:2:12:", "needs \"by\"");
	expect_error(ENV_HEAD "\"dispatch\":{\"by\":\"syslog.program\",\"to\":\"zeek-json\"}" ENV_TAIL, "def.json:2:",
		     "\"{}\" once");
	expect_error(ENV_HEAD "\"dispatch\":{\"by\":\"syslog.program\",\"unclaimed\":\"drop\"}" ENV_TAIL, "def.json:2:",
		     "\"unclaimed\" is");
	expect_error(ENV_HEAD "\"dispatch\":{\"by\":\"=x\"}" ENV_TAIL, "def.json:2:", "names a field");
	expect_error(ENV_HEAD "\"dispatch\":{\"by\":\"a\",\"bye\":1}" ENV_TAIL, "def.json:2:", "unknown key \"bye\"");
	expect_error(ENV_HEAD "\"cases\":{\"by\":\"syslog.program\",\"values\":{\"p\":{\"patterns\":[\"x\"]}}}" ENV_TAIL,
		     "def.json:2:", "need \"on\"");
	expect_error(ENV_HEAD "\"cases\":{\"by\":\"syslog.program\",\"on\":\"syslog.message\",\n\"values\":{\"p\":{\"patterns\":[\"(x\"]}}}" ENV_TAIL,
		     "def.json:3:", "bad pattern");
	expect_error(ENV_HEAD "\"cases\":{\"by\":\"a\",\"values\":{\"1,2\":{},\"2\":{}}}" ENV_TAIL, "def.json:2:",
		     "listed twice");
	expect_error(ENV_HEAD "\"cases\":{\"by\":\"a\",\"values\":{\"1\":{\"feilds\":{}}}}" ENV_TAIL, "def.json:2:",
		     "unknown key \"feilds\" in case");
	expect_error(ENV_HEAD "\"cases\":{\"by\":\"a\",\"values\":{\"1\":{\"fields\":{\"username\":\"u\"}}}}" ENV_TAIL,
		     "def.json:2:", "not a normalized field");
	expect_error(ENV_HEAD "\"parse\":{\"type\":\"delimited\",\"columns\":[\"a\",\"b\"],\n\"column_sets\":[{\"by\":\"c\",\"sets\":{\"1\":[\"d\"]}}]}" ENV_TAIL,
		     "def.json:3:", "not a column of an earlier stage");
	expect_error(ENV_HEAD "\"parse\":{\"type\":\"delimited\",\"columns\":[\"a\"],\n\"column_sets\":[{\"by\":\"a\",\"sets\":{\"1\":[\"d\"]},\"min\":2}]}" ENV_TAIL,
		     "def.json:3:", "count from 1 to the set's columns");
	expect_error(ENV_HEAD "\"parse\":{\"type\":\"delimited\",\"columns\":[\"a\"],\n\"column_sets\":[{\"by\":\"a\",\"sets\":{\"1\":[\"d\"]},\"min\":{\"2\":1}}]}" ENV_TAIL,
		     "def.json:3:", "not a set of this stage");
	expect_error(ENV_HEAD "\"parse\":{\"type\":\"kv\",\"extra_columns\":\"keep\"}" ENV_TAIL, "def.json:2:",
		     "go with delimited");
	expect_error(ENV_HEAD "\"parse\":{\"type\":\"delimited\",\"columns\":[\"a\"],\"extra_columns\":\"drop\"}" ENV_TAIL,
		     "def.json:2:", "\"keep\" or \"reject\"");
	expect_error(ENV_HEAD "\"claims\":[\"syslog\"]" ENV_TAIL, "def.json:2:", "\"claims\" is an object");
	expect_error("{\"name\":\"x\",\"family\":\"hids\",\"version\":\"1\",\n  \"extends\":\"no-such-format\"}", "def.json:2:13:",
		     "not a known definition");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Errors that need the whole set of definitions: links and extends chains. */
static void test_set_errors_and_extends(void **state)
{
	(void)state;
	char dir[] = "/tmp/tl-test-format.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct tl_err err;
	struct tl_formats fs = TL_FORMATS_INIT;
	/* a claim for a dispatcher that does not exist */
	write_file(dir, "a.json", ENV_HEAD "\"claims\":{\"nosuch\":[\"p\"]}" ENV_TAIL);
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	assert_int_not_equal(tl_formats_add_dir(&fs, dir, &err), 0);
	assert_non_null(strstr(err.msg, "a.json:2:20:"));
	assert_non_null(strstr(err.msg, "not a loaded dispatcher"));
	tl_formats_release(&fs);
	/* the same value claimed twice */
	write_file(dir, "a.json", ENV_HEAD "\"claims\":{\"syslog\":[\"squid\"]}" ENV_TAIL);
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	assert_int_not_equal(tl_formats_add_dir(&fs, dir, &err), 0);
	assert_non_null(strstr(err.msg, "claimed by two definitions"));
	tl_formats_release(&fs);
	/* a cycle, found whatever the file order */
	write_file(dir, "a.json", "{\"name\":\"b\",\"family\":\"hids\",\"version\":\"1\",\"extends\":\"c\"}");
	write_file(dir, "b.json", "{\"name\":\"c\",\"family\":\"hids\",\"version\":\"1\",\n\"extends\":\"b\"}");
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	assert_int_not_equal(tl_formats_add_dir(&fs, dir, &err), 0);
	assert_non_null(strstr(err.msg, "b.json:2:11: \"extends\" makes a cycle: b -> c -> b"));
	tl_formats_release(&fs);
	/* a working variant of a built-in: fields merge, claims are its own */
	write_file(dir, "a.json", "{\"extends\":\"squid-native\",\"name\":\"acme-squid\",\"version\":\"2\","
				  "\"claims\":{\"syslog\":[\"acme-squid\"]},\"fields\":{\"host\":\"=proxy-acme\"}}");
	char p[512];
	snprintf(p, sizeof(p), "%s/b.json", dir);
	unlink(p);
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	assert_int_equal(tl_formats_add_dir(&fs, dir, &err), 0);
	const struct tl_format *syslog = tl_formats_find(&fs, "syslog");
	assert_non_null(syslog);
	struct run r;
	start(&r, syslog);
	assert_int_equal(feed(&r, "<182>2026-11-19T23:40:03.120+01:00 proxy9 acme-squid[1]: 1795128003.120    142 "
				  "10.20.1.15 TCP_MISS/200 20431 GET http://u.example.org/f - HIER_DIRECT/198.51.100.20 -"),
			 TL_PARSE_EVENT);
	assert_string_equal(r.ev.format, "acme-squid");
	assert_string_equal(field(&r.ev, "host"), "proxy-acme");
	assert_string_equal(field(&r.ev, "url"), "http://u.example.org/f");
	tl_parse_free(r.p);
	tl_formats_release(&fs);
	unlink(p);
	snprintf(p, sizeof(p), "%s/a.json", dir);
	unlink(p);
	rmdir(dir);
}


/* A name template finds targets by name ('_' in the value, '-' in the name);
 * "unclaimed": "reject" names the value nobody claims. */
static void test_template_dispatch_and_reject(void **state)
{
	(void)state;
	char dir[] = "/tmp/tl-test-format.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_file(dir, "d.json",
		   "{\"name\":\"t-streams\",\"family\":\"flow\",\"version\":\"1\",\"parse\":{\"type\":\"json\"},"
		   "\"dispatch\":{\"by\":[\"_path\",\"@stream\"],\"to\":\"t-{}-json\",\"unclaimed\":\"reject\"},"
		   "\"timestamp\":{\"field\":\"ts\",\"formats\":[\"epoch\"]},\"sniff\":[{\"regex\":\"x\",\"score\":1}],"
		   "\"samples\":[\"{\\\"ts\\\":1}\"]}");
	write_file(dir, "t.json",
		   "{\"name\":\"t-dce-rpc-json\",\"family\":\"edr\",\"version\":\"1\",\"parse\":{\"type\":\"json\"},"
		   "\"timestamp\":{\"field\":\"ts\",\"formats\":[\"epoch\"]},\"fields\":{\"action\":\"operation\"},"
		   "\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"{\\\"ts\\\":1}\"]}");
	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_err err;
	assert_int_equal(tl_formats_add_dir(&fs, dir, &err), 0);
	struct run r;
	start(&r, tl_formats_find(&fs, "t-streams"));
	assert_int_equal(feed(&r, "{\"@stream\":\"dce_rpc\",\"ts\":1795128000.5,\"operation\":\"NetrLogonSamLogonEx\"}"),
			 TL_PARSE_EVENT);
	assert_string_equal(r.ev.format, "t-dce-rpc-json");
	assert_string_equal(r.ev.family, "edr");
	assert_string_equal(field(&r.ev, "action"), "NetrLogonSamLogonEx");
	assert_non_null(strstr(extra(&r.ev), "\"@stream\":\"dce_rpc\""));
	assert_int_equal(feed(&r, "{\"_path\":\"x509\",\"ts\":1795128000.5}"), TL_PARSE_REJECT);
	assert_string_equal(r.err.msg, "no definition for _path 'x509'");
	assert_int_equal(feed(&r, "{\"ts\":1795128000.5}"), TL_PARSE_REJECT);
	assert_string_equal(r.err.msg, "no _path to choose a definition by");
	tl_parse_free(r.p);
	tl_formats_release(&fs);
	char p[512];
	snprintf(p, sizeof(p), "%s/d.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/t.json", dir);
	unlink(p);
	rmdir(dir);
}

/* "by" as a template keys on a pair of fields; a definition extending a
 * dispatcher is not one itself (it is what the dispatcher hands records to),
 * and "unclaimed": "generic" keeps unclaimed records as the dispatcher's
 * events. The built-in cef and its vendor mappings are this shape. */
static void test_pair_dispatch_and_extends(void **state)
{
	(void)state;
	char dir[] = "/tmp/tl-test-format.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_file(dir, "d.json",
		   "{\"name\":\"t-carrier\",\"family\":\"dlp\",\"version\":\"1\",\"parse\":{\"type\":\"json\"},"
		   "\"dispatch\":{\"by\":\"{v}|{p}\",\"unclaimed\":\"generic\"},\"fields\":{\"user\":\"u\"},"
		   "\"timestamp\":{\"field\":\"ts\",\"formats\":[\"epoch\"]},\"sniff\":[{\"regex\":\"x\",\"score\":1}],"
		   "\"samples\":[\"{\\\"ts\\\":1}\"]}");
	write_file(dir, "t.json",
		   "{\"extends\":\"t-carrier\",\"name\":\"t-vendor\",\"version\":\"1\",\"claims\":{\"t-carrier\":[\"Acme|DLP\"]},"
		   "\"fields\":{\"rule\":\"policy\"}}");
	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_err err;
	assert_int_equal(tl_formats_add_dir(&fs, dir, &err), 0);
	assert_false(tl_format_dispatches(tl_formats_find(&fs, "t-vendor")));
	assert_true(tl_format_unclaimed_proves(tl_formats_find(&fs, "t-carrier")));
	struct run r;
	start(&r, tl_formats_find(&fs, "t-carrier"));
	assert_int_equal(feed(&r, "{\"v\":\"Acme\",\"p\":\"DLP\",\"ts\":1795128000,\"u\":\"mchen\",\"policy\":\"PCI\"}"),
			 TL_PARSE_EVENT);
	assert_string_equal(r.ev.format, "t-vendor");
	assert_string_equal(field(&r.ev, "user"), "mchen"); /* inherited mapping */
	assert_string_equal(field(&r.ev, "rule"), "PCI");   /* its own */
	/* the product alone is not the key */
	assert_int_equal(feed(&r, "{\"v\":\"Other\",\"p\":\"DLP\",\"ts\":1795128000,\"u\":\"akim\"}"), TL_PARSE_EVENT);
	assert_string_equal(r.ev.format, "t-carrier");
	assert_string_equal(field(&r.ev, "user"), "akim");
	/* a template with a missing part does not resolve: generic event */
	assert_int_equal(feed(&r, "{\"v\":\"Acme\",\"ts\":1795128000}"), TL_PARSE_EVENT);
	assert_string_equal(r.ev.format, "t-carrier");
	tl_parse_free(r.p);
	tl_formats_release(&fs);
	char p[512];
	snprintf(p, sizeof(p), "%s/d.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/t.json", dir);
	unlink(p);
	rmdir(dir);
}

/* One syslog stream, several definitions: each record's event names the one that parsed it. */
static void test_syslog_dispatch(void **state)
{
	(void)state;
	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_err err;
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	struct run r;
	start(&r, tl_formats_find(&fs, "syslog"));
	assert_int_equal(feed(&r, "<134>2026-11-19T23:40:02.004+01:00 relay01 <134>1 2026-11-19T23:40:01.998+01:00 fw1 "
				  "filterlog 60912 - - 5,,,1000000103,igb0,match,block,in,4,0x0,,241,0,0,none,6,tcp,40,"
				  "198.51.100.9,203.0.113.2,51515,23,0,S,3124023311,,1024,,"),
			 TL_PARSE_EVENT);
	assert_string_equal(r.ev.format, "pfsense-filterlog");
	assert_string_equal(r.ev.family, "firewall");
	assert_string_equal(field(&r.ev, "host"), "fw1");
	assert_string_equal(field(&r.ev, "dst_port"), "23");
	assert_int_equal(r.ev.ts, INT64_C(1795128001998000));
	assert_non_null(strstr(extra(&r.ev), "\"syslog.relay.host\":\"relay01\""));
	/* racoon: a program no built-in definition claims (charon is strongswan-charon's) */
	assert_int_equal(feed(&r, "<30>1 2026-11-19T23:41:10.5+01:00 vpn-gw racoon 18610 IKE [origin ip=\"10.20.0.1\" "
				  "x=\"a\\\"b\\]\"] 08[IKE] up"),
			 TL_PARSE_EVENT);
	assert_string_equal(r.ev.format, "syslog");
	assert_string_equal(field(&r.ev, "process"), "racoon");
	assert_string_equal(field(&r.ev, "message"), "08[IKE] up");
	assert_non_null(strstr(extra(&r.ev), "\"sd.origin.x\":\"a\\\"b]\""));
	assert_non_null(strstr(extra(&r.ev), "\"syslog.msgid\":\"IKE\""));
	/* a message that starts with a time is not a relayed header */
	assert_int_equal(feed(&r, "<13>Nov 19 23:42:00 app01 2026-11-19T23:41:59 backup finished"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "host"), "app01");
	assert_string_equal(field(&r.ev, "message"), "2026-11-19T23:41:59 backup finished");
	/* RFC 5424: no PRI-less form, a byte order mark before the message, no host */
	assert_int_equal(feed(&r, "<14>1 2026-11-19T23:42:01Z - app - - - \xEF\xBB\xBFhello"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "hello");
	assert_string_equal(field(&r.ev, "host"), "(null)");
	assert_int_equal(feed(&r, "-- MARK --"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "no syslog header"));
	tl_parse_free(r.p);
	tl_formats_release(&fs);
}

/* cases: a hash lookup on the message id, each with its own patterns and mapping. */
static void test_cases_and_column_sets(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		ENV_HEAD "\"parse\":{\"type\":\"delimited\",\"columns\":[\"kind\"],\"extra_columns\":\"keep\","
		"\"column_sets\":[{\"by\":\"kind\",\"sets\":{\"a,b\":[\"x\",\"y\"]},\"default\":[\"z\"]}]},"
		"\"cases\":{\"by\":\"kind\",\"on\":\"syslog.message\",\"values\":{\"a\":{\"patterns\":\"^a,(?<u>\\\\w+)\","
		"\"fields\":{\"user\":\"u\",\"action\":\"=alpha\"}}}},"
		"\"fields\":{\"action\":\"=other\",\"message\":\"x\"},\"sniff\":[{\"regex\":\"x\",\"score\":1}],"
		"\"samples\":[\"<13>Nov 19 23:00:00 h p[1]: a,mchen,2\"]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: a,mchen,2,3"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "action"), "alpha");
	assert_string_equal(field(&r.ev, "user"), "mchen");
	assert_non_null(strstr(extra(&r.ev), "\"column_4\":\"3\""));
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: b,1,2"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "action"), "other");
	assert_string_equal(field(&r.ev, "message"), "1");
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: q,9"), TL_PARSE_EVENT);
	assert_non_null(strstr(extra(&r.ev), "\"z\":\"9\""));
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: b,1"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "expected 3 fields, found 2"));
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: a,-!,2"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "kind 'a': record does not match any pattern of its case"));
	tl_parse_free(r.p);
	tl_format_free(f);
}

/* A device of another version writes fewer of a set's columns: with "min" the
 * ones present are placed and the event says what is absent; fewer than the
 * minimum stays a reject (a cut line, not a layout). */
static void test_column_set_min(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		ENV_HEAD "\"parse\":{\"type\":\"delimited\",\"columns\":[\"kind\"],"
		"\"column_sets\":[{\"by\":\"kind\",\"sets\":{\"T\":[\"src\",\"dst\",\"bytes\",\"late\"]},\"min\":{\"T\":3}}]},"
		"\"fields\":{\"src_ip\":\"src\",\"message\":\"kind\"},\"sniff\":[{\"regex\":\"x\",\"score\":1}],"
		"\"samples\":[\"<13>Nov 19 23:00:00 h p[1]: T,10.0.0.1,10.0.0.2,5,x\"]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: T,10.0.0.1,10.0.0.2,5,x"), TL_PARSE_EVENT);
	assert_null(strstr(extra(&r.ev), "columns_missing"));
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: T,10.0.0.1,10.0.0.2,5"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "src_ip"), "10.0.0.1");
	assert_non_null(strstr(extra(&r.ev), "\"columns_missing\":\"found 4 of 5 fields; \\\"late\\\" and later absent\""));
	assert_int_equal(feed(&r, "<13>Nov 19 23:00:00 h p[1]: T,10.0.0.1,10.0.0.2"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "expected 5 fields, found 3"));
	tl_parse_free(r.p);
	tl_format_free(f);
}

/* Network formats (issue 12): a header line anywhere names the columns
 * (header_match), two quote characters, record_type, dns_labels. */
static void test_header_match_record_type_labels(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		"{\"name\":\"t-vpc\",\"family\":\"flow\",\"version\":\"1\",\"parse\":{\"type\":\"delimited\",\"separator\":\" \","
		"\"quote\":\"\\\"'\",\"columns\":[\"v\"],\"header_match\":\"^[a-z][a-z-]*(?: [a-z][a-z-]*)+$\","
		"\"column_sets\":[{\"by\":\"v\",\"sets\":{\"2\":[\"t\",\"src\"]}}]},"
		"\"timestamp\":{\"field\":\"t\",\"formats\":[\"epoch\"]},\"fields\":{\"src_ip\":\"src\",\"message\":\"ua\"},"
		"\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"2 1795128601 10.0.0.1\"]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "2 1795128601 10.0.0.1"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "src_ip"), "10.0.0.1");
	assert_int_equal(feed(&r, "ua src t"), TL_PARSE_META);
	assert_int_equal(feed(&r, "'a b' 10.0.0.2 1795128602"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "a b");
	assert_string_equal(field(&r.ev, "src_ip"), "10.0.0.2");
	assert_int_equal(feed(&r, "\"c d\" 10.0.0.3 1795128603"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "c d");
	assert_int_equal(feed(&r, "x 10.0.0.3"), TL_PARSE_REJECT);
	tl_parse_free(r.p);
	tl_format_free(f);

	f = load("{\"name\":\"t-eve-dns\",\"family\":\"dns\",\"version\":\"1\",\"parse\":{\"type\":\"json\"},"
		 "\"record_type\":{\"field\":\"event_type\",\"values\":[\"dns\"]},"
		 "\"timestamp\":{\"field\":\"ts\",\"formats\":[\"epoch\"]},\"fields\":{\"domain\":\"q|dns_labels\"},"
		 "\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"{\\\"ts\\\":1795128601,\\\"event_type\\\":\\\"dns\\\"}\"]}",
		 &r.err);
	assert_non_null(f);
	start(&r, f);
	assert_int_equal(feed(&r, "{\"ts\":1795128601,\"event_type\":\"dns\",\"q\":\"(7)updates(7)example(3)org(0)\"}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "domain"), "updates.example.org");
	assert_int_equal(feed(&r, "{\"ts\":1795128601,\"event_type\":\"dns\",\"q\":\"(0)\"}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "domain"), ".");
	/* a label longer than the text, or text outside the labels: not a name */
	assert_int_equal(feed(&r, "{\"ts\":1795128601,\"event_type\":\"dns\",\"q\":\"(9)abc(0)\"}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "domain"), "(null)");
	assert_int_equal(feed(&r, "{\"ts\":1795128601,\"event_type\":\"dns\",\"q\":\"(3)abc(0)x\"}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "domain"), "(null)");
	assert_int_equal(feed(&r, "{\"ts\":1795128601,\"event_type\":\"flow\"}"), TL_PARSE_REJECT);
	assert_string_equal(r.err.msg, "record of event_type 'flow'; t-eve-dns reads event_type 'dns'");
	assert_int_equal(feed(&r, "{\"ts\":1795128601}"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "no event_type to tell the record's type"));
	tl_parse_free(r.p);
	tl_format_free(f);

	assert_null(load("{\"name\":\"t-x\",\"family\":\"flow\",\"version\":\"1\",\"parse\":{\"type\":\"json\",\"header_match\":\"^a\"},"
			 "\"timestamp\":{\"field\":\"t\",\"formats\":[\"epoch\"]},\"sniff\":[{\"regex\":\"x\",\"score\":1}],"
			 "\"samples\":[\"{\\\"t\\\":1}\"]}",
			 &r.err));
	assert_non_null(strstr(r.err.msg, "\"header_match\" goes with delimited parsing"));
	assert_null(load("{\"name\":\"t-x\",\"family\":\"flow\",\"version\":\"1\",\"parse\":{\"type\":\"json\"},"
			 "\"record_type\":{\"field\":\"k\"},\"timestamp\":{\"field\":\"t\",\"formats\":[\"epoch\"]},"
			 "\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"{\\\"t\\\":1}\"]}",
			 &r.err));
	assert_non_null(strstr(r.err.msg, "\"record_type\" needs \"values\""));
}

/* url_host: the host of a URL, lower case, by the entities' one rule; hostile
 * values leave the reference unresolved (the next alternative, here none). */
static void test_url_host_transform(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		"{\"name\":\"t-url\",\"family\":\"edr\",\"version\":\"1\",\"parse\":{\"type\":\"json\"},"
		"\"timestamp\":{\"field\":\"ts\",\"formats\":[\"epoch\"]},"
		"\"fields\":{\"message\":\"u|url_host\",\"domain\":\"u|url_host\"},"
		"\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"{\\\"ts\\\":1795128601}\"]}",
		&r.err);
	assert_non_null(f);
	start(&r, f);
	static const struct {
		const char *in, *host;
	} cases[] = {
		{ "https://Files.Example.NET:8443/upload?name=q4.7z", "files.example.net" },
		{ "transfer.sh", "transfer.sh" },
		{ "Updates.Example.org/feed.xml", "updates.example.org" },
		{ "cdn.example.com:443", "cdn.example.com" },
		{ "ftp://user:p%40ss@Host.Example:21/x", "host.example" },
		{ "http://a@b@evil.example/x", "evil.example" },
		{ "http://[2001:DB8::1]:80/x", "2001:db8::1" },
		{ "[2001:db8::2]", "2001:db8::2" },
		{ "http://host.example:/x", "host.example" },
		{ "203.0.113.44", "203.0.113.44" },
		/* no host */
		{ "", "(null)" },
		{ "/index.html", "(null)" },
		{ "http:///x", "(null)" },
		{ "?q=1", "(null)" },
		{ "http://user@/x", "(null)" },
		/* a port that is no port, an unbracketed IPv6 address */
		{ "fe80::1c2b:3a4d:5e6f:7081", "(null)" },
		{ "error:transaction-end-before-headers", "(null)" },
		{ "host.example:123456/x", "(null)" },
		/* after a scheme the host ends at ':' whatever follows (Zeek's CONNECT join) */
		{ "http://host.example:8o/x", "host.example" },
		/* an unclosed bracket, a blank in the host */
		{ "http://[2001:db8::1/x", "(null)" },
		{ "http://a b.example/x", "(null)" },
		/* a scheme is letters first: "1http://x" is no scheme, and a path */
		{ "1http://x.example/", "(null)" },
	};
	char line[1024];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "{\"ts\":1795128601,\"u\":\"%s\"}", cases[i].in);
		assert_int_equal(feed(&r, line), TL_PARSE_EVENT);
		if (strcmp(field(&r.ev, "message"), cases[i].host))
			fail_msg("url_host(\"%s\") is \"%s\", expected \"%s\"", cases[i].in, field(&r.ev, "message"),
				 cases[i].host);
	}
	/* an address is no domain: the field stays null (message still has it) */
	assert_int_equal(feed(&r, "{\"ts\":1795128601,\"u\":\"http://203.0.113.44/x\"}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "203.0.113.44");
	assert_string_equal(field(&r.ev, "domain"), "(null)");
	assert_int_equal(feed(&r, "{\"ts\":1795128601,\"u\":\"https://A.Example/\"}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "domain"), "a.example");
	/* a host of 253 bytes is one, 254 is not; a very long path costs nothing */
	char *big = malloc(70000);
	assert_non_null(big);
	int n = snprintf(big, 70000, "{\"ts\":1795128601,\"u\":\"http://");
	memset(big + n, 'a', 253);
	memcpy(big + n + 253, "/\"}", 4);
	assert_int_equal(feed(&r, big), TL_PARSE_EVENT);
	assert_int_equal(strlen(field(&r.ev, "message")), 253);
	memset(big + n, 'a', 254);
	memcpy(big + n + 254, "/\"}", 4);
	assert_int_equal(feed(&r, big), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "(null)");
	memcpy(big + n, "h.example/", 10);
	memset(big + n + 10, 'p', 60000);
	memcpy(big + n + 60010, "\"}", 3);
	assert_int_equal(feed(&r, big), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "h.example");
	free(big);
	tl_parse_free(r.p);
	tl_format_free(f);

	/* a known name, and the list of them in the error */
	assert_null(load("{\"name\":\"t-x\",\"family\":\"edr\",\"version\":\"1\",\"parse\":{\"type\":\"json\"},"
			 "\"timestamp\":{\"field\":\"t\",\"formats\":[\"epoch\"]},\"fields\":{\"domain\":\"u|url_hostname\"},"
			 "\"sniff\":[{\"regex\":\"x\",\"score\":1}],\"samples\":[\"{\\\"t\\\":1}\"]}",
			 &r.err));
	assert_non_null(strstr(r.err.msg, "unknown transform \"url_hostname\""));
	assert_non_null(strstr(r.err.msg, "account_domain, url_host)"));
}

/* The built-in registry is checked whole: names unique and sorted, each with fixtures and a docs page. */
static void test_builtin_registry(void **state)
{
	(void)state;
	struct tl_formats fs = TL_FORMATS_INIT;
	struct tl_err err;
	assert_int_equal(tl_formats_add_builtin(&fs, &err), 0);
	assert_true(fs.n >= 4);
	const char *src = getenv("TL_SOURCE_DIR");
	for (size_t i = 0; i < fs.n; i++) {
		if (i)
			assert_true(strcmp(tl_format_name(fs.v[i - 1]), tl_format_name(fs.v[i])) < 0);
		if (!src)
			continue;
		char p[1024];
		struct stat st;
		snprintf(p, sizeof(p), "%s/fixtures/%s/%s", src, tl_format_family(fs.v[i]), tl_format_name(fs.v[i]));
		if (stat(p, &st) != 0)
			fail_msg("format %s has no fixtures at %s", tl_format_name(fs.v[i]), p);
		snprintf(p, sizeof(p), "%s/docs/formats/%s.md", src, tl_format_name(fs.v[i]));
		if (stat(p, &st) != 0)
			fail_msg("format %s has no docs page %s", tl_format_name(fs.v[i]), p);
	}
	int score;
	const struct tl_format *d = tl_formats_detect(&fs, "#separator \\x09\n#path\tconn\n", 26, &score);
	assert_non_null(d);
	assert_string_equal(tl_format_name(d), "zeek-conn");
	assert_null(tl_formats_detect(&fs, "hello world\n", 12, &score));
	tl_formats_release(&fs);
}

/* rename, name_value, embedded_xml, a templated case key and the account
 * transforms: the pieces that let one Windows mapping serve every form. */
#define WIN_HEAD "{\"name\":\"t-win\",\"family\":\"edr\",\"version\":\"1\",\"framing\":{\"type\":\"json\"},\"parse\":{\"type\":\"json\"},"
#define WIN_TAIL ",\"timestamp\":{\"field\":\"t\",\"formats\":[\"iso8601\"]},\"sniff\":[{\"regex\":\"x\",\"score\":1}]," \
	"\"samples\":[\"{\\\"t\\\":\\\"2026-11-19T23:00:00Z\\\"}\"]}"
static void test_rename_name_value_embedded_xml(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = load(
		WIN_HEAD "\"embedded_xml\":\"xml\",\"split\":{\"field\":\"Hashes\",\"prefix\":\"h_\"},"
		"\"name_value\":[{\"field\":\"nv\",\"name\":\"@Name\",\"value\":\"#text\",\"prefix\":\"ED.\"}],"
		"\"rename\":{\"ED.\":\"\",\"win.eventdata.\":{\"to\":\"\",\"case\":\"upper-first\"},\"win.eventID\":\"EventID\",\"x.Computer\":\"Computer\"},"
		"\"cases\":{\"by\":\"{prov}:{EventID}\",\"values\":{\"S:1\":{\"fields\":{\"process\":\"Image\",\"class\":\"=process_activity\",\"file_hash\":\"h_SHA256\"}}}},"
		"\"fields\":{\"class\":\"=other\",\"user\":\"User|account_name\",\"user_domain\":\"User|account_domain\",\"host\":\"Computer\","
		"\"target_user\":\"TargetUserName|account_name\",\"target_user_domain\":\"TargetUserName|account_domain\"}" WIN_TAIL,
		&r.err);
	if (!f)
		fail_msg("%s", r.err.msg);
	start(&r, f);
	/* Wazuh-style camelCase under a prefix, a whole name renamed, the case keyed by two fields */
	assert_int_equal(feed(&r, "{\"t\":\"2026-11-19T23:00:00Z\",\"prov\":\"S\",\"win\":{\"eventID\":\"1\",\"eventdata\":"
				  "{\"hashes\":\"MD5=AA,SHA256=BB,junk\",\"image\":\"C:\\\\cmd.exe\",\"user\":\"CORP\\\\mchen\",\"targetUserName\":\"svc@CORP.EXAMPLE\"}}}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "class"), "process_activity");
	assert_string_equal(field(&r.ev, "process"), "C:\\cmd.exe");
	assert_string_equal(field(&r.ev, "user"), "mchen");
	assert_string_equal(field(&r.ev, "user_domain"), "CORP");
	assert_string_equal(field(&r.ev, "target_user"), "svc");
	assert_string_equal(field(&r.ev, "target_user_domain"), "CORP.EXAMPLE");
	assert_non_null(strstr(extra(&r.ev), "\"User\":\"CORP\\\\mchen\"")); /* as written, kept */
	assert_string_equal(field(&r.ev, "file_hash"), "BB");
	assert_non_null(strstr(extra(&r.ev), "\"h_MD5\":\"AA\""));
	assert_non_null(strstr(extra(&r.ev), "\"Hashes\":\"MD5=AA,SHA256=BB,junk\""));
	/* another provider's event 1 is not the case; a bare user has no domain */
	assert_int_equal(feed(&r, "{\"t\":\"2026-11-19T23:00:00Z\",\"prov\":\"K\",\"win\":{\"eventID\":\"1\",\"eventdata\":{\"user\":\"root\"}}}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "class"), "other");
	assert_string_equal(field(&r.ev, "user"), "root");
	assert_string_equal(field(&r.ev, "user_domain"), "(null)");
	/* EvtxECmd-style name/value array; an element without a value is the empty value */
	assert_int_equal(feed(&r, "{\"t\":\"2026-11-19T23:00:00Z\",\"prov\":\"S\",\"EventID\":1,"
				  "\"nv\":[{\"@Name\":\"Image\",\"#text\":\"/bin/sh\"},{\"@Name\":\"RuleName\"}]}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "process"), "/bin/sh");
	assert_non_null(strstr(extra(&r.ev), "\"RuleName\":\"\""));
	assert_null(strstr(extra(&r.ev), "\"nv\""));
	/* XML in a JSON field, with Sysmon for Linux's entities missing their ';' */
	assert_int_equal(feed(&r, "{\"t\":\"2026-11-19T23:00:00Z\",\"xml\":\"<Event><x><Computer>web01</Computer></x>"
				  "<ED><Data Name='Image'>&lt unknown&gt </Data></ED></Event>\"}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "host"), "web01");
	assert_non_null(strstr(extra(&r.ev), "\"Image\":\"< unknown> \""));
	assert_int_equal(feed(&r, "{\"t\":\"2026-11-19T23:00:00Z\",\"xml\":\"<Event><x>\"}"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "invalid XML"));
	tl_parse_free(r.p);
	tl_format_free(f);
	expect_error(WIN_HEAD "\n\"rename\":[]" WIN_TAIL, "def.json:2:", "\"rename\" must be an object");
	expect_error(WIN_HEAD "\n\"rename\":{\"a\":\"\"}" WIN_TAIL, "def.json:2:", "renamed to nothing");
	expect_error(WIN_HEAD "\n\"rename\":{\"a.\":{\"to\":\"\",\"case\":\"lower\"}}" WIN_TAIL, "def.json:2:", "upper-first");
	expect_error(WIN_HEAD "\n\"name_value\":[{\"field\":\"a\"}]" WIN_TAIL, "def.json:2:", "missing required key \"name\"");
	expect_error(WIN_HEAD "\n\"embedded_xml\":\"\"" WIN_TAIL, "def.json:2:", "non-empty string");
	expect_error(WIN_HEAD "\n\"split\":{\"field\":\"a\",\"kv_separator\":\",\"}" WIN_TAIL, "def.json:2:", "must differ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex_mapping),
		cmocka_unit_test(test_rename_name_value_embedded_xml),
		cmocka_unit_test(test_json_flatten_and_embedded),
		cmocka_unit_test(test_delimited_headers),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_prefix_flags_and_embedded_json),
		cmocka_unit_test(test_definition_errors_have_positions),
		cmocka_unit_test(test_catastrophic_regex_is_a_reject_not_a_hang),
		cmocka_unit_test(test_builtin_registry),
		cmocka_unit_test(test_new_constructs_load_errors),
		cmocka_unit_test(test_set_errors_and_extends),
		cmocka_unit_test(test_template_dispatch_and_reject),
		cmocka_unit_test(test_pair_dispatch_and_extends),
		cmocka_unit_test(test_syslog_dispatch),
		cmocka_unit_test(test_cases_and_column_sets),
		cmocka_unit_test(test_column_set_min),
		cmocka_unit_test(test_header_match_record_type_labels),
		cmocka_unit_test(test_url_host_transform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
