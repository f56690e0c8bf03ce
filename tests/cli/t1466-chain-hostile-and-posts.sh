#!/usr/bin/env bash
# Evidence text in chains is escaped for each sink (terminal, Markdown, JSON),
# and a POST after a DLP finding is an upload only when it names the file
# (forms and telemetry are POSTs too); a PUT or 1 MiB sent is one regardless.
. "$(dirname "$0")/lib.sh"
C=$(new_case h)
mkdir -p "$C/evidence/dns" "$C/evidence/proxy" "$C/evidence/dlp"
echo "19-Nov-2026 23:43:58.412 queries: info: client @0x7f2b68014d40 10.9.9.9#51812 (evil.example): query: evil.example IN A + (10.20.0.53)" >"$C/evidence/dns/query.log"
{
	printf '1795131840.118     12 10.9.9.9 TCP_MISS/200 412 GET http://evil.example/a\033[31m|b`c*d mal|lory HIER_DIRECT/203.0.113.9 text/plain\n'
	printf '1795132000.000     40 10.9.9.8 TCP_MISS/200 120 POST http://telemetry.example.org/v1/batch jdoe HIER_DIRECT/203.0.113.10 application/json\n'
	printf '1795132010.000    310 10.9.9.8 TCP_MISS/200 220 POST http://paste.example.net/upload?name=secret.docx jdoe HIER_DIRECT/203.0.113.11 text/html\n'
} >"$C/evidence/proxy/access.log"
echo '<134>Nov 19 23:46:00 dlp-enforce01 CEF:0|Symantec|DLP|16.0|Confidential|Confidential document|High|act=Passed suser=CORP\\jdoe shost=WS-0188 src=10.9.9.8 fname=secret.docx filePath=C:\\Users\\jdoe\\secret.docx fsize=120331 cs1Label=Policy cs1=Confidential cs4Label=Incident ID cs4=90500 cs5Label=Blocked cs5=No rt=1795131960000' >"$C/evidence/dlp/dlp.log"
"$TL" ingest --no-progress "$C" >/dev/null 2>&1

expect_exit 0 "text" -- "$TL" chain --entity ip:10.9.9.9 "$C"
contains "$WORK/out" 'mal\|lory GET http://evil.example/a\\x1b\[31m\|b`c\*d from 10.9.9.9' "an escape sequence in a URL reaches the terminal as \\x1b"
if grep -q $'\033' "$WORK/out"; then fail "no raw ESC byte on the terminal"; else ok "no raw ESC byte on the terminal"; fi
expect_exit 0 "md" -- "$TL" chain --entity ip:10.9.9.9 --output md "$C"
contains "$WORK/out" '^\| 2 \| 2026-11-19 23:44:00.118 \| mal\\\|lory GET http://evil.example/a\\\\x1b\\\[31m\\\|b\\`c\\\*d from' "table cells: | \` * [ escaped for Markdown"
[ "$(grep -c '^| 2 |' "$WORK/out")" = 1 ] && [ "$(grep '^| 2 |' "$WORK/out" | sed 's/\\|//g' | tr -cd '|' | wc -c)" = 6 ] &&
	ok "the row keeps its five cells" || fail "the row keeps its five cells"
expect_exit 0 "jsonl" -- "$TL" chain --entity ip:10.9.9.9 --output jsonl "$C"
contains "$WORK/out" '"summary":"mal\|lory GET http://evil.example/a\\u001b\[31m\|b`c\*d from 10.9.9.9, status 200"' "JSON escapes the control byte"

expect_exit 0 "a DLP finding and the POSTs after it" -- "$TL" chain --entity file:secret.docx "$C"
contains "$WORK/out" "^Chain 1: 2 steps, " "the finding and one POST"
contains "$WORK/out" "jdoe POST http://paste.example.net/upload\?name=secret.docx from 10.9.9.8" "the POST naming the file is an upload"
contains "$WORK/out" "because same address 10.9.9.8 as step 1, 50s later; the URL names secret.docx \[uploaded\]" "and says why"
if grep -q telemetry "$WORK/out"; then fail "a POST that does not name the file is not an upload"; else
	ok "a POST that does not name the file is not an upload"; fi
finish
