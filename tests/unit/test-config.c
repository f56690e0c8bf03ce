/* Unit tests: the case config tl.json (src/case/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tl/config.h"

static int parse(const char *text, struct tl_config *cfg, struct tl_err *err)
{
	return tl_config_parse("tl.json", text, strlen(text), cfg, err);
}

static void test_template_parses(void **state)
{
	(void)state;
	struct tl_config cfg;
	struct tl_err err;
	assert_int_equal(parse(tl_config_template, &cfg, &err), 0);
	assert_int_equal(cfg.n_rules, 0);
	assert_null(cfg.assets);
	tl_config_release(&cfg);
}

static void test_first_matching_rule_per_setting(void **state)
{
	(void)state;
	struct tl_config cfg;
	struct tl_err err;
	assert_int_equal(parse("{\"version\":1,\"sources\":[\n"
			       " {\"path\":\"evidence/fw/edge*.log\",\"skew_seconds\":-1.5},\n"
			       " {\"path\":\"evidence/fw/**\",\"timezone\":\"Europe/Berlin\",\"year\":2025,\"skew_seconds\":3},\n"
			       " {\"path\":\"evidence/**\",\"timezone\":\"UTC\",\"format\":\"squid-native\"}],\n"
			       " \"identity_aliases\":{\"jdoe\":[\"john@example.com\",\"EXAMPLE\\\\jdoe\"]},\"assets\":\"assets.csv\"}",
			       &cfg, &err),
			 0);
	struct tl_source_settings s;
	tl_config_for_path(&cfg, "evidence/fw/edge1.log", &s);
	assert_int_equal(s.skew_us, -1500000);
	assert_string_equal(s.timezone, "Europe/Berlin");
	assert_int_equal(s.year, 2025);
	assert_string_equal(s.format, "squid-native");
	tl_config_for_path(&cfg, "evidence/proxy/a.log", &s);
	assert_string_equal(s.timezone, "UTC");
	assert_int_equal(s.skew_us, 0);
	assert_int_equal(s.year, 0);
	tl_config_for_path(&cfg, "other/x", &s);
	assert_null(s.timezone);
	assert_int_equal(cfg.n_aliases, 1);
	assert_string_equal(cfg.aliases[0].names[1], "EXAMPLE\\jdoe");
	assert_string_equal(cfg.assets, "assets.csv");
	tl_config_release(&cfg);
}

static void test_limits(void **state)
{
	(void)state;
	struct tl_config cfg;
	struct tl_err err;
	assert_int_equal(parse("{\"version\":1}", &cfg, &err), 0);
	assert_int_equal(cfg.gzip_max_ratio, 0); /* the reader's default */
	assert_int_equal(cfg.gzip_max_bytes, 0);
	tl_config_release(&cfg);
	assert_int_equal(parse("{\"limits\":{\"gzip_max_ratio\":50,\"gzip_max_bytes\":1073741824}}", &cfg, &err), 0);
	assert_int_equal(cfg.gzip_max_ratio, 50);
	assert_true(cfg.gzip_max_bytes == 1073741824u);
	tl_config_release(&cfg);
	assert_int_equal(parse("{\"limits\":{\"gzip_max_ratio\":0}}", &cfg, &err), 0);
	assert_true(cfg.gzip_max_ratio == UINT32_MAX); /* 0 in tl.json: no limit */
	tl_config_release(&cfg);
	const char *bad[] = { "{\"limits\":{\"gzip_max_ratio\":-1}}", "{\"limits\":{\"gzip_max_ratio\":1.5}}",
			      "{\"limits\":{\"gzip_max_ratio\":\"9\"}}", "{\"limits\":{\"gzip_max_ratio\":4294967295}}",
			      "{\"limits\":{\"gzip_max_bytes\":99999999999999999999999}}", "{\"limits\":{\"gzip\":1}}",
			      "{\"limits\":[]}", "{\"limits\":{},\"limits\":{}}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &cfg, &err), -1);
		assert_non_null(strstr(err.msg, "tl.json:1:"));
	}
}

