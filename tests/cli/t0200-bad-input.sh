#!/usr/bin/env bash
# Hostile and broken evidence: ingest goes on, every record is accounted for,
# each problem is named, nothing crashes (the suite runs under ASan/UBSan).
. "$(dirname "$0")/lib.sh"
C=$(new_case bad)
E="$C/evidence"
SQUID='1795129262.412    118 10.20.1.15 TCP_MISS/200 18422 GET http://intranet.example.com/ mchen HIER_DIRECT/10.20.0.30 text/html'

: >"$E/empty.log"
printf '%s\n' "$SQUID" "$SQUID" "$SQUID" | gzip -n >"$WORK/full.gz"
head -c 40 "$WORK/full.gz" >"$E/truncated.log.gz"
tail -c +11 "$WORK/full.gz" | head -c 30 >"$E/garbage.bin"
printf '%s\r\n%s\r\n' "$SQUID" "$SQUID" >"$E/crlf.log"
{ printf '%s\n' "$SQUID"; printf '1795129263.000 5 10.20.1.15 TCP_MISS/200 1 GET http://x.example.com/\xff\xfe\xc0\xaf - HIER_NONE/- -\n'; } >"$E/badutf8.log"
{ printf '%s\n' "$SQUID"; printf '1795129264.000 5 10.20.1.15 TCP_MISS/200 1 GET http://nul.example.com/a\0b - HIER_NONE/- -\n'; } >"$E/nul.log"
printf '{"ts":1795129262.5,"uid":"CabcdEFGH1234567","id.orig_h":"10.20.1.15","id.orig_p":5000,"id.resp_h":"192.0.2.1","id.resp_p":443,"proto":"tcp","conn_state":"SF"}\r\n' |
	iconv -f UTF-8 -t UTF-16LE | { printf '\xff\xfe'; cat; } >"$E/utf16.log"
{ printf '%s\n' "$SQUID"; head -c 52428800 /dev/zero | tr '\0' 'a'; printf '\n%s\n' "$SQUID"; } >"$E/longline.log"
ln -s /etc/hostname "$E/outside-link"

expect_exit 4 "ingest of hostile evidence finishes, saying some files were not ingested" -- \
	"$TL" ingest --no-progress "$C"
contains "$WORK/err" "truncated.log.gz.*(truncated|corrupt)" "truncated gzip is named"
contains "$WORK/err" "garbage.bin.*not ingested: binary data" "binary garbage is named"
contains "$WORK/err" "empty.log.*empty file" "empty file is named"
contains "$WORK/err" "outside-link.*links outside the case" "symlink leaving the case is not followed"
"$TL" sources "$C" >"$WORK/src"
contains "$WORK/src" "records = events \+ rejects \+ merged: yes" "counts add up"
q() { "$TL" sql "$C" "$1" | tail -n +2; }
[ "$(q "SELECT events FROM evidence_files WHERE path='evidence/crlf.log'")" = 2 ] && ok "CRLF lines parse" || fail "CRLF"
[ "$(q "SELECT events||'/'||rejects FROM evidence_files WHERE path='evidence/badutf8.log'")" = 2/0 ] && ok "invalid UTF-8 is kept, not rejected" || fail "invalid UTF-8"
[ "$(q "SELECT events FROM evidence_files WHERE path='evidence/nul.log'")" = 2 ] && ok "NUL bytes do not cut records" || fail "NUL"
[ "$(q "SELECT format||':'||events FROM evidence_files WHERE path='evidence/utf16.log'")" = zeek-conn-json:1 ] && ok "UTF-16LE with BOM is detected and parsed" || fail "UTF-16LE: $(q "SELECT format||':'||events||':'||rejects FROM evidence_files WHERE path='evidence/utf16.log'")"
[ "$(q "SELECT events||'/'||rejects FROM evidence_files WHERE path='evidence/longline.log'")" = 2/1 ] && ok "a 50 MB line is one reject, the rest goes on" || fail "50 MB line"
[ "$(q "SELECT line FROM rejects r JOIN evidence_files f ON f.id=r.file_id WHERE f.path='evidence/longline.log'")" = 2 ] && ok "the reject names its line" || fail "reject line"
"$TL" timeline --output jsonl "$C" >"$WORK/tl.jsonl"
contains "$WORK/tl.jsonl" 'http://x.example.com/\\udcff\\udcfe\\udcc0\\udcaf' "invalid UTF-8 is escaped losslessly in JSONL (surrogateescape)"
contains "$WORK/tl.jsonl" 'http://nul.example.com/a\\u0000b' "NUL is escaped in JSONL"
"$TL" timeline "$C" >"$WORK/tl.txt"
if grep -q $'\x1b' "$WORK/tl.txt"; then fail "terminal escape reached text output"; else ok "no raw control bytes in text output"; fi
# spreadsheet formula injection: a URL cell that starts with '=' is neutralized unless --csv-raw
F=$(new_case formula)
printf '%s\n' '1795129262.412    118 10.20.1.15 TCP_MISS/200 18422 GET =HYPERLINK("http://evil.example/") - HIER_DIRECT/10.20.0.30 text/html' >"$F/evidence/a.log"
"$TL" ingest --no-progress "$F" 2>/dev/null
"$TL" timeline --output csv "$F" >"$WORK/f.csv"
contains "$WORK/f.csv" ",\"'=HYPERLINK\(\"\"http://evil.example/\"\"\)\"," "CSV neutralizes a formula-like cell"
"$TL" timeline --output csv --csv-raw "$F" >"$WORK/f.csv"
contains "$WORK/f.csv" ",\"=HYPERLINK\(" "--csv-raw leaves it as it was"

expect_exit 4 "tl's own files are not evidence" -- "$TL" ingest --no-progress "$C" "$C/tl.json"
contains "$WORK/err" "is not under the case's evidence/ folder" "ingest says why"
expect_exit 4 "paths outside the case are refused" -- "$TL" ingest --no-progress "$C" /etc/hostname
contains "$WORK/err" "outside the case folder" "ingest names the path"
"$TL" sql "$C" "PRAGMA user_version" >"$WORK/v"
contains "$WORK/v" "^14$" "sql may read a pragma (the schema version)"
expect_exit 1 "sql may not set one" -- "$TL" sql "$C" "PRAGMA user_version=7"
finish
