#!/usr/bin/env bash
# Copies of one occurrence (docs/correlation.md#copies), on fixtures/cases/copies:
# a CloudTrail file delivered twice under two names (the second gzipped), the
# same Sysmon events as EVTX and as Winlogbeat JSON, and syslog relayed by
# two collectors. Each copy stays an event with its own evidence; timelines
# show the occurrence once with every copy's evidence.
. "$(dirname "$0")/lib.sh"
CASE_SRC="$SRC/fixtures/cases/copies"
C=$(new_case copies)
cp -r "$CASE_SRC/evidence/." "$C/evidence/"
cp "$CASE_SRC/tl.json" "$C/tl.json"
expect_exit 0 "ingest the copies case" -- "$TL" ingest --no-progress "$C"
q() { "$TL" sql "$1" "$2" | tail -n +2; }
[ "$(q "$C" "SELECT count(*) FROM events")" = 33 ] && ok "every copy is an event of its own (33)" || fail "events: $(q "$C" "SELECT count(*) FROM events")"

# the groups: which evidence lines are copies of one another, and why
"$TL" sql "$C" "SELECT c.basis, group_concat(f.path || ':' || e.line || '@' || e.offset, ' = ') FROM copies c
  JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id
  GROUP BY c.occurrence_id ORDER BY min(e.ts), 2" | sed 's|evidence/||g; s|111122223333_CloudTrail_us-east-1_20261119T2340Z_||g' >"$WORK/got"
cat >"$WORK/want" <<'T'
basis	group_concat(f.path || ':' || e.line || '@' || e.offset, ' = ')
content	syslog/collector-a/messages:1@0 = syslog/collector-b/messages:1@0
content	syslog/collector-a/messages:2@147 = syslog/collector-b/messages:2@142
content	syslog/collector-a/messages:4@377 = syslog/collector-b/messages:3@252
record-id	edr/forwarded/winlogbeat-sysmon.json:1@0 = edr/sysmon.evtx:1@4608
record-id	edr/forwarded/winlogbeat-sysmon.json:2@1911 = edr/sysmon.evtx:2@8204
record-id	cloud/delivery-1/a1.json:1@12 = cloud/delivery-2/a1-redelivered.json.gz:1@12
record-id	cloud/delivery-1/a1.json:1@857 = cloud/delivery-2/a1-redelivered.json.gz:1@857
record-id	cloud/delivery-1/a1.json:1@1691 = cloud/delivery-2/a1-redelivered.json.gz:1@1691
record-id	cloud/delivery-1/a1.json:1@2712 = cloud/delivery-2/a1-redelivered.json.gz:1@2712
record-id	cloud/delivery-1/a1.json:1@3684 = cloud/delivery-2/a1-redelivered.json.gz:1@3684
record-id	cloud/delivery-1/a1.json:1@5244 = cloud/delivery-2/a1-redelivered.json.gz:1@5244
record-id	cloud/delivery-1/a1.json:1@6502 = cloud/delivery-2/a1-redelivered.json.gz:1@6502
record-id	cloud/delivery-1/a1.json:1@8392 = cloud/delivery-2/a1-redelivered.json.gz:1@8392
record-id	cloud/delivery-1/a1.json:1@9862 = cloud/delivery-2/a1-redelivered.json.gz:1@9862
T
same "$WORK/want" "$WORK/got" "14 occurrences with 2 copies each: CloudTrail by eventID, Sysmon by channel+computer+EventRecordID, syslog by content"
[ "$(q "$C" "SELECT count(*) FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id
  WHERE f.path = 'evidence/syslog/collector-a/messages' AND e.line = 3")" = 0 ] &&
	ok "a line repeated in one file is a second occurrence, not a copy" || fail "the repeated line was linked"
[ "$(q "$C" "SELECT count(*) FROM copies c JOIN events e ON e.id = c.event_id WHERE e.seq IN (5123, 5124, 5126)")" = 0 ] &&
	ok "Sysmon records present in one form only stay single" || fail "single Sysmon records linked"

# timelines: one row per occurrence, every copy's evidence
"$TL" timeline --output jsonl "$C" >"$WORK/tl.jsonl"
[ "$(wc -l <"$WORK/tl.jsonl")" = 19 ] && ok "JSONL: 19 occurrences for 33 events" || fail "JSONL rows: $(wc -l <"$WORK/tl.jsonl")"
[ "$(grep -c '"copies":\[' "$WORK/tl.jsonl")" = 14 ] && ok "JSONL: 14 rows carry copies" || fail "rows with copies: $(grep -c '"copies":' "$WORK/tl.jsonl")"
contains "$WORK/tl.jsonl" '"evidence":\{"path":"evidence/edr/forwarded/winlogbeat-sysmon\.json","line":1,.*"copies":\[\{"path":"evidence/edr/forwarded/winlogbeat-sysmon\.json","line":1,"offset":0,"sha256":"945373893c42b2fe285a371fb6d0ec992350cee332daeadefa80ef3a57434d57"\},\{"path":"evidence/edr/sysmon\.evtx","line":1,"offset":4608,"sha256":"[0-9a-f]{64}"\}\],"copies_basis":"record-id"\}$' \
	"JSONL: the occurrence lists each copy's path, line, offset and sha256"
