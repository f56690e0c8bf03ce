/*
 * tl chain's text, JSONL and Markdown (include/tl/chain-out.h). Reads only
 * the built chains; deciding what links is src/analysis/chain.c's job.
 */
#include "tl/chain-out.h"

#include <string.h>

#include "tl/json.h"
#include "tl/time.h"
#include "tl/banned.h"

/* "2026-11-19 23:41:07.120" (FULL) or "23:41:07.120", UTC. */
static void show_time(tl_us t, int full, char *buf, size_t len)
{
	char iso[40];
	if (!tl_time_format_iso(t, iso, sizeof(iso))) {
		snprintf(buf, len, "?");
		return;
	}
	/* YYYY-MM-DDTHH:MM:SS.ffffffZ: keep milliseconds */
	iso[10] = ' ';
	iso[23] = 0;
	snprintf(buf, len, "%s", full ? iso : iso + 11);
}

static int same_day(tl_us a, tl_us b)
{
	char x[40], y[40];
	tl_time_format_iso(a, x, sizeof(x));
	tl_time_format_iso(b, y, sizeof(y));
	return !strncmp(x, y, 10);
}

static void term(struct tl_buf *b, const char *s)
{
	if (s)
		tl_term_escape(b, s, strlen(s));
}

/* Markdown text: terminal-safe first, then the characters that would make
 * markup (a table cell, emphasis, a link, HTML) escaped. */
static void md(struct tl_buf *b, const char *s)
{
	struct tl_buf t = TL_BUF_INIT;
	term(&t, s);
	for (size_t i = 0; i < t.len; i++) {
		if (strchr("\\`*_[]<|", t.data[i]))
			tl_buf_addc(b, '\\');
		tl_buf_addc(b, t.data[i]);
	}
	tl_buf_release(&t);
}

static void evidence_ref(struct tl_buf *b, const struct tl_chain_step *st)
{
	term(b, st->path);
	tl_buf_addf(b, ":%lld", (long long)st->line);
	if (st->seq >= 0)
		tl_buf_addf(b, " record %lld", (long long)st->seq);
}

static void header_line(struct tl_buf *b, const struct tl_chain *ch, size_t i)
{
	char t0[40], t1[40];
	show_time(ch->steps[0].ts, 1, t0, sizeof(t0));
	show_time(ch->steps[ch->n - 1].ts, !same_day(ch->steps[0].ts, ch->steps[ch->n - 1].ts), t1, sizeof(t1));
	tl_buf_addf(b, "Chain %zu: %zu steps, %s to %s UTC", i + 1, ch->total, t0, t1);
}

static void write_text(const struct tl_chain_set *cs, struct tl_buf *b)
{
	tl_buf_adds(b, "Chains from ");
	term(b, cs->pivot);
	tl_buf_addf(b, ": %zu chain%s; %zu event%s name%s it; window ", cs->n, cs->n == 1 ? "" : "s", cs->seeds,
		    cs->seeds == 1 ? "" : "s", cs->seeds == 1 ? "s" : "");
	int64_t w = cs->window_us / TL_US_PER_SEC;
	if (w % 60)
		tl_buf_addf(b, "%llds\n", (long long)w);
	else
		tl_buf_addf(b, "%lldm\n", (long long)(w / 60));
	for (size_t i = 0; i < cs->n; i++) {
		const struct tl_chain *ch = &cs->v[i];
		tl_buf_addc(b, '\n');
		header_line(b, ch, i);
		tl_buf_addc(b, '\n');
		for (size_t k = 0; k < ch->n; k++) {
			const struct tl_chain_step *st = &ch->steps[k];
			char t[40];
			show_time(st->ts, k == 0 || !same_day(st->ts, ch->steps[k - 1].ts), t, sizeof(t));
			tl_buf_addf(b, "%4zu. %s%s%s  ", k + 1, k ? "-> " : "", t, k == 0 ? " UTC" : "");
			term(b, st->summary);
			tl_buf_adds(b, " (");
			term(b, st->source);
			tl_buf_adds(b, "; ");
			evidence_ref(b, st);
			tl_buf_adds(b, ")\n");
			for (size_t l = 0; l < st->n_links; l++) {
				tl_buf_addf(b, "        %s ", l ? "and" : "because");
				term(b, st->links[l].reason);
				tl_buf_addf(b, " [%s]\n", st->links[l].type);
			}
			/* a cause found looking backwards: say where it leads */
			if (k && !st->n_links) {
				size_t to = 0;
				const char *type = NULL;
				for (size_t j = k + 1; j < ch->n && !type; j++)
					for (size_t l = 0; l < ch->steps[j].n_links && !type; l++)
						if (ch->steps[j].links[l].from == k)
							to = j, type = ch->steps[j].links[l].type;
				if (type)
					tl_buf_addf(b, "        leads to step %zu [%s]\n", to + 1, type);
			}
		}
		if (ch->total > ch->n)
			tl_buf_addf(b, "      ... %zu more steps not shown\n", ch->total - ch->n);
	}
	for (size_t i = 0; i < cs->notes.n; i++) {
		tl_buf_adds(b, i ? "" : "\n");
		tl_buf_adds(b, "note: ");
		term(b, cs->notes.v[i]);
		tl_buf_addc(b, '\n');
	}
}

