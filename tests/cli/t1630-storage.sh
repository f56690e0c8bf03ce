#!/usr/bin/env bash
# Events storage (schema v9): the events live in event_rows with their
# per-parser strings in event_parsers and their record hash as 32 bytes; the
# view events shows users exactly the columns, order and values of the
# version-8 table. A version-8 case migrates in place: rebuilt here from a
# v9 case with the version-8 DDL (docs/schema.md before v9), it is migrated by
# the next tl ingest and then gives the same rows, the same timeline and the
# same sessions as before.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (TEST_PACKAGES in ./run)"; exit 1; }

C=$(demo_case v9)
db=$C/case.db
q() { sqlite3 -readonly "$db" "$@"; }

# ---- the stored form --------------------------------------------------------
[ "$(q "SELECT type FROM sqlite_master WHERE name = 'events'")" = view ] && ok "events is a view" ||
	fail "events: $(q "SELECT type FROM sqlite_master WHERE name = 'events'")"
[ "$(q "SELECT count(*) FROM event_rows WHERE typeof(raw_sha256) = 'blob' AND length(raw_sha256) = 32")" = \
	"$(q "SELECT count(*) FROM event_rows")" ] && ok "every record hash is stored as its 32 bytes" ||
	fail "hashes: $(q "SELECT typeof(raw_sha256), length(raw_sha256), count(*) FROM event_rows GROUP BY 1, 2")"
[ "$(q "SELECT count(*) FROM events WHERE raw_sha256 GLOB '[0-9a-f]*' AND length(raw_sha256) = 64")" = \
	"$(q "SELECT count(*) FROM events")" ] && ok "the view shows each hash as 64 lower-case hex digits" ||
	fail "view hashes: $(q "SELECT raw_sha256 FROM events LIMIT 3")"
np=$(q "SELECT count(*) FROM event_parsers")
nf=$(q "SELECT count(DISTINCT format) FROM events")
[ "$np" -ge "$nf" ] && [ "$np" -le $((nf * 3)) ] && ok "one event_parsers row per parser and time rule ($np for $nf formats)" ||
	fail "event_parsers has $np rows for $nf formats"
[ "$(q "SELECT count(*) FROM (SELECT family, format, parser, parser_version, ts_rule FROM events EXCEPT
	SELECT family, format, parser, parser_version, ts_rule FROM event_parsers)")" = 0 ] &&
	ok "every event's parser columns are an event_parsers row" || fail "the view's parser columns disagree with event_parsers"
# the parser's columns are not stored per event
[ "$(q "SELECT count(*) FROM pragma_table_info('event_rows') WHERE name IN ('family', 'format', 'parser', 'parser_version', 'ts_rule')")" = 0 ] &&
	[ "$(q "SELECT count(*) FROM pragma_table_info('event_rows')")" = 55 ] && ok "event_rows: 55 columns, none of the parser's" ||
	fail "event_rows columns: $(q "SELECT group_concat(name) FROM pragma_table_info('event_rows')")"

# the view is flattened: the base table's indexes serve queries on events
plan() { q "EXPLAIN QUERY PLAN $1" | tr '\n' ' '; }
for col in user host src_ip dst_ip domain; do
	p=$(plan "SELECT id, ts, family FROM events WHERE $col = 'x' ORDER BY ts")
	case $p in *"INDEX events_$col ($col=?)"*) ;; *) fail "events.$col does not use events_$col: $p"; continue ;; esac
	case $p in *"TEMP B-TREE"*) fail "events.$col sorts: $p" ;; *) ok "events.$col reads events_$col in time order" ;; esac
done
p=$(plan "SELECT * FROM sessions")
case $p in *"INDEX events_session"*) ok "the sessions view reads events_session" ;; *) fail "sessions plan: $p" ;; esac
# the right side of a LEFT JOIN: looked up by id, never copied whole
p=$(plan "SELECT c.event_id, e.family FROM copies c LEFT JOIN events e ON e.id = c.event_id")
case $p in *MATERIALIZE*|*AUTOMATIC*) fail "a LEFT JOIN of events materializes it: $p" ;;
	*"USING INTEGER PRIMARY KEY"*) ok "a LEFT JOIN of events looks each event up by id" ;; *) fail "LEFT JOIN plan: $p" ;; esac

