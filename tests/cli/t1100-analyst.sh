#!/usr/bin/env bash
# The analyst's daily tool beyond the demo test: ingest ergonomics (quiet,
# paths relative to the case, empty evidence), authoring (a definition file
# tested by path, load warnings, header samples, did-you-mean), annotations
# that never move the events digest, and limits that say what they do.
. "$(dirname "$0")/lib.sh"
DEMO="$SRC/fixtures/cases/demo"

C="$WORK/c"
cp -r "$DEMO" "$C"
rm -rf "$C/case.db"* "$C/out" "$C/expected" "$C/replay.tl" "$C/custody.jsonl"

# PATH relative to the case, from anywhere
(cd "$WORK" && "$TL" ingest --no-progress "$C" evidence/proxy) 2>"$WORK/err"
contains "$WORK/err" "7 events, 1 rejects" "ingest CASE evidence/proxy resolves against the case"
(cd / && "$TL" ingest --no-progress -q "$C" evidence/proxy) 2>"$WORK/err"
[ ! -s "$WORK/err" ] && ok "-q: no line per unchanged file" || fail "-q printed: $(cat "$WORK/err")"
"$TL" ingest --no-progress -q "$C" 2>/dev/null

# an empty evidence folder is not a silent success
"$TL" init "$WORK/empty" >/dev/null
expect_exit 0 "ingest of an empty case" -- "$TL" ingest --no-progress "$WORK/empty"
contains "$WORK/err" "warning: no evidence files under 'evidence'" "empty evidence warns"

# annotations never change the events digest
before=$("$TL" timeline --output jsonl "$C" | sha256sum)
expect_exit 0 "tag by id" -- "$TL" tag "$C" 1 first
contains "$WORK/out" "^tagged evidence/.* 'first'$" "tag says what it tagged"
after=$("$TL" timeline --output jsonl "$C" | grep -v '"tags":' | sha256sum)
n=$("$TL" timeline --output jsonl --tag first "$C" | grep -c '"tags":\[{"tag":"first","note":null}\]')
[ "$n" = 1 ] && ok "--tag selects the tagged event, JSONL carries its tags" || fail "--tag gave $n"
"$TL" timeline --output jsonl "$C" | grep -v '"tags"' >"$WORK/untagged"
[ "$(wc -l <"$WORK/untagged")" = 16 ] && ok "only the tagged line has a tags key" || fail "$(wc -l <"$WORK/untagged") lines untagged"
expect_exit 0 "verify after tagging" -- "$TL" verify "$C"
expect_exit 2 "tag of no event" -- "$TL" tag "$C" 99999 x
expect_exit 2 "a tag with a space" -- "$TL" tag "$C" 1 "two words"
expect_exit 0 "timeline text shows the tag" -- "$TL" timeline --tag first "$C"
contains "$WORK/out" "  #first$" "text shows #tag"
expect_exit 2 "--saved of nothing" -- "$TL" timeline --saved nope "$C"
contains "$WORK/err" "no saved search 'nope'" "names the search"

# limits and filters
expect_exit 0 "--grep with --tail" -- "$TL" timeline --grep '"family":"proxy"' --tail 2 --output jsonl "$C"
[ "$(wc -l <"$WORK/out")" = 2 ] && ok "--grep --tail 2" || fail "--grep --tail gave $(wc -l <"$WORK/out")"
contains "$WORK/out" '"ts":"2026-11-19T23:36:15.660000Z"' "--tail keeps the last"
expect_exit 2 "bad --limit" -- "$TL" timeline --limit 0 "$C"
expect_exit 2 "mistyped option" -- "$TL" timeline --outcme failure "$C"
contains "$WORK/err" "did you mean '--outcome'" "did you mean for options"
expect_exit 2 "--family typo" -- "$TL" timeline --family proxi "$C"
contains "$WORK/err" "unknown family 'proxi'; did you mean 'proxy'" "family did you mean"
expect_exit 0 "stats jsonl" -- "$TL" stats --by day,family --output jsonl "$C"
contains "$WORK/out" '^\{"day":"2026-11-19T00:00:00.000000Z","family":"audit","events":6,' "stats jsonl"
expect_exit 0 "rejects jsonl" -- "$TL" rejects --output jsonl --file proxy "$C"
contains "$WORK/out" '"line":8,.*"reason":"record does not match any pattern of squid-native"' "rejects jsonl"

# authoring: a definition tested by its path, with load warnings
mkdir -p "$WORK/fmt"
cat >"$WORK/fmt/acme.json" <<'DEF'
{
  "name": "acme-app", "family": "audit", "version": "1.0.0", "title": "ACME app audit log",
  "parse": { "type": "regex", "patterns": ["^(?<ts>\\S+) (?<user>\\S+) (?<action>\\S+)$"] },
  "timestamp": { "field": "ts", "formats": ["iso8601"] },
  "fields": { "user": "user", "action": "action", "message": "{user} did {actoin}" },
  "sniff": [{ "regex": "^\\d{4}-", "score": 50 }],
  "samples": ["2026-11-19T23:00:00Z mchen login"]
}
DEF
printf '2026-11-19T23:00:00Z mchen login\n' >"$WORK/fmt/a.log"
expect_exit 0 "formats test ./x.json FILE" -- "$TL" formats test "$WORK/fmt/acme.json" "$WORK/fmt/a.log"
contains "$WORK/out" "^1 events, 0 rejects" "the definition file is tested"
contains "$WORK/err" "warning: .*acme.json: \"fields\".message: no sample produces '\{user\} did \{actoin\}'" "misspelled template field warned"
expect_exit 1 "formats test of a case format without --case" -- "$TL" formats test acme-app "$WORK/fmt/a.log"
contains "$WORK/err" "need --case CASE" "hint at --case"
cat >"$WORK/fmt/hdr.json" <<'DEF'
{
  "name": "acme-csv", "family": "audit", "version": "1.0.0", "title": "ACME CSV export",
  "framing": { "type": "csv" },
  "parse": { "type": "delimited", "separator": ",", "header": "first-line" },
  "timestamp": { "field": "time", "formats": ["iso8601"] },
  "fields": { "user": "user" },
  "sniff": [{ "regex": "^time,user", "score": 50 }],
  "samples": ["2026-11-19T23:00:00Z,mchen"]
}
DEF
expect_exit 1 "a one-string sample of a header format" -- "$TL" formats test "$WORK/fmt/hdr.json" "$WORK/fmt/a.log"
contains "$WORK/err" "needs each sample as an array of lines, header first" "says how to write the sample"
finish
