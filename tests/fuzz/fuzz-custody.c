/* Fuzz the custody log reader (src/integrity/custody.c) as tl verify and
 * package verify read CASE/custody.jsonl: the chain check and the lookup of an
 * entry's hash for the manifest's anchor. */
#include "fuzz.h"
#include "tl/custody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long entries = 0;
	long bad = tl_custody_verify_buffer((const char *)data, size, NULL, &entries);
	if (bad < 0 || entries < 0 || bad > 3 * entries + 1)
		abort(); /* at most three problems per line */
	char h[65];
	for (long n = 0; n <= entries + 1 && n < 64; n++)
		if (tl_custody_entry_sha256((const char *)data, size, n, h) == 0 && strlen(h) != 64)
			abort();
	return 0;
}
