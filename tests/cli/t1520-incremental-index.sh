#!/usr/bin/env bash
# Incremental ingest: a small addition to a case keeps the query indexes and
# updates them (it costs in proportion to the new data, not to the case); a
# large one drops them and builds them once at the end. Either way the indexes
# exist, hold every event, are used by the query planner, and the case holds
# the same events as one built the other way.
#
# Proof that an index was kept and not dropped and made again: the schema
# cookie (PRAGMA schema_version), which every DROP and CREATE bumps, is
# unchanged, and so are the indexes' rows in sqlite_master.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (TEST_PACKAGES in ./run)"; exit 1; }
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
"$WORK/gen" squid 20000 1 >"$WORK/big.log"
"$WORK/gen" squid 200 2 >"$WORK/small.log"
"$WORK/gen" zeek-json 12000 3 >"$WORK/large.log"

QUERY_INDEXES="'events_ts','events_user','events_host','events_src_ip','events_dst_ip','events_domain','events_session','events_process_guid','events_parent_guid','events_file_path'"
indexes() { # indexes CASE -> the schema cookie, then "rowid name rootpage sql" of each query index
	sqlite3 -readonly "$1/case.db" "PRAGMA schema_version"
	sqlite3 -readonly "$1/case.db" "SELECT rowid, name, rootpage, replace(sql, char(10), char(32)) FROM sqlite_master WHERE type = 'index' AND name IN ($QUERY_INDEXES) ORDER BY name"
}
digest() {
	"$TL" manifest "$1" >/dev/null 2>&1
	grep -o '"events_digest": {[^}]*}' "$1/out/manifest.json" | grep -o '"events": [0-9]*, "sha256": "[0-9a-f]*"'
}
# every query index holds exactly the rows its WHERE selects, the planner
# takes it, and SQLite finds the file consistent
check_indexes() { # check_indexes CASE WHAT
	local c=$1 what=$2 bad=0 col idx
	[ "$(indexes "$c" | wc -l)" = 11 ] && ok "$what: all 10 query indexes exist" || fail "$what: indexes: $(indexes "$c")"
	for col in user host src_ip dst_ip domain; do
		idx=events_$col
		local a b
		a=$(sqlite3 -readonly "$c/case.db" "SELECT count(*) FROM event_rows INDEXED BY $idx WHERE $col IS NOT NULL")
		b=$(sqlite3 -readonly "$c/case.db" "SELECT count(*) FROM event_rows NOT INDEXED WHERE $col IS NOT NULL")
		[ "$a" = "$b" ] || { bad=1; echo "# $idx: $a rows through the index, $b in the table"; }
		sqlite3 -readonly "$c/case.db" "EXPLAIN QUERY PLAN SELECT id FROM events WHERE $col = 'x'" | grep -Eq "USING (COVERING )?INDEX $idx " ||
			{ bad=1; echo "# the planner does not use $idx"; }
	done
	a=$(sqlite3 -readonly "$c/case.db" "SELECT count(*) FROM event_rows INDEXED BY events_ts WHERE ts > 0")
	[ "$a" = "$(sqlite3 -readonly "$c/case.db" "SELECT count(*) FROM events")" ] || { bad=1; echo "# events_ts misses rows"; }
	sqlite3 -readonly "$c/case.db" "EXPLAIN QUERY PLAN SELECT id FROM events WHERE ts > 5 ORDER BY ts" | grep -q "events_ts" ||
		{ bad=1; echo "# the planner does not use events_ts"; }
	[ "$bad" = 0 ] && ok "$what: each index holds every row it should and the planner uses it" ||
		fail "$what: an index is incomplete or unused"
	[ "$(sqlite3 -readonly "$c/case.db" "PRAGMA integrity_check")" = ok ] && ok "$what: integrity_check ok" ||
		fail "$what: integrity_check: $(sqlite3 -readonly "$c/case.db" "PRAGMA integrity_check" | head -5)"
}

C=$(new_case inc)
cp "$WORK/big.log" "$C/evidence/a-big.log"
expect_exit 0 "first ingest" -- "$TL" ingest --no-progress "$C"
indexes "$C" >"$WORK/idx.0"
check_indexes "$C" "after the first ingest"

