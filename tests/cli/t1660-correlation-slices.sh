#!/usr/bin/env bash
# Correlation builds one subject's bindings in time slices
# (src/analysis/correlate.c, "one group in time slices"): each pass finishes
# what no later candidate can change and carries the rest. Slices must not
# change a single row: the case below, one busy address shared by many users
# (runs of one user that merge, alternations that cut windows, two users at
# the same millisecond, gaps longer than a window, firm VPN sessions, an
# open-ended one that overlaps everything after it, and an inventory), is
# ingested with one pass per subject (TL_CORR_SLICE huge) and with a pass
# after every candidate (TL_CORR_SLICE=1) and every 7: bindings, conflicts,
# attributions, `tl bindings` and the attributed timelines are compared byte
# for byte.
. "$(dirname "$0")/lib.sh"

base=$WORK/base
cp -r "$SRC/fixtures/cases/insider" "$base"
rm -rf "$base/expected" "$base/case.db"*
# dave's VPN session on the busy address never ends in the log: open-ended
cat >>"$base/evidence/vpn/asa.log" <<'ASA'
<166>Nov 24 2026 15:30:00 vpn-asa : %ASA-6-113039: Group <GroupPolicy_Remote-VPN> User <dave> IP <203.0.113.90> AnyConnect parent session started.
<164>Nov 24 2026 15:30:01 vpn-asa : %ASA-4-722051: Group <GroupPolicy_Remote-VPN> User <dave> IP <203.0.113.90> IPv4 Address <10.50.0.22> IPv6 address <::> assigned to session
ASA
# an inventory: a tier of its own, without start or end
sed -i 's/"assets": null/"assets": null,\n  "inventory": [ { "host": "ws-0388", "owner": "bob", "ips": ["10.50.0.22", "10.50.0.23"] } ]/' "$base/tl.json"
# 4000 proxy requests from 10.50.0.22 (a few from .23), 2026-11-24 14:00Z on
awk 'BEGIN {
	srand(1660)
	split("alice bob carol dave erin frank - -", pool, " ")
	t = 1795528800; u = "alice"
	for (i = 0; i < 4000; i++) {
		r = rand()
		if (r < 0.02) t += 1200 + int(rand() * 600)  # longer than the proxy window
		else t += 1 + int(rand() * 9000) / 1000
		if (rand() >= 0.45) u = pool[1 + int(rand() * 8)]  # else the same user again
		ip = rand() < 0.05 ? "10.50.0.23" : "10.50.0.22"
		printf "%.3f %6d %s TCP_MISS/200 %d GET http://h%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 20 + i % 97, ip, 300 + i, i % 13, u, 1 + i % 200
		# another user at the same millisecond: a conflict. The store reads
		# identities in user-index order, so "Zed" (the user zed) comes back
		# before bob at one instant although zed sorts after him: a pass must
		# not cut a window at an instant it has not read whole
		if (rand() < 0.04) {
			v = rand() < 0.4 ? "Zed" : pool[1 + int(rand() * 6)]
			printf "%.3f %6d %s TCP_MISS/200 %d GET http://h%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 30, ip, 400 + i, i % 11, v, 1 + i % 100
		}
	}
}' >"$base/evidence/proxy/busy.log"

dump() { # dump CASE OUT
	{
		"$TL" sql "$1" "SELECT * FROM bindings ORDER BY id"
		"$TL" sql "$1" "SELECT * FROM binding_conflicts ORDER BY id"
		"$TL" sql "$1" "SELECT * FROM attributions ORDER BY event_id, kind"
		"$TL" sql "$1" "SELECT bindings, conflicts, attributed_user, attributed_host, conflicted, skipped, max_span FROM correlation_state"
		"$TL" bindings "$1"
		"$TL" timeline --output csv "$1"
		"$TL" timeline --entity user:alice --output jsonl "$1"
		"$TL" timeline --entity user:dave "$1"
	} >"$2" 2>&1
}
for slice in 100000000 1 7; do
	c=$WORK/case-$slice
	cp -r "$base" "$c"
	TL_CORR_SLICE=$slice "$TL" ingest --no-progress "$c" >"$WORK/said-$slice" 2>&1 ||
		{ fail "ingest with TL_CORR_SLICE=$slice"; sed 's/^/    /' "$WORK/said-$slice"; }
	dump "$c" "$WORK/dump-$slice"
