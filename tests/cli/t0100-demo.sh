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
contains "$WORK/err" "140 records -> 115 events, 1 rejects, 24 merged" "ingest summary accounts for every record"
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
for d in network cloud proxy vpn edr hids dns dlp firewall; do
	TZ=Pacific/Chatham LANG=de_DE.UTF-8 "$TL" ingest --no-progress "$B" "$B/evidence/$d" 2>/dev/null
done
TZ=America/St_Johns "$TL" timeline --output jsonl "$B" >"$WORK/b.jsonl"
# binding ids are stable, so they follow the order bindings were first found
# in (docs/correlation.md#stable-binding-ids): compared without them
noid() { sed -E 's/"binding":\{"id":[0-9]+/"binding":{"id":N/g' "$1"; }
noid "$WORK/a.jsonl" >"$WORK/a.noid"
noid "$WORK/b.jsonl" >"$WORK/b.noid"
same "$WORK/a.noid" "$WORK/b.noid" "same timeline whatever TZ, path and ingest order (binding ids aside)"

# each contract key is present on every line
for k in ts family format class action user host src_ip dst_ip domain url file process bytes_out message evidence; do
	n=$(grep -c "\"$k\":" "$WORK/a.jsonl")
	[ "$n" -eq 115 ] && ok "every line has \"$k\"" || fail "\"$k\" on $n of 115 lines"
done
contains "$WORK/a.jsonl" '"evidence":\{"path":"evidence/proxy/access.log","line":1,"offset":0,"length":[0-9]+,"sha256":"[0-9a-f]{64}"' "evidence points at path, line, offset and hash"

