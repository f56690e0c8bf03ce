/* tl tag CASE EVENT TAG [--note TEXT]: annotate an event (kept in the case,
 * recorded in the custody log and replay.tl; the event itself is untouched). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "tl/case.h"
#include "tl/json.h"
#include "tl/store.h"

static const char usage[] =
	"usage: tl tag [--note TEXT] CASE EVENT TAG\n\n"
	"Tags EVENT (an id or PATH:LINE[#N] as the text timeline shows it) with TAG,\n"
	"with an optional note; tagging again with the same TAG replaces the note.\n"
	"The tag is kept by evidence location and record hash, so it survives tl\n"
	"replay; it shows in timelines (text '#TAG', JSONL and CSV 'tags') and never\n"
	"changes an event or the events digest. 'tl timeline --tag TAG' selects them.\n\n"
	"  --note TEXT            a note kept with the tag\n"
	"  -h, --help             this help\n";

int cmd_tag(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "note", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *note = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': note = optarg; break;
		case 'h': fputs(usage, stdout); return TL_EXIT_OK;
		default: return cli_usage_error(usage, "tag: bad option");
		}
	}
	if (optind != argc - 3)
		return cli_usage_error(usage, "tag takes a case folder, an event and a tag");
	const char *ref = argv[optind + 1], *tag = argv[optind + 2];
	if (!*tag || strlen(tag) > 200 || strpbrk(tag, " \t\r\n,#"))
		return cli_usage_error(usage, "tag: '%s' is not a tag (1-200 characters, no spaces, ',' or '#')", tag);
	struct tl_case cs;
	struct tl_err err;
	if (cli_open_case(argv[optind], &cs))
		return TL_EXIT_ERROR;
	int rc = TL_EXIT_OK, found;
	int64_t id;
	struct tl_store_iter *it = NULL;
	struct tl_store *s = tl_store_open(cs.db_path, TL_STORE_WRITE, &err);
	const struct tl_event_row *ev;
	if (!s) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	if ((found = cli_event_ref(s, ref, &id, &err)) <= 0) {
		rc = found < 0 ? cli_error("%s", err.msg)
			       : cli_usage_error(usage, "tag: no event '%s' (an id or PATH:LINE[#N])", ref);
		goto cleanup;
	}
	struct tl_event_query q = { 0 };
	q.event_id = id;
	q.core_only = 1;
	q.record_index = 1;
	if (!(it = tl_store_events(s, &q, &err)) || tl_store_next_event(it, &ev, &err) != 1) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	if (tl_store_tag_add(s, ev->path.s, ev->offset.i, ev->sha256.s, tag, note, &err)) {
		rc = cli_error("%s", err.msg);
		goto cleanup;
	}
	/* replay.tl names the event by location: a rebuilt case numbers rows anew */
	char where[4300];
	if (ev->line_records > 1)
		snprintf(where, sizeof(where), "%s:%lld#%lld", ev->path.s, (long long)ev->line.i, (long long)ev->line_pos);
	else
		snprintf(where, sizeof(where), "%s:%lld", ev->path.s, (long long)ev->line.i);
	struct tl_buf note_json = TL_BUF_INIT;
	tl_buf_adds(&note_json, "{\"kind\":\"tag\",\"event\":");
	tl_json_put_str(&note_json, where);
	tl_buf_adds(&note_json, ",\"offset\":");
	tl_buf_addf(&note_json, "%lld,\"raw_sha256\":", (long long)ev->offset.i);
	tl_json_put_str(&note_json, ev->sha256.s ? ev->sha256.s : "");
	tl_buf_adds(&note_json, ",\"tag\":");
	tl_json_put_str(&note_json, tag);
	tl_buf_adds(&note_json, ",\"note\":");
	if (note)
		tl_json_put_str(&note_json, note);
	else
		tl_buf_adds(&note_json, "null");
	tl_buf_addc(&note_json, '}');
	cli_custody_annotates(optind + 1, where, note_json.data);
	tl_buf_release(&note_json);
	printf("tagged %s '%s'\n", where, tag);
cleanup:
	tl_store_iter_free(it);
	tl_store_close(s);
	tl_case_release(&cs);
	return rc;
}
