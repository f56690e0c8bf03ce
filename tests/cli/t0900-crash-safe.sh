#!/usr/bin/env bash
# Crash-safe ingest: a `tl ingest` killed with SIGKILL at any moment leaves a
# consistent database that read-only commands can use; re-running ingest
# finishes the job with exactly the result of an uninterrupted run (same
# events, same digest, nothing duplicated).
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
mkdir -p "$WORK/ev"
"$WORK/gen" squid 24000 >"$WORK/ev/a-proxy.log"
"$WORK/gen" zeek-json 8000 7 >"$WORK/ev/b-conn.log"
# commit every 2000 rows (instead of 200 000) so that small files are committed part-way

digest() { # digest CASE -> "EVENTS SHA256" of the events digest in tl manifest
	"$TL" manifest "$1" >/dev/null 2>&1
	grep -o '"events_digest": {[^}]*}' "$1/out/manifest.json" | grep -o '"events": [0-9]*, "sha256": "[0-9a-f]*"'
}
q() { "$TL" sql "$1" "$2" | tail -n +2; }
fresh() { # fresh NAME -> a case holding the evidence
	local c
	c=$(new_case "$1") && cp "$WORK"/ev/* "$c/evidence/" && echo "$c"
}

R=$(fresh ref)
t0=$(date +%s.%N)
expect_exit 0 "uninterrupted reference ingest" -- "$TL" ingest --no-progress --commit-every 2000 "$R"
t1=$(date +%s.%N)
REF=$(digest "$R")
REFN=$(q "$R" "SELECT count(*) FROM events")
[ "$REFN" = 32000 ] && ok "reference has every event" || fail "reference events: $REFN"
REFENT=$("$TL" entities --output jsonl "$R" | sha256sum)
echo "# reference ingest took $(awk "BEGIN{print $t1 - $t0}")s; digest $REF"

# after_kill CASE LABEL: the killed case is consistent and usable, and a re-run finishes it
after_kill() {
	local c=$1 what=$2
	[ "$(sqlite3 "$c/case.db" "PRAGMA integrity_check" 2>&1)" = ok ] && ok "$what: integrity_check ok after SIGKILL" ||
		fail "$what: integrity_check after SIGKILL"
	expect_exit 0 "$what: tl sources works on the killed case" -- "$TL" sources "$c"
	expect_exit 0 "$what: tl timeline works on the killed case (indexes may be missing)" -- \
		"$TL" timeline --entity user:nobody --output jsonl "$c"
	local rc=0
	"$TL" ingest --no-progress --commit-every 2000 "$c" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = 0 ] && ok "$what: re-run ingest finishes" || { fail "$what: re-run ingest exit $rc"; sed 's/^/    /' "$WORK/err"; }
	[ "$(q "$c" "SELECT count(*) FROM evidence_files WHERE status<>'done'")" = 0 ] && ok "$what: every file done" ||
		fail "$what: files left unfinished: $(q "$c" "SELECT path||':'||status FROM evidence_files")"
	[ "$(q "$c" "SELECT count(*) FROM events")" = "$REFN" ] && ok "$what: same number of events, none duplicated" ||
		fail "$what: $(q "$c" "SELECT count(*) FROM events") events, wanted $REFN"
	[ "$(digest "$c")" = "$REF" ] && ok "$what: same events digest" || fail "$what: digest $(digest "$c") != $REF"
	[ "$("$TL" entities --output jsonl "$c" | sha256sum)" = "$REFENT" ] && ok "$what: same entities" ||
		fail "$what: the entities differ from the reference's"
	[ "$(q "$c" "SELECT count(*) FROM sqlite_master WHERE type='index' AND name LIKE 'events_%'")" = 12 ] &&
		ok "$what: query indexes rebuilt" || fail "$what: indexes: $(q "$c" "SELECT name FROM sqlite_master WHERE type='index'")"
	# every event in exactly one run of its file (schema v12), whatever the kill left
	[ "$(q "$c" "SELECT count(*) FROM event_rows e WHERE (SELECT count(*) FROM event_runs r WHERE e.id BETWEEN r.first_id AND r.last_id AND r.file_id = e.file_id AND e.line BETWEEN r.first_line AND r.last_line) <> 1") $(q "$c" "SELECT coalesce(sum(last_id - first_id + 1), 0) - (SELECT count(*) FROM event_rows) FROM event_runs")" = "0 0" ] &&
		ok "$what: event_runs cover every event once" || fail "$what: event_runs: $(q "$c" "SELECT * FROM event_runs")"
	[ "$(sqlite3 "$c/case.db" "PRAGMA integrity_check" 2>&1)" = ok ] && ok "$what: integrity_check ok at the end" ||
		fail "$what: integrity_check at the end"
}

# killed_during_ingest CASE STATUS LABEL: the kill landed while ingest was
# running (killed by SIGKILL, not finished before the timer) and left work undone
killed_during_ingest() {
	[ "$2" = 137 ] && ok "$3: the kill landed (ingest was still running)" ||
		fail "$3: ingest was not killed (exit $2): it finished before the kill"
	local left
	# the entities refresh and the copies keying at the end are ingest's work too
	# (entity_files, copy_files: the files each has counted)
	left=$(q "$1" "SELECT (SELECT count(*) FROM evidence_files WHERE status='done') < 2 OR (SELECT count(*) FROM events) < $REFN OR (SELECT count(*) FROM entity_files) < 2 OR (SELECT count(*) FROM copy_files) < 2" 2>/dev/null)
	[ "${left:-1}" = 1 ] && ok "$3: the case shows unfinished work" || fail "$3: the killed case looks complete"
}

# SIGKILL at fractions of the reference run's time (not fixed times, which a
# fast machine outruns): before anything is committed, part-way through a
# file, in the second file
for f in 0.1 0.3 0.5; do
	t=$(awk "BEGIN{print ($t1 - $t0) * $f}")
	K=$(fresh "kill-$f")
	"$TL" ingest --no-progress --commit-every 2000 "$K" >/dev/null 2>&1 &
	pid=$!
	# the times count from the case database's creation, not from exec: start-up
	# (loading and proving every built-in definition's samples) takes ~0.2 s under
	# ASan on a loaded machine, and a kill before the database exists tests nothing
	for _ in $(seq 1 1000); do [ -s "$K/case.db" ] && break; sleep 0.01; done
	sleep "$t"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	st=$?
	echo "# killed after ${t}s: files $(q "$K" "SELECT group_concat(status, ' ') FROM evidence_files" 2>&1), $(q "$K" "SELECT count(*) FROM events") events stored"
	killed_during_ingest "$K" "$st" "killed at $f of the run"
	after_kill "$K" "killed after ${t}s"
done

# SIGKILL as soon as a file's first rows are committed (status 'ingesting')
K=$(fresh kill-ingesting)
"$TL" ingest --no-progress --commit-every 2000 "$K" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
	[ "$(sqlite3 "$K/case.db" "SELECT count(*) FROM evidence_files WHERE status='ingesting'" 2>/dev/null)" = 1 ] && break
	sleep 0.01
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
st=$?
[ "$st" = 137 ] && ok "the kill with a file ingesting landed" || fail "ingest finished before the kill (exit $st)"
echo "# killed with a file ingesting: $(q "$K" "SELECT group_concat(status, ' ') FROM evidence_files"), $(q "$K" "SELECT count(*) FROM events") events stored"
[ "$(q "$K" "SELECT count(*) FROM evidence_files WHERE status='ingesting'")" = 1 ] && ok "a file was left 'ingesting' with rows committed" ||
	fail "the kill did not catch a file part-way"
"$TL" sources "$K" >"$WORK/src" 2>&1
contains "$WORK/src" "unfinished: [1-9][0-9]* events" "tl sources shows the unfinished file's stored rows, without calling it a mismatch"
after_kill "$K" "killed part-way through a file"

# SIGKILL once every file is done: while the query indexes are being built
K=$(fresh kill-index)
"$TL" ingest --no-progress --commit-every 2000 "$K" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
	[ "$(sqlite3 "$K/case.db" "SELECT count(*) FROM evidence_files WHERE status='done'" 2>/dev/null)" = 2 ] && break
	sleep 0.005
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
st=$?
[ "$st" = 137 ] && ok "the kill during the index build landed" || fail "ingest finished before the kill (exit $st)"
n=$(sqlite3 "$K/case.db" "SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN ('events_ts','events_user','events_host','events_src_ip','events_dst_ip','events_domain')")
echo "# killed after the last commit: $n of 6 query indexes were there"
after_kill "$K" "killed during index build"

# a second kill while re-running a killed ingest, then finishing
K=$(fresh kill-twice)
for f in 0.2 0.3; do
	t=$(awk "BEGIN{print ($t1 - $t0) * $f}")
	"$TL" ingest --no-progress --commit-every 2000 "$K" >/dev/null 2>&1 &
	pid=$!
	sleep "$t"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	st=$?
	[ "$st" = 137 ] && ok "kill-twice at $f: the kill landed" || fail "kill-twice at $f: ingest finished first (exit $st)"
done
after_kill "$K" "killed twice"
finish
