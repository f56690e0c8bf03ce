#!/usr/bin/env bash
# URL entities are not kept in the entities table (docs/correlation.md#entities):
# the refresh counts the domain or address a URL names, and tl entities --type
# url, the url part of the full listing and tl timeline --entity url:... read
# the events. Same canonical forms, counts and spellings as when they were kept.
. "$(dirname "$0")/lib.sh"
C=$(new_case url)
mkdir -p "$C/evidence/app"
cat >"$C/formats/acme-web.json" <<'DEF'
{
  "name": "acme-web", "family": "proxy", "version": "1",
  "parse": { "type": "json" },
  "timestamp": { "field": "time", "formats": ["iso8601"] },
  "fields": { "action": "event", "user": "user", "src_ip": "src", "domain": "domain", "url": "url" },
  "sniff": [ { "regex": "^\\{\"time\"", "score": 90 } ],
  "samples": [ "{\"time\":\"2026-11-19T23:00:00Z\",\"event\":\"get\",\"url\":\"http://a.example/\"}" ]
}
DEF
cat >"$C/evidence/app/web.jsonl" <<'EOF2'
{"time":"2026-11-19T23:00:00Z","event":"get","user":"mchen","src":"10.0.0.5","url":"https://A.B.Transfer.SH/up/q4.zip"}
{"time":"2026-11-19T23:00:01Z","event":"get","user":"mchen","src":"10.0.0.5","url":"https://a.b.transfer.sh/up/q4.zip"}
{"time":"2026-11-19T23:00:02Z","event":"get","user":"mchen","src":"10.0.0.5","url":"https://a.b.transfer.sh/up/q4.zip?session=1"}
{"time":"2026-11-19T23:00:03Z","event":"get","user":"jdoe","src":"10.0.0.6","url":"https://a.b.transfer.sh/up/q4.zip?session=2"}
{"time":"2026-11-19T23:00:04Z","event":"connect","user":"jdoe","src":"10.0.0.6","url":"files.example.org:443"}
{"time":"2026-11-19T23:00:05Z","event":"get","user":"jdoe","src":"10.0.0.6","url":"http://203.0.113.9:8080/x"}
{"time":"2026-11-19T23:00:06Z","event":"get","user":"jdoe","src":"10.0.0.6","url":"error:transaction-end-before-headers"}
{"time":"2026-11-19T23:00:07Z","event":"get","user":"jdoe","src":"10.0.0.6","url":"-","domain":"a.b.transfer.sh"}
EOF2
expect_exit 0 "ingest" -- "$TL" ingest --no-progress "$C"

"$TL" sql "$C" "SELECT count(*) FROM entities WHERE type = 'url'" >"$WORK/n"
contains "$WORK/n" "^0$" "no url rows in the entities table"

expect_exit 0 "tl entities --type url" -- "$TL" entities --type url "$C"
cp "$WORK/out" "$WORK/urls"
[ "$(grep -c . "$WORK/urls")" -eq 6 ] && ok "the header and 5 URLs" || fail "listed: $(cat "$WORK/urls")"
contains "$WORK/urls" "^url	https://a.b.transfer.sh/up/q4.zip	transfer.sh	2026-11-19T23:00:00.000000Z	2026-11-19T23:00:01.000000Z	2	https://A.B.Transfer.SH/up/q4.zip \(1\)$" \
	"one URL for two spellings of its host: registrable domain, span, count and the other spelling"
contains "$WORK/urls" "^url	https://a.b.transfer.sh/up/q4.zip\?session=1	transfer.sh	2026-11-19T23:00:02.000000Z	2026-11-19T23:00:02.000000Z	1	-$" \
	"a query string makes another URL"
contains "$WORK/urls" "^url	files.example.org:443	example.org	" "a CONNECT authority is a URL"
contains "$WORK/urls" "^url	http://203.0.113.9:8080/x	-	" "a URL on an address has no registrable domain"
! grep -q "error:\|	-	-	-" "$WORK/urls" && ok "a squid error tag and a placeholder are no URLs" || fail "a non-URL listed: $(cat "$WORK/urls")"
"$TL" entities --type url "$C" >"$WORK/again"
same "$WORK/urls" "$WORK/again" "the listing is the same on every run"

