#!/usr/bin/env bash
# Copies are keyed only where they can exist (docs/correlation.md#copies): a
# file is keyed when two of its own records may be copies (a record identity:
# CloudTrail, Windows...) or when another file of a family it holds meets its
# time span within 2 s, and an unkeyed file is keyed by the ingest that brings
# such a file. The result must be the one of keying every file: each ingest
# order below is run twice, lazily and with TL_COPIES_KEY_ALL=1, and the
# copies rows (event ids, occurrence ids, basis) and the timelines compared.
. "$(dirname "$0")/lib.sh"
FX="$SRC/fixtures/cases/copies"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
E="$WORK/ev"
mkdir -p "$E/proxy/relay" "$E/flow" "$E/edr-dup"
cp -r "$FX/evidence/." "$E/"
# two Squid files on different days (no copies), a relay of part of the first
# (copies), and Zeek conn records on the first day (another family)
"$WORK/gen" squid 300 3 >"$E/proxy/day1.log"
awk '{ i = index($0, " "); printf "%.3f%s\n", substr($0, 1, i - 1) + 172800, substr($0, i) }' "$E/proxy/day1.log" >"$E/proxy/day3.log"
sed -n '101,200p' "$E/proxy/day1.log" | gzip -c >"$E/proxy/relay/day1-part.log.gz"
"$WORK/gen" zeek-json 200 4 >"$E/flow/conn.log"
# one forwarded file that repeats a record of its own (at-least-once delivery)
{ cat "$E/edr/forwarded/winlogbeat-sysmon.json"; head -1 "$E/edr/forwarded/winlogbeat-sysmon.json"; } >"$E/edr-dup/winlogbeat-again.json"
q() { "$TL" sql "$1" "$2" | tail -n +2; }

# run NAME MODE STEP...: a case ingesting each STEP (space-separated paths
# under evidence/, "reparse:PATH" to re-parse one) in turn; MODE lazy or all
run() {
	local name=$1 mode=$2 c
	shift 2
	c=$(new_case "$name")
	cp "$FX/tl.json" "$c/tl.json"
	for step in "$@"; do
		local args=()
		case $step in
		reparse:*) args=(--reparse="evidence/${step#reparse:}") ;;
		*) for p in $step; do mkdir -p "$c/evidence/$(dirname "$p")"; cp -r "$E/$p" "$c/evidence/$p"; done ;;
		esac
		if [ "$mode" = all ]; then
			TL_COPIES_KEY_ALL=1 "$TL" ingest --no-progress "${args[@]}" "$c" >/dev/null 2>"$WORK/err.$name" || fail "$name: ingest $step"
		else
			"$TL" ingest --no-progress "${args[@]}" "$c" >/dev/null 2>"$WORK/err.$name" || fail "$name: ingest $step"
		fi
		q "$c" "SELECT count(DISTINCT file_id) FROM copy_ranges" >>"$WORK/keyed.$name"
	done
	q "$c" "SELECT event_id, occurrence_id, basis FROM copies ORDER BY event_id" >"$WORK/copies.$name"
	"$TL" timeline --all-copies --output jsonl "$c" >"$WORK/all.$name"
	"$TL" timeline --output jsonl "$c" >"$WORK/tl.$name"
	echo "$c"
}

# compare NAME: the lazy case and the one keying every file agree
compare() {
	same "$WORK/copies.$1-all" "$WORK/copies.$1" "$1: copies rows (event, occurrence, basis) as when keying every file"
	same "$WORK/all.$1-all" "$WORK/all.$1" "$1: timeline --all-copies as when keying every file"
	same "$WORK/tl.$1-all" "$WORK/tl.$1" "$1: timeline as when keying every file"
}

ALL="cloud edr syslog proxy flow edr-dup"
# 1. everything in one ingest
C=$(run once lazy "$ALL")
run once-all all "$ALL" >/dev/null
compare once
[ "$(wc -l <"$WORK/copies.once")" = 233 ] && ok "once: 233 copy rows (syslog 6, CloudTrail 18, Windows 9, Squid relay 200)" || fail "once: $(wc -l <"$WORK/copies.once") copy rows"
"$TL" sql "$C" "SELECT f.path, s.self, (SELECT CASE WHEN count(*) = 0 THEN 'no' WHEN min(ts_from) = -9223372036854775808 THEN 'whole'
  ELSE 'part' END FROM copy_ranges r WHERE r.file_id = f.id) AS keyed FROM evidence_files f JOIN copy_scope s ON s.file_id = f.id ORDER BY f.path" | sed 's|evidence/||; s|111122223333_CloudTrail_us-east-1_20261119T2340Z_||' >"$WORK/got"
