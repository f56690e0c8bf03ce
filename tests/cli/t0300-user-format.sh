#!/usr/bin/env bash
# A bespoke log gets in without recompiling: a user format definition in
# CASE/formats/, naive yearless timestamps converted with the zone, year and
# clock skew the case config gives for that evidence path.
. "$(dirname "$0")/lib.sh"
C=$(new_case user)
mkdir -p "$C/evidence/vault"
cat >"$C/formats/acme-vault.json" <<'DEF'
{
  "name": "acme-vault",
  "family": "audit",
  "version": "0.1.0",
  "title": "ACME Vault secrets-access log (syslog, key=value)",
  "parse": { "type": "kv", "prefix": "^(?<time>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) (?<host>\\S+) acme-vault\\[\\d+\\]: " },
  "timestamp": { "field": "time", "formats": ["rfc3164"] },
  "fields": { "user": "user", "src_ip": "src", "action": "op", "host": "host", "file": "path" },
  "maps": { "outcome": { "from": "result", "values": { "ok": "success", "denied": "failure" } } },
  "sniff": [ { "regex": "^[A-Z][a-z]{2} [ \\d]\\d [\\d:]{8} \\S+ acme-vault\\[", "score": 90 } ],
  "samples": [ "Dec 31 23:59:58 vault01 acme-vault[311]: user=mchen src=10.20.1.15 op=read path=/finance/q3 result=ok" ]
}
DEF
cat >"$C/tl.json" <<'CFG'
// the vault's clock ran 2.5 s fast; it writes Berlin local time without a year
{ "version": 1,
  "sources": [ { "path": "evidence/vault/**", "timezone": "Europe/Berlin", "year": 2025, "skew_seconds": -2.5 } ] }
CFG
printf '%s\n' \
	'Dec 31 23:59:58 vault01 acme-vault[311]: user=mchen src=10.20.1.15 op=read path=/finance/q3 result=ok' \
	'Jan  1 00:00:03 vault01 acme-vault[311]: user=mchen src=10.20.1.15 op=export path=/finance/q3 result=denied' \
	'Jan  1 00:00:04 vault01 kernel: something else entirely' >"$C/evidence/vault/vault.log"

expect_exit 0 "tl formats --case lists the user format" -- "$TL" formats --case "$C"
contains "$WORK/out" "^acme-vault +audit +0.1.0 +.*formats/acme-vault.json" "origin names the definition file"
expect_exit 3 "tl formats test shows the reject" -- "$TL" formats test --case "$C" acme-vault "$C/evidence/vault/vault.log"
contains "$WORK/out" "user +mchen" "formats test shows mapped fields"
contains "$WORK/out" "reason: record does not match the prefix pattern of acme-vault" "formats test shows the reason"
expect_exit 3 "ingest detects the user format and rejects the foreign line" -- "$TL" ingest --no-progress "$C"
"$TL" timeline --output jsonl "$C" >"$WORK/t.jsonl"
contains "$WORK/t.jsonl" '"ts":"2025-12-31T22:59:55.500000Z","ts_raw":"Dec 31 23:59:58","ts_rule":"zone=Europe/Berlin\(config\);year=2025\(hint\)","ts_skew_us":-2500000' "naive local time: zone, year and skew from the config"
contains "$WORK/t.jsonl" '"ts":"2025-12-31T23:00:00.500000Z","ts_raw":"Jan  1 00:00:03","ts_rule":"zone=Europe/Berlin\(config\);year=2026\(rollover\)"' "December to January rolls the year over"
contains "$WORK/t.jsonl" '"action":"export","outcome":"failure".*"host":"vault01"' "value maps apply"
"$TL" sql "$C" "SELECT reason FROM rejects" >"$WORK/r"
contains "$WORK/r" "does not match the prefix pattern" "the reject row keeps its reason"

# a broken definition is refused with its file, line and column
D=$(new_case broken)
printf '{\n  "name": "x",\n  "family": "audit",\n  "version": "1",\n  "parse": { "type": "regex", "patterns": ["(unclosed"] }\n}\n' >"$D/formats/x.json"
expect_exit 1 "a broken user definition is an error" -- "$TL" formats --case "$D"
contains "$WORK/err" "formats/x.json:5:[0-9]+: bad pattern" "the error names file:line:column"
# and so is a broken config
printf '{\n  "sources": [ { "path": "evidence/**", "timezone": "Mars/Olympus_Mons" } ]\n}\n' >"$D/tl.json"
rm "$D/formats/x.json"
expect_exit 1 "a bad time zone in tl.json is an error" -- "$TL" ingest "$D"
contains "$WORK/err" "tl.json:2:[0-9]+: unknown time zone" "config errors name file:line:column"
finish
