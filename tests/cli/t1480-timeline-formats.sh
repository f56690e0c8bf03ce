#!/usr/bin/env bash
# Hand-off timeline formats (docs/timeline-formats.md): Timesketch JSONL and
# CSV against Timesketch's documented import fields (message, datetime in ISO
# 8601, timestamp_desc; timestamp in microseconds), plaso's 17-column l2tcsv
# and the 5-field TLN — on messages holding commas, quotes, line breaks and
# pipes. Each checker is first shown a broken row, so a checker that passes
# everything cannot hide a broken output.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 is needed (TEST_PACKAGES in ./run)"; exit 1; }
C=$(new_case formats)
cp -r "$SRC/fixtures/cases/copies/evidence/." "$C/evidence/"
cp "$SRC/fixtures/cases/copies/tl.json" "$C/tl.json"
# an Okta record whose message is hostile to every delimiter
python3 - "$SRC/fixtures/audit/okta-system-log/lines.jsonl" >"$C/evidence/okta.jsonl" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    d = json.loads(line)
    if i == 0:
        d["displayMessage"] = 'reset, by "helpdesk"\nsecond line | with a pipe\r\nthird,line'
    print(json.dumps(d, separators=(",", ":")))
PY
expect_exit 0 "ingest" -- "$TL" ingest --no-progress "$C"
N=$("$TL" sql "$C" "SELECT count(*) FROM events" | tail -1)
# one row per occurrence: 14 of the events are second copies (t1490)
ROWS=$((N - 14))

# ---- Timesketch JSONL: the documented mandatory fields, checked line by line
cat >"$WORK/ts-check.py" <<'PY'
import json, re, sys, datetime
iso = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
bad = 0
n = 0
for no, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    n += 1
    try:
        ev = json.loads(line)
    except ValueError as e:
        print(f"line {no}: not JSON: {e}"); bad += 1; continue
    if not isinstance(ev, dict):
        print(f"line {no}: not an object"); bad += 1; continue
    for k in ("message", "datetime", "timestamp_desc"):
        if not isinstance(ev.get(k), str) or not ev[k].strip():
            print(f"line {no}: {k} missing or empty"); bad += 1
    dt = ev.get("datetime", "")
    if not isinstance(dt, str) or not iso.match(dt):
        print(f"line {no}: datetime {dt!r} is not ISO 8601"); bad += 1
    else:
        t = datetime.datetime.fromisoformat(dt.replace("Z", "+00:00"))
        us = (t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)
        if "timestamp" in ev and ev["timestamp"] != us:
            print(f"line {no}: timestamp {ev['timestamp']} is not datetime {dt} in microseconds"); bad += 1
    for k, v in ev.items():
        if isinstance(v, (dict, list)):
            print(f"line {no}: attribute {k} is nested"); bad += 1
        if k.startswith("_"):
            print(f"line {no}: attribute {k} starts with _ (reserved)"); bad += 1
    for k in ("evidence_path", "evidence_line", "evidence_offset", "evidence_sha256"):
        if k not in ev:
            print(f"line {no}: no {k}"); bad += 1
print(f"{n} lines, {bad} problems")
sys.exit(1 if bad or n == 0 else 0)
PY
printf '%s\n' '{"message":"ok","datetime":"2026-11-19T23:05:41+00:00","timestamp_desc":"x","evidence_path":"p","evidence_line":1,"evidence_offset":0,"evidence_sha256":"h"}' \
	'{"message":"","datetime":"19/11/2026","timestamp_desc":"x"}' >"$WORK/broken.jsonl"
expect_exit 1 "the Timesketch checker refuses an empty message and a non-ISO datetime" -- python3 "$WORK/ts-check.py" "$WORK/broken.jsonl"
"$TL" timeline --output timesketch "$C" >"$WORK/ts.jsonl"
expect_exit 0 "Timesketch JSONL: every line has message, datetime (ISO 8601) and timestamp_desc" -- \
	python3 "$WORK/ts-check.py" "$WORK/ts.jsonl"
[ "$(wc -l <"$WORK/ts.jsonl")" -eq "$ROWS" ] && ok "Timesketch JSONL: one line per occurrence ($ROWS)" ||
	fail "Timesketch JSONL: $(wc -l <"$WORK/ts.jsonl") lines, wanted $ROWS"
contains "$WORK/ts.jsonl" '"datetime":"2026-11-19T23:04:55\.907000\+00:00","timestamp":1795129495907000,"timestamp_desc":"Event Time"' \
	"datetime and timestamp keep the microseconds"
contains "$WORK/ts.jsonl" '"event_message":"reset, by \\"helpdesk\\"\\nsecond line \| with a pipe\\r\\nthird,line from ' \
	"the source's message is an attribute, escaped as JSON"
contains "$WORK/ts.jsonl" '"evidence_path":"evidence/edr/sysmon\.evtx","evidence_line":3,"evidence_offset":[0-9]+,"evidence_length":[0-9]+,"evidence_sha256":"[0-9a-f]{64}"' \
	"each row points back to its evidence"
contains "$WORK/ts.jsonl" '"copies":2,"copies_evidence":"\[\{\\"path\\":\\"evidence/cloud/delivery-1/' "copies as attributes"

# ---- Timesketch CSV: the same, as CSV with a header
cat >"$WORK/csv-check.py" <<'PY'
import csv, sys, json
path, want = sys.argv[1], int(sys.argv[2])
need = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else []
rows = list(csv.reader(open(path, newline="", encoding="utf-8")))
bad = 0
head = rows[0]
for k in need:
    if k not in head:
        print(f"header has no {k}"); bad += 1
