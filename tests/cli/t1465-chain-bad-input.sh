#!/usr/bin/env bash
# Bad pivots and options are usage errors (exit 2) that name the value; a
# pivot that starts no chain says so and exits 0; a case without a database
# is an error, not a crash.
. "$(dirname "$0")/lib.sh"
C=$(chain_case c)

expect_exit 2 "no --entity" -- "$TL" chain "$C"
contains "$WORK/err" "^tl: chain needs a pivot: --entity TYPE:VALUE$" "says a pivot is needed"
expect_exit 2 "unknown entity type" -- "$TL" chain --entity colour:blue "$C"
contains "$WORK/err" "^tl: --entity 'colour:blue': unknown entity type 'colour' \(user host ip domain file process hash url\)$" "names the value and the types"
expect_exit 2 "not TYPE:VALUE" -- "$TL" chain --entity mchen "$C"
contains "$WORK/err" "^tl: --entity wants TYPE:VALUE, got 'mchen'$" "names the value"
expect_exit 2 "an address that is not one" -- "$TL" chain --entity ip:300.1.2.3 "$C"
contains "$WORK/err" "^tl: --entity 'ip:300.1.2.3': '300.1.2.3' is not a valid ip: not an address$" "names the address"
expect_exit 2 "an empty value" -- "$TL" chain --entity user: "$C"
contains "$WORK/err" "'user:'" "names the empty pivot"
expect_exit 2 "two pivots" -- "$TL" chain --entity user:a --entity user:b "$C"
expect_exit 2 "a bad window" -- "$TL" chain --entity user:mchen --window soon "$C"
contains "$WORK/err" "^tl: --window: 'soon' is not a duration" "names the window"
expect_exit 2 "a bad output format" -- "$TL" chain --entity user:mchen --output dot "$C"
contains "$WORK/err" "^tl: --output: 'dot' is not text, jsonl or md$" "names the format"
expect_exit 2 "an empty time range" -- "$TL" chain --entity user:mchen --from 2026-11-20 --to 2026-11-19 "$C"
expect_exit 2 "a bad time" -- "$TL" chain --entity user:mchen --from yesterday "$C"
expect_exit 2 "a bad --max-steps" -- "$TL" chain --entity user:mchen --max-steps 0 "$C"
expect_exit 1 "an -o that climbs out of out/ (as tl timeline)" -- "$TL" chain --entity user:mchen -o ../x "$C"

# nothing to follow
expect_exit 0 "a pivot nobody is" -- "$TL" chain --entity user:nobody "$C"
contains "$WORK/out" "^Chains from user:nobody: 0 chains; 0 events name it; window 10m$" "the header says 0 chains"
contains "$WORK/err" "^tl: no chains from user:nobody: 0 events name it and none is linked to another$" "and stderr says so"
expect_exit 0 "a pivot whose events link nowhere" -- "$TL" chain --entity url:http://intranet.example.com/wiki/Quarterly_Close "$C"
contains "$WORK/err" "no chains from url:http://intranet.example.com/wiki/Quarterly_Close: 1 event names it and none is linked to another" "one event, no chain"
expect_exit 0 "jsonl with no chains is empty" -- "$TL" chain --entity user:nobody --output jsonl "$C"
[ ! -s "$WORK/out" ] && ok "no JSONL lines" || fail "no JSONL lines"
expect_exit 0 "md with no chains says so" -- "$TL" chain --entity user:nobody --output md "$C"
contains "$WORK/out" "^No event naming it is linked to another event.$" "the Markdown says so"

# --max-steps caps a chain and says so
expect_exit 0 "--max-steps 3" -- "$TL" chain --entity file:q4.7z --max-steps 3 "$C"
contains "$WORK/out" "^Chain 1: 11 steps, " "the chain's real length in its header"
contains "$WORK/out" "^      \.\.\. 8 more steps not shown$" "the steps not shown are counted"
contains "$WORK/out" "^note: chain 1 has 11 steps; the first 3 are shown$" "a note says the chain was capped"

# not an ingested case
E=$(new_case empty)
expect_exit 1 "a case never ingested" -- "$TL" chain --entity user:mchen "$E"
expect_exit 1 "not a case" -- "$TL" chain --entity user:mchen "$WORK/nowhere"
finish
