#!/usr/bin/env bash
# A full disk: ingest stops with a clear error (exit 1), the database stays
# consistent and readable, and once there is room a re-run finishes the job.
# Needs a small tmpfs; skipped (77) where mounting is not allowed.
. "$(dirname "$0")/lib.sh"
MNT="$WORK/small"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2>/dev/null; then
	echo "skipped: cannot mount a small tmpfs here (needs root in a sandbox that allows mount)"
	exit 77
fi
trap 'umount "$MNT" 2>/dev/null; rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
C="$MNT/case"
"$TL" init "$C" >/dev/null
"$WORK/gen" squid 30000 >"$C/evidence/proxy.log" # ~4 MB: its database does not fit in what is left
expect_exit 1 "ingest on a full disk fails" -- "$TL" ingest --no-progress "$C"
contains "$WORK/err" "tl: error: .*database or disk is full" "with a clear error"
[ "$(sqlite3 "$C/case.db" "PRAGMA integrity_check" 2>&1)" = ok ] && ok "integrity_check ok" || fail "integrity_check"
expect_exit 0 "tl sources works afterwards" -- "$TL" sources "$C"
expect_exit 0 "tl timeline works afterwards" -- "$TL" timeline "$C"
mount -o remount,size=64m "$MNT"
expect_exit 0 "with room again, a re-run finishes" -- "$TL" ingest --no-progress "$C"
[ "$("$TL" sql "$C" "SELECT count(*) FROM events" | tail -n +2)" = 30000 ] && ok "every event stored once" || fail "events"
expect_exit 0 "counts add up" -- "$TL" sources "$C"
finish
