#!/usr/bin/env bash
# Copies are keyed by time range (docs/correlation.md#when-files-are-keyed):
# a file is keyed only where the span of another file of its family meets
# its own (widened by 2 s), and a later file that reaches further into it
# keys the rest then. The result must be the one of keying every file whole:
# each ingest history below is run lazily and with TL_COPIES_KEY_ALL=1, and
# the copies rows (event ids, occurrence ids, basis) and the timelines
# compared; the groups and timelines (binding ids aside) must also be those
# of one ingest of every file. The files: two rotated proxy logs that touch
# (the second starts 1 s after the first ends), a relay across the rotation,
# files out of time order, a file that overlaps part of another, several
# files at once, equal records at the border, and a re-parse.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
E="$WORK/ev"
mkdir -p "$E/proxy/relay"
# gen's lines are 5 ms apart: stretched 30 times, 2000 lines span 300 s
stretch() { awk -v k=30 -v shift="$1" '{ i = index($0, " "); t = substr($0, 1, i - 1); if (NR == 1) t0 = t
	printf "%.3f%s\n", t0 + (t - t0) * k + shift, substr($0, i) }'; }
"$WORK/gen" squid 2000 11 | stretch 0 >"$WORK/a0"
# equal records at both ends of a.log: its first line twice, its last three times
{ head -1 "$WORK/a0"; cat "$WORK/a0"; tail -1 "$WORK/a0"; tail -1 "$WORK/a0"; } >"$E/proxy/a.log"
a_first=$(head -1 "$E/proxy/a.log" | cut -d' ' -f1)
a_last=$(tail -1 "$E/proxy/a.log" | cut -d' ' -f1)
# b.log: the next rotation, from 1 s after a.log's last record; its first
# record twice, and a block in the middle out of time order
"$WORK/gen" squid 2000 12 | stretch 0 >"$WORK/b0"
b_shift=$(awk -v a="$a_last" -v b="$(head -1 "$WORK/b0" | cut -d' ' -f1)" 'BEGIN { printf "%.3f", a + 1 - b }')
stretch_b() { awk -v s="$b_shift" '{ i = index($0, " "); printf "%.3f%s\n", substr($0, 1, i - 1) + s, substr($0, i) }'; }
stretch_b <"$WORK/b0" >"$WORK/b1"
{ head -1 "$WORK/b1"; sed -n 1,900p "$WORK/b1"; sed -n 901,1100p "$WORK/b1" | tac; sed -n 1101,2000p "$WORK/b1"; } >"$E/proxy/b.log"
# a relay of the rotation: a.log's last 20 records (two of the three equal
# ones) and b.log's first 20 (one of the two equal ones), gzipped
{ sed -n 1983,2002p "$E/proxy/a.log"; sed -n 2,21p "$E/proxy/b.log"; } | gzip -c >"$E/proxy/relay/ab.log.gz"
# x.log: copies of b.log's middle, out of time order there
sed -n 950,1000p "$E/proxy/b.log" >"$E/proxy/x.log"
# u.log: a.log's records 600-620 backwards
sed -n 600,620p "$E/proxy/a.log" | tac >"$E/proxy/u.log"
# c.log: another proxy from a third of a.log into b.log, with copies of
# a.log's records appended out of order; d.log a third proxy after both
"$WORK/gen" squid 1500 13 | stretch "$(awk -v a="$a_first" 'BEGIN { printf "%.3f", a + 100 - 1795046400 }')" >"$E/proxy/c.log"
sed -n 1700,1710p "$E/proxy/a.log" >>"$E/proxy/c.log"
"$WORK/gen" squid 300 14 | stretch "$(awk -v a="$a_last" 'BEGIN { printf "%.3f", a + 900 - 1795046400 }')" >"$E/proxy/d.log"
q() { "$TL" sql "$1" "$2" | tail -n +2; }
# the keys of one file, and how its keyed ranges stand (no, part, whole)
keys() { q "$1" "SELECT count(*) FROM copy_keys k JOIN events e ON e.id = k.event_id JOIN evidence_files f ON f.id = e.file_id WHERE f.path = 'evidence/proxy/$2'"; }
ranges() { q "$1" "SELECT CASE WHEN count(*) = 0 THEN 'no' WHEN min(ts_from) = -9223372036854775808 THEN 'whole' ELSE 'part' END
  FROM copy_ranges r JOIN evidence_files f ON f.id = r.file_id WHERE f.path = 'evidence/proxy/$2'"; }

# run NAME MODE STEP...: a case ingesting each STEP (space-separated paths
# under evidence/proxy/, "reparse:PATH" to re-parse one) in turn; MODE lazy
# or all. After each step: the keys of a.log and b.log and their ranges.
# The case is $WORK/NAME (new_case); run in this shell, so failures count.
run() {
	local name=$1 mode=$2 c
	shift 2
	c=$(new_case "$name")
	[ "$c" = "$WORK/$name" ] || fail "$name: the case is not at $WORK/$name"
	: >"$WORK/keyed.$name"
	for step in "$@"; do
		local args=()
		case $step in
		reparse:*) args=(--reparse="evidence/proxy/${step#reparse:}") ;;
		*) for p in $step; do mkdir -p "$c/evidence/proxy/$(dirname "$p")"; cp "$E/proxy/$p" "$c/evidence/proxy/$p"; done ;;
		esac
		if [ "$mode" = all ]; then
			TL_COPIES_KEY_ALL=1 "$TL" ingest --no-progress "${args[@]}" "$c" >/dev/null 2>"$WORK/err.$name" || fail "$name: ingest $step"
		else
			"$TL" ingest --no-progress "${args[@]}" "$c" >/dev/null 2>"$WORK/err.$name" || fail "$name: ingest $step"
		fi
		echo "$(keys "$c" a.log)/$(ranges "$c" a.log) $(keys "$c" b.log)/$(ranges "$c" b.log)" >>"$WORK/keyed.$name"
	done
	q "$c" "SELECT event_id, occurrence_id, basis FROM copies ORDER BY event_id" >"$WORK/copies.$name"
	"$TL" timeline --all-copies --output jsonl "$c" >"$WORK/all.$name"
	"$TL" timeline --output jsonl "$c" >"$WORK/tl.$name"
	"$TL" sql "$c" "SELECT basis, group_concat(m, ' = ') FROM (SELECT c.occurrence_id AS o, c.basis, f.path || ':' || e.line AS m
	  FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id ORDER BY o, m) GROUP BY o ORDER BY 2" >"$WORK/g.$name"
	sed -E 's/"binding":\{"id":[0-9]+/"binding":{"id":N/g' "$WORK/tl.$name" >"$WORK/tl.$name.noid"
}

