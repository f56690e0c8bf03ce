#!/usr/bin/env bash
# Replay: the analysis steps written into out/ are recorded in replay.tl with
# their output hashes; tl replay rebuilds the case from its evidence in another
# directory and every output matches. A changed step or missing evidence is caught.
. "$(dirname "$0")/lib.sh"
A="$WORK/a"
cp -r "$SRC/fixtures/cases/demo" "$A"
rm -rf "$A/case.db"* "$A/out" "$A/expected" "$A/custody.jsonl" "$A/replay.tl"
mkdir -p "$A/out"
"$TL" ingest --no-progress "$A" 2>/dev/null
"$TL" timeline --output jsonl -o timeline.jsonl "$A"
"$TL" timeline --entity user:mchen --output csv -o mchen.csv "$A"
"$TL" sql -o per-format.tsv "$A" "SELECT format, count(*) AS n FROM events GROUP BY 1 ORDER BY 1"
"$TL" timeline "$A" >/dev/null # to stdout: not a step
"$TL" manifest "$A" >/dev/null

contains "$A/replay.tl" "^tl timeline --output jsonl -o timeline.jsonl CASE$" "the step is recorded with CASE for the folder"
contains "$A/replay.tl" "^#> out/timeline.jsonl [0-9a-f]{64}$" "with the hash of its output"
contains "$A/replay.tl" "^tl sql -o per-format.tsv CASE 'SELECT format, count\(\*\) AS n FROM events GROUP BY 1 ORDER BY 1'$" "arguments are quoted for the shell"
[ "$(grep -c '^tl ' "$A/replay.tl")" = 3 ] && ok "only commands that wrote into out/ are steps" || fail "steps: $(grep -c '^tl ' "$A/replay.tl")"

expect_exit 0 "replay into another directory matches" -- "$TL" replay --into "$WORK/elsewhere/b" "$A"
contains "$WORK/out" "^replay: 3 outputs, 3 match, 0 differ$" "every output matches"
[ -s "$WORK/elsewhere/b/custody.jsonl" ] && ok "the replayed case has its own custody log" || fail "no custody log in the replay"
expect_exit 0 "the replayed case verifies" -- "$TL" verify "$WORK/elsewhere/b"

# a hand-edited step produces something else: DIFFER, with the first differing line
sed -i 's/--entity user:mchen --output csv/--entity user:nobody --output csv/' "$A/replay.tl"
expect_exit 5 "a changed step differs" -- "$TL" replay --into "$WORK/c" "$A"
contains "$WORK/out" "DIFFER out/mchen.csv" "the differing output is named"
contains "$WORK/out" "first difference at line 2" "with the first differing line"

# missing evidence stops the replay before anything is produced
rm "$A/evidence/proxy/access.log"
expect_exit 1 "missing evidence stops the replay" -- "$TL" replay --into "$WORK/d" "$A"
contains "$WORK/err" "evidence file 'evidence/proxy/access.log' is missing" "the missing file is named"
[ ! -e "$WORK/d" ] && ok "nothing was produced" || fail "$WORK/d was created"
finish
