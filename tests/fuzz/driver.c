/*
 * Replays inputs through a harness's LLVMFuzzerTestOneInput without libFuzzer,
 * so every build (gcc, ASan) checks the committed regressions:
 *   fuzz-X-replay FILE|DIR...   (directories are walked recursively)
 * Exit 0 when every input ran; a crash aborts under the sanitizers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const char *path, int *n)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int k = scandir(path, &ents, NULL, alphasort), rc = 0;
		if (k < 0) {
			perror(path);
			return -1;
		}
		for (int i = 0; i < k; i++) {
			if (ents[i]->d_name[0] != '.' && !rc) {
				size_t len = strlen(path) + strlen(ents[i]->d_name) + 2;
				char *sub = malloc(len);
				if (!sub)
					return -1;
				snprintf(sub, len, "%s/%s", path, ents[i]->d_name);
				rc = run(sub, n);
				free(sub);
			}
			free(ents[i]);
		}
		free(ents);
		return rc;
	}
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		perror(path);
		return -1;
	}
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	size_t len = buf ? fread(buf, 1, (size_t)st.st_size, fp) : 0;
	fclose(fp);
	if (!buf)
		return -1;
	/* an exact-size copy, so ASan catches reads past the input's end */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	(*n)++;
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++)
		if (run(argv[i], &n))
			return 1;
	printf("%s: %d inputs ran\n", argv[0], n);
	return 0;
}
