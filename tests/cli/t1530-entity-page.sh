#!/usr/bin/env bash
# The first page of an entity pivot (`tl timeline --entity ... --limit N`) is
# bounded in time before it is sorted: each arm of the match (src_ip = X,
# dst_ip = X, user = X, ...) gives the ts of its N-th event through its (col,
# ts) index, and the page query keeps only events at or before the smallest
# (at or after the largest, backwards). The pages are byte for byte those of
# the unbounded query (TL_PAGE_BOUND=0), with ts ties across evidence files at
# the page's edge, addresses seen as source and as destination, several
# entities, other filters, --reverse and --tail; TL_DEBUG_SQL shows the bound
# in the page query, and EXPLAIN QUERY PLAN that the arms and the page read
# the indexes in ts order.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing (TEST_PACKAGES in ./run)"; exit 1; }
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
c=$(new_case c)
"$WORK/gen" squid 8000 1 >"$c/evidence/access.log"
# the same requests with another method and elapsed time in a second file:
# every proxy event has a twin with the same ts (not a copy of it), ordered
# by its evidence path; and an exact copy of the first, for copies
sed -E 's/^([0-9.]+) +([0-9]+) /\1 9\2 /; s/ GET / HEAD /; s/ POST / PUT /' "$c/evidence/access.log" >"$c/evidence/access2.log"
cp "$c/evidence/access.log" "$c/evidence/access3.log"
"$WORK/gen" zeek-tsv 4000 3 >"$c/evidence/conn.log"
"$TL" ingest --no-progress "$c" >"$WORK/ingest.log" 2>&1 || { cat "$WORK/ingest.log"; fail "ingest"; finish; exit; }

