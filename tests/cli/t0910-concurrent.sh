#!/usr/bin/env bash
# Two tl processes on one case: while an ingest runs, read-only commands work
# (they see what is committed), and a second ingest says at once that the case
# is busy. Nothing is corrupted.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
C=$(new_case busy)
"$WORK/gen" squid 60000 >"$C/evidence/proxy.log"
q() { "$TL" sql "$C" "$1" | tail -n +2; }

"$TL" ingest --no-progress --commit-every 2000 "$C" >"$WORK/first.out" 2>&1 &
pid=$!
for _ in $(seq 1 1500); do
	[ "$(sqlite3 "$C/case.db" "SELECT count(*) FROM evidence_files WHERE status='ingesting'" 2>/dev/null)" = 1 ] && break
	sleep 0.01
done
# freeze it there, holding its lock and an open write transaction, so that the
# checks below run while it is busy however fast this machine is
kill -STOP "$pid" 2>/dev/null && ok "the first ingest is running (a file is 'ingesting')" || fail "the first ingest ended too soon"
expect_exit 1 "a second ingest while the first runs is refused" -- "$TL" ingest --no-progress --commit-every 2000 "$C"
contains "$WORK/err" "case is busy \(another tl ingest is running" "it says the case is busy"
expect_exit 0 "tl timeline works during the ingest" -- "$TL" timeline --output jsonl "$C"
n=$(wc -l <"$WORK/out")
[ "$n" -lt 60000 ] && ok "timeline shows the committed events ($n so far)" || fail "timeline shows $n events"
expect_exit 0 "tl sources works during the ingest" -- "$TL" sources "$C"
contains "$WORK/out" "unfinished: [0-9]+ events" "tl sources says the file is unfinished"
kill -CONT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 0 ] && ok "the first ingest finishes normally" || { fail "first ingest exit $rc"; sed 's/^/    /' "$WORK/first.out"; }
[ "$(q "SELECT count(*) FROM events")" = 60000 ] && ok "every event stored once" || fail "events: $(q "SELECT count(*) FROM events")"
[ "$(sqlite3 "$C/case.db" "PRAGMA integrity_check")" = ok ] && ok "integrity_check ok" || fail "integrity_check"
expect_exit 0 "once it is done, ingest runs again (nothing to do)" -- "$TL" ingest --no-progress --commit-every 2000 "$C"
contains "$WORK/err" "unchanged since it was ingested" "and finds the file done"
expect_exit 0 "tl sources: counts add up" -- "$TL" sources "$C"
finish
