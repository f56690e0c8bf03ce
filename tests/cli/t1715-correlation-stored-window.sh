#!/usr/bin/env bash
# A run over stored ids reads a subject's stored bindings by time, in step
# with the slices (docs/correlation.md#cost): only those a binding not final
# yet can match are held, each region's are read from where its new
# candidates begin. A case built in four ingests (a middle stretch of three
# busy addresses' proxy logs, the next hour, another middle stretch) must
# give the same rows, binding ids included, whatever the slice size (a pass
# after every candidate, every 5, one pass) and path (region runs or whole
# runs at every ingest); and a whole re-correlation over the stored ids must
# keep every id. Fails when the window drops a stored binding a later one
# could still match (its id would change) or a region misses one.
. "$(dirname "$0")/lib.sh"

# 4000 requests from three addresses, users changing, runs of one user
# (windows merged), gaps longer than the window, and a second user at the
# same millisecond (conflicts)
awk 'BEGIN {
	srand(1715)
	split("alice bob carol dave erin frank - -", pool, " ")
	t = 1795528800; u[0] = u[1] = u[2] = "alice"
	for (i = 0; i < 4000; i++) {
		r = rand()
		if (r < 0.015) t += 1200 + int(rand() * 600)
		else t += 1 + int(rand() * 6000) / 1000
		a = int(rand() * 3)
		if (rand() >= 0.5) u[a] = pool[1 + int(rand() * 8)]
		printf "%.3f %6d 10.50.1.%d TCP_MISS/200 %d GET http://h%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 20 + i % 97, 10 + a, 300 + i, i % 13, u[a], 1 + i % 200
		if (rand() < 0.03)
			printf "%.3f %6d 10.50.1.%d TCP_MISS/200 %d GET http://h%d.example.com/ %s HIER_DIRECT/198.51.100.%d text/html\n", t, 30, 10 + a, 400 + i, i % 11, pool[1 + int(rand() * 6)], 1 + i % 100
	}
}' >"$WORK/all.log"
n=$(wc -l <"$WORK/all.log")
# the ingests: the rest; every 4th line of a middle stretch; the last
# 500 lines; every 3rd line of another stretch
awk 'NR >= 1000 && NR < 1800 && NR % 4 == 0' "$WORK/all.log" >"$WORK/2-mid.log"
awk -v n="$n" 'NR > n - 500' "$WORK/all.log" >"$WORK/3-next.log"
awk -v n="$n" 'NR >= 2400 && NR < 2700 && NR % 3 == 0 && NR <= n - 500' "$WORK/all.log" >"$WORK/4-mid.log"
awk -v n="$n" '!((NR >= 1000 && NR < 1800 && NR % 4 == 0) || NR > n - 500 || (NR >= 2400 && NR < 2700 && NR % 3 == 0))' \
	"$WORK/all.log" >"$WORK/1-base.log"
[ "$(cat "$WORK"/[1-4]-*.log | wc -l)" = "$n" ] && ok "the four files hold the $n lines" || fail "the files do not add up"
# the regions' edges, on a quiet address: a stored binding that starts where
# a new window ends is in its region (bob); one that ends where a new window
# of the same user starts is merged with it (dave: closed at that end)
sq() { printf '%s.000     40 10.50.1.13 TCP_MISS/200 500 GET http://edge.example.com/ %s HIER_DIRECT/198.51.100.9 text/html\n' "$1" "$2"; }
t0=1795578800
{ sq $((t0 + 900)) bob; sq $((t0 + 1500)) carol; sq $((t0 + 5000)) dave; } >>"$WORK/1-base.log"
sq $t0 alice >>"$WORK/2-mid.log"
sq $((t0 + 5900)) dave >>"$WORK/4-mid.log"

# dump CASE OUT: the rows (OUT) and what names the conflicts (OUT.ids)
dump() {
	corr_rows "$1" "$2"
	corr_ids "$1" "$2.ids"
}

# build NAME MODE SLICE: the case in four ingests
build() {
	local c=$WORK/case-$1
	"$TL" init "$c" >/dev/null || fail "init $1"
	mkdir -p "$c/evidence/proxy"
	for f in 1-base 2-mid 3-next 4-mid; do
		cp "$WORK/$f.log" "$c/evidence/proxy/"
		TL_CORR_FULL=$2 TL_CORR_SLICE=$3 "$TL" ingest --no-progress --timings "$c" >"$WORK/said-$1-$f" 2>&1 ||
			{ fail "ingest $1 $f"; sed 's/^/    /' "$WORK/said-$1-$f" | tail -5; }
	done
	dump "$c" "$WORK/dump-$1"
}
for run in inc-100000000 inc-1 inc-5 full-100000000 full-1; do
	mode=never
	[ "${run%%-*}" = full ] && mode=1
	build "$run" "$mode" "${run#*-}"
