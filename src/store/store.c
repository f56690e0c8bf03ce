/*
 * SQLite case database (see include/tl/store.h and docs/schema.md).
 *
 * The events table's columns come from TL_EVENT_FIELDS, so the schema, the
 * insert statement and the event model cannot drift apart.
 */
#define _POSIX_C_SOURCE 200809L
#include "tl/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "tl/banned.h"

/* Parameters of one event row of the insert: ts, ts_raw, parser_id,
 * ts_skew_us, the fields, then extra, file_id, line, offset, length,
 * raw_sha256, seq, indicator. */
#define EVENT_PARAMS (4 + TL_F_COUNT + 8)

struct tl_store {
	sqlite3 *db;
	sqlite3_stmt *ins_event, *ins_reject;
	struct tl_buf extra;
	int in_tx;
	int sort_threads;
	/* parameters of ins_event bound to a value, not NULL: a binding outlives
	 * sqlite3_reset(), so a NULL already there is not bound again (most of
	 * an event's 59 columns are NULL row after row) */
	unsigned char bound[64 + TL_F_COUNT];
	/* ins_events: TL_STORE_INSERT_ROWS events in one statement, its own
	 * bound flags and record hashes (NULL when it could not be prepared) */
	sqlite3_stmt *ins_events;
	unsigned char bound_rows[TL_STORE_INSERT_ROWS * EVENT_PARAMS + 1];
	unsigned char shas[TL_STORE_INSERT_ROWS][32];
	/* event_parsers rows already looked up (a file's events share one or a
	 * few); past PARSER_IDS_MAX, hostile time rules are looked up in SQL */
	struct parser_id *pids;
	size_t npids, last_pid;
	sqlite3_stmt *get_parser, *ins_parser;
	unsigned char sha[32];
	/* the run of events being written (src/store/lines.c) */
	struct tl_event_run run;
	sqlite3_stmt *ins_run;
	/* the evidence file whose events and rejects may be stored now (the
	 * last tl_store_file_begin not yet ended), 0 none: the load runs
	 * without SQLite's foreign-key checks (load_begin), so the store
	 * refuses a row of any other file itself */
	int64_t load_file;
	/* tl_store_read_ahead(): the second, read-only connection, and whether
	 * an iterator reading ahead holds it (one at a time) */
	struct tl_store *reader;
	int reader_busy;
};

struct parser_id {
	char *family, *format, *pver, *rule; /* one allocation, at family */
	int64_t id;
};
#define PARSER_IDS_MAX 1024

/* CREATE INDEX sorts in runs of the page cache's size. Runs of 8 MB sort in
 * the CPU cache and, with helper threads, while the table is still being
 * scanned: on 1 M events the build's critical path drops by a third with no
 * helper and by half with one (docs/performance.md). The load's own 64 MB
 * cache comes back after. */
#define SORT_CACHE "-8192"
#define LOAD_CACHE "-65536"

sqlite3 *tl_store_handle(struct tl_store *s)
{
	return s->db;
}

int tl_store_has_annotations(struct tl_store *s)
{
	sqlite3_stmt *st;
	int yes = 0;
	/* a case last written by an older tl is read without migrating it */
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'annotations'", -1,
			       &st, NULL) == SQLITE_OK)
		yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static int sqlerr(struct tl_store *s, struct tl_err *err, const char *what)
{
	return tl_errf(err, "case database: %s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(struct tl_store *s, const char *sql, struct tl_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		tl_errf(err, "case database: %s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Version 1 of the events table, frozen: a database made by any tl must migrate
 * to the same schema, so later fields come as migrations, never edits here. */
static const char events_v1[] =
	"CREATE TABLE events (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  ts INTEGER NOT NULL,          -- UTC microseconds since 1970, skew-corrected\n"
	"  ts_raw TEXT NOT NULL,         -- the timestamp text as written in the evidence\n"
	"  ts_rule TEXT NOT NULL,        -- how the zone and year were decided\n"
	"  ts_skew_us INTEGER NOT NULL,  -- clock-skew correction applied\n"
	"  family TEXT NOT NULL,\n"
	"  format TEXT NOT NULL,\n"
	"  class TEXT,\n"
	"  action TEXT,\n"
	"  outcome TEXT,\n"
	"  severity TEXT,\n"
	"  user TEXT,\n"
	"  user_domain TEXT,\n"
	"  host TEXT,\n"
	"  src_ip TEXT,\n"
	"  src_port INTEGER,\n"
	"  dst_ip TEXT,\n"
	"  dst_port INTEGER,\n"
	"  proto TEXT,\n"
	"  process TEXT,\n"
	"  process_pid INTEGER,\n"
	"  process_cmdline TEXT,\n"
	"  parent_process TEXT,\n"
	"  parent_pid INTEGER,\n"
	"  file TEXT,\n"
	"  file_name TEXT,\n"
	"  file_hash TEXT,\n"
	"  domain TEXT,\n"
	"  url TEXT,\n"
	"  http_method TEXT,\n"
	"  http_status INTEGER,\n"
	"  bytes_in INTEGER,\n"
	"  bytes_out INTEGER,\n"
	"  rule TEXT,\n"
	"  message TEXT,\n"
	"  extra TEXT NOT NULL,          -- JSON object of every other parsed field\n"
	"  file_id INTEGER NOT NULL REFERENCES evidence_files(id),\n"
	"  line INTEGER NOT NULL,\n"
	"  offset INTEGER NOT NULL,\n"
	"  length INTEGER NOT NULL,\n"
	"  raw_sha256 TEXT NOT NULL,\n"
	"  parser TEXT NOT NULL,\n"
	"  parser_version TEXT NOT NULL\n"
	");\n";

static const char schema_v1_head[] =
	"CREATE TABLE evidence_files (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  path TEXT NOT NULL UNIQUE,     -- relative to the case folder\n"
	"  size INTEGER NOT NULL,\n"
	"  sha256 TEXT NOT NULL,\n"
	"  mtime INTEGER NOT NULL,\n"
	"  magic TEXT,\n"
	"  compression TEXT,\n"
	"  encoding TEXT,\n"
	"  format TEXT,\n"
	"  format_version TEXT,\n"
	"  format_rule TEXT,\n"
	"  confidence INTEGER,\n"
	"  status TEXT NOT NULL,\n"
	"  records INTEGER NOT NULL DEFAULT 0,\n"
	"  events INTEGER NOT NULL DEFAULT 0,\n"
	"  rejects INTEGER NOT NULL DEFAULT 0,\n"
	"  meta INTEGER NOT NULL DEFAULT 0,   -- headers, directives, blank lines\n"
	"  bytes INTEGER NOT NULL DEFAULT 0,  -- decompressed bytes read\n"
	"  first_ts INTEGER,\n"
	"  last_ts INTEGER,\n"
	"  error TEXT\n"
	");\n"
	"CREATE TABLE rejects (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  file_id INTEGER NOT NULL REFERENCES evidence_files(id),\n"
	"  line INTEGER NOT NULL,\n"
	"  offset INTEGER NOT NULL,\n"
	"  length INTEGER NOT NULL,\n"
	"  raw_sha256 TEXT NOT NULL,\n"
	"  reason TEXT NOT NULL,\n"
	"  excerpt BLOB\n"
	");\n";

/* Query indexes (on the events' base table, schema v11). Bulk ingest drops them and builds them once at the end
 * (tl_store_index_build): sorting once is far cheaper than updating eleven
 * B-trees per row. Any open for writing rebuilds missing ones, so an
 * interrupted ingest leaves a database that is whole again next time. */
static const char index_ddl[] =
	"CREATE INDEX IF NOT EXISTS events_ts ON event_rows(ts);\n"
	/* (column, ts): an entity's events in time order, so the first page of
	 * a pivot finds its time bound without sorting them all (read.c) */
	"CREATE INDEX IF NOT EXISTS events_user ON event_rows(user, ts) WHERE user IS NOT NULL;\n"
	"CREATE INDEX IF NOT EXISTS events_host ON event_rows(host, ts) WHERE host IS NOT NULL;\n"
	"CREATE INDEX IF NOT EXISTS events_src_ip ON event_rows(src_ip, ts) WHERE src_ip IS NOT NULL;\n"
	"CREATE INDEX IF NOT EXISTS events_dst_ip ON event_rows(dst_ip, ts) WHERE dst_ip IS NOT NULL;\n"
	"CREATE INDEX IF NOT EXISTS events_domain ON event_rows(domain, ts) WHERE domain IS NOT NULL;\n"
	/* a record's place among the records of its line (file:LINE#N) comes
	 * from event_runs since v12 (src/store/lines.c): no events_line */
	"";

/* Query indexes on columns of later versions (built after the migrations,
 * so never part of version 1): tl chain finds a process's actions and its
 * children by GUID (EDR events only, hence partial); tl graph pivots on
 * those and on file paths (src/store/graph.c), few events carrying any. */
static const char index_ddl_v3[] =
	"CREATE INDEX IF NOT EXISTS events_file_path ON event_rows(file) WHERE file IS NOT NULL;\n"
	"CREATE INDEX IF NOT EXISTS events_process_guid ON event_rows(process_guid) WHERE process_guid IS NOT NULL;\n"
	"CREATE INDEX IF NOT EXISTS events_parent_guid ON event_rows(parent_process_guid)\n"
	"  WHERE parent_process_guid IS NOT NULL;\n";
/* The sessions view's partial index (v4), made and dropped with the query
 * indexes: SQLite evaluates its five-value IN list through a temporary table
 * for every inserted row (~10,000 instructions, a fifth of an insert). Kept
 * apart from index_ddl, which version 1 runs, because version 4 creates it. */
static const char index_session_ddl[] =
	"CREATE INDEX IF NOT EXISTS events_session ON event_rows(action)\n"
	"  WHERE action IN ('session-start', 'session-end', 'lease', 'release', 'server-restart');\n";

static const char index_drop[] =
	"DROP INDEX IF EXISTS events_ts; DROP INDEX IF EXISTS events_user; DROP INDEX IF EXISTS events_host;"
	"DROP INDEX IF EXISTS events_src_ip; DROP INDEX IF EXISTS events_dst_ip; DROP INDEX IF EXISTS events_domain;"
	"DROP INDEX IF EXISTS events_line; DROP INDEX IF EXISTS events_process_guid; DROP INDEX IF EXISTS events_parent_guid;"
	"DROP INDEX IF EXISTS events_file_path; DROP INDEX IF EXISTS events_session;";

/* Needed while ingesting (clearing an interrupted file), so never dropped. */
static const char schema_v1_tail[] =
	"CREATE INDEX events_file ON events(file_id, offset);\n"
	"CREATE INDEX rejects_file ON rejects(file_id, offset);\n";

/* Migrations: index i brings a database from version i to i+1. Version 1
 * makes no query index: tl_store_index_build makes them after the last
 * migration, on the table that holds the events then. */
static int migrate_0_to_1(struct tl_store *s, struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	tl_buf_adds(&b, schema_v1_head);
	tl_buf_adds(&b, events_v1);
	tl_buf_adds(&b, schema_v1_tail);
	int rc = exec(s, b.data, err);
	tl_buf_release(&b);
	return rc;
}

/* v2: the source's own sequence numbers and tamper indicators (tl gaps), and
 * the history of evidence replaced by a new version (tl ingest --new-version). */
static int migrate_1_to_2(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "ALTER TABLE events ADD COLUMN seq INTEGER;\n"
		    "ALTER TABLE events ADD COLUMN indicator TEXT;\n"
		    "CREATE TABLE superseded_files (\n"
		    "  id INTEGER PRIMARY KEY,\n"
		    "  path TEXT NOT NULL,\n"
		    "  size INTEGER NOT NULL,\n"
		    "  sha256 TEXT NOT NULL,\n"
		    "  mtime INTEGER NOT NULL,\n"
		    "  format TEXT,\n"
		    "  records INTEGER, events INTEGER, rejects INTEGER,\n"
		    "  first_ts INTEGER, last_ts INTEGER,\n"
		    "  replaced_by_sha256 TEXT NOT NULL\n"
		    ");\n"
		    "CREATE INDEX events_indicator ON events(indicator) WHERE indicator IS NOT NULL;\n",
		    err);
}

/* v3: the event fields correlation needs (event code, session, process GUIDs,
 * hosts on both sides, target user, NAT addresses, MACs); per evidence file,
 * the archive it came from, the facts ingest used (definition hash,
 * ordered_within, the detection decision) and records merged into another
 * record's event. */
static int migrate_2_to_3(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "ALTER TABLE events ADD COLUMN event_code TEXT;\n"
		    "ALTER TABLE events ADD COLUMN session_id TEXT;\n"
		    "ALTER TABLE events ADD COLUMN process_guid TEXT;\n"
		    "ALTER TABLE events ADD COLUMN parent_process_guid TEXT;\n"
		    "ALTER TABLE events ADD COLUMN src_host TEXT;\n"
		    "ALTER TABLE events ADD COLUMN dst_host TEXT;\n"
		    "ALTER TABLE events ADD COLUMN target_user TEXT;\n"
		    "ALTER TABLE events ADD COLUMN target_user_domain TEXT;\n"
		    "ALTER TABLE events ADD COLUMN src_nat_ip TEXT;\n"
		    "ALTER TABLE events ADD COLUMN src_nat_port INTEGER;\n"
		    "ALTER TABLE events ADD COLUMN dst_nat_ip TEXT;\n"
		    "ALTER TABLE events ADD COLUMN dst_nat_port INTEGER;\n"
		    "ALTER TABLE events ADD COLUMN src_mac TEXT;\n"
		    "ALTER TABLE events ADD COLUMN dst_mac TEXT;\n"
		    "ALTER TABLE evidence_files ADD COLUMN container TEXT;          -- archive holding this member\n"
		    "ALTER TABLE evidence_files ADD COLUMN container_sha256 TEXT;\n"
		    "ALTER TABLE evidence_files ADD COLUMN member TEXT;             -- path inside the archive\n"
		    "ALTER TABLE evidence_files ADD COLUMN definition_sha256 TEXT;  -- of the definition ingest used\n"
		    "ALTER TABLE evidence_files ADD COLUMN ordered_within_us INTEGER;\n"
		    "ALTER TABLE evidence_files ADD COLUMN detection TEXT;          -- JSON: candidates, scores, parse rates\n"
		    "ALTER TABLE evidence_files ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;\n",
		    err);
}