done

# TL_REF=/path/to/tl: also the rows and outputs of another build (the one
# before slicing: dbdd160), ingesting, the outputs read by this build
if [ -n "${TL_REF:-}" ]; then
	cp -r "$base" "$WORK/case-ref"
	"$TL_REF" ingest --no-progress "$WORK/case-ref" >"$WORK/said-ref" 2>&1 || fail "ingest with $TL_REF"
	dump "$WORK/case-ref" "$WORK/dump-ref"
	same "$WORK/dump-ref" "$WORK/dump-100000000" "the rows and outputs of $TL_REF"
fi

# the case exercises what slicing carries across passes
q() { "$TL" sql "$WORK/case-100000000" "$1" | tail -n 1; }
n=$(q "SELECT count(*) FROM bindings WHERE subject = '10.50.0.22'")
[ "${n:-0}" -gt 500 ] && ok "one address holds $n bindings" || fail "only ${n:-0} bindings on the busy address"
n=$(q "SELECT count(*) FROM bindings WHERE subject = '10.50.0.22' AND events > 1 AND source = 'proxy-auth'")
[ "${n:-0}" -gt 50 ] && ok "$n of them merge several windows" || fail "only ${n:-0} merged bindings"
n=$(q "SELECT count(*) FROM bindings WHERE subject = '10.50.0.22' AND end_rule = 'next-assignment'")
[ "${n:-0}" -gt 50 ] && ok "$n windows are cut by the next user" || fail "only ${n:-0} windows cut"
n=$(q "SELECT count(*) FROM bindings WHERE subject = '10.50.0.22' AND end_rule = 'window'")
[ "${n:-0}" -gt 5 ] && ok "$n run to their full window" || fail "only ${n:-0} full windows"
n=$(q "SELECT count(*) FROM bindings WHERE end_ts IS NULL AND start_ts IS NOT NULL")
[ "${n:-0}" -ge 1 ] && ok "an open-ended session" || fail "no open-ended binding"
n=$(q "SELECT count(*) FROM bindings WHERE start_ts IS NULL")
[ "${n:-0}" -ge 2 ] && ok "inventory bindings without a start" || fail "no binding without a start"
n=$(q "SELECT count(*) FROM binding_conflicts WHERE subject = '10.50.0.22'")
[ "${n:-0}" -gt 100 ] && ok "$n conflicts" || fail "only ${n:-0} conflicts"
n=$(q "SELECT count(*) FROM binding_conflicts a JOIN bindings x ON x.id = a.binding_a JOIN bindings y ON y.id = a.binding_b WHERE x.start_ts = y.start_ts")
[ "${n:-0}" -gt 5 ] && ok "$n of them between windows that start at the same instant" || fail "only ${n:-0} same-instant conflicts"
n=$(q "SELECT count(*) FROM attributions")
[ "${n:-0}" -gt 100 ] && ok "$n attributions" || fail "only ${n:-0} attributions"
# ids are dense and each row is one binding: nothing lost or written twice
n=$(q "SELECT count(*) = max(id) AND count(DISTINCT id) = count(*) FROM bindings")
[ "$n" = 1 ] && ok "binding ids are 1..N" || fail "binding ids have gaps or repeats"

same "$WORK/dump-100000000" "$WORK/dump-1" "a pass after every candidate: the rows and outputs of one pass"
same "$WORK/dump-100000000" "$WORK/dump-7" "a pass every 7 candidates: the rows and outputs of one pass"
grep -h "binding conflict" "$WORK/said-100000000" >"$WORK/warn-huge"
grep -h "binding conflict" "$WORK/said-1" >"$WORK/warn-1"
[ -s "$WORK/warn-huge" ] && same "$WORK/warn-huge" "$WORK/warn-1" "and the same conflicts warned" || fail "no conflicts warned"
finish
