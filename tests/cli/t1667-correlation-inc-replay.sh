#!/usr/bin/env bash
# tl replay of a case built in two ingests (docs/correlation.md#stable-binding-ids).
# Replay rebuilds the case in one ingest. When the later ingest brought no
# binding evidence, the ids are those one ingest gives and every output
# matches byte for byte. When it did, the new bindings' ids follow the
# highest id of the first ingest, where one ingest would have numbered them
# among the others: an output that cites binding ids differs from its replay
# in those numbers and nothing else, and an output that cites none matches.
. "$(dirname "$0")/lib.sh"
two_step() { # two_step NAME LATE-FILE: the demo case, LATE-FILE ingested second
	local c="$WORK/$1"
	cp -r "$SRC/fixtures/cases/demo" "$c"
	rm -rf "$c/case.db"* "$c/out" "$c/expected" "$c/custody.jsonl" "$c/replay.tl"
	mv "$c/$2" "$WORK/held"
	"$TL" ingest --no-progress "$c" >/dev/null 2>&1
	mv "$WORK/held" "$c/$2"
	# a small case: the size rule off, so the later ingest stays incremental
	TL_CORR_FULL=never "$TL" ingest --no-progress "$c" >/dev/null 2>&1
	"$TL" sql -o bindings.tsv "$c" "SELECT id, kind, subject, value, start_ts, source FROM bindings ORDER BY kind, subject, start_ts, value"
	"$TL" timeline --entity user:mchen -o mchen.txt "$c"
	"$TL" timeline --entity user:jdoe --output jsonl -o jdoe.jsonl "$c"
	"$TL" sql -o attributed.tsv "$c" "SELECT e.ts, a.kind, a.value, a.via, b.kind, b.subject, b.start_ts FROM attributions a JOIN events e ON e.id = a.event_id JOIN bindings b ON b.id = a.binding_id ORDER BY 1, 2"
	echo "$c"
}
A=$(two_step a evidence/dns/query.log)
expect_exit 0 "replay of a case whose later ingest brought no binding evidence" -- "$TL" replay --into "$WORK/ra" "$A"
contains "$WORK/out" "^replay: 4 outputs, 4 match, 0 differ$" "every output matches, binding ids included"

B=$(two_step b evidence/proxy/access.log)
[ "$("$TL" sql "$B" "SELECT mode FROM correlation_state" | tail -n 1)" = incremental ] && ok "the later proxy log was correlated incrementally" ||
	fail "mode $("$TL" sql "$B" "SELECT mode FROM correlation_state" | tail -n 1)"
"$TL" replay --into "$WORK/rb" "$B" >"$WORK/out" 2>&1
contains "$WORK/out" "MATCH +out/attributed.tsv" "an output that cites no binding id matches its replay"
contains "$WORK/out" "DIFFER out/bindings.tsv" "an output that cites the new bindings' ids differs from its one-ingest replay"
noid() { sed -E 's/#[0-9]+/#N/g; s/"id":[0-9]+/"id":N/g; s/^[0-9]+\t/N\t/' "$1" | sort; }
for f in bindings.tsv mchen.txt jdoe.jsonl; do
	noid "$B/out/$f" >"$WORK/orig"
	noid "$WORK/rb/out/$f" >"$WORK/replayed"
	same "$WORK/orig" "$WORK/replayed" "$f differs from its replay in binding ids only"
done
finish
