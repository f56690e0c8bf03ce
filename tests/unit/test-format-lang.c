/*
 * Unit tests: the language additions of format definitions — escape-aware
 * kv, CEF and LEEF, array selections and transforms in references, embedded
 * JSON with a prefix, the xml parse type, names never repeated in extra —
 * and every load error of the new constructs, with its file:line:col.
 *
 * Definitions are written with ` for " to stay readable in C.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include "tl/format.h"
#include "format-run.h"
#include "tl/reader.h"

static char *dq(const char *s)
{
	char *d = strdup(s);
	for (char *c = d; *c; c++)
		if (*c == '`')
			*c = '"';
	return d;
}

static struct tl_format *load(const char *text, struct tl_err *err)
{
	char *t = dq(text);
	struct tl_format *f = tl_format_load("def.json", t, strlen(t), err);
	free(t);
	return f;
}

static struct tl_format *start(struct run *r, const char *def)
{
	struct tl_format *f = load(def, &r->err);
	if (!f)
		fail_msg("%s", r->err.msg);
	tl_time_ctx_init(&r->tctx, NULL, "default", 2026, 0);
	r->p = tl_parse_new(f, &r->tctx, &r->err);
	assert_non_null(r->p);
	return f;
}

static void done(struct run *r, struct tl_format *f)
{
	tl_parse_free(r->p);
	tl_format_free(f);
}

/* A definition around PARSE and FIELDS (JSON members, ` for "), time from field t (epoch). */
#define DEF(parse, fields, sample) \
	"{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:" parse ",\n" \
	"`timestamp`:{`field`:`t`,`formats`:[`epoch`]},\n" \
	"`fields`:" fields ",\n" \
	"`sniff`:[{`regex`:`x`,`score`:1}],`samples`:[" sample "]}"

static void test_kv_escapes_quotes_and_values_to_next_key(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = start(&r, DEF("{`type`:`kv`,`values`:`to-next-key`,`escapes`:true,`quote`:`\\`'`}",
					    "{`message`:`msg`,`action`:`act`,`file`:`path`,`user`:`q`}", "`t=1 msg=a b`"));
	assert_int_equal(feed(&r, "t=1795129200 msg=hello world act=a\\=b path=C:\\\\tmp\\\\x y q='it is' "
				  "nl=one\\ntwo k=1 k=2 k=3   "),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "hello world");
	assert_string_equal(field(&r.ev, "action"), "a=b");
	assert_string_equal(field(&r.ev, "file"), "C:\\tmp\\x y");
	assert_string_equal(field(&r.ev, "user"), "it is");
	/* a key twice never reaches extra twice: the second is k#2 */
	assert_string_equal(extra(&r.ev), "{\"nl\":\"one\\ntwo\",\"k\":\"1\",\"k#2\":\"2\",\"k#3\":\"3\"}");
	/* FortiGate: double-quoted values with spaces, an escaped quote inside */
	assert_int_equal(feed(&r, "t=1795129200 msg=\"User \\\"admin\\\" logged in\" act=login"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "message"), "User \"admin\" logged in");
	done(&r, f);
}

