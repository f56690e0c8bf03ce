/*
 * The replay script and replaying it (see include/tl/replay.h): reading and
 * appending CASE/replay.tl, rebuilding a case from the same evidence, running
 * the steps through the caller's runner and comparing outputs.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl/format.h"
#include "tl/grow.h"
#include "tl/json.h"
#include "tl/store.h"
#include "tl/banned.h"

int tl_replay_is_step(const char *command)
{
	return strcmp(command, "manifest") && strcmp(command, "package");
}

/* Quote WORD for the script if a shell would need it. */
static int quote(struct tl_buf *b, const char *w)
{
	int plain = *w != 0, bad = 0;
	for (const char *p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%", *p))
			plain = 0;
	if (plain)
		return tl_buf_adds(b, w);
	bad |= tl_buf_addc(b, '\'');
	for (const char *p = w; *p && !bad; p++) {
		if (*p == '\'')
			bad |= tl_buf_adds(b, "'\\''");
		else
			bad |= tl_buf_addc(b, *p);
	}
	return bad | tl_buf_addc(b, '\'');
}

int tl_replay_append(const char *case_root, int argc, char *const *argv, const char *case_arg,
		     const struct tl_custody_file *outputs, size_t n_outputs, struct tl_err *err)
{
	/* one step, one line: a command line with a newline in it is not replayable */
	for (int i = 1; i < argc; i++)
		if (strchr(argv[i], '\n'))
			return tl_errf(err, "not added to replay.tl: an argument contains a newline");
	struct tl_buf b = TL_BUF_INIT;
	int oom = 0;
	oom |= tl_buf_adds(&b, "tl");
	for (int i = 1; i < argc; i++) {
		oom |= tl_buf_addc(&b, ' ');
		if (argv[i] == case_arg)
			oom |= tl_buf_adds(&b, "CASE");
		else if (!strcmp(argv[i], "CASE"))
			oom |= tl_buf_adds(&b, "'CASE'"); /* a literal word CASE stays literal */
		else
			oom |= quote(&b, argv[i]);
	}
	oom |= tl_buf_addc(&b, '\n');
	for (size_t i = 0; i < n_outputs; i++) {
		oom |= tl_buf_adds(&b, "#> ");
		oom |= quote(&b, outputs[i].path);
		oom |= tl_buf_addf(&b, " %s\n", outputs[i].sha256);
	}
	if (oom) {
		/* a step cut short would replay another command */
		tl_buf_release(&b);
		return tl_errf(err, "not added to replay.tl: out of memory");
	}
	char path[4200];
	int rc = 0, fd = -1;
	if (tl_pathf(path, sizeof(path), err, "%s/replay.tl", case_root))
		rc = -1;
	else
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (rc) {
		;
	} else if (fd < 0) {
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
	int oom = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n' || *p == '\r')
			break;
		tl_buf_reset(&w);
		oom |= tl_buf_add(&w, "", 0);
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '\'') {
				const char *e = strchr(p + 1, '\'');
				if (!e)
					goto bad;
				oom |= tl_buf_add(&w, p + 1, (size_t)(e - p - 1));
				p = e + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
						p++;
					oom |= tl_buf_addc(&w, *p++);
				}
				if (*p != '"')
					goto bad;
				p++;
			} else if (*p == '\\' && p[1]) {
				oom |= tl_buf_addc(&w, p[1]);
				p += 2;
			} else {
				oom |= tl_buf_addc(&w, *p++);
			}
		}
		char **nv = oom ? NULL : realloc(v, (size_t)(n + 2) * sizeof(*nv));
		if (!nv)
			goto bad;
		v = nv;
		v[n] = NULL;
		/* a word lost to a full memory would run another command: none at all */
		if (!(v[n] = strdup(w.data ? w.data : "")))
			goto bad;
		v[++n] = NULL;
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
	if (tl_pathf(path, sizeof(path), err, "%s/replay.tl", case_root))
		return -1;
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