done

for f in 2-mid 4-mid; do
	contains "$WORK/said-inc-1-$f" "^correlation: incremental \([0-9]+ subjects? rebuilt; bindings: [1-9][0-9]* kept, [1-9][0-9]* added, [1-9][0-9]* deleted\)$" \
		"$f: a region run that keeps, adds and deletes bindings"
done
# the next hour cuts the last window of each address and adds its own
contains "$WORK/said-inc-1-3-next" "^correlation: incremental \(3 subjects rebuilt; bindings: [0-9]+ kept, [1-9][0-9]* added, [1-9][0-9]* deleted\)$" \
	"3-next: a region run at the end of the stored bindings"
grep -q '^correlation: full' "$WORK/said-full-1-4-mid" && ok "TL_CORR_FULL=1: whole runs" || fail "not a whole run"

q() { "$TL" sql "$WORK/case-inc-1" "$1" | tail -n 1; }
n=$(q "SELECT min(c) FROM (SELECT count(*) AS c FROM bindings WHERE kind = 'ip-user' AND subject <> '10.50.1.13' GROUP BY subject)")
[ "${n:-0}" -gt 300 ] && ok "each busy address has many bindings (at least $n)" || fail "only ${n:-0} bindings on an address"
n=$(q "SELECT group_concat(value || ':' || events || ':' || ((end_ts - start_ts) / 1000000), ' ') FROM (SELECT * FROM bindings WHERE subject = '10.50.1.13' ORDER BY start_ts)")
[ "$n" = "alice:1:900 bob:1:600 carol:1:900 dave:2:1800" ] && ok "the regions' edges: bob's binding next to alice's, dave's two windows one binding" ||
	fail "the quiet address's bindings: $n"
n=$(q "SELECT count(*) FROM binding_conflicts")
[ "${n:-0}" -gt 10 ] && ok "$n conflicts" || fail "only ${n:-0} conflicts"
n=$(q "SELECT count(*) FROM bindings WHERE id > (SELECT min(id) FROM bindings) + 600")
[ "${n:-0}" -gt 50 ] && ok "later ingests gave $n new ids" || fail "only ${n:-0} later ids"

for run in inc-1 inc-5 full-100000000 full-1; do
	same "$WORK/dump-inc-100000000" "$WORK/dump-$run" "$run: the rows of one pass, binding ids included"
done
same "$WORK/dump-inc-100000000.ids" "$WORK/dump-inc-1.ids" "a pass after every candidate: the same conflict ids and tl bindings"
same "$WORK/dump-full-100000000.ids" "$WORK/dump-full-1.ids" "and in whole runs"

# a whole re-correlation over the stored ids, a pass after every candidate:
# every binding is matched where the window holds it and keeps its id
for slice in 1 3 100000000; do
	c=$WORK/case-inc-5
	TL_CORR_FULL=1 TL_CORR_SLICE=$slice "$TL" ingest --no-progress --timings "$c" >"$WORK/said-re-$slice" 2>&1 ||
		fail "re-correlation, slice $slice"
	dump "$c" "$WORK/dump-re-$slice"
	same "$WORK/dump-inc-100000000" "$WORK/dump-re-$slice" "a whole re-correlation (slice $slice) keeps every id and row"
done
same "$WORK/dump-re-100000000.ids" "$WORK/dump-re-1.ids" "and names the conflicts alike at every slice size"
contains "$WORK/said-re-1" "^correlation: full" "the re-correlation is a whole run"

# the same evidence in one ingest concludes the same (ids aside: later
# ingests number their new bindings after the earlier ones)
one=$WORK/case-one
"$TL" init "$one" >/dev/null
mkdir -p "$one/evidence/proxy"
cp "$WORK"/[1-4]-*.log "$one/evidence/proxy/"
TL_CORR_SLICE=1 "$TL" ingest --no-progress "$one" >/dev/null 2>&1 || fail "one ingest"
proj() {
	"$TL" sql "$1" "SELECT kind, subject, value, start_ts, end_ts, end_rule, source, events, evidence FROM bindings ORDER BY kind, subject, start_ts, value, source, evidence" >"$2"
	"$TL" sql "$1" "SELECT a.event_id, a.kind, a.value, b.start_ts, b.source FROM attributions a JOIN bindings b ON b.id = a.binding_id ORDER BY 1, 2" >>"$2"
}
proj "$one" "$WORK/proj-one"
proj "$WORK/case-inc-1" "$WORK/proj-four"
same "$WORK/proj-one" "$WORK/proj-four" "four ingests conclude what one does (ids aside)"
finish
