#!/usr/bin/env bash
# Stable binding ids and incremental correlation with new binding evidence
# (docs/correlation.md#stable-binding-ids, #incremental). A case built in two
# ingests, the second bringing proxy authentication, concludes what a case
# built in one does (bindings, attributions, conflicts: compared without
# ids); the second ingest rebuilds only the subjects the new file names, over
# the time its windows reach, and the bindings it leaves alone keep their
# ids. The same second ingest forced whole (TL_CORR_FULL=1) gives the same
# rows, ids included: new ids follow the highest one ever given, in the
# bindings' order, whichever path gave them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/corr-lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
"$WORK/gen" squid 6000 1 >"$WORK/a-squid.log"
"$WORK/gen" bind 2000 1 >"$WORK/b-bind.log"
"$WORK/gen" iptables 2000 1 >"$WORK/c-ipt.log"
# the next hour of the proxy log: the same clients, other users
"$WORK/gen" squid 1500 2 | awk '{ $1 = sprintf("%.3f", $1 + 3600); print }' >"$WORK/d-squid.log"
"$WORK/gen" bind 500 2 | sed 's/^19-Nov-2026 00:/19-Nov-2026 01:/' >"$WORK/e-bind.log"

build() { # build NAME FILE...: one ingest of those files
	local c
	c=$(new_case "$1")
	shift
	for f in "$@"; do cp "$WORK/$f" "$c/evidence/"; done
	"$TL" ingest --no-progress "$c" >/dev/null 2>&1 || echo "# ingest of $c failed" >&2
	echo "$c"
}
add() { # add CASE FILE...: a later ingest of more files (env passes through)
	local c=$1
	shift
	for f in "$@"; do cp "$WORK/$f" "$c/evidence/"; done
	"$TL" ingest --no-progress --timings "$c" >"$WORK/add.out" 2>"$WORK/add.err"
}

ONE=$(build one a-squid.log b-bind.log c-ipt.log d-squid.log e-bind.log)
n1=$("$TL" sql "$ONE" "SELECT min(id) || ' ' || max(id) || ' ' || count(*) FROM bindings" | tail -n 1)
set -- $n1
[ "$1" = 1 ] && [ "$2" = "$3" ] && ok "a single ingest numbers its bindings 1..N ($3)" || fail "ids of one ingest: $n1"

TWO=$(build two a-squid.log b-bind.log c-ipt.log)
ids "$TWO" "$WORK/two.before"
before_max=$("$TL" sql "$TWO" "SELECT max(id) FROM bindings" | tail -n 1)
cp -r "$TWO" "$WORK/twofull"
add "$TWO" d-squid.log e-bind.log
[ "$(corr_mode "$TWO")" = incremental ] && ok "new proxy authentication is correlated incrementally" ||
	fail "mode $(corr_mode "$TWO"): $(cat "$WORK/add.err")"
contains "$WORK/add.err" "^correlation: incremental \([1-9][0-9]* subjects rebuilt; bindings: [0-9]+ kept, [1-9][0-9]* added, [0-9]+ deleted\)$" \
	"--timings says how correlation went"
proj "$ONE" "$WORK/one.proj"
proj "$TWO" "$WORK/two.proj"
same "$WORK/one.proj" "$WORK/two.proj" "two ingests conclude what one does (bindings, attributions, conflicts, outputs; ids aside)"
grep -q "d-squid.log" "$WORK/two.proj" && ok "the new file's bindings are there" || fail "no binding from d-squid.log"

# every binding of the first ingest is still there under its id: the next
# hour's windows reach none of them
ids "$TWO" "$WORK/two.after"
kept=$(join -t "$(printf '\t')" <(sort "$WORK/two.before") <(sort "$WORK/two.after") | wc -l)
[ "$kept" = "$(wc -l <"$WORK/two.before")" ] && ok "every untouched binding keeps its id ($((kept - 1)))" ||
	fail "only $kept of $(wc -l <"$WORK/two.before") rows kept their id"
