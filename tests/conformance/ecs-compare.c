/*
 * Compare tl's JSONL (one event per line, in evidence order) with an ECS
 * "-expected.json" file ({"expected": [...]}, one document per input record,
 * as Elastic's pipeline tests write them): timestamp, addresses, ports, user,
 * action and outcome must agree wherever the expected document has them.
 *
 * usage: ecs-compare EXPECTED.json TL.jsonl   — prints one line per difference,
 * a closing "N compared, M differ" line, and exits 1 if anything differs.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/json.h"
#include "tl/time.h"
#include "tl/util.h"

static const struct tl_json *path(const struct tl_json *j, const char *dotted)
{
	char key[128];
	const char *p = dotted;
	while (j && *p) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		j = tl_json_get(j, key);
		p += n + (p[n] == '.');
	}
	return j;
}

/* An ECS value as text: strings as they are, numbers by their text. */
static const char *text(const struct tl_json *j)
{
	return j && (j->type == TL_JSON_STRING || j->type == TL_JSON_NUMBER) ? j->str : NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ecs-compare EXPECTED.json TL.jsonl\n");
		return 2;
	}
	struct tl_buf eb = TL_BUF_INIT, tb = TL_BUF_INIT;
	struct tl_err err;
	if (tl_read_file(argv[1], 64u << 20, &eb, &err) || tl_read_file(argv[2], 256u << 20, &tb, &err)) {
		fprintf(stderr, "ecs-compare: %s\n", err.msg);
		return 2;
	}
	struct tl_json *exp = tl_json_parse(argv[1], eb.data ? eb.data : "", eb.len, &err);
	const struct tl_json *list = exp ? tl_json_get(exp, "expected") : NULL;
	if (!list || list->type != TL_JSON_ARRAY) {
		fprintf(stderr, "ecs-compare: %s: no \"expected\" array\n", argv[1]);
		return 2;
	}
	/* tl's lines are in time order; ECS documents in record order: index ours by evidence line */
	struct tl_json **ours = calloc(list->n + 1, sizeof(*ours));
	size_t start = 0;
	for (size_t i = 0; i < tb.len; i++) {
		if (tb.data[i] != '\n')
			continue;
		struct tl_json *j = tl_json_parse("tl", tb.data + start, i - start, &err);
		start = i + 1;
		const struct tl_json *ln = j ? path(j, "evidence.line") : NULL;
		long line = ln && ln->type == TL_JSON_NUMBER ? strtol(ln->str, NULL, 10) : 0;
		if (line >= 1 && (size_t)line <= list->n && !ours[line - 1])
			ours[line - 1] = j;
		else
			tl_json_free(j);
	}
	static const struct {
		const char *ecs, *tl;
	} pairs[] = {
		{ "source.ip", "src_ip" },	  { "source.port", "src_port" }, { "destination.ip", "dst_ip" },
		{ "destination.port", "dst_port" }, { "user.name", "user" },	     { "event.action", "action" },
		{ "event.outcome", "outcome" },
	};
	long compared = 0, differ = 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct tl_json *e = list->kids[i];
		if (!ours[i]) {
			printf("record %zu: tl has no event (rejected?)\n", i + 1);
			differ++;
			continue;
		}
		const char *ts = text(tl_json_get(e, "@timestamp"));
		tl_us want, got;
		if (ts && tl_time_parse_arg(ts, &want) == 0 && tl_time_parse_arg(text(tl_json_get(ours[i], "ts")), &got) == 0) {
			compared++;
			/* Elastic's date processor keeps milliseconds: an expected time
			 * written with at most 3 decimals agrees with tl's microseconds
			 * cut to that precision (cut, not rounded: that is what it does) */
			const char *dot = strchr(ts, '.');
			size_t decimals = dot ? strspn(dot + 1, "0123456789") : 0;
			if (decimals <= 3 && got >= 0)
				got -= got % (decimals == 0 ? 1000000 : decimals == 1 ? 100000 : decimals == 2 ? 10000 : 1000);
			if (want != got) {
				printf("record %zu: @timestamp %s, tl ts %s\n", i + 1, ts, text(tl_json_get(ours[i], "ts")));
				differ++;
			}
		}
		for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
			const char *w = text(path(e, pairs[k].ecs));
			if (!w)
				continue;
			const char *g = text(tl_json_get(ours[i], pairs[k].tl));
			compared++;
			if (!g || strcmp(w, g)) {
				printf("record %zu: %s %s, tl %s %s\n", i + 1, pairs[k].ecs, w, pairs[k].tl, g ? g : "null");
				differ++;
			}
		}
	}
	printf("%ld compared, %ld differ\n", compared, differ);
	for (size_t i = 0; i < list->n; i++)
		tl_json_free(ours[i]);
	free(ours);
	tl_json_free(exp);
	tl_buf_release(&eb);
	tl_buf_release(&tb);
	return differ ? 1 : 0;
}
