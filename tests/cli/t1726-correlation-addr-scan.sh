#!/usr/bin/env bash
# Correlation reads the events of the bound addresses in id order in one of
# two ways (tl_store_addr_events): gathering their ids through the address
# index first, or, when they are more than a quarter of the case, one pass
# over the table. TL_ADDR_SCAN=0|1 forces each; both, and the automatic
# choice, with one thread and with the read-ahead thread, must give the same
# bindings, attributions and attributed timelines. The case mixes addresses
# that are bound (insider VPN/DHCP, generated Squid with logins) and flows of
# which only part are theirs, so the two reads do not see the same rows by
# accident of the data.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
mkdir -p "$WORK/ev"
cp -r "$SRC/fixtures/cases/insider/evidence/." "$WORK/ev/"
cp "$SRC/fixtures/cases/insider/tl.json" "$WORK/tl.json"
"$WORK/gen" squid 6000 7 >"$WORK/ev/proxy/gen-access.log"
# every third connection inbound to a proxy client (its responder is the
# client of the Squid line at the same point in time, its originator the
# server), so the second pass (bound destinations, unbound sources) has
# events to attribute
"$WORK/gen" zeek-tsv 4000 8 |
	awk -v OFS='\t' 'NR == FNR { ip[FNR] = $3; n = FNR; next }
		!/^#/ && FNR % 3 == 0 { $3 = $5; $5 = ip[int(FNR * n / 4000) + 1] } 1' \
		FS=' +' "$WORK/ev/proxy/gen-access.log" FS='\t' - >"$WORK/ev/flow/gen-conn.log"

q() { "$TL" sql "$1" "$2"; }
dump() {
	local c=$1 u
	q "$c" "SELECT * FROM bindings ORDER BY id"
	q "$c" "SELECT * FROM binding_conflicts ORDER BY id"
	q "$c" "SELECT * FROM attributions ORDER BY event_id, kind"
	q "$c" "SELECT * FROM attribution_conflicts ORDER BY 1, 2"
	for u in user:alice user:bob; do
		"$TL" timeline --entity "$u" --output jsonl "$c"
	done
}
run() { # run NAME THREADS SCAN(0|1|auto)
	local c
	c=$(new_case "$1") && cp -r "$WORK"/ev/. "$c/evidence/" && cp "$WORK/tl.json" "$c/tl.json"
	if [ "$3" = auto ]; then
		"$TL" ingest --no-progress --threads "$2" "$c" >"$WORK/$1.log" 2>&1
	else
		TL_ADDR_SCAN=$3 "$TL" ingest --no-progress --threads "$2" "$c" >"$WORK/$1.log" 2>&1
	fi
	echo $? >"$WORK/$1.rc"
	echo "$c"
}
c=$(run gather 1 0)
dump "$c" >"$WORK/gather.dump" 2>&1
[ "$(cat "$WORK/gather.rc")" = 0 ] && ok "ids gathered through the index: ingest done" || { fail "exit $(cat "$WORK/gather.rc")"; head "$WORK/gather.log"; }
a=$(q "$c" "SELECT count(*) FROM attributions" | tail -n 1)
o=$(q "$c" "SELECT count(*) FROM events WHERE user IS NULL AND src_ip IS NOT NULL" | tail -n 1)
[ "$a" -gt 1000 ] && [ "$a" -lt "$o" ] && ok "many events attributed ($a), not every one without a user ($o)" ||
	fail "too little or too much attributed to prove anything: $a of $o"
grep -q '"attributed_user":"alice"' "$WORK/gather.dump" && ok "alice's attributed events are in the dump" || fail "no attributed event of alice"
d=$(q "$c" "SELECT count(*) FROM attributions WHERE via LIKE 'dst_ip%'" | tail -n 1)
[ "$d" -gt 100 ] && ok "$d attributions through the destination address" || fail "only $d attributions through the destination: the second pass is not tested"
for v in "scan 1 1" "scan2 2 1" "gather2 2 0" "auto 1 auto" "auto2 2 auto"; do
	set -- $v
	c=$(run "$1" "$2" "$3")
	dump "$c" >"$WORK/$1.dump" 2>&1
	[ "$(cat "$WORK/$1.rc")" = 0 ] && ok "$1: ingest done" || fail "$1: exit $(cat "$WORK/$1.rc")"
	same "$WORK/gather.dump" "$WORK/$1.dump" "$1 (--threads $2, TL_ADDR_SCAN=$3): the same bindings, attributions and timelines"
done
finish
