/* Hash-chained custody log (see include/tl/custody.h). */
#define _POSIX_C_SOURCE 200809L
#include "tl/custody.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tl/json.h"
#include "tl/time.h"
#include "tl/banned.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define MAX_LOG (1u << 30)

/* A cut path would name another file ("custody.j"): refused, never used. */
static int path_of(const char *root, char *buf, size_t len, struct tl_err *err)
{
	return tl_pathf(buf, len, err, "%s/custody.jsonl", root);
}

/* Read the whole log (bounded). */
static int slurp(int fd, struct tl_buf *b, struct tl_err *err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return tl_errf(err, "custody log: %s", strerror(errno));
	return tl_read_fd(fd, "custody log", MAX_LOG, b, err);
}

/* The last complete line of B: hash and count of lines. */
static void tail_of(const struct tl_buf *b, char prev[65], long *lines)
{
	*lines = 0;
	memcpy(prev, ZERO_HASH, 65);
	size_t start = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] != '\n')
			continue;
		if (i > start) {
			tl_sha256_hex(b->data + start, i - start, prev);
			(*lines)++;
		}
		start = i + 1;
	}
}

static int json_str(struct tl_buf *b, const char *s)
{
	return tl_json_put_str(b, s);
}

static int files(struct tl_buf *b, const char *key, const struct tl_custody_file *f, size_t n)
{
	int bad = tl_buf_addf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < n && !bad; i++) {
		bad |= tl_buf_adds(b, i ? ",{\"path\":" : "{\"path\":");
		bad |= json_str(b, f[i].path);
		bad |= tl_buf_addf(b, ",\"sha256\":\"%s\"}", f[i].sha256);
	}
	return bad | tl_buf_addc(b, ']');
}

int tl_custody_append(const char *case_root, const struct tl_custody_entry *e, long *seq, struct tl_err *err)
{
	char path[4096];
	if (path_of(case_root, path, sizeof(path), err))
		return tl_errf(err, "cannot write the custody log of '%.200s...': its path is too long", case_root);
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return tl_errf(err, "cannot open custody log '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return tl_errf(err, "cannot lock custody log '%s': %s", path, strerror(errno));
	}
	struct tl_buf log = TL_BUF_INIT, line = TL_BUF_INIT;
	int rc = slurp(fd, &log, err);
	if (!rc) {
		char prev[65], when[40], host[256] = "";
		long n;
		int oom = 0;
		tail_of(&log, prev, &n);
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		tl_time_format_iso((tl_us)now.tv_sec * TL_US_PER_SEC + now.tv_nsec / 1000, when, sizeof(when));
		gethostname(host, sizeof(host) - 1);
		struct passwd *pw = getpwuid(getuid());
		oom |= tl_buf_addf(&line, "{\"seq\":%ld,\"time\":\"%s\",\"user\":", n + 1, when);
		oom |= json_str(&line, pw ? pw->pw_name : "?");
		oom |= tl_buf_addf(&line, ",\"uid\":%ld,\"host\":", (long)getuid());
		oom |= json_str(&line, host);
		oom |= tl_buf_adds(&line, ",\"tool\":");
		oom |= json_str(&line, e->tool_version);
		oom |= tl_buf_adds(&line, ",\"build\":");
		oom |= json_str(&line, e->build_id);
		oom |= tl_buf_adds(&line, ",\"argv\":[");
		for (int i = 0; i < e->argc; i++) {
			if (i)
				oom |= tl_buf_addc(&line, ',');
			oom |= json_str(&line, e->argv[i]);
		}
		oom |= tl_buf_adds(&line, "],\"config_sha256\":");
		oom |= json_str(&line, e->config_sha256);
		oom |= files(&line, "inputs", e->inputs, e->n_inputs);
		oom |= files(&line, "outputs", e->outputs, e->n_outputs);
		if (e->events_digest)
			oom |= tl_buf_addf(&line, ",\"events_digest\":\"%s\"", e->events_digest);
		if (e->tzdata) {
			oom |= tl_buf_adds(&line, ",\"tzdata\":");
			oom |= json_str(&line, e->tzdata);
		}
		if (e->annotation) {
			oom |= tl_buf_adds(&line, ",\"annotation\":");
			oom |= tl_buf_adds(&line, e->annotation);
		}
		oom |= tl_buf_addf(&line, ",\"exit\":%d,\"prev_sha256\":\"%s\"}\n", e->exit_code, prev);
		/* never a cut entry: it would be hashed into the chain as if whole */
		if (oom)
			rc = tl_errf(err, "cannot write custody log: out of memory building the entry");
		/* a log cut short mid-line would glue this entry to garbage: start a fresh line */
		if (!rc && log.len && log.data[log.len - 1] != '\n' && write(fd, "\n", 1) != 1)
			rc = tl_errf(err, "cannot write custody log: %s", strerror(errno));
		if (!rc && write(fd, line.data, line.len) != (ssize_t)line.len)
			rc = tl_errf(err, "cannot write custody log: %s", strerror(errno));
		if (!rc && fsync(fd) != 0)
			rc = tl_errf(err, "cannot sync custody log: %s", strerror(errno));
		if (seq)
			*seq = n + 1;
	}
	flock(fd, LOCK_UN);
	close(fd);
	tl_buf_release(&log);
	tl_buf_release(&line);
	return rc;
}