/* v4: VPN sessions and DHCP leases as identity evidence (who held which
 * address, from when to when). A view, not a table: it is derived from the
 * session events alone (docs/event-model.md#sessions), so re-ingesting a file
 * or adding one changes it without bookkeeping, and every row points at the
 * events it came from. The partial index keeps the view from scanning every
 * event of a large case. */
static int migrate_3_to_4(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE INDEX events_session ON events(action)\n"
		    "  WHERE action IN ('session-start', 'session-end', 'lease', 'release', 'server-restart');\n"
		    "CREATE VIEW sessions AS\n"
		    "WITH ev AS (\n"
		    "  SELECT id, ts, action, format, host, user, src_ip, src_port, src_mac, src_host, session_id,\n"
		    "         bytes_in, bytes_out, file_id, line,\n"
		    /* Zeek names it assigned_addr, and a DHCPRELEASE gives back the
		     * client's own address (ciaddr) */
		    "         nullif(nullif(coalesce(json_extract(extra, '$.assigned_ip'), json_extract(extra, '$.assigned_addr'),\n"
		    "           CASE WHEN action = 'release' THEN src_ip END), '0.0.0.0'), '::') AS assigned_ip,\n"
		    "         CASE WHEN action IN ('lease', 'release') THEN 'dhcp' ELSE 'vpn' END AS kind,\n"
		    "         CASE WHEN action IN ('session-end', 'release') THEN 1 ELSE 0 END AS is_end\n"
		    /* the IN list repeats the index's WHERE word for word: SQLite uses a
		     * partial index only when the query's terms match it */
		    "  FROM events WHERE action IN ('session-start', 'session-end', 'lease', 'release', 'server-restart')\n"
		    "    AND action <> 'server-restart' AND outcome IS NOT 'failure'),\n"
		    /* one session is the run of a key's events up to and including its end */
		    "keyed AS (\n"
		    "  SELECT ev.*, CASE WHEN kind = 'dhcp' THEN json_array(format, host, src_mac, assigned_ip)\n"
		    "                 WHEN session_id IS NOT NULL THEN json_array(format, host, session_id)\n"
		    "                 ELSE json_array(format, host, user, src_ip, src_port) END AS k FROM ev),\n"
		    "seg AS (\n"
		    "  SELECT keyed.*, coalesce(sum(is_end) OVER (PARTITION BY k ORDER BY ts, id\n"
		    "    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS n FROM keyed),\n"
		    /* a session's facts are spread over its lines (strongSwan: the real
		     * address on one, the virtual IP on the next): take the first of each */
		    "ranked AS (\n"
		    "  SELECT seg.*, row_number() OVER (PARTITION BY k, n, is_end ORDER BY ts, id) AS rn,\n"
		    "    first_value(user) OVER (PARTITION BY k, n ORDER BY user IS NULL, ts, id) AS f_user,\n"
		    "    first_value(src_ip) OVER (PARTITION BY k, n ORDER BY src_ip IS NULL, ts, id) AS f_src_ip,\n"
		    "    first_value(src_port) OVER (PARTITION BY k, n ORDER BY src_port IS NULL, ts, id) AS f_src_port,\n"
		    "    first_value(src_mac) OVER (PARTITION BY k, n ORDER BY src_mac IS NULL, ts, id) AS f_src_mac,\n"
		    "    first_value(src_host) OVER (PARTITION BY k, n ORDER BY src_host IS NULL, ts, id) AS f_src_host,\n"
		    "    first_value(assigned_ip) OVER (PARTITION BY k, n ORDER BY assigned_ip IS NULL, ts, id) AS f_assigned,\n"
		    "    min(is_end) OVER (PARTITION BY k, n) AS only_end,\n"
		    "    max(CASE WHEN is_end = 1 THEN id END) OVER (PARTITION BY k, n) AS g_end_id,\n"
		    "    max(CASE WHEN is_end = 1 THEN ts END) OVER (PARTITION BY k, n) AS g_end_us,\n"
		    "    max(CASE WHEN is_end = 1 THEN bytes_in END) OVER (PARTITION BY k, n) AS g_bytes_in,\n"
		    "    max(CASE WHEN is_end = 1 THEN bytes_out END) OVER (PARTITION BY k, n) AS g_bytes_out\n"
		    "  FROM seg),\n"
		    "base AS (\n"
		    "  SELECT s.kind, s.format, s.host, s.f_user AS user, s.f_src_ip AS src_ip, s.f_src_port AS src_port,\n"
		    "         s.f_src_mac AS src_mac, s.f_src_host AS src_host, s.session_id,\n"
		    "         s.f_assigned AS assigned_ip, s.k, s.id AS start_id, s.ts AS start_us,\n"
		    "         s.g_end_id AS end_id, s.g_end_us AS end_us, s.g_bytes_in AS bytes_in, s.g_bytes_out AS bytes_out\n"
		    "  FROM ranked s WHERE s.is_end = 0 AND s.rn = 1\n"
		    "  UNION ALL\n"
		    /* an end whose start is not in the evidence (the log begins mid-session) */
		    "  SELECT e.kind, e.format, e.host, e.f_user, e.f_src_ip, e.f_src_port, e.f_src_mac, e.f_src_host, e.session_id,\n"
		    "         e.f_assigned, e.k, NULL, NULL, e.id, e.ts, e.bytes_in, e.bytes_out\n"
		    "  FROM ranked e WHERE e.is_end = 1 AND e.only_end = 1),\n"
		    /* a session without its end is over when the address goes to another
		     * key (pool re-assignment) or the server restarts, whichever comes first */
		    /* runs: the sessions on one address in time order, consecutive ones
		     * of one client (the same client seen by two sources) together; the
		     * first start of the next run is another client taking the address */
		    "owned AS (\n"
		    "  SELECT b.*, CASE WHEN b.kind = 'dhcp' THEN json_array(b.src_mac)\n"
		    "    ELSE json_array(b.user, b.src_ip, b.src_port) END AS client FROM base b),\n"
		    "changes AS (\n"
		    "  SELECT owned.*, CASE WHEN lag(client) OVER (PARTITION BY kind, assigned_ip ORDER BY start_us, start_id)\n"
		    "    IS client THEN 0 ELSE 1 END AS chg FROM owned),\n"
		    /* the next run's first start after this row: "start_us start_id", fixed width so that
		     * min() orders them (window functions cannot skip to the next marked row) */
		    "heads AS (\n"
		    "  SELECT changes.*, min(CASE WHEN chg = 1 THEN format('%020d %020d', start_us, start_id) END)\n"
		    "    OVER (PARTITION BY kind, assigned_ip ORDER BY start_us, start_id\n"
		    "          ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_head FROM changes),\n"
		    "restarts AS (\n"
		    "  SELECT id, ts, format, host FROM events\n"
		    "  WHERE action IN ('session-start', 'session-end', 'lease', 'release', 'server-restart')\n"
		    "    AND action = 'server-restart'),\n"
		    "closed AS (\n"
		    "  SELECT h.*,\n"
		    "    CASE WHEN h.end_id IS NULL AND h.start_id IS NOT NULL AND h.assigned_ip IS NOT NULL\n"
		    "      THEN CAST(substr(h.next_head, 22) AS INTEGER) END AS reassign_id,\n"
		    "    CASE WHEN h.end_id IS NULL AND h.start_id IS NOT NULL AND h.assigned_ip IS NOT NULL\n"
		    "      THEN CAST(substr(h.next_head, 1, 20) AS INTEGER) END AS reassign_us,\n"
		    "    CASE WHEN h.end_id IS NULL AND h.start_id IS NOT NULL THEN (SELECT r.id FROM restarts r\n"
		    "       WHERE r.format = h.format AND r.host IS h.host\n"
		    "       AND (r.ts > h.start_us OR (r.ts = h.start_us AND r.id > h.start_id))\n"
		    "     ORDER BY r.ts, r.id LIMIT 1) END AS restart_id\n"
		    "  FROM heads h),\n"
		    "closed2 AS (\n"
		    "  SELECT c.*, r.ts AS restart_us FROM closed c LEFT JOIN events r ON r.id = c.restart_id),\n"
		    "decided AS (\n"
		    "  SELECT c.*,\n"
		    "    CASE WHEN c.end_id IS NOT NULL THEN 'logged'\n"
		    "         WHEN c.reassign_id IS NOT NULL AND (c.restart_id IS NULL OR c.reassign_us <= c.restart_us)\n"
		    "           THEN 'reassigned'\n"
		    "         WHEN c.restart_id IS NOT NULL THEN 'restart'\n"
		    "         ELSE 'open' END AS ended_by FROM closed2 c),\n"
		    "final AS (\n"
		    "  SELECT d.*, CASE d.ended_by WHEN 'logged' THEN d.end_id WHEN 'reassigned' THEN d.reassign_id\n"
		    "                WHEN 'restart' THEN d.restart_id END AS stop_id,\n"
		    "              CASE d.ended_by WHEN 'logged' THEN d.end_us WHEN 'reassigned' THEN d.reassign_us\n"
		    "                WHEN 'restart' THEN d.restart_us END AS stop_us FROM decided d)\n"
		    "SELECT f.kind, f.user, f.src_ip AS real_ip, f.src_port AS real_port, f.assigned_ip,\n"
		    "  f.src_mac AS mac, f.src_host AS client_host, f.host AS device, f.format, f.session_id,\n"
		    "  CASE WHEN f.start_us IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%S', f.start_us / 1000000, 'unixepoch')\n"
		    "    || format('.%06dZ', f.start_us % 1000000) END AS start,\n"
		    "  CASE WHEN f.stop_us IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%S', f.stop_us / 1000000, 'unixepoch')\n"
		    "    || format('.%06dZ', f.stop_us % 1000000) END AS \"end\",\n"
		    "  f.ended_by, (f.stop_us - f.start_us) / 1000000 AS duration_s, f.bytes_in, f.bytes_out,\n"
		    "  f.start_us, f.stop_us AS end_us, f.start_id AS start_event, f.stop_id AS end_event,\n"
		    "  sf.path AS start_file, se.line AS start_line, ef.path AS end_file, ee.line AS end_line\n"
		    "FROM final f\n"
		    "LEFT JOIN events se ON se.id = f.start_id LEFT JOIN evidence_files sf ON sf.id = se.file_id\n"
		    "LEFT JOIN events ee ON ee.id = f.stop_id LEFT JOIN evidence_files ef ON ef.id = ee.file_id;\n",
		    err);
}

