#!/usr/bin/env bash
# tl replay repeats a case's ingest runs (docs/commands/replay.md): a case
# built in three ingests, binding evidence arriving in the second (the proxy
# log) and the third (the VPN log), replays with every output matching byte
# for byte, binding ids included. The same evidence ingested in one run
# numbers the bindings otherwise: the runs are what make the replay match.
. "$(dirname "$0")/lib.sh"
A="$WORK/a"
cp -r "$SRC/fixtures/cases/demo" "$A"
rm -rf "$A/case.db"* "$A/out" "$A/expected" "$A/custody.jsonl" "$A/replay.tl"
mkdir -p "$WORK/held"
mv "$A/evidence/proxy" "$A/evidence/vpn" "$WORK/held/"
"$TL" ingest --no-progress "$A" >/dev/null 2>&1
mv "$WORK/held/proxy" "$A/evidence/"
TL_CORR_FULL=never "$TL" ingest --no-progress "$A" >/dev/null 2>&1
mv "$WORK/held/vpn" "$A/evidence/"
# a run that reads nothing new: nothing to repeat
"$TL" ingest --no-progress "$A" "$A/evidence/proxy" >/dev/null 2>&1
TL_CORR_FULL=never "$TL" ingest --no-progress "$A" >/dev/null 2>&1
steps() { # steps CASE: outputs that cite binding ids, and one that does not
	"$TL" sql -o bindings.tsv "$1" "SELECT id, kind, subject, value, start_ts, source FROM bindings ORDER BY kind, subject, start_ts, value"
	"$TL" timeline --entity user:jdoe --output jsonl -o jdoe.jsonl "$1"
	"$TL" timeline -o all.txt "$1"
	"$TL" sql -o per-format.tsv "$1" "SELECT format, count(*) FROM events GROUP BY 1 ORDER BY 1"
}
steps "$A"
grep -q '"binding":{"id"' "$A/out/jdoe.jsonl" && ok "the JSONL timeline cites binding ids" || fail "no binding id in jdoe.jsonl"

expect_exit 0 "replay of a case built in three ingests" -- "$TL" replay --into "$WORK/r" "$A"
contains "$WORK/out" "^ingest run 1 of 3 \(as custody entry 1\): 10 evidence files$" "run 1: the files the first ingest took in"
contains "$WORK/out" "^ingest run 2 of 3 \(as custody entry 2\): 2 evidence files$" "run 2: the proxy logs"
contains "$WORK/out" "^ingest run 3 of 3 \(as custody entry 4\): 1 evidence files$" "run 3: the VPN log; entry 3 read nothing new and is not repeated"
contains "$WORK/out" "^replay: 4 outputs, 4 match, 0 differ$" "every output matches"
contains "$WORK/out" "^replay: 13 evidence files, 13 as the original run had them, 0 differ$" "every file's outcome matches"
same "$A/out/bindings.tsv" "$WORK/r/out/bindings.tsv" "the bindings, ids included, are the original's"
[ "$("$TL" sql "$WORK/r" "SELECT count(*) FROM evidence_files" | tail -n 1)" = 13 ] && ok "the replay holds the 13 files" || fail "files in the replay"

# the same evidence in one run: other ids, so the batches matter
O="$WORK/one"
cp -r "$SRC/fixtures/cases/demo" "$O"
rm -rf "$O/case.db"* "$O/out" "$O/expected" "$O/custody.jsonl" "$O/replay.tl"
"$TL" ingest --no-progress "$O" >/dev/null 2>&1
steps "$O"
if cmp -s "$A/out/bindings.tsv" "$O/out/bindings.tsv"; then fail "one run numbers the bindings as three do"; else ok "one run numbers the bindings otherwise"; fi
cut -f2- "$A/out/bindings.tsv" | sort >"$WORK/b3"
cut -f2- "$O/out/bindings.tsv" | sort >"$WORK/b1"
same "$WORK/b3" "$WORK/b1" "and holds the same bindings"
same "$A/out/per-format.tsv" "$O/out/per-format.tsv" "and the same events"
# without its custody log a case replays in one run: the ids differ
N="$WORK/nolog"
cp -r "$A" "$N"
rm "$N/custody.jsonl"
expect_exit 5 "replay without the custody log" -- "$TL" replay --into "$WORK/rn" "$N"
contains "$WORK/out" "^NOTE no custody.jsonl: the evidence is ingested in one run$" "it says so"
contains "$WORK/out" "DIFFER out/bindings.tsv" "and the outputs citing binding ids differ"
contains "$WORK/out" "MATCH +out/per-format.tsv" "those citing none match"
finish
