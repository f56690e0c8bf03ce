#!/usr/bin/env bash
# What t1521 proves for the events, for everything ingest derives after the
# load: with --threads 2 or 3, correlation reads the events on a second
# connection in a thread of its own (tl_store_read_ahead), and the case is
# still the one --threads 1 makes. The insider case (VPN sessions, DHCP,
# EDR, sign-ins, proxy), auditd, and enough generated Squid and Zeek lines for many
# batches of rows read ahead; ingested whole, then again in two steps (the
# second only attributes, the third brings new binding evidence and a
# recompute). Compared byte for byte: events, bindings, conflicts,
# attributions, entities and their aliases, correlation's state, the events
# digest, an attributed timeline in every output, tl bindings and tl entities.
. "$(dirname "$0")/lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
mkdir -p "$WORK/ev" "$WORK/later" "$WORK/last"
cp -r "$SRC/fixtures/cases/insider/evidence/." "$WORK/ev/"
cp "$SRC/fixtures/cases/insider/tl.json" "$WORK/tl.json"
"$WORK/gen" squid 12000 7 >"$WORK/ev/proxy/gen-access.log"
"$WORK/gen" zeek-tsv 6000 8 >"$WORK/ev/flow/gen-conn.log"
# auditd: the entities refresh reads its extra keys too
mkdir -p "$WORK/ev/hids"
for f in "$SRC"/fixtures/hids/auditd/*.log; do cp "$f" "$WORK/ev/hids/audit-$(basename "$f")"; done
# the second step: lines with no binding evidence; the third: proxy logins
"$WORK/gen" zeek-tsv 3000 9 >"$WORK/later/gen-conn2.log"
"$WORK/gen" squid 3000 10 >"$WORK/last/gen-access2.log"

q() { "$TL" sql "$1" "$2"; }
dump() { # dump CASE -> everything ingest derives, in a total order
	local c=$1 u
	q "$c" "SELECT * FROM events ORDER BY id"
	q "$c" "SELECT * FROM bindings ORDER BY id"
	q "$c" "SELECT * FROM binding_conflicts ORDER BY id"
	q "$c" "SELECT * FROM attributions ORDER BY event_id, kind"
	# with their ids: the entities refresh counts beside the index build (t1710)
	q "$c" "SELECT id, type, value, registrable, first_ts, last_ts, events FROM entities ORDER BY type, value"
	q "$c" "SELECT e.id, e.type, e.value, a.alias, a.source, a.events FROM entity_aliases a JOIN entities e ON e.id = a.entity_id ORDER BY 2, 3, 4, 5"
	q "$c" "SELECT * FROM entity_files ORDER BY file_id"
	q "$c" "SELECT * FROM correlation_state"
	"$TL" manifest "$c" >/dev/null 2>&1
	grep -o '"events_digest": {[^}]*}' "$c/out/manifest.json"
	for u in user:alice user:bob "$(cat "$WORK/busiest")"; do
		for o in text jsonl csv; do
			"$TL" timeline --entity "$u" --output "$o" "$c"
		done
	done
	"$TL" bindings "$c"
	"$TL" entities "$c"
}
run() { # run NAME THREADS STEPS(1|3)
	local c
	c=$(new_case "$1") && cp -r "$WORK"/ev/. "$c/evidence/" && cp "$WORK/tl.json" "$c/tl.json"
	if [ "$3" = 3 ]; then
		rm "$c/evidence/flow/gen-conn.log"
		"$TL" ingest --no-progress --threads "$2" "$c" >"$WORK/$1.log" 2>&1
		cp "$WORK/ev/flow/gen-conn.log" "$WORK/later/gen-conn2.log" "$c/evidence/flow/"
		"$TL" ingest --no-progress --threads "$2" "$c" >>"$WORK/$1.log" 2>&1
		q "$c" "SELECT mode FROM correlation_state" | tail -n 1 >"$WORK/$1.mode"
		cp "$WORK/last/gen-access2.log" "$c/evidence/proxy/"
	else
		cp "$WORK/later/gen-conn2.log" "$c/evidence/flow/" && cp "$WORK/last/gen-access2.log" "$c/evidence/proxy/"
	fi
	"$TL" ingest --no-progress --threads "$2" "$c" >>"$WORK/$1.log" 2>&1
	echo $? >"$WORK/$1.rc"
	echo "$c"
}
c1=$(run t1 1 1)
q "$c1" "SELECT 'user:' || value FROM entities WHERE type = 'user' ORDER BY events DESC, value LIMIT 1" | tail -n 1 >"$WORK/busiest"
dump "$c1" >"$WORK/t1.dump" 2>&1
# exit 3: one auditd fixture record is rejected on purpose
[ "$(cat "$WORK/t1.rc")" = 3 ] && ok "one thread: ingest done (exit 3, one record rejected)" || { fail "one thread: exit $(cat "$WORK/t1.rc")"; head "$WORK/t1.log"; }
b=$(q "$c1" "SELECT count(*) FROM bindings" | tail -n 1)
a=$(q "$c1" "SELECT count(*) FROM attributions" | tail -n 1)
[ "$b" -gt 1000 ] && [ "$a" -gt 8192 ] && ok "the case has bindings ($b) and attributions ($a) for many batches read ahead" ||
	fail "too little correlation to prove anything: $b bindings, $a attributions"
grep -q "vpn" "$WORK/t1.dump" && grep -q "~alice" "$WORK/t1.dump" && ok "VPN bindings and alice's attributed events are there" ||
	fail "no VPN binding or attributed event of alice in the dump"
for t in 2 3; do
	c=$(run "t$t" "$t" 1)
	dump "$c" >"$WORK/t$t.dump" 2>&1
	[ "$(cat "$WORK/t$t.rc")" = 3 ] && ok "--threads $t: ingest done" || fail "--threads $t: exit $(cat "$WORK/t$t.rc")"
	same "$WORK/t1.dump" "$WORK/t$t.dump" "--threads $t: the same events, bindings, attributions, entities, digest and outputs"
done
# in steps: the second ingest only attributes, the third recomputes
s1=$(run s1 1 3)
dump "$s1" >"$WORK/s1.dump" 2>&1
s2=$(run s2 2 3)
dump "$s2" >"$WORK/s2.dump" 2>&1
[ "$(cat "$WORK/s2.rc")" = 0 ] && ok "--threads 2 in three steps: ingest done" || fail "three steps: exit $(cat "$WORK/s2.rc")"
[ "$(cat "$WORK/s2.mode")" != full ] && ok "the second step only attributed ($(cat "$WORK/s2.mode"))" ||
	fail "the second step recomputed correlation whole"
[ "$(q "$s2" "SELECT mode FROM correlation_state" | tail -n 1)" = full ] && ok "the third step recomputed it whole" || fail "the third step did not recompute"
same "$WORK/s1.dump" "$WORK/s2.dump" "in three steps, --threads 2: the same as --threads 1"
finish