# 1 % more: the indexes are kept and updated
cp "$WORK/small.log" "$C/evidence/b-small.log"
expect_exit 0 "ingest of 1 % more" -- "$TL" ingest --no-progress "$C"
indexes "$C" >"$WORK/idx.1"
same "$WORK/idx.0" "$WORK/idx.1" "a small addition keeps every query index (same sqlite_master rows, rowids, root pages)"
check_indexes "$C" "after the small addition"
[ "$(sqlite3 -readonly "$C/case.db" "SELECT count(*) FROM events")" = 20200 ] && ok "the new events are there" ||
	fail "events: $(sqlite3 -readonly "$C/case.db" "SELECT count(*) FROM events")"
# the runs of events (schema v12) stand for events_line
n=$(sqlite3 -readonly "$C/case.db" "SELECT sum(last_id - first_id + 1) FROM event_runs WHERE file_id = (SELECT id FROM evidence_files WHERE path LIKE '%b-small.log')")
[ "$n" = 200 ] && ok "the new file's events are one run of event_runs" || fail "event_runs cover $n of 200"

# an ingest with nothing new keeps them too (it used to rebuild everything)
expect_exit 0 "ingest with nothing new" -- "$TL" ingest --no-progress "$C"
indexes "$C" >"$WORK/idx.2"
same "$WORK/idx.0" "$WORK/idx.2" "an ingest with nothing new keeps every query index"

# more than the case holds: dropped and built once at the end
cp "$WORK/large.log" "$C/evidence/c-large.log"
expect_exit 0 "ingest of more than the case holds" -- "$TL" ingest --no-progress "$C"
indexes "$C" >"$WORK/idx.3"
v0=$(head -1 "$WORK/idx.0") v3=$(head -1 "$WORK/idx.3")
# ten DROP INDEX and ten CREATE INDEX
[ "$v3" = $((v0 + 20)) ] && ok "a large addition drops and rebuilds the 10 query indexes (schema cookie $v0 -> $v3)" ||
	fail "a large addition: schema cookie $v0 -> $v3"
tail -n +2 "$WORK/idx.0" | cut -d'|' -f2,4 >"$WORK/ddl.0"
tail -n +2 "$WORK/idx.3" | cut -d'|' -f2,4 >"$WORK/ddl.3"
same "$WORK/ddl.0" "$WORK/ddl.3" "the rebuilt indexes have the same definitions"
check_indexes "$C" "after the large addition"

# the same evidence the other way round: forced rebuild for the small file,
# forced keep for the large one. Same events, same digest.
D=$(new_case other)
cp "$WORK/big.log" "$D/evidence/a-big.log"
"$TL" ingest --no-progress "$D" >/dev/null 2>&1
cp "$WORK/small.log" "$D/evidence/b-small.log"
expect_exit 0 "--indexes rebuild on a small addition" -- "$TL" ingest --no-progress --indexes rebuild "$D"
indexes "$D" >"$WORK/rowids.d1"
cp "$WORK/large.log" "$D/evidence/c-large.log"
expect_exit 0 "--indexes keep on a large addition" -- "$TL" ingest --no-progress --indexes keep "$D"
indexes "$D" >"$WORK/rowids.d2"
same "$WORK/rowids.d1" "$WORK/rowids.d2" "--indexes keep keeps them whatever the size"
check_indexes "$D" "after a forced keep"
[ "$(digest "$C")" = "$(digest "$D")" ] && ok "kept or rebuilt, the case holds the same events (digest)" ||
	fail "digests differ: $(digest "$C") vs $(digest "$D")"
"$TL" timeline --entity ip:10.4.254.28 "$C" >"$WORK/tl.c" 2>&1
"$TL" timeline --entity ip:10.4.254.28 "$D" >"$WORK/tl.d" 2>&1
same "$WORK/tl.c" "$WORK/tl.d" "an entity timeline is the same either way"
[ -s "$WORK/tl.c" ] && ok "the entity timeline is not empty" || fail "empty entity timeline"
expect_exit 2 "--indexes takes auto, keep or rebuild" -- "$TL" ingest --indexes sometimes "$D"
finish