# the full listing: urls in their place in (type, value) order
expect_exit 0 "tl entities" -- "$TL" entities "$C"
awk -F'\t' 'NR > 1 { print $1 }' "$WORK/out" | uniq >"$WORK/types"
[ "$(tr '\n' ' ' <"$WORK/types")" = "domain ip url user " ] && ok "types in order: domain ip url user" ||
	fail "types: $(tr '\n' ' ' <"$WORK/types")"
grep "^url	" "$WORK/out" >"$WORK/in-all"
grep "^url	" "$WORK/urls" >"$WORK/alone"
same "$WORK/alone" "$WORK/in-all" "the full listing's URLs are those of --type url"
# the domain a URL names is still counted, once per event
contains "$WORK/out" "^domain	a.b.transfer.sh	transfer.sh	2026-11-19T23:00:00.000000Z	2026-11-19T23:00:07.000000Z	5	A.B.Transfer.SH \(1\)$" \
	"the URL's host is a domain entity (4 URLs and a domain field: 5 events)"
contains "$WORK/out" "^domain	files.example.org	example.org	" "a CONNECT authority's host is a domain"
contains "$WORK/out" "^ip	203.0.113.9	" "a URL's address is an ip"
expect_exit 0 "--grep on a URL" -- "$TL" entities --grep 'session=2' --type url "$C"
[ "$(grep -c "^url" "$WORK/out")" -eq 1 ] && contains "$WORK/out" "q4.zip\?session=2	" "--grep selects URLs too" ||
	fail "--grep: $(cat "$WORK/out")"
expect_exit 0 "--output jsonl --type url" -- "$TL" entities --type url --output jsonl "$C"
contains "$WORK/out" '^\{"type":"url","value":"https://a.b.transfer.sh/up/q4.zip","registrable":"transfer.sh","first_seen":"2026-11-19T23:00:00.000000Z","last_seen":"2026-11-19T23:00:01.000000Z","events":2,"aliases":\[\{"alias":"https://A.B.Transfer.SH/up/q4.zip","source":"seen","events":1\}\]\}$' \
	"jsonl: the same object as any entity"

# the pivot: every spelling, from the events
expect_exit 0 "timeline --entity url:" -- "$TL" timeline --entity url:https://a.b.transfer.sh/up/q4.zip "$C"
[ "$(grep -c "web.jsonl:" "$WORK/out")" -eq 2 ] && grep -q "web.jsonl:1 " "$WORK/out" && grep -q "web.jsonl:2 " "$WORK/out" &&
	ok "url: pivot finds both spellings of the host, not the query-string URLs" || fail "the pivot selected: $(cat "$WORK/out")"
expect_exit 0 "timeline --exact --entity url:" -- "$TL" timeline --exact --entity url:https://a.b.transfer.sh/up/q4.zip "$C"
[ "$(grep -c "web.jsonl:" "$WORK/out")" -eq 1 ] && ok "--exact: the spelling given only" || fail "--exact: $(cat "$WORK/out")"

# url rows an older tl kept go at the next refresh
if command -v sqlite3 >/dev/null; then
	sqlite3 "$C/case.db" "INSERT INTO entities (type, value, events) VALUES ('url', 'http://old.example/', 7)"
	expect_exit 0 "ingest again (nothing new)" -- "$TL" ingest --no-progress "$C"
	"$TL" sql "$C" "SELECT count(*) FROM entities WHERE type = 'url'" >"$WORK/n"
	contains "$WORK/n" "^0$" "an older tl's url rows are deleted by the refresh"
	"$TL" entities --type url "$C" >"$WORK/after"
	same "$WORK/urls" "$WORK/after" "... and the listing is unchanged"
else
	echo "# sqlite3 not installed: an older tl's url rows are not tested"
fi
finish
