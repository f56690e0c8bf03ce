#!/usr/bin/env bash
# Detection proves itself on records (docs/detection.md): a giant first line
# does not blind it, garbage between good records does not stop them, a Zeek
# log's #path decides, two formats that fit equally claim nothing (naming
# both), one that parses too little of the sample claims nothing; tl detect and
# tl sources --why show every candidate.
. "$(dirname "$0")/lib.sh"
SQUID='1795129262.412    118 10.20.1.15 TCP_MISS/200 18422 GET http://intranet.example.com/ mchen HIER_DIRECT/10.20.0.30 text/html'
q() { "$TL" sql "$1" "$2" | tail -n +2; }

# -- a 50 MB first line, then ordinary Squid lines: every good record is kept
C=$(new_case giant)
{ head -c 52428800 /dev/zero | tr '\0' 'x'; printf '\n'; for i in 1 2 3 4 5; do printf '%s\n' "$SQUID"; done; } >"$C/evidence/access.log"
expect_exit 0 "tl detect names squid-native behind a 50 MB first line" -- "$TL" detect "$C/evidence/access.log"
contains "$WORK/out" "access.log: squid-native \(proxy, confidence 90\)" "tl detect says which and how sure"
contains "$WORK/out" "squid-native +proxy +90 +5 +5 +0 +0 +1 +100.0 .* chosen" "the giant record is skipped in the sample, not counted"
expect_exit 3 "ingest keeps the file: one reject for the giant line" -- "$TL" ingest --no-progress "$C"
[ "$(q "$C" "SELECT format||' '||events||'/'||rejects FROM evidence_files")" = "squid-native 5/1" ] &&
	ok "every good record after the 50 MB line is an event" || fail "50 MB first line: $(q "$C" "SELECT format, events, rejects, error FROM evidence_files")"
contains <(q "$C" "SELECT detection FROM evidence_files") '"window":\{"bytes":[0-9]+,"skipped_lines":1\}' "the stored decision says one line was left out of the window"

# -- garbage between good records: the good ones decide and are ingested
C=$(new_case mixed)
{
	printf '%s\n' "$SQUID" 'garbage: <<<not a log line>>>' "$SQUID" '{"json":"in the wrong file"}'
	printf '\x01\x02\x03 binary noise\n'
	printf '%s\n' "$SQUID" "$SQUID" '1795129262.412 truncated squid line'
} >"$C/evidence/access.log"
expect_exit 3 "a mixed file is ingested, its garbage rejected" -- "$TL" ingest --no-progress "$C"
[ "$(q "$C" "SELECT format||' '||events||'/'||rejects FROM evidence_files")" = "squid-native 4/4" ] &&
	ok "4 good records are events, 4 bad ones rejects" || fail "mixed: $(q "$C" "SELECT format, events, rejects, error FROM evidence_files")"
[ "$(q "$C" "SELECT count(*) FROM rejects WHERE reason LIKE '%squid-native%'")" = 4 ] &&
	ok "each reject has its reason" || fail "mixed rejects: $(q "$C" "SELECT line, reason FROM rejects")"

# -- Zeek: #path decides; the generic reader takes only logs without a definition
C=$(new_case zeek)
cp "$SRC/fixtures/dns/zeek-dns/basic.log" "$C/evidence/dns.log"
sed 's/^#path\tdce_rpc$/#path\trdp/' "$SRC/fixtures/flow/zeek-tsv/dce_rpc.log" >"$C/evidence/rdp.log"
grep -v '^#path' "$SRC/fixtures/flow/zeek-tsv/dce_rpc.log" >"$C/evidence/nopath.log"
expect_exit 4 "tl detect on Zeek logs (one without #path is unsupported)" -- "$TL" detect "$C/evidence/dns.log" "$C/evidence/rdp.log" "$C/evidence/nopath.log"
contains "$WORK/out" "dns.log: zeek-dns \(dns," "a dns.log is zeek-dns"
contains "$WORK/out" "zeek-tsv .* excluded +#path 'dns' has its own definition \(zeek-dns\)" "the generic reader steps aside for a path with a definition"
contains "$WORK/out" "rdp.log: zeek-tsv \(flow," "a log without a definition is read generically"
contains "$WORK/out" "nopath.log: unsupported: no known format recognised" "without #path the generic reader does not claim"
expect_exit 4 "ingest the Zeek logs" -- "$TL" ingest --no-progress "$C"
[ "$(q "$C" "SELECT group_concat(coalesce(format,'-')||':'||events, ' ') FROM (SELECT * FROM evidence_files ORDER BY path)")" = "zeek-dns:9 -:0 zeek-tsv:3" ] &&
	ok "dns.log is read as DNS, never as conn" || fail "zeek: $(q "$C" "SELECT path, format, events FROM evidence_files")"
