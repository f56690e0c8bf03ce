#!/usr/bin/env bash
# Incremental correlation and binding conflicts (docs/correlation.md#conflicts,
# #incremental): a later proxy log that cuts the windows of a conflict, adds a
# conflict and leaves another alone. Each event a conflict leaves
# unattributed is recorded (attribution_conflicts), so attributing it again
# takes it off the right count: the conflicts, their counts and the ingest's
# warning come out as one ingest gives them, and the untouched conflict keeps
# its id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/corr-lib.sh"
T0=1795046400
sq() { # sq SECONDS CLIENT USER: a squid line at T0 + SECONDS
	printf '%d.000    100 %s TCP_MISS/200 1000 GET http://example.com/ %s HIER_DIRECT/192.0.2.1 text/html\n' \
		$((T0 + $1)) "$2" "$3"
}
{
	# 10.1.1.1: alice and bob at the same instant (a conflict), events after it
	sq 0 10.1.1.1 alice; sq 0 10.1.1.1 bob
	sq 60 10.1.1.1 -; sq 200 10.1.1.1 -; sq 400 10.1.1.1 -
	# 10.1.1.2: carol and dave at once, far from anything new
	sq 0 10.1.1.2 carol; sq 0 10.1.1.2 dave; sq 30 10.1.1.2 -
	# 10.1.1.4: plain
	sq 10 10.1.1.4 erin; sq 20 10.1.1.4 -
} >"$WORK/a.log"
{
	# carol takes 10.1.1.1 at 120 s: the conflict's windows end there
	sq 120 10.1.1.1 carol
	# 10.1.1.3: a new conflict
	sq 300 10.1.1.3 frank; sq 300 10.1.1.3 grace; sq 310 10.1.1.3 -
	sq 500 10.1.1.1 -
} >"$WORK/b.log"

ONE=$(new_case one)
cp "$WORK/a.log" "$WORK/b.log" "$ONE/evidence/"
"$TL" ingest --no-progress "$ONE" >"$WORK/one.out" 2>&1
TWO=$(new_case two)
cp "$WORK/a.log" "$TWO/evidence/"
"$TL" ingest --no-progress "$TWO" >/dev/null 2>&1
"$TL" sql "$TWO" "SELECT c.id, a.value, b.value FROM binding_conflicts c JOIN bindings a ON a.id = c.binding_a JOIN bindings b ON b.id = c.binding_b WHERE c.subject = '10.1.1.2'" >"$WORK/c2.before"
n=$("$TL" sql "$TWO" "SELECT events FROM binding_conflicts WHERE subject = '10.1.1.1'" | tail -n 1)
[ "$n" = 3 ] && ok "the first ingest leaves three events of 10.1.1.1 to the conflict" || fail "10.1.1.1 conflict events: $n"
cp -r "$TWO" "$WORK/full"
cp "$WORK/b.log" "$TWO/evidence/"
# a tiny case: any region is a quarter of it, so the size rule is off
TL_CORR_FULL=never "$TL" ingest --no-progress --timings "$TWO" >"$WORK/two.out" 2>&1
[ "$(corr_mode "$TWO")" = incremental ] && ok "the second ingest is incremental" || fail "mode $(corr_mode "$TWO")"
proj "$ONE" "$WORK/one.proj"
proj "$TWO" "$WORK/two.proj"
same "$WORK/one.proj" "$WORK/two.proj" "conflicts, their counts and attributions as one ingest gives them"
n=$("$TL" sql "$TWO" "SELECT events FROM binding_conflicts WHERE subject = '10.1.1.1'" | tail -n 1)
[ "$n" = 1 ] && ok "the cut conflict keeps only the event inside it" || fail "10.1.1.1 conflict events now: $n"
[ "$("$TL" sql "$TWO" "SELECT value FROM attributions a JOIN events e ON e.id = a.event_id WHERE e.ts = ($T0 + 200) * 1000000" | tail -n 1)" = carol ] &&
	ok "an event the conflict held is now carol's" || fail "the event at +200 s is not carol's"
"$TL" sql "$TWO" "SELECT c.id, a.value, b.value FROM binding_conflicts c JOIN bindings a ON a.id = c.binding_a JOIN bindings b ON b.id = c.binding_b WHERE c.subject = '10.1.1.2'" >"$WORK/c2.after"
same "$WORK/c2.before" "$WORK/c2.after" "the untouched conflict keeps its id and its bindings'"
warned() { grep -h "binding conflict" "$@"; }
[ "$(warned "$WORK/two.out")" = "$(warned "$WORK/one.out")" ] && ok "the ingest warns as one ingest does: $(warned "$WORK/one.out")" ||
	fail "warnings: '$(warned "$WORK/two.out")' vs '$(warned "$WORK/one.out")'"
# the whole run over the same evidence: the same bindings and attributions, ids included
cp "$WORK/b.log" "$WORK/full/evidence/"
TL_CORR_FULL=1 "$TL" ingest --no-progress "$WORK/full" >/dev/null 2>&1
for t in "bindings ORDER BY id" "attributions ORDER BY event_id, kind"; do
	"$TL" sql "$TWO" "SELECT * FROM $t" >"$WORK/inc.rows"
	"$TL" sql "$WORK/full" "SELECT * FROM $t" >"$WORK/full.rows"
	same "$WORK/inc.rows" "$WORK/full.rows" "incremental and whole runs: the same $t"
done
proj "$WORK/full" "$WORK/full.proj"
same "$WORK/one.proj" "$WORK/full.proj" "the whole run concludes the same"
finish