sql() { "$TL" sql "$c" "$1" | tail -n +2; }
has() { # has FILE TEXT DESCRIPTION: TEXT as it is, not a pattern
	if grep -qF -- "$2" "$1"; then ok "$3"; else
		fail "$3 (no '$2' in $(basename "$1"))"
		sed 's/^/    /' "$1" | head -20
	fi
}
busy=$(sql "SELECT src_ip FROM events WHERE src_ip IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
dst=$(sql "SELECT dst_ip FROM events WHERE dst_ip IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
# an address that is the source of some events and the destination of others
both=$(sql "SELECT v FROM (SELECT src_ip v FROM events INTERSECT SELECT dst_ip FROM events) ORDER BY (SELECT count(*) FROM events WHERE src_ip = v OR dst_ip = v) DESC, v LIMIT 1")
user=$(sql "SELECT user FROM events WHERE user IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
domain=$(sql "SELECT domain FROM events WHERE domain IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
[ -n "$busy" ] && [ -n "$dst" ] && [ -n "$both" ] && [ -n "$user" ] && [ -n "$domain" ] &&
	ok "entities to pivot on: $busy, $dst, $both (source and destination), $user, $domain" ||
	fail "entities: '$busy' '$dst' '$both' '$user' '$domain'"
[ "$(sql "SELECT count(*) FROM events WHERE src_ip = '$both'")" -gt 0 ] && [ "$(sql "SELECT count(*) FROM events WHERE dst_ip = '$both'")" -gt 0 ] &&
	ok "$both is both a source and a destination" || fail "$both is not both"

# ts ties at the edge of a 7-event page: its 7th and 8th events share a ts
"$TL" timeline --output jsonl --entity "ip:$busy" "$c" >"$WORK/all.jsonl"
t7=$(sed -n 7p "$WORK/all.jsonl" | grep -o '"ts": *"[^"]*"')
t8=$(sed -n 8p "$WORK/all.jsonl" | grep -o '"ts": *"[^"]*"')
[ -n "$t7" ] && [ "$t7" = "$t8" ] && ok "the 7th and 8th events of $busy tie ($t7)" || fail "no tie at the page edge: '$t7' '$t8'"
head -n 7 "$WORK/all.jsonl" >"$WORK/first7.jsonl"
"$TL" timeline --output jsonl --entity "ip:$busy" --limit 7 "$c" >"$WORK/page7.jsonl"
same "$WORK/first7.jsonl" "$WORK/page7.jsonl" "the bounded 7-event page is the first 7 events of the whole pivot"

# every page, bounded and not, byte for byte
bad=0 n=0
check() { # check ARGS... -> the page with and without the bound
	local a b
	a=$("$TL" timeline --output jsonl "$@" "$c" 2>&1; echo "rc=$?")
	b=$(TL_PAGE_BOUND=0 "$TL" timeline --output jsonl "$@" "$c" 2>&1; echo "rc=$?")
	n=$((n + 1))
	[ "$a" = "$b" ] || { bad=$((bad + 1)); echo "# differs: $*"; }
	[ "$(printf '%s\n' "$a" | wc -l)" -gt 1 ] || { bad=$((bad + 1)); echo "# empty page: $*"; }
}
for sel in "--entity ip:$busy" "--entity ip:$dst" "--entity ip:$both" "--entity ip:$busy --entity ip:$dst" \
	"--entity user:$user" "--entity user:${user^^}" "--entity domain:$domain" "--entity ip:$busy --entity domain:$domain" \
	"--entity ip:$busy --family proxy --from 2026-11-19T00:10" "--entity ip:$busy --outcome ok" "--entity ip:$busy --all-copies" "--entity ip:$both --all-copies"; do
	for n_ in 1 7 50 400; do
		# shellcheck disable=SC2086
		check $sel --limit $n_
		# shellcheck disable=SC2086
		check $sel --limit $n_ --reverse
		# shellcheck disable=SC2086
		check $sel --tail $n_
	done
	# shellcheck disable=SC2086
	check $sel --tail 7 --reverse
done
[ "$bad" = 0 ] && ok "$n pages are the same with and without the bound" || fail "$bad of $n pages differ"
check --entity "ip:$busy" --limit 7 --output csv
check --entity "ip:$busy" --limit 7 --output text
check --entity "ip:$busy" --limit 7 --grep 'allow'
[ "$bad" = 0 ] && ok "text, csv and --grep pages are the same too" || fail "$bad pages differ"

# the bound is in the page query: <= forwards, >= backwards, none when off
# (--all-copies: folding copies asks the store for 2N+64 rows, not N)
rm -f "$WORK/sql"
TL_DEBUG_SQL="$WORK/sql" "$TL" timeline --all-copies --entity "ip:$busy" --limit 7 "$c" >/dev/null
has "$WORK/sql" 'SELECT e.ts FROM event_rows e WHERE 1 AND e.src_ip = ?1 ORDER BY e.ts LIMIT 1 OFFSET 6' "the source arm asks for its 7th ts"
has "$WORK/sql" 'SELECT e.ts FROM event_rows e WHERE 1 AND e.dst_ip = ?1 ORDER BY e.ts LIMIT 1 OFFSET 6' "the destination arm asks for its 7th ts"
bound=$(grep -o 'AND e.ts <= [0-9]*' "$WORK/sql")
[ -n "$bound" ] && ok "the page query is bounded: $bound" || fail "no bound in the page query"
t7us=$(sql "SELECT ts FROM events WHERE src_ip = '$busy' ORDER BY ts LIMIT 1 OFFSET 6")
[ "$bound" = "AND e.ts <= $t7us" ] && ok "the bound is the 7th ts of the busier arm" || fail "bound '$bound', 7th ts $t7us"
page=$(grep 'ORDER BY e.ts, f.path' "$WORK/sql")
sqlite3 -readonly "$c/case.db" "EXPLAIN QUERY PLAN $page" >"$WORK/plan" 2>&1
has "$WORK/plan" 'events_src_ip (src_ip=? AND ts<?)' "the page reads the source index up to the bound"
has "$WORK/plan" 'events_dst_ip (dst_ip=? AND ts<?)' "the page reads the destination index up to the bound"
arm=$(grep 'SELECT e.ts FROM event_rows e WHERE 1 AND e.src_ip' "$WORK/sql")
sqlite3 -readonly "$c/case.db" "EXPLAIN QUERY PLAN $arm" >"$WORK/armplan" 2>&1
if grep -q 'events_src_ip (src_ip=?)' "$WORK/armplan" && ! grep -q 'TEMP B-TREE' "$WORK/armplan"; then
	ok "an arm reads its index in ts order, without sorting"
else
	fail "arm plan: $(cat "$WORK/armplan")"
fi
rm -f "$WORK/sql"
TL_DEBUG_SQL="$WORK/sql" "$TL" timeline --all-copies --entity "ip:$busy" --limit 7 --reverse "$c" >/dev/null
grep -q 'ORDER BY e.ts DESC LIMIT 1 OFFSET 6' "$WORK/sql" && grep -q 'AND e.ts >= [0-9]*' "$WORK/sql" &&
	ok "backwards, the arms count from the end and the bound is a floor" || fail "reverse: $(cat "$WORK/sql")"
rm -f "$WORK/sql"
TL_PAGE_BOUND=0 TL_DEBUG_SQL="$WORK/sql" "$TL" timeline --entity "ip:$busy" --limit 7 "$c" >/dev/null
! grep -q 'AND e.ts [<>]=' "$WORK/sql" && ! grep -q 'LIMIT 1 OFFSET' "$WORK/sql" && ok "TL_PAGE_BOUND=0: no arms, no bound" ||
	fail "TL_PAGE_BOUND=0 still bounds"
# an arm with fewer events than the page bounds nothing: 400 is more than
# the destination arm of the busiest source holds, the source arm bounds it
rm -f "$WORK/sql"
TL_DEBUG_SQL="$WORK/sql" "$TL" timeline --entity "ip:$dst" --limit 100000 "$c" >/dev/null
! grep -q 'AND e.ts [<>]=' "$WORK/sql" && ok "a limit beyond every arm: no bound" || fail "bounded beyond the arms"
finish