/* v5: annotations: the analyst's tags with notes and saved searches. A tag
 * names its event by evidence location and raw-record hash, never by row id,
 * so it survives a re-parse and a replay into a new case; neither table is
 * read by the events digest, so annotating never alters what verify checks. */
static int migrate_4_to_5_annotations(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE annotations (\n"
		    "  id INTEGER PRIMARY KEY,\n"
		    "  path TEXT NOT NULL,         -- evidence path of the tagged event\n"
		    "  offset INTEGER NOT NULL,    -- its record's offset in the (decompressed) stream\n"
		    "  raw_sha256 TEXT NOT NULL,   -- its record's hash\n"
		    "  tag TEXT NOT NULL,\n"
		    "  note TEXT,\n"
		    "  created INTEGER NOT NULL,   -- UTC microseconds\n"
		    "  UNIQUE (path, offset, tag)\n"
		    ");\n"
		    "CREATE TABLE saved_searches (\n"
		    "  name TEXT PRIMARY KEY,\n"
		    "  args TEXT NOT NULL,         -- JSON array of tl timeline's filter options\n"
		    "  created INTEGER NOT NULL\n"
		    ");\n",
		    err);
}

/* v6: entities (docs/correlation.md#entities): each user, host, address,
 * domain, ... of the events once, by its canonical text, with the spellings
 * seen or configured as aliases. Counted incrementally: entity_files names
 * the evidence files already counted (stale once a file is re-parsed or
 * replaced, which makes the next refresh count everything again), and
 * entity_config the digest of the configured aliases the counts were made
 * with. */
static int migrate_entities(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE entities (\n"
		    "  id INTEGER PRIMARY KEY,\n"
		    "  type TEXT NOT NULL,          -- user host ip domain url file process hash email resource\n"
		    "  value TEXT NOT NULL,         -- canonical text (include/tl/entity.h)\n"
		    "  registrable TEXT,            -- domain, host-less url: eTLD+1 from the Public Suffix List\n"
		    "  first_ts INTEGER,            -- UTC microseconds; NULL for an entity only configured\n"
		    "  last_ts INTEGER,\n"
		    "  events INTEGER NOT NULL DEFAULT 0,\n"
		    "  UNIQUE (type, value)\n"
		    ");\n"
		    "CREATE TABLE entity_aliases (\n"
		    "  entity_id INTEGER NOT NULL REFERENCES entities(id),\n"
		    "  alias TEXT NOT NULL,         -- a spelling other than the canonical value\n"
		    "  source TEXT NOT NULL,        -- seen (in events) or config (tl.json aliases)\n"
		    "  events INTEGER NOT NULL DEFAULT 0,\n"
		    "  UNIQUE (entity_id, alias)\n"
		    ");\n"
		    "CREATE TABLE entity_files (\n"
		    "  file_id INTEGER PRIMARY KEY, -- evidence_files.id whose events are counted in entities\n"
		    "  stale INTEGER NOT NULL DEFAULT 0\n"
		    ");\n"
		    "CREATE TABLE entity_config (\n"
		    "  digest TEXT NOT NULL         -- of the configured aliases the counts were made with\n"
		    ");\n",
		    err);
}

/* v6: time-bounded bindings (who held an address, who used a host, from when
 * to when, on what evidence), the attributions of address-only events they
 * justify, and the overlaps of one subject bound to two values at once.
 * Derived data, recomputed whole at the end of every ingest
 * (src/analysis/correlate.c, docs/correlation.md); events are never changed.
 * attributions has no rowid: it is read by event (timeline) and by value
 * (entity pivots), never by a row number. */
static int migrate_bindings(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE bindings (\n"
		    "  id INTEGER PRIMARY KEY,\n"
		    "  kind TEXT NOT NULL,          -- ip-user, ip-host, host-user\n"
		    "  subject TEXT NOT NULL,       -- the address or host, canonical\n"
		    "  value TEXT NOT NULL,         -- the user or host it is bound to, canonical\n"
		    "  start_ts INTEGER,            -- UTC microseconds; NULL: before the evidence (inventory)\n"
		    "  end_ts INTEGER,              -- UTC microseconds, exclusive; NULL: open-ended\n"
		    "  end_rule TEXT NOT NULL,      -- session-end lease-end next-assignment server-restart logoff window open-ended\n"
		    "  source TEXT NOT NULL,        -- vpn dhcp logon sso proxy-auth edr inventory\n"
		    "  start_event_id INTEGER,      -- events.id of the evidence that began it\n"
		    "  end_event_id INTEGER,        -- events.id of the evidence that ended it\n"
		    "  events INTEGER NOT NULL,     -- events that support it (a window merges many)\n"
		    "  evidence TEXT NOT NULL       -- JSON array of {path, line}: the first 16 of them\n"
		    ");\n"
		    "CREATE INDEX bindings_subject ON bindings(kind, subject, start_ts);\n"
		    "CREATE TABLE attributions (\n"
		    "  event_id INTEGER NOT NULL,   -- events.id of an event that names no user (host)\n"
		    "  kind TEXT NOT NULL,          -- user, host\n"
		    "  value TEXT NOT NULL,         -- canonical\n"
		    "  binding_id INTEGER NOT NULL, -- bindings.id that justifies it\n"
		    "  via TEXT NOT NULL,           -- src_ip, dst_ip, src_ip>host, dst_ip>host\n"
		    "  via_binding_id INTEGER,      -- the ip-host binding a host-user one was reached through\n"
		    "  PRIMARY KEY (event_id, kind)\n"
		    ") WITHOUT ROWID;\n"
		    "CREATE INDEX attributions_value ON attributions(kind, value);\n"
		    "CREATE TABLE binding_conflicts (\n"
		    "  id INTEGER PRIMARY KEY,\n"
		    "  kind TEXT NOT NULL,\n"
		    "  subject TEXT NOT NULL,\n"
		    "  binding_a INTEGER NOT NULL,  -- bindings.id, the one that starts first\n"
		    "  binding_b INTEGER NOT NULL,\n"
		    "  start_ts INTEGER,            -- the overlap; NULL start: from before the evidence\n"
		    "  end_ts INTEGER,              -- NULL: open-ended\n"
		    "  events INTEGER NOT NULL      -- events left unattributed by it\n"
		    ");\n",
		    err);
}