cat >"$WORK/want" <<'T'
path	self	keyed
cloud/delivery-1/a1.json	1	whole
cloud/delivery-2/a1-redelivered.json.gz	1	whole
edr-dup/winlogbeat-again.json	1	whole
edr/forwarded/winlogbeat-sysmon.json	1	whole
edr/sysmon.evtx	1	whole
flow/conn.log	0	no
proxy/day1.log	0	whole
proxy/day3.log	0	no
proxy/relay/day1-part.log.gz	0	whole
syslog/collector-a/messages	0	whole
syslog/collector-b/messages	0	whole
T
same "$WORK/want" "$WORK/got" "record-identity files are keyed; Squid and syslog only where another file of their family meets them; Zeek conn on the same day and Squid two days later are not"
[ "$(q "$C" "SELECT count(*) FROM copy_keys k JOIN events e ON e.id = k.event_id JOIN evidence_files f ON f.id = e.file_id WHERE f.path LIKE '%day3.log' OR f.path LIKE '%conn.log'")" = 0 ] &&
	ok "no keys for the files left unkeyed" || fail "keys stored for unkeyed files"
[ "$(q "$C" "SELECT count(*) FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id WHERE f.path LIKE '%winlogbeat-again.json' GROUP BY e.seq ORDER BY 1 DESC LIMIT 1")" = 2 ] &&
	ok "a record repeated in one forwarded file is two copies" || fail "the repeated Windows record"
[ "$(q "$C" "SELECT count(*) FROM evidence_files f WHERE events > 0 AND (first_ts <> (SELECT min(ts) FROM events WHERE file_id = f.id) OR last_ts <> (SELECT max(ts) FROM events WHERE file_id = f.id))")" = 0 ] &&
	ok "every file's span (first_ts, last_ts) is its events' span" || fail "file spans differ from their events'"

# 2. one file at a time: a file left unkeyed is keyed when a file meeting it comes
STEPS=(proxy/day1.log proxy/day3.log flow syslog/collector-a proxy/relay cloud/delivery-2 "syslog/collector-b edr" edr-dup cloud/delivery-1 reparse:proxy/day1.log)
run steps lazy "${STEPS[@]}" >/dev/null
run steps-all all "${STEPS[@]}" >/dev/null
compare steps
[ "$(tr '\n' ' ' <"$WORK/keyed.steps")" = "0 0 0 0 2 3 7 8 9 9 " ] &&
	ok "steps: files keyed after each ingest: 0 0 0 0 2 3 7 8 9 9 (day1 when its relay came, collector-a when collector-b came)" ||
	fail "steps: files keyed after each ingest: $(tr '\n' ' ' <"$WORK/keyed.steps")"

# 3. the other way round
REV=()
for ((i = ${#STEPS[@]} - 2; i >= 0; i--)); do REV+=("${STEPS[i]}"); done
REV+=(reparse:syslog/collector-a/messages)
run reverse lazy "${REV[@]}" >/dev/null
run reverse-all all "${REV[@]}" >/dev/null
compare reverse

# the groups and timelines do not depend on the order either
canon() { "$TL" sql "$1" "SELECT basis, group_concat(m, ' = ') FROM (SELECT c.occurrence_id AS o, c.basis, f.path || ':' || e.line || '@' || e.offset AS m
  FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id ORDER BY o, m) GROUP BY o ORDER BY 2"; }
canon "$C" >"$WORK/g.once"
canon "$WORK/steps" >"$WORK/g.steps"
canon "$WORK/reverse" >"$WORK/g.reverse"
same "$WORK/g.once" "$WORK/g.steps" "one file at a time: the same groups as in one ingest"
same "$WORK/g.once" "$WORK/g.reverse" "in reverse order: the same groups"
# binding ids are stable, so they follow the order bindings were first found
# in (docs/correlation.md#stable-binding-ids): the timelines compared without them
for t in once steps reverse; do sed -E 's/"binding":\{"id":[0-9]+/"binding":{"id":N/g' "$WORK/tl.$t" >"$WORK/tl.$t.noid"; done
same "$WORK/tl.once.noid" "$WORK/tl.steps.noid" "one file at a time: the same timeline (binding ids aside)"
same "$WORK/tl.once.noid" "$WORK/tl.reverse.noid" "in reverse order: the same timeline (binding ids aside)"
finish