contains "$WORK/tl.jsonl" '"path":"evidence/cloud/delivery-2/111122223333_CloudTrail_us-east-1_20261119T2340Z_a1-redelivered\.json\.gz","line":1,"offset":9862,' \
	"JSONL: the re-delivered file's copy is named"
"$TL" timeline --all-copies --output jsonl "$C" >"$WORK/all.jsonl"
[ "$(wc -l <"$WORK/all.jsonl")" = 33 ] && [ "$(grep -c '"copies":\[' "$WORK/all.jsonl")" = 28 ] &&
	ok "--all-copies: every copy a row (33), each copy with its group" || fail "--all-copies rows: $(wc -l <"$WORK/all.jsonl")"
"$TL" timeline --wide "$C" >"$WORK/tl.txt"
contains "$WORK/tl.txt" 'edr/forwarded/winlogbeat-sysmon\.json:1 .*cmd\.exe /c whoami /all  ×2 \[edr/sysmon\.evtx:1\]$' "text: ×2 and the other copy"
[ "$(grep -c '×2' "$WORK/tl.txt")" = 14 ] && ok "text: 14 occurrences marked" || fail "text markers: $(grep -c '×2' "$WORK/tl.txt")"
"$TL" timeline --output csv "$C" >"$WORK/tl.csv"
contains "$WORK/tl.csv" ',tags,copies,copies_evidence' "CSV: copies columns when the case has copies"
contains "$WORK/tl.csv" '"evidence/syslog/collector-b/messages","4","400","137","[0-9a-f]{64}",,1,,,,.$' "CSV: a single event says 1 copy (then the empty attribution columns)"

# a filter that keeps only one form still shows the occurrence, with all its copies
"$TL" timeline --format-name evtx --output jsonl "$C" >"$WORK/evtx.jsonl"
[ "$(wc -l <"$WORK/evtx.jsonl")" = 4 ] && ok "--format-name evtx: the 4 EVTX events, copies or not" || fail "evtx rows: $(wc -l <"$WORK/evtx.jsonl")"
contains "$WORK/evtx.jsonl" '"evidence":\{"path":"evidence/edr/sysmon\.evtx","line":1,.*"copies":\[\{"path":"evidence/edr/forwarded/winlogbeat-sysmon\.json"' \
	"--format-name evtx: the EVTX row lists the forwarded copy"
# limits count occurrences
[ "$("$TL" timeline --limit 5 --output jsonl "$C" | wc -l)" = 5 ] && ok "--limit 5: five occurrences" || fail "--limit"
"$TL" timeline --tail 3 --output jsonl "$C" >"$WORK/tail"
tail -3 "$WORK/tl.jsonl" | cmp -s - "$WORK/tail" && ok "--tail 3: the last three occurrences" || fail "--tail"
[ "$("$TL" timeline --reverse --output jsonl "$C" | wc -l)" = 19 ] && ok "--reverse: each occurrence once" || fail "--reverse"
for f in timesketch l2tcsv tln; do
	n=$("$TL" timeline --output "$f" "$C" | grep -c '')
	want=19; [ "$f" = l2tcsv ] && want=20
	[ "$n" = "$want" ] && ok "$f: one row per occurrence" || fail "$f rows: $n"
done

# the events digest (tl verify) does not see copies
D1=$(q "$C" "SELECT count(*) FROM copies")
"$TL" manifest "$C" >/dev/null
grep -o '"events_digest": {[^}]*}' "$C/out/manifest.json" >"$WORK/digest1"
expect_exit 0 "tl verify passes on a case with copies" -- "$TL" verify "$C"
B=$(new_case bare)
cp -r "$CASE_SRC/evidence/." "$B/evidence/"
cp "$CASE_SRC/tl.json" "$B/tl.json"
"$TL" ingest --no-progress "$B" >/dev/null 2>&1
sqlite3 "$B/case.db" "DELETE FROM copies"
"$TL" manifest "$B" >/dev/null
grep -o '"events_digest": {[^}]*}' "$B/out/manifest.json" >"$WORK/digest2"
same "$WORK/digest1" "$WORK/digest2" "the events digest is the same with and without copies ($D1 copy rows)"

