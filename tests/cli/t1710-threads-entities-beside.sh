#!/usr/bin/env bash
# With --threads 2 or more, an ingest that rebuilds the query indexes counts
# the entities beside the index build, on the reader connection in a thread
# of its own, and writes them once the build is done (tl_entities_refresh_start).
# The entities must be the ones --threads 1 makes, ids included: compared
# with every row's id, with the flush bound at 5 (the counts go to the
# store many times, the first flush waiting for the index build) and at its
# default, on line formats, CloudTrail (resource keys read from extra by
# the reader thread) and auditd; whole, then in three steps: a second
# ingest that rebuilds the indexes and counts only its new files, and a
# third after an alias was configured (every event counted again).
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
mkdir -p "$WORK/ev/proxy" "$WORK/ev/cloud" "$WORK/ev/hids" "$WORK/later"
"$WORK/gen" squid 4000 3 >"$WORK/ev/proxy/access.log"
"$WORK/gen" cloudtrail-lines 1500 4 >"$WORK/ev/cloud/trail.jsonl"
"$WORK/gen" okta 800 5 >"$WORK/ev/cloud/okta.jsonl"
for f in "$SRC"/fixtures/hids/auditd/*.log; do cp "$f" "$WORK/ev/hids/audit-$(basename "$f")"; done
"$WORK/gen" squid 3000 6 >"$WORK/later/access2.log"
"$WORK/gen" cloudtrail-lines 1000 7 >"$WORK/later/trail2.jsonl"

q() { "$TL" sql "$1" "$2"; }
dump() { # dump CASE -> the entities tables with their ids
	q "$1" "SELECT * FROM entities ORDER BY id"
	q "$1" "SELECT * FROM entity_aliases ORDER BY entity_id, alias"
	q "$1" "SELECT * FROM entity_files ORDER BY file_id"
	q "$1" "SELECT * FROM entity_config"
	"$TL" entities "$1"
}
ingest() { # ingest CASE THREADS FLUSH LOG
	TL_ENTITIES_FLUSH_AT=$3 "$TL" ingest --no-progress --threads "$2" "$1" >>"$4" 2>&1
}
run() { # run NAME THREADS FLUSH STEPS(1|3) -> the case
	local c
	c=$(new_case "$1") && cp -r "$WORK"/ev/. "$c/evidence/"
	if [ "$4" = 3 ]; then
		ingest "$c" "$2" "$3" "$WORK/$1.log"
		# more than a quarter new: the indexes are dropped and built again
		mkdir -p "$c/evidence/later" && cp "$WORK"/later/* "$c/evidence/later/"
		ingest "$c" "$2" "$3" "$WORK/$1.log"
		# a configured alias: every event is counted again (rebuilt)
		sed -i 's|^  "aliases": {$|&\n    "alice": ["E10442"]|' "$c/tl.json"
		TL_ENTITIES_FLUSH_AT=$3 "$TL" ingest --no-progress --indexes rebuild --threads "$2" "$c" >>"$WORK/$1.log" 2>&1
	else
		ingest "$c" "$2" "$3" "$WORK/$1.log"
	fi
	echo $? >"$WORK/$1.rc"
	echo "$c"
}
for flush in 5 ""; do
	tag=f${flush:-default}
	c1=$(run "$tag-t1" 1 "$flush" 1)
	dump "$c1" >"$WORK/$tag-t1.dump" 2>&1
	rc=$(cat "$WORK/$tag-t1.rc")
	[ "$rc" = 0 ] || [ "$rc" = 3 ] && ok "$tag, one thread: ingest done" || { fail "$tag, one thread: exit $rc"; head "$WORK/$tag-t1.log"; }
	n=$(q "$c1" "SELECT count(*) FROM entities" | tail -n 1)
	r=$(q "$c1" "SELECT count(*) FROM entities WHERE type = 'resource'" | tail -n 1)
	[ "$n" -gt 1000 ] && [ "$r" -gt 0 ] && ok "$tag: $n entities, $r cloud resources read from extra" ||
		fail "$tag: too few entities to prove anything ($n, $r resources)"
	for t in 2 3; do
		c=$(run "$tag-t$t" "$t" "$flush" 1)
		dump "$c" >"$WORK/$tag-t$t.dump" 2>&1
		same "$WORK/$tag-t1.dump" "$WORK/$tag-t$t.dump" "$tag, --threads $t: the same entities, ids, aliases and files"
	done
done
s1=$(run s-t1 1 5 3)
dump "$s1" >"$WORK/s-t1.dump" 2>&1
grep -q "E10442" "$WORK/s-t1.dump" && ok "three steps: the configured alias is there" || fail "three steps: no configured alias"
s2=$(run s-t2 2 5 3)
dump "$s2" >"$WORK/s-t2.dump" 2>&1
rc=$(cat "$WORK/s-t2.rc")
[ "$rc" = 0 ] || [ "$rc" = 3 ] && ok "three steps, --threads 2: ingest done" || fail "three steps, --threads 2: exit $rc"
same "$WORK/s-t1.dump" "$WORK/s-t2.dump" "three steps (new files, then every event again), --threads 2: the same as --threads 1"
finish
