/*
 * Which ingest run first took in each evidence file (see tl_replay_batches in
 * include/tl/replay.h): tl replay repeats a case's ingest history run by run,
 * because binding ids depend on it (docs/correlation.md#stable-binding-ids).
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl/json.h"
#include "tl/banned.h"

/* a custody line holds an ingest's inputs: large, but not without end */
#define MAX_LINE (256u << 20)

struct copy {
	const char *path;  /* the file copied into the new case (an archive for its members) */
	char sha256[65];   /* its content now, "" when it cannot be read */
	long by_sha;       /* first ingest that read this path with this content */
	long by_path;      /* first ingest that read this path at all */
};

static int by_copy_path(const void *a, const void *b)
{
	return strcmp(((const struct copy *)a)->path, ((const struct copy *)b)->path);
}

static const char *jstr(const struct tl_json *o, const char *key)
{
	const struct tl_json *v = tl_json_get(o, key);
	return v && v->type == TL_JSON_STRING ? v->str : NULL;
}

/* One custody entry: if it is an ingest, note the files it read. */
static void note_entry(const struct tl_json *e, long order, struct copy *v, size_t n)
{
	const struct tl_json *argv = tl_json_get(e, "argv"), *in = tl_json_get(e, "inputs");
	if (!argv || argv->type != TL_JSON_ARRAY || argv->n < 2 || argv->kids[1]->type != TL_JSON_STRING ||
	    strcmp(argv->kids[1]->str, "ingest") || !in || in->type != TL_JSON_ARRAY)
		return;
	for (size_t i = 0; i < in->n; i++) {
		const char *p = jstr(in->kids[i], "path"), *sha = jstr(in->kids[i], "sha256");
		if (!p)
			continue;
		struct copy key = { .path = p };
		struct copy *c = bsearch(&key, v, n, sizeof(*v), by_copy_path);
		if (!c)
			continue;
		if (!c->by_path)
			c->by_path = order;
		if (!c->by_sha && sha && *c->sha256 && !strcmp(sha, c->sha256))
			c->by_sha = order;
	}
}

int tl_replay_batches(const char *case_root, struct tl_replay_files *f, int *have_log, struct tl_err *err)
{
	*have_log = 0;
	for (size_t i = 0; i < f->n; i++)
		f->v[i].batch = 0;
	if (!f->n)
		return 0;
	struct copy *v = calloc(f->n, sizeof(*v));
	if (!v)
		return tl_errf(err, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		v[n++].path = f->v[i].copy;
	qsort(v, n, sizeof(*v), by_copy_path);
	size_t u = 0; /* an archive's members share one copy */
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(v[u - 1].path, v[i].path))
			v[u++] = v[i];
	n = u;
	char path[4200];
	struct tl_err e;
	for (size_t i = 0; i < n; i++)
		if (tl_pathf(path, sizeof(path), &e, "%s/%s", case_root, v[i].path) || tl_file_sha256(path, v[i].sha256, &e))
			v[i].sha256[0] = 0;
	int rc = 0;
	FILE *log = NULL;
	if (tl_pathf(path, sizeof(path), err, "%s/custody.jsonl", case_root)) {
		rc = -1;
	} else if (!(log = fopen(path, "r"))) {
		if (errno != ENOENT)
			rc = tl_errf(err, "cannot open '%s': %s", path, strerror(errno));
	} else {
		*have_log = 1;
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		long lineno = 0;
		/* a damaged line is tl verify's to report; replay reads what it can */
		while ((len = getline(&line, &cap, log)) > 0) {
			lineno++;
			if ((size_t)len > MAX_LINE)
				continue;
			struct tl_json *j = tl_json_parse("custody.jsonl", line, (size_t)len, &e);
			if (j && j->type == TL_JSON_OBJECT) {
				const char *seq = NULL;
				const struct tl_json *s = tl_json_get(j, "seq");
				if (s && s->type == TL_JSON_NUMBER)
					seq = s->str;
				long order = seq ? strtol(seq, NULL, 10) : 0;
				note_entry(j, order > 0 ? order : lineno, v, n);
			}
			tl_json_free(j);
		}
		free(line);
		fclose(log);
	}
	for (size_t i = 0; !rc && i < f->n; i++) {
		struct copy key = { .path = f->v[i].copy };
		const struct copy *c = bsearch(&key, v, n, sizeof(*v), by_copy_path);
		/* the run that took in the content the case holds now; a file whose
		 * content changed without --new-version: the run that first read it */
		f->v[i].batch = c ? (c->by_sha ? c->by_sha : c->by_path) : 0;
	}
	free(v);
	return rc;
}
