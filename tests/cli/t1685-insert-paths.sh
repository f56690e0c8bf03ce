#!/usr/bin/env bash
# The writer stores events TL_STORE_INSERT_ROWS to an INSERT statement, and
# one by one where a run of events is cut short (a reject, a commit, the end
# of a batch or a file). Both ways must give the same rows: same ids, same
# columns (NULLs from one row never leak into the next, integers stay
# integers, hashes stay bytes), same rejects. --commit-every 1 cuts every run
# to one event (only single-row inserts), 7 mixes both, the default takes
# full statements almost everywhere.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
mkdir -p "$WORK/ev"
"$WORK/gen" squid 3000 1 >"$WORK/ev/access.log"
# rejects in the middle of a run of events
printf 'garbled line written while the disk was full\n\001\002 binary junk\n' >>"$WORK/ev/access.log"
"$WORK/gen" squid 500 2 >>"$WORK/ev/access.log"
"$WORK/gen" zeek-tsv 800 3 >"$WORK/ev/conn.log"
"$WORK/gen" iptables 700 4 >"$WORK/ev/fw.log"
"$WORK/gen" cloudtrail-lines 300 5 >"$WORK/ev/cloudtrail-events.jsonl"
# sequence numbers (seq) in some rows only
cp "$SRC"/fixtures/edr/winlogbeat-json/winlogbeat.json "$WORK/ev/"
cp "$SRC"/fixtures/edr/windows-event-xml/*.xml "$WORK/ev/" 2>/dev/null

q() { "$TL" sql "$1" "$2"; }
dump() {
	q "$1" "SELECT * FROM events ORDER BY id"
	q "$1" "SELECT id, typeof(raw_sha256), typeof(src_port), typeof(http_status), typeof(bytes_in), typeof(seq) FROM event_rows ORDER BY id"
	q "$1" "SELECT * FROM rejects ORDER BY id"
	q "$1" "SELECT id, path, format, status, records, events, rejects, first_ts, last_ts FROM evidence_files ORDER BY id"
}
run() { # run NAME COMMIT_EVERY
	local c
	c=$(new_case "$1") && cp "$WORK"/ev/* "$c/evidence/"
	"$TL" ingest --no-progress --threads 1 --commit-every "$2" "$c" >"$WORK/$1.log" 2>&1
	echo $? >"$WORK/$1.rc"
	dump "$c" >"$WORK/$1.dump"
}
run single 1
run mixed 7
run full 100000
[ "$(cat "$WORK/full.rc")" = 3 ] && ok "ingest: done, some records rejected (exit 3)" ||
	{ fail "ingest: exit $(cat "$WORK/full.rc")"; sed 's/^/    /' "$WORK/full.log" | head; }
n=$(q "$WORK/full" "SELECT count(*) FROM events" | tail -1)
[ "$n" -gt 5000 ] && ok "the case has $n events" || fail "only $n events"
s=$(q "$WORK/full" "SELECT count(*) FROM events WHERE seq IS NOT NULL" | tail -1)
[ "$s" -gt 0 ] && ok "$s events carry a sequence number" || fail "no event with seq: the test covers less than it says"
grep -q 'record does not match' "$WORK/full.dump" && ok "the rejects are there" || fail "no rejects in the dump"
grep -q '	blob	' "$WORK/full.dump" && ok "hashes are stored as bytes" || fail "no blob hash"
same "$WORK/single.dump" "$WORK/full.dump" "rows inserted one by one and many to a statement are the same"
same "$WORK/single.dump" "$WORK/mixed.dump" "and so are runs cut every 7 rows"
finish