# filters
"$TL" timeline --entity user:mchen --output jsonl "$WORK/a" >"$WORK/u"
# 43 events name mchen; 13 more (squid, Zeek, netfilter, BIND lines of
# 10.20.1.15 while he held it) are attributed to him (docs/correlation.md)
[ "$(wc -l <"$WORK/u")" -eq 56 ] && ok "--entity user:mchen" || fail "--entity user:mchen gave $(wc -l <"$WORK/u")"
[ "$(grep -c '"attributed_user":"mchen"' "$WORK/u")" -eq 13 ] && ok "13 of them attributed" || fail "attributed: $(grep -c attributed_user "$WORK/u")"
"$TL" timeline --entity user:mchen --no-attributed --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 43 ] && ok "--entity user:mchen --no-attributed" || fail "--no-attributed gave $(wc -l <"$WORK/u")"
"$TL" timeline --entity ip:203.0.113.7 --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 7 ] && ok "--entity ip: matches src or dst" || fail "--entity ip gave $(wc -l <"$WORK/u")"
"$TL" timeline --from 2026-11-19T23:30:00Z --to 2026-11-19T23:36:00.019Z --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 9 ] && ok "--from/--to (to is exclusive)" || fail "--from/--to gave $(wc -l <"$WORK/u")"
"$TL" timeline --family flow --family audit --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 26 ] && ok "--family repeatable" || fail "--family gave $(wc -l <"$WORK/u")"
"$TL" timeline --format-name zeek-conn --grep '"dst_port":443' --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 4 ] && ok "--format-name with --grep" || fail "--format-name/--grep gave $(wc -l <"$WORK/u")"
"$TL" timeline --output csv "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 116 ] && ok "csv: header + 115 rows" || fail "csv gave $(wc -l <"$WORK/u") lines"
expect_exit 0 "text timeline" -- "$TL" timeline "$WORK/a"
contains "$WORK/out" "^2026-11-19T23:35:01.503871Z +flow +close .*out=48213994" "text shows the upload volume"
contains "$WORK/out" "^TIME \(UTC\) +FAMILY +ACTION +OUTCOME +USER +SOURCE +DESTINATION +EVIDENCE +DETAIL$" "text has a header row"
contains "$WORK/out" "GetObject +FAILED +mchen .*json.gz:1#4 +s3.amazonaws.com GetObject: AccessDenied  file=s3://acme-hr-records/salaries/2026.csv" "denied S3 read stands out, with its object and place in the line"
contains "$WORK/out" "deny +FAILED +mchen" "denied proxy request stands out"
contains "$WORK/out" "attempt +FAILED .*10.20.1.15:51944 +203.0.113.99:22 " "port-22 attempt shows its port"
contains "$WORK/out" "CreateAccessKey +ok .*target=svc-backup2" "IAM target shown"
expect_exit 2 "bad --from is a usage error" -- "$TL" timeline --from yesterday "$WORK/a"
expect_exit 2 "unknown format name is a usage error" -- "$TL" timeline --format-name zeek_conn "$WORK/a"
contains "$WORK/err" "unknown format 'zeek_conn'; did you mean 'zeek-conn'" "names the value and the near one"
expect_exit 2 "inverted range is a usage error" -- "$TL" timeline --from 2026-11-20 --to 2026-11-19 "$WORK/a"
expect_exit 0 "a filter that matches nothing" -- "$TL" timeline --entity user:nobody "$WORK/a"
contains "$WORK/err" "no events match the filters" "says so on stderr"
"$TL" timeline --entity user:MCHEN --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 56 ] && ok "--entity user:MCHEN finds mchen" || fail "user:MCHEN gave $(wc -l <"$WORK/u")"
"$TL" timeline --entity user:MCHEN --exact --output jsonl "$WORK/a" >"$WORK/u" 2>/dev/null
[ "$(wc -l <"$WORK/u")" -eq 0 ] && ok "--exact is case-sensitive" || fail "--exact gave $(wc -l <"$WORK/u")"
"$TL" timeline --entity ip:203.0.113.0/24 --outcome failure --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 5 ] && ok "CIDR and --outcome" || fail "CIDR/--outcome gave $(wc -l <"$WORK/u")"
"$TL" timeline --entity file:salaries/2026.csv --output jsonl "$WORK/a" >"$WORK/u"
[ "$(wc -l <"$WORK/u")" -eq 1 ] && ok "S3 key is a file entity" || fail "file entity gave $(wc -l <"$WORK/u")"
"$TL" timeline --action getobject --tail 1 --no-header "$WORK/a" >"$WORK/u"
contains "$WORK/u" "^2026-11-19T23:31:12Z +audit +GetObject" "--action any case, --tail"
[ "$(wc -l <"$WORK/u")" -eq 1 ] && ok "--tail 1 is one line" || fail "--tail 1 gave $(wc -l <"$WORK/u")"
"$TL" timeline --reverse --limit 1 --no-header "$WORK/a" >"$WORK/u"
contains "$WORK/u" "^2026-11-19T23:47:30Z +vpn +session-end +ok +mchen" "--reverse --limit: newest first"
expect_exit 0 "--tz" -- "$TL" timeline --tz Asia/Singapore --limit 1 "$WORK/a"
contains "$WORK/out" "^TIME \(Asia/Singapore\)" "header names the zone"
contains "$WORK/out" "^2026-11-19T14:00:02\+08:00 " "local time with its offset"
expect_exit 2 "--tz unknown zone" -- "$TL" timeline --tz America/NewYork "$WORK/a"
contains "$WORK/err" "unknown time zone 'America/NewYork'" "names the zone once"
expect_exit 0 "--around" -- "$TL" timeline --around evidence/network/conn.log:12 --window 3m --no-header "$WORK/a"
[ "$(wc -l <"$WORK/out")" -eq 8 ] && ok "--around --window 3m: every source" || fail "--around gave $(wc -l <"$WORK/out")"
expect_exit 2 "mistyped command" -- "$TL" timline "$WORK/a"
contains "$WORK/err" "Did you mean 'timeline'" "did you mean"