static void test_duplicate_names_in_json_and_embedded(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = start(&r, DEF("{`type`:`json`,`embedded_json`:[`inner`]}", "{`user`:`a`}", "`{\\`t\\`:1}`"));
	/* a key twice, a dotted key equal to a flattened path, an embedded key equal to an outer one */
	assert_int_equal(feed(&r, "{\"t\":1795129200,\"a\":\"x\",\"a\":\"y\",\"b\":{\"c\":1},\"b.c\":2,"
				  "\"inner\":\"{\\\"a\\\":\\\"z\\\",\\\"b\\\":{\\\"c\\\":3}}\"}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "x");
	assert_string_equal(extra(&r.ev), "{\"a#2\":\"y\",\"b.c\":1,\"b.c#2\":2,\"a#3\":\"z\",\"b.c#3\":3}");
	done(&r, f);

	/* with a prefix, embedded keys are namespaced and do not collide */
	f = start(&r, DEF("{`type`:`json`,`embedded_json`:[{`field`:`AuditData`,`prefix`:`AuditData`}]}",
			  "{`user`:`AuditData.UserId`,`src_ip`:`ClientIP`}", "`{\\`t\\`:1}`"));
	assert_int_equal(feed(&r, "{\"t\":1795129200,\"ClientIP\":\"192.0.2.1\",\"AuditData\":\"{\\\"UserId\\\":\\\"mchen\\\","
				  "\\\"ClientIP\\\":\\\"192.0.2.9\\\"}\"}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "mchen");
	assert_string_equal(field(&r.ev, "src_ip"), "192.0.2.1");
	assert_string_equal(extra(&r.ev), "{\"AuditData.ClientIP\":\"192.0.2.9\"}");
	done(&r, f);
}

static void test_cef(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = start(&r, "{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`cef`},"
					"`timestamp`:{`field`:`rt`,`formats`:[`epoch_ms`]},"
					"`fields`:{`message`:`msg`,`file`:`filePath`,`rule`:`Policy Name`,`event_code`:`cef.signature_id`},"
					"`sniff`:[{`regex`:`x`,`score`:1}],`samples`:[`CEF:0|a|b|c|d|e|1|rt=1`]}");
	assert_int_equal(feed(&r, "<134>Nov 19 23:12:44 dlp CEF:0|Ven\\|dor|Prod\\\\uct|1.0|sig-1|Name|7|rt=1795129964000 "
				  "msg=two words\\nthen \\= sign filePath=C:\\\\Users\\\\x cs1Label=Policy Name cs1=PCI rules  "),
			 TL_PARSE_EVENT);
	assert_int_equal(r.ev.ts, INT64_C(1795129964000000));
	assert_string_equal(field(&r.ev, "message"), "two words\nthen = sign");
	assert_string_equal(field(&r.ev, "file"), "C:\\Users\\x");
	assert_string_equal(field(&r.ev, "rule"), "PCI rules");
	assert_string_equal(field(&r.ev, "event_code"), "sig-1");
	assert_string_equal(extra(&r.ev), "{\"syslog.header\":\"<134>Nov 19 23:12:44 dlp\",\"cef.version\":\"0\","
					  "\"cef.device_vendor\":\"Ven|dor\",\"cef.device_product\":\"Prod\\\\uct\","
					  "\"cef.device_version\":\"1.0\",\"cef.name\":\"Name\",\"cef.severity\":\"7\"}");
	assert_int_equal(feed(&r, "CEF:0|a|b|c"), TL_PARSE_REJECT);
	assert_string_equal(r.err.msg, "CEF header has 3 of 7 fields");
	assert_int_equal(feed(&r, "hello CEFx"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "no CEF header"));
	done(&r, f);
}

static void test_leef(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = start(&r, "{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`leef`},"
					"`timestamp`:{`field`:`devTime`,`formats`:[`epoch_ms`]},`fields`:{`user`:`usrName`},"
					"`sniff`:[{`regex`:`x`,`score`:1}],`samples`:[`LEEF:1.0|a|b|c|d|\\tdevTime=1`]}");
	assert_int_equal(feed(&r, "LEEF:1.0|V|P|1|E1|\tdevTime=1795129964000\tusrName=a b=c\tx=1"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "a b=c");
	assert_string_equal(extra(&r.ev), "{\"leef.version\":\"1.0\",\"leef.vendor\":\"V\",\"leef.product\":\"P\","
					  "\"leef.product_version\":\"1\",\"leef.event_id\":\"E1\",\"x\":\"1\"}");
	assert_int_equal(feed(&r, "LEEF:2.0|V|P|1|E1|^|devTime=1795129964000^usrName=u"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "u");
	assert_int_equal(feed(&r, "LEEF:2.0|V|P|1|E1|0x09|devTime=1795129964000\tusrName=w"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "w");
	/* LEEF 2.0 without its delimiter field: tab */
	assert_int_equal(feed(&r, "LEEF:2.0|V|P|1|E1|devTime=1795129964000\tusrName=v"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "user"), "v");
	assert_int_equal(feed(&r, "LEEF:2.0|V|P|1|E1|xZZ|devTime=1"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "delimiter 'xZZ'"));
	done(&r, f);
}

static void test_array_selections_and_transforms(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = start(
		&r, DEF("{`type`:`json`}",
			"{`target_user`:`target[?type=User].alternateId`,`user`:`actor.alternateId|lower`,"
			"`process_cmdline`:[`proctitle|hex|nul_to_space`,`proctitle`],`url`:`u|url`,`message`:`{target[*].type}: {b|base64}`,"
			"`host`:`ExtendedProperties[?Name=host].Value|upper|trim`,`event_code`:`target[1].id`,"
			"`session_id`:`deep[0].a[?k.n=2].v`}",
			"`{\\`t\\`:1}`"));
	assert_int_equal(feed(&r, "{\"t\":1795129200,\"actor\":{\"alternateId\":\"MChen@Example.COM\"},"
				  "\"target\":[{\"id\":\"g1\",\"type\":\"UserGroup\",\"alternateId\":\"unknown\"},"
				  "{\"id\":\"u1\",\"type\":\"User\",\"alternateId\":\"akim@example.com\"}],"
				  "\"proctitle\":\"6C73002D6C6100\",\"u\":\"/a%20b?x=%2F%zz\",\"b\":\"aGVsbG8=\","
				  "\"ExtendedProperties\":[{\"Name\":\"UserAgent\",\"Value\":\"curl\"},{\"Name\":\"host\",\"Value\":\" ws-1 \"}],"
				  "\"deep\":[{\"a\":[{\"k\":{\"n\":1},\"v\":\"no\"},{\"k\":{\"n\":2},\"v\":\"yes\"}]}]}"),
			 TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "target_user"), "akim@example.com");
	assert_string_equal(field(&r.ev, "user"), "mchen@example.com");
	assert_string_equal(field(&r.ev, "process_cmdline"), "ls -la");
	assert_string_equal(field(&r.ev, "url"), "/a b?x=/%zz");
	assert_string_equal(field(&r.ev, "message"), "UserGroup, User: hello");
	assert_string_equal(field(&r.ev, "host"), "WS-1");
	assert_string_equal(field(&r.ev, "event_code"), "u1");
	assert_string_equal(field(&r.ev, "session_id"), "yes");
	/* a selection leaves the array in extra, a transformed field stays as written, a template takes nothing */
	const char *x = extra(&r.ev);
	assert_non_null(strstr(x, "\"target\":[{"));
	assert_non_null(strstr(x, "\"proctitle\":\"6C73002D6C6100\""));
	assert_non_null(strstr(x, "\"actor.alternateId\":\"MChen@Example.COM\""));
	assert_non_null(strstr(x, "\"b\":\"aGVsbG8=\""));
	/* a transform that does not apply leaves the next alternative; no match resolves nothing */
	assert_int_equal(feed(&r, "{\"t\":1795129200,\"proctitle\":\"bash\",\"target\":[{\"type\":\"App\"}]}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "process_cmdline"), "bash");
	assert_string_equal(field(&r.ev, "target_user"), "(null)");
	assert_string_equal(field(&r.ev, "event_code"), "(null)");
	done(&r, f);

	/* a decoded value an address field cannot hold: the source is in extra either way */
	f = start(&r, DEF("{`type`:`json`}", "{`src_ip`:`ip|trim`}", "`{\\`t\\`:1}`"));
	assert_int_equal(feed(&r, "{\"t\":1795129200,\"ip\":\" not-an-ip \"}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "src_ip"), "(null)");
	assert_string_equal(extra(&r.ev), "{\"ip\":\" not-an-ip \"}");
	assert_int_equal(feed(&r, "{\"t\":1795129200,\"ip\":\" 10.0.0.1 \"}"), TL_PARSE_EVENT);
	assert_string_equal(field(&r.ev, "src_ip"), "10.0.0.1");
	assert_string_equal(extra(&r.ev), "{\"ip\":\" 10.0.0.1 \"}");
	done(&r, f);
}

static void test_xml(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = start(&r, "{`name`:`t`,`family`:`edr`,`version`:`1`,`parse`:{`type`:`xml`},"
					"`timestamp`:{`field`:`System.TimeCreated.SystemTime`,`formats`:[`iso8601`]},"
					"`fields`:{`event_code`:`System.EventID`,`target_user`:`EventData.TargetUserName`},"
					"`sniff`:[{`regex`:`x`,`score`:1}],"
					"`samples`:[`<Event><System><EventID>1</EventID><TimeCreated SystemTime='2026-01-01T00:00:00Z'/></System></Event>`]}");
	assert_int_equal(feed(&r, "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
				  "<System><Provider Name='P'/><EventID Qualifiers=''>4624</EventID><TimeCreated SystemTime='2026-11-19T23:01:12.4418263Z'/>"
				  "<Correlation/></System><EventData><Data Name='TargetUserName'>mchen</Data><Data Name='Empty'/>"
				  "<Data>unnamed</Data><Data>again</Data><Data Name='Amp'>a &amp; b</Data></EventData></Event>\n</Events>"),
			 TL_PARSE_EVENT);
	assert_int_equal(r.ev.ts, INT64_C(1795129272441826));
	assert_string_equal(field(&r.ev, "event_code"), "4624");
	assert_string_equal(field(&r.ev, "target_user"), "mchen");
	assert_string_equal(extra(&r.ev), "{\"System.Provider.Name\":\"P\",\"EventData.Empty\":\"\",\"EventData.Data\":\"unnamed\","
					  "\"EventData.Data#2\":\"again\",\"EventData.Amp\":\"a & b\"}");
	/* wrapper tags alone are not records */
	assert_int_equal(feed(&r, "<?xml version=\"1.0\"?>\n<Events>"), TL_PARSE_META);
	assert_int_equal(feed(&r, "</Events>"), TL_PARSE_META);
	/* entities are refused, not expanded (billion laughs) */
	assert_int_equal(feed(&r, "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><Event>&lol2;</Event>"),
			 TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "DOCTYPE"));
	char deep[2000] = "";
	for (int i = 0; i < 70; i++)
		strcat(deep, "<a>");
	assert_int_equal(feed(&r, deep), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "64 deep"));
	assert_int_equal(feed(&r, "<Event><System>"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "invalid XML"));
	assert_int_equal(feed(&r, "EventID=4624"), TL_PARSE_REJECT);
	done(&r, f);
}

/* Zone names the definition maps are read as their offsets; others are refused. */
static void test_zone_names(void **state)
{
	(void)state;
	struct run r;
	struct tl_format *f = start(&r, "{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`kv`,`values`:`to-next-key`},"
					"`timestamp`:{`field`:`rt`,`formats`:[`%b %d %Y %H:%M:%S %Z`],`zone_names`:{`CET`:`+01:00`,`CEST`:`+0200`}},"
					"`sniff`:[{`regex`:`x`,`score`:1}],`samples`:[`rt=Nov 19 2026 23:16:00 CET`]}");
	assert_int_equal(feed(&r, "rt=Nov 19 2026 23:16:00 CET x=1"), TL_PARSE_EVENT);
	assert_int_equal(r.ev.ts, INT64_C(1795130160000000) - 3600 * INT64_C(1000000));
	assert_string_equal(r.ev.ts_rule, "offset;zone-name=CET(format)");
	assert_int_equal((int)r.ev.ts_raw.len, 24); /* ts_raw keeps the name */
	assert_int_equal(feed(&r, "rt=Jul 19 2026 23:16:00 CEST"), TL_PARSE_EVENT);
	assert_string_equal(r.ev.ts_rule, "offset;zone-name=CEST(format)");
	assert_int_equal(feed(&r, "rt=Nov 19 2026 23:16:00 EST"), TL_PARSE_REJECT);
	assert_non_null(strstr(r.err.msg, "timestamp 'Nov 19 2026 23:16:00 EST' does not match"));
	assert_int_equal(feed(&r, "rt=Nov 19 2026 23:16:00 UTC"), TL_PARSE_EVENT);
	assert_string_equal(r.ev.ts_rule, "utc");
	done(&r, f);
}

/* XML framing: each <Event> element is a record wherever lines break. */
static void frame_xml(const void *data, size_t len, size_t max_record, const char *const *want, const char *const *why)
{
	char path[] = "/tmp/tl-test-xml-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	static const char *const element[] = { "Event", NULL };
	struct tl_framing_spec spec = { TL_FRAME_XML, NULL, element, max_record };
	struct tl_err err;
	struct tl_reader *r = tl_reader_open(path, &spec, &err);
	assert_non_null(r);
	struct tl_record rec;
	size_t n = 0;
	while (tl_reader_next(r, &rec, &err) == 1) {
		if (!want[n])
			fail_msg("extra record '%.*s'", (int)rec.len, rec.text);
		if (why[n]) {
			assert_true(rec.structural);
			assert_string_equal(rec.text, why[n]);
		} else {
			assert_false(rec.structural);
			assert_int_equal(rec.len, strlen(want[n]));
			assert_memory_equal(rec.text, want[n], rec.len);
		}
		n++;
	}
	assert_null(want[n]);
	tl_reader_free(r);
	unlink(path);
}

static void test_xml_framing(void **state)
{
	(void)state;
	/* wevtutil: no root element, no line breaks; nested names that only start like Event do not count */
	const char *one = "<Event xmlns='x'><System><EventID>1</EventID><EventRecordID>7</EventRecordID></System></Event>";
	const char *two = "<Event a=\"x>y\" b='/>'><EventData><Data Name='a'>&lt;Event&gt;</Data></EventData></Event>";
	const char *three = "<Event x='1'/>";
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s%s%s\r\n", one, two, three);
	frame_xml(buf, strlen(buf), 1u << 20, (const char *const[]){ one, two, three, NULL },
		  (const char *const[]){ NULL, NULL, NULL, NULL });
	/* a declaration and an <Events> wrapper are structure; stray text is a structural reject; so is a truncated element */
	snprintf(buf, sizeof(buf), "<?xml version='1.0' encoding='utf-8'?>\n<Events>\n%s\ngarbage\n%s\n</Events>\n<Event><System>", one, three);
	frame_xml(buf, strlen(buf), 1u << 20, (const char *const[]){ one, "x", three, "x", NULL },
		  (const char *const[]){ NULL, "text outside any XML record element", NULL,
					 "XML ends in the middle of an element (truncated)", NULL });
	/* too large */
	frame_xml(one, strlen(one), 64, (const char *const[]){ "x", NULL },
		  (const char *const[]){ "XML record exceeds the size limit", NULL });
	/* UTF-16LE with a byte order mark (PowerShell's redirection), transcoded */
	unsigned char u16[512];
	size_t k = 0;
	u16[k++] = 0xff, u16[k++] = 0xfe;
	for (const char *c = one; *c; c++)
		u16[k++] = (unsigned char)*c, u16[k++] = 0;
	u16[k++] = '\r', u16[k++] = 0, u16[k++] = '\n', u16[k++] = 0;
	frame_xml(u16, k, 1u << 20, (const char *const[]){ one, NULL }, (const char *const[]){ NULL, NULL });
}

/* Every load error of the new constructs names file:line:col. */
static void expect_load_error(const char *def, const char *where, const char *what)
{
	struct tl_err err;
	struct tl_format *f = load(def, &err);
	if (f) {
		tl_format_free(f);
		fail_msg("definition loaded, expected \"%s\"", what);
	}
	if (strncmp(err.msg, where, strlen(where)) || !strstr(err.msg, what))
		fail_msg("got \"%s\", expected \"%s...%s\"", err.msg, where, what);
}

static void test_load_errors(void **state)
{
	(void)state;
	/* references: array selections and transforms (line 3 is `fields`) */
	expect_load_error(DEF("{`type`:`json`}", "{`user`:`target[?type=User.alternateId`}", "`{}`"), "def.json:3:18:",
			  "'[' is not closed");
	expect_load_error(DEF("{`type`:`json`}", "{`user`:[`a`,`target[x].id`]}", "`{}`"), "def.json:3:23:",
			  "a selector is [N], [*] or [?key=value]");
	expect_load_error(DEF("{`type`:`json`}", "{`user`:`target[?=User].id`}", "`{}`"), "def.json:3:18:",
			  "a selector is [?key=value]");
	expect_load_error(DEF("{`type`:`json`}", "{`user`:`[0].id`}", "`{}`"), "def.json:3:18:", "no field before '['");
	expect_load_error(DEF("{`type`:`json`}", "{`user`:`a[0]x`}", "`{}`"), "def.json:3:18:",
			  "expected '.', '[' or the end after ']'");
	expect_load_error(DEF("{`type`:`json`}", "{`user`:`a[0].`}", "`{}`"), "def.json:3:18:", "empty key after '.'");
	expect_load_error(DEF("{`type`:`json`}", "{`user`:`a|rot13`}", "`{}`"), "def.json:3:18:",
			  "unknown transform \"rot13\"");
	expect_load_error(DEF("{`type`:`json`}", "{`user`:`|hex`}", "`{}`"), "def.json:3:18:", "no field before '|'");
	expect_load_error(DEF("{`type`:`json`}", "{`message`:`{a|hex} {b|bogus}`}", "`{}`"), "def.json:3:21:",
			  "unknown transform \"bogus\"");
	expect_load_error(DEF("{`type`:`json`}", "{`message`:`{a} {b`}", "`{}`"), "def.json:3:21:", "'{' is not closed");
	expect_load_error(DEF("{`type`:`json`}", "{`message`:`x {}`}", "`{}`"), "def.json:3:21:", "empty {}");
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t[`,`formats`:[`epoch`]}}",
			  "def.json:2:22:", "'[' is not closed");
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t`,`formats`:[`epoch`]},\n`maps`:{`outcome`:{`from`:`r[?x]`}}}",
			  "def.json:3:27:", "a selector is [?key=value]");
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t`,`formats`:[`epoch`]},\n`maps`:{`outcome`:{`from`:`r|nope`}}}",
			  "def.json:3:27:", "unknown transform");
	/* kv options */
	expect_load_error(DEF("{`type`:`kv`,\n`values`:`to-end`}", "{}", "`t=1`"), "def.json:2:10:",
			  "\"values\" is \"to-separator\" or \"to-next-key\"");
	expect_load_error(DEF("{`type`:`kv`,\n`escapes`:`yes`}", "{}", "`t=1`"), "def.json:2:11:", "\"escapes\" is true or false");
	expect_load_error(DEF("{`type`:`kv`,\n`quote`:`\\`'<>()[]`}", "{}", "`t=1`"), "def.json:2:9:", "up to 7 quote characters");
	expect_load_error(DEF("{`type`:`kv`,\n`quote`:`a\\\\\\`b\\\\`}", "{}", "`t=1`"), "def.json:2:9:", "cannot be a separator or a backslash");
	expect_load_error(DEF("{`type`:`kv`,\n`quote`:`=`}", "{}", "`t=1`"), "def.json:2:9:", "cannot be a separator");
	expect_load_error(DEF("{`type`:`json`,\n`values`:`to-next-key`}", "{}", "`{}`"), "def.json:2:10:",
			  "\"values\" goes with kv parsing only");
	expect_load_error(DEF("{`type`:`cef`,\n`escapes`:true}", "{}", "`{}`"), "def.json:2:11:",
			  "\"escapes\" goes with kv parsing only");
	expect_load_error(DEF("{`type`:`leef`,\n`quote`:`'`}", "{}", "`{}`"), "def.json:2:9:",
			  "\"quote\" is not an option of cef, leef or xml parsing");
	/* parse types */
	expect_load_error(DEF("{`type`:`xml`,\n`prefix`:`^x`}", "{}", "`{}`"), "def.json:2:10:",
			  "\"prefix\" goes with delimited, kv, cef and leef parsing");
	expect_load_error(DEF("{`type`:`cef2`}", "{}", "`{}`"), "def.json:1:", "(regex, json, delimited, kv, cef, leef, xml)");
	/* embedded_json entries */
	expect_load_error(DEF("{`type`:`json`,`embedded_json`:[\n{`field`:`A`,`prefx`:`a`}]}", "{}", "`{}`"), "def.json:2:22:",
			  "unknown key in embedded_json entry");
	expect_load_error(DEF("{`type`:`json`,`embedded_json`:[\n{`prefix`:`a`}]}", "{}", "`{}`"), "def.json:2:1:",
			  "needs \"field\"");
	expect_load_error(DEF("{`type`:`json`,`embedded_json`:[\n{`field`:`A`,`prefix`:`a[0]`}]}", "{}", "`{}`"), "def.json:2:1:",
			  "cannot contain");
	expect_load_error(DEF("{`type`:`json`,`embedded_json`:[\n7]}", "{}", "`{}`"), "def.json:2:1:",
			  "a field name or {\"field\", \"prefix\"}");
	/* time directives that cannot form an instant */
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t`,`formats`:[`%d/%m/%Y %I:%M`]}}",
			  "def.json:2:", "unknown timestamp format \"%d/%m/%Y %I:%M\"");
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t`,`formats`:[`%j %H:%M`]}}",
			  "def.json:2:", "unknown timestamp format");
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t`,`formats`:[`epoch`],`zone_names`:{`CET`:`+1`}}}",
			  "def.json:2:", "a \"zone_names\" offset is");
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t`,`formats`:[`epoch`],`zone_names`:{`C-T`:`+01:00`}}}",
			  "def.json:2:", "1 to 10 letters");
	/* xml framing */
	expect_load_error("{`name`:`t`,`family`:`edr`,`version`:`1`,\n`framing`:{`type`:`xml`},`parse`:{`type`:`xml`}}",
			  "def.json:2:11:", "xml framing needs \"element\"");
	expect_load_error("{`name`:`t`,`family`:`edr`,`version`:`1`,\n`framing`:{`type`:`xml`,`element`:`1Event`}}",
			  "def.json:2:35:", "\"element\" is an XML name");
	expect_load_error("{`name`:`t`,`family`:`edr`,`version`:`1`,\n`framing`:{`type`:`lines`,`element`:`Event`}}",
			  "def.json:2:37:", "\"element\" goes with xml framing only");
	expect_load_error("{`name`:`t`,`family`:`edr`,`version`:`1`,\n`framing`:{`type`:`xml`,`element`:`Event`,`records`:`x`}}",
			  "def.json:2:", "\"records\" goes with json framing only");
	expect_load_error("{`name`:`t`,`family`:`dlp`,`version`:`1`,`parse`:{`type`:`json`},\n"
			  "`timestamp`:{`field`:`t`,`formats`:[`epoch`],`zone_names`:[`CET`]}}",
			  "def.json:2:", "\"zone_names\" is an object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kv_escapes_quotes_and_values_to_next_key),
		cmocka_unit_test(test_duplicate_names_in_json_and_embedded),
		cmocka_unit_test(test_cef),
		cmocka_unit_test(test_leef),
		cmocka_unit_test(test_array_selections_and_transforms),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_xml_framing),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
