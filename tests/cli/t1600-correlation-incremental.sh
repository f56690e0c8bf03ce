#!/usr/bin/env bash
# Incremental correlation (docs/correlation.md#incremental): a case built in
# two ingests concludes what one built in one ingest does. When the second
# ingest brings no binding evidence (it only attributes the new files'
# events) the rows are the same row for row and id for id; when it does (new
# evidence, another window, a re-parsed file) the bindings, attributions and
# conflicts are the same but the new bindings' ids may differ (ids are
# stable: docs/correlation.md#stable-binding-ids), so those are compared
# without ids (tests/cli/corr-lib.sh). The mode each run took is read from
# correlation_state, so the test also proves the cheap path was the one taken.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/corr-lib.sh"
cc -O2 -o "$WORK/gen" "$SRC/bench/gen.c" || { echo "cannot compile bench/gen.c"; exit 1; }
# file names sort in the order the two-step cases ingest them, so event ids agree
# one seed: the generator's client pool depends on it, so the files share addresses
"$WORK/gen" squid 6000 1 >"$WORK/a-squid.log"     # proxy-auth: the bindings
"$WORK/gen" bind 2000 1 >"$WORK/b-bind.log"       # client addresses as src_ip
"$WORK/gen" iptables 2000 1 >"$WORK/c-ipt.log"    # inside addresses as dst_ip
"$WORK/gen" zeek-tsv 2000 1 >"$WORK/d-zeek.log"
# more proxy authentication, 20 s later: new binding evidence
"$WORK/gen" squid 1500 1 | awk '{ $1 = sprintf("%.3f", $1 + 20); print }' >"$WORK/e-squid.log"

q() { "$TL" sql "$1" "$2"; }
mode() { corr_mode "$1"; }
# everything correlation wrote, and what the analyst sees of it
dump() { # dump CASE OUT
	{
		q "$1" "SELECT * FROM bindings ORDER BY id"
		q "$1" "SELECT * FROM attributions ORDER BY event_id, kind"
		q "$1" "SELECT * FROM binding_conflicts ORDER BY id"
		q "$1" "SELECT id, path FROM evidence_files ORDER BY id"
		"$TL" bindings "$1"
		"$TL" timeline --output csv "$1"
	} >"$2" 2>&1
}
build() { # build NAME FILE... -> a case with those files ingested in one run
	local c
	c=$(new_case "$1")
	shift
	for f in "$@"; do cp "$WORK/$f" "$c/evidence/"; done
	"$TL" ingest --no-progress "$c" >"$WORK/$1.said" 2>&1 || echo "# ingest of $c failed" >&2
	echo "$c"
}

ONE=$(build one a-squid.log b-bind.log c-ipt.log d-zeek.log)
dump "$ONE" "$WORK/one.dump"
[ "$(mode "$ONE")" = full ] && ok "a first ingest computes everything" || fail "first mode: $(mode "$ONE")"
n=$(q "$ONE" "SELECT count(*) FROM attributions a JOIN events e ON e.id = a.event_id JOIN evidence_files f ON f.id = e.file_id WHERE f.path LIKE '%c-ipt.log' AND a.via = 'dst_ip'" | tail -n 1)
[ "${n:-0}" -gt 0 ] && ok "firewall events are attributed through their destination ($n)" || fail "no dst_ip attribution in c-ipt.log"

# 1. new files without binding evidence: only their events are attributed
TWO=$(build two a-squid.log)
before=$(q "$TWO" "SELECT count(*) FROM attributions" | tail -n 1)
for f in b-bind.log c-ipt.log d-zeek.log; do cp "$WORK/$f" "$TWO/evidence/"; done
expect_exit 0 "the second ingest" -- "$TL" ingest --no-progress "$TWO"
[ "$(mode "$TWO")" = incremental ] && ok "files without binding evidence are correlated incrementally" ||
	fail "second mode: $(mode "$TWO")"
after=$(q "$TWO" "SELECT count(*) FROM attributions" | tail -n 1)
[ "$after" -gt "$before" ] && ok "the new files' events were attributed ($before -> $after)" || fail "attributions $before -> $after"
dump "$TWO" "$WORK/two.dump"
same "$WORK/one.dump" "$WORK/two.dump" "two ingests (the second incremental) give the rows and outputs of one"
# the summary the ingest prints (the conflicts warning) is the whole run's
warned() { grep -h "binding conflict" "$@"; }
[ "$(warned "$WORK/out" "$WORK/err")" = "$(warned "$WORK/one.said")" ] &&
	ok "the incremental run reports the conflicts as a whole one does" ||
	fail "conflicts reported: '$(warned "$WORK/out" "$WORK/err")', one ingest: '$(warned "$WORK/one.said")'"

# 2. nothing new
expect_exit 0 "an ingest with nothing new" -- "$TL" ingest --no-progress "$TWO"
[ "$(mode "$TWO")" = unchanged ] && ok "nothing new: nothing recomputed" || fail "mode: $(mode "$TWO")"
[ "$(warned "$WORK/out" "$WORK/err")" = "$(warned "$WORK/one.said")" ] &&
	ok "and reports the same conflicts" || fail "conflicts reported: '$(warned "$WORK/out" "$WORK/err")'"