/* copies: events that are copies of one occurrence (the same record delivered
 * twice), their lookup keys, and which files have been keyed. The events
 * table is not touched: the keys live in a table of their own, and a file
 * that ingest clears (restart, --reparse, --new-version) takes its copy rows
 * with it through the trigger; the groups it left are regrouped next time
 * (src/analysis/copies.c). */
static int migrate_copies(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE copies (\n"
		    "  event_id INTEGER PRIMARY KEY,   -- an event that is one copy of an occurrence\n"
		    "  occurrence_id INTEGER NOT NULL, -- the first copy's event id: the group\n"
		    "  basis TEXT NOT NULL             -- record-id | content\n"
		    ");\n"
		    "CREATE INDEX copies_occurrence ON copies(occurrence_id);\n"
		    "CREATE TABLE copy_keys (\n"
		    "  event_id INTEGER PRIMARY KEY,\n"
		    "  key INTEGER NOT NULL,           -- bits 0-63 of the SHA-256 of its record identity or content\n"
		    "  key_check INTEGER NOT NULL      -- bits 64-127: a match must hold on both\n"
		    ");\n"
		    "CREATE INDEX copy_keys_key ON copy_keys(key);\n"
		    "CREATE TABLE copy_files (         -- evidence files whose events are keyed\n"
		    "  file_id INTEGER PRIMARY KEY,\n"
		    "  first_event INTEGER NOT NULL,   -- the range of their event ids (one file is\n"
		    "  last_event INTEGER NOT NULL     -- stored in one piece)\n"
		    ");\n"
		    "CREATE TABLE copy_dirty (occurrence_id INTEGER PRIMARY KEY); -- groups that lost a copy\n"
		    "CREATE TRIGGER copies_file_cleared AFTER DELETE ON evidence_files BEGIN\n"
		    "  INSERT OR IGNORE INTO copy_dirty SELECT c.occurrence_id FROM copies c, copy_files k\n"
		    "    WHERE k.file_id = old.id AND c.event_id BETWEEN k.first_event AND k.last_event;\n"
		    "  DELETE FROM copies WHERE event_id BETWEEN\n"
		    "    (SELECT first_event FROM copy_files WHERE file_id = old.id)\n"
		    "    AND (SELECT last_event FROM copy_files WHERE file_id = old.id);\n"
		    "  DELETE FROM copy_keys WHERE event_id BETWEEN\n"
		    "    (SELECT first_event FROM copy_files WHERE file_id = old.id)\n"
		    "    AND (SELECT last_event FROM copy_files WHERE file_id = old.id);\n"
		    "  DELETE FROM copy_files WHERE file_id = old.id;\n"
		    "END;\n",
		    err);
}

/* copies, keyed lazily: what ingest learnt of each file that tells whether
 * its events can have copies at all (docs/correlation.md#copies). A file that
 * neither may copy its own records nor meets another file of a family it
 * holds, within the tolerance of its time span, is not keyed
 * (src/analysis/copies.c). */
static int migrate_copies_scope(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE copy_scope (\n"
		    "  file_id INTEGER PRIMARY KEY,   -- evidence_files.id, as ingest stored it\n"
		    "  self INTEGER NOT NULL,         -- 1: may hold two copies of one record (a record identity)\n"
		    "  families INTEGER NOT NULL      -- bit mask: a bit per family (hashed), the top bit Zeek identities\n"
		    ");\n"
		    "CREATE TRIGGER copy_scope_file_cleared AFTER DELETE ON evidence_files BEGIN\n"
		    "  DELETE FROM copy_scope WHERE file_id = old.id;\n"
		    "END;\n",
		    err);
}

/* corrmem: what the bindings and attributions were computed from, so that
 * an ingest that adds no binding evidence only attributes the new files'
 * events (src/analysis/correlate.c, docs/correlation.md#incremental).
 * correlation_files names the evidence files reflected (with their status
 * and event count then), correlation_state the digest of the options
 * (windows, inventory) and of the sessions, and the last summary;
 * correlation_spellings every address spelling the rules saw. Deleting an
 * evidence file (re-parse, new version, restart) makes the state stale:
 * the next run recomputes everything. */
static int migrate_corrmem(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE correlation_files (\n"
		    "  file_id INTEGER PRIMARY KEY, -- evidence_files.id reflected in the bindings and attributions\n"
		    "  status TEXT NOT NULL,        -- its status and event count then\n"
		    "  events INTEGER NOT NULL\n"
		    ");\n"
		    "CREATE TABLE correlation_state (\n"
		    "  digest TEXT NOT NULL,        -- of the rules' version, windows and inventory\n"
		    "  sessions INTEGER NOT NULL,   -- digest of the sessions view's rows\n"
		    "  stale INTEGER NOT NULL,      -- 1: recompute everything next time\n"
		    "  mode TEXT NOT NULL,          -- how the last run went: full incremental unchanged\n"
		    "  bindings INTEGER NOT NULL, conflicts INTEGER NOT NULL, attributed_user INTEGER NOT NULL,\n"
		    "  attributed_host INTEGER NOT NULL, conflicted INTEGER NOT NULL, skipped INTEGER NOT NULL,\n"
		    "  max_span INTEGER NOT NULL    -- the longest finite binding, microseconds\n"
		    ");\n"
		    "CREATE INDEX bindings_open ON bindings(kind, subject) WHERE end_ts IS NULL;\n"
		    "CREATE TABLE correlation_spellings (\n"
		    "  ip TEXT PRIMARY KEY,         -- an address as the events spell it\n"
		    "  canonical TEXT NOT NULL\n"
		    ") WITHOUT ROWID;\n"
		    "CREATE TRIGGER correlation_file_cleared AFTER DELETE ON evidence_files BEGIN\n"
		    "  UPDATE correlation_state SET stale = 1;\n"
		    "  DELETE FROM correlation_files WHERE file_id = old.id;\n"
		    "END;\n",
		    err);
}

/* v11, the events' storage (issue 15): one row of event_rows per event, its
 * columns that are constant per parser and time rule (family, format,
 * parser, parser_version, ts_rule: 34+ bytes of text a row) one integer
 * naming an event_parsers row, raw_sha256 as its 32 bytes instead of 64 hex
 * characters. The other columns keep their order: putting the usually NULL
 * ones last saves nothing, SQLite 3.40 writes a header byte for every column
 * of a row it inserts, trailing NULLs included (measured: the same 200k rows
 * in either order have the same payload). The view events gives users, tl
 * sql and the readers of the other tables exactly the columns, names, order
 * and values of the table it replaces. Its parser columns are scalar
 * subqueries, not a join: a view with a join cannot be flattened as the
 * right side of a LEFT JOIN and would be materialized whole (the sessions
 * view joins events that way). Indexes live on event_rows under their old
 * names. */
static const char storage_v11[] =
	"CREATE TABLE event_parsers (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  family TEXT NOT NULL,\n"
	"  format TEXT NOT NULL,\n"
	"  parser TEXT NOT NULL,\n"
	"  parser_version TEXT NOT NULL,\n"
	"  ts_rule TEXT NOT NULL,        -- how the zone and year were decided\n"
	"  UNIQUE (family, format, parser, parser_version, ts_rule)\n"
	");\n"
	"CREATE TABLE event_rows (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  ts INTEGER NOT NULL,          -- UTC microseconds since 1970, skew-corrected\n"
	"  ts_raw TEXT NOT NULL,         -- the timestamp text as written in the evidence\n"
	"  parser_id INTEGER NOT NULL,   -- event_parsers.id: family, format, parser, version, ts_rule\n"
	"  ts_skew_us INTEGER NOT NULL,  -- clock-skew correction applied\n"
	"  class TEXT, action TEXT, outcome TEXT, severity TEXT, user TEXT, user_domain TEXT, host TEXT,\n"
	"  src_ip TEXT, src_port INTEGER, dst_ip TEXT, dst_port INTEGER, proto TEXT, process TEXT,\n"
	"  process_pid INTEGER, process_cmdline TEXT, parent_process TEXT, parent_pid INTEGER,\n"
	"  file TEXT, file_name TEXT, file_hash TEXT, domain TEXT, url TEXT, http_method TEXT,\n"
	"  http_status INTEGER, bytes_in INTEGER, bytes_out INTEGER, rule TEXT, message TEXT,\n"
	"  extra TEXT NOT NULL,          -- JSON object of every other parsed field\n"
	"  file_id INTEGER NOT NULL REFERENCES evidence_files(id),\n"
	"  line INTEGER NOT NULL,\n"
	"  offset INTEGER NOT NULL,\n"
	"  length INTEGER NOT NULL,\n"
	"  raw_sha256 BLOB NOT NULL,     -- the record's SHA-256: 32 bytes\n"
	"  seq INTEGER, indicator TEXT, event_code TEXT, session_id TEXT, process_guid TEXT,\n"
	"  parent_process_guid TEXT, src_host TEXT, dst_host TEXT, target_user TEXT,\n"
	"  target_user_domain TEXT, src_nat_ip TEXT, src_nat_port INTEGER, dst_nat_ip TEXT,\n"
	"  dst_nat_port INTEGER, src_mac TEXT, dst_mac TEXT\n"
	");\n";

