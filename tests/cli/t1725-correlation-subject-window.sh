#!/usr/bin/env bash
# Attribution loads a busy subject's bindings in windows of time
# (docs/correlation.md#cost): only those that can cover the event's time,
# from as far back as the longest binding lasts plus an hour. With windows
# of 1, 2 and 7 bindings (TL_CORR_WINDOW) every case must conclude exactly
# what whole loads conclude: the fixture cases (VPN sessions, DHCP leases,
# logons, EDR, proxy), and a proxy log whose busy address holds bindings of
# several hours (a window reaching back less than the longest binding would
# miss them), lines out of time order by up to three hours (windows dropped
# for earlier ones), and a second log of the same address read after the
# first (a second sweep through time); whole runs and incremental ones.
# Fails when a window leaves out a binding that covers an event's time.
. "$(dirname "$0")/lib.sh"

# one address busy all day: long runs of one user (a request every 20 s for
# hours merges into one binding), short runs of others; another whose users
# change often, sometimes two in the same millisecond; a quiet address
awk 'BEGIN {
	srand(1725)
	split("alice bob carol dave", pool, " ")
	t = 1795528800; u = v = "alice"
	for (i = 0; i < 3000; i++) {
		if (rand() < 0.003) u = pool[1 + int(rand() * 4)]
		else if (rand() < 0.004) { printf "%.3f %6d 10.60.0.5 TCP_MISS/200 %d GET http://x%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 25, 500 + i, i % 7, pool[1 + int(rand() * 4)], 1 + i % 50 }
		t += 20 + int(rand() * 5)
		printf "%.3f %6d 10.60.0.5 TCP_MISS/200 %d GET http://h%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 20 + i % 97, 300 + i, i % 13, u, 1 + i % 200
		if (i % 50 == 0)
			printf "%.3f %6d 10.60.0.9 TCP_MISS/200 %d GET http://q.example.com/ %s HIER_DIRECT/198.51.100.7 text/html\n", t, 30, 400 + i, pool[1 + i % 4]
		# a second busy address: users changing often, now and then two at once
		if (rand() < 0.2) v = pool[1 + int(rand() * 4)]
		printf "%.3f %6d 10.60.0.6 TCP_MISS/200 %d GET http://k%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 22, 200 + i, i % 5, v, 1 + i % 30
		if (rand() < 0.02)
			printf "%.3f %6d 10.60.0.6 TCP_MISS/200 %d GET http://k.example.com/ %s HIER_DIRECT/198.51.100.3 text/html\n", t, 23, 100 + i, pool[1 + int(rand() * 4)]
	}
}' >"$WORK/day.log"
# the lines out of order: blocks of 60 swapped with blocks up to three hours away
awk 'BEGIN { srand(25) } { l[NR] = $0 } END {
	for (b = 0; b * 60 < NR; b++) o[b] = b
	n = b
	for (b = 0; b < n; b += 2) { k = b + int(rand() * 18); if (k < n) { x = o[b]; o[b] = o[k]; o[k] = x } }
	for (b = 0; b < n; b++) for (j = 1; j <= 60; j++) if (o[b] * 60 + j <= NR) print l[o[b] * 60 + j]
}' "$WORK/day.log" >"$WORK/shuffled.log"
# a second proxy's log of the same address, the same hours, no user: attributed
awk '{ $8 = "-"; $2 = 10 + NR % 5; print }' "$WORK/day.log" | awk 'NR % 3 == 0' >"$WORK/other.log"
[ "$(wc -l <"$WORK/shuffled.log")" = "$(wc -l <"$WORK/day.log")" ] && ok "the shuffled log holds every line" ||
	fail "the shuffle lost lines"

