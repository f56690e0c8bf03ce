#!/usr/bin/env bash
# tl chain's JSONL (one object per step, evidence a reviewer can check against
# the raw bytes), Markdown, -o into out/ as a replay step, and output that does
# not depend on TZ, locale or run.
. "$(dirname "$0")/lib.sh"
C=$(chain_case c)

expect_exit 0 "tl chain --output jsonl" -- "$TL" chain --entity user:mchen --output jsonl "$C"
cp "$WORK/out" "$WORK/chain.jsonl"
n=$(wc -l <"$WORK/chain.jsonl")
[ "$n" = 19 ] && ok "one line per step (14 + 5)" || fail "one line per step: $n lines"
contains "$WORK/chain.jsonl" '^\{"chain":1,"step":1,"chain_steps":14,"ts":"2026-11-19T23:30:02.120447Z","pivot":true,"source":"Security 4624","summary":"WS-0142.corp.example.com: mchen logged on \(session 0x5a3c1f\) from 127.0.0.1","from_step":null,"link":null,"reason":null,"links":\[\],"event":\{"family":"edr","format":"windows-event-xml","class":"authentication","action":"logon","user":"mchen","host":"WS-0142.corp.example.com"\},"evidence":\{"path":"evidence/edr/sysmon-ws0142.xml","line":1,"offset":0,"length":1378,"sha256":"[0-9a-f]{64}","record":88213\}\}$' "the first step: no link, its evidence"
contains "$WORK/chain.jsonl" '"chain":1,"step":13,.*"from_step":12,"link":"resolved","reason":"10.20.1.42 looked up transfer.sh in step 12, 1s before","links":\[\{"from_step":12,"link":"resolved",[^]]*\},\{"from_step":11,"link":"uploaded","reason":"same address 10.20.1.42 as step 11, 1m 50s later; the URL names q4.7z"\}\]' "the upload: primary link (latest cause) and every link"
if command -v python3 >/dev/null; then
	# every step's evidence re-read from the raw file: the bytes hash to its sha256
	python3 - "$C" "$WORK/chain.jsonl" >"$WORK/check" 2>&1 <<'PY'
import hashlib, json, sys
case, path = sys.argv[1], sys.argv[2]
bad = 0
for line in open(path):
    o = json.loads(line)
    e = o["evidence"]
    with open(case + "/" + e["path"], "rb") as f:
        f.seek(e["offset"]); raw = f.read(e["length"])
    if hashlib.sha256(raw).hexdigest() != e["sha256"]:
        bad += 1; print("mismatch", o["chain"], o["step"], e)
    lineno = open(case + "/" + e["path"], "rb").read()[:e["offset"]].count(b"\n") + 1
    if lineno != e["line"]:
        bad += 1; print("line", o["chain"], o["step"], lineno, e["line"])
    for l in o["links"]:
        if not (1 <= l["from_step"] < o["step"]): bad += 1; print("link to a later step", o)
print("bad", bad)
PY
	contains "$WORK/check" "^bad 0$" "every step's evidence (path, offset, length) hashes to its sha256 and sits on its line; links point to earlier steps"
fi

expect_exit 0 "tl chain --output md" -- "$TL" chain --entity file:q4.7z --output md "$C"
contains "$WORK/out" "^# Chains from file:q4.7z$" "a Markdown title"
contains "$WORK/out" "^## Chain 1: 11 steps, 2026-11-19 23:30:02.120 to 23:44:00.118 UTC$" "a section per chain"
contains "$WORK/out" "^\| Step \| Time \(UTC\) \| What happened \| Evidence \(file:line\) \| Why it follows \|$" "a table with the evidence and the reason"
contains "$WORK/out" '^\| 11 \| 2026-11-19 23:44:00.118 \| mchen PUT http://transfer.sh/q4.7z from 10.20.1.42, status 200 \| evidence/proxy/access.log:3 \(squid-native\) \| same address 10.20.1.42 as step 10, 1m 50s later; the URL names q4.7z \|$' "the upload's row"
contains "$WORK/out" '^\| 5 \| .* \| a cause of step 6 \(see there\) \|$' "a step found as a cause points to its effect"
contains "$WORK/out" 'C:\\\\Users\\\\mchen\\\\Desktop\\\\q4.7z' "backslashes escaped for Markdown"
sha=$("$TL" sql "$C" "SELECT e.raw_sha256 FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE f.path = 'evidence/proxy/access.log' AND e.line = 3" | tail -1)
contains "$WORK/out" "^- step 11: evidence/proxy/access.log bytes [0-9]+-[0-9]+, SHA-256 $sha$" "each record's SHA-256 listed for the reviewer"

# -o: into out/, recorded in custody and replay.tl
expect_exit 0 "tl chain -o" -- "$TL" chain --entity file:q4.7z --output jsonl -o chains/q4.jsonl "$C"
[ -s "$C/out/chains/q4.jsonl" ] && ok "written to CASE/out/chains/q4.jsonl" || fail "written to CASE/out/chains/q4.jsonl"
[ ! -s "$WORK/out" ] && ok "nothing on stdout with -o" || fail "nothing on stdout with -o"
contains "$C/replay.tl" "^tl chain --entity file:q4.7z --output jsonl -o chains/q4.jsonl CASE$" "a replay step"
contains "$C/replay.tl" "^#> out/chains/q4.jsonl $(sha256sum <"$C/out/chains/q4.jsonl" | cut -c1-64)$" "with the output's SHA-256"
tail -1 "$C/custody.jsonl" >"$WORK/last"
contains "$WORK/last" '"chain"' "a custody entry for tl chain"
expect_exit 0 "tl replay reruns the chain step" -- "$TL" replay --into "$WORK/again" "$C"
contains "$WORK/out" "^  MATCH  out/chains/q4.jsonl " "the rebuilt case gives the same chains byte for byte"

# deterministic: byte-identical across runs, TZ and locale
for f in text jsonl md; do
	"$TL" chain --entity user:mchen --output $f "$C" >"$WORK/a.$f"
	TZ=Asia/Kolkata LC_ALL=de_DE.UTF-8 "$TL" chain --entity user:mchen --output $f "$C" >"$WORK/b.$f" 2>/dev/null
	same "$WORK/a.$f" "$WORK/b.$f" "$f output is the same under another TZ and locale"
done
# and whatever order the files were ingested in
D="$WORK/d"
mkdir -p "$D"
"$TL" init "$D" >/dev/null
for f in hids/audit.log proxy/access.log network/conn.log dns/query.log edr/sysmon-ws0142.xml dlp/symantec-dlp.log; do
	mkdir -p "$D/evidence/$(dirname $f)"
	cp "$SRC/fixtures/cases/chain/evidence/$f" "$D/evidence/$f"
	"$TL" ingest --no-progress "$D" >/dev/null 2>&1
done
"$TL" chain --entity user:mchen --output jsonl "$D" >"$WORK/c.jsonl"
same "$WORK/a.jsonl" "$WORK/c.jsonl" "the same chains when files arrive one by one in another order"
finish