# ---- the user's view is the version-8 table ----------------------------------
V8_COLS="id ts ts_raw ts_rule ts_skew_us family format class action outcome severity user user_domain host src_ip src_port dst_ip dst_port proto process process_pid process_cmdline parent_process parent_pid file file_name file_hash domain url http_method http_status bytes_in bytes_out rule message extra file_id line offset length raw_sha256 parser parser_version seq indicator event_code session_id process_guid parent_process_guid src_host dst_host target_user target_user_domain src_nat_ip src_nat_port dst_nat_ip dst_nat_port src_mac dst_mac"
[ "$("$TL" sql "$C" "SELECT * FROM events LIMIT 0" | tr '\t' ' ')" = "$V8_COLS" ] &&
	ok "tl sql shows the 59 columns of events by their names, in their order" ||
	fail "columns: $("$TL" sql "$C" "SELECT * FROM events LIMIT 0")"
expect_exit 1 "tl sql still refuses writes to events" -- "$TL" sql "$C" "DELETE FROM events"
expect_exit 1 "and to the base table" -- "$TL" sql "$C" "DELETE FROM event_rows"

# every value with its type, as sqlite3 prints them in JSON
dump() { # dump DB FILE
	sqlite3 -readonly -json "$1" "SELECT * FROM events ORDER BY id" >"$2.rows"
	sqlite3 -readonly -json "$1" "SELECT * FROM sessions ORDER BY start_us, start_event, end_event" >"$2.sessions"
}
dump "$db" "$WORK/v9"
"$TL" timeline --output jsonl "$C" >"$WORK/v9.jsonl"
"$TL" manifest "$C" >/dev/null 2>&1
digest9=$(grep -o '"events_digest": {[^}]*}' "$C/out/manifest.json")

# ---- a version-8 case -------------------------------------------------------
sqlite3 "$db" <"$SRC/tests/cli/storage-v11.sql" || fail "could not rebuild the version-11 case"
sqlite3 "$db" <<'EOF' || fail "could not rebuild the version-8 table"
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TEMP TABLE keep AS SELECT * FROM events;
DROP VIEW events;
DROP TABLE event_rows;
DROP TABLE event_parsers;
-- and what versions 9 and 10 added (copies' scope, correlation state)
DROP TRIGGER copy_scope_file_cleared;
DROP TABLE copy_scope;
DROP TRIGGER correlation_file_cleared;
DROP INDEX bindings_open;
DROP TABLE correlation_files;
DROP TABLE correlation_state;
DROP TABLE correlation_spellings;
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,          -- UTC microseconds since 1970, skew-corrected
  ts_raw TEXT NOT NULL,         -- the timestamp text as written in the evidence
  ts_rule TEXT NOT NULL,        -- how the zone and year were decided
  ts_skew_us INTEGER NOT NULL,  -- clock-skew correction applied
  family TEXT NOT NULL,
  format TEXT NOT NULL,
  class TEXT,
  action TEXT,
  outcome TEXT,
  severity TEXT,
  user TEXT,
  user_domain TEXT,
  host TEXT,
  src_ip TEXT,
  src_port INTEGER,
  dst_ip TEXT,
  dst_port INTEGER,
  proto TEXT,
  process TEXT,
  process_pid INTEGER,
  process_cmdline TEXT,
  parent_process TEXT,
  parent_pid INTEGER,
  file TEXT,
  file_name TEXT,
  file_hash TEXT,
  domain TEXT,
  url TEXT,
  http_method TEXT,
  http_status INTEGER,
  bytes_in INTEGER,
  bytes_out INTEGER,
  rule TEXT,
  message TEXT,
  extra TEXT NOT NULL,          -- JSON object of every other parsed field
  file_id INTEGER NOT NULL REFERENCES evidence_files(id),
  line INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  raw_sha256 TEXT NOT NULL,
  parser TEXT NOT NULL,
  parser_version TEXT NOT NULL
, seq INTEGER, indicator TEXT, event_code TEXT, session_id TEXT, process_guid TEXT, parent_process_guid TEXT, src_host TEXT, dst_host TEXT, target_user TEXT, target_user_domain TEXT, src_nat_ip TEXT, src_nat_port INTEGER, dst_nat_ip TEXT, dst_nat_port INTEGER, src_mac TEXT, dst_mac TEXT);
INSERT INTO events SELECT * FROM temp.keep;
CREATE INDEX events_file ON events(file_id, offset);
CREATE INDEX events_ts ON events(ts);
CREATE INDEX events_user ON events(user, ts) WHERE user IS NOT NULL;
CREATE INDEX events_src_ip ON events(src_ip, ts) WHERE src_ip IS NOT NULL;
CREATE INDEX events_line ON events(file_id, line, offset);
CREATE INDEX events_indicator ON events(indicator) WHERE indicator IS NOT NULL;
CREATE INDEX events_session ON events(action)
  WHERE action IN ('session-start', 'session-end', 'lease', 'release', 'server-restart');