# incremental: the re-delivery arrives later; only the new file is keyed, against the whole case
I=$(new_case incr)
cp "$CASE_SRC/tl.json" "$I/tl.json"
mkdir -p "$I/evidence/cloud/delivery-1" "$I/evidence/cloud/delivery-2"
cp -r "$CASE_SRC/evidence/cloud/delivery-2/." "$I/evidence/cloud/delivery-2/"
"$TL" ingest --no-progress "$I" >/dev/null 2>&1
[ "$(q "$I" "SELECT count(*) FROM copies")" = 0 ] && ok "one delivery alone: no copies" || fail "copies in one delivery"
cp -r "$CASE_SRC/evidence/." "$I/evidence/"
"$TL" ingest --no-progress "$I" >/dev/null 2>&1
[ "$(q "$I" "SELECT count(*) FROM copies")" = 28 ] && ok "later files linked to earlier ones: 28 copy rows" || fail "incremental copies: $(q "$I" "SELECT count(*) FROM copies")"
"$TL" timeline --output jsonl "$I" | cmp -s - "$WORK/tl.jsonl" &&
	ok "the timeline is byte-identical whatever order the files were ingested in" || fail "timeline depends on ingest order"
# a file cleared by --reparse takes its copy rows along; the groups are mended
before=$(q "$I" "SELECT group_concat(event_id) FROM copies")
"$TL" ingest --no-progress --reparse=evidence/cloud/delivery-1 "$I" >/dev/null 2>&1
[ "$(q "$I" "SELECT group_concat(event_id) FROM copies")" != "$before" ] && ok "--reparse gave the re-parsed copies new event ids" || fail "--reparse did not re-parse"
[ "$(q "$I" "SELECT count(*) FROM copies")" = 28 ] && [ "$(q "$I" "SELECT count(*) FROM copy_dirty")" = 0 ] &&
	[ "$(q "$I" "SELECT count(*) FROM copies c LEFT JOIN events e ON e.id = c.event_id WHERE e.id IS NULL")" = 0 ] &&
	[ "$(q "$I" "SELECT count(*) FROM (SELECT occurrence_id FROM copies GROUP BY 1 HAVING count(*) <> 2 OR sum(event_id = occurrence_id) <> 1)")" = 0 ] &&
	ok "after a re-parse: 28 copy rows, every group whole and headed by one of its copies" ||
	fail "after re-parse: $(q "$I" "SELECT count(*) FROM copies") rows, $(q "$I" "SELECT count(*) FROM copy_dirty") dirty"
"$TL" timeline --output jsonl "$I" | cmp -s - "$WORK/tl.jsonl" && ok "and the same timeline" || fail "timeline changed after re-parse"
# a proxy log delivered three times (plain, gzip, xz): --limit asks the store
# for a capped first page and asks again when the copies used it up
L=$(new_case limits)
awk 'BEGIN { for (i = 0; i < 300; i++) printf "%d.%03d    118 10.20.1.%d TCP_MISS/200 %d GET http://h%d.example.com/ - HIER_DIRECT/10.20.0.30 text/html\n", 1795129262 + i, i % 1000, i % 200 + 1, 1000 + i, i }' >"$L/evidence/access.log"
gzip -c "$L/evidence/access.log" >"$L/evidence/access-relay1.log.gz"
xz -c "$L/evidence/access.log" >"$L/evidence/access-relay2.log.xz"
"$TL" ingest --no-progress "$L" >/dev/null 2>&1
[ "$(q "$L" "SELECT count(*) FROM copies")" = 900 ] && ok "three deliveries of 300 lines: 300 occurrences of 3 copies" ||
	fail "three deliveries: $(q "$L" "SELECT count(*) FROM copies") copy rows"
"$TL" timeline --output jsonl "$L" >"$WORK/l-all"
[ "$(wc -l <"$WORK/l-all")" = 300 ] && ok "300 rows" || fail "rows: $(wc -l <"$WORK/l-all")"
for n in 1 100 250 299 300; do
	"$TL" timeline --limit "$n" --output jsonl "$L" >"$WORK/l-$n"
	head -n "$n" "$WORK/l-all" | cmp -s - "$WORK/l-$n" && ok "--limit $n: the first $n occurrences" || fail "--limit $n"
done
"$TL" timeline --limit 250 --reverse --output jsonl "$L" | tail -1 | grep -q '"url":"http://h50.example.com/"' &&
	ok "--limit with --reverse" || fail "--limit with --reverse"
# re-parsing the file that held every group's first copy: each group gets a new head
"$TL" ingest --no-progress --reparse=evidence/access.log "$L" >/dev/null 2>&1
[ "$(q "$L" "SELECT count(*) || ' ' || count(DISTINCT occurrence_id) || ' ' || sum(event_id = occurrence_id) FROM copies")" = "900 300 300" ] &&
	[ "$(q "$L" "SELECT count(*) FROM copies c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.event_id)")" = 0 ] &&
	ok "the groups that lost their first copy are headed by a copy they still hold" || fail "regroup: $(q "$L" "SELECT count(*), count(DISTINCT occurrence_id) FROM copies")"
"$TL" timeline --output jsonl "$L" | cmp -s - "$WORK/l-all" && ok "and the timeline is unchanged" || fail "timeline changed after regroup"
expect_exit 2 "tl stats has no --all-copies" -- "$TL" stats --all-copies "$C"
finish