# proxy NAME WINDOW FILES...: a case of those proxy logs, one ingest per file
proxy() {
	local name=$1 c=$WORK/p-$1 w=$2
	shift 2
	"$TL" init "$c" >/dev/null || fail "init $c"
	mkdir -p "$c/evidence/proxy"
	for f in "$@"; do
		cp "$WORK/$f" "$c/evidence/proxy/"
		TL_CORR_WINDOW=$w "$TL" ingest --no-progress "$c" >"$WORK/said-$name-$f" 2>&1 ||
			{ fail "ingest $name $f"; tail -3 "$WORK/said-$name-$f"; }
	done
	corr_rows "$c" "$WORK/dump-p-$name"
}
for w in 100000000 1 2 7; do
	proxy "sorted-$w" "$w" day.log other.log
	proxy "shuffled-$w" "$w" shuffled.log other.log
done
q() { "$TL" sql "$WORK/p-sorted-100000000" "$1" | tail -n 1; }
n=$(q "SELECT max(end_ts - start_ts) / 3600000000 FROM bindings")
[ "${n:-0}" -ge 3 ] && ok "a binding lasts ${n} hours" || fail "the longest binding lasts ${n:-0} hours"
n=$(q "SELECT count(*) FROM bindings WHERE subject = '10.60.0.6'")
[ "${n:-0}" -gt 300 ] && ok "the second busy address has $n bindings" || fail "only ${n:-0} bindings"
n=$(q "SELECT count(*) FROM attributions")
[ "${n:-0}" -gt 1000 ] && ok "$n attributions" || fail "only ${n:-0} attributions"
n=$(q "SELECT count(*) FROM binding_conflicts")
[ "${n:-0}" -gt 0 ] && ok "$n conflicts" || fail "no conflicts"
for w in 1 2 7; do
	same "$WORK/dump-p-sorted-100000000" "$WORK/dump-p-sorted-$w" "windows of $w: the rows of whole loads"
	same "$WORK/dump-p-shuffled-100000000" "$WORK/dump-p-shuffled-$w" "windows of $w, lines out of order: the rows of whole loads"
done
# one ingest of both files: a whole run over two sweeps of the address
for w in 100000000 1; do
	c=$WORK/both-$w
	"$TL" init "$c" >/dev/null
	mkdir -p "$c/evidence/proxy"
	cp "$WORK/shuffled.log" "$WORK/other.log" "$c/evidence/proxy/"
	TL_CORR_WINDOW=$w "$TL" ingest --no-progress "$c" >/dev/null 2>&1 || fail "ingest both $w"
	corr_rows "$c" "$WORK/dump-both-$w"
	# and a whole re-correlation over the stored ids
	TL_CORR_WINDOW=$w TL_CORR_FULL=1 "$TL" ingest --no-progress "$c" >/dev/null 2>&1 || fail "re-correlate both $w"
	corr_rows "$c" "$WORK/dump-both-re-$w"
done
same "$WORK/dump-both-100000000" "$WORK/dump-both-1" "one ingest of both logs, windows of 1"
same "$WORK/dump-both-re-100000000" "$WORK/dump-both-re-1" "and a whole re-correlation"

# the fixture cases: every source of bindings
for name in demo attribution vpn-sessions insider chain; do
	for w in 100000000 1; do
		c=$WORK/$name-$w
		cp -r "$SRC/fixtures/cases/$name" "$c"
		rm -rf "$c/case.db"* "$c/out" "$c/expected" "$c/custody.jsonl" "$c/replay.tl"
		[ -f "$c/tl.json" ] || { mv "$c/evidence" "$c.ev" && "$TL" init "$c" >/dev/null && rm -rf "$c/evidence" && mv "$c.ev" "$c/evidence"; }
		TL_CORR_WINDOW=$w "$TL" ingest --no-progress "$c" >/dev/null 2>&1
		rc=$?
		[ "$rc" -le 3 ] || fail "$name: ingest exited $rc"
		corr_rows "$c" "$WORK/dump-$name-$w"
	done
	same "$WORK/dump-$name-100000000" "$WORK/dump-$name-1" "$name: windows of 1, the rows of whole loads"
done
n=$("$TL" sql "$WORK/demo-1" "SELECT count(*) FROM attributions" | tail -n 1)
[ "${n:-0}" -gt 0 ] && ok "the demo case has $n attributions" || fail "the demo case has no attributions"

finish