# tl show: the raw bytes of a record inside a .json.gz, re-read and re-hashed
GZ=cloud/111122223333_CloudTrail_us-east-1_20261119T2335Z_Xk3PqL0w.json.gz
expect_exit 0 "tl show PATH:LINE#N" -- "$TL" show "$WORK/a" "$GZ:1#4"
contains "$WORK/out" "^raw record \(689 bytes at offset 2047\):$" "raw record located"
contains "$WORK/out" '^\{"eventVersion":"1.08".*"errorCode":"AccessDenied"' "raw bytes printed"
contains "$WORK/out" "^raw sha256 ok 3de181e4e34b9c66" "raw bytes re-hashed against the stored hash"
contains "$WORK/out" "json.gz:1#3 " "neighbouring records shown"
expect_exit 2 "tl show of no event" -- "$TL" show "$WORK/a" "$GZ:1#9"
SHORT=$("$TL" timeline --no-header --outcome failure --family audit "$WORK/a" | awk '{print $8}')
[ "$SHORT" = "cloud/1111222233...261119T2335Z_Xk3PqL0w.json.gz:1#4" ] && ok "a long evidence path is shortened in the middle" || fail "evidence shown as '$SHORT'"
expect_exit 0 "tl show takes the shortened reference" -- "$TL" show --context 0 "$WORK/a" "$SHORT"
contains "$WORK/out" "^raw sha256 ok 3de181e4e34b9c66" "same record"
"$TL" timeline --wide --no-header --outcome failure --family audit "$WORK/a" >"$WORK/u"
contains "$WORK/u" " cloud/111122223333_CloudTrail_us-east-1_20261119T2335Z_Xk3PqL0w.json.gz:1#4 " "--wide shows the path whole"

# tl rejects: the garbled proxy line
expect_exit 0 "tl rejects" -- "$TL" rejects "$WORK/a"
contains "$WORK/out" "^evidence/proxy/access.log:7: record does not match any pattern of squid-native$" "reject: file, line, reason"
contains "$WORK/out" "garbled line written while the disk was full" "reject: excerpt"
expect_exit 0 "tl rejects --reason" -- "$TL" rejects --reason nothing-like-this "$WORK/a"
[ ! -s "$WORK/out" ] && ok "reason filter" || fail "reason filter printed"

# tl stats
expect_exit 0 "tl stats --by hour,user" -- "$TL" stats --by hour,user "$WORK/a"
contains "$WORK/out" "^2026-11-19T23:00:00Z +mchen +38 +2026-11-19T23:01:02.412000Z" "counts by hour and user"
expect_exit 0 "tl stats csv" -- "$TL" stats --by outcome --output csv "$WORK/a"
contains "$WORK/out" '^"failure",9,' "csv counts"
expect_exit 2 "tl stats bad key" -- "$TL" stats --by weekday "$WORK/a"