static const char events_view_v11[] =
	"CREATE VIEW events AS SELECT\n"
	"  e.id, e.ts, e.ts_raw,\n"
	"  (SELECT p.ts_rule FROM event_parsers p WHERE p.id = e.parser_id) AS ts_rule, e.ts_skew_us,\n"
	"  (SELECT p.family FROM event_parsers p WHERE p.id = e.parser_id) AS family,\n"
	"  (SELECT p.format FROM event_parsers p WHERE p.id = e.parser_id) AS format, e.class, e.action,\n"
	"  e.outcome, e.severity, e.user, e.user_domain, e.host, e.src_ip, e.src_port, e.dst_ip, e.dst_port,\n"
	"  e.proto, e.process, e.process_pid, e.process_cmdline, e.parent_process, e.parent_pid, e.file,\n"
	"  e.file_name, e.file_hash, e.domain, e.url, e.http_method, e.http_status, e.bytes_in, e.bytes_out,\n"
	"  e.rule, e.message, e.extra, e.file_id, e.line, e.offset, e.length,\n"
	"  CASE WHEN typeof(e.raw_sha256) = 'blob' THEN lower(hex(e.raw_sha256)) ELSE e.raw_sha256 END AS raw_sha256,\n"
	"  (SELECT p.parser FROM event_parsers p WHERE p.id = e.parser_id) AS parser,\n"
	"  (SELECT p.parser_version FROM event_parsers p WHERE p.id = e.parser_id) AS parser_version, e.seq,\n"
	"  e.indicator, e.event_code, e.session_id, e.process_guid, e.parent_process_guid, e.src_host,\n"
	"  e.dst_host, e.target_user, e.target_user_domain, e.src_nat_ip, e.src_nat_port, e.dst_nat_ip,\n"
	"  e.dst_nat_port, e.src_mac, e.dst_mac\n"
	"FROM event_rows e;\n";

static int migrate_storage(struct tl_store *s, struct tl_err *err)
{
	if (exec(s, storage_v11, err))
		return -1;
	/* the old table is read and dropped, never renamed: a rename would
	 * rewrite the sessions view to name it, and that view must read the new
	 * events view */
	return exec(s,
		    "INSERT INTO event_parsers (family, format, parser, parser_version, ts_rule)\n"
		    "  SELECT DISTINCT family, format, parser, parser_version, ts_rule FROM events ORDER BY 1, 2, 3, 4, 5;\n"
		    "INSERT INTO event_rows (\n"
		    "  id, ts, ts_raw, parser_id, ts_skew_us, class, action, outcome, severity, user, user_domain,\n"
		    "  host, src_ip, src_port, dst_ip, dst_port, proto, process, process_pid, process_cmdline,\n"
		    "  parent_process, parent_pid, file, file_name, file_hash, domain, url, http_method,\n"
		    "  http_status, bytes_in, bytes_out, rule, message, extra, file_id, line, offset, length,\n"
		    "  raw_sha256, seq, indicator, event_code, session_id, process_guid, parent_process_guid,\n"
		    "  src_host, dst_host, target_user, target_user_domain, src_nat_ip, src_nat_port, dst_nat_ip,\n"
		    "  dst_nat_port, src_mac, dst_mac\n"
		    ") SELECT\n"
		    "  e.id, e.ts, e.ts_raw, p.id, e.ts_skew_us, e.class, e.action, e.outcome, e.severity, e.user,\n"
		    "  e.user_domain, e.host, e.src_ip, e.src_port, e.dst_ip, e.dst_port, e.proto, e.process,\n"
		    "  e.process_pid, e.process_cmdline, e.parent_process, e.parent_pid, e.file, e.file_name,\n"
		    "  e.file_hash, e.domain, e.url, e.http_method, e.http_status, e.bytes_in, e.bytes_out, e.rule,\n"
		    "  e.message, e.extra, e.file_id, e.line, e.offset, e.length, tl_unhex(e.raw_sha256), e.seq,\n"
		    "  e.indicator, e.event_code, e.session_id, e.process_guid, e.parent_process_guid, e.src_host,\n"
		    "  e.dst_host, e.target_user, e.target_user_domain, e.src_nat_ip, e.src_nat_port, e.dst_nat_ip,\n"
		    "  e.dst_nat_port, e.src_mac, e.dst_mac\n"
		    "FROM events e JOIN event_parsers p ON p.family = e.family AND p.format = e.format AND p.parser = e.parser\n"
		    "  AND p.parser_version = e.parser_version AND p.ts_rule = e.ts_rule ORDER BY e.id;\n"
		    "DROP TABLE events;\n",
		    err) || exec(s, events_view_v11, err) ||
	       exec(s,
		    "CREATE INDEX events_file ON event_rows(file_id, offset);\n"
		    "CREATE INDEX events_indicator ON event_rows(indicator) WHERE indicator IS NOT NULL;\n",
		    err);
}

/* v12, storage2 (issue 15): the events' provenance lookups by id runs
 * instead of the index events_line (file_id, line, offset), 17 MB and a
 * tenth of the index build on 1 M Squid lines. event_runs names each run
 * of consecutive event ids of one file whose lines and offsets never
 * decrease (src/store/lines.c); the runs of a v11 case are found in one
 * ordered pass. It comes after migrate_storage, which makes event_rows
 * from the old events table: a migration that still alters that table
 * must come before migrate_storage, one that changes event_rows after. */
static int migrate_storage2(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE event_runs (\n"
		    "  first_id INTEGER PRIMARY KEY, -- event_rows.id: its events are first_id..last_id\n"
		    "  last_id INTEGER NOT NULL,\n"
		    "  file_id INTEGER NOT NULL,     -- evidence_files.id\n"
		    "  first_line INTEGER NOT NULL,  -- lines and offsets never decrease within a run\n"
		    "  last_line INTEGER NOT NULL,\n"
		    "  first_offset INTEGER NOT NULL,\n"
		    "  last_offset INTEGER NOT NULL\n"
		    ");\n"
		    "CREATE INDEX event_runs_file ON event_runs(file_id, first_line);\n"
		    "INSERT INTO event_runs SELECT min(id), max(id), file_id, min(line), max(line), min(offset), max(offset)\n"
		    "FROM (SELECT id, file_id, line, offset, sum(brk) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) AS run\n"
		    "      FROM (SELECT id, file_id, line, offset,\n"
		    "              CASE WHEN lag(id) OVER w = id - 1 AND lag(file_id) OVER w = file_id\n"
		    "                AND lag(line) OVER w <= line AND lag(offset) OVER w <= offset THEN 0 ELSE 1 END AS brk\n"
		    "            FROM event_rows WINDOW w AS (ORDER BY id)))\n"
		    "GROUP BY run;\n"
		    "DROP INDEX IF EXISTS events_line;\n"
		    /* bindings: the evidence paths once (src/store/bindings-evidence.c) */
		    "CREATE TABLE binding_paths (\n"
		    "  id INTEGER PRIMARY KEY,\n"
		    "  path TEXT NOT NULL UNIQUE     -- an evidence path a binding's evidence names\n"
		    ");\n"
		    "CREATE TABLE binding_rows (\n"
		    "  id INTEGER PRIMARY KEY,\n"
		    "  kind TEXT NOT NULL,\n"
		    "  subject TEXT NOT NULL,\n"
		    "  value TEXT NOT NULL,\n"
		    "  start_ts INTEGER,\n"
		    "  end_ts INTEGER,\n"
		    "  end_rule TEXT NOT NULL,\n"
		    "  source TEXT NOT NULL,\n"
		    "  start_event_id INTEGER,\n"
		    "  end_event_id INTEGER,\n"
		    "  events INTEGER NOT NULL,\n"
		    "  evidence TEXT NOT NULL       -- [path id, line, line...] or [[path id, line], ...] (binding_paths)\n"
		    ");\n",
		    err) ||
	       tl_bind_evidence_migrate(s->db, err) ||
	       exec(s,
		    "DROP TABLE bindings;\n"
		    "CREATE INDEX bindings_subject ON binding_rows(kind, subject, start_ts);\n"
		    "CREATE INDEX bindings_open ON binding_rows(kind, subject) WHERE end_ts IS NULL;\n",
		    err) ||
	       exec(s, tl_bind_evidence_view, err) ||
	       /* writes to the view (SQL written before it) reach the table */
	       exec(s,
		    "CREATE TRIGGER bindings_insert INSTEAD OF INSERT ON bindings BEGIN\n"
		    "  INSERT INTO binding_rows (id, kind, subject, value, start_ts, end_ts, end_rule, source,\n"
		    "    start_event_id, end_event_id, events, evidence) VALUES (new.id, new.kind, new.subject, new.value,\n"
		    "    new.start_ts, new.end_ts, new.end_rule, new.source, new.start_event_id, new.end_event_id,\n"
		    "    new.events, new.evidence);\n"
		    "END;\n"
		    "CREATE TRIGGER bindings_delete INSTEAD OF DELETE ON bindings BEGIN\n"
		    "  DELETE FROM binding_rows WHERE id = old.id;\n"
		    "END;\n"
		    "CREATE TRIGGER bindings_update INSTEAD OF UPDATE ON bindings BEGIN\n"
		    "  UPDATE binding_rows SET id = new.id, kind = new.kind, subject = new.subject, value = new.value,\n"
		    "    start_ts = new.start_ts, end_ts = new.end_ts, end_rule = new.end_rule, source = new.source,\n"
		    "    start_event_id = new.start_event_id, end_event_id = new.end_event_id, events = new.events,\n"
		    "    evidence = CASE WHEN new.evidence IS old.evidence THEN evidence ELSE new.evidence END\n"
		    "  WHERE id = old.id;\n"
		    "END;\n",
		    err);
}

