#!/usr/bin/env bash
# The repeated hour at the end of DST is read in the file's own order: a
# firewall in America/New_York printing 01:30, 01:50, 01:10, 01:40 across the
# 2026-11-01 fall-back has moved into the second 01:00-02:00 at 01:10.
# The result must not depend on the writer thread or the machine's TZ.
. "$(dirname "$0")/lib.sh"
C=$(new_case dst)
mkdir -p "$C/evidence/fw"
cat >"$C/formats/acme-fw.json" <<'DEF'
{
  "name": "acme-fw",
  "family": "firewall",
  "version": "0.1.0",
  "title": "ACME firewall (local time, no zone in the text)",
  "parse": { "type": "regex", "patterns": ["^(?<time>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) (?<action>\\S+)$"] },
  "timestamp": { "field": "time", "formats": ["windows"], "zone": "America/New_York" },
  "fields": { "action": "action" },
  "sniff": [ { "regex": "^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\S+$", "score": 60 } ],
  "samples": [ "2026-11-01 01:30:00 a" ]
}
DEF
printf '%s\n' '2026-11-01 01:30:00 a' '2026-11-01 01:50:00 b' '2026-11-01 01:10:00 c' '2026-11-01 01:40:00 d' \
	>"$C/evidence/fw/fw.log"
cp -r "$C" "$WORK/again"

expect_exit 0 "ingest the four lines" -- "$TL" ingest --no-progress "$C"
"$TL" sql "$C" "SELECT action, strftime('%H:%M', ts / 1000000, 'unixepoch'), ts_rule FROM events ORDER BY line" \
	>"$WORK/got"
printf '%s\t%s\t%s\n' action "strftime('%H:%M', ts / 1000000, 'unixepoch')" ts_rule \
	a 05:30 'zone=America/New_York(format);ambiguous' \
	b 05:50 'zone=America/New_York(format);ambiguous' \
	c 06:10 'zone=America/New_York(format);ambiguous;second-by-order' \
	d 06:40 'zone=America/New_York(format);ambiguous;second-by-order' >"$WORK/want"
same "$WORK/want" "$WORK/got" "05:30Z, 05:50Z, 06:10Z, 06:40Z: c and d in the second occurrence"
"$TL" timeline --output jsonl "$C" >"$WORK/t1.jsonl"
contains "$WORK/t1.jsonl" '"ts":"2026-11-01T06:10:00.000000Z","ts_raw":"2026-11-01 01:10:00"' "the timeline shows c at 06:10Z"

expect_exit 0 "ingest again, one thread, another TZ" -- \
	env TZ=Asia/Kolkata "$TL" ingest --no-progress --threads 1 "$WORK/again"
TZ=Pacific/Chatham "$TL" timeline --output jsonl "$WORK/again" >"$WORK/t2.jsonl"
same "$WORK/t1.jsonl" "$WORK/t2.jsonl" "same timeline with --threads 1 and any TZ"
finish