# sql is read-only
expect_exit 0 "sql select" -- "$TL" sql "$WORK/a" "SELECT count(*) AS n FROM events"
contains "$WORK/out" "^115$" "sql counts events"
expect_exit 1 "sql refuses writes" -- "$TL" sql "$WORK/a" "DELETE FROM events"
expect_exit 1 "sql refuses ATTACH" -- "$TL" sql "$WORK/a" "ATTACH DATABASE '/tmp/x.db' AS x"
expect_exit 1 "sql refuses two statements" -- "$TL" sql "$WORK/a" "SELECT 1; DELETE FROM events"
"$TL" sql "$WORK/a" "SELECT count(*) FROM events" >"$WORK/n"
contains "$WORK/n" "^115$" "nothing was deleted"
# the demo's committed replay.tl is a regression test: its recorded output hashes
# must come out again, byte for byte (TL_UPDATE_EXPECTED=1 re-records them). The
# steps tell the story: who held the suspect's address, his timeline and, once
# tl has the correlation engine, his attributed timeline, the chain and the graph.
R="$WORK/r"
cp -r "$DEMO" "$R"
rm -rf "$R/case.db"* "$R/out" "$R/expected" "$R/custody.jsonl"
has_command() { "$TL" help | grep -q "^  $1 "; }
if [ "${TL_UPDATE_EXPECTED:-}" = 1 ]; then
	rm -f "$R/replay.tl"
	"$TL" ingest --no-progress "$R" 2>/dev/null
	"$TL" timeline --output jsonl -o timeline.jsonl "$R"
	"$TL" timeline --entity user:mchen --output csv -o mchen.csv "$R"
	"$TL" sql -o per-format.tsv "$R" "SELECT format, count(*) AS events FROM events GROUP BY 1 ORDER BY 1"
	"$TL" sql -o holders-10.20.1.15.tsv "$R" "SELECT user, real_ip, assigned_ip, start, \"end\", ended_by, start_file, start_line, end_file, end_line FROM sessions WHERE assigned_ip = '10.20.1.15' ORDER BY start_us"
	"$TL" tag --note "denied read of HR salaries" "$R" "cloud/111122223333_CloudTrail_us-east-1_20261119T2335Z_Xk3PqL0w.json.gz:1#4" exfil >/dev/null
	"$TL" timeline --save failures --outcome failure "$R" >/dev/null
	"$TL" timeline --saved failures --output jsonl -o failures.jsonl "$R"
	# the suspect's timeline: with the correlation engine it includes the
	# address-only records attributed to him through his VPN session
	"$TL" timeline --entity user:mchen -o mchen.txt "$R"
	if "$TL" timeline -h | grep -q -- --no-attributed; then
		"$TL" timeline --entity user:mchen --no-attributed -o mchen-named.txt "$R"
	fi
	has_command chain && "$TL" chain --entity user:mchen -o mchen-chain.txt "$R"
	has_command graph && "$TL" graph --entity user:mchen --depth 2 --output svg -o mchen-graph.svg "$R"
	cp "$R/replay.tl" "$DEMO/replay.tl"
else
	"$TL" ingest --no-progress "$R" 2>/dev/null
fi
nout=$(grep -c '^#> ' "$DEMO/replay.tl")
expect_exit 0 "tl replay of the demo's replay.tl matches every recorded output" -- "$TL" replay --into "$WORK/r2" "$R"
contains "$WORK/out" "^replay: $nout outputs, $nout match, 0 differ$" "every recorded output ($nout) MATCHes"
[ "$nout" -ge 6 ] && ok "replay.tl records the story's outputs" || fail "replay.tl records only $nout outputs"
contains "$DEMO/replay.tl" "^tl tag --note 'denied read of HR salaries' CASE 'evidence/cloud/[^ ]*json.gz:1#4' exfil$" "replay.tl names the tagged event by location"
contains "$WORK/r2/out/failures.jsonl" '"tags":\[\{"tag":"exfil","note":"denied read of HR salaries"\}\]' "the tag and the saved search survived tl replay"
contains "$WORK/r2/out/mchen.txt" "^2026-11-19T23:26:30.105000Z +edr +create +ok +mchen .*7z.exe\" a -t7z" "the suspect's timeline (a replay output) shows the archive being made"
contains "$WORK/r2/out/holders-10.20.1.15.tsv" "^jdoe	203.0.113.41	10.20.1.15	2026-11-19T08:12:03.000000Z	2026-11-19T12:40:19.000000Z	logged	evidence/vpn/openvpn.log	10	evidence/vpn/openvpn.log	13$" "jdoe held 10.20.1.15 in the morning"
contains "$WORK/r2/out/holders-10.20.1.15.tsv" "^mchen	198.51.100.146	10.20.1.15	2026-11-19T22:58:41.000000Z	2026-11-19T23:47:30.000000Z	logged	evidence/vpn/openvpn.log	31	evidence/vpn/openvpn.log	34$" "mchen held it at night"
if has_command chain; then
	[ -s "$WORK/r2/out/mchen-chain.txt" ] && ok "the chain is a replay output" || fail "no mchen-chain.txt"
else
	fail "tl chain missing from this tl (the demo's chain step)"
fi
if has_command graph; then
	contains "$WORK/r2/out/mchen-graph.svg" "<svg" "the graph is drawn as SVG by tl replay"
else
	fail "tl graph missing from this tl (the demo's graph step)"
fi
finish