PRAGMA user_version = 8;
COMMIT;
EOF
[ "$(q "SELECT type FROM sqlite_master WHERE name = 'events'")" = table ] && [ "$(q "PRAGMA user_version")" = 8 ] &&
	ok "the case is at version 8, events a table" || fail "the rebuilt case: $(q "PRAGMA user_version")"
dump "$db" "$WORK/v8"
same "$WORK/v9.rows" "$WORK/v8.rows" "the version-8 table holds what the view showed"
# a hand-edited hash that is no lower-case SHA-256 stays what it was
sqlite3 "$db" "UPDATE events SET raw_sha256 = upper(raw_sha256) WHERE id = 1"
edited=$(q "SELECT raw_sha256 FROM events WHERE id = 1")
expect_exit 1 "a read-only command asks for the migration" -- "$TL" sql "$C" "SELECT 1"
contains "$WORK/err" "schema version 8, older than this tl's 14: run tl ingest" "and says how"

expect_exit 0 "tl ingest migrates it" -- "$TL" ingest --no-progress "$C"
contains "$WORK/err" "ingested 0 of 13 files \(13 unchanged" "and reads no evidence again"
[ "$(q "PRAGMA user_version")" = 14 ] && [ "$(q "SELECT type FROM sqlite_master WHERE name = 'events'")" = view ] &&
	ok "the case is at version 14 with the events view" || fail "after migrating: $(q "PRAGMA user_version")"
[ "$(q "SELECT raw_sha256 FROM events WHERE id = 1")" = "$edited" ] && [ "$(q "SELECT typeof(raw_sha256) FROM event_rows WHERE id = 1")" = text ] &&
	ok "the edited hash is kept as text and shown unchanged" || fail "edited hash: $(q "SELECT raw_sha256 FROM events WHERE id = 1")"
# put it back as the text tl would show (the same value, stored as text)
sqlite3 "$db" "UPDATE event_rows SET raw_sha256 = lower(raw_sha256) WHERE id = 1"
dump "$db" "$WORK/migrated"
same "$WORK/v9.rows" "$WORK/migrated.rows" "after the migration, events shows every value, with its type, as before"
same "$WORK/v9.sessions" "$WORK/migrated.sessions" "and the sessions view the same sessions"
n=$(q "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event_rows'")
[ "$n" = 12 ] && ok "all 12 events indexes are on event_rows (events_line gave way to event_runs in v12)" || fail "$n indexes on event_rows"
"$TL" timeline --output jsonl "$C" >"$WORK/migrated.jsonl"
same "$WORK/v9.jsonl" "$WORK/migrated.jsonl" "the timeline is byte-identical"
"$TL" manifest "$C" >/dev/null 2>&1
[ "$(grep -o '"events_digest": {[^}]*}' "$C/out/manifest.json")" = "$digest9" ] &&
	ok "the events digest is unchanged ($digest9)" || fail "digest: $(grep -o '"events_digest": {[^}]*}' "$C/out/manifest.json") vs $digest9"

# ---- filters on the parser's columns ---------------------------------------
"$TL" timeline --output jsonl --format squid-native --family proxy "$C" >"$WORK/sq.jsonl"
grep -c . "$WORK/sq.jsonl" >"$WORK/n1"
q "SELECT count(*) FROM events WHERE format = 'squid-native' AND family = 'proxy'" >"$WORK/n2"
[ "$(cat "$WORK/n1")" -gt 0 ] && same "$WORK/n1" "$WORK/n2" "--format and --family select the parser's events"
"$TL" stats --by family,format --output jsonl "$C" >"$WORK/counts" 2>&1
contains "$WORK/counts" '"family":"proxy","format":"squid-native"' "counts by family and format read the parser's columns"

finish
