#!/usr/bin/env bash
# Runs of events (schema v12) instead of the index events_line: a record's
# place on its evidence line (path:LINE#N in text timelines, tl show
# FILE:LINE#N) comes from event_runs and binary searches on rowid. Checked
# against the definition events_line served (the count of the line's records
# at or before the offset), on a line of many records (CloudTrail), an
# interleaved auditd log and a file added in two ingests; and a version-11
# case migrates in place with the runs its writer would have written.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (TEST_PACKAGES in ./run)"; exit 1; }

C=$(new_case runs)
cp "$SRC/fixtures/audit/aws-cloudtrail/records.json" "$C/evidence/ct.json"
cp "$SRC/fixtures/hids/auditd/interleaved.log" "$C/evidence/audit.log"
cp "$SRC/fixtures/proxy/squid-native/basic.log" "$C/evidence/squid.log"
# exit 3: the auditd log has a record it rejects
expect_exit 3 "ingest" -- "$TL" ingest --no-progress "$C"
db=$C/case.db
q() { sqlite3 -readonly "$db" "$@"; }

cover() { # cover DB -> "events-not-in-exactly-one-run total-of-run-sizes-minus-events"
	sqlite3 -readonly "$1" "SELECT (SELECT count(*) FROM event_rows e WHERE (SELECT count(*) FROM event_runs r
		WHERE e.id BETWEEN r.first_id AND r.last_id AND r.file_id = e.file_id AND e.line BETWEEN r.first_line AND r.last_line
		AND e.offset BETWEEN r.first_offset AND r.last_offset) <> 1) || ' ' ||
		((SELECT coalesce(sum(last_id - first_id + 1), 0) FROM event_runs) - (SELECT count(*) FROM event_rows))"
}
[ "$(cover "$db")" = "0 0" ] && ok "every event lies in exactly one run of its file" || fail "runs: $(cover "$db")"
# within a run, lines and offsets never go back
bad=$(q "SELECT count(*) FROM event_rows a JOIN event_rows b ON b.id = a.id + 1 JOIN event_runs r
	ON a.id BETWEEN r.first_id AND r.last_id AND b.id BETWEEN r.first_id AND r.last_id WHERE b.line < a.line OR b.offset < a.offset")
[ "$bad" = 0 ] && ok "lines and offsets never decrease within a run" || fail "$bad steps back inside runs"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'events_line'")" = 0 ] && ok "no events_line index" ||
	fail "events_line is still there"

# the definition events_line served, for every event: path:LINE[#POS]
q "SELECT f.path || ':' || e.line || CASE WHEN (SELECT count(*) FROM event_rows x WHERE x.file_id = e.file_id
	AND x.line = e.line) > 1 THEN '#' || (SELECT count(*) FROM event_rows x WHERE x.file_id = e.file_id
	AND x.line = e.line AND x.offset <= e.offset) ELSE '' END || '  offset ' || e.offset
	FROM event_rows e JOIN evidence_files f ON f.id = e.file_id ORDER BY e.id" >"$WORK/want"
[ "$(grep -c '#' "$WORK/want")" -gt 5 ] && ok "the case has lines of several records ($(grep -c '#' "$WORK/want"))" ||
	fail "no line holds several records"
# tl show of each event by its place prints that same place and offset
: >"$WORK/got"
while read -r loc rest; do
	"$TL" show "$C" "$loc" 2>&1 | sed -n 's/^evidence *//p' >>"$WORK/got"
done <"$WORK/want"
sed 's/, length [0-9]*$//' "$WORK/got" >"$WORK/got2"
same "$WORK/want" "$WORK/got2" "tl show FILE:LINE#N finds each record and shows its place as events_line did"
# the text timeline shows the same places
"$TL" timeline --wide "$C" | grep -Eo ' [a-z]+\.(log|json):[0-9]+(#[0-9]+)?( |$)' | tr -d ' ' | sort >"$WORK/tl-places"
sed 's/  offset.*//; s/^evidence\///' "$WORK/want" | sort >"$WORK/want-places"
same "$WORK/want-places" "$WORK/tl-places" "the text timeline shows every record's place as events_line did"
expect_exit 2 "a line beyond the file is not found" -- "$TL" show "$C" "evidence/ct.json:99999"
n=$(grep -c "evidence/ct.json:1#" "$WORK/want")
expect_exit 2 "a record number beyond the line's records is not found" -- "$TL" show "$C" "evidence/ct.json:1#$((n + 1))"

# ---- a version-11 case migrates in place ---------------------------------------
"$TL" timeline --output jsonl "$C" >"$WORK/v12.jsonl"
"$TL" timeline "$C" >"$WORK/v12.txt"
q "SELECT * FROM event_runs ORDER BY first_id" >"$WORK/runs12"
sqlite3 -json "$db" "SELECT * FROM events ORDER BY id" >"$WORK/v12.rows"
sqlite3 "$db" <"$SRC/tests/cli/storage-v11.sql" ||
	fail "could not make the version-11 case"
expect_exit 1 "a read-only command asks for the migration" -- "$TL" timeline "$C"
contains "$WORK/err" "schema version 11, older than this tl's 14" "and says why"
expect_exit 0 "tl ingest migrates it" -- "$TL" ingest --no-progress "$C"
[ "$(q "PRAGMA user_version")" = 14 ] && ok "at version 14" || fail "version $(q "PRAGMA user_version")"
q "SELECT * FROM event_runs ORDER BY first_id" >"$WORK/runs11"
same "$WORK/runs12" "$WORK/runs11" "the migration finds the runs the writer wrote"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'events_line'")" = 0 ] && ok "and drops events_line" ||
	fail "events_line survived the migration"
sqlite3 -json "$db" "SELECT * FROM events ORDER BY id" >"$WORK/v11.rows"
same "$WORK/v12.rows" "$WORK/v11.rows" "the events are unchanged"
"$TL" timeline --output jsonl "$C" >"$WORK/v11.jsonl"
"$TL" timeline "$C" >"$WORK/v11.txt"
same "$WORK/v12.jsonl" "$WORK/v11.jsonl" "the JSONL timeline is byte-identical"
same "$WORK/v12.txt" "$WORK/v11.txt" "the text timeline is byte-identical"

# ---- a re-parse takes the file's runs with it ----------------------------------
expect_exit 3 "re-parse" -- "$TL" ingest --no-progress --reparse "$C"
contains "$WORK/err" "5 re-parsed|3 re-parsed" "every file re-parsed"
[ "$(cover "$db")" = "0 0" ] && ok "after a re-parse, every event lies in exactly one run" || fail "runs: $(cover "$db")"
"$TL" timeline "$C" >"$WORK/re.txt"
same "$WORK/v12.txt" "$WORK/re.txt" "and the text timeline is the same"

finish