/* corrinc: stable binding ids and incremental correlation with new binding
 * evidence (src/analysis/correlate-inc.c, docs/correlation.md#incremental).
 * correlation_state keeps the highest binding and conflict ids ever given,
 * so an id deleted is never given again; attribution_conflicts names each
 * event a conflict left unattributed, so that attributing an event again
 * takes it off the right conflict's count. A case correlated before has
 * no such rows: its next run recomputes whole. */
static int migrate_corrinc(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "ALTER TABLE correlation_state ADD COLUMN next_binding INTEGER NOT NULL DEFAULT 0; -- highest bindings.id given\n"
		    "ALTER TABLE correlation_state ADD COLUMN next_conflict INTEGER NOT NULL DEFAULT 0; -- highest binding_conflicts.id given\n"
		    "CREATE TABLE attribution_conflicts (\n"
		    "  event_id INTEGER NOT NULL,   -- events.id of an event a conflict left unattributed\n"
		    "  kind TEXT NOT NULL,          -- user, host: the side left unattributed\n"
		    "  conflict_id INTEGER NOT NULL, -- binding_conflicts.id\n"
		    "  PRIMARY KEY (event_id, kind)\n"
		    ") WITHOUT ROWID;\n"
		    "CREATE INDEX attribution_conflicts_conflict ON attribution_conflicts(conflict_id);\n"
		    "UPDATE correlation_state SET stale = 1;\n",
		    err);
}

/* copyrange (issue 15): copies keyed by time range instead of whole files
 * (src/analysis/copies.c, docs/correlation.md#when-files-are-keyed).
 * copy_files now names every file a copies run has dealt with, keyed or
 * not (with the range of its event ids, so that clearing it clears its
 * keys); copy_ranges the time ranges of each file whose events are keyed,
 * -2^63..2^63-1 for the whole file. A file keyed before is keyed whole; a
 * file left unkeyed is dealt with and keyed nowhere. */
static int migrate_copyrange(struct tl_store *s, struct tl_err *err)
{
	return exec(s,
		    "CREATE TABLE copy_ranges (\n"
		    "  file_id INTEGER NOT NULL,     -- copy_files.file_id\n"
		    "  ts_from INTEGER NOT NULL,     -- its events with ts_from <= ts <= ts_to are keyed\n"
		    "  ts_to INTEGER NOT NULL,       -- (disjoint, not adjacent: merged as they grow)\n"
		    "  PRIMARY KEY (file_id, ts_from)\n"
		    ") WITHOUT ROWID;\n"
		    "INSERT INTO copy_ranges SELECT file_id, -9223372036854775808, 9223372036854775807 FROM copy_files;\n"
		    "INSERT INTO copy_files SELECT r.file_id, min(r.first_id), max(r.last_id)\n"
		    "  FROM event_runs r JOIN evidence_files f ON f.id = r.file_id\n"
		    "  WHERE f.events > 0 AND f.status IN ('done', 'partial')\n"
		    "    AND r.file_id NOT IN (SELECT file_id FROM copy_files)\n"
		    "  GROUP BY r.file_id;\n"
		    "CREATE TRIGGER copy_ranges_file_cleared AFTER DELETE ON evidence_files BEGIN\n"
		    "  DELETE FROM copy_ranges WHERE file_id = old.id;\n"
		    "END;\n",
		    err);
}

static int (*const migrations[])(struct tl_store *, struct tl_err *) = { migrate_0_to_1, migrate_1_to_2,
									  migrate_2_to_3, migrate_3_to_4,
									  migrate_4_to_5_annotations, migrate_bindings,
									  migrate_entities, migrate_copies,
									  migrate_copies_scope, migrate_corrmem,
									  migrate_storage, migrate_storage2,
									  migrate_corrinc, migrate_copyrange };

