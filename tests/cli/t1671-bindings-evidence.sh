#!/usr/bin/env bash
# A binding's evidence stored compactly (schema v12): binding_rows.evidence
# holds [P,L1,L2,...] (one path) or [[P,L],[Q,L],...] (several), P naming a
# binding_paths row; the view bindings shows the JSON correlation wrote,
# [{"path":...,"line":...},...], byte for byte. A path JSON would escape is
# stored as given. A version-11 case migrates in place.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (TEST_PACKAGES in ./run)"; exit 1; }
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
"$WORK/gen" squid 6000 7 >"$WORK/sq.log"

C=$(new_case ev)
# one log in three files: windows that run across two files cite both
head -2500 "$WORK/sq.log" >"$C/evidence/a.log"
sed -n '2501,5000p' "$WORK/sq.log" >"$C/evidence/b.log"
tail -n +5001 "$WORK/sq.log" >"$C/evidence/q\"uote.log"
expect_exit 0 "ingest" -- "$TL" ingest --no-progress "$C"
db=$C/case.db
q() { sqlite3 -readonly "$db" "$@"; }

n1=$(q "SELECT count(*) FROM binding_rows WHERE evidence GLOB '[[][0-9]*'")
n2=$(q "SELECT count(*) FROM binding_rows WHERE evidence GLOB '[[][[]*'")
nv=$(q "SELECT count(*) FROM binding_rows WHERE evidence GLOB '[[][{]*'")
[ "$n1" -gt 100 ] && [ "$n2" -gt 0 ] && [ "$nv" -gt 0 ] &&
	ok "one-path ($n1), several-path ($n2) and as-given ($nv) evidence are stored" ||
	fail "forms: one-path $n1, several $n2, as given $nv"
[ "$(q "SELECT count(*) FROM binding_rows WHERE evidence GLOB '[[][{]*' AND evidence NOT LIKE '%uote.log%'")" = 0 ] &&
	ok "only evidence naming a path JSON escapes is stored as given" ||
	fail "as given: $(q "SELECT evidence FROM binding_rows WHERE evidence GLOB '[[][{]*' LIMIT 3")"
[ "$(q "SELECT count(*) FROM binding_paths")" = 2 ] && ok "each packed path once in binding_paths" ||
	fail "binding_paths: $(q "SELECT * FROM binding_paths")"

# the view's text against the same entries rebuilt another way (json functions)
q "SELECT b.id, b.evidence FROM bindings b ORDER BY b.id" >"$WORK/view"
q "SELECT r.id, CASE
	WHEN r.evidence GLOB '[[][0-9]*' THEN (SELECT json_group_array(json_object('path', p.path, 'line', j.value))
		FROM json_each(r.evidence) j, binding_paths p WHERE j.key > 0 AND p.id = r.evidence ->> 0)
	WHEN r.evidence GLOB '[[][[]*' THEN (SELECT json_group_array(json_object('path', p.path, 'line', j.value ->> 1))
		FROM json_each(r.evidence) j, binding_paths p WHERE p.id = j.value ->> 0)
	ELSE r.evidence END FROM binding_rows r ORDER BY r.id" >"$WORK/rebuilt"
same "$WORK/rebuilt" "$WORK/view" "the view shows each binding's evidence as the JSON of its entries"
grep -q '"path":"evidence/a.log","line":' "$WORK/view" && grep -q '{"path":"evidence/b.log","line":[0-9]*},{"path":"evidence/a.log"\|{"path":"evidence/a.log","line":[0-9]*},{"path":"evidence/b.log"' "$WORK/view" &&
	ok "a binding across two files cites both" || fail "no evidence across files: $(head -3 "$WORK/view")"

# ---- a version-11 case migrates in place ---------------------------------------
sqlite3 -json "$db" "SELECT * FROM bindings ORDER BY id" >"$WORK/v12.rows"
"$TL" bindings "$C" >"$WORK/v12.bindings"
"$TL" timeline --entity user:"$(q "SELECT value FROM bindings WHERE kind = 'ip-user' LIMIT 1")" --output jsonl "$C" >"$WORK/v12.jsonl"
grep -q '"attribution"' "$WORK/v12.jsonl" && ok "the attributed timeline cites bindings" || fail "no attribution in the timeline"
sqlite3 "$db" <"$SRC/tests/cli/storage-v11.sql" || fail "could not make the version-11 case"
[ "$(q "SELECT type FROM sqlite_master WHERE name = 'bindings'")" = table ] && ok "the version-11 case has a bindings table" ||
	fail "bindings is a $(q "SELECT type FROM sqlite_master WHERE name = 'bindings'")"
expect_exit 0 "tl ingest migrates it" -- "$TL" ingest --no-progress "$C"
[ "$(q "SELECT type FROM sqlite_master WHERE name = 'bindings'")" = view ] && ok "bindings is a view again" || fail "bindings not a view"
[ "$(q "SELECT count(*) FROM binding_rows WHERE evidence GLOB '[[][0-9]*'")" = "$n1" ] && ok "the migration packs the evidence" ||
	fail "after the migration: $(q "SELECT count(*) FROM binding_rows WHERE evidence GLOB '[[][0-9]*'") one-path rows"
sqlite3 -json "$db" "SELECT * FROM bindings ORDER BY id" >"$WORK/v11.rows"
same "$WORK/v12.rows" "$WORK/v11.rows" "the bindings are the same rows"
"$TL" bindings "$C" >"$WORK/v11.bindings"
same "$WORK/v12.bindings" "$WORK/v11.bindings" "tl bindings prints the same"
"$TL" timeline --entity user:"$(q "SELECT value FROM bindings WHERE kind = 'ip-user' LIMIT 1")" --output jsonl "$C" >"$WORK/v11.jsonl"
same "$WORK/v12.jsonl" "$WORK/v11.jsonl" "the attributed timeline is byte-identical"

# SQL written against the bindings table still writes through the view
sqlite3 "$db" "INSERT INTO bindings (id, kind, subject, value, end_rule, source, events, evidence)
	VALUES (999999, 'ip-user', '192.0.2.1', 'x', 'window', 'proxy-auth', 1, '[]');
	UPDATE bindings SET value = 'y' WHERE id = 999999;" || fail "writing through the view"
[ "$(q "SELECT value || evidence FROM bindings WHERE id = 999999")" = 'y[]' ] && ok "INSERT and UPDATE on the view reach binding_rows" ||
	fail "view write: $(q "SELECT * FROM binding_rows WHERE id = 999999")"
sqlite3 "$db" "DELETE FROM bindings WHERE id = 999999"
[ "$(q "SELECT count(*) FROM binding_rows WHERE id = 999999")" = 0 ] && ok "and DELETE" || fail "the row survived DELETE"

finish
