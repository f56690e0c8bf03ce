/* Fuzz the case configuration loader, CASE/tl.json (src/case/config.c), and its glob matching. */
#include "fuzz.h"
#include "tl/config.h"

static const char *const paths[] = {
	"evidence/proxy/access.log", "evidence/a/b/c/conn.log.gz", "evidence/cloud/trail.json", "evidence/", "", "x", NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_config cfg;
	struct tl_err err;
	memset(&cfg, 0, sizeof(cfg));
	if (tl_config_parse("tl.json", (const char *)data, size, &cfg, &err) == 0) {
		struct tl_source_settings ss;
		for (size_t i = 0; paths[i]; i++)
			tl_config_for_path(&cfg, paths[i], &ss);
		/* globs against each other: every rule's glob as a path */
		for (size_t i = 0; i < cfg.n_rules && i < 16; i++)
			tl_config_for_path(&cfg, cfg.rules[i].glob, &ss);
	}
	tl_config_release(&cfg);
	return 0;
}