static void json_opt(struct tl_buf *b, const char *key, const char *v)
{
	tl_json_put_key(b, key, 0);
	if (v)
		tl_json_put_str(b, v);
	else
		tl_buf_adds(b, "null");
}

static void write_jsonl_step(const struct tl_chain *ch, size_t i, size_t k, struct tl_buf *b)
{
	const struct tl_chain_step *st = &ch->steps[k];
	char iso[40];
	tl_time_format_iso(st->ts, iso, sizeof(iso));
	tl_buf_addf(b, "{\"chain\":%zu,\"step\":%zu,\"chain_steps\":%zu,\"ts\":\"%s\",\"pivot\":%s", i + 1, k + 1,
		    ch->total, iso, st->pivot ? "true" : "false");
	json_opt(b, "source", st->source);
	json_opt(b, "summary", st->summary);
	if (st->n_links) {
		tl_buf_addf(b, ",\"from_step\":%zu", st->links[0].from + 1);
		json_opt(b, "link", st->links[0].type);
		json_opt(b, "reason", st->links[0].reason);
	} else {
		tl_buf_adds(b, ",\"from_step\":null,\"link\":null,\"reason\":null");
	}
	tl_buf_adds(b, ",\"links\":[");
	for (size_t l = 0; l < st->n_links; l++) {
		tl_buf_addf(b, "%s{\"from_step\":%zu", l ? "," : "", st->links[l].from + 1);
		json_opt(b, "link", st->links[l].type);
		json_opt(b, "reason", st->links[l].reason);
		tl_buf_addc(b, '}');
	}
	tl_buf_adds(b, "],\"event\":{");
	tl_json_put_key(b, "family", 1);
	tl_json_put_str(b, st->family);
	json_opt(b, "format", st->format);
	json_opt(b, "class", st->cls);
	json_opt(b, "action", st->action);
	json_opt(b, "user", st->user);
	json_opt(b, "host", st->host);
	tl_buf_adds(b, "},\"evidence\":{");
	tl_json_put_key(b, "path", 1);
	tl_json_put_str(b, st->path);
	tl_buf_addf(b, ",\"line\":%lld,\"offset\":%lld,\"length\":%lld", (long long)st->line, (long long)st->offset,
		    (long long)st->length);
	json_opt(b, "sha256", st->sha256);
	if (st->seq >= 0)
		tl_buf_addf(b, ",\"record\":%lld", (long long)st->seq);
	else
		tl_buf_adds(b, ",\"record\":null");
	tl_buf_adds(b, "}}\n");
}