for no, r in enumerate(rows, 1):
    if len(r) != want:
        print(f"row {no}: {len(r)} columns, wanted {want}"); bad += 1
    if no > 1:
        for k in need:
            if k in head and head.index(k) < len(r) and not r[head.index(k)].strip():
                print(f"row {no}: {k} empty"); bad += 1
print(f"{len(rows)} rows, {bad} problems")
sys.exit(1 if bad or len(rows) < 2 else 0)
PY
printf 'a,b,c\r\n1,2,3\r\n1,"2,2"\r\n' >"$WORK/broken.csv"
expect_exit 1 "the CSV checker counts a short row" -- python3 "$WORK/csv-check.py" "$WORK/broken.csv" 3
"$TL" timeline --output timesketch-csv "$C" >"$WORK/ts.csv"
cols=$(head -1 "$WORK/ts.csv" | tr ',' '\n' | wc -l)
expect_exit 0 "Timesketch CSV: every row has the header's $cols columns, message/datetime/timestamp_desc set" -- \
	python3 "$WORK/csv-check.py" "$WORK/ts.csv" "$cols" message,datetime,timestamp_desc
contains "$WORK/ts.csv" '^message,datetime,timestamp,timestamp_desc,' "Timesketch CSV header starts with the mandatory fields"

# ---- l2tcsv: 17 columns on every row, one line per row
"$TL" timeline --output l2tcsv "$C" >"$WORK/l2t.csv"
expect_exit 0 "l2tcsv: 17 columns on every row (commas, quotes and line breaks in messages)" -- \
	python3 "$WORK/csv-check.py" "$WORK/l2t.csv" 17
head -1 "$WORK/l2t.csv" | tr -d '\r' >"$WORK/l2t.head"
echo "date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,format,extra" >"$WORK/l2t.want"
same "$WORK/l2t.want" "$WORK/l2t.head" "l2tcsv header is plaso's"
[ "$(wc -l <"$WORK/l2t.csv")" -eq $((ROWS + 1)) ] && ok "l2tcsv: a row is one line (line breaks in values became spaces)" ||
	fail "l2tcsv: $(wc -l <"$WORK/l2t.csv") lines for $ROWS rows"
contains "$WORK/l2t.csv" '^11/19/2026,23:04:55,UTC,\.\.\.\.,EDR,winlogbeat-json,Event Time,mchen,WS-0231\.corp\.example\.com,' \
	"l2tcsv date MM/DD/YYYY, time HH:MM:SS, UTC, source, sourcetype, type, user, host"
contains "$WORK/l2t.csv" '"[^"]*reset, by ""helpdesk"" second line \| with a pipe  third,line[^"]*"' "l2tcsv quotes per RFC 4180"
contains "$WORK/l2t.csv" ',2,evidence/edr/sysmon\.evtx,-,"?line 3 offset [0-9]+ length [0-9]+ sha256 [0-9a-f]{64}' \
	"l2tcsv version 2, filename, and the record's location in notes"

# ---- TLN: 5 fields, seconds
"$TL" timeline --output tln "$C" >"$WORK/tl.tln"
awk -F'|' 'NF != 5 { print NR": "NF" fields"; bad = 1 } END { exit bad }' "$WORK/tl.tln" >"$WORK/tln.bad" &&
	ok "TLN: 5 fields on every line" || { fail "TLN fields"; head "$WORK/tln.bad"; }
printf 'a|b|c|d\n' | awk -F'|' 'NF != 5 { bad = 1 } END { exit bad }' && fail "the TLN check counts fields" || ok "the TLN check counts fields"
[ "$(wc -l <"$WORK/tl.tln")" -eq "$ROWS" ] && ok "TLN: a line per occurrence" || fail "TLN: $(wc -l <"$WORK/tl.tln") lines"
contains "$WORK/tl.tln" '^1795129495\|EDR\|WS-0231\.corp\.example\.com\|mchen\|create \(success\) user=mchen host=WS-0231\.corp\.example\.com: ' \
	"TLN: Unix seconds|source|system|user|description"
contains "$WORK/tl.tln" 'second line ¦ with a pipe' "TLN: a pipe in a value becomes a broken bar"
contains "$WORK/tl.tln" '\[2026-11-19T23:04:55\.907000Z evidence/edr/forwarded/winlogbeat-sysmon\.json:1 ×2\]$' \
	"TLN: the full time and the evidence end the description"

# ---- deterministic, and refused names
"$TL" timeline --output l2tcsv "$C" | cmp -s - "$WORK/l2t.csv" && ok "l2tcsv byte-identical on a second run" || fail "l2tcsv changed between runs"
TZ=Asia/Tokyo LC_ALL=C.UTF-8 "$TL" timeline --output timesketch "$C" | cmp -s - "$WORK/ts.jsonl" &&
	ok "Timesketch JSONL the same under another TZ and locale" || fail "Timesketch JSONL depends on TZ or locale"
expect_exit 2 "an unknown output is a usage error" -- "$TL" timeline --output plaso "$C"
contains "$WORK/err" "'plaso' is not text, csv, jsonl, timesketch, timesketch-csv, l2tcsv or tln" "the error names the formats"
expect_exit 2 "tl stats keeps its three outputs" -- "$TL" stats --output tln "$C"
finish
