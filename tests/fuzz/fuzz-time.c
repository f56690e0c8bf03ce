/* Fuzz the timestamp parser (src/time/time.c): every named format, a few patterns,
 * the input's first line as a pattern, and the command-line parser. */
#include "fuzz.h"
#include "tl/time.h"

static const char *const formats[] = {
	"epoch", "epoch_s", "epoch_ms", "epoch_us", "iso8601", "rfc3164", "bind", "windows", "apache",
	"%Y-%m-%d %H:%M:%S", "%d/%b/%Y:%H:%M:%S %z", "%b %e %H:%M:%S.%f", "%y%m%d %H%M%S", "%Y-%m-%dT%H:%M:%S.%f%z",
	"%%%Y", NULL,
};

static void one(struct tl_time_ctx *ctx, const char *fmt, const char *text, size_t len)
{
	tl_us t;
	char rule[128], iso[32];
	if (tl_time_parse(ctx, fmt, text, len, &t, rule, sizeof(rule)) == 0)
		tl_time_format_iso(t, iso, sizeof(iso));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tl_tz *berlin;
	static int loaded;
	if (!loaded) {
		char e[256];
		loaded = 1;
		if (tl_tz_load("Europe/Berlin", &berlin, e, sizeof(e)))
			berlin = NULL;
	}
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	struct tl_time_ctx utc, zoned;
	tl_time_ctx_init(&utc, NULL, "default", 0, INT64_C(1795129200));
	tl_time_ctx_init(&zoned, berlin, "config", 2026, 0);
	for (size_t i = 0; formats[i]; i++) {
		one(&utc, formats[i], s, size);
		one(&zoned, formats[i], s, size);
	}
	tl_us t;
	tl_time_parse_arg(s, &t);
	/* the first line as a pattern, the rest as text */
	char *nl = memchr(s, '\n', size);
	if (nl) {
		*nl = 0;
		if (tl_time_format_valid(s)) {
			one(&utc, s, nl + 1, size - (size_t)(nl + 1 - s));
			one(&zoned, s, nl + 1, size - (size_t)(nl + 1 - s));
		}
	}
	free(s);
	return 0;
}
