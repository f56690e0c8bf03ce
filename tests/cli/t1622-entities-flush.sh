#!/usr/bin/env bash
# The entities refresh holds at most a bounded number of distinct values in
# memory; past it the counts so far are added to the store and counting
# starts afresh (src/analysis/entities.c, FLUSH_AT). Counting in many flushes
# must give exactly the entities, aliases, counts and first/last times of one
# flush: TL_ENTITIES_FLUSH_AT=3 makes the demo case flush hundreds of times.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed (TEST_PACKAGES has it)"; exit 77; }
one=$WORK/one
many=$WORK/many
cp -r "$SRC/fixtures/cases/demo" "$one"
rm -rf "$one/case.db"* "$one/out" "$one/expected" "$one/custody.jsonl" "$one/replay.tl"
cp -r "$one" "$many"
# exit 3: the demo case has one reject on purpose
expect_exit 3 "ingest, one flush" -- "$TL" ingest --no-progress "$one"
TL_ENTITIES_FLUSH_AT=3 expect_exit 3 "ingest, a flush every 3 values" -- "$TL" ingest --no-progress "$many"
dump() { # dump CASE FILE
	sqlite3 -readonly "$1/case.db" "SELECT type, value, registrable, events, first_ts, last_ts FROM entities ORDER BY 1, 2" >"$2.ent"
	sqlite3 -readonly "$1/case.db" "SELECT e.type, e.value, a.alias, a.source, a.events FROM entity_aliases a JOIN entities e ON e.id = a.entity_id ORDER BY 1, 2, 3" >"$2.ali"
	"$TL" entities "$1" >"$2.list" 2>/dev/null
}
dump "$one" "$WORK/o"
dump "$many" "$WORK/m"
[ "$(grep -c . "$WORK/o.ent")" -gt 50 ] && ok "the demo case has entities to count" || fail "only $(grep -c . "$WORK/o.ent") entities"
[ -s "$WORK/o.ali" ] && ok "and spellings (aliases)" || fail "no aliases in the demo case"
same "$WORK/o.ent" "$WORK/m.ent" "the same entities, counts and times"
same "$WORK/o.ali" "$WORK/m.ali" "the same spellings and counts"
same "$WORK/o.list" "$WORK/m.list" "tl entities lists the same"
finish
