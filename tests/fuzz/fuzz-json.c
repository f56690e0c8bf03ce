/* Fuzz the JSON tree parser used for tl.json and format definitions (src/base/json.c). */
#include "fuzz.h"
#include "tl/json.h"

static void walk(const struct tl_json *j, unsigned depth)
{
	if (!j || depth > 64)
		return;
	for (size_t i = 0; i < j->n; i++) {
		if (j->type == TL_JSON_OBJECT && j->keys[i])
			(void)tl_json_get(j, j->keys[i]);
		walk(j->kids[i], depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_err err;
	struct tl_json *j = tl_json_parse("fuzz.json", (const char *)data, size, &err);
	walk(j, 0);
	tl_json_free(j);
	return 0;
}
