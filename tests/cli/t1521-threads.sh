#!/usr/bin/env bash
# One core or several: `tl ingest --threads N` (and TL_THREADS) changes who
# does the work, never the result. The same evidence ingested with 1, 2 and 4
# threads gives the same events with the same ids in the same order, the same
# rejects, the same per-file counts and the same events digest — with header
# driven (Zeek TSV), grouping (auditd) and JSON formats, rejects, and enough
# records for many writer batches and transactions.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
mkdir -p "$WORK/ev"
"$WORK/gen" squid 15000 1 >"$WORK/ev/access.log"
# records the parser rejects, in the middle of the file
printf 'garbled line written while the disk was full\n\001\002 binary junk\n' >>"$WORK/ev/access.log"
"$WORK/gen" squid 3000 2 >>"$WORK/ev/access.log"
"$WORK/gen" zeek-tsv 6000 3 >"$WORK/ev/conn.log"
"$WORK/gen" cloudtrail-lines 2000 4 >"$WORK/ev/cloudtrail-events.jsonl"
for f in "$SRC"/fixtures/hids/auditd/*.log; do cp "$f" "$WORK/ev/audit-$(basename "$f")"; done

q() { "$TL" sql "$1" "$2"; }
digest() {
	"$TL" manifest "$1" >/dev/null 2>&1
	grep -o '"events_digest": {[^}]*}' "$1/out/manifest.json"
}
dump() { # dump CASE -> everything ingest decides, in id order
	q "$1" "SELECT * FROM events ORDER BY id"
	q "$1" "SELECT * FROM rejects ORDER BY id"
	q "$1" "SELECT id, path, size, sha256, format, status, records, events, rejects, meta, merged, bytes, first_ts, last_ts, error FROM evidence_files ORDER BY id"
	digest "$1"
}
run() { # run NAME ENV... -- ingest args
	local name=$1 c
	shift
	c=$(new_case "$name") && cp "$WORK"/ev/* "$c/evidence/"
	env "$@" "$TL" ingest --no-progress --commit-every 3000 "$c" >"$WORK/$name.log" 2>&1
	echo $? >"$WORK/$name.rc"
	dump "$c" >"$WORK/$name.dump"
	echo "$c"
}
run t1 TL_THREADS=1 >/dev/null
run t2 TL_THREADS=2 >/dev/null
run t4 TL_THREADS=4 >/dev/null
run tdefault TL_THREADS= >/dev/null
[ "$(cat "$WORK/t1.rc")" = 3 ] && ok "ingest with one thread: done, some records rejected (exit 3)" ||
	{ fail "one thread: exit $(cat "$WORK/t1.rc")"; sed 's/^/    /' "$WORK/t1.log" | head; }
n=$(grep -c . "$WORK/t1.dump")
[ "$n" -gt 26000 ] && ok "the one-thread case has every row ($n lines of dump)" || fail "short dump: $n lines"
grep -q '"events": [1-9]' "$WORK/t1.dump" && ok "the digest is there" || fail "no digest in the dump"
grep -q 'record does not match' "$WORK/t1.dump" && ok "the rejects are there" || fail "no rejects in the dump"
for t in t2 t4 tdefault; do
	[ "$(cat "$WORK/$t.rc")" = 3 ] && ok "$t: exit 3" || fail "$t: exit $(cat "$WORK/$t.rc")"
	same "$WORK/t1.dump" "$WORK/$t.dump" "$t: same events (ids, order, columns), rejects, per-file counts and digest as one thread"
done
C=$(new_case flag) && cp "$WORK"/ev/* "$C/evidence/"
"$TL" ingest --no-progress --threads 2 --commit-every 3000 "$C" >/dev/null 2>&1
dump "$C" >"$WORK/flag.dump"
same "$WORK/t1.dump" "$WORK/flag.dump" "--threads 2: the same"
expect_exit 2 "--threads 0 is a usage error" -- "$TL" ingest --threads 0 "$C"
expect_exit 2 "--threads x is a usage error" -- "$TL" ingest --threads x "$C"
expect_exit 2 "TL_THREADS=zero is a usage error" -- env TL_THREADS=zero "$TL" ingest "$C"
finish
