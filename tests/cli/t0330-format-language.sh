#!/usr/bin/env bash
# The language additions end to end in a user definition: escape-aware
# key=value (values with spaces, \= escapes, two quote characters), a zone
# name the definition maps, a 12-hour clock with a day name, a transform, a
# JSON array element chosen by a sibling field, a repeated key; and broken
# uses of them refused at load with file:line:column.
. "$(dirname "$0")/lib.sh"
C=$(new_case lang)
cat >"$C/formats/acme-gw.json" <<'DEF'
{
  "name": "acme-gw",
  "family": "proxy",
  "version": "0.1.0",
  "parse": { "type": "kv", "values": "to-next-key", "escapes": true, "quote": "\"'",
             "embedded_json": [{ "field": "ctx", "prefix": "ctx" }] },
  "timestamp": { "field": "time", "formats": ["%a %b %d %Y %I:%M:%S %p %Z"], "zone_names": { "CET": "+01:00" } },
  "fields": {
    "user": "user", "message": "msg", "action": "act|lower",
    "process_cmdline": ["cmd|hex|nul_to_space", "cmd"],
    "target_user": "ctx.targets[?type=User].id"
  },
  "sniff": [ { "regex": "^time=\\w{3} \\w{3} ", "score": 90 } ],
  "samples": [ "time=Thu Nov 19 2026 11:16:00 PM CET user=x msg=a b" ]
}
DEF
mkdir -p "$C/evidence/gw"
# two of the three lines are meant to be refused, so detection (which wants half
# of a sample to parse) would rightly not claim the file: the case names its format
cat >"$C/tl.json" <<'CFG'
{ "version": 1, "sources": [ { "path": "evidence/gw/*", "format": "acme-gw" } ] }
CFG
cat >"$C/evidence/gw/gw.log" <<'LOG'
time=Thu Nov 19 2026 11:16:00 PM CET user='m chen' msg=upload of Q4 payroll.xlsx act=BLOCKED\=policy cmd=6375726C002D54002F746D702F7134 tag=x tag=y ctx="{\"targets\":[{\"type\":\"Group\",\"id\":\"fin\"},{\"type\":\"User\",\"id\":\"akim\"}]}"
time=Fri Nov 19 2026 11:17:00 PM CET user=mchen msg=day name disagrees with the date
time=Thu Nov 19 2026 11:18:00 PM EST user=mchen msg=a zone name nobody mapped
LOG
expect_exit 3 "ingest reads the user format and rejects what it must not guess" -- "$TL" ingest --no-progress "$C"
"$TL" timeline --output jsonl "$C" >"$WORK/t.jsonl"
contains "$WORK/t.jsonl" '"ts":"2026-11-19T22:16:00.000000Z","ts_raw":"Thu Nov 19 2026 11:16:00 PM CET","ts_rule":"offset;zone-name=CET\(format\)"' "12-hour clock, day name and a mapped zone name"
contains "$WORK/t.jsonl" '"action":"blocked=policy"' "an escaped = and a transform"
contains "$WORK/t.jsonl" '"user":"m chen"' "a single-quoted value"
contains "$WORK/t.jsonl" '"process_cmdline":"curl -T /tmp/q4"' "hex-encoded argv decoded"
contains "$WORK/t.jsonl" '"message":"upload of Q4 payroll.xlsx"' "a value runs to the next key"
contains "$WORK/t.jsonl" '"target_user":"akim"' "an array element picked by a sibling field in embedded JSON"
contains "$WORK/t.jsonl" '"tag":"x","tag#2":"y"' "a repeated key is never twice in extra"
"$TL" sql "$C" "SELECT reason FROM rejects ORDER BY line" >"$WORK/r"
contains "$WORK/r" "timestamp 'Fri Nov 19 2026 11:17:00 PM CET' does not match" "a wrong day name is a reject"
contains "$WORK/r" "timestamp 'Thu Nov 19 2026 11:18:00 PM EST' does not match" "an unmapped zone name is a reject"

# broken uses of the new constructs are refused with file:line:column
D=$(new_case broken)
sed 's/"act|lower"/"act|lowercase"/' "$C/formats/acme-gw.json" >"$D/formats/x.json"
expect_exit 1 "an unknown transform is an error" -- "$TL" formats --case "$D"
contains "$WORK/err" "formats/x.json:9:49: unknown transform \"lowercase\"" "the error names file:line:column"
sed 's/targets\[?type=User\]/targets[?type]/' "$C/formats/acme-gw.json" >"$D/formats/x.json"
expect_exit 1 "a bad array selector is an error" -- "$TL" formats --case "$D"
contains "$WORK/err" "formats/x.json:11:20: field reference \"ctx.targets\[\?type\].id\": a selector is \[\?key=value\]" "the error names file:line:column"
sed 's/"to-next-key"/"to-next"/' "$C/formats/acme-gw.json" >"$D/formats/x.json"
expect_exit 1 "a bad kv option is an error" -- "$TL" formats --case "$D"
contains "$WORK/err" "formats/x.json:5:38: \"values\" is \"to-separator\" or \"to-next-key\"" "the error names file:line:column"
finish
