#!/usr/bin/env bash
# A platform log no product knows, read by a definition that lives in the case
# (CASE/formats/), not in the binary: the worked example of
# docs/bespoke-platforms.md, whose definition and commands this test runs as
# written. Also: a broken case definition stops ingest before any evidence is
# read, naming file, line and column.
. "$(dirname "$0")/lib.sh"
FIX="$SRC/fixtures/cases/admin-console"
DOC="$SRC/docs/bespoke-platforms.md"
EXPECTED="$FIX/expected/timeline.jsonl"
DEF=acme-admin-console

# the definition in the docs is the one tested here, byte for byte
awk '/^```json$/{on=1;next} /^```$/{if(on){exit}} on' "$DOC" >"$WORK/doc-def.json"
same "$FIX/formats/$DEF.json" "$WORK/doc-def.json" "docs/bespoke-platforms.md shows the fixture definition"

C="$WORK/console"
cp -r "$FIX" "$C"
rm -rf "$C/expected" "$C/case.db"*
"$TL" formats 2>/dev/null | grep -q "^$DEF " && fail "$DEF must not be a built-in" || ok "$DEF is not compiled in"
expect_exit 0 "tl formats --case loads the case definition" -- "$TL" formats --case "$C"
contains "$WORK/out" "^$DEF +audit +1\.0\.0 +.*/formats/$DEF\.json" "its origin is the case's file"

LOG="$C/evidence/console/ops-2026-11-20.csv"
expect_exit 3 "tl formats test: 4 events, the short line rejected" -- "$TL" formats test --case "$C" $DEF "$LOG"
contains "$WORK/out" "^4 events, 1 rejects, 1 header/blank lines$" "formats test totals"
contains "$WORK/out" "ts +2026-11-19T23:41:17\.000000Z +\(from '2026-11-20 00:41:17', zone=Europe/Berlin\(format\)\)" "local-time column read in the definition's zone when ts_ms is empty"
contains "$WORK/out" "ts +2026-11-19T23:40:02\.118000Z +\(from '1795131602118', utc\)" "epoch-ms column preferred"
contains "$WORK/out" "message +EXPORT customers: 120000 rows \(ticket CHG-2231\)" "message names table, row count and ticket"
contains "$WORK/out" "row_count +1,204 +\(-> extra\)" "a quoted value with a comma stays one value"
contains "$WORK/out" "reason: expected 10 fields, found 8" "a short line is a reject with its reason"

expect_exit 0 "tl detect picks the case format" -- "$TL" detect --case "$C" "$LOG"
contains "$WORK/out" "$DEF \(audit, confidence 76\)" "detected by its header line (sniff 95 x 80% of records parsed)"
expect_exit 3 "ingest: events and one reject" -- "$TL" ingest --no-progress "$C"
contains "$WORK/err" "5 records -> 4 events, 1 rejects" "ingest summary"
expect_exit 0 "timeline jsonl" -- "$TL" timeline --output jsonl "$C"
cp "$WORK/out" "$WORK/t.jsonl"
if [ "${TL_UPDATE_EXPECTED:-}" = 1 ]; then mkdir -p "$(dirname "$EXPECTED")"; cp "$WORK/t.jsonl" "$EXPECTED"; fi
same "$EXPECTED" "$WORK/t.jsonl" "timeline matches expected/timeline.jsonl"
contains "$WORK/t.jsonl" '"format":"acme-admin-console","class":"api_activity","action":"export","outcome":"success","severity":"medium","user":"MCHEN"' "operator in capitals is the user"
contains "$WORK/t.jsonl" '"target_table":"customers","row_count":"120000"' "target table and row count are named extra keys"

# broken definitions: refused at load, before any evidence is read
for bad in regex field; do
	D="$WORK/bad-$bad"
	cp -r "$FIX" "$D"
	rm -rf "$D/expected" "$D/case.db"*
	case $bad in
	regex) sed -i 's/"regex": "\\\\Aop_id,/"regex": "(\\\\Aop_id,/' "$D/formats/$DEF.json" ;;
	field) sed -i 's/"user": "operator",/"username": "operator",/' "$D/formats/$DEF.json" ;;
	esac
	expect_exit 1 "ingest refuses a definition with a bad $bad" -- "$TL" ingest --no-progress "$D"
	contains "$WORK/err" "$D/formats/$DEF\.json:[0-9]+:[0-9]+: " "the $bad error names file, line and column"
	case $bad in
	regex) contains "$WORK/err" "missing closing parenthesis" "the regex error says why" ;;
	field) contains "$WORK/err" '"username" is not a normalized field' "the unknown field is named" ;;
	esac
	n=$("$TL" sql "$D" "SELECT count(*) FROM evidence_files" 2>/dev/null | tail -n 1)
	[ "${n:-0}" = 0 ] && ok "no evidence read with a bad $bad" || fail "evidence read despite a bad $bad ($n files)"
done
finish
