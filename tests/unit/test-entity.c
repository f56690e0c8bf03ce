/* Unit tests: the entity rules (src/event/entity.c, docs/correlation.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tl/entities.h"
#include "tl/entity.h"

/* The canonical text of VALUE as T, or "!" when it is refused. */
static char got[8192];
static const char *canon(enum tl_entity_type t, const char *value)
{
	char *out = (char *)"sentinel";
	struct tl_err err;
	if (tl_entity_canon(t, value, &out, &err)) {
		assert_null(out);
		assert_true(err.msg[0] != 0);
		return "!";
	}
	assert_non_null(out);
	snprintf(got, sizeof(got), "%s", out);
	free(out);
	return got;
}

static void test_types(void **state)
{
	(void)state;
	enum tl_entity_type t;
	for (int i = 0; i < TL_ENT_TYPES; i++) {
		assert_int_equal(tl_entity_type_parse(tl_entity_type_name((enum tl_entity_type)i), &t), 0);
		assert_int_equal(t, i);
	}
	assert_int_equal(tl_entity_type_parse("users", &t), -1);
	assert_int_equal(tl_entity_type_parse("", &t), -1);
	assert_string_equal(tl_entity_type_name(TL_ENT_TYPES), "?");
}

static void test_user_spellings_meet(void **state)
{
	(void)state;
	assert_string_equal(canon(TL_ENT_USER, "JDOE"), "jdoe");
	assert_string_equal(canon(TL_ENT_USER, "jdoe"), "jdoe");
	assert_string_equal(canon(TL_ENT_USER, "ACME\\JDoe"), "jdoe");
	assert_string_equal(canon(TL_ENT_USER, "jdoe@acme.com"), "jdoe");
	assert_string_equal(canon(TL_ENT_USER, "JDoe@ACME.LOCAL"), "jdoe");
	assert_string_equal(canon(TL_ENT_USER, "  jdoe\t"), "jdoe");
	/* similar names are different people */
	assert_string_equal(canon(TL_ENT_USER, "jdoel"), "jdoel");
	assert_string_equal(canon(TL_ENT_USER, "ACME\\jdoe1"), "jdoe1");
	/* a machine account is the computer, not a user of the same name */
	assert_string_equal(canon(TL_ENT_USER, "ACME\\WS01$"), "ws01$");
	/* non-ASCII is kept as written (no locale-dependent folding) */
	assert_string_equal(canon(TL_ENT_USER, "J\xc3\x96RG"), "j\xc3\x96rg");
}

