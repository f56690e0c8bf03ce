#!/usr/bin/env bash
# tl replay of a case built in two ingests (docs/correlation.md#stable-binding-ids).
# Replay repeats the case's ingest runs, in order, each with the files it took
# in (the custody log says which). When the later ingest brought no binding
# evidence, every output matches byte for byte. When it did, the new
# bindings' ids follow the highest id of the first ingest; the replay's
# second run numbers them the same way, so outputs that cite binding ids
# match too, byte for byte.
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
expect_exit 0 "replay of a case whose later ingest brought binding evidence" -- "$TL" replay --into "$WORK/rb" "$B"
contains "$WORK/out" "^ingest run 1 of 2 \(as custody entry 1\): 12 evidence files$" "the first run is repeated with the files it took in"
contains "$WORK/out" "^ingest run 2 of 2 \(as custody entry 2\): 1 evidence files$" "then the second, with the proxy log alone"
contains "$WORK/out" "^replay: 4 outputs, 4 match, 0 differ$" "every output matches, binding ids included"
contains "$WORK/out" "MATCH +out/bindings.tsv" "the bindings table with its ids matches"
same "$B/out/jdoe.jsonl" "$WORK/rb/out/jdoe.jsonl" "the JSONL timeline citing binding ids is byte for byte the original"
finish
