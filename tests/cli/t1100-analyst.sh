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
contains "$WORK/err" "15 events, 1 rejects" "ingest CASE evidence/proxy resolves against the case"
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
[ "$(wc -l <"$WORK/untagged")" = 114 ] && ok "only the tagged line has a tags key" || fail "$(wc -l <"$WORK/untagged") lines untagged"
contains "$C/custody.jsonl" '"argv":\["[^"]*","tag","[^"]*","1","first"\].*"annotation":\{"kind":"tag","event":"evidence/[^"]*","offset":[0-9]+,"raw_sha256":"[0-9a-f]{64}","tag":"first","note":null\},"exit":0' "the custody log records the tag"
expect_exit 0 "verify after tagging" -- "$TL" verify "$C"
expect_exit 2 "tag of no event" -- "$TL" tag "$C" 99999 x
expect_exit 2 "a tag with a space" -- "$TL" tag "$C" 1 "two words"
expect_exit 0 "timeline text shows the tag" -- "$TL" timeline --tag first "$C"
contains "$WORK/out" "  #first$" "text shows #tag"
"$TL" timeline --save fails --outcome failure --family proxy "$C" >/dev/null
contains "$C/custody.jsonl" '"annotation":\{"kind":"saved_search","name":"fails","args":\["--outcome","failure","--family","proxy"\]\}' "the custody log records the saved search"
expect_exit 0 "--saved applies it" -- "$TL" timeline --saved fails --output jsonl "$C"
[ "$(wc -l <"$WORK/out")" = 1 ] && ok "--saved: one denied proxy request" || fail "--saved gave $(wc -l <"$WORK/out")"
expect_exit 2 "--saved of nothing" -- "$TL" timeline --saved nope "$C"
contains "$WORK/err" "no saved search 'nope'" "names the search"

# limits and filters
expect_exit 0 "--grep with --tail" -- "$TL" timeline --grep '"family":"proxy"' --tail 2 --output jsonl "$C"
[ "$(wc -l <"$WORK/out")" = 2 ] && ok "--grep --tail 2" || fail "--grep --tail gave $(wc -l <"$WORK/out")"
contains "$WORK/out" '"ts":"2026-11-19T23:41:54.374000Z"' "--tail keeps the last"
expect_exit 2 "bad --limit" -- "$TL" timeline --limit 0 "$C"
expect_exit 2 "mistyped option" -- "$TL" timeline --outcme failure "$C"
contains "$WORK/err" "did you mean '--outcome'" "did you mean for options"
expect_exit 2 "--family typo" -- "$TL" timeline --family proxi "$C"
contains "$WORK/err" "unknown family 'proxi'; did you mean 'proxy'" "family did you mean"
expect_exit 0 "stats jsonl" -- "$TL" stats --by day,family --output jsonl "$C"
contains "$WORK/out" '^\{"day":"2026-11-19T00:00:00.000000Z","family":"audit","events":18,' "stats jsonl"
expect_exit 0 "rejects jsonl" -- "$TL" rejects --output jsonl --file proxy "$C"
contains "$WORK/out" '"line":7,.*"reason":"record does not match any pattern of squid-native"' "rejects jsonl"

# --reparse: unchanged files parsed again, tags kept, --format remembered
R="$WORK/rp"
cp -r "$DEMO" "$R"
rm -rf "$R/case.db"* "$R/out" "$R/expected" "$R/replay.tl" "$R/custody.jsonl"
"$TL" ingest --no-progress -q "$R" evidence/cloud evidence/network evidence/vpn evidence/dns evidence/firewall evidence/hids evidence/edr evidence/dlp 2>/dev/null
"$TL" ingest --no-progress -q --format squid-native "$R" evidence/proxy 2>/dev/null
"$TL" tag "$R" evidence/proxy/access.log:5 paste >/dev/null
d1=$("$TL" timeline --output jsonl "$R" | sha256sum)
expect_exit 3 "--reparse=squid-native" -- "$TL" ingest --no-progress --reparse=squid-native "$R"
contains "$WORK/err" "^evidence/proxy/access.log: re-parsed with squid-native$" "re-parse names the file and the remembered format"
contains "$WORK/err" "2 re-parsed\): 16 records -> 15 events, 1 rejects" "summary counts the re-parse"
contains "$WORK/err" "^evidence/network/conn.log: unchanged" "other files untouched"
d2=$("$TL" timeline --output jsonl "$R" | sha256sum)
[ "$d1" = "$d2" ] && ok "same definitions, same timeline (tags included)" || fail "re-parse changed the timeline"
[ "$("$TL" sql "$R" "SELECT format_rule FROM evidence_files WHERE path = 'evidence/proxy/access.log'" | tail -1)" = "--format" ] &&
	ok "the --format choice is remembered" || fail "format_rule lost"
expect_exit 0 "--reparse=evidence/cloud" -- "$TL" ingest --no-progress --reparse=evidence/cloud "$R"
contains "$WORK/err" "3 re-parsed" "a folder re-parses what lies under it"
expect_exit 0 "replay of a case with a --format file and a tag" -- "$TL" replay --into "$WORK/rp2" "$R"
[ "$("$TL" sql "$WORK/rp2" "SELECT format_rule FROM evidence_files WHERE path = 'evidence/proxy/access.log'" | tail -1)" = "--format" ] &&
	ok "replay ingests a --format file with its format" || fail "replay lost the --format choice"
"$TL" timeline --tag paste --output jsonl "$WORK/rp2" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" = 1 ] && ok "the tag was replayed" || fail "tag not replayed"

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