long tl_custody_verify(const char *case_root, FILE *report, long *entries, struct tl_err *err)
{
	char path[4096];
	*entries = 0;
	if (path_of(case_root, path, sizeof(path), err))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : tl_errf(err, "cannot open custody log '%s': %s", path, strerror(errno));
	flock(fd, LOCK_SH);
	struct tl_buf log = TL_BUF_INIT;
	int rc = slurp(fd, &log, err);
	flock(fd, LOCK_UN);
	close(fd);
	if (rc) {
		tl_buf_release(&log);
		return -1;
	}
	long problems = tl_custody_verify_buffer(log.data, log.len, report, entries);
	tl_buf_release(&log);
	return problems;
}

long tl_custody_verify_buffer(const char *data, size_t len, FILE *report, long *entries)
{
	long problems = 0, lineno = 0;
	char prev[65];
	memcpy(prev, ZERO_HASH, 65);
	size_t start = 0;
	*entries = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && data[i] != '\n')
			continue;
		if (i == len && i == start)
			break;
		lineno++;
		const char *l = data + start;
		size_t ll = i - start;
		struct tl_err jerr;
		char name[64];
		snprintf(name, sizeof(name), "custody.jsonl:%ld", lineno);
		struct tl_json *j = tl_json_parse(name, l, ll, &jerr);
		const struct tl_json *ps = j ? tl_json_get(j, "prev_sha256") : NULL;
		const struct tl_json *sq = j ? tl_json_get(j, "seq") : NULL;
		if (!j || !ps || ps->type != TL_JSON_STRING || !sq || sq->type != TL_JSON_NUMBER) {
			if (report)
				fprintf(report, "FAIL custody entry %ld: not a custody entry%s%s\n", lineno,
					j ? "" : ": ", j ? "" : jerr.msg);
			problems++;
		} else {
			if (strcmp(ps->str, prev) != 0) {
				if (report)
					fprintf(report, "FAIL custody entry %ld: previous-entry hash does not match "
							"(an entry before it was edited, removed or reordered)\n", lineno);
				problems++;
			}
			if (strtol(sq->str, NULL, 10) != lineno) {
				if (report)
					fprintf(report, "FAIL custody entry %ld: sequence number %s out of order\n", lineno,
						sq->str);
				problems++;
			}
		}
		if (i == len) {
			if (report)
				fprintf(report, "FAIL custody entry %ld: last line is not terminated (cut short)\n", lineno);
			problems++;
		}
		tl_json_free(j);
		tl_sha256_hex(l, ll, prev);
		start = i + 1;
	}
	*entries = lineno;
	return problems;
}

int tl_custody_producers(const char *case_root, const struct tl_custody_file *files, size_t n, long *seq,
			 struct tl_err *err)
{
	char path[4096];
	for (size_t f = 0; f < n; f++)
		seq[f] = 0;
	if (path_of(case_root, path, sizeof(path), err))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : tl_errf(err, "cannot open custody log '%s': %s", path, strerror(errno));
	struct tl_buf log = TL_BUF_INIT;
	int rc = slurp(fd, &log, err);
	if (rc == 0) {
		size_t start = 0;
		for (size_t i = 0; i < log.len; i++) {
			if (log.data[i] != '\n')
				continue;
			struct tl_err jerr;
			struct tl_json *j = tl_json_parse("custody", log.data + start, i - start, &jerr);
			const struct tl_json *outs = j ? tl_json_get(j, "outputs") : NULL;
			const struct tl_json *sq = j ? tl_json_get(j, "seq") : NULL;
			for (size_t k = 0; outs && sq && outs->type == TL_JSON_ARRAY && k < outs->n; k++) {
				const struct tl_json *p = tl_json_get(outs->kids[k], "path");
				const struct tl_json *h = tl_json_get(outs->kids[k], "sha256");
				if (!p || !h || p->type != TL_JSON_STRING || h->type != TL_JSON_STRING)
					continue;
				for (size_t f = 0; f < n; f++)
					if (!strcmp(p->str, files[f].path) && !strcmp(h->str, files[f].sha256))
						seq[f] = strtol(sq->str, NULL, 10);
			}
			tl_json_free(j);
			start = i + 1;
		}
	}
	close(fd);
	tl_buf_release(&log);
	return rc;
}

