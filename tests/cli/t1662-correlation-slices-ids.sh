#!/usr/bin/env bash
# Slices and stable ids together (docs/correlation.md#cost,
# #stable-binding-ids): a later ingest brings the middle of a busy address's
# proxy log, so windows before and after it are cut or merged differently.
# Over stored bindings a binding is matched when it is final, and a new one
# final before one made earlier waits for that one's id: the region run
# (incremental) and the whole run must give the same rows, ids included,
# with one pass per subject (TL_CORR_SLICE huge) and with a pass after every
# candidate or every 7, and the new ids must follow the bindings' order.
. "$(dirname "$0")/lib.sh"

base=$WORK/base
cp -r "$SRC/fixtures/cases/insider" "$base"
rm -rf "$base/expected" "$base/case.db"*
# 3000 proxy requests from 10.50.0.22, users changing, runs, gaps longer
# than the window, and a second user at the same millisecond (a conflict)
awk 'BEGIN {
	srand(1662)
	split("alice bob carol dave erin frank - -", pool, " ")
	t = 1795528800; u = "alice"
	for (i = 0; i < 3000; i++) {
		r = rand()
		if (r < 0.02) t += 1200 + int(rand() * 600)
		else t += 1 + int(rand() * 9000) / 1000
		if (rand() >= 0.45) u = pool[1 + int(rand() * 8)]
		printf "%.3f %6d 10.50.0.22 TCP_MISS/200 %d GET http://h%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 20 + i % 97, 300 + i, i % 13, u, 1 + i % 200
		if (rand() < 0.04)
			printf "%.3f %6d 10.50.0.22 TCP_MISS/200 %d GET http://h%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 30, 400 + i, i % 11, pool[1 + int(rand() * 6)], 1 + i % 100
	}
}' >"$WORK/busy.log"
# the late file: every fifth line of the middle of the log
awk 'NR >= 1000 && NR < 1600 && NR % 5 == 0' "$WORK/busy.log" >"$WORK/late.log"
awk '!(NR >= 1000 && NR < 1600 && NR % 5 == 0)' "$WORK/busy.log" >"$base/evidence/proxy/busy.log"

# dump CASE OUT: the rows (OUT) and, for the slice sizes, the same run's
# outputs with conflict ids (OUT.ids)
dump() {
	corr_rows "$1" "$2"
	corr_ids "$1" "$2.ids"
}
"$TL" ingest --no-progress "$base" >/dev/null 2>&1 || fail "first ingest"
before_max=$("$TL" sql "$base" "SELECT max(id) FROM bindings" | tail -n 1)
for run in inc-100000000 inc-1 inc-7 full-100000000 full-1; do
	c=$WORK/case-$run
	cp -r "$base" "$c"
	cp "$WORK/late.log" "$c/evidence/proxy/"
	mode=never
	[ "${run%%-*}" = full ] && mode=1
	TL_CORR_FULL=$mode TL_CORR_SLICE=${run#*-} "$TL" ingest --no-progress --timings "$c" >"$WORK/said-$run" 2>&1 ||
		{ fail "ingest $run"; sed 's/^/    /' "$WORK/said-$run"; }
	dump "$c" "$WORK/dump-$run"
done
contains "$WORK/said-inc-1" "^correlation: incremental \([0-9]+ subjects? rebuilt; bindings: [1-9][0-9]* kept, [1-9][0-9]* added, [1-9][0-9]* deleted\)$" \
	"the late stretch is correlated incrementally: bindings kept, added and deleted"
grep -q '^correlation: full' "$WORK/said-full-1" && ok "TL_CORR_FULL=1: the whole run" || fail "not a whole run"

q() { "$TL" sql "$WORK/case-inc-1" "$1" | tail -n 1; }
n=$(q "SELECT count(*) FROM binding_conflicts WHERE subject = '10.50.0.22'")
[ "${n:-0}" -gt 10 ] && ok "$n conflicts on the busy address" || fail "only ${n:-0} conflicts"
n=$(q "SELECT count(*) FROM bindings WHERE id > $before_max")
[ "${n:-0}" -gt 20 ] && ok "$n new ids" || fail "only ${n:-0} new ids"
# new ids in the bindings' order: kind, subject, start (all have a start here)
n=$(q "SELECT count(*) FROM (SELECT kind, subject, start_ts, lag(kind) OVER w pk, lag(subject) OVER w ps, lag(start_ts) OVER w pt FROM bindings WHERE id > $before_max WINDOW w AS (ORDER BY id)) WHERE pk IS NOT NULL AND (kind < pk OR (kind = pk AND (subject < ps OR (subject = ps AND start_ts < pt))))")
[ "$n" = 0 ] && ok "new ids follow the bindings' order" || fail "$n new ids out of the bindings' order"

for run in inc-1 inc-7 full-100000000 full-1; do
	same "$WORK/dump-inc-100000000" "$WORK/dump-$run" "$run: the rows of the one-pass region run, binding ids included"
done
same "$WORK/dump-inc-100000000.ids" "$WORK/dump-inc-1.ids" "a pass after every candidate: the same conflict ids and tl bindings"
same "$WORK/dump-full-100000000.ids" "$WORK/dump-full-1.ids" "and in the whole run"
finish