static void test_user_refusals(void **state)
{
	(void)state;
	const char *no[] = { "",	  "-",	      "N/A",	   "(null)",	     "NULL",	"NT AUTHORITY\\SYSTEM",
			     "nt authority\\local service", "SYSTEM",	 "S-1-5-18", "ACME\\", "@acme.com",
			     "a\\b\\c",	  "x\ny",     "ANONYMOUS LOGON" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_string_equal(canon(TL_ENT_USER, no[i]), "!");
	char *out = (char *)"x";
	struct tl_err err;
	assert_int_equal(tl_entity_canon(TL_ENT_USER, NULL, &out, &err), -1);
	assert_null(out);
	/* a value longer than any name is refused, not copied */
	char *big = malloc(5000);
	memset(big, 'a', 4999);
	big[4999] = 0;
	assert_string_equal(canon(TL_ENT_USER, big), "!");
	free(big);
}

static void test_host(void **state)
{
	(void)state;
	assert_string_equal(canon(TL_ENT_HOST, "WS-0142"), "ws-0142");
	assert_string_equal(canon(TL_ENT_HOST, "WS-0142.corp.acme.com"), "ws-0142");
	assert_string_equal(canon(TL_ENT_HOST, "ws-0142.corp.acme.com."), "ws-0142");
	/* an address given as a host is an ip */
	assert_string_equal(canon(TL_ENT_HOST, "10.20.1.42"), "!");
	assert_int_equal(tl_entity_is_ip("10.20.1.42"), 1);
	assert_string_equal(canon(TL_ENT_HOST, "::1"), "!");
	assert_string_equal(canon(TL_ENT_HOST, "-"), "!");
	assert_string_equal(canon(TL_ENT_HOST, ".corp"), "!");
	assert_string_equal(canon(TL_ENT_HOST, "a..b"), "!");
	assert_string_equal(canon(TL_ENT_HOST, "ws 01"), "!");
	assert_string_equal(canon(TL_ENT_HOST, "ws/01"), "!");
}

static void test_ip(void **state)
{
	(void)state;
	assert_string_equal(canon(TL_ENT_IP, "10.20.1.42"), "10.20.1.42");
	assert_string_equal(canon(TL_ENT_IP, " 10.20.1.42 "), "10.20.1.42");
	assert_string_equal(canon(TL_ENT_IP, "2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
	assert_string_equal(canon(TL_ENT_IP, "[2001:db8::1]"), "2001:db8::1");
	assert_string_equal(canon(TL_ENT_IP, "::ffff:10.0.0.5"), "10.0.0.5");
	assert_string_equal(canon(TL_ENT_IP, "::FFFF:0a00:0005"), "10.0.0.5");
	assert_string_equal(canon(TL_ENT_IP, "fe80::1%eth0"), "fe80::1%eth0");
	const char *no[] = { "300.1.2.3", "10.0.0", "10.0.0.1/8", "host.example", "010.1.1.1", "1.2.3.4%eth0",
			     "fe80::1%", "::g", "", "-", "1.2.3.4 5" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_string_equal(canon(TL_ENT_IP, no[i]), "!");
	assert_int_equal(tl_entity_is_ip("example.com"), 0);
}

static void test_domain_and_registrable(void **state)
{
	(void)state;
	assert_string_equal(canon(TL_ENT_DOMAIN, "A.B.Transfer.SH."), "a.b.transfer.sh");
	assert_string_equal(canon(TL_ENT_DOMAIN, "xn--bcher-kva.example"), "xn--bcher-kva.example");
	assert_string_equal(canon(TL_ENT_DOMAIN, "10.1.2.3"), "!");
	assert_string_equal(canon(TL_ENT_DOMAIN, "a..b"), "!");
	assert_string_equal(canon(TL_ENT_DOMAIN, "http://x.com/"), "!");
	assert_string_equal(canon(TL_ENT_DOMAIN, "."), "!");
	char *r;
	assert_int_equal(tl_entity_registrable("a.b.transfer.sh", &r), 0);
	assert_string_equal(r, "transfer.sh");
	free(r);
	assert_int_equal(tl_entity_registrable("www.bbc.co.uk", &r), 0);
	assert_string_equal(r, "bbc.co.uk");
	free(r);
	assert_int_equal(tl_entity_registrable("transfer.sh", &r), 0);
	assert_string_equal(r, "transfer.sh");
	free(r);
	/* a public suffix alone, an address, nothing: no registrable domain */
	assert_int_equal(tl_entity_registrable("co.uk", &r), 1);
	assert_null(r);
	assert_int_equal(tl_entity_registrable("10.1.2.3", &r), 1);
	assert_int_equal(tl_entity_registrable("", &r), 1);
}

static void test_url(void **state)
{
	(void)state;
	assert_string_equal(canon(TL_ENT_URL, "HTTPS://Files.Transfer.SH/Up/A.ZIP?X=Y"),
			    "https://files.transfer.sh/Up/A.ZIP?X=Y");
	assert_string_equal(canon(TL_ENT_URL, "http://Bob:PW@Host.EXAMPLE:8080/P"), "http://Bob:PW@host.example:8080/P");
	assert_string_equal(canon(TL_ENT_URL, "Upload.Example.COM:443"), "upload.example.com:443");
	assert_string_equal(canon(TL_ENT_URL, "://x"), "!");
	assert_string_equal(canon(TL_ENT_URL, "error:transaction-end-before-headers"), "!");
	assert_string_equal(canon(TL_ENT_URL, "/index.html"), "!");
	assert_string_equal(canon(TL_ENT_URL, "[2001:DB8::1]:443"), "[2001:db8::1]:443");
	assert_string_equal(canon(TL_ENT_URL, "1http://x"), "!");
	char *h;
	assert_int_equal(tl_entity_url_host("https://a.b.transfer.sh/x", &h), 0);
	assert_string_equal(h, "a.b.transfer.sh");
	free(h);
	assert_int_equal(tl_entity_url_host("http://u@[2001:db8::1]:80/", &h), 0);
	assert_string_equal(h, "2001:db8::1");
	free(h);
	assert_int_equal(tl_entity_url_host("upload.example.com:443", &h), 0);
	assert_string_equal(h, "upload.example.com");
	free(h);
	assert_int_equal(tl_entity_url_host("/index.html", &h), 1);
	assert_null(h);
	assert_int_equal(tl_entity_url_host("http:///x", &h), 1);
	assert_int_equal(tl_entity_url_host("error:transaction-end-before-headers", &h), 1);
	assert_null(h);
	/* one rule: without a scheme only host:port, unless the caller asks for a bare host */
	assert_int_equal(tl_entity_url_host("transfer.sh", &h), 1);
	assert_int_equal(tl_entity_url_host("/x?u=http://evil.example/", &h), 1);
	assert_int_equal(tl_entity_url_host("user@host.example:443", &h), 1);
	assert_int_equal(tl_entity_url_host("http://[fe80::1/", &h), 1);
	size_t off, n;
	assert_int_equal(tl_entity_url_host_span("transfer.sh/x", 13, TL_URL_HOST_BARE, &off, &n), 0);
	assert_int_equal(off, 0);
	assert_int_equal(n, 11);
	/* LEN bounds the text: nothing past it is read */
	assert_int_equal(tl_entity_url_host_span("http://a.example:80", 16, 0, &off, &n), 0);
	assert_int_equal(off, 7);
	assert_int_equal(n, 9);
	assert_int_equal(tl_entity_url_host_span("", 0, TL_URL_HOST_BARE, &off, &n), 1);
}

static void test_email_hash(void **state)
{
	(void)state;
	assert_string_equal(canon(TL_ENT_EMAIL, "Mei.Chen@GMail.com"), "mei.chen@gmail.com");
	assert_string_equal(canon(TL_ENT_EMAIL, "mchen"), "!");
	assert_string_equal(canon(TL_ENT_EMAIL, "a@b@c.com"), "!");
	assert_string_equal(canon(TL_ENT_EMAIL, "a@localhost"), "!");
	assert_string_equal(canon(TL_ENT_HASH, "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(tl_entity_hash_kind("d41d8cd98f00b204e9800998ecf8427e"), "md5");
	const char *sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
	assert_string_equal(tl_entity_hash_kind(canon(TL_ENT_HASH, sha256)), "sha256");
	assert_string_equal(canon(TL_ENT_HASH,
				  "SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,MD5=D41D8CD98F00B204E9800998ECF8427E,"
				  "SHA256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855,IMPHASH=00"),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(canon(TL_ENT_HASH, "d41d8cd98f00b204e9800998ecf8427"), "!");
	assert_string_equal(canon(TL_ENT_HASH, "z41d8cd98f00b204e9800998ecf8427e"), "!");
	assert_string_equal(canon(TL_ENT_HASH, "MD5=xyz"), "!");
	assert_string_equal(tl_entity_hash_kind("abc"), "?");
}

static void test_paths_and_resources(void **state)
{
	(void)state;
	assert_string_equal(canon(TL_ENT_FILE, "C:\\Users\\MChen\\Q4.ZIP"), "c:\\users\\mchen\\q4.zip");
	assert_string_equal(canon(TL_ENT_FILE, "\\\\FS01\\Share\\X.docx"), "\\\\fs01\\share\\x.docx");
	assert_string_equal(canon(TL_ENT_FILE, "/home/MChen/Q4.zip"), "/home/MChen/Q4.zip");
	assert_string_equal(canon(TL_ENT_PROCESS, "C:\\Windows\\System32\\CMD.EXE"), "c:\\windows\\system32\\cmd.exe");
	assert_string_equal(canon(TL_ENT_PROCESS, "/usr/bin/Curl"), "/usr/bin/Curl");
	assert_string_equal(canon(TL_ENT_FILE, "-"), "!");
	assert_string_equal(canon(TL_ENT_RESOURCE, "arn:aws:s3:::Acme-Backups"), "arn:aws:s3:::Acme-Backups");
	assert_string_equal(canon(TL_ENT_RESOURCE, ""), "!");
	char *out;
	struct tl_err err;
	assert_int_equal(tl_entity_canon(TL_ENT_TYPES, "x", &out, &err), -1);
}

/* The case config's aliases over the user rule (src/analysis/entities.c). */
static void test_configured_identity(void **state)
{
	(void)state;
	char *names[] = { "E10442", "mei.chen@gmail.com", "ACME\\mei.chen" };
	struct tl_alias alias = { "MChen", names, 3 };
	struct tl_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.aliases = &alias;
	cfg.n_aliases = 1;
	const char *cases[][2] = {
		{ "E10442", "mchen" },		  { "e10442", "mchen" },	{ "ACME\\E10442", "mchen" },
		{ "mei.chen@GMAIL.com", "mchen" }, { "ACME\\mei.chen", "mchen" }, { "OTHER\\mei.chen", "mei.chen" },
		{ "mei.chen@acme.com", "mei.chen" }, { "MCHEN", "mchen" },	{ "jdoe", "jdoe" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;
		struct tl_err err;
		assert_int_equal(tl_entities_user_identity(&cfg, cases[i][0], &out, &err), 0);
		assert_string_equal(out, cases[i][1]);
		free(out);
	}
	char *out;
	struct tl_err err;
	assert_int_equal(tl_entities_user_identity(&cfg, "NT AUTHORITY\\SYSTEM", &out, &err), -1);
	assert_null(out);
	assert_int_equal(tl_entities_user_identity(NULL, " JDoe ", &out, &err), 0);
	assert_string_equal(out, "jdoe");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_user_spellings_meet),
		cmocka_unit_test(test_user_refusals),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_domain_and_registrable),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_email_hash),
		cmocka_unit_test(test_paths_and_resources),
		cmocka_unit_test(test_configured_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
