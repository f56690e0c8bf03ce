#!/usr/bin/env bash
# End to end: ingest a copy of the demo case and compare its timeline with the
# checked-in expectation (TL_UPDATE_EXPECTED=1 rewrites it). Also: totals add up,
# re-ingest is a no-op, results do not depend on TZ, locale or the case's location.
. "$(dirname "$0")/lib.sh"
DEMO="$SRC/fixtures/cases/demo"
EXPECTED="$DEMO/expected/timeline.jsonl"

cp -r "$DEMO" "$WORK/a"
rm -rf "$WORK/a/case.db"* "$WORK/a/out" "$WORK/a/expected"
expect_exit 3 "demo ingest reports its one rejected record" -- "$TL" ingest --no-progress "$WORK/a"
contains "$WORK/err" "18 records -> 17 events, 1 rejects" "ingest summary accounts for every record"
expect_exit 0 "sources" -- "$TL" sources "$WORK/a"
contains "$WORK/out" "records = events \+ rejects \+ merged: yes" "sources totals add up"
expect_exit 0 "timeline jsonl" -- "$TL" timeline --output jsonl "$WORK/a"
cp "$WORK/out" "$WORK/a.jsonl"
if [ "${TL_UPDATE_EXPECTED:-}" = 1 ]; then mkdir -p "$(dirname "$EXPECTED")"; cp "$WORK/a.jsonl" "$EXPECTED"; fi
same "$EXPECTED" "$WORK/a.jsonl" "demo timeline matches expected/timeline.jsonl"

expect_exit 0 "re-ingest of unchanged evidence is a no-op" -- "$TL" ingest --no-progress "$WORK/a"
contains "$WORK/err" "unchanged since it was ingested" "re-ingest says so"
expect_exit 0 "timeline after re-ingest" -- "$TL" timeline --output jsonl "$WORK/a"
same "$WORK/a.jsonl" "$WORK/out" "re-ingest changed nothing"

# another place, another zone and locale, files ingested in another order
mkdir -p "$WORK/elsewhere/deeper"
cp -r "$DEMO" "$WORK/elsewhere/deeper/b"
B="$WORK/elsewhere/deeper/b"
rm -rf "$B/case.db"* "$B/out" "$B/expected"
for d in network cloud proxy; do
	TZ=Pacific/Chatham LANG=de_DE.UTF-8 "$TL" ingest --no-progress "$B" "$B/evidence/$d" 2>/dev/null
done
TZ=America/St_Johns "$TL" timeline --output jsonl "$B" >"$WORK/b.jsonl"
same "$WORK/a.jsonl" "$WORK/b.jsonl" "same timeline whatever TZ, path and ingest order"

# each contract key is present on every line
for k in ts family format class action user host src_ip dst_ip domain url file process bytes_out message evidence; do
	n=$(grep -c "\"$k\":" "$WORK/a.jsonl")
	[ "$n" -eq 17 ] && ok "every line has \"$k\"" || fail "\"$k\" on $n of 17 lines"
done
contains "$WORK/a.jsonl" '"evidence":\{"path":"evidence/proxy/access.log","line":1,"offset":0,"length":[0-9]+,"sha256":"[0-9a-f]{64}"' "evidence points at path, line, offset and hash"

# filters
"$TL" timeline --entity user:mchen --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 10 ] && ok "--entity user:mchen" || fail "--entity user:mchen gave $(wc -l <"$WORK/u")"
"$TL" timeline --entity ip:203.0.113.7 --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 2 ] && ok "--entity ip: matches src or dst" || fail "--entity ip gave $(wc -l <"$WORK/u")"
"$TL" timeline --from 2026-11-19T23:30:00Z --to 2026-11-19T23:36:00.019Z --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 3 ] && ok "--from/--to (to is exclusive)" || fail "--from/--to gave $(wc -l <"$WORK/u")"
"$TL" timeline --family flow --family audit --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 10 ] && ok "--family repeatable" || fail "--family gave $(wc -l <"$WORK/u")"
"$TL" timeline --format-name zeek-conn --grep '"dst_port":443' --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 2 ] && ok "--format-name with --grep" || fail "--format-name/--grep gave $(wc -l <"$WORK/u")"
"$TL" timeline --output csv "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 18 ] && ok "csv: header + 17 rows" || fail "csv gave $(wc -l <"$WORK/u") lines"
expect_exit 0 "text timeline" -- "$TL" timeline "$WORK/a"
contains "$WORK/out" "^2026-11-19T23:35:01.503871Z flow +close .*out=48213994" "text shows the upload volume"
expect_exit 2 "bad --from is a usage error" -- "$TL" timeline --from yesterday "$WORK/a"

# sql is read-only
expect_exit 0 "sql select" -- "$TL" sql "$WORK/a" "SELECT count(*) AS n FROM events"
contains "$WORK/out" "^17$" "sql counts events"
expect_exit 1 "sql refuses writes" -- "$TL" sql "$WORK/a" "DELETE FROM events"
expect_exit 1 "sql refuses ATTACH" -- "$TL" sql "$WORK/a" "ATTACH DATABASE '/tmp/x.db' AS x"
expect_exit 1 "sql refuses two statements" -- "$TL" sql "$WORK/a" "SELECT 1; DELETE FROM events"
"$TL" sql "$WORK/a" "SELECT count(*) FROM events" >"$WORK/n"
contains "$WORK/n" "^17$" "nothing was deleted"
# the demo's committed replay.tl is a regression test: its recorded output hashes
# must come out again, byte for byte (TL_UPDATE_EXPECTED=1 re-records them)
R="$WORK/r"
cp -r "$DEMO" "$R"
rm -rf "$R/case.db"* "$R/out" "$R/expected" "$R/custody.jsonl"
if [ "${TL_UPDATE_EXPECTED:-}" = 1 ]; then
	rm -f "$R/replay.tl"
	"$TL" ingest --no-progress "$R" 2>/dev/null
	"$TL" timeline --output jsonl -o timeline.jsonl "$R"
	"$TL" timeline --entity user:mchen --output csv -o mchen.csv "$R"
	"$TL" sql -o per-format.tsv "$R" "SELECT format, count(*) AS events FROM events GROUP BY 1 ORDER BY 1"
	cp "$R/replay.tl" "$DEMO/replay.tl"
else
	"$TL" ingest --no-progress "$R" 2>/dev/null
fi
expect_exit 0 "tl replay of the demo's replay.tl matches every recorded output" -- "$TL" replay --into "$WORK/r2" "$R"
contains "$WORK/out" "^replay: 3 outputs, 3 match, 0 differ$" "three outputs, all MATCH"
finish
