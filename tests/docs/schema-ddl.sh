#!/usr/bin/env bash
# docs/schema.md shows "the exact DDL, as stored in the database": this test
# makes it so. The ```sql block after that sentence must equal sqlite_master of
# a case tl just created. TL_UPDATE_EXPECTED=1 rewrites the block from the
# database (read the diff before committing).
. "$(dirname "$0")/../cli/lib.sh"
C=$(new_case s)
"$TL" ingest --no-progress "$C" >/dev/null 2>&1
# every schema object tl creates, in creation order; the automatic index of a
# UNIQUE column has no SQL
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (TEST_PACKAGES in ./run)"; exit 1; }
sqlite3 "$C/case.db" "SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid" >"$WORK/db.sql"
[ -s "$WORK/db.sql" ] && ok "read the schema from a new case ($(grep -c '^CREATE' "$WORK/db.sql") objects)" || fail "no schema read"
doc="$SRC/docs/schema.md"
awk '/^The exact DDL/ { want = 1 } want && /^```sql$/ { inblock = 1; next } inblock && /^```$/ { exit } inblock { print }' "$doc" >"$WORK/doc.sql"
if [ "${TL_UPDATE_EXPECTED:-0}" = 1 ]; then
	awk -v f="$WORK/db.sql" '/^The exact DDL/ { want = 1 } want && !done && /^```sql$/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
		skip && /^```$/ { skip = 0; done = 1 } !skip { print }' "$doc" >"$WORK/new.md" && cp "$WORK/new.md" "$doc"
	echo "rewrote the DDL in docs/schema.md"
	awk '/^The exact DDL/ { want = 1 } want && /^```sql$/ { inblock = 1; next } inblock && /^```$/ { exit } inblock { print }' "$doc" >"$WORK/doc.sql"
fi
same "$WORK/db.sql" "$WORK/doc.sql" "docs/schema.md shows the exact DDL of a new case (TL_UPDATE_EXPECTED=1 rewrites it)"
v=$("$TL" sql "$C" "PRAGMA user_version" | tail -1)
grep -q "^## Schema (version $v)" "$doc" && ok "docs/schema.md names schema version $v" || fail "docs/schema.md does not say '## Schema (version $v)'"
finish