low=$("$TL" sql "$TWO" "SELECT count(*) FROM bindings WHERE id > $before_max AND evidence NOT LIKE '%d-squid.log%'" | tail -n 1)
[ "$low" = 0 ] && ok "new ids come after the highest one given, for the new bindings only" || fail "$low new ids on old bindings"

# the whole run over the same evidence: the same rows, ids included
TL_CORR_FULL=1 add "$WORK/twofull" d-squid.log e-bind.log
[ "$(corr_mode "$WORK/twofull")" = full ] && ok "TL_CORR_FULL=1 forces the whole run" || fail "mode $(corr_mode "$WORK/twofull")"
ids "$WORK/twofull" "$WORK/full.ids"
same "$WORK/two.after" "$WORK/full.ids" "incremental and whole runs give the same bindings under the same ids"
"$TL" sql "$TWO" "SELECT * FROM attributions ORDER BY event_id, kind" >"$WORK/two.attr"
"$TL" sql "$WORK/twofull" "SELECT * FROM attributions ORDER BY event_id, kind" >"$WORK/full.attr"
same "$WORK/two.attr" "$WORK/full.attr" "and the same attributions, binding ids included"

# a slice in the middle of the proxy log arrives late: windows before and
# after it are cut or merged differently, bindings are deleted and replaced
awk '$1 >= 1795046410 && $1 < 1795046413' "$WORK/a-squid.log" >"$WORK/z-mid.log"
awk '!($1 >= 1795046410 && $1 < 1795046413)' "$WORK/a-squid.log" >"$WORK/rest.log"
for w in 1s 5s; do
	O=$(new_case "one$w")
	T=$(new_case "two$w")
	for c in "$O" "$T"; do sed -i '0,/^{/s//{\n  "attribution": { "proxy_window": "'$w'" },/' "$c/tl.json"; done
	for f in rest.log z-mid.log b-bind.log c-ipt.log; do cp "$WORK/$f" "$O/evidence/"; done
	"$TL" ingest --no-progress "$O" >/dev/null 2>&1
	for f in rest.log b-bind.log c-ipt.log; do cp "$WORK/$f" "$T/evidence/"; done
	"$TL" ingest --no-progress "$T" >/dev/null 2>&1
	ids "$T" "$WORK/mid.before"
	cp -r "$T" "$WORK/full$w"
	# the slice touches most clients: TL_CORR_FULL=never keeps the run incremental
	TL_CORR_FULL=never add "$T" z-mid.log
	[ "$(corr_mode "$T")" = incremental ] && ok "$w windows, a slice in the middle: incremental" || fail "mode $(corr_mode "$T")"
	grep -Eq "bindings: [1-9][0-9]* kept, [1-9][0-9]* added, [1-9][0-9]* deleted" "$WORK/add.err" &&
		ok "$w windows: bindings were kept, added and deleted ($(grep -o 'bindings:.*' "$WORK/add.err"))" ||
		fail "$w windows: $(cat "$WORK/add.err")"
	proj "$O" "$WORK/one$w.proj"
	proj "$T" "$WORK/two$w.proj"
	same "$WORK/one$w.proj" "$WORK/two$w.proj" "$w windows: two ingests conclude what one does"
	TL_CORR_FULL=1 add "$WORK/full$w" z-mid.log
	ids "$T" "$WORK/mid.inc"
	ids "$WORK/full$w" "$WORK/mid.full"
	same "$WORK/mid.inc" "$WORK/mid.full" "$w windows: the whole run gives the same ids"
	# a binding that survived kept its id; no id of a deleted one came back
	gone=$(comm -23 <(cut -f1 "$WORK/mid.before" | sort) <(cut -f1 "$WORK/mid.inc" | sort) | wc -l)
	reused=$(join -t "$(printf '\t')" <(sort "$WORK/mid.before") <(sort "$WORK/mid.inc") | wc -l)
	[ "$gone" -gt 0 ] && [ $((reused + gone)) = "$(wc -l <"$WORK/mid.before")" ] &&
		ok "$w windows: $gone bindings deleted, the others unchanged under their ids" ||
		fail "$w windows: $gone gone, $reused kept of $(wc -l <"$WORK/mid.before")"
done
finish
