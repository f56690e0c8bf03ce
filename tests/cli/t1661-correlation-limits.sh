#!/usr/bin/env bash
# Correlation's per-subject ceilings (src/analysis/correlate.c: candidates
# whose end is not known yet, open windowed bindings, bindings a later one may
# overlap) refuse what is past them, and the ingest says so, naming the first
# subject: nothing is dropped silently. TL_CORR_LIMIT=N sets every ceiling
# to N. One user's 300 proxy requests from one address within one window:
# no window ends before the next begins, so all of them wait at once.
. "$(dirname "$0")/lib.sh"
c=$(new_case one)
awk 'BEGIN { for (i = 0; i < 300; i++) printf "%.3f %6d 10.9.9.9 TCP_MISS/200 %d GET http://h.example.com/ alice HIER_DIRECT/198.51.100.7 text/html\n", 1795528800 + i, 20, 300 + i }' >"$c/evidence/one.log"
cp -r "$c" "$WORK/limited"

expect_exit 0 "ingest within the ceilings" -- "$TL" ingest --no-progress "$c"
grep -q "limits" "$WORK/out" "$WORK/err" && fail "a warning without a limit reached" || ok "no warning within the ceilings"
n=$("$TL" sql "$c" "SELECT count(*) || ' ' || sum(events) FROM bindings" | tail -n 1)
[ "$n" = "1 300" ] && ok "one binding of 300 windows" || fail "bindings: $n"

TL_CORR_LIMIT=50 expect_exit 0 "ingest with every ceiling at 50" -- "$TL" ingest --no-progress "$WORK/limited"
grep -q "warning: 250 binding candidates or conflicts past correlation's limits not used (first at 'ip-user 10.9.9.9')" \
	"$WORK/out" "$WORK/err" && ok "the ingest says what was refused, and where" ||
	{ fail "no warning naming the address"; sed 's/^/    /' "$WORK/out" "$WORK/err"; }
n=$("$TL" sql "$WORK/limited" "SELECT skipped FROM correlation_state" | tail -n 1)
[ "$n" = 250 ] && ok "correlation_state counts them" || fail "skipped: $n"
n=$("$TL" sql "$WORK/limited" "SELECT count(*) || ' ' || sum(events) FROM bindings" | tail -n 1)
[ "$n" = "1 50" ] && ok "the candidates within the ceiling are bound" || fail "bindings: $n"
finish
