-- A version-14 case made back into version 11 (tests t1630, t1670, t1401): the
-- bindings table with its evidence as the view shows it, events_line, no
-- event_runs (v12), no stable-id counters or attribution_conflicts (v13), and
-- copy_files naming only the files keyed, whole (v14: copy_ranges).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TEMP TABLE keep_bindings AS SELECT * FROM bindings;
DROP VIEW bindings;
DROP TABLE binding_rows;
DROP TABLE binding_paths;
DELETE FROM copy_files WHERE file_id NOT IN (SELECT file_id FROM copy_ranges);
DROP TRIGGER copy_ranges_file_cleared;
DROP TABLE copy_ranges;
DROP TABLE event_runs;
CREATE TABLE bindings (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,          -- ip-user, ip-host, host-user
  subject TEXT NOT NULL,       -- the address or host, canonical
  value TEXT NOT NULL,         -- the user or host it is bound to, canonical
  start_ts INTEGER,            -- UTC microseconds; NULL: before the evidence (inventory)
  end_ts INTEGER,              -- UTC microseconds, exclusive; NULL: open-ended
  end_rule TEXT NOT NULL,      -- session-end lease-end next-assignment server-restart logoff window open-ended
  source TEXT NOT NULL,        -- vpn dhcp logon sso proxy-auth edr inventory
  start_event_id INTEGER,      -- events.id of the evidence that began it
  end_event_id INTEGER,        -- events.id of the evidence that ended it
  events INTEGER NOT NULL,     -- events that support it (a window merges many)
  evidence TEXT NOT NULL       -- JSON array of {path, line}: the first 16 of them
);
CREATE INDEX bindings_subject ON bindings(kind, subject, start_ts);
CREATE INDEX bindings_open ON bindings(kind, subject) WHERE end_ts IS NULL;
INSERT INTO bindings SELECT * FROM temp.keep_bindings;
CREATE INDEX events_line ON event_rows(file_id, line, offset);
DROP TABLE attribution_conflicts;
ALTER TABLE correlation_state DROP COLUMN next_binding;
ALTER TABLE correlation_state DROP COLUMN next_conflict;
PRAGMA user_version = 11;
COMMIT;