static void test_errors_name_line_and_column(void **state)
{
	(void)state;
	struct tl_config cfg;
	struct tl_err err;
	assert_int_equal(parse("{\n  \"sources\": [\n    {\"path\": \"e/**\", \"timezone\": \"Mars/Olympus\"}\n  ]\n}", &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "tl.json:3:"));
	assert_non_null(strstr(err.msg, "unknown time zone 'Mars/Olympus'"));
	assert_int_equal(parse("{\"sources\":[{\"path\":\"x\",\"tz\":\"UTC\"}]}", &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "unknown key \"tz\""));
	assert_int_equal(parse("{\"sources\":[{\"timezone\":\"UTC\"}]}", &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "needs \"path\""));
	assert_int_equal(parse("{\"version\":2}", &cfg, &err), -1);
	assert_int_equal(parse("{\"sources\":[{\"path\":\"x\",\"year\":\"2026\"}]}", &cfg, &err), -1);
	assert_int_equal(parse("{\n\n  \"sources\": [,]}", &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "tl.json:3:"));
}

static void test_aliases_and_inventory(void **state)
{
	(void)state;
	struct tl_config cfg;
	struct tl_err err;
	assert_int_equal(parse("{\"aliases\":{\"mchen\":[\"E10442\",\"mei.chen@gmail.com\",\"ACME\\\\mei.chen\"]},\n"
			       " \"identity_aliases\":{\"jdoe\":[\"john@example.com\"]},\n"
			       " \"inventory\":[{\"host\":\"ws-0142\",\"owner\":\"mchen\",\"ips\":[\"10.20.1.42\",\"fe80::1\"]},\n"
			       "  {\"host\":\"srv-01\"}]}",
			       &cfg, &err),
			 0);
	/* both names of the key add to one list, in file order */
	assert_int_equal(cfg.n_aliases, 2);
	assert_string_equal(cfg.aliases[0].canonical, "mchen");
	assert_int_equal(cfg.aliases[0].n, 3);
	assert_string_equal(cfg.aliases[0].names[2], "ACME\\mei.chen");
	assert_string_equal(cfg.aliases[1].canonical, "jdoe");
	assert_int_equal(cfg.n_inventory, 2);
	assert_string_equal(cfg.inventory[0].host, "ws-0142");
	assert_string_equal(cfg.inventory[0].owner, "mchen");
	assert_int_equal(cfg.inventory[0].n_ips, 2);
	assert_string_equal(cfg.inventory[0].ips[1], "fe80::1");
	assert_null(cfg.inventory[1].owner);
	assert_int_equal(cfg.inventory[1].n_ips, 0);
	tl_config_release(&cfg);

	assert_int_equal(parse("{\"inventory\":[{\"owner\":\"x\"}]}", &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "needs \"host\""));
	assert_int_equal(parse("{\"inventory\":[{\"host\":\"a\",\"ip\":[]}]}", &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "unknown key \"ip\" in inventory entry"));
	assert_int_equal(parse("{\"inventory\":[{\"host\":\"a\",\"ips\":[1]}]}", &cfg, &err), -1);
	assert_int_equal(parse("{\"inventory\":{}}", &cfg, &err), -1);
	assert_int_equal(parse("{\"inventory\":[{\"host\":\"a\",\"host\":\"b\"}]}", &cfg, &err), -1);
	assert_int_equal(parse("{\"aliases\":{\"a\":[\"\"]}}", &cfg, &err), -1);
	assert_int_equal(parse("{\"aliases\":{\"a\":\"b\"}}", &cfg, &err), -1);
	assert_int_equal(parse("{\"aliases\":{},\"aliases\":{}}", &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "duplicate key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_parses),
		cmocka_unit_test(test_first_matching_rule_per_setting),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_aliases_and_inventory),
		cmocka_unit_test(test_errors_name_line_and_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
