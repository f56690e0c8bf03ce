/* Fuzz the package reader (src/integrity/package.c): tl verify --package reads
 * a .tar.gz a stranger handed over as a stream, hostile by assumption. */
#include "fuzz.h"
#include "tl/package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	struct tl_err err;
	(void)tl_package_verify(fuzz_file(data, size), devnull, &err);
	return 0;
}
