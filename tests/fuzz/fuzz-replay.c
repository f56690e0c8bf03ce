/* Fuzz the replay script reader (src/integrity/replay.c), CASE/replay.tl as
 * tl replay and tl verify read it from a case or an extracted package: the
 * loader, and the shell-like word splitting of every line. */
#include <sys/stat.h>

#include "fuzz.h"
#include "tl/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	static char file[96];
	if (!dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/tl-fuzz-replay-XXXXXX", t && strlen(t) < 30 ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
		snprintf(file, sizeof(file), "%s/replay.tl", dir);
	}
	FILE *f = fopen(file, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size))
		abort();
	fclose(f);
	struct tl_replay r;
	struct tl_err err;
	if (tl_replay_load(dir, &r, &err) == 0) {
		for (size_t i = 0; i < r.n; i++)
			if (!r.steps[i].argv || r.steps[i].argc < 1 || r.steps[i].argv[r.steps[i].argc])
				abort(); /* argv is NULL-terminated after argc words */
		tl_replay_release(&r);
	}
	/* each line on its own through the splitter */
	size_t start = 0;
	for (size_t i = 0; i <= size && i < 65536; i++) {
		if (i < size && data[i] != '\n')
			continue;
		char *line = malloc(i - start + 1);
		if (!line)
			abort();
		memcpy(line, data + start, i - start);
		line[i - start] = 0;
		char **argv = NULL;
		int n = tl_replay_split(line, &argv);
		for (int k = 0; n > 0 && k < n; k++)
			free(argv[k]);
		free(argv);
		free(line);
		start = i + 1;
	}
	unlink(file);
	return 0;
}