# compare NAME: the lazy case and the one keying every file agree, and both
# hold the groups and timeline of one ingest
compare() {
	run "$1-all" all "${@:2}"
	same "$WORK/copies.$1-all" "$WORK/copies.$1" "$1: copies rows (event, occurrence, basis) as when keying every file"
	same "$WORK/all.$1-all" "$WORK/all.$1" "$1: timeline --all-copies as when keying every file"
	same "$WORK/tl.$1-all" "$WORK/tl.$1" "$1: timeline as when keying every file"
	same "$WORK/g.once" "$WORK/g.$1" "$1: the groups of one ingest"
	same "$WORK/tl.once.noid" "$WORK/tl.$1.noid" "$1: the timeline of one ingest (binding ids aside)"
}

FILES="a.log b.log relay/ab.log.gz x.log u.log c.log d.log"
run once lazy "$FILES"
C=$WORK/once
run once-all all "$FILES"
same "$WORK/copies.once-all" "$WORK/copies.once" "once: copies rows as when keying every file"
same "$WORK/tl.once-all" "$WORK/tl.once" "once: timeline as when keying every file"
# 40 records of the relay, 51 of x.log, 21 of u.log, 11 appended to c.log
# have their copy: 123 pairs, 246 rows
[ "$(wc -l <"$WORK/copies.once")" = 246 ] && ok "once: 246 copy rows (relay 40, x 51, u 21, c 11 pairs)" ||
	fail "once: $(wc -l <"$WORK/copies.once") copy rows"
# the k-th of equal records pairs with the k-th: a.log's three equal last
# records, two in the relay; b.log's two equal first, one in the relay
[ "$(q "$C" "SELECT count(*) FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id WHERE f.path = 'evidence/proxy/a.log' AND e.line >= 2001")" = 2 ] &&
	ok "two of a.log's three equal last records are copies" || fail "a.log's equal last records"
[ "$(q "$C" "SELECT group_concat(e.line) FROM copies c JOIN events e ON e.id = c.event_id JOIN evidence_files f ON f.id = e.file_id WHERE f.path = 'evidence/proxy/b.log' AND e.line <= 2")" = 1 ] &&
	ok "the first of b.log's two equal first records is the copy" || fail "b.log's equal first records"
[ "$(ranges "$C" d.log)" = no ] && [ "$(keys "$C" d.log)" = 0 ] && ok "once: d.log, meeting no file, has no keys" ||
	fail "once: d.log keyed: $(keys "$C" d.log)"

