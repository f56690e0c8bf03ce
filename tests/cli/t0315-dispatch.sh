#!/usr/bin/env bash
# One syslog relay file, several definitions: a case definition plugs into the
# built-in syslog dispatcher by "claims", another extends a built-in. The two
# definitions are the examples of docs/format-definitions.md, taken from the
# page itself so the page cannot rot.
. "$(dirname "$0")/lib.sh"
C=$(new_case dispatch)
DOC="$SRC/docs/format-definitions.md"
# the ```json blocks between "## dispatch and claims" and "## Adding your own format"
awk '/^## dispatch and claims/{on=1} /^## Adding your own format/{on=0}
     on && /^```json/{n++; f=sprintf("'"$C"'/formats/doc-%d.json", n); next}
     on && /^```/{f=""; next} f{print > f}' "$DOC"
[ -s "$C/formats/doc-1.json" ] && [ -s "$C/formats/doc-2.json" ] && ok "the page has the two examples" || fail "examples not found in $DOC"
cat >"$C/evidence/relay.log" <<'LOG'
<86>Nov 19 23:40:05 nas01 backupd[311]: op=restore user=mchen path=/finance/q3.xlsx result=ok
<182>2026-11-19T23:40:03.120+01:00 proxy9 acme-squid[1]: 1795128003.120    142 10.20.1.15 TCP_MISS/200 20431 GET http://u.example.org/f - HIER_DIRECT/198.51.100.20 -
<134>2026-11-19T23:40:02.004+01:00 relay01 <134>1 2026-11-19T23:40:01.998+01:00 fw1 filterlog 60912 - - 5,,,1000000103,igb0,match,block,in,4,0x0,,241,0,0,none,6,tcp,40,198.51.100.9,203.0.113.2,51515,23,0,S,3124023311,,1024,,
<38>2026-11-19T23:41:00+01:00 bastion-01 sshd[4121]: Accepted publickey for mchen from 10.20.1.15 port 52214 ssh2
LOG
cat >"$C/tl.json" <<'CFG'
{ "version": 1, "sources": [ { "path": "evidence/**", "year": 2026 } ] }
CFG
expect_exit 0 "the documented definitions load" -- "$TL" formats --case "$C"
contains "$WORK/out" "^acme-backupd +hids" "the claiming definition is listed"
contains "$WORK/out" "^acme-squid +proxy .*Acme's squid build" "the extending definition is listed"
expect_exit 0 "the relay file ingests without rejects" -- "$TL" ingest --no-progress "$C"
"$TL" sql "$C" "SELECT format, records, events, rejects FROM evidence_files" >"$WORK/files"
contains "$WORK/files" "^syslog	4	4	0$" "the file is the dispatcher's, counts add up"
"$TL" sql "$C" "SELECT format || ' ' || family || ' ' || coalesce(host, '-') || ' ' || coalesce(user, '-') FROM events ORDER BY format" >"$WORK/ev"
contains "$WORK/ev" "^acme-backupd hids nas01 mchen$" "a program claimed by a case definition"
contains "$WORK/ev" "^acme-squid proxy proxy-acme -$" "a program of the extending definition, its own field wins"
contains "$WORK/ev" "^pfsense-filterlog firewall fw1 -$" "a relayed record: the origin's host"
contains "$WORK/ev" "^syslog hids bastion-01 -$" "an unclaimed program is a generic event"
printf '{ "name": "a", "family": "hids", "version": "1",\n  "extends": "b" }\n' >"$C/formats/a.json"
printf '{ "name": "b", "family": "hids", "version": "1", "extends": "a" }\n' >"$C/formats/b.json"
expect_exit 1 "an extends cycle is refused" -- "$TL" formats --case "$C"
contains "$WORK/err" 'formats/b.json:1:61: "extends" makes a cycle: a -> b -> a' "the cycle is named with file:line:col"
finish
