#!/usr/bin/env bash
# The entities are counted incrementally at the end of every ingest: only the
# events of files new since the last refresh are read, yet the counts always
# equal those of a case that ingested everything at once - after a second
# file, a re-ingest that adds nothing, a re-parse, a new version of a file and
# changed aliases in tl.json.
. "$(dirname "$0")/lib.sh"
squid() { # squid EPOCH USER HOST: one Squid native line
	printf '%s.000     12 10.20.1.15 TCP_MISS/200 512 GET http://%s/x %s HIER_DIRECT/192.0.2.80 text/html\n' "$1" "$3" "$2"
}
{
	squid 1795129200 JDOE www.example.com
	squid 1795129260 jdoe files.example.net
	squid 1795129320 - www.example.com
} >"$WORK/one.log"
{
	squid 1795129100 ACME\\jdoe a.b.transfer.sh
	squid 1795129900 jdoel a.b.transfer.sh
	squid 1795129950 E10442 upload.transfer.sh
} >"$WORK/two.log"
entities() { "$TL" entities --output jsonl "$1"; }

A=$(new_case inc)
mkdir -p "$A/evidence/proxy"
cp "$WORK/one.log" "$A/evidence/proxy/one.log"
"$TL" ingest --no-progress "$A" >/dev/null 2>&1
entities "$A" >"$WORK/a1"
contains "$WORK/a1" '"type":"user","value":"jdoe",.*"first_seen":"2026-11-19T23:00:00.000000Z","last_seen":"2026-11-19T23:01:00.000000Z","events":2,' \
	"first ingest: jdoe in 2 events"

cp "$WORK/two.log" "$A/evidence/proxy/two.log"
"$TL" ingest --no-progress "$A" >/dev/null 2>&1
entities "$A" >"$WORK/a2"
contains "$WORK/a2" '"type":"user","value":"jdoe",.*"first_seen":"2026-11-19T22:58:20.000000Z","last_seen":"2026-11-19T23:01:00.000000Z","events":3,.*"ACME\\\\jdoe","source":"seen","events":1' \
	"second file: jdoe's count, first seen and aliases grow"
contains "$WORK/a2" '"type":"domain","value":"a.b.transfer.sh","registrable":"transfer.sh",.*"events":2,' \
	"second file: a.b.transfer.sh counted"
contains "$WORK/a2" '"type":"domain","value":"www.example.com","registrable":"example.com",.*"events":2,' \
	"the first file's counts are kept, not counted again"

B=$(new_case all)
mkdir -p "$B/evidence/proxy"
cp "$WORK/one.log" "$WORK/two.log" "$B/evidence/proxy/"
"$TL" ingest --no-progress "$B" >/dev/null 2>&1
entities "$B" >"$WORK/b"
same "$WORK/b" "$WORK/a2" "two ingests count what one ingest of both files counts"

expect_exit 0 "a re-ingest that adds nothing" -- "$TL" ingest --no-progress "$A"
entities "$A" >"$WORK/a3"
same "$WORK/a2" "$WORK/a3" "... changes nothing"
"$TL" sql "$A" "SELECT count(*), sum(stale) FROM entity_files" >"$WORK/files"
contains "$WORK/files" "^2	0$" "each evidence file counted once, none stale"

expect_exit 0 "--reparse" -- "$TL" ingest --no-progress --reparse "$A"
entities "$A" >"$WORK/a4"
same "$WORK/b" "$WORK/a4" "a re-parsed file is counted again, not twice"

# a new version of a file replaces its events: its old counts go with them
squid 1795130000 jdoel a.b.transfer.sh >>"$WORK/two.log"
cp "$WORK/two.log" "$A/evidence/proxy/two.log"
cp "$WORK/two.log" "$B/evidence/proxy/two.log"
"$TL" ingest --no-progress --new-version "$A" >/dev/null 2>&1
"$TL" ingest --no-progress --new-version "$B" >/dev/null 2>&1
C=$(new_case fresh)
mkdir -p "$C/evidence/proxy"
cp "$WORK/one.log" "$WORK/two.log" "$C/evidence/proxy/"
"$TL" ingest --no-progress "$C" >/dev/null 2>&1
entities "$C" >"$WORK/c"
entities "$A" >"$WORK/a5"
same "$WORK/c" "$WORK/a5" "after --new-version the counts are those of the new version"
contains "$WORK/a5" '"type":"user","value":"jdoel",.*"events":2,' "... jdoel now in 2 events"

# aliases configured after the events were counted apply at the next ingest
contains "$WORK/a5" '"type":"user","value":"e10442",' "E10442 is its own user before it is configured"
for d in "$A" "$C"; do
	sed -i 's|^  "aliases": {$|&\n    "jdoe": ["E10442"]|' "$d/tl.json"
done
expect_exit 0 "ingest after tl.json changed" -- "$TL" ingest --no-progress "$A"
entities "$A" >"$WORK/a6"
! grep -q '"value":"e10442"' "$WORK/a6" && ok "E10442 is no user of its own any more" || fail "E10442 still a user"
contains "$WORK/a6" '"type":"user","value":"jdoe",.*"events":4,.*\{"alias":"E10442","source":"config","events":1\}' \
	"E10442's event counts for jdoe, the alias marked config"
rm -f "$C/case.db"*
"$TL" ingest --no-progress "$C" >/dev/null 2>&1
entities "$C" >"$WORK/c2"
same "$WORK/c2" "$WORK/a6" "the same as a case ingested with that config from the start"
"$TL" timeline --entity user:e10442 "$A" >"$WORK/t1"
"$TL" timeline --entity user:JDOE "$A" >"$WORK/t2"
same "$WORK/t1" "$WORK/t2" "user:e10442 and user:JDOE select the same events"
# 4 name jdoe; proxy/one.log:3 is attributed to him by his proxy authentication
[ "$(grep -c "proxy/" "$WORK/t1")" -eq 5 ] && ok "... the 4 events of jdoe and 1 attributed" || fail "pivot selected: $(cat "$WORK/t1")"

# an older case (schema 5) gets its entities at the next ingest
D=$(new_case old)
mkdir -p "$D/evidence/proxy"
cp "$WORK/one.log" "$WORK/two.log" "$D/evidence/proxy/"
"$TL" ingest --no-progress "$D" >/dev/null 2>&1
if command -v sqlite3 >/dev/null; then
	# events back to a table (schema 9 made it a view over event_rows)
	sqlite3 "$D/case.db" "CREATE TEMP TABLE keep AS SELECT * FROM events; DROP VIEW events; DROP TABLE event_rows; DROP TABLE event_parsers; CREATE TABLE events AS SELECT * FROM temp.keep"
	sqlite3 "$D/case.db" "DROP TABLE entity_aliases; DROP TABLE entities; DROP TABLE entity_files; DROP TABLE entity_config; DROP TRIGGER copies_file_cleared; DROP TABLE copies; DROP TABLE copy_keys; DROP TABLE copy_files; DROP TABLE copy_dirty; DROP TRIGGER copy_scope_file_cleared; DROP TABLE copy_scope; DROP TRIGGER correlation_file_cleared; DROP INDEX bindings_open; DROP TABLE correlation_files; DROP TABLE correlation_state; DROP TABLE correlation_spellings; DROP TABLE attribution_conflicts; PRAGMA user_version=6"
	expect_exit 0 "an ingest migrates a version 6 case (before entities)" -- "$TL" ingest --no-progress "$D"
	entities "$D" >"$WORK/d"
	same "$WORK/c" "$WORK/d" "... and counts every event already in it"
fi
finish
