#!/usr/bin/env bash
# tl chain's cost bound (docs/commands/chain.md#cost): the walk counts the
# database pages its lookups read; past --budget it stops, keeps the chains it
# found, and says what it did not explore and how to narrow it. A budget that
# is not reached changes nothing.
. "$(dirname "$0")/lib.sh"
C=$(chain_case c)

expect_exit 0 "tl chain --entity user:mchen (default budget)" -- "$TL" chain --entity user:mchen "$C"
cp "$WORK/out" "$WORK/full"
contains "$WORK/full" "^Chains from user:mchen: 2 chains; 14 events name it; window 10m$" "two chains from the user"
! grep -q "budget" "$WORK/full" && ok "the default budget is not reached on a small case" ||
	fail "the default budget was reached: $(grep budget "$WORK/full")"

expect_exit 0 "a budget far above the walk" -- "$TL" chain --budget 100000000 --entity user:mchen "$C"
same "$WORK/full" "$WORK/out" "a budget not reached gives the same chains, byte for byte"

# a budget the walk needs more than: stopped mid-way, with what is left
expect_exit 0 "--budget 400" -- "$TL" chain --budget 400 --entity user:mchen "$C"
cp "$WORK/out" "$WORK/cut"
contains "$WORK/cut" "^note: the walk stopped at its budget of 400 database pages: [0-9]+ of 14 events naming the pivot \(from 2026-11-19T[0-9:.]+Z on\) were not followed, or only in part, and [0-9]+ linked events were not explored; narrow it with --from/--to, or raise --budget$" \
	"the note says how many pivot events were left, from when, and how to narrow it"
n_full=$(grep -cE '^ +[0-9]+\. ' "$WORK/full"); n_cut=$(grep -cE '^ +[0-9]+\. ' "$WORK/cut")
[ "$n_cut" -lt "$n_full" ] && ok "fewer steps than the full walk ($n_cut < $n_full)" || fail "steps: cut $n_cut, full $n_full"
# what a cut walk shows is true: every step it shows is in the full walk
grep -E '^ +[0-9]+\. ' "$WORK/cut" | sed -E 's/^ +[0-9]+\. (-> )?//' | sort >"$WORK/cut.steps"
grep -E '^ +[0-9]+\. ' "$WORK/full" | sed -E 's/^ +[0-9]+\. (-> )?//' | sort >"$WORK/full.steps"
[ -z "$(comm -23 "$WORK/cut.steps" "$WORK/full.steps")" ] && ok "every step of the cut walk is a step of the full one" ||
	fail "steps only in the cut walk: $(comm -23 "$WORK/cut.steps" "$WORK/full.steps")"

# the least budget: stopped while finding the pivot's events
expect_exit 0 "--budget 1" -- "$TL" chain --budget 1 --entity user:mchen "$C"
contains "$WORK/out" "^note: the walk stopped at its budget of 1 database pages while finding the events that name the pivot \([0-9]+ found\): narrow it with --from/--to, or raise --budget$" \
	"a budget spent on the pivot's own events says so"
contains "$WORK/err" "^tl: no chains from user:mchen found before the walk's budget ran out \([0-9]+ events? names? it; see the note\)$" \
	"no chains: not 'none is linked' but 'not found before the budget ran out'"
expect_exit 0 "--budget 1 --output jsonl" -- "$TL" chain --budget 1 --output jsonl --entity user:mchen "$C"
contains "$WORK/err" "^tl: note: the walk stopped at its budget of 1 database pages" "jsonl has no notes: the budget note goes to stderr"

# narrowing with --from/--to is what the note advises: it fits the budget
expect_exit 0 "--budget 400 with a window" -- "$TL" chain --budget 400 --from 2026-11-19T23:29:00Z --to 2026-11-19T23:34:00Z --entity user:mchen "$C"
! grep -q "budget" "$WORK/out" && ok "a narrower window fits the same budget" || fail "still cut: $(grep budget "$WORK/out")"

expect_exit 2 "--budget 0" -- "$TL" chain --budget 0 --entity user:mchen "$C"
contains "$WORK/err" "^tl: --budget: '0' is not a number of pages from 1 to 10\^12$" "names the value"
expect_exit 2 "--budget lots" -- "$TL" chain --budget lots --entity user:mchen "$C"
finish
