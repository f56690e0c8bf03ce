#!/usr/bin/env bash
# tl ingest --timings: after the usual summary, the CPU and wall seconds of
# each phase (load, index, copies, entities, correlation, other, total) on
# standard error. Without the option nothing changes; with it the case is the
# same (the timings never enter the database, out/, the manifest or replay).
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
mkdir -p "$WORK/ev"
"$WORK/gen" squid 20000 1 >"$WORK/ev/access.log"
"$WORK/gen" zeek-tsv 3000 2 >"$WORK/ev/conn.log"
A=$(new_case a) && cp "$WORK"/ev/* "$A/evidence/"
B=$(new_case b) && cp "$WORK"/ev/* "$B/evidence/"

"$TL" ingest --no-progress "$A" >"$WORK/a.out" 2>"$WORK/a.err"
echo $? >"$WORK/a.rc"
"$TL" ingest --no-progress --timings "$B" >"$WORK/b.out" 2>"$WORK/b.err"
echo $? >"$WORK/b.rc"
same "$WORK/a.rc" "$WORK/b.rc" "the exit status is the same with --timings"
[ ! -s "$WORK/a.out" ] && [ ! -s "$WORK/b.out" ] && ok "nothing on standard output either way" || fail "ingest wrote to stdout"

# without the option: what ingest always said (warnings, the summary last)
tail -1 "$WORK/a.err" | grep -q "^ingested 2 of 2 files .*: 23000 records -> 23000 events" && ok "without --timings: the summary ends stderr" ||
	{ fail "without --timings stderr does not end with the summary"; sed 's/^/    /' "$WORK/a.err"; }
grep -Eq "timings|^  (load|index|copies|entities|correlation|other|total) " "$WORK/a.err" && fail "timings printed without --timings" || ok "no timings without --timings"

# with it: the same lines first (the seconds aside), then a header and one line per phase
secs() { sed -E 's/ in [0-9.]+s$/ in Ts/' "$1"; }
secs "$WORK/a.err" >"$WORK/a.said"
sed '/^timings (/,$d' "$WORK/b.err" | secs /dev/stdin >"$WORK/b.said"
same "$WORK/a.said" "$WORK/b.said" "with --timings the usual messages and summary come first, unchanged"
contains "$WORK/b.err" "^timings \(CPU = user \+ system seconds of every thread; wall = elapsed seconds\):$" "the timings header"
num='[0-9]+\.[0-9]{3}'
phases="load index copies entities correlation other total"
for p in $phases; do
	contains "$WORK/b.err" "^  $p +$num +$num$" "phase $p: CPU and wall seconds"
done
got=$(sed -n '/^  phase /,$p' "$WORK/b.err" | sed 1d | grep '^  ' | awk '{print $1}' | tr '\n' ' ')
[ "$got" = "$phases " ] && ok "phases in the order they run" || fail "phase order: $got"
# then how correlation went (docs/correlation.md#incremental)
[ "$(tail -n 1 "$WORK/b.err")" = "correlation: full" ] && ok "then how correlation went" || fail "last line: $(tail -n 1 "$WORK/b.err")"
# the numbers: loading 23 000 records costs CPU; the phases add up to the total
awk -v lim=0.005 '
	$1 == "load" { load = $2 }
	$1 ~ /^(load|index|copies|entities|correlation|other)$/ { c += $2; w += $3 }
	$1 == "total" { tc = $2; tw = $3 }
	END {
		bad = !(load > 0) || (c - tc > lim || tc - c > lim) || (w - tw > lim || tw - w > lim)
		exit bad
	}' "$WORK/b.err" && ok "load took CPU, and the phases add up to the total" ||
	{ fail "the numbers do not add up"; sed 's/^/    /' "$WORK/b.err"; }

# the case is the same: events, evidence rows, correlation, and the manifest's digest
dump() {
	"$TL" sql "$1" "SELECT * FROM events ORDER BY id"
	"$TL" sql "$1" "SELECT id, path, sha256, format, status, records, events, rejects, meta FROM evidence_files ORDER BY id"
	"$TL" sql "$1" "SELECT count(*) FROM entities"
	"$TL" manifest "$1" >/dev/null 2>&1
	grep -o '"events_digest": {[^}]*}' "$1/out/manifest.json"
}
dump "$A" >"$WORK/a.dump"
dump "$B" >"$WORK/b.dump"
same "$WORK/a.dump" "$WORK/b.dump" "the case ingested with --timings is the same case"
grep -rqi "timings\|wall" "$B/out/manifest.json" && fail "the manifest mentions the timings" || ok "the manifest holds no timings"

# --quiet drops the summary, not the timings asked for
"$TL" ingest --no-progress --quiet --timings "$B" >/dev/null 2>"$WORK/q.err"
grep -q "^ingested" "$WORK/q.err" && fail "--quiet printed the summary" || ok "--quiet: no summary"
contains "$WORK/q.err" "^  correlation +$num +$num$" "--quiet --timings: the timings still"

# replay of a case ingested with --timings: every output matches
"$TL" timeline --output jsonl -o t.jsonl "$B" 2>/dev/null
expect_exit 0 "replay of the case ingested with --timings matches" -- "$TL" replay --into "$WORK/r" "$B"
contains "$WORK/out" "^replay: [0-9]+ outputs, [0-9]+ match, 0 differ$" "every replayed output matches"
grep -q timings "$B/replay.tl" && fail "replay.tl mentions --timings" || ok "replay.tl has no ingest step"

"$TL" ingest --help >"$WORK/help"
contains "$WORK/help" "^  --timings " "--help lists --timings"
finish