int tl_custody_tzdata(const char *case_root, struct tl_strlist *out, struct tl_err *err)
{
	char path[4096];
	if (path_of(case_root, path, sizeof(path), err))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : tl_errf(err, "cannot open custody log '%s': %s", path, strerror(errno));
	struct tl_buf log = TL_BUF_INIT;
	struct tl_strlist seen = TL_STRLIST_INIT;
	int rc = slurp(fd, &log, err);
	if (rc == 0) {
		size_t start = 0;
		for (size_t i = 0; i < log.len; i++) {
			if (log.data[i] != '\n')
				continue;
			struct tl_err jerr;
			struct tl_json *j = tl_json_parse("custody", log.data + start, i - start, &jerr);
			const struct tl_json *v = j ? tl_json_get(j, "tzdata") : NULL;
			int dup = 0;
			for (size_t k = 0; v && v->type == TL_JSON_STRING && k < seen.n && !dup; k++)
				dup = !strcmp(seen.v[k], v->str);
			if (v && v->type == TL_JSON_STRING && !dup && tl_strlist_add(&seen, v->str))
				rc = tl_errf(err, "out of memory");
			tl_json_free(j);
			start = i + 1;
		}
	}
	close(fd);
	tl_buf_release(&log);
	tl_strlist_sort(&seen);
	for (size_t k = 0; !rc && k < seen.n; k++)
		if (tl_strlist_add(out, seen.v[k]))
			rc = tl_errf(err, "out of memory");
	tl_strlist_release(&seen);
	return rc;
}

/* An entry of a command that only reads the case or rewrites the manifest:
 * anchoring past it would make every manifest differ from the one before. */
static int only_reads(const char *line, size_t len)
{
	struct tl_err err;
	struct tl_json *j = tl_json_parse("custody", line, len, &err);
	const struct tl_json *argv = j ? tl_json_get(j, "argv") : NULL;
	int r = argv && argv->type == TL_JSON_ARRAY && argv->n > 1 && argv->kids[1]->type == TL_JSON_STRING &&
		(!strcmp(argv->kids[1]->str, "manifest") || !strcmp(argv->kids[1]->str, "verify"));
	tl_json_free(j);
	return r;
}

int tl_custody_head(const char *case_root, long *entries, char head[65], struct tl_err *err)
{
	char path[4096];
	if (path_of(case_root, path, sizeof(path), err))
		return -1;
	*entries = 0;
	memcpy(head, ZERO_HASH, 65);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : tl_errf(err, "cannot open custody log '%s': %s", path, strerror(errno));
	flock(fd, LOCK_SH);
	struct tl_buf log = TL_BUF_INIT;
	int rc = slurp(fd, &log, err);
	flock(fd, LOCK_UN);
	close(fd);
	size_t start = 0;
	long k = 0;
	for (size_t i = 0; !rc && i < log.len; i++) {
		if (log.data[i] != '\n')
			continue;
		if (i > start && ++k && !only_reads(log.data + start, i - start)) {
			tl_sha256_hex(log.data + start, i - start, head);
			*entries = k;
		}
		start = i + 1;
	}
	tl_buf_release(&log);
	return rc;
}

int tl_custody_entry_sha256(const char *data, size_t len, long n, char out[65])
{
	size_t start = 0;
	long k = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n')
			continue;
		/* numbered as tail_of() counts: empty lines are not entries */
		if (i > start && ++k == n) {
			tl_sha256_hex(data + start, i - start, out);
			return 0;
		}
		start = i + 1;
	}
	return -1;
}

long tl_custody_last_change(const char *case_root)
{
	char path[4096];
	if (path_of(case_root, path, sizeof(path), NULL))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct tl_buf log = TL_BUF_INIT;
	struct tl_err err;
	long last = 0;
	if (slurp(fd, &log, &err) == 0) {
		size_t start = 0;
		for (size_t i = 0; i < log.len; i++) {
			if (log.data[i] != '\n')
				continue;
			struct tl_json *j = tl_json_parse("custody", log.data + start, i - start, &err);
			const struct tl_json *argv = j ? tl_json_get(j, "argv") : NULL, *sq = j ? tl_json_get(j, "seq") : NULL;
			if (argv && argv->type == TL_JSON_ARRAY && argv->n > 1 && argv->kids[1]->type == TL_JSON_STRING &&
			    !strcmp(argv->kids[1]->str, "ingest") && sq && sq->type == TL_JSON_NUMBER)
				last = strtol(sq->str, NULL, 10);
			tl_json_free(j);
			start = i + 1;
		}
	}
	close(fd);
	tl_buf_release(&log);
	return last;
}