int tl_replay_evidence(const struct tl_case *c, struct tl_strlist *evidence, struct tl_strlist *missing,
		       struct tl_err *err)
{
	struct tl_store *s = tl_store_open(c->db_path, TL_STORE_READONLY, err);
	if (!s)
		return -1;
	struct tl_store_iter *it = tl_store_files(s, NULL, err);
	const struct tl_file_rec *f;
	int rc = it ? 0 : -1, more = 0;
	while (it && (more = tl_store_next_file(it, &f, err)) == 1) {
		char path[4200];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", c->root, f->path);
		if (stat(path, &sb) != 0 && tl_strlist_add(missing, f->path))
			break;
		if (tl_strlist_add(evidence, f->path))
			break;
	}
	if (more < 0)
		rc = -1;
	tl_store_iter_free(it);
	tl_store_close(s);
	return rc;
}

int tl_replay_copy_evidence(const struct tl_case *c, const char *into, const struct tl_strlist *evidence,
			    struct tl_err *err)
{
	char src[4200], dst[4200];
	struct tl_err e;
	for (size_t i = 0; i < evidence->n; i++) {
		if (tl_pathf(src, sizeof(src), err, "%s/%s", c->root, evidence->v[i]) ||
		    tl_pathf(dst, sizeof(dst), err, "%s/%s", into, evidence->v[i]))
			return -1;
		if (tl_file_copy(src, dst, &e))
			return tl_errf(err, "replay: cannot copy '%s' into '%s': %s", evidence->v[i], into, e.msg);
	}
	return 0;
}

int tl_replay_rebuild(const struct tl_case *c, const char *into, const struct tl_strlist *evidence,
		      struct tl_err *err)
{
	struct tl_err e;
	int created;
	if (tl_case_init(into, &created, err))
		return -1;
	char src[4200], dst[4200];
	if (tl_pathf(src, sizeof(src), err, "%s", c->config_path) || tl_pathf(dst, sizeof(dst), err, "%s/tl.json", into))
		return -1;
	unlink(dst);
	if (access(src, F_OK) == 0 && tl_file_copy(src, dst, &e))
		return tl_errf(err, "replay: cannot copy tl.json into '%s'", into);
	if (tl_replay_copy_evidence(c, into, evidence, err))
		return -1;
	/* the case's own formats: every *.json in CASE/formats */
	struct tl_formats fs = TL_FORMATS_INIT;
	if (tl_formats_add_dir(&fs, c->formats_dir, &e) == 0) {
		for (size_t i = 0; i < fs.n; i++) {
			const char *o = tl_format_origin(fs.v[i]);
			const char *base = strrchr(o, '/');
			if (tl_pathf(dst, sizeof(dst), &e, "%s/formats/%s", into, base ? base + 1 : o) == 0)
				tl_file_copy(o, dst, &e);
		}
	}
	tl_formats_release(&fs);
	return 0;
}

/* Write the first line where two text files differ. */
static void first_difference(FILE *out, const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	if (!fa || !fb) {
		if (fa)
			fclose(fa);
		if (fb)
			fclose(fb);
		return;
	}
	char *la = NULL, *lb = NULL;
	size_t ca = 0, cb = 0;
	long line = 0;
	for (;;) {
		ssize_t na = getline(&la, &ca, fa), nb = getline(&lb, &cb, fb);
		line++;
		if (na < 0 && nb < 0)
			break;
		if (na != nb || (na > 0 && memcmp(la, lb, (size_t)na))) {
			struct tl_buf x = TL_BUF_INIT, y = TL_BUF_INIT;
			if (na > 0)
				tl_term_escape(&x, la, (size_t)(na > 200 ? 200 : na));
			if (nb > 0)
				tl_term_escape(&y, lb, (size_t)(nb > 200 ? 200 : nb));
			fprintf(out, "      first difference at line %ld:\n      - %s\n      + %s\n", line,
				na > 0 ? x.data : "(end of file)", nb > 0 ? y.data : "(end of file)");
			tl_buf_release(&x);
			tl_buf_release(&y);
			break;
		}
	}
	free(la);
	free(lb);
	fclose(fa);
	fclose(fb);
}

