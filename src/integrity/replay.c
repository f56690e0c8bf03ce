/* The replay script (see include/tl/replay.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tl/banned.h"

int tl_replay_is_step(const char *command)
{
	return strcmp(command, "manifest") && strcmp(command, "package");
}

/* Quote WORD for the script if a shell would need it. */
static void quote(struct tl_buf *b, const char *w)
{
	int plain = *w != 0;
	for (const char *p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%", *p))
			plain = 0;
	if (plain) {
		tl_buf_adds(b, w);
		return;
	}
	tl_buf_addc(b, '\'');
	for (const char *p = w; *p; p++) {
		if (*p == '\'')
			tl_buf_adds(b, "'\\''");
		else
			tl_buf_addc(b, *p);
	}
	tl_buf_addc(b, '\'');
}

int tl_replay_append(const char *case_root, int argc, char *const *argv, const char *case_arg,
		     const struct tl_custody_file *outputs, size_t n_outputs, struct tl_err *err)
{
	/* one step, one line: a command line with a newline in it is not replayable */
	for (int i = 1; i < argc; i++)
		if (strchr(argv[i], '\n'))
			return tl_errf(err, "not added to replay.tl: an argument contains a newline");
	struct tl_buf b = TL_BUF_INIT;
	tl_buf_adds(&b, "tl");
	for (int i = 1; i < argc; i++) {
		tl_buf_addc(&b, ' ');
		if (argv[i] == case_arg)
			tl_buf_adds(&b, "CASE");
		else if (!strcmp(argv[i], "CASE"))
			tl_buf_adds(&b, "'CASE'"); /* a literal word CASE stays literal */
		else
			quote(&b, argv[i]);
	}
	tl_buf_addc(&b, '\n');
	for (size_t i = 0; i < n_outputs; i++) {
		tl_buf_adds(&b, "#> ");
		quote(&b, outputs[i].path);
		tl_buf_addf(&b, " %s\n", outputs[i].sha256);
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/replay.tl", case_root);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int rc = 0;
	if (fd < 0) {
		rc = tl_errf(err, "cannot open '%s': %s", path, strerror(errno));
	} else {
		flock(fd, LOCK_EX);
		if (lseek(fd, 0, SEEK_END) == 0) {
			static const char head[] = "# tl replay script: the analysis steps of this case, in order.\n"
						   "# CASE stands for the case folder; '#>' lines are the outputs a step\n"
						   "# produced and their SHA-256. Run: tl replay CASE --into NEWCASE\n";
			if (write(fd, head, sizeof(head) - 1) != (ssize_t)sizeof(head) - 1)
				rc = tl_errf(err, "cannot write '%s': %s", path, strerror(errno));
		}
		if (!rc && write(fd, b.data, b.len) != (ssize_t)b.len)
			rc = tl_errf(err, "cannot write '%s': %s", path, strerror(errno));
		flock(fd, LOCK_UN);
		close(fd);
	}
	tl_buf_release(&b);
	return rc;
}

static void free_words(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

int tl_replay_split(const char *line, char ***out)
{
	char **v = NULL;
	int n = 0;
	struct tl_buf w = TL_BUF_INIT;
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n' || *p == '\r')
			break;
		tl_buf_reset(&w);
		tl_buf_add(&w, "", 0);
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '\'') {
				const char *e = strchr(p + 1, '\'');
				if (!e)
					goto bad;
				tl_buf_add(&w, p + 1, (size_t)(e - p - 1));
				p = e + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
						p++;
					tl_buf_addc(&w, *p++);
				}
				if (*p != '"')
					goto bad;
				p++;
			} else if (*p == '\\' && p[1]) {
				tl_buf_addc(&w, p[1]);
				p += 2;
			} else {
				tl_buf_addc(&w, *p++);
			}
		}
		char **nv = realloc(v, (size_t)(n + 2) * sizeof(*nv));
		if (!nv)
			goto bad;
		v = nv;
		v[n++] = strdup(w.data);
		v[n] = NULL;
	}
	tl_buf_release(&w);
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -1;
	}
	*out = v;
	return n;
bad:
	tl_buf_release(&w);
	free_words(v);
	return -1;
}

int tl_replay_load(const char *case_root, struct tl_replay *r, struct tl_err *err)
{
	memset(r, 0, sizeof(*r));
	char path[4200];
	snprintf(path, sizeof(path), "%s/replay.tl", case_root);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : tl_errf(err, "cannot open '%s': %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	while (!rc && getline(&line, &cap, f) > 0) {
		lineno++;
		char **words;
		int n;
		if (!strncmp(line, "#>", 2)) {
			n = tl_replay_split(line + 2, &words);
			if (n != 2 || strlen(words[1]) != 64 || !r->n) {
				rc = tl_errf(err, "replay.tl:%u: expected '#> out/NAME SHA256' after a step", lineno);
			} else {
				struct tl_replay_step *s = &r->steps[r->n - 1];
				struct tl_custody_file *e = realloc(s->expect, (s->n_expect + 1) * sizeof(*e));
				if (!e) {
					rc = tl_errf(err, "out of memory");
				} else {
					s->expect = e;
					e[s->n_expect].path = strdup(words[0]);
					memcpy(e[s->n_expect].sha256, words[1], 65);
					s->n_expect++;
				}
			}
			free_words(n >= 0 ? words : NULL);
			continue;
		}
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		n = tl_replay_split(line, &words);
		if (n < 2 || strcmp(words[0], "tl")) {
			rc = tl_errf(err, "replay.tl:%u: a step is a tl command line (\"tl COMMAND ... CASE\")", lineno);
			free_words(n >= 0 ? words : NULL);
			continue;
		}
		struct tl_replay_step *s = realloc(r->steps, (r->n + 1) * sizeof(*s));
		if (!s) {
			free_words(words);
			rc = tl_errf(err, "out of memory");
			continue;
		}
		r->steps = s;
		s = &r->steps[r->n++];
		memset(s, 0, sizeof(*s));
		s->line = lineno;
		s->argv = words;
		s->argc = n;
	}
	free(line);
	fclose(f);
	if (rc)
		tl_replay_release(r);
	return rc;
}

void tl_replay_release(struct tl_replay *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free_words(r->steps[i].argv);
		for (size_t k = 0; k < r->steps[i].n_expect; k++)
			free((char *)r->steps[i].expect[k].path);
		free(r->steps[i].expect);
	}
	free(r->steps);
	memset(r, 0, sizeof(*r));
}
