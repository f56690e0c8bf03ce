/* Unit tests: detection that proves itself on sampled records (src/ingest/detect.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "tl/detect.h"

#define SQUID "1795129262.412    118 10.20.1.15 TCP_MISS/200 18422 GET http://intranet.example.com/ mchen HIER_DIRECT/10.20.0.30 text/html\n"
#define ZEEK_HDR(path) "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t" path "\n"
#define DNS_FIELDS "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n"
#define DNS_ROW "1795131601.004112\tCQ2mW31nSxPq7vHd4e\t10.20.1.15\t53211\t10.20.0.53\t53\tudp\t41180\t0.012034\tupdates.example.org\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t198.51.100.20\t300.000000\tF\n"

static char path[] = "/tmp/tl-test-detect-XXXXXX";
static struct tl_formats fs = TL_FORMATS_INIT;

static void write_file(const char *head, size_t fill, char fillc, const char *tail, int gz)
{
	char *buf = malloc(strlen(head) + fill + strlen(tail) + 2);
	size_t n = strlen(head);
	memcpy(buf, head, n);
	memset(buf + n, fillc, fill);
	n += fill;
	if (fill)
		buf[n++] = '\n';
	memcpy(buf + n, tail, strlen(tail));
	n += strlen(tail);
	if (gz) {
		gzFile g = gzopen(path, "wb");
		gzwrite(g, buf, (unsigned)n);
		gzclose(g);
	} else {
		FILE *f = fopen(path, "wb");
		fwrite(buf, 1, n, f);
		fclose(f);
	}
	free(buf);
}

static const struct tl_detect_candidate *cand(const struct tl_detection *d, const char *name)
{
	for (size_t i = 0; i < d->ncand; i++)
		if (!strcmp(tl_format_name(d->cand[i].f), name))
			return &d->cand[i];
	return NULL;
}

/* The dns.log that used to be read as conn.log: #path decides. */
static void test_zeek_path_decides(void **state)
{
	(void)state;
	struct tl_detection d;
	struct tl_err err;
	write_file(ZEEK_HDR("dns") DNS_FIELDS DNS_ROW DNS_ROW, 0, 0, "", 0);
	assert_int_equal(tl_detect_file(&fs, path, &d, &err), 0);
	assert_non_null(d.format);
	assert_string_equal(tl_format_name(d.format), "zeek-dns");
	assert_string_equal(d.zeek_path, "dns");
	const struct tl_detect_candidate *g = cand(&d, "zeek-tsv");
	assert_non_null(g);
	assert_string_equal(g->verdict, "excluded");
	assert_null(cand(&d, "zeek-conn")); /* its #fields rule no longer matches a dns.log */
	tl_detection_release(&d);

	/* a log tl has no definition for: read generically, not misclaimed */
	write_file(ZEEK_HDR("conn_long") "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\n"
		   "1795131601.004112\tCQ2mW31nSxPq7vHd4e\t10.20.1.15\t53211\t10.20.0.53\t53\tudp\tdns\t0.5\n", 0, 0, "", 1);
	assert_int_equal(tl_detect_file(&fs, path, &d, &err), 0);
	assert_non_null(d.format);
	assert_string_equal(tl_format_name(d.format), "zeek-tsv");
	assert_string_equal(d.compression, "gzip");
	assert_string_equal(cand(&d, "zeek-conn")->verdict, "excluded");
	tl_detection_release(&d);

	/* a DNS log under another name: the generic reader (flow) would claim it
	 * across families, so nothing does, and the reason says why */
	write_file(ZEEK_HDR("dns_custom") DNS_FIELDS DNS_ROW, 0, 0, "", 0);
	assert_int_equal(tl_detect_file(&fs, path, &d, &err), 0);
	assert_null(d.format);
	assert_string_equal(cand(&d, "zeek-dns")->verdict, "excluded");
	assert_string_equal(cand(&d, "zeek-tsv")->verdict, "excluded");
	assert_non_null(strstr(d.reason, "zeek-tsv (the columns are those of Zeek 'dns' logs (zeek-dns, family dns)"));
	tl_detection_release(&d);
}

/* A first line longer than the window does not blind the sniff rules. */
static void test_giant_first_line(void **state)
{
	(void)state;
	struct tl_detection d;
	struct tl_err err;
	write_file("", 3u << 20, 'x', SQUID SQUID SQUID, 0);
	assert_int_equal(tl_detect_file(&fs, path, &d, &err), 0);
	assert_non_null(d.format);
	assert_string_equal(tl_format_name(d.format), "squid-native");
	assert_int_equal(d.window_skipped, 1);
	const struct tl_detect_candidate *c = cand(&d, "squid-native");
	assert_int_equal(c->skipped, 1); /* over TL_DETECT_RECORD_MAX: skipped, not a reject */
	assert_int_equal(c->sampled, 3);
	assert_int_equal(c->rate, 1000);
	assert_int_equal(d.confidence, 90);
	tl_detection_release(&d);
}

/* Under TL_DETECT_MIN_RATE a candidate cannot claim; the reason names it. */
static void test_below_threshold(void **state)
{
	(void)state;
	struct tl_detection d;
	struct tl_err err;
	write_file(SQUID "junk 1\njunk 2\njunk 3\n", 0, 0, "", 0);
	assert_int_equal(tl_detect_file(&fs, path, &d, &err), 0);
	assert_null(d.format);
	assert_string_equal(cand(&d, "squid-native")->verdict, "below-threshold");
	assert_non_null(strstr(d.reason, "squid-native (sniff 90, 25.0% of 4 sampled records parse)"));
	assert_non_null(strstr(d.json, "\"format\":null"));
	tl_detection_release(&d);

	write_file(SQUID SQUID "junk 1\njunk 2\n", 0, 0, "", 0); /* exactly half: may claim */
	assert_int_equal(tl_detect_file(&fs, path, &d, &err), 0);
	assert_non_null(d.format);
	assert_int_equal(d.confidence, 45);
	tl_detection_release(&d);
}

/* The decision is the same JSON every time. */
static void test_json_deterministic(void **state)
{
	(void)state;
	struct tl_detection a, b;
	struct tl_err err;
	write_file(ZEEK_HDR("dns") DNS_FIELDS DNS_ROW, 0, 0, "", 0);
	assert_int_equal(tl_detect_file(&fs, path, &a, &err), 0);
	assert_int_equal(tl_detect_file(&fs, path, &b, &err), 0);
	assert_string_equal(a.json, b.json);
	assert_non_null(strstr(a.json, "\"candidates\":[{\"format\":\"zeek-dns\",\"family\":\"dns\",\"sniff\":95,"
					"\"sampled\":1,\"events\":1,\"rejects\":0,\"unclaimed\":0,\"skipped\":0,\"rate\":100.0,"));
	tl_detection_release(&a);
	tl_detection_release(&b);

	write_file("", 0, 0, "", 0);
	assert_int_equal(tl_detect_file(&fs, path, &a, &err), 0);
	assert_null(a.format);
	assert_string_equal(a.reason, "empty file");
	tl_detection_release(&a);
}

int main(void)
{
	struct tl_err err;
	int fd = mkstemp(path);
	if (fd < 0 || tl_formats_add_builtin(&fs, &err))
		return 1;
	close(fd);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeek_path_decides),
		cmocka_unit_test(test_giant_first_line),
		cmocka_unit_test(test_below_threshold),
		cmocka_unit_test(test_json_deterministic),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	tl_formats_release(&fs);
	return rc;
}
