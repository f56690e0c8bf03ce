#!/usr/bin/env bash
# Incremental correlation on the hand-written cases, one file arriving late
# (docs/correlation.md#incremental): for every evidence file of the demo and
# insider cases, a case built without it and then given it concludes what the
# case built in one ingest does, whichever path the second ingest took
# (incremental, or whole: a logon session, a logoff, the sessions view). A
# whole run over bindings already there keeps the ids of those that come out
# the same (a re-parse). A case correlated by an older tl (schema 12) is
# recomputed whole once and keeps its ids.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/corr-lib.sh"
paths=0
for case in demo insider; do
	src="$SRC/fixtures/cases/$case"
	ONE="$WORK/$case-one"
	cp -r "$src" "$ONE"
	rm -rf "$ONE/case.db"* "$ONE/out" "$ONE/expected" "$ONE/custody.jsonl" "$ONE/replay.tl"
	"$TL" ingest --no-progress "$ONE" >/dev/null 2>&1
	proj "$ONE" "$WORK/$case.proj"
	bad=0
	n=0
	while read -r f; do
		L="$WORK/late"
		rm -rf "$L"
		cp -r "$ONE" "$L"
		rm -rf "$L/case.db"* "$L/custody.jsonl"
		mv "$L/$f" "$WORK/held"
		"$TL" ingest --no-progress "$L" >/dev/null 2>&1
		mv "$WORK/held" "$L/$f"
		# the size rule off: these cases are small
		TL_CORR_FULL=never "$TL" ingest --no-progress --timings "$L" >/dev/null 2>"$WORK/late.err"
		grep -o '^correlation: [a-z]*' "$WORK/late.err" >>"$WORK/paths"
		proj "$L" "$WORK/late.proj"
		n=$((n + 1))
		if ! cmp -s "$WORK/$case.proj" "$WORK/late.proj"; then
			bad=$((bad + 1))
			echo "    $f late: $(grep '^correlation' "$WORK/late.err")"
			diff "$WORK/$case.proj" "$WORK/late.proj" | head -6 | sed 's/^/    /'
		fi
	done < <(cd "$ONE" && find evidence -type f | sort)
	[ "$bad" = 0 ] && ok "$case: each of its $n files arriving late gives what one ingest gives" ||
		fail "$case: $bad of $n late files give other conclusions"
done
grep -q "incremental" "$WORK/paths" && grep -q "full" "$WORK/paths" &&
	ok "both paths were taken ($(sort "$WORK/paths" | uniq -c | tr -s ' ' | tr '\n' ';'))" || fail "paths: $(sort -u "$WORK/paths")"

# the reasons for a whole run are said
D="$WORK/demo-two"
cp -r "$WORK/demo-one" "$D"
rm -rf "$D/case.db"* "$D/custody.jsonl"
mv "$D/evidence/edr" "$WORK/edr"
"$TL" ingest --no-progress "$D" >/dev/null 2>&1
mv "$WORK/edr" "$D/evidence/edr"
"$TL" ingest --no-progress --timings "$D" >/dev/null 2>"$WORK/err"
contains "$WORK/err" "^correlation: full \(a logon session\)$" "Windows logons with a logon id are correlated whole, and --timings says why"

# a re-parse: a whole run, and every binding that comes out the same keeps its id
ids "$D" "$WORK/before.ids"
"$TL" ingest --no-progress --timings --reparse=evidence/dns/query.log "$D" >/dev/null 2>"$WORK/err"
contains "$WORK/err" "^correlation: full$" "a re-parse recomputes whole"
ids "$D" "$WORK/after.ids"
same "$WORK/before.ids" "$WORK/after.ids" "re-parsing a file without binding evidence keeps every binding and its id"

# an older case (schema 12: no attribution_conflicts, no id counters)
O="$WORK/old"
cp -r "$WORK/demo-one" "$O"
rm -rf "$O/custody.jsonl"
sqlite3 "$O/case.db" "DELETE FROM copy_files WHERE file_id NOT IN (SELECT file_id FROM copy_ranges); DROP TRIGGER copy_ranges_file_cleared; DROP TABLE copy_ranges; DROP TABLE attribution_conflicts; ALTER TABLE correlation_state DROP COLUMN next_binding; ALTER TABLE correlation_state DROP COLUMN next_conflict; PRAGMA user_version = 12;" 2>"$WORK/err" ||
	{ fail "cannot make a schema 12 case: $(cat "$WORK/err")"; finish; exit; }
# tl reads no older case: the ids as sqlite3 shows them, in tl sql's layout
sqlite3 -header -separator "$(printf '\t')" "$O/case.db" "SELECT id, kind, subject, value, start_ts, end_ts, end_rule, source, start_event_id, end_event_id, events, evidence FROM bindings ORDER BY id" >"$WORK/old.ids"
[ "$(wc -l <"$WORK/old.ids")" -gt 5 ] && ok "the schema 12 case has bindings ($(($(wc -l <"$WORK/old.ids") - 1)))" || fail "no bindings in the old case"
"$TL" ingest --no-progress --timings "$O" >/dev/null 2>"$WORK/err"
contains "$WORK/err" "^correlation: full$" "a case migrated from schema 12 is recomputed whole"
[ "$("$TL" sql "$O" "PRAGMA user_version" | tail -n 1)" = 14 ] && ok "and migrated to 14" || fail "user_version $("$TL" sql "$O" "PRAGMA user_version")"
ids "$O" "$WORK/old.after"
same "$WORK/old.ids" "$WORK/old.after" "its bindings keep their ids"
proj "$O" "$WORK/old.proj"
same "$WORK/demo.proj" "$WORK/old.proj" "and it concludes what a new case does"
finish