static int schema_version(struct tl_store *s, int *version, struct tl_err *err)
{
	sqlite3_stmt *st;
	*version = 0;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return sqlerr(s, err, "reading schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Every pending migration in ONE transaction: an ingest killed while a new
 * database is being made leaves it empty or whole, never at a version in
 * between that read-only commands would misread. The version is read again
 * inside the transaction, in case another writer migrated first. */
static int migrate(struct tl_store *s, struct tl_err *err)
{
	int version;
	if (schema_version(s, &version, err))
		return -1;
	if (version > TL_SCHEMA_VERSION)
		return tl_errf(err, "case database has schema version %d; this tl knows up to %d (upgrade tl)", version,
			       TL_SCHEMA_VERSION);
	if (version == TL_SCHEMA_VERSION)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE", err))
		return -1;
	if (schema_version(s, &version, err))
		return exec(s, "ROLLBACK", NULL), -1;
	for (int v = version; v < TL_SCHEMA_VERSION; v++)
		if (migrations[v](s, err))
			return exec(s, "ROLLBACK", NULL), -1;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", TL_SCHEMA_VERSION);
	if (exec(s, sql, err) || exec(s, "COMMIT", err))
		return exec(s, "ROLLBACK", NULL), -1;
	return 0;
}

/* The event insert with ROWS rows of EVENT_PARAMS parameters each. */
static void event_insert_sql(struct tl_buf *b, int rows)
{
	/* OR ROLLBACK: a row that breaks a NOT NULL fails the whole transaction
	 * (an ingest stops at any failed insert anyway), so SQLite needs no
	 * statement journal to undo half of a 16-row statement (load_begin) */
	tl_buf_adds(b, "INSERT OR ROLLBACK INTO event_rows (ts, ts_raw, parser_id, ts_skew_us");
#define TL_X_NAME(name, kind) tl_buf_adds(b, ", " #name);
	TL_EVENT_FIELDS(TL_X_NAME)
#undef TL_X_NAME
	tl_buf_adds(b, ", extra, file_id, line, offset, length, raw_sha256, seq, indicator) VALUES ");
	for (int r = 0; r < rows; r++) {
		tl_buf_adds(b, r ? ",(?" : "(?");
		for (int i = 1; i < EVENT_PARAMS; i++)
			tl_buf_adds(b, ",?");
		tl_buf_adds(b, ")");
	}
}

static int prepare(struct tl_store *s, struct tl_err *err)
{
	struct tl_buf b = TL_BUF_INIT;
	event_insert_sql(&b, 1);
	int rc = sqlite3_prepare_v3(s->db, b.data, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_event, NULL);
	if (rc == SQLITE_OK) {
		tl_buf_reset(&b);
		event_insert_sql(&b, TL_STORE_INSERT_ROWS);
		/* without it (a SQLite built with few parameters) rows go one by one */
		if (sqlite3_prepare_v3(s->db, b.data, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_events, NULL) != SQLITE_OK)
			s->ins_events = NULL;
	}
	tl_buf_release(&b);
	if (rc != SQLITE_OK)
		return sqlerr(s, err, "preparing event insert");
	/* the parser is the format (the writer has always stored it so) */
	if (sqlite3_prepare_v3(s->db,
			       "SELECT id FROM event_parsers WHERE family = ?1 AND format = ?2 AND parser = ?2 AND "
			       "parser_version = ?3 AND ts_rule = ?4",
			       -1, SQLITE_PREPARE_PERSISTENT, &s->get_parser, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db,
			       "INSERT INTO event_parsers (family, format, parser, parser_version, ts_rule) "
			       "VALUES (?1, ?2, ?2, ?3, ?4)",
			       -1, SQLITE_PREPARE_PERSISTENT, &s->ins_parser, NULL) != SQLITE_OK)
		return sqlerr(s, err, "preparing event insert");
	if (sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO event_runs VALUES (?,?,?,?,?,?,?)", -1,
			       SQLITE_PREPARE_PERSISTENT, &s->ins_run, NULL) != SQLITE_OK)
		return sqlerr(s, err, "preparing event insert");
	if (sqlite3_prepare_v3(s->db,
			       "INSERT INTO rejects (file_id, line, offset, length, raw_sha256, reason, excerpt) "
			       "VALUES (?,?,?,?,?,?,?)",
			       -1, SQLITE_PREPARE_PERSISTENT, &s->ins_reject, NULL) != SQLITE_OK)
		return sqlerr(s, err, "preparing reject insert");
	return 0;
}

/* SQLite counts every allocation under one process-wide mutex unless told
 * not to; tl never asks for the count, and with the writer, the sort helpers
 * and the reader working at once that mutex was 5 % of each thread's time.
 * It must be said before SQLite's first use (later it is refused, harmless). */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct tl_store *tl_store_open(const char *path, enum tl_store_mode mode, struct tl_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	struct tl_store *s = calloc(1, sizeof(*s));
	if (!s) {
		tl_errf(err, "out of memory");
		return NULL;
	}
	int flags = mode == TL_STORE_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		tl_errf(err, "cannot open case database '%s': %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		tl_store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 10000);
	tl_store_functions(s->db);
	if (mode == TL_STORE_READONLY) {
		sqlite3_stmt *st;
		/* a readable file that is not a tl database says so before any query runs */
		if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM evidence_files", -1, &st, NULL) != SQLITE_OK) {
			tl_errf(err, "cannot read case database '%s': %s", path, sqlite3_errmsg(s->db));
			tl_store_close(s);
			return NULL;
		}
		sqlite3_finalize(st);
		/* read-only commands do not migrate: an older database says how to
		 * bring it up to date instead of failing on a column it lacks */
		int version;
		if (schema_version(s, &version, err) == 0 && version != TL_SCHEMA_VERSION) {
			tl_errf(err,
				version > TL_SCHEMA_VERSION
					? "case database '%s' has schema version %d; this tl knows up to %d (upgrade tl)"
					: "case database '%s' has schema version %d, older than this tl's %d: run tl ingest "
					  "on the case once to migrate it (evidence already ingested is not read again)",
				path, version, TL_SCHEMA_VERSION);
			tl_store_close(s);
			return NULL;
		}
		return s;
	}
	/* WAL + NORMAL: a crash can lose the last transactions, never corrupt the file */
	if (exec(s, "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
		    "PRAGMA cache_size=" LOAD_CACHE ";",
		 err) ||
	    migrate(s, err) || tl_store_index_build(s, err) || prepare(s, err)) {
		char keep[sizeof(err->msg)];
		snprintf(keep, sizeof(keep), "%s", err ? err->msg : "");
		tl_store_close(s);
		tl_errf(err, "'%s': %s", path, keep);
		return NULL;
	}
	return s;
}

void tl_store_close(struct tl_store *s)
{
	if (!s)
		return;
	if (s->in_tx)
		exec(s, "ROLLBACK", NULL);
	tl_store_close(s->reader);
	sqlite3_finalize(s->ins_event);
	sqlite3_finalize(s->ins_events);
	sqlite3_finalize(s->ins_reject);
	sqlite3_finalize(s->get_parser);
	sqlite3_finalize(s->ins_parser);
	sqlite3_finalize(s->ins_run);
	for (size_t i = 0; i < s->npids; i++)
		free(s->pids[i].family);
	free(s->pids);
	sqlite3_close(s->db);
	tl_buf_release(&s->extra);
	free(s);
}

int tl_store_index_drop(struct tl_store *s, struct tl_err *err)
{
	return exec(s, index_drop, err);
}

void tl_store_sort_threads(struct tl_store *s, int n)
{
	s->sort_threads = n > 0 ? n : 0;
}

/* The reader's page cache: correlation's reads follow the address indexes,
 * as the writer's own do (src/analysis/correlate.c). */
#define READER_CACHE "-16384"

int tl_store_read_ahead(struct tl_store *s, const char *path, struct tl_err *err)
{
	if (s->reader)
		return 0;
	struct tl_store *r = tl_store_open(path, TL_STORE_READONLY, err);
	if (!r)
		return -1;
	if (exec(r, "PRAGMA cache_size=" READER_CACHE, err)) {
		tl_store_close(r);
		return -1;
	}
	s->reader = r;
	return 0;
}

struct tl_store *tl_store_reader_take(struct tl_store *s)
{
	if (!s->reader || s->reader_busy)
		return NULL;
	s->reader_busy = 1;
	return s->reader;
}

void tl_store_reader_give(struct tl_store *s)
{
	s->reader_busy = 0;
}

int tl_store_index_build(struct tl_store *s, struct tl_err *err)
{
	int version;
	char pragma[96];
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=" SORT_CACHE "; PRAGMA threads=%d;", s->sort_threads);
	if (exec(s, pragma, err))
		return -1;
	int rc = exec(s, index_ddl, err) || exec(s, index_ddl_v3, err) || schema_version(s, &version, err);
	if (!rc && version >= 4)
		rc = exec(s, index_session_ddl, err);
	if (exec(s, "PRAGMA cache_size=" LOAD_CACHE "; PRAGMA threads=0;", rc ? NULL : err))
		rc = -1;
	return rc;
}

int tl_store_case_bytes(struct tl_store *s, int64_t *bytes, struct tl_err *err)
{
	sqlite3_stmt *st;
	*bytes = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(sum(size), 0) FROM evidence_files WHERE status IN ('done', 'partial')",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(s, err, "measuring the case");
	if (sqlite3_step(st) == SQLITE_ROW)
		*bytes = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int tl_store_path_ingested(struct tl_store *s, const char *path, struct tl_err *err)
{
	sqlite3_stmt *st;
	/* an archive has no row of its own once read: its members name it */
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM evidence_files WHERE (path = ?1 OR container = ?1) AND status = 'done' LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(s, err, "looking up evidence file");
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

/* A load transaction runs without SQLite's foreign-key checks. With them,
 * every multi-row INSERT may fail half-way on a key, so SQLite first copies
 * each page it touches that the database held before the statement into a
 * statement journal (a temporary file past 64 kB): with the query indexes
 * kept, 16 rows touch ~100 index pages, 16 kB each, 84 MB of journal writes
 * for 10 k rows into a 1 M-event case. The keys are checked by the store
 * instead (file_check): rows name the file being stored, and a file's rows
 * are deleted before the file (tl_store_file_begin). The pragma is a no-op
 * inside a transaction, hence here and after the COMMIT. */
static int load_begin(struct tl_store *s, struct tl_err *err)
{
	return exec(s, "PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE", err);
}

static int load_commit(struct tl_store *s, struct tl_err *err)
{
	return exec(s, "COMMIT", err) || exec(s, "PRAGMA foreign_keys=ON", err);
}

/* The foreign key of event_rows.file_id and rejects.file_id, kept by the
 * store during a load: only the file being stored takes rows. */
static int file_check(struct tl_store *s, int64_t file_id, struct tl_err *err)
{
	if (file_id > 0 && file_id == s->load_file)
		return 0;
	return tl_errf(err, "case database: a row of evidence file %lld, which is not the file being stored",
		       (long long)file_id);
}

int tl_store_begin(struct tl_store *s, struct tl_err *err)
{
	if (s->in_tx)
		return 0;
	if (load_begin(s, err))
		return -1;
	s->in_tx = 1;
	return 0;
}

/* The open run as far as it goes: it may grow in the next transaction. */
static int run_flush(struct tl_store *s, struct tl_err *err)
{
	if (!s->run.open || !s->run.dirty || !s->ins_run)
		return 0;
	if (tl_event_run_write(s->db, s->ins_run, &s->run, err))
		return -1;
	s->run.dirty = 0;
	return 0;
}

int tl_store_commit(struct tl_store *s, struct tl_err *err)
{
	if (!s->in_tx)
		return 0;
	if (run_flush(s, err))
		return -1;
	s->in_tx = 0;
	return load_commit(s, err);
}

int tl_store_file_get(struct tl_store *s, const char *path, struct tl_file_row *row, struct tl_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT id, status, sha256, format, format_rule FROM evidence_files WHERE path = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return sqlerr(s, err, "looking up evidence file");
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int found = 0;
	if (rc == SQLITE_ROW) {
		row->id = sqlite3_column_int64(st, 0);
		snprintf(row->status, sizeof(row->status), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(row->sha256, sizeof(row->sha256), "%s", (const char *)sqlite3_column_text(st, 2));
		const char *fmt = (const char *)sqlite3_column_text(st, 3), *rule = (const char *)sqlite3_column_text(st, 4);
		snprintf(row->format, sizeof(row->format), "%s", fmt ? fmt : "");
		snprintf(row->format_rule, sizeof(row->format_rule), "%s", rule ? rule : "");
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = sqlerr(s, err, "looking up evidence file");
	}
	sqlite3_finalize(st);
	return found;
}

int tl_store_file_by_sha(struct tl_store *s, const char *sha256, char *path, size_t len, struct tl_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT path FROM evidence_files WHERE sha256 = ? AND status = 'done' "
				      "ORDER BY path LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return sqlerr(s, err, "looking up evidence hash");
	sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
	int found = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(path, len, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int tl_store_file_supersede(struct tl_store *s, const char *path, const char *new_sha256, struct tl_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO superseded_files (path, size, sha256, mtime, format, records, events, rejects, "
			       "first_ts, last_ts, replaced_by_sha256) SELECT path, size, sha256, mtime, format, records, "
			       "events, rejects, first_ts, last_ts, ? FROM evidence_files WHERE path = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(s, err, "recording the superseded version");
	sqlite3_bind_text(st, 1, new_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlerr(s, err, "recording the superseded version");
}

int tl_store_file_begin(struct tl_store *s, const struct tl_file_info *fi, int64_t *id, struct tl_err *err)
{
	sqlite3_stmt *st;
	struct tl_file_row row;
	int known = tl_store_file_get(s, fi->path, &row, err);
	if (known < 0)
		return -1;
	if (known) {
		/* an interrupted or failed earlier attempt: start that file over */
		sqlite3_stmt *d;
		/* entities counted from the old events are now wrong: the next
		 * refresh counts again (src/store/entities.c) */
		const char *dels[] = { "DELETE FROM event_rows WHERE file_id = ?", "DELETE FROM rejects WHERE file_id = ?",
				       "DELETE FROM evidence_files WHERE id = ?",
				       "UPDATE entity_files SET stale = 1 WHERE file_id = ?",
				       "DELETE FROM event_runs WHERE file_id = ?" };
		if (run_flush(s, err))
			return -1;
		s->run.open = 0;
		for (int i = 0; i < 5; i++) {
			if (sqlite3_prepare_v2(s->db, dels[i], -1, &d, NULL) != SQLITE_OK)
				return sqlerr(s, err, "clearing an unfinished file");
			sqlite3_bind_int64(d, 1, row.id);
			int rc = sqlite3_step(d);
			sqlite3_finalize(d);
			if (rc != SQLITE_DONE)
				return sqlerr(s, err, "clearing an unfinished file");
		}
	}
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO evidence_files (path, size, sha256, mtime, magic, compression, encoding, "
			       "format, format_version, format_rule, confidence, container, container_sha256, member, "
			       "definition_sha256, ordered_within_us, detection, status) "
			       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, 'ingesting')",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(s, err, "recording evidence file");
	sqlite3_bind_text(st, 1, fi->path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, fi->size);
	sqlite3_bind_text(st, 3, fi->sha256, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, fi->mtime);
	bind_opt(st, 5, fi->magic);
	bind_opt(st, 6, fi->compression);
	bind_opt(st, 7, fi->encoding);
	bind_opt(st, 8, fi->format);
	bind_opt(st, 9, fi->format_version);
	bind_opt(st, 10, fi->format_rule);
	sqlite3_bind_int(st, 11, fi->confidence);
	bind_opt(st, 12, fi->container);
	bind_opt(st, 13, fi->container_sha256);
	bind_opt(st, 14, fi->member);
	bind_opt(st, 15, fi->definition_sha256);
	sqlite3_bind_int64(st, 16, fi->ordered_within_us);
	bind_opt(st, 17, fi->detection);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlerr(s, err, "recording evidence file");
	*id = sqlite3_last_insert_rowid(s->db);
	s->load_file = *id;
	return 0;
}

int tl_store_file_end(struct tl_store *s, int64_t id, const char *status, const struct tl_file_counts *c,
		      const char *encoding, const char *error, struct tl_err *err)
{
	sqlite3_stmt *st;
	if (run_flush(s, err))
		return -1;
	if (id == s->load_file)
		s->load_file = 0;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE evidence_files SET status=?, records=?, events=?, rejects=?, meta=?, bytes=?, "
			       "first_ts=?, last_ts=?, error=?, encoding=coalesce(?, encoding), merged=? WHERE id=?",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(s, err, "finishing evidence file");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->records);
	sqlite3_bind_int64(st, 3, c->events);
	sqlite3_bind_int64(st, 4, c->rejects);
	sqlite3_bind_int64(st, 5, c->meta);
	sqlite3_bind_int64(st, 6, c->bytes);
	if (c->events) {
		sqlite3_bind_int64(st, 7, c->first_ts);
		sqlite3_bind_int64(st, 8, c->last_ts);
	} else {
		sqlite3_bind_null(st, 7);
		sqlite3_bind_null(st, 8);
	}
	bind_opt(st, 9, error);
	bind_opt(st, 10, encoding);
	sqlite3_bind_int64(st, 11, c->merged);
	sqlite3_bind_int64(st, 12, id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlerr(s, err, "finishing evidence file");
}

/* Integer fields are stored as INTEGER when their text is a plain integer. */
static void bind_val(sqlite3_stmt *st, int i, const struct tl_val *v, char kind)
{
	int64_t n;
	if (!v->s)
		sqlite3_bind_null(st, i);
	else if (kind == 'I' && tl_parse_i64(v->s, v->len, &n) == 0)
		sqlite3_bind_int64(st, i, n);
	else
		sqlite3_bind_text(st, i, v->s, (int)v->len, SQLITE_STATIC);
}

/* bind_val for an event insert, skipping a NULL that is already bound */
static void bind_event_val(sqlite3_stmt *st, unsigned char *bound, int i, const struct tl_val *v, char kind)
{
	if (!v->s && !bound[i])
		return;
	bind_val(st, i, v, kind);
	bound[i] = v->s != NULL;
}

int tl_store_add_event(struct tl_store *s, const struct tl_event *ev, const struct tl_prov *pv, struct tl_err *err)
{
	tl_buf_reset(&s->extra);
	if (tl_event_extra_json(ev, &s->extra))
		return tl_errf(err, "out of memory");
	return tl_store_add_event_json(s, ev, s->extra.data, s->extra.len, pv, err);
}

/* The event_parsers row of (family, format, version, rule): from the ones
 * already seen, else looked up, else added. Rows are never deleted, so an id
 * once read stays right for the life of the store. */
static int parser_id(struct tl_store *s, const char *family, const char *format, const char *pver, const char *rule,
		     int64_t *id, struct tl_err *err)
{
	struct parser_id *p = s->npids ? &s->pids[s->last_pid] : NULL;
	if (p && !strcmp(p->rule, rule) && !strcmp(p->format, format) && !strcmp(p->family, family) &&
	    !strcmp(p->pver, pver)) {
		*id = p->id;
		return 0;
	}
	for (size_t i = 0; i < s->npids; i++) {
		p = &s->pids[i];
		if (!strcmp(p->rule, rule) && !strcmp(p->format, format) && !strcmp(p->family, family) &&
		    !strcmp(p->pver, pver)) {
			s->last_pid = i;
			*id = p->id;
			return 0;
		}
	}
	const char *v[4] = { family, format, pver, rule };
	sqlite3_stmt *st = s->get_parser;
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = s->ins_parser;
		for (int i = 0; i < 4; i++)
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sqlerr(s, err, "recording the event's parser");
		*id = sqlite3_last_insert_rowid(s->db);
	} else if (rc != SQLITE_ROW) {
		return sqlerr(s, err, "looking up the event's parser");
	}
	if (s->npids >= PARSER_IDS_MAX)
		return 0;
	size_t len[4], total = 0;
	for (int i = 0; i < 4; i++)
		total += (len[i] = strlen(v[i])) + 1;
	char *mem = malloc(total);
	p = mem ? realloc(s->pids, (s->npids + 1) * sizeof(*s->pids)) : NULL;
	if (!p) {
		free(mem);
		return tl_errf(err, "out of memory");
	}
	s->pids = p;
	p = &s->pids[s->npids];
	char **dst[4] = { &p->family, &p->format, &p->pver, &p->rule };
	for (int i = 0; i < 4; i++) {
		memcpy(mem, v[i], len[i] + 1);
		*dst[i] = mem;
		mem += len[i] + 1;
	}
	p->id = *id;
	s->last_pid = s->npids++;
	return 0;
}

/* Bind EV as the row of ST whose parameters start after BASE; BOUND says
 * which of ST's parameters hold a value, SHA holds the hash until the step:
 * BIN's 32 bytes when the caller converted it, else PV's hex unhexed. */
static int bind_event(struct tl_store *s, sqlite3_stmt *st, unsigned char *bound, int base, const struct tl_event *ev,
		      const char *extra, size_t extra_len, const struct tl_prov *pv, const unsigned char *bin,
		      unsigned char sha[32], struct tl_err *err)
{
	int64_t pid = 0;
	if (file_check(s, pv->file_id, err))
		return -1;
	if (parser_id(s, ev->family ? ev->family : "", ev->format ? ev->format : "",
		      ev->parser_version ? ev->parser_version : "", ev->ts_rule ? ev->ts_rule : "", &pid, err))
		return -1;
	int i = base + 1;
	sqlite3_bind_int64(st, i++, ev->ts);
	sqlite3_bind_text(st, i++, ev->ts_raw.s, (int)ev->ts_raw.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, i++, pid);
	sqlite3_bind_int64(st, i++, ev->ts_skew_us);
	for (int f = 0; f < TL_F_COUNT; f++)
		bind_event_val(st, bound, i++, &ev->f[f], tl_field_kind((enum tl_field_id)f));
	sqlite3_bind_text(st, i++, extra, (int)extra_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, i++, pv->file_id);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)pv->line);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)pv->offset);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)pv->length);
	/* the record's hash as its 32 bytes; the events view shows it as hex */
	if (bin)
		memcpy(sha, bin, 32);
	if (bin || tl_store_sha_unhex(pv->sha256, strlen(pv->sha256), sha) == 0)
		sqlite3_bind_blob(st, i++, sha, 32, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, i++, pv->sha256, -1, SQLITE_STATIC);
	if (ev->has_seq)
		sqlite3_bind_int64(st, i, ev->seq);
	else if (bound[i])
		sqlite3_bind_null(st, i);
	bound[i] = (unsigned char)ev->has_seq;
	i++;
	bind_event_val(st, bound, i++, &ev->indicator, 'T');
	return 0;
}

/* The run of events being written goes on with event ID, or a new one starts. */
static int run_add(struct tl_store *s, int64_t id, const struct tl_prov *pv, struct tl_err *err)
{
	if (tl_event_run_extend(&s->run, id, pv))
		return 0;
	if (run_flush(s, err))
		return -1;
	tl_event_run_start(&s->run, id, pv);
	return 0;
}

int tl_store_add_event_sha(struct tl_store *s, const struct tl_event *ev, const char *extra, size_t extra_len,
			   const struct tl_prov *pv, const unsigned char *sha, struct tl_err *err)
{
	sqlite3_stmt *st = s->ins_event;
	if (bind_event(s, st, s->bound, 0, ev, extra, extra_len, pv, sha, s->sha, err))
		return -1;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sqlerr(s, err, "inserting event");
	return run_add(s, sqlite3_last_insert_rowid(s->db), pv, err);
}

int tl_store_add_event_json(struct tl_store *s, const struct tl_event *ev, const char *extra, size_t extra_len,
			    const struct tl_prov *pv, struct tl_err *err)
{
	return tl_store_add_event_sha(s, ev, extra, extra_len, pv, NULL, err);
}

int tl_store_add_events_sha(struct tl_store *s, size_t n, const struct tl_event *ev, const char *const *extra,
			    const size_t *extra_len, const struct tl_prov *const *pv, const unsigned char *const *sha,
			    struct tl_err *err)
{
	size_t i = 0;
	/* one statement per TL_STORE_INSERT_ROWS rows: the statement's own cost
	 * (cursors opened and closed, the foreign-key probe, the halt) is paid
	 * once for all of them; the rows and their ids are those of N single
	 * inserts (rowids one after the other: the last is the statement's) */
	for (; s->ins_events && n - i >= TL_STORE_INSERT_ROWS; i += TL_STORE_INSERT_ROWS) {
		for (int r = 0; r < TL_STORE_INSERT_ROWS; r++)
			if (bind_event(s, s->ins_events, s->bound_rows, r * EVENT_PARAMS, &ev[i + r], extra[i + r],
				       extra_len[i + r], pv[i + r], sha ? sha[i + r] : NULL, s->shas[r], err))
				return -1;
		int rc = sqlite3_step(s->ins_events);
		sqlite3_reset(s->ins_events);
		if (rc != SQLITE_DONE)
			return sqlerr(s, err, "inserting event");
		int64_t last = sqlite3_last_insert_rowid(s->db);
		for (int r = 0; r < TL_STORE_INSERT_ROWS; r++)
			if (run_add(s, last - (TL_STORE_INSERT_ROWS - 1) + r, pv[i + r], err))
				return -1;
	}
	for (; i < n; i++)
		if (tl_store_add_event_sha(s, &ev[i], extra[i], extra_len[i], pv[i], sha ? sha[i] : NULL, err))
			return -1;
	return 0;
}

int tl_store_add_reject(struct tl_store *s, const struct tl_prov *pv, const char *reason, const char *excerpt,
			size_t excerpt_len, struct tl_err *err)
{
	sqlite3_stmt *st = s->ins_reject;
	if (file_check(s, pv->file_id, err))
		return -1;
	sqlite3_bind_int64(st, 1, pv->file_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pv->line);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)pv->offset);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)pv->length);
	sqlite3_bind_text(st, 5, pv->sha256, 64, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, excerpt, (int)excerpt_len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqlerr(s, err, "inserting reject");
}