void tl_replay_run(const struct tl_replay *rp, const char *case_root, const char *into, tl_replay_run_fn run,
		   void *ctx, FILE *out, long *match, long *differ)
{
	*match = *differ = 0;
	int st;
	for (size_t i = 0; i < rp->n; i++) {
		struct tl_replay_step *s = &rp->steps[i];
		char **av = calloc((size_t)s->argc + 1, sizeof(char *));
		if (!av)
			break;
		for (int k = 0; k < s->argc; k++)
			av[k] = !strcmp(s->argv[k], "CASE") ? (char *)into : s->argv[k];
		st = run(ctx, av);
		free(av);
		fprintf(out, "step %zu (replay.tl:%u): exit %d\n", i + 1, s->line, st);
		for (size_t k = 0; k < s->n_expect; k++) {
			char path[4200], orig[4200], sha[65];
			struct tl_err e;
			if (tl_pathf(path, sizeof(path), &e, "%s/%s", into, s->expect[k].path) ||
			    tl_pathf(orig, sizeof(orig), &e, "%s/%s", case_root, s->expect[k].path) ||
			    tl_file_sha256(path, sha, &e)) {
				fprintf(out, "  DIFFER %s: not produced (%s)\n", s->expect[k].path, e.msg);
				(*differ)++;
			} else if (strcmp(sha, s->expect[k].sha256)) {
				fprintf(out, "  DIFFER %s: sha256 %.16s..., recorded %.16s...\n", s->expect[k].path, sha,
					s->expect[k].sha256);
				first_difference(out, orig, path);
				(*differ)++;
			} else {
				fprintf(out, "  MATCH  %s %.16s...\n", s->expect[k].path, sha);
				(*match)++;
			}
		}
	}
}

/* ---- per-file outcomes ------------------------------------------------------------ */

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int add_outcome(struct tl_replay_files *f, size_t *cap, const char *path, const char *copy, const char *status,
		       const char *format, const char *rule)
{
	struct tl_replay_file *v = tl_grow(f->v, cap, f->n + 1, sizeof(*v), 16);
	if (!v)
		return -1;
	f->v = v;
	struct tl_replay_file *r = &f->v[f->n];
	memset(r, 0, sizeof(*r));
	r->path = dup_or_empty(path);
	r->copy = dup_or_empty(copy);
	r->status = dup_or_empty(status);
	r->format = dup_or_empty(format);
	if (rule && !strcmp(rule, "--format") && format)
		r->forced = strdup(format);
	f->n++;
	if (!r->path || !r->copy || !r->status || !r->format || (rule && !strcmp(rule, "--format") && format && !r->forced))
		return -1;
	return 0;
}

static const char *jstr_of(const struct tl_json *o, const char *key)
{
	const struct tl_json *v = tl_json_get(o, key);
	return v && v->type == TL_JSON_STRING ? v->str : NULL;
}