dump "$TWO" "$WORK/two.2.dump"
same "$WORK/one.dump" "$WORK/two.2.dump" "nothing new: the same rows"

# 3. new binding evidence 20 s later, inside every window: the region would
# be the whole case, so everything is recomputed (bindings keep their ids)
ALL=$(build all a-squid.log b-bind.log c-ipt.log d-zeek.log e-squid.log)
proj "$ALL" "$WORK/all.proj"
cp -r "$TWO" "$WORK/inc3"
cp "$WORK/e-squid.log" "$TWO/evidence/"
expect_exit 0 "an ingest with more proxy authentication" -- "$TL" ingest --no-progress --timings "$TWO"
[ "$(mode "$TWO")" = full ] && ok "new binding evidence reaching the whole case: everything recomputed" || fail "mode: $(mode "$TWO")"
contains "$WORK/err" "^correlation: full \(the new evidence reaches a quarter of the case\)$" "and --timings says why"
proj "$TWO" "$WORK/two.3.proj"
same "$WORK/all.proj" "$WORK/two.3.proj" "new evidence in a second ingest: what one ingest concludes"
# the same ingest kept incremental (the size rule off): the same conclusions
cp "$WORK/e-squid.log" "$WORK/inc3/evidence/"
TL_CORR_FULL=never "$TL" ingest --no-progress "$WORK/inc3" >/dev/null 2>&1
[ "$(mode "$WORK/inc3")" = incremental ] && ok "TL_CORR_FULL=never keeps it incremental" || fail "mode: $(mode "$WORK/inc3")"
proj "$WORK/inc3" "$WORK/inc3.proj"
same "$WORK/all.proj" "$WORK/inc3.proj" "incrementally too: what one ingest concludes"

# 4. another window in tl.json
# tl.json is JSON with // comments: the key goes in after the opening brace
sed -i '0,/^{/s//{\n  "attribution": { "proxy_window": "5m" },/' "$TWO/tl.json"
expect_exit 0 "an ingest after the window changed" -- "$TL" ingest --no-progress "$TWO"
[ "$(mode "$TWO")" = full ] && ok "another window: everything recomputed" || fail "mode: $(mode "$TWO")"
W5=$(new_case w5)
cp "$TWO/tl.json" "$W5/tl.json"
for f in a-squid.log b-bind.log c-ipt.log d-zeek.log e-squid.log; do cp "$WORK/$f" "$W5/evidence/"; done
"$TL" ingest --no-progress "$W5" >/dev/null 2>&1
proj "$TWO" "$WORK/two.4.proj"
proj "$W5" "$WORK/w5.proj"
same "$WORK/w5.proj" "$WORK/two.4.proj" "another window: what one ingest with that window concludes"
if cmp -s "$WORK/all.proj" "$WORK/w5.proj"; then fail "a 5 minute window changed nothing: the test cannot tell"; else ok "the window matters"; fi

# 6. short windows: the incremental run loads only the bindings that can
# cover the new events' times (none lasts longer than the longest one seen);
# with 1 s proxy windows most of the squid bindings lie outside that range
W1A=$(new_case w1a)
W1B=$(new_case w1b)
for c in "$W1A" "$W1B"; do sed -i '0,/^{/s//{\n  "attribution": { "proxy_window": "1s" },/' "$c/tl.json"; done
for f in a-squid.log b-bind.log c-ipt.log d-zeek.log; do cp "$WORK/$f" "$W1A/evidence/"; done
"$TL" ingest --no-progress "$W1A" >/dev/null 2>&1
cp "$WORK/a-squid.log" "$W1B/evidence/"
"$TL" ingest --no-progress "$W1B" >/dev/null 2>&1
for f in b-bind.log c-ipt.log d-zeek.log; do cp "$WORK/$f" "$W1B/evidence/"; done
"$TL" ingest --no-progress "$W1B" >/dev/null 2>&1
[ "$(mode "$W1B")" = incremental ] && ok "1 s windows: the second ingest is incremental" || fail "mode: $(mode "$W1B")"
late=$(q "$W1B" "SELECT (SELECT count(*) FROM bindings WHERE start_ts > (SELECT max(e.ts) FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE f.path LIKE '%b-bind.log' OR f.path LIKE '%c-ipt.log' OR f.path LIKE '%d-zeek.log'))" | tail -n 1)
[ "${late:-0}" -gt 0 ] && ok "bindings after the new events exist ($late), so the time range leaves some out" ||
	fail "no binding starts after the new events: the range test proves nothing"
dump "$W1A" "$WORK/w1a.dump"
dump "$W1B" "$WORK/w1b.dump"
same "$WORK/w1a.dump" "$WORK/w1b.dump" "1 s windows: two ingests give the rows of one"

# 5. a re-parsed file (its events are deleted and read again): everything recomputed
expect_exit 0 "a re-parse" -- "$TL" ingest --no-progress --reparse=evidence/b-bind.log "$TWO"
[ "$(mode "$TWO")" = full ] && ok "a re-parsed file: everything recomputed" || fail "mode: $(mode "$TWO")"
[ "$(q "$TWO" "SELECT count(*) FROM attributions a LEFT JOIN events e ON e.id = a.event_id WHERE e.id IS NULL" | tail -n 1)" = 0 ] &&
	ok "no attribution of a deleted event remains" || fail "attributions of deleted events remain"
finish