# 1. one file at a time, as logs rotate, then a re-parse
STEPS=(a.log b.log relay/ab.log.gz x.log u.log c.log d.log reparse:b.log)
run steps lazy "${STEPS[@]}"
compare steps "${STEPS[@]}"
# a.log: nothing alone; the touching b.log keys its last second (1 s
# between them, 2 s of tolerance) and b.log its first; x.log another part of
# b.log; u.log 3 s of a.log's first third; c.log covers a.log from a third
# of it on, so that is keyed (more than half: read whole, the rest skipped)
mapfile -t K <"$WORK/keyed.steps"
[ "${K[0]}" = "0/no 0/no" ] && ok "steps: a.log alone is not keyed" || fail "steps: a.log alone: ${K[0]}"
a2=${K[1]%%/*} b2=${K[1]#* }
b2=${b2%%/*}
[ "$a2" -gt 0 ] && [ "$a2" -lt 100 ] && [ "$b2" -gt 0 ] && [ "$b2" -lt 100 ] && [ "${K[1]}" = "$a2/part $b2/part" ] &&
	ok "steps: the touching b.log keys a.log's last second only ($a2 of 2003 records) and its own first ($b2)" ||
	fail "steps: after b.log: ${K[1]}"
a3=${K[2]%%/*}
[ "$a3" -gt "$a2" ] && [ "$a3" -lt 100 ] && [ "${K[2]#*/}" = "part ${K[2]#* }" ] && ok "steps: the relay across the rotation keys the 3 s of each it spans, and 2 s more ($a3 keys of a.log)" ||
	fail "steps: after the relay: ${K[2]}"
b4=${K[3]#* }
b4=${b4%%/*}
[ "$b4" -gt "$b2" ] && [ "$b4" -lt 200 ] && ok "steps: x.log keys the middle of b.log it meets ($b4 keys in all)" ||
	fail "steps: after x.log: ${K[3]}"
a5=${K[4]%%/*} a6=${K[5]%%/*}
[ "$a5" -gt "$a2" ] && [ "$a5" -lt 100 ] && ok "steps: u.log, out of time order, keys the 3 s of a.log it meets ($a5 keys in all)" ||
	fail "steps: after u.log: ${K[4]}"
[ "$a6" -gt 1000 ] && [ "$a6" -lt 2003 ] && ok "steps: c.log keys a.log from where it starts on ($a6 keys)" || fail "steps: after c.log: ${K[5]}"
[ "${K[6]}" = "${K[5]}" ] && ok "steps: d.log keys nothing" || fail "steps: after d.log: ${K[6]}"
b8=${K[7]#* }
[ "${K[7]%% *}" = "${K[6]%% *}" ] && [ "${b8#*/}" != no ] && ok "steps: the re-parsed b.log is keyed again where others meet it (${b8})" ||
	fail "steps: after the re-parse: ${K[7]}"

# 2. the other way round: the old files are the later ones in time
REV=(d.log c.log u.log x.log relay/ab.log.gz b.log a.log reparse:a.log)
run reverse lazy "${REV[@]}"
compare reverse "${REV[@]}"

# 3. several files in one ingest, and a file overlapping all of another
PAIRS=("a.log u.log" "b.log x.log" "c.log d.log relay/ab.log.gz")
run pairs lazy "${PAIRS[@]}"
compare pairs "${PAIRS[@]}"

# 4. a case from schema 13, whose keyed files were keyed whole: it goes on
# as if keyed by ranges from the start
run mig all "a.log b.log"
M=$WORK/mig
run mig-all all "a.log b.log" relay/ab.log.gz c.log
if command -v sqlite3 >/dev/null; then
	sqlite3 "$M/case.db" "DELETE FROM copy_files WHERE file_id NOT IN (SELECT file_id FROM copy_ranges); DROP TRIGGER copy_ranges_file_cleared; DROP TABLE copy_ranges; PRAGMA user_version = 13;" ||
		fail "cannot make a schema 13 case"
	for p in relay/ab.log.gz c.log; do mkdir -p "$M/evidence/proxy/relay"; cp "$E/proxy/$p" "$M/evidence/proxy/$p"; "$TL" ingest --no-progress "$M" >/dev/null 2>&1 || fail "mig: ingest $p"; done
	[ "$(q "$M" "PRAGMA user_version")" = 14 ] && ok "mig: migrated to 14" || fail "mig: user_version $(q "$M" "PRAGMA user_version")"
	q "$M" "SELECT event_id, occurrence_id, basis FROM copies ORDER BY event_id" >"$WORK/copies.mig"
	same "$WORK/copies.mig-all" "$WORK/copies.mig" "mig: copies rows as when keying every file"
fi
finish