int tl_replay_outcomes(const char *root, const char *db_path, struct tl_replay_files *f, struct tl_err *err)
{
	memset(f, 0, sizeof(*f));
	size_t cap = 0;
	if (access(db_path, F_OK) == 0) {
		struct tl_store *s = tl_store_open(db_path, TL_STORE_READONLY, err);
		if (!s)
			return -1;
		struct tl_store_iter *it = tl_store_files(s, NULL, err);
		const struct tl_file_rec *r;
		int rc = it ? 0 : -1, more = 0;
		while (it && (more = tl_store_next_file(it, &r, err)) == 1)
			if (add_outcome(f, &cap, r->path, r->container ? r->container : r->path, r->status, r->format,
					r->format_rule)) {
				rc = tl_errf(err, "out of memory");
				break;
			}
		if (more < 0)
			rc = -1;
		tl_store_iter_free(it);
		tl_store_close(s);
		return rc;
	}
	/* an extracted package: what the manifest recorded of the original run */
	char path[4200];
	struct tl_buf b = TL_BUF_INIT;
	struct tl_json *m = NULL;
	int rc = -1;
	if (tl_pathf(path, sizeof(path), err, "%s/out/manifest.json", root))
		return -1;
	if (access(path, F_OK) != 0)
		return tl_errf(err, "'%s' has neither case.db nor out/manifest.json: nothing says how its evidence was "
				    "ingested", root);
	if (tl_read_file(path, 1u << 30, &b, err) || !(m = tl_json_parse("out/manifest.json", b.data, b.len, err)))
		goto out;
	f->from_manifest = 1;
	const struct tl_json *ev = tl_json_get(m, "evidence");
	rc = 0;
	for (size_t i = 0; ev && ev->type == TL_JSON_ARRAY && i < ev->n; i++) {
		const struct tl_json *e = ev->kids[i];
		const char *p = jstr_of(e, "path"), *container = jstr_of(e, "container");
		if (!p)
			continue;
		if (add_outcome(f, &cap, p, container ? container : p, jstr_of(e, "status"), jstr_of(e, "format"),
				jstr_of(e, "format_rule"))) {
			rc = tl_errf(err, "out of memory");
			break;
		}
	}
out:
	tl_json_free(m);
	tl_buf_release(&b);
	return rc;
}

void tl_replay_files_release(struct tl_replay_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].copy);
		free(f->v[i].status);
		free(f->v[i].format);
		free(f->v[i].forced);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct tl_replay_file *)a)->path, ((const struct tl_replay_file *)b)->path);
}

long tl_replay_compare_outcomes(const struct tl_replay_files *was, const struct tl_replay_files *now, FILE *out,
				long *match)
{
	long differ = 0;
	*match = 0;
	/* both come in path order from the store; a manifest lists them the same way */
	struct tl_replay_file *a = was->n ? malloc(was->n * sizeof(*a)) : NULL, *b = now->n ? malloc(now->n * sizeof(*b)) : NULL;
	if ((was->n && !a) || (now->n && !b)) {
		free(a);
		free(b);
		fprintf(out, "DIFFER outcomes: out of memory comparing them\n");
		return 1;
	}
	if (was->n)
		memcpy(a, was->v, was->n * sizeof(*a));
	if (now->n)
		memcpy(b, now->v, now->n * sizeof(*b));
	qsort(a, was->n, sizeof(*a), by_path);
	qsort(b, now->n, sizeof(*b), by_path);
	size_t i = 0, k = 0;
	while (i < was->n || k < now->n) {
		int c = i == was->n ? 1 : k == now->n ? -1 : strcmp(a[i].path, b[k].path);
		if (c < 0) {
			fprintf(out, "DIFFER evidence %s: %s then, not seen by the replay\n", a[i].path, a[i].status);
			differ++, i++;
		} else if (c > 0) {
			fprintf(out, "DIFFER evidence %s: not in the original run, %s now\n", b[k].path, b[k].status);
			differ++, k++;
		} else {
			if (strcmp(a[i].status, b[k].status) || strcmp(a[i].format, b[k].format)) {
				fprintf(out, "DIFFER evidence %s: %s (%s) then, %s (%s) now\n", a[i].path, a[i].status,
					*a[i].format ? a[i].format : "no format", b[k].status,
					*b[k].format ? b[k].format : "no format");
				differ++;
			} else {
				(*match)++;
			}
			i++, k++;
		}
	}
	if (*match)
		fprintf(out, "MATCH evidence outcomes: %ld files ingested as the original run did (status and format)\n",
			*match);
	free(a);
	free(b);
	return differ;
}