expect_exit 0 "tl sources --why" -- "$TL" sources --why "$C"
contains "$WORK/out" "^ +zeek-dns +dns +95 +9 +9 +0 +0 +0 +100.0 .* chosen" "sources --why shows the stored candidates"
expect_exit 2 "sources --why wants a case" -- "$TL" sources --why
# concatenated logs of two kinds: the second header block's #path is honoured
C=$(new_case zeekcat)
cat "$SRC/fixtures/flow/zeek-conn/basic.log" "$SRC/fixtures/dns/zeek-dns/basic.log" >"$C/evidence/all.log"
expect_exit 3 "conn.log + dns.log in one file: the dns records are rejected, not read as flows" -- "$TL" ingest --no-progress "$C"
[ "$(q "$C" "SELECT format||' '||events||'/'||rejects FROM evidence_files")" = "zeek-conn 14/9" ] &&
	ok "14 conn events, 9 dns rejects" || fail "zeekcat: $(q "$C" "SELECT format, events, rejects FROM evidence_files")"
[ "$(q "$C" "SELECT DISTINCT reason FROM rejects")" = "record of a Zeek 'dns' log; zeek-conn reads 'conn' logs" ] &&
	ok "the rejects say why" || fail "zeekcat reasons: $(q "$C" "SELECT DISTINCT reason FROM rejects")"

# -- two user formats that fit equally: neither claims, both are named
C=$(new_case tie)
for n in acme-a acme-b; do
	cat >"$C/formats/$n.json" <<DEF
{ "name": "$n", "family": "audit", "version": "1.0.0",
  "parse": { "type": "regex", "patterns": ["^ACME (?<time>\\\\d{10}) user=(?<user>\\\\S+) op=(?<op>\\\\S+)\$"] },
  "timestamp": { "field": "time", "formats": ["epoch"] },
  "fields": { "user": "user", "action": "op" },
  "sniff": [ { "regex": "^ACME \\\\d{10} ", "score": 80 } ],
  "samples": [ "ACME 1795129262 user=mchen op=read" ] }
DEF
done
printf 'ACME 1795129262 user=mchen op=read\nACME 1795129263 user=mchen op=export\n' >"$C/evidence/acme.log"
expect_exit 4 "tl detect: a tie is unsupported" -- "$TL" detect --case "$C" "$C/evidence/acme.log"
contains "$WORK/out" "unsupported: formats fit equally well: 'acme-a' and 'acme-b' \(each: sniff 80, 100.0% of 2 sampled records parse\); neither claims the file" "both are named"
contains "$WORK/out" "acme-a .* tie " "each tied candidate says so"
expect_exit 4 "ingest: a tie is unsupported" -- "$TL" ingest --no-progress "$C"
contains "$WORK/err" "acme.log': not ingested: formats fit equally well: 'acme-a' and 'acme-b'" "ingest names both"
expect_exit 0 "--format still decides" -- "$TL" ingest --no-progress --format acme-b "$C"
expect_exit 0 "tl sources --why on a forced file" -- "$TL" sources --why "$C"
contains "$WORK/out" "format forced by --format" "a forced format says so"

# -- a candidate that parses too little of the sample cannot claim
C=$(new_case thin)
cat >"$C/formats/acme-strict.json" <<'DEF'
{ "name": "acme-strict", "family": "audit", "version": "1.0.0",
  "parse": { "type": "regex", "patterns": ["^ACME (?<time>\\d{10}) user=(?<user>\\S+) op=(?<op>read|write)$"] },
  "timestamp": { "field": "time", "formats": ["epoch"] },
  "fields": { "user": "user", "action": "op" },
  "sniff": [ { "regex": "^ACME \\d{10} ", "score": 80 } ],
  "samples": [ "ACME 1795129262 user=mchen op=read" ] }
DEF
printf 'ACME 1795129262 user=mchen op=read\nACME 1795129263 user=mchen op=export\nACME 1795129264 user=root op=delete\nACME 1795129265 user=root op=chmod\n' >"$C/evidence/acme.log"
expect_exit 4 "tl detect: under the threshold is unsupported" -- "$TL" detect --case "$C" "$C/evidence/acme.log"
contains "$WORK/out" "unsupported: no known format recognised; best candidates: acme-strict \(sniff 80, 25.0% of 4 sampled records parse\)" "the reason names the candidate and its parse rate"
contains "$WORK/out" "below-threshold +25.0% of 4 sampled records parse, under the 50% a claim needs" "the verdict says why"
printf 'ACME 1795129266 user=mchen op=write\nACME 1795129267 user=mchen op=read\nACME 1795129268 user=mchen op=read\n' >>"$C/evidence/acme.log"
expect_exit 0 "at 4 of 7 it may claim" -- "$TL" detect --brief --case "$C" "$C/evidence/acme.log"
contains "$WORK/out" "^acme-strict	" "claimed over the threshold"

# -- command line
expect_exit 2 "tl detect without a file is a usage error" -- "$TL" detect
expect_exit 1 "a missing file is an error" -- "$TL" detect "$WORK/nope.log"
contains "$WORK/err" "nope.log" "the error names the file"
expect_exit 0 "tl detect --json" -- "$TL" detect --json "$SRC/fixtures/proxy/squid-native/basic.log"
contains "$WORK/out" '^\{"file":".*basic.log","detection":\{"v":1,.*"candidates":\[\{"format":"squid-native","family":"proxy","sniff":90,' "--json is the stored decision"
finish
