/* Fuzz SHA256SUMS reading (src/integrity/sums.c) as tl verify, package verify
 * and the signature check read it: parse, look every name up, restore the
 * file's order, resolve each name inside the case; and the writer's escaping
 * must read back to the same names. */
#include "fuzz.h"
#include "tl/sums.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_sums s;
	if (tl_sums_parse((const char *)data, size, &s))
		return 0;
	struct tl_sum **order = tl_sums_in_file_order(&s);
	for (size_t i = 1; order && i < s.n; i++)
		if (order[i - 1]->line >= order[i]->line)
			abort(); /* file order is strictly by line */
	free(order);
	struct tl_buf out = TL_BUF_INIT;
	for (size_t i = 0; i < s.n; i++) {
		struct tl_sum *e = tl_sums_find(&s, s.v[i].name);
		if (!e || strcmp(e->name, s.v[i].name))
			abort();
		char rel[4200], tiny[8];
		if (tl_sums_resolve(s.v[i].name, rel, sizeof(rel)) == 0 && (!strncmp(rel, "../", 3) || rel[0] == '/'))
			abort(); /* a resolved name never leaves the case */
		(void)tl_sums_resolve(s.v[i].name, tiny, sizeof(tiny));
		if (tl_sums_add_line(&out, s.v[i].sha, s.v[i].name))
			abort();
	}
	/* what tl manifest writes reads back as the same names */
	struct tl_sums back;
	if (tl_sums_parse(out.data ? out.data : "", out.len, &back) == 0) {
		if (back.n != s.n || back.bad)
			abort();
		for (size_t i = 0; i < s.n; i++)
			if (strcmp(back.v[i].name, s.v[i].name) || strcmp(back.v[i].sha, s.v[i].sha))
				abort();
		tl_sums_release(&back);
	}
	tl_buf_release(&out);
	tl_sums_release(&s);
	return 0;
}
