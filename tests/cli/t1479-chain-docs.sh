#!/usr/bin/env bash
# The example output in docs/commands/chain.md is the real output of the
# command it shows, on fixtures/cases/chain (the docs example runner runs the
# command on the demo case; this checks what the page says it prints).
. "$(dirname "$0")/lib.sh"
C=$(chain_case c)
doc="$SRC/docs/commands/chain.md"
n=0
while IFS= read -r marker; do
	pivot=${marker#<!-- chain-example:}
	pivot=${pivot% -->}
	n=$((n + 1))
	awk -v m="$marker" '$0 == m { on = 1; next } on && /^```$/ { if (started) exit; started = 1; next } on && started' "$doc" >"$WORK/doc.$n"
	"$TL" chain --entity "$pivot" "$C" >"$WORK/real.$n" 2>/dev/null
	same "$WORK/doc.$n" "$WORK/real.$n" "docs/commands/chain.md shows the real output for --entity $pivot"
done < <(grep '^<!-- chain-example:' "$doc")
[ "$n" -ge 1 ] && ok "$n example outputs checked" || fail "no example output found in docs/commands/chain.md"
finish