static void write_md(const struct tl_chain_set *cs, struct tl_buf *b)
{
	tl_buf_adds(b, "# Chains from ");
	md(b, cs->pivot);
	tl_buf_addf(b, "\n\n%zu chain%s. Each step is an event in the evidence; from the second step on, the last "
		       "column says which earlier step it follows from and why. Times are UTC.\n",
		    cs->n, cs->n == 1 ? "" : "s");
	if (!cs->n)
		tl_buf_adds(b, "\nNo event naming it is linked to another event.\n");
	for (size_t i = 0; i < cs->n; i++) {
		const struct tl_chain *ch = &cs->v[i];
		tl_buf_adds(b, "\n## ");
		header_line(b, ch, i);
		tl_buf_adds(b, "\n\n| Step | Time (UTC) | What happened | Evidence (file:line) | Why it follows |\n"
			       "|---:|---|---|---|---|\n");
		for (size_t k = 0; k < ch->n; k++) {
			const struct tl_chain_step *st = &ch->steps[k];
			char t[40];
			show_time(st->ts, 1, t, sizeof(t));
			tl_buf_addf(b, "| %zu | %s | ", k + 1, t);
			md(b, st->summary);
			tl_buf_adds(b, " | ");
			struct tl_buf ev = TL_BUF_INIT;
			evidence_ref(&ev, st);
			md(b, ev.data);
			tl_buf_release(&ev);
			tl_buf_adds(b, " (");
			md(b, st->source);
			tl_buf_adds(b, ") | ");
			if (!st->n_links && !k)
				tl_buf_adds(b, "first event of the chain");
			for (size_t j = k + 1; !st->n_links && k && j < ch->n; j++) {
				size_t l = 0;
				while (l < ch->steps[j].n_links && ch->steps[j].links[l].from != k)
					l++;
				if (l < ch->steps[j].n_links) {
					tl_buf_addf(b, "a cause of step %zu (see there)", j + 1);
					break;
				}
			}
			for (size_t l = 0; l < st->n_links; l++) {
				tl_buf_adds(b, l ? "; and " : "");
				md(b, st->links[l].reason);
			}
			tl_buf_adds(b, " |\n");
		}
		if (ch->total > ch->n)
			tl_buf_addf(b, "\n%zu more steps are not shown.\n", ch->total - ch->n);
		/* what a reviewer checks the raw record against (tl show re-reads it) */
		tl_buf_adds(b, "\nThe records behind the steps: their bytes in the evidence file (from the first "
			       "to the last offset, decompressed) and the SHA-256 of those bytes.\n\n");
		for (size_t k = 0; k < ch->n; k++) {
			const struct tl_chain_step *st = &ch->steps[k];
			tl_buf_addf(b, "- step %zu: ", k + 1);
			md(b, st->path);
			tl_buf_addf(b, " bytes %lld-%lld, SHA-256 %s\n", (long long)st->offset,
				    (long long)(st->offset + st->length), st->sha256);
		}
	}
	for (size_t i = 0; i < cs->notes.n; i++) {
		tl_buf_adds(b, i ? "" : "\n");
		tl_buf_adds(b, "Note: ");
		md(b, cs->notes.v[i]);
		tl_buf_adds(b, "\n");
	}
}

int tl_chain_write(const struct tl_chain_set *cs, enum tl_chain_format fmt, FILE *out, struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	int rc = 0;
	if (fmt == TL_CHAIN_TEXT) {
		write_text(cs, &b);
	} else if (fmt == TL_CHAIN_MD) {
		write_md(cs, &b);
	} else {
		for (size_t i = 0; i < cs->n && !rc; i++)
			for (size_t k = 0; k < cs->v[i].n && !rc; k++) {
				write_jsonl_step(&cs->v[i], i, k, &b);
				/* a chain can be long: write as it goes */
				if (b.len > 65536) {
					rc = fwrite(b.data, 1, b.len, out) == b.len ? 0 : -1;
					tl_buf_reset(&b);
				}
			}
	}
	if (!rc && b.len && fwrite(b.data, 1, b.len, out) != b.len)
		rc = -1;
	tl_buf_release(&b);
	if (rc)
		return tl_errf(err, "cannot write the chains");
	return 0;
}
